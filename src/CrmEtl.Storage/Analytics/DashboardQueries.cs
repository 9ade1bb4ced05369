using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Analytics;

/// <summary>What the console's dashboard shows: a company, one funnel, the months [From, To), one instance or all.</summary>
public sealed record DashboardFilter(string Company, string? Funnel, DateOnly From, DateOnly To, int? InstanceId = null);

/// <param name="Instance">null: the whole company (every instance, amounts in the company's currency).</param>
public sealed record WinRateMonth(string? Instance, DateOnly Month, long Won, long Refused, decimal? WinRate, decimal WonValue, decimal? ValueWinRate);

public sealed record FunnelStepPasses(int StepNumber, string Step, long Passed, long Filled, decimal? StepConversion, decimal? CumulativeConversion);

public sealed record TargetVersusActual(string Kpi, string Period, DateOnly PeriodStart, string Assignee, decimal Target, decimal Actual, decimal? Attainment);

public sealed record ActivitiesWeek(string Person, DateOnly WeekStart, long Completed);

/// <summary>
/// The dashboard's figures, read from the same analytics views BI tools query (docs/BI.md): win_rate and
/// win_rate_group, funnel_conversion_flow, target_attainment, activities_completed.
/// </summary>
public sealed class DashboardQueries(NpgsqlDataSource dataSource)
{
    /// <summary>The company's funnels, in name order.</summary>
    public async Task<IReadOnlyList<string>> FunnelsAsync(string company, CancellationToken ct) =>
        await QueryAsync<string>("SELECT DISTINCT funnel FROM config.funnel_step WHERE company = @company ORDER BY funnel", new { company }, ct);

    /// <summary>Win rate per month: per instance, and (Instance null) for the company when no instance is chosen.</summary>
    public async Task<IReadOnlyList<WinRateMonth>> WinRateAsync(DashboardFilter f, CancellationToken ct) =>
        await QueryAsync<WinRateMonth>("""
            SELECT instance, period_start AS month, sum(won)::bigint AS won, sum(refused)::bigint AS refused,
                   round(sum(won)::numeric / NULLIF(sum(won) + sum(refused), 0), 4) AS WinRate, sum(won_value_reporting) AS WonValue,
                   round(sum(won_value_reporting) / NULLIF(sum(won_value_reporting) + sum(refused_value_reporting), 0), 4) AS ValueWinRate
            FROM analytics.win_rate
            WHERE company = @Company AND funnel = @Funnel AND grain = 'month' AND period_start >= @From AND period_start < @To
              AND (@InstanceId::integer IS NULL OR instance_id = @InstanceId)
            GROUP BY instance, period_start
            UNION ALL
            SELECT NULL, period_start, won::bigint, refused::bigint, win_rate, won_value_group, value_win_rate
            FROM analytics.win_rate_group
            WHERE company = @Company AND funnel = @Funnel AND grain = 'month' AND period_start >= @From AND period_start < @To AND @InstanceId::integer IS NULL
            ORDER BY 2, 1 NULLS LAST
            """, f, ct);

    /// <summary>Deals that reached each step in the period (actual and filled), with conversion from the step before and from the first.</summary>
    public async Task<IReadOnlyList<FunnelStepPasses>> FunnelAsync(DashboardFilter f, CancellationToken ct) =>
        await QueryAsync<FunnelStepPasses>("""
            WITH steps AS (
                SELECT step_number, step, sum(passed)::bigint AS passed, sum(filled)::bigint AS filled
                FROM analytics.funnel_conversion_flow
                WHERE company = @Company AND funnel = @Funnel AND month >= @From AND month < @To AND (@InstanceId::integer IS NULL OR instance_id = @InstanceId)
                GROUP BY step_number, step)
            SELECT step_number::integer AS StepNumber, step, passed, filled,
                   round(passed::numeric / NULLIF(lag(passed) OVER w, 0), 4) AS StepConversion,
                   round(passed::numeric / NULLIF(first_value(passed) OVER w, 0), 4) AS CumulativeConversion
            FROM steps WINDOW w AS (ORDER BY step_number) ORDER BY step_number
            """, f, ct);

    /// <summary>Every target of the company whose period starts in [From, To), against what happened.</summary>
    public async Task<IReadOnlyList<TargetVersusActual>> TargetsAsync(DashboardFilter f, CancellationToken ct) =>
        await QueryAsync<TargetVersusActual>("""
            SELECT kpi, period, period_start AS PeriodStart, assignee_kind || ': ' || assignee AS assignee, target, actual, attainment
            FROM analytics.target_attainment
            WHERE company = @Company AND period_start >= @From AND period_start < @To
            ORDER BY period_start, kpi, assignee
            """, f, ct);

    /// <summary>Completed activities per person and week (weeks from Monday).</summary>
    public async Task<IReadOnlyList<ActivitiesWeek>> ActivitiesAsync(DashboardFilter f, CancellationToken ct) =>
        await QueryAsync<ActivitiesWeek>("""
            SELECT person, week_start AS WeekStart, sum(completed)::bigint AS completed
            FROM analytics.activities_completed
            WHERE company = @Company AND day >= @From AND day < @To AND (@InstanceId::integer IS NULL OR instance_id = @InstanceId)
            GROUP BY person, week_start ORDER BY week_start, person
            """, f, ct);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object args, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: ct))).ToList();
    }
}
