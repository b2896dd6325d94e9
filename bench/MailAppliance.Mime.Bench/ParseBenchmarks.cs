using BenchmarkDotNet.Attributes;
using MailAppliance.Mime;
using MailAppliance.Mime.Imap;

namespace MailAppliance.Mime.Bench;

/// <summary>
/// Structure parsing (part tree, offsets, CRLF sizes, header fields) from a stream, as Storage does on delivery,
/// plus building the IMAP BODYSTRUCTURE. MB/s = size / mean time; see docs/performance.md.
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private byte[] _message = Array.Empty<byte>();

    [Params("1KiB", "100KiB", "10MiB", "50parts")]
    public string Message { get; set; } = "1KiB";

    [GlobalSetup]
    public void Setup() => _message = Message switch
    {
        "1KiB" => SampleMessages.Small,
        "100KiB" => SampleMessages.Medium,
        "10MiB" => SampleMessages.Large,
        _ => SampleMessages.FiftyParts,
    };

    [Benchmark]
    public long ParseStructure()
    {
        using var stream = new MemoryStream(_message, writable: false);
        return MimeParser.Parse(stream).CrlfLength;
    }

    [Benchmark]
    public int ParseAndBodyStructure()
    {
        using var stream = new MemoryStream(_message, writable: false);
        return ImapViews.BodyStructure(MimeParser.Parse(stream)).Length;
    }
}
