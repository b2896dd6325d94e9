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
    public void Each_event_reaches_the_output_in_one_write_however_long()
    {
        // As serve's standard output is set up when it is not a terminal: a buffered writer, flushed per event.
        var output = new WriteCountingStream();
        var writer = new StreamWriter(output, new System.Text.UTF8Encoding(false), 64 * 1024);
        using (var logger = LoggingSetup.CreateLogger(new LoggingOptions(LogEventLevel.Information, null), forAdminVerb: false, writer))
        using (var factory = LoggingSetup.CreateFactory(logger))
        {
            var log = factory.CreateLogger("MailAppliance.Smtp.Server.SmtpSession");
            log.LogInformation("Accepted {Symbols} for {Recipient}", new string('x', 3000), "alice@example.test");
            Assert.Equal(1, output.Writes);
            log.LogInformation("Delivered to {Recipient}", "bob@example.test");
            Assert.Equal(2, output.Writes);
        }

        var lines = System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("bob@example.test", JsonDocument.Parse(lines[1]).RootElement.GetProperty("Recipient").GetString());
    }

    private sealed class WriteCountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            base.Write(buffer, offset, count);
        }

        // A derived MemoryStream's span write goes through the array write above: counted there.
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
