using System.Text;
using System.Text.RegularExpressions;
using MailAppliance.Mime;

namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>
/// Runs a <see cref="RuleSet"/> over one message: first every header, body, rawbody and URI rule (each regex bounded
/// by <see cref="RuleParser.RegexTimeout"/>; a rule that times out or fails is <c>NAME_TEMPERROR</c>, scoring 0), then
/// the meta rules over those hits and over the symbols the other checks made.
/// </summary>
public static class RuleEngine
{
    /// <summary>Which non-meta rules hit (sub-rules included), and which could not be run.</summary>
    public static (HashSet<string> Hits, List<string> Failed) RunTests(RuleSet rules, ScanContext context)
    {
        var hits = new HashSet<string>(StringComparer.Ordinal);
        var failed = new List<string>();
        var body = context.Content.Subject + "\n" + context.Content.BodyText;
        foreach (var rule in rules.Rules)
        {
            if (rule.Kind == RuleKind.Meta)
            {
                continue;
            }

            try
            {
                if (Test(rule, context, body))
                {
                    hits.Add(rule.Name);
                }
            }
            catch (RegexMatchTimeoutException)
            {
                failed.Add(rule.Name);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IndexOutOfRangeException)
            {
                failed.Add(rule.Name);
            }
        }

        return (hits, failed);
    }

    /// <summary>Adds the meta rules that hit, given every symbol known so far (rules and checks alike).</summary>
    public static void RunMetas(RuleSet rules, HashSet<string> symbols)
    {
        foreach (var rule in rules.Rules)
        {
            if (rule.Kind == RuleKind.Meta && rule.Meta!.Evaluate(name => symbols.Contains(name) ? 1 : 0) != 0)
            {
                symbols.Add(rule.Name);
            }
        }
    }

    private static bool Test(Rule rule, ScanContext context, string body)
    {
        if (rule.Eval is { } eval)
        {
            return BuiltInEvals.Run(eval, context);
        }

        switch (rule.Kind)
        {
            case RuleKind.Header:
                if (rule.Exists)
                {
                    return context.Content.Structure.Root.GetHeader(rule.Header!) is not null;
                }

                var value = HeaderValue(rule, context);
                return rule.Pattern!.IsMatch(value) != rule.Negated;
            case RuleKind.Body:
                return rule.Pattern!.IsMatch(body);
            case RuleKind.RawBody:
                return rule.Pattern!.IsMatch(context.Content.RawBodyText);
            case RuleKind.Uri:
                foreach (var uri in context.Content.Uris)
                {
                    if (rule.Pattern!.IsMatch(uri))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static string HeaderValue(Rule rule, ScanContext context)
    {
        var root = context.Content.Structure.Root;
        var name = rule.Header!;
        if (name == "ALL")
        {
            var all = new StringBuilder();
            foreach (var field in root.Headers)
            {
                all.Append(field.Name).Append(": ").Append(rule.HeaderForm == HeaderForm.Raw ? field.Value : field.DecodedValue).Append('\n');
            }

            return all.ToString();
        }

        if (name == "EnvelopeFrom")
        {
            return context.Envelope.MailFrom;
        }

        IEnumerable<HeaderField> fields = name == "ToCc"
            ? root.Headers.Where(h => h.Name.Equals("To", StringComparison.OrdinalIgnoreCase) || h.Name.Equals("Cc", StringComparison.OrdinalIgnoreCase))
            : root.GetHeaders(name);
        var values = new List<string>();
        foreach (var field in fields)
        {
            switch (rule.HeaderForm)
            {
                case HeaderForm.Raw:
                    values.Add(field.Value);
                    break;
                case HeaderForm.Address:
                    values.AddRange(AddressParser.ParseMailboxes(field.Value).Select(m => m.AddrSpec));
                    break;
                case HeaderForm.DisplayName:
                    values.AddRange(AddressParser.ParseMailboxes(field.Value).Select(m => m.DecodedDisplayName ?? ""));
                    break;
                default:
                    values.Add(field.DecodedValue);
                    break;
            }
        }

        return values.Count == 0 ? rule.IfUnset ?? "" : string.Join('\n', values);
    }
}
