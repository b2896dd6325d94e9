using Serilog.Events;
using Serilog.Parsing;
using Serilog.Formatting;
using Serilog.Formatting.Json;

namespace MailAppliance.Logging;

/// <summary>
/// One JSON object per line with every property at the top level, so operators can filter with
/// <c>jq 'select(.QueueId=="…")'</c>: <c>{"Timestamp":…,"Level":…,"Message":…,"Component":…,…,"Exception":…}</c>.
/// </summary>
public sealed class FlatJsonFormatter : ITextFormatter
{
    private static readonly HashSet<string> Reserved = ["Timestamp", "Level", "Message", "MessageTemplate", "Exception"];
    private readonly JsonValueFormatter _values = new(typeTagName: null);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        output.Write("{\"Timestamp\":\"");
        output.Write(logEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture));
        output.Write("\",\"Level\":\"");
        output.Write(logEvent.Level);
        output.Write("\",\"Message\":");
        JsonValueFormatter.WriteQuotedJsonString(RenderMessage(logEvent), output);
        output.Write(",\"MessageTemplate\":");
        JsonValueFormatter.WriteQuotedJsonString(logEvent.MessageTemplate.Text, output);
        foreach (var (name, value) in logEvent.Properties)
        {
            if (Reserved.Contains(name))
            {
                continue;
            }

            output.Write(',');
            JsonValueFormatter.WriteQuotedJsonString(name, output);
            output.Write(':');
            _values.Format(value, output);
        }

        if (logEvent.Exception is not null)
        {
            output.Write(",\"Exception\":");
            JsonValueFormatter.WriteQuotedJsonString(logEvent.Exception.ToString(), output);
        }

        output.Write('}');
        output.Write('\n');
    }

    /// <summary>The message with its values filled in, strings without the quotes Serilog's default rendering adds.</summary>
    public static string RenderMessage(LogEvent logEvent)
    {
        var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property && logEvent.Properties.TryGetValue(property.PropertyName, out var value)
                && value is ScalarValue { Value: string plain })
            {
                text.Write(plain);
            }
            else
            {
                token.Render(logEvent.Properties, text, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return text.ToString();
    }
}
