namespace MailAppliance.Mime;

/// <summary>
/// One Content-Type / Content-Disposition parameter after RFC 2231 reassembly: the decoded value plus the charset and
/// language when the parameter was written in RFC 2231 extended form.
/// </summary>
/// <param name="Name">Parameter name, lower-cased (RFC 2045 §5.1: names are case-insensitive).</param>
/// <param name="Value">Value with quoting removed, continuations joined and %-escapes decoded with the charset.</param>
/// <param name="Charset">RFC 2231 §4 charset, or null.</param>
/// <param name="Language">RFC 2231 §4 language, or null.</param>
public sealed record MimeParameter(string Name, string Value, string? Charset = null, string? Language = null);
