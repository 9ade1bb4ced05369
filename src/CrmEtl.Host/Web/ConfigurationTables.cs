using System.Globalization;
using System.Text.RegularExpressions;
using CrmEtl.Core.Configuration;

namespace CrmEtl.Host.Web;

/// <summary>
/// How the console shows one configuration file as a table: its title and a line on what a row means, which
/// columns come from the CRM (shown, not edited), and whether rows are added and deleted or only filled in.
/// </summary>
public sealed record ConfigurationTable(string File, string Title, string Hint, bool RowsAddable, IReadOnlyList<string> FixedColumns);

public static partial class ConfigurationTables
{
    public static readonly IReadOnlyList<ConfigurationTable> All =
    [
        new(ConfigurationCsv.Kpis, "KPIs",
            "kind stage (deals passing a funnel step: measure count or value), activity (completed activities of the types listed, separated by ;), " +
            "lead (leads created, from one source if given) or calculated (an expression over other KPIs, e.g. Won / (Won + Lost)).", true, []),
        new(ConfigurationCsv.Filters, "Filters",
            "Which records count: with include filters a record counts only if it matches all of them; a record matching an exclude filter counts nowhere. " +
            "Conditions like \"Lead source\" = 'Web' and title contains 'VIP'; operators =, !=, in (...), contains, is empty, is not empty, and, or, not.", true, []),
        new(ConfigurationCsv.Dimensions, "Dimensions",
            "Country, geo area and product per pipeline; the row without a pipeline holds the instance's defaults.", false, ["instance", "pipeline", "pipeline_id"]),
        new(ConfigurationCsv.People, "People",
            "Each CRM user as a person of the company, in a team; rows left without a person are not counted as anyone.", false, ["instance", "user_id", "user_name"]),
        new(ConfigurationCsv.Targets, "Targets",
            "A KPI's target for a period (day, week, month or quarter, from its first day as yyyy-MM-dd) and an assignee: a person, team, country, activity type or the whole company.", true, []),
        new(ConfigurationCsv.Rates, "Exchange rates",
            "1 currency = rate reporting currency, from valid_from until the next rate of the pair. Won deals convert at the rate of their won date, open deals at the latest.", true, []),
    ];

    public static ConfigurationTable Of(string file) => All.First(t => t.File == file);

    /// <summary>The values a column may take, for a choice instead of free text; null when the column is free text.</summary>
    public static IReadOnlyList<string>? Choices(string column, CompanyConfiguration config, CrmCatalog catalog) => column switch
    {
        "kind" => KpiKinds.All,
        "measure" => [KpiMeasures.Count, KpiMeasures.Value],
        "entity" => FilterEntities.All,
        "mode" => [FilterModes.Include, FilterModes.Exclude],
        "period" => Periods.All,
        "assignee_kind" => AssigneeKinds.All,
        "instance" => catalog.Instances.Select(i => i.Name).ToList(),
        "funnel" => ["", .. config.Steps.Select(s => s.Funnel).Distinct(StringComparer.OrdinalIgnoreCase)],
        "kpi" => config.Kpis.Select(k => k.Name).ToList(),
        _ => null,
    };

    /// <summary>A problem of the table's file as the table shows it: "kpis.csv line 3: …" is the table's row 2.</summary>
    public static string InRows(string file, string problem)
    {
        var match = LinePrefix().Match(problem);
        return match.Success && match.Groups["file"].Value == file
            ? $"Row {int.Parse(match.Groups["line"].Value, CultureInfo.InvariantCulture) - 1}:{problem[match.Length..]}"
            : problem;
    }

    [GeneratedRegex(@"^(?<file>[a-z]+\.csv) line (?<line>\d+):")]
    private static partial Regex LinePrefix();
}
