using Bunit;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Web.Components.Shared;
using CrmEtl.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CrmEtl.Web.Tests;

/// <summary>What the console's parts show in each state, rendered on their own.</summary>
public sealed class ComponentTests
{
    private static BunitContext Context()
    {
        var context = new BunitContext();
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        return context;
    }

    private static SyncRunRecord Run(string status, string streams = "{}", string? error = null, bool ended = false) => new(
        7, 1, "Acme", "incremental", status, "refresh", "vm/1", 0, 12, 120, 1_500, 1_480, streams, error,
        new DateTime(2026, 3, 29, 0, 58, 0, DateTimeKind.Utc), new DateTime(2026, 3, 29, 0, 59, 0, DateTimeKind.Utc),
        ended ? new DateTime(2026, 3, 29, 1, 0, 12, DateTimeKind.Utc) : null);

    [Test]
    public void A_running_run_shows_its_totals_and_each_streams_figures_so_far()
    {
        using var context = Context();
        var cut = context.Render<RunProgress>(p => p.Add(c => c.Run,
            Run("running", """{"activities": {"read": 300, "written": 280, "calls": 3, "tokens": 30}, "deals": {"read": 1200, "written": 1200, "calls": 9, "tokens": 90}}""")));

        var alert = cut.Find("[data-testid=run]");
        Assert.That(alert.GetAttribute("data-run-status"), Is.EqualTo("running"));
        Assert.That(alert.TextContent, Does.Contain("Run 7: Running").And.Contain("1,500 rows read, 1,480 written, 12 API calls, 120 tokens"));
        Assert.That(cut.FindAll("tr[data-stream]").Select(r => r.GetAttribute("data-stream")), Is.EqualTo(new[] { "activities", "deals" }));
        Assert.That(cut.Find("tr[data-stream=deals]").TextContent, Does.Contain("1,200").And.Contain("90"));
        Assert.That(cut.FindAll("[data-testid=run-error]"), Is.Empty);
    }

    [Test]
    public void A_queued_run_says_it_waits_for_a_worker_and_a_failed_one_shows_how_long_it_took_and_its_error()
    {
        using var context = Context();
        Assert.That(context.Render<RunProgress>(p => p.Add(c => c.Run, Run("queued"))).Markup, Does.Contain("waiting for a worker"));

        var failed = context.Render<RunProgress>(p => p
            .Add(c => c.Run, Run("auth_failed", error: "Pipedrive rejected the API token (401).", ended: true))
            .Add(c => c.Note, "A run was already queued or running."));
        Assert.That(failed.Find("[data-testid=run]").TextContent, Does.Contain("Run 7: Sign-in refused in 1 min 12 s").And.Contain("A run was already queued or running."));
        Assert.That(failed.Find("[data-testid=run-error]").TextContent, Is.EqualTo("Pipedrive rejected the API token (401)."));
        Assert.That(failed.Find(".mud-alert").ClassList, Does.Contain("mud-alert-text-error"));
    }

    [Test]
    public void A_connection_test_lists_pipelines_with_their_stages_in_order_or_says_why_the_crm_refused()
    {
        using var context = Context();
        var connected = context.Render<ConnectionTestResult>(p => p.Add(c => c.Test, new ConnectionTest("connected", null,
            [new CrmPipeline(1, "New business", [new CrmStage(1, "Request"), new CrmStage(2, "Qualified")]), new CrmPipeline(2, "Partners", [new CrmStage(3, "Lead in")])])));
        Assert.That(connected.Find("[data-testid=connection-test]").TextContent, Does.Contain("Connected: 2 pipeline(s).").And.Contain("New business: Request → Qualified").And.Contain("Partners: Lead in"));

        var refused = context.Render<ConnectionTestResult>(p => p.Add(c => c.Test, new ConnectionTest("auth_failed", "Zoho refused the refresh token.", [])));
        Assert.That(refused.Find("[data-testid=connection-test]").TextContent.Trim(), Is.EqualTo("Zoho refused the refresh token."));
    }

    [Test]
    public void A_bar_chart_draws_a_bar_per_label_and_series_side_by_side_or_stacked_and_says_when_there_is_nothing()
    {
        using var context = Context();
        var empty = context.Render<BarChart>(p => p.Add(c => c.Labels, []).Add(c => c.Series, []).Add(c => c.Title, "Win rate"));
        Assert.That(empty.Markup, Does.Contain("No figures for this period."));

        var series = new List<BarChart.ChartSeries> { new("Acme", [0.5, 0.75, 0]), new("Group", [0.25, 1, 0.5]) };
        var sideBySide = context.Render<BarChart>(p => p.Add(c => c.Labels, ["2026-01", "2026-02", "2026-03"]).Add(c => c.Series, series)
            .Add(c => c.Maximum, 1).Add(c => c.Format, v => (v * 100).ToString("0", System.Globalization.CultureInfo.InvariantCulture) + "%"));
        var bars = sideBySide.FindAll("rect");
        Assert.That(bars, Has.Count.EqualTo(6));
        Assert.That(bars.Select(b => b.QuerySelector("title")!.TextContent), Does.Contain("Group, 2026-02: 100%"));
        var x = bars.Select(b => double.Parse(b.GetAttribute("x")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(x.Distinct().Count(), Is.EqualTo(6), "side by side, every bar has its own place");
        Assert.That(sideBySide.Markup, Does.Contain(">100%</text>"), "the scale ends at the rate's maximum");

        var stacked = context.Render<BarChart>(p => p.Add(c => c.Labels, ["W1", "W2", "W3"]).Add(c => c.Series, series).Add(c => c.Stacked, true));
        var stackedX = stacked.FindAll("rect").Select(b => b.GetAttribute("x")).ToList();
        Assert.That(stackedX.Distinct().Count(), Is.EqualTo(3), "stacked, a label's bars share their place");
        Assert.That(stacked.FindAll(".bar-chart-legend span").Select(s => s.TextContent), Is.EqualTo(new[] { "Acme", "Group" }));
    }
}
