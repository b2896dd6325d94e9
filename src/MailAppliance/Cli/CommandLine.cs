namespace MailAppliance.Cli;

/// <summary>
/// The parsed command line: words (the verb path and its arguments) and options, which may stand anywhere
/// (<c>mailappliance --config f.json user add a@b --quota 1G</c>).
/// </summary>
public sealed class CommandLine
{
    // Options that take a value; all others are flags.
    // One per line, in order: branches that add options then rarely touch the same lines.
    private static readonly HashSet<string> ValueOptions =
    [
        "--algorithm",
        "--body-file",
        "--config",
        "--days",
        "--domain",
        "--every",
        "--folder",
        "--from",
        "--host",
        "--login",
        "--password-file",
        "--port",
        "--protocol",
        "--quota",
        "--selector",
        "--since",
        "--subject",
        "--to",
        "--until",
        "--user",
    ];

    private static readonly HashSet<string> FlagOptions =
    [
        "--admin",
        "--all",
        "--clear",
        "--dedupe",
        "--delete",
        "--dry-run",
        "--follow",
        "--help",
        "--json",
        "--keep",
        "--none",
        "--password-stdin",
        "--plain",
        "--remote",
        "--starttls",
        "--version",
        "-h",
    ];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandLine(List<string> words) => Words = words;

    public IReadOnlyList<string> Words { get; }

    public string? ConfigFile => Value("--config");

    public bool Json => Has("--json");

    public bool Help => Has("--help") || Has("-h");

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Value(string option) => _values.GetValueOrDefault(option);

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var words = new List<string>();
        var line = new CommandLine(words);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                words.AddRange(args.Skip(i + 1));
                break;
            }

            // A negative number (spam threshold tag -1.5) is a word, not an option.
            if (!arg.StartsWith('-') || arg == "-" || char.IsAsciiDigit(arg[1]) || arg[1] == '.')
            {
                words.Add(arg);
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? arg[..equals] : arg;
            if (ValueOptions.Contains(name))
            {
                string value;
                if (equals > 0)
                {
                    value = arg[(equals + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"{name} needs a value");
                }

                line._values[name] = value;
            }
            else if (FlagOptions.Contains(name) && equals < 0)
            {
                line._flags.Add(name);
            }
            else
            {
                throw new UsageException($"unknown option {arg}");
            }
        }

        return line;
    }
}

/// <summary>The command line cannot be understood; the message says how.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
