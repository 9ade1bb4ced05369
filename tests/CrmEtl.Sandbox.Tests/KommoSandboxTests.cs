using System.Globalization;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Testing;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// The Kommo sandbox's API v4 judged by the JSON Schemas written from Kommo's docs and by API-NOTES, over real HTTP
/// on loopback: every answer a test reads is checked against the schema of what it asked for.
/// </summary>
[Parallelizable]
public sealed class KommoSandboxTests
{
    private KommoSandbox _sandbox = null!;
    private KommoApi _api = null!;
    private KommoAccount Account => _sandbox.Accounts[0];

    [OneTimeSetUp]
    public async Task StartSandbox()
    {
        _sandbox = await KommoSandbox.StartAsync(new KommoSandboxOptions
        {
            Accounts = [new KommoAccountOptions { Subdomain = "acme", Seed = 11, Deals = 400, Activities = 800, LongLivedTokenLifetime = TimeSpan.FromDays(30) }],
            Clock = TestClock.Clock, AsOf = TestClock.Now,
            // These tests read whole lists as fast as loopback allows; the limit has tests of its own (KommoLimitsTests).
            RequestsPerSecond = int.MaxValue,
        });
        _api = new KommoApi(Account.BaseUrl, Account.LongLivedToken);
    }

    [OneTimeTearDown]
    public async Task StopSandbox()
    {
        _api.Dispose();
        await _sandbox.DisposeAsync();
    }

    [TestCase("/api/v4/account?with=amojo_id,amojo_rights,users_groups,task_types,version,datetime_settings", "account.json")]
    [TestCase("/api/v4/users?with=role,group", "users.json")]
    [TestCase("/api/v4/users/{user}", "user.json")]
    [TestCase("/api/v4/leads/pipelines", "pipelines.json")]
    [TestCase("/api/v4/leads/pipelines/{pipeline}", "pipeline.json")]
    [TestCase("/api/v4/leads/pipelines/{pipeline}/statuses", "statuses.json")]
    [TestCase("/api/v4/leads/pipelines/{pipeline}/statuses/142", "status.json")]
    [TestCase("/api/v4/leads?with=contacts,loss_reason&limit=250", "leads.json")]
    [TestCase("/api/v4/leads/{lost}?with=contacts,loss_reason,is_price_modified_by_robot", "lead.json")]
    [TestCase("/api/v4/leads?with=only_deleted", "leads.json")]
    [TestCase("/api/v4/leads/custom_fields", "custom_fields.json")]
    [TestCase("/api/v4/leads/custom_fields/{lead_field}", "custom_field.json")]
    [TestCase("/api/v4/contacts?with=leads&limit=250", "contacts.json")]
    [TestCase("/api/v4/contacts/{contact}?with=leads", "contact.json")]
    [TestCase("/api/v4/contacts/custom_fields", "custom_fields.json")]
    [TestCase("/api/v4/companies?with=contacts,leads", "companies.json")]
    [TestCase("/api/v4/companies/{company}", "company.json")]
    [TestCase("/api/v4/companies/custom_fields", "custom_fields.json")]
    [TestCase("/api/v4/tasks?limit=250", "tasks.json")]
    [TestCase("/api/v4/tasks/{task}", "task.json")]
    [TestCase("/api/v4/leads/notes?limit=250", "notes.json")]
    [TestCase("/api/v4/contacts/notes?filter[note_type][]=call_in&filter[note_type][]=call_out", "notes.json")]
    [TestCase("/api/v4/leads/{noted}/notes", "notes.json")]
    [TestCase("/api/v4/leads/notes/{note}", "note.json")]
    [TestCase("/api/v4/events?limit=100", "events.json")]
    [TestCase("/api/v4/events/{event}", "event.json")]
    public async Task Every_served_response_passes_the_schema_written_from_the_docs(string url, string schema)
    {
        var lost = Account.Leads().First(l => l.StatusId == KommoAccount.Lost && l.Deal.PersonId is not null && l.Deal.OrgId is not null);
        var note = Account.Notes().First(n => n.EntityType == "leads" && n.NoteType != "common");
        var place = new Dictionary<string, object>
        {
            ["{user}"] = Account.UserId(Account.Data.Users[1].Id), ["{pipeline}"] = Account.PipelineId(Account.Data.Pipelines[0].Id),
            ["{lost}"] = lost.Id, ["{lead_field}"] = Account.LeadFields[0].Id, ["{contact}"] = Account.ContactId(lost.Deal.PersonId!.Value),
            ["{company}"] = Account.CompanyId(lost.Deal.OrgId!.Value), ["{task}"] = Account.Tasks()[0].Id, ["{noted}"] = note.EntityId,
            ["{note}"] = note.Id, ["{event}"] = Account.Events()[^1].Id,
        };
        foreach (var (key, value) in place) url = url.Replace(key, Convert.ToString(value, CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var body = await _api.GetAsync(url, schema);

        if ((body["_page"] ?? body["_total_items"]) is not null)
            Assert.That(body["_embedded"]!.AsObject().Single().Value!.AsArray(), Is.Not.Empty, "a test of an empty list proves little");
    }

    [Test]
    public async Task Pages_follow_links_next_to_the_last_and_the_page_after_it_or_a_filter_matching_nothing_is_204()
    {
        var leads = await _api.AllPagesAsync("/api/v4/leads?limit=37", "leads", "leads.json");

        var live = Account.Leads().Where(l => !l.Deal.IsDeleted).Select(l => l.Id).ToList();
        Assert.That(leads.Select(l => Long(l, "id")), Is.EqualTo(live), "every live lead once, by id");
        Assert.That((await _api.SendAsync("/api/v4/leads?filter[id]=1", "leads.json")).Status, Is.EqualTo(204));
        Assert.That((await _api.SendAsync("/api/v4/leads/1", "lead.json")).Status, Is.EqualTo(204), "a lead that does not exist");
    }

    [Test]
    public async Task A_limit_over_250_silently_gives_250()
    {
        var page = await _api.GetAsync("/api/v4/leads?limit=1000", "leads.json");

        Assert.That(page["_embedded"]!["leads"]!.AsArray(), Has.Count.EqualTo(250));
        Assert.That(page["_links"]!["self"]!["href"]!.GetValue<string>(), Does.Contain("limit=250"));
        Assert.That(page["_links"]!["next"]!["href"]!.GetValue<string>(), Does.Contain("page=2"));
    }

    [Test]
    public async Task Filter_updated_at_picks_the_leads_changed_in_the_range_and_order_sorts_them()
    {
        var times = Account.Leads().Where(l => !l.Deal.IsDeleted).Select(l => new DateTimeOffset(l.Deal.UpdateTime).ToUnixTimeSeconds()).Order().ToList();
        var (from, to) = (times[times.Count / 3], times[2 * times.Count / 3]);

        var leads = await _api.AllPagesAsync($"/api/v4/leads?filter[updated_at][from]={from}&filter[updated_at][to]={to}&order[updated_at]=desc&limit=50", "leads", "leads.json");

        var updated = leads.Select(l => Long(l, "updated_at")).ToList();
        Assert.That(updated, Has.Count.EqualTo(times.Count(t => t >= from && t <= to)));
        Assert.That(updated, Is.All.InRange(from, to));
        Assert.That(updated, Is.Ordered.Descending);
        var byId = await _api.GetAsync("/api/v4/leads?order[id]=desc&limit=5", "leads.json");
        Assert.That(byId["_embedded"]!["leads"]!.AsArray().Select(l => Long(l!, "id")), Is.Ordered.Descending);
    }

    [Test]
    public async Task Each_pipeline_has_the_incoming_unsorted_status_its_stages_then_142_won_and_143_lost()
    {
        var pipelines = (await _api.GetAsync("/api/v4/leads/pipelines", "pipelines.json"))["_embedded"]!["pipelines"]!.AsArray();

        Assert.That(pipelines, Has.Count.EqualTo(Account.Data.Pipelines.Count).And.Count.GreaterThan(1));
        Assert.That(pipelines.Count(p => p!["is_main"]!.GetValue<bool>()), Is.EqualTo(1));
        foreach (var pipeline in pipelines)
        {
            var statuses = (await _api.GetAsync($"/api/v4/leads/pipelines/{Long(pipeline!, "id")}/statuses", "statuses.json"))["_embedded"]!["statuses"]!.AsArray();
            Assert.That(statuses.Select(s => Long(s!, "id")), Is.EqualTo(pipeline!["_embedded"]!["statuses"]!.AsArray().Select(s => Long(s!, "id"))));
            Assert.That(Long(statuses[0]!, "type"), Is.EqualTo(1), "Unsorted first");
            Assert.That(statuses.Skip(1).Select(s => Long(s!, "type")), Is.All.EqualTo(0));
            Assert.That(statuses.TakeLast(2).Select(s => Long(s!, "id")), Is.EqualTo(new[] { 142L, 143L }));
            Assert.That(statuses.Select(s => Long(s!, "sort")), Is.Ordered.Ascending);
        }
    }

    [Test]
    public async Task Leads_sit_in_unsorted_or_their_stages_or_closed_won_at_closed_at_or_lost_with_their_reason()
    {
        var unsorted = Account.Data.Pipelines.Select(p => Account.UnsortedStatusId(p.Id)).ToHashSet();
        var leads = await _api.AllPagesAsync("/api/v4/leads?with=loss_reason,contacts&limit=250", "leads", "leads.json");

        Assert.That(leads.Where(l => unsorted.Contains(Long(l, "status_id"))), Is.Not.Empty, "leads in Unsorted");
        var won = leads.Where(l => Long(l, "status_id") == KommoAccount.Won).ToList();
        var lost = leads.Where(l => Long(l, "status_id") == KommoAccount.Lost).ToList();
        Assert.That(won, Is.Not.Empty);
        Assert.That(won.Concat(lost).Select(l => l["closed_at"]), Is.All.Not.Null);
        Assert.That(leads.Except(won).Except(lost).Select(l => l["closed_at"]), Is.All.Null);
        Assert.That(lost, Is.Not.Empty);
        Assert.That(lost.Select(l => Long(l["_embedded"]!["loss_reason"]![0]!, "id")), Is.EqualTo(lost.Select(l => Long(l, "loss_reason_id"))));
        Assert.That(leads.Select(l => l["_embedded"]!["contacts"]!.AsArray().Count), Has.Some.EqualTo(1));
        var pipeline = Long(lost[0], "pipeline_id");
        var lostThere = await _api.AllPagesAsync($"/api/v4/leads?filter[statuses][0][pipeline_id]={pipeline}&filter[statuses][0][status_id]=143", "leads", "leads.json");
        Assert.That(lostThere.Select(l => Long(l, "id")), Is.EquivalentTo(lost.Where(l => Long(l, "pipeline_id") == pipeline).Select(l => Long(l, "id"))));
    }

    [Test]
    public async Task Events_come_at_most_100_a_page_and_filter_by_type_and_entity()
    {
        var page = await _api.GetAsync("/api/v4/events?limit=500", "events.json");
        var closes = await _api.AllPagesAsync("/api/v4/events?filter[type][]=lead_deleted&filter[type][]=lead_restored", "events", "events.json");
        var lead = closes[0]["entity_id"]!.GetValue<long>();
        var ofLead = await _api.AllPagesAsync($"/api/v4/events?filter[entity]=lead&filter[entity_id][]={lead}", "events", "events.json");

        Assert.That(page["_embedded"]!["events"]!.AsArray(), Has.Count.EqualTo(100));
        Assert.That(closes.Select(e => e["type"]!.GetValue<string>()).Distinct(), Is.EquivalentTo(new[] { "lead_deleted", "lead_restored" }));
        Assert.That(ofLead.Select(e => Long(e, "entity_id")), Is.All.EqualTo(lead));
        Assert.That(ofLead.Select(e => e["type"]!.GetValue<string>()), Does.Contain("lead_added"));
        Assert.That((await _api.SendAsync("/api/v4/events?filter[entity_id][]=1", "events.json")).Status, Is.EqualTo(400), "entity_id needs one entity");
        var pipeline = Account.PipelineId(Account.Data.Pipelines[0].Id);
        var wins = await _api.AllPagesAsync($"/api/v4/events?filter[type]=lead_status_changed&filter[value_after][leads_statuses][0][pipeline_id]={pipeline}"
            + "&filter[value_after][leads_statuses][0][status_id]=142", "events", "events.json");
        Assert.That(wins.Select(e => Status(e["value_after"]!)), Is.All.EqualTo((KommoAccount.Won, pipeline)));
    }

    [Test]
    public async Task The_status_change_events_of_each_lead_chain_up_to_its_current_status()
    {
        var leads = (await _api.AllPagesAsync("/api/v4/leads?limit=250", "leads", "leads.json")).ToDictionary(l => Long(l, "id"));
        var changes = await _api.AllPagesAsync("/api/v4/events?filter[type]=lead_status_changed&limit=100", "events", "events.json");

        var checkedLeads = 0;
        foreach (var group in changes.GroupBy(e => Long(e, "entity_id")).Where(g => leads.ContainsKey(g.Key)))
        {
            var chain = group.OrderBy(e => Long(e, "created_at")).ToList();
            for (var i = 1; i < chain.Count; i++)
                Assert.That(Status(chain[i]["value_before"]!), Is.EqualTo(Status(chain[i - 1]["value_after"]!)), $"lead {group.Key}");
            var lead = leads[group.Key];
            Assert.That(Status(chain[^1]["value_after"]!), Is.EqualTo((Long(lead, "status_id"), Long(lead, "pipeline_id"))), $"lead {group.Key}");
            if (Long(lead, "status_id") == KommoAccount.Won) Assert.That(Long(chain[^1], "created_at"), Is.EqualTo(Long(lead, "closed_at")));
            checkedLeads++;
        }
        Assert.That(checkedLeads, Is.GreaterThan(leads.Count / 3), "most leads moved at least once");
        var unsorted = Account.Data.Pipelines.Select(p => Account.UnsortedStatusId(p.Id)).ToHashSet();
        bool IsStage(long status) => status is not (KommoAccount.Won or KommoAccount.Lost) && !unsorted.Contains(status);
        var moves = changes.Select(e => (From: Status(e["value_before"]!).Status, To: Status(e["value_after"]!).Status)).Where(m => IsStage(m.From) && IsStage(m.To)).ToList();
        Assert.That(moves.Where(m => m.To < m.From), Is.Not.Empty, "some moved back");
        Assert.That(moves.Where(m => m.To > m.From + 1), Is.Not.Empty, "some skipped a stage");
    }

    [Test]
    public async Task Deleted_leads_leave_the_list_for_the_trash_with_lead_deleted_and_restored_ones_come_back_with_lead_restored()
    {
        var listed = (await _api.AllPagesAsync("/api/v4/leads?limit=250", "leads", "leads.json")).Select(l => Long(l, "id")).ToHashSet();
        var trash = await _api.AllPagesAsync("/api/v4/leads?with=only_deleted&limit=250", "leads", "leads.json");
        var trips = (await _api.AllPagesAsync("/api/v4/events?filter[type][]=lead_deleted&filter[type][]=lead_restored", "events", "events.json"))
            .GroupBy(e => Long(e, "entity_id")).ToDictionary(g => g.Key, g => g.OrderByDescending(e => Long(e, "created_at")).First());

        Assert.That(trash, Is.Not.Empty);
        Assert.That(trash.Select(l => l["is_deleted"]!.GetValue<bool>()), Is.All.True);
        Assert.That(trash.Select(l => Long(l, "id")), Is.EquivalentTo(trips.Where(t => t.Value["type"]!.GetValue<string>() == "lead_deleted").Select(t => t.Key)));
        Assert.That(trash.Select(l => Long(l, "id")).Where(listed.Contains), Is.Empty);
        Assert.That((await _api.SendAsync($"/api/v4/leads/{Long(trash[0], "id")}", "lead.json")).Status, Is.EqualTo(204));
        var restored = trips.Where(t => t.Value["type"]!.GetValue<string>() == "lead_restored").Select(t => t.Key).ToList();
        Assert.That(restored, Is.Not.Empty);
        Assert.That(restored.Where(listed.Contains), Is.EquivalentTo(restored), "restored leads are listed again");
    }

    [Test]
    public async Task Contacts_carry_several_emails_and_phones_as_field_values_with_their_codes_and_query_finds_them()
    {
        var contacts = await _api.AllPagesAsync("/api/v4/contacts?limit=250", "contacts", "contacts.json");

        List<JsonNode> Values(JsonNode contact, string code) =>
            contact["custom_fields_values"] is JsonArray fields ? [.. fields.Where(f => f!["field_code"]?.GetValue<string>() == code).SelectMany(f => f!["values"]!.AsArray()).Select(v => v!)] : [];
        var emails = contacts.First(c => Values(c, "EMAIL").Count >= 2);
        Assert.That(contacts.Where(c => Values(c, "PHONE").Count >= 2), Is.Not.Empty, "a contact with several phones");
        Assert.That(contacts.SelectMany(c => Values(c, "EMAIL")).Select(v => v["enum_code"]!.GetValue<string>()).Distinct(), Is.SubsetOf(new[] { "WORK", "PRIV", "OTHER" }));
        Assert.That(contacts.SelectMany(c => Values(c, "PHONE")).Select(v => v["enum_code"]!.GetValue<string>()).Distinct(), Is.SubsetOf(new[] { "WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER" }));
        var address = Values(emails, "EMAIL")[1]["value"]!.GetValue<string>();
        var found = await _api.GetAsync($"/api/v4/contacts?query={Uri.EscapeDataString(address)}", "contacts.json");
        Assert.That(found["_embedded"]!["contacts"]!.AsArray().Select(c => Long(c!, "id")), Does.Contain(Long(emails, "id")));
    }

    [Test]
    public async Task Tasks_are_done_with_or_without_a_result_or_planned_and_filter_is_completed_splits_them()
    {
        var all = await _api.AllPagesAsync("/api/v4/tasks?limit=250", "tasks", "tasks.json");
        var done = await _api.AllPagesAsync("/api/v4/tasks?filter[is_completed]=1&limit=250", "tasks", "tasks.json");
        var planned = await _api.AllPagesAsync("/api/v4/tasks?filter[is_completed]=0&limit=250", "tasks", "tasks.json");

        Assert.That(done.Select(t => t["is_completed"]!.GetValue<bool>()), Is.All.True);
        Assert.That(planned.Select(t => t["is_completed"]!.GetValue<bool>()), Is.All.False);
        Assert.That(done.Count + planned.Count, Is.EqualTo(all.Count));
        Assert.That(done.Where(t => t["result"] is JsonObject), Is.Not.Empty, "done with a result");
        Assert.That(planned.Select(t => t["result"]), Is.All.InstanceOf<JsonArray>(), "planned tasks have no result");
        Assert.That(all.Select(t => t["entity_type"]?.GetValue<string>()).Distinct(), Is.SupersetOf(new[] { "leads", "contacts" }));
        Assert.That(planned.Select(t => Long(t, "task_type_id")).Distinct().Count(), Is.GreaterThan(2));
    }

    [Test]
    public async Task Logged_calls_are_call_in_and_call_out_notes_with_their_events()
    {
        var calls = await _api.AllPagesAsync("/api/v4/leads/notes?filter[note_type]=call_in,call_out&limit=250", "notes", "notes.json");
        var events = await _api.AllPagesAsync("/api/v4/events?filter[type][]=incoming_call&filter[type][]=outgoing_call&filter[entity]=lead", "events", "events.json");

        Assert.That(calls.Select(n => n["note_type"]!.GetValue<string>()).Distinct(), Is.EquivalentTo(new[] { "call_in", "call_out" }));
        Assert.That(calls.Select(n => n["params"]!["duration"]!.GetValue<int>()), Is.All.GreaterThan(0));
        Assert.That(calls.Select(n => Long(n, "id")), Is.SubsetOf(events.Select(e => Long(e["value_after"]![0]!["note"]!, "id"))));
    }

    [Test]
    public async Task Injected_faults_break_answers_as_in_the_other_sandboxes()
    {
        var url = "/api/v4/leads?limit=5";
        try
        {
            _sandbox.Faults.AddServerErrors(1);
            Assert.That((await _api.SendAsync(url, "leads.json")).Status, Is.EqualTo(500));

            _sandbox.Faults.MissingFieldRate = 1;
            Assert.That(await ProblemsAsync(url), Has.One.EqualTo("$._embedded.leads[0]: missing required property 'id'"));
            _sandbox.Faults.Clear();
            _sandbox.Faults.WrongTypeRate = 1;
            Assert.That(await ProblemsAsync(url), Has.One.EqualTo("$._embedded.leads[0].id: expected integer, got object"));
            _sandbox.Faults.Clear();
            _sandbox.Faults.MalformedRate = 1;
            Assert.That(await ProblemsAsync(url), Has.One.StartsWith("$: the body is not valid JSON"));
            _sandbox.Faults.Clear();
            _sandbox.Faults.Revoked = true;
            Assert.That((await _api.SendAsync(url, "leads.json")).Status, Is.EqualTo(401));
        }
        finally
        {
            _sandbox.Faults.Clear();
        }
    }

    /// <summary>What is wrong with an answer, by the schema, read without the client's own checks.</summary>
    private async Task<IReadOnlyList<string>> ProblemsAsync(string url)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Account.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Account.LongLivedToken);
        return KommoSchemaTests.Schema("leads.json").Validate(await http.GetStringAsync(new Uri(url, UriKind.Relative)));
    }

    internal static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    private static (long Status, long Pipeline) Status(JsonNode values) =>
        (Long(values[0]!["lead_status"]!, "id"), Long(values[0]!["lead_status"]!, "pipeline_id"));
}
