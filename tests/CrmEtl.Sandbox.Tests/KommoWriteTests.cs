using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// Writes to the Kommo sandbox as a connector makes them (contacts-api.md, companies-api.md, leads-api.md, tasks-api.md,
/// events-and-notes.md), each answer checked against the JSON Schema written from the docs, then read back through
/// the GETs a sync uses: what was written is listed, found by query=, and in the events feed.
/// </summary>
[Parallelizable(ParallelScope.Children)] // each test has its own sandbox and clock
public sealed class KommoWriteTests
{
    private sealed record Writing(KommoSandbox Sandbox, KommoSteppedClock Clock, KommoApi Api) : IAsyncDisposable
    {
        public KommoAccount Account => Sandbox.Accounts[0];

        public static async Task<Writing> StartAsync(int requestsPerSecond = int.MaxValue)
        {
            var clock = new KommoSteppedClock();
            var sandbox = await KommoSandbox.StartAsync(new KommoSandboxOptions
            {
                Accounts = [new KommoAccountOptions { Subdomain = "acme", Seed = 4, Deals = 120, Activities = 200, LongLivedTokenLifetime = TimeSpan.FromDays(30) }],
                Clock = clock, AsOf = clock.GetUtcNow(), RequestsPerSecond = requestsPerSecond,
            });
            return new Writing(sandbox, clock, new KommoApi(sandbox.Accounts[0].BaseUrl, sandbox.Accounts[0].LongLivedToken));
        }

        /// <summary>An hour after the generated history: the Unix second the next write is made at.</summary>
        public long Later()
        {
            Clock.Advance(TimeSpan.FromHours(1));
            return Clock.GetUtcNow().ToUnixTimeSeconds();
        }

        public long UserId => Account.UserId(Account.Data.Users[1].Id);
        public long MainPipeline => Account.PipelineId(Account.Data.Pipelines[0].Id);
        /// <summary>A stage of a pipeline: its statuses are Unsorted, the stages, 142 and 143.</summary>
        public long Stage(int pipeline, int stage) => Account.StatusesOf(Account.Data.Pipelines[pipeline])[stage + 1].Id;
        public long Pipeline(int pipeline) => Account.PipelineId(Account.Data.Pipelines[pipeline].Id);

        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            await Sandbox.DisposeAsync();
        }
    }

    private static long Long(JsonNode node, string name) => KommoSandboxTests.Long(node, name);

    private static List<JsonNode> Embedded(JsonNode body, string name) => [.. body["_embedded"]![name]!.AsArray().Select(n => n!)];

    private static IEnumerable<string> Values(JsonNode record, string fieldCode) =>
        record["custom_fields_values"]?.AsArray().Where(f => f!["field_code"]?.GetValue<string>() == fieldCode)
            .SelectMany(f => f!["values"]!.AsArray().Select(v => v!["value"]!.GetValue<string>())) ?? [];

    private static (string Code, string Path) FirstError(KommoAnswer answer)
    {
        var error = answer.Body!["validation-errors"]![0]!["errors"]![0]!;
        return (error["code"]!.GetValue<string>(), error["path"]!.GetValue<string>());
    }

    // ---- contacts -------------------------------------------------------------------------------------------------------

    [Test]
    public async Task A_contact_added_is_listed_and_found_by_query_on_its_email_and_on_its_phone()
    {
        await using var kommo = await Writing.StartAsync();
        var at = kommo.Later();

        var added = await kommo.Api.PostAsync("/api/v4/contacts", $$"""
            [{
              "first_name": "Aino", "last_name": "Virtanen", "responsible_user_id": {{kommo.UserId}}, "request_id": "crm-7",
              "custom_fields_values": [
                { "field_code": "EMAIL", "values": [{ "value": "aino.virtanen@writes.example", "enum_code": "WORK" }] },
                { "field_code": "PHONE", "values": [{ "value": "+358 50 765 4321", "enum_code": "MOB" }, { "value": "+358 9 111 2222", "enum_code": "WORKDD" }] }
              ],
              "_embedded": { "tags": [{ "name": "Imported" }] }
            }]
            """, "contacts_added.json");
        var id = Long(Embedded(added, "contacts")[0], "id");
        var byEmail = await kommo.Api.GetAsync("/api/v4/contacts?query=aino.virtanen@writes.example", "contacts.json");
        var byPhone = await kommo.Api.GetAsync("/api/v4/contacts?query=50 765 4321", "contacts.json");
        var contact = await kommo.Api.GetAsync($"/api/v4/contacts/{id}", "contact.json");

        Assert.That(Embedded(added, "contacts")[0]["request_id"]!.GetValue<string>(), Is.EqualTo("crm-7"));
        Assert.That(Embedded(byEmail, "contacts").Select(c => Long(c, "id")), Is.EqualTo(new[] { id }));
        Assert.That(Embedded(byPhone, "contacts").Select(c => Long(c, "id")), Is.EqualTo(new[] { id }));
        Assert.That(contact["name"]!.GetValue<string>(), Is.EqualTo("Aino Virtanen"));
        Assert.That((Long(contact, "created_at"), Long(contact, "updated_at"), Long(contact, "responsible_user_id")), Is.EqualTo((at, at, kommo.UserId)));
        Assert.That(Values(contact, "PHONE"), Is.EqualTo(new[] { "+358 50 765 4321", "+358 9 111 2222" }));
        Assert.That(contact["custom_fields_values"]!.AsArray().First(f => f!["field_code"]!.GetValue<string>() == "PHONE")!["values"]!.AsArray()
            .Select(v => v!["enum_code"]!.GetValue<string>()), Is.EqualTo(new[] { "MOB", "WORKDD" }));
        Assert.That(contact["_embedded"]!["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "Imported" }));
        Assert.That(kommo.Account.Contacts().Select(c => kommo.Account.ContactId(c.Id)), Does.Contain(id), "the truth view has it too");
        Assert.That(kommo.Sandbox.WritesTo("acme"), Is.EqualTo(new Dictionary<string, int> { ["POST /api/v4/contacts"] = 1 }));
    }

    [Test]
    public async Task An_email_kommo_would_not_deliver_to_is_kept_as_sent_because_kommo_checks_no_format()
    {
        await using var kommo = await Writing.StartAsync();

        var added = await kommo.Api.PostAsync("/api/v4/contacts", """
            [{ "name": "No Mail", "custom_fields_values": [{ "field_code": "EMAIL", "values": [{ "value": "not an e-mail" }] }] }]
            """, "contacts_added.json");
        var contact = await kommo.Api.GetAsync($"/api/v4/contacts/{Long(Embedded(added, "contacts")[0], "id")}", "contact.json");

        Assert.That(Values(contact, "EMAIL"), Is.EqualTo(new[] { "not an e-mail" }));
        Assert.That((contact["first_name"]!.GetValue<string>(), contact["last_name"]!.GetValue<string>()), Is.EqualTo(("No", "Mail")), "a name alone is split");
    }

    [Test]
    public async Task A_contact_patched_by_id_and_in_a_batch_gets_its_new_values_and_updated_at_and_an_unknown_id_is_refused()
    {
        await using var kommo = await Writing.StartAsync();
        var (first, second) = (kommo.Account.Contacts()[0], kommo.Account.Contacts()[1]);
        var (firstId, secondId) = (kommo.Account.ContactId(first.Id), kommo.Account.ContactId(second.Id));
        var at = kommo.Later();

        var one = await kommo.Api.PatchAsync($"/api/v4/contacts/{firstId}", """
            { "last_name": "Renamed", "custom_fields_values": [{ "field_code": "EMAIL", "values": [{ "value": "renamed@writes.example", "enum_code": "PRIV" }] }] }
            """, "record_updated.json");
        var batch = await kommo.Api.PatchAsync("/api/v4/contacts", $$"""[{ "id": {{secondId}}, "first_name": "Batched" }]""", "contacts_updated.json");
        var unknown = await kommo.Api.WriteAsync(HttpMethod.Patch, "/api/v4/contacts", """[{ "id": 1, "first_name": "Nobody" }]""", "contacts_updated.json");
        var found = await kommo.Api.GetAsync("/api/v4/contacts?query=renamed@writes.example", "contacts.json");
        var changed = await kommo.Api.GetAsync($"/api/v4/contacts?filter[updated_at][from]={at}", "contacts.json");

        Assert.That((Long(one, "id"), Long(one, "updated_at")), Is.EqualTo((firstId, at)));
        Assert.That(Embedded(batch, "contacts")[0]["name"]!.GetValue<string>(), Is.EqualTo($"Batched {second.LastName}"));
        Assert.That(Embedded(found, "contacts")[0]["last_name"]!.GetValue<string>(), Is.EqualTo("Renamed"));
        Assert.That(Embedded(changed, "contacts").Select(c => Long(c, "id")), Is.EquivalentTo(new[] { firstId, secondId }));
        Assert.That((unknown.Status, FirstError(unknown)), Is.EqualTo((400, ("NotFound", "id"))));
    }

    // ---- companies ------------------------------------------------------------------------------------------------------

    [Test]
    public async Task A_company_added_and_patched_is_listed_with_the_phone_and_name_written()
    {
        await using var kommo = await Writing.StartAsync();
        var at = kommo.Later();

        var added = await kommo.Api.PostAsync("/api/v4/companies", """
            [{ "name": "Rauta Oy", "custom_fields_values": [{ "field_code": "PHONE", "values": [{ "value": "+358 9 555 0100", "enum_code": "WORK" }] }] }]
            """, "companies_added.json");
        var id = Long(Embedded(added, "companies")[0], "id");
        kommo.Clock.Advance(TimeSpan.FromMinutes(1));
        var patched = await kommo.Api.PatchAsync("/api/v4/companies", $$"""[{ "id": {{id}}, "name": "Rauta Group Oy" }]""", "companies_updated.json");
        var listed = await kommo.Api.GetAsync($"/api/v4/companies?filter[updated_at][from]={at}", "companies.json");

        var company = Embedded(listed, "companies").Single();
        Assert.That((Long(company, "id"), company["name"]!.GetValue<string>()), Is.EqualTo((id, "Rauta Group Oy")));
        Assert.That((Long(company, "created_at"), Long(company, "updated_at")), Is.EqualTo((at, at + 60)));
        Assert.That(Long(Embedded(patched, "companies")[0], "updated_at"), Is.EqualTo(at + 60));
        Assert.That(Values(company, "PHONE"), Is.EqualTo(new[] { "+358 9 555 0100" }));

        // query= searches the filled fields: the phone written (by its digits too) and the e-mail generated.
        var email = Values(company, "EMAIL").Single();
        foreach (var term in new[] { "+358 9 555 0100", "3589555", email.ToUpperInvariant() })
            Assert.That(Embedded(await kommo.Api.GetAsync($"/api/v4/companies?query={Uri.EscapeDataString(term)}", "companies.json"), "companies").Select(c => Long(c, "id")),
                Is.EqualTo(new[] { id }), term);
    }

    // ---- leads ----------------------------------------------------------------------------------------------------------

    [Test]
    public async Task A_lead_added_in_a_stage_then_patched_to_another_is_listed_there_with_its_lead_added_and_lead_status_changed_events()
    {
        await using var kommo = await Writing.StartAsync();
        var (pipeline, from, to) = (kommo.MainPipeline, kommo.Stage(0, 0), kommo.Stage(0, 2));
        var contact = kommo.Account.ContactId(kommo.Account.Contacts()[0].Id);
        var added_at = kommo.Later();

        var added = await kommo.Api.PostAsync("/api/v4/leads", $$"""
            [{ "name": "Pilot for Rauta", "price": 12000, "pipeline_id": {{pipeline}}, "status_id": {{from}}, "responsible_user_id": {{kommo.UserId}},
               "_embedded": { "tags": [{ "name": "Hot" }], "contacts": [{ "id": {{contact}} }] } }]
            """, "leads_added.json");
        var id = Long(Embedded(added, "leads")[0], "id");
        kommo.Clock.Advance(TimeSpan.FromMinutes(10));
        var patched = await kommo.Api.PatchAsync($"/api/v4/leads/{id}", $$"""{ "status_id": {{to}}, "pipeline_id": {{pipeline}}, "price": 15000 }""", "record_updated.json");
        var lead = await kommo.Api.GetAsync($"/api/v4/leads/{id}?with=contacts", "lead.json");
        var listed = await kommo.Api.GetAsync($"/api/v4/leads?filter[updated_at][from]={added_at + 600}", "leads.json");
        var events = await kommo.Api.AllPagesAsync($"/api/v4/events?filter[entity]=lead&filter[entity_id]={id}", "events", "events.json");

        Assert.That((Long(lead, "status_id"), Long(lead, "pipeline_id"), Long(lead, "price")), Is.EqualTo((to, pipeline, 15000L)));
        Assert.That((Long(lead, "created_at"), Long(lead, "updated_at"), Long(patched, "updated_at")), Is.EqualTo((added_at, added_at + 600, added_at + 600)));
        Assert.That(lead["name"]!.GetValue<string>(), Is.EqualTo("Pilot for Rauta"));
        Assert.That(Long(lead["_embedded"]!["contacts"]![0]!, "id"), Is.EqualTo(contact));
        Assert.That(lead["_embedded"]!["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "Hot" }));
        Assert.That(Embedded(listed, "leads").Select(l => Long(l, "id")), Is.EqualTo(new[] { id }));
        Assert.That(events.Select(e => (e["type"]!.GetValue<string>(), Long(e, "created_at"))),
            Is.EqualTo(new[] { ("lead_status_changed", added_at + 600), ("lead_added", added_at) }), "newest first");
        var change = events[0];
        Assert.That((Long(change["value_before"]![0]!["lead_status"]!, "id"), Long(change["value_after"]![0]!["lead_status"]!, "id")), Is.EqualTo((from, to)));
        Assert.That(kommo.Account.Leads().Single(l => l.Id == id).StatusId, Is.EqualTo(to), "the truth view agrees");
    }

    [Test]
    public async Task A_lead_moved_to_another_pipeline_and_then_won_has_both_moves_in_the_feed_with_their_pipelines()
    {
        await using var kommo = await Writing.StartAsync();
        var lead = kommo.Account.Leads().First(l => !l.Deal.IsDeleted && l.Deal.Status == "open" && l.PipelineId == kommo.MainPipeline);
        var (other, stage) = (kommo.Pipeline(1), kommo.Stage(1, 1));
        var at = kommo.Later();

        await kommo.Api.PatchAsync("/api/v4/leads", $$"""[{ "id": {{lead.Id}}, "pipeline_id": {{other}}, "status_id": {{stage}} }]""", "leads_updated.json");
        kommo.Clock.Advance(TimeSpan.FromSeconds(30));
        await kommo.Api.PatchAsync("/api/v4/leads", $$"""[{ "id": {{lead.Id}}, "status_id": 142 }]""", "leads_updated.json");
        var read = await kommo.Api.GetAsync($"/api/v4/leads/{lead.Id}", "lead.json");
        var events = await kommo.Api.AllPagesAsync($"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead.Id}&filter[created_at][from]={at}", "events", "events.json");

        (long, long) Status(JsonNode e, string side) => (Long(e[side]![0]!["lead_status"]!, "id"), Long(e[side]![0]!["lead_status"]!, "pipeline_id"));
        Assert.That((Long(read, "status_id"), Long(read, "pipeline_id"), Long(read, "closed_at")), Is.EqualTo((KommoAccount.Won, other, at + 30)));
        Assert.That(events.Select(e => (Status(e, "value_before"), Status(e, "value_after"))), Is.EqualTo(new[]
        {
            ((stage, other), (KommoAccount.Won, other)),
            ((lead.StatusId, kommo.MainPipeline), (stage, other)),
        }));
    }

    [Test]
    public async Task Lead_fields_written_by_enum_id_and_by_text_are_read_back_and_an_unknown_option_is_refused_at_its_path()
    {
        await using var kommo = await Writing.StartAsync();
        var select = kommo.Account.LeadFields.First(f => f.Type == "select");
        var text = kommo.Account.LeadFields.First(f => f.Type == "text");
        var option = select.Enums![^1];

        var added = await kommo.Api.PostAsync("/api/v4/leads", $$"""
            [{ "name": "Fields", "custom_fields_values": [
                { "field_id": {{select.Id}}, "values": [{ "enum_id": {{option.Id}} }] },
                { "field_id": {{text.Id}}, "values": [{ "value": "Наш первый клиент" }] } ] }]
            """, "leads_added.json");
        var lead = await kommo.Api.GetAsync($"/api/v4/leads/{Long(Embedded(added, "leads")[0], "id")}", "lead.json");
        var refused = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/leads",
            $$"""[{ "custom_fields_values": [{ "field_id": {{select.Id}}, "values": [{ "value": "No such option" }] }] }]""", "leads_added.json");

        var fields = lead["custom_fields_values"]!.AsArray().ToDictionary(f => Long(f!, "field_id"), f => f!["values"]![0]!);
        Assert.That((Long(fields[select.Id], "enum_id"), fields[select.Id]["value"]!.GetValue<string>()), Is.EqualTo((option.Id, option.Value)));
        Assert.That(fields[text.Id]["value"]!.GetValue<string>(), Is.EqualTo("Наш первый клиент"));
        Assert.That(FirstError(refused), Is.EqualTo(("NotSupportedChoice", "custom_fields_values.0.values.0.value")));
    }

    [Test]
    public async Task A_lead_patched_to_lost_with_a_loss_reason_and_tags_added_and_deleted_as_the_docs_example_does_reads_back_so()
    {
        await using var kommo = await Writing.StartAsync();
        var added = await kommo.Api.PostAsync("/api/v4/leads", """[{ "name": "To lose", "tags_to_add": [{ "name": "Первый тег" }] }]""", "leads_added.json");
        var id = Long(Embedded(added, "leads")[0], "id");
        var reason = kommo.Account.LossReasons[^1];
        var at = kommo.Later();

        await kommo.Api.PatchAsync("/api/v4/leads", $$"""
            [{ "id": {{id}}, "pipeline_id": {{kommo.MainPipeline}}, "status_id": 143, "loss_reason_id": {{reason.Id}}, "updated_by": 0,
               "tags_to_add": [{ "name": "Второй тег" }], "tags_to_delete": [{ "name": "Первый тег" }] }]
            """, "leads_updated.json");
        var lead = await kommo.Api.GetAsync($"/api/v4/leads/{id}?with=loss_reason", "lead.json");
        var array = await kommo.Api.WriteAsync(HttpMethod.Patch, $"/api/v4/leads/{id}", $$"""[{ "id": {{id}} }]""", "record_updated.json");

        Assert.That((Long(lead, "status_id"), Long(lead, "closed_at"), Long(lead, "loss_reason_id")), Is.EqualTo((KommoAccount.Lost, at, reason.Id)));
        Assert.That(lead["_embedded"]!["loss_reason"]![0]!["name"]!.GetValue<string>(), Is.EqualTo(reason.Name));
        Assert.That(lead["_embedded"]!["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "Второй тег" }));
        Assert.That(array.Status, Is.EqualTo(400), "a PATCH of one lead takes the lead, not an array");
    }

    [Test]
    public async Task An_unknown_status_is_refused_with_a_400_problem_naming_the_field_and_nothing_is_written()
    {
        await using var kommo = await Writing.StartAsync();
        var before = kommo.Account.Leads().Count;

        var answer = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/leads", $$"""
            [{ "name": "Fine", "request_id": "a" }, { "name": "Lost in space", "status_id": 999, "pipeline_id": {{kommo.MainPipeline}}, "request_id": "b" }]
            """, "leads_added.json");

        Assert.That((answer.Status, answer.Body!["detail"]!.GetValue<string>()), Is.EqualTo((400, "Request validation failed")));
        Assert.That(answer.Body!["validation-errors"]!.AsArray().Select(r => r!["request_id"]!.GetValue<string>()), Is.EqualTo(new[] { "b" }));
        Assert.That(FirstError(answer), Is.EqualTo(("NotSupportedChoice", "status_id")));
        Assert.That(kommo.Account.Leads(), Has.Count.EqualTo(before), "a batch with an invalid record is refused whole");
    }

    [Test]
    public async Task Unknown_pipelines_fields_and_a_missing_task_text_are_each_named_by_their_path()
    {
        await using var kommo = await Writing.StartAsync();

        var pipeline = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/leads", """[{ "pipeline_id": 1 }]""", "leads_added.json");
        var field = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/contacts", """
            [{ "name": "X", "custom_fields_values": [{ "field_id": 1, "values": [{ "value": "?" }] }] }]
            """, "contacts_added.json");
        var task = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/tasks", """[{ "task_type_id": 1 }]""", "tasks_added.json");

        Assert.That(FirstError(pipeline), Is.EqualTo(("NotSupportedChoice", "pipeline_id")));
        Assert.That(FirstError(field), Is.EqualTo(("NotSupportedChoice", "custom_fields_values.0.field_id")), "as error-codes.md's example");
        Assert.That(task.Body!["validation-errors"]![0]!["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()),
            Is.EqualTo(new[] { "text", "complete_till" }), "tasks-api.md: text and complete_till are required");
    }

    [Test]
    public async Task A_body_that_is_not_an_array_and_a_body_that_is_not_json_are_refused_with_400()
    {
        await using var kommo = await Writing.StartAsync();

        var one = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/leads", """{ "name": "not in an array" }""", "leads_added.json");
        var broken = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/contacts", """[{ "name": """, "contacts_added.json");

        Assert.That((one.Status, one.Body!["detail"]!.GetValue<string>()), Is.EqualTo((400, "The body must be a JSON array of leads, not an object.")));
        Assert.That(broken.Status, Is.EqualTo(400));
    }

    // ---- complex --------------------------------------------------------------------------------------------------------

    private static string ComplexLead(string name, string email, string phone, string requestId, string company = "Uusi Oy") => $$"""
        { "name": "{{name}}", "price": 500, "request_id": "{{requestId}}",
          "_embedded": {
            "contacts": [{ "first_name": "{{name}}", "custom_fields_values": [
              { "field_code": "EMAIL", "values": [{ "enum_code": "WORK", "value": "{{email}}" }] },
              { "field_code": "PHONE", "values": [{ "enum_code": "WORK", "value": "{{phone}}" }] } ] }],
            "companies": [{ "name": "{{company}}" }] } }
        """;

    /// <summary>A contact whose e-mail no other contact has, and whether it is the main contact of an open lead in the main pipeline.</summary>
    private static SbPerson UniqueContact(Writing kommo, bool withOpenLead)
    {
        var contacts = kommo.Account.Contacts();
        var leads = kommo.Account.Leads();
        return contacts.First(p => p.Emails.Count > 0
            && contacts.Count(o => o.Emails.Exists(e => string.Equals(e.Value, p.Emails[0].Value, StringComparison.OrdinalIgnoreCase))) == 1
            && leads.Any(l => !l.Deal.IsDeleted && l.Deal.Status == "open" && l.Deal.PersonId == p.Id && l.PipelineId == kommo.MainPipeline) == withOpenLead);
    }

    [Test]
    public async Task Complex_add_with_duplicate_control_off_makes_a_new_lead_contact_and_company_linked_together()
    {
        await using var kommo = await Writing.StartAsync();
        var existing = UniqueContact(kommo, withOpenLead: false);
        var contacts = kommo.Account.Contacts().Count;

        var answer = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/leads/complex", $"[{ComplexLead("Eero", existing.Emails[0].Value, "+358 40 000 0001", "qweasd")}]", "leads_complex.json");
        var result = answer.Body![0]!;
        var contact = await kommo.Api.GetAsync($"/api/v4/contacts/{Long(result, "contact_id")}", "contact.json");
        var lead = await kommo.Api.GetAsync($"/api/v4/leads/{Long(result, "id")}?with=contacts", "lead.json");

        Assert.That(answer.ContentType, Is.EqualTo("application/hal+json"));
        Assert.That((result["merged"]!.GetValue<bool>(), result["request_id"]!.AsArray().Select(r => r!.GetValue<string>()).Single()), Is.EqualTo((false, "qweasd")));
        Assert.That(kommo.Account.Contacts(), Has.Count.EqualTo(contacts + 1));
        Assert.That(Long(result, "contact_id"), Is.Not.EqualTo(kommo.Account.ContactId(existing.Id)));
        Assert.That(Long(contact["_embedded"]!["companies"]![0]!, "id"), Is.EqualTo(Long(result, "company_id")), "the new contact and company are linked");
        Assert.That((Long(lead["_embedded"]!["contacts"]![0]!, "id"), Long(lead["_embedded"]!["companies"]![0]!, "id")),
            Is.EqualTo((Long(result, "contact_id"), Long(result, "company_id"))));
    }

    [Test]
    public async Task Complex_add_with_duplicate_control_on_merges_a_contact_with_a_known_email_into_the_existing_one()
    {
        await using var kommo = await Writing.StartAsync();
        var existing = UniqueContact(kommo, withOpenLead: false);
        var contacts = kommo.Account.Contacts().Count;
        var leads = kommo.Account.Leads().Count;
        kommo.Sandbox.SetDuplicateControl("acme", on: true);

        var result = (await kommo.Api.PostAsync("/api/v4/leads/complex",
            $"[{ComplexLead("Eero", existing.Emails[0].Value.ToUpperInvariant(), "+358 40 000 0001", "dup")}]", "leads_complex.json")).AsArray()[0]!;

        Assert.That((Long(result, "contact_id"), result["merged"]!.GetValue<bool>()), Is.EqualTo((kommo.Account.ContactId(existing.Id), true)));
        Assert.That(kommo.Account.Contacts(), Has.Count.EqualTo(contacts), "no new contact");
        Assert.That(kommo.Account.Leads(), Has.Count.EqualTo(leads + 1), "the contact had no open lead to merge into: a new lead on it");
        Assert.That(kommo.Account.Leads().Single(l => l.Id == Long(result, "id")).Deal.PersonId, Is.EqualTo(existing.Id));
    }

    [Test]
    public async Task Complex_add_with_duplicate_control_on_merges_into_the_open_lead_whose_main_contact_has_the_phone()
    {
        await using var kommo = await Writing.StartAsync();
        var existing = UniqueContact(kommo, withOpenLead: true);
        var open = kommo.Account.Leads().Where(l => !l.Deal.IsDeleted && l.Deal.Status == "open" && l.Deal.PersonId == existing.Id && l.PipelineId == kommo.MainPipeline)
            .MaxBy(l => l.Deal.AddTime)!;
        var leads = kommo.Account.Leads().Count;
        kommo.Sandbox.SetDuplicateControl("acme", on: true);
        var at = kommo.Later();

        var result = (await kommo.Api.PostAsync("/api/v4/leads/complex",
            $"[{ComplexLead("Eero", "someone.new@writes.example", existing.Phones[0].Value.Replace(" ", "", StringComparison.Ordinal), "dup")}]", "leads_complex.json")).AsArray()[0]!;
        var lead = await kommo.Api.GetAsync($"/api/v4/leads/{open.Id}", "lead.json");

        Assert.That((Long(result, "id"), Long(result, "contact_id"), result["merged"]!.GetValue<bool>()), Is.EqualTo((open.Id, kommo.Account.ContactId(existing.Id), true)));
        Assert.That(kommo.Account.Leads(), Has.Count.EqualTo(leads), "no new lead");
        Assert.That((lead["name"]!.GetValue<string>(), Long(lead, "updated_at")), Is.EqualTo((open.Deal.Title, at)), "its data kept, updated now");
    }

    [Test]
    public async Task Complex_add_refuses_more_than_50_leads_and_more_than_one_contact_a_lead()
    {
        await using var kommo = await Writing.StartAsync();
        var leads = kommo.Account.Leads().Count;

        var many = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/leads/complex",
            "[" + string.Join(",", Enumerable.Range(0, 51).Select(i => $$"""{ "name": "Lead {{i}}" }""")) + "]", "leads_complex.json");
        var two = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/leads/complex",
            """[{ "name": "Two", "_embedded": { "contacts": [{ "name": "A" }, { "name": "B" }] } }]""", "leads_complex.json");
        var fifty = await kommo.Api.PostAsync("/api/v4/leads/complex",
            "[" + string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{ "name": "Lead {{i}}" }""")) + "]", "leads_complex.json");

        Assert.That(many.Status, Is.EqualTo(400));
        Assert.That(many.Body!["detail"]!.GetValue<string>(), Does.StartWith("За один запрос можно передать не более 50 сделок"));
        Assert.That((two.Status, FirstError(two)), Is.EqualTo((400, ("TooManyElements", "_embedded.contacts"))));
        Assert.That(fifty.AsArray(), Has.Count.EqualTo(50));
        Assert.That(kommo.Account.Leads(), Has.Count.EqualTo(leads + 50));
    }

    // ---- tasks and notes ------------------------------------------------------------------------------------------------

    [Test]
    public async Task A_task_added_on_a_lead_is_listed_with_its_text_due_time_and_type()
    {
        await using var kommo = await Writing.StartAsync();
        var lead = kommo.Account.Leads().First(l => !l.Deal.IsDeleted);
        var at = kommo.Later();
        var due = at + 86_400;

        var added = await kommo.Api.PostAsync("/api/v4/tasks", $$"""
            [{ "task_type_id": 2, "text": "Meet the buyer", "complete_till": {{due}}, "entity_id": {{lead.Id}}, "entity_type": "leads", "request_id": "example" }]
            """, "tasks_added.json");
        var id = Long(Embedded(added, "tasks")[0], "id");
        var listed = await kommo.Api.AllPagesAsync($"/api/v4/tasks?filter[entity_type]=leads&filter[entity_id]={lead.Id}", "tasks", "tasks.json");
        var read = await kommo.Api.GetAsync($"/api/v4/leads/{lead.Id}", "lead.json");

        var task = listed.Single(t => Long(t, "id") == id);
        Assert.That((task["text"]!.GetValue<string>(), Long(task, "complete_till"), Long(task, "task_type_id"), task["is_completed"]!.GetValue<bool>()),
            Is.EqualTo(("Meet the buyer", due, 2L, false)));
        Assert.That((Long(task, "created_at"), Long(task, "entity_id")), Is.EqualTo((at, lead.Id)));
        Assert.That(Long(read, "closest_task_at"), Is.LessThanOrEqualTo(due));
        Assert.That(kommo.Account.Tasks().Select(t => t.Id), Does.Contain(id));
    }

    [Test]
    public async Task A_common_note_added_on_a_contact_is_listed_among_its_notes()
    {
        await using var kommo = await Writing.StartAsync();
        var contact = kommo.Account.ContactId(kommo.Account.Contacts()[2].Id);

        var added = await kommo.Api.PostAsync("/api/v4/contacts/notes",
            $$"""[{ "entity_id": {{contact}}, "note_type": "common", "params": { "text": "Prefers e-mail" } }]""", "notes_added.json");
        var notes = await kommo.Api.AllPagesAsync($"/api/v4/contacts/{contact}/notes", "notes", "notes.json");

        var id = Long(Embedded(added, "notes")[0], "id");
        var note = notes.Single(n => Long(n, "id") == id);
        Assert.That((note["note_type"]!.GetValue<string>(), note["params"]!["text"]!.GetValue<string>()), Is.EqualTo(("common", "Prefers e-mail")));
    }

    [Test]
    public async Task Calls_logged_as_notes_as_the_docs_example_sends_them_are_listed_and_in_the_events_feed()
    {
        await using var kommo = await Writing.StartAsync();
        var lead = kommo.Account.Leads().First(l => !l.Deal.IsDeleted);
        var at = kommo.Later();

        var added = await kommo.Api.PostAsync($"/api/v4/leads/{lead.Id}/notes", $$"""
            [{ "note_type": "call_in", "created_by": 0, "responsible_user_id": {{kommo.UserId}},
               "params": { "uniq": "8f52d38a-5fb3-406d-93a3-a4832dc28f8b", "duration": 60, "source": "onlinePBX", "link": "https://example.com", "phone": "+79999999999" } }]
            """, "notes_added.json");
        var id = Long(Embedded(added, "notes")[0], "id");
        var notes = await kommo.Api.AllPagesAsync($"/api/v4/leads/notes?filter[note_type]=call_in&filter[entity_id]={lead.Id}", "notes", "notes.json");
        var events = await kommo.Api.AllPagesAsync($"/api/v4/events?filter[type]=incoming_call&filter[created_at][from]={at}", "events", "events.json");

        Assert.That((Long(Embedded(added, "notes")[0], "entity_id"), notes.Single(n => Long(n, "id") == id)["params"]!["duration"]!.GetValue<long>()), Is.EqualTo((lead.Id, 60L)));
        Assert.That(events.Select(e => (Long(e, "entity_id"), Long(e["value_after"]![0]!["note"]!, "id"))), Is.EqualTo(new[] { (lead.Id, id) }));
    }

    [Test]
    public async Task Duplicate_control_is_switched_through_the_control_endpoint_as_a_separate_process_would()
    {
        await using var kommo = await Writing.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(kommo.Account.BaseUrl) };

        using var on = await http.PostAsync(new Uri("/_sandbox/kommo/duplicate-control?on=true", UriKind.Relative), null);
        var switchedOn = kommo.Account.DuplicateControl;
        using var off = await http.PostAsync(new Uri("/_sandbox/kommo/duplicate-control?on=false", UriKind.Relative), null);

        Assert.That((switchedOn, kommo.Account.DuplicateControl), Is.EqualTo((true, false)));
        Assert.That(await on.Content.ReadAsStringAsync(), Is.EqualTo("""{"duplicate_control":true}"""));
    }

    // ---- limits and faults ----------------------------------------------------------------------------------------------

    [Test]
    public async Task Writes_count_against_the_same_seven_requests_a_second_and_the_eighth_gets_429()
    {
        await using var kommo = await Writing.StartAsync(requestsPerSecond: 7);

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++) statuses.Add((await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/contacts", $$"""[{ "name": "Rate {{i}}" }]""", "contacts_added.json")).Status);
        for (var i = 0; i < 3; i++) statuses.Add((await kommo.Api.SendAsync("/api/v4/leads?limit=1", "leads.json")).Status);
        var eighth = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/contacts", """[{ "name": "Too many" }]""", "contacts_added.json");
        kommo.Clock.Advance(TimeSpan.FromSeconds(1));
        var next = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/contacts", """[{ "name": "Next second" }]""", "contacts_added.json");

        Assert.That(statuses, Is.EqualTo(Enumerable.Repeat(200, 7)));
        Assert.That((eighth.Status, eighth.Body!["detail"]!.GetValue<string>()), Is.EqualTo((429, "Превышено допустимое количество запросов в секунду")));
        Assert.That(next.Status, Is.EqualTo(200));
        Assert.That(kommo.Account.Contacts().Count(c => c.FirstName is "Rate" or "Too" or "Next"), Is.EqualTo(5), "the refused write made nothing");
    }

    [Test]
    public async Task An_unpaid_account_refuses_writes_with_402_and_a_lost_answer_loses_only_the_answer()
    {
        await using var kommo = await Writing.StartAsync();

        kommo.Account.Unpaid = true;
        var unpaid = await kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/contacts", """[{ "name": "Unpaid" }]""", "contacts_added.json");
        kommo.Account.Unpaid = false;
        kommo.Sandbox.Faults.LoseWriteAnswers(1);
        Assert.ThrowsAsync<HttpRequestException>(() => kommo.Api.WriteAsync(HttpMethod.Post, "/api/v4/contacts", """[{ "name": "Lost Answer" }]""", "contacts_added.json"));

        Assert.That(unpaid.Status, Is.EqualTo(402));
        Assert.That(kommo.Account.Contacts().Count(c => c.Name == "Unpaid"), Is.Zero);
        Assert.That(kommo.Account.Contacts().Count(c => c.Name == "Lost Answer"), Is.EqualTo(1), "the write was made before its answer was lost");
    }
}
