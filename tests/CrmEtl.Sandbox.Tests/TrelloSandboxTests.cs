using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Trello;
using CrmEtl.Testing.OpenApi;

namespace CrmEtl.Sandbox.Tests;

/// <summary>The Trello sandbox judged by Trello's official spec and API notes, over real HTTP on loopback.</summary>
public sealed class TrelloSandboxTests
{
    private const string Key = "0123456789abcdef0123456789abcdef", Token = "sandbox-trello-token-acme-0123456789abcdef";
    private TrelloSandbox _sandbox = null!;
    private HttpClient _http = null!;
    private static readonly Lazy<OpenApiSpec> Spec = new(() => OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "trello", "swagger.v3.json")));

    private TrelloAccount Account => _sandbox.Accounts[0];

    [OneTimeSetUp]
    public async Task StartSandbox()
    {
        _sandbox = await TrelloSandbox.StartAsync(new TrelloSandboxOptions());
        _http = Client(Key, Token);
    }

    [OneTimeTearDown]
    public async Task StopSandbox()
    {
        _http.Dispose();
        await _sandbox.DisposeAsync();
    }

    private HttpClient Client(string key, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(_sandbox.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("OAuth", $"oauth_consumer_key=\"{key}\", oauth_token=\"{token}\"");
        return http;
    }

    private string ListId(string board, string list) => Account.Board(board).Lists.First(l => l.Name == list).Id;

    [TestCase("GET", "/members/{id}", "/1/members/me?fields=username,fullName")]
    [TestCase("GET", "/members/{id}/boards", "/1/members/me/boards?filter=open")]
    [TestCase("GET", "/boards/{id}", "/1/boards/{board}")]
    [TestCase("GET", "/boards/{id}/lists", "/1/boards/{board}/lists?filter=open")]
    [TestCase("POST", "/cards", "/1/cards?idList={list}&name=Kivi%20licence&desc=Value%3A%201200%20EUR&pos=bottom&due=2026-12-24T00:00:00Z&urlSource=https%3A%2F%2Facme.pipedrive.com%2Fdeal%2F42")]
    [TestCase("GET", "/lists/{id}/cards", "/1/lists/{list}/cards")]
    public async Task Every_served_response_matches_trellos_spec(string method, string template, string url)
    {
        var board = Account.Board("Accounting");
        var list = board.Lists[0];
        if (method == "GET" && template.StartsWith("/lists", StringComparison.Ordinal))
            (await _http.PostAsync($"/1/cards?idList={list.Id}&name=Seed", null)).EnsureSuccessStatusCode();
        using var request = new HttpRequestMessage(new HttpMethod(method), url.Replace("{board}", board.Id, StringComparison.Ordinal).Replace("{list}", list.Id, StringComparison.Ordinal));
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(Spec.Value.ValidateResponse(method, template, 200, body), Is.Empty);
        var root = JsonNode.Parse(body)!;
        Assert.That(root is JsonArray array ? array.Count : 1, Is.GreaterThan(0), "a test of an empty list proves little");
    }

    [Test]
    public async Task A_card_is_made_on_its_list_with_its_fields_and_listed_there_afterwards()
    {
        var list = ListId("Site inspections", "Offer needed");
        using var created = await _http.PostAsync($"/1/cards?idList={list}&name=Fjord%20Marine&desc=Deal%20link&due=2027-01-15&urlSource=https%3A%2F%2Facme.pipedrive.com%2Fdeal%2F7", null);
        var card = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.That((card["name"]!.GetValue<string>(), card["desc"]!.GetValue<string>(), card["idList"]!.GetValue<string>(), card["due"]!.GetValue<string>()),
            Is.EqualTo(("Fjord Marine", "Deal link", list, "2027-01-15T00:00:00.000Z")));
        Assert.That(card["id"]!.GetValue<string>(), Does.Match("^[0-9a-f]{24}$"));
        Assert.That(card["badges"]!["attachments"]!.GetValue<int>(), Is.EqualTo(1), "urlSource attaches the link");
        var listed = JsonNode.Parse(await _http.GetStringAsync($"/1/lists/{list}/cards"))!.AsArray();
        Assert.That(listed.Select(c => c!["id"]!.GetValue<string>()), Does.Contain(card["id"]!.GetValue<string>()));
    }

    [Test]
    public async Task Bad_credentials_ids_and_values_get_trellos_plain_text_errors()
    {
        using (var noKey = Client("ffffffffffffffffffffffffffffffff", Token))
            Assert.That(await TextAsync(noKey.GetAsync("/1/members/me/boards")), Is.EqualTo((401, "invalid key")));
        using (var wrongToken = Client(Key, "not-the-token"))
            Assert.That(await TextAsync(wrongToken.GetAsync("/1/members/me/boards")), Is.EqualTo((401, "invalid token")));
        using (var query = new HttpClient { BaseAddress = new Uri(_sandbox.BaseUrl) })
            Assert.That((await TextAsync(query.GetAsync($"/1/members/me/boards?key={Key}&token={Token}"))).Item1, Is.EqualTo(200), "key= and token= also work");

        Assert.That(await TextAsync(_http.PostAsync("/1/cards?idList=nope&name=x", null)), Is.EqualTo((400, "invalid value for idList")));
        Assert.That(await TextAsync(_http.GetAsync("/1/boards/123")), Is.EqualTo((400, "invalid id")));
        Assert.That(await TextAsync(_http.PostAsync($"/1/cards?idList={ListId("Design", "Briefs")}&due=someday", null)), Is.EqualTo((400, "invalid value for due")));
        var design = Account.Board("Design");
        _sandbox.DeleteBoard(Account.Options.Member, design.Id);
        Assert.That(await TextAsync(_http.PostAsync($"/1/cards?idList={design.Lists[0].Id}&name=x", null)), Is.EqualTo((404, "The requested resource was not found.")));
        Assert.That(await TextAsync(_http.GetAsync($"/1/boards/{design.Id}/lists")), Is.EqualTo((404, "The requested resource was not found.")));
    }

    [Test]
    public async Task The_limits_per_token_and_per_key_answer_429_with_trellos_bodies_and_many_refusals_shut_the_key_out()
    {
        await using var limited = await TrelloSandbox.StartAsync(new TrelloSandboxOptions
        {
            Accounts = [new TrelloAccountOptions { OtherTokens = ["second-token"] }], TokenLimit = 3, KeyLimit = 5, Window = TimeSpan.FromSeconds(30),
        });
        var list = limited.Accounts[0].Boards[0].Lists[0].Id;
        using var first = new HttpClient { BaseAddress = new Uri(limited.BaseUrl) };
        first.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("OAuth", $"oauth_consumer_key=\"{Key}\", oauth_token=\"{Token}\"");
        using var second = new HttpClient { BaseAddress = new Uri(limited.BaseUrl) };
        second.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("OAuth", $"oauth_consumer_key=\"{Key}\", oauth_token=\"second-token\"");

        for (var i = 0; i < 3; i++) Assert.That((await TextAsync(first.GetAsync($"/1/lists/{list}/cards"))).Item1, Is.EqualTo(200));
        var (status, body) = await TextAsync(first.GetAsync($"/1/lists/{list}/cards"));
        Assert.That((status, JsonNode.Parse(body)!["error"]!.GetValue<string>()), Is.EqualTo((429, "API_TOKEN_LIMIT_EXCEEDED")));
        for (var i = 0; i < 2; i++) Assert.That((await TextAsync(second.GetAsync($"/1/lists/{list}/cards"))).Item1, Is.EqualTo(200), "another token of the key");
        (status, body) = await TextAsync(second.GetAsync($"/1/lists/{list}/cards"));
        Assert.That((status, JsonNode.Parse(body)!["error"]!.GetValue<string>()), Is.EqualTo((429, "API_KEY_LIMIT_EXCEEDED")), "the key's 5 are spent");
        Assert.That(limited.RateLimited, Is.EqualTo(2));
        Assert.That(limited.Accounts[0].Cards().Count(), Is.Zero);
    }

    [Test]
    public async Task A_lost_answer_still_makes_the_card_and_server_errors_make_none()
    {
        var list = ListId("Site inspections", "Scheduled");
        var before = _sandbox.Cards(Account.Options.Member).Count(c => c.List.Id == list);
        _sandbox.Faults.LoseWriteAnswers(1);
        Assert.ThrowsAsync<HttpRequestException>(async () => await _http.PostAsync($"/1/cards?idList={list}&name=Lost", null));
        _sandbox.Faults.AddServerErrors(1);
        Assert.That((await TextAsync(_http.PostAsync($"/1/cards?idList={list}&name=Failed", null))).Item1, Is.EqualTo(500));
        Assert.That(_sandbox.Cards(Account.Options.Member).Where(c => c.List.Id == list).Select(c => c.Name).Skip(before), Is.EqualTo(new[] { "Lost" }));
    }

    private static async Task<(int, string)> TextAsync(Task<HttpResponseMessage> sending)
    {
        using var response = await sending;
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
