using Microsoft.Extensions.Logging;

namespace MailAppliance.Imap.Server;

internal static partial class ImapLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "APPEND could not store the message")]
    public static partial void LogAppendFailed(this ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IDLE could not read the mailbox's changes; trying again")]
    public static partial void LogIdleUpdateFailed(this ILogger logger, Exception exception);
}
