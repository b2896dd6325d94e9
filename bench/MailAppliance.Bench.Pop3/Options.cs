using System.Globalization;

namespace MailAppliance.Bench.Pop3;

/// <summary>The <c>--name value</c> pairs after the verb; a name without a value is a switch.</summary>
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

            var hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            _values[args[i][2..]] = hasValue ? args[++i] : "true";
        }
    }

    public string Text(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public string Required(string name) =>
        _values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public bool Switch(string name) => _values.ContainsKey(name);

    /// <summary>Bytes with an optional K or M suffix (binary multiples).</summary>
    public long Size(string name, long fallback)
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        var t = text.Trim().ToUpperInvariant();
        var unit = t.EndsWith('K') ? 1024L : t.EndsWith('M') ? 1024L * 1024 : 1L;
        return long.Parse(unit == 1 ? t : t[..^1], CultureInfo.InvariantCulture) * unit;
    }
}
