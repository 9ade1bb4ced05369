using CrmEtl.Core.Expressions;
using CrmEtl.Core.Filters;

namespace CrmEtl.Core.Tests.Metrics;

public sealed class FilterConditionTests
{
    private static readonly Dictionary<string, string?> Deal = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Lead_Source"] = "Web", ["status"] = "open", ["title"] = "VIP renewal for Acme", ["pipeline"] = "Partners", ["Region"] = null,
    };

    private static bool Matches(string condition) => FilterCondition.Parse(condition).Matches(f => Deal.GetValueOrDefault(f));

    [TestCase("Lead_Source = 'Web'", true)]
    [TestCase("Lead_Source = 'web'", true)]
    [TestCase("Lead_Source != 'Web'", false)]
    [TestCase("Region != 'North'", true)]
    [TestCase("Region = 'North'", false)]
    [TestCase("pipeline in ('Sales', 'Partners')", true)]
    [TestCase("pipeline in ('Sales')", false)]
    [TestCase("title contains 'vip'", true)]
    [TestCase("Region is empty", true)]
    [TestCase("Region is not empty", false)]
    [TestCase("status = 'open' and (pipeline = 'Sales' or title contains 'VIP')", true)]
    [TestCase("not status = 'open' or Lead_Source = 'Fax'", false)]
    [TestCase("status = 'won' or status = 'open' and Lead_Source = 'Fax'", false)]
    public void Conditions_combine_equals_not_equals_in_contains_and_is_empty(string condition, bool expected) =>
        Assert.That(Matches(condition), Is.EqualTo(expected));

    [Test]
    public void Comparisons_lists_the_fields_to_resolve() =>
        Assert.That(FilterCondition.Parse("a = '1' and (b in ('2') or not \"Deal type\" is empty)").Comparisons().Select(c => c.Field),
            Is.EqualTo(new[] { "a", "b", "Deal type" }));

    [TestCase("Lead_Source = Web", "'Web' at character 15 is a name; put text values in single quotes, e.g. 'Web'.")]
    [TestCase("Lead_Source == 'Web'", "Expected a value ('text' or a number) at character 14, found '='.")]
    [TestCase("Lead_Source like 'W%'", "Expected an operator after 'Lead_Source' (=, !=, in, contains, is empty) at character 13, found 'like'.")]
    [TestCase("x = '1'; DROP TABLE crm.deal", "Unexpected character ';' at character 8.")]
    [TestCase("status in ('a', 'b'", "Expected ')' closing the list at character 20, found the end.")]
    public void Unreadable_conditions_say_where_and_why(string condition, string message) =>
        Assert.That(() => FilterCondition.Parse(condition), Throws.TypeOf<ExpressionException>().With.Message.EqualTo(message));

    [TestCase("Lead source", FilterOperator.Equals, new[] { "Web" }, "\"Lead source\" = 'Web'")]
    [TestCase("title", FilterOperator.Contains, new[] { "O'Brien's \"VIP\"" }, "\"title\" contains 'O''Brien''s \"VIP\"'")]
    [TestCase("pipeline", FilterOperator.In, new[] { "Sales", "Partners" }, "\"pipeline\" in ('Sales', 'Partners')")]
    [TestCase("Region", FilterOperator.IsNotEmpty, new string[0], "\"Region\" is not empty")]
    public void A_comparison_picked_in_the_console_is_written_as_an_admin_would_and_reads_back_the_same(string field, FilterOperator op, string[] values, string text)
    {
        Assert.That(FilterCondition.Format(field, op, values), Is.EqualTo(text));
        Assert.That(FilterCondition.Parse(text), Is.EqualTo(new FilterCondition.Comparison(field, op, values)).Using<FilterCondition>(
            (a, b) => a is FilterCondition.Comparison x && b is FilterCondition.Comparison y && x.Field == y.Field && x.Operator == y.Operator && x.Values.SequenceEqual(y.Values)));
    }
}
