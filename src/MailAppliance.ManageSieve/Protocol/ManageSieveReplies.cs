using System.Text;

namespace MailAppliance.ManageSieve.Protocol;

/// <summary>Response codes of RFC 5804 §1.3, each named once.</summary>
public static class ManageSieveCodes
{
    public const string QuotaMaxScripts = "QUOTA/MAXSCRIPTS";
    public const string QuotaMaxSize = "QUOTA/MAXSIZE";
    public const string NonExistent = "NONEXISTENT";
    public const string Active = "ACTIVE";
    public const string AlreadyExists = "ALREADYEXISTS";
    public const string Warnings = "WARNINGS";
    public const string EncryptNeeded = "ENCRYPT-NEEDED";
    public const string AuthTooWeak = "AUTH-TOO-WEAK";
    public const string TryLater = "TRYLATER";
}

/// <summary>
/// Responses (RFC 5804 §1.2): <c>OK|NO|BYE [(code)] [string]</c>; a text with line breaks or over 1 KiB is sent as
/// a literal. The replies the server sends are all built here.
/// </summary>
public static class ManageSieveReplies
{
    public static byte[] Ok(string? text = null, string? code = null) => Response("OK", code, text);

    public static byte[] No(string text, string? code = null) => Response("NO", code, text);

    public static byte[] Bye(string text, string? code = null) => Response("BYE", code, text);

    public static byte[] Response(string kind, string? code, string? text)
    {
        var sb = new StringBuilder(kind);
        if (code is not null)
        {
            sb.Append(" (").Append(code).Append(')');
        }

        if (text is not null)
        {
            sb.Append(' ').Append(StringOrLiteral(text));
        }

        return Encoding.UTF8.GetBytes(sb.Append("\r\n").ToString());
    }

    /// <summary>RFC 5804 §4: string = quoted / literal.</summary>
    public static string StringOrLiteral(string text)
    {
        if (text.Length <= 1024 && text.IndexOfAny(['\r', '\n', '\0']) < 0)
        {
            return "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        }

        return "{" + Encoding.UTF8.GetByteCount(text) + "}\r\n" + text;
    }

    public static byte[] Line(string text) => Encoding.UTF8.GetBytes(text + "\r\n");

    public static byte[] TagOk(string tag) => Encoding.UTF8.GetBytes($"OK (TAG {StringOrLiteral(tag)}) \"Done\"\r\n");

    public static byte[] NotAuthenticated => No("Authenticate first");

    public static byte[] AlreadyAuthenticated => No("Already authenticated");

    public static byte[] UnknownCommand => No("Unknown command");

    public static byte[] BadArguments(string command) => No($"Wrong arguments for {command}");

    public static byte[] EncryptFirst => No("Use STARTTLS before authenticating", ManageSieveCodes.EncryptNeeded);

    public static byte[] AuthFailed => No("Authentication failed");

    public static byte[] AuthAborted => No("Authentication aborted");

    public static byte[] MechanismUnsupported => No("Unsupported SASL mechanism");

    public static byte[] TemporaryFailure => No("Temporary failure, try again later", ManageSieveCodes.TryLater);

    public static byte[] TooManyErrors => Bye("Too many errors");

    public static byte[] Timeout => Bye("Disconnected for inactivity");

    public static byte[] ShuttingDown => Bye("Server shutting down");

    public static byte[] TooManyConnections => Bye("Too many connections, try again later", ManageSieveCodes.TryLater);
}
