using System.Text.RegularExpressions;

namespace CrmEtl.IntegrationTests.Analytics;

/// <summary>
/// The canonical queries of docs/BI.md, run as written against <see cref="KnownDataset"/>; the
/// expected rows were worked out by hand from the data described there.
/// </summary>
[Parallelizable] // its own database; its tests share it, one at a time
public sealed partial class CanonicalQueryTests
{
    private static KnownDataset _data = null!;
    private static Dictionary<string, string> _queries = null!;

    [OneTimeSetUp]
    public static async Task BuildTheKnownGroup()
    {
        _queries = Queries();
        _data = await KnownDataset.CreateAsync();
    }

    [OneTimeTearDown]
    public static async Task Dispose() => await _data.DisposeAsync();

    private static Task<List<string>> Run(string name) => _data.RowsAsync(_queries[name]);

    [Test]
    public async Task Monthly_won_value_by_country_converts_each_deal_at_its_won_date() =>
        // d1 1000 + d5 300 in February; d2 2000 USD won 03-10 at 0.8; e1 10000 SEK at 0.088. d6 deleted, d7 filtered out.
        Assert.That(await Run("monthly_won_value_by_country"), Is.EqualTo(new[]
        {
            "Finland|2024-02-01|1300", "Finland|2024-03-01|1600", "Sweden|2024-02-01|880",
        }));

    [Test]
    public async Task Win_rate_by_pipeline_per_quarter_counts_closed_deals_by_count_and_value() =>
        // Finland: won d1, d2, d5; refused d3; by value (2900) / (3400). Sweden: e1 won, e2 refused; 10000 / 15000 SEK.
        Assert.That(await Run("win_rate_by_pipeline_per_quarter"), Is.EqualTo(new[]
        {
            "Acme Finland|New business|2024-01-01|3|1|0.75|0.8529", "Acme Sweden|New business|2024-01-01|1|1|0.5|0.6667",
        }));

    [Test]
    public async Task Cohort_conversion_fills_skipped_steps_and_leaves_paused_deals_out_of_denominators() =>
        // January cohort d1, d2, d3: d2 skipped Qualified and is filled by its win; d3 was refused without fill.
        // February cohort d4 (paused after Qualified), d5: d4 leaves the Quote and Won denominators.
        Assert.That(await Run("funnel_conversion_for_a_cohort"), Is.EqualTo(new[]
        {
            "2024-01-01|Request|3||1", "2024-01-01|Qualified|2|0.6667|0.6667", "2024-01-01|Quote given|2|1|0.6667", "2024-01-01|Won|2|1|0.6667",
            "2024-02-01|Request|2||1", "2024-02-01|Qualified|2|1|1", "2024-02-01|Quote given|1|1|1", "2024-02-01|Won|1|1|1",
        }));

    [Test]
    public async Task Completed_calls_count_on_the_local_day_they_were_marked_done_all_day_or_not() =>
        // a1 done 22:30 UTC Jun 10 = Jun 11 in Helsinki, a2 all-day on Jun 12 done Jun 13, a6 all-day on Sunday Jun 9 done
        // on Monday Jun 10 (in the week of its due date it would not count here); a4 is planned, a5 deleted.
        Assert.That(await Run("completed_activities_vs_weekly_target"), Is.EqualTo(new[] { "Aino|2024-06-10|3|3|1" }));

    [Test]
    public async Task Leads_per_week_by_source_start_weeks_on_monday() =>
        Assert.That(await Run("leads_per_week_by_source"), Is.EqualTo(new[] { "2024-01-08|Web forms|2", "2024-01-15|Import|1" }));

    [Test]
    public async Task Quotes_given_per_month_per_instance_and_for_the_group() =>
        Assert.That(await Run("quotes_given_per_month"), Is.EqualTo(new[]
        {
            "Acme Finland|2024-01-01|2", "Acme Finland|2024-02-01|1", "Acme Sweden|2024-01-01|1", "Group|2024-01-01|3", "Group|2024-02-01|1",
        }));

    [Test]
    public async Task Average_days_in_stage_counts_visits_that_ended() =>
        // Request: 5, 13, 21, 2, 2 days; Qualified: 5, 7; Quote given: 16, 45, 27 (d5 left it for Cancelled).
        // Sweden: Request 3 and 41; Quote given 01-18 10:00 to 02-01 23:30 UTC. d4 is still On hold: no ended visit.
        Assert.That(await Run("average_days_in_stage"), Is.EqualTo(new[]
        {
            "Acme Finland|Request|5|8.6", "Acme Finland|Qualified|2|6", "Acme Finland|Quote given|3|29.33",
            "Acme Sweden|Request|2|22", "Acme Sweden|Quote given|1|14.56",
        }));

    [Test]
    public async Task Group_consolidation_nets_returns_and_adds_subtotals() =>
        // Finland 1000 + 1600 + 300, and d5's 300 returned on 03-05; Sweden 880.
        Assert.That(await Run("group_consolidation_with_subtotals"), Is.EqualTo(new[]
        {
            "Finland|Acme Finland|2600", "Finland|All instances|2600", "Sweden|Acme Sweden|880", "Sweden|All instances|880", "All countries|All instances|3480",
        }));

    [Test]
    public async Task The_group_win_rate_is_computed_from_the_groups_totals() =>
        Assert.That(await Run("group_win_rate_per_quarter"), Is.EqualTo(new[] { "Sales|2024-01-01|4|2|0.6667" }));

    [Test]
    public async Task A_calculated_kpi_and_a_company_target_use_the_periods_totals()
    {
        Assert.That(await _data.RowsAsync("""
            SELECT coalesce(instance, 'Group'), value FROM analytics.kpi_by_quarter WHERE kpi = 'Win rate' ORDER BY instance_id NULLS LAST
            """), Is.EqualTo(new[] { "Acme Finland|0.75", "Acme Sweden|0.5", "Group|0.6667" }).Using<string>((a, b) => string.CompareOrdinal(Round(a), b)));
        Assert.That(await _data.RowsAsync("SELECT target, actual, attainment FROM analytics.target_attainment WHERE kpi = 'Won'"), Is.EqualTo(new[] { "8|4|0.5" }));
    }

    [Test]
    public async Task Every_canonical_query_in_the_docs_has_a_test() =>
        Assert.That(_queries.Keys.Order(), Is.EquivalentTo(new[]
        {
            "average_days_in_stage", "completed_activities_vs_weekly_target", "funnel_conversion_for_a_cohort", "group_consolidation_with_subtotals",
            "group_win_rate_per_quarter", "leads_per_week_by_source", "monthly_won_value_by_country", "quotes_given_per_month", "win_rate_by_pipeline_per_quarter",
        }));

    private static string Round(string row) => RoundedDecimal().Replace(row, m => decimal.Round(decimal.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture), 4).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\d+\.\d+")]
    private static partial Regex RoundedDecimal();

    [GeneratedRegex(@"<!-- query: (?<name>[a-z_]+) -->\s*```sql\s*(?<sql>.*?)```", RegexOptions.Singleline)]
    private static partial Regex QueryBlock();

    private static Dictionary<string, string> Queries()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "BI.md"))) dir = dir.Parent;
        var text = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new FileNotFoundException("docs/BI.md not found above " + AppContext.BaseDirectory), "docs", "BI.md"));
        return QueryBlock().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["sql"].Value);
    }
}
