using System.Text.Json.Nodes;
using CrmEtl.Connectors.Streams;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Connectors.Kommo;

/// <summary>
/// Syncs one Kommo (amoCRM) account into the replica. Streams, in order: reference data (the account's
/// currency and task types, users, pipelines with their statuses, lead fields), leads, companies,
/// contacts, logged calls (notes call_in / call_out) and tasks by updated_at from the last committed cursor
/// minus an overlap, then the lead
/// events since the last run: status changes become stage history, lead_deleted flags a lead deleted
/// and lead_restored brings it back. Won (142) and lost (143) are statuses of every pipeline.
/// </summary>
public sealed partial class KommoConnector(IHttpClientFactory httpClientFactory, KommoTokens tokens, IOptions<KommoOptions> options) : ICrmConnector
{
    public const string HttpClientName = "kommo";
    private readonly KommoOptions _options = options.Value;

    public string Kind => InstanceKinds.Kommo;

    public async Task<SyncMode> RunAsync(SyncContext context, CancellationToken cancellationToken)
    {
        // An account that changes little still renews its refresh token before Kommo's three months are up.
        await tokens.RenewIfOldAsync(context.Instance, context.Logger, cancellationToken);
        var run = new Run(this, Client(context.Instance, context.Stats, context.Logger), context);
        return await run.ExecuteAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CrmPipeline>> ListPipelinesAsync(Instance instance, ILogger logger, CancellationToken cancellationToken)
    {
        var body = await Client(instance, new RunStats(), logger).GetAsync(Streams.Pipelines, "/api/v4/leads/pipelines", cancellationToken);
        return Pipelines(body).Where(p => !p.Archived)
            .Select(p => new CrmPipeline(p.Id, p.Name, p.Statuses.Select(s => new CrmStage(KommoValues.StageKey(p.Id, s.Id), s.Name)).ToList()))
            .ToList();
    }

    public async Task<string> WebAddressAsync(Instance instance, ILogger logger, CancellationToken cancellationToken)
    {
        var account = await Client(instance, new RunStats(), logger).GetAsync("account", "/api/v4/account", cancellationToken);
        return KommoValues.Text(account?["subdomain"]) is { Length: > 0 }
            ? instance.BaseUrl.TrimEnd('/')
            : throw new CrmException("Kommo's /api/v4/account did not name the account's subdomain, so links to its pages cannot be made.");
    }

    private KommoClient Client(Instance instance, RunStats stats, ILogger logger) =>
        new(httpClientFactory.CreateClient(HttpClientName), tokens, instance, _options, stats, logger);

    private sealed record KommoStatus(long Id, string Name, int? Sort, long Type);

    private sealed record KommoPipeline(long Id, string Name, int? Sort, bool Archived, IReadOnlyList<KommoStatus> Statuses);

    private static List<KommoPipeline> Pipelines(JsonNode? body) =>
        (body?["_embedded"]?["pipelines"]?.AsArray().OfType<JsonObject>() ?? []).Select(p => new KommoPipeline(
            KommoValues.Id(p["id"]) ?? throw new FormatException("A Kommo pipeline has no id."), KommoValues.Text(p["name"]) ?? "",
            (int?)KommoValues.Id(p["sort"]), KommoValues.Bool(p["is_archive"]) ?? false,
            (p["_embedded"]?["statuses"]?.AsArray().OfType<JsonObject>() ?? [])
                .Select(s => new KommoStatus(KommoValues.Id(s["id"]) ?? 0, KommoValues.Text(s["name"]) ?? "", (int?)KommoValues.Id(s["sort"]), KommoValues.Id(s["type"]) ?? 0))
                .Where(s => s.Id != 0).OrderBy(s => s.Sort).ToList())).ToList();

    /// <summary>One run: its streams, declared in the order they are read, and the stream runner that reads them.</summary>
    private sealed partial class Run(KommoConnector connector, KommoClient client, SyncContext syncContext)
        : ConnectorRun(syncContext, new StreamSettings(connector._options.BatchRows, connector._options.Overlap, connector._options.FullResyncAfter), Streams.Leads)
    {
        private readonly KommoOptions _options = connector._options;
        private string? _currency;
        private readonly Dictionary<long, string> _taskTypes = [];
        private TimeZoneInfo _zone = TimeZoneInfo.Utc;

        protected override IEnumerable<ISyncStream> Declare(SyncMode mode)
        {
            // Deleted leads come with their events; companies, contacts, calls and tasks only by re-reading them whole now and then.
            var reconcile = mode == SyncMode.Full || Runner.ReconcileDue(Streams.Tasks, _options.ReconcileEvery);
            var reconcileContacts = mode == SyncMode.Full || Runner.ReconcileDue(Streams.Contacts, _options.ReconcileEvery);
            Reconcile? Reconciled(bool due, ReplicaEntity entity) => due ? new Reconcile(entity, remembered: true) : null;
            SyncMode? Whole(bool due) => due ? SyncMode.Full : null;

            yield return new DependentStream("reference", (_, ct) => ReferenceDataAsync(ct));
            yield return Leads() with { Reconcile = mode == SyncMode.Full ? new Reconcile(ReplicaEntity.Deal) : null };
            yield return Companies() with { Reconcile = Reconciled(reconcileContacts, ReplicaEntity.Organization), Mode = Whole(reconcileContacts) };
            yield return Contacts() with { Reconcile = Reconciled(reconcileContacts, ReplicaEntity.Contact), Mode = Whole(reconcileContacts) };
            // Tasks and logged calls are the activities: one reconciliation over the four lists, finished by the tasks.
            var activities = Reconciled(reconcile, ReplicaEntity.Activity);
            foreach (var calls in Calls()) yield return calls with { Reconcile = activities, FinishesReconcile = false, Mode = Whole(reconcile) };
            yield return Tasks() with { Reconcile = activities, Mode = Whole(reconcile) };
            yield return new DependentStream(Streams.LeadEvents, LeadEventsAsync);
        }

        // ---- reference data: small, read whole every run -------------------------------------------

        private async Task ReferenceDataAsync(CancellationToken ct)
        {
            var batch = new ReplicaBatch();
            var account = await client.GetAsync(Streams.Account, "/api/v4/account?with=task_types,datetime_settings", ct)
                ?? throw new CrmException("Kommo answered nothing for /api/v4/account.");
            _currency = KommoValues.Text(account["currency"]);
            _zone = ZoneOf(account, Context.Instance.TimeZone);
            if (_currency is not null) batch.Currencies.Add(new CurrencyRow(_currency, KommoValues.Text(account["currency_symbol"]), null, KommoValues.Text(account["currency_symbol"]), true));
            foreach (var (id, name, code) in TaskTypesOf(account))
            {
                _taskTypes[id] = code;
                batch.ActivityTypes.Add(new ActivityTypeRow(id, name, code, (int)id, true));
            }
            // Logged calls (notes call_in / call_out) are activities of the type call: a type of their own, apart from the task types' ids.
            if (!_taskTypes.ContainsValue(CallType)) batch.ActivityTypes.Add(new ActivityTypeRow(CallTypeId, "Logged call", CallType, 0, true));
            await foreach (var u in client.PagesAsync(Streams.Users, $"/api/v4/users?limit={_options.PageSize}", "users", ct))
            {
                var id = KommoValues.Id(u["id"]) ?? throw new FormatException("Kommo listed a user without its id (GET /api/v4/users).");
                batch.Users.Add(new UserRow(id, KommoValues.Text(u["name"]) ?? KommoValues.Text(u["email"]) ?? "", KommoValues.Text(u["email"]),
                    KommoValues.Bool(u["rights"]?["is_active"]) ?? true, null, _currency));
            }
            foreach (var p in Pipelines(await client.GetAsync(Streams.Pipelines, "/api/v4/leads/pipelines", ct)))
            {
                batch.Pipelines.Add(new PipelineRow(p.Id, p.Name, p.Sort, p.Archived, null, null));
                foreach (var s in p.Statuses)
                    batch.Stages.Add(new StageRow(KommoValues.StageKey(p.Id, s.Id), p.Id, s.Name, s.Sort, null, false, null, null,
                        s.Id switch { KommoValues.Won => "Closed Won", KommoValues.Lost => "Closed Lost", _ => null }));
            }
            await foreach (var f in client.PagesAsync(Streams.Fields, $"/api/v4/leads/custom_fields?limit=50", "custom_fields", ct))
                if (KommoValues.Id(f["id"]) is { } id)
                    batch.DealFields.Add(new DealFieldRow(id.ToString(System.Globalization.CultureInfo.InvariantCulture), KommoValues.Text(f["name"]) ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        KommoValues.Text(f["type"]) ?? "text", true, f["enums"] is JsonArray enums ? enums.ToJsonString() : null));
            Context.Stats.For(Streams.Pipelines).AddRead(batch.Pipelines.Count + batch.Stages.Count);
            await Runner.CommitAsync("reference", batch, ct);
        }
    }

    /// <summary>Stream names, as they appear in sync state, run statistics and logs.</summary>
    public static class Streams
    {
        public const string Account = "account";
        public const string Users = "users";
        public const string Pipelines = "pipelines";
        public const string Fields = "lead_fields";
        public const string Leads = "leads";
        public const string Companies = "companies";
        public const string Contacts = "contacts";
        public const string Tasks = "tasks";
        public const string LeadCalls = "lead_calls";
        public const string ContactCalls = "contact_calls";
        public const string CompanyCalls = "company_calls";
        public const string LeadEvents = "lead_events";
    }
}
