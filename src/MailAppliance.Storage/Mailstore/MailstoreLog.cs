using Microsoft.Extensions.Logging;

namespace MailAppliance.Storage.Mailstore;

internal static partial class MailstoreLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record a UID in the uidlist of {Folder}: {Reason}; reconstruct will")]
    public static partial void LogWarningUidList(this ILogger logger, string folder, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message file {Path} could not be read")]
    public static partial void LogMessageUnreadable(this ILogger logger, Exception exception, string path);
}
