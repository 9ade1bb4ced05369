using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Testing.OpenApi;
using CrmEtl.Testing;

namespace CrmEtl.Sandbox.Tests;

/// <summary>The sandbox is judged by Pipedrive's spec, over real HTTP on loopback.</summary>
public sealed class PipedriveSandboxTests
{
    private PipedriveSandbox _sandbox = null!;
    private HttpClient _http = null!;
    private PipedriveCompany Company => _sandbox.Companies[0];

    [OneTimeSetUp]
    public async Task StartSandbox()
    {
        _sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions
        {
            Companies = [new PipedriveCompanyOptions { Name = "acme", ApiToken = "test-token", Seed = 5, Deals = 400, Activities = 1200, Leads = 80, BurstLimit = 100_000 }],
            Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        _http = new HttpClient { BaseAddress = new Uri(_sandbox.BaseUrl) };
        _http.DefaultRequestHeaders.Add("x-api-token", "test-token");
    }

    [OneTimeTearDown]
    public async Task StopSandbox()
    {
        _http.Dispose();
        await _sandbox.DisposeAsync();
    }

    private static OpenApiSpec Spec(string version) =>
        OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", $"{version}-openapi.yml"));

    [TestCase("v2", "/deals", "/api/v2/deals?limit=500&status=open,won,lost,deleted&sort_by=update_time")]
    [TestCase("v2", "/deals", "/api/v2/deals?person_id={person}&status=open,won,lost&limit=500")]
    [TestCase("v2", "/activities", "/api/v2/activities?deal_id={planned}&done=false&limit=500")]
    [TestCase("v2", "/deals/archived", "/api/v2/deals/archived?limit=50")]
    [TestCase("v2", "/activities", "/api/v2/activities?limit=500")]
    [TestCase("v2", "/persons", "/api/v2/persons?limit=500&sort_by=update_time&sort_direction=asc")]
    [TestCase("v2", "/organizations", "/api/v2/organizations?limit=500&sort_by=update_time")]
    [TestCase("v2", "/pipelines", "/api/v2/pipelines")]
    [TestCase("v2", "/stages", "/api/v2/stages")]
    [TestCase("v2", "/dealFields", "/api/v2/dealFields")]
    [TestCase("v1", "/users", "/api/v1/users")]
    [TestCase("v1", "/users/me", "/api/v1/users/me")]
    [TestCase("v2", "/persons/search", "/api/v2/persons/search?term={email}&fields=email&exact_match=true")]
    [TestCase("v1", "/currencies", "/api/v1/currencies")]
    [TestCase("v1", "/activityTypes", "/api/v1/activityTypes")]
    [TestCase("v1", "/leads", "/api/v1/leads?limit=500")]
    [TestCase("v1", "/leads/archived", "/api/v1/leads/archived")]
    [TestCase("v1", "/deals/{id}/changelog", "/api/v1/deals/{moved}/changelog")]
    [TestCase("v1", "/deals/{id}/flow", "/api/v1/deals/{moved}/flow?items=dealChange&all_changes=1")]
    public async Task Every_served_response_matches_the_vendors_spec(string version, string template, string url)
    {
        var moved = Company.Deals.First(d => d.Changes.Count > 1).Id;
        var email = Uri.EscapeDataString(Company.Persons.First(p => !p.IsDeleted && p.Emails.Count > 0).Emails[0].Value.ToUpperInvariant());
        var person = Company.Deals.First(d => !d.IsDeleted && d.PersonId is not null).PersonId!.Value;
        var planned = Company.Activities.First(a => !a.IsDeleted && !a.Done && a.DealId is not null).DealId!.Value;
        var response = await _http.GetAsync(url.Replace("{moved}", moved.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{email}", email, StringComparison.Ordinal).Replace("{person}", person.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{planned}", planned.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        Assert.That(Spec(version).ValidateResponse("GET", template, 200, body), Is.Empty);
        var data = JsonNode.Parse(body)!["data"];
        Assert.That(data is JsonArray list ? list.Count : data?["items"] is JsonArray items ? items.Count : data?.AsObject().Count, Is.GreaterThan(0), "a test of an empty list proves little");
    }

    [Test]
    public void The_account_has_people_with_several_e_mails_shared_ones_none_and_people_without_deals_and_deals_without_a_person()
    {
        var persons = Company.Persons.Where(p => !p.IsDeleted).ToList();
        var byAddress = persons.SelectMany(p => p.Emails.Select(e => (Email: e.Value.ToLowerInvariant(), p.Id))).GroupBy(x => x.Email).ToList();
        var withDeals = Company.Deals.Select(d => d.PersonId).OfType<long>().ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(persons.Count(p => p.Emails.Count >= 2), Is.GreaterThan(0), "people with several e-mails");
            Assert.That(persons.Count(p => p.Emails.Count == 0), Is.GreaterThan(0), "people without an e-mail");
            Assert.That(byAddress.Count(g => g.Select(x => x.Id).Distinct().Count() > 1), Is.GreaterThan(0), "addresses shared by several people");
            Assert.That(persons.Count(p => !withDeals.Contains(p.Id)), Is.GreaterThan(0), "people without deals");
            Assert.That(Company.Deals.Count(d => d.PersonId is null), Is.GreaterThan(0), "deals without a person");
            Assert.That(withDeals.All(id => Company.Persons.Any(p => p.Id == id)), "every deal's person exists");
            Assert.That(Company.Deals.Select(d => d.OrgId).OfType<long>().All(id => Company.Organizations.Any(o => o.Id == id)), "every deal's organization exists");
        });
    }

    [Test]
    public void Token_costs_are_the_specs_x_token_cost()
    {
        foreach (var (operation, cost) in TokenCosts.ByOperation)
        {
            var parts = operation.Split(' ');
            Assert.That(Spec(parts[0]).TokenCost(parts[1], parts[2]), Is.EqualTo(cost), operation);
        }
    }

    [Test]
    public async Task A_wrong_token_gets_401_with_pipedrives_error_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v2/deals");
        request.Headers.Add("x-api-token", "wrong");
        using var http = new HttpClient { BaseAddress = new Uri(_sandbox.BaseUrl) };
        var response = await http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body["success"]!.GetValue<bool>(), Is.False);
        Assert.That(body["errorCode"]!.GetValue<int>(), Is.EqualTo(401));
    }

    [Test]
    public async Task The_v1_api_also_accepts_the_token_as_a_query_parameter_but_v2_does_not()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_sandbox.BaseUrl) };
        Assert.That((await http.GetAsync("/api/v1/users?api_token=test-token")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await http.GetAsync("/api/v2/deals?api_token=test-token")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task A_v2_page_limit_above_500_is_refused_with_400()
    {
        var response = await _http.GetAsync("/api/v2/deals?limit=501");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("limit"));
    }

    [Test]
    public async Task Cursor_paging_returns_every_listed_deal_exactly_once()
    {
        var ids = new List<long>();
        string? cursor = null;
        do
        {
            var page = JsonNode.Parse(await _http.GetStringAsync("/api/v2/deals?limit=37&sort_by=update_time" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))))!;
            ids.AddRange(page["data"]!.AsArray().Select(d => d!["id"]!.GetValue<long>()));
            cursor = page["additional_data"]!["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);

        var expected = Company.Deals.Where(d => !d.IsArchived && !d.IsDeleted).Select(d => d.Id).Order();
        Assert.That(ids.Order(), Is.EqualTo(expected));
    }

    [Test]
    public async Task Updated_since_is_inclusive_and_updated_until_exclusive()
    {
        var pivot = Company.Deals.Where(d => !d.IsArchived && !d.IsDeleted).OrderBy(d => d.UpdateTime).ElementAt(100).UpdateTime;
        var at = pivot.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var since = JsonNode.Parse(await _http.GetStringAsync($"/api/v2/deals?limit=500&updated_since={at}"))!["data"]!.AsArray();
        var until = JsonNode.Parse(await _http.GetStringAsync($"/api/v2/deals?limit=500&updated_until={at}"))!["data"]!.AsArray();

        var live = Company.Deals.Where(d => !d.IsArchived && !d.IsDeleted).ToList();
        Assert.That(since, Has.Count.EqualTo(live.Count(d => d.UpdateTime >= pivot)));
        Assert.That(until, Has.Count.EqualTo(live.Count(d => d.UpdateTime < pivot)));
    }

    [Test]
    public async Task Deleted_deals_are_listed_only_when_asked_for()
    {
        var deleted = Company.Deals.Count(d => d.IsDeleted && !d.IsArchived);
        Assume.That(deleted, Is.GreaterThan(0));
        var page = JsonNode.Parse(await _http.GetStringAsync("/api/v2/deals?limit=500&status=deleted"))!["data"]!.AsArray();
        Assert.That(page, Has.Count.EqualTo(deleted));
        Assert.That(page.Select(d => d!["status"]!.GetValue<string>()), Is.All.EqualTo("deleted"));
    }

    [Test]
    public void Every_deals_changelog_ends_in_its_current_stage()
    {
        foreach (var deal in Company.Deals)
        {
            var last = deal.Changes.LastOrDefault(c => c.FieldKey == "stage_id");
            if (last is null) { Assert.That(deal.StageChangeTime, Is.Null); continue; }
            Assert.That(last.NewValue, Is.EqualTo(deal.StageId.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"deal {deal.Id}");
            Assert.That(deal.StageChangeTime, Is.EqualTo(last.Time));
        }
    }

    [Test]
    public async Task The_burst_window_refuses_with_429_and_rate_limit_headers()
    {
        var (sandbox, http) = await TinySandboxAsync(new PipedriveCompanyOptions { ApiToken = "t", Deals = 5, Activities = 5, Leads = 2, BurstLimit = 3 });
        await using var _ = sandbox;
        using var __ = http;
        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++) statuses.Add(await http.GetAsync("/api/v2/pipelines"));

        // Four calls rarely straddle a 2-second window; if they do, the fourth is allowed and we learn nothing.
        Assume.That(statuses[3].StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(statuses[3].Headers.GetValues("x-ratelimit-remaining").Single(), Is.EqualTo("0"));
        Assert.That(int.Parse(statuses[3].Headers.GetValues("x-ratelimit-reset").Single(), System.Globalization.CultureInfo.InvariantCulture), Is.InRange(1, 2));
        Assert.That(statuses[0].Headers.GetValues("x-ratelimit-limit").Single(), Is.EqualTo("3"));
    }

    [Test]
    public async Task A_spent_daily_budget_refuses_every_call_with_429()
    {
        var (sandbox, http) = await TinySandboxAsync(new PipedriveCompanyOptions { ApiToken = "t", Deals = 5, Activities = 5, Leads = 2, DailyTokenBudget = 12 });
        await using var _ = sandbox;
        using var __ = http;
        Assert.That((await http.GetAsync("/api/v2/deals")).StatusCode, Is.EqualTo(HttpStatusCode.OK)); // 10 tokens
        var refused = await http.GetAsync("/api/v2/deals");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("daily token budget"));
    }

    /// <summary>A sandbox of its own for a test that changes its limits, and a client authenticated as its company.</summary>
    private static async Task<(PipedriveSandbox Sandbox, HttpClient Http)> TinySandboxAsync(PipedriveCompanyOptions company)
    {
        var sandbox = await PipedriveSandbox.StartAsync(new PipedriveSandboxOptions { Companies = [company], Clock = TestClock.Clock, AsOf = TestClock.Now });
        var http = new HttpClient { BaseAddress = new Uri(sandbox.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-api-token", company.ApiToken);
        return (sandbox, http);
    }

    [Test]
    public async Task A_person_is_created_as_the_spec_says_listed_afterwards_and_refused_without_a_name()
    {
        var refused = await _http.PostAsync(new Uri("/api/v2/persons", UriKind.Relative), JsonContent.Create(new { emails = new[] { new { value = "x@y.example" } } }));
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.That(((int)refused.StatusCode, error["success"]!.GetValue<bool>(), error["error"]!.GetValue<string>()), Is.EqualTo((400, false, "Validation failed: name: Required")));

        var response = await _http.PostAsync(new Uri("/api/v2/persons", UriKind.Relative), JsonContent.Create(new
        {
            name = "Ada Created", emails = new[] { new { value = "ada@created.example", primary = true, label = "work" } }, phones = new[] { new { value = "+358 40 1", label = "mobile" } },
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        Assert.That(Spec("v2").ValidateResponse("POST", "/persons", 200, body), Is.Empty);
        var id = JsonNode.Parse(body)!["data"]!["id"]!.GetValue<long>();
        var listed = JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/v2/persons?ids={id}", UriKind.Relative)))!["data"]!.AsArray();
        Assert.That(listed.Select(p => (p!["name"]!.GetValue<string>(), p["emails"]![0]!["value"]!.GetValue<string>(), p["phones"]![0]!["label"]!.GetValue<string>())),
            Is.EqualTo(new[] { ("Ada Created", "ada@created.example", "mobile") }));
        var search = JsonNode.Parse(await _http.GetStringAsync(new Uri("/api/v2/persons/search?term=ADA@created.example&fields=email&exact_match=true", UriKind.Relative)))!;
        Assert.That(search["data"]!["items"]!.AsArray().Select(i => i!["item"]!["id"]!.GetValue<long>()), Is.EqualTo(new[] { id }), "exact_match is case-insensitive");
    }
}
