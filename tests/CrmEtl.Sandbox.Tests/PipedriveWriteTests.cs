using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Testing;
using CrmEtl.Testing.OpenApi;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// The writes a web form makes in Pipedrive (persons, organizations, deals, activities) and the searches it checks for
/// duplicates with: each request and answer as the v2 spec has them, new records found and listed at once, a deal's
/// stage move in its changelog and webhooks, validation errors as Pipedrive words them, every write charged.
/// </summary>
public sealed class PipedriveWriteTests
{
    private static readonly string V2Path = Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", "v2-openapi.yml");
    private static OpenApiSpec V2 => OpenApiSpec.Load(V2Path);
    private static OpenApiSpec V1 => OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", "v1-openapi.yml"));

    private PipedriveSandbox _sandbox = null!;
    private HttpClient _http = null!;
    private PipedriveCompany Company => _sandbox.Companies[0];

    [OneTimeSetUp]
    public async Task StartSandbox()
    {
        _sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [new PipedriveCompanyOptions { Name = "acme", ApiToken = "write-token", Seed = 11, Deals = 120, Activities = 200, Leads = 10, BurstLimit = 100_000 }],
            Clock = TestClock.Clock, AsOf = TestClock.Now, WebhookRetries = [], WebhookScanEvery = TimeSpan.FromMilliseconds(50),
        });
        _http = new HttpClient { BaseAddress = new Uri(_sandbox.BaseUrl) };
        _http.DefaultRequestHeaders.Add("x-api-token", "write-token");
    }

    [OneTimeTearDown]
    public async Task StopSandbox()
    {
        _http.Dispose();
        await _sandbox.DisposeAsync();
    }

    /// <summary>Sends a write whose body the spec documents, and returns its answer after checking it against the spec.</summary>
    private async Task<JsonNode> WriteAsync(string method, string template, string url, object request)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(request);
        Assert.That(SpecRequests.Validate(V2Path, method, template, json), Is.Empty, $"the request of {method} {template}");
        using var message = new HttpRequestMessage(new HttpMethod(method), url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(message);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        Assert.That(V2.ValidateResponse(method, template, 200, body), Is.Empty, $"the answer of {method} {template}");
        return JsonNode.Parse(body)!["data"]!;
    }

    private async Task<JsonArray> SearchAsync(string template, string query)
    {
        var body = await _http.GetStringAsync(new Uri($"/api/v2{template}?{query}", UriKind.Relative));
        Assert.That(V2.ValidateResponse("GET", template, 200, body), Is.Empty);
        return JsonNode.Parse(body)!["data"]!["items"]!.AsArray();
    }

    private static long[] Ids(JsonArray items) => [.. items.Select(i => i!["item"]!["id"]!.GetValue<long>())];

    [Test]
    public async Task A_person_created_with_e_mail_and_phone_is_found_by_either_at_once_and_a_patch_is_listed()
    {
        var created = await WriteAsync("POST", "/persons", "/api/v2/persons", new
        {
            name = "Web Form Person", owner_id = Company.Users[1].Id,
            emails = new[] { new { value = "form.person@lead.example", primary = true, label = "work" } },
            phones = new[] { new { value = "+358 40 777 1234", primary = true, label = "mobile" } },
            custom_fields = new Dictionary<string, object?> { ["0b1e6f1c2a4d4e8f9a0b1c2d3e4f5a6b7c8d9e0f"] = "web form" },
        });
        var id = created["id"]!.GetValue<long>();

        Assert.That(Ids(await SearchAsync("/persons/search", "term=FORM.PERSON@lead.example&fields=email&exact_match=true")), Is.EqualTo(new[] { id }));
        Assert.That(Ids(await SearchAsync("/persons/search", "term=%2B358%2040%20777%201234&fields=phone&exact_match=true")), Is.EqualTo(new[] { id }));

        var patched = await WriteAsync("PATCH", "/persons/{id}", $"/api/v2/persons/{id}", new
        {
            phones = new[] { new { value = "+358 40 777 1234", primary = true, label = "mobile" }, new { value = "+46 8 555 0101", primary = false, label = "work" } },
        });
        Assert.That(patched["phones"]!.AsArray().Select(p => p!["value"]!.GetValue<string>()), Is.EqualTo(new[] { "+358 40 777 1234", "+46 8 555 0101" }));
        Assert.That(Ids(await SearchAsync("/persons/search", "term=%2B46%208%20555%200101&fields=phone&exact_match=true")), Is.EqualTo(new[] { id }));
        var listed = JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v2/persons?ids={id}", UriKind.Relative)))!["data"]![0]!;
        Assert.That((listed["name"]!.GetValue<string>(), listed["owner_id"]!.GetValue<long>(), listed["phones"]!.AsArray().Count, listed["update_time"]!.GetValue<string>()),
            Is.EqualTo(("Web Form Person", Company.Users[1].Id, 2, V2Time(Company.Persons.Single(p => p.Id == id).UpdateTime))));
    }

    [Test]
    public async Task An_organization_created_is_found_by_name_at_once_and_its_address_can_be_patched()
    {
        // The spec's POST /organizations says "required: [title]" but declares only name: that one problem is the spec's.
        var json = System.Text.Json.JsonSerializer.Serialize(new { name = "Kuura Web Oy", owner_id = Company.Users[0].Id, address = new { value = "Mannerheimintie 1, Helsinki", country = "Finland" } });
        Assert.That(SpecRequests.Validate(V2Path, "POST", "/organizations", json), Is.EqualTo(new[] { "$: missing required property 'title'" }).Or.Empty);
        var response = await _http.PostAsync(new Uri("/api/v2/organizations", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(V2.ValidateResponse("POST", "/organizations", 200, body), Is.Empty, body);
        var id = JsonNode.Parse(body)!["data"]!["id"]!.GetValue<long>();

        var found = await SearchAsync("/organizations/search", "term=kuura%20web%20oy&fields=name&exact_match=true");
        Assert.That(Ids(found), Is.EqualTo(new[] { id }));
        Assert.That(found[0]!["item"]!["address"]!.GetValue<string>(), Is.EqualTo("Mannerheimintie 1, Helsinki"));

        var patched = await WriteAsync("PATCH", "/organizations/{id}", $"/api/v2/organizations/{id}", new { address = new { value = "Hämeenkatu 5, Tampere", country = "Finland" } });
        Assert.That(patched["address"]!["value"]!.GetValue<string>(), Is.EqualTo("Hämeenkatu 5, Tampere"));
        Assert.That(Ids(await SearchAsync("/organizations/search", "term=Tampere&fields=address")), Does.Contain(id));
    }

    [Test]
    public async Task A_deal_created_then_moved_shows_the_move_in_its_changelog_its_stage_change_time_the_next_incremental_list_and_a_webhook()
    {
        var made = await _http.PostAsync(new Uri("/api/v1/webhooks", UriKind.Relative), JsonContent.Create(new
        {
            subscription_url = "http://127.0.0.1:9/hooks", event_action = "*", event_object = "deal", name = "form test",
        }));
        Assert.That((int)made.StatusCode, Is.EqualTo(201));
        var person = Company.Persons.First(p => !p.IsDeleted);
        var organization = Company.Organizations.First(o => !o.IsDeleted);
        var pipeline = Company.Pipelines[1];
        var stages = Company.Stages.Where(s => s.PipelineId == pipeline.Id).OrderBy(s => s.OrderNr).ToList();
        var segment = Company.DealFields.First(f => f.IsCustom && f.FieldType == "enum");
        var fee = Company.DealFields.First(f => f.IsCustom && f.FieldType == "monetary");

        var deal = await WriteAsync("POST", "/deals", "/api/v2/deals", new
        {
            title = "Web form: 20 seats", value = 4800, currency = "EUR", person_id = person.Id, org_id = organization.Id, pipeline_id = pipeline.Id, stage_id = stages[0].Id,
            owner_id = Company.Users[2].Id, status = "open",
            custom_fields = new Dictionary<string, object> { [segment.Key] = segment.Options![1].Id, [fee.Key] = new { value = 250, currency = "EUR" } },
        });
        var id = deal["id"]!.GetValue<long>();
        Assert.That((deal["stage_id"]!.GetValue<long>(), deal["pipeline_id"]!.GetValue<long>(), deal["custom_fields"]![segment.Key]!.GetValue<long>(), deal["stage_change_time"]),
            Is.EqualTo((stages[0].Id, pipeline.Id, segment.Options![1].Id, (JsonNode?)null)));
        await WaitForAsync(() => _sandbox.WebhookAttempts.Any(a => a.DealId == id && a.Action == "create"));

        var moved = await WriteAsync("PATCH", "/deals/{id}", $"/api/v2/deals/{id}", new { stage_id = stages[2].Id });
        var stored = Company.Deals.Single(d => d.Id == id);
        Assert.That(moved["stage_change_time"]!.GetValue<string>(), Is.EqualTo(V2Time(stored.StageChangeTime!.Value)));
        Assert.That(moved["update_time"]!.GetValue<string>(), Is.EqualTo(moved["stage_change_time"]!.GetValue<string>()));

        var changelog = await _http.GetStringAsync(new Uri($"/api/v1/deals/{id}/changelog", UriKind.Relative));
        Assert.That(V1.ValidateResponse("GET", "/deals/{id}/changelog", 200, changelog), Is.Empty);
        var move = JsonNode.Parse(changelog)!["data"]!.AsArray().Single(c => c!["field_key"]!.GetValue<string>() == "stage_id")!;
        Assert.That((move["old_value"]!.GetValue<string>(), move["new_value"]!.GetValue<string>(), move["time"]!.GetValue<string>()),
            Is.EqualTo((Text(stages[0].Id), Text(stages[2].Id), V1Time(stored.StageChangeTime!.Value))));

        var since = Uri.EscapeDataString(moved["update_time"]!.GetValue<string>());
        var changed = JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v2/deals?updated_since={since}&limit=500", UriKind.Relative)))!["data"]!.AsArray();
        Assert.That(changed.Single(d => d!["id"]!.GetValue<long>() == id)!["stage_id"]!.GetValue<long>(), Is.EqualTo(stages[2].Id));

        await WaitForAsync(() => _sandbox.WebhookAttempts.Any(a => a.DealId == id && a.Action == "change"));
        var change = _sandbox.WebhookAttempts.First(a => a.DealId == id && a.Action == "change").Payload;
        Assert.That((change["data"]!["stage_id"]!.GetValue<long>(), change["previous"]!["stage_id"]!.GetValue<long>()), Is.EqualTo((stages[2].Id, stages[0].Id)));

        Assert.That(Ids(await SearchAsync("/deals/search", $"term=web%20form%3A%2020%20seats&exact_match=true&person_id={person.Id}")), Is.EqualTo(new[] { id }));
    }

    [Test]
    public async Task A_deal_won_through_a_patch_is_closed_in_its_changelog()
    {
        var id = (await WriteAsync("POST", "/deals", "/api/v2/deals", new { title = "Web form: won at once" }))["id"]!.GetValue<long>();
        var won = await WriteAsync("PATCH", "/deals/{id}", $"/api/v2/deals/{id}", new { status = "won", value = 1200 });
        Assert.That((won["status"]!.GetValue<string>(), won["won_time"]?.GetValue<string>(), won["value"]!.GetValue<decimal>()),
            Is.EqualTo(("won", won["update_time"]!.GetValue<string>(), 1200m)));
        Assert.That(Company.Deals.Single(d => d.Id == id).Changes.Select(c => c.FieldKey), Is.EquivalentTo(new[] { "value", "status" }));
    }

    [Test]
    public async Task An_activity_is_created_for_a_deal_with_its_note_and_listed_among_the_deals_open_activities()
    {
        var deal = Company.Deals.First(d => !d.IsDeleted && !d.IsArchived && d.Status == "open" && d.PersonId is not null);
        var activity = await WriteAsync("POST", "/activities", "/api/v2/activities", new
        {
            subject = "Call back: web form", type = "call", owner_id = Company.Users[0].Id, deal_id = deal.Id, due_date = "2030-01-15", due_time = "09:30", duration = "00:30",
            note = "<p>Asked for a demo</p>",
        });
        Assert.That((activity["person_id"]!.GetValue<long>(), activity["due_time"]!.GetValue<string>(), activity["note"]!.GetValue<string>()),
            Is.EqualTo((deal.PersonId!.Value, "09:30:00", "<p>Asked for a demo</p>")));
        var open = JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v2/activities?deal_id={deal.Id}&done=false", UriKind.Relative)))!["data"]!.AsArray();
        Assert.That(open.Select(a => a!["id"]!.GetValue<long>()), Does.Contain(activity["id"]!.GetValue<long>()));
    }

    [Test]
    public async Task Deals_and_activities_filtered_by_organization_or_person_are_only_theirs()
    {
        var deal = Company.Deals.First(d => !d.IsDeleted && !d.IsArchived && d.OrgId is not null && d.PersonId is not null);
        foreach (var (list, filter, id) in new[] { ("deals", "org_id", deal.OrgId!.Value), ("activities", "org_id", deal.OrgId!.Value), ("activities", "person_id", deal.PersonId!.Value) })
        {
            var body = await _http.GetStringAsync(new Uri($"/api/v2/{list}?{filter}={id}&limit=500", UriKind.Relative));
            Assert.That(V2.ValidateResponse("GET", $"/{list}", 200, body), Is.Empty);
            var records = JsonNode.Parse(body)!["data"]!.AsArray();
            var expected = list == "deals"
                ? Company.Deals.Count(d => !d.IsDeleted && !d.IsArchived && d.Status != "deleted" && d.OrgId == id)
                : Company.Activities.Count(a => !a.IsDeleted && (filter == "org_id" ? a.OrgId : a.PersonId) == id);
            Assert.That((records.Count, records.All(r => r![filter]?.GetValue<long>() == id)), Is.EqualTo((expected, true)), $"{list} of {filter} {id}");
        }
    }

    [Test]
    public async Task A_note_added_to_a_deal_and_to_a_person_is_listed_with_theirs_and_one_on_nothing_is_refused()
    {
        var deal = Company.Deals.First(d => !d.IsDeleted && !d.IsArchived && d.Status == "open" && d.PersonId is not null);
        var v1 = Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", "v1-openapi.yml");
        async Task<(int Status, string Body)> PostAsync(object note)
        {
            var json = System.Text.Json.JsonSerializer.Serialize(note);
            Assert.That(SpecRequests.Validate(v1, "POST", "/notes", json), Is.Empty, "the request of POST /notes");
            using var response = await _http.PostAsync(new Uri("/api/v1/notes", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var (status, body) = await PostAsync(new { content = "Asked about <b>solar panels</b>", deal_id = deal.Id });
        Assert.That(status, Is.EqualTo(200), body);
        Assert.That(V1.ValidateResponse("POST", "/notes", 200, body), Is.Empty);
        var note = JsonNode.Parse(body)!["data"]!;
        (_, body) = await PostAsync(new { content = "Prefers e-mail", person_id = deal.PersonId });

        var listed = await _http.GetStringAsync(new Uri($"/api/v1/notes?deal_id={deal.Id}", UriKind.Relative));
        Assert.That(V1.ValidateResponse("GET", "/notes", 200, listed), Is.Empty);
        Assert.That(JsonNode.Parse(listed)!["data"]!.AsArray().Select(n => (n!["id"]!.GetValue<long>(), n["content"]!.GetValue<string>())),
            Is.EqualTo(new[] { (note["id"]!.GetValue<long>(), "Asked about <b>solar panels</b>") }));
        var personNotes = JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v1/notes?person_id={deal.PersonId}", UriKind.Relative)))!["data"]!.AsArray();
        Assert.That(personNotes.Select(n => n!["content"]!.GetValue<string>()), Is.EqualTo(new[] { "Prefers e-mail" }));

        var notes = Company.Notes.Count;
        (status, body) = await PostAsync(new { content = "On nothing" });
        Assert.That((status, JsonNode.Parse(body)!["error"]!.GetValue<string>()), Is.EqualTo((400, "Validation failed: deal_id, person_id or org_id: one of them is required")));
        Assert.That(Company.Notes.Count, Is.EqualTo(notes), "nothing added");
    }

    [TestCase("POST", "/api/v2/deals", """{"value": 100}""", "Validation failed: title: Required")]
    [TestCase("POST", "/api/v2/deals", """{"title": 42}""", "Validation failed: title: Expected string, received number")]
    [TestCase("POST", "/api/v2/deals", """{"title": "x", "value": "100"}""", "Validation failed: value: Expected number, received string")]
    [TestCase("POST", "/api/v2/deals", """{"title": "x", "stage_id": 999999}""", "Validation failed: stage_id: Stage 999999 not found")]
    [TestCase("POST", "/api/v2/deals", """{"title": "x", "pipeline_id": 999999}""", "Validation failed: pipeline_id: Pipeline 999999 not found")]
    [TestCase("POST", "/api/v2/deals", """{"title": "x", "pipeline_id": 1, "stage_id": {second pipeline's stage}}""", "Validation failed: stage_id: Stage {second pipeline's stage} is not in pipeline 1")]
    [TestCase("POST", "/api/v2/deals", """{"title": "x", "status": "deleted"}""", "Validation failed: status: Invalid enum value. Expected 'open' | 'won' | 'lost', received 'deleted'")]
    [TestCase("POST", "/api/v2/deals", """{"title": "x", "person_id": 1}""", "Validation failed: person_id: Person 1 not found")]
    [TestCase("POST", "/api/v2/persons", """{"name": "  "}""", "Validation failed: name: Required")]
    [TestCase("POST", "/api/v2/persons", """{"name": "x", "emails": "a@b.example"}""", "Validation failed: emails: Expected array, received string")]
    [TestCase("POST", "/api/v2/organizations", """{"owner_id": 1000}""", "Validation failed: name: Required")]
    [TestCase("POST", "/api/v2/activities", """{"subject": "x", "type": "fax"}""", "Validation failed: type: Activity type fax not found")]
    [TestCase("PATCH", "/api/v2/deals/{open deal}", """{"stage_id": "3"}""", "Validation failed: stage_id: Expected integer, received string")]
    public async Task A_write_pipedrive_would_refuse_gets_400_with_its_error_body_and_changes_nothing(string method, string url, string json, string error)
    {
        var otherStage = Text(Company.Stages.First(s => s.PipelineId != 1).Id);
        var openDeal = Text(Company.Deals.First(d => !d.IsDeleted && d.Status == "open").Id);
        (url, json, error) = (url.Replace("{open deal}", openDeal, StringComparison.Ordinal), json.Replace("{second pipeline's stage}", otherStage, StringComparison.Ordinal),
            error.Replace("{second pipeline's stage}", otherStage, StringComparison.Ordinal));
        var (deals, persons, organizations, activities) = (Company.Deals.Count, Company.Persons.Count, Company.Organizations.Count, Company.Activities.Count);

        using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(400), body);
        // v2 documents its error body once (POST /deals/{id}/convert/lead): success false, error, error_info, data, additional_data.
        Assert.That(V2.ValidateResponse("POST", "/deals/{id}/convert/lead", 404, body), Is.Empty);
        var parsed = JsonNode.Parse(body)!;
        Assert.That((parsed["success"]!.GetValue<bool>(), parsed["error"]!.GetValue<string>(), parsed["errorCode"]!.GetValue<int>()), Is.EqualTo((false, error, 400)));
        Assert.That((Company.Deals.Count, Company.Persons.Count, Company.Organizations.Count, Company.Activities.Count), Is.EqualTo((deals, persons, organizations, activities)));
    }

    [Test]
    public async Task Writes_and_searches_are_charged_their_x_token_cost_and_refused_once_the_budget_is_spent()
    {
        await using var sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [new PipedriveCompanyOptions { ApiToken = "budget", Deals = 5, Activities = 5, Leads = 1, DailyTokenBudget = 32 }],
            Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        using var http = new HttpClient { BaseAddress = new Uri(sandbox.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-token", "budget");
        var company = sandbox.Companies[0];

        var created = await http.PostAsync(new Uri("/api/v2/deals", UriKind.Relative), JsonContent.Create(new { title = "Charged" }));           // 5
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["data"]!["id"]!.GetValue<long>();
        var moved = await http.PatchAsync(new Uri($"/api/v2/deals/{id}", UriKind.Relative), JsonContent.Create(new { title = "Charged twice" })); // 5
        var searched = await http.GetAsync(new Uri("/api/v2/deals/search?term=Charged", UriKind.Relative));                                  // 20
        Assert.That((created.StatusCode, moved.StatusCode, searched.StatusCode, company.Budget.Spent), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, 30L)));

        var refused = await http.PostAsync(new Uri("/api/v2/deals", UriKind.Relative), JsonContent.Create(new { title = "Over budget" }));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(company.Deals.Count(d => d.Title == "Over budget"), Is.Zero);
        Assert.That(sandbox.WritesTo(company.Options.Name), Is.EquivalentTo(new Dictionary<string, int> { ["v2 POST /deals"] = 2, ["v2 PATCH /deals/{id}"] = 1 }));
    }

    [Test]
    public async Task A_deal_whose_answer_was_lost_was_made_once_and_is_found_by_search_before_a_retry()
    {
        _sandbox.Faults.LoseWriteAnswers(1);
        try
        {
            Assert.ThrowsAsync<HttpRequestException>(() => _http.PostAsync(new Uri("/api/v2/deals", UriKind.Relative), JsonContent.Create(new { title = "Lost answer deal" })));
        }
        finally { _sandbox.Faults.Clear(); }
        var found = Ids(await SearchAsync("/deals/search", "term=Lost%20answer%20deal&exact_match=true"));
        Assert.That(found, Has.Length.EqualTo(1));
        Assert.That(found, Is.EqualTo(Company.Deals.Where(d => d.Title == "Lost answer deal").Select(d => d.Id)));
    }

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
    private static string V2Time(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    private static string V1Time(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static async Task WaitForAsync(Func<bool> done)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("Not within 15 s.");
            await Task.Delay(20);
        }
    }
}
