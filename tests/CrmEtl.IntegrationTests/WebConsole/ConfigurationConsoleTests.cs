using System.Text;
using CrmEtl.Core.Configuration;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Companies;
using CrmEtl.Host.Sync;
using CrmEtl.Storage.Users;
using CrmEtl.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace CrmEtl.IntegrationTests.WebConsole;

/// <summary>The configuration tables in a real headless Chromium: edited in place, downloaded and uploaded as the CLI's files.</summary>
[Parallelizable]
public sealed class ConfigurationConsoleTests
{
    private static readonly string DocsFolder = Path.Combine(Repository.Root, "docs");

    [OneTimeSetUp]
    public void Patience() => SetDefaultExpectTimeout(30_000);

    [Test]
    public async Task An_admin_fills_in_people_and_targets_downloads_the_clis_files_and_uploads_rates_of_their_own_company_and_a_viewer_only_reads()
    {
        await using var world = await ConsoleWorld.StartAsync();
        var outcome = await world.Host.Services.GetRequiredService<SyncRunCoordinator>().RunAsync("Acme", SyncMode.Full, CancellationToken.None);
        Assert.That(outcome.Status, Is.EqualTo(RunStatus.Succeeded), outcome.Error);
        // As 'crmetl mapping scaffold --instance Acme --funnel Sales' leaves it: a funnel and a KPI per step.
        var configurations = world.Host.Services.GetRequiredService<CompanyConfigurations>();
        var catalog = await configurations.CatalogAsync(ConsoleWorld.AcmeGroup, CancellationToken.None);
        var scaffolded = MappingScaffold.Apply(await configurations.LoadAsync(ConsoleWorld.AcmeGroup, CancellationToken.None), catalog.Instance("Acme")!, "Sales");
        Assert.That((await configurations.SaveAndRebuildAsync(scaffolded, null, CancellationToken.None)).Problems, Is.Empty);
        await using var connection = new NpgsqlConnection(world.Database);
        var firstUser = await connection.QuerySingleAsync<string>("SELECT name FROM crm.crm_user WHERE instance_id = (SELECT id FROM etl.instance WHERE name = 'Acme') ORDER BY id LIMIT 1");

        await using var browser = await world.SignedInAsync("anna@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Admin);
        var page = browser.Page;
        await page.GotoAsync("/configuration");
        await browser.WaitInteractiveAsync();
        var table = page.GetByTestId("config-table");

        // People: the CRM's first user becomes Aino of team North.
        await OpenTabAsync(page, "People");
        await Expect(table.Locator("tr[data-row='1']")).ToContainTextAsync(firstUser);
        await table.Locator("tr[data-row='1'] input[aria-label=person]").FillAsync("Aino");
        await table.Locator("tr[data-row='1'] input[aria-label=team]").FillAsync("North");
        await table.Locator("tr[data-row='1'] input[aria-label=team]").PressAsync("Tab");
        await SaveAsync(page, "Saved. The numbers were rebuilt in");
        Assert.That(await connection.QueryAsync<string>("SELECT person || '/' || team FROM config.person"), Is.EqualTo(new[] { "Aino/North" }));
        await browser.ScreenshotAsync("configuration", Path.Combine(DocsFolder, "console-configuration.png"));

        // Targets: a bad date is refused naming the row and changes nothing; corrected, it is saved.
        await OpenTabAsync(page, "Targets");
        await page.GetByTestId("table-add").ClickAsync();
        var row = table.Locator("tr[data-row='1']");
        await row.Locator("select[aria-label=kpi]").SelectOptionAsync("Won");
        await row.Locator("select[aria-label=period]").SelectOptionAsync("month");
        await row.Locator("select[aria-label=assignee_kind]").SelectOptionAsync("person");
        foreach (var (column, value) in new[] { ("period_start", "2026-13-01"), ("assignee", "Aino"), ("value", "12") })
        {
            await row.Locator($"input[aria-label={column}]").FillAsync(value);
            await row.Locator($"input[aria-label={column}]").PressAsync("Tab");
        }
        await SaveAsync(page, "Row 1: period_start '2026-13-01' is not a date as yyyy-MM-dd.");
        Assert.That(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM config.target"), Is.Zero);
        await row.Locator("input[aria-label=period_start]").FillAsync("2026-01-01");
        await row.Locator("input[aria-label=period_start]").PressAsync("Tab");
        await SaveAsync(page, "Saved. The numbers were rebuilt in");
        Assert.That(await connection.QueryAsync<string>("SELECT k.name || '/' || t.period || '/' || t.assignee || '/' || t.value::text FROM config.target t JOIN config.kpi k ON k.id = t.kpi_id"),
            Is.EqualTo(new[] { "Won/month/Aino/12" }));

        // Downloads are the files 'crmetl config export' writes, byte for byte.
        var exported = Directory.CreateTempSubdirectory("crmetl-console-export-").FullName;
        try
        {
            var export = await CrmEtlCommand.RunAsync(world.Database, "config", "export", "--company", ConsoleWorld.AcmeGroup, "--dir", exported);
            Assert.That(export.Exit, Is.Zero, export.Error);
            foreach (var (tab, file) in new[] { ("KPIs", "kpis.csv"), ("Targets", "targets.csv") })
            {
                await OpenTabAsync(page, tab);
                var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("table-download").ClickAsync());
                Assert.That(download.SuggestedFilename, Is.EqualTo(file));
                var path = await download.PathAsync();
                Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(await File.ReadAllBytesAsync(Path.Combine(exported, file))), file);
            }
        }
        finally
        {
            Directory.Delete(exported, recursive: true);
        }

        // Rates uploaded as a file: a bad one is refused with the file's line, a good one replaces Acme Group's rates and no one else's.
        await connection.ExecuteAsync("INSERT INTO config.exchange_rate (company, currency, reporting_currency, valid_from, rate) VALUES ('Globex', 'EUR', 'USD', '2024-01-01', 1.1)");
        await OpenTabAsync(page, "Exchange rates");
        await UploadAsync(page, "rates.csv", "currency,reporting_currency,valid_from,rate\nUSD,EUR,2024-01-01,zero point nine\n");
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync("rates.csv line 2: rate 'zero point nine' is not a number with a decimal point, e.g. 12.5.");
        await UploadAsync(page, "rates.csv", "currency,reporting_currency,valid_from,rate\nUSD,EUR,2024-01-01,0.9\nSEK,EUR,2024-01-01,0.088\n");
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync("Saved. The numbers were rebuilt in", new() { Timeout = 120_000 });
        await Expect(table.Locator("tbody tr")).ToHaveCountAsync(2);
        Assert.That(await connection.QueryAsync<string>("SELECT company || ' ' || currency || '>' || reporting_currency || ' ' || rate::text FROM config.exchange_rate ORDER BY 1"),
            Is.EqualTo(new[] { "Acme Group SEK>EUR 0.088", "Acme Group USD>EUR 0.9", "Globex EUR>USD 1.1" }));
        Assert.That(browser.ScriptErrors, Is.Empty);

        // A viewer of the company reads the same tables, with nothing to edit.
        await using var viewer = await world.SignedInAsync("vera@acme.example", ConsoleWorld.AcmeGroup, ConsoleRoles.Viewer);
        await viewer.Page.GotoAsync("/configuration");
        await viewer.WaitInteractiveAsync();
        await OpenTabAsync(viewer.Page, "Targets");
        await Expect(viewer.Page.GetByTestId("config-table").Locator("tr[data-row='1']")).ToContainTextAsync("Aino");
        await Expect(viewer.Page.GetByTestId("config-table").Locator("input, select")).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByTestId("table-save")).ToHaveCountAsync(0);
        await Expect(viewer.Page.GetByTestId("table-upload")).ToHaveCountAsync(0);
    }

    private static async Task OpenTabAsync(IPage page, string title)
    {
        await page.Locator(".mud-tab", new() { HasText = title }).First.ClickAsync();
        await Expect(page.Locator(".mud-tab-active")).ToHaveTextAsync(title);
    }

    private static async Task SaveAsync(IPage page, string expected)
    {
        await page.GetByTestId("table-save").ClickAsync();
        await Expect(page.GetByTestId("save-result")).ToContainTextAsync(expected, new() { Timeout = 120_000 });
    }

    private static Task UploadAsync(IPage page, string name, string content) =>
        page.GetByTestId("table-upload").SetInputFilesAsync(new FilePayload { Name = name, MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(content) });
}
