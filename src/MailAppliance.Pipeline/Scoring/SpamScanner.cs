using MailAppliance.Pipeline.Scoring.Checks;
using MailAppliance.Pipeline.Scoring.Classifier;
using MailAppliance.Pipeline.Scoring.Policy;
using MailAppliance.Pipeline.Scoring.Rules;
using MailAppliance.Storage.Spam;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Pipeline.Scoring;

/// <summary>Where a scan comes from: intake may auto-learn; a check from the command line never learns.</summary>
public enum ScanMode
{
    Intake,
    Check,
}

/// <summary>
/// Scores a message: rules over its content, authentication results, clamd, DNS lists, the classifier, and each
/// recipient's lists and thresholds. Every check that talks to something else runs within <c>Spam:TimeBudget</c>
/// (all of them at once); one that fails or has not answered in time is the symbol <c>CHECK_TEMPERROR</c> with score 0
/// and the message is scored without it. Nothing here throws for a check's failure.
/// </summary>
public sealed class SpamScanner
{
    public const string Truncated = "SCAN_TRUNCATED";
    public const string ClassifierSpam = "CLASSIFIER_SPAM";
    public const string ClassifierHam = "CLASSIFIER_HAM";
    public const string ClassifierUntrained = "CLASSIFIER_UNTRAINED";
    public const string Allowed = "USER_IN_ALLOWLIST";
    public const string AllowedUnauthenticated = "ALLOWLIST_NOT_AUTHENTICATED";
    public const string Blocked = "USER_IN_BLOCKLIST";
    public const string Virus = "CLAMD_VIRUS";

    private readonly SpamOptions _options;
    private readonly RulesSource _rules;
    private readonly SpamClassifier? _classifier;
    private readonly ISpamPolicySource? _settings;
    private readonly ClamdClient? _clamd;
    private readonly DnsListCheck? _dnsLists;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _hostname;
    private readonly Func<string, bool> _isOurDomain;
    private readonly SemaphoreSlim _autoLearn = new(1, 1);

    public SpamScanner(SpamOptions options, RulesSource rules, SpamClassifier? classifier, ISpamPolicySource? settings, ClamdClient? clamd,
        DnsListCheck? dnsLists, TimeProvider time, ILogger logger, string hostname, Func<string, bool> isOurDomain)
    {
        _options = options;
        _rules = rules;
        _classifier = classifier;
        _settings = settings;
        _clamd = clamd;
        _dnsLists = dnsLists;
        _time = time;
        _logger = logger;
        _hostname = hostname;
        _isOurDomain = isOurDomain;
    }

    /// <summary>
    /// Scores <paramref name="message"/> (a seekable stream: the spool file) for each recipient user
    /// (<paramref name="recipientUsers"/>: address keys of local users; null for a recipient without one, such as a
    /// forward target or a relay).
    /// </summary>
    public async Task<MessageScan> ScanAsync(Stream message, ScanEnvelope envelope, SenderAuthentication? authentication,
        IReadOnlyList<string?> recipientUsers, ScanMode mode, CancellationToken cancellationToken)
    {
        var content = MessageContent.Read(message, _options.MaxScanSize);
        authentication ??= SenderAuthentication.Unknown;
        using var budget = new CancellationTokenSource(_options.TimeBudget, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(budget.Token, cancellationToken);
        var token = linked.Token;

        var users = recipientUsers.Select(u => u?.ToLowerInvariant()).Distinct().ToList();
        // Shared by the recipients' classifications, computed by the first that has a trained model to ask.
        var features = new Lazy<ulong[]>(() => Tokenizer.Features(content), LazyThreadSafetyMode.ExecutionAndPublication);
        var clamd = _clamd is null ? null : Guard(_clamd.ScanAsync(message, _options.ClamdMaxSize, token));
        var lists = _dnsLists is null ? null : Guard(_dnsLists.CheckAsync(envelope.ClientAddress, content, token));
        var classifier = users.ToDictionary(u => u ?? "", u => _classifier is null ? null : Guard(_classifier.ClassifyAsync(features, u, token)));
        var policies = users.ToDictionary(u => u ?? "", u => _settings is null ? null : Guard(PolicyAsync(u, token)));

        var rules = _rules.Current;
        var context = new ScanContext(content, envelope, authentication, _hostname, _isOurDomain);
        var (hits, failedRules) = RuleEngine.RunTests(rules, context);

        var shared = new List<SpamSymbol>();
        foreach (var name in failedRules)
        {
            shared.Add(new SpamSymbol(name + "_TEMPERROR", 0));
        }

        if (content.Truncated)
        {
            shared.Add(new SpamSymbol(Truncated, 0));
        }

        string? virus = null;
        if (clamd is not null)
        {
            var (ok, result) = await clamd;
            if (!ok || result!.Failed)
            {
                shared.Add(new SpamSymbol("CLAMD_TEMPERROR", 0));
                if (ok)
                {
                    _logger.LogWarning("clamd could not scan the message: {Error}", result!.Error);
                }
            }
            else if (result.Infected)
            {
                virus = result.Virus;
                shared.Add(new SpamSymbol(Virus, 0));
            }
        }

        if (lists is not null)
        {
            var (ok, listed) = await lists;
            if (!ok)
            {
                shared.Add(new SpamSymbol("DNSBL_TEMPERROR", 0));
            }
            else
            {
                shared.AddRange(listed!);
            }
        }

        var results = new Dictionary<string, RecipientScan>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            var key = user ?? "";
            var symbols = new List<SpamSymbol>(shared);
            var policy = SpamPolicy.Defaults(_options);
            if (policies[key] is { } policyTask)
            {
                var (ok, resolved) = await policyTask;
                if (ok)
                {
                    policy = resolved!;
                }
                else
                {
                    symbols.Add(new SpamSymbol("POLICY_TEMPERROR", 0));
                }
            }

            if (classifier[key] is { } classifierTask)
            {
                var (ok, verdict) = await classifierTask;
                symbols.Add(!ok ? new SpamSymbol("CLASSIFIER_TEMPERROR", 0) : ClassifierSymbol(verdict!, rules));
            }

            symbols.AddRange(ListSymbols(policy, envelope, content, authentication));
            var names = new HashSet<string>(hits, StringComparer.Ordinal);
            names.UnionWith(symbols.Select(s => s.Name));
            RuleEngine.RunMetas(rules, names);
            foreach (var rule in rules.Rules)
            {
                if (!rule.IsSubRule && names.Contains(rule.Name))
                {
                    symbols.Add(new SpamSymbol(rule.Name, rules.ScoreOf(rule.Name)));
                }
            }

            var score = symbols.Sum(s => s.Score);
            var decision = score >= policy.RejectThreshold ? SpamVerdict.Reject : score >= policy.TagThreshold ? SpamVerdict.Spam : SpamVerdict.Ham;
            results[key] = new RecipientScan(user, score, policy.TagThreshold, policy.RejectThreshold, policy.DiscardForwardThreshold, decision,
                content.Truncated, symbols.OrderByDescending(s => Math.Abs(s.Score)).ThenBy(s => s.Name, StringComparer.Ordinal).ToList());
        }

        if (mode == ScanMode.Intake && _classifier is not null && results.Count > 0)
        {
            AutoLearn(content, results.Values.First());
        }

        return new MessageScan(recipientUsers.Select(u => results[u?.ToLowerInvariant() ?? ""]).ToList(), content.Truncated, virus);
    }

    /// <summary>Scores a message for one user (or none) as delivery to them would, without learning: <c>spam check</c>.</summary>
    public async Task<RecipientScan> CheckAsync(Stream message, string? userKey, CancellationToken cancellationToken) =>
        (await ScanAsync(message, ScanEnvelope.None, null, [userKey], ScanMode.Check, cancellationToken)).Recipients[0];

    /// <summary>Learns a message as spam or ham for the user (and the global model): <c>spam learn</c>, moves into or out of Junk.</summary>
    public async Task<LearnOutcome> LearnAsync(Stream message, bool spam, string? userKey, CancellationToken cancellationToken)
    {
        if (_classifier is null)
        {
            throw new InvalidOperationException("this scanner has no classifier");
        }

        var content = MessageContent.Read(message, _options.MaxScanSize);
        return await _classifier.LearnAsync(content, spam, userKey, cancellationToken);
    }

    private async Task<SpamPolicy> PolicyAsync(string? user, CancellationToken cancellationToken) =>
        SpamPolicy.Resolve(await _settings!.ReadAsync(SpamPolicy.ScopesFor(user), cancellationToken), _options);

    // The probability as a score: its log-odds, scaled so p = 0.98 (log-odds 4) gives the full score of
    // CLASSIFIER_SPAM or CLASSIFIER_HAM, and capped there.
    internal static SpamSymbol ClassifierSymbol(ClassifierVerdict verdict, RuleSet rules)
    {
        if (verdict.SpamProbability is not { } p)
        {
            return new SpamSymbol(ClassifierUntrained, 0);
        }

        var clamped = Math.Clamp(p, 1e-6, 1 - 1e-6);
        var strength = Math.Clamp(Math.Log(clamped / (1 - clamped)) / 4, -1, 1);
        return strength >= 0
            ? new SpamSymbol(ClassifierSpam, Math.Round(strength * rules.ScoreOf(ClassifierSpam, 6.0), 3))
            : new SpamSymbol(ClassifierHam, Math.Round(-strength * rules.ScoreOf(ClassifierHam, -3.0), 3));
    }

    // RFC-free policy: an allow entry is only believed when the address it matched is authenticated (SPF for the
    // envelope sender, aligned DKIM or aligned SPF for From): a forged sender must not buy -100.
    private static IEnumerable<SpamSymbol> ListSymbols(SpamPolicy policy, ScanEnvelope envelope, MessageContent content, SenderAuthentication auth)
    {
        var envelopeEntry = policy.Match(envelope.MailFrom);
        var from = content.FromAddress;
        var fromEntry = policy.Match(from);
        if (envelopeEntry?.Allow == false || fromEntry?.Allow == false)
        {
            yield return new SpamSymbol(Blocked, SpamPolicy.BlockScore);
            yield break;
        }

        if (envelopeEntry is null && fromEntry is null)
        {
            yield break;
        }

        var envelopeAuthenticated = envelopeEntry is not null && Domain(envelope.MailFrom) is { } envelopeDomain
            && (auth.SpfPassedFor(envelopeDomain) || auth.DkimPassedFor(envelopeDomain));
        var fromAuthenticated = fromEntry is not null && Domain(from) is { } fromDomain
            && (auth.DkimPassedFor(fromDomain) || auth.SpfPassedFor(fromDomain));
        yield return envelopeAuthenticated || fromAuthenticated
            ? new SpamSymbol(Allowed, SpamPolicy.AllowScore)
            : new SpamSymbol(AllowedUnauthenticated, 0);
    }

    private static string? Domain(string? address) => address is null || address.LastIndexOf('@') is var at && at < 0 ? null : address[(at + 1)..];

    private void AutoLearn(MessageContent content, RecipientScan scan)
    {
        // Learned from the score without the classifier's own part (SpamAssassin's rule), never from a scan that
        // saw an allow/block entry or missed a check.
        if (scan.Symbols.Any(s => s.Name is Allowed or Blocked || s.Name.EndsWith("_TEMPERROR", StringComparison.Ordinal)))
        {
            return;
        }

        var score = scan.Symbols.Where(s => s.Name is not (ClassifierSpam or ClassifierHam)).Sum(s => s.Score);
        bool spam;
        if (score >= _options.AutoLearnSpamScore)
        {
            spam = true;
        }
        else if (score <= _options.AutoLearnHamScore)
        {
            spam = false;
        }
        else
        {
            return;
        }

        if (!_autoLearn.Wait(0))
        {
            return; // one auto-learn at a time; under load some are skipped rather than queued
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await _classifier!.LearnAsync(content, spam, null, CancellationToken.None);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Auto-learn failed");
            }
            finally
            {
                _autoLearn.Release();
            }
        });
    }

    // A check's outcome as a value: (false, default) when it threw or ran out of the budget.
    private static async Task<(bool Ok, T? Value)> Guard<T>(Task<T> task)
    {
        try
        {
            return (true, await task);
        }
        catch (Exception)
        {
            return (false, default);
        }
    }
}
