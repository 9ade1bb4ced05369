using CrmEtl.Core.Expressions;
using CrmEtl.Core.Metrics;

namespace CrmEtl.Core.Tests.Metrics;

public sealed class KpiExpressionTests
{
    private static readonly Dictionary<string, decimal?> Values = new(StringComparer.OrdinalIgnoreCase)
    {
        ["won"] = 6, ["lost"] = 2, ["Quote given"] = 10, ["requests"] = 40, ["zero"] = 0,
    };

    private static decimal? Eval(string formula) => KpiExpression.Parse(formula).Evaluate(n => Values.GetValueOrDefault(n));

    [TestCase("won / (won + lost)", 0.75)]
    [TestCase("won + lost * 2", 10)]
    [TestCase("(won + lost) * 2", 16)]
    [TestCase("\"Quote given\" * 100 / requests", 25)]
    [TestCase("-won + 10", 4)]
    [TestCase("10 - 4 - 3", 3)]
    [TestCase("12 / 4 / 3", 1)]
    [TestCase("1.5 * lost", 3)]
    public void Arithmetic_follows_precedence_and_parentheses(string formula, decimal expected) =>
        Assert.That(Eval(formula), Is.EqualTo(expected));

    [Test]
    public void Division_by_zero_gives_null_not_an_error_and_null_stays_null()
    {
        Assert.That(Eval("won / zero"), Is.Null);
        Assert.That(Eval("won / zero + 1"), Is.Null);
    }

    [Test]
    public void A_kpi_without_a_value_counts_as_zero() => Assert.That(Eval("won + nothing_happened"), Is.EqualTo(6));

    [Test]
    public void References_lists_each_kpi_once() =>
        Assert.That(KpiExpression.Parse("won / (won + lost) + \"Quote given\"").References(), Is.EqualTo(new[] { "won", "lost", "Quote given" }));

    [TestCase("won / (won + lost", "Expected ')' at character 18, found the end.")]
    [TestCase("won lost", "Expected an operator (+ - * /) or the end at character 5, found 'lost'.")]
    [TestCase("won / 'lost'", "'lost' at character 7 is text; KPI names with spaces go in double quotes, e.g. \"Quote given\".")]
    [TestCase("won ; drop table x", "Unexpected character ';' at character 5.")]
    [TestCase("", "The formula is empty; write e.g. won / (won + lost).")]
    [TestCase("\"Quote given", "The name opened with \" at character 1 is never closed.")]
    public void Unreadable_formulas_say_where_and_why(string formula, string message) =>
        Assert.That(() => KpiExpression.Parse(formula), Throws.TypeOf<ExpressionException>().With.Message.EqualTo(message));
}
