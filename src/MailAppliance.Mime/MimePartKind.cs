namespace MailAppliance.Mime;

/// <summary>How a part's body is interpreted.</summary>
public enum MimePartKind
{
    /// <summary>A leaf: the body is content (text, image, application…).</summary>
    Leaf = 0,

    /// <summary>A multipart: the body holds <see cref="MessagePart.Children"/>.</summary>
    Multipart = 1,

    /// <summary>message/rfc822 or message/global: the body is <see cref="MessagePart.Message"/>.</summary>
    Message = 2,
}
