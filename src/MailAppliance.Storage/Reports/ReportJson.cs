using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailAppliance.Storage.Reports;

/// <summary>
/// Events as JSON, the same for <c>report --json</c> and <c>/api/reports</c>: camelCase keys, only the fields that apply,
/// kinds, stages and verdicts in lower case, times RFC 3339 in UTC.
/// </summary>
public static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static string Serialize(ReportEvent reportEvent) => JsonSerializer.Serialize(reportEvent, Options);

    public static string Serialize(IEnumerable<ReportEvent> events) => JsonSerializer.Serialize(events, Options);

    public static ReportEvent? Deserialize(string json) => JsonSerializer.Deserialize<ReportEvent>(json, Options);

    /// <summary>The form used in JSON and in tables: <c>2026-12-05T12:00:00.250Z</c>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new UtcTimeConverter() },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(FormatTime(value));
    }
}
