using System.Text;
using MailAppliance.Imap.Protocol;

namespace MailAppliance.Imap.Tests.Protocol;

/// <summary>Command arguments as the command parser makes them from a line.</summary>
internal static class ProtocolInput
{
    public static IReadOnlyList<ImapValue> Arguments(string command, string arguments)
    {
        var line = new TextSegment(Encoding.UTF8.GetBytes($"t {command} {arguments}"));
        Assert.True(ImapCommandParser.TryParse([line], [], out var parsed, out _, out var error), error);
        return parsed!.Arguments;
    }
}
