using System.Globalization;
using CrmEtl.Connectors.Kommo;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrmEtl.IntegrationTests;

/// <summary>Kommo syncs against the Kommo sandbox on real HTTP and a real PostgreSQL.</summary>
[Parallelizable(ParallelScope.Children)]
public sealed class KommoSyncTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Utc = "'YYYY-MM-DD HH24:MI:SS'";

    private static string T(DateTime? t) => t?.ToString("yyyy-MM-dd HH:mm:ss", Inv) ?? "";
    private static string Join(params object?[] values) => string.Join('|', values.Where(v => v is not null && !(v is string s && s.Length == 0)));
    private static long Stage(long pipelineId, long statusId) => pipelineId * 1_000_000_000L + statusId;

    /// <summary>The stage history CrmEtl should hold for a lead: one arrival per status it entered, the first at its creation.</summary>
    private static IEnumerable<string> History(KommoLead lead)
    {
        var arrivals = new List<(long Stage, DateTime At)>();
        foreach (var a in lead.Arrivals)
            if (arrivals.Count == 0 || arrivals[^1].Stage != Stage(a.PipelineId, a.StatusId)) arrivals.Add((Stage(a.PipelineId, a.StatusId), arrivals.Count == 0 ? lead.Deal.AddTime : a.At));
        return arrivals.Select((a, i) => Join(lead.Id, i, a.Stage, T(a.At)));
    }

    [Test]
    public async Task A_full_sync_equals_the_accounts_leads_stage_history_tasks_and_contacts()
    {
        await using var world = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 1_200, Activities = 1_500 });
        var replica = await world.NewReplicaAsync();

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        var account = world.Account;
        var live = account.Leads().Where(l => !l.Deal.IsDeleted).OrderBy(l => l.Id).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(await replica.RowsAsync("""
                SELECT concat_ws('|', d.id, d.status, d.pipeline_id, d.stage_id, d.owner_id, d.value IS NOT NULL) FROM crm.deal d WHERE NOT d.is_deleted ORDER BY d.id
                """), Is.EqualTo(live.Select(l => Join(l.Id, l.StatusId switch { KommoAccount.Won => "won", KommoAccount.Lost => "lost", _ => "open" },
                    l.PipelineId, Stage(l.PipelineId, l.StatusId), account.UserId(l.Deal.OwnerId), "t"))), "leads: status (142 won, 143 lost), pipeline, stage, owner");
            Assert.That(await replica.RowsAsync($"""
                SELECT concat_ws('|', h.deal_id, h.ord, h.stage_id, to_char(h.entered_at AT TIME ZONE 'UTC', {Utc}))
                FROM crm.deal_stage_history h ORDER BY h.deal_id, h.ord
                """), Is.EqualTo(live.SelectMany(History)), "stage history from the status-change events");
            Assert.That(await replica.RowsAsync($"""
                SELECT concat_ws('|', id, to_char(won_time AT TIME ZONE 'UTC', {Utc})) FROM crm.deal WHERE status = 'won' AND NOT is_deleted ORDER BY id
                """), Is.EqualTo(live.Where(l => l.StatusId == KommoAccount.Won).Select(l => Join(l.Id, T(l.Arrivals[^1].At)))), "won when it entered 142");
            Assert.That(await replica.RowsAsync("SELECT concat_ws('|', id, done, deal_id) FROM crm.activity WHERE NOT is_deleted ORDER BY id"),
                Is.EqualTo(account.Tasks().Where(t => !t.Activity.IsDeleted).Select(t => (t.Id, Row: Join(t.Id, t.Activity.Done ? "t" : "f", t.EntityType == "leads" ? t.EntityId : null)))
                    .Concat(account.Notes().Where(n => n.NoteType is "call_in" or "call_out").Select(n => (Id: -n.Id, Row: Join(-n.Id, "t", n.EntityType == "leads" ? n.EntityId : null))))
                    .OrderBy(a => a.Id).Select(a => a.Row)),
                "tasks, done and planned, and logged calls (their note ids negated), done");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.activity WHERE id < 0 AND type = 'call' AND done AND duration IS NOT NULL AND person_id IS NOT NULL"),
                Is.GreaterThan(0), "calls logged on a contact, with their duration");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.stage WHERE forecast_type = 'Closed Won'"), Is.EqualTo(account.Data.Pipelines.Count),
                "142 in every pipeline, the default Won step");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.contact_email"), Is.GreaterThan(0), "contacts' e-mails for the customer card");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.contact c WHERE jsonb_array_length(c.emails) > 1"), Is.GreaterThan(0), "contacts with several e-mails keep them all");
        });
        Assert.That(account.SpentRefreshTokenReuses, Is.Zero);
        Assert.That(world.Sandbox.RateLimited, Is.Zero, "paced under 7 requests a second");
    }

    [Test]
    public async Task After_random_changes_deletions_and_a_restore_an_incremental_sync_equals_a_fresh_full_sync()
    {
        await using var world = await KommoWorld.StartAsync();
        // Tasks, contacts and companies have no deletion events: their deletions are found by reading them whole, here every run.
        var settings = new Dictionary<string, string?> { ["Kommo:BatchRows"] = "250", ["Kommo:PageSize"] = "100", ["Kommo:ReconcileEvery"] = "00:00:00" };
        var incremental = await world.NewReplicaAsync(settings);
        Assert.That((await incremental.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));

        var deleted = world.Account.Leads().First(l => !l.Deal.IsDeleted);
        for (var round = 1; round <= 3; round++)
        {
            world.Sandbox.Mutate("acme", MutationPlan.Mixed(15), seed: round);
            if (round == 1) world.Sandbox.DeleteLead("acme", deleted.Id);
            if (round == 3) world.Sandbox.RestoreLead("acme", deleted.Id);
            var outcome = await incremental.SyncAsync();
            Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
            Assert.That(outcome.Mode, Is.EqualTo(SyncMode.Incremental));
            if (round == 1) Assert.That(await incremental.ScalarAsync<bool>($"SELECT is_deleted FROM crm.deal WHERE id = {deleted.Id}"), Is.True, "lead_deleted flags it");
        }
        Assert.That(await incremental.ScalarAsync<bool>($"SELECT is_deleted FROM crm.deal WHERE id = {deleted.Id}"), Is.False, "lead_restored brings it back");
        var fresh = await world.NewLongLivedReplicaAsync(settings);
        Assert.That((await fresh.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));

        var expected = await fresh.FingerprintAsync(liveDealsOnly: true);
        var actual = await incremental.FingerprintAsync(liveDealsOnly: true);
        foreach (var table in expected.Keys) Assert.That(actual[table], Is.EqualTo(expected[table]), table);
        Assert.That(await incremental.ScalarAsync<long>("SELECT count(*) FROM crm.deal WHERE is_deleted"), Is.GreaterThan(0), "deletions came through the events");
    }

    [Test]
    public async Task Workers_refreshing_at_once_spend_each_refresh_token_once_and_the_new_one_is_stored_before_use()
    {
        await using var world = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 50, Activities = 50 });
        var first = await world.NewReplicaAsync();
        var instance = (await first.Host.Services.GetRequiredService<InstanceRepository>().ListAsync(CancellationToken.None))[0];
        // Two processes on one database, each with its own memory, asking at once.
        var second = CrmEtlHost.Build(first.ConnectionString, world.Settings(), Serilog.Events.LogEventLevel.Warning);
        try
        {
            var asks = Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? first.Host.Services : second.Services).GetRequiredService<KommoTokens>()
                .GetAsync(instance, null, NullLogger.Instance, CancellationToken.None));
            var tokens = await Task.WhenAll(asks);

            Assert.That(tokens.Distinct().Count(), Is.EqualTo(1), "one access token for all");
            Assert.That(world.Account.RefreshesMade, Is.EqualTo(1), "one refresh, single-flight across processes");
            Assert.That(world.Account.SpentRefreshTokenReuses, Is.Zero, "no spent refresh token was sent again");
            Assert.That(await first.ScalarAsync<int>("SELECT rotations FROM etl.rotating_token"), Is.EqualTo(1));
            Assert.That(await first.ScalarAsync<string>("SELECT refresh_token_protected FROM etl.rotating_token"), Does.Not.Contain(world.Account.Options.RefreshToken!), "stored encrypted");

            // The next run in the other process uses the stored pair; an access token it is refused is renewed from the new refresh token.
            var outcome = await second.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
            Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
            Assert.That(world.Account.RefreshesMade, Is.EqualTo(1));
        }
        finally { second.Dispose(); }
    }

    [Test]
    public async Task A_refresh_token_near_its_three_months_is_renewed_by_a_run_even_when_nothing_changed()
    {
        await using var world = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 30, Activities = 30 });
        var replica = await world.NewReplicaAsync(new() { ["Kommo:RenewRefreshTokenAfter"] = "1.00:00:00" });
        Assert.That((await replica.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var refreshes = world.Account.RefreshesMade;
        await replica.ScalarAsync<int>("UPDATE etl.rotating_token SET refresh_issued_at = refresh_issued_at - interval '2 days' RETURNING 1");

        Assert.That((await replica.SyncAsync()).Status, Is.EqualTo(RunStatus.Succeeded));

        Assert.That(world.Account.RefreshesMade, Is.EqualTo(refreshes + 1), "renewed although its access token was good");
        Assert.That(world.Account.SpentRefreshTokenReuses, Is.Zero);
    }

    [Test]
    public async Task A_switched_off_integration_ends_the_run_auth_failed_asking_to_grant_access_again()
    {
        await using var world = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 30, Activities = 30 });
        var replica = await world.NewReplicaAsync();
        world.Sandbox.RevokeIntegration("acme");

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.AuthFailed));
        Assert.That(outcome.Error, Does.Contain("Kommo refused").And.Contain("crmetl instances edit \"Acme\""));
    }
}
