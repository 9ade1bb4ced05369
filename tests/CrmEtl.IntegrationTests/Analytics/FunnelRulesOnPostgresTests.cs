using CrmEtl.Host.Instances;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Funnels;
using CrmEtl.Core.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using CrmEtl.Storage.Instances;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmEtl.IntegrationTests.Analytics;

/// <summary>
/// The analytics SQL applies the funnel rules of the core to every deal at once. On a synced sandbox
/// account and random mappings (grouping, skipped stages, every marker), the passes and outcomes it
/// writes must be exactly those <see cref="FunnelRules"/> gives deal by deal.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and database
public sealed class FunnelRulesOnPostgresTests
{
    [Test]
    public async Task A_scaffolded_mapping_gives_every_view_rows_and_the_reference_passes()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var (replica, store, builder, catalog) = await SyncedAsync(world);
        var config = MappingScaffold.Apply(await store.LoadAsync("Acme", CancellationToken.None), catalog.Instances[0]);
        Assert.That(ConfigurationValidator.Validate(config, catalog), Is.Empty);
        await store.SaveAsync(config, CancellationToken.None);

        var built = await builder.BuildAsync(catalog.Instances[0].Id, CancellationToken.None);

        Assert.That(built.Deals, Is.EqualTo(world.Company.Deals.Count(d => !d.IsDeleted)));
        await AssertPassesFollowTheRulesAsync(replica.ConnectionString, config);
        foreach (var view in new[] { "kpi_by_month", "win_rate", "funnel_conversion_cohort", "funnel_conversion_flow", "activities_completed", "leads_by_day", "stage_duration", "funnel_passes" })
            Assert.That(await replica.ScalarAsync<long>($"SELECT count(*) FROM analytics.{view}"), Is.GreaterThan(0), view);
    }

    [Test]
    public async Task Random_mappings_with_every_marker_give_the_reference_passes()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var (replica, store, builder, catalog) = await SyncedAsync(world);
        var instance = catalog.Instances[0];

        for (var seed = 1; seed <= 4; seed++)
        {
            var config = RandomMapping(new Random(seed), instance);
            Assert.That(ConfigurationValidator.Validate(config, catalog), Is.Empty, $"seed {seed}");
            await store.SaveAsync(config, CancellationToken.None);
            await builder.BuildAsync(instance.Id, CancellationToken.None);
            await AssertPassesFollowTheRulesAsync(replica.ConnectionString, config);
        }
    }

    [Test]
    public async Task Recomputing_after_random_configuration_changes_equals_computing_from_scratch()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var (replica, store, builder, catalog) = await SyncedAsync(world);
        var instance = catalog.Instances[0];
        var random = new Random(7);
        string[] filters = ["status = 'lost'", "owner_id in ('1', '2')", "title contains 'a'", "pipeline = 'Partners'"];

        IReadOnlyList<FilterRow> filter = [];
        for (var round = 0; round < 4; round++)
        {
            // odd rounds change the mapping alone: the rebuild keeps the replica facts it built before
            if (round % 2 == 0)
                filter = [new(instance.Name, FilterEntities.Deal, random.Next(2) == 0 ? FilterModes.Include : FilterModes.Exclude, filters[random.Next(filters.Length)])];
            var config = RandomMapping(random, instance) with
            {
                Kpis = [new("Won", KpiKinds.Stage, "F", "S1"), new("Calls", KpiKinds.Activity, ActivityTypes: ["call"]), new("Ratio", KpiKinds.Calculated, Expression: "Won / Calls")],
                Filters = filter,
            };
            Assert.That(ConfigurationValidator.Validate(config, catalog), Is.Empty);
            await store.SaveAsync(config, CancellationToken.None);
            await builder.BuildAsync(instance.Id, CancellationToken.None);
            var recomputed = await AnalyticsFingerprintAsync(replica.ConnectionString);

            await BuildFromNothingAsync(replica, builder, instance.Id);

            Assert.That(recomputed, Is.EqualTo(await AnalyticsFingerprintAsync(replica.ConnectionString)), $"round {round}");
            Assert.That(recomputed["fact_funnel_pass"], Is.Not.EqualTo("0:"), "the round must produce passes");
        }
    }

    [Test]
    public async Task Builds_after_syncs_of_random_changes_redo_only_the_changed_deals_and_equal_a_build_from_nothing()
    {
        await using var world = await PipedriveWorld.StartAsync();
        await AssertBuildsAfterSyncsEqualBuildsFromNothingAsync(await world.NewReplicaAsync(),
            round => world.Sandbox.Mutate("acme", MutationPlan.Mixed(10), seed: 100 + round), leadFunnels: false);
    }

    /// <summary>Found by the Zoho soak: a build after a sync dropped the deal passes of a stage KPI whose funnel also maps lead statuses.</summary>
    [Test]
    public async Task On_zoho_where_funnels_mix_deal_stages_and_lead_statuses_builds_after_syncs_equal_a_build_from_nothing()
    {
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Deals = 300, Activities = 600, Leads = 80 });
        await AssertBuildsAfterSyncsEqualBuildsFromNothingAsync(await world.NewReplicaAsync(),
            round => world.Sandbox.Mutate(world.Org.Options.Name, MutationPlan.Mixed(10), seed: 100 + round), leadFunnels: true);
    }

    /// <summary>Four rounds of random changes, each synced: the build after the sync equals a build from nothing.</summary>
    private static async Task AssertBuildsAfterSyncsEqualBuildsFromNothingAsync(PipedriveWorld.Replica replica, Action<int> mutate, bool leadFunnels)
    {
        var (store, builder, catalog) = await SyncedAsync(replica);
        var instance = catalog.Instances[0];
        var random = new Random(11);
        CompanyConfiguration Mapping() => RandomMapping(random, instance) with
        {
            Kpis = [new("Won", KpiKinds.Stage, "F", "S1"), new("Value", KpiKinds.Stage, "F", "S2", KpiMeasures.Value),
                    new("Calls", KpiKinds.Activity, ActivityTypes: ["call"]), new("Leads", KpiKinds.Lead)],
        };
        await store.SaveAsync(Mapping(), CancellationToken.None);
        await builder.BuildAsync(instance.Id, CancellationToken.None);

        for (var round = 0; round < 4; round++)
        {
            // odd rounds also change the mapping: the changed deals' replica facts, every deal's funnel facts
            if (round % 2 == 1) await store.SaveAsync(Mapping(), CancellationToken.None);
            mutate(round);
            var previousBuild = await replica.ScalarAsync<DateTime>("SELECT built_at FROM analytics.build");
            var synced = await replica.SyncAsync();
            Assert.That(synced.Status, Is.EqualTo(RunStatus.Succeeded), synced.Error);
            // The instance's day is UTC. Its first build of a day rebuilds everything (open deals convert at the day's rate).
            if (await replica.ScalarAsync<DateTime>("SELECT built_at FROM analytics.build") is var thisBuild && thisBuild.Date != previousBuild.Date)
                Assert.That(synced.Analytics?.ChangedDeals, Is.Null, $"round {round}: the first build of {thisBuild:yyyy-MM-dd} rebuilds everything");
            else
                Assert.That(synced.Analytics?.ChangedDeals, Is.InRange(1, 200), $"round {round}: the build after the sync redoes the changed deals only");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.replica_change"), Is.Zero, "the build takes every logged change");
            var built = await AnalyticsFingerprintAsync(replica.ConnectionString);

            var fresh = await BuildFromNothingAsync(replica, builder, instance.Id);
            Assert.That(fresh.ChangedDeals, Is.Null, "a build from nothing builds everything");
            Assert.That((synced.Analytics!.Deals, synced.Analytics.Passes, synced.Analytics.Activities, synced.Analytics.Leads),
                Is.EqualTo((fresh.Deals, fresh.Passes, fresh.Activities, fresh.Leads)), $"round {round}: the counts the build after the sync reports");

            Assert.That(built, Is.EqualTo(await AnalyticsFingerprintAsync(replica.ConnectionString)), $"round {round}");
            Assert.That(built["fact_funnel_pass"], Is.Not.EqualTo("0:"), "the round must produce passes");
            Assert.That(built["kpi_daily"], Is.Not.EqualTo("0:"), "the round must produce daily KPIs");
            if (leadFunnels) Assert.That(built["fact_lead_pass"], Is.Not.EqualTo("0:"), "the funnel must hold lead statuses");
        }
    }

    [Test]
    public async Task A_mapping_change_keeps_the_converted_deals_and_new_rates_convert_them_again()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var (replica, store, builder, catalog) = await SyncedAsync(world);
        var instance = catalog.Instances[0];
        await using var connection = new NpgsqlConnection(replica.ConnectionString);
        var (currency, reporting) = await connection.QueryFirstAsync<(string, string)>("""
            SELECT d.currency, i.reporting_currency FROM crm.deal d JOIN etl.instance i ON i.id = d.instance_id
            WHERE d.currency <> i.reporting_currency AND d.value IS NOT NULL AND NOT d.is_deleted LIMIT 1
            """);
        async Task<(decimal? Rate, string Version)> DealsAsync() => await connection.QuerySingleAsync<(decimal?, string)>(
            "SELECT max(rate) FILTER (WHERE currency = @currency), max(xmin::text) || '/' || count(*) FROM analytics.fact_deal", new { currency });

        await store.SaveRatesAsync("Acme", [new(currency, reporting, new DateOnly(2000, 1, 1), 0.5m)], CancellationToken.None);
        await store.SaveAsync(RandomMapping(new Random(1), instance), CancellationToken.None);
        await builder.BuildAsync(instance.Id, CancellationToken.None);
        var first = await DealsAsync();
        Assert.That(first.Rate, Is.EqualTo(0.5m));

        await store.SaveAsync(RandomMapping(new Random(2), instance), CancellationToken.None);
        await builder.BuildAsync(instance.Id, CancellationToken.None);
        Assert.That(await DealsAsync(), Is.EqualTo(first), "a mapping change alone leaves the converted deals as they were");

        await store.SaveRatesAsync("Acme", [new(currency, reporting, new DateOnly(2000, 1, 1), 0.6m)], CancellationToken.None);
        await builder.BuildAsync(instance.Id, CancellationToken.None);
        Assert.That((await DealsAsync()).Rate, Is.EqualTo(0.6m), "new rates convert the deals again");
    }

    [Test]
    public async Task Removing_an_instance_removes_its_replica_and_its_analytics()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var (replica, store, builder, catalog) = await SyncedAsync(world);
        var instance = catalog.Instances[0];
        await store.SaveAsync(RandomMapping(new Random(3), instance), CancellationToken.None);
        await builder.BuildAsync(instance.Id, CancellationToken.None);
        await using var connection = new NpgsqlConnection(replica.ConnectionString);
        const string RowsSql = """
            SELECT (SELECT count(*) FROM crm.deal) + (SELECT count(*) FROM analytics.fact_deal) + (SELECT count(*) FROM analytics.fact_stage_event)
                 + (SELECT count(*) FROM analytics.fact_funnel_pass) + (SELECT count(*) FROM analytics.fact_activity) + (SELECT count(*) FROM analytics.kpi_daily)
            """;
        Assert.That(await connection.ExecuteScalarAsync<long>(RowsSql), Is.GreaterThan(0));

        var lifecycle = replica.Host.Services.GetRequiredService<InstanceLifecycle>();
        await lifecycle.RemoveAsync(await lifecycle.FindAsync(instance.Name, CancellationToken.None), CancellationToken.None);

        Assert.That(await connection.ExecuteScalarAsync<long>(RowsSql), Is.EqualTo(0));
    }

    /// <summary>Empties every analytics table and builds the instance again, as into an empty database.</summary>
    private static async Task<BuildResult> BuildFromNothingAsync(PipedriveWorld.Replica replica, AnalyticsBuilder builder, int instanceId)
    {
        await using (var connection = new NpgsqlConnection(replica.ConnectionString))
            await connection.ExecuteAsync("""
                TRUNCATE analytics.fact_deal, analytics.fact_stage_event, analytics.fact_funnel_pass, analytics.fact_deal_outcome, analytics.fact_sales_volume,
                         analytics.fact_activity, analytics.fact_lead, analytics.fact_lead_pass, analytics.kpi_daily, analytics.kpi_period,
                         analytics.dim_pipeline, analytics.dim_stage, analytics.dim_person, analytics.problem, analytics.build
                """);
        return await builder.BuildAsync(instanceId, CancellationToken.None);
    }

    internal static async Task<Dictionary<string, string>> AnalyticsFingerprintAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var result = new Dictionary<string, string>();
        foreach (var table in new[] { "fact_deal", "fact_stage_event", "fact_funnel_pass", "fact_deal_outcome", "fact_sales_volume", "fact_activity", "fact_lead", "fact_lead_pass", "kpi_daily", "kpi_period" })
            result[table] = await connection.ExecuteScalarAsync<string>($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM analytics.{table} t") ?? "";
        return result;
    }

    /// <summary>A fresh replica of the sandbox account after a full sync, with what the tests configure and build it with.</summary>
    private static async Task<(PipedriveWorld.Replica Replica, ConfigurationStore Store, AnalyticsBuilder Builder, CrmCatalog Catalog)> SyncedAsync(PipedriveWorld world)
    {
        var replica = await world.NewReplicaAsync();
        var (store, builder, catalog) = await SyncedAsync(replica);
        return (replica, store, builder, catalog);
    }

    private static async Task<(ConfigurationStore Store, AnalyticsBuilder Builder, CrmCatalog Catalog)> SyncedAsync(PipedriveWorld.Replica replica)
    {
        Assert.That((await replica.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var store = replica.Host.Services.GetRequiredService<ConfigurationStore>();
        return (store, replica.Host.Services.GetRequiredService<AnalyticsBuilder>(), await store.LoadCatalogAsync("Acme", CancellationToken.None));
    }

    /// <summary>Four to six steps; each stage in a random step or none (several stages share steps); random markers.</summary>
    internal static CompanyConfiguration RandomMapping(Random random, InstanceCatalog instance)
    {
        var count = random.Next(4, 7);
        var markers = new List<Marker> { Marker.Won, Marker.Refused, Marker.Return, Marker.Pause }.OrderBy(_ => random.Next()).Take(random.Next(0, 5)).ToList();
        var steps = Enumerable.Range(1, count).Select(i => new FunnelStepRow("F", i, $"S{i}", Marker.None)).ToList();
        foreach (var marker in markers)
        {
            var at = random.Next(steps.Count);
            if (steps[at].Marker != Marker.None) continue;
            steps[at] = steps[at] with { Marker = marker };
        }
        var stages = instance.Stages.Values.Where(_ => random.NextDouble() < 0.85)
            .Select(s => new StageMappingRow(instance.Name, s.Id, "F", steps[random.Next(steps.Count)].Step)).ToList();
        return new CompanyConfiguration("Acme") { Steps = steps, Stages = stages };
    }

    private static async Task AssertPassesFollowTheRulesAsync(string connectionString, CompanyConfiguration config)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var deals = (await connection.QueryAsync<(long Id, long? PipelineId, string Status, DateTime? WonAt, DateTime? LostAt)>(
            "SELECT deal_id, pipeline_id, status, won_at, lost_at FROM analytics.fact_deal")).ToList();
        var arrivals = (await connection.QueryAsync<(long DealId, long StageId, DateTime At)>(
            "SELECT deal_id, stage_id, entered_at FROM analytics.fact_stage_event ORDER BY deal_id, ord")).ToLookup(a => a.DealId);
        var pipelineByStage = (await connection.QueryAsync<(long Id, long PipelineId)>("SELECT id, pipeline_id FROM crm.stage")).ToDictionary(s => s.Id, s => s.PipelineId);

        foreach (var funnel in config.Steps.GroupBy(s => s.Funnel))
        {
            var steps = funnel.Select(s => new FunnelStep(s.Position, s.Step, s.Marker)).ToList();
            var positions = config.Stages.Where(m => m.Funnel == funnel.Key)
                .ToDictionary(m => m.StageId, m => steps.Single(s => s.Name == m.Step).Position);
            var map = new FunnelMap(steps, positions, pipelineByStage);
            var expected = new List<string>();
            var expectedOutcomes = new List<string>();
            foreach (var deal in deals)
            {
                var journey = new DealJourney(deal.Id, deal.PipelineId, deal.Status, Utc(deal.WonAt), Utc(deal.LostAt),
                    arrivals[deal.Id].Select(a => (a.StageId, new DateTimeOffset(a.At, TimeSpan.Zero))).ToList());
                var inFunnel = positions.Keys.Any(s => pipelineByStage[s] == deal.PipelineId) || journey.Arrivals.Any(a => positions.ContainsKey(a.StageId));
                if (!inFunnel) continue;
                var outcome = FunnelRules.Apply(journey, map);
                expected.AddRange(outcome.Passes.Select(p => $"{deal.Id}|{p.Position}|{p.At.UtcDateTime:O}|{p.Filled}"));
                expectedOutcomes.Add($"{deal.Id}|{outcome.WonAt?.UtcDateTime:O}|{outcome.RefusedAt?.UtcDateTime:O}|{outcome.ReturnedAt?.UtcDateTime:O}|{outcome.PausedNow}|{Closed(outcome.ClosedAs)}");
            }
            var actual = (await connection.QueryAsync<(long DealId, int Position, DateTime At, bool Filled)>(
                "SELECT deal_id, position, passed_at, filled FROM analytics.fact_funnel_pass WHERE funnel = @f", new { f = funnel.Key }))
                .Select(p => $"{p.DealId}|{p.Position}|{DateTime.SpecifyKind(p.At, DateTimeKind.Utc):O}|{p.Filled}");
            var actualOutcomes = (await connection.QueryAsync<(long DealId, DateTime? Won, DateTime? Refused, DateTime? Returned, bool Paused, string? Closed)>(
                "SELECT deal_id, won_at, refused_at, returned_at, paused_now, closed_as FROM analytics.fact_deal_outcome WHERE funnel = @f", new { f = funnel.Key }))
                .Select(o => $"{o.DealId}|{Utc(o.Won)?.UtcDateTime:O}|{Utc(o.Refused)?.UtcDateTime:O}|{Utc(o.Returned)?.UtcDateTime:O}|{o.Paused}|{o.Closed}");
            Assert.That(expected, Is.Not.Empty, "the mapping must put deals through the funnel");
            Assert.That(actual.Order(), Is.EqualTo(expected.Order()), $"passes of funnel {funnel.Key}");
            Assert.That(actualOutcomes.Order(), Is.EqualTo(expectedOutcomes.Order()), $"outcomes of funnel {funnel.Key}");
        }
    }

    private static string? Closed(Marker marker) => marker switch { Marker.Won => "won", Marker.Refused => "refused", _ => null };

    private static DateTimeOffset? Utc(DateTime? t) => t is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}
