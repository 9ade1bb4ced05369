using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// Changes made in the Kommo sandbox between two syncs, read back as a connector would: the next filter[updated_at]
/// read has the changed records, and the events feed has one event per change.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and clock
public sealed class KommoMutationTests
{
    private sealed record Changing(KommoSandbox Sandbox, KommoSteppedClock Clock, KommoApi Api) : IAsyncDisposable
    {
        public KommoAccount Account => Sandbox.Accounts[0];

        public static async Task<Changing> StartAsync()
        {
            var clock = new KommoSteppedClock();
            var sandbox = await KommoSandbox.StartAsync(new KommoSandboxOptions
            {
                Accounts = [new KommoAccountOptions { Subdomain = "acme", Seed = 3, Deals = 150, Activities = 300, LongLivedTokenLifetime = TimeSpan.FromDays(30) }],
                Clock = clock, AsOf = clock.GetUtcNow(), RequestsPerSecond = int.MaxValue,
            });
            return new Changing(sandbox, clock, new KommoApi(sandbox.Accounts[0].BaseUrl, sandbox.Accounts[0].LongLivedToken));
        }

        /// <summary>An hour later than the generated history: the Unix second from which a read sees only what changes now.</summary>
        public long Later()
        {
            Clock.Advance(TimeSpan.FromHours(1));
            return Clock.GetUtcNow().ToUnixTimeSeconds();
        }

        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            await Sandbox.DisposeAsync();
        }
    }

    private static long Long(JsonNode node, string name) => KommoSandboxTests.Long(node, name);

    private static (long Status, long Pipeline) After(JsonNode e) =>
        (Long(e["value_after"]![0]!["lead_status"]!, "id"), Long(e["value_after"]![0]!["lead_status"]!, "pipeline_id"));

    [Test]
    public async Task Changes_between_syncs_show_up_in_the_next_updated_at_read_and_in_the_events_feed()
    {
        await using var kommo = await Changing.StartAsync();
        var since = kommo.Later();

        kommo.Sandbox.Mutate("acme", new MutationPlan { AddDeals = 3, MoveDeals = 4, WinDeals = 2, LoseDeals = 2, DeleteDeals = 2, CompleteActivities = 3, UpdatePersons = 2 }, seed: 5);
        var deleted = kommo.Account.Leads().Where(l => l.Deal.DeleteTime >= DateTime.UnixEpoch.AddSeconds(since)).ToList();
        kommo.Sandbox.RestoreLead("acme", deleted[0].Id);

        var leads = await kommo.Api.AllPagesAsync($"/api/v4/leads?filter[updated_at][from]={since}&limit=250", "leads", "leads.json");
        var trash = await kommo.Api.AllPagesAsync($"/api/v4/leads?with=only_deleted&filter[updated_at][from]={since}", "leads", "leads.json");
        var events = await kommo.Api.AllPagesAsync($"/api/v4/events?filter[created_at][from]={since}", "events", "events.json");
        var done = await kommo.Api.AllPagesAsync($"/api/v4/tasks?filter[updated_at][from]={since}&filter[is_completed]=1", "tasks", "tasks.json");
        var contacts = await kommo.Api.AllPagesAsync($"/api/v4/contacts?filter[updated_at][from]={since}", "contacts", "contacts.json");

        var changed = kommo.Account.Leads().Where(l => !l.Deal.IsDeleted && new DateTimeOffset(l.Deal.UpdateTime).ToUnixTimeSeconds() >= since).Select(l => l.Id);
        Assert.That(leads.Select(l => Long(l, "id")), Is.EquivalentTo(changed));
        Assert.That(leads, Has.Count.GreaterThanOrEqualTo(3 + 2 + 2 + 1), "added, won, lost, restored");
        Assert.That(trash.Select(l => Long(l, "id")), Is.EqualTo(new[] { deleted[1].Id }));
        int Count(string type) => events.Count(e => e["type"]!.GetValue<string>() == type);
        Assert.That((Count("lead_added"), Count("lead_deleted"), Count("lead_restored"), Count("task_completed")), Is.EqualTo((3, 2, 1, 3)));
        var statusChanges = events.Where(e => e["type"]!.GetValue<string>() == "lead_status_changed").ToList();
        Assert.That(statusChanges.Select(e => After(e).Status), Has.Exactly(2).EqualTo(KommoAccount.Won).And.Exactly(2).EqualTo(KommoAccount.Lost));
        var byId = leads.ToDictionary(l => Long(l, "id"));
        foreach (var change in statusChanges.Where(e => byId.ContainsKey(Long(e, "entity_id"))))
            Assert.That(After(change), Is.EqualTo((Long(byId[Long(change, "entity_id")], "status_id"), Long(byId[Long(change, "entity_id")], "pipeline_id"))));
        Assert.That(done, Has.Count.EqualTo(3));
        Assert.That(contacts, Has.Count.GreaterThanOrEqualTo(2), "contacts whose e-mails changed");
    }

    [Test]
    public async Task A_lead_won_reopened_and_lost_gets_one_status_event_per_move_and_its_closed_at_and_loss_reason()
    {
        await using var kommo = await Changing.StartAsync();
        var stages = kommo.Account.Data.Stages.Select(s => kommo.Account.StatusId(s.Id)).ToHashSet();
        var lead = kommo.Account.Leads().First(l => !l.Deal.IsDeleted && stages.Contains(l.StatusId) && l.Arrivals.Count > 1);
        var stage = lead.StatusId;
        var since = kommo.Later();

        kommo.Sandbox.MoveLead("acme", lead.Id, KommoAccount.Won);
        var won = await kommo.Api.GetAsync($"/api/v4/leads/{lead.Id}", "lead.json");
        kommo.Clock.Advance(TimeSpan.FromMinutes(5));
        kommo.Sandbox.MoveLead("acme", lead.Id, stage);
        kommo.Clock.Advance(TimeSpan.FromMinutes(5));
        kommo.Sandbox.MoveLead("acme", lead.Id, KommoAccount.Lost);
        var lost = await kommo.Api.GetAsync($"/api/v4/leads/{lead.Id}?with=loss_reason", "lead.json");
        var events = await kommo.Api.AllPagesAsync($"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead.Id}&filter[created_at][from]={since}", "events", "events.json");

        Assert.That(Long(won, "closed_at"), Is.EqualTo(since));
        Assert.That(events.Select(e => After(e).Status).Reverse(), Is.EqualTo(new[] { KommoAccount.Won, stage, KommoAccount.Lost }), "newest first in the feed");
        Assert.That(Long(lost, "closed_at"), Is.EqualTo(since + 600));
        Assert.That(Long(lost["_embedded"]!["loss_reason"]![0]!, "id"), Is.EqualTo(Long(lost, "loss_reason_id")));
    }
}
