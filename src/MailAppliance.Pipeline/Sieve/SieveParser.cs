namespace MailAppliance.Pipeline.Sieve;

/// <summary>
/// The grammar of RFC 5228 §8.2 over the lexer's tokens. Pure and bounded: nesting of blocks and tests is capped
/// before anything deeper is read, so a hostile script cannot exhaust the stack.
/// </summary>
public sealed class SieveParser
{
    private readonly List<SieveToken> _tokens;
    private readonly int _maxNesting;
    private int _position;

    private SieveParser(List<SieveToken> tokens, int maxNesting)
    {
        _tokens = tokens;
        _maxNesting = maxNesting;
    }

    /// <summary>Parses a whole script into its top-level commands, or returns the first syntax error.</summary>
    public static bool TryParse(string text, int maxNesting, out IReadOnlyList<SieveSyntaxNode> commands, out SieveDiagnostic? error)
    {
        var tokens = SieveLexer.Tokenize(text, out error);
        commands = [];
        if (error is not null)
        {
            return false;
        }

        var parser = new SieveParser(tokens, maxNesting);
        var list = new List<SieveSyntaxNode>();
        while (parser.Peek.Kind != SieveTokenKind.End)
        {
            var command = parser.Command(0, out error);
            if (command is null)
            {
                return false;
            }

            list.Add(command);
        }

        commands = list;
        return true;
    }

    private SieveToken Peek => _tokens[_position];

    private SieveToken Take() => _tokens[_position < _tokens.Count - 1 ? _position++ : _position];

    private static SieveDiagnostic Unexpected(SieveToken token, string expected) =>
        SieveDiagnostic.Error(token.Position, $"expected {expected}, but found {Describe(token)}.");

    private static string Describe(SieveToken token) => token.Kind switch
    {
        SieveTokenKind.End => "end of file",
        SieveTokenKind.Identifier => $"identifier '{token.Text}'",
        SieveTokenKind.Tag => $"tag ':{token.Text}'",
        SieveTokenKind.Number => "number",
        SieveTokenKind.String => "string",
        _ => $"'{token.Text}'",
    };

    private SieveSyntaxNode? Command(int depth, out SieveDiagnostic? error)
    {
        var name = Take();
        if (name.Kind != SieveTokenKind.Identifier)
        {
            error = Unexpected(name, "a command");
            return null;
        }

        if (!Arguments(depth, out var arguments, out var tests, out var hasTestList, out error))
        {
            return null;
        }

        var next = Take();
        if (next.Kind == SieveTokenKind.Semicolon)
        {
            return new SieveSyntaxNode(name.Position, name.Text, arguments, tests, hasTestList, null);
        }

        if (next.Kind != SieveTokenKind.LeftBrace)
        {
            error = SieveDiagnostic.Error(next.Position, $"expected end of command ';' or the beginning of a compound block '{{', but found {Describe(next)}.");
            return null;
        }

        if (depth + 1 > _maxNesting)
        {
            error = SieveDiagnostic.Error(next.Position, $"blocks are nested deeper than {_maxNesting} levels");
            return null;
        }

        var block = new List<SieveSyntaxNode>();
        while (Peek.Kind != SieveTokenKind.RightBrace)
        {
            if (Peek.Kind == SieveTokenKind.End)
            {
                error = SieveDiagnostic.Error(Peek.Position, "expected end of compound block '}', but found end of file.");
                return null;
            }

            var inner = Command(depth + 1, out error);
            if (inner is null)
            {
                return null;
            }

            block.Add(inner);
        }

        Take();
        error = null;
        return new SieveSyntaxNode(name.Position, name.Text, arguments, tests, hasTestList, block);
    }

    private bool Arguments(int depth, out List<SieveArgument> arguments, out List<SieveSyntaxNode> tests, out bool hasTestList, out SieveDiagnostic? error)
    {
        arguments = [];
        tests = [];
        hasTestList = false;
        error = null;
        while (true)
        {
            var token = Peek;
            switch (token.Kind)
            {
                case SieveTokenKind.Tag:
                    Take();
                    arguments.Add(new SieveTagArgument(token.Position, token.Text));
                    continue;
                case SieveTokenKind.Number:
                    Take();
                    arguments.Add(new SieveNumberArgument(token.Position, token.Number));
                    continue;
                case SieveTokenKind.String:
                    Take();
                    arguments.Add(new SieveStringListArgument(token.Position, [token.Text], false));
                    continue;
                case SieveTokenKind.LeftBracket:
                    var list = StringList(out error);
                    if (list is null)
                    {
                        return false;
                    }

                    arguments.Add(list);
                    continue;
                case SieveTokenKind.Identifier:
                    var test = Test(depth + 1, out error);
                    if (test is null)
                    {
                        return false;
                    }

                    tests.Add(test);
                    return true;
                case SieveTokenKind.LeftParen:
                    Take();
                    hasTestList = true;
                    while (true)
                    {
                        var item = Test(depth + 1, out error);
                        if (item is null)
                        {
                            return false;
                        }

                        tests.Add(item);
                        var separator = Take();
                        if (separator.Kind == SieveTokenKind.RightParen)
                        {
                            return true;
                        }

                        if (separator.Kind != SieveTokenKind.Comma)
                        {
                            error = Unexpected(separator, "',' or ')' in the test list");
                            return false;
                        }
                    }

                default:
                    return true;
            }
        }
    }

    private SieveSyntaxNode? Test(int depth, out SieveDiagnostic? error)
    {
        var name = Take();
        if (name.Kind != SieveTokenKind.Identifier)
        {
            error = Unexpected(name, "a test");
            return null;
        }

        if (depth > _maxNesting)
        {
            error = SieveDiagnostic.Error(name.Position, $"tests are nested deeper than {_maxNesting} levels");
            return null;
        }

        if (!Arguments(depth, out var arguments, out var tests, out var hasTestList, out error))
        {
            return null;
        }

        return new SieveSyntaxNode(name.Position, name.Text, arguments, tests, hasTestList, null);
    }

    private SieveStringListArgument? StringList(out SieveDiagnostic? error)
    {
        var open = Take();
        var values = new List<string>();
        while (true)
        {
            var item = Take();
            if (item.Kind != SieveTokenKind.String)
            {
                error = Unexpected(item, "a string in the string list");
                return null;
            }

            values.Add(item.Text);
            var separator = Take();
            if (separator.Kind == SieveTokenKind.RightBracket)
            {
                error = null;
                return new SieveStringListArgument(open.Position, values, true);
            }

            if (separator.Kind != SieveTokenKind.Comma)
            {
                error = Unexpected(separator, "',' or ']' in the string list");
                return null;
            }
        }
    }
}
