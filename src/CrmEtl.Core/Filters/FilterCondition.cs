using CrmEtl.Core.Expressions;

namespace CrmEtl.Core.Filters;

public enum FilterOperator { Equals, NotEquals, In, Contains, IsEmpty, IsNotEmpty }

/// <summary>
/// A condition on a record's fields, as an admin writes it for a filter:
/// <c>Lead_Source = 'Web'</c>, <c>status != 'lost' and (pipeline in ('Sales', 'Partners') or title contains 'VIP')</c>,
/// <c>"Deal type" is empty</c>. Operators: <c>=</c>, <c>!=</c>, <c>in (...)</c>, <c>contains</c>,
/// <c>is empty</c>, <c>is not empty</c>; combined with <c>and</c>, <c>or</c>, <c>not</c> and parentheses.
/// Values are text in single quotes or numbers. Field names are resolved later, against the CRM's fields.
/// </summary>
public abstract record FilterCondition
{
    public sealed record Both(FilterCondition Left, FilterCondition Right) : FilterCondition;
    public sealed record Either(FilterCondition Left, FilterCondition Right) : FilterCondition;
    public sealed record Negation(FilterCondition Operand) : FilterCondition;
    public sealed record Comparison(string Field, FilterOperator Operator, IReadOnlyList<string> Values) : FilterCondition;

    public static FilterCondition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) throw new ExpressionException("The condition is empty; write e.g. Lead_Source = 'Web'.");
        var reader = new TokenReader(Tokenizer.Tokenize(text));
        var condition = Disjunction(reader);
        if (reader.Peek.Kind != TokenKind.End) throw reader.Unexpected("'and', 'or' or the end");
        return condition;
    }

    /// <summary>The text of one comparison as an admin would write it, e.g. <c>"Lead source" = 'Web'</c> (quotes doubled inside).</summary>
    public static string Format(string field, FilterOperator op, IReadOnlyList<string> values)
    {
        static string Text(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        var name = "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        if (op is not (FilterOperator.IsEmpty or FilterOperator.IsNotEmpty) && values.Count == 0)
            throw new ExpressionException($"Give a value to compare {field} with.");
        return op switch
        {
            FilterOperator.Equals => $"{name} = {Text(values[0])}",
            FilterOperator.NotEquals => $"{name} != {Text(values[0])}",
            FilterOperator.Contains => $"{name} contains {Text(values[0])}",
            FilterOperator.In => $"{name} in ({string.Join(", ", values.Select(Text))})",
            FilterOperator.IsEmpty => $"{name} is empty",
            FilterOperator.IsNotEmpty => $"{name} is not empty",
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
        };
    }

    /// <summary>Every comparison in the condition, to resolve their fields.</summary>
    public IEnumerable<Comparison> Comparisons() => this switch
    {
        Both a => a.Left.Comparisons().Concat(a.Right.Comparisons()),
        Either o => o.Left.Comparisons().Concat(o.Right.Comparisons()),
        Negation n => n.Operand.Comparisons(),
        Comparison c => [c],
        _ => [],
    };

    /// <summary>Whether a record matches, given how to read a field's value (null when empty).</summary>
    public bool Matches(Func<string, string?> field) => this switch
    {
        Both a => a.Left.Matches(field) && a.Right.Matches(field),
        Either o => o.Left.Matches(field) || o.Right.Matches(field),
        Negation n => !n.Operand.Matches(field),
        Comparison c => Compare(c, field(c.Field)),
        _ => throw new InvalidOperationException(),
    };

    private static bool Compare(Comparison c, string? value) => c.Operator switch
    {
        // Text comparisons ignore case, as admins type values the way they read them.
        FilterOperator.Equals => value is not null && string.Equals(value, c.Values[0], StringComparison.OrdinalIgnoreCase),
        FilterOperator.NotEquals => value is null || !string.Equals(value, c.Values[0], StringComparison.OrdinalIgnoreCase),
        FilterOperator.In => value is not null && c.Values.Contains(value, StringComparer.OrdinalIgnoreCase),
        FilterOperator.Contains => value is not null && value.Contains(c.Values[0], StringComparison.OrdinalIgnoreCase),
        FilterOperator.IsEmpty => string.IsNullOrEmpty(value),
        FilterOperator.IsNotEmpty => !string.IsNullOrEmpty(value),
        _ => throw new InvalidOperationException(),
    };

    private static FilterCondition Disjunction(TokenReader reader)
    {
        var left = Conjunction(reader);
        while (reader.TakeKeyword("or")) left = new Either(left, Conjunction(reader));
        return left;
    }

    private static FilterCondition Conjunction(TokenReader reader)
    {
        var left = Unary(reader);
        while (reader.TakeKeyword("and")) left = new Both(left, Unary(reader));
        return left;
    }

    private static FilterCondition Unary(TokenReader reader)
    {
        if (reader.TakeKeyword("not")) return new Negation(Unary(reader));
        if (reader.TakeIf("("))
        {
            var inner = Disjunction(reader);
            reader.Expect(")", "')'");
            return inner;
        }
        return ComparisonOf(reader);
    }

    private static Comparison ComparisonOf(TokenReader reader)
    {
        var fieldToken = reader.Peek;
        if (fieldToken.Kind is not (TokenKind.Name or TokenKind.QuotedName)) throw reader.Unexpected("a field name");
        reader.Take();
        var field = fieldToken.Value;
        if (reader.TakeIf("=")) return new Comparison(field, FilterOperator.Equals, [Value(reader)]);
        if (reader.TakeIf("!=")) return new Comparison(field, FilterOperator.NotEquals, [Value(reader)]);
        if (reader.TakeKeyword("contains")) return new Comparison(field, FilterOperator.Contains, [Value(reader)]);
        if (reader.TakeKeyword("is"))
        {
            var negated = reader.TakeKeyword("not");
            if (!reader.TakeKeyword("empty")) throw reader.Unexpected("'empty'");
            return new Comparison(field, negated ? FilterOperator.IsNotEmpty : FilterOperator.IsEmpty, []);
        }
        if (reader.TakeKeyword("in"))
        {
            reader.Expect("(", "'(' after in");
            var values = new List<string> { Value(reader) };
            while (reader.TakeIf(",")) values.Add(Value(reader));
            reader.Expect(")", "')' closing the list");
            return new Comparison(field, FilterOperator.In, values);
        }
        throw reader.Unexpected($"an operator after {fieldToken} (=, !=, in, contains, is empty)");
    }

    private static string Value(TokenReader reader)
    {
        var token = reader.Peek;
        if (token.Kind is TokenKind.Text or TokenKind.Number) return reader.Take().Value;
        if (token.Kind is TokenKind.Name or TokenKind.QuotedName)
            throw new ExpressionException($"{token} at character {token.Position} is a name; put text values in single quotes, e.g. '{token.Value}'.");
        throw reader.Unexpected("a value ('text' or a number)");
    }
}
