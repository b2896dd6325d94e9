using System.Text.Json;
using MailAppliance.Configuration;
using MailAppliance.Logging;
using Microsoft.Extensions.Logging;
using Serilog.Events;

namespace MailAppliance.Tests.Logging;

public class LogFormatTests
{
    [Theory]
    [InlineData("MailAppliance.Smtp.Server.SmtpSession", "Smtp")]
    [InlineData("MailAppliance.Storage.Accounts.AccountDirectory", "Storage")]
    [InlineData("MailAppliance.Database.EmbeddedPostgres", "Database")]
    [InlineData("MailAppliance.Hosting.ServeCommand", "Host")]
    [InlineData("MailAppliance.Host", "Host")]
    [InlineData("Npgsql.Connection", "Storage")]
    [InlineData("Microsoft.Hosting.Lifetime", "Host")]
    public void Component_comes_from_the_logger_category(string category, string component)
    {
        Assert.Equal(component, ComponentEnricher.ComponentOf(category));
    }

    [Fact]
    public void Events_are_flat_json_lines_that_jq_can_select_by_queue_id()
    {
        var sink = new StringWriter();
        using (var logger = LoggingSetup.CreateLogger(new LoggingOptions(LogEventLevel.Information, null), forAdminVerb: false, sink))
        using (var factory = LoggingSetup.CreateFactory(logger))
        {
            var log = factory.CreateLogger("MailAppliance.Smtp.Queue.DeliveryWorker");
            using (log.BeginScope(new Dictionary<string, object> { ["QueueId"] = "4Xq2abc", ["SessionId"] = "s1" }))
            {
                log.LogInformation("Delivered to {Recipient} in {Milliseconds} ms", "alice@example.test", 12);
            }

            log.LogError(new InvalidOperationException("disk on fire"), "Delivery failed");
            log.LogDebug("not written at Information");
        }

        var lines = sink.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var e = first.RootElement;
        Assert.Equal("Information", e.GetProperty("Level").GetString());
        Assert.Equal("Delivered to alice@example.test in 12 ms", e.GetProperty("Message").GetString());
        Assert.Equal("4Xq2abc", e.GetProperty("QueueId").GetString());
        Assert.Equal("s1", e.GetProperty("SessionId").GetString());
        Assert.Equal("Smtp", e.GetProperty("Component").GetString());
        Assert.Equal(12, e.GetProperty("Milliseconds").GetInt32());
        Assert.True(DateTimeOffset.TryParse(e.GetProperty("Timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));

        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal("Error", second.RootElement.GetProperty("Level").GetString());
        Assert.Contains("disk on fire", second.RootElement.GetProperty("Exception").GetString(), StringComparison.Ordinal);
    }
}
