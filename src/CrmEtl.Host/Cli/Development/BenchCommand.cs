using System.CommandLine;
using System.Diagnostics;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using CrmEtl.Storage.Instances;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.Host.Cli;

/// <summary>
/// crmetl bench: the performance scenarios of docs/BENCHMARKS.md on one sandbox account (Pipedrive,
/// or with --crm zoho Zoho CRM, --crm kommo Kommo) run in its own process, into a scratch database: a full sync, the
/// floor (--floor, Pipedrive), a recompute after a mapping change, an incremental sync after 1% of
/// the records changed, and one after no change. Each prints wall time, records/s, calls, tokens
/// (Zoho: credits) and this process's peak RSS; a summary table ends the run. Kommo allows 7 requests a
/// second, so its floor is its calls at that rate, and each Kommo sync prints how far above it it took.
/// </summary>
internal static class BenchCommand
{
    private const string Account = "bench";

    /// <summary>Kommo's limit per integration (API-NOTES, error-codes.md): no client can read faster, so it is Kommo's floor.</summary>
    private const int KommoRequestsPerSecond = 7;

    private sealed record Scenario(string Name, TimeSpan Elapsed, long Read, long Written, long Calls, long Tokens, long PeakRssMb);

    public static Command Build()
    {
        var deals = new Option<int>("--deals") { Description = "Deals in the sandbox account.", DefaultValueFactory = _ => 100_000 };
        var activities = new Option<int?>("--activities") { Description = "Activities (default 3 per deal)." };
        var leads = new Option<int?>("--leads") { Description = "Leads (default 1 per 20 deals)." };
        var crm = new Option<string>("--crm") { Description = "pipedrive, zoho or kommo.", DefaultValueFactory = _ => "pipedrive" };
        var floor = new Option<bool>("--floor") { Description = "Pipedrive: after the full sync, measure the floor (the sandbox serving the same pages to a byte reader; COPY of the same rows) and print the ratio." };
        var changed = new Option<double>("--changed") { Description = "Percent of the records changed before the incremental sync.", DefaultValueFactory = _ => 1.0 };
        var steps = new Option<bool>("--steps") { Description = "Log every analytics build step with its rows and time." };
        crm.AcceptOnlyFromAmong("pipedrive", "zoho", "kommo");
        var command = new Command("bench", "Measure a full sync, the floor, a recompute and incremental syncs from a sandbox account (see docs/BENCHMARKS.md).")
        {
            deals, activities, leads, crm, floor, changed, steps, RecomputeBench.Build(), CardBench.Build(), TrelloBench.Build(),
        };
        command.SetAction((parse, ct) =>
        {
            var n = parse.GetValue(deals);
            return RunAsync(parse.GetValue(crm)!, n, parse.GetValue(activities) ?? n * 3, parse.GetValue(leads) ?? n / 20,
                parse.GetValue(floor), parse.GetValue(changed), parse.GetValue(steps), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string crm, int deals, int activities, int leads, bool floor, double changedPercent, bool logSteps, CancellationToken ct)
    {
        // Named like the demo's instances and in its group, so that the demo's mapping applies to it.
        var name = crm switch { "zoho" => "Acme Germany", "kommo" => "Acme Ukraine", _ => "Acme Sweden" };
        var generate = Stopwatch.StartNew();
        await using var sandbox = await SandboxProcess.StartAsync(Account, crm, 42, deals, activities, leads, ct);
        Console.WriteLine($"{InstanceKinds.DisplayName(crm)} sandbox (its own process): {deals} deals, {activities} activities, {leads} leads " +
                          $"generated and served in {generate.Elapsed.TotalSeconds:0.0} s, peak RSS {sandbox.PeakRssMb()} MB");
        await using var stack = await LocalStack.StartAsync(new PipedriveSandboxOptions(), logSteps ? LogEventLevel.Debug : LogEventLevel.Warning, ct);
        var services = stack.Host.Services;
        var instance = await services.GetRequiredService<InstanceRepository>().AddAsync(crm switch
        {
            "zoho" => new NewInstance(name, InstanceKinds.Zoho, sandbox.ZohoAccountsUrl!, InstanceCredentials.OAuth($"1000.{Account}", $"sandbox-{Account}-secret", $"1000.sandbox-{Account}-refresh"), "UTC", "EUR", DemoConfiguration.Company),
            "kommo" => new NewInstance(name, InstanceKinds.Kommo, sandbox.KommoUrl!, InstanceCredentials.OAuth($"sandbox-{Account}-client", $"sandbox-{Account}-secret", $"sandbox-{Account}-refresh"), "UTC", "EUR", DemoConfiguration.Company),
            _ => new NewInstance(name, InstanceKinds.Pipedrive, sandbox.PipedriveUrl, new InstanceCredentials($"sandbox-{Account}-token", null), "UTC", "EUR", DemoConfiguration.Company),
        }, ct);
        // The sandbox's deals come in several currencies: with the demo's rates every deal converts, as in production.
        var store = services.GetRequiredService<ConfigurationStore>();
        await store.SaveRatesAsync(DemoConfiguration.Company, DemoConfiguration.Rates(stack.Today), ct);
        var coordinator = services.GetRequiredService<SyncRunCoordinator>();
        var scenarios = new List<Scenario>();

        async Task<SyncOutcome> SyncAsync(string scenario, SyncMode mode)
        {
            PeakRss.Reset();
            var (cpu, sandboxCpu) = (Environment.CpuUsage.TotalTime, sandbox.Cpu());
            var outcome = await coordinator.RunAsync(name, mode, ct);
            var rss = PeakRss.OfThisProcess();
            Report(scenario, outcome, rss);
            var gc = GC.GetGCMemoryInfo();
            Console.WriteLine($"     managed heap after the run {gc.HeapSizeBytes / 1048576} MB, committed {gc.TotalCommittedBytes / 1048576} MB, GCs gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
            Console.WriteLine($"     CPU: this process {(Environment.CpuUsage.TotalTime - cpu).TotalSeconds:0.0} s, the sandbox {(sandbox.Cpu() - sandboxCpu).TotalSeconds:0.0} s (of {Environment.ProcessorCount * outcome.Elapsed.TotalSeconds:0.0} s on {Environment.ProcessorCount} cores)");
            if (crm == "kommo")
            {
                var floorSeconds = outcome.Stats.Calls / (double)KommoRequestsPerSecond;
                Console.WriteLine($"     floor: {outcome.Stats.Calls} calls at Kommo's {KommoRequestsPerSecond} requests/s = {floorSeconds:0.0} s; this sync took {outcome.Elapsed.TotalSeconds / Math.Max(floorSeconds, 0.001):0.00} x the floor");
            }
            scenarios.Add(new Scenario(scenario, outcome.Elapsed, outcome.Stats.Read, outcome.Stats.Written, outcome.Stats.Calls, outcome.Stats.Tokens, rss));
            return outcome;
        }

        var full = await SyncAsync("1. full sync", SyncMode.Full);
        if (full.Status != RunStatus.Succeeded) return ExitCodes.Failed;
        if (floor && crm == "pipedrive")
        {
            var f = await FloorBench.MeasureAsync(sandbox.PipedriveUrl, $"sandbox-{Account}-token", stack.Database.ConnectionString, instance.Id, ct);
            Console.WriteLine($"5. floor (a) the sandbox serving the same pages to a byte reader: {f.Serve.TotalSeconds:0.0} s, {f.Calls} calls, {f.Bytes / 1024 / 1024} MB");
            Console.WriteLine($"   floor (b) binary COPY of the {f.Rows} rows the sync wrote (deals, stage history, activities, leads), from files: {f.Copy.TotalSeconds:0.0} s");
            var sync = full.Elapsed - (full.Analytics?.Elapsed ?? TimeSpan.Zero);
            Console.WriteLine($"   full sync without the analytics build: {sync.TotalSeconds:0.0} s = {sync / (f.Serve + f.Copy):0.00} x the floor (a + b, {(f.Serve + f.Copy).TotalSeconds:0.0} s)");
        }

        // 3. The demo's grouped mapping is saved and built, then changed to one step per stage.
        var builder = services.GetRequiredService<AnalyticsBuilder>();
        var (grouped, perStage) = await RecomputeBench.MappingsAsync(store, name, stack.Today, ct);
        foreach (var (change, config) in new[] { ("   first build with the demo's mapping", grouped), ("3. recompute after a mapping change", perStage) })
        {
            PeakRss.Reset();
            var (elapsed, built) = await RecomputeBench.SaveAndBuildAsync(store, builder, config, ct);
            var rss = PeakRss.OfThisProcess();
            Console.WriteLine($"{change}: {elapsed.TotalSeconds:0.0} s, {built.Deals} deals, {built.Passes} funnel passes, peak RSS {rss} MB, {built.Problems.Count} problems");
            if (!change.StartsWith(' ')) scenarios.Add(new Scenario(change, elapsed, 0, built.Passes, 0, 0, rss));
        }

        var plan = Changes(deals, activities, leads, changedPercent);
        await sandbox.MutateAsync(Account, plan, ct);
        Console.WriteLine($"   changed in the sandbox: {string.Join(", ", plan.Select(c => $"{c.Key} {c.Value}"))}");
        var incremental = await SyncAsync($"2. incremental sync after {changedPercent}% changed", SyncMode.Incremental);
        var again = await SyncAsync("   incremental sync, no changes", SyncMode.Incremental);
        Console.WriteLine($"   incremental / full: time {incremental.Elapsed / full.Elapsed:P1}, calls {incremental.Stats.Calls / (double)Math.Max(1, full.Stats.Calls):P1}");

        var (replica, analytics) = await SizesAsync(stack.Database.ConnectionString, ct);
        Console.WriteLine($"replica (schema crm) {replica} MB, analytics {analytics} MB; sandbox process peak RSS {sandbox.PeakRssMb()} MB");
        Console.WriteLine();
        Console.WriteLine("| scenario | wall | records read | records/s | rows written | API calls | tokens | peak RSS |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var s in scenarios)
            Console.WriteLine($"| {s.Name.Trim()} | {s.Elapsed.TotalSeconds:0.0} s | {s.Read:N0} | {s.Read / Math.Max(s.Elapsed.TotalSeconds, 0.001):N0} | {s.Written:N0} | {s.Calls:N0} | {s.Tokens:N0} | {s.PeakRssMb} MB |");
        return incremental.Status == RunStatus.Succeeded && again.Status == RunStatus.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>About <paramref name="percent"/>% of the deals, activities and leads changed: updates, stage moves, wins and losses, additions, deletions, archivals.</summary>
    private static Dictionary<string, int> Changes(int deals, int activities, int leads, double percent)
    {
        int Part(int total, double share) => Math.Max(1, (int)(total * percent / 100 * share));
        return new Dictionary<string, int>
        {
            ["update_deals"] = Part(deals, 0.3), ["move_deals"] = Part(deals, 0.3), ["win_deals"] = Part(deals, 0.1), ["lose_deals"] = Part(deals, 0.1),
            ["add_deals"] = Part(deals, 0.1), ["delete_deals"] = Part(deals, 0.05), ["archive_deals"] = Part(deals, 0.05),
            ["add_activities"] = Part(activities, 0.4), ["complete_activities"] = Part(activities, 0.4), ["delete_activities"] = Part(activities, 0.2),
            ["add_leads"] = Part(leads, 0.5), ["archive_leads"] = Part(leads, 0.25), ["delete_leads"] = Part(leads, 0.25),
        };
    }

    /// <summary>On-disk size (tables and indexes) of the replica and of the analytics, in MB.</summary>
    private static async Task<(long Replica, long Analytics)> SizesAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        const string sql = """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) / 1048576 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND c.relkind IN ('r', 'm', 'p')
            """;
        return (await connection.ExecuteScalarAsync<long>(sql, new { schema = "crm" }), await connection.ExecuteScalarAsync<long>(sql, new { schema = "analytics" }));
    }

    private static void Report(string name, SyncOutcome outcome, long peakRssMb)
    {
        var seconds = outcome.Elapsed.TotalSeconds;
        Console.WriteLine($"{name}: {outcome.Status.ToDbName()} in {seconds:0.0} s, {outcome.Stats.Read} records read ({outcome.Stats.Read / Math.Max(seconds, 0.001):0} records/s), " +
            $"{outcome.Stats.Written} rows written, {outcome.Stats.Calls} API calls, {outcome.Stats.Tokens} tokens, peak RSS {peakRssMb} MB");
        foreach (var (stream, s) in outcome.Stats.Streams.OrderBy(s => s.Key, StringComparer.Ordinal))
            Console.WriteLine($"     {stream,-20} read {s.Read,9}  written {s.Written,9}  calls {s.Calls,6}  tokens {s.Tokens,8}  " +
                              $"waiting for the CRM {s.Fetching.TotalSeconds,6:0.0} s  writing {s.Writing.TotalSeconds,5:0.0} s");
        if (outcome.Analytics is { } built)
            Console.WriteLine($"     of which the analytics build: {built.Elapsed.TotalSeconds:0.0} s ({built.Deals} deals, {built.Passes} funnel passes, {built.Activities} activities, {built.Leads} leads; " +
                              (built.ChangedDeals is { } changed ? $"redid the {changed} changed deals)" : "built everything)"));
        if (outcome.Error is not null) Console.WriteLine($"     error: {outcome.Error}");
        foreach (var warning in outcome.Warnings) Console.WriteLine($"     warning: {warning}");
    }
}
