using System.Text;
using System.Text.RegularExpressions;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>The script made from a procmailrc, and the lines that could not be converted (with why).</summary>
public sealed record ProcmailConversion(string Script, IReadOnlyList<string> NotConverted, int Recipes);

/// <summary>
/// Converts the common procmail recipes (procmailrc(5)) into Sieve: header conditions (<c>* ^Header:.*text</c>,
/// negated with <c>!</c>, <c>^TO_</c>), delivery to a folder (maildir <c>.A.B/</c> → <c>A/B</c>), forwarding
/// (<c>! addr</c>), <c>/dev/null</c>, the <c>c</c> flag (copy), and the formail vacation idiom. Anything else (nested
/// blocks, other pipes, variables beyond MAILDIR) is reported, not guessed.
/// </summary>
public static partial class ProcmailConverter
{
    [GeneratedRegex(@"^\^(?<name>[A-Za-z0-9-]+):\s*(?<rest>.*)$")]
    private static partial Regex HeaderCondition();

    [GeneratedRegex(@"^\^TO_?(?<rest>.*)$")]
    private static partial Regex ToCondition();

    public static ProcmailConversion Convert(string procmailrc)
    {
        var lines = procmailrc.ReplaceLineEndings("\n").Split('\n');
        var notConverted = new List<string>();
        var rules = new StringBuilder();
        var requires = new SortedSet<string>(StringComparer.Ordinal);
        var recipes = 0;
        string? vacationFile = null;
        var vacationSeen = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (!line.StartsWith(":0", StringComparison.Ordinal))
            {
                if (!Regex.IsMatch(line, @"^(MAILDIR|DEFAULT|LOGFILE|LOGABSTRACT|VERBOSE|SHELL|PATH|LOCKFILE|FORMAIL|SENDMAIL|HOME)\s*="))
                {
                    notConverted.Add($"line {i + 1}: {line} (not a recipe)");
                }

                continue;
            }

            var start = i + 1;
            var flags = line[2..].Split(':')[0].Trim();
            var conditions = new List<string>();
            var ok = true;
            while (i + 1 < lines.Length && lines[i + 1].TrimStart().StartsWith('*'))
            {
                i++;
                var condition = ConvertCondition(lines[i].Trim()[1..].Trim(), flags, requires);
                if (condition is null)
                {
                    ok = false;
                    notConverted.Add($"line {i + 1}: {lines[i].Trim()} (condition not understood)");
                }
                else
                {
                    conditions.Add(condition);
                }
            }

            while (i + 1 < lines.Length && lines[i + 1].Trim().Length == 0)
            {
                i++;
            }

            if (i + 1 >= lines.Length)
            {
                notConverted.Add($"line {start}: recipe without an action");
                break;
            }

            var action = lines[++i].Trim();
            var copy = flags.Contains('c', StringComparison.Ordinal);
            string? sieveAction;
            if (action.StartsWith('{'))
            {
                notConverted.Add($"line {start}: nested block recipes are not converted");
                var depth = action.Count(ch => ch == '{') - action.Count(ch => ch == '}');
                while (depth > 0 && i + 1 < lines.Length)
                {
                    i++;
                    depth += lines[i].Count(ch => ch == '{') - lines[i].Count(ch => ch == '}');
                }

                continue;
            }

            if (action.StartsWith('|') && action.Contains("formail", StringComparison.Ordinal) && action.Contains("-r", StringComparison.Ordinal))
            {
                // The vacation idiom: "formail -rD N cache" (remember senders) then "formail -r ...; cat FILE | sendmail".
                vacationSeen = true;
                var cat = Regex.Match(action, @"cat\s+(?<file>[^\s;)|]+)");
                if (cat.Success)
                {
                    vacationFile = cat.Groups["file"].Value;
                }

                continue;
            }

            if (action.StartsWith('!'))
            {
                var targets = action[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (copy)
                {
                    requires.Add("copy");
                }

                sieveAction = string.Concat(targets.Select(t => $"redirect {(copy ? ":copy " : "")}{Quote(t)}; "));
            }
            else if (action == "/dev/null")
            {
                sieveAction = "discard; ";
            }
            else if (action.StartsWith('|'))
            {
                notConverted.Add($"line {i + 1}: {action} (pipe to a program)");
                continue;
            }
            else
            {
                requires.Add("fileinto");
                if (copy)
                {
                    requires.Add("copy");
                }

                sieveAction = $"fileinto {(copy ? ":copy " : "")}{Quote(Folder(action))}; ";
            }

            if (!ok)
            {
                continue;
            }

            recipes++;
            if (!copy)
            {
                sieveAction += "stop; ";
            }

            rules.Append(conditions.Count switch
            {
                0 => sieveAction.TrimEnd() + "\n",
                1 => $"if {conditions[0]} {{ {sieveAction}}}\n",
                _ => $"if allof ({string.Join(", ", conditions)}) {{ {sieveAction}}}\n",
            });
        }

        var head = new StringBuilder("# Converted from a procmailrc by mailappliance sieve import-procmail.\n");
        if (vacationSeen)
        {
            requires.Add("vacation");
            var text = vacationFile is not null && File.Exists(ExpandHome(vacationFile)) ? File.ReadAllText(ExpandHome(vacationFile)) : null;
            if (text is null)
            {
                notConverted.Add($"vacation message file {vacationFile ?? "(none named)"} could not be read: the reply text is a placeholder");
                text = "I am away and will read your message when I return.\n";
            }

            recipes++;
            rules.Insert(0, $"vacation :days 7 text:\n{string.Concat(text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').Select(l => (l.StartsWith('.') ? "." + l : l) + "\n"))}.\n;\n");
        }

        if (requires.Count > 0)
        {
            head.Append("require [").Append(string.Join(", ", requires.Select(Quote))).Append("];\n");
        }

        return new ProcmailConversion(head.Append(rules).ToString(), notConverted, recipes);
    }

    private static string ExpandHome(string path) =>
        path.Replace("$HOME", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), StringComparison.Ordinal);

    private static string? ConvertCondition(string condition, string flags, SortedSet<string> requires)
    {
        var negate = condition.StartsWith('!');
        if (negate)
        {
            condition = condition[1..].Trim();
        }

        string? test = null;
        if (flags.Contains('B', StringComparison.Ordinal))
        {
            requires.Add("body");
            test = Pattern(condition, requires) is var (kind, value) ? $"body {kind} {Quote(value)}" : null;
        }
        else if (ToCondition().Match(condition) is { Success: true } to)
        {
            test = Pattern(to.Groups["rest"].Value, requires) is var (kind, value)
                ? $"address {kind} [\"to\", \"cc\", \"bcc\", \"resent-to\", \"resent-cc\"] {Quote(value)}"
                : null;
        }
        else if (HeaderCondition().Match(condition) is { Success: true } header)
        {
            test = Pattern(header.Groups["rest"].Value, requires) is var (kind, value)
                ? $"header {kind} {Quote(header.Groups["name"].Value.ToLowerInvariant())} {Quote(value)}"
                : null;
        }

        return test is null ? null : negate ? "not " + test : test;
    }

    /// <summary>".*literal.*" and "literal" become :contains; other regular expressions stay :regex.</summary>
    private static (string Kind, string Value)? Pattern(string regex, SortedSet<string> requires)
    {
        var trimmed = regex.Trim();
        var core = Regex.Replace(trimmed, @"^(\.\*)+|(\.\*)+$", string.Empty);
        if (core.Length == 0)
        {
            return null;
        }

        var literal = Regex.Replace(core, @"\\(.)", "$1");
        // An unescaped "." alone is taken literally: procmailrc authors write "example.com" meaning the dot.
        if (!Regex.IsMatch(Regex.Replace(core, @"\\.", string.Empty), @"[\^\$\*\+\?\[\]\(\)\|\{\}]"))
        {
            return (":contains", literal);
        }

        requires.Add("regex");
        return (":regex", trimmed);
    }

    /// <summary>A maildir folder (".A.B/", "$MAILDIR/.A/") as an IMAP name ("A/B"); an mbox file name as is.</summary>
    private static string Folder(string action)
    {
        var f = action.Replace("$MAILDIR/", string.Empty, StringComparison.Ordinal).Replace("${MAILDIR}/", string.Empty, StringComparison.Ordinal);
        if (f.StartsWith("Maildir/", StringComparison.Ordinal))
        {
            f = f["Maildir/".Length..];
        }

        f = f.TrimEnd('/');
        if (f.StartsWith('.'))
        {
            f = f[1..].Replace('.', '/');
        }

        return f.Length == 0 ? "INBOX" : f;
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
