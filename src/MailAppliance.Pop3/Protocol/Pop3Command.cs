namespace MailAppliance.Pop3.Protocol;

/// <summary>
/// One parsed command line. <see cref="Arguments"/> are the space-separated words after the keyword, except for PASS,
/// whose single argument is the rest of the line (RFC 1939 §7 allows spaces in passwords).
/// </summary>
public sealed record Pop3Command(Pop3Verb Verb, IReadOnlyList<string> Arguments);
