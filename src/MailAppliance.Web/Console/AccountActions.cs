using System.Globalization;
using MailAppliance.Core.Addresses;
using MailAppliance.Pipeline.Sieve;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Spam;

namespace MailAppliance.Web.Console;

/// <summary>A threshold as it applies to the viewer: their own value, the one in force and which level set it.</summary>
internal sealed record ThresholdView(string Name, double? Own, double? Applies, string SetBy);

/// <summary>An allow/block entry that applies to the viewer; only their own (<see cref="Own"/>) can they remove.</summary>
internal sealed record EntryView(string Entry, string List, string SetBy, bool Own);

/// <summary>The viewer's spam settings: each threshold and every list entry of their levels (global, domain, their own).</summary>
internal sealed record SpamView(IReadOnlyList<ThresholdView> Thresholds, IReadOnlyList<EntryView> Entries);

/// <summary>A forward destination's policy: the score from which a forward there is not sent on, and why that one.</summary>
internal sealed record DestinationView(string Target, double Threshold, string Because);

/// <summary>The viewer's forward (null: none) and the policy of each destination.</summary>
internal sealed record ForwardView(ForwardEntry? Current, IReadOnlyList<DestinationView> Destinations);

/// <summary>
/// What a user may read and change of their own from the console or <c>/api/account/</c>: always the viewer's own
/// address (nothing names another user), through the components and validators the CLI verbs use
/// (<see cref="SpamSettingInput"/>, <see cref="ForwardTargets"/>, <see cref="VacationSettings"/>); each change a result
/// value with the message to show.
/// </summary>
internal static class AccountActions
{
    public static MailAddress AddressOf(Viewer viewer) => MailAddress.Parse(viewer.Address);

    private static SpamScope UserScope(Viewer viewer) => SpamScope.ForUser(AddressOf(viewer).Key);

    public static async Task<SpamView> SpamAsync(WebServices services, Viewer viewer, CancellationToken cancellationToken)
    {
        var address = AddressOf(viewer);
        var rows = services.Spam is null ? new SpamPolicyRows([], [])
            : await services.Spam.ReadAsync([SpamScope.Global, SpamScope.ForDomain(address.Domain.Ascii), SpamScope.ForUser(address.Key)], cancellationToken);
        var defaults = services.SpamDefaults;
        var thresholds = new[] { (SpamThresholdKind.Tag, (double?)defaults.Tag), (SpamThresholdKind.Reject, defaults.Reject), (SpamThresholdKind.DiscardForward, null) }
            .Select(t => Threshold(rows, t.Item1, t.Item2)).ToList();
        var entries = rows.Entries.OrderByDescending(e => e.Scope.Kind).ThenBy(e => e.Entry, StringComparer.Ordinal)
            .Select(e => new EntryView(e.Entry, e.Allow ? "allow" : "block", SetBy(e.Scope.Kind), e.Scope.Kind == SpamScopeKind.User)).ToList();
        return new SpamView(thresholds, entries);
    }

    /// <summary>The narrowest level that sets the threshold, else the configured value (none for discard-forward: each destination's).</summary>
    private static ThresholdView Threshold(SpamPolicyRows rows, SpamThresholdKind kind, double? configured)
    {
        double? Of(SpamThresholdRow r) => kind switch { SpamThresholdKind.Tag => r.Tag, SpamThresholdKind.Reject => r.Reject, _ => r.DiscardForward };
        var name = SpamSettingInput.Name(kind);
        var own = rows.Thresholds.Where(r => r.Scope.Kind == SpamScopeKind.User).Select(Of).FirstOrDefault(v => v is not null);
        foreach (var row in rows.Thresholds.OrderByDescending(r => r.Scope.Kind))
        {
            if (Of(row) is { } value)
            {
                return new ThresholdView(name, own, value, SetBy(row.Scope.Kind));
            }
        }

        return new ThresholdView(name, own, configured, configured is null ? "each destination" : "configuration");
    }

    private static string SetBy(SpamScopeKind kind) => kind switch { SpamScopeKind.User => "you", SpamScopeKind.Domain => "your domain", _ => "global" };

    public static async Task<AdminActions.Outcome> SetThresholdAsync(WebServices services, Viewer viewer, string kindText, string valueText, CancellationToken cancellationToken)
    {
        if (!SpamSettingInput.TryParseKind(kindText, out var kind))
        {
            return new(false, $"'{kindText}' is not {SpamSettingInput.ThresholdKinds}");
        }

        if (!SpamSettingInput.TryParseThreshold(valueText, out var value, out var error))
        {
            return new(false, error);
        }

        await services.Spam!.SetThresholdAsync(UserScope(viewer), kind, value, cancellationToken);
        return new(true, string.Create(CultureInfo.InvariantCulture, $"{SpamSettingInput.Name(kind)} threshold {value:0.0##} for you"));
    }

    public static async Task<AdminActions.Outcome> ClearThresholdAsync(WebServices services, Viewer viewer, string kindText, CancellationToken cancellationToken)
    {
        if (!SpamSettingInput.TryParseKind(kindText, out var kind))
        {
            return new(false, $"'{kindText}' is not {SpamSettingInput.ThresholdKinds}");
        }

        return await services.Spam!.ClearThresholdAsync(UserScope(viewer), kind, cancellationToken)
            ? new(true, $"{SpamSettingInput.Name(kind)} threshold: your own setting removed")
            : new(false, $"you had no {SpamSettingInput.Name(kind)} threshold of your own");
    }

    public static async Task<AdminActions.Outcome> SetListEntryAsync(WebServices services, Viewer viewer, string list, string entryText, CancellationToken cancellationToken)
    {
        if (list is not ("allow" or "block"))
        {
            return new(false, $"'{list}' is not allow or block");
        }

        if (!SpamSettingInput.TryParseEntry(entryText, out var entry, out var error))
        {
            return new(false, error);
        }

        await services.Spam!.SetListEntryAsync(UserScope(viewer), entry, list == "allow", cancellationToken);
        return new(true, $"{list} {entry} for you");
    }

    public static async Task<AdminActions.Outcome> RemoveListEntryAsync(WebServices services, Viewer viewer, string entry, CancellationToken cancellationToken) =>
        await services.Spam!.RemoveListEntryAsync(UserScope(viewer), entry, cancellationToken) ? new(true, $"removed {entry}") : new(false, $"{entry} is not on your lists");

    public static async Task<ForwardView> ForwardAsync(WebServices services, Viewer viewer, CancellationToken cancellationToken)
    {
        var current = await services.Directory.GetForwardAsync(AddressOf(viewer), cancellationToken);
        if (current is null)
        {
            return new ForwardView(null, []);
        }

        var own = (await SpamAsync(services, viewer, cancellationToken)).Thresholds.Single(t => t.Name == "discard-forward");
        var destinations = current.Targets.Select(target =>
        {
            var domain = target[(target.LastIndexOf('@') + 1)..];
            var destination = services.Forwarding.ThresholdFor(domain);
            return own.Applies is { } mine && mine < destination
                ? new DestinationView(target, mine, own.SetBy == "you" ? "your discard-forward threshold" : $"the discard-forward threshold of {own.SetBy}")
                : new DestinationView(target, destination, $"the policy for {domain}");
        }).ToList();
        return new ForwardView(current, destinations);
    }

    public static async Task<AdminActions.Outcome> SetForwardAsync(WebServices services, Viewer viewer, IEnumerable<string> targetTexts, bool keep, CancellationToken cancellationToken)
    {
        var user = AddressOf(viewer);
        if (!ForwardTargets.TryParse(user, targetTexts, out var targets, out var error, out _))
        {
            return new(false, error);
        }

        await services.Directory.SetForwardAsync(user, targets, keep, cancellationToken);
        return new(true, $"{user} forwards to {string.Join(", ", targets)}{(keep ? ", keeping a copy" : "")}");
    }

    public static async Task<AdminActions.Outcome> ResumeForwardAsync(WebServices services, Viewer viewer, CancellationToken cancellationToken)
    {
        var user = AddressOf(viewer);
        if (await services.Directory.GetForwardAsync(user, cancellationToken) is not { } current)
        {
            return new(false, "you have no forward");
        }

        // Setting a forward again starts its count of refusals afresh and lifts the pause.
        await services.Directory.SetForwardAsync(user, current.Targets.Select(MailAddress.Parse).ToList(), current.Keep, cancellationToken);
        return new(true, $"forward to {string.Join(", ", current.Targets)} resumed");
    }

    public static async Task<AdminActions.Outcome> ClearForwardAsync(WebServices services, Viewer viewer, CancellationToken cancellationToken) =>
        await services.Directory.ClearForwardAsync(AddressOf(viewer), cancellationToken) ? new(true, $"forward of {viewer.Address} cleared") : new(false, "you had no forward");

    public static VacationState? Vacation(WebServices services, Viewer viewer) => services.Vacation?.Read(AddressOf(viewer));

    /// <summary>Dates as <c>vacation set</c> takes them (<c>YYYY-MM-DD</c> in the server's zone, or RFC 3339); empty: none.</summary>
    public static async Task<AdminActions.Outcome> SetVacationAsync(WebServices services, Viewer viewer, string subject, string body, string fromText, string untilText,
        string daysText, CancellationToken cancellationToken)
    {
        var address = AddressOf(viewer);
        if (services.Vacation is null || await services.Directory.FindLoginAsync(address, cancellationToken) is not { } login)
        {
            return new(false, "auto-replies are not available");
        }

        DateTimeOffset? from = null, until = null;
        if (fromText.Trim() is { Length: > 0 } f)
        {
            if (!VacationSettings.TryParseDate(f, endOfDay: false, services.Zone, out var date, out var error))
            {
                return new(false, error);
            }

            from = date;
        }

        if (untilText.Trim() is { Length: > 0 } u)
        {
            if (!VacationSettings.TryParseDate(u, endOfDay: true, services.Zone, out var date, out var error))
            {
                return new(false, error);
            }

            until = date;
        }

        var days = VacationSettings.DefaultDays;
        if (daysText.Trim() is { Length: > 0 } d && !int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out days))
        {
            return new(false, "--days must be a whole number of at least 1");
        }

        var request = new VacationRequest(subject.Trim(), body, days, from, until);
        if (await services.Vacation.SetAsync(login.UserId, address, request, cancellationToken) is { } failure)
        {
            return new(false, failure);
        }

        var range = (from is null ? "now" : Day(services, from.Value)) + (until is null ? " until cleared" : " through " + LastDay(services, until.Value));
        var past = until is { } end && end <= services.Time.GetUtcNow() ? " (warning: the end date is already past: no reply will be sent)" : "";
        return new(true, $"vacation set: {range}, one reply per sender every {days} days{past}");
    }

    public static async Task<AdminActions.Outcome> ClearVacationAsync(WebServices services, Viewer viewer, CancellationToken cancellationToken)
    {
        var address = AddressOf(viewer);
        if (services.Vacation is null || await services.Directory.FindLoginAsync(address, cancellationToken) is not { } login)
        {
            return new(false, "auto-replies are not available");
        }

        var (restored, error) = await services.Vacation.ClearAsync(login.UserId, address, cancellationToken);
        return error is not null ? new(false, error) : new(true, $"vacation cleared{(restored is null ? "" : $"; script {restored} active again")}");
    }

    public static string Day(WebServices services, DateTimeOffset time) =>
        TimeZoneInfo.ConvertTime(time, services.Zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The last day of a period whose end is exclusive (the instant after it).</summary>
    public static string LastDay(WebServices services, DateTimeOffset end) => Day(services, end.AddTicks(-1));
}
