using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Trello;
using CrmEtl.Storage.Users;
using CrmEtl.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CrmEtl.IntegrationTests.WebConsole;

/// <summary>The console's Trello page in Chromium, on a real worker: connecting Trello, setting and replacing rules, the cards the worker makes.</summary>
[Parallelizable] // its own worker, sandboxes, database and browser
public sealed class TrelloConsoleTests
{
    private static readonly string DocsFolder = Path.Combine(Repository.Root, "docs");

    [Test]
    public async Task An_admin_connects_Trello_sets_a_rule_per_board_and_sees_the_cards_the_worker_makes_while_a_viewer_only_looks()
    {
        await using var world = await ConsoleWorld.StartAsync();
        await using var trello = await TrelloSandbox.StartAsync(new TrelloSandboxOptions());
        var sync = world.Host.Services.GetRequiredService<SyncRunCoordinator>();
        Assert.That((await sync.RunAsync("Acme", SyncMode.Full, CancellationToken.None)).Status, Is.EqualTo(RunStatus.Succeeded));
        await using var browser = await world.SignedInAsync("tove@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin);
        var page = browser.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Trello" }).ClickAsync();
        await Expect(page.GetByTestId("trello-connection")).ToContainTextAsync("Trello is not connected yet.");

        // A wrong key is named before anything is stored; the right ones connect and show the member.
        var account = trello.Accounts[0].Options;
        await page.GetByLabel("API key").FillAsync("not-a-key");
        await page.GetByLabel("Token").FillAsync(account.Token);
        await page.GetByLabel("API address").FillAsync(trello.BaseUrl + "/1");
        await page.GetByTestId("trello-connect").ClickAsync();
        await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("The Trello API key is 32 hexadecimal characters");
        await page.GetByLabel("API key").FillAsync(account.Key);
        await page.GetByTestId("trello-connect").ClickAsync();
        await Expect(page.GetByTestId("trello-status")).ToContainTextAsync($"Connected as {account.Member}");

        // A rule for new deals on Design / Briefs, then one for won deals on the same board, which replaces it.
        await ChooseAsync(page, "rule-board", "Design");
        await page.GetByTestId("rule-set").ClickAsync();
        var rules = page.GetByTestId("trello-rules");
        await Expect(rules).ToContainTextAsync("a deal is added");
        await Expect(rules).ToContainTextAsync("Design / Briefs");
        await ChooseAsync(page, "rule-kind", "a deal is won or lost");
        await ChooseAsync(page, "rule-outcome", "won");
        await ChooseAsync(page, "rule-board", "Design");
        await ChooseAsync(page, "rule-list", "Delivered");
        await page.GetByTestId("rule-set").ClickAsync();
        await Expect(rules).ToContainTextAsync("a deal is won");
        await Expect(rules).Not.ToContainTextAsync("a deal is added");
        await page.GetByLabel("Show replaced and ended rules").ClickAsync();
        await Expect(rules.Locator("tr", new() { HasText = "a deal is added" })).ToContainTextAsync("replaced by rule 2");

        // A deal is won in Pipedrive and synced: the worker makes its card, shown with its link.
        await Task.Delay(1100);
        var open = world.Crm.Company.Deals.Where(d => d.Status == "open").Select(d => d.Id).ToHashSet();
        world.Crm.Sandbox.Mutate("acme", new MutationPlan { WinDeals = 1 }, seed: 21);
        var won = world.Crm.Company.Deals.Single(d => open.Contains(d.Id) && d.Status == "won");
        Assert.That((await sync.RunAsync("Acme", SyncMode.Incremental, CancellationToken.None)).Status, Is.EqualTo(RunStatus.Succeeded));
        var card = page.GetByTestId("trello-cards").Locator("tr[data-state='delivered']");
        await ReloadUntilAsync(browser, card);
        await Expect(card).ToContainTextAsync($"Acme: {won.Title}");
        Assert.That(trello.Cards(account.Member).Single().Name, Is.EqualTo(won.Title));
        await Expect(card.Locator("a")).ToHaveAttributeAsync("href", trello.Cards(account.Member).Single().ShortLink is { } link ? new System.Text.RegularExpressions.Regex(link) : null!);
        await browser.ScreenshotAsync("trello", Path.Combine(DocsFolder, "console-trello.png"));
        Assert.That(browser.ScriptErrors, Is.Empty, "no script was refused, no request failed and the circuit did not break");

        // A viewer sees the rules and cards, and nothing to change them with.
        await using var viewer = await world.SignedInAsync("vic@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Viewer);
        await viewer.Page.GetByRole(AriaRole.Link, new() { Name = "Trello" }).ClickAsync();
        await Expect(viewer.Page.GetByTestId("trello-rules")).ToContainTextAsync("a deal is won");
        await Expect(viewer.Page.GetByTestId("trello-cards")).ToContainTextAsync(won.Title);
        await Expect(viewer.Page.GetByTestId("trello-connect")).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByTestId("new-rule")).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByRole(AriaRole.Button, new() { Name = "Remove" })).ToHaveCountAsync(0);
    }

    private static async Task ChooseAsync(IPage page, string select, string item) => await ConsoleBrowser.RetryAsync(async timeout =>
    {
        await page.GetByTestId(select).ClickAsync(new() { Timeout = timeout });
        await page.Locator(".mud-popover-open").GetByText(item, new() { Exact = true }).ClickAsync(new() { Timeout = timeout });
        await Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0, new() { Timeout = timeout });
    });

    /// <summary>Reloads the page until <paramref name="shown"/> is there (the worker makes cards every Trello:PollEvery, 5 s).</summary>
    private static async Task ReloadUntilAsync(ConsoleBrowser browser, ILocator shown)
    {
        for (var i = 0; i < 30 && await shown.CountAsync() == 0; i++)
        {
            await Task.Delay(1000);
            await browser.Page.ReloadAsync();
            await browser.WaitInteractiveAsync();
        }
        await Expect(shown).ToHaveCountAsync(1);
    }
}
