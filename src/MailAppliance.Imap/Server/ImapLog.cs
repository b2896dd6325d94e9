using Microsoft.Extensions.Logging;

namespace MailAppliance.Imap.Server;

internal static partial class ImapLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "APPEND could not store the message")]
    public static partial void LogAppendFailed(this ILogger logger, Exception exception);
}
