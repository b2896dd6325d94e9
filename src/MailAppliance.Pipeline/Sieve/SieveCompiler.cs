using System.Security.Cryptography;
using System.Text;

namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// Validates a parsed script against <see cref="SieveCommandSpecs"/> and the extensions it requires, and builds
/// the compiled form the interpreter runs. Errors carry the line and column of the offending token; several are
/// reported at once (up to a cap), as Pigeonhole does.
/// </summary>
public sealed partial class SieveCompiler
{
    private const int MaxErrors = 10;

    private readonly List<SieveDiagnostic> _diagnostics = [];
    private readonly HashSet<string> _required = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reportedUnknown = new(StringComparer.OrdinalIgnoreCase);

    private int ErrorCount => _diagnostics.Count(d => d.Severity == SieveSeverity.Error);

    /// <summary>Compiles <paramref name="text"/>; the result says whether it succeeded and lists every diagnostic.</summary>
    public static SieveCompileResult Compile(string name, string text, SieveLimits? limits = null)
    {
        limits ??= SieveLimits.Default;
        var hash = System.Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        if (Encoding.UTF8.GetByteCount(text) > limits.MaxScriptSize)
        {
            return new SieveCompileResult(null, [new SieveDiagnostic(SieveSeverity.Error, 0, 0, $"script is too large (max {limits.MaxScriptSize} bytes)")]);
        }

        if (!SieveParser.TryParse(text, limits.MaxNesting, out var commands, out var syntaxError))
        {
            return new SieveCompileResult(null, [syntaxError!, new SieveDiagnostic(SieveSeverity.Error, 0, 0, "parse failed.")]);
        }

        var compiler = new SieveCompiler();
        var compiled = compiler.CompileScript(commands);
        if (compiler.ErrorCount > 0)
        {
            compiler._diagnostics.Add(new SieveDiagnostic(SieveSeverity.Error, 0, 0, "validation failed."));
            return new SieveCompileResult(null, compiler._diagnostics);
        }

        return new SieveCompileResult(new SieveScript(name, hash, compiled, compiler._required), compiler._diagnostics);
    }

    private void Error(SievePosition at, string message)
    {
        if (ErrorCount < MaxErrors)
        {
            _diagnostics.Add(SieveDiagnostic.Error(at, message));
        }
    }

    private void Warning(SievePosition at, string message) => _diagnostics.Add(SieveDiagnostic.Warning(at, message));

    private bool Requires(string extension) => _required.Contains(extension);

    private List<SieveNode> CompileScript(IReadOnlyList<SieveSyntaxNode> commands)
    {
        // RFC 5228 §3.2: require must come before any other command.
        var index = 0;
        for (; index < commands.Count && commands[index].Identifier.Equals("require", StringComparison.OrdinalIgnoreCase); index++)
        {
            Require(commands[index]);
        }

        return CompileBlock(commands, index, topLevel: true);
    }

    private void Require(SieveSyntaxNode node)
    {
        if (node.Arguments is not [SieveStringListArgument list] || node.Tests.Count > 0 || node.Block is not null)
        {
            Error(node.Position, "the require command expects a string list of capabilities");
            return;
        }

        foreach (var capability in list.Values)
        {
            if (!SieveCapabilities.IsKnown(capability))
            {
                Error(list.Position, $"require command: unknown Sieve capability `{capability}'.");
                continue;
            }

            _required.Add(capability);
            if (capability is "spamtestplus")
            {
                _required.Add("spamtest");
            }

            if (capability is "vacation-seconds")
            {
                _required.Add("vacation");
            }
        }
    }

    private List<SieveNode> CompileBlock(IReadOnlyList<SieveSyntaxNode> commands, int start, bool topLevel)
    {
        var result = new List<SieveNode>();
        string? previous = null;
        for (var i = start; i < commands.Count; i++)
        {
            var syntax = commands[i];
            var name = syntax.Identifier.ToLowerInvariant();
            if (name == "require")
            {
                Error(syntax.Position, topLevel
                    ? "require commands can only be placed at top level at the beginning of the file."
                    : "require commands can only be placed at top level at the beginning of the file.");
                continue;
            }

            // RFC 5228 §3.1: elsif and else only follow if or elsif.
            if (name is "elsif" or "else" && previous is not ("if" or "elsif"))
            {
                Error(syntax.Position, $"the {name} command must follow an if or elsif command");
            }

            var node = CompileNode(syntax, isTest: false);
            if (node is not null)
            {
                result.Add(node);
            }

            previous = name;
        }

        return result;
    }

    private SieveNode? CompileNode(SieveSyntaxNode syntax, bool isTest)
    {
        var kind = isTest ? "test" : "command";
        if (!SieveCommandSpecs.Commands.TryGetValue(syntax.Identifier, out var spec) || spec.IsTest != isTest
            || (spec.Extension is not null && !Requires(spec.Extension)))
        {
            if (_reportedUnknown.Add(kind + syntax.Identifier))
            {
                Error(syntax.Position, $"unknown {kind} '{syntax.Identifier}' (only reported once at first occurrence).");
            }

            return null;
        }

        var node = new SieveNode(spec, syntax.Position);
        ReadArguments(node, syntax.Arguments);

        if (syntax.Tests.Count < spec.MinTests || syntax.Tests.Count > spec.MaxTests)
        {
            Error(syntax.Position, spec.MaxTests == 0
                ? $"the {spec.Name} {kind} accepts no tests"
                : $"the {spec.Name} {kind} expects {(spec.MaxTests == 1 ? "one test" : "a test list")}");
        }

        foreach (var test in syntax.Tests)
        {
            if (CompileNode(test, isTest: true) is { } t)
            {
                node.Tests.Add(t);
            }
        }

        if (spec.Block == SieveBlockRule.Required && syntax.Block is null)
        {
            Error(syntax.Position, $"the {spec.Name} command requires a block");
        }
        else if (spec.Block == SieveBlockRule.None && syntax.Block is not null)
        {
            Error(syntax.Position, $"the {spec.Name} command does not take a block");
        }
        else if (syntax.Block is not null)
        {
            node.Block = CompileBlock(syntax.Block, 0, topLevel: false);
        }

        Validate(node);
        return node;
    }

    private void ReadArguments(SieveNode node, IReadOnlyList<SieveArgument> arguments)
    {
        var spec = node.Spec;
        var kind = spec.IsTest ? "test" : "command";
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<SieveArgument>();
        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i] is not SieveTagArgument tag)
            {
                positional.Add(arguments[i]);
                continue;
            }

            var tagSpec = spec.Tags.FirstOrDefault(t => t.Name.Equals(tag.Name, StringComparison.OrdinalIgnoreCase));
            if (tagSpec is null || (tagSpec.Extension is not null && !Requires(tagSpec.Extension)))
            {
                Error(tag.Position, $"unknown tagged argument ':{tag.Name}' for the {spec.Name} {kind} (reported only once at first occurrence).");
                continue;
            }

            if (node.Tags.ContainsKey(tagSpec.Name))
            {
                Error(tag.Position, $"the :{tagSpec.Name} argument is given more than once for the {spec.Name} {kind}");
                continue;
            }

            if (tagSpec.Group is not null)
            {
                if (groups.TryGetValue(tagSpec.Group, out var other))
                {
                    Error(tag.Position, $"the :{tagSpec.Name} argument conflicts with :{other} for the {spec.Name} {kind}");
                    continue;
                }

                groups[tagSpec.Group] = tagSpec.Name;
            }

            object? parameter = null;
            if (tagSpec.Parameter is { } want)
            {
                if (i + 1 >= arguments.Count || arguments[i + 1] is SieveTagArgument)
                {
                    Error(tag.Position, $"the :{tagSpec.Name} tag for the {spec.Name} {kind} requires {Describe(want)} as parameter");
                    continue;
                }

                parameter = Convert(arguments[++i], want, $"the :{tagSpec.Name} tag for the {spec.Name} {kind}", "its parameter");
            }

            node.Tags[tagSpec.Name] = parameter;
        }

        var expected = spec.Positional;
        var min = expected.Count - spec.OptionalPositional;
        if (positional.Count < min || positional.Count > expected.Count)
        {
            var at = positional.Count > expected.Count ? positional[expected.Count].Position : node.Position;
            Error(at, positional.Count < min
                ? $"the {spec.Name} {kind} expects {min} positional argument{(min == 1 ? "" : "s")}, but {positional.Count} {(positional.Count == 1 ? "was" : "were")} found"
                : $"the {spec.Name} {kind} expects {(expected.Count == 0 ? "no" : expected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} positional argument{(expected.Count == 1 ? "" : "s")}, but {positional.Count} were found");
            return;
        }

        // setflag/addflag/removeflag/hasflag: the optional argument is the first (a variable name); deleteheader:
        // the optional one is the last (value patterns).
        var offset = positional.Count < expected.Count && node.Name is not "deleteheader" ? expected.Count - positional.Count : 0;
        for (var p = 0; p < positional.Count; p++)
        {
            var converted = Convert(positional[p], expected[p + offset], $"the {spec.Name} {kind}", $"argument {p + 1}");
            if (converted is not null)
            {
                node.Positional.Add(converted);
            }
        }

        if (node.Positional.Count == positional.Count && offset > 0)
        {
            node.Positional.Insert(0, Array.Empty<SieveString>());
        }
    }

    private static string Describe(SieveArgKind kind) => kind switch
    {
        SieveArgKind.Number => "a number",
        SieveArgKind.String => "a string",
        _ => "a string list",
    };

    private object? Convert(SieveArgument argument, SieveArgKind want, string who, string which)
    {
        switch (argument)
        {
            case SieveNumberArgument n when want == SieveArgKind.Number:
                return n.Value;
            case SieveStringListArgument s when want == SieveArgKind.StringList || (want == SieveArgKind.String && s.Values.Count == 1):
                return s.Values.Select(Prepare).ToList();
            default:
                var found = argument switch
                {
                    SieveNumberArgument => "a number",
                    SieveStringListArgument { IsList: true } => "a string list",
                    SieveStringListArgument => "a string",
                    _ => "a tag",
                };
                Error(argument.Position, $"{who} expects {Describe(want)} as {which}, but {found} was found.");
                return null;
        }
    }

    /// <summary>RFC 5228 §2.4.2.4 encoded characters (when required) and RFC 5229 §3 variable references.</summary>
    private SieveString Prepare(string text)
    {
        if (Requires("encoded-character") && text.Contains("${", StringComparison.Ordinal))
        {
            text = SieveStrings.DecodeEncodedCharacters(text);
        }

        return new SieveString(text, Requires("variables") && text.Contains("${", StringComparison.Ordinal));
    }
}

/// <summary>The outcome of compiling: the script, or null when an error was found; every diagnostic either way.</summary>
public sealed record SieveCompileResult(SieveScript? Script, IReadOnlyList<SieveDiagnostic> Diagnostics)
{
    public bool Succeeded => Script is not null;

    public IEnumerable<SieveDiagnostic> Errors => Diagnostics.Where(d => d.Severity == SieveSeverity.Error);
}
