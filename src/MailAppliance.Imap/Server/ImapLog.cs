using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Imap.Server;

internal static partial class ImapLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "APPEND could not store the message")]
    public static partial void LogAppendFailed(this ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IDLE could not read the mailbox's changes; trying again")]
    public static partial void LogIdleUpdateFailed(this ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Command} refused by the store ({Error})")]
    public static partial void LogMailstoreRefusal(this ILogger logger, Exception exception, string command, MailstoreError error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Command} failed: database or disk unavailable")]
    public static partial void LogCommandUnavailable(this ILogger logger, Exception exception, string command);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Command} failed")]
    public static partial void LogCommandFailed(this ILogger logger, Exception exception, string command);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Command} failed in the middle of a response; the session ends")]
    public static partial void LogResponseCut(this ILogger logger, Exception exception, string command);
}
