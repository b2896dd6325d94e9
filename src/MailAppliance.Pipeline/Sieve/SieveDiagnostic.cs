namespace MailAppliance.Pipeline.Sieve;

/// <summary>How bad a diagnostic is.</summary>
public enum SieveSeverity
{
    Warning,
    Error,
}

/// <summary>
/// One compile-time or run-time message about a script, with the line and column it concerns (1-based; 0 when the
/// message concerns the whole script). <see cref="Format"/> writes it as Pigeonhole does:
/// <c>NAME: line N: error: text</c>.
/// </summary>
public sealed record SieveDiagnostic(SieveSeverity Severity, int Line, int Column, string Message)
{
    public static SieveDiagnostic Error(SievePosition at, string message) => new(SieveSeverity.Error, at.Line, at.Column, message);

    public static SieveDiagnostic Warning(SievePosition at, string message) => new(SieveSeverity.Warning, at.Line, at.Column, message);

    public string Format(string scriptName)
    {
        var kind = Severity == SieveSeverity.Error ? "error" : "warning";
        return Line > 0 ? $"{scriptName}: line {Line}: {kind}: {Message}" : $"{scriptName}: {kind}: {Message}";
    }

    public override string ToString() => Format("script");
}

/// <summary>A place in a script: 1-based line and column.</summary>
public readonly record struct SievePosition(int Line, int Column)
{
    public static SievePosition None => default;
}
