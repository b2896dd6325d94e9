using System.Text.RegularExpressions;
using MailAppliance.Core.Addresses;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>Per-command checks beyond the signature: comparators, match types, header names, date parts.</summary>
public sealed partial class SieveCompiler
{
    // RFC 5228 §5.1: the address test applies to headers that hold addresses. Pigeonhole's list.
    private static readonly HashSet<string> AddressHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "from", "sender", "to", "cc", "bcc", "reply-to", "resent-from", "resent-sender", "resent-to", "resent-cc",
        "resent-bcc", "resent-reply-to", "return-path", "errors-to", "disposition-notification-to", "delivered-to",
        "envelope-to", "x-original-to", "original-recipient", "x-envelope-to", "mail-followup-to", "mail-reply-to",
    };

    private static readonly HashSet<string> Relations = new(StringComparer.OrdinalIgnoreCase) { "gt", "ge", "lt", "le", "eq", "ne" };

    private void Validate(SieveNode node)
    {
        ResolveMatch(node);
        if (node.Spec.Tags.Any(t => t.Group == "addresspart"))
        {
            node.AddressPart = node.Has("localpart") ? SieveAddressPart.LocalPart
                : node.Has("domain") ? SieveAddressPart.Domain
                : node.Has("user") ? SieveAddressPart.User
                : node.Has("detail") ? SieveAddressPart.Detail
                : SieveAddressPart.All;
        }

        if (node.Positional.Count != node.Spec.Positional.Count)
        {
            return;
        }

        switch (node.Name)
        {
            case "address":
                foreach (var header in Constants(node.StringsAt(0)))
                {
                    if (!AddressHeaders.Contains(header))
                    {
                        Error(node.Position, $"specified header '{header}' is not allowed for the address test");
                    }
                }

                break;
            case "envelope":
                foreach (var part in Constants(node.StringsAt(0)))
                {
                    if (!part.Equals("from", StringComparison.OrdinalIgnoreCase) && !part.Equals("to", StringComparison.OrdinalIgnoreCase))
                    {
                        Error(node.Position, $"specified envelope part '{part}' is not supported by the envelope test");
                    }
                }

                break;
            case "size":
                if (!node.Has("over") && !node.Has("under"))
                {
                    Error(node.Position, "the size test requires either the :under or the :over tag");
                }

                break;
            case "date":
            case "currentdate":
                var part0 = node.StringAt(node.Name == "date" ? 1 : 0);
                if (!part0.HasVariables && !SieveDates.IsDatePart(part0.Text))
                {
                    Error(node.Position, $"the {node.Name} test: invalid date part '{part0.Text}'");
                }

                if (node.TagString("zone") is { HasVariables: false } zone && !SieveDates.TryParseZone(zone.Text, out _))
                {
                    Warning(node.Position, $"the {node.Name} test: invalid :zone argument '{zone.Text}'");
                }

                break;
            case "redirect":
                if (node.StringAt(0) is { HasVariables: false } target && !MailAddress.TryParse(target.Text, out _, out _))
                {
                    Error(node.Position, $"specified redirect address '{target.Text}' is invalid");
                }

                break;
            case "fileinto":
                if (node.StringAt(0) is { HasVariables: false } folder && folder.Text.Length == 0)
                {
                    Error(node.Position, "the fileinto command: the folder name is empty");
                }

                break;
            case "set":
                if (node.StringAt(0) is { HasVariables: false } variable && !SieveStrings.IsVariableName(variable.Text, allowNumbered: false))
                {
                    Error(node.Position, $"invalid variable name '{variable.Text}'");
                }

                break;
            case "global":
                foreach (var name in Constants(node.StringsAt(0)))
                {
                    if (!SieveStrings.IsVariableName(name, allowNumbered: false))
                    {
                        Error(node.Position, $"invalid variable name '{name}'");
                    }
                }

                break;
            case "include":
                if (node.StringAt(0) is { HasVariables: false } script && (script.Text.Length == 0 || script.Text.Contains('/', StringComparison.Ordinal)))
                {
                    Error(node.Position, $"include: invalid script name '{script.Text}'");
                }

                break;
            case "vacation":
                if (node.TagString("from") is { HasVariables: false } from && !SieveVacation.TryParseFrom(from.Text, out _))
                {
                    Error(node.Position, $"specified :from address '{from.Text}' is invalid for vacation action");
                }

                break;
            case "addheader":
            case "deleteheader":
                if (node.StringAt(0) is { HasVariables: false } field && !SieveHeaders.IsFieldName(field.Text))
                {
                    Error(node.Position, $"{node.Name} command: specified field name '{field.Text}' is invalid");
                }

                break;
        }
    }

    private static IEnumerable<string> Constants(IReadOnlyList<SieveString> strings) => strings.Where(s => !s.HasVariables).Select(s => s.Text);

    private void ResolveMatch(SieveNode node)
    {
        if (!node.Spec.Tags.Any(t => t.Group == "match"))
        {
            return;
        }

        var type = node.Has("contains") ? SieveMatchType.Contains
            : node.Has("matches") ? SieveMatchType.Matches
            : node.Has("regex") ? SieveMatchType.Regex
            : node.Has("value") ? SieveMatchType.Value
            : node.Has("count") ? SieveMatchType.Count
            : SieveMatchType.Is;
        string? relation = null;
        if (type is SieveMatchType.Value or SieveMatchType.Count)
        {
            var r = node.TagString(type == SieveMatchType.Value ? "value" : "count");
            relation = r?.Text.ToLowerInvariant();
            if (r is null || !Relations.Contains(r.Text))
            {
                Error(node.Position, $"invalid relational match \"{r?.Text}\" (expected gt, ge, lt, le, eq or ne)");
            }
        }

        // RFC 5228 §2.7.3: i;octet and i;ascii-casemap always; others must be required (RFC 4790 names).
        var comparator = node.TagString("comparator")?.Text ?? (node.Name is "spamtest" or "virustest" ? "i;ascii-numeric" : "i;ascii-casemap");
        var known = comparator is "i;octet" or "i;ascii-casemap"
            || (comparator == "i;ascii-numeric" && (Requires("comparator-i;ascii-numeric") || node.TagString("comparator") is null));
        if (!known)
        {
            Error(node.Position, $"unknown comparator '{comparator}'.");
        }

        // RFC 4790 §9.1.1: i;ascii-numeric offers equality and ordering only, not substring matching.
        if (comparator == "i;ascii-numeric" && type is SieveMatchType.Contains or SieveMatchType.Matches or SieveMatchType.Regex)
        {
            Error(node.Position, $"the comparator '{comparator}' does not support the :{type.ToString().ToLowerInvariant()} match type");
        }

        if (type == SieveMatchType.Regex && node.Positional.Count > 0)
        {
            foreach (var pattern in Constants((IReadOnlyList<SieveString>)node.Positional[^1]))
            {
                try
                {
                    _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException e)
                {
                    Error(node.Position, $"invalid regular expression '{pattern}' for regex match: {e.Message}");
                }
            }
        }

        node.Match = new SieveMatchSpec(type, comparator, relation);
    }
}
