using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Testing;
using CrmEtl.Testing.OpenApi;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// The writes a web form makes in Zoho CRM (Contacts, Accounts, Deals, Tasks) and its duplicate searches: requests and answers
/// as record.json has them, new records found by e-mail, phone, word and criteria at once, a deal's Stage change in its
/// Stage_History and the DealHistory module, each record's errors as Zoho answers them, every call charged a credit.
/// </summary>
public sealed class ZohoWriteTests
{
    private static readonly string RecordSpecPath = Path.Combine(OpenApiSpec.SharedSpecsDirectory, "zoho-crm-v8", "record.json");
    private static OpenApiSpec Records => OpenApiSpec.Load(RecordSpecPath);
    private static OpenApiSpec RelatedRecords => OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "zoho-crm-v8", "related_records.json"));
    private const string Module = "/crm/v8/{module_api_name}";

    private ZohoSandbox _sandbox = null!;
    private HttpClient _api = null!;
    private ZohoOrg Org => _sandbox.Orgs[0];

    [OneTimeSetUp]
    public async Task StartSandbox()
    {
        (_sandbox, _api) = await StartAsync(new ZohoOrgOptions { Name = "forms-de", DataCentre = "eu", Seed = 13, Deals = 150, Activities = 200, Leads = 20, TokensPerTenMinutes = 1_000 });
    }

    [OneTimeTearDown]
    public async Task StopSandbox()
    {
        _api.Dispose();
        await _sandbox.DisposeAsync();
    }

    private static async Task<(ZohoSandbox, HttpClient)> StartAsync(ZohoOrgOptions org)
    {
        var sandbox = await ZohoSandbox.StartAsync(new ZohoSandboxOptions { Orgs = [org], Clock = TestClock.Clock, AsOf = TestClock.Now });
        using var accounts = new HttpClient();
        var token = await accounts.PostAsync(new Uri(sandbox.AccountsUrl("eu") + "/oauth/v2/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = org.ClientId, ["client_secret"] = org.ClientSecret, ["refresh_token"] = org.RefreshToken,
        }));
        var api = new HttpClient { BaseAddress = new Uri(sandbox.ApiDomain("eu")) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Zoho-oauthtoken", JsonNode.Parse(await token.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>());
        return (sandbox, api);
    }

    /// <summary>Sends a write whose body record.json documents; returns its status and data[] after checking the answer against the spec.</summary>
    private async Task<(int Status, JsonArray Data)> WriteAsync(string method, string url, object body, HttpClient? api = null)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(body);
        var template = url.Count(c => c == '/') > 3 ? "/crm/v8/{module_api_name}/{id}" : Module;
        Assert.That(SpecRequests.Validate(RecordSpecPath, method, template, json), Is.Empty, $"the request of {method} {template}");
        using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await (api ?? _api).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        // record.json documents every write's answer (successes and per-record errors alike) under 200 alone.
        Assert.That(Records.ValidateResponse(method, template, 200, text), Is.Empty, text);
        return ((int)response.StatusCode, JsonNode.Parse(text)!["data"]!.AsArray());
    }

    private async Task<string> CreateAsync(string module, object record)
    {
        var (status, data) = await WriteAsync("POST", $"/crm/v8/{module}", new { data = new[] { record } });
        Assert.That((status, data[0]!["code"]!.GetValue<string>(), data[0]!["message"]!.GetValue<string>()), Is.EqualTo((201, "SUCCESS", "record added")), data.ToJsonString());
        return data[0]!["details"]!["id"]!.GetValue<string>();
    }

    private async Task<JsonArray> SearchAsync(string module, string query)
    {
        var response = await _api.GetAsync(new Uri($"/crm/v8/{module}/search?{query}", UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.NoContent) return [];
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        Assert.That(Records.ValidateResponse("GET", "/crm/v8/{module_api_name}/search", 200, body), Is.Empty);
        return JsonNode.Parse(body)!["data"]!.AsArray();
    }

    private static string[] Ids(JsonArray records) => [.. records.Select(r => r!["id"]!.GetValue<string>())];
    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);

    [Test]
    public async Task A_contact_and_its_account_created_by_a_form_are_found_at_once_by_e_mail_phone_word_and_criteria()
    {
        var account = await CreateAsync("Accounts", new { Account_Name = "Polarlicht GmbH", Billing_Street = "Torstraße 1", Billing_Country = "Germany" });
        var contact = await CreateAsync("Contacts", new
        {
            First_Name = "Greta", Last_Name = "Formular", Email = "greta@polarlicht.example", Phone = "+49 30 1234 5678", Account_Name = new { id = account },
        });

        Assert.That(Ids(await SearchAsync("Contacts", "email=GRETA@polarlicht.example&fields=Full_Name,Email")), Is.EqualTo(new[] { contact }));
        Assert.That(Ids(await SearchAsync("Contacts", "phone=%2B4930%2012345678&fields=Full_Name,Phone")), Is.EqualTo(new[] { contact }), "phone numbers compared by their digits");
        var either = Uri.EscapeDataString("((Email:equals:nobody@else.example)or(Phone:equals:+49 30 1234 5678))");
        Assert.That(Ids(await SearchAsync("Contacts", $"criteria={either}&fields=Full_Name,Account_Name")), Is.EqualTo(new[] { contact }));
        var found = await SearchAsync("Contacts", $"criteria={Uri.EscapeDataString("(Last_Name:starts_with:formu)")}&fields=Full_Name,Account_Name");
        Assert.That(found.Select(c => (c!["Full_Name"]!.GetValue<string>(), c["Account_Name"]!["id"]!.GetValue<string>())), Is.EqualTo(new[] { ("Greta Formular", account) }));

        Assert.That(Ids(await SearchAsync("Accounts", "word=polarlicht&fields=Account_Name")), Is.EqualTo(new[] { account }));
        Assert.That(Ids(await SearchAsync("Accounts", $"criteria={Uri.EscapeDataString("(Account_Name:equals:polarlicht gmbh)")}&fields=Account_Name,Billing_Street")), Is.EqualTo(new[] { account }));

        var (status, data) = await WriteAsync("PUT", $"/crm/v8/Contacts/{contact}", new { data = new[] { new { Mobile = "+49 151 9999 0000" } } });
        Assert.That((status, data[0]!["message"]!.GetValue<string>()), Is.EqualTo((200, "record updated")));
        Assert.That(Ids(await SearchAsync("Contacts", "phone=%2B491519999%200000&fields=Full_Name")), Is.EqualTo(new[] { contact }));
        Assert.That(Ids(await SearchAsync("Contacts", "phone=%2B49%2030%201234%205678&fields=Full_Name")), Is.EqualTo(new[] { contact }), "the update kept the phone it did not name");
    }

    [Test]
    public async Task A_deal_created_then_moved_shows_the_move_in_its_stage_history_the_deal_history_module_and_its_modified_times()
    {
        var pipeline = Org.Data.Pipelines[0];
        var stages = Org.PipelineStages(pipeline).Select(s => s.Stage).ToList();
        var contact = Text(Org.ContactId(Org.Data.Persons.First(p => !p.IsDeleted)));
        var created = await CreateAsync("Deals", new
        {
            Deal_Name = "Form: 12 licences", Stage = stages[0], Pipeline = pipeline.Name, Amount = 3600, Currency = "EUR", Closing_Date = "2030-03-31", Contact_Name = new { id = contact },
        });
        var before = Org.Data.Deals.Single(d => Text(Org.DealId(d)) == created);
        Assert.That((before.Title, Org.StageOf(before), before.Value, before.StageChangeTime), Is.EqualTo(("Form: 12 licences", stages[0], 3600m, (DateTime?)null)));

        var (status, data) = await WriteAsync("PUT", $"/crm/v8/Deals/{created}", new { data = new[] { new { Stage = stages[2] } } });
        Assert.That((status, data[0]!["code"]!.GetValue<string>()), Is.EqualTo((200, "SUCCESS")));

        var history = await _api.GetStringAsync(new Uri($"/crm/v8/Deals/{created}/Stage_History?fields=Stage,Moved_To__s,Modified_Time", UriKind.Relative));
        Assert.That(RelatedRecords.ValidateResponse("GET", "/crm/v8/{module_api_name}/{record_id}/{related_list_api_name}", 200, history), Is.Empty);
        var rows = JsonNode.Parse(history)!["data"]!.AsArray();
        Assert.That(rows.Select(r => (r!["Stage"]!.GetValue<string>(), r["Moved_To__s"]?.GetValue<string>())), Is.EqualTo(new[] { (stages[2], (string?)null), (stages[0], stages[2]) }));

        var fields = "fields=Deal_Name,Stage,Created_Time,Modified_Time,Stage_Modified_Time";
        var deal = JsonNode.Parse(await _api.GetStringAsync(new Uri($"/crm/v8/Deals?ids={created}&{fields}", UriKind.Relative)))!["data"]![0]!;
        Assert.That((deal["Stage"]!.GetValue<string>(), deal["Stage_Modified_Time"]!.GetValue<string>()), Is.EqualTo((stages[2], deal["Modified_Time"]!.GetValue<string>())));

        using var since = new HttpRequestMessage(HttpMethod.Get, "/crm/v8/DealHistory?fields=Stage,Moved_To__s,Potential_Name,Modified_Time");
        since.Headers.TryAddWithoutValidation("If-Modified-Since", deal["Created_Time"]!.GetValue<string>());
        var moves = JsonNode.Parse(await (await _api.SendAsync(since)).Content.ReadAsStringAsync())!["data"]!.AsArray();
        // Both rows are as new as the deal (the next sync's incremental read sees them); the first says where it moved to.
        Assert.That(moves.Where(r => r!["Potential_Name"]!["id"]!.GetValue<string>() == created).Select(r => (r!["Stage"]!.GetValue<string>(), r["Moved_To__s"]?.GetValue<string>())),
            Does.Contain((stages[0], (string?)stages[2])).And.Contain((stages[2], (string?)null)));

        // The bulk form (PUT /Deals with ids in the records) closes it as won.
        var (bulk, result) = await WriteAsync("PUT", "/crm/v8/Deals", new { data = new[] { new { id = created, Stage = ZohoOrg.ClosedWon } } });
        Assert.That((bulk, result[0]!["code"]!.GetValue<string>(), before.Status), Is.EqualTo((200, "SUCCESS", "won")));
        Assert.That(Org.Arrivals(before).Select(a => a.Stage), Is.EqualTo(new[] { stages[0], stages[2], ZohoOrg.ClosedWon }));
    }

    [Test]
    public async Task A_task_created_for_a_deal_is_listed_among_its_open_activities()
    {
        var deal = Org.Data.Deals.First(d => !d.IsDeleted && d.Status == "open" && d.PersonId is not null);
        var task = await CreateAsync("Tasks", new
        {
            Subject = "Call back: web form", Due_Date = "2030-01-15", Status = "Not Started", Priority = "High", What_Id = new { id = Text(Org.DealId(deal)) }, se_module = "Deals",
        }.ToSeModule());
        var related = await _api.GetStringAsync(new Uri($"/crm/v8/Deals/{Org.DealId(deal)}/Activities?fields=Activity_Type,Subject,Due_Date,What_Id", UriKind.Relative));
        var listed = JsonNode.Parse(related)!["data"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == task)!;
        Assert.That((listed["Activity_Type"]!.GetValue<string>(), listed["Subject"]!.GetValue<string>(), listed["Due_Date"]!.GetValue<string>()), Is.EqualTo(("Tasks", "Call back: web form", "2030-01-15")));
    }

    [Test]
    public async Task Notes_added_to_a_deal_contact_and_account_are_listed_newest_first_in_their_notes()
    {
        var deal = Text(Org.DealId(Org.Data.Deals.First(d => !d.IsDeleted)));
        var account = await CreateAsync("Accounts", new { Account_Name = "Notizbuch AG" });
        var contact = await CreateAsync("Contacts", new { Last_Name = "Notiz", Account_Name = new { id = account } });

        // v8 names the parent record as {"module": {"api_name"}, "id"}; earlier versions as the id with $se_module.
        var first = await CreateAsync("Notes", new { Note_Content = "Budget: 3,600 EUR", Parent_Id = new { module = new { api_name = "Deals" }, id = deal } });
        var second = await CreateAsync("Notes", new { Note_Title = "Web form", Note_Content = "Call after 14:00", Parent_Id = new { module = new { api_name = "Deals" }, id = deal } });
        var onContact = await CreateAsync("Notes", new { Note_Content = "Prefers e-mail", Parent_Id = contact, se_module = "Contacts" }.ToSeModule());
        await CreateAsync("Notes", new { Note_Content = "New customer", Parent_Id = new { module = new { api_name = "Accounts" }, id = account } });

        var listed = await RelatedAsync($"/crm/v8/Deals/{deal}/Notes?fields=Note_Title,Note_Content,Parent_Id,Created_Time");
        Assert.That(listed.Select(n => (n!["id"]!.GetValue<string>(), n["Note_Content"]!.GetValue<string>(), n["Parent_Id"]!["module"]!["api_name"]!.GetValue<string>(),
            n["Parent_Id"]!["id"]!.GetValue<string>())), Is.EqualTo(new[] { (second, "Call after 14:00", "Deals", deal), (first, "Budget: 3,600 EUR", "Deals", deal) }));
        Assert.That((await RelatedAsync($"/crm/v8/Contacts/{contact}/Notes?fields=Note_Content")).Select(n => n!["id"]!.GetValue<string>()), Is.EqualTo(new[] { onContact }));
        Assert.That((await RelatedAsync($"/crm/v8/Accounts/{account}/Notes?fields=Note_Content")).Select(n => n!["Note_Content"]!.GetValue<string>()), Is.EqualTo(new[] { "New customer" }));
        var none = await _api.GetAsync(new Uri($"/crm/v8/Accounts/{account}/Notes?fields=Note_Content&page=2", UriKind.Relative));
        Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

        var (status, data) = await WriteAsync("POST", "/crm/v8/Notes", new { data = new[] { new { Note_Content = "Nowhere", Parent_Id = new { module = new { api_name = "Deals" }, id = "1" } } } });
        Assert.That((status, data[0]!["code"]!.GetValue<string>(), data[0]!["details"]!["api_name"]!.GetValue<string>()), Is.EqualTo((400, "INVALID_DATA", "Parent_Id")));
    }

    [Test]
    public async Task An_accounts_phone_deals_and_tasks_written_by_a_form_are_searched_listed_and_read_by_the_next_sync()
    {
        var since = ZohoTime(TestClock.Clock.GetUtcNow().AddSeconds(-1));
        var account = await CreateAsync("Accounts", new { Account_Name = "Telefon GmbH", Phone = "+49 89 123 456 78" });
        Assert.That(Ids(await SearchAsync("Accounts", "phone=%2B498912345678&fields=Account_Name,Phone")), Is.EqualTo(new[] { account }), "an account's phone, by its digits");
        var deal = await CreateAsync("Deals", new { Deal_Name = "Telefon: 3 phones", Stage = Org.PipelineStages(Org.Data.Pipelines[0])[0].Stage, Account_Name = new { id = account } });
        var task = await CreateAsync("Tasks", new { Subject = "Call Telefon GmbH", Due_Date = "2030-02-01", What_Id = new { id = account }, se_module = "Accounts" }.ToSeModule());

        Assert.That(Ids(await RelatedAsync($"/crm/v8/Accounts/{account}/Deals?fields=Deal_Name,Stage")), Is.EqualTo(new[] { deal }));
        Assert.That(Ids(await RelatedAsync($"/crm/v8/Accounts/{account}/Activities?fields=Activity_Type,Subject")), Is.EqualTo(new[] { task }));

        // The next incremental sync reads Tasks modified since its last run: the task is there, related to the account.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/crm/v8/Tasks?fields=Subject,What_Id,$se_module,Modified_Time&sort_by=Modified_Time&sort_order=asc");
        request.Headers.TryAddWithoutValidation("If-Modified-Since", since);
        using var response = await _api.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(Records.ValidateResponse("GET", Module, 200, body), Is.Empty);
        var read = JsonNode.Parse(body)!["data"]!.AsArray().Single(t => t!["id"]!.GetValue<string>() == task)!;
        Assert.That((read["What_Id"]!["id"]!.GetValue<string>(), read["What_Id"]!["name"]!.GetValue<string>(), read["$se_module"]!.GetValue<string>()),
            Is.EqualTo((account, "Telefon GmbH", "Accounts")));
    }

    private string ZohoTime(DateTimeOffset at) => at.ToOffset(Org.TimeZone.GetUtcOffset(at)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>A related list's records, its answer checked against related_records.json.</summary>
    private async Task<JsonArray> RelatedAsync(string url)
    {
        var response = await _api.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        Assert.That(RelatedRecords.ValidateResponse("GET", "/crm/v8/{module_api_name}/{record_id}/{related_list_api_name}", 200, body), Is.Empty, body);
        return JsonNode.Parse(body)!["data"]!.AsArray();
    }

    [TestCase("Deals", """{"Stage": "{stage}"}""", "MANDATORY_NOT_FOUND", "required field not found", "Deal_Name")]
    [TestCase("Deals", """{"Deal_Name": "x"}""", "MANDATORY_NOT_FOUND", "required field not found", "Stage")]
    [TestCase("Deals", """{"Deal_Name": "x", "Stage": "No such stage"}""", "INVALID_DATA", "Pipeline doesn't contain the Stage", "Stage")]
    [TestCase("Deals", """{"Deal_Name": "x", "Stage": "{stage}", "Amount": "lots"}""", "INVALID_DATA", "invalid data", "Amount")]
    [TestCase("Deals", """{"Deal_Name": "x", "Stage": "{stage}", "Contact_Name": {"id": "1"}}""", "INVALID_DATA", "invalid data", "Contact_Name")]
    [TestCase("Contacts", """{"First_Name": "x"}""", "MANDATORY_NOT_FOUND", "required field not found", "Last_Name")]
    [TestCase("Contacts", """{"Last_Name": "x", "Email": "not an address"}""", "INVALID_DATA", "invalid data", "Email")]
    [TestCase("Accounts", """{"Billing_Country": "Germany"}""", "MANDATORY_NOT_FOUND", "required field not found", "Account_Name")]
    [TestCase("Tasks", """{"Subject": "x", "Status": "Sleeping"}""", "INVALID_DATA", "invalid data", "Status")]
    public async Task A_record_zoho_would_refuse_is_answered_with_its_error_code_and_api_name_and_nothing_is_written(string module, string record, string code, string message, string field)
    {
        var json = $$"""{"data": [{{record.Replace("{stage}", Org.StageValues()[0], StringComparison.Ordinal)}}]}""";
        var counts = (Org.Data.Deals.Count, Org.Data.Persons.Count, Org.Data.Organizations.Count, Org.Data.Activities.Count);
        var response = await _api.PostAsync(new Uri($"/crm/v8/{module}", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(400), body);
        Assert.That(Records.ValidateResponse("POST", Module, 200, body), Is.Empty);
        var error = JsonNode.Parse(body)!["data"]![0]!;
        Assert.That((error["code"]!.GetValue<string>(), error["message"]!.GetValue<string>(), error["status"]!.GetValue<string>(), error["details"]!["api_name"]!.GetValue<string>(),
            error["details"]!["json_path"]!.GetValue<string>()), Is.EqualTo((code, message, "error", field, $"$.data[0].{field}")));
        Assert.That((Org.Data.Deals.Count, Org.Data.Persons.Count, Org.Data.Organizations.Count, Org.Data.Activities.Count), Is.EqualTo(counts));
    }

    [Test]
    public async Task A_batch_with_one_bad_record_writes_the_good_one_and_answers_207_with_each_records_outcome()
    {
        var (status, data) = await WriteAsync("POST", "/crm/v8/Contacts", new { data = new object[] { new { Last_Name = "Batch Good" }, new { First_Name = "Batch Bad" } } });
        Assert.That(status, Is.EqualTo(207));
        Assert.That(data.Select(r => r!["code"]!.GetValue<string>()), Is.EqualTo(new[] { "SUCCESS", "MANDATORY_NOT_FOUND" }));
        Assert.That(Org.Data.Persons.Count(p => p.LastName == "Batch Good"), Is.EqualTo(1));
        Assert.That(data[1]!["details"]!["json_path"]!.GetValue<string>(), Is.EqualTo("$.data[1].Last_Name"));
    }

    [Test]
    public async Task An_update_of_an_unknown_id_is_refused_as_an_invalid_id()
    {
        var (status, data) = await WriteAsync("PUT", "/crm/v8/Deals/1", new { data = new[] { new { Deal_Name = "Nobody's" } } });
        Assert.That((status, data[0]!["code"]!.GetValue<string>(), data[0]!["message"]!.GetValue<string>(), data[0]!["details"]!["api_name"]!.GetValue<string>()),
            Is.EqualTo((400, "INVALID_DATA", "the id given seems to be invalid", "id")));
    }

    [Test]
    public async Task Each_write_and_search_costs_a_credit_and_none_are_made_once_the_credits_are_spent()
    {
        var (sandbox, api) = await StartAsync(new ZohoOrgOptions { Name = "credits", DataCentre = "eu", Deals = 5, Activities = 5, Leads = 1, DailyCredits = 3 });
        await using var _ = sandbox;
        using var __ = api;
        var org = sandbox.Orgs[0];

        var (first, _) = await WriteAsync("POST", "/crm/v8/Contacts", new { data = new[] { new { Last_Name = "Credit One" } } }, api);
        var search = await api.GetAsync(new Uri("/crm/v8/Contacts/search?word=Credit&fields=Full_Name", UriKind.Relative));
        Assert.That((first, (int)search.StatusCode, org.CreditsUsed), Is.EqualTo((201, 200, 2L)));
        await WriteAsync("POST", "/crm/v8/Contacts", new { data = new[] { new { Last_Name = "Credit Two" } } }, api);

        var refused = await api.PostAsync(new Uri("/crm/v8/Contacts", UriKind.Relative), new StringContent("""{"data": [{"Last_Name": "Credit Three"}]}""", Encoding.UTF8, "application/json"));
        Assert.That((int)refused.StatusCode, Is.EqualTo(429));
        Assert.That(JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!.GetValue<string>(), Is.EqualTo("TOO_MANY_REQUESTS"));
        Assert.That(org.Data.Persons.Count(p => p.LastName.StartsWith("Credit", StringComparison.Ordinal)), Is.EqualTo(2));
        Assert.That(sandbox.WritesTo("credits"), Is.EquivalentTo(new Dictionary<string, int> { ["POST /crm/v8/Contacts"] = 3 }));
    }

    [Test]
    public async Task A_contact_whose_answer_was_lost_was_made_once_and_is_found_by_its_e_mail_before_a_retry()
    {
        _sandbox.Faults.LoseWriteAnswers(1);
        try
        {
            Assert.ThrowsAsync<HttpRequestException>(() => _api.PostAsync(new Uri("/crm/v8/Contacts", UriKind.Relative),
                new StringContent("""{"data": [{"Last_Name": "Lost", "Email": "lost.answer@forms.example"}]}""", Encoding.UTF8, "application/json")));
        }
        finally { _sandbox.Faults.Clear(); }
        Assert.That(await SearchAsync("Contacts", "email=lost.answer@forms.example&fields=Full_Name"), Has.Count.EqualTo(1));
    }
}

/// <summary>Zoho's "$se_module" is not a C# name: an anonymous record's se_module is renamed on the way out.</summary>
internal static class ZohoRecordNames
{
    public static Dictionary<string, object?> ToSeModule(this object record) =>
        record.GetType().GetProperties().ToDictionary(p => p.Name == "se_module" ? "$se_module" : p.Name, p => p.GetValue(record));
}
