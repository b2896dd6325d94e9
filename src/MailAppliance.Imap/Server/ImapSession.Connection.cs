using System.Text;
using MailAppliance.Core.Net;
using MailAppliance.Core.Sasl;
using MailAppliance.Imap.Protocol;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Imap.Server;

/// <summary>Commands of any state and of the not-authenticated state (RFC 9051 §6.1, §6.2), and ENABLE and ID.</summary>
public sealed partial class ImapSession
{
    private Task CapabilityAsync(ImapCommand command)
    {
        _out.Raw("* CAPABILITY ").Raw(Capabilities()).Crlf();
        return OkAsync(command, "CAPABILITY completed");
    }

    /// <summary>NOOP and CHECK: a poll for changes (RFC 9051 §6.1.2).</summary>
    private async Task NoopAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        await SyncSelectedAsync(allowExpunge: true, force: true, cancellationToken);
        _errors = 0;
        Tagged(command.Tag, "OK", command.Name + " completed");
    }

    private Task LogoutAsync(ImapCommand command)
    {
        _out.Raw("* BYE Logging out").Crlf();
        Tagged(command.Tag, "OK", "LOGOUT completed");
        if (_state is ImapSessionState.Selected selected)
        {
            selected.Mailbox.Dispose();
        }

        _state = new ImapSessionState.Logout();
        return Task.CompletedTask;
    }

    /// <summary>RFC 2971 ID: we tell our name; what the client says goes to the log.</summary>
    private Task IdAsync(ImapCommand command)
    {
        if (command.Arguments.Count != 1 || !(command.Arguments[0] is ImapList || (command.Arguments[0] is ImapAtom nil && nil.Is("NIL"))))
        {
            return BadAsync(command.Tag, "ID takes a list or NIL");
        }

        if (command.Arguments[0] is ImapList list)
        {
            var fields = new StringBuilder();
            for (var i = 0; i + 1 < list.Items.Count && i < 60; i += 2)
            {
                fields.Append(list.Items[i].AsText()).Append('=').Append(list.Items[i + 1].AsText()).Append("; ");
            }

            _logger.LogInformation("Client ID: {ClientId}", fields.ToString());
        }

        _out.Raw("* ID (\"name\" \"MailAppliance\" \"vendor\" \"MailAppliance\")").Crlf();
        return OkAsync(command, "ID completed");
    }

    /// <summary>RFC 5161 ENABLE: CONDSTORE and QRESYNC (RFC 7162), UTF8=ACCEPT (RFC 6855), IMAP4rev2 (RFC 9051).</summary>
    private Task EnableAsync(ImapCommand command)
    {
        if (command.Arguments.Count == 0)
        {
            return BadAsync(command.Tag, "ENABLE needs capabilities");
        }

        var enabled = new List<string>();
        foreach (var argument in command.Arguments)
        {
            switch (argument.AsText()?.ToUpperInvariant())
            {
                case "CONDSTORE" when !enabled.Contains("CONDSTORE"):
                    _modes.CondStore = true;
                    enabled.Add("CONDSTORE");
                    break;
                case "QRESYNC" when !enabled.Contains("QRESYNC"):
                    // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
                    _modes.QResync = true;
                    _modes.CondStore = true;
                    enabled.Add("QRESYNC");
                    break;
                case "UTF8=ACCEPT" when !enabled.Contains("UTF8=ACCEPT"):
                    _modes.Utf8 = true;
                    _out.Utf8 = true;
                    enabled.Add("UTF8=ACCEPT");
                    break;
                case "IMAP4REV2" when !enabled.Contains("IMAP4rev2"):
                    _modes.Rev2 = true;
                    enabled.Add("IMAP4rev2");
                    break;
            }
        }

        _out.Raw("* ENABLED").Raw(enabled.Count > 0 ? " " + string.Join(' ', enabled) : "").Crlf();
        return OkAsync(command, "ENABLE completed");
    }

    /// <summary>RFC 9051 §6.2.1: the TLS negotiation starts right after our OK; anything pipelined before it is dropped.</summary>
    private async Task StartTlsAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (_connection.IsTls || _compressed)
        {
            // RFC 4978 §4: TLS goes below compression, so not after it.
            await BadAsync(command.Tag, _compressed ? "STARTTLS is not possible after COMPRESS" : "TLS is already active");
            return;
        }

        Tagged(command.Tag, "OK", "Begin TLS negotiation now");
        await _out.FlushAsync(cancellationToken);
        await _connection.UpgradeToTlsAsync(_services.Tls.CreateServerOptions(), cancellationToken);
        _lines.Reset();
        // The connection writes through a new pipe once TLS is up.
        _out = new ImapResponseWriter(_connection.Output) { Utf8 = _modes.Utf8 };
    }

    private async Task LoginAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count != 2 || command.Arguments[0].AsText() is not { } user || command.Arguments[1].AsText() is not { } password)
        {
            await BadAsync(command.Tag, "LOGIN takes a user name and a password");
            return;
        }

        if (!AuthOffered)
        {
            // RFC 9051 §6.2.3 LOGINDISABLED; RFC 5530 PRIVACYREQUIRED.
            await NoAsync(command.Tag, ImapReplies.PrivacyRequired);
            return;
        }

        await CompleteLoginAsync(command.Tag, new SaslCredentials(null, user, password), cancellationToken);
    }

    /// <summary>RFC 9051 §6.2.2 with RFC 4959 SASL-IR; PLAIN (RFC 4616) and LOGIN.</summary>
    private async Task AuthenticateAsync(ImapCommand command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Count is < 1 or > 2 || command.Arguments[0].AsText() is not { } mechanism)
        {
            await BadAsync(command.Tag, "AUTHENTICATE takes a mechanism");
            return;
        }

        if (!AuthOffered)
        {
            await NoAsync(command.Tag, ImapReplies.PrivacyRequired);
            return;
        }

        var exchange = SaslExchange.Create(mechanism);
        if (exchange is null)
        {
            await NoAsync(command.Tag, ImapReplies.UnsupportedMechanism);
            return;
        }

        var step = exchange.Start(command.Arguments.Count > 1 ? command.Arguments[1].AsText() : null);
        while (step.Kind == SaslStepKind.Challenge)
        {
            _out.Raw("+ ").Raw(step.Challenge ?? "").Crlf();
            var (status, line) = await _connection.ReadCommandLineAsync(_lines, CurrentTimeout, cancellationToken);
            if (status != CommandLineStatus.Line)
            {
                _state = status == CommandLineStatus.TooLong ? _state : new ImapSessionState.Logout();
                await BadAsync(command.Tag, "Authentication aborted");
                return;
            }

            step = exchange.Respond(Encoding.UTF8.GetString(line));
        }

        if (step.Kind == SaslStepKind.Failed || step.Credentials is null)
        {
            await BadAsync(command.Tag, step.Error == SaslError.Cancelled ? "Authentication cancelled" : "Invalid authentication exchange");
            return;
        }

        await CompleteLoginAsync(command.Tag, step.Credentials, cancellationToken);
    }

    private async Task CompleteLoginAsync(string tag, SaslCredentials credentials, CancellationToken cancellationToken)
    {
        var result = await _services.Authenticator.LoginAsync(_connection.RemoteEndPoint.Address, credentials, _services.Throttle, _services.Time, cancellationToken);
        if (result.Status == AuthenticationStatus.Unavailable)
        {
            _logger.LogWarning(result.Error, "Authentication unavailable");
            await NoAsync(tag, ImapReplies.AuthenticationUnavailable);
            return;
        }

        if (result.Status != AuthenticationStatus.Succeeded)
        {
            _logger.LogWarning("Authentication failed for {User}", credentials.AuthenticationId);
            await NoAsync(tag, ImapReplies.AuthenticationFailed);
            return;
        }

        var user = new MailUser(result.UserId, result.Address!);
        await _services.Store.EnsureUserAsync(user, cancellationToken);
        _state = new ImapSessionState.Authenticated(user);
        _logger.LogInformation("IMAP login {User}", user.Address);
        Tagged(tag, "OK", "[" + ImapCodes.Capability + " " + Capabilities() + "] Logged in");
    }
}
