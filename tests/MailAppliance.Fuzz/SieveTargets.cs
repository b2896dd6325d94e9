using System.Buffers;
using System.Text;
using MailAppliance.ManageSieve.Protocol;
using MailAppliance.Pipeline.Sieve;

namespace MailAppliance.Fuzz;

/// <summary>
/// The sieve script compiler (lexer, parser, validation) and the ManageSieve command reader as fuzz targets. A
/// script reaches the compiler from a ManageSieve client (PUTSCRIPT, CHECKSCRIPT), the CLI and the disk (an
/// adopted Pigeonhole directory); the command reader takes every byte a ManageSieve client sends.
/// </summary>
public static class SieveTargets
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes(
        "From: \"Alice\" <alice@example.org>\r\nTo: bob@example.test\r\nSubject: =?utf-8?q?caf=C3=A9?= report\r\n"
        + "Date: Mon, 1 Jun 2026 10:15:30 +0200\r\nMessage-ID: <q1@example.org>\r\nX-Spam-Score: 3.5\r\nMIME-Version: 1.0\r\n"
        + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe report is attached.\r\n"
        + "--b\r\nContent-Type: text/html\r\n\r\n<p>The <b>report</b></p>\r\n--b--\r\n");

    // Small limits, so that the fuzzer reaches them: the session's are 8 KiB lines and 1 MiB + 1 KiB literals.
    private const int MaxLine = 512;
    private const long MaxLiteral = 2048;

    // What one command may take as a whole (one literal of the largest size and one line besides, and a marker),
    // and how many arguments: ManageSieveParser's MaxCommandLength and MaxArguments, stated here as the promise.
    private const long MaxCommand = MaxLiteral + MaxLine + MaxLine + 32;
    private const int MaxArguments = 16;

    /// <summary>
    /// A script as ManageSieve hands it to the compiler (bytes read as UTF-8): compiled, it either succeeds with no
    /// error or fails naming at least one, each at a place inside the script; a compiled script then runs (dry, as
    /// CHECKSCRIPT and <c>sieve test</c> do) against a fixed message and ends with a result, never an exception.
    /// </summary>
    public static void Sieve(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var lines = 1 + text.Count(c => c == '\n');
        var result = SieveCompiler.Compile("fuzz", text);
        var errors = result.Errors.Count();
        Require(result.Succeeded ? errors == 0 : errors > 0, "a script compiles with no error or fails with one at least");
        foreach (var d in result.Diagnostics)
        {
            Require(d.Line >= 0 && d.Column >= 0 && d.Line <= lines + 1, "a diagnostic lies inside the script");
            Require(!string.IsNullOrEmpty(d.Message), "a diagnostic says something");
        }

        if (result.Script is null)
        {
            return;
        }

        var interpreter = new SieveInterpreter(TimeProvider.System);
        using var message = new MemoryStream(Message, writable: false);
        var run = new SieveRunInput(new SieveEnvelope("alice@example.org", "bob@example.test"), message,
            new SieveUserContext(1, "bob@example.test", ["bob@example.test"])) { DryRun = true };
        var outcome = interpreter.RunAsync(result.Script, run, CancellationToken.None).GetAwaiter().GetResult();
        Require(!outcome.Failed || outcome.ImplicitKeep is not null, "a failed run keeps the message");
    }

    /// <summary>
    /// ManageSieve command reading as the session does it (ManageSieveSession.ReadCommandAsync: parse, skip a
    /// refused line or literal), once over the whole input and once over it arriving in pieces (the first byte
    /// chooses their size): both must read the same commands and refusals, no command may exceed the parser's
    /// bound as a whole, and what waits for more data never exceeds it either.
    /// </summary>
    public static void ManageSieveCommand(byte[] input)
    {
        var whole = Read(input, Math.Max(1, input.Length));
        var piece = input.Length == 0 ? 1 : 1 + (input[0] % 13);
        var pieces = Read(input, piece);
        Require(whole.SequenceEqual(pieces), "commands read in pieces are the commands read whole");
    }

    /// <summary>
    /// The session's reading loop over <paramref name="input"/> arriving <paramref name="piece"/> octets at a time:
    /// the commands read (name and arguments in hex) and the refusals, in order, until the input ends.
    /// </summary>
    public static List<string> Read(byte[] input, int piece)
    {
        var parser = new ManageSieveParser(MaxLine, MaxLiteral);
        var events = new List<string>();
        var (start, available, discard, discardLine) = (0, Math.Min(piece, input.Length), 0L, false);
        for (var rounds = 0; ; rounds++)
        {
            Require(rounds <= (3 * input.Length) + 8, "reading makes progress");
            var buffer = input.AsMemory(start, available - start);
            var completed = available == input.Length;
            if (buffer.IsEmpty)
            {
                if (completed)
                {
                    return events;
                }

                available = Math.Min(available + piece, input.Length); // the session waits for the client
                continue;
            }

            if (discard == 0 && discardLine)
            {
                var lf = buffer.Span.IndexOf((byte)'\n');
                start = lf < 0 ? available : start + lf + 1;
                discardLine = lf < 0;
                continue;
            }

            if (discard > 0)
            {
                var skipped = (int)Math.Min(discard, buffer.Length);
                discard -= skipped;
                start += skipped;
                continue;
            }

            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(buffer));
            var status = parser.TryParse(ref reader, out var command, out var error, out var skip);
            if (status == ManageSieveParseStatus.Complete)
            {
                Require(reader.Consumed > 0, "a command takes input");
                Require(reader.Consumed <= MaxCommand, "a command is bounded as a whole");
                Require(command!.Arguments.Count <= MaxArguments + 1, "a command's arguments are bounded");
                Require(!command.Name.Any(char.IsLower), "a command's name is upper case");
                events.Add($"{command.Name} {string.Join(' ', command.Arguments.Select(Convert.ToHexString))}");
                start += (int)reader.Consumed;
            }
            else if (status == ManageSieveParseStatus.Invalid)
            {
                // As the session: skip the refused literal and the rest of its line, or the rest of the line.
                Require(!string.IsNullOrEmpty(error) && skip >= 0, "a refusal says why");
                events.Add($"NO {error}");
                discard = skip;
                discardLine = skip > 0;
                var lf = buffer.Span[(int)reader.Consumed..].IndexOf((byte)'\n');
                if (skip == 0 && lf >= 0)
                {
                    start += (int)reader.Consumed + lf + 1;
                }
                else if (skip == 0)
                {
                    start = available;
                    discardLine = true;
                }
                else
                {
                    start += (int)reader.Consumed;
                }
            }
            else
            {
                Require(buffer.Length <= MaxCommand, "what waits for more data is bounded");
                if (completed)
                {
                    return events; // the connection closes with a command unfinished
                }

                available = Math.Min(available + piece, input.Length);
            }
        }
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new ParserTargets.InvariantException(what);
        }
    }
}
