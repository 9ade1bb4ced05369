using CrmEtl.Core.Configuration;

namespace CrmEtl.Core.Funnels;

/// <summary>A step of a funnel as the rules see it.</summary>
public sealed record FunnelStep(int Position, string Name, Marker Marker = Marker.None);

/// <summary>One funnel of a company with the stages of one instance mapped into it.</summary>
public sealed record FunnelMap(IReadOnlyList<FunnelStep> Steps, IReadOnlyDictionary<long, int> PositionByStage, IReadOnlyDictionary<long, long> PipelineByStage)
{
    public FunnelStep? MarkerStep(Marker marker) => Steps.FirstOrDefault(s => s.Marker == marker);

    /// <summary>Ordinary (unmarked) steps that a pipeline has stages mapped to: the steps a won deal of it is filled into.</summary>
    public IEnumerable<FunnelStep> OrdinaryStepsOf(long? pipelineId) =>
        Steps.Where(s => s.Marker == Marker.None
            && PositionByStage.Any(p => p.Value == s.Position && PipelineByStage.GetValueOrDefault(p.Key) == pipelineId));
}

/// <summary>A deal as the funnel rules see it: its status and its arrivals in stages, creation stage first.</summary>
public sealed record DealJourney(
    long DealId, long? PipelineId, string Status, DateTimeOffset? WonTime, DateTimeOffset? LostTime,
    IReadOnlyList<(long StageId, DateTimeOffset At)> Arrivals);

public sealed record StagePass(int Position, DateTimeOffset At, bool Filled);

/// <summary>What a deal did in one funnel.</summary>
public sealed record FunnelOutcome(
    IReadOnlyList<StagePass> Passes, DateTimeOffset? WonAt, DateTimeOffset? RefusedAt, DateTimeOffset? ReturnedAt, bool PausedNow)
{
    /// <summary>How the deal closed, for win rate: the later of won and refused; null while open.</summary>
    public Marker ClosedAs => (WonAt, RefusedAt) switch
    {
        (null, null) => Marker.None,
        ({ }, null) => Marker.Won,
        (null, { }) => Marker.Refused,
        ({ } won, { } refused) => refused > won ? Marker.Refused : Marker.Won,
    };
}

/// <summary>
/// The counting rules of ../shared/DOMAIN.md for one deal in one funnel. The analytics SQL applies
/// the same rules to all deals at once; these are the reference the SQL is tested against.
/// <list type="bullet">
/// <item>A deal passes a step at its first arrival in any stage mapped to it; moving back and forth does not count again.</item>
/// <item>Won (arrival at the Won step, or Pipedrive's status won at its won time): every earlier ordinary step
/// that the deal's pipeline maps into and that it did not visit counts as passed too, dated at the won time and flagged filled.
/// Status won acts as a Won step after the funnel's last step.</item>
/// <item>Refused (arrival at the Refused step, or status lost at its lost time): no steps are filled.</item>
/// <item>Return: an arrival at the Return step after the deal was won; its sales volume is reversed then.</item>
/// <item>Pause: while the deal's latest stage maps to the Pause step and it is open, it is paused.</item>
/// </list>
/// </summary>
public static class FunnelRules
{
    public static FunnelOutcome Apply(DealJourney deal, FunnelMap funnel)
    {
        var passes = new Dictionary<int, StagePass>();
        foreach (var (stage, at) in deal.Arrivals.OrderBy(a => a.At))
            if (funnel.PositionByStage.TryGetValue(stage, out var position) && !passes.ContainsKey(position))
                passes[position] = new StagePass(position, at, Filled: false);

        var wonStep = funnel.MarkerStep(Marker.Won);
        var refusedStep = funnel.MarkerStep(Marker.Refused);
        var returnStep = funnel.MarkerStep(Marker.Return);

        var wonAt = Earliest(wonStep is null ? null : passes.GetValueOrDefault(wonStep.Position)?.At, deal.Status == "won" ? deal.WonTime : null);
        var refusedAt = Earliest(refusedStep is null ? null : passes.GetValueOrDefault(refusedStep.Position)?.At, deal.Status == "lost" ? deal.LostTime : null);

        if (wonAt is { } won)
        {
            if (wonStep is not null) passes[wonStep.Position] = new StagePass(wonStep.Position, won, Filled: false);
            foreach (var step in funnel.OrdinaryStepsOf(deal.PipelineId))
                if ((wonStep is null || step.Position < wonStep.Position) && !passes.ContainsKey(step.Position))
                    passes[step.Position] = new StagePass(step.Position, won, Filled: true);
        }
        if (refusedAt is { } refused && refusedStep is not null && !passes.ContainsKey(refusedStep.Position))
            passes[refusedStep.Position] = new StagePass(refusedStep.Position, refused, Filled: false);

        DateTimeOffset? returnedAt = null;
        if (wonAt is { } wonTime && returnStep is not null)
            returnedAt = deal.Arrivals
                .Where(a => funnel.PositionByStage.GetValueOrDefault(a.StageId) == returnStep.Position && a.At >= wonTime)
                .Select(a => (DateTimeOffset?)a.At).Min();

        var latest = deal.Arrivals.OrderBy(a => a.At).LastOrDefault();
        var pauseStep = funnel.MarkerStep(Marker.Pause);
        var pausedNow = deal.Status == "open" && pauseStep is not null && deal.Arrivals.Count > 0
            && funnel.PositionByStage.GetValueOrDefault(latest.StageId) == pauseStep.Position;

        return new FunnelOutcome([.. passes.Values.OrderBy(p => p.Position)], wonAt, refusedAt, returnedAt, pausedNow);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;
}
