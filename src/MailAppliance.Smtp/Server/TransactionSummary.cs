using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Server;

/// <summary>
/// The one summary line of an SMTP transaction (INTERFACE.md "Logs"): <c>Outcome</c> (<c>Accepted</c>, <c>Refused</c>,
/// or <c>Ended</c> when RSET, EHLO, QUIT or a lost connection closed it without a message), <c>MailFrom</c>,
/// <c>Recipients</c> (those accepted), <c>Results</c> (every RCPT with its answer), <c>Reply</c>, and where they apply
/// <c>QueueId</c>, <c>User</c>, <c>Size</c>, <c>Score</c>, <c>Symbols</c>. A field that does not apply is left out
/// rather than written as a placeholder, so <c>jq 'select(.QueueId==…)'</c> and <c>select(.User==…)</c> see only real values.
/// </summary>
internal sealed record TransactionSummary(string Outcome, string MailFrom, IReadOnlyList<string> Recipients, IReadOnlyList<string> Results, string Reply)
{
    public string? QueueId { get; init; }

    public long? Size { get; init; }

    public string? Helo { get; init; }

    public string Tls { get; init; } = "none";

    public string? User { get; init; }

    public double? Score { get; init; }

    public IReadOnlyList<string> Symbols { get; init; } = [];

    public double Milliseconds { get; init; }

    public void Write(ILogger logger)
    {
        // A message template built from the fields that apply; the logging provider (Serilog) takes
        // "{OriginalFormat}" as the template and every other pair as a property of the event.
        var template = new StringBuilder();
        var values = new List<KeyValuePair<string, object?>>();
        void Add(string text, string name, object? value)
        {
            template.Append(text);
            values.Add(new(name, value));
        }

        Add("{Outcome}", "Outcome", Outcome);
        if (QueueId is not null)
        {
            Add(" {QueueId}", "QueueId", QueueId);
        }

        Add(" from {MailFrom}", "MailFrom", MailFrom);
        Add(" for {Recipients}", "Recipients", Recipients);
        if (Size is not null)
        {
            Add(" ({Size} octets)", "Size", Size);
        }

        Add(" helo={Helo}", "Helo", Helo ?? "");
        Add(" tls={Tls}", "Tls", Tls);
        if (User is not null)
        {
            Add(" user={User}", "User", User);
        }

        Add(" rcpt=[{Results}]", "Results", string.Join("; ", Results));
        if (Score is not null)
        {
            // One decimal, as X-Spam-Status writes it (a string, as this line has always carried it).
            Add(" score={Score}", "Score", Score.Value.ToString("0.0", CultureInfo.InvariantCulture));
            Add(" symbols=[{Symbols}]", "Symbols", string.Join(",", Symbols));
        }

        Add(" reply=\"{Reply}\"", "Reply", Reply);
        Add(" in {Milliseconds} ms", "Milliseconds", Math.Round(Milliseconds, 1));
        var text = template.ToString();
        values.Add(new("{OriginalFormat}", text));
        logger.Log(LogLevel.Information, default, new State(values, text), null, static (state, _) => state.Render());
    }

    /// <summary>The pairs the provider reads, and a plain rendering for providers that only take text.</summary>
    private sealed class State(List<KeyValuePair<string, object?>> values, string template) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => values.Count;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public string Render()
        {
            var text = template;
            foreach (var (name, value) in values)
            {
                var shown = value is IReadOnlyList<string> list ? string.Join(", ", list) : Convert.ToString(value, CultureInfo.InvariantCulture);
                text = text.Replace("{" + name + "}", shown, StringComparison.Ordinal);
            }

            return text;
        }

        public override string ToString() => Render();
    }
}
