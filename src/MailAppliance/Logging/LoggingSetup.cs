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
            configuration.WriteTo.Console(new FlatJsonFormatter());
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

    private sealed class TextWriterSink(TextWriter writer) : Serilog.Core.ILogEventSink
    {
        private readonly FlatJsonFormatter _formatter = new();
        private readonly Lock _gate = new();

        public void Emit(LogEvent logEvent)
        {
            lock (_gate)
            {
                _formatter.Format(logEvent, writer);
                writer.Flush();
            }
        }
    }
}
