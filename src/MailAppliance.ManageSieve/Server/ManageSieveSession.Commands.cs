using System.Globalization;
using System.Text;
using MailAppliance.Core.Sasl;
using MailAppliance.ManageSieve.Protocol;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Sieve;
using Microsoft.Extensions.Logging;

namespace MailAppliance.ManageSieve.Server;

/// <summary>The command handlers, one per command, and the table that dispatches to them (RFC 5804 §2).</summary>
public sealed partial class ManageSieveSession
{
    private sealed record Route(bool NeedsAuth, int MinArgs, int MaxArgs, Func<ManageSieveSession, ManageSieveCommand, CancellationToken, Task> Handler);

    private static readonly Dictionary<string, Route> Routes = new(StringComparer.Ordinal)
    {
        ["CAPABILITY"] = new(false, 0, 0, (s, _, _) => s.CapabilityAsync()),
        ["STARTTLS"] = new(false, 0, 0, (s, _, ct) => s.StartTlsAsync(ct)),
        ["AUTHENTICATE"] = new(false, 1, 2, (s, c, ct) => s.AuthenticateAsync(c, ct)),
        ["LOGOUT"] = new(false, 0, 0, (s, _, _) => s.LogoutAsync()),
        ["NOOP"] = new(false, 0, 1, (s, c, _) => s.NoopAsync(c)),
        ["UNAUTHENTICATE"] = new(true, 0, 0, (s, _, _) => s.UnauthenticateAsync()),
        ["HAVESPACE"] = new(true, 2, 2, (s, c, _) => s.HaveSpaceAsync(c)),
        ["PUTSCRIPT"] = new(true, 2, 2, (s, c, ct) => s.PutScriptAsync(c, ct)),
        ["CHECKSCRIPT"] = new(true, 1, 1, (s, c, _) => s.CheckScriptAsync(c)),
        ["LISTSCRIPTS"] = new(true, 0, 0, (s, _, ct) => s.ListScriptsAsync(ct)),
        ["SETACTIVE"] = new(true, 1, 1, (s, c, ct) => s.SetActiveAsync(c, ct)),
        ["GETSCRIPT"] = new(true, 1, 1, (s, c, _) => s.GetScriptAsync(c)),
        ["DELETESCRIPT"] = new(true, 1, 1, (s, c, ct) => s.DeleteScriptAsync(c, ct)),
        ["RENAMESCRIPT"] = new(true, 2, 2, (s, c, ct) => s.RenameScriptAsync(c, ct)),
    };

    private ManageSieveSessionState.Authenticated User => (ManageSieveSessionState.Authenticated)_state;

    /// <summary>RFC 5804 §2.4.</summary>
    private async Task CapabilityAsync()
    {
        WriteCapabilities();
        await ReplyAsync(ManageSieveReplies.Ok("Capability completed."));
    }

    /// <summary>RFC 5804 §2.2: after the handshake the server sends its capabilities again, unasked.</summary>
    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        if (_connection.IsTls)
        {
            await ErrorAsync(ManageSieveReplies.No("TLS is already active"));
            return;
        }

        await ReplyAsync(ManageSieveReplies.Ok("Begin TLS negotiation now."));
        await _connection.Output.FlushAsync(cancellationToken);
        await _connection.UpgradeToTlsAsync(_services.Tls.CreateServerOptions(), cancellationToken);
        _state = new ManageSieveSessionState.NotAuthenticated();
        WriteCapabilities();
        await ReplyAsync(ManageSieveReplies.Ok("TLS negotiation successful."));
    }

    /// <summary>RFC 5804 §2.1: AUTHENTICATE mechanism [initial-response]; challenges and responses as strings.</summary>
    private async Task AuthenticateAsync(ManageSieveCommand command, CancellationToken cancellationToken)
    {
        if (_state is ManageSieveSessionState.Authenticated)
        {
            await ErrorAsync(ManageSieveReplies.AlreadyAuthenticated);
            return;
        }

        if (!AuthOffered)
        {
            await ErrorAsync(ManageSieveReplies.EncryptFirst);
            return;
        }

        var exchange = SaslExchange.Create(command.Text(0));
        if (exchange is null)
        {
            await ErrorAsync(ManageSieveReplies.MechanismUnsupported);
            return;
        }

        var step = exchange.Start(command.Arguments.Count > 1 ? command.Text(1) : null);
        while (step.Kind == SaslStepKind.Challenge)
        {
            Write(ManageSieveReplies.Line(ManageSieveReplies.StringOrLiteral(step.Challenge ?? string.Empty)));
            var (status, response, _) = await ReadCommandAsync(cancellationToken);
            if (status is ReadStatus.Closed or ReadStatus.TimedOut)
            {
                _closing = true;
                return;
            }

            // RFC 5804 §2.1: the client cancels with "*" (a quoted or bare star).
            if (status == ReadStatus.Invalid || response is null || response.Name == "*" || response.Arguments.Count != 1 || response.Name.Length != 0 || response.Text(0) == "*")
            {
                await ErrorAsync(ManageSieveReplies.AuthAborted);
                return;
            }

            step = exchange.Respond(response.Text(0));
        }

        if (step.Kind == SaslStepKind.Failed || step.Credentials is null)
        {
            await ErrorAsync(step.Error == SaslError.Cancelled ? ManageSieveReplies.AuthAborted : ManageSieveReplies.AuthFailed);
            return;
        }

        var result = await _services.Authenticator.LoginAsync(_connection.RemoteEndPoint.Address, step.Credentials, _services.Throttle, _services.Time, cancellationToken);
        if (result.Status == AuthenticationStatus.Unavailable)
        {
            _logger.LogWarning(result.Error, "Authentication unavailable");
            await ReplyAsync(ManageSieveReplies.TemporaryFailure);
            return;
        }

        if (result.Status != AuthenticationStatus.Succeeded)
        {
            _logger.LogWarning("Authentication failed for {User}", step.Credentials.AuthenticationId);
            await ErrorAsync(ManageSieveReplies.AuthFailed);
            return;
        }

        _state = new ManageSieveSessionState.Authenticated(result.UserId, result.Address!);
        _logger.LogInformation("ManageSieve login {User}", result.Address);
        await ReplyAsync(ManageSieveReplies.Ok("Logged in."));
    }

    private async Task LogoutAsync()
    {
        await ReplyAsync(ManageSieveReplies.Ok("Logout completed."));
        _closing = true;
    }

    /// <summary>RFC 5804 §2.13: NOOP [tag] echoes the tag in a TAG response code.</summary>
    private async Task NoopAsync(ManageSieveCommand command) =>
        await ReplyAsync(command.Arguments.Count == 1 ? ManageSieveReplies.TagOk(command.Text(0)) : ManageSieveReplies.Ok("Done"));

    /// <summary>RFC 5804 §2.14.</summary>
    private async Task UnauthenticateAsync()
    {
        _state = new ManageSieveSessionState.NotAuthenticated();
        await ReplyAsync(ManageSieveReplies.Ok("Unauthenticate completed."));
    }

    /// <summary>RFC 5804 §2.5.</summary>
    private async Task HaveSpaceAsync(ManageSieveCommand command)
    {
        if (!long.TryParse(command.Text(1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            await ErrorAsync(ManageSieveReplies.BadArguments("HAVESPACE"));
            return;
        }

        var outcome = _services.Scripts.HaveSpace(User.Address, command.Text(0), size);
        await ReplyAsync(outcome.Succeeded ? ManageSieveReplies.Ok("Putscript would succeed.") : Refusal(outcome));
    }

    /// <summary>RFC 5804 §2.6: a script that does not compile is refused with its errors (line numbers).</summary>
    private async Task PutScriptAsync(ManageSieveCommand command, CancellationToken cancellationToken)
    {
        var name = command.Text(0);
        var content = command.Arguments[1];
        var space = _services.Scripts.HaveSpace(User.Address, name, content.Length);
        if (!space.Succeeded)
        {
            await ReplyAsync(Refusal(space));
            return;
        }

        if (Check(name, content) is { } refused)
        {
            await ReplyAsync(refused);
            return;
        }

        var outcome = await _services.Scripts.PutAsync(User.UserId, User.Address, name, content, cancellationToken);
        await ReplyAsync(outcome.Succeeded ? Warnings(name, content) ?? ManageSieveReplies.Ok("Putscript completed.") : Refusal(outcome));
    }

    /// <summary>RFC 5804 §2.12.</summary>
    private async Task CheckScriptAsync(ManageSieveCommand command)
    {
        var content = command.Arguments[0];
        await ReplyAsync(Check("script", content) ?? Warnings("script", content) ?? ManageSieveReplies.Ok("Script is valid."));
    }

    private byte[]? Check(string name, byte[] content)
    {
        if (!System.Text.Unicode.Utf8.IsValid(content))
        {
            return ManageSieveReplies.No("The script is not valid UTF-8");
        }

        var result = _services.Compiler.GetOrCompile(name, Encoding.UTF8.GetString(content));
        return result.Succeeded ? null : ManageSieveReplies.No(string.Join("\r\n", result.Errors.Select(Describe)));
    }

    private byte[]? Warnings(string name, byte[] content)
    {
        var result = _services.Compiler.GetOrCompile(name, Encoding.UTF8.GetString(content));
        var warnings = result.Diagnostics.Where(d => d.Severity == SieveSeverity.Warning).ToList();
        return warnings.Count == 0 ? null : ManageSieveReplies.Ok(string.Join("\r\n", warnings.Select(Describe)), ManageSieveCodes.Warnings);
    }

    /// <summary>As Pigeonhole's ManageSieve words it: "line N: error: text".</summary>
    private static string Describe(SieveDiagnostic d) =>
        (d.Line > 0 ? $"line {d.Line}: " : string.Empty) + (d.Severity == SieveSeverity.Error ? "error: " : "warning: ") + d.Message;

    /// <summary>RFC 5804 §2.7: one line per script, the active one marked ACTIVE.</summary>
    private async Task ListScriptsAsync(CancellationToken cancellationToken)
    {
        var scripts = await _services.Scripts.ListAsync(User.UserId, User.Address, cancellationToken);
        foreach (var s in scripts)
        {
            Write(ManageSieveReplies.Line(ManageSieveReplies.StringOrLiteral(s.Name) + (s.Active ? " ACTIVE" : string.Empty)));
        }

        await ReplyAsync(ManageSieveReplies.Ok("Listscripts completed."));
    }

    /// <summary>RFC 5804 §2.8: the empty name deactivates.</summary>
    private async Task SetActiveAsync(ManageSieveCommand command, CancellationToken cancellationToken)
    {
        var name = command.Text(0);
        var outcome = await _services.Scripts.ActivateAsync(User.UserId, User.Address, name.Length == 0 ? null : name, cancellationToken);
        await ReplyAsync(outcome.Succeeded ? ManageSieveReplies.Ok("Setactive completed.") : Refusal(outcome));
    }

    /// <summary>RFC 5804 §2.9: the script as a literal, byte for byte.</summary>
    private async Task GetScriptAsync(ManageSieveCommand command)
    {
        var content = _services.Scripts.Get(User.Address, command.Text(0));
        if (content is null)
        {
            await ReplyAsync(ManageSieveReplies.No("Script does not exist.", ManageSieveCodes.NonExistent));
            return;
        }

        Write(Encoding.ASCII.GetBytes("{" + content.Length.ToString(CultureInfo.InvariantCulture) + "}\r\n"));
        Write(content);
        Write("\r\n"u8.ToArray());
        await ReplyAsync(ManageSieveReplies.Ok("Getscript completed."));
    }

    /// <summary>RFC 5804 §2.10: the active script is refused with (ACTIVE).</summary>
    private async Task DeleteScriptAsync(ManageSieveCommand command, CancellationToken cancellationToken)
    {
        var outcome = await _services.Scripts.DeleteAsync(User.UserId, User.Address, command.Text(0), cancellationToken);
        await ReplyAsync(outcome.Succeeded ? ManageSieveReplies.Ok("Deletescript completed.") : Refusal(outcome));
    }

    /// <summary>RFC 5804 §2.11.1.</summary>
    private async Task RenameScriptAsync(ManageSieveCommand command, CancellationToken cancellationToken)
    {
        var outcome = await _services.Scripts.RenameAsync(User.UserId, User.Address, command.Text(0), command.Text(1), cancellationToken);
        await ReplyAsync(outcome.Succeeded ? ManageSieveReplies.Ok("Renamescript completed.") : Refusal(outcome));
    }

    private static byte[] Refusal(SieveScriptOutcome outcome) => outcome.Error switch
    {
        SieveScriptError.NoSuchScript => ManageSieveReplies.No(outcome.Message, ManageSieveCodes.NonExistent),
        SieveScriptError.Active => ManageSieveReplies.No(outcome.Message, ManageSieveCodes.Active),
        SieveScriptError.AlreadyExists => ManageSieveReplies.No(outcome.Message, ManageSieveCodes.AlreadyExists),
        SieveScriptError.QuotaMaxScripts => ManageSieveReplies.No(outcome.Message, ManageSieveCodes.QuotaMaxScripts),
        SieveScriptError.QuotaMaxSize => ManageSieveReplies.No(outcome.Message, ManageSieveCodes.QuotaMaxSize),
        _ => ManageSieveReplies.No(outcome.Message),
    };
}
