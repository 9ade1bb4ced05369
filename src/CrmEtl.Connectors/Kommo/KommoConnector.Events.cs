using System.Text.Json.Nodes;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;

namespace CrmEtl.Connectors.Kommo;

public sealed partial class KommoConnector
{
    private sealed partial class Run
    {
        private const int HistoryBatch = 2_000;

        /// <summary>
        /// The lead events since the last run (a full run: all of them), up to the run's start: status changes
        /// become stage history, <c>lead_deleted</c> flags a lead deleted and <c>lead_restored</c> brings it back
        /// (read again by id), the later of the two deciding. Every lead with new status changes, and every lead
        /// new to the replica, gets its history rewritten from what the replica had before the window and the
        /// window's changes.
        /// </summary>
        private async Task LeadEventsAsync(SyncMode mode, CancellationToken ct)
        {
            var stream = Streams.LeadEvents;
            var since = Runner.Since(stream, mode);
            var until = Runner.StartedAt;
            var changes = new Dictionary<long, List<StageChange>>();
            var deletedOrRestored = new Dictionary<long, (bool Deleted, DateTimeOffset At)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var query = $"/api/v4/events?limit={_options.EventsPageSize}&filter[entity][]=lead"
                + "&filter[type][]=lead_status_changed&filter[type][]=lead_deleted&filter[type][]=lead_restored"
                + (since is { } from ? $"&filter[created_at][from]={KommoValues.Unix(from)}" : "") + $"&filter[created_at][to]={KommoValues.Unix(until)}";
            await foreach (var e in client.PagesAsync(stream, query, "events", ct))
            {
                // A page read again (new events shift the pages) repeats events: each counts once.
                if (KommoValues.Text(e["id"]) is not { } eventId || KommoValues.Id(e["entity_id"]) is not { } leadId || KommoValues.Time(e["created_at"]) is not { } at)
                    throw new FormatException("Kommo listed an event without its id, entity_id or created_at (GET /api/v4/events): a stage change cannot be passed over.");
                if (!seen.Add(eventId)) continue;
                switch (KommoValues.Text(e["type"]))
                {
                    case "lead_status_changed" when StatusOf(e["value_after"]) is { } to:
                        if (!changes.TryGetValue(leadId, out var list)) changes[leadId] = list = [];
                        list.Add(new StageChange(StatusOf(e["value_before"]), to, at));
                        break;
                    case "lead_deleted" or "lead_restored":
                        if (!deletedOrRestored.TryGetValue(leadId, out var known) || known.At <= at)
                            deletedOrRestored[leadId] = (KommoValues.Text(e["type"]) == "lead_deleted", at);
                        break;
                }
            }

            await DeletionsAsync(deletedOrRestored, ct);
            await HistoriesAsync(changes, mode == SyncMode.Incremental ? since : null, ct);
            var finished = new ReplicaBatch();
            finished.Checkpoints.Add(new StreamCheckpoint(stream, until, Runner.StartedAt));
            await Runner.CommitAsync(stream, finished, ct);
        }

        /// <summary>The replica's stage of a status event's value: {lead_status: {id, pipeline_id}}.</summary>
        private static long? StatusOf(JsonNode? value) =>
            value?.AsArray().OfType<JsonObject>().Select(v => v["lead_status"]).OfType<JsonObject>()
                .Select(s => KommoValues.Id(s["pipeline_id"]) is { } p && KommoValues.Id(s["id"]) is { } id ? KommoValues.StageKey(p, id) : (long?)null)
                .FirstOrDefault(s => s is not null);

        private async Task DeletionsAsync(Dictionary<long, (bool Deleted, DateTimeOffset At)> leads, CancellationToken ct)
        {
            var batch = new ReplicaBatch();
            foreach (var (id, last) in leads.Where(l => l.Value.Deleted))
                batch.Deletions.Add(new Deletion(ReplicaEntity.Deal, id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            foreach (var chunk in leads.Where(l => !l.Value.Deleted).Select(l => l.Key).Chunk(50))
            {
                var ids = string.Concat(chunk.Select(id => $"&filter[id][]={id}"));
                await foreach (var lead in client.PagesAsync(Streams.LeadEvents, $"/api/v4/leads?limit={_options.PageSize}&with=contacts,loss_reason{ids}", "leads", ct))
                    batch.Deals.Add(ToDealRow(lead, _currency));
            }
            await Runner.CommitAsync(Streams.LeadEvents, batch, ct);
        }

        /// <param name="windowFrom">Where the window of changes starts: what the replica has from before it is kept; null: the changes are the whole history.</param>
        private async Task HistoriesAsync(Dictionary<long, List<StageChange>> changes, DateTimeOffset? windowFrom, CancellationToken ct)
        {
            var done = new HashSet<long>();
            for (long after = 0; ;)
            {
                var due = await Context.Replica.DealsDueForHistoryAsync(InstanceId, after, HistoryBatch, ct);
                if (due.Count == 0) break;
                after = due[^1].DealId;
                await RewriteAsync(due, changes, windowFrom, ct);
                done.UnionWith(due.Select(d => d.DealId));
            }
            foreach (var chunk in changes.Keys.Where(id => !done.Contains(id)).Chunk(HistoryBatch))
                await RewriteAsync(await Context.Replica.DealsForHistoryAsync(InstanceId, chunk, ct), changes, windowFrom, ct);
        }

        private async Task RewriteAsync(IReadOnlyList<DealHistoryDue> deals, Dictionary<long, List<StageChange>> changes, DateTimeOffset? windowFrom, CancellationToken ct)
        {
            var stored = windowFrom is null ? null : await Context.Replica.StageHistoriesAsync(InstanceId, deals.Select(d => d.DealId).ToList(), ct);
            var batch = new ReplicaBatch();
            foreach (var deal in deals)
            {
                if (deal.StageId is not { } current) continue;
                // What the replica knew before the window, as the changes it was built from.
                var before = stored?.GetValueOrDefault(deal.DealId) is { } arrivals
                    ? arrivals.Where(a => a.Ord > 0 && a.EnteredAt < windowFrom).Select(a => new StageChange(a.FromStageId, a.StageId, a.EnteredAt))
                    : [];
                var history = StageHistoryBuilder.Build(current, deal.AddTime, before.Concat(changes.GetValueOrDefault(deal.DealId) ?? []));
                batch.StageHistories.Add(new DealStageHistory(deal.DealId, deal.StageChangeTime, history));
            }
            await Runner.CommitAsync(Streams.LeadEvents, batch, ct);
        }
    }
}
