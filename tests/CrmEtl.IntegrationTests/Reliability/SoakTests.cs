using System.Diagnostics;
using System.Globalization;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Sync;
using CrmEtl.IntegrationTests.Analytics;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Sandbox;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static CrmEtl.IntegrationTests.Reliability.FaultMatrixTests;

namespace CrmEtl.IntegrationTests.Reliability;

/// <summary>
/// A randomized soak: run after run of a CRM account that keeps changing, each run through a fault of the
/// matrix picked at random, the database out of disk space, a real 'crmetl sync' process SIGKILLed mid-run,
/// or nothing; then one run without faults. After every run that did not succeed, the previous analytics
/// stay and no cursor passed a row that was not saved. At the end the replica and the analytics must equal
/// those of a clean full sync with the same configuration. Bounded in time by CRMETL_SOAK_SECONDS (20 by
/// default, per CRM), seeded by CRMETL_SOAK_SEED.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)] // each CRM has its own sandbox and databases
internal sealed class SoakTests
{
    /// <summary>One CRM account under soak: its faults and switches, how it changes, and how to connect a new database to it.</summary>
    private sealed record Soaked(string Crm, IReadOnlyList<Fault> Faults, Faults Switches, Action<int, int> Mutate,
        Func<Task<PipedriveWorld.Replica>> NewReplica, Dictionary<string, string?> Settings, bool LiveDealsOnly);

    [Test]
    public async Task Pipedrive_runs_through_random_changes_faults_and_killed_processes_converge_to_a_clean_full_sync()
    {
        var seed = Setting("CRMETL_SOAK_SEED", 2026);
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions
        {
            Name = "acme", ApiToken = "good-token", Seed = seed, Deals = 300, Activities = 600, Leads = 40,
        });
        await SoakAsync(new Soaked("Pipedrive", [.. Faults()], world.Sandbox.Faults,
            (changes, s) => world.Sandbox.Mutate("acme", MutationPlan.Mixed(changes), s),
            () => world.NewReplicaAsync(settings: Impatient), Impatient, LiveDealsOnly: false), seed);
    }

    [Test]
    public async Task Zoho_runs_through_random_changes_faults_and_killed_processes_converge_to_a_clean_full_sync()
    {
        var seed = Setting("CRMETL_SOAK_SEED", 2026);
        // Every revocation costs a new access token: more than Zoho's 10 per 10 minutes in a long soak (that limit has its own test).
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Seed = seed, Deals = 300, Activities = 600, Leads = 40, TokensPerTenMinutes = 10_000 });
        // Zoho's lists never show deleted deals: only a replica that saw them before keeps them, flagged.
        await SoakAsync(new Soaked("Zoho CRM", [.. ZohoFaults()], world.Sandbox.Faults,
            (changes, s) => world.Sandbox.Mutate(world.Org.Options.Name, MutationPlan.Mixed(changes), s),
            () => world.NewReplicaAsync(ZohoImpatient), ZohoImpatient, LiveDealsOnly: true), seed);
    }

    private static async Task SoakAsync(Soaked soaked, int seed)
    {
        var budget = TimeSpan.FromSeconds(Setting("CRMETL_SOAK_SECONDS", 20));
        var random = new Random(seed);
        var replica = await soaked.NewReplica();
        Assert.That((await replica.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var config = await SaveRandomMappingAsync(replica, random, null);

        var injected = new Dictionary<string, int>();
        var ended = new Dictionary<string, int>();
        var runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget)
        {
            if (random.NextDouble() < 0.8) soaked.Mutate(random.Next(5, 40), random.Next());
            var analyticsBefore = await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(replica.ConnectionString);
            var pick = random.Next(soaked.Faults.Count + 3);
            var name = pick < soaked.Faults.Count ? soaked.Faults[pick].Name : (pick - soaked.Faults.Count) switch { 0 => "none", 1 => "disk full", _ => "process killed" };
            var expected = pick < soaked.Faults.Count ? soaked.Faults[pick].Ends : name == "none" ? RunStatus.Succeeded : RunStatus.Failed;
            if (pick < soaked.Faults.Count) soaked.Faults[pick].Inject(soaked.Switches);
            if (name == "disk full") await DiskFullAsync(replica.ConnectionString, on: true);

            string status;
            if (name == "process killed")
            {
                status = await KillMidRunAsync(soaked, replica, random);
            }
            else
            {
                var outcome = await replica.SyncAsync();
                // A fault that came after the run's last request did not bite: the run then succeeds.
                Assert.That(outcome.Status, Is.AnyOf(expected, RunStatus.Succeeded), $"run {runs + 1} ({name}): {outcome.Error}");
                status = outcome.Status.ToString();
            }
            runs++;
            injected[name] = injected.GetValueOrDefault(name) + 1;
            ended[status] = ended.GetValueOrDefault(status) + 1;
            if (status != nameof(RunStatus.Succeeded))
            {
                Assert.That(await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(replica.ConnectionString), Is.EqualTo(analyticsBefore),
                    $"run {runs} ({name}): the previous complete numbers stay visible");
                Assert.That(await CursorsPastSavedRowsAsync(replica), Is.Empty, $"run {runs} ({name}): no cursor passes a row that was not saved");
            }
            soaked.Switches.Clear();
            if (name == "disk full") await DiskFullAsync(replica.ConnectionString, on: false);
        }
        var last = await replica.SyncAsync();
        Assert.That(last.Status, Is.EqualTo(RunStatus.Succeeded), last.Error);
        var takenUp = await replica.ScalarAsync<long>("SELECT count(*) FROM etl.sync_run WHERE resumed > 0");

        var fresh = await soaked.NewReplica();
        Assert.That((await fresh.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        await SaveRandomMappingAsync(fresh, random, config);
        var expectedRows = await fresh.FingerprintAsync(soaked.LiveDealsOnly);
        var actualRows = await replica.FingerprintAsync(soaked.LiveDealsOnly);
        var differences = expectedRows.Keys.Count(t => !actualRows[t].SequenceEqual(expectedRows[t]));
        var expectedFacts = await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(fresh.ConnectionString);
        var actualFacts = await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(replica.ConnectionString);
        differences += expectedFacts.Keys.Count(t => actualFacts[t] != expectedFacts[t]);
        var records = expectedRows.Values.Sum(r => r.Count) + expectedFacts.Values.Sum(f => long.Parse(f[..f.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture));

        TestContext.Out.WriteLine($"soak of {soaked.Crm} (seed {seed}): {runs} runs in {clock.Elapsed.TotalSeconds:0} s; faults injected: " +
            string.Join(", ", injected.OrderBy(i => i.Key).Select(i => $"{i.Key} {i.Value}")) + "; runs ended: " +
            string.Join(", ", ended.OrderBy(e => e.Key).Select(e => $"{e.Key} {e.Value}")) + $"; {takenUp} runs taken up after a kill; " +
            $"{records} records checked ({expectedRows.Count} replica tables, {expectedFacts.Count} analytics tables); {differences} differences");
        Assert.That(runs, Is.GreaterThanOrEqualTo(3), "the soak ran");
        foreach (var table in expectedRows.Keys.Where(t => !actualRows[t].SequenceEqual(expectedRows[t])))
            Assert.Fail($"{table} differs from a clean full sync's: " + await DescribeAsync(replica, table, actualRows[table], expectedRows[table]));
        foreach (var table in expectedFacts.Keys) Assert.That(actualFacts[table], Is.EqualTo(expectedFacts[table]), "analytics." + table);
    }

    /// <summary>
    /// Runs 'crmetl sync' as a real process against a slowed CRM and SIGKILLs it a random moment into its run.
    /// Returns how the run stood: "Killed" if it was cut short (it stays 'running' until the next sync takes it up).
    /// </summary>
    private static async Task<string> KillMidRunAsync(Soaked soaked, PipedriveWorld.Replica replica, Random random)
    {
        soaked.Switches.Latency = TimeSpan.FromMilliseconds(20);
        await using var process = WorkerProcess.Run(replica.ConnectionString, soaked.Settings, "sync", "--instance", "Acme");
        await SchedulingTests.Eventually(async () => process.HasExited ||
            await replica.ScalarAsync<long>($"SELECT count(*) FROM etl.sync_run WHERE worker LIKE '%/{process.Pid}'") > 0, TimeSpan.FromSeconds(60));
        await Task.Delay(random.Next(1_000));
        process.Kill();
        Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(10)), Is.Not.Null, "SIGKILL ends the process");
        // The instance's lock goes with the killed process's database session, once PostgreSQL sees its connection close.
        await SchedulingTests.Eventually(async () => await replica.ScalarAsync<bool>(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database())"));
        var status = await replica.ScalarAsync<string>($"SELECT status FROM etl.sync_run WHERE worker LIKE '%/{process.Pid}' ORDER BY id DESC LIMIT 1");
        Assert.That(status, Is.AnyOf("running", "succeeded"), process.Output);
        return status == "running" ? "Killed" : nameof(RunStatus.Succeeded);
    }

    /// <summary>
    /// The rows only the soaked replica has and those only the clean one has (at most five each); for stage history,
    /// also how the soaked replica stands with those deals, to tell a history never fetched from one fetched too early.
    /// </summary>
    private static async Task<string> DescribeAsync(PipedriveWorld.Replica replica, string table, List<string> actual, List<string> expected)
    {
        var soakedOnly = actual.Except(expected).Take(5).ToList();
        var cleanOnly = expected.Except(actual).Take(5).ToList();
        var text = $"only in the soaked replica: [{string.Join("; ", soakedOnly)}]; only in the clean one: [{string.Join("; ", cleanOnly)}]";
        if (table != "history") return text;
        var deals = string.Join(", ", soakedOnly.Concat(cleanOnly).Select(r => r[..r.IndexOf('|', StringComparison.Ordinal)]).Distinct());
        return text + "; those deals in the soaked replica (id|stage|stage_change_time|update_time|history_due|history_fetched_for): " + string.Join("; ",
            await replica.RowsAsync($"SELECT concat_ws('|', id, stage_id, stage_change_time, update_time, history_due, history_fetched_for) FROM crm.deal WHERE id IN ({deals})"));
    }

    /// <summary>Saves a random funnel mapping with KPIs (or <paramref name="same"/>) and builds the analytics with it.</summary>
    private static async Task<CompanyConfiguration> SaveRandomMappingAsync(PipedriveWorld.Replica replica, Random random, CompanyConfiguration? same)
    {
        var store = replica.Host.Services.GetRequiredService<ConfigurationStore>();
        var instance = (await store.LoadCatalogAsync("Acme", CancellationToken.None)).Instances[0];
        var config = same ?? FunnelRulesOnPostgresTests.RandomMapping(random, instance) with
        {
            Kpis = [new("Won", KpiKinds.Stage, "F", "S1"), new("Value", KpiKinds.Stage, "F", "S2", KpiMeasures.Value), new("Calls", KpiKinds.Activity, ActivityTypes: ["call"])],
        };
        await store.SaveAsync(config, CancellationToken.None);
        await replica.Host.Services.GetRequiredService<AnalyticsBuilder>().BuildAsync(instance.Id, CancellationToken.None);
        return config;
    }

    private static int Setting(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var value) ? value : fallback;
}
