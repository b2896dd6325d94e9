using System.Globalization;

namespace MailAppliance.Pipeline.Scoring;

/// <summary>A symbol that hit, with the score it added (0 for those that only inform, such as X_TEMPERROR).</summary>
public sealed record SpamSymbol(string Name, double Score);

/// <summary>What to do with the message for one recipient.</summary>
public enum SpamVerdict
{
    Ham,

    /// <summary>At or over the tag threshold: X-Spam-Flag: YES, delivered into Junk.</summary>
    Spam,

    /// <summary>At or over the reject threshold: refuse at the end of DATA (when every recipient agrees).</summary>
    Reject,
}

/// <summary>The outcome of scoring for one recipient: their classifier, lists and thresholds applied.</summary>
public sealed record RecipientScan(
    string? User,
    double Score,
    double TagThreshold,
    double RejectThreshold,
    double? DiscardForwardThreshold,
    SpamVerdict Verdict,
    bool Partial,
    IReadOnlyList<SpamSymbol> Symbols)
{
    /// <summary>Score at or over the tag threshold (the unrounded score).</summary>
    public bool IsSpam => Score >= TagThreshold;

    /// <summary>The headers to add, in order: X-Spam-Flag (spam only), X-Spam-Score, X-Spam-Status.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers
    {
        get
        {
            var headers = new List<KeyValuePair<string, string>>(3);
            if (IsSpam)
            {
                headers.Add(new("X-Spam-Flag", "YES"));
            }

            headers.Add(new("X-Spam-Score", OneDecimal(Score)));
            var tests = Symbols.Count == 0 ? "none" : string.Join(',', Symbols.Select(s => s.Name).Order(StringComparer.Ordinal));
            headers.Add(new("X-Spam-Status", $"{(IsSpam ? "Yes" : "No")}, score={OneDecimal(Score)} required={OneDecimal(TagThreshold)} tests={tests}"));
            return headers;
        }
    }

    /// <summary>Whether a forward to a destination with <paramref name="destinationThreshold"/> should be discarded (the user's own discard-forward threshold wins when set).</summary>
    public bool DiscardForward(double destinationThreshold) => Score >= (DiscardForwardThreshold is { } own ? Math.Min(own, destinationThreshold) : destinationThreshold);

    internal static string OneDecimal(double value)
    {
        var text = Math.Round(value, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture);
        return text == "-0.0" ? "0.0" : text;
    }
}

/// <summary>The outcome of scoring one message: per recipient, and what holds for the message as a whole.</summary>
public sealed record MessageScan(
    IReadOnlyList<RecipientScan> Recipients,
    bool Partial,
    string? Virus)
{
    public bool IsVirus => Virus is not null;

    /// <summary>Reject at the end of DATA: a virus, or every recipient's policy says reject (otherwise accept and junk per recipient).</summary>
    public bool RejectAll => IsVirus || (Recipients.Count > 0 && Recipients.All(r => r.Verdict == SpamVerdict.Reject));
}
