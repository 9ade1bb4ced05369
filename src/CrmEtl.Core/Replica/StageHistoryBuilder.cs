namespace CrmEtl.Core.Replica;

/// <summary>A change of a deal's stage as the CRM logs it.</summary>
public sealed record StageChange(long? FromStageId, long ToStageId, DateTimeOffset At);

/// <summary>
/// Builds a deal's stage arrivals from its logged stage changes: the creation stage at the deal's
/// add time, then one arrival per change in time order. The creation stage is the first change's
/// "from" stage, or the current stage when the deal never moved.
/// </summary>
public static class StageHistoryBuilder
{
    public static IReadOnlyList<StageArrival> Build(long currentStageId, DateTimeOffset addTime, IEnumerable<StageChange> changes)
    {
        // Stable sort: changes logged in the same second keep the order the CRM gave them.
        var ordered = changes.Select((c, i) => (c, i)).OrderBy(x => x.c.At).ThenBy(x => x.i).Select(x => x.c).ToList();
        var creationStage = ordered.Count == 0 ? currentStageId : ordered[0].FromStageId ?? ordered[0].ToStageId;

        var arrivals = new List<StageArrival>(ordered.Count + 1) { new(0, creationStage, null, addTime) };
        var previous = creationStage;
        foreach (var change in ordered)
        {
            if (change.ToStageId == previous) continue; // a logged change that did not move the deal
            arrivals.Add(new StageArrival(arrivals.Count, change.ToStageId, previous, change.At));
            previous = change.ToStageId;
        }
        return arrivals;
    }
}
