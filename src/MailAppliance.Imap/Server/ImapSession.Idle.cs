using MailAppliance.Storage.Database;
using MailAppliance.Core.Net;
using MailAppliance.Imap.Protocol;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Imap.Server;

/// <summary>IDLE (RFC 2177, RFC 9051 §6.3.13).</summary>
public sealed partial class ImapSession
{
    /// <summary>Changes are pushed as they happen (PostgreSQL NOTIFY) until the client says DONE: the selected mailbox's, and those NOTIFY asked for.</summary>
    private async Task IdleAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        await SyncSelectedAsync(allowExpunge: true, force: false, cancellationToken);
        _out.Raw("+ idling").Crlf();
        await _out.FlushAsync(cancellationToken);
        // The DONE line is read without flushing: meanwhile this loop writes and flushes the untagged updates.
        var read = _connection.ReadCommandLineAsync(_lines, _options.IdleTimeout, cancellationToken, flushBeforeWait: false);
        while (true)
        {
            var waits = new List<Task> { read };
            if (_state is ImapSessionState.Selected selected)
            {
                waits.Add(selected.Mailbox.Watch.WaitAsync());
            }

            waits.AddRange(NotifyWaits());
            var done = await Task.WhenAny(waits);
            if (done == read)
            {
                break;
            }

            try
            {
                await SyncSelectedAsync(allowExpunge: true, force: false, cancellationToken);
                await _out.FlushAsync(cancellationToken);
            }
            catch (Exception e) when (StorageFailures.IsDatabase(e))
            {
                // The database is away: keep idling (the pending read must not be abandoned) and look again soon.
                _logger.LogIdleUpdateFailed(e);
                await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
            }
        }

        var (status, line) = await read;
        switch (status)
        {
            case CommandLineStatus.Line when System.Text.Encoding.ASCII.GetString(line).Trim().Equals("DONE", StringComparison.OrdinalIgnoreCase):
                await OkAsync(command, "IDLE terminated");
                break;
            case CommandLineStatus.TimedOut:
                _out.Raw("* BYE Autologout; idle for too long").Crlf();
                _state = new ImapSessionState.Logout();
                break;
            case CommandLineStatus.Closed:
                _state = new ImapSessionState.Logout();
                break;
            default:
                await BadAsync(command.Tag, "Expected DONE");
                break;
        }
    }
}
