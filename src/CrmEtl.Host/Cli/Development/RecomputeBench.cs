using System.CommandLine;
using System.Diagnostics;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.Host.Cli;

/// <summary>
/// crmetl bench recompute: syncs a sandbox account, multiplies its replica in SQL up to the asked
/// number of deals (each copy keeps the synced deals' stages, histories, activities and leads under
/// new ids), then times the rebuild after mapping changes, with the CRM calls made meanwhile (none
/// expected) and the peak memory of this process and of the database server's busiest backend.
/// </summary>
internal static class RecomputeBench
{
    private const string Instance = "Acme Sweden";

    public static Command Build()
    {
        var deals = new Option<int>("--deals") { Description = "Deals after multiplying the replica.", DefaultValueFactory = _ => 1_000_000 };
        var seed = new Option<int>("--seed-deals") { Description = "Deals in the synced sandbox account that is multiplied.", DefaultValueFactory = _ => 20_000 };
        var steps = new Option<bool>("--steps") { Description = "Log every build step with its rows and time." };
        var command = new Command("recompute", "Measure the rebuild of the analytics after a mapping change (see docs/BENCHMARKS.md).") { deals, seed, steps };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(deals), parse.GetValue(seed), parse.GetValue(steps), ct));
        return command;
    }

    private static async Task<int> RunAsync(int deals, int seedDeals, bool logSteps, CancellationToken ct)
    {
        var company = new PipedriveCompanyOptions
        {
            Name = "bench", ApiToken = "sandbox-bench-token", Seed = 42, Deals = seedDeals, Activities = seedDeals * 3, Leads = seedDeals / 20,
            DefaultCurrency = "SEK", DailyTokenBudget = long.MaxValue / 2, BurstLimit = 100_000,
        };
        await using var stack = await LocalStack.StartAsync(new PipedriveSandboxOptions { Companies = [company] }, logSteps ? LogEventLevel.Debug : LogEventLevel.Warning, ct);
        var instance = await stack.AddInstanceAsync(Instance, stack.Sandbox.Company("bench"), "Europe/Stockholm", "SEK", DemoConfiguration.Company, ct);
        var store = stack.Host.Services.GetRequiredService<ConfigurationStore>();
        var today = stack.Today;
        await store.SaveRatesAsync(DemoConfiguration.Company, DemoConfiguration.Rates(today), ct);
        var synced = await stack.Host.Services.GetRequiredService<SyncRunCoordinator>().RunAsync(Instance, SyncMode.Full, ct);
        if (synced.Status != RunStatus.Succeeded)
        {
            Console.Error.WriteLine($"error: the seed sync did not succeed: {synced.Error}");
            return ExitCodes.Failed;
        }

        var copies = Math.Max(1, (int)Math.Ceiling(deals / (double)seedDeals));
        var scaling = Stopwatch.StartNew();
        var counts = await MultiplyReplicaAsync(stack.Database.ConnectionString, instance.Id, copies, ct);
        Console.WriteLine($"Replica: {counts.Deals:N0} deals, {counts.StageEvents:N0} stage events, {counts.Activities:N0} activities, {counts.Leads:N0} leads " +
                          $"({copies} copies of a {seedDeals:N0}-deal sandbox account, made in {scaling.Elapsed.TotalSeconds:0.0} s)");

        var (demo, scaffolded) = await MappingsAsync(store, Instance, today, ct);
        var builder = stack.Host.Services.GetRequiredService<AnalyticsBuilder>();
        stack.Sandbox.ResetCallCounts();
        (string Change, CompanyConfiguration Config)[] rounds =
        [
            ("first build, the demo's grouped mapping", demo),
            ("mapping change: one step per stage (scaffold)", scaffolded),
            ("mapping change: back to the grouped mapping", demo),
        ];
        foreach (var (change, config) in rounds)
        {
            var (elapsed, built) = await SaveAndBuildAsync(store, builder, config, ct);
            Console.WriteLine($"{change}: {elapsed.TotalSeconds:0.0} s — {built.Deals:N0} deals, {built.Passes:N0} funnel passes, " +
                              $"{built.Activities:N0} activities, {built.Leads:N0} leads, {built.Problems.Count} problems");
        }

        var calls = stack.Sandbox.CallsTo("bench").Values.Sum();
        Console.WriteLine($"CRM calls during the recomputes: {calls}");
        Console.WriteLine($"peak RSS of this process (sandbox + its data + the builder): {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MB");
        Console.WriteLine($"peak RSS of the largest database backend: {await BackendPeakAsync(stack.Database.ConnectionString, ct)}");
        return calls == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>The demo group's grouped mapping, and the scaffold's one step per stage of <paramref name="instance"/>: two mappings to switch between.</summary>
    public static async Task<(CompanyConfiguration Grouped, CompanyConfiguration PerStage)> MappingsAsync(ConfigurationStore store, string instance, DateOnly today, CancellationToken ct)
    {
        var catalog = await store.LoadCatalogAsync(DemoConfiguration.Company, ct);
        var demo = DemoConfiguration.For(catalog, today);
        return (demo, MappingScaffold.Apply(demo with { Steps = [], Stages = [], Kpis = [], Targets = [] }, catalog.Instance(instance)!, "Sales"));
    }

    /// <summary>A mapping change as an admin makes it: the configuration saved, then the group's analytics rebuilt (one instance).</summary>
    public static async Task<(TimeSpan Elapsed, BuildResult Built)> SaveAndBuildAsync(ConfigurationStore store, AnalyticsBuilder builder, CompanyConfiguration config, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await store.SaveAsync(config, ct);
        var built = (await builder.BuildCompanyAsync(config.Company, ct)).Single();
        return (watch.Elapsed, built);
    }

    private sealed record ReplicaCounts(long Deals, long StageEvents, long Activities, long Leads);

    /// <summary>Adds copies 1..n-1 of the instance's deals, stage history, activities and leads, under ids no copy shares.</summary>
    private static async Task<ReplicaCounts> MultiplyReplicaAsync(string connectionString, int instanceId, int copies, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var p = new { i = instanceId, n = copies };
        var dealSpan = await connection.ExecuteScalarAsync<long>("SELECT coalesce(max(id), 0) + 1 FROM crm.deal WHERE instance_id = @i", p);
        var activitySpan = await connection.ExecuteScalarAsync<long>("SELECT coalesce(max(id), 0) + 1 FROM crm.activity WHERE instance_id = @i", p);
        var shifted = new Dictionary<string, Dictionary<string, string>>
        {
            ["deal"] = new() { ["id"] = $"id + k * {dealSpan}", ["source_lead_id"] = "source_lead_id || '-' || k" },
            ["deal_stage_history"] = new() { ["deal_id"] = $"deal_id + k * {dealSpan}" },
            ["activity"] = new() { ["id"] = $"id + k * {activitySpan}", ["deal_id"] = $"deal_id + k * {dealSpan}", ["lead_id"] = "lead_id || '-' || k" },
            ["lead"] = new() { ["id"] = "id || '-' || k", ["source_deal_id"] = $"source_deal_id + k * {dealSpan}" },
        };
        foreach (var (table, overrides) in shifted)
        {
            var columns = (await connection.QueryAsync<string>(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'crm' AND table_name = @table ORDER BY ordinal_position", new { table })).ToList();
            var values = columns.Select(c => overrides.GetValueOrDefault(c, c));
            await connection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO crm.{table} ({string.Join(", ", columns)})
                SELECT {string.Join(", ", values)} FROM crm.{table} CROSS JOIN generate_series(1, @n - 1) k WHERE instance_id = @i
                """, p, commandTimeout: 0, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition($"ANALYZE crm.{table}", commandTimeout: 0, cancellationToken: ct));
        }
        return await connection.QuerySingleAsync<ReplicaCounts>("""
            SELECT (SELECT count(*) FROM crm.deal WHERE instance_id = @i) AS deals,
                   (SELECT count(*) FROM crm.deal_stage_history WHERE instance_id = @i) AS stageevents,
                   (SELECT count(*) FROM crm.activity WHERE instance_id = @i) AS activities,
                   (SELECT count(*) FROM crm.lead WHERE instance_id = @i) AS leads
            """, p);
    }

    /// <summary>The highest VmHWM among the server's backends for this database, when the server runs on this machine.</summary>
    private static async Task<string> BackendPeakAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var pids = await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()", cancellationToken: ct));
        var peak = pids.Select(PeakRss.OfProcess).DefaultIfEmpty(0).Max();
        return peak == 0 ? "not measurable (the server is not on this machine)" : $"{peak} MB (counts the shared buffers it touched)";
    }
}
