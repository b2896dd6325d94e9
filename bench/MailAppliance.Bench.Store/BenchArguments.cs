using System.Globalization;

namespace MailAppliance.Bench.Store;

/// <summary>How an option of a verb is written: with a text value, with a positive whole number, or alone.</summary>
internal enum OptionKind
{
    Text,
    Count,
    Flag,
}

/// <summary>
/// The <c>--name value</c> and <c>--flag</c> options of one verb, checked against what the verb accepts, so that the
/// getters below never fail: every count was parsed and every required option is present once parsing succeeded.
/// </summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _flags;

    private BenchArguments(Dictionary<string, string> values, HashSet<string> flags)
    {
        _values = values;
        _flags = flags;
    }

    public static bool TryParse(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, OptionKind> accepted, IReadOnlyCollection<string> required,
        out BenchArguments arguments, out string error)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        arguments = new BenchArguments(values, flags);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || !accepted.TryGetValue(name[2..], out var kind))
            {
                error = $"unknown option '{name}'";
                return false;
            }

            name = name[2..];
            if (kind == OptionKind.Flag)
            {
                flags.Add(name);
                continue;
            }

            if (i + 1 >= args.Count)
            {
                error = $"--{name} needs a value";
                return false;
            }

            var value = args[++i];
            if (kind == OptionKind.Count && !(long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 && count <= int.MaxValue))
            {
                error = $"--{name} needs a positive whole number, not '{value}'";
                return false;
            }

            values[name] = value;
        }

        foreach (var name in required)
        {
            if (!values.ContainsKey(name))
            {
                error = $"--{name} is required";
                return false;
            }
        }

        error = "";
        return true;
    }

    public string Text(string name) => _values[name];

    public string? OptionalText(string name) => _values.GetValueOrDefault(name);

    public int Count(string name) => int.Parse(_values[name], CultureInfo.InvariantCulture);

    public int Count(string name, int fallback) => _values.ContainsKey(name) ? Count(name) : fallback;

    public bool Flag(string name) => _flags.Contains(name);
}
