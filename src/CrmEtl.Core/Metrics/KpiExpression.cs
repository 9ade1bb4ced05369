using System.Globalization;
using CrmEtl.Core.Expressions;

namespace CrmEtl.Core.Metrics;

/// <summary>
/// The formula of a calculated KPI: arithmetic (+ - * / and parentheses) over numbers and other
/// KPIs by name — <c>won / (won + lost)</c>, <c>"Quote given" * 100 / Requests</c>. Parsed into a
/// tree, never pasted into SQL. Division by zero gives null, and null stays null.
/// </summary>
public abstract record KpiExpression
{
    public sealed record Number(decimal Value) : KpiExpression;
    public sealed record KpiRef(string Name) : KpiExpression;
    public sealed record Negate(KpiExpression Operand) : KpiExpression;
    public sealed record Binary(char Operator, KpiExpression Left, KpiExpression Right) : KpiExpression;

    public static KpiExpression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) throw new ExpressionException("The formula is empty; write e.g. won / (won + lost).");
        var reader = new TokenReader(Tokenizer.Tokenize(text));
        var expression = Sum(reader);
        if (reader.Peek.Kind != TokenKind.End) throw reader.Unexpected("an operator (+ - * /) or the end");
        return expression;
    }

    /// <summary>The KPI names the formula uses, each once, in order of appearance.</summary>
    public IReadOnlyList<string> References()
    {
        var names = new List<string>();
        Visit(this);
        return names;

        void Visit(KpiExpression e)
        {
            switch (e)
            {
                case KpiRef r when !names.Contains(r.Name, StringComparer.OrdinalIgnoreCase): names.Add(r.Name); break;
                case Negate n: Visit(n.Operand); break;
                case Binary b: Visit(b.Left); Visit(b.Right); break;
            }
        }
    }

    /// <summary>The value for the given KPI values; a KPI without a value counts as 0 (nothing happened).</summary>
    public decimal? Evaluate(Func<string, decimal?> kpiValue) => this switch
    {
        Number n => n.Value,
        KpiRef r => kpiValue(r.Name) ?? 0m,
        Negate n => -n.Operand.Evaluate(kpiValue),
        Binary b => Apply(b.Operator, b.Left.Evaluate(kpiValue), b.Right.Evaluate(kpiValue)),
        _ => throw new InvalidOperationException(),
    };

    private static decimal? Apply(char op, decimal? left, decimal? right)
    {
        if (left is not { } l || right is not { } r) return null;
        return op switch
        {
            '+' => l + r,
            '-' => l - r,
            '*' => l * r,
            '/' => r == 0 ? null : l / r,
            _ => throw new InvalidOperationException($"Unknown operator {op}."),
        };
    }

    public override string ToString() => this switch
    {
        Number n => n.Value.ToString(CultureInfo.InvariantCulture),
        KpiRef r => r.Name.All(ch => char.IsLetterOrDigit(ch) || ch == '_') ? r.Name : $"\"{r.Name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"",
        Negate n => $"-({n.Operand})",
        Binary b => $"({b.Left} {b.Operator} {b.Right})",
        _ => "",
    };

    // sum := product (('+' | '-') product)*
    private static KpiExpression Sum(TokenReader reader)
    {
        var left = Product(reader);
        while (reader.Peek.Is("+") || reader.Peek.Is("-"))
            left = new Binary(reader.Take().Value[0], left, Product(reader));
        return left;
    }

    // product := factor (('*' | '/') factor)*
    private static KpiExpression Product(TokenReader reader)
    {
        var left = Factor(reader);
        while (reader.Peek.Is("*") || reader.Peek.Is("/"))
            left = new Binary(reader.Take().Value[0], left, Factor(reader));
        return left;
    }

    // factor := number | name | "quoted name" | '(' sum ')' | '-' factor
    private static KpiExpression Factor(TokenReader reader)
    {
        var token = reader.Peek;
        switch (token.Kind)
        {
            case TokenKind.Number:
                reader.Take();
                return new Number(decimal.Parse(token.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture));
            case TokenKind.Name or TokenKind.QuotedName:
                reader.Take();
                return new KpiRef(token.Value);
            case TokenKind.Text:
                throw new ExpressionException($"{token} at character {token.Position} is text; KPI names with spaces go in double quotes, e.g. \"Quote given\".");
        }
        if (reader.TakeIf("-")) return new Negate(Factor(reader));
        if (reader.TakeIf("("))
        {
            var inner = Sum(reader);
            reader.Expect(")", "')'");
            return inner;
        }
        throw reader.Unexpected("a number, a KPI name or '('");
    }
}
