using MailAppliance.Pipeline.Srs;

namespace MailAppliance.Pipeline.Tests.Srs;

public sealed class SrsRewriterTests
{
    // The vectors of issue 16 (postsrsd's test suite uses the same secret, domain and time).
    private static readonly DateTimeOffset VectorTime = DateTimeOffset.FromUnixTimeSeconds(1577836860);

    private static SrsRewriter Rewriter(ManualTimeProvider clock, params string[] secrets) =>
        new("example.com", SrsSecrets.FromStrings(secrets.Length == 0 ? ["tops3cr3t"] : secrets), clock);

    [Fact]
    public void Forward_gives_the_known_SRS0_address()
    {
        var srs = Rewriter(new ManualTimeProvider(VectorTime));
        Assert.Equal("SRS0=vmyz=2W=otherdomain.com=test@example.com", srs.Forward("test@otherdomain.com"));
    }

    [Fact]
    public void Forward_of_an_SRS0_sender_gives_the_known_SRS1_address()
    {
        var srs = Rewriter(new ManualTimeProvider(VectorTime));
        Assert.Equal("SRS1=chaI=otherdomain.com==opaque+string@example.com", srs.Forward("SRS0=opaque+string@otherdomain.com"));
    }

    [Fact]
    public void Reverse_of_the_vectors_leads_back()
    {
        var srs = Rewriter(new ManualTimeProvider(VectorTime));
        Assert.Equal(new SrsReverseResult(SrsStatus.Valid, "test@otherdomain.com"), srs.Reverse("SRS0=vmyz=2W=otherdomain.com=test@example.com"));
        Assert.Equal(new SrsReverseResult(SrsStatus.Valid, "SRS0=opaque+string@otherdomain.com"), srs.Reverse("SRS1=chaI=otherdomain.com==opaque+string@example.com"));
    }

    [Fact]
    public void An_SRS1_sender_is_signed_anew_keeping_the_first_forwarders_part()
    {
        var srs = Rewriter(new ManualTimeProvider(VectorTime));
        var once = srs.Forward("SRS1=XXXX=otherdomain.com==opaque+string@elsewhere.net");
        Assert.Equal("SRS1=chaI=otherdomain.com==opaque+string@example.com", once);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<>")]
    [InlineData("alice@example.com")]
    [InlineData("alice@EXAMPLE.com")]
    [InlineData("bob@ours.test")]
    [InlineData("no-domain")]
    public void Null_senders_and_our_own_domains_are_not_rewritten(string sender)
    {
        var srs = Rewriter(new ManualTimeProvider(VectorTime));
        Assert.Equal(sender, srs.Forward(sender, d => d.Equals("ours.test", StringComparison.OrdinalIgnoreCase)));
    }

    [Theory]
    [InlineData("SRS0=vmyz=2W=otherdomain.com=test@example.com")]
    [InlineData("srs0=VMYZ=2w=OtherDomain.com=test@EXAMPLE.COM")]
    [InlineData("SRS0+vmyz=2W=otherdomain.com=test@example.com")]
    public void Reverse_accepts_any_case_and_Mail_SRS_separators(string address)
    {
        var result = Rewriter(new ManualTimeProvider(VectorTime)).Reverse(address);
        Assert.Equal(SrsStatus.Valid, result.Status);
        Assert.Equal("test@otherdomain.com", result.Address, ignoreCase: true);
    }

    [Fact]
    public void Reverse_accepts_both_base64_alphabets()
    {
        // Find a sender whose hash holds + or /, then offer it in the URL-safe alphabet (and smashed case).
        var srs = Rewriter(new ManualTimeProvider(VectorTime));
        var rewritten = Enumerable.Range(0, 500).Select(i => srs.Forward($"user{i}@sender.test")).First(a => a.IndexOfAny(['+', '/']) is > 4 and < 9);
        var urlSafe = rewritten[..9].Replace('+', '-').Replace('/', '_') + rewritten[9..];
        Assert.True(srs.Reverse(urlSafe).IsValid, urlSafe);
        Assert.True(srs.Reverse(urlSafe.ToUpperInvariant()).IsValid, urlSafe.ToUpperInvariant());
        Assert.True(srs.Reverse(rewritten).IsValid, rewritten);
    }

    [Theory]
    [InlineData("SRS0=vmyx=2W=otherdomain.com=test@example.com", SrsStatus.BadHash)]
    [InlineData("SRS0=vmyz=2W=otherdomain.com=tesT2@example.com", SrsStatus.BadHash)]
    [InlineData("SRS0=vmy=2W=otherdomain.com=test@example.com", SrsStatus.BadHash)]
    [InlineData("SRS1=chaJ=otherdomain.com==opaque+string@example.com", SrsStatus.BadHash)]
    [InlineData("SRS0=vmyz=2W=otherdomain.com@example.com", SrsStatus.Malformed)]
    [InlineData("SRS0=vmyz=2!=otherdomain.com=test@example.com", SrsStatus.Malformed)]
    [InlineData("SRS1=chaI=otherdomain.com@example.com", SrsStatus.Malformed)]
    [InlineData("SRS0=vmyz=2W=otherdomain.com=test@example.org", SrsStatus.NotSrs)]
    [InlineData("test@example.com", SrsStatus.NotSrs)]
    [InlineData("SRS2=vmyz=2W=otherdomain.com=test@example.com", SrsStatus.NotSrs)]
    public void Reverse_refuses_forged_and_malformed_addresses(string address, SrsStatus expected)
    {
        var result = Rewriter(new ManualTimeProvider(VectorTime)).Reverse(address);
        Assert.Equal(expected, result.Status);
        Assert.Null(result.Address);
    }

    [Fact]
    public void An_address_is_valid_for_MaxAgeDays_and_then_expires()
    {
        var clock = new ManualTimeProvider(VectorTime);
        var srs = Rewriter(clock);
        var address = srs.Forward("test@otherdomain.com");
        clock.Advance(TimeSpan.FromDays(21));
        Assert.True(srs.Reverse(address).IsValid);
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(SrsStatus.Expired, srs.Reverse(address).Status);

        // A timestamp from tomorrow is one from 1023 days ago.
        var tomorrow = Rewriter(new ManualTimeProvider(VectorTime.AddDays(1))).Forward("test@otherdomain.com");
        Assert.Equal(SrsStatus.Expired, Rewriter(new ManualTimeProvider(VectorTime)).Reverse(tomorrow).Status);
    }

    [Fact]
    public void The_first_secret_signs_and_every_secret_verifies()
    {
        var clock = new ManualTimeProvider(VectorTime);
        var old = Rewriter(clock, "tops3cr3t").Forward("test@otherdomain.com");
        var rotated = Rewriter(clock, "n3w-s3cr3t", "tops3cr3t");
        Assert.True(rotated.Reverse(old).IsValid);
        var signed = rotated.Forward("test@otherdomain.com");
        Assert.NotEqual(old, signed);
        Assert.Equal(SrsStatus.BadHash, Rewriter(clock, "tops3cr3t").Reverse(signed).Status);
    }

    [Fact]
    public async Task Mail_SRS_reverses_what_we_forward()
    {
        var now = DateTimeOffset.UtcNow;
        var srs = Rewriter(new ManualTimeProvider(now), "s3cr3t-one");
        string[] senders = ["test@otherdomain.com", "First.Last@Sub.Example.NET", "a+tag@x.test", "SRS0=abcd=XY=origin.test=bob@fwd.test",
            "SRS1=wxyz=origin.test==abcd=XY=bob@fwd2.test", "weird=local=part@host.test"];
        var forwarded = senders.Select(s => srs.Forward(s)).ToList();
        var reversed = await MailSrsPerl.RunAsync("reverse", "example.com", now, forwarded, "s3cr3t-one");
        var expected = senders.Select(s => "OK " + srs.Reverse(srs.Forward(s)).Address).ToList();
        Assert.Equal(expected, reversed);
        Assert.Equal("OK test@otherdomain.com", reversed[0]);
        Assert.Equal("OK SRS0=abcd=XY=origin.test=bob@fwd.test", reversed[3]);
    }

    [Fact]
    public async Task We_reverse_what_Mail_SRS_forwards()
    {
        var now = DateTimeOffset.UtcNow;
        string[] senders = ["test@otherdomain.com", "First.Last@Sub.Example.NET", "a+tag@x.test", "SRS0=abcd=XY=origin.test=bob@fwd.test", "weird=local=part@host.test"];
        var forwarded = await MailSrsPerl.RunAsync("forward", "example.com", now, senders, "s3cr3t-two", "older");
        var srs = Rewriter(new ManualTimeProvider(now), "s3cr3t-two", "older");
        Assert.All(forwarded, line => Assert.StartsWith("OK ", line));
        var addresses = forwarded.Select(l => l[3..]).ToList();
        Assert.Equal(senders.Select(s => srs.Forward(s)), addresses); // byte for byte the same rewriting

        var reversed = addresses.Select(a => srs.Reverse(a)).ToList();
        Assert.All(reversed, r => Assert.Equal(SrsStatus.Valid, r.Status));
        Assert.Equal("test@otherdomain.com", reversed[0].Address);
        Assert.Equal("First.Last@Sub.Example.NET", reversed[1].Address);
        Assert.Equal("SRS0=abcd=XY=origin.test=bob@fwd.test", reversed[3].Address);

        // And Mail::SRS agrees with us on what is forged or expired.
        var later = DateTimeOffset.UtcNow.AddDays(30);
        var tampered = addresses[0].Replace("otherdomain", "otherdomaim", StringComparison.Ordinal);
        var verdicts = await MailSrsPerl.RunAsync("reverse", "example.com", later, [addresses[0], tampered], "s3cr3t-two");
        Assert.All(verdicts, v => Assert.StartsWith("ERR", v));
        var ourLater = Rewriter(new ManualTimeProvider(later), "s3cr3t-two");
        Assert.Equal(SrsStatus.Expired, ourLater.Reverse(addresses[0]).Status);
        Assert.Equal(SrsStatus.BadHash, ourLater.Reverse(tampered).Status);
    }
}
