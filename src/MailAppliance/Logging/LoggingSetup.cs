using MailAppliance.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace MailAppliance.Logging;

/// <summary>
/// Serilog for the whole process: JSON lines when stdout is not a terminal (journald, files, pipes), readable text
/// when it is. Admin verbs log only warnings and errors, to stderr, so their stdout stays their output.
/// </summary>
public static class LoggingSetup
{
    public static Logger CreateLogger(LoggingOptions options, bool forAdminVerb, TextWriter? sink = null)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(forAdminVerb ? LogEventLevel.Warning : options.Level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Npgsql", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.With<ComponentEnricher>();

        if (sink is not null)
        {
            configuration.WriteTo.Sink(new TextWriterSink(sink));
        }
        else if (forAdminVerb)
        {
            configuration.WriteTo.Console(outputTemplate: "{Level:w4}: {Message:lj}{NewLine}{Exception}", standardErrorFromLevel: LogEventLevel.Verbose);
        }
        else if (Console.IsOutputRedirected)
        {
            // One write per line: Console.Out writes through a 256-byte buffer, so a transaction's line of a kilobyte
            // took five system calls, each under the sink's lock that every session logging waits for.
            configuration.WriteTo.Sink(new TextWriterSink(StandardOutput.Value));
        }
        else
        {
            configuration.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} [{Component}] {Message:lj}{NewLine}{Exception}");
        }

        if (options.File is not null)
        {
            configuration.WriteTo.File(new FlatJsonFormatter(), options.File, rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14);
        }

        return configuration.CreateLogger();
    }

    public static ILoggerFactory CreateFactory(Logger logger) => new SerilogLoggerFactory(logger, dispose: false);

    // One for the process: every logger made here (serve makes one; tests make several) writes through it.
    private static readonly Lazy<TextWriter> StandardOutput = new(() =>
        new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024));

    private sealed class TextWriterSink(TextWriter writer) : Serilog.Core.ILogEventSink
    {
        [ThreadStatic]
        private static StringWriter? t_line;

        private readonly FlatJsonFormatter _formatter = new();

        public void Emit(LogEvent logEvent)
        {
            // Formatted outside the lock, written and flushed under it (the writer's own lock: several loggers may
            // share it), so lines never interleave and each reaches the output whole.
            var line = t_line ??= new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            var text = line.GetStringBuilder();
            text.Clear();
            _formatter.Format(logEvent, line);
            lock (writer)
            {
                foreach (var chunk in text.GetChunks())
                {
                    writer.Write(chunk.Span);
                }

                writer.Flush();
            }

            if (text.Capacity > 64 * 1024)
            {
                t_line = null; // an odd huge line (an exception's stack) is not kept per thread
            }
        }
    }
}
