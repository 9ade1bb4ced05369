using CrmEtl.Core.Configuration;
using CrmEtl.Core.Funnels;

namespace CrmEtl.Core.Tests.Metrics;

/// <summary>The counting rules of DOMAIN.md, deal by deal.</summary>
public sealed class FunnelRulesTests
{
    // Steps: 1 Request, 2 Qualified, 3 Quote, 4 Won, 5 Lost, 6 Paused, 7 Returned.
    // Pipeline 1 has a stage for every ordinary step; pipeline 2 has no Qualified stage.
    private static readonly FunnelMap Funnel = new(
        [new(1, "Request"), new(2, "Qualified"), new(3, "Quote"), new(4, "Won", Marker.Won), new(5, "Lost", Marker.Refused),
         new(6, "Paused", Marker.Pause), new(7, "Returned", Marker.Return)],
        new Dictionary<long, int> { [10] = 1, [11] = 2, [12] = 3, [13] = 6, [14] = 7, [20] = 1, [22] = 3 },
        new Dictionary<long, long> { [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1, [20] = 2, [22] = 2 });

    private static readonly DateTimeOffset T0 = new(2024, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static DateTimeOffset Day(int n) => T0.AddDays(n);

    private static FunnelOutcome Apply(string status, long pipeline, DateTimeOffset? won, DateTimeOffset? lost, params (long Stage, int Day)[] arrivals) =>
        FunnelRules.Apply(new DealJourney(1, pipeline, status, won, lost, arrivals.Select(a => (a.Stage, Day(a.Day))).ToList()), Funnel);

    private static string[] Passes(FunnelOutcome o) => [.. o.Passes.Select(p => $"{p.Position}@{(p.At - T0).TotalDays}{(p.Filled ? " filled" : "")}")];

    [Test]
    public void First_arrival_counts_once_when_a_deal_moves_back_and_forth() =>
        Assert.That(Passes(Apply("open", 1, null, null, (10, 0), (11, 2), (10, 3), (11, 5), (12, 6))), Is.EqualTo(new[] { "1@0", "2@2", "3@6" }));

    [Test]
    public void WonMarkerFillsSkippedSteps_dated_at_the_won_date_and_flagged_filled()
    {
        var outcome = Apply("won", 1, Day(9), null, (10, 0), (12, 4));
        Assert.That(Passes(outcome), Is.EqualTo(new[] { "1@0", "2@9 filled", "3@4", "4@9" }));
        Assert.That(outcome.ClosedAs, Is.EqualTo(Marker.Won));
    }

    [Test]
    public void Won_fills_only_the_steps_the_deals_own_pipeline_maps_into() =>
        Assert.That(Passes(Apply("won", 2, Day(5), null, (20, 0))), Is.EqualTo(new[] { "1@0", "3@5 filled", "4@5" }));

    [Test]
    public void Refused_counts_only_the_steps_the_deal_visited()
    {
        var outcome = Apply("lost", 1, null, Day(7), (10, 0), (12, 3));
        Assert.That(Passes(outcome), Is.EqualTo(new[] { "1@0", "3@3", "5@7" }));
        Assert.That(outcome.ClosedAs, Is.EqualTo(Marker.Refused));
    }

    [Test]
    public void Status_won_without_a_won_step_acts_as_a_won_step_after_the_last_one()
    {
        var noWonStep = Funnel with { Steps = [.. Funnel.Steps.Where(s => s.Marker != Marker.Won)] };
        var outcome = FunnelRules.Apply(new DealJourney(1, 1, "won", Day(8), null, [(10, Day(0))]), noWonStep);
        Assert.That(Passes(outcome), Is.EqualTo(new[] { "1@0", "2@8 filled", "3@8 filled" }));
    }

    [Test]
    public void Return_after_won_is_dated_by_the_arrival_at_the_return_step_and_keeps_the_passes()
    {
        var outcome = Apply("won", 1, Day(5), null, (10, 0), (11, 1), (12, 2), (14, 20));
        Assert.That(outcome.ReturnedAt, Is.EqualTo(Day(20)));
        Assert.That(Passes(outcome), Is.EqualTo(new[] { "1@0", "2@1", "3@2", "4@5", "7@20" }));
    }

    [Test]
    public void An_arrival_at_the_return_step_before_any_win_is_no_return() =>
        Assert.That(Apply("open", 1, null, null, (10, 0), (14, 3)).ReturnedAt, Is.Null);

    [Test]
    public void A_deal_whose_latest_stage_is_the_pause_step_is_paused_and_not_closed()
    {
        var paused = Apply("open", 1, null, null, (10, 0), (13, 4));
        Assert.That((paused.PausedNow, paused.ClosedAs), Is.EqualTo((true, Marker.None)));
        Assert.That(Apply("open", 1, null, null, (10, 0), (13, 4), (11, 6)).PausedNow, Is.False, "resumed");
    }

    [Test]
    public void A_deal_that_reached_the_won_stage_and_was_lost_later_closes_as_refused()
    {
        // A stage mapped to the Won step (as Zoho's Closed Won stages are), then status lost.
        var withWonStage = Funnel with
        {
            PositionByStage = new Dictionary<long, int>(Funnel.PositionByStage) { [15] = 4 },
            PipelineByStage = new Dictionary<long, long>(Funnel.PipelineByStage) { [15] = 1 },
        };
        var outcome = FunnelRules.Apply(new DealJourney(1, 1, "lost", null, Day(9), [(10, Day(0)), (15, Day(3))]), withWonStage);
        Assert.That((outcome.WonAt, outcome.RefusedAt, outcome.ClosedAs), Is.EqualTo(((DateTimeOffset?)Day(3), (DateTimeOffset?)Day(9), Marker.Refused)));
    }
}
