using Serilog.Core;
using Serilog.Events;

namespace MailAppliance.Logging;

/// <summary>
/// Adds <c>Component</c> to every event that does not set it: the project of the logger's category
/// (<c>MailAppliance.Smtp.Server.SmtpSession</c> → <c>Smtp</c>, <c>MailAppliance.Database.EmbeddedPostgres</c> →
/// <c>Database</c>; the rest of the host → <c>Host</c>).
/// </summary>
public sealed class ComponentEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (logEvent.Properties.ContainsKey("Component"))
        {
            return;
        }

        var component = "Host";
        if (logEvent.Properties.TryGetValue("SourceContext", out var value) && value is ScalarValue { Value: string context })
        {
            component = ComponentOf(context);
        }

        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("Component", component));
    }

    public static string ComponentOf(string sourceContext)
    {
        const string prefix = "MailAppliance.";
        if (!sourceContext.StartsWith(prefix, StringComparison.Ordinal))
        {
            return sourceContext.StartsWith("Npgsql", StringComparison.Ordinal) ? "Storage" : "Host";
        }

        var rest = sourceContext[prefix.Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        var first = dot < 0 ? rest : rest[..dot];
        return first switch
        {
            "Core" or "Mime" or "Storage" or "Pipeline" or "Smtp" or "Imap" or "Pop3" or "Database" or "Cli" => first,
            _ => "Host",
        };
    }
}
