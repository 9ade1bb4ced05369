namespace CrmEtl.Core.Configuration;

// A company's configuration, as flat rows: the shape of the config.* tables and of the CSV files
// admins edit. Instances, funnels, steps and KPIs are referred to by name, so that a spreadsheet
// reads like the company talks. Each row may carry where it came from, for error messages.

/// <summary>Where a configuration row came from: a file and line, for messages an admin can act on.</summary>
public sealed record RowOrigin(string File, int Line)
{
    public override string ToString() => $"{File} line {Line}";
}

public enum Marker { None, Won, Refused, Return, Pause }

public sealed record FunnelStepRow(string Funnel, int Position, string Step, Marker Marker, RowOrigin? Origin = null);

/// <summary>A CRM stage (by id) of an instance that counts as arriving at a funnel step.</summary>
public sealed record StageMappingRow(string Instance, long StageId, string Funnel, string Step, RowOrigin? Origin = null);

public static class KpiKinds
{
    public const string Stage = "stage";
    public const string Activity = "activity";
    public const string Lead = "lead";
    public const string Calculated = "calculated";
    public static readonly IReadOnlyList<string> All = [Stage, Activity, Lead, Calculated];
}

public static class KpiMeasures
{
    public const string Count = "count";
    /// <summary>The sum of the deals' values in the reporting currency (stage KPIs only).</summary>
    public const string Value = "value";
}

/// <summary>
/// A KPI. Stage: deals passing <see cref="Step"/> of <see cref="Funnel"/> (counted or valued).
/// Activity: completed activities of <see cref="ActivityTypes"/> (all types if empty).
/// Lead: leads created (from <see cref="LeadSource"/> only, if set). Calculated: <see cref="Expression"/>.
/// </summary>
public sealed record KpiRow(
    string Name, string Kind, string? Funnel = null, string? Step = null, string Measure = KpiMeasures.Count,
    IReadOnlyList<string>? ActivityTypes = null, string? LeadSource = null, string? Expression = null, RowOrigin? Origin = null);

/// <summary>Company dimensions of an instance's pipeline; a row without pipeline holds the instance's defaults.</summary>
public sealed record DimensionRow(string Instance, long? PipelineId, string? Country, string? GeoArea, string? Product, RowOrigin? Origin = null);

/// <summary>A CRM user of an instance as a person of the company, in a team.</summary>
public sealed record PersonRow(string Instance, long UserId, string Person, string? Team, RowOrigin? Origin = null);

public static class FilterEntities
{
    public const string Deal = "deal";
    public const string Activity = "activity";
    public const string Lead = "lead";
    public static readonly IReadOnlyList<string> All = [Deal, Activity, Lead];

    /// <summary>deals, activities, leads.</summary>
    public static string Plural(string entity) => entity == Activity ? "activities" : entity + "s";
}

public static class FilterModes
{
    public const string Include = "include";
    public const string Exclude = "exclude";
}

/// <summary>
/// A record filter of an instance: with include filters, a record counts only if it matches every
/// one; a record matching any exclude filter counts nowhere.
/// </summary>
public sealed record FilterRow(string Instance, string Entity, string Mode, string Condition, RowOrigin? Origin = null);

public static class Periods
{
    public const string Day = "day";
    public const string Week = "week";
    public const string Month = "month";
    public const string Quarter = "quarter";
    public static readonly IReadOnlyList<string> All = [Day, Week, Month, Quarter];

    /// <summary>The first day of the period containing <paramref name="date"/> (weeks start on Monday, ISO).</summary>
    public static DateOnly Start(string period, DateOnly date) => period switch
    {
        Day => date,
        Week => date.AddDays(-(((int)date.DayOfWeek + 6) % 7)),
        Month => new DateOnly(date.Year, date.Month, 1),
        Quarter => new DateOnly(date.Year, ((date.Month - 1) / 3 * 3) + 1, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Expected day, week, month or quarter."),
    };
}

public static class AssigneeKinds
{
    public const string Person = "person";
    public const string Team = "team";
    public const string Country = "country";
    public const string ActivityType = "activity_type";
    public const string Company = "company";
    public static readonly IReadOnlyList<string> All = [Person, Team, Country, ActivityType, Company];
}

public sealed record TargetRow(string Kpi, string Period, DateOnly PeriodStart, string AssigneeKind, string Assignee, decimal Value, RowOrigin? Origin = null);

/// <summary>1 <see cref="Currency"/> = <see cref="Rate"/> <see cref="ReportingCurrency"/>, from <see cref="ValidFrom"/> until the next rate.</summary>
public sealed record ExchangeRateRow(string Currency, string ReportingCurrency, DateOnly ValidFrom, decimal Rate, RowOrigin? Origin = null);

/// <summary>Everything an admin configures for one company (group).</summary>
public sealed record CompanyConfiguration(string Company)
{
    public string ReportingCurrency { get; init; } = "EUR";
    public IReadOnlyList<FunnelStepRow> Steps { get; init; } = [];
    public IReadOnlyList<StageMappingRow> Stages { get; init; } = [];
    public IReadOnlyList<KpiRow> Kpis { get; init; } = [];
    public IReadOnlyList<DimensionRow> Dimensions { get; init; } = [];
    public IReadOnlyList<PersonRow> People { get; init; } = [];
    public IReadOnlyList<FilterRow> Filters { get; init; } = [];
    public IReadOnlyList<TargetRow> Targets { get; init; } = [];
}
