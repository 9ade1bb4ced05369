using System.Diagnostics;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Sync;
using CrmEtl.IntegrationTests.Analytics;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Reliability;

/// <summary>
/// A randomized soak: run after run of a Pipedrive account that keeps changing, each run through a fault
/// of the matrix picked at random (or none, or the database out of disk space), then one run without
/// faults. The replica and the analytics must then equal those of a clean full sync with the same
/// configuration. Bounded in time by CRMETL_SOAK_SECONDS (20 by default), seeded by CRMETL_SOAK_SEED.
/// </summary>
[TestFixture]
internal sealed class SoakTests
{
    [Test]
    public async Task Runs_through_random_changes_and_faults_converge_to_a_clean_full_sync()
    {
        var budget = TimeSpan.FromSeconds(Setting("CRMETL_SOAK_SECONDS", 20));
        var seed = Setting("CRMETL_SOAK_SEED", 2026);
        var random = new Random(seed);
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions
        {
            Name = "acme", ApiToken = "good-token", Seed = seed, Deals = 300, Activities = 600, Leads = 40,
        });
        var replica = await world.NewReplicaAsync(settings: FaultMatrixTests.Impatient);
        Assert.That((await replica.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var config = await SaveRandomMappingAsync(replica, random, null);

        var faults = FaultMatrixTests.Faults().ToList();
        var injected = new Dictionary<string, int>();
        var ended = new Dictionary<RunStatus, int>();
        var runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget)
        {
            if (random.NextDouble() < 0.8) world.Sandbox.Mutate("acme", MutationPlan.Mixed(random.Next(5, 40)), seed: random.Next());
            var pick = random.Next(faults.Count + 2);
            var (name, expected) = pick < faults.Count ? (faults[pick].Name, faults[pick].Ends) : pick == faults.Count ? ("none", RunStatus.Succeeded) : ("disk full", RunStatus.Failed);
            if (pick < faults.Count) faults[pick].Inject(world.Sandbox.Faults);
            if (name == "disk full") await FaultMatrixTests.DiskFullAsync(replica.ConnectionString, on: true);

            var outcome = await replica.SyncAsync();

            runs++;
            injected[name] = injected.GetValueOrDefault(name) + 1;
            ended[outcome.Status] = ended.GetValueOrDefault(outcome.Status) + 1;
            // A fault that came after the run's last request did not bite: the run then succeeds.
            Assert.That(outcome.Status, Is.AnyOf(expected, RunStatus.Succeeded), $"run {runs} ({name}): {outcome.Error}");
            world.Sandbox.Faults.Clear();
            if (name == "disk full") await FaultMatrixTests.DiskFullAsync(replica.ConnectionString, on: false);
        }
        var last = await replica.SyncAsync();
        Assert.That(last.Status, Is.EqualTo(RunStatus.Succeeded), last.Error);

        var fresh = await world.NewReplicaAsync();
        Assert.That((await fresh.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        await SaveRandomMappingAsync(fresh, random, config);
        var expectedRows = await fresh.FingerprintAsync();
        var actualRows = await replica.FingerprintAsync();
        var differences = expectedRows.Keys.Count(t => !actualRows[t].SequenceEqual(expectedRows[t]));
        var expectedFacts = await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(fresh.ConnectionString);
        var actualFacts = await FunnelRulesOnPostgresTests.AnalyticsFingerprintAsync(replica.ConnectionString);
        differences += expectedFacts.Keys.Count(t => actualFacts[t] != expectedFacts[t]);
        var records = expectedRows.Values.Sum(r => r.Count) + expectedFacts.Values.Sum(f => long.Parse(f[..f.IndexOf(':', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture));

        TestContext.Out.WriteLine($"soak (seed {seed}): {runs} runs in {clock.Elapsed.TotalSeconds:0} s; faults injected: " +
            string.Join(", ", injected.OrderBy(i => i.Key).Select(i => $"{i.Key} {i.Value}")) + "; runs ended: " +
            string.Join(", ", ended.OrderBy(e => e.Key).Select(e => $"{e.Key} {e.Value}")) +
            $"; {records} records checked ({expectedRows.Count} replica tables, {expectedFacts.Count} analytics tables); {differences} differences");
        Assert.That(runs, Is.GreaterThanOrEqualTo(3), "the soak ran");
        foreach (var table in expectedRows.Keys) Assert.That(actualRows[table], Is.EqualTo(expectedRows[table]), table);
        Assert.That(actualFacts, Is.EqualTo(expectedFacts), "analytics");
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
