using System.Globalization;
using System.Text.RegularExpressions;

namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>A rules file that cannot be used; <see cref="Exception.Message"/> names the file and line.</summary>
public sealed class RulesException : Exception
{
    public RulesException(string message)
        : base(message)
    {
    }

    public RulesException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RulesException()
    {
    }
}

/// <summary>
/// Reads rules in a subset of SpamAssassin's format, so an admin's knowledge carries over:
/// <code>
/// header   NAME Field =~ /regex/flags [if-unset: TEXT]     (also !~, Field:addr, Field:name, Field:raw, ALL, ToCc, EnvelopeFrom)
/// header   NAME exists:Field
/// header   NAME eval:function(args)                        (body NAME eval:... likewise)
/// body     NAME /regex/flags
/// rawbody  NAME /regex/flags
/// uri      NAME /regex/flags
/// meta     NAME expression over rule names
/// score    NAME number
/// describe NAME text
/// </code>
/// Regexes are .NET regexes (Perl-compatible for what rules use), delimited by <c>/…/</c> or <c>m{…}</c>-style
/// pairs, flags <c>i m s x</c>. <c>tflags</c>, <c>priority</c>, <c>lang</c>, <c>ifplugin</c>/<c>if</c>/<c>else</c>/<c>endif</c>
/// lines are accepted and ignored. Anything else is an error naming its line; every regex runs with a time-out.
/// </summary>
public static class RuleParser
{
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(200);

    private static readonly HashSet<string> Ignored = new(StringComparer.OrdinalIgnoreCase)
    {
        "tflags", "priority", "lang", "ifplugin", "if", "else", "endif", "test", "reuse", "require_version",
    };

    /// <summary>The rules, scores and descriptions of one file, not yet combined or checked across files.</summary>
    public sealed record Parsed(List<Rule> Rules, Dictionary<string, double> Scores, Dictionary<string, string> Descriptions);

    public static Parsed Parse(string text, string source, IReadOnlySet<string> evalFunctions)
    {
        var parsed = new Parsed([], new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = StripComment(rawLine.TrimEnd('\r')).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var (directive, rest) = Word(line);
            if (Ignored.Contains(directive))
            {
                continue;
            }

            string Fail(string message) => throw new RulesException($"{source}:{lineNumber}: {message}: {rawLine.Trim()}");

            var (name, definition) = Word(rest);
            if (name.Length == 0)
            {
                Fail($"'{directive}' needs a rule name");
            }

            if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                Fail($"'{name}' is not a rule name (letters, digits and _)");
            }

            switch (directive.ToLowerInvariant())
            {
                case "score":
                    var first = definition.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                    if (first is null || !double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) || !double.IsFinite(score))
                    {
                        Fail("score needs a number");
                    }
                    else
                    {
                        parsed.Scores[name] = score;
                    }

                    break;
                case "describe":
                    parsed.Descriptions[name] = definition;
                    break;
                case "header":
                    parsed.Rules.Add(HeaderRule(name, definition, lineNumber, source, evalFunctions, Fail));
                    break;
                case "body":
                case "rawbody":
                case "uri":
                    var kind = directive.ToLowerInvariant() switch { "body" => RuleKind.Body, "rawbody" => RuleKind.RawBody, _ => RuleKind.Uri };
                    if (definition.StartsWith("eval:", StringComparison.Ordinal))
                    {
                        parsed.Rules.Add(new Rule(name, kind, lineNumber, source) { Eval = Eval(definition, evalFunctions, Fail) });
                    }
                    else
                    {
                        var (pattern, tail) = Pattern(definition, Fail);
                        if (tail.Length > 0)
                        {
                            Fail($"unexpected '{tail}' after the pattern");
                        }

                        parsed.Rules.Add(new Rule(name, kind, lineNumber, source) { Pattern = pattern });
                    }

                    break;
                case "meta":
                    if (!MetaExpression.TryParse(definition, out var expression, out var error))
                    {
                        Fail(error);
                    }

                    parsed.Rules.Add(new Rule(name, RuleKind.Meta, lineNumber, source) { Meta = expression });
                    break;
                default:
                    Fail($"unknown directive '{directive}'");
                    break;
            }
        }

        return parsed;
    }

    /// <summary>
    /// The built-in set with the admin's rules over it; meta rules ordered after what they read. A meta cycle is an
    /// error naming the rule's line.
    /// </summary>
    public static RuleSet Combine(params Parsed[] files)
    {
        var rules = new Dictionary<string, Rule>(StringComparer.Ordinal);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var descriptions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var rule in file.Rules)
            {
                rules.Remove(rule.Name); // a later definition replaces the earlier one, in the later one's place
                rules[rule.Name] = rule;
            }

            foreach (var (k, v) in file.Scores)
            {
                scores[k] = v;
            }

            foreach (var (k, v) in file.Descriptions)
            {
                descriptions[k] = v;
            }
        }

        var ordered = rules.Values.Where(r => r.Kind != RuleKind.Meta).ToList();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        void Visit(Rule meta)
        {
            if (state.TryGetValue(meta.Name, out var s))
            {
                if (s == 1)
                {
                    throw new RulesException($"{meta.Source}:{meta.Line}: meta rule {meta.Name} depends on itself");
                }

                return;
            }

            state[meta.Name] = 1;
            foreach (var name in meta.Meta!.Names)
            {
                if (rules.TryGetValue(name, out var used) && used.Kind == RuleKind.Meta)
                {
                    Visit(used);
                }
            }

            state[meta.Name] = 2;
            ordered.Add(meta);
        }

        foreach (var meta in rules.Values.Where(r => r.Kind == RuleKind.Meta))
        {
            Visit(meta);
        }

        return new RuleSet(ordered, scores, descriptions);
    }

    private static Rule HeaderRule(string name, string definition, int line, string source, IReadOnlySet<string> evalFunctions, Func<string, string> fail)
    {
        if (definition.StartsWith("eval:", StringComparison.Ordinal))
        {
            return new Rule(name, RuleKind.Header, line, source) { Eval = Eval(definition, evalFunctions, fail) };
        }

        if (definition.StartsWith("exists:", StringComparison.Ordinal))
        {
            var field = definition["exists:".Length..].Trim();
            if (field.Length == 0 || field.Any(c => c <= ' ' || c == ':'))
            {
                fail("exists: needs one header field name");
            }

            return new Rule(name, RuleKind.Header, line, source) { Header = field, Exists = true };
        }

        var (target, rest) = Word(definition);
        var form = HeaderForm.Decoded;
        var colon = target.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            form = target[(colon + 1)..].ToLowerInvariant() switch
            {
                "addr" => HeaderForm.Address,
                "name" => HeaderForm.DisplayName,
                "raw" => HeaderForm.Raw,
                var other => throw new RulesException(fail($"unknown header modifier ':{other}'")),
            };
            target = target[..colon];
        }

        bool negated;
        if (rest.StartsWith("=~", StringComparison.Ordinal))
        {
            negated = false;
        }
        else if (rest.StartsWith("!~", StringComparison.Ordinal))
        {
            negated = true;
        }
        else
        {
            fail("a header rule needs '=~' or '!~' and a pattern, exists:Field or eval:");
            negated = false;
        }

        var (pattern, tail) = Pattern(rest[2..].TrimStart(), fail);
        string? ifUnset = null;
        if (tail.Length > 0)
        {
            const string IfUnset = "[if-unset:";
            if (tail.StartsWith(IfUnset, StringComparison.OrdinalIgnoreCase) && tail.EndsWith(']'))
            {
                ifUnset = tail[IfUnset.Length..^1].Trim();
            }
            else
            {
                fail($"unexpected '{tail}' after the pattern");
            }
        }

        return new Rule(name, RuleKind.Header, line, source) { Header = target, HeaderForm = form, Pattern = pattern, Negated = negated, IfUnset = ifUnset };
    }

    private static EvalCall Eval(string definition, IReadOnlySet<string> evalFunctions, Func<string, string> fail)
    {
        var call = definition["eval:".Length..].Trim();
        var open = call.IndexOf('(', StringComparison.Ordinal);
        if (open <= 0 || !call.EndsWith(')'))
        {
            fail("eval: needs function(arguments)");
        }

        var function = call[..open].Trim();
        if (!evalFunctions.Contains(function))
        {
            fail($"unknown eval function '{function}' (known: {string.Join(", ", evalFunctions.Order(StringComparer.Ordinal))})");
        }

        var arguments = call[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(a => a.Trim('\'', '"')).ToList();
        return new EvalCall(function, arguments);
    }

    /// <summary>A delimited regex at the start of <paramref name="text"/> and what follows it.</summary>
    private static (Regex Pattern, string Tail) Pattern(string text, Func<string, string> fail)
    {
        var i = 0;
        char open;
        if (text.StartsWith('/'))
        {
            open = '/';
        }
        else if (text.Length > 1 && text[0] == 'm' && !char.IsAsciiLetterOrDigit(text[1]) && !char.IsWhiteSpace(text[1]))
        {
            open = text[1];
            i = 1;
        }
        else
        {
            throw new RulesException(fail("a pattern must be written /regex/ or m{regex}"));
        }

        var close = open switch { '{' => '}', '(' => ')', '[' => ']', '<' => '>', _ => open };
        var start = i + 1;
        var depth = 0;
        var end = -1;
        for (var j = start; j < text.Length; j++)
        {
            if (text[j] == '\\')
            {
                j++;
                continue;
            }

            if (close != open && text[j] == open)
            {
                depth++;
            }
            else if (text[j] == close)
            {
                if (depth == 0)
                {
                    end = j;
                    break;
                }

                depth--;
            }
        }

        if (end < 0)
        {
            throw new RulesException(fail($"the pattern has no closing '{close}'"));
        }

        var body = text[start..end];
        if (open == '/')
        {
            body = body.Replace("\\/", "/", StringComparison.Ordinal);
        }

        var flagsEnd = end + 1;
        var options = RegexOptions.CultureInvariant | RegexOptions.Compiled;
        while (flagsEnd < text.Length && char.IsAsciiLetter(text[flagsEnd]))
        {
            options |= text[flagsEnd] switch
            {
                'i' => RegexOptions.IgnoreCase,
                'm' => RegexOptions.Multiline,
                's' => RegexOptions.Singleline,
                'x' => RegexOptions.IgnorePatternWhitespace,
                'g' or 'o' => RegexOptions.None,
                var f => throw new RulesException(fail($"unknown regex flag '{f}'")),
            };
            flagsEnd++;
        }

        try
        {
            return (new Regex(body, options, RegexTimeout), text[flagsEnd..].Trim());
        }
        catch (ArgumentException e)
        {
            throw new RulesException(fail($"bad regex: {e.Message}"));
        }
    }

    private static (string Word, string Tail) Word(string text)
    {
        text = text.TrimStart();
        var space = text.IndexOfAny([' ', '\t']);
        return space < 0 ? (text, "") : (text[..space], text[(space + 1)..].Trim());
    }

    // '#' starts a comment unless escaped (\#), as in SpamAssassin's configuration.
    private static string StripComment(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '#' && (i == 0 || line[i - 1] != '\\'))
            {
                return line[..i];
            }
        }

        return line;
    }
}
