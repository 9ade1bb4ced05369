using System.Net;
using CrmEtl.Host.Web;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Storage.Users;
using CrmEtl.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CrmEtl.IntegrationTests.WebConsole;

/// <summary>The web console in a real headless Chromium against a real worker process, database and CRM sandbox.</summary>
[Parallelizable(ParallelScope.Children)] // each test has its own worker, sandbox, database and browser
public sealed class ConsoleTests
{
    private static readonly string DocsFolder = Path.Combine(Repository.Root, "docs");

    [OneTimeSetUp]
    public void Patience() => SetDefaultExpectTimeout(30_000);

    [Test]
    public async Task An_admin_presses_refresh_now_and_sees_the_run_progress_live_to_its_end_and_a_second_press_shows_the_same_run()
    {
        await using var world = await ConsoleWorld.StartAsync();
        await using var browser = await world.SignedInAsync("anna@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin, typedEmail: "Anna@Acme.example ");

        var acme = browser.Page.Locator("[data-instance='Acme']");
        await Expect(browser.Page.GetByTestId("signed-in")).ToHaveTextAsync("anna@acme.example · Acme Group (admin)");
        await Expect(acme.GetByTestId("status")).ToHaveTextAsync("Connected");
        await Expect(acme.GetByTestId("last-run")).ToContainTextAsync("none yet");
        await Expect(acme.GetByTestId("next-run")).ToContainTextAsync("02:00 Europe/Helsinki");

        // Slow answers, so that the run is seen under way.
        world.Crm.Sandbox.Faults.Latency = TimeSpan.FromMilliseconds(40);
        await acme.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();
        var run = acme.GetByTestId("run");
        await Expect(run).ToHaveAttributeAsync("data-run-status", "running");
        var runId = await run.GetAttributeAsync("data-run-id");
        await Expect(run.Locator("tr[data-stream]").First).ToBeVisibleAsync();
        await acme.GetByRole(AriaRole.Button, new() { Name = "Refresh now" }).ClickAsync();
        await Expect(run).ToContainTextAsync("already queued or running");
        Assert.That(await run.GetAttributeAsync("data-run-id"), Is.EqualTo(runId), "a second press shows the same run");
        await browser.ScreenshotAsync("running");

        await Expect(run).ToHaveAttributeAsync("data-run-status", "succeeded", new() { Timeout = 120_000 });
        await Expect(run).ToContainTextAsync($"Run {runId}: Succeeded in");
        await Expect(run.Locator("tr[data-stream='deals']")).ToBeVisibleAsync();
        await Expect(acme.GetByTestId("last-run")).ToContainTextAsync("Succeeded, ");
        // The figures shown are the run's, as the run log recorded them.
        var recorded = await world.Host.Services.GetRequiredService<CrmEtl.Storage.Runs.SyncRunLog>().FindAsync(long.Parse(runId!, System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        var deals = ConsoleFormat.Streams(recorded!.Streams).Single(s => s.Stream == "deals");
        Assert.That(deals.Read, Is.GreaterThan(0));
        await Expect(run.Locator("tr[data-stream='deals'] td").Nth(1)).ToHaveTextAsync(ConsoleFormat.Number(deals.Read));
        await browser.ScreenshotAsync("data-sources", Path.Combine(DocsFolder, "console-data-sources.png"));

        // The run in the history, its streams a click away; filtered by another status, it is not there.
        await browser.Page.GetByRole(AriaRole.Link, new() { Name = "Runs" }).ClickAsync();
        var row = browser.Page.Locator($"tr[data-run-id='{runId}']");
        await Expect(row).ToContainTextAsync("Succeeded");
        await row.ClickAsync();
        await Expect(browser.Page.Locator("tr[data-stream='deals']")).ToBeVisibleAsync();
        await browser.Page.GetByTestId("filter-status").ClickAsync();
        await browser.Page.Locator(".mud-popover-open").GetByText("Failed", new() { Exact = true }).ClickAsync();
        await Expect(browser.Page.GetByText("No run matches.")).ToBeVisibleAsync();
        Assert.That(browser.ScriptErrors, Is.Empty, "no script was refused, no request failed and the circuit did not break");
    }

    [Test]
    public async Task An_admin_connects_a_sandbox_pipedrive_account_through_the_wizard_and_sees_its_first_sync_finish()
    {
        await using var world = await ConsoleWorld.StartAsync();
        await using var browser = await world.SignedInAsync("anna@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin);
        var page = browser.Page;

        await page.GetByRole(AriaRole.Link, new() { Name = "Connect a CRM" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pipedrive" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Test the connection" }).ClickAsync();
        await Expect(page.GetByTestId("wizard-problem").First).ToContainTextAsync("Name is required");

        await page.GetByLabel("Name").FillAsync("Acme Two");
        await page.GetByLabel("Company domain").FillAsync(world.Crm.Sandbox.BaseUrl);
        await page.GetByLabel("API token").FillAsync("not-the-token");
        await page.GetByLabel("Time zone").FillAsync("Europe/Helsinki");
        await page.GetByRole(AriaRole.Button, new() { Name = "Test the connection" }).ClickAsync();
        await Expect(page.GetByTestId("connection-test")).ToContainTextAsync("API token");
        await browser.ScreenshotAsync("refused-token");

        await page.GetByRole(AriaRole.Button, new() { Name = "Change the credentials" }).ClickAsync();
        await page.GetByLabel("API token").FillAsync(world.Crm.Company.ApiToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Test the connection" }).ClickAsync();
        await Expect(page.GetByTestId("connection-test")).ToContainTextAsync("Connected: 3 pipeline(s).");
        await Expect(page.GetByTestId("connection-test")).ToContainTextAsync("New business: Request → Qualified → Meeting → Quote given → Negotiation → Contract sent");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start the first sync" }).ClickAsync();
        await Expect(page.GetByTestId("run")).ToHaveAttributeAsync("data-run-status", "succeeded", new() { Timeout = 120_000 });
        await browser.ScreenshotAsync("first-sync");

        // Filters: what the picked condition matches among the synced deals, then kept as an exclude filter.
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: filters" }).ClickAsync();
        await using var connection = new Npgsql.NpgsqlConnection(world.Database);
        var (lost, total) = await Dapper.SqlMapper.QuerySingleAsync<(long, long)>(connection, """
            SELECT count(*) FILTER (WHERE d.status = 'lost'), count(*) FROM crm.deal d JOIN etl.instance i ON i.id = d.instance_id
            WHERE i.name = 'Acme Two' AND NOT d.is_deleted
            """);
        Assert.That(lost, Is.GreaterThan(0).And.LessThan(total), "the sandbox has lost deals among others");
        await page.GetByTestId("filter-count").ClickAsync();
        await Expect(page.GetByTestId("wizard-problem")).ToContainTextAsync("Give a value to compare status with.");
        await page.GetByTestId("filter-value").FillAsync("lost");
        await page.GetByTestId("filter-count").ClickAsync();
        await Expect(page.GetByTestId("filter-matches")).ToContainTextAsync($"{lost:N0} of {total:N0} deals match \"status\" = 'lost'.");
        await page.GetByTestId("filter-mode").ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("exclude", new() { Exact = true }).ClickAsync();
        // The choice reaches the server before Add is pressed (a busy machine once let Add go first, with "include").
        await Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("filter-mode")).ToHaveTextAsync("exclude");
        await page.GetByTestId("filter-add").ClickAsync();
        var filterRow = page.GetByTestId("wizard-filters").Locator("tbody tr");
        await Expect(filterRow).ToHaveCountAsync(1);
        foreach (var cell in new[] { "exclude", "\"status\" = 'lost'", $"{lost:N0} of {total:N0}" }) await Expect(filterRow).ToContainTextAsync(cell);
        await browser.ScreenshotAsync("wizard-filters");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the filters and go on" }).ClickAsync();

        // Mapping: the board, started from the CRM and saved; then KPIs per step and a calculated one, a bad formula refused first.
        await page.GetByRole(AriaRole.Button, new() { Name = "Start from the CRM" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync("Saved. The numbers were rebuilt in", new() { Timeout = 120_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Next: calculated KPIs" }).ClickAsync();
        await page.GetByTestId("kpi-per-step").ClickAsync();
        await Expect(page.GetByTestId("kpi-names")).ToContainTextAsync("Won, Lost", new() { Timeout = 120_000 });
        await page.GetByTestId("kpi-name").FillAsync("Win share");
        await page.GetByTestId("kpi-expression").FillAsync("Won / (Won + Lots)");
        await page.GetByTestId("kpi-add").ClickAsync();
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync("Nothing was changed");
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync("Lots");
        await page.GetByTestId("kpi-expression").FillAsync("Won / (Won + Lost)");
        await page.GetByTestId("kpi-add").ClickAsync();
        await Expect(page.GetByTestId("calculated-kpis")).ToContainTextAsync("Win shareWon / (Won + Lost)", new() { Timeout = 120_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Finish" }).ClickAsync();
        await Expect(page.GetByTestId("wizard-done")).ToContainTextAsync("'Acme Two' is connected, synced and mapped.");
        Assert.That(await Dapper.SqlMapper.QueryAsync<string>(connection, """
            SELECT f.mode || ' ' || f.entity || ' ' || f.condition FROM config.record_filter f JOIN etl.instance i ON i.id = f.instance_id WHERE i.name = 'Acme Two'
            """), Is.EqualTo(new[] { "exclude deal \"status\" = 'lost'" }));

        await page.GetByRole(AriaRole.Link, new() { Name = "Data sources" }).First.ClickAsync();
        var added = page.Locator("[data-instance='Acme Two']");
        await Expect(added.GetByTestId("status")).ToHaveTextAsync("Connected");
        await Expect(added.GetByTestId("next-run")).ToContainTextAsync("02:00 Europe/Helsinki");

        // Edited from the menu: a bad time zone is refused naming the field, a good one moves the next run.
        foreach (var (zone, expected) in new[] { ("Europe/Atlantis", "Time zone 'Europe/Atlantis' is not a known IANA time zone"), ("Asia/Tokyo", "Saved; the connection was tested.") })
        {
            await ConsoleBrowser.RetryAsync(async timeout =>
            {
                await added.GetByRole(AriaRole.Button, new() { Name = "More for Acme Two" }).ClickAsync(new() { Timeout = timeout });
                await page.GetByText("Edit or re-authorise…").ClickAsync(new() { Timeout = timeout });
                // A click that landed while the row redrew closes the menu without opening the dialog: then open it again.
                await page.GetByRole(AriaRole.Dialog).GetByLabel("Time zone").WaitForAsync(new() { Timeout = timeout });
            });
            await page.GetByRole(AriaRole.Dialog).GetByLabel("Time zone").FillAsync(zone);
            await page.GetByRole(AriaRole.Button, new() { Name = "Save and test" }).ClickAsync();
            await Expect(page.Locator(".mud-snackbar").Last).ToContainTextAsync(expected);
        }
        await Expect(added.GetByTestId("next-run")).ToContainTextAsync("02:00 Asia/Tokyo");
        Assert.That(await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT company FROM etl.instance WHERE name = 'Acme Two'"), Is.EqualTo(ConsoleWorld.AcmeGroup));
        Assert.That(browser.ScriptErrors, Is.Empty);
    }

    [Test]
    public async Task An_admin_connects_a_kommo_account_through_the_wizard_a_spent_refresh_token_refused_by_name()
    {
        await using var world = await ConsoleWorld.StartAsync();
        await using var kommo = await Sandbox.Kommo.KommoSandbox.StartAsync(new Sandbox.Kommo.KommoSandboxOptions
        {
            Accounts = [new Sandbox.Kommo.KommoAccountOptions { Subdomain = "acme-ee", Seed = 8, Deals = 120, Activities = 150 }], Clock = TestClock.Clock, AsOf = TestClock.Now,
        });
        var account = kommo.Accounts[0].Options;
        await using var browser = await world.SignedInAsync("anna@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin);
        var page = browser.Page;

        await page.GetByRole(AriaRole.Link, new() { Name = "Connect a CRM" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Kommo" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("Acme Estonia");
        await page.GetByLabel("Account address").FillAsync(kommo.Accounts[0].BaseUrl);
        await page.GetByRole(AriaRole.Button, new() { Name = "Test the connection" }).ClickAsync();
        await Expect(page.GetByTestId("wizard-problem").First).ToContainTextAsync("without a long-lived");

        await page.GetByLabel("Or: integration ID").FillAsync(account.ClientId);
        await page.GetByLabel("Secret key").FillAsync(account.ClientSecret);
        await page.GetByLabel("Refresh token").FillAsync("def502-a-token-used-before");
        await page.GetByRole(AriaRole.Button, new() { Name = "Test the connection" }).ClickAsync();
        await Expect(page.GetByTestId("connection-test")).ToContainTextAsync("Kommo refused the refresh token");

        await page.GetByRole(AriaRole.Button, new() { Name = "Change the credentials" }).ClickAsync();
        await page.GetByLabel("Refresh token").FillAsync(account.RefreshToken!);
        await page.GetByRole(AriaRole.Button, new() { Name = "Test the connection" }).ClickAsync();
        await Expect(page.GetByTestId("connection-test")).ToContainTextAsync($"Connected: {kommo.Accounts[0].Data.Pipelines.Count} pipeline(s).");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start the first sync" }).ClickAsync();
        await Expect(page.GetByTestId("run")).ToHaveAttributeAsync("data-run-status", "succeeded", new() { Timeout = 120_000 });
        Assert.That(kommo.Accounts[0].SpentRefreshTokenReuses, Is.Zero);
    }

    [Test]
    public async Task Each_company_sees_only_its_own_instances_and_a_viewer_cannot_change_them()
    {
        await using var world = await ConsoleWorld.StartAsync();
        // An admin adds a viewer on the Users page; the password made up for them is shown once.
        string viewerPassword;
        await using (var anna = await world.SignedInAsync("anna@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin))
        {
            await anna.Page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
            await anna.Page.GetByLabel("E-mail").FillAsync("Vera@Acme.example");
            await anna.Page.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
            var shown = anna.Page.GetByTestId("new-password");
            await Expect(shown).ToContainTextAsync("Added vera@acme.example (viewer).");
            viewerPassword = System.Text.RegularExpressions.Regex.Match(await shown.InnerTextAsync(), @"shown once: (\S+)").Groups[1].Value;
            await Expect(anna.Page.Locator("tr[data-user]")).ToHaveCountAsync(2);
            await anna.ScreenshotAsync("users");
        }

        await using (var globex = await world.SignedInAsync("gus@globex.example", "Globex", ConsoleRoles.Admin))
        {
            await Expect(globex.Page.Locator("[data-instance='Globex']")).ToBeVisibleAsync();
            await Expect(globex.Page.Locator("[data-instance]")).ToHaveCountAsync(1);
            await Expect(globex.Page.Locator("body")).Not.ToContainTextAsync("Acme");
            await globex.Page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
            await Expect(globex.Page.Locator("tr[data-user]")).ToHaveCountAsync(1);
            await globex.ScreenshotAsync("globex");
        }

        await using var viewer = await ConsoleBrowser.OpenAsync(world.Address);
        await viewer.SignInAsync("vera@acme.example", viewerPassword);
        var acme = viewer.Page.Locator("[data-instance='Acme']");
        await Expect(acme.GetByTestId("status")).ToHaveTextAsync("Connected");
        await Expect(viewer.Page.Locator("[data-instance]")).ToHaveCountAsync(1);
        await Expect(acme.GetByRole(AriaRole.Button, new() { Name = "Refresh now" })).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByRole(AriaRole.Link, new() { Name = "Connect a CRM" })).ToHaveCountAsync(0);
        await viewer.ScreenshotAsync("viewer");
        await viewer.Page.GetByRole(AriaRole.Link, new() { Name = "Mapping" }).ClickAsync();
        await Expect(viewer.Page.GetByText("You are a viewer: you can look at the mapping, not change it.")).ToBeVisibleAsync();
        await Expect(viewer.Page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true })).ToBeDisabledAsync();

        // Not only hidden: the service behind the page refuses a viewer, and another company's instance is not there for them.
        var instances = world.Host.Services.GetRequiredService<ConsoleInstances>();
        var vera = new ConsoleSession(0, "vera@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Viewer, Guid.Empty);
        var gus = vera with { Email = "gus@globex.example", Company = "Globex", Role = ConsoleRoles.Admin };
        var acmeId = (await instances.ListAsync(vera, CancellationToken.None)).Single().Id;
        Assert.ThrowsAsync<ConsoleForbiddenException>(() => instances.RefreshAsync(vera, acmeId, CancellationToken.None));
        Assert.ThrowsAsync<CrmEtl.Host.Instances.InstanceNotFoundException>(() => instances.RefreshAsync(gus, acmeId, CancellationToken.None));
        Assert.That(await world.Host.Services.GetRequiredService<CrmEtl.Storage.Runs.SyncRunLog>().ListAsync(null, 10, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task Sign_in_is_required_refuses_wrong_passwords_locks_the_account_after_five_and_the_pages_carry_security_headers()
    {
        await using var world = await ConsoleWorld.StartAsync();
        var password = await world.AddUserAsync("anna@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = world.Address };
        var anonymous = await http.GetAsync("/");
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(anonymous.Headers.Location?.ToString(), Does.Contain("/signin"));
        var signInPage = await http.GetAsync("/signin");
        Assert.That(signInPage.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
        Assert.That(signInPage.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("script-src 'self'").And.Contain("frame-ancestors 'none'"));
        Assert.That((await http.GetAsync("/api/instances")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the API keeps its key");
        // A form posted without the page's anti-forgery token is refused.
        using var forged = new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "signin", ["Input.Email"] = "anna@acme.example", ["Input.Password"] = password });
        Assert.That((await http.PostAsync("/signin", forged)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        await using var browser = await ConsoleBrowser.OpenAsync(world.Address);
        await browser.Page.GotoAsync("/runs");
        await browser.Page.WaitForURLAsync("**/signin?ReturnUrl=%2Fruns");
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await browser.Page.GetByLabel("E-mail").FillAsync("anna@acme.example");
            await browser.Page.GetByLabel("Password").FillAsync("not the password " + attempt);
            await browser.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(browser.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(attempt < 5 ? "The e-mail or the password is wrong." : "Too many wrong passwords: this account is locked for 15 minutes.");
        }
        await browser.Page.GetByLabel("E-mail").FillAsync("anna@acme.example");
        await browser.Page.GetByLabel("Password").FillAsync(password);
        await browser.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(browser.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("this account is locked until");
        await browser.ScreenshotAsync("locked");

        // A new password from the command line lifts the lock; the console then opens the page asked for first.
        var reset = WorkerProcess.Run(world.Database, null, "users", "password", "anna@acme.example");
        Assert.That(await reset.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Null);
        Assert.That(reset.ExitCode, Is.EqualTo(0), reset.Output);
        var newPassword = System.Text.RegularExpressions.Regex.Match(reset.Output, @"Password: (\S+)").Groups[1].Value;
        await browser.Page.GetByLabel("E-mail").FillAsync("anna@acme.example");
        await browser.Page.GetByLabel("Password").FillAsync(newPassword);
        await browser.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await browser.Page.WaitForURLAsync("**/runs");
    }

    [Test]
    public async Task Users_are_added_from_the_command_line_with_a_made_up_password_and_bad_input_is_refused_naming_what_is_wrong()
    {
        var database = await PostgresFixture.Databases.CreateAsync("users");
        var added = await RunAsync(database, "users", "add", "--email", "Anna@Acme.example", "--company", "Acme Group");
        Assert.That(added.Exit, Is.EqualTo(0), added.Output);
        Assert.That(added.Output, Does.Contain("Added anna@acme.example (admin of Acme Group).").And.Match(@"Password: [A-Za-z0-9]{16} "));

        var again = await RunAsync(database, "users", "add", "--email", "anna@acme.example", "--company", "Acme Group");
        Assert.That(again.Exit, Is.EqualTo(CrmEtl.Host.Cli.ExitCodes.BadInput));
        Assert.That(again.Output, Does.Contain("There is already a console user 'anna@acme.example'."));
        var bad = await RunAsync(database, "users", "add", "--email", "not-an-address", "--company", " ", "--role", "owner");
        Assert.That(bad.Exit, Is.EqualTo(CrmEtl.Host.Cli.ExitCodes.BadInput));
        Assert.That(bad.Output, Does.Contain("'not-an-address' is not an e-mail address").And.Contain("Name the user's company").And.Contain("The role 'owner' is not one of admin, viewer"));

        var listed = await RunAsync(database, "users");
        Assert.That(listed.Output, Does.Contain("anna@acme.example  Acme Group  admin  never signed in"));
        var removed = await RunAsync(database, "users", "remove", "anna@acme.example");
        Assert.That(removed.Output, Does.Contain("Removed anna@acme.example."));
        Assert.That((await RunAsync(database, "users")).Output, Does.Contain("No console users yet."));
    }

    private static async Task<(int Exit, string Output)> RunAsync(string database, params string[] command)
    {
        await using var process = WorkerProcess.Run(database, null, command);
        Assert.That(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Null, $"crmetl {string.Join(' ', command)} did not end");
        return (process.ExitCode, process.Output);
    }
}
