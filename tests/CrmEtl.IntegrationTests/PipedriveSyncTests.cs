using System.Globalization;
using CrmEtl.Core.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Testing;

namespace CrmEtl.IntegrationTests;

/// <summary>Pipedrive sandbox over real HTTP into a real PostgreSQL: what lands must be what the account holds.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and database
public sealed class PipedriveSyncTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Utc = "'YYYY-MM-DD HH24:MI:SS'";
    private static string T(DateTime? t) => t?.ToString("yyyy-MM-dd HH:mm:ss", Inv) ?? "";

    [Test]
    public async Task A_full_sync_replica_equals_the_sandboxs_data()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var replica = await world.NewReplicaAsync();

        var outcome = await replica.SyncAsync(SyncMode.Full);

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        var company = world.Company;
        Assert.Multiple(async () =>
        {
            Assert.That(await replica.RowsAsync($"""
                SELECT concat_ws('|', id, status, pipeline_id, stage_id, owner_id, round(value, 2), currency, is_archived, is_deleted,
                       to_char(update_time AT TIME ZONE 'UTC', {Utc}), to_char(stage_change_time AT TIME ZONE 'UTC', {Utc}),
                       to_char(won_time AT TIME ZONE 'UTC', {Utc}), lost_reason)
                FROM crm.deal ORDER BY id
                """), Is.EqualTo(company.Deals.OrderBy(d => d.Id).Select(d => Join(
                    d.Id, d.ApiStatus, d.PipelineId, d.StageId, d.OwnerId, d.Value.ToString("0.00", Inv), d.Currency,
                    d.IsArchived ? "t" : "f", d.IsDeleted ? "t" : "f", T(d.UpdateTime), T(d.StageChangeTime), T(d.WonTime), d.LostReason))),
                "deals");
            Assert.That(await replica.RowsAsync($"""
                SELECT concat_ws('|', id, type, done, deal_id, due_date, to_char(due_time, 'HH24:MI:SS'), to_char(marked_as_done_time AT TIME ZONE 'UTC', {Utc}))
                FROM crm.activity WHERE NOT is_deleted ORDER BY id
                """), Is.EqualTo(company.Activities.Where(a => !a.IsDeleted).OrderBy(a => a.Id).Select(a => Join(
                    a.Id, a.Type, a.Done ? "t" : "f", a.DealId, a.DueDate.ToString("yyyy-MM-dd", Inv), a.DueTime?.ToString("HH:mm:ss", Inv), T(a.MarkedAsDoneTime)))),
                "activities");
            Assert.That(await replica.RowsAsync("SELECT concat_ws('|', id, is_archived, source_name, title) FROM crm.lead ORDER BY id COLLATE \"C\""),
                Is.EqualTo(company.Leads.Where(l => !l.IsDeleted).OrderBy(l => l.Id, StringComparer.Ordinal).Select(l => Join(l.Id, l.IsArchived ? "t" : "f", l.SourceName, l.Title))),
                "leads");
            Assert.That(await replica.RowsAsync($"SELECT concat_ws('|', deal_id, ord, stage_id, to_char(entered_at AT TIME ZONE 'UTC', {Utc})) FROM crm.deal_stage_history ORDER BY deal_id, ord"),
                Is.EqualTo(company.Deals.Where(d => !d.IsDeleted).OrderBy(d => d.Id).SelectMany(ExpectedHistory)),
                "stage history");
            Assert.That(await replica.RowsAsync("SELECT concat_ws('|', id, name, org_id, emails) FROM crm.contact WHERE NOT is_deleted ORDER BY id"),
                Is.EqualTo(company.Persons.Where(p => !p.IsDeleted).Select(p => Join(p.Id, p.Name, p.OrgId,
                    "[" + string.Join(", ", p.Emails.Select(e => $"{{\"label\": \"{e.Label}\", \"value\": \"{e.Value}\", \"primary\": {(e.Primary ? "true" : "false")}}}")) + "]"))),
                "contacts, every e-mail with its label and primary flag");
            Assert.That(await replica.RowsAsync("SELECT concat_ws('|', contact_id, email) FROM crm.contact_email ORDER BY contact_id, email"),
                Is.EqualTo(company.Persons.Where(p => !p.IsDeleted).SelectMany(p => p.Emails.Select(e => e.Value.Trim().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal)
                    .Select(e => Join(p.Id, e)))),
                "the e-mail lookup: trimmed, lower-cased");
            Assert.That(await replica.RowsAsync("SELECT concat_ws('|', id, name, address) FROM crm.organization ORDER BY id"),
                Is.EqualTo(company.Organizations.Select(o => Join(o.Id, o.Name, o.Address))), "organizations");
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.stage"), Is.EqualTo(company.Stages.Count));
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.crm_user"), Is.EqualTo(company.Users.Count));
            Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal_field WHERE is_custom_field"), Is.EqualTo(company.DealFields.Count(f => f.IsCustom)));
        });
        Assert.That(company.Deals.Count(d => d.IsArchived), Is.GreaterThan(0), "the data set must contain archived deals");
        Assert.That(company.Deals.Count(d => d.IsDeleted), Is.GreaterThan(0), "the data set must contain deleted deals");
    }

    private static string Join(params object?[] values) => string.Join('|', values.Where(v => v is not null && !(v is string s && s.Length == 0)));

    /// <summary>The sandbox's own view of a deal's stage arrivals: its creation stage, then each stage change.</summary>
    private static IEnumerable<string> ExpectedHistory(SbDeal deal)
    {
        var moves = deal.Changes.Where(c => c.FieldKey == "stage_id").ToList();
        var stage = moves.Count > 0 ? long.Parse(moves[0].OldValue!, Inv) : deal.StageId;
        yield return Join(deal.Id, 0, stage, T(deal.AddTime));
        var ord = 1;
        foreach (var move in moves) yield return Join(deal.Id, ord++, move.NewValue, T(move.Time));
    }

    [Test]
    public async Task After_random_changes_an_incremental_sync_equals_a_fresh_full_sync()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var always = new Dictionary<string, string?> { ["Pipedrive:ReconcileEvery"] = "00:00:00", ["Pipedrive:BatchRows"] = "250" };
        var incremental = await world.NewReplicaAsync(settings: always);
        Assert.That((await incremental.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));

        for (var round = 1; round <= 3; round++)
        {
            world.Sandbox.Mutate("acme", MutationPlan.Mixed(15), seed: round);
            var outcome = await incremental.SyncAsync();
            Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
            Assert.That(outcome.Mode, Is.EqualTo(SyncMode.Incremental));
        }
        var fresh = await world.NewReplicaAsync();
        Assert.That((await fresh.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));

        var expected = await fresh.FingerprintAsync();
        var actual = await incremental.FingerprintAsync();
        foreach (var table in expected.Keys) Assert.That(actual[table], Is.EqualTo(expected[table]), table);
        // Deletions the lists no longer show were found by reconciliation and kept, flagged.
        var synced = (await incremental.RowsAsync("SELECT id::text FROM crm.activity")).ToHashSet();
        Assert.That(await incremental.RowsAsync("SELECT id::text AS deleted_id FROM crm.activity WHERE is_deleted ORDER BY id"),
            Is.EqualTo(world.Company.Activities.Where(a => a.IsDeleted).Select(a => a.Id.ToString(Inv)).Where(synced.Contains)));
        Assert.That(await incremental.ScalarAsync<long>("SELECT count(*) FROM crm.activity WHERE is_deleted"), Is.GreaterThan(0));
        var contacts = (await incremental.RowsAsync("SELECT id::text FROM crm.contact")).ToHashSet();
        Assert.That(await incremental.RowsAsync("SELECT id::text FROM crm.contact WHERE is_deleted ORDER BY id"),
            Is.EqualTo(world.Company.Persons.Where(p => p.IsDeleted).Select(p => p.Id.ToString(Inv)).Where(contacts.Contains)), "people deleted since they were synced are flagged");
        Assert.That(await incremental.ScalarAsync<long>("SELECT count(*) FROM crm.contact WHERE is_deleted"), Is.GreaterThan(0));
        Assert.That(await incremental.ScalarAsync<long>("SELECT count(*) FROM crm.contact_email e JOIN crm.contact c ON c.instance_id = e.instance_id AND c.id = e.contact_id WHERE c.is_deleted"),
            Is.Zero, "a deleted contact's e-mails are out of the lookup");
    }

    /// <summary>
    /// Found by the soak. Pipedrive's times have whole seconds: a deal moved away and back within the second the last
    /// sync read its changelog looks exactly as that sync left it, yet its history has two more arrivals.
    /// </summary>
    [Test]
    public async Task A_deal_moved_away_and_back_within_the_second_its_history_was_read_gets_the_whole_history()
    {
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions { Name = "acme", ApiToken = "good-token", Seed = 3, Deals = 100, Activities = 100, Leads = 10 });
        var replica = await world.NewReplicaAsync();
        Assert.That((await replica.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var deal = world.Company.Deals.First(d => !d.IsDeleted && !d.IsArchived && d.Status == "open");
        var others = world.Company.Stages.Where(s => s.PipelineId == deal.PipelineId && s.Id != deal.StageId).Select(s => s.Id).Take(2).ToList();

        var second = DateTimeOffset.FromUnixTimeSeconds(TestClock.Clock.GetUtcNow().ToUnixTimeSeconds()); // every move is stamped with it
        world.Sandbox.MoveDeal("acme", deal.Id, others[0], second);
        Assert.That((await replica.SyncAsync()).Status, Is.EqualTo(RunStatus.Succeeded));
        world.Sandbox.MoveDeal("acme", deal.Id, others[1], second);
        world.Sandbox.MoveDeal("acme", deal.Id, others[0], second);
        Assert.That((await replica.SyncAsync()).Status, Is.EqualTo(RunStatus.Succeeded));

        Assert.That(await replica.RowsAsync($"SELECT concat_ws('|', deal_id, ord, stage_id, to_char(entered_at AT TIME ZONE 'UTC', {Utc})) FROM crm.deal_stage_history WHERE deal_id = {deal.Id} ORDER BY ord"),
            Is.EqualTo(ExpectedHistory(deal)));
    }

    [Test]
    public async Task With_no_changes_a_sync_makes_only_the_minimal_calls_and_writes_nothing()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var replica = await world.NewReplicaAsync();
        Assert.That((await replica.SyncAsync()).Status, Is.EqualTo(RunStatus.Succeeded));
        world.Sandbox.ResetCallCounts();

        var again = await replica.SyncAsync();

        Assert.That(again.Status, Is.EqualTo(RunStatus.Succeeded));
        Assert.That(again.Mode, Is.EqualTo(SyncMode.Incremental));
        Assert.That(again.Stats.Written, Is.Zero);
        // One page each: pipelines, stages, dealFields, users, currencies, activityTypes, deals, archived deals,
        // activities, leads, archived leads, organizations, persons. No stage history: no deal moved.
        var calls = world.Sandbox.CallsTo("acme");
        Assert.That(calls.Values.Sum(), Is.EqualTo(13), string.Join(", ", calls.Select(c => $"{c.Key}={c.Value}")));
        Assert.That(again.Stats.Calls, Is.EqualTo(13));
        Assert.That(calls.Keys, Has.None.Contains("changelog"));
        // The numbers are already those of this replica: they are not rebuilt.
        Assert.That(again.Analytics, Is.Null);
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM analytics.fact_deal"), Is.EqualTo(world.Company.Deals.Count(d => !d.IsDeleted)));
    }

    [Test]
    public async Task The_first_sync_fetches_stage_history_only_for_deals_that_moved()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var replica = await world.NewReplicaAsync();

        Assert.That((await replica.SyncAsync()).Status, Is.EqualTo(RunStatus.Succeeded));

        var moved = world.Company.Deals.Count(d => !d.IsDeleted && d.StageChangeTime is not null);
        Assert.That(world.Sandbox.CallsTo("acme")["v1 GET /deals/{id}/changelog"], Is.EqualTo(moved));
        Assert.That(moved, Is.LessThan(world.Company.Deals.Count));
    }

    [Test]
    public async Task A_bad_token_fails_clearly_marks_the_instance_auth_failed_and_writes_nothing()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var replica = await world.NewReplicaAsync(token: "not-the-token");

        var outcome = await replica.SyncAsync();

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.AuthFailed));
        Assert.That(outcome.Error, Does.Contain("rejected the API token"));
        Assert.That(CrmEtl.Host.Cli.CrmEtlCli.ExitCodeOf(outcome), Is.EqualTo(CrmEtl.Host.Cli.ExitCodes.AuthFailed));
        Assert.That(await replica.ScalarAsync<string>("SELECT status FROM etl.instance"), Is.EqualTo("auth_failed"));
        Assert.That(await replica.ScalarAsync<string>("SELECT status FROM etl.sync_run"), Is.EqualTo("auth_failed"));
        Assert.That(await replica.ScalarAsync<long>("SELECT (SELECT count(*) FROM crm.deal) + (SELECT count(*) FROM crm.pipeline) + (SELECT count(*) FROM etl.sync_state)"), Is.Zero);
    }

    [Test]
    public async Task A_daily_budget_spent_mid_run_stops_cleanly_and_the_next_run_finishes_the_job()
    {
        await using var world = await PipedriveWorld.StartAsync(new PipedriveCompanyOptions
        {
            Name = "acme", ApiToken = "good-token", Seed = 8, Deals = 1200, Activities = 1500, Leads = 50, DailyTokenBudget = 150,
        });
        var small = new Dictionary<string, string?> { ["Pipedrive:PageSize"] = "100", ["Pipedrive:BatchRows"] = "200" };
        var replica = await world.NewReplicaAsync(settings: small);

        var first = await replica.SyncAsync();

        Assert.That(first.Status, Is.EqualTo(RunStatus.BudgetExhausted));
        Assert.That(first.Error, Does.Contain("daily token budget"));
        Assert.That(CrmEtl.Host.Cli.CrmEtlCli.ExitCodeOf(first), Is.EqualTo(CrmEtl.Host.Cli.ExitCodes.BudgetExhausted));
        var committed = await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal");
        Assert.That(committed, Is.GreaterThan(0).And.LessThan(world.Company.Deals.Count), "part of the deals were committed");
        // No half state: the cursor never passes a row that was not committed.
        Assert.That(await replica.ScalarAsync<bool>(
            "SELECT coalesce((SELECT cursor_value FROM etl.sync_state WHERE stream = 'deals') <= (SELECT max(update_time) FROM crm.deal WHERE NOT is_archived), true)"), Is.True);

        world.Company.Budget.DailyBudget = 1_000_000; // midnight came
        var resumed = await replica.SyncAsync();
        Assert.That(resumed.Status, Is.EqualTo(RunStatus.Succeeded), resumed.Error);

        var fresh = await world.NewReplicaAsync();
        Assert.That((await fresh.SyncAsync(SyncMode.Full)).Status, Is.EqualTo(RunStatus.Succeeded));
        var expected = await fresh.FingerprintAsync();
        var actual = await replica.FingerprintAsync();
        foreach (var table in expected.Keys) Assert.That(actual[table], Is.EqualTo(expected[table]), table);
    }

    [Test]
    public async Task Transient_server_errors_and_burst_429s_are_retried()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var fast = new Dictionary<string, string?> { ["Pipedrive:RetryDelay"] = "00:00:00.050" };
        var replica = await world.NewReplicaAsync(settings: fast);
        world.Sandbox.Faults.AddServerErrors(2);
        world.Sandbox.Faults.Add429Burst(2);

        var outcome = await replica.SyncAsync();

        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        Assert.That(await replica.ScalarAsync<long>("SELECT count(*) FROM crm.deal"), Is.EqualTo(world.Company.Deals.Count));
    }

    [Test]
    public async Task A_page_size_above_pipedrives_maximum_is_a_configuration_error_naming_the_key()
    {
        await using var world = await PipedriveWorld.StartAsync();
        var replica = await world.NewReplicaAsync(settings: new() { ["Pipedrive:PageSize"] = "501" });

        var error = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => replica.SyncAsync());
        Assert.That(error!.Message, Does.Contain("Pipedrive:PageSize must be between 1 and 500"));
    }
}
