using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Metrics;
using CrmEtl.Storage.Configuration;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmEtl.Storage.Analytics;

/// <summary>What one build produced, and what was wrong with the data.</summary>
/// <summary>What a build made; <see cref="ChangedDeals"/> is set when it redid only the deals and activities changed since the last build.</summary>
public sealed record BuildResult(string Instance, long Deals, long Passes, long Activities, long Leads, IReadOnlyList<string> Problems, TimeSpan Elapsed, long? ChangedDeals = null);

/// <summary>
/// Rebuilds one instance's analytics from its replica and its company's configuration, set-based,
/// in one transaction: BI users see the previous complete numbers until the new ones commit. Never
/// calls a CRM, so a changed mapping gives the numbers a fresh full sync with it would. The rules
/// are those of <see cref="Core.Funnels.FunnelRules"/>, applied to all deals at once.
/// </summary>
public sealed partial class AnalyticsBuilder(NpgsqlDataSource dataSource, ConfigurationStore configuration, TimeProvider clock, ILogger<AnalyticsBuilder> logger)
{
    /// <summary>Facts from the replica alone: rebuilt only when what they are built from changed (see <see cref="BaseInputsSql"/>).</summary>
    private static readonly string[] ReplicaFacts = ["fact_deal", "fact_stage_event", "fact_activity", "fact_lead"];

    /// <summary>Everything the configuration shapes: rebuilt every time.</summary>
    /// <summary>The configured facts made of one deal's rows each: a build after a sync replaces only the changed deals' rows.</summary>
    private static readonly string[] DealScoped = ["fact_funnel_pass", "fact_deal_outcome", "fact_sales_volume"];

    private static readonly string[] ConfiguredFacts =
        ["dim_pipeline", "dim_stage", "dim_person", "fact_funnel_pass", "fact_lead_pass", "fact_deal_outcome", "fact_sales_volume", "kpi_daily", "kpi_period", "problem"];

    /// <summary>Memory for the build's sorts and hash joins: at 1M deals the default 4 MB spills them to disk.</summary>
    private const string WorkMem = "256MB";

    /// <summary>
    /// A fingerprint of what the replica facts depend on besides the records themselves: the instance's
    /// time zone and currencies, the local date (open deals convert at today's rate), its filters, the
    /// rates, and the reference data filters and stage events read. When it changes, every replica fact is
    /// rebuilt; when only records changed, only theirs are (see crm.replica_change).
    /// </summary>
    private const string FixedInputsSql = """
        SELECT md5(concat_ws('|', i.time_zone, i.reporting_currency, @gcur, (@now AT TIME ZONE i.time_zone)::date,
            (SELECT string_agg(concat_ws(',', f.entity, f.mode, f.condition), ';' ORDER BY f.entity, f.mode, f.condition)
             FROM config.record_filter f WHERE f.instance_id = i.id),
            (SELECT string_agg(concat_ws(',', r.currency, r.reporting_currency, r.valid_from, r.rate), ';' ORDER BY r.currency, r.reporting_currency, r.valid_from)
             FROM config.exchange_rate r WHERE r.company = @company AND r.reporting_currency IN (@cur, @gcur)),
            (SELECT md5(string_agg(t::text, ';' ORDER BY t::text)) FROM crm.pipeline t WHERE t.instance_id = i.id),
            (SELECT md5(string_agg(t::text, ';' ORDER BY t::text)) FROM crm.stage t WHERE t.instance_id = i.id),
            (SELECT md5(string_agg(t::text, ';' ORDER BY t::text)) FROM crm.crm_user t WHERE t.instance_id = i.id),
            (SELECT md5(string_agg(t::text, ';' ORDER BY t::text)) FROM crm.deal_field t WHERE t.instance_id = i.id)))
        FROM etl.instance i WHERE i.id = @i
        """;

    /// <summary>Past this share of the deals changed, rebuilding everything is faster than replacing them one by one.</summary>
    private const double ChangedShareForFullBuild = 0.2;

    /// <summary>How much of the replica facts a build redoes.</summary>
    private enum ReplicaFactsBuild { All, Changed, None }

    /// <summary>Rebuilds every instance of a company (after a configuration change).</summary>
    public async Task<IReadOnlyList<BuildResult>> BuildCompanyAsync(string company, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<int>(new CommandDefinition(
            $"SELECT id FROM etl.instance i WHERE {ConfigurationStore.CompanyOfInstanceSql} = @company ORDER BY id", new { company }, cancellationToken: cancellationToken));
        var results = new List<BuildResult>();
        foreach (var id in ids) results.Add(await BuildAsync(id, cancellationToken));
        return results;
    }

    public async Task<BuildResult> BuildAsync(int instanceId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var instance = await connection.QuerySingleOrDefaultAsync<InstanceInfo>(new CommandDefinition($"""
            SELECT i.id, i.name, i.time_zone, i.reporting_currency, {ConfigurationStore.CompanyOfInstanceSql} AS company,
                   coalesce(c.reporting_currency, i.reporting_currency) AS group_currency
            FROM etl.instance i LEFT JOIN config.company c ON c.name = {ConfigurationStore.CompanyOfInstanceSql}
            WHERE i.id = @instanceId
            """, new { instanceId }, cancellationToken: cancellationToken))
            ?? throw new ArgumentException($"There is no instance with id {instanceId}.", nameof(instanceId));
        var config = await configuration.LoadAsync(instance.Company, cancellationToken);
        var catalog = (await configuration.LoadCatalogAsync(instance.Company, cancellationToken)).Instance(instance.Name);

        var p = new SqlParameters(new { i = instance.Id, now = clock.GetUtcNow(), tz = instance.Time_Zone, cur = instance.Reporting_Currency, gcur = instance.Group_Currency, company = instance.Company });
        var mine = config.Filters.Where(f => string.Equals(f.Instance, instance.Name, StringComparison.OrdinalIgnoreCase)).ToList();
        var dealFilter = FilterSql.Condition(FilterEntities.Deal, mine, catalog, p);
        var activityFilter = FilterSql.Condition(FilterEntities.Activity, mine, catalog, p);
        var leadFilter = FilterSql.Condition(FilterEntities.Lead, mine, catalog, p);

        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        async Task<int> Step(string name, string sql)
        {
            var at = Stopwatch.GetTimestamp();
            var rows = await connection.ExecuteAsync(new CommandDefinition(sql, p.Values, tx, commandTimeout: 0, cancellationToken: cancellationToken));
            StorageLog.AnalyticsStep(logger, instance.Name, name, rows, Stopwatch.GetElapsedTime(at).TotalMilliseconds);
            return rows;
        }

        // Builds of one company's instances take turns: the company-wide KPI rows are shared.
        await Step("lock", "SELECT pg_advisory_xact_lock(hashtext('crmetl.analytics.' || @company))");
        // JIT compiling these one-off statements costs more than it saves
        await Step("settings", $"SET LOCAL work_mem = '{WorkMem}'; SET LOCAL jit = off");
        // Holds back syncs' commits that write rows until this build is done, so no change is both unseen and unlogged.
        var version = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT replica_version FROM etl.instance WHERE id = @i FOR SHARE", p.Values, tx, cancellationToken: cancellationToken));
        var fixedInputs = await connection.ExecuteScalarAsync<string>(new CommandDefinition(FixedInputsSql, p.Values, tx, cancellationToken: cancellationToken));
        var configInputs = Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(config)));
        var previous = await connection.QuerySingleOrDefaultAsync<PreviousBuild>(new CommandDefinition(
            "SELECT fixed_inputs, replica_version, config_inputs, deals, passes, activities, leads FROM analytics.build WHERE instance_id = @i", p.Values, tx, cancellationToken: cancellationToken));
        var replicaFacts = previous is null || previous.Fixed_Inputs != fixedInputs ? ReplicaFactsBuild.All
            : previous.Replica_Version == version ? ReplicaFactsBuild.None : ReplicaFactsBuild.Changed;
        long? changed = null;
        // The changed records' ids, also as parameters: PostgreSQL hashes such a list and can then scan for them on both cores.
        long[] changedDeals = [], changedActivities = [];
        async Task<long[]> IdsAsync(string sql) =>
            (await connection.QueryAsync<long>(new CommandDefinition(sql, transaction: tx, cancellationToken: cancellationToken))).ToArray();
        if (replicaFacts == ReplicaFactsBuild.Changed)
        {
            // The records written since the last build, taken from the log in this transaction. Their rows are
            // few: looking them up by key beats scanning millions, which the default page costs hide.
            await Step("changed records", """
                SET LOCAL random_page_cost = 1.1;
                CREATE TEMP TABLE taken_change ON COMMIT DROP AS
                WITH taken AS (DELETE FROM crm.replica_change WHERE instance_id = @i RETURNING entity, id) SELECT entity, id FROM taken;
                CREATE TEMP TABLE changed_deal ON COMMIT DROP AS SELECT id::bigint AS deal_id FROM taken_change WHERE entity = 'd';
                CREATE TEMP TABLE changed_activity ON COMMIT DROP AS SELECT id::bigint AS activity_id FROM taken_change WHERE entity = 'a';
                ANALYZE changed_deal; ANALYZE changed_activity;
                """);
            changedDeals = await IdsAsync("SELECT deal_id FROM changed_deal");
            changedActivities = await IdsAsync("SELECT activity_id FROM changed_activity");
            changed = changedDeals.Length;
            if (changed > ChangedShareForFullBuild * Math.Max(previous!.Deals, 1)) replicaFacts = ReplicaFactsBuild.All;
        }
        else if (replicaFacts == ReplicaFactsBuild.All)
            await Step("clear changed records", "DELETE FROM crm.replica_change WHERE instance_id = @i");
        // The configured facts of unchanged deals stay only when the configuration they were built with did.
        var byDeal = replicaFacts == ReplicaFactsBuild.Changed && previous!.Config_Inputs == configInputs;
        string DealScope(string column) => byDeal ? $"{column} IN (SELECT deal_id FROM changed_deal)" : "true";
        if (replicaFacts == ReplicaFactsBuild.All)
            foreach (var table in ReplicaFacts)
                await Step($"clear {table}", $"DELETE FROM analytics.{table} WHERE instance_id = @i");
        long clearedDeals = 0, clearedActivities = 0, clearedPasses = 0;
        var (dealIds, activityIds) = (p.Add(changedDeals), p.Add(changedActivities));
        if (replicaFacts == ReplicaFactsBuild.Changed)
        {
            clearedDeals = await Step("clear changed deals", "DELETE FROM analytics.fact_deal WHERE instance_id = @i AND deal_id IN (SELECT deal_id FROM changed_deal)");
            await Step("clear changed stage events", ClearChanged("fact_stage_event", "gone_stage_event", $"deal_id = ANY ({dealIds})"));
            clearedActivities = await Step("clear changed activities", ClearChanged("fact_activity", "gone_activity", $"activity_id = ANY ({activityIds})"));
            if (byDeal)
                // Leads are rebuilt whole: what they added to the daily KPIs is taken back, and what they make is added, below.
                await Step("daily KPIs of the leads, before", $"CREATE TEMP TABLE kpi_delta ON COMMIT DROP AS {LeadKpis(-1)}");
            await Step("clear leads", "DELETE FROM analytics.fact_lead WHERE instance_id = @i");
        }
        foreach (var table in ConfiguredFacts.Where(t => !byDeal || t != "kpi_daily"))
        {
            var changedOnly = byDeal && DealScoped.Contains(table);
            var cleared = await Step($"clear {table}", changedOnly ? ClearChanged(table, $"gone_{table}", $"deal_id = ANY ({dealIds})")
                : $"DELETE FROM analytics.{table} WHERE instance_id = @i");
            if (changedOnly && table == "fact_funnel_pass") clearedPasses = cleared;
        }
        if (byDeal)
            // What the changed deals' passes and the changed activities added to the daily KPIs, taken back below.
            await Step("daily KPIs of the changed records, before", $"INSERT INTO kpi_delta {DealAndActivityKpis("gone_fact_funnel_pass", "gone_activity", -1)}");

        await Step("dimensions", """
            INSERT INTO analytics.dim_pipeline (instance_id, pipeline_id, name, country, geo_area, product)
            SELECT p.instance_id, p.id, p.name, coalesce(dp.country, di.country), coalesce(dp.geo_area, di.geo_area), coalesce(dp.product, di.product)
            FROM crm.pipeline p
            LEFT JOIN config.dimension dp ON dp.instance_id = p.instance_id AND dp.pipeline_id = p.id
            LEFT JOIN config.dimension di ON di.instance_id = p.instance_id AND di.pipeline_id IS NULL
            WHERE p.instance_id = @i;
            INSERT INTO analytics.dim_stage (instance_id, stage_id, pipeline_id, name, order_nr)
            SELECT instance_id, id, pipeline_id, name, order_nr FROM crm.stage WHERE instance_id = @i;
            INSERT INTO analytics.dim_person (instance_id, user_id, user_name, person, team)
            SELECT u.instance_id, u.id, u.name, coalesce(m.person, u.name), m.team
            FROM crm.crm_user u LEFT JOIN config.person m ON m.instance_id = u.instance_id AND m.user_id = u.id
            WHERE u.instance_id = @i;
            """);

        await Step("rates", """
            -- each rate holds from its date until the next one of the same pair
            CREATE TEMP TABLE rate_span ON COMMIT DROP AS
            SELECT currency, reporting_currency AS reporting, rate,
                   daterange(valid_from, lead(valid_from) OVER (PARTITION BY currency, reporting_currency ORDER BY valid_from)) AS during
            FROM config.exchange_rate WHERE company = @company AND reporting_currency IN (@cur, @gcur);
            ANALYZE rate_span;
            """);

        // A build after a sync counts its rows as the previous build's, less those it took out, plus those it made.
        var (deals, activities, leads) = replicaFacts switch
        {
            ReplicaFactsBuild.All => await BuildReplicaFactsAsync(Step, dealFilter, activityFilter, leadFilter, changedOnly: false),
            ReplicaFactsBuild.Changed => await BuildReplicaFactsAsync(Step, dealFilter, activityFilter, leadFilter, changedOnly: true),
            _ => (previous!.Deals, previous.Activities, previous.Leads),
        };
        if (replicaFacts == ReplicaFactsBuild.Changed)
            (deals, activities) = (previous!.Deals - clearedDeals + deals, previous.Activities - clearedActivities + activities);
        // The stage events the per-deal table reads: only the changed deals' when it is made for them alone.
        var stageEvents = byDeal ? "made_stage_event" : "analytics.fact_stage_event";

        await Step("funnel working tables", $$"""
            -- the steps each pipeline has stages mapped to: what a won deal of it is filled into
            CREATE TEMP TABLE pipeline_step ON COMMIT DROP AS
            SELECT DISTINCT m.funnel, m.position, s.pipeline_id
            FROM config.stage_mapping m JOIN crm.stage s ON s.instance_id = m.instance_id AND s.id = m.stage_id
            WHERE m.instance_id = @i;

            CREATE TEMP TABLE funnel_marker ON COMMIT DROP AS
            SELECT funnel,
                   max(position) FILTER (WHERE marker = 'won') AS won_pos,
                   max(position) FILTER (WHERE marker = 'refused') AS refused_pos,
                   max(position) FILTER (WHERE marker = 'return') AS return_pos,
                   max(position) FILTER (WHERE marker = 'pause') AS pause_pos
            FROM config.funnel_step WHERE company = @company GROUP BY funnel;

            -- every arrival of a deal at its funnel's Return step
            CREATE TEMP TABLE return_arrival ON COMMIT DROP AS
            SELECT m.funnel, e.deal_id, array_agg(e.entered_at) AS arrivals
            FROM {{stageEvents}} e
            JOIN config.stage_mapping m ON m.instance_id = e.instance_id AND m.stage_id = e.stage_id
            JOIN funnel_marker fm ON fm.funnel = m.funnel AND fm.return_pos = m.position
            WHERE e.instance_id = @i AND {{DealScope("e.deal_id")}}
            GROUP BY m.funnel, e.deal_id;

            -- temporary tables get no statistics of their own, and guesses plan the joins below badly
            ANALYZE pipeline_step; ANALYZE funnel_marker; ANALYZE return_arrival;

            -- Almost every (deal, step) is its own group: sorting the arrivals by deal once and grouping them
            -- twice on the way is several times faster than hashing millions of groups (1M deals: 15 -> 7 s).
            SET LOCAL enable_hashagg = off;
            -- one row per deal and funnel it is in (its pipeline maps into the funnel, or it arrived at a mapped
            -- stage), with all the outcome and the passes need: the steps it visited with its first arrival at
            -- each (moving back and forth does not count again), the step of its latest stage, its Won and Refused times
            CREATE TEMP TABLE deal_work ON COMMIT DROP AS
            WITH arrival AS (
                SELECT e.deal_id, m.funnel, m.position, min(e.entered_at) AS first_at, bool_or(e.is_last) AS holds_latest
                FROM {{stageEvents}} e
                JOIN config.stage_mapping m ON m.instance_id = e.instance_id AND m.stage_id = e.stage_id
                WHERE e.instance_id = @i AND {{DealScope("e.deal_id")}}
                GROUP BY e.deal_id, m.funnel, m.position
            ),
            visits AS (
                -- both arrays take the arrivals in the same order: visited[k] was first reached at arrived_at[k]
                SELECT deal_id, funnel, array_agg(position) AS visited, array_agg(first_at) AS arrived_at,
                       max(position) FILTER (WHERE holds_latest) AS latest_position
                FROM arrival GROUP BY deal_id, funnel
            ),
            member AS (
                SELECT f.deal_id, ps.funnel
                FROM analytics.fact_deal f JOIN (SELECT DISTINCT funnel, pipeline_id FROM pipeline_step) ps ON ps.pipeline_id = f.pipeline_id
                WHERE f.instance_id = @i AND {{DealScope("f.deal_id")}}
            )
            SELECT df.funnel, df.deal_id, df.visited, df.arrived_at, df.latest_position, x.refused_arrival,
                   fm.won_pos, fm.refused_pos, fm.return_pos, fm.pause_pos,
                   f.pipeline_id, f.owner_id, f.created_date, f.status, f.value_reporting, f.value_group,
                   -- Won: arrival at the Won step, or Pipedrive's status won (a Won step after the last one)
                   least(x.won_arrival, f.won_at) AS won_at,
                   -- Refused: arrival at the Refused step, or status lost
                   least(x.refused_arrival, f.lost_at) AS refused_at
            FROM (
                SELECT coalesce(v.funnel, mb.funnel) AS funnel, coalesce(v.deal_id, mb.deal_id) AS deal_id,
                       coalesce(v.visited, '{}') AS visited, coalesce(v.arrived_at, '{}') AS arrived_at, v.latest_position
                FROM visits v FULL JOIN member mb ON mb.deal_id = v.deal_id AND mb.funnel = v.funnel
            ) df
            JOIN analytics.fact_deal f ON f.instance_id = @i AND f.deal_id = df.deal_id
            LEFT JOIN funnel_marker fm ON fm.funnel = df.funnel
            CROSS JOIN LATERAL (SELECT df.arrived_at[array_position(df.visited, fm.won_pos)] AS won_arrival,
                                       df.arrived_at[array_position(df.visited, fm.refused_pos)] AS refused_arrival) x;
            SET LOCAL enable_hashagg = on;
            ANALYZE deal_work;
            """);

        await Step("outcomes", """
            INSERT INTO analytics.fact_deal_outcome (instance_id, company, funnel, deal_id, pipeline_id, owner_id, cohort_date,
                                                     won_at, won_date, refused_at, refused_date, returned_at, returned_date, closed_as, closed_date, paused_now)
            SELECT @i, @company, w.funnel, w.deal_id, w.pipeline_id, w.owner_id, w.created_date,
                   w.won_at, (w.won_at AT TIME ZONE @tz)::date, w.refused_at, (w.refused_at AT TIME ZONE @tz)::date,
                   ret.at, (ret.at AT TIME ZONE @tz)::date,
                   c.closed_as, (CASE c.closed_as WHEN 'won' THEN w.won_at WHEN 'refused' THEN w.refused_at END AT TIME ZONE @tz)::date,
                   -- Pause: the deal's latest stage is mapped to the Pause step
                   coalesce(w.status = 'open' AND w.pause_pos IS NOT NULL AND w.latest_position = w.pause_pos, false)
            FROM deal_work w
            CROSS JOIN LATERAL (SELECT CASE
                WHEN w.won_at IS NOT NULL AND (w.refused_at IS NULL OR w.refused_at <= w.won_at) THEN 'won'
                WHEN w.refused_at IS NOT NULL THEN 'refused' END AS closed_as) c
            -- Return: the first arrival at the Return step after the deal was won
            LEFT JOIN return_arrival ra ON ra.funnel = w.funnel AND ra.deal_id = w.deal_id
            CROSS JOIN LATERAL (SELECT CASE WHEN ra.arrivals IS NOT NULL THEN (SELECT min(t) FROM unnest(ra.arrivals) t WHERE t >= w.won_at) END AS at) ret
            """);

        const string Passes = """
            INSERT INTO analytics.fact_funnel_pass (instance_id, company, funnel, position, deal_id, passed_at, passed_date, filled, cohort_date,
                                                    pipeline_id, owner_id, value_reporting, value_group)
            SELECT @i, @company, w.funnel, p.position, w.deal_id, p.at, (p.at AT TIME ZONE @tz)::date, p.filled, w.created_date,
                   w.pipeline_id, w.owner_id, w.value_reporting, w.value_group
            FROM deal_work w
            CROSS JOIN LATERAL (
                -- actual first arrivals; the Won step is dated by the won time below
                SELECT a.position, a.at, false AS filled FROM unnest(w.visited, w.arrived_at) a(position, at)
                WHERE a.position IS DISTINCT FROM w.won_pos
                UNION ALL
                SELECT w.won_pos, w.won_at, false WHERE w.won_at IS NOT NULL AND w.won_pos IS NOT NULL
                UNION ALL
                -- status lost without an arrival at the Refused step
                SELECT w.refused_pos, w.refused_at, false WHERE w.refused_at IS NOT NULL AND w.refused_pos IS NOT NULL AND w.refused_arrival IS NULL
            ) p
            UNION ALL
            -- Won skip-fill: earlier ordinary steps the deal's pipeline maps to and the deal did not visit, at the won time
            SELECT @i, @company, w.funnel, st.position, w.deal_id, w.won_at, (w.won_at AT TIME ZONE @tz)::date, true, w.created_date,
                   w.pipeline_id, w.owner_id, w.value_reporting, w.value_group
            FROM deal_work w
            JOIN config.funnel_step st ON st.company = @company AND st.funnel = w.funnel AND st.marker IS NULL
            JOIN pipeline_step ps ON ps.funnel = w.funnel AND ps.position = st.position AND ps.pipeline_id = w.pipeline_id
            WHERE w.won_at IS NOT NULL AND (w.won_pos IS NULL OR st.position < w.won_pos) AND NOT st.position = ANY (w.visited)
            """;
        // The changed deals' new passes are kept for what they add to the daily KPIs.
        long passes = byDeal ? previous!.Passes - clearedPasses + await Step("funnel passes", Keeping("made_pass", "fact_funnel_pass", Passes))
            : await Step("funnel passes", Passes);
        if (!byDeal) await Step("analyze passes", "ANALYZE analytics.fact_funnel_pass");

        await Step("lead funnel passes", """
            -- each lead (as filtered) at the step its current status maps to
            WITH status_step AS (
                SELECT m.funnel, m.position, l.id AS lead_id, l.add_time, l.converted_time, l.owner_id
                FROM analytics.fact_lead f
                JOIN crm.lead l ON l.instance_id = f.instance_id AND l.id = f.lead_id
                JOIN crm.stage s ON s.instance_id = l.instance_id AND s.forecast_type = 'Lead status' AND s.name = l.status AND NOT s.is_deleted
                JOIN config.stage_mapping m ON m.instance_id = s.instance_id AND m.stage_id = s.id
                WHERE f.instance_id = @i AND l.add_time IS NOT NULL
            ),
            -- the steps lead statuses map to, per funnel: what a converted lead is filled into
            status_position AS (
                SELECT DISTINCT m.funnel, m.position
                FROM config.stage_mapping m JOIN crm.stage s ON s.instance_id = m.instance_id AND s.id = m.stage_id
                WHERE m.instance_id = @i AND s.forecast_type = 'Lead status'
            ),
            converted AS (
                SELECT DISTINCT sp.funnel, l.id AS lead_id, l.converted_time, l.owner_id
                FROM analytics.fact_lead f
                JOIN crm.lead l ON l.instance_id = f.instance_id AND l.id = f.lead_id
                CROSS JOIN (SELECT DISTINCT funnel FROM status_position) sp
                WHERE f.instance_id = @i AND l.converted_time IS NOT NULL
            )
            INSERT INTO analytics.fact_lead_pass (instance_id, company, funnel, position, lead_id, passed_at, passed_date, filled, owner_id)
            SELECT @i, @company, p.funnel, p.position, p.lead_id, p.at, (p.at AT TIME ZONE @tz)::date, p.filled, p.owner_id
            FROM (
                -- its status, dated at its creation (CRMs keep no history of lead statuses)
                SELECT ss.funnel, ss.position, ss.lead_id, ss.add_time AS at, false AS filled, ss.owner_id
                FROM status_step ss LEFT JOIN funnel_marker fm ON fm.funnel = ss.funnel
                WHERE ss.position IS DISTINCT FROM fm.won_pos
                UNION ALL
                -- converted: the Won step at the conversion
                SELECT c.funnel, fm.won_pos, c.lead_id, c.converted_time, false, c.owner_id
                FROM converted c JOIN funnel_marker fm ON fm.funnel = c.funnel
                WHERE fm.won_pos IS NOT NULL
                UNION ALL
                -- converted: every earlier ordinary step statuses map to and its status is not in, filled at the conversion
                SELECT c.funnel, sp.position, c.lead_id, c.converted_time, true, c.owner_id
                FROM converted c
                JOIN status_position sp ON sp.funnel = c.funnel
                JOIN config.funnel_step st ON st.company = @company AND st.funnel = sp.funnel AND st.position = sp.position AND st.marker IS NULL
                LEFT JOIN funnel_marker fm ON fm.funnel = c.funnel
                WHERE (fm.won_pos IS NULL OR sp.position < fm.won_pos)
                  -- a hashed set: as a correlated NOT EXISTS over the CTE it was a nested loop (3.8 s for 10k leads)
                  AND (c.funnel, c.lead_id, sp.position) NOT IN (SELECT ss.funnel, ss.lead_id, ss.position FROM status_step ss)
            ) p;
            ANALYZE analytics.fact_lead_pass;
            """);

        await Step("sales volume", $"""
            INSERT INTO analytics.fact_sales_volume (instance_id, company, funnel, deal_id, kind, date, pipeline_id, owner_id,
                                                     amount, currency, rate, amount_reporting, group_rate, amount_group)
            SELECT @i, @company, o.funnel, o.deal_id, v.kind, v.date, f.pipeline_id, f.owner_id,
                   v.sign * f.value, f.currency, r.rate, v.sign * f.value * r.rate, g.rate, v.sign * f.value * g.rate
            FROM analytics.fact_deal_outcome o
            JOIN analytics.fact_deal f ON f.instance_id = o.instance_id AND f.deal_id = o.deal_id
            -- a return reverses the amount booked when the deal was won: the won date's rate
            {RatesOn("f.currency", "o.won_date")}
            CROSS JOIN LATERAL (VALUES ('won', o.won_date, 1), ('return', o.returned_date, -1)) v(kind, date, sign)
            WHERE o.instance_id = @i AND {DealScope("o.deal_id")} AND o.won_at IS NOT NULL AND v.date IS NOT NULL AND f.value IS NOT NULL
            """);

        if (byDeal)
        {
            await Step("daily KPIs of the changed records", $"""
                INSERT INTO kpi_delta {DealAndActivityKpis("made_pass", "made_activity", 1)};
                INSERT INTO kpi_delta {LeadKpis(1)};
                CREATE TEMP TABLE kpi_net ON COMMIT DROP AS
                SELECT kpi_id, day, owner_id, pipeline_id, activity_type, sum(facts) AS facts, sum(value) AS value, sum(value_group) AS value_group
                FROM kpi_delta GROUP BY kpi_id, day, owner_id, pipeline_id, activity_type;
                UPDATE analytics.kpi_daily d
                SET facts = d.facts + n.facts, value = trim_scale(d.value + n.value), value_group = trim_scale(d.value_group + n.value_group)
                FROM kpi_net n WHERE d.instance_id = @i AND {SameKpiRow};
                INSERT INTO analytics.kpi_daily (instance_id, kpi_id, day, owner_id, pipeline_id, activity_type, facts, value, value_group)
                SELECT @i, n.kpi_id, n.day, n.owner_id, n.pipeline_id, n.activity_type, n.facts, trim_scale(n.value), trim_scale(n.value_group)
                FROM kpi_net n WHERE n.facts > 0 AND NOT EXISTS (SELECT 1 FROM analytics.kpi_daily d WHERE d.instance_id = @i AND {SameKpiRow});
                DELETE FROM analytics.kpi_daily d USING kpi_net n WHERE d.instance_id = @i AND {SameKpiRow} AND d.facts = 0;
                """);
        }
        else
            await Step("daily KPIs", $"""
                -- made apart first: PostgreSQL can read the millions of passes on both cores for a new table, not for an insert
                CREATE TEMP TABLE kpi_built ON COMMIT DROP AS {DealAndActivityKpis("analytics.fact_funnel_pass", "analytics.fact_activity", 1)};
                INSERT INTO analytics.kpi_daily (instance_id, kpi_id, day, owner_id, pipeline_id, activity_type, facts, value, value_group)
                SELECT @i, x.* FROM kpi_built x;
                INSERT INTO analytics.kpi_daily (instance_id, kpi_id, day, owner_id, pipeline_id, activity_type, facts, value, value_group) SELECT @i, x.* FROM ({LeadKpis(1)}) x;
                """);
        await Step("period KPIs", """
            INSERT INTO analytics.kpi_period (company, instance_id, kpi_id, grain, period_start, value, value_group)
            SELECT @company, @i, d.kpi_id, g.grain, date_trunc(g.grain, d.day)::date, sum(d.value), sum(d.value_group)
            FROM analytics.kpi_daily d CROSS JOIN (VALUES ('day'), ('week'), ('month'), ('quarter')) g(grain)
            WHERE d.instance_id = @i
            GROUP BY d.kpi_id, g.grain, date_trunc(g.grain, d.day)::date;
            """);
        var kpiIds = (await connection.QueryAsync<(string Name, int Id)>(new CommandDefinition(
                "SELECT name, id FROM config.kpi WHERE company = @company", new { company = instance.Company }, tx, cancellationToken: cancellationToken)))
            .ToDictionary(k => k.Name, k => k.Id, StringComparer.OrdinalIgnoreCase);
        await CalculatedKpisAsync(config, kpiIds, ofCompany: false, p, Step);

        // The company's own rows (instance_id null): every instance's base KPIs in the group currency.
        await Step("company KPIs", """
            DELETE FROM analytics.kpi_period WHERE company = @company AND instance_id IS NULL;
            INSERT INTO analytics.kpi_period (company, instance_id, kpi_id, grain, period_start, value, value_group)
            SELECT @company, NULL, p.kpi_id, p.grain, p.period_start, sum(p.value_group), sum(p.value_group)
            FROM analytics.kpi_period p JOIN config.kpi k ON k.id = p.kpi_id AND k.kind <> 'calculated'
            WHERE p.company = @company AND p.instance_id IS NOT NULL
            GROUP BY p.kpi_id, p.grain, p.period_start;
            """);
        await CalculatedKpisAsync(config, kpiIds, ofCompany: true, p, Step);

        await Step("problems", """
            INSERT INTO analytics.problem (instance_id, kind, detail, records)
            SELECT @i, 'missing_rate',
                   format('No exchange rate from %s to %s on or before %s: %s deal(s) have no converted value. Import rates with ''crmetl config import''.',
                          f.currency, x.reporting, min(coalesce(f.won_date, f.lost_date, (@now AT TIME ZONE @tz)::date)), count(*)),
                   count(*)
            FROM analytics.fact_deal f
            CROSS JOIN LATERAL (VALUES (@cur, f.rate), (@gcur, f.group_rate)) x(reporting, rate)
            WHERE f.instance_id = @i AND f.value IS NOT NULL AND f.currency IS NOT NULL AND x.rate IS NULL
            GROUP BY f.currency, x.reporting;
            """);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await Step("build record", $"""
            INSERT INTO analytics.build (instance_id, built_at, seconds, deals, passes, activities, leads, fixed_inputs, replica_version, config_inputs)
            VALUES (@i, @now, {p.Add(Math.Round((decimal)elapsed.TotalSeconds, 3))}, {p.Add(deals)}, {p.Add((long)passes)}, {p.Add(activities)}, {p.Add(leads)},
                    {p.Add(fixedInputs)}, {p.Add(version)}, {p.Add(configInputs)})
            ON CONFLICT (instance_id) DO UPDATE SET built_at = excluded.built_at, seconds = excluded.seconds, deals = excluded.deals,
                passes = excluded.passes, activities = excluded.activities, leads = excluded.leads,
                fixed_inputs = excluded.fixed_inputs, replica_version = excluded.replica_version, config_inputs = excluded.config_inputs
            """);
        var problems = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT detail FROM analytics.problem WHERE instance_id = @i ORDER BY detail", new { i = instance.Id }, tx, cancellationToken: cancellationToken))).ToList();
        await tx.CommitAsync(cancellationToken);

        var result = new BuildResult(instance.Name, deals, passes, activities, leads, problems, Stopwatch.GetElapsedTime(started),
            replicaFacts == ReplicaFactsBuild.Changed ? changed : null);
        StorageLog.AnalyticsBuilt(logger, instance.Name, deals, passes, activities, leads, problems.Count, result.Elapsed.TotalSeconds);
        return result;
    }

    /// <summary>
    /// <paramref name="insert"/> (an INSERT … SELECT into analytics.<paramref name="like"/>) that also keeps the rows
    /// it made in the temporary table <paramref name="table"/>; its result counts them.
    /// </summary>
    private static string Keeping(string table, string like, string insert) => $"""
        CREATE TEMP TABLE {table} (LIKE analytics.{like}) ON COMMIT DROP;
        WITH made AS ({insert} RETURNING *) INSERT INTO {table} SELECT * FROM made
        """;

    /// <summary>
    /// Takes the instance's rows of analytics.<paramref name="table"/> that match <paramref name="where"/> out, and keeps
    /// them in the temporary table <paramref name="keep"/>; its result counts them. The rows are found by a query
    /// that makes a table, which PostgreSQL may run on both cores (a DELETE's never is), then deleted by address.
    /// </summary>
    private static string ClearChanged(string table, string keep, string where) => $"""
        CREATE TEMP TABLE {keep} ON COMMIT DROP AS SELECT ctid AS row_at, * FROM analytics.{table} WHERE instance_id = @i AND {where};
        DELETE FROM analytics.{table} WHERE ctid = ANY (ARRAY(SELECT row_at FROM {keep}))
        """;

    /// <summary>kpi_daily d and kpi_net n are the same row (owner, pipeline and activity type may be null).</summary>
    private const string SameKpiRow = """
        d.kpi_id = n.kpi_id AND d.day = n.day AND coalesce(d.owner_id, -1) = coalesce(n.owner_id, -1)
        AND coalesce(d.pipeline_id, -1) = coalesce(n.pipeline_id, -1) AND coalesce(d.activity_type, '') = coalesce(n.activity_type, '')
        """;

    /// <summary>
    /// The daily KPI rows (kpi, day, owner, pipeline, activity type, facts, value, value group) that the deal
    /// passes in <paramref name="passes"/> and the done activities in <paramref name="activities"/> make (the fact
    /// tables, or the rows a build after a sync took out or made), with <paramref name="sign"/>: 1 as built, -1 to
    /// take them back. Every row counts its facts, so that one whose facts are all taken back goes.
    /// </summary>
    private static string DealAndActivityKpis(string passes, string activities, int sign) => $"""
        SELECT k.id AS kpi_id, p.passed_date AS day, p.owner_id, p.pipeline_id, NULL::text AS activity_type, {sign} * count(*) AS facts,
               trim_scale({sign} * CASE k.measure WHEN 'value' THEN coalesce(sum(p.value_reporting), 0) ELSE count(*) END) AS value,
               trim_scale({sign} * CASE k.measure WHEN 'value' THEN coalesce(sum(p.value_group), 0) ELSE count(*) END) AS value_group
        FROM config.kpi k JOIN {passes} p ON p.instance_id = @i AND p.funnel = k.funnel AND p.position = k.position
        WHERE k.company = @company AND k.kind = 'stage'
        GROUP BY k.id, k.measure, p.passed_date, p.owner_id, p.pipeline_id
        UNION ALL
        SELECT k.id, a.day, a.owner_id, NULL, a.type, {sign} * count(*), {sign} * count(*), {sign} * count(*)
        FROM config.kpi k JOIN {activities} a ON a.instance_id = @i AND a.done AND a.day IS NOT NULL
        WHERE k.company = @company AND k.kind = 'activity' AND (k.activity_types IS NULL OR lower(a.type) = ANY (k.activity_types))
        GROUP BY k.id, a.day, a.owner_id, a.type
        """;

    /// <summary>
    /// The daily KPI rows leads make, in the columns of <see cref="DealAndActivityKpis"/>: stage KPIs of funnels
    /// with lead statuses (leads have no value; such a funnel may hold deal stages too) and lead KPIs.
    /// </summary>
    private static string LeadKpis(int sign) => $"""
        SELECT k.id AS kpi_id, p.passed_date AS day, p.owner_id, NULL::bigint AS pipeline_id, NULL::text AS activity_type, {sign} * count(*) AS facts,
               ({sign} * CASE k.measure WHEN 'value' THEN 0 ELSE count(*) END)::numeric AS value,
               ({sign} * CASE k.measure WHEN 'value' THEN 0 ELSE count(*) END)::numeric AS value_group
        FROM config.kpi k JOIN analytics.fact_lead_pass p ON p.instance_id = @i AND p.funnel = k.funnel AND p.position = k.position
        WHERE k.company = @company AND k.kind = 'stage'
        GROUP BY k.id, k.measure, p.passed_date, p.owner_id
        UNION ALL
        SELECT k.id, l.created_date, l.owner_id, NULL, NULL, {sign} * count(*), {sign} * count(*), {sign} * count(*)
        FROM config.kpi k JOIN analytics.fact_lead l ON l.instance_id = @i
        WHERE k.company = @company AND k.kind = 'lead' AND (k.lead_source IS NULL OR lower(l.source) = lower(k.lead_source))
        GROUP BY k.id, l.created_date, l.owner_id
        """;

    /// <summary>
    /// Deals (converted at their won, lost or today's rate), stage events, activities and leads,
    /// from the replica, its filters and the rates alone; analysed at once so the steps after them plan well.
    /// </summary>
    private static async Task<(long Deals, long Activities, long Leads)> BuildReplicaFactsAsync(
        Func<string, string, Task<int>> step, string dealFilter, string activityFilter, string leadFilter, bool changedOnly)
    {
        string Changed(string column, string changes) => changedOnly ? $"{column} IN (SELECT * FROM {changes})" : "true";
        // Replacing a few rows leaves the tables' statistics as good as they were: only a full build analyses them.
        var deals = await step("deals", $"""
            INSERT INTO analytics.fact_deal (instance_id, deal_id, title, pipeline_id, stage_id, owner_id, status, is_archived, created_at, created_date,
                                             won_at, won_date, lost_at, lost_date, value, currency, rate, value_reporting, group_rate, value_group)
            SELECT d.instance_id, d.id, d.title, d.pipeline_id, d.stage_id, d.owner_id, d.status, d.is_archived, d.add_time, (d.add_time AT TIME ZONE @tz)::date,
                   won.at, (won.at AT TIME ZONE @tz)::date, lost.at, (lost.at AT TIME ZONE @tz)::date,
                   d.value, d.currency, r.rate, d.value * r.rate, g.rate, d.value * g.rate
            FROM crm.deal d
            CROSS JOIN LATERAL (SELECT CASE WHEN d.status = 'won' THEN d.won_time END AS at) won
            CROSS JOIN LATERAL (SELECT CASE WHEN d.status = 'lost' THEN d.lost_time END AS at) lost
            -- won deals at the rate of their won date, lost ones of their lost date, open ones at today's
            CROSS JOIN LATERAL (SELECT (coalesce(won.at, lost.at, @now) AT TIME ZONE @tz)::date AS on_date) rd
            {RatesOn("d.currency", "rd.on_date")}
            WHERE d.instance_id = @i AND {Changed("d.id", "changed_deal")} AND NOT d.is_deleted AND ({dealFilter})
            """);
        if (!changedOnly) await step("analyze deals", "ANALYZE analytics.fact_deal");

        // After a sync, the changed deals' stage events and the changed activities are kept for the steps after them.
        string Kept(string table, string like, string insert) => changedOnly ? Keeping(table, like, insert) : insert;
        await step("stage events", Kept("made_stage_event", "fact_stage_event", $"""
            INSERT INTO analytics.fact_stage_event (instance_id, deal_id, ord, stage_id, pipeline_id, entered_at, entered_date, left_at, days_in_stage, is_last)
            SELECT e.instance_id, e.deal_id, e.ord, e.stage_id, s.pipeline_id, e.entered_at, (e.entered_at AT TIME ZONE @tz)::date,
                   coalesce(e.next_at, e.closed_at), round((extract(epoch FROM coalesce(e.next_at, e.closed_at) - e.entered_at) / 86400.0)::numeric, 4),
                   e.next_at IS NULL
            FROM (
                SELECT h.instance_id, h.deal_id, h.ord, h.stage_id, h.entered_at,
                       lead(h.entered_at) OVER (PARTITION BY h.deal_id ORDER BY h.ord) AS next_at,
                       -- a closed deal leaves its last stage when it is won or lost (unless it got there afterwards)
                       CASE WHEN coalesce(f.won_at, f.lost_at) >= h.entered_at THEN coalesce(f.won_at, f.lost_at) END AS closed_at
                FROM crm.deal_stage_history h
                JOIN analytics.fact_deal f ON f.instance_id = h.instance_id AND f.deal_id = h.deal_id
                WHERE h.instance_id = @i AND {Changed("h.deal_id", "changed_deal")}
                UNION ALL
                -- a deal whose history is not fetched yet has been in its stage since it was added
                SELECT f.instance_id, f.deal_id, 0, f.stage_id, f.created_at, NULL, coalesce(f.won_at, f.lost_at)
                FROM analytics.fact_deal f
                WHERE f.instance_id = @i AND {Changed("f.deal_id", "changed_deal")} AND f.stage_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM crm.deal_stage_history h WHERE h.instance_id = f.instance_id AND h.deal_id = f.deal_id)
            ) e
            LEFT JOIN crm.stage s ON s.instance_id = e.instance_id AND s.id = e.stage_id
            """));

        if (!changedOnly) await step("analyze stage events", "ANALYZE analytics.fact_stage_event");

        var activities = await step("activities", Kept("made_activity", "fact_activity", $"""
            INSERT INTO analytics.fact_activity (instance_id, activity_id, type, owner_id, deal_id, done, all_day, day)
            SELECT a.instance_id, a.id, a.type, a.owner_id, a.deal_id, a.done, a.due_date IS NOT NULL AND a.due_time IS NULL,
                   -- done: the local day it was marked done, all-day or not; planned all-day: its date
                   CASE WHEN a.done AND a.marked_as_done_time IS NOT NULL THEN (a.marked_as_done_time AT TIME ZONE @tz)::date
                        WHEN a.due_date IS NOT NULL AND a.due_time IS NULL THEN a.due_date
                        -- Pipedrive's due date and time are UTC
                        WHEN a.due_date IS NOT NULL THEN (((a.due_date + a.due_time) AT TIME ZONE 'UTC') AT TIME ZONE @tz)::date END
            FROM crm.activity a
            WHERE a.instance_id = @i AND {Changed("a.id", "changed_activity")} AND NOT a.is_deleted AND ({activityFilter})
            """));

        var leads = await step("leads", $"""
            INSERT INTO analytics.fact_lead (instance_id, lead_id, source, owner_id, created_date, status)
            SELECT l.instance_id, l.id, l.source_name, l.owner_id, (l.add_time AT TIME ZONE @tz)::date,
                   CASE WHEN c.source_lead_id IS NOT NULL OR l.source_deal_id IS NOT NULL OR l.converted_time IS NOT NULL THEN 'converted' WHEN l.is_archived THEN 'archived' ELSE 'open' END
            FROM crm.lead l
            LEFT JOIN (SELECT DISTINCT source_lead_id FROM crm.deal WHERE instance_id = @i AND source_lead_id IS NOT NULL) c ON c.source_lead_id = l.id
            WHERE l.instance_id = @i AND NOT l.is_deleted AND l.add_time IS NOT NULL AND ({leadFilter})
            """);
        if (!changedOnly) await step("analyze activities and leads", "ANALYZE analytics.fact_activity; ANALYZE analytics.fact_lead");
        return (deals, activities, leads);
    }

    /// <summary>
    /// Joins r.rate and g.rate: the rates from <paramref name="currency"/> into the instance's and the
    /// group's reporting currency on <paramref name="date"/> (1 within a currency, null when none is known).
    /// </summary>
    private static string RatesOn(string currency, string date) => $"""
        LEFT JOIN rate_span rr ON rr.currency = {currency} AND rr.reporting = @cur AND rr.during @> {date}
                    LEFT JOIN rate_span rg ON rg.currency = {currency} AND rg.reporting = @gcur AND rg.during @> {date}
                    CROSS JOIN LATERAL (SELECT CASE WHEN {currency} = @cur THEN 1 ELSE rr.rate END AS rate) r
                    CROSS JOIN LATERAL (SELECT CASE WHEN {currency} = @gcur THEN 1 ELSE rg.rate END AS rate) g
        """;

    /// <summary>
    /// Computes calculated KPIs per period from the period totals of the KPIs they name (of the
    /// instance, or of the company when <paramref name="instance"/> is null), in an order where every
    /// KPI comes after those it uses; the validator has ruled out cycles.
    /// </summary>
    private static async Task CalculatedKpisAsync(CompanyConfiguration config, Dictionary<string, int> kpiIds, bool ofCompany,
        SqlParameters p, Func<string, string, Task<int>> step)
    {
        var rows = ofCompany ? "instance_id IS NULL" : "instance_id = @i";
        foreach (var kpi in InDependencyOrder(config.Kpis.Where(k => k.Kind == KpiKinds.Calculated && k.Expression is not null).ToList()))
        {
            var formula = KpiExpression.Parse(kpi.Expression!);
            var value = KpiFormulaSql.Aggregate(formula, "value", name => kpiIds[name], p);
            var valueGroup = KpiFormulaSql.Aggregate(formula, "value_group", name => kpiIds[name], p);
            await step($"calculated KPI {kpi.Name}", $"""
                INSERT INTO analytics.kpi_period (company, instance_id, kpi_id, grain, period_start, value, value_group)
                SELECT @company, {(ofCompany ? "NULL" : "@i")}, {p.Add(kpiIds[kpi.Name])}, grain, period_start, {value}, {valueGroup}
                FROM analytics.kpi_period
                WHERE company = @company AND {rows} AND kpi_id = ANY ({p.Add(formula.References().Select(n => kpiIds[n]).ToArray())})
                GROUP BY grain, period_start
                """);
        }
    }

    private static List<KpiRow> InDependencyOrder(List<KpiRow> calculated)
    {
        var done = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var byName = calculated.ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);
        var ordered = new List<KpiRow>();
        void Visit(KpiRow kpi)
        {
            if (!done.Add(kpi.Name)) return;
            foreach (var name in KpiExpression.Parse(kpi.Expression!).References())
                if (byName.TryGetValue(name, out var used)) Visit(used);
            ordered.Add(kpi);
        }
        foreach (var kpi in calculated) Visit(kpi);
        return ordered;
    }

    /// <summary>
    /// After an instance of the company was reset or removed, its share leaves the company-wide KPI
    /// rows: rebuilding any other built instance of the company recomputes them; with none left, they go.
    /// </summary>
    public async Task RefreshCompanyTotalsAsync(string company, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var other = await connection.ExecuteScalarAsync<int?>(new CommandDefinition($"""
            SELECT min(i.id) FROM etl.instance i JOIN analytics.build b ON b.instance_id = i.id
            WHERE {ConfigurationStore.CompanyOfInstanceSql} = @company
            """, new { company }, cancellationToken: cancellationToken));
        if (other is { } id) await BuildAsync(id, cancellationToken);
        else await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM analytics.kpi_period WHERE company = @company AND instance_id IS NULL", new { company }, cancellationToken: cancellationToken));
    }

    /// <summary>Whether the instance's analytics have been built (since then, every configuration change rebuilt them).</summary>
    public async Task<bool> IsBuiltAsync(int instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM analytics.build WHERE instance_id = @instanceId)", new { instanceId }, cancellationToken: cancellationToken));
    }

    /// <summary>Today's open deals by funnel step, kept for good: this history cannot be rebuilt later.</summary>
    public async Task SnapshotAsync(int instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"""
            WITH me AS (SELECT i.id, (@now AT TIME ZONE i.time_zone)::date AS today, {ConfigurationStore.CompanyOfInstanceSql} AS company
                        FROM etl.instance i WHERE i.id = @instanceId)
            DELETE FROM analytics.fact_pipeline_snapshot s USING me WHERE s.instance_id = me.id AND s.snapshot_date = me.today;

            INSERT INTO analytics.fact_pipeline_snapshot (snapshot_date, instance_id, company, funnel, position, pipeline_id, deals, value_reporting, value_group, taken_at)
            SELECT (@now AT TIME ZONE i.time_zone)::date, f.instance_id, {ConfigurationStore.CompanyOfInstanceSql}, m.funnel, m.position, f.pipeline_id,
                   count(*), sum(f.value_reporting), sum(f.value_group), @now
            FROM analytics.fact_deal f
            JOIN etl.instance i ON i.id = f.instance_id
            JOIN config.stage_mapping m ON m.instance_id = f.instance_id AND m.stage_id = f.stage_id
            WHERE f.instance_id = @instanceId AND f.status = 'open' AND f.pipeline_id IS NOT NULL
            GROUP BY 1, 2, 3, m.funnel, m.position, f.pipeline_id;
            """, new { instanceId, now = clock.GetUtcNow() }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    private sealed record PreviousBuild(string? Fixed_Inputs, long? Replica_Version, string? Config_Inputs, long Deals, long Passes, long Activities, long Leads);

    private sealed record InstanceInfo(int Id, string Name, string Time_Zone, string Reporting_Currency, string Company, string Group_Currency);
}
