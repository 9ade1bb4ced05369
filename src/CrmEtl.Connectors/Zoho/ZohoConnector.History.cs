using System.Text.Json.Nodes;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Zoho;

public sealed partial class ZohoConnector
{
    private sealed partial class Run
    {
        /// <summary>One stage-history row: the deal was in (or, with StageHistoryTime "exit", left) Stage at Time. A struct with shared stage names: a full run holds every row until the deals are written.</summary>
        private readonly record struct HistoryRow(string Stage, string? MovedTo, DateTimeOffset Time);

        /// <summary>
        /// Deal stage history from the DealHistory module, paged like records: a full run reads it
        /// whole, later runs read the rows modified since the last cursor and add them to what the
        /// replica has. Every deal that has new rows or is due (new, or its Stage_Modified_Time moved)
        /// gets its history rewritten. Orgs without the module fall back to each due deal's Stage_History.
        /// </summary>
        private async Task StageHistoryAsync(SyncMode mode, CancellationToken ct)
        {
            var stream = Streams.StageHistory;
            var since = Runner.Since(stream, mode);
            var rows = new Dictionary<long, List<HistoryRow>>();
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            string? Shared(string? name) => name is null ? null : names.TryGetValue(name, out var known) ? known : names[name] = name;
            DateTimeOffset? cursor = null;
            foreach (var fields in new[] { Wanted.History, Wanted.HistoryMinimal })
            {
                try
                {
                    await foreach (var r in RecordsAsync(stream, "DealHistory", fields, since, "", ct))
                    {
                        if (ZohoValues.Id(r["Potential_Name"]) is not { } dealId || ZohoValues.Time(r["Modified_Time"]) is not { } at) continue;
                        if (!rows.TryGetValue(dealId, out var list)) rows[dealId] = list = [];
                        list.Add(new HistoryRow(Shared(ZohoValues.Text(r["Stage"])) ?? "", Shared(ZohoValues.Text(r["Moved_To__s"])), at));
                        if (cursor is null || at > cursor) cursor = at;
                    }
                    break;
                }
                catch (ZohoRequestException e) when (e.Code is "INVALID_DATA" && rows.Count == 0 && fields != Wanted.HistoryMinimal)
                {
                    ConnectorLog.ZohoHistoryFieldsRefused(Context.Logger, e.Message);
                }
                catch (ZohoRequestException e) when (e.Code is "INVALID_MODULE" or "NO_PERMISSION" or "INVALID_URL_PATTERN" or "NOT_SUPPORTED" || e.StatusCode is 403 or 404)
                {
                    ConnectorLog.ZohoHistoryFallback(Context.Logger, e.Message);
                    await PerDealHistoryAsync(ct);
                    return;
                }
            }

            // Rows since the cursor are complete for that span: they replace what the replica has from then on.
            var merge = mode == SyncMode.Incremental;
            var done = new HashSet<long>();
            long after = 0;
            while (true)
            {
                var due = await Context.Replica.DealsDueForHistoryAsync(InstanceId, after, 2_000, ct);
                if (due.Count == 0) break;
                after = due[^1].DealId;
                await RewriteAsync(due, rows, merge ? since : null, merge, due: true, ct);
                done.UnionWith(due.Select(d => d.DealId));
            }
            foreach (var chunk in rows.Keys.Where(id => !done.Contains(id)).Chunk(2_000))
                await RewriteAsync(await Context.Replica.DealsForHistoryAsync(InstanceId, chunk, ct), rows, merge ? since : null, merge, due: false, ct);

            var previous = Runner.Checkpoint(stream);
            var finished = new ReplicaBatch();
            finished.Checkpoints.Add(new StreamCheckpoint(stream, cursor ?? (merge ? previous?.Cursor : null), Runner.StartedAt));
            await Runner.CommitAsync(stream, finished, ct);
        }

        /// <param name="due">The deals are due (new, or moved): their history is written even when unchanged, which marks it fetched.</param>
        private async Task RewriteAsync(IReadOnlyList<DealHistoryDue> deals, Dictionary<long, List<HistoryRow>> rows, DateTimeOffset? rowsSince, bool merge, bool due, CancellationToken ct)
        {
            var stored = merge ? await Context.Replica.StageHistoriesAsync(InstanceId, deals.Select(d => d.DealId).ToList(), ct) : null;
            var batch = new ReplicaBatch();
            foreach (var deal in deals)
            {
                var newRows = rows.GetValueOrDefault(deal.DealId) ?? [];
                var known = stored?.GetValueOrDefault(deal.DealId)?
                    .Where(a => newRows.Count == 0 || rowsSince is null || a.EnteredAt < rowsSince)
                    .Select(a => (Stage: (long?)a.StageId, At: a.EnteredAt)) ?? [];
                var arrivals = Arrivals(deal, known, newRows);
                // Rows read again within the overlap change nothing: a run over an unchanged org writes nothing.
                if (!due && stored?.GetValueOrDefault(deal.DealId) is { } before && before.SequenceEqual(arrivals)) continue;
                batch.StageHistories.Add(new DealStageHistory(deal.DealId, deal.StageChangeTime, arrivals));
            }
            await Runner.CommitAsync(Streams.StageHistory, batch, ct);
        }

        /// <summary>
        /// A deal's arrivals from the stored ones and new rows: ordered by time, repeated stages
        /// dropped, the first dated at the deal's creation, and its current stage last.
        /// </summary>
        private List<StageArrival> Arrivals(DealHistoryDue deal, IEnumerable<(long? Stage, DateTimeOffset At)> known, List<HistoryRow> rows)
        {
            var pipelineId = _pipelines.ByKey(deal.StageId)?.PipelineId;
            long? Key(string? stage) => _pipelines.Find(pipelineId, stage)?.Key;
            var ordered = rows.OrderBy(r => r.Time).ToList();
            IEnumerable<(long? Stage, DateTimeOffset At)> fromRows = _options.StageHistoryTime == "exit"
                ? ordered.Take(1).Select(r => (Key(r.Stage), deal.AddTime)).Concat(ordered.Where(r => r.MovedTo is not null).Select(r => (Key(r.MovedTo), r.Time)))
                : ordered.Select(r => (Key(r.Stage), r.Time));
            var all = known.Concat(fromRows).Where(x => x.Stage is not null).Select((x, i) => (Stage: x.Stage!.Value, x.At, i))
                .OrderBy(x => x.At).ThenBy(x => x.i).ToList();

            var arrivals = new List<StageArrival>();
            foreach (var (stage, at, _) in all)
            {
                if (arrivals.Count > 0 && arrivals[^1].StageId == stage) continue;
                arrivals.Add(new StageArrival(arrivals.Count, stage, arrivals.Count == 0 ? null : arrivals[^1].StageId, arrivals.Count == 0 ? deal.AddTime : at));
            }
            if (deal.StageId is { } current && (arrivals.Count == 0 || arrivals[^1].StageId != current))
            {
                var at = arrivals.Count == 0 ? deal.AddTime : deal.StageChangeTime is { } moved && moved > arrivals[^1].EnteredAt ? moved : (DateTimeOffset?)null;
                if (at is { } when) arrivals.Add(new StageArrival(arrivals.Count, current, arrivals.Count == 0 ? null : arrivals[^1].StageId, when));
            }
            return arrivals;
        }

        /// <summary>The fallback: one Stage_History list per due deal that ever changed stage.</summary>
        private async Task PerDealHistoryAsync(CancellationToken ct)
        {
            long after = 0;
            while (true)
            {
                var due = await Context.Replica.DealsDueForHistoryAsync(InstanceId, after, 200, ct);
                if (due.Count == 0) return;
                after = due[^1].DealId;
                var batch = new ReplicaBatch();
                foreach (var deal in due)
                {
                    var rows = new List<HistoryRow>();
                    // A deal whose stage never changed has been in it since it was created: no call needed.
                    if (deal.StageChangeTime is { } moved && moved > deal.AddTime)
                    {
                        await foreach (var r in client.PagesAsync(Streams.StageHistory, $"/crm/v8/Deals/{deal.DealId}/Stage_History?fields=Stage,Moved_To__s,Modified_Time&per_page=200", "data", ct))
                            if (ZohoValues.Time(r["Modified_Time"]) is { } at) rows.Add(new HistoryRow(ZohoValues.Text(r["Stage"]) ?? "", ZohoValues.Text(r["Moved_To__s"]), at));
                    }
                    var arrivals = Arrivals(deal, [], rows);
                    batch.StageHistories.Add(new DealStageHistory(deal.DealId, deal.StageChangeTime, arrivals));
                }
                await Runner.CommitAsync(Streams.StageHistory, batch, ct);
            }
        }
    }
}
