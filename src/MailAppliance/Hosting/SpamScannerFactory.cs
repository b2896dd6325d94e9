using MailAppliance.Configuration;
using MailAppliance.Pipeline.Authentication;
using MailAppliance.Pipeline.Dns;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Checks;
using MailAppliance.Pipeline.Scoring.Classifier;
using MailAppliance.Pipeline.Scoring.Rules;
using MailAppliance.Storage.Accounts;
using MailAppliance.Storage.Database;
using MailAppliance.Storage.Spam;
using Microsoft.Extensions.Logging;

namespace MailAppliance.Hosting;

/// <summary>The scorer and the sender authentication as intake uses them, and the scanner that Junk moves train.</summary>
public sealed record SpamServices(SpamScanner Scanner, MessageAuthenticator? Authenticator);

/// <summary>Builds <see cref="SpamServices"/> from the options (docs/spam.md "API for the host and intake").</summary>
public static class SpamScannerFactory
{
    public static SpamServices Create(ApplianceOptions options, StorageDatabase database, IDnsResolver resolver, LocalDomains localDomains, ILoggerFactory loggers)
    {
        var spam = options.Spam;
        var logger = loggers.CreateLogger("MailAppliance.Spam");
        // A rules file with an error is refused at start with FILE:LINE (RulesException), like a bad config key.
        var rules = RulesSource.Load(spam.RulesFile, TimeProvider.System, logger);
        var classifier = new SpamClassifier(new ClassifierStore(database), TimeProvider.System, spam.ClassifierMinimumLearned);
        ClamdClient? clamd = spam.Clamd is { } endpoint && ClamdClient.TryParseEndpoint(endpoint, out var parsed) ? new ClamdClient(parsed!) : null;
        PublicSuffixList? suffixes = null;
        try
        {
            suffixes = PublicSuffixList.Load();
        }
        catch (IOException e)
        {
            logger.LogWarning("No public suffix list ({Error}): DMARC and URI lists use the domain as given", e.Message);
        }

        var lists = spam.DnsLists.Count == 0 ? null : new DnsListCheck(spam.DnsLists, resolver, suffixes is null ? null : suffixes.OrganizationalDomain);
        // The scan gets half of the DATA stage's budget; authentication before it gets 40 %: the 250 never waits
        // longer than Spam:TimeBudget.
        var scanner = new SpamScanner(spam with { TimeBudget = spam.TimeBudget * 0.5 }, rules, classifier, new SpamSettingsStore(database), clamd, lists,
            TimeProvider.System, logger, options.Hostname, localDomains.Contains);
        var authenticator = suffixes is null ? null : new MessageAuthenticator(resolver, suffixes, TimeProvider.System);
        return new SpamServices(scanner, authenticator);
    }
}
