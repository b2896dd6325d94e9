using MailAppliance.Pipeline.Reports;
using MailAppliance.Pipeline.Routing;
using Xtext = MailAppliance.Smtp.Client.Xtext;
using MailAppliance.Storage.Queue;
using MailAppliance.Storage.Spool;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Smtp.Queue;

/// <summary>
/// One attempt at the claimed recipients of one message: every recipient routed, local routes delivered into the
/// store, remote routes sent as one SMTP transaction per envelope sender and next-hop domain (side by side), and each
/// recipient settled. A recipient whose outcome owes its sender a DSN is settled after the DSN is queued (a crash in
/// between repeats the attempt, and the DSN's id keeps it single); any other is settled as soon as its routes are
/// done, so a message a remote server took is recorded at once (the window in which a crash would send it twice).
/// </summary>
internal sealed class MessageDelivery(
    MessageQueue queue,
    RecipientRouter router,
    LocalTransport local,
    SmtpTransport? smtp,
    OutboundSigning? signing,
    DeliveryNotifier notifier,
    DeliveryOptions options,
    TimeProvider time,
    ILogger logger,
    ForwardOutcomes? forwards = null)
{
    // INTERFACE.md: a local delivery held back by a database or disk outage is tried again within 30 s of its end.
    internal static readonly TimeSpan OutageRetry = TimeSpan.FromSeconds(30);

    /// <summary>Where each route's outcome is reported (report events and metrics); the scheduler's host sets it.</summary>
    public IDeliveryEvents Events { get; set; } = new ReportingDeliveryEvents(Storage.Reports.NullReportSink.Instance, TimeProvider.System);

    public async Task DeliverAsync(string queueId, IReadOnlyList<QueueRecipient> rows, CancellationToken cancellationToken)
    {
        var opened = queue.Open(queueId);
        if (opened is null)
        {
            // Rows waiting for a file that is gone: never "delivered", never silently dropped. The administrator
            // decides (queue show / delete); the row stays visible in queue list.
            foreach (var row in rows)
            {
                await SettleAsync(new Plan(row, []), new TransportResult(RecipientStatus.Deferred, "spool file missing or unreadable"), null, cancellationToken);
            }

            return;
        }

        await using (opened)
        {
            var plans = new List<Plan>(rows.Count);
            foreach (var row in rows)
            {
                plans.Add(await PlanAsync(row, opened, cancellationToken));
            }

            var held = new List<(Plan Plan, TransportResult Result)>();
            var remote = await StartRemoteAsync(opened, plans, held, cancellationToken);
            foreach (var plan in plans)
            {
                for (var i = 0; i < plan.Routes.Count; i++)
                {
                    if (plan.Routes[i] is RecipientRoute.Local route)
                    {
                        plan.Results[i] = await local.DeliverAsync(queueId, plan.Row.Recipient, opened, route, cancellationToken);
                    }
                }

                await RouteDoneAsync(plan, held, cancellationToken);
            }

            await Task.WhenAll(remote);
            await NotifyAndSettleAsync(opened, held, cancellationToken);
        }
    }

    /// <summary>
    /// Routes a recipient; what needs no transport (discard, bounce, a forward's expansion, a routing failure) is
    /// decided here.
    /// </summary>
    private async Task<Plan> PlanAsync(QueueRecipient row, SpooledMessage message, CancellationToken cancellationToken)
    {
        var routing = await router.RouteAsync(row.Recipient, message.Envelope, message.Verdict, cancellationToken);
        if (routing.TemporaryFailure is { } reason)
        {
            var plan = new Plan(row, []) { Failure = new TransportResult(RecipientStatus.Deferred, reason, Outage: reason.StartsWith("directory unavailable", StringComparison.Ordinal)), Message = message, Started = time.GetTimestamp() };
            return plan;
        }

        var result = new Plan(row, routing.Routes) { Message = message, Started = time.GetTimestamp() };
        for (var i = 0; i < routing.Routes.Count; i++)
        {
            result.Results[i] = routing.Routes[i] switch
            {
                RecipientRoute.Discard discard => new TransportResult(RecipientStatus.Discarded, discard.Reason),
                RecipientRoute.Bounce bounce => new TransportResult(RecipientStatus.Bounced, $"{bounce.Status} {bounce.Reason}") { StatusCode = bounce.Status },
                RecipientRoute.Forward forward => await ForwardAsync(row, message, forward, cancellationToken),
                _ => null,
            };
        }

        return result;
    }

    /// <summary>
    /// A forward becomes a recipient of its own (parent: this recipient; sent from the SRS sender, settled on its own:
    /// a target that waits never makes another one sent twice), written before this recipient is settled
    /// <c>forwarded</c>, so a crash in between repeats the expansion (a no-op), never loses it. RFC 3461 §4.2: the
    /// address the message was sent to goes on as ORCPT.
    /// </summary>
    private async Task<TransportResult> ForwardAsync(QueueRecipient row, SpooledMessage message, RecipientRoute.Forward forward, CancellationToken cancellationToken)
    {
        var orcpt = row.OriginalRecipient ?? "rfc822;" + Xtext.Encode(row.Recipient);
        await queue.ExpandAsync(message.Envelope with { Recipients = [new SpoolRecipient(forward.Target, row.Notify, orcpt)] },
            message.Message.Length, row.Recipient, forward.Sender == message.Envelope.MailFrom ? null : forward.Sender, cancellationToken);
        return new TransportResult(RecipientStatus.Forwarded, $"forwarded to {forward.Target} from <{forward.Sender}>");
    }

    /// <summary>
    /// Starts one transaction per (sender, domain) of the message's remote routes. A forward's own row goes out from
    /// its SRS sender (RFC 5321 §3.9: the forwarder's reverse-path), any other from the message's sender.
    /// </summary>
    private async Task<List<Task>> StartRemoteAsync(SpooledMessage message, List<Plan> plans, List<(Plan, TransportResult)> held, CancellationToken cancellationToken)
    {
        var jobs = new List<RemoteJob>();
        foreach (var plan in plans)
        {
            var row = plan.Row;
            for (var i = 0; i < plan.Routes.Count; i++)
            {
                if (plan.Routes[i] is RecipientRoute.Relay relay)
                {
                    jobs.Add(new RemoteJob(plan, i, row.SrsSender ?? row.MailFrom, relay.Domain, new RemoteRecipient(relay.Recipient, row.Notify, row.OriginalRecipient)));
                    plan.AddPending();
                }
            }
        }

        if (jobs.Count == 0)
        {
            return [];
        }

        if (smtp is null)
        {
            return [.. jobs.Select(j => CompleteAsync(j, new TransportResult(RecipientStatus.Deferred, "4.3.2 outbound delivery is not configured") { StatusCode = "4.3.2" }, held, cancellationToken))];
        }

        var signature = signing is null ? [] : await signing.SignatureAsync(message, cancellationToken);
        if (signature is null)
        {
            return [.. jobs.Select(j => CompleteAsync(j, new TransportResult(RecipientStatus.Deferred, "4.3.0 DKIM keys unavailable", Outage: true) { StatusCode = "4.3.0" }, held, cancellationToken))];
        }

        var groups = jobs.GroupBy(j => (j.Sender, j.Domain.ToLowerInvariant())).ToList();

        // The usual relay case, one transaction and no local delivery reading the file beside it: the transaction
        // reads the file already open (no second open, header parse and trailer read per message).
        var alone = groups.Count == 1 && plans.All(p => !p.Routes.Any(r => r is RecipientRoute.Local));
        var outbound = new OutboundMessage(message.Envelope, signature, message.Message.Length, queue, alone ? message : null)
        {
            TlsNotRequired = !message.Envelope.RequireTls && TlsRequiredField.SaysNo(message.Message),
        };
        return [.. groups.Select(g => SendAsync(outbound, g.Key.Sender, g.Key.Item2, [.. g], held, cancellationToken))];
    }

    private async Task SendAsync(OutboundMessage message, string sender, string domain, List<RemoteJob> jobs, List<(Plan, TransportResult)> held, CancellationToken cancellationToken)
    {
        await Task.Yield(); // transactions to several domains run side by side, and beside the local deliveries
        var results = await smtp!.SendAsync(message, sender, domain, [.. jobs.Select(j => j.Recipient)], cancellationToken);
        for (var i = 0; i < jobs.Count; i++)
        {
            if (forwards is not null)
            {
                await forwards.RecordAsync(jobs[i].Plan.Row, results[i], cancellationToken);
            }

            await CompleteAsync(jobs[i], results[i], held, cancellationToken);
        }
    }

    private async Task CompleteAsync(RemoteJob job, TransportResult result, List<(Plan, TransportResult)> held, CancellationToken cancellationToken)
    {
        job.Plan.Results[job.Index] = result;
        await RouteDoneAsync(job.Plan, held, cancellationToken);
    }

    /// <summary>A part of a recipient's routes is done; when all are, its outcome is settled (or held for a DSN).</summary>
    private async Task RouteDoneAsync(Plan plan, List<(Plan, TransportResult)> held, CancellationToken cancellationToken)
    {
        if (!plan.Done())
        {
            return;
        }

        Report(plan);
        var result = Outcome(plan);
        if (Notices(plan, result).Count > 0)
        {
            lock (held)
            {
                held.Add((plan, result));
            }

            return;
        }

        await SettleAsync(plan, result, null, cancellationToken);
    }

    /// <summary>Reports each route's own result (or the routing failure) once all of the recipient's routes are done.</summary>
    private void Report(Plan plan)
    {
        if (plan.Message is not { } message)
        {
            return;
        }

        var duration = time.GetElapsedTime(plan.Started);
        if (plan.Failure is { } failure)
        {
            Events.Settled(Attempt(plan.Row, message, null, failure, TimeSpan.Zero));
            return;
        }

        for (var i = 0; i < plan.Routes.Count; i++)
        {
            Events.Settled(Attempt(plan.Row, message, plan.Routes[i], plan.Results[i]!, duration));
        }
    }

    private static DeliveryAttempt Attempt(QueueRecipient row, SpooledMessage message, RecipientRoute? route, TransportResult result, TimeSpan duration) =>
        new(row.QueueId, row.Recipient, message.Envelope.MailFrom, route, result, duration)
        {
            ClientIp = message.Envelope.ClientAddress,
            AuthenticatedUser = message.Envelope.AuthenticatedUser,
            Spam = message.Verdict.For(row.Recipient),
            Symbols = message.Verdict.Symbols,
        };

    /// <summary>
    /// The recipient's outcome from its routes' (any deferred: deferred; else any bounced: bounced; all discarded:
    /// discarded; all forwarded or discarded: forwarded; else delivered), then the queue's clock: past <c>Delivery:MaxLifetime</c> a deferral bounces.
    /// </summary>
    private TransportResult Outcome(Plan plan)
    {
        if (plan.Failure is { } failure)
        {
            return Expire(plan, failure);
        }

        var results = plan.Results.Select(r => r!).ToList();
        if (results.Count == 0)
        {
            return Expire(plan, new TransportResult(RecipientStatus.Deferred, "no route"));
        }

        var status = results.Any(r => r.Status == RecipientStatus.Deferred) ? RecipientStatus.Deferred
            : results.Any(r => r.Status == RecipientStatus.Bounced) ? RecipientStatus.Bounced
            : results.All(r => r.Status == RecipientStatus.Discarded) ? RecipientStatus.Discarded
            : results.All(r => r.Status is RecipientStatus.Forwarded or RecipientStatus.Discarded) ? RecipientStatus.Forwarded
            : RecipientStatus.Delivered;
        var combined = results.Count == 1 ? results[0] : new TransportResult(status, string.Join("; ", results.Select(r => r.Result)), results.Any(r => r.Outage))
        {
            StatusCode = results.FirstOrDefault(r => r.Status == status)?.StatusCode,
            Remote = results.Any(r => r.Remote),
        };
        return status == RecipientStatus.Deferred ? Expire(plan, combined) : combined;
    }

    private TransportResult Expire(Plan plan, TransportResult deferred)
    {
        if (deferred.Status != RecipientStatus.Deferred || time.GetUtcNow() < plan.Row.ReceivedAt + options.MaxLifetime)
        {
            return deferred;
        }

        plan.Expired = true;
        return deferred with { Status = RecipientStatus.Bounced, Result = $"{deferred.Result} (given up: in the queue since {plan.Row.ReceivedAt:u}, Delivery:MaxLifetime {options.MaxLifetime})" };
    }

    /// <summary>The DSN notices a recipient's outcome owes its sender (none when it asked for none).</summary>
    private List<DeliveryNotice> Notices(Plan plan, TransportResult outcome)
    {
        var row = plan.Row;
        var notices = new List<DeliveryNotice>();
        List<(TransportResult Result, RecipientRoute? Route)> routes = plan.Failure is null
            ? [.. plan.Results.Select((r, i) => (r!, (RecipientRoute?)plan.Routes[i]))]
            : [(plan.Failure, null)];
        switch (outcome.Status)
        {
            case RecipientStatus.Bounced:
                foreach (var (result, route) in routes.Where(r => r.Result.Status == RecipientStatus.Bounced || (plan.Expired && r.Result.Status == RecipientStatus.Deferred)))
                {
                    notices.Add(Notice(row, DsnAction.Failed, result, result.FinalRecipient ?? row.Recipient));
                }

                break;
            case RecipientStatus.Deferred when options.DelayWarning > TimeSpan.Zero && !row.DelayWarned
                                               && time.GetUtcNow() >= row.ReceivedAt + options.DelayWarning:
                plan.DelayWarned = true;
                notices.Add(Notice(row, DsnAction.Delayed, outcome, row.Recipient));
                break;
            case RecipientStatus.Delivered:
                foreach (var (result, route) in routes.Where(r => r.Result.Status == RecipientStatus.Delivered))
                {
                    // RFC 3461 §4.2: a server that took NOTIFY reports success itself; one that did not gets "relayed".
                    if (route is RecipientRoute.Local)
                    {
                        notices.Add(new DeliveryNotice(row, DsnAction.Delivered, result, row.Recipient));
                    }
                    else if (!result.DsnPassedOn)
                    {
                        notices.Add(Notice(row, DsnAction.Relayed, result, result.FinalRecipient ?? row.Recipient));
                    }
                }

                break;
        }

        return [.. notices.Where(n => DeliveryNotifier.Wants(row, n.Action))];
    }

    /// <summary>
    /// A notice about <paramref name="row"/>. A forward's own row (or a sieve redirect's: a row with a parent) reports
    /// the recipient the sender addressed, not where the user sends their mail on: Final-Recipient is the parent
    /// (RFC 3464 §2.3.2 requires the field, not the forward's target; the sender's ORCPT stays in Original-Recipient),
    /// Remote-MTA (optional, §2.3.5) is left out, and the target's address and domain are masked in the diagnostic.
    /// The report goes to the message's sender, as the SRS sender would reverse to.
    /// </summary>
    private static DeliveryNotice Notice(QueueRecipient row, DsnAction action, TransportResult result, string finalRecipient)
    {
        if (row.Parent is not { } parent)
        {
            return new DeliveryNotice(row, action, result, finalRecipient);
        }

        return new DeliveryNotice(row, action, result with { Result = MaskTarget(result.Result, row.Recipient), RemoteMta = null }, parent);
    }

    /// <summary>The text with the forward target's address, then its domain, replaced.</summary>
    internal static string MaskTarget(string text, string target)
    {
        var masked = text.Replace(target, "forward-target", StringComparison.OrdinalIgnoreCase);
        var at = target.LastIndexOf('@');
        return at < 0 || at == target.Length - 1 ? masked : masked.Replace(target[(at + 1)..], "forward-target.invalid", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Queues the DSNs the held recipients owe (one per kind of news), then settles them.</summary>
    private async Task NotifyAndSettleAsync(SpooledMessage message, List<(Plan Plan, TransportResult Result)> held, CancellationToken cancellationToken)
    {
        var notices = held.Select(h => (h.Plan, h.Result, Notices: Notices(h.Plan, h.Result))).ToList();
        foreach (var kind in notices.GroupBy(n => n.Notices[0].Action switch { DsnAction.Failed => 0, DsnAction.Delayed => 1, _ => 2 }))
        {
            var queued = await notifier.NotifyAsync(message, [.. kind.SelectMany(k => k.Notices)], cancellationToken);
            foreach (var (plan, result, _) in kind)
            {
                if (queued || result.Status == RecipientStatus.Delivered)
                {
                    await SettleAsync(plan, result, plan.DelayWarned ? true : null, cancellationToken);
                }
                else
                {
                    // The DSN could not be queued (the disk full): the recipient waits, and its news with it.
                    await SettleAsync(plan, result.Status == RecipientStatus.Deferred ? result : new TransportResult(RecipientStatus.Deferred, $"{result.Result} (DSN not queued yet)", Outage: true), null, cancellationToken);
                }
            }
        }
    }

    private async Task SettleAsync(Plan plan, TransportResult result, bool? delayWarned, CancellationToken cancellationToken)
    {
        var row = plan.Row;
        DateTimeOffset? next = null;
        if (result.Status == RecipientStatus.Deferred)
        {
            var now = time.GetUtcNow();
            var wait = result.Outage ? OutageRetry : options.Backoff(row.Attempts);
            // The last try comes when the message's lifetime ends (then it bounces), not up to an hour after.
            var expiry = row.ReceivedAt + options.MaxLifetime;
            next = now + wait > expiry && expiry > now ? expiry : now + wait;
        }

        var route = plan.Routes.Count == 0 ? null : string.Join(",", plan.Routes.Select(r => r.Kind).Distinct());
        await queue.SettleAsync(new RecipientOutcome(row.QueueId, row.Recipient, row.Status, result.Status, result.Result, next)
        {
            Route = route,
            DelayWarned = delayWarned,
            Durable = result.Remote || plan.Results.Any(r => r?.Remote == true),
        }, cancellationToken);
        if (result.Relay is { } relay)
        {
            logger.LogInformation("Delivery {QueueId} to {Recipient}: {Status} ({Result}) via {Relay}", row.QueueId, row.Recipient, RecipientStatuses.Text(result.Status), result.Result, relay);
        }
        else
        {
            logger.LogInformation("Delivery {QueueId} to {Recipient}: {Status} ({Result})", row.QueueId, row.Recipient, RecipientStatuses.Text(result.Status), result.Result);
        }
    }

    /// <summary>A recipient in this attempt: its routes, their results as they come, and how many are still out.</summary>
    private sealed class Plan(QueueRecipient row, IReadOnlyList<RecipientRoute> routes)
    {
        private int _pending = 1; // the local pass

        public QueueRecipient Row => row;

        public IReadOnlyList<RecipientRoute> Routes => routes;

        public TransportResult?[] Results { get; } = new TransportResult?[routes.Count];

        /// <summary>Routing failed for now (the directory away): the recipient waits without routes.</summary>
        public TransportResult? Failure { get; init; }

        public bool Expired { get; set; }

        public bool DelayWarned { get; set; }

        /// <summary>The message the recipient belongs to (null: its spool file was gone, nothing to report from).</summary>
        public SpooledMessage? Message { get; init; }

        /// <summary>When routing began (the reported duration runs from here).</summary>
        public long Started { get; init; }

        public void AddPending() => Interlocked.Increment(ref _pending);

        /// <summary>One part done; true for the last.</summary>
        public bool Done() => Interlocked.Decrement(ref _pending) == 0;
    }

    private sealed record RemoteJob(Plan Plan, int Index, string Sender, string Domain, RemoteRecipient Recipient);
}
