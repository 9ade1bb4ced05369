using CrmEtl.Core.Instances;
using CrmEtl.Host.Web;
using CrmEtl.IntegrationTests.Operations;
using CrmEtl.Sandbox.Kommo;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Users;
using CrmEtl.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CrmEtl.IntegrationTests.WebConsole;

/// <summary>The console's Web forms pages in Chromium, on a real worker writing to the Kommo sandbox: modules, a test submission, its outcome.</summary>
[Parallelizable] // its own worker, sandbox, database and browsers
public sealed class FormsConsoleTests
{
    private const string Company = "Acme Group";
    private static readonly string DocsFolder = Path.Combine(Repository.Root, "docs");

    [Test]
    public async Task An_admin_adds_a_module_sends_a_test_submission_and_sees_it_written_to_Kommo_while_a_viewer_only_looks()
    {
        await using var kommo = await KommoWorld.StartAsync(KommoWorld.DefaultAccount with { Deals = 20, Activities = 20 });
        await using var worker = await InProcessWorker.StartAsync(await PostgresFixture.Databases.CreateAsync("forms-console"),
            kommo.Settings(new() { ["Forms:PollEvery"] = "00:00:00.200" }));
        var account = kommo.Account;
        var instances = worker.Services.GetRequiredService<InstanceRepository>();
        await instances.AddAsync(new NewInstance("Acme Ukraine", InstanceKinds.Kommo, account.BaseUrl,
            InstanceCredentials.OAuth(account.Options.ClientId, account.Options.ClientSecret, account.Options.RefreshToken!), Company: Company), CancellationToken.None);
        var console = worker.Client.BaseAddress!;

        await using var admin = await ConsoleWorld.SignedInAsync(worker.Services, console, "tove@acme.example", Company, ConsoleRoles.Admin);
        var page = admin.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Web forms" }).ClickAsync();
        var modules = page.GetByTestId("form-modules");
        await Expect(modules).ToContainTextAsync("No web form modules yet.");
        await Expect(page.GetByTestId("form-settings")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"duplicates\": \"ours\""));

        // Settings FormModules refuses: every problem is listed, and nothing is saved.
        await page.GetByTestId("form-name").FillAsync("Contact form");
        await page.GetByTestId("form-settings").FillAsync("""{ "duplicates": "sometimes", "defaultRegion": "XX" }""");
        await page.GetByTestId("form-save").ClickAsync();
        var problems = page.GetByTestId("form-problems");
        await Expect(problems).ToContainTextAsync("duplicates 'sometimes' is not one of ours, crm, none.");
        await Expect(problems).ToContainTextAsync("defaultRegion 'XX' is not a region code");
        await Expect(modules).ToContainTextAsync("No web form modules yet.");

        // The example settings, on the Kommo instance: the module is listed with its address.
        await page.GetByTestId("form-settings").FillAsync(ConsoleForms.ExampleSettings);
        await page.GetByTestId("form-save").ClickAsync();
        var row = modules.Locator("tr[data-module='Contact form']");
        await Expect(row).ToContainTextAsync("Acme Ukraine (Kommo)");
        var key = await worker.ScalarAsync<string>("SELECT module_key FROM config.form_module WHERE company = @Company AND name = 'Contact form'", new { Company });
        await Expect(row.GetByTestId("form-address")).ToHaveTextAsync($"POST {console.ToString().TrimEnd('/')}/forms/{key}/submissions");
        await Expect(row).ToContainTextAsync("none yet");
        await page.GetByTestId("form-name").FillAsync("Contact form");
        await page.GetByTestId("form-save").ClickAsync();
        await Expect(problems).ToContainTextAsync("Acme Group has a module 'Contact form' already: edit it there");

        // A test submission with a bad phone gets the intake's message and queues nothing; with a good one it is queued,
        // and the page shows it turn done with the records made in Kommo.
        await row.GetByRole(AriaRole.Link, new() { Name = "Contact form" }).ClickAsync();
        await Expect(page.GetByTestId("module-name")).ToHaveTextAsync("Contact form");
        await page.GetByTestId("test-name").FillAsync("Olena Koval");
        await page.GetByTestId("test-email").FillAsync("olena@koval.example");
        await page.GetByTestId("test-phone").FillAsync("12");
        await page.GetByTestId("test-parameters").FillAsync("budget=15000\nproduct=solar panels");
        await page.GetByTestId("test-send").ClickAsync();
        await Expect(page.GetByTestId("test-result")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"'12' is not a (valid )?phone number \(give it with its country code"));
        var submissions = page.GetByTestId("form-submissions");
        await Expect(submissions).ToContainTextAsync("No submissions yet.");
        await page.GetByTestId("test-phone").FillAsync("+380 50 123 4567");
        await page.GetByTestId("test-send").ClickAsync();
        await Expect(page.GetByTestId("test-result")).ToContainTextAsync("Queued as submission");
        var done = submissions.Locator("tr[data-status='done']");
        await Expect(done).ToContainTextAsync("created", new() { Timeout = 20_000 });
        await Expect(done).ToContainTextAsync("olena@koval.example, +380501234567");

        var contact = account.Contacts().SingleOrDefault(p => p.Emails.Any(e => e.Value == "olena@koval.example"));
        Assert.That(contact, Is.Not.Null, "the contact is in Kommo");
        Assert.That((contact!.Name, contact.Phones.Select(p => p.Value)), Is.EqualTo(("Olena Koval", new[] { "+380501234567" })));
        var lead = account.Leads().Single(l => l.Deal.PersonId == contact.Id);
        Assert.That((lead.Deal.Title, account.PriceOf(lead.Deal)), Is.EqualTo(("Request from Olena Koval", 15_000L)));
        var (web, contactId) = (account.BaseUrl.TrimEnd('/'), account.ContactId(contact.Id));
        await Expect(done.GetByRole(AriaRole.Link, new() { Name = contactId.ToString(System.Globalization.CultureInfo.InvariantCulture), Exact = true }))
            .ToHaveAttributeAsync("href", $"{web}/contacts/detail/{contactId}");
        await Expect(done.GetByRole(AriaRole.Link, new() { Name = lead.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Exact = true }))
            .ToHaveAttributeAsync("href", $"{web}/leads/detail/{lead.Id}");
        await Expect(done.Locator("[data-record='Contact']")).ToContainTextAsync($"Contact {contactId}");
        // The one passing message (the module saved) closed, so that the picture shows the page.
        await page.Locator(".mud-snackbar").GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
        await admin.ScreenshotAsync("web-form", Path.Combine(DocsFolder, "console-web-forms.png"));
        Assert.That(admin.ScriptErrors, Is.Empty, "no script was refused, no request failed and the circuit did not break");

        // A viewer sees the module and its submission, and nothing to change, remove or test with.
        await using var viewer = await ConsoleWorld.SignedInAsync(worker.Services, console, "vic@acme.example", Company, ConsoleRoles.Viewer);
        await viewer.Page.GetByRole(AriaRole.Link, new() { Name = "Web forms" }).ClickAsync();
        var viewed = viewer.Page.GetByTestId("form-modules").Locator("tr[data-module='Contact form']");
        await Expect(viewed).ToContainTextAsync("1 done");
        await Expect(viewer.Page.GetByTestId("form-editor")).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByRole(AriaRole.Button, new() { Name = "Edit" })).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByRole(AriaRole.Button, new() { Name = "Remove" })).ToHaveCountAsync(0);
        await viewed.GetByRole(AriaRole.Link, new() { Name = "Contact form" }).ClickAsync();
        await Expect(viewer.Page.GetByTestId("form-submissions").Locator("tr[data-status='done']")).ToContainTextAsync("created");
        await Expect(viewer.Page.GetByTestId("test-submission")).ToHaveCountAsync(0);

        // The admin edits the module: its settings come back as JSON; the saved change is what the worker reads.
        await page.GetByRole(AriaRole.Link, new() { Name = "Web forms" }).First.ClickAsync();
        await modules.Locator("tr[data-module='Contact form']").GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Expect(page.GetByTestId("form-settings")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"name\": \"Request from \\{\\{name\\}\\}\""));
        await page.GetByTestId("form-settings").FillAsync("""{ "defaultRegion": "UA", "updateOnDuplicates": true }""");
        await page.GetByTestId("form-save").ClickAsync();
        await Expect(page.GetByTestId("form-editor")).ToContainTextAsync("Add a module");
        Assert.That(await worker.ScalarAsync<string>("SELECT concat_ws('|', settings->>'defaultRegion', settings->>'updateOnDuplicates', count(*) OVER ()) FROM config.form_module"),
            Is.EqualTo("UA|true|1"), "the module changed, not a second one added");

        // The admin removes the module once its name is typed: its address answers 404 from then on.
        await modules.Locator("tr[data-module='Contact form']").GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await page.GetByTestId("confirm-name").FillAsync("Contact form");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Expect(modules).ToContainTextAsync("No web form modules yet.");
        using var gone = await worker.Client.PostAsync($"/forms/{key}/submissions", new StringContent("""{"email": "late@example.com"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.That(gone.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.NotFound));
    }
}
