using System.Text;

namespace MailAppliance.Storage.Maildir;

/// <summary>
/// The <c>subscriptions</c> file in the Maildir root. Dovecot 2.3 writes version 2: a first line <c>V&lt;TAB&gt;2</c>,
/// an empty line, then one mailbox per line, components in modified UTF-7 separated by TAB (<c>Archive&lt;TAB&gt;2025</c>);
/// each component is tab-escaped (<c>\001</c> + <c>1</c>/<c>t</c>/<c>r</c>/<c>n</c> for \001, TAB, CR, LF), which we
/// decode but never need to write (names cannot hold control characters). Older Dovecot wrote one name per line
/// with no header and '.' separators; both are read, version 2 is written. Rewrites replace the file atomically
/// under the dot-lock <c>subscriptions.lock</c>.
/// </summary>
public static class SubscriptionsFile
{
    public const string FileName = "subscriptions";

    private const string Version2Header = "V\t2";

    public static string PathIn(string maildirRoot) => Path.Combine(maildirRoot, FileName);

    /// <summary>The subscriptions; empty when the file does not exist.</summary>
    public static SubscriptionList Read(string maildirRoot)
    {
        var text = AtomicFile.ReadAllTextOrNull(PathIn(maildirRoot));
        return text is null ? SubscriptionList.Empty : Parse(text);
    }

    public static SubscriptionList Parse(string text)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var version2 = lines.Count > 0 && lines[0] == Version2Header;
        var names = new List<MailboxName>();
        var unreadable = new List<string>();
        foreach (var line in lines.Skip(version2 ? 1 : 0))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var components = version2 ? line.Split('\t').Select(Unescape).ToArray() : line.Split(MailboxName.DiskSeparator);
            var decoded = components.Select(ModifiedUtf7.Decode).ToArray();
            var name = decoded.All(d => d.Succeeded)
                ? MailboxName.FromComponents(decoded.Select(d => d.Value).ToArray())
                : MaildirResult<MailboxName>.Fail(MaildirFailureKind.InvalidName, "invalid modified UTF-7");
            if (!name.Succeeded)
            {
                unreadable.Add(line);
            }
            else if (!names.Contains(name.Value))
            {
                names.Add(name.Value);
            }
        }

        return new SubscriptionList(names, unreadable);
    }

    /// <summary>The version 2 content for these names (duplicates dropped, order kept).</summary>
    public static string Format(IEnumerable<MailboxName> names)
    {
        var builder = new StringBuilder(Version2Header).Append("\n\n");
        foreach (var name in names.Distinct())
        {
            builder.Append(string.Join('\t', name.EncodedComponents)).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Replaces the file with these names, atomically and under the lock.</summary>
    public static async Task WriteAsync(string maildirRoot, IEnumerable<MailboxName> names, DotLockOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var dotLock = await DotLock.AcquireAsync(PathIn(maildirRoot), options, time, cancellationToken);
        await AtomicFile.ReplaceAsync(PathIn(maildirRoot), Format(names), cancellationToken);
    }

    /// <summary>Adds (or removes) one subscription: a read-modify-write under the lock. Unreadable lines are dropped.</summary>
    public static async Task SetSubscribedAsync(
        string maildirRoot, MailboxName name, bool subscribed, DotLockOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var dotLock = await DotLock.AcquireAsync(PathIn(maildirRoot), options, time, cancellationToken);
        var current = Read(maildirRoot).Names.ToList();
        var changed = subscribed ? !current.Contains(name) : current.Remove(name);
        if (subscribed && changed)
        {
            current.Add(name);
        }

        if (changed)
        {
            await AtomicFile.ReplaceAsync(PathIn(maildirRoot), Format(current), cancellationToken);
        }
    }

    // Dovecot's tab-escaping: \001 followed by '1', 't', 'r' or 'n'.
    private static string Unescape(string component)
    {
        if (!component.Contains('\x01', StringComparison.Ordinal))
        {
            return component;
        }

        var builder = new StringBuilder(component.Length);
        for (var i = 0; i < component.Length; i++)
        {
            if (component[i] == '\x01' && i + 1 < component.Length)
            {
                i++;
                builder.Append(component[i] switch { '1' => '\x01', 't' => '\t', 'r' => '\r', 'n' => '\n', var other => other });
            }
            else
            {
                builder.Append(component[i]);
            }
        }

        return builder.ToString();
    }
}
