using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using CrmEtl.Connectors.Pipedrive;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using CrmEtl.Testing.OpenApi;
using CrmEtl.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CrmEtl.Connectors.Tests;

/// <summary>
/// The connector against pages the vendor documents (the example responses in Pipedrive's own OpenAPI
/// specs), not against our sandbox: what Pipedrive says it sends must land in the replica, also when it
/// sends fields we have never heard of, or nulls.
/// </summary>
public sealed class PipedriveReplayTests
{
    private static readonly OpenApiSpec V1 = OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", "v1-openapi.yml"));
    private static readonly OpenApiSpec V2 = OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", "v2-openapi.yml"));

    [Test]
    public async Task The_vendors_example_pages_land_in_the_replica_field_by_field()
    {
        var store = await ReplayAsync(page => page);

        var deal = store.Replica.Deals.Single();
        Assert.Multiple(() =>
        {
            Assert.That((deal.Id, deal.Title, deal.Value, deal.Currency, deal.Status), Is.EqualTo((1L, "Deal Title", 200m, "USD", "open")));
            Assert.That(deal.AddTime, Is.EqualTo(new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(deal.LabelIds, Is.EqualTo(new long[] { 1, 2, 3 }));
            Assert.That(deal.SourceLeadId, Is.EqualTo("35b0d604-eb0d-42d0-be11-eac8832051f0"));
            Assert.That(store.Replica.Activities, Has.Count.EqualTo(1));
            Assert.That(store.Replica.Pipelines.Select(p => p.Id), Is.Not.Empty);
            Assert.That(store.Replica.Stages.Select(s => s.Id), Is.Not.Empty);
            Assert.That(store.Replica.Users.First(u => u.Id == 1).TimeZone, Is.EqualTo("Europe/Berlin"));
            Assert.That(store.Replica.Currencies.Select(c => c.Code), Is.Not.Empty);
            Assert.That(store.Replica.ActivityTypes, Is.Not.Empty);
            Assert.That(store.Replica.DealFields, Is.Not.Empty);
            // The example lead appears in both the archived and the live list: one lead, by id.
            Assert.That(store.Replica.Leads.Select(l => (l.Id, l.ValueAmount, l.ValueCurrency)),
                Is.EqualTo(new[] { ("adf21080-0e10-11eb-879b-05d71fb426ec", (decimal?)999m, "USD") }));
            // The changelog example holds a title and a value change, and the stage change we add: only the latter is history.
            Assert.That(store.Replica.StageHistories.Single().Arrivals.Select(a => a.StageId), Is.EqualTo(new long[] { 2, 1 }));
        });
    }

    [Test]
    public async Task Fields_the_connector_does_not_know_are_ignored()
    {
        var plain = await ReplayAsync(page => page);
        var extended = await ReplayAsync(page =>
        {
            AddEverywhere(page, "a_field_from_the_future", new JsonObject { ["nested"] = new JsonArray(1, "two", null) });
            return page;
        });

        Assert.That(extended.Fingerprint(), Is.EqualTo(plain.Fingerprint()));
    }

    [Test]
    public async Task Nulls_in_optional_fields_give_rows_with_empty_columns()
    {
        // Everything but what identifies and dates a record is set to null.
        string[] kept = ["id", "add_time", "update_time", "status", "field_key", "old_value", "new_value", "time", "code", "success", "data", "additional_data"];
        var store = await ReplayAsync(page =>
        {
            NullAllBut(page, kept);
            return page;
        });

        var deal = store.Replica.Deals.Single();
        Assert.Multiple(() =>
        {
            Assert.That((deal.Id, deal.Title, deal.Value, deal.Currency, deal.PipelineId, deal.StageId), Is.EqualTo((1L, (string?)null, (decimal?)null, (string?)null, (long?)null, (long?)null)));
            Assert.That(deal.CustomFieldsJson, Is.Null);
            Assert.That(store.Replica.Activities.Single().Done, Is.False);
            Assert.That(store.Replica.Leads.Select(l => l.ValueAmount), Has.All.Null);
            Assert.That(store.Replica.Users.Select(u => u.Active), Has.All.True, "a missing active_flag reads as active");
            // Without a current stage there is no history to build, and no call is made for it.
            Assert.That(store.Replica.StageHistories, Is.Empty);
        });
    }

    [Test]
    public async Task Leads_paged_with_the_nested_v1_pagination_block_are_read_to_the_end()
    {
        var store = await ReplayAsync(page => page, leadPages: 3);

        Assert.That(store.Replica.Leads.Select(l => l.Id).Where(id => id.StartsWith("lead-", StringComparison.Ordinal)), Is.EqualTo(new[] { "lead-0", "lead-1", "lead-2" }));
    }

    // ---- the replay ------------------------------------------------------------------------

    /// <summary>Runs a full sync against a handler that answers every call with the spec's example, transformed.</summary>
    private static async Task<RecordingReplicaStore> ReplayAsync(Func<JsonNode, JsonNode> transform, int leadPages = 1)
    {
        var store = new RecordingReplicaStore();
        var handler = new ExamplePagesHandler(transform, leadPages);
        var connector = new PipedriveConnector(new SingleClientFactory(handler), Options.Create(new PipedriveOptions()));
        var instance = new Instance { Id = 1, Name = "Replay", Kind = InstanceKinds.Pipedrive, BaseUrl = "http://127.0.0.1:9", Credentials = new InstanceCredentials("token", null) };
        await connector.RunAsync(new SyncContext(instance, SyncMode.Full, store, new RunStats(), TestClock.Clock, NullLogger.Instance), CancellationToken.None);
        Assert.That(handler.Unanswered, Is.Empty, "the connector asked for pages the spec has no example for");
        return store;
    }

    private sealed class ExamplePagesHandler(Func<JsonNode, JsonNode> transform, int leadPages) : HttpMessageHandler
    {
        public List<string> Unanswered { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var query = HttpUtility.ParseQueryString(request.RequestUri.Query);
            var page = Page(path, query);
            if (page is null) Unanswered.Add(path);
            return Task.FromResult(new HttpResponseMessage(page is null ? HttpStatusCode.NotFound : HttpStatusCode.OK)
            {
                Content = new StringContent(page is null ? """{"success":false,"error":"not found"}""" : transform(page).ToJsonString(), Encoding.UTF8, "application/json"),
            });
        }

        private JsonNode? Page(string path, System.Collections.Specialized.NameValueCollection query)
        {
            // A cursor means "the next page": the example is the only page, so the next one is empty.
            if (query["cursor"] is not null) return new JsonObject { ["success"] = true, ["data"] = new JsonArray(), ["additional_data"] = new JsonObject { ["next_cursor"] = null } };
            if (path.StartsWith("/api/v2/", StringComparison.Ordinal))
                return V2.ResponseExample("GET", path["/api/v2".Length..], 200);
            if (path.EndsWith("/changelog", StringComparison.Ordinal))
            {
                var changelog = V1.ResponseExample("GET", "/deals/{id}/changelog", 200)!;
                changelog["data"]!.AsArray().Add(new JsonObject { ["field_key"] = "stage_id", ["old_value"] = "2", ["new_value"] = "1", ["time"] = "2021-01-01 00:00:00" });
                changelog["additional_data"] = new JsonObject { ["next_cursor"] = null };
                return changelog;
            }
            if (path == "/api/v1/leads" && leadPages > 1)
                return LeadPage(int.Parse(query["start"] ?? "0", System.Globalization.CultureInfo.InvariantCulture));
            return V1.ResponseExample("GET", path["/api/v1".Length..], 200);
        }

        /// <summary>A page of the lead list with Pipedrive's older nested pagination block.</summary>
        private JsonNode LeadPage(int start)
        {
            var page = V1.ResponseExample("GET", "/leads", 200)!;
            page["data"]![0]!["id"] = $"lead-{start}";
            var more = start + 1 < leadPages;
            page["additional_data"] = new JsonObject
            {
                ["pagination"] = new JsonObject { ["start"] = start, ["limit"] = 1, ["more_items_in_collection"] = more, ["next_start"] = more ? start + 1 : null },
            };
            return page;
        }
    }

    private static void AddEverywhere(JsonNode? node, string name, JsonNode value)
    {
        if (node is JsonObject obj)
        {
            // Custom fields and field options are kept as sent, so they are left as they are.
            foreach (var child in obj.Where(p => p.Key is not ("custom_fields" or "options")).Select(p => p.Value).ToList()) AddEverywhere(child, name, value);
            obj[name] = value.DeepClone();
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array) AddEverywhere(child, name, value);
        }
    }

    private static void NullAllBut(JsonNode? node, string[] kept)
    {
        if (node is JsonObject obj)
        {
            foreach (var name in obj.Select(p => p.Key).ToList())
            {
                if (kept.Contains(name) || name == "pagination" || name == "next_cursor") NullAllBut(obj[name], kept);
                else obj[name] = null;
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array) NullAllBut(child, kept);
        }
    }

    private sealed class SingleClientFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>An in-memory replica: keeps what was committed, latest version of each row.</summary>
    private sealed class RecordingReplicaStore : IReplicaStore
    {
        /// <summary>Everything committed so far, as one batch.</summary>
        public ReplicaBatch Replica { get; } = new();
        private readonly HashSet<long> _historyDone = [];

        public Task<IReadOnlyDictionary<string, StreamCheckpoint>> LoadCheckpointsAsync(int instanceId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, StreamCheckpoint>>(new Dictionary<string, StreamCheckpoint>());

        public Task<long> CommitAsync(int instanceId, ReplicaBatch batch, CancellationToken cancellationToken)
        {
            Replica.Pipelines.AddRange(batch.Pipelines); Replica.Stages.AddRange(batch.Stages); Replica.Users.AddRange(batch.Users);
            Replica.Currencies.AddRange(batch.Currencies); Replica.ActivityTypes.AddRange(batch.ActivityTypes); Replica.DealFields.AddRange(batch.DealFields);
            Upsert(Replica.Deals, batch.Deals, d => d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Upsert(Replica.Activities, batch.Activities, a => a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Upsert(Replica.Leads, batch.Leads, l => l.Id);
            Replica.StageHistories.AddRange(batch.StageHistories);
            foreach (var h in batch.StageHistories) _historyDone.Add(h.DealId);
            return Task.FromResult((long)batch.RowCount);
        }

        /// <summary>Like the real replica, a record read twice (a deal in the live and the archived list) is one row, as last read.</summary>
        private static void Upsert<T>(List<T> table, IEnumerable<T> rows, Func<T, string> key)
        {
            foreach (var row in rows)
            {
                table.RemoveAll(existing => key(existing) == key(row));
                table.Add(row);
            }
        }

        public Task<IReadOnlyList<DealHistoryDue>> DealsDueForHistoryAsync(int instanceId, long afterDealId, int limit, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<DealHistoryDue>>(Replica.Deals
                .Where(d => d.Id > afterDealId && !_historyDone.Contains(d.Id) && !d.IsDeleted)
                .OrderBy(d => d.Id).Take(limit)
                .Select(d => new DealHistoryDue(d.Id, d.StageId, d.AddTime, d.StageChangeTime)).ToList());

        public Task<IReadOnlyList<DealHistoryDue>> DealsForHistoryAsync(int instanceId, IReadOnlyCollection<long> dealIds, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<DealHistoryDue>>(Replica.Deals.Where(d => dealIds.Contains(d.Id) && !d.IsDeleted).OrderBy(d => d.Id)
                .Select(d => new DealHistoryDue(d.Id, d.StageId, d.AddTime, d.StageChangeTime)).ToList());

        public Task<IReadOnlyDictionary<long, IReadOnlyList<StageArrival>>> StageHistoriesAsync(int instanceId, IReadOnlyCollection<long> dealIds, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<long, IReadOnlyList<StageArrival>>>(Replica.StageHistories.Where(h => dealIds.Contains(h.DealId))
                .GroupBy(h => h.DealId).ToDictionary(g => g.Key, g => g.Last().Arrivals));

        public string Fingerprint() => string.Join("\n", new object[]
        {
            Replica.Pipelines, Replica.Stages, Replica.Users, Replica.Currencies, Replica.ActivityTypes, Replica.DealFields,
            Replica.Deals, Replica.Activities, Replica.Leads,
        }.SelectMany(list => ((System.Collections.IEnumerable)list).Cast<object>().Select(row => row.ToString())))
            + string.Join("\n", Replica.StageHistories.SelectMany(h => h.Arrivals.Select(a => $"{h.DealId}:{a}")));
    }
}
