namespace MailAppliance.Mime;

/// <summary>An entry of an address list (RFC 5322 §3.4): a mailbox or a group.</summary>
public abstract record Address;

/// <summary>
/// A mailbox. Strings are as written (quotes and quoted-pairs resolved, encoded-words kept: IMAP ENVELOPE shows
/// them so); <see cref="DecodedDisplayName"/> is for display and search. Missing parts are null.
/// </summary>
/// <param name="DisplayName">Display name (phrase, or the trailing comment when there is none), or null.</param>
/// <param name="Route">Obsolete source route (RFC 5322 §4.4 obs-route) without the final colon, e.g. "@a,@b".</param>
/// <param name="LocalPart">Local part, or null when missing.</param>
/// <param name="Domain">Domain, or null when missing.</param>
public sealed record MailboxAddress(string? DisplayName, string? Route, string? LocalPart, string? Domain) : Address
{
    /// <summary>The display name with RFC 2047 encoded-words decoded, or null.</summary>
    public string? DecodedDisplayName => DisplayName is null ? null : EncodedWords.DecodeUnstructured(DisplayName);

    /// <summary>local@domain (or what of it exists).</summary>
    public string AddrSpec => Domain is null ? LocalPart ?? string.Empty : (LocalPart ?? string.Empty) + "@" + Domain;

    /// <inheritdoc />
    public override string ToString() => DisplayName is null ? AddrSpec : $"{DecodedDisplayName} <{AddrSpec}>";
}

/// <summary>A group (RFC 5322 §3.4): a display name and its (possibly empty) list of mailboxes.</summary>
/// <param name="Name">The group name as written.</param>
/// <param name="Members">Its mailboxes.</param>
public sealed record GroupAddress(string Name, IReadOnlyList<MailboxAddress> Members) : Address
{
    /// <summary>The group name with encoded-words decoded.</summary>
    public string DecodedName => EncodedWords.DecodeUnstructured(Name);
}
