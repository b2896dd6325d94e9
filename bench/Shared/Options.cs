using System.Globalization;

namespace MailAppliance.Bench;

/// <summary>The <c>--name value</c> pairs after a verb; a name without a value is a switch. Shared by the load tools (linked into each).</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public Options(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            var name = args[i][2..];
            var value = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
            _values[name] = value;
        }
    }

    public string Text(string name, string fallback) => _values.TryGetValue(name, out var v) ? v : fallback;

    public string Required(string name) =>
        _values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public bool Switch(string name) => _values.ContainsKey(name);

    public long Size(string name, long fallback) => _values.TryGetValue(name, out var v) ? ParseSize(v) : fallback;

    /// <summary>Bytes, with an optional K / M / G suffix (binary multiples).</summary>
    public static long ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        long unit = 1;
        if (t.EndsWith("KIB", StringComparison.Ordinal) || t.EndsWith("MIB", StringComparison.Ordinal) || t.EndsWith("GIB", StringComparison.Ordinal))
        {
            t = t[..^2];
        }

        if (t.EndsWith('K')) { unit = 1024; t = t[..^1]; }
        else if (t.EndsWith('M')) { unit = 1024 * 1024; t = t[..^1]; }
        else if (t.EndsWith('G')) { unit = 1024L * 1024 * 1024; t = t[..^1]; }

        return long.Parse(t, CultureInfo.InvariantCulture) * unit;
    }
}
