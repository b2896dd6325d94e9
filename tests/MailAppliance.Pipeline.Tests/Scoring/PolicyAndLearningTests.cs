using System.Diagnostics;
using System.Net;
using System.Text;
using MailAppliance.Pipeline.Scoring;
using MailAppliance.Pipeline.Scoring.Classifier;
using MailAppliance.Pipeline.Scoring.Rules;
using MailAppliance.Storage.Spam;
using MailAppliance.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailAppliance.Pipeline.Tests.Scoring;

/// <summary>The scanner with its PostgreSQL parts: lists, thresholds per recipient, the classifier learning per user.</summary>
public sealed class PolicyAndLearningTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private SpamScanner Scanner(out SpamSettingsStore settings, SpamOptions? options = null)
    {
        settings = new SpamSettingsStore(database.Database);
        var classifier = new SpamClassifier(new ClassifierStore(database.Database), TimeProvider.System, minimumLearned: 5);
        return new SpamScanner(options ?? new SpamOptions { ClassifierMinimumLearned = 5 }, RulesSource.BuiltInOnly(), classifier, settings, null, null,
            TimeProvider.System, NullLogger.Instance, "mx.example.test", _ => false);
    }

    private static ScanEnvelope Envelope(string from) => new(IPAddress.Parse("198.51.100.9"), "mail.sender.test", from, ["a@one.test", "b@one.test"]);

    [Fact]
    public async Task An_allow_entry_counts_only_for_an_authenticated_sender_and_only_for_its_user()
    {
        var scanner = Scanner(out var settings);
        await settings.SetListEntryAsync(SpamScope.ForUser("allow-a@one.test"), "newsletter.test", allow: true, CancellationToken.None);
        await settings.SetListEntryAsync(SpamScope.ForDomain("one.test"), "newsletter.test", allow: false, CancellationToken.None);
        var message = Messages.Plain("Our news", from: "News <news@newsletter.test>");
        var spfPass = new SenderAuthentication(AuthResult.Pass, "newsletter.test", AuthResult.None, [], AuthResult.None);

        using var stream = new MemoryStream(message);
        var scan = await scanner.ScanAsync(stream, Envelope("bounces@newsletter.test"), spfPass, ["allow-a@one.test", "allow-b@one.test"], ScanMode.Check, CancellationToken.None);
        Assert.Contains(new SpamSymbol("USER_IN_ALLOWLIST", -100), scan.Recipients[0].Symbols);
        Assert.Contains(new SpamSymbol("USER_IN_BLOCKLIST", 100), scan.Recipients[1].Symbols);
        Assert.Equal(SpamVerdict.Reject, scan.Recipients[1].Verdict);
        Assert.Equal(SpamVerdict.Ham, scan.Recipients[0].Verdict);
        Assert.False(scan.RejectAll);

        // Forged: SPF fails and no DKIM: the allow entry matches but is not believed.
        var spfFail = spfPass with { Spf = AuthResult.Fail };
        var forged = await scanner.ScanAsync(new MemoryStream(message), Envelope("bounces@newsletter.test"), spfFail, ["allow-a@one.test"], ScanMode.Check, CancellationToken.None);
        Assert.Contains(new SpamSymbol("ALLOWLIST_NOT_AUTHENTICATED", 0), forged.Recipients[0].Symbols);

        // Aligned DKIM of the From domain is enough when the envelope sender is elsewhere.
        var dkim = new SenderAuthentication(AuthResult.None, null, AuthResult.Pass, ["newsletter.test"], AuthResult.Pass);
        var signed = await scanner.ScanAsync(new MemoryStream(message), Envelope("bounce@esp.test"), dkim, ["allow-a@one.test"], ScanMode.Check, CancellationToken.None);
        Assert.Contains(new SpamSymbol("USER_IN_ALLOWLIST", -100), signed.Recipients[0].Symbols);
    }

    [Fact]
    public async Task Thresholds_follow_user_then_domain_then_global_and_reject_needs_every_recipient()
    {
        var scanner = Scanner(out var settings);
        await settings.SetThresholdAsync(SpamScope.ForDomain("two.test"), SpamThresholdKind.Reject, 1.0, CancellationToken.None);
        await settings.SetThresholdAsync(SpamScope.ForUser("lenient@two.test"), SpamThresholdKind.Reject, 50, CancellationToken.None);
        await settings.SetThresholdAsync(SpamScope.ForUser("lenient@two.test"), SpamThresholdKind.DiscardForward, 2.0, CancellationToken.None);
        var message = Messages.Plain("hi", date: false); // MISSING_DATE 1.4
        var scan = await scanner.ScanAsync(new MemoryStream(message), Envelope("alice@sender.test"), null, ["strict@two.test", "lenient@two.test"], ScanMode.Check, CancellationToken.None);
        Assert.Equal(SpamVerdict.Reject, scan.Recipients[0].Verdict);
        Assert.Equal(SpamVerdict.Ham, scan.Recipients[1].Verdict);
        Assert.Equal(50, scan.Recipients[1].RejectThreshold);
        Assert.False(scan.RejectAll);
        Assert.False(scan.Recipients[1].DiscardForward(6.0));
        Assert.True(scan.Recipients[1].DiscardForward(1.0));
        var strictOnly = await scanner.ScanAsync(new MemoryStream(message), Envelope("alice@sender.test"), null, ["strict@two.test"], ScanMode.Check, CancellationToken.None);
        Assert.True(strictOnly.RejectAll);
    }

    [Fact]
    public async Task Learning_per_user_moves_that_users_score_and_unlearning_moves_it_back()
    {
        var scanner = Scanner(out _);
        for (var i = 0; i < 6; i++)
        {
            await scanner.LearnAsync(new MemoryStream(Messages.Plain($"Limited offer {i}: cheap pharmacy pills, order now, discreet shipping {i}", subject: $"pills {i}")), spam: true, "learner@three.test", CancellationToken.None);
            await scanner.LearnAsync(new MemoryStream(Messages.Plain($"Minutes of meeting {i}: the committee agreed the budget and the schedule {i}", subject: $"minutes {i}")), spam: false, "learner@three.test", CancellationToken.None);
        }

        var probe = Messages.Plain("Cheap pharmacy pills, discreet shipping, order now", subject: "pills");
        var scan = await scanner.ScanAsync(new MemoryStream(probe), Envelope("x@sender.test"), null, ["learner@three.test", "other@three.test"], ScanMode.Check, CancellationToken.None);
        var learner = scan.Recipients[0].Symbols.Single(s => s.Name.StartsWith("CLASSIFIER_", StringComparison.Ordinal));
        Assert.Equal("CLASSIFIER_SPAM", learner.Name);
        Assert.True(learner.Score > 0);

        // The same message learned twice counts once; learned as the other class, it counts for that class.
        var message = Messages.Plain("A message that changes its mind");
        Assert.Equal(LearnOutcome.Learned, await scanner.LearnAsync(new MemoryStream(message), true, "learner@three.test", CancellationToken.None));
        Assert.Equal(LearnOutcome.AlreadyLearned, await scanner.LearnAsync(new MemoryStream(message), true, "learner@three.test", CancellationToken.None));
        Assert.Equal(LearnOutcome.Relearned, await scanner.LearnAsync(new MemoryStream(message), false, "learner@three.test", CancellationToken.None));
        var owner = await new ClassifierStore(database.Database).OwnerAsync("learner@three.test", CancellationToken.None);
        Assert.Equal((6, 7), (owner!.SpamLearned, owner.HamLearned));
    }

    [Fact]
    public async Task A_message_is_tokenized_only_when_a_model_has_learned_enough_to_use_it()
    {
        var store = new ClassifierStore(database.Database);
        var tokenized = 0;
        var features = new Lazy<ulong[]>(() =>
        {
            Interlocked.Increment(ref tokenized);
            return [1, 2, 3];
        });

        // No model can ever speak: the scan spends nothing on the message's features.
        var untrained = new SpamClassifier(store, TimeProvider.System, minimumLearned: int.MaxValue);
        var verdict = await untrained.ClassifyAsync(features, "nobody@four.test", CancellationToken.None);
        Assert.Null(verdict.SpamProbability);
        Assert.Equal(0, tokenized);

        // A model that speaks (here: one that needs nothing learned) asks for them, once for every recipient.
        var speaking = new SpamClassifier(store, TimeProvider.System, minimumLearned: 0);
        Assert.NotNull((await speaking.ClassifyAsync(features, "nobody@four.test", CancellationToken.None)).SpamProbability);
        Assert.NotNull((await speaking.ClassifyAsync(features, "other@four.test", CancellationToken.None)).SpamProbability);
        Assert.Equal(1, tokenized);
    }

    [Fact]
    public async Task A_40_MiB_message_is_scored_on_its_first_part_in_bounded_memory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"big-{Guid.NewGuid():N}.eml");
        try
        {
            await using (var file = File.Create(path))
            {
                await file.WriteAsync(Encoding.ASCII.GetBytes("From: a@sender.test\r\nTo: b@one.test\r\nSubject: a big report\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <big@sender.test>\r\n\r\n"));
                var line = Encoding.ASCII.GetBytes("A line of a large report, repeated until the message is forty mebibytes long.\r\n");
                for (long written = 0; written < 40L * 1024 * 1024; written += line.Length)
                {
                    await file.WriteAsync(line);
                }
            }

            var scanner = Scanner(out _);
            GC.Collect();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            await using var stream = File.OpenRead(path);
            var scan = await scanner.ScanAsync(stream, Envelope("a@sender.test"), null, ["big@one.test"], ScanMode.Check, CancellationToken.None);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.True(scan.Partial);
            Assert.Contains("SCAN_TRUNCATED", scan.Recipients[0].Symbols.Select(s => s.Name));
            Assert.True(allocated < 64L * 1024 * 1024, $"{allocated:N0} bytes allocated to score a 40 MiB message");
            Assert.Equal(new FileInfo(path).Length, stream.Length); // the file is untouched
        }
        finally
        {
            File.Delete(path);
        }
    }
}
