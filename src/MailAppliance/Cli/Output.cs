using System.Text.Json;

namespace MailAppliance.Cli;

/// <summary>What a verb prints: aligned tables for people, JSON (one document) for scripts with <c>--json</c>.</summary>
public sealed class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly TextWriter _writer;

    public Output(TextWriter writer, bool json)
    {
        _writer = writer;
        Json = json;
    }

    public bool Json { get; }

    public void Table<T>(IReadOnlyList<T> rows, string[] headers, Func<T, string[]> cells)
    {
        if (Json)
        {
            _writer.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
            return;
        }

        var table = rows.Select(cells).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, table.Count == 0 ? 0 : table.Max(r => r[i].Length))).ToArray();
        _writer.WriteLine(FormatRow(headers, widths));
        foreach (var row in table)
        {
            _writer.WriteLine(FormatRow(row, widths));
        }
    }

    public void Line(string text) => _writer.WriteLine(text);

    /// <summary>Bytes exactly as given: straight to stdout when that is where we write, else as UTF-8 text.</summary>
    public void Raw(byte[] bytes)
    {
        if (ReferenceEquals(_writer, Console.Out))
        {
            _writer.Flush();
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(bytes);
            return;
        }

        _writer.Write(System.Text.Encoding.UTF8.GetString(bytes));
    }
    /// <summary>Any value as one JSON document (for listings whose rows are not a table).</summary>
    public void Document<T>(T value) => _writer.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>The result of a change: one human line, or a small JSON object.</summary>
    public void Done(string message, object result)
    {
        _writer.WriteLine(Json ? JsonSerializer.Serialize(result, JsonOptions) : message);
    }

    private static string FormatRow(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
