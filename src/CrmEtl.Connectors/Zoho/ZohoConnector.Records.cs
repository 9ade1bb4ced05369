using System.Text.Json.Nodes;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Zoho;

public sealed partial class ZohoConnector
{
    private sealed partial class Run
    {
        /// <summary>
        /// Every record of a module modified since <paramref name="since"/> (all when null), in
        /// Modified_Time order, with all of <paramref name="fields"/>. Fields beyond the 50 a request
        /// may name are read in further groups, paged in step with the first and merged by id (a record
        /// a group's page lacks is fetched by id). Pages go by page number, then page_token; when a
        /// window nears Zoho's 100,000-record reach it is re-anchored on the last Modified_Time.
        /// </summary>
        private async IAsyncEnumerable<JsonObject> RecordsAsync(
            string stream, string module, IReadOnlyList<string> fields, DateTimeOffset? since, string extraQuery,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            var groups = fields.Chunk(_options.FieldsPerRequest).Select(g => string.Join(',', g)).ToList();
            var stats = Context.Stats.For(stream);
            var anchor = since;
            while (true)
            {
                var pagers = groups.Select(g => new Pager($"/crm/v8/{module}?fields={Uri.EscapeDataString(g)}&per_page={_options.PerPage}&sort_by=Modified_Time&sort_order=asc{extraQuery}")).ToList();
                var pending = groups.Select(_ => new Dictionary<string, JsonObject>(StringComparer.Ordinal)).ToList();
                var read = 0;
                DateTimeOffset? last = null;
                var reanchor = false;
                while (await NextPageAsync(stream, pagers[0], anchor, ct) is { } records)
                {
                    for (var g = 1; g < groups.Count; g++)
                    {
                        if (!pagers[g].Done && await NextPageAsync(stream, pagers[g], anchor, ct) is { } other)
                            foreach (var r in other) if (ZohoValues.Text(r["id"]) is { } id) pending[g][id] = r;
                        var missing = records.Select(r => ZohoValues.Text(r["id"])).OfType<string>().Where(id => !pending[g].ContainsKey(id)).ToList();
                        foreach (var chunk in missing.Chunk(100))
                        {
                            var byId = await client.GetAsync(stream, $"/crm/v8/{module}?fields={Uri.EscapeDataString(groups[g])}&ids={string.Join(',', chunk)}{extraQuery}", null, ct);
                            foreach (var r in byId?["data"]?.AsArray().OfType<JsonObject>() ?? [])
                                if (ZohoValues.Text(r["id"]) is { } id) pending[g][id] = r;
                        }
                        foreach (var r in records)
                        {
                            if (ZohoValues.Text(r["id"]) is not { } id || !pending[g].Remove(id, out var part)) continue;
                            foreach (var (name, value) in part.ToList())
                                if (name != "id") { part.Remove(name); r[name] = value; }
                        }
                    }
                    stats.AddRead(records.Count);
                    foreach (var r in records) yield return r;
                    read += records.Count;
                    last = ZohoValues.Time(records[^1]["Modified_Time"]) ?? last;
                    if (pagers[0].Done) break;
                    if (pagers[0].NeedsToken || read + _options.PerPage > _options.WindowRecords) { reanchor = true; break; }
                }
                if (!reanchor) yield break;
                if (last is null || last == anchor)
                    throw new CrmException($"More than {read} Zoho {module} records share the Modified_Time {last:O}; CrmEtl cannot page past them with If-Modified-Since.");
                ConnectorLog.ZohoWindowReanchored(Context.Logger, module, read, last.Value);
                anchor = last; // inclusive: the records of that second are read again and upserted once more
            }
        }

        /// <summary>Where one field group's paging stands: a page number (Zoho's page reaches 2,000 records) or a page_token.</summary>
        private sealed class Pager(string query)
        {
            public string Query { get; } = query;
            public int Page { get; set; } = 1;
            public string? Token { get; set; }
            public bool Done { get; set; }
            /// <summary>More records exist, but neither a page number nor a token can reach them: re-anchor the window.</summary>
            public bool NeedsToken { get; set; }
        }

        private async Task<List<JsonObject>?> NextPageAsync(string stream, Pager pager, DateTimeOffset? since, CancellationToken ct)
        {
            if (pager.Done || pager.NeedsToken) return null;
            var body = await client.GetAsync(stream, pager.Query + (pager.Token is null ? $"&page={pager.Page}" : "&page_token=" + Uri.EscapeDataString(pager.Token)), since, ct);
            var records = body?["data"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
            var info = body?["info"];
            if (records.Count == 0 || info?["more_records"]?.GetValue<bool>() != true)
            {
                pager.Done = true;
                return records.Count == 0 ? null : records;
            }
            if (ZohoValues.Text(info["next_page_token"]) is { Length: > 0 } token) pager.Token = token;
            else if (pager.Token is null && (pager.Page + 1) * _options.PerPage <= 2_000) pager.Page++;
            else pager.NeedsToken = true;
            return records;
        }
    }
}
