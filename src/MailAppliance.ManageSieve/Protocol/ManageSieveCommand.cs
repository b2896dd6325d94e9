namespace MailAppliance.ManageSieve.Protocol;

/// <summary>One parsed command (RFC 5804 §2): its name upper-cased, and its arguments (strings as bytes, since a
/// script's literal is kept byte for byte; atoms and numbers as their text's bytes).</summary>
public sealed record ManageSieveCommand(string Name, IReadOnlyList<byte[]> Arguments)
{
    public string Text(int index) => System.Text.Encoding.UTF8.GetString(Arguments[index]);
}

public enum ManageSieveParseStatus
{
    Complete,
    NeedMoreData,
    Invalid,
}
