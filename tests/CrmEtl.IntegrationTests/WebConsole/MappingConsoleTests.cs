using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using CrmEtl.Storage.Users;
using CrmEtl.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace CrmEtl.IntegrationTests.WebConsole;

/// <summary>The mapping board and the dashboard in a real headless Chromium, on a synced sandbox account.</summary>
[Parallelizable(ParallelScope.Children)]
public sealed class MappingConsoleTests
{
    private static readonly string DocsFolder = Path.Combine(Repository.Root, "docs");

    [OneTimeSetUp]
    public void Patience() => SetDefaultExpectTimeout(30_000);

    [Test]
    public async Task An_admin_maps_stages_by_dragging_moves_won_and_sees_the_win_rate_change_and_two_won_markers_are_refused_changing_nothing()
    {
        await using var world = await ConsoleWorld.StartAsync();
        var outcome = await world.Host.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        await using var browser = await world.SignedInAsync("anna@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin);
        var page = browser.Page;

        // A new funnel from the CRM's stages: the three pipelines line up by position, and share Negotiation by name.
        await page.GotoAsync("/mapping");
        await browser.WaitInteractiveAsync();
        await Expect(page.GetByTestId("unmapped-count")).ToContainTextAsync("15 stage(s) not in this funnel");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start from the CRM" }).ClickAsync();
        await Expect(page.Locator("[data-step]")).ToHaveCountAsync(8);
        await Expect(page.Locator("[data-step='Quote given / Proposal'] [data-chip]")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("unmapped-count")).ToHaveTextAsync("Every stage is in a step.");
        await SaveAsync(page, expectSaved: true);
        var before = await WinRateAsync(browser);

        // Drag Quote given and Proposal into Negotiation; the emptied step and the Won step go; Won goes on Negotiation.
        await page.GotoAsync("/mapping");
        await browser.WaitInteractiveAsync();
        var negotiation = page.Locator("[data-step='Negotiation']");
        foreach (var stage in new[] { "Acme/New business/Quote given", "Acme/Partners/Proposal" })
            await DragAsync(page, stage, negotiation);
        await Expect(negotiation.Locator("[data-chip]")).ToHaveCountAsync(5);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Quote given / Proposal" }).ClickAsync();
        await Expect(page.Locator("[data-step]")).ToHaveCountAsync(7);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Won" }).ClickAsync();
        await Expect(page.Locator("[data-step]")).ToHaveCountAsync(6);
        await Expect(page.Locator("[data-step='Won']")).ToHaveCountAsync(0);
        await ChooseMarkerAsync(page, negotiation, "Won");
        await browser.ScreenshotAsync("mapping", Path.Combine(DocsFolder, "console-mapping.png"));
        await SaveAsync(page, expectSaved: true);
        Assert.That(await WonStepsAsync(world), Is.EqualTo(new[] { "Negotiation" }));
        var after = await WinRateAsync(browser);
        Assert.That(after.Won, Is.GreaterThan(before.Won), $"deals that reached Negotiation count as won now (before {before}, after {after})");
        await browser.ScreenshotAsync("dashboard", Path.Combine(DocsFolder, "console-dashboard.png"));

        // A second Won marker: flagged on the board, refused on save with the validator's message, and nothing changes.
        await page.GotoAsync("/mapping");
        await browser.WaitInteractiveAsync();
        await ChooseMarkerAsync(page, page.Locator("[data-step='Contract sent']"), "Won");
        var problem = "funnel 'Sales' has two Won steps ('Negotiation' and 'Contract sent'); a funnel may put each marker on one step only.";
        await Expect(page.GetByTestId("board-problem")).ToHaveTextAsync(problem);
        await SaveAsync(page, expectSaved: false);
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync(problem);
        await browser.ScreenshotAsync("refused");
        Assert.That(await WonStepsAsync(world), Is.EqualTo(new[] { "Negotiation" }));
        Assert.That(await WinRateAsync(browser), Is.EqualTo(after));
        Assert.That(browser.ScriptErrors, Is.Empty);
    }

    private static async Task SaveAsync(IPage page, bool expectSaved)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync(expectSaved ? "Saved. The numbers were rebuilt in" : "Nothing was changed", new() { Timeout = 120_000 });
    }

    /// <summary>
    /// Drags a chip into a step, as a mouse does. The drop container learns which chip is dragged over the circuit: a drop
    /// that lands before the server heard of the drag is not taken, as for a person who lets go too fast, so it is repeated.
    /// </summary>
    private static async Task DragAsync(IPage page, string chip, ILocator step)
    {
        await ConsoleBrowser.RetryAsync(async timeout =>
        {
            await page.Locator($"[data-chip='{chip}']").DragToAsync(step.Locator(".mud-drop-zone"), new() { Timeout = timeout });
            await Expect(step.Locator($"[data-chip='{chip}']")).ToBeVisibleAsync(new() { Timeout = timeout });
        });
    }

    private static async Task ChooseMarkerAsync(IPage page, ILocator step, string marker)
    {
        await step.GetByTestId("step-marker").ClickAsync();
        await page.Locator(".mud-popover-open").GetByText(marker, new() { Exact = true }).ClickAsync();
        await Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
    }

    /// <summary>The dashboard's won and refused deals of the group over the last 24 months, summed from its table.</summary>
    private static async Task<(long Won, long Refused)> WinRateAsync(ConsoleBrowser browser)
    {
        await browser.Page.GotoAsync("/dashboard");
        await browser.WaitInteractiveAsync();
        await browser.Page.Locator("[data-testid='win-rate-table']").WaitForAsync();
        var rows = await browser.Page.Locator("[data-testid='win-rate-table'] tbody tr").AllAsync();
        long won = 0, refused = 0;
        foreach (var row in rows)
        {
            won += long.Parse(await row.Locator("td").Nth(1).InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
            refused += long.Parse(await row.Locator("td").Nth(2).InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return (won, refused);
    }

    private static async Task<string[]> WonStepsAsync(ConsoleWorld world)
    {
        await using var connection = new NpgsqlConnection(world.Database);
        return (await connection.QueryAsync<string>("SELECT step FROM config.funnel_step WHERE marker = 'won' ORDER BY step")).ToArray();
    }
}
