using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CrmEtl.Host.Customers;
using CrmEtl.Host.Web;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.IntegrationTests.WebConsole;
using CrmEtl.Storage.Users;
using CrmEtl.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CrmEtl.IntegrationTests.Customers;

/// <summary>
/// Widget keys end to end on a real worker process: made in the console and by 'crmetl widget-keys', limited to agents
/// and groups, revoked; and every request a helpdesk may get wrong, refused with a 4xx that says what to do.
/// Companies: Acme Group (instance Acme) and Globex (instance Globex), as <see cref="ConsoleWorld"/> sets them up.
/// </summary>
[NonParallelizable]
public sealed class WidgetKeyTests
{
    private ConsoleWorld _world = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        SetDefaultExpectTimeout(30_000);
        _world = await ConsoleWorld.StartAsync();
        _http = new HttpClient { BaseAddress = _world.Address };
    }

    [OneTimeTearDown]
    public async Task TearDownAsync()
    {
        _http.Dispose();
        await _world.DisposeAsync();
    }

    private async Task<string> KeyAsync(string company, params string[] agents) =>
        (await _world.Host.Services.GetRequiredService<WidgetKeys>().CreateAsync(company, "Desk", agents, [], "test", CancellationToken.None)).Secret;

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string pathAndQuery, string? key = null, string? agent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (key is not null) request.Headers.Add(CustomerAccess.WidgetKeyHeader, key);
        if (agent is not null) request.Headers.Add(CustomerAccess.AgentHeader, agent);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private int PeopleWith(string email) =>
        _world.Crm.Company.Persons.Count(p => !p.IsDeleted && p.Emails.Any(e => string.Equals(e.Value, email, StringComparison.OrdinalIgnoreCase)));

    [Test]
    public async Task An_admin_makes_a_key_in_the_console_limits_it_to_agents_and_groups_pastes_its_snippet_and_revokes_it()
    {
        await using (var viewer = await _world.SignedInAsync("vera@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Viewer))
        {
            await viewer.Page.GotoAsync("/widget-keys");
            await Expect(viewer.Page.GetByText("No widget keys yet.")).ToBeVisibleAsync();
            await Expect(viewer.Page.GetByRole(AriaRole.Button, new() { Name = "Create key" })).ToHaveCountAsync(0);
        }

        await using var browser = await _world.SignedInAsync("adam@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin);
        var page = browser.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Helpdesk widget" }).ClickAsync();
        await browser.WaitInteractiveAsync();
        await page.GetByLabel("Key name").FillAsync("Zendesk");
        await page.GetByLabel("Agents (ids, comma-separated)").FillAsync("42, 43");
        await page.GetByLabel("Groups (comma-separated)").FillAsync("tier2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var snippet = await page.GetByTestId("snippet").InnerTextAsync();
        var row = page.Locator("tr[data-key='Zendesk']");
        await Expect(row).ToContainTextAsync("agents 42, 43; groups tier2");
        await Expect(row).ToContainTextAsync("active");
        await browser.ScreenshotAsync("widget-keys", Path.Combine(Repository.Root, "docs", "console-widget-keys.png"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(page.GetByText("Name the key after the helpdesk")).ToBeVisibleAsync();

        // The helpdesk fills the snippet's placeholders with the ticket's e-mail and the agent.
        var src = Regex.Match(snippet, "src=\"([^\"]+)\"").Groups[1].Value;
        Assert.That(src, Does.StartWith(_world.Address + "widget/customer?key=cwk_"));
        string For(string agent, string group) => src.Replace("{customer e-mail}", "nobody@unknown.example").Replace("{agent id}", agent).Replace("{agent group}", group);
        var allowed = await GetAsync(For("42", ""));
        Assert.That(allowed.Status, Is.EqualTo(HttpStatusCode.OK), allowed.Body);
        Assert.That(allowed.Body, Does.Contain("Add to the CRM"));
        Assert.That((await GetAsync(For("7", "tier2"))).Status, Is.EqualTo(HttpStatusCode.OK), "a member of an allowed group");
        var refused = await GetAsync(For("7", "tier1"));
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(WebUtility.HtmlDecode(refused.Body), Does.Contain("Agent '7' (groups tier1) may not use the widget key 'Zendesk': an admin of Acme Group lists"));

        // Every agent, then revoked.
        await row.GetByRole(AriaRole.Button, new() { Name = "Change" }).ClickAsync();
        await row.GetByLabel("Agents").FillAsync("");
        await row.GetByLabel("Groups").FillAsync("");
        await row.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(row).ToContainTextAsync("every agent");
        Assert.That((await GetAsync(For("7", "tier1"))).Status, Is.EqualTo(HttpStatusCode.OK));
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        var revoked = await GetAsync(For("42", ""));
        Assert.That(revoked.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(revoked.Body, Does.Contain("was revoked"));
        Assert.That(browser.ScriptErrors, Is.Empty);
    }

    [Test]
    public async Task Widget_keys_from_the_command_line_print_the_key_once_with_its_snippet_and_bad_input_is_refused_naming_what_is_wrong()
    {
        var added = await RunAsync("widget-keys", "add", "--company", "Globex", "--name", "Freshdesk", "--group", "billing", "--address", "https://crm.globex.example");
        Assert.That(added.Exit, Is.EqualTo(0), added.Output);
        var id = Regex.Match(added.Output, @"Added widget key (\d+) 'Freshdesk' for Globex \(groups billing\)\.").Groups[1].Value;
        var key = Regex.Match(added.Output, @"Key: (cwk_[A-Za-z0-9_-]{43}) ").Groups[1].Value;
        Assert.That(id, Is.Not.Empty, added.Output);
        Assert.That(key, Is.Not.Empty, added.Output);
        Assert.That(added.Output, Does.Contain($"<iframe src=\"https://crm.globex.example/widget/customer?key={key}&email={{customer e-mail}}"));
        Assert.That((await GetAsync("/api/customers/card?email=a@b.example", key, null)).Status, Is.EqualTo(HttpStatusCode.Forbidden), "only group billing");
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/customers/card?email=a@b.example"))
        {
            request.Headers.Add(CustomerAccess.WidgetKeyHeader, key);
            request.Headers.Add(CustomerAccess.GroupsHeader, "sales, billing");
            using var response = await _http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }

        var bad = await RunAsync("widget-keys", "add", "--company", "Nobody", "--name", " ", "--agent", "a,b");
        Assert.That(bad.Exit, Is.EqualTo(CrmEtl.Host.Cli.ExitCodes.BadInput));
        Assert.That(bad.Output, Does.Contain("Name the key after the helpdesk").And.Contain("'a,b' is not an agent's or group's id")
            .And.Contain("Company 'Nobody' has no CRM instance, so a widget key would show nothing; companies with CRMs: Acme Group, Globex."));

        var everyone = await RunAsync("widget-keys", "agents", id);
        Assert.That(everyone.Output, Does.Contain($"Widget key {id} 'Freshdesk' of Globex: every agent."));
        Assert.That((await GetAsync("/api/customers/card?email=a@b.example", key, null)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await RunAsync("widget-keys", "--company", "Globex")).Output, Does.Match($@"{id}  Globex  Freshdesk  {Regex.Escape(key[..10])}…  every agent  created \d{{4}}-"));
        Assert.That((await RunAsync("widget-keys", "revoke", id)).Output, Does.Contain($"Widget key {id} is revoked."));
        Assert.That((await RunAsync("widget-keys", "--company", "Globex")).Output, Does.Contain("REVOKED"));
        Assert.That((await GetAsync("/api/customers/card?email=a@b.example", key, null)).Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        var unknown = await RunAsync("widget-keys", "revoke", "99999");
        Assert.That(unknown.Exit, Is.EqualTo(CrmEtl.Host.Cli.ExitCodes.BadInput));
        Assert.That(unknown.Output, Does.Contain("There is no widget key 99999"));
    }

    [Test]
    public async Task Every_bad_request_gets_a_clear_4xx_and_changes_nothing()
    {
        var acme = await KeyAsync(ConsoleWorld.AcmeGroup, "42");
        var globex = await KeyAsync("Globex");
        var revokedKey = await KeyAsync("Globex");
        var store = _world.Host.Services.GetRequiredService<CrmEtl.Storage.Customers.WidgetKeyStore>();
        var revokedId = (await store.ListAsync("Globex", CancellationToken.None))[0].Id;
        await store.RevokeAsync(revokedId, "Globex", CancellationToken.None);
        const string Card = "/api/customers/card?email=someone@example.com";

        var cases = new (string What, string Path, string? Key, string? Agent, HttpStatusCode Status, string Says)[]
        {
            ("no key", Card, null, null, HttpStatusCode.Unauthorized, "Send a widget key"),
            ("unknown key", Card, "cwk_" + new string('A', 43), "42", HttpStatusCode.Unauthorized, "This widget key is not known"),
            ("revoked key", Card, revokedKey, null, HttpStatusCode.Unauthorized, "was revoked on"),
            ("agent not allowed", Card, acme, "7", HttpStatusCode.Forbidden, "Agent '7' may not use the widget key 'Desk'"),
            ("no agent named", Card, acme, null, HttpStatusCode.Forbidden, "No agent was named"),
            ("no e-mail", "/api/customers/card", acme, "42", HttpStatusCode.BadRequest, "Give the customer's e-mail"),
            ("50 e-mails", "/api/customers/card?" + string.Join('&', Enumerable.Range(0, 50).Select(i => $"email=p{i}@example.com")), acme, "42", HttpStatusCode.BadRequest, "50 e-mails were given"),
            ("malformed e-mail", "/api/customers/card?email=someone@@example", acme, "42", HttpStatusCode.BadRequest, "'someone@@example' is not an e-mail address"),
            ("another company's instance", Card + "&instance=Acme", globex, null, HttpStatusCode.NotFound, "There is no instance 'Acme' in company 'Globex'."),
            ("another company's instance by id", Card + "&instance=1", globex, null, HttpStatusCode.NotFound, "There is no instance '1' in company 'Globex'."),
            ("another company", Card + "&company=Acme%20Group", globex, null, HttpStatusCode.Forbidden, "A widget key reads only its own company's customers"),
        };
        foreach (var c in cases)
        {
            var (status, body) = await GetAsync(c.Path, c.Key, c.Agent);
            Assert.That(status, Is.EqualTo(c.Status), $"{c.What}: {body}");
            Assert.That(body, Does.Contain(c.Says), c.What);
            Assert.That(body, Does.Not.Contain("\"contacts\""), $"{c.What}: no card data");
        }

        // Writes refused the same way create nothing in the CRM.
        var before = _world.Crm.Company.Persons.Count;
        foreach (var (key, agent, instance, status) in new[] { (acme, "7", "Acme", HttpStatusCode.Forbidden), (globex, (string?)null, "Acme", HttpStatusCode.NotFound), (revokedKey, null, "Globex", HttpStatusCode.Unauthorized) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/customers") { Content = JsonContent.Create(new { instance, name = "Mallory", emails = new[] { "mallory@evil.example" } }) };
            request.Headers.Add(CustomerAccess.WidgetKeyHeader, key);
            if (agent is not null) request.Headers.Add(CustomerAccess.AgentHeader, agent);
            using var response = await _http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
        }
        Assert.That((_world.Crm.Company.Persons.Count, PeopleWith("mallory@evil.example")), Is.EqualTo((before, 0)));
    }

    private async Task<(int Exit, string Output)> RunAsync(params string[] command)
    {
        await using var process = WorkerProcess.Run(_world.Database, null, command);
        Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Null, $"crmetl {string.Join(' ', command)} did not end");
        return (process.ExitCode, process.Output);
    }
}
