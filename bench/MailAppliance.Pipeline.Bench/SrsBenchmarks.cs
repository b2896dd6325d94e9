using BenchmarkDotNet.Attributes;
using MailAppliance.Pipeline.Srs;

namespace MailAppliance.Pipeline.Bench;

/// <summary>The cost of SRS on the forwarding path (rewrite) and at RCPT of a bounce (verify), one thread.</summary>
[MemoryDiagnoser]
public class SrsBenchmarks
{
    private SrsRewriter _srs = null!;
    private SrsRewriter _rotated = null!;
    private string _srs0 = "";
    private string _srs1 = "";
    private string _signedWithOldSecret = "";

    [GlobalSetup]
    public void Setup()
    {
        _srs = new SrsRewriter("forward.example.com", SrsSecrets.FromStrings("a-reasonably-long-secret-line"), TimeProvider.System);
        _rotated = new SrsRewriter("forward.example.com", SrsSecrets.FromStrings("the-new-secret", "a-reasonably-long-secret-line"), TimeProvider.System);
        _srs0 = _srs.Forward("first.last+news@sender.example.org");
        _srs1 = _srs.Forward("SRS0=abcd=XY=origin.example=bob@other-forwarder.example");
        _signedWithOldSecret = _srs0;
    }

    [Benchmark(Description = "Forward (SRS0 rewrite)")]
    public string Rewrite() => _srs.Forward("first.last+news@sender.example.org");

    [Benchmark(Description = "Forward (SRS1 of an SRS0 sender)")]
    public string RewriteSrs1() => _srs.Forward("SRS0=abcd=XY=origin.example=bob@other-forwarder.example");

    [Benchmark(Description = "Reverse (verify SRS0)")]
    public SrsReverseResult Verify() => _srs.Reverse(_srs0);

    [Benchmark(Description = "Reverse (verify SRS1)")]
    public SrsReverseResult VerifySrs1() => _srs.Reverse(_srs1);

    [Benchmark(Description = "Reverse (second of two secrets)")]
    public SrsReverseResult VerifyRotated() => _rotated.Reverse(_signedWithOldSecret);
}
