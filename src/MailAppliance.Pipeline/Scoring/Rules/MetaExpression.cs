using System.Globalization;

namespace MailAppliance.Pipeline.Scoring.Rules;

/// <summary>
/// A meta rule's expression (SpamAssassin syntax): rule names are 1 when they hit and 0 otherwise, combined with
/// <c>&amp;&amp; || ! + - * / &gt; &lt; &gt;= &lt;= == !=</c>, numbers and parentheses. The rule hits when the value is not 0.
/// </summary>
public sealed class MetaExpression
{
    private readonly Node _root;

    private MetaExpression(Node root, IReadOnlyList<string> names)
    {
        _root = root;
        Names = names;
    }

    /// <summary>The rule names the expression reads.</summary>
    public IReadOnlyList<string> Names { get; }

    public double Evaluate(Func<string, double> value) => _root.Evaluate(value);

    /// <summary>Parses <paramref name="text"/>; <paramref name="error"/> says what is wrong when it returns false.</summary>
    public static bool TryParse(string text, out MetaExpression? expression, out string error)
    {
        expression = null;
        var parser = new Parser(text);
        try
        {
            var root = parser.Expression(0);
            parser.SkipSpace();
            if (!parser.AtEnd)
            {
                error = $"unexpected '{parser.Rest}' in meta expression";
                return false;
            }

            expression = new MetaExpression(root, parser.Names.Distinct(StringComparer.Ordinal).ToList());
            error = "";
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    private abstract record Node
    {
        public abstract double Evaluate(Func<string, double> value);
    }

    private sealed record Number(double Value) : Node
    {
        public override double Evaluate(Func<string, double> value) => Value;
    }

    private sealed record Name(string Rule) : Node
    {
        public override double Evaluate(Func<string, double> value) => value(Rule);
    }

    private sealed record Not(Node Operand) : Node
    {
        public override double Evaluate(Func<string, double> value) => Operand.Evaluate(value) == 0 ? 1 : 0;
    }

    private sealed record Negate(Node Operand) : Node
    {
        public override double Evaluate(Func<string, double> value) => -Operand.Evaluate(value);
    }

    private sealed record Binary(string Operator, Node Left, Node Right) : Node
    {
        public override double Evaluate(Func<string, double> value)
        {
            var l = Left.Evaluate(value);
            switch (Operator)
            {
                case "&&":
                    return l != 0 && Right.Evaluate(value) != 0 ? 1 : 0;
                case "||":
                    return l != 0 || Right.Evaluate(value) != 0 ? 1 : 0;
            }

            var r = Right.Evaluate(value);
            return Operator switch
            {
                "+" => l + r,
                "-" => l - r,
                "*" => l * r,
                "/" => r == 0 ? 0 : l / r,
                ">" => l > r ? 1 : 0,
                "<" => l < r ? 1 : 0,
                ">=" => l >= r ? 1 : 0,
                "<=" => l <= r ? 1 : 0,
                "==" => l == r ? 1 : 0,
                "!=" => l != r ? 1 : 0,
                _ => 0,
            };
        }
    }

    // Precedence climbing, lowest first: || && (== !=) (< > <= >=) (+ -) (* /).
    private sealed class Parser(string text)
    {
        private static readonly (string Op, int Precedence)[] Operators =
        [
            ("||", 1), ("&&", 2), ("==", 3), ("!=", 3), ("<=", 4), (">=", 4), ("<", 4), (">", 4), ("+", 5), ("-", 5), ("*", 6), ("/", 6),
        ];

        private int _position;
        private int _depth;

        public List<string> Names { get; } = [];

        public bool AtEnd => _position >= text.Length;

        public string Rest => text[_position..];

        public void SkipSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        public Node Expression(int minimum)
        {
            if (++_depth > 100)
            {
                throw new FormatException("meta expression nested too deeply");
            }

            var left = Unary();
            while (true)
            {
                SkipSpace();
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(text, _position, o.Op, 0, o.Op.Length) == 0 && o.Precedence > minimum);
                if (op.Op is null)
                {
                    break;
                }

                _position += op.Op.Length;
                left = new Binary(op.Op, left, Expression(op.Precedence));
            }

            _depth--;
            return left;
        }

        private Node Unary()
        {
            SkipSpace();
            if (AtEnd)
            {
                throw new FormatException("meta expression ends too early");
            }

            var c = text[_position];
            if (c == '!' && (_position + 1 >= text.Length || text[_position + 1] != '='))
            {
                _position++;
                return new Not(Unary());
            }

            if (c == '-')
            {
                _position++;
                return new Negate(Unary());
            }

            if (c == '(')
            {
                _position++;
                var inner = Expression(0);
                SkipSpace();
                if (AtEnd || text[_position] != ')')
                {
                    throw new FormatException("missing ')' in meta expression");
                }

                _position++;
                return inner;
            }

            var start = _position;
            if (char.IsAsciiDigit(c) || c == '.')
            {
                while (_position < text.Length && (char.IsAsciiDigit(text[_position]) || text[_position] == '.'))
                {
                    _position++;
                }

                return double.TryParse(text.AsSpan(start, _position - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? new Number(number)
                    : throw new FormatException($"'{text[start.._position]}' is not a number");
            }

            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] == '_'))
            {
                _position++;
            }

            if (_position == start)
            {
                throw new FormatException($"unexpected '{c}' in meta expression");
            }

            var name = text[start.._position];
            Names.Add(name);
            return new Name(name);
        }
    }
}
