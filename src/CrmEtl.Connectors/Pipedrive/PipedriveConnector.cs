using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CrmEtl.Connectors.Streams;
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

    private StreamSettings Settings => new(_options.BatchRows, _options.Overlap, _options.FullResyncAfter);

    /// <summary>One run: its streams, declared in the order they are read.</summary>
    private sealed class Run(PipedriveConnector connector, PipedriveClient client, SyncContext syncContext) : ConnectorRun(syncContext, connector.Settings, Streams.Deals)
    {
        private readonly PipedriveOptions _options = connector._options;

        /// <summary>The run's streams, in order.</summary>
        protected override IEnumerable<ISyncStream> Declare(SyncMode mode)
        {
            // Activities, leads and contacts have no list of deleted ones: they are read whole every ReconcileEvery.
            var reconcile = mode == SyncMode.Full || ReconcileDue(Streams.Activities) || ReconcileDue(Streams.Leads);
            var reconcileContacts = mode == SyncMode.Full || ReconcileDue(Streams.Persons) || ReconcileDue(Streams.Organizations);
            Reconcile? Reconciled(bool due, ReplicaEntity entity) => due ? new Reconcile(entity, remembered: true) : null;

            yield return new DependentStream("reference", (_, ct) => ReferenceDataAsync(ct));
            // Deleted deals stay listed (status=deleted) for 30 days, so only a full pass reconciles them.
            var deals = mode == SyncMode.Full ? new Reconcile(ReplicaEntity.Deal) : null;
            yield return Deals(Streams.Deals, "/api/v2/deals") with { Reconcile = deals, FinishesReconcile = false };
            yield return Deals(Streams.ArchivedDeals, "/api/v2/deals/archived") with { Reconcile = deals };
            yield return Updated(Streams.Activities, "/api/v2/activities", PipedriveJsonContext.Default.V2PageActivityDto, (batch, a) =>
            {
                var row = ToActivityRow(a);
                batch.Activities.Add(row);
                return new Written(row.Id, row.UpdateTime);
            }) with { Reconcile = Reconciled(reconcile, ReplicaEntity.Activity), Mode = reconcile ? SyncMode.Full : null };
            yield return new DependentStream(Streams.Leads, (_, ct) => LeadsAsync(reconcile ? SyncMode.Full : mode, reconcile, ct));
            yield return Organizations() with { Reconcile = Reconciled(reconcileContacts, ReplicaEntity.Organization), Mode = reconcileContacts ? SyncMode.Full : null };
            yield return Persons() with { Reconcile = Reconciled(reconcileContacts, ReplicaEntity.Contact), Mode = reconcileContacts ? SyncMode.Full : null };
            yield return new DependentStream(Streams.StageHistory, (_, ct) => StageHistoryAsync(ct));
        }

        private bool ReconcileDue(string stream) => Runner.ReconcileDue(stream, _options.ReconcileEvery);

        /// <summary>A v2 list read in update_time order from a lower bound.</summary>
        private UpdatedStream<T> Updated<T>(string stream, string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<V2Page<T>> type, Func<ReplicaBatch, T, Written> write, string query = "") =>
            new(stream, (since, ct) => client.V2Async(stream, path, query + "sort_by=update_time&sort_direction=asc" + Since(since), type, ct), write);

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

            Context.Stats.For(Streams.Pipelines).AddRead(batch.Pipelines.Count);
            Context.Stats.For(Streams.Stages).AddRead(batch.Stages.Count);
            Context.Stats.For(Streams.DealFields).AddRead(batch.DealFields.Count);
            Context.Stats.For(Streams.Users).AddRead(batch.Users.Count);
            Context.Stats.For(Streams.Currencies).AddRead(batch.Currencies.Count);
            Context.Stats.For(Streams.ActivityTypes).AddRead(batch.ActivityTypes.Count);
            await Context.Stats.For("reference").WriteAsync(() => Context.Replica.CommitAsync(InstanceId, batch, ct));
        }

        // ---- deals --------------------------------------------------------------------------

        private UpdatedStream<DealDto> Deals(string stream, string operation) =>
            Updated(stream, operation, PipedriveJsonContext.Default.V2PageDealDto, (batch, d) =>
            {
                var row = ToDealRow(d);
                batch.Deals.Add(row);
                return new Written(row.Id, row.UpdateTime);
            }, query: "status=open,won,lost,deleted&");

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

        // ---- persons and organizations, for the customer card ----------------------------------

        private UpdatedStream<OrganizationDto> Organizations() =>
            Updated(Streams.Organizations, "/api/v2/organizations", PipedriveJsonContext.Default.V2PageOrganizationDto, (batch, o) =>
            {
                var row = new OrganizationRow
                {
                    Id = o.Id, Name = o.Name, OwnerId = o.OwnerId, Address = o.AddressText,
                    AddTime = PipedriveFormat.Time(o.AddTime), UpdateTime = PipedriveFormat.Time(o.UpdateTime), IsDeleted = o.IsDeleted ?? false,
                };
                batch.Organizations.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });

        private UpdatedStream<PersonDto> Persons() =>
            Updated(Streams.Persons, "/api/v2/persons", PipedriveJsonContext.Default.V2PagePersonDto, (batch, p) =>
            {
                var row = ContactOf(p);
                batch.Contacts.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });

        private async Task LeadsAsync(SyncMode mode, bool reconcile, CancellationToken ct)
        {
            var seen = reconcile ? new Reconcile(ReplicaEntity.Lead, remembered: true) : null;
            // Archived leads have no update filter: they are read whole, and first, so that the
            // reconciliation at the end of the main lead list has seen both lists.
            await Runner.WholeAsync(Streams.ArchivedLeads, WithIds(client.V1Async(Streams.ArchivedLeads, "/api/v1/leads/archived", "sort=update_time%20ASC", PipedriveJsonContext.Default.V1ListLeadDto, ct)),
                (batch, lead) =>
                {
                    seen?.Saw(new Written(lead.Id!, null));
                    batch.Leads.Add(ToLeadRow(lead));
                }, ct);
            await Runner.RunAsync(new UpdatedStream<LeadDto>(Streams.Leads,
                (since, token) => WithIds(client.V1Async(Streams.Leads, "/api/v1/leads", "sort=update_time%20ASC" + Since(since), PipedriveJsonContext.Default.V1ListLeadDto, token)),
                (batch, l) =>
                {
                    var row = ToLeadRow(l);
                    batch.Leads.Add(row);
                    return new Written(row.Id, row.UpdateTime);
                }) { Reconcile = seen }, mode, ct);
        }

        /// <summary>Leads without an id cannot be stored or reconciled: they are passed over.</summary>
        private static async IAsyncEnumerable<LeadDto> WithIds(IAsyncEnumerable<LeadDto> leads)
        {
            await foreach (var lead in leads)
                if (lead.Id is not null) yield return lead;
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
                        : (deal, Context.Clock.GetUtcNow(), await ChangelogAsync(deal.DealId, token)), token));
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
                var due = await Context.Replica.DealsDueForHistoryAsync(InstanceId, after, HistoryBatch, ct);
                foreach (var deal in due) yield return deal;
                if (due.Count < HistoryBatch) yield break;
                after = due[^1].DealId;
            }
        }

        private async Task CommitHistoriesAsync(ChannelReader<(DealHistoryDue Deal, DateTimeOffset? AskedAt, List<StageChange>? Changes)> fetched, CancellationToken ct)
        {
            var stats = Context.Stats.For(Streams.StageHistory);
            var batch = new ReplicaBatch();
            await foreach (var (deal, askedAt, changes) in fetched.ReadAllAsync(ct))
            {
                if (changes is null) continue; // gone from Pipedrive meanwhile; the next deal pass will flag it
                if (deal.StageId is not { } stage) continue;
                var arrivals = StageHistoryBuilder.Build(stage, deal.AddTime, changes);
                batch.StageHistories.Add(new DealStageHistory(deal.DealId, deal.StageChangeTime, arrivals, askedAt));
                stats.AddRead(arrivals.Count);
                if (batch.StageHistories.Count < HistoryBatch) continue;
                await stats.WriteAsync(() => Context.Replica.CommitAsync(InstanceId, batch, ct));
                batch = new ReplicaBatch();
            }
            await stats.WriteAsync(() => Context.Replica.CommitAsync(InstanceId, batch, ct));
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

        /// <summary>The incremental lower bound as Pipedrive's updated_since (inclusive); nothing for a full read.</summary>
        private static string Since(DateTimeOffset? since) =>
            since is { } at ? "&updated_since=" + Uri.EscapeDataString(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Inv)) : "";

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
