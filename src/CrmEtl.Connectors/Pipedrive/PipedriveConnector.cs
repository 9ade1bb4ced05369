using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Connectors.Pipedrive;

/// <summary>
/// Syncs one Pipedrive account into the replica. Streams, in order: reference data (pipelines,
/// stages, users, currencies, activity types, deal fields), deals, archived deals, activities,
/// leads, archived leads, and deal stage history for deals that moved since it was last fetched.
/// Deals, activities and leads are read by update time from the last committed cursor minus an
/// overlap, and committed in batches together with their cursor.
/// </summary>
public sealed partial class PipedriveConnector(IHttpClientFactory httpClientFactory, IOptions<PipedriveOptions> options) : ICrmConnector, Core.Customers.ICrmContacts
{
    public const string HttpClientName = "pipedrive";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly PipedriveOptions _options = options.Value;

    public string Kind => InstanceKinds.Pipedrive;

    public async Task<SyncMode> RunAsync(SyncContext context, CancellationToken cancellationToken)
    {
        var run = new Run(this, Client(context.Instance, context.Stats, context.Logger), context);
        return await run.ExecuteAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CrmPipeline>> ListPipelinesAsync(Instance instance, ILogger logger, CancellationToken cancellationToken)
    {
        var client = Client(instance, new RunStats(), logger);
        var pipelines = new List<(long Id, string Name, int? Order)>();
        await foreach (var p in client.V2Async(Streams.Pipelines, "/api/v2/pipelines", "", PipedriveJsonContext.Default.V2PagePipelineDto, cancellationToken))
            if (p.IsDeleted != true) pipelines.Add((p.Id, p.Name ?? "", p.OrderNr));
        var stages = new List<StageDto>();
        await foreach (var s in client.V2Async(Streams.Stages, "/api/v2/stages", "", PipedriveJsonContext.Default.V2PageStageDto, cancellationToken))
            if (s.IsDeleted != true) stages.Add(s);
        return pipelines.OrderBy(p => p.Order).ThenBy(p => p.Id)
            .Select(p => new CrmPipeline(p.Id, p.Name, stages.Where(s => s.PipelineId == p.Id).OrderBy(s => s.OrderNr).Select(s => new CrmStage(s.Id, s.Name ?? "")).ToList()))
            .ToList();
    }

    public async Task<string> WebAddressAsync(Instance instance, ILogger logger, CancellationToken cancellationToken)
    {
        var me = await Client(instance, new RunStats(), logger).GetAsync("account", "/api/v1/users/me", "api/v1/users/me", PipedriveJsonContext.Default.ItemCurrentUserDto, cancellationToken);
        return me?.Data?.CompanyDomain is { Length: > 0 } domain
            ? Core.Customers.CrmLinks.PipedriveWebAddress(domain)
            : throw new CrmException("Pipedrive's /v1/users/me did not name the company's domain, so links to its pages cannot be made.");
    }

    private PipedriveClient Client(Instance instance, RunStats stats, ILogger logger)
    {
        var http = httpClientFactory.CreateClient(HttpClientName);
        http.BaseAddress = new Uri(instance.BaseUrl.TrimEnd('/') + "/");
        return new PipedriveClient(http, instance.Credentials.ResolveApiToken(), _options, stats, logger);
    }

    /// <summary>The state of one run: checkpoints read at its start and what it has seen.</summary>
    private sealed class Run(PipedriveConnector connector, PipedriveClient client, SyncContext context)
    {
        private readonly PipedriveOptions _options = connector._options;
        private readonly DateTimeOffset _startedAt = context.Clock.GetUtcNow();
        private IReadOnlyDictionary<string, StreamCheckpoint> _checkpoints = new Dictionary<string, StreamCheckpoint>();
        private CursorStream? _streamer;
        private int InstanceId => context.Instance.Id;

        public async Task<SyncMode> ExecuteAsync(CancellationToken ct)
        {
            _checkpoints = await context.Replica.LoadCheckpointsAsync(InstanceId, ct);
            var mode = Streamer.ModeFor(Streams.Deals, context.RequestedMode, _options.FullResyncAfter);
            var reconcile = mode == SyncMode.Full || ReconcileDue(Streams.Activities) || ReconcileDue(Streams.Leads);
            var reconcileContacts = mode == SyncMode.Full || ReconcileDue(Streams.Persons) || ReconcileDue(Streams.Organizations);

            await ReferenceDataAsync(ct);
            var seenDeals = mode == SyncMode.Full ? new IdSet() : null;
            await DealsAsync(Streams.Deals, "/api/v2/deals", mode, seenDeals, reconcileAtEnd: false, ct);
            await DealsAsync(Streams.ArchivedDeals, "/api/v2/deals/archived", mode, seenDeals, reconcileAtEnd: true, ct);
            await ActivitiesAsync(reconcile ? SyncMode.Full : mode, reconcile, ct);
            await LeadsAsync(reconcile ? SyncMode.Full : mode, reconcile, ct);
            await ContactsAsync(reconcileContacts ? SyncMode.Full : mode, reconcileContacts, ct);
            await StageHistoryAsync(ct);
            return mode;
        }

        private bool ReconcileDue(string stream)
        {
            var extra = _checkpoints.GetValueOrDefault(stream)?.ExtraJson;
            var at = extra is null ? null : JsonNode.Parse(extra)?["reconciled_at"]?.GetValue<DateTimeOffset>();
            return at is null || _startedAt - at >= _options.ReconcileEvery;
        }

        private string ReconciledExtra() => new JsonObject { ["reconciled_at"] = _startedAt }.ToJsonString();

        // ---- reference data: small, read whole every run ------------------------------------

        private async Task ReferenceDataAsync(CancellationToken ct)
        {
            var batch = new ReplicaBatch();
            await foreach (var p in client.V2Async(Streams.Pipelines, "/api/v2/pipelines", "", PipedriveJsonContext.Default.V2PagePipelineDto, ct))
                batch.Pipelines.Add(new PipelineRow(p.Id, p.Name ?? "", p.OrderNr, p.IsDeleted ?? false, PipedriveFormat.Time(p.AddTime), PipedriveFormat.Time(p.UpdateTime)));
            await foreach (var s in client.V2Async(Streams.Stages, "/api/v2/stages", "", PipedriveJsonContext.Default.V2PageStageDto, ct))
                batch.Stages.Add(new StageRow(s.Id, s.PipelineId ?? 0, s.Name ?? "", s.OrderNr, s.DealProbability, s.IsDeleted ?? false, PipedriveFormat.Time(s.AddTime), PipedriveFormat.Time(s.UpdateTime)));
            await foreach (var f in client.V2Async(Streams.DealFields, "/api/v2/dealFields", "", PipedriveJsonContext.Default.V2PageDealFieldDto, ct))
                if (f.FieldCode is not null)
                    batch.DealFields.Add(new DealFieldRow(f.FieldCode, f.FieldName ?? f.FieldCode, f.FieldType ?? "varchar", f.IsCustomField ?? false, JsonOrNull(f.Options)));
            foreach (var u in await V1AllAsync(Streams.Users, "/api/v1/users", PipedriveJsonContext.Default.V1ListUserDto, ct))
                batch.Users.Add(new UserRow(u.Id, u.Name ?? "", u.Email, u.ActiveFlag ?? true, u.TimezoneName, u.DefaultCurrency));
            foreach (var c in await V1AllAsync(Streams.Currencies, "/api/v1/currencies", PipedriveJsonContext.Default.V1ListCurrencyDto, ct))
                if (c.Code is not null) batch.Currencies.Add(new CurrencyRow(c.Code, c.Name, c.DecimalPoints, c.Symbol, c.ActiveFlag ?? true));
            foreach (var t in await V1AllAsync(Streams.ActivityTypes, "/api/v1/activityTypes", PipedriveJsonContext.Default.V1ListActivityTypeDto, ct))
                batch.ActivityTypes.Add(new ActivityTypeRow(t.Id, t.Name ?? "", t.KeyString ?? "", t.OrderNr, t.ActiveFlag ?? true));

            context.Stats.For(Streams.Pipelines).AddRead(batch.Pipelines.Count);
            context.Stats.For(Streams.Stages).AddRead(batch.Stages.Count);
            context.Stats.For(Streams.DealFields).AddRead(batch.DealFields.Count);
            context.Stats.For(Streams.Users).AddRead(batch.Users.Count);
            context.Stats.For(Streams.Currencies).AddRead(batch.Currencies.Count);
            context.Stats.For(Streams.ActivityTypes).AddRead(batch.ActivityTypes.Count);
            await context.Stats.For("reference").WriteAsync(() => context.Replica.CommitAsync(InstanceId, batch, ct));
        }

        // ---- deals --------------------------------------------------------------------------

        private async Task DealsAsync(string stream, string operation, SyncMode mode, IdSet? seen, bool reconcileAtEnd, CancellationToken ct)
        {
            var query = "status=open,won,lost,deleted&sort_by=update_time&sort_direction=asc" + Since(stream, mode);
            await CursorStreamAsync(stream, mode,
                client.V2Async(stream, operation, query, PipedriveJsonContext.Default.V2PageDealDto, ct),
                (batch, d) =>
                {
                    seen?.Add(d.Id);
                    var row = ToDealRow(d);
                    batch.Deals.Add(row);
                    return row.UpdateTime;
                },
                completed: batch =>
                {
                    if (reconcileAtEnd && seen is not null)
                        batch.Reconciliations.Add(new Reconciliation(ReplicaEntity.Deal, id => seen.Contains(long.Parse(id, Inv))));
                },
                ct);
        }

        internal static DealRow ToDealRow(DealDto d) => new()
        {
            Id = d.Id,
            Title = d.Title,
            Value = d.Value,
            Currency = d.Currency,
            Status = d.Status ?? (d.IsDeleted == true ? "deleted" : "open"),
            PipelineId = d.PipelineId,
            StageId = d.StageId,
            OwnerId = d.OwnerId,
            PersonId = d.PersonId,
            OrgId = d.OrgId,
            AddTime = PipedriveFormat.Time(d.AddTime) ?? throw new FormatException($"Deal {d.Id} has no add_time."),
            UpdateTime = PipedriveFormat.Time(d.UpdateTime) ?? PipedriveFormat.Time(d.AddTime)!.Value,
            StageChangeTime = PipedriveFormat.Time(d.StageChangeTime),
            WonTime = PipedriveFormat.Time(d.WonTime),
            LostTime = PipedriveFormat.Time(d.LostTime),
            CloseTime = PipedriveFormat.Time(d.CloseTime),
            ExpectedCloseDate = PipedriveFormat.Date(d.ExpectedCloseDate),
            Probability = d.Probability,
            LostReason = d.LostReason,
            IsDeleted = d.IsDeleted ?? false,
            IsArchived = d.IsArchived ?? false,
            ArchiveTime = PipedriveFormat.Time(d.ArchiveTime),
            Origin = d.Origin,
            Channel = d.Channel,
            SourceLeadId = d.SourceLeadId,
            LabelIds = d.LabelIds?.ToArray(),
            CustomFieldsJson = JsonOrNull(d.CustomFields),
        };

        // ---- activities and leads -----------------------------------------------------------

        private async Task ActivitiesAsync(SyncMode mode, bool reconcile, CancellationToken ct)
        {
            var seen = reconcile ? new IdSet() : null;
            var query = "sort_by=update_time&sort_direction=asc" + Since(Streams.Activities, mode);
            await CursorStreamAsync(Streams.Activities, mode,
                client.V2Async(Streams.Activities, "/api/v2/activities", query, PipedriveJsonContext.Default.V2PageActivityDto, ct),
                (batch, a) =>
                {
                    seen?.Add(a.Id);
                    var row = ToActivityRow(a);
                    batch.Activities.Add(row);
                    return row.UpdateTime;
                },
                completed: batch => Reconciled(batch, ReplicaEntity.Activity, seen),
                ct);
        }

        internal static ActivityRow ToActivityRow(ActivityDto a) => new()
        {
            Id = a.Id, Subject = a.Subject, Type = a.Type, OwnerId = a.OwnerId, DealId = a.DealId, LeadId = a.LeadId,
            PersonId = a.PersonId, OrgId = a.OrgId, DueDate = PipedriveFormat.Date(a.DueDate),
            DueTime = PipedriveFormat.TimeOfDay(a.DueTime), Duration = PipedriveFormat.Duration(a.Duration),
            Done = a.Done ?? false, MarkedAsDoneTime = PipedriveFormat.Time(a.MarkedAsDoneTime),
            AddTime = PipedriveFormat.Time(a.AddTime), UpdateTime = PipedriveFormat.Time(a.UpdateTime),
            IsDeleted = a.IsDeleted ?? false,
        };

        // ---- persons and organizations, for the customer card ----------------------------------

        /// <summary>Persons and organizations by update time, as activities: deletions found by a full pass every ReconcileEvery.</summary>
        private async Task ContactsAsync(SyncMode mode, bool reconcile, CancellationToken ct)
        {
            await UpdatedListAsync(Streams.Organizations, "/api/v2/organizations", PipedriveJsonContext.Default.V2PageOrganizationDto, o => o.Id,
                ReplicaEntity.Organization, mode, reconcile, (batch, o) =>
                {
                    var row = new OrganizationRow
                    {
                        Id = o.Id, Name = o.Name, OwnerId = o.OwnerId, Address = o.AddressText,
                        AddTime = PipedriveFormat.Time(o.AddTime), UpdateTime = PipedriveFormat.Time(o.UpdateTime), IsDeleted = o.IsDeleted ?? false,
                    };
                    batch.Organizations.Add(row);
                    return row.UpdateTime;
                }, ct);
            await UpdatedListAsync(Streams.Persons, "/api/v2/persons", PipedriveJsonContext.Default.V2PagePersonDto, p => p.Id,
                ReplicaEntity.Contact, mode, reconcile, (batch, p) =>
                {
                    var row = ContactOf(p);
                    batch.Contacts.Add(row);
                    return row.UpdateTime;
                }, ct);
        }

        /// <summary>A v2 list read in update_time order from its cursor; with <paramref name="reconcile"/>, a whole pass after which what was not listed is flagged deleted.</summary>
        private async Task UpdatedListAsync<T>(string stream, string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<V2Page<T>> type, Func<T, long> idOf,
            ReplicaEntity entity, SyncMode mode, bool reconcile, Func<ReplicaBatch, T, DateTimeOffset?> add, CancellationToken ct)
        {
            var seen = reconcile ? new IdSet() : null;
            await CursorStreamAsync(stream, mode, client.V2Async(stream, path, "sort_by=update_time&sort_direction=asc" + Since(stream, mode), type, ct),
                (batch, item) =>
                {
                    seen?.Add(idOf(item));
                    return add(batch, item);
                },
                completed: batch => Reconciled(batch, entity, seen),
                ct);
        }

        /// <summary>After a complete pass: what the CRM no longer lists is flagged deleted, and the pass is remembered.</summary>
        private void Reconciled(ReplicaBatch batch, ReplicaEntity entity, IdSet? seen)
        {
            if (seen is null) return;
            batch.Reconciliations.Add(new Reconciliation(entity, id => seen.Contains(long.Parse(id, Inv))));
            batch.Checkpoints[^1] = batch.Checkpoints[^1] with { ExtraJson = ReconciledExtra() };
        }

        private async Task LeadsAsync(SyncMode mode, bool reconcile, CancellationToken ct)
        {
            var seen = reconcile ? new HashSet<string>(StringComparer.Ordinal) : null;
            // Archived leads have no update filter: they are read whole, and first, so that the
            // reconciliation at the end of the main lead list has seen both lists.
            var archived = new ReplicaBatch();
            await foreach (var lead in V1PagesAsync(Streams.ArchivedLeads, "/api/v1/leads/archived", "sort=update_time%20ASC", ct))
            {
                seen?.Add(lead.Id!);
                archived.Leads.Add(ToLeadRow(lead));
                if (archived.Leads.Count < _options.BatchRows) continue;
                await CommitAsync(Streams.ArchivedLeads, archived, ct);
                archived = new ReplicaBatch();
            }
            await CommitAsync(Streams.ArchivedLeads, archived, ct);

            var query = "sort=update_time%20ASC" + Since(Streams.Leads, mode);
            await CursorStreamAsync(Streams.Leads, mode, V1PagesAsync(Streams.Leads, "/api/v1/leads", query, ct),
                (batch, l) =>
                {
                    seen?.Add(l.Id!);
                    var row = ToLeadRow(l);
                    batch.Leads.Add(row);
                    return row.UpdateTime;
                },
                completed: batch =>
                {
                    if (seen is null) return;
                    batch.Reconciliations.Add(new Reconciliation(ReplicaEntity.Lead, seen.Contains));
                    batch.Checkpoints[^1] = batch.Checkpoints[^1] with { ExtraJson = ReconciledExtra() };
                },
                ct);
        }

        private static LeadRow ToLeadRow(LeadDto l) => new()
        {
            Id = l.Id ?? throw new FormatException("A lead has no id."),
            Title = l.Title, OwnerId = l.OwnerId, PersonId = l.PersonId, OrganizationId = l.OrganizationId,
            SourceName = l.SourceName, Origin = l.Origin, ValueAmount = l.Value?.Amount, ValueCurrency = l.Value?.Currency,
            ExpectedCloseDate = PipedriveFormat.Date(l.ExpectedCloseDate), IsArchived = l.IsArchived ?? false,
            SourceDealId = l.SourceDealId, AddTime = PipedriveFormat.Time(l.AddTime), UpdateTime = PipedriveFormat.Time(l.UpdateTime),
        };

        // ---- stage history: only for deals that moved since their history was fetched --------

        /// <summary>
        /// Every deal due for history: a deal that never changed stage has been in its current stage since it was
        /// added (no call); the others' changelogs are fetched a few at a time (the burst window holds them all back
        /// when spent) while the histories already fetched are committed, in batches, by two writers.
        /// </summary>
        private async Task StageHistoryAsync(CancellationToken ct)
        {
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var fetched = Channel.CreateBounded<(DealHistoryDue Deal, DateTimeOffset? AskedAt, List<StageChange>? Changes)>(HistoryBatch * 2);
            // Two writers: deals are disjoint, so their commits can overlap each other as well as the fetches.
            var writers = Task.WhenAll(Enumerable.Range(0, HistoryWriters).Select(_ => Task.Run(async () =>
            {
                try { await CommitHistoriesAsync(fetched.Reader, failed.Token); }
                catch { await failed.CancelAsync(); throw; }
            }, CancellationToken.None)));
            Exception? fetchError = null;
            try
            {
                await Parallel.ForEachAsync(DueForHistoryAsync(failed.Token),
                    new ParallelOptions { MaxDegreeOfParallelism = _options.HistoryConcurrency, CancellationToken = failed.Token },
                    // A deal that never moved has no changelog to ask for: its history is its creation stage.
                    async (deal, token) => await fetched.Writer.WriteAsync(deal.StageChangeTime is null
                        ? (deal, null, [])
                        : (deal, context.Clock.GetUtcNow(), await ChangelogAsync(deal.DealId, token)), token));
            }
            catch (Exception e)
            {
                fetchError = e;
            }
            // What was fetched before a failure is still committed; the writer's own failure comes first.
            fetched.Writer.Complete();
            await writers;
            if (fetchError is not null) ExceptionDispatchInfo.Throw(fetchError);
        }

        private const int HistoryBatch = 500, HistoryWriters = 2;

        private async IAsyncEnumerable<DealHistoryDue> DueForHistoryAsync([EnumeratorCancellation] CancellationToken ct)
        {
            for (long after = 0; ;)
            {
                var due = await context.Replica.DealsDueForHistoryAsync(InstanceId, after, HistoryBatch, ct);
                foreach (var deal in due) yield return deal;
                if (due.Count < HistoryBatch) yield break;
                after = due[^1].DealId;
            }
        }

        private async Task CommitHistoriesAsync(ChannelReader<(DealHistoryDue Deal, DateTimeOffset? AskedAt, List<StageChange>? Changes)> fetched, CancellationToken ct)
        {
            var stats = context.Stats.For(Streams.StageHistory);
            var batch = new ReplicaBatch();
            await foreach (var (deal, askedAt, changes) in fetched.ReadAllAsync(ct))
            {
                if (changes is null) continue; // gone from Pipedrive meanwhile; the next deal pass will flag it
                if (deal.StageId is not { } stage) continue;
                var arrivals = StageHistoryBuilder.Build(stage, deal.AddTime, changes);
                batch.StageHistories.Add(new DealStageHistory(deal.DealId, deal.StageChangeTime, arrivals, askedAt));
                stats.AddRead(arrivals.Count);
                if (batch.StageHistories.Count < HistoryBatch) continue;
                await stats.WriteAsync(() => context.Replica.CommitAsync(InstanceId, batch, ct));
                batch = new ReplicaBatch();
            }
            await stats.WriteAsync(() => context.Replica.CommitAsync(InstanceId, batch, ct));
        }

        private async Task<List<StageChange>?> ChangelogAsync(long dealId, CancellationToken ct)
        {
            var changes = new List<StageChange>();
            string? cursor = null;
            do
            {
                var path = $"api/v1/deals/{dealId}/changelog?limit={_options.PageSize}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
                var page = await client.GetAsync(Streams.StageHistory, "/api/v1/deals/{id}/changelog", path, PipedriveJsonContext.Default.V2PageChangelogDto, ct);
                if (page is null) return null;
                foreach (var entry in page.Data ?? [])
                {
                    if (entry.FieldKey != "stage_id" || !long.TryParse(entry.NewValue, NumberStyles.Integer, Inv, out var to)) continue;
                    long? from = long.TryParse(entry.OldValue, NumberStyles.Integer, Inv, out var f) ? f : null;
                    changes.Add(new StageChange(from, to, PipedriveFormat.Time(entry.Time) ?? throw new FormatException($"A changelog entry of deal {dealId} has no time.")));
                }
                cursor = page.AdditionalData?.NextCursor;
            } while (cursor is not null);
            // The changelog lists newest first; the builder orders by time.
            changes.Reverse();
            return changes;
        }

        // ---- shared stream mechanics --------------------------------------------------------

        private CursorStream Streamer => _streamer ??= new CursorStream(context, _checkpoints, _startedAt, _options.BatchRows);

        private Task CursorStreamAsync<T>(
            string stream, SyncMode mode, IAsyncEnumerable<T> records, Func<ReplicaBatch, T, DateTimeOffset?> add,
            Action<ReplicaBatch> completed, CancellationToken ct) =>
            Streamer.RunAsync(stream, mode, records, add, completed, ct);

        private Task CommitAsync(string stream, ReplicaBatch batch, CancellationToken ct) => Streamer.CommitAsync(stream, batch, ct);

        /// <summary>The incremental lower bound: the committed cursor minus the overlap (inclusive).</summary>
        private string Since(string stream, SyncMode mode) =>
            Streamer.Since(stream, mode, _options.Overlap) is { } since
                ? "&updated_since=" + Uri.EscapeDataString(since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Inv))
                : "";

        /// <summary>Every record of an offset-paged v1 list (start/limit, more_items_in_collection).</summary>
        private async IAsyncEnumerable<LeadDto> V1PagesAsync(string stream, string operation, string query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            var start = 0;
            var stats = context.Stats.For(stream);
            while (true)
            {
                var path = $"{operation.TrimStart('/')}?start={start}&limit={_options.PageSize}&" + query.TrimStart('&');
                var page = await client.GetAsync(stream, operation, path, PipedriveJsonContext.Default.V1ListLeadDto, ct)
                    ?? throw new CrmException($"Pipedrive answered 404 for {operation}.");
                var data = page.Data ?? [];
                stats.AddRead(data.Count);
                foreach (var item in data.Where(l => l.Id is not null)) yield return item;
                var more = page.AdditionalData?.MoreItemsInCollection ?? page.AdditionalData?.Pagination?.MoreItemsInCollection ?? false;
                if (!more || data.Count == 0) yield break;
                start = page.AdditionalData?.Pagination?.NextStart ?? start + data.Count;
            }
        }

        private async Task<List<T>> V1AllAsync<T>(string stream, string operation, System.Text.Json.Serialization.Metadata.JsonTypeInfo<V1List<T>> type, CancellationToken ct)
        {
            var page = await client.GetAsync(stream, operation, operation.TrimStart('/'), type, ct)
                ?? throw new CrmException($"Pipedrive answered 404 for {operation}.");
            return page.Data ?? [];
        }

        private static string? JsonOrNull(JsonElement? element) =>
            element is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } e ? e.GetRawText() : null;
    }

    /// <summary>Stream names, as they appear in sync state, run statistics and logs.</summary>
    public static class Streams
    {
        public const string Pipelines = "pipelines";
        public const string Stages = "stages";
        public const string Users = "users";
        public const string Currencies = "currencies";
        public const string ActivityTypes = "activity_types";
        public const string DealFields = "deal_fields";
        public const string Deals = "deals";
        public const string ArchivedDeals = "deals_archived";
        public const string Activities = "activities";
        public const string Persons = "persons";
        public const string Organizations = "organizations";
        public const string Leads = "leads";
        public const string ArchivedLeads = "leads_archived";
        public const string StageHistory = "deal_stage_history";
    }
}
