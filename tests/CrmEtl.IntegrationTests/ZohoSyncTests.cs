using System.Globalization;
using CrmEtl.Connectors.Zoho;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Sync;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;

namespace CrmEtl.IntegrationTests;

/// <summary>Zoho sandbox over real HTTP (OAuth, data centres, credits) into a real PostgreSQL.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and database
public sealed class ZohoSyncTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Utc = "'YYYY-MM-DD HH24:MI:SS'";
    private static string T(DateTime? t) => t?.ToString("yyyy-MM-dd HH:mm:ss", Inv) ?? "";
    private static string Join(params object?[] values) => string.Join('|', values.Where(v => v is not null && !(v is string s && s.Length == 0)));

    [Test]
    public async Task A_full_sync_of_2500_deals_with_55_fields_equals_the_orgs_data()
    {
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Deals = 2_500, Activities = 1_200, Leads = 300 });
        var replica = await world.NewReplicaAsync();

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        var org = world.Org;
        var live = org.Data.Deals.Where(d => !d.IsDeleted).OrderBy(org.DealId).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(await replica.RowsAsync($"""
                SELECT concat_ws('|', d.id, d.status, s.name, s.forecast_type, d.pipeline_id, d.owner_id, round(d.value, 2), d.currency,
                       to_char(d.update_time AT TIME ZONE 'UTC', {Utc}), to_char(d.stage_change_time AT TIME ZONE 'UTC', {Utc}), d.lost_reason,
                       d.custom_fields ->> 'Custom_Field_24')
                FROM crm.deal d LEFT JOIN crm.stage s ON s.instance_id = d.instance_id AND s.id = d.stage_id ORDER BY d.id
                """), Is.EqualTo(live.Select(d => Join(
                    org.DealId(d), d.Status, org.StageOf(d), d.Status switch { "won" => "Closed Won", "lost" => "Closed Lost", _ => "Open" },
                    org.PipelineId(org.Data.Pipelines.First(p => p.Id == d.PipelineId)), org.UserId(d.OwnerId), d.Value.ToString("0.00", Inv), d.Currency,
                    T(d.UpdateTime), T(org.StageModifiedTime(d)), d.Status == "lost" ? d.LostReason : null,
                    (d.Id + 24) % 5 == 0 ? $"value 24-{d.Id % 7}" : null))),
                "deals, with a field of the second field group");
            Assert.That(await replica.RowsAsync($"""
                SELECT concat_ws('|', h.deal_id, h.ord, s.name, to_char(h.entered_at AT TIME ZONE 'UTC', {Utc}))
                FROM crm.deal_stage_history h JOIN crm.stage s ON s.instance_id = h.instance_id AND s.id = h.stage_id ORDER BY h.deal_id, h.ord
                """), Is.EqualTo(live.SelectMany(d => org.Arrivals(d).Select((a, i) => Join(org.DealId(d), i, a.Stage, T(a.At))))),
                "stage history");
            Assert.That(await replica.RowsAsync($"""
                SELECT concat_ws('|', id, type, done, deal_id, to_char(marked_as_done_time AT TIME ZONE 'UTC', {Utc})) FROM crm.activity ORDER BY id
                """), Is.EqualTo(org.Data.Activities.Where(a => !a.IsDeleted).OrderBy(a => a.Id).Select(a =>
                {
                    var module = ZohoOrg.ModuleOf(a);
                    var done = module != "Events" && a.Done;
                    return Join(org.ActivityId(a), module switch { "Calls" => "call", "Events" => "event", _ => "task" }, done ? "t" : "f",
                        a.DealId is { } id && org.Data.Deals.Find(x => x.Id == id) is { } deal ? org.DealId(deal) : null, done ? T(a.MarkedAsDoneTime) : null);
                })), "tasks, events and calls");
            Assert.That(await replica.RowsAsync("SELECT concat_ws('|', id, status, converted_deal_id IS NOT NULL) FROM crm.lead ORDER BY id::bigint"),
                Is.EqualTo(org.Data.Leads.Select((l, i) => (l, i)).Where(x => !x.l.IsDeleted).Select(x => Join(org.LeadId(x.i), ZohoOrg.LeadStatus(x.l),
                    ZohoOrg.IsConverted(x.l) && org.ConvertedDeal(x.l) is not null ? "t" : "f"))), "leads, converted ones too");
            Assert.That(await replica.RowsAsync("SELECT concat_ws('|', c.id, c.name, c.org_id, (SELECT string_agg(e.email, ',' ORDER BY e.email) FROM crm.contact_email e WHERE e.contact_id = c.id)) FROM crm.contact c WHERE NOT c.is_deleted ORDER BY c.id"),
                Is.EqualTo(org.Data.Persons.Where(p => !p.IsDeleted).Select(p => Join(org.ContactId(p), p.Name,
                    p.OrgId is { } o ? org.AccountId(o) : null,
                    string.Join(',', p.Emails.Take(2).Select(e => e.Value.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal))))),
                "contacts: Email and Secondary_Email in the lookup, the account");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.organization"), Is.EqualTo(org.Data.Organizations.Count), "accounts");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.stage WHERE forecast_type = 'Closed Won'"), Is.EqualTo(org.Data.Pipelines.Count));
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.crm_user"), Is.EqualTo(org.Data.Users.Count));
        });
        Assert.That(live.Count, Is.GreaterThan(2_000), "past the reach of Zoho's page parameter");
        Assert.That(world.Sandbox.CallsTo("acme-de")["GET /crm/v8/{module}"], Is.LessThan(2 * (live.Count / 200 + 1) + 60 + ContactPages(org)),
            "two field groups per page of deals, one per page of accounts and contacts, not a call per record");
    }

    [TestCase(false, TestName = "Without_the_DealHistory_module_stage_history_comes_from_one_call_per_deal_that_moved")]
    [TestCase(true, TestName = "A_DealHistory_module_without_Moved_To_is_read_with_the_fields_it_has")]
    public async Task Stage_history_without_the_full_DealHistory_module(bool moduleWithoutMovedTo)
    {
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { DealHistoryModule = moduleWithoutMovedTo, DealHistoryMovedTo = false });
        var replica = await world.NewReplicaAsync();

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        var org = world.Org;
        var live = org.Data.Deals.Where(d => !d.IsDeleted).OrderBy(org.DealId).ToList();
        Assert.That(await replica.RowsAsync($"""
            SELECT concat_ws('|', h.deal_id, h.ord, s.name, to_char(h.entered_at AT TIME ZONE 'UTC', {Utc}))
            FROM crm.deal_stage_history h JOIN crm.stage s ON s.instance_id = h.instance_id AND s.id = h.stage_id ORDER BY h.deal_id, h.ord
            """), Is.EqualTo(live.SelectMany(d => org.Arrivals(d).Select((a, i) => Join(org.DealId(d), i, a.Stage, T(a.At))))));
        Assert.That(world.Sandbox.CallsTo("acme-de").GetValueOrDefault("GET /crm/v8/Deals/{id}/Stage_History"),
            Is.EqualTo(moduleWithoutMovedTo ? 0 : live.Count(d => org.Arrivals(d).Count > 1)), "a deal that never changed stage costs no call");
    }

    [Test]
    public async Task A_module_of_120000_records_is_synced_completely_past_the_reach_of_page_tokens()
    {
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Deals = 120_000, Activities = 0, Leads = 0, ExtraDealFields = 0 });
        var replica = await world.NewReplicaAsync();

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        var live = world.Org.Data.Deals.Where(d => !d.IsDeleted).ToList();
        Assert.That(live, Has.Count.GreaterThan(100_000));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal WHERE NOT is_deleted"), Is.EqualTo(live.Count));
        Assert.That(await replica.ScalarAsync<long>("SELECT sum(update_time::text::bigint) FROM (SELECT extract(epoch FROM update_time)::bigint AS update_time FROM crm.deal) t"),
            Is.EqualTo(live.Sum(d => new DateTimeOffset(d.UpdateTime, TimeSpan.Zero).ToUnixTimeSeconds())), "every deal as the org has it");
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal_stage_history"), Is.EqualTo(live.Sum(d => world.Org.Arrivals(d).Count)),
            "DealHistory has more rows still, and all of them arrived");
        Assert.That(world.Sandbox.CallsTo("acme-de")["GET /crm/v8/{module}"], Is.LessThan((live.Count + live.Sum(d => world.Org.Arrivals(d).Count)) / 200 + 20 + ContactPages(world.Org)),
            "one call per 200 records, plus the re-anchored windows");
    }

    /// <summary>The pages of 200 accounts and contacts a full sync reads.</summary>
    private static int ContactPages(ZohoOrg org) =>
        org.Data.Organizations.Count(o => !o.IsDeleted) / 200 + 1 + org.Data.Persons.Count(p => !p.IsDeleted) / 200 + 1;

    [Test]
    public async Task After_random_changes_an_incremental_sync_equals_a_fresh_full_sync()
    {
        await using var world = await ZohoWorld.StartAsync();
        var settings = new Dictionary<string, string?> { ["Zoho:BatchRows"] = "250", ["Zoho:FieldsPerRequest"] = "20" };
        var incremental = await world.NewReplicaAsync(settings);
        Assert.That((await incremental.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));

        for (var round = 1; round <= 3; round++)
        {
            world.Sandbox.Mutate("acme-de", MutationPlan.Mixed(15), seed: round);
            var outcome = await incremental.SyncAsync();
            Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
            Assert.That(outcome.Mode, Is.EqualTo(SyncMode.Incremental));
        }
        var fresh = await world.NewReplicaAsync(settings);
        Assert.That((await fresh.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));

        var expected = await fresh.FingerprintAsync(liveDealsOnly: true);
        var actual = await incremental.FingerprintAsync(liveDealsOnly: true);
        foreach (var table in expected.Keys) Assert.That(actual[table], Is.EqualTo(expected[table]), table);
        Assert.That(await incremental.ScalarAsync<long>("SELECT count(*) FROM crm.deal WHERE is_deleted"), Is.GreaterThan(0), "deletions came through the deleted-records list");
    }

    [Test]
    public async Task An_access_token_that_expires_mid_run_is_renewed_once_and_the_run_succeeds()
    {
        await using var world = await ZohoWorld.StartAsync();
        var replica = await world.NewReplicaAsync();
        world.Sandbox.Faults.Latency = TimeSpan.FromMilliseconds(10);
        var run = replica.SyncAsync(SyncMode.Full);
        await Task.Delay(400);
        world.Org.ExpireAccessTokens();
        var outcome = await run;

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        Assert.That(world.Org.TokensMinted, Is.EqualTo(2));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal"), Is.EqualTo(world.Org.Data.Deals.Count(d => !d.IsDeleted)));
    }

    [Test]
    public async Task Runs_and_processes_share_one_access_token_minted_single_flight()
    {
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Deals = 100, Activities = 100, Leads = 20 });
        var first = await world.NewReplicaAsync();
        var instance = (await first.Host.Services.GetRequiredService<InstanceRepository>().ListAsync(CancellationToken.None))[0];
        var tokens = first.Host.Services.GetRequiredService<ZohoTokenProvider>();

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => tokens.GetAsync(instance, null, NullLogger.Instance, CancellationToken.None)));
        Assert.That((await first.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        // Another process on the same database: a host of its own, with its own memory.
        var secondProcess = CrmEtlHost.Build(first.ConnectionString, null, Serilog.Events.LogEventLevel.Warning);
        try
        {
            var outcome = await secondProcess.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Incremental, CancellationToken.None);
            Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        }
        finally { secondProcess.Dispose(); }

        Assert.That(concurrent.Select(t => t.AccessToken).Distinct().Count(), Is.EqualTo(1));
        Assert.That(world.Org.TokensMinted, Is.EqualTo(1));
        Assert.That(await first.ScalarAsync<string>("SELECT api_domain FROM etl.oauth_token"), Is.EqualTo(world.Sandbox.ApiDomain("eu")), "the API domain Zoho named is kept");
        Assert.That(await first.ScalarAsync<string>("SELECT access_token_protected FROM etl.oauth_token"), Does.Not.Contain(concurrent[0].AccessToken), "stored encrypted");
    }

    [Test]
    public async Task Concurrency_refusals_are_waited_out_and_every_call_is_counted_as_a_credit()
    {
        await using var world = await ZohoWorld.StartAsync();
        var replica = await world.NewReplicaAsync(new Dictionary<string, string?> { ["Zoho:RetryDelay"] = "00:00:00.05" });
        world.Sandbox.Faults.Add429Burst(4);

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        Assert.That(outcome.Stats.Tokens, Is.EqualTo(world.Org.CreditsUsed), "credits the org charged, as the run counted them (refusals cost none)");
        Assert.That(await replica.ScalarAsync<long>("SELECT tokens FROM etl.sync_run"), Is.EqualTo(world.Org.CreditsUsed));
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal"), Is.EqualTo(world.Org.Data.Deals.Count(d => !d.IsDeleted)));
    }

    [Test]
    public async Task A_revoked_refresh_token_ends_the_run_auth_failed_and_asks_for_re_authorisation()
    {
        await using var world = await ZohoWorld.StartAsync();
        var replica = await world.NewReplicaAsync();
        world.Org.RevokeRefreshToken();

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.AuthFailed));
        Assert.That(outcome.Error, Does.Contain("invalid_code").And.Contain("Re-authorise").And.Contain("--refresh-token"));
        Assert.That(await replica.ScalarAsync<string>("SELECT status FROM etl.instance"), Is.EqualTo("auth_failed"));
        Assert.That(world.Org.TokensMinted, Is.Zero);
    }

    [Test]
    public async Task An_instance_on_the_wrong_data_centre_fails_with_a_message_naming_it()
    {
        await using var world = await ZohoWorld.StartAsync();
        var replica = await world.NewReplicaAsync(dataCentre: "us");

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.AuthFailed));
        Assert.That(outcome.Error, Does.Contain("invalid_client").And.Contain("data centre").And.Contain(world.Sandbox.AccountsUrl("us")));
    }

    [Test]
    public async Task A_refresh_token_without_a_scope_fails_with_a_message_naming_the_scope()
    {
        await using var world = await ZohoWorld.StartAsync();
        world.Org.Scopes = [ZohoScopes.Modules, ZohoScopes.Settings, ZohoScopes.Org];
        var replica = await world.NewReplicaAsync();

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.AuthFailed));
        Assert.That(outcome.Error, Does.Contain("ZohoCRM.users.READ").And.Contain("OAUTH_SCOPE_MISMATCH"));
    }

    [Test]
    public async Task Credits_exhausted_mid_run_end_it_budget_exhausted_and_the_next_run_completes_it()
    {
        await using var world = await ZohoWorld.StartAsync(ZohoWorld.DefaultOrg with { Deals = 1_200 });
        var settings = new Dictionary<string, string?> { ["Zoho:BatchRows"] = "200" };
        var replica = await world.NewReplicaAsync(settings);
        world.Org.DailyCredits = 16;

        var first = await replica.SyncAsync(SyncMode.Full);
        var partial = await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal");
        world.Org.ResetCredits();
        world.Org.DailyCredits = 100_000;
        var second = await replica.SyncAsync();
        var fresh = await world.NewReplicaAsync(settings);
        await fresh.SyncAsync(SyncMode.Full);

        Assert.That(first.Status, Is.EqualTo(RunStatus.BudgetExhausted), first.Error);
        Assert.That(first.Error, Does.Contain("credits"));
        Assert.That(partial, Is.GreaterThan(0).And.LessThan(world.Org.Data.Deals.Count(d => !d.IsDeleted)), "the run stopped mid-way with its progress saved");
        Assert.That(second.Status, Is.EqualTo(RunStatus.Succeeded), second.Error);
        var expected = await fresh.FingerprintAsync(liveDealsOnly: true);
        var actual = await replica.FingerprintAsync(liveDealsOnly: true);
        foreach (var table in expected.Keys) Assert.That(actual[table], Is.EqualTo(expected[table]), table);
    }
}
