using System.Globalization;
using System.Text;
using MailAppliance.Core.Addresses;

namespace MailAppliance.Smtp.Protocol;

/// <summary>The outcome of parsing one command line: a command, or the reply that refuses it.</summary>
public readonly record struct SmtpParseResult(SmtpCommand? Command, SmtpReply? Error)
{
    public static SmtpParseResult Ok(SmtpCommand command) => new(command, null);

    public static SmtpParseResult Fail(SmtpReply reply) => new(null, reply);
}

/// <summary>
/// Parses one SMTP command line (without its CRLF; framing and the length limit are the line reader's job).
/// Knows nothing about sockets or session state. Strict where it matters (paths, sizes, parameters), tolerant where
/// it is harmless (case of verbs, a space after <c>FROM:</c>, a path without angle brackets).
/// </summary>
public static class SmtpCommandParser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static SmtpParseResult Parse(ReadOnlySpan<byte> line)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(line);
        }
        catch (DecoderFallbackException)
        {
            return SmtpParseResult.Fail(SmtpReplies.SyntaxError);
        }

        if (text.Contains('\0', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal) || text.Contains('\n', StringComparison.Ordinal))
        {
            return SmtpParseResult.Fail(SmtpReplies.SyntaxError);
        }

        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? text : text[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : text[(space + 1)..].Trim(' ');
        return verb switch
        {
            "EHLO" => Greeting(argument, d => new SmtpCommand.Ehlo(d)),
            "HELO" => Greeting(argument, d => new SmtpCommand.Helo(d)),
            "MAIL" => Mail(argument),
            "RCPT" => Rcpt(argument),
            "DATA" => NoArgument(argument, new SmtpCommand.Data()),
            "BDAT" => Bdat(argument),
            "RSET" => NoArgument(argument, new SmtpCommand.Rset()),
            "NOOP" => SmtpParseResult.Ok(new SmtpCommand.Noop()), // RFC 5321 §4.1.1.9: a parameter may be given and is ignored
            "QUIT" => NoArgument(argument, new SmtpCommand.Quit()),
            "VRFY" => argument.Length == 0 ? SmtpParseResult.Fail(SmtpReplies.SyntaxError) : SmtpParseResult.Ok(new SmtpCommand.Vrfy(argument)),
            "EXPN" => argument.Length == 0 ? SmtpParseResult.Fail(SmtpReplies.SyntaxError) : SmtpParseResult.Ok(new SmtpCommand.Expn(argument)),
            "HELP" => SmtpParseResult.Ok(new SmtpCommand.Help(argument.Length == 0 ? null : argument)),
            "STARTTLS" => NoArgument(argument, new SmtpCommand.StartTls()),
            "AUTH" => Auth(argument),
            _ => SmtpParseResult.Fail(SmtpReplies.CommandUnrecognized),
        };
    }

    private static SmtpParseResult Greeting(string argument, Func<string, SmtpCommand> make)
    {
        // RFC 5321 §4.1.1.1: a domain or an address literal. We take what the client says (it is only logged and
        // written into Received:), but it must be one printable word.
        var domain = argument.Split(' ', 2)[0];
        return domain.Length == 0 || domain.Length > 255 || domain.Any(c => c < 33 || c == 127)
            ? SmtpParseResult.Fail(SmtpReplies.SyntaxError.WithText("EHLO/HELO needs a domain or address literal"))
            : SmtpParseResult.Ok(make(domain));
    }

    private static SmtpParseResult NoArgument(string argument, SmtpCommand command) =>
        argument.Length == 0 ? SmtpParseResult.Ok(command) : SmtpParseResult.Fail(SmtpReplies.SyntaxError);

    private static SmtpParseResult Mail(string argument)
    {
        if (!TryPrefix(argument, "FROM:", out var rest))
        {
            return SmtpParseResult.Fail(SmtpReplies.SyntaxError.WithText("Syntax: MAIL FROM:<address> [parameters]"));
        }

        if (!TrySplitPath(rest, out var path, out var parameters))
        {
            return SmtpParseResult.Fail(SmtpReplies.BadSenderSyntax);
        }

        ReversePath from;
        if (path.Length == 0)
        {
            from = ReversePath.Null;
        }
        else if (TryPath(path, out var address, out var hasRoute, out var literal) && literal is null && address is not null)
        {
            from = new ReversePath(address);
            _ = hasRoute; // a route in the reverse-path is ignored (RFC 5321 §4.1.1.2)
        }
        else
        {
            return SmtpParseResult.Fail(SmtpReplies.BadSenderSyntax);
        }

        var result = MailParameters.None;
        foreach (var (key, value) in parameters)
        {
            switch (key)
            {
                case "SIZE" when value is not null && value.Length <= 20 && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size):
                    result = result with { Size = size };
                    break;
                case "BODY" when value is not null && value.ToUpperInvariant() is "7BIT" or "8BITMIME" or "BINARYMIME":
                    result = result with { Body = value.ToUpperInvariant() };
                    break;
                case "SMTPUTF8" when value is null:
                    result = result with { SmtpUtf8 = true };
                    break;
                case "AUTH" when value is not null:
                    result = result with { Auth = value };
                    break;
                case "RET" when value is not null && value.ToUpperInvariant() is "FULL" or "HDRS":
                    result = result with { Ret = value.ToUpperInvariant() };
                    break;
                case "ENVID" when value is not null && value.Length <= 100:
                    result = result with { EnvelopeId = value };
                    break;
                case "REQUIRETLS" when value is null:
                    result = result with { RequireTls = true }; // RFC 8689 §2: a keyword without a value
                    break;
                default:
                    return SmtpParseResult.Fail(SmtpReplies.ParametersNotRecognized);
            }
        }

        return SmtpParseResult.Ok(new SmtpCommand.Mail(from, result));
    }

    private static SmtpParseResult Rcpt(string argument)
    {
        if (!TryPrefix(argument, "TO:", out var rest) || !TrySplitPath(rest, out var path, out var parameters) || path.Length == 0)
        {
            return SmtpParseResult.Fail(SmtpReplies.SyntaxError.WithText("Syntax: RCPT TO:<address> [parameters]"));
        }

        ForwardPath to;
        if (path.Equals("postmaster", StringComparison.OrdinalIgnoreCase))
        {
            to = new ForwardPath(null, HasSourceRoute: false, IsPostmaster: true);
        }
        else if (TryPath(path, out var address, out var hasRoute, out var literal))
        {
            to = new ForwardPath(address, hasRoute, IsPostmaster: false) { AddressLiteral = literal };
        }
        else
        {
            return SmtpParseResult.Fail(SmtpReplies.BadAddressSyntax);
        }

        var accepted = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters)
        {
            // RFC 3461 DSN parameters are understood (and kept); anything else is refused.
            if (key is not ("NOTIFY" or "ORCPT") || value is null)
            {
                return SmtpParseResult.Fail(SmtpReplies.ParametersNotRecognized);
            }

            var valid = key == "NOTIFY" ? NotifyValue(value) : IsOriginalRecipient(value) ? value : null;
            if (valid is null)
            {
                return SmtpParseResult.Fail(SmtpReplies.SyntaxError.WithText($"Invalid {key} parameter"));
            }

            accepted[key] = valid;
        }

        return SmtpParseResult.Ok(new SmtpCommand.Rcpt(to, accepted));
    }

    /// <summary>
    /// RFC 3461 §4.1: <c>NOTIFY=NEVER</c>, or a comma list of SUCCESS, FAILURE and DELAY (each once); upper-cased.
    /// </summary>
    private static string? NotifyValue(string value)
    {
        var words = value.ToUpperInvariant().Split(',');
        if (words is ["NEVER"])
        {
            return "NEVER";
        }

        return words.Length is >= 1 and <= 3 && words.All(w => w is "SUCCESS" or "FAILURE" or "DELAY") && words.Distinct().Count() == words.Length
            ? string.Join(',', words)
            : null;
    }

    /// <summary>RFC 3461 §4.2: <c>ORCPT=addr-type;xtext</c>, kept as given (at most 500 characters, printable ASCII).</summary>
    private static bool IsOriginalRecipient(string value)
    {
        var semicolon = value.IndexOf(';', StringComparison.Ordinal);
        if (value.Length > 500 || semicolon <= 0 || semicolon == value.Length - 1 || !value[..semicolon].All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            return false;
        }

        // xtext: "!".."~" except "+" and "=", or "+" and two upper-case hex digits.
        var text = value.AsSpan(semicolon + 1);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigitUpper(text[i + 1]) && !char.IsAsciiDigit(text[i + 1])
                    || !char.IsAsciiHexDigitUpper(text[i + 2]) && !char.IsAsciiDigit(text[i + 2]))
                {
                    return false;
                }

                i += 2;
            }
            else if (c is < '!' or > '~' or '=')
            {
                return false;
            }
        }

        return true;
    }

    private static SmtpParseResult Bdat(string argument)
    {
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is < 1 or > 2 || words[0].Length > 18 || !long.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || (words.Length == 2 && !words[1].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
        {
            return SmtpParseResult.Fail(SmtpReplies.SyntaxError.WithText("Syntax: BDAT size [LAST]"));
        }

        return SmtpParseResult.Ok(new SmtpCommand.Bdat(size, words.Length == 2));
    }

    private static SmtpParseResult Auth(string argument)
    {
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is < 1 or > 2 || words[0].Length > 20)
        {
            return SmtpParseResult.Fail(SmtpReplies.SyntaxError.WithText("Syntax: AUTH mechanism [initial-response]"));
        }

        return SmtpParseResult.Ok(new SmtpCommand.Auth(words[0].ToUpperInvariant(), words.Length == 2 ? words[1] : null));
    }

    private static bool TryPrefix(string argument, string prefix, out string rest)
    {
        rest = "";
        if (!argument.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        rest = argument[prefix.Length..].TrimStart(' '); // "MAIL FROM: <a@b>" is common and harmless
        return true;
    }

    /// <summary>Splits <c>&lt;path&gt; KEY=VALUE ...</c>; a path without brackets is taken up to the first space.</summary>
    private static bool TrySplitPath(string text, out string path, out List<(string Key, string? Value)> parameters)
    {
        parameters = [];
        string remainder;
        if (text.StartsWith('<'))
        {
            var close = FindClosingBracket(text);
            if (close < 0)
            {
                path = "";
                return false;
            }

            path = text[1..close];
            remainder = text[(close + 1)..];
            if (remainder.Length > 0 && remainder[0] != ' ')
            {
                return false;
            }
        }
        else
        {
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            path = space < 0 ? text : text[..space];
            remainder = space < 0 ? "" : text[space..];
            if (path.Length == 0 || path.Contains('<', StringComparison.Ordinal) || path.Contains('>', StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var word in remainder.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? word : word[..equals]).ToUpperInvariant();
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }

            parameters.Add((key, equals < 0 ? null : word[(equals + 1)..]));
        }

        return true;
    }

    /// <summary>The '&gt;' that closes the path, skipping quoted strings (a quoted local part may contain '&gt;').</summary>
    private static int FindClosingBracket(string text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '>' when !quoted:
                    return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// RFC 5321 §4.1.2: Path = "&lt;" [ A-d-l ":" ] Mailbox "&gt;". The source route is recognised and dropped (but
    /// reported); an address literal domain is reported as such.
    /// </summary>
    private static bool TryPath(string path, out MailAddress? address, out bool hasSourceRoute, out string? addressLiteral)
    {
        address = null;
        addressLiteral = null;
        hasSourceRoute = false;
        if (path.StartsWith('@'))
        {
            var colon = path.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !path[..colon].Split(',').All(hop => hop.StartsWith('@') && DomainName.TryParse(hop[1..], out _, out _)))
            {
                return false;
            }

            hasSourceRoute = true;
            path = path[(colon + 1)..];
        }

        var at = path.LastIndexOf('@');
        if (at > 0 && path[(at + 1)..] is { Length: > 2 } literal && literal.StartsWith('[') && literal.EndsWith(']'))
        {
            addressLiteral = literal;
            return MailAddress.TryParse(path[..at] + "@literal.invalid", out _, out _);
        }

        return MailAddress.TryParse(path, out address, out _);
    }
}
