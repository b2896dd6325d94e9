using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Core.Security;
using MailAppliance.Storage.Accounts;

namespace MailAppliance.Cli;

/// <summary>
/// <c>import passwords FILE</c>: Dovecot's passwd-file (<c>user:password:uid:gid:gecos:home:shell:extra</c>, one user a
/// line, <c>#</c> comments). Each user is created when missing (its domain must exist) or gets the file's hash; the
/// hash is kept as it is (<c>{SCHEME}…</c>, a bare one read as Dovecot's default <c>CRYPT</c>) and replaced by ours at
/// the user's first successful login. A user whose scheme is refused, or whose line is wrong, is named on stderr and
/// counted as failed; users already holding exactly that hash are skipped.
/// </summary>
public static class PasswordImportVerb
{
    public const string Usage = "import passwords FILE";

    public static async Task Passwords(AdminContext c)
    {
        if (c.Arguments.Count != 1)
        {
            throw new UsageException($"usage: {Usage}");
        }

        var file = c.Arguments[0];
        if (!File.Exists(file))
        {
            throw new CommandFailedException($"{file}: no such file");
        }

        int imported = 0, skipped = 0, failed = 0;
        var lineNumber = 0;
        var known = (await c.Directory.ListUsersAsync(null, c.CancellationToken)).Select(u => MailAddress.Parse(u.Address).Key).ToHashSet(StringComparer.Ordinal);
        foreach (var line in await File.ReadAllLinesAsync(file, c.CancellationToken))
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            var fields = text.Split(':');
            if (fields.Length < 2 || !MailAddress.TryParse(fields[0], out var address, out _))
            {
                Refuse(c, $"line {lineNumber}: '{fields[0]}' is not an address (users are named by their address here)", ref failed);
                continue;
            }

            var hash = ImportedPasswordHash.Normalize(fields[1], out var refusal);
            if (hash is null)
            {
                Refuse(c, $"{address}: {refusal}", ref failed);
                continue;
            }

            if (c.DryRun())
            {
                imported++;
                continue;
            }

            try
            {
                if (known.Contains(address.Key))
                {
                    var current = await c.Directory.FindLoginAsync(address, c.CancellationToken);
                    if (current?.PasswordHash == hash)
                    {
                        skipped++;
                        continue;
                    }

                    await c.Directory.SetPasswordAsync(address, hash, c.CancellationToken);
                }
                else
                {
                    await c.Directory.AddUserAsync(address, hash, null, c.CancellationToken);
                    known.Add(address.Key);
                }

                imported++;
            }
            catch (DirectoryException e)
            {
                Refuse(c, $"{address}: {e.Message}", ref failed);
            }
        }

        if (c.Output.Json)
        {
            c.Output.Done("", new { imported, duplicates = 0, skipped, failed });
        }
        else
        {
            c.Output.Line(string.Create(CultureInfo.InvariantCulture, $"imported {imported}, duplicates 0, skipped {skipped}, failed {failed}"));
        }
    }

    private static bool DryRun(this AdminContext c) => c.Command.Has("--dry-run");

    private static void Refuse(AdminContext c, string why, ref int failed)
    {
        failed++;
        c.Progress.WriteLine($"refused: {why}");
    }
}
