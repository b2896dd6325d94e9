using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>A compiled script: immutable, shared by every run, identified by the SHA-256 of its text.</summary>
public sealed class SieveScript
{
    internal SieveScript(string name, string contentHash, IReadOnlyList<SieveNode> commands, IReadOnlySet<string> required)
    {
        Name = name;
        ContentHash = contentHash;
        Commands = commands;
        Required = required;
    }

    public string Name { get; }

    public string ContentHash { get; }

    public IReadOnlyList<SieveNode> Commands { get; }

    public IReadOnlySet<string> Required { get; }
}

/// <summary>Limits on scripts and on one run (Pigeonhole's defaults where it has one).</summary>
public sealed record SieveLimits
{
    public static SieveLimits Default { get; } = new();

    /// <summary>sieve_max_script_size: 1 MiB.</summary>
    public int MaxScriptSize { get; init; } = 1024 * 1024;

    /// <summary>Deepest nesting of blocks and tests.</summary>
    public int MaxNesting { get; init; } = 32;

    /// <summary>Commands and tests one run may execute (include'd scripts count too).</summary>
    public int MaxInstructions { get; init; } = 100_000;

    /// <summary>sieve_max_actions: 32.</summary>
    public int MaxActions { get; init; } = 32;

    /// <summary>sieve_max_redirects: 4.</summary>
    public int MaxRedirects { get; init; } = 4;

    /// <summary>RFC 6609: include nesting (sieve_include_max_nesting_depth: 10).</summary>
    public int MaxIncludeDepth { get; init; } = 10;

    /// <summary>sieve_include_max_includes: 255 scripts per run.</summary>
    public int MaxIncludes { get; init; } = 255;

    /// <summary>Decoded body bytes the body test reads per run.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>RFC 5229 §6: variables per scope (sieve_variables_max_scope_size: 255) and value size (4 KiB).</summary>
    public int MaxVariables { get; init; } = 255;

    public int MaxVariableSize { get; init; } = 4096;

    /// <summary>How long one regular-expression match may run.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Vacation periods (sieve_vacation_min_period 1d, max 90d, default 7d).</summary>
    public TimeSpan VacationMinPeriod { get; init; } = TimeSpan.FromDays(1);

    public TimeSpan VacationMaxPeriod { get; init; } = TimeSpan.FromDays(90);

    public TimeSpan VacationDefaultPeriod { get; init; } = TimeSpan.FromDays(7);

    /// <summary>RFC 7352: duplicate tracking period (sieve_duplicate_default_period 14d, max 7d raised to 14d).</summary>
    public TimeSpan DuplicateDefaultPeriod { get; init; } = TimeSpan.FromDays(14);

    public TimeSpan DuplicateMaxPeriod { get; init; } = TimeSpan.FromDays(14);
}

/// <summary>
/// Compiled scripts by content hash, so a script used for every delivery is compiled once. Bounded: past its
/// capacity the cache is cleared (simple, and a working set of active scripts refills it quickly).
/// </summary>
public sealed class SieveScriptCache
{
    private readonly ConcurrentDictionary<string, SieveCompileResult> _byHash = new(StringComparer.Ordinal);
    private readonly int _capacity;
    private readonly SieveLimits _limits;

    public SieveScriptCache(SieveLimits? limits = null, int capacity = 10_000)
    {
        _limits = limits ?? SieveLimits.Default;
        _capacity = capacity;
    }

    public SieveLimits Limits => _limits;

    /// <summary>The compiled form of <paramref name="text"/>, compiled now or earlier.</summary>
    public SieveCompileResult GetOrCompile(string name, string text)
    {
        var key = name + "\0" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        if (_byHash.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var result = SieveCompiler.Compile(name, text, _limits);
        if (_byHash.Count >= _capacity)
        {
            _byHash.Clear();
        }

        _byHash[key] = result;
        return result;
    }
}
