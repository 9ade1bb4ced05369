using System.Security.Claims;
using Bunit;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Web;
using CrmEtl.Host.Web.Components.Pages;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Users;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MudBlazor.Services;
using Serilog.Events;

namespace CrmEtl.Web.Tests;

/// <summary>
/// Each page's states as an admin and a viewer see them, rendered on the console's real services over a database of the
/// test's own (the browser tests in CrmEtl.IntegrationTests drive the same pages end to end).
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class PageTests
{
    private const string Acme = "Acme Group";

    private sealed class World : IAsyncDisposable
    {
        public required IHost Host { get; init; }

        public static async Task<World> StartAsync(params (string Name, string Company)[] instances)
        {
            var host = CrmEtlHost.Build(await DatabaseFixture.Databases.CreateAsync("pages"), minimumLevel: LogEventLevel.Warning);
            foreach (var (name, company) in instances)
                await host.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance(name, InstanceKinds.Pipedrive, "https://acme.pipedrive.com",
                    new InstanceCredentials("0123456789abcdef0123456789abcdef01234567", null), "Europe/Helsinki", "EUR", company), CancellationToken.None);
            return new World { Host = host };
        }

        /// <summary>A page rendered for a signed-in user of the company with the role.</summary>
        public BunitContext SignedIn(string role, string company = Acme)
        {
            var context = new BunitContext();
            context.Services.AddMudServices();
            context.Services.AddFallbackServiceProvider(Host.Services);
            context.JSInterop.Mode = JSRuntimeMode.Loose;
            var user = new ConsoleUser(1, $"{role}@acme.example", company, role, "", 0, null, Guid.NewGuid(), DateTime.UtcNow, null);
            var principal = ConsoleSession.PrincipalOf(user, "test");
            context.AddAuthorization().SetAuthorized(user.Email).SetClaims([.. principal.Claims.Where(c => c.Type != ClaimTypes.Name)]);
            return context;
        }

        public async ValueTask DisposeAsync() => await ((IAsyncDisposable)Host).DisposeAsync();
    }

    private static IRenderedComponent<T> Render<T>(BunitContext context, Func<IRenderedComponent<T>, bool> loaded) where T : IComponent
    {
        var cut = context.Render<T>();
        cut.WaitForState(() => loaded(cut), TimeSpan.FromSeconds(20));
        return cut;
    }

    [Test]
    public async Task Data_sources_with_nothing_connected_offer_an_admin_the_wizard_and_a_viewer_only_the_news()
    {
        await using var world = await World.StartAsync(("Globex", "Globex"));
        await using var admin = world.SignedIn(ConsoleRoles.Admin);
        var page = Render<DataSources>(admin, c => c.Markup.Contains("mud-alert", StringComparison.Ordinal));
        Assert.That(page.Find(".mud-alert").TextContent, Does.Contain("No CRM account of Acme Group is connected yet"));
        Assert.That(page.Find("a[href='data-sources/connect']").TextContent, Does.Contain("Connect a CRM"));
        Assert.That(page.Markup, Does.Not.Contain("Globex"), "another company's instance is not shown");

        await using var viewer = world.SignedIn(ConsoleRoles.Viewer);
        Assert.That(Render<DataSources>(viewer, c => c.Markup.Contains("mud-alert", StringComparison.Ordinal)).FindAll("a[href='data-sources/connect']"), Is.Empty);
    }

    [Test]
    public async Task Data_sources_show_an_instance_never_run_to_an_admin_with_its_buttons_and_to_a_viewer_without()
    {
        await using var world = await World.StartAsync(("Acme", Acme));
        await using var admin = world.SignedIn(ConsoleRoles.Admin);
        var page = Render<DataSources>(admin, c => c.FindAll("[data-instance=Acme]").Count == 1);
        var acme = page.Find("[data-instance=Acme]");
        Assert.That(acme.TextContent, Does.Contain("Pipedrive"));
        Assert.That(acme.QuerySelector("[data-testid=status]")!.TextContent, Is.EqualTo("Connected"));
        Assert.That(acme.QuerySelector("[data-testid=last-run]")!.TextContent, Does.Contain("Last run:").And.Contain("none yet"));
        Assert.That(acme.QuerySelectorAll("button").Select(b => b.TextContent.Trim()), Does.Contain("Refresh now"));
        Assert.That(acme.TextContent, Does.Not.Contain("0123456789abcdef"), "the token is never rendered");

        await using var viewer = world.SignedIn(ConsoleRoles.Viewer);
        var read = Render<DataSources>(viewer, c => c.FindAll("[data-instance=Acme]").Count == 1).Find("[data-instance=Acme]");
        Assert.That(read.QuerySelectorAll("button"), Is.Empty, "no Refresh now and no menu for a viewer");
    }

    [Test]
    public async Task The_wizard_tells_a_viewer_that_only_an_admin_connects_a_crm_and_shows_an_admin_the_crms()
    {
        await using var world = await World.StartAsync();
        await using var viewer = world.SignedIn(ConsoleRoles.Viewer);
        Assert.That(viewer.Render<ConnectWizard>().Find(".mud-alert").TextContent, Does.Contain("Only an admin of Acme Group can connect a CRM."));
        await using var admin = world.SignedIn(ConsoleRoles.Admin);
        Assert.That(admin.Render<ConnectWizard>().FindAll("button").Select(b => b.TextContent.Trim()), Is.EqualTo(new[] { "Pipedrive", "Zoho CRM", "Kommo" }));
    }

    [Test]
    public async Task Runs_and_the_dashboard_of_a_company_with_nothing_synced_say_so()
    {
        await using var world = await World.StartAsync(("Acme", Acme));
        await using var admin = world.SignedIn(ConsoleRoles.Admin);
        Assert.That(Render<Runs>(admin, c => c.Markup.Contains("mud-alert", StringComparison.Ordinal)).Find(".mud-alert").TextContent, Does.Contain("No run matches."));
        Assert.That(Render<Dashboard>(admin, c => c.Markup.Contains("mud-alert", StringComparison.Ordinal)).Find(".mud-alert").TextContent,
            Does.Contain("Acme Group has no funnel yet: map the CRM's stages on the Mapping page first."));
    }

    [Test]
    public async Task A_viewer_reads_the_mapping_configuration_and_users_with_nothing_to_change()
    {
        await using var world = await World.StartAsync(("Acme", Acme));
        await using var viewer = world.SignedIn(ConsoleRoles.Viewer);

        var mapping = Render<Mapping>(viewer, c => c.FindAll("[data-testid=funnel]").Count == 1);
        Assert.That(mapping.Markup, Does.Contain("You are a viewer: you can look at the mapping, not change it."));
        Assert.That(mapping.FindAll("button").Where(b => b.TextContent.Trim() is "Save" or "Start from the CRM").Select(b => b.HasAttribute("disabled")), Is.EqualTo(new[] { true, true }));

        var settings = Render<Settings>(viewer, c => c.FindAll("[data-testid=config-table]").Count == 1);
        Assert.That(settings.Markup, Does.Contain("You are a viewer: you can read and download them."));
        Assert.That(settings.FindAll("[data-testid=table-save]"), Is.Empty);

        var users = Render<Users>(viewer, c => c.FindAll("[data-testid=users]").Count == 1);
        Assert.That(users.FindAll("button").Select(b => b.TextContent.Trim()), Does.Not.Contain("Add user"));

        await using var admin = world.SignedIn(ConsoleRoles.Admin);
        Assert.That(Render<Users>(admin, c => c.FindAll("[data-testid=users]").Count == 1).FindAll("button").Select(b => b.TextContent.Trim()), Does.Contain("Add user"));
    }

    [Test]
    public async Task Web_forms_show_a_viewer_no_controls_and_no_company_another_ones_module()
    {
        await using var world = await World.StartAsync(("Acme", Acme));
        await world.Host.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance("Globex Kommo", InstanceKinds.Kommo, "https://globex.kommo.com",
            new InstanceCredentials("unused-token", null), Company: "Globex"), CancellationToken.None);
        var globex = await world.Host.Services.GetRequiredService<CrmEtl.Host.Forms.FormModules>()
            .SaveAsync("Globex form", "Globex Kommo", new CrmEtl.Core.Forms.FormSettings(), CancellationToken.None);
        await world.Host.Services.GetRequiredService<CrmEtl.Host.Forms.FormModules>().SaveAsync("Acme form", "Acme", new CrmEtl.Core.Forms.FormSettings(), CancellationToken.None);
        await using var admin = world.SignedIn(ConsoleRoles.Admin);
        await using var viewer = world.SignedIn(ConsoleRoles.Viewer);

        var page = Render<WebForms>(admin, c => c.Markup.Contains("Acme form", StringComparison.Ordinal));
        Assert.That(page.Find("[data-testid=form-modules]").TextContent, Does.Not.Contain("Globex form"), "Globex's module is not Acme Group's");
        Assert.That(page.FindAll("[data-testid=form-editor]"), Has.Count.EqualTo(1));
        var seen = Render<WebForms>(viewer, c => c.Markup.Contains("Acme form", StringComparison.Ordinal));
        Assert.That((seen.FindAll("[data-testid=form-editor]").Count, seen.FindAll("button").Any(b => b.TextContent.Trim() is "Edit" or "Remove")), Is.EqualTo((0, false)),
            "a viewer sees the module without controls");

        var cut = admin.Render<WebFormModule>(p => p.Add(m => m.Id, globex.Id));
        cut.WaitForState(() => cut.FindAll(".mud-alert").Count == 1, TimeSpan.FromSeconds(20));
        Assert.That(cut.Find(".mud-alert").TextContent, Does.Contain($"There is no form module {globex.Id}."));
        Assert.That(cut.FindAll("[data-testid=test-submission]"), Is.Empty);
    }
}
