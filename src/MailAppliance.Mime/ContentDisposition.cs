namespace MailAppliance.Mime;

/// <summary>A parsed Content-Disposition (RFC 2183): disposition type as written plus parameters.</summary>
public sealed class ContentDisposition(string disposition, ParameterList parameters)
{
    /// <summary>"inline", "attachment" or another token, case as written.</summary>
    public string Disposition { get; } = disposition;

    /// <summary>The parameters (filename, size, dates…), RFC 2231 resolved.</summary>
    public ParameterList Parameters { get; } = parameters;

    /// <summary>True for "attachment".</summary>
    public bool IsAttachment => Disposition.Equals("attachment", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a Content-Disposition value; null when it has no disposition token.</summary>
    public static ContentDisposition? Parse(string value)
    {
        var t = new HeaderTokenizer(value);
        t.SkipCfws();
        var type = t.ReadToken(TokenKind.Mime);
        if (type.Length == 0)
        {
            return null;
        }

        return new ContentDisposition(type, ParameterList.Parse(ref t));
    }

    /// <inheritdoc />
    public override string ToString() => Disposition;
}
