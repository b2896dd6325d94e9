using Microsoft.Extensions.Logging;

namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>
/// The rules in force: the built-in set with <c>Spam:RulesFile</c> over it, reloaded when the file changes (looked at
/// no more than every two seconds). A file that does not parse at start is an error; a bad edit later keeps the
/// rules that were in force, logs the error with its line, and is tried again at the next change.
/// </summary>
public sealed class RulesSource
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private readonly string? _file;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RuleParser.Parsed _builtIn;
    private readonly Lock _gate = new();
    private RuleSet _current;
    private (DateTime Modified, long Length) _stamp;
    private DateTimeOffset _checkedAt;

    private RulesSource(string? file, TimeProvider time, ILogger logger)
    {
        _file = file;
        _time = time;
        _logger = logger;
        _builtIn = BuiltInRules.Parse();
        _stamp = Stamp();
        _current = Build();
        _checkedAt = time.GetUtcNow();
    }

    /// <summary>The last reload's error (file and line), null when the file in force parsed.</summary>
    public string? LastError { get; private set; }

    /// <summary>Loads the rules; a rules file that is missing or does not parse throws <see cref="RulesException"/>.</summary>
    public static RulesSource Load(string? file, TimeProvider time, ILogger logger) => new(file, time, logger);

    /// <summary>The built-in set alone (tests, benchmarks).</summary>
    public static RulesSource BuiltInOnly() => new(null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    public RuleSet Current
    {
        get
        {
            var now = _time.GetUtcNow();
            if (_file is null || now - _checkedAt < CheckInterval)
            {
                return _current;
            }

            lock (_gate)
            {
                if (now - _checkedAt < CheckInterval)
                {
                    return _current;
                }

                _checkedAt = now;
                var stamp = Stamp();
                if (stamp == _stamp)
                {
                    return _current;
                }

                _stamp = stamp;
                try
                {
                    _current = Build();
                    LastError = null;
                    _logger.LogInformation("Spam rules reloaded from {RulesFile}: {Rules} rules", _file, _current.Rules.Count);
                }
                catch (RulesException e)
                {
                    LastError = e.Message;
                    _logger.LogError("Spam rules not reloaded, the rules in force stay: {Error}", e.Message);
                }

                return _current;
            }
        }
    }

    private RuleSet Build()
    {
        if (_file is null)
        {
            return RuleParser.Combine(_builtIn);
        }

        string text;
        try
        {
            text = File.ReadAllText(_file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RulesException($"{_file}: cannot be read: {e.Message}", e);
        }

        return RuleParser.Combine(_builtIn, RuleParser.Parse(text, _file, BuiltInEvals.Names));
    }

    private (DateTime, long) Stamp()
    {
        if (_file is null)
        {
            return default;
        }

        var info = new FileInfo(_file);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }
}
