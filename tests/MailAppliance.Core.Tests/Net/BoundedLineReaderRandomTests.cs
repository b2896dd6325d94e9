using System.Buffers;
using MailAppliance.Core.Net;

namespace MailAppliance.Core.Tests.Net;

/// <summary>
/// Random input cut into random reads, compared with a plain model of the rules: the reader must give the same
/// lines and never ask to keep a limit's worth of bytes.
/// </summary>
public class BoundedLineReaderRandomTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Agrees_with_a_simple_model(bool requireCrlf)
    {
        var random = new Random(5321);
        for (var round = 0; round < 2_000; round++)
        {
            var limit = random.Next(3, 24);
            var input = new byte[random.Next(0, 120)];
            for (var i = 0; i < input.Length; i++)
            {
                // Mostly letters, with plenty of CR and LF to make every kind of ending.
                input[i] = random.Next(6) switch { 0 => (byte)'\r', 1 => (byte)'\n', _ => (byte)('a' + random.Next(3)) };
            }

            var expected = Model(input, limit, requireCrlf);
            var reader = new BoundedLineReader(limit, requireCrlf);
            var actual = new List<string>();
            var pending = Array.Empty<byte>();
            var position = 0;
            while (position < input.Length)
            {
                var take = Math.Min(random.Next(1, 30), input.Length - position);
                var buffer = new ReadOnlySequence<byte>([.. pending, .. input.AsSpan(position, take)]);
                position += take;
                while (true)
                {
                    var result = reader.TryReadLine(ref buffer, out var line);
                    if (result == LineReadResult.NeedMoreData)
                    {
                        break;
                    }

                    actual.Add(result == LineReadResult.TooLong ? "!" : System.Text.Encoding.ASCII.GetString(line.ToArray()));
                }

                Assert.True(buffer.Length < limit);
                pending = buffer.ToArray();
            }

            Assert.Equal(expected, actual);
        }
    }

    /// <summary>The rules stated naively over the whole input: split at endings, then judge each line's length.</summary>
    private static List<string> Model(byte[] input, int limit, bool requireCrlf)
    {
        var lines = new List<string>();
        var start = 0;
        var discarding = false;
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '\n')
            {
                if (!discarding && i - start + 1 >= limit)
                {
                    // Reported as soon as the limit is reached without an ending in it.
                    lines.Add("!");
                    discarding = true;
                }

                continue;
            }

            var hasCr = i > start && input[i - 1] == '\r';
            if (discarding)
            {
                discarding = false;
                start = i + 1;
                continue;
            }

            if (requireCrlf && !hasCr)
            {
                if (i - start + 1 >= limit)
                {
                    lines.Add("!");
                    discarding = true;
                }

                continue;
            }

            lines.Add(System.Text.Encoding.ASCII.GetString(input, start, i - start - (hasCr ? 1 : 0)));
            start = i + 1;
        }

        return lines;
    }
}
