using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace MailAppliance.Web.Tests;

/// <summary>
/// <c>/metrics</c> parsed as the Prometheus text format (0.0.4) by a strict parser here, with INTERFACE.md's names,
/// and counters that rise with traffic; <c>/healthz</c> and <c>/readyz</c> without a login.
/// </summary>
public sealed partial class MetricsTests : IClassFixture<WebFixture>
{
    private readonly WebFixture _app;

    public MetricsTests(WebFixture app) => _app = app;

    /// <summary>One sample: name, labels, value.</summary>
    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>
    /// The exposition format: <c># HELP name text</c>, <c># TYPE name counter|gauge|histogram|summary|untyped</c>, and
    /// samples <c>name{label="value",...} number</c>; every sample's family has a TYPE line before it.
    /// </summary>
    private static (Dictionary<string, string> Types, List<Sample> Samples) Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Assert.Equal(2, parts.Length);
                Assert.Contains(parts[1], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                types[parts[0]] = parts[1];
                continue;
            }

            if (line.StartsWith('#'))
            {
                Assert.StartsWith("# HELP ", line, StringComparison.Ordinal);
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups[1].Value] = label.Groups[2].Value;
            }

            var name = match.Groups["name"].Value;
            var family = types.Keys.FirstOrDefault(t => name == t || name == t + "_bucket" || name == t + "_sum" || name == t + "_count");
            Assert.True(family is not null, $"sample {name} has no TYPE line before it");
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(name, labels, value));
        }

        return (types, samples);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\]|\\.)*"",?)*)\})? (?<value>[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+|Inf|NaN|\+Inf|-Inf))( \d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();

    private async Task<(Dictionary<string, string> Types, List<Sample> Samples)> ScrapeAsync()
    {
        using var response = await _app.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    private static double Value(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    [Fact]
    public async Task Metrics_have_the_interface_names_and_counters_rise_with_traffic()
    {
        var (types, before) = await ScrapeAsync();
        foreach (var (name, type) in new[]
        {
            ("mailappliance_smtp_connections_total", "counter"), ("mailappliance_smtp_messages_total", "counter"),
            ("mailappliance_deliveries_total", "counter"), ("mailappliance_queue_messages", "gauge"),
            ("mailappliance_queue_oldest_seconds", "gauge"), ("mailappliance_delivery_duration_seconds", "histogram"),
            ("mailappliance_imap_sessions", "gauge"), ("mailappliance_pop3_sessions", "gauge"),
            ("mailappliance_auth_failures_total", "counter"), ("mailappliance_spam_verdicts_total", "counter"),
        })
        {
            Assert.True(types.TryGetValue(name, out var actual) && actual == type, $"{name} should be a {type}");
        }

        var queueId = await _app.SendAsync("erin@example.net", "alice@example.test");
        await _app.RejectedRecipientAsync("erin@example.net", "ghost@example.test");
        await _app.MessagesAsync("alice");

        // The delivery is counted when its event is recorded, just after the file lands: wait for it.
        List<Sample> after;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            (_, after) = await ScrapeAsync();
        }
        while (Value(after, "mailappliance_deliveries_total", ("transport", "local"), ("result", "delivered")) <= Value(before, "mailappliance_deliveries_total", ("transport", "local"), ("result", "delivered"))
            && watch.Elapsed < TimeSpan.FromSeconds(10));

        Assert.True(Value(after, "mailappliance_smtp_connections_total", ("listener", "smtp-mx")) >= Value(before, "mailappliance_smtp_connections_total", ("listener", "smtp-mx")) + 2);
        Assert.True(Value(after, "mailappliance_smtp_messages_total", ("result", "accepted")) >= Value(before, "mailappliance_smtp_messages_total", ("result", "accepted")) + 1);
        Assert.True(Value(after, "mailappliance_smtp_messages_total", ("result", "rejected"), ("reason", "unknown_user")) >= Value(before, "mailappliance_smtp_messages_total", ("result", "rejected"), ("reason", "unknown_user")) + 1);
        Assert.True(Value(after, "mailappliance_deliveries_total", ("transport", "local"), ("result", "delivered")) >= Value(before, "mailappliance_deliveries_total", ("transport", "local"), ("result", "delivered")) + 1, queueId);
        Assert.True(Value(after, "mailappliance_delivery_duration_seconds_count") >= Value(before, "mailappliance_delivery_duration_seconds_count") + 1);
    }

    [Fact]
    public async Task A_failed_login_is_counted_by_protocol()
    {
        var (_, before) = await ScrapeAsync();
        using var request = _app.Request(HttpMethod.Get, "/api/reports", "alice@example.test", "wrong");
        using var response = await _app.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var (_, after) = await ScrapeAsync();
        Assert.Equal(Value(before, "mailappliance_auth_failures_total", ("protocol", "http")) + 1, Value(after, "mailappliance_auth_failures_total", ("protocol", "http")));
    }

    [Fact]
    public async Task Health_and_readiness_need_no_login()
    {
        var health = await _app.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.Status);
        var ready = await _app.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Contains("database: ok", ready.Body, StringComparison.Ordinal);
    }
}
