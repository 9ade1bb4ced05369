using Bunit;
using CrmEtl.Core.Configuration;
using CrmEtl.Host.Companies;
using CrmEtl.Host.Web;
using CrmEtl.Host.Web.Components.Shared;
using CrmEtl.Storage.Users;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CrmEtl.Web.Tests;

/// <summary>The configuration tables as an admin and a viewer see them, and a refused save's problems by row.</summary>
public sealed class ConfigurationTableTests
{
    private static readonly ConsoleSession Admin = new(1, "ada@acme.example", "Acme Group", ConsoleRoles.Admin, Guid.Empty);
    private static readonly ConsoleSession Viewer = Admin with { Email = "vera@acme.example", Role = ConsoleRoles.Viewer };

    private static readonly CompanyConfiguration Config = new("Acme Group")
    {
        Steps = [new FunnelStepRow("Sales", 1, "Request", Marker.None), new FunnelStepRow("Sales", 2, "Won", Marker.Won)],
        Kpis = [new KpiRow("Won", KpiKinds.Stage, "Sales", "Won"), new KpiRow("Calls", KpiKinds.Activity, ActivityTypes: ["call"])],
        People = [new PersonRow("Acme Finland", 7, "Aino", "North")],
    };

    private static readonly CrmCatalog Catalog = new([new InstanceCatalog(1, "Acme Finland", "Acme Group")
    {
        Users = new Dictionary<long, string> { [7] = "Aino Virtanen", [8] = "Kalle Niemi" },
    }]);

    private static BunitContext Context()
    {
        var context = new BunitContext();
        context.Services.AddMudServices();
        // Rendering alone never saves: the service is there for the component's injection only.
        context.Services.AddSingleton(new ConsoleConfiguration(null!));
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        return context;
    }

    private static IRenderedComponent<ConfigurationTableEditor> Render(BunitContext context, ConsoleSession session, string file) =>
        context.Render<ConfigurationTableEditor>(p => p
            .Add(c => c.Session, session).Add(c => c.Table, ConfigurationTables.Of(file))
            .Add(c => c.Rows, ConfigurationCsv.Tables(Config, Catalog, [])[file]).Add(c => c.Config, Config).Add(c => c.Catalog, Catalog));

    [Test]
    public void An_admin_edits_kpis_with_choices_for_kind_and_funnel_and_adds_a_row_which_marks_the_table_unsaved()
    {
        using var context = Context();
        var cut = Render(context, Admin, ConfigurationCsv.Kpis);

        Assert.That(cut.FindAll("th").Select(h => h.TextContent).Skip(1).Take(3), Is.EqualTo(new[] { "kpi", "kind", "funnel" }));
        var kind = cut.Find("tr[data-row='2'] select[aria-label=kind]");
        Assert.That(kind.QuerySelectorAll("option").Select(o => o.TextContent), Is.EqualTo(KpiKinds.All));
        Assert.That(cut.Find("tr[data-row='1'] select[aria-label=funnel]").QuerySelectorAll("option").Select(o => o.TextContent), Is.EqualTo(new[] { "", "Sales" }));
        Assert.That(cut.Find("tr[data-row='2'] input[aria-label=activity_types]").GetAttribute("value"), Is.EqualTo("call"));
        Assert.That(cut.Find("[data-testid=table-save]").HasAttribute("disabled"), Is.True, "nothing to save yet");

        cut.Find("[data-testid=table-add]").Click();
        Assert.That(cut.FindAll("tbody tr"), Has.Count.EqualTo(3));
        Assert.That(cut.Find("[data-testid=unsaved]").TextContent, Is.EqualTo("Unsaved changes."));
        Assert.That(cut.Find("[data-testid=table-save]").HasAttribute("disabled"), Is.False);
        Assert.That(cut.Find("[data-testid=table-download]").GetAttribute("href"), Is.EqualTo("configuration/files/kpis.csv"));
    }

    [Test]
    public void People_are_filled_in_not_added_the_crm_users_columns_stay_as_the_crm_has_them()
    {
        using var context = Context();
        var cut = Render(context, Admin, ConfigurationCsv.People);

        Assert.That(cut.FindAll("tbody tr"), Has.Count.EqualTo(2), "one row per CRM user");
        Assert.That(cut.FindAll("[data-testid=table-add]"), Is.Empty);
        var kalle = cut.Find("tr[data-row='2']");
        Assert.That(kalle.TextContent, Does.Contain("Kalle Niemi"));
        Assert.That(kalle.QuerySelectorAll("input").Select(i => i.GetAttribute("aria-label")), Is.EqualTo(new[] { "person", "team" }));
        Assert.That(cut.Find("tr[data-row='1'] input[aria-label=team]").GetAttribute("value"), Is.EqualTo("North"));
    }

    [Test]
    public void A_viewer_reads_and_downloads_but_has_no_field_to_edit_and_no_save_or_upload()
    {
        using var context = Context();
        var cut = Render(context, Viewer, ConfigurationCsv.Kpis);

        Assert.That(cut.FindAll("input, select"), Is.Empty);
        Assert.That(cut.FindAll("[data-testid=table-save], [data-testid=table-add], [data-testid=table-upload]"), Is.Empty);
        Assert.That(cut.Find("tr[data-row='1']").TextContent, Does.Contain("Won").And.Contain("stage").And.Contain("Sales"));
        Assert.That(cut.Find("[data-testid=table-download]").TextContent, Is.EqualTo("Download kpis.csv"));
    }

    [Test]
    public void A_refused_save_lists_every_problem_with_the_tables_row_instead_of_the_files_line()
    {
        using var context = Context();
        var cut = context.Render<SaveResult>(p => p
            .Add(c => c.Saved, new ConfigurationSaved(["kpis.csv line 3: unknown funnel 'Sale'.", "funnel 'Sales' has two Won steps."], [], TimeSpan.Zero))
            .Add(c => c.Describe, problem => ConfigurationTables.InRows(ConfigurationCsv.Kpis, problem)));

        Assert.That(cut.Find("[data-testid=save-result]").TextContent, Does.Contain("Nothing was changed: there are 2 problems."));
        Assert.That(cut.FindAll("li").Select(l => l.TextContent), Is.EqualTo(new[] { "Row 2: unknown funnel 'Sale'.", "funnel 'Sales' has two Won steps." }));
    }
}
