using System.Globalization;
using System.Text.Json.Nodes;
using CrmEtl.Connectors.Streams;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Connectors.Zoho;

/// <summary>
/// Syncs one Zoho CRM org into the replica. Streams, in order: reference data (users, currencies,
/// pipelines and stages, fields), deals, leads (converted ones too), tasks, events and calls as
/// activities, deleted records, and deal stage history from the DealHistory module (per-deal
/// Stage_History only when the org does not offer it). Records are read by Modified_Time with
/// If-Modified-Since from the last committed cursor minus an overlap, in field groups of at most 50
/// merged by id, and committed in batches together with their cursor.
/// </summary>
public sealed partial class ZohoConnector(IHttpClientFactory httpClientFactory, ZohoTokenProvider tokens, IOptions<ZohoOptions> options) : ICrmConnector, Core.Customers.ICrmContacts
{
    public const string HttpClientName = "zoho";
    private readonly ZohoOptions _options = options.Value;

    public string Kind => InstanceKinds.Zoho;

    public async Task<SyncMode> RunAsync(SyncContext context, CancellationToken cancellationToken)
    {
        var run = new Run(this, Client(context.Instance, context.Stats, context.Logger), context);
        return await run.ExecuteAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CrmPipeline>> ListPipelinesAsync(Instance instance, ILogger logger, CancellationToken cancellationToken)
    {
        var pipelines = await ZohoPipelines.LoadAsync(Client(instance, new RunStats(), logger), Streams.Pipelines, cancellationToken);
        return pipelines.ToCrmPipelines();
    }

    public async Task<string> WebAddressAsync(Instance instance, ILogger logger, CancellationToken cancellationToken)
    {
        var org = await Client(instance, new RunStats(), logger).GetAsync("account", "/crm/v8/org", null, cancellationToken);
        return org?["org"]?[0]?["zgid"]?.GetValue<string>() is { Length: > 0 } zgid
            ? Core.Customers.CrmLinks.ZohoWebAddress(instance.BaseUrl, zgid)
            : throw new CrmException("Zoho's /crm/v8/org did not give the org id (zgid), so links to its pages cannot be made.");
    }

    private ZohoClient Client(Instance instance, RunStats stats, ILogger logger) =>
        new(httpClientFactory.CreateClient(HttpClientName), tokens, instance, _options, stats, logger);

    /// <summary>Fields read of each module besides the id (intersected with the org's own fields). Deals read every field.</summary>
    private static class Wanted
    {
        public static readonly string[] DealCore =
            ["Modified_Time", "Created_Time", "Deal_Name", "Amount", "Currency", "Stage", "Pipeline", "Owner", "Probability", "Closing_Date",
             "Account_Name", "Contact_Name", "Reason_For_Loss__s", "Stage_Modified_Time"];
        /// <summary>Deal fields with a column of their own; every other field goes to custom_fields. (Declared after DealCore: it is built from it.)</summary>
        public static readonly HashSet<string> DealColumns = new(DealCore, StringComparer.Ordinal);
        public static readonly string[] Leads =
            ["Modified_Time", "Created_Time", "Owner", "Company", "Full_Name", "Last_Name", "Lead_Source", "Lead_Status", "Converted__s", "Converted_Date_Time", "Converted_Deal"];
        public static readonly string[] Tasks = ["Modified_Time", "Created_Time", "Subject", "Status", "Due_Date", "Owner", "What_Id", "$se_module", "Closed_Time"];
        public static readonly string[] Events = ["Modified_Time", "Created_Time", "Event_Title", "Start_DateTime", "End_DateTime", "All_day", "Owner", "What_Id", "$se_module"];
        public static readonly string[] Calls =
            ["Modified_Time", "Created_Time", "Subject", "Call_Type", "Call_Start_Time", "Call_Duration_in_seconds", "Call_Duration", "Outbound_Call_Status", "Owner", "What_Id", "$se_module"];
        public static readonly string[] Contacts =
            ["Modified_Time", "Created_Time", "Owner", "First_Name", "Last_Name", "Full_Name", "Email", "Secondary_Email", "Phone", "Mobile", "Account_Name"];
        public static readonly string[] Accounts = ["Modified_Time", "Created_Time", "Owner", "Account_Name", "Billing_Street", "Billing_City", "Billing_Country"];
        public static readonly string[] History = ["Modified_Time", "Potential_Name", "Stage", "Moved_To__s"];
        /// <summary>DealHistory is not described by the fields API: should an org refuse Moved_To__s, these suffice.</summary>
        public static readonly string[] HistoryMinimal = ["Modified_Time", "Potential_Name", "Stage"];
    }

    private static readonly string[] ActivityModules = ["Tasks", "Events", "Calls"];

    /// <summary>The activity type of a module's records: task, event or call.</summary>
    private static string ActivityType(string module) => module.TrimEnd('s').ToLowerInvariant();
    private static readonly string[] DeletableModules = ["Deals", "Leads", "Tasks", "Events", "Calls", "Accounts", "Contacts"];

    /// <summary>The state of one run: checkpoints read at its start, the org's structure, what it has seen.</summary>
    private sealed partial class Run(ZohoConnector connector, ZohoClient client, SyncContext syncContext)
        : ConnectorRun(syncContext, new StreamSettings(connector._options.BatchRows, connector._options.Overlap, connector._options.FullResyncAfter), Streams.Deals)
    {
        private readonly ZohoOptions _options = connector._options;
        private ZohoPipelines _pipelines = new();
        private string? _baseCurrency;
        /// <summary>API names of each module's fields; a module the org lacks is absent.</summary>
        private readonly Dictionary<string, HashSet<string>> _fields = new(StringComparer.Ordinal);

        /// <summary>The run's streams, in order. Those after the reference data depend on the modules and fields it found.</summary>
        protected override IEnumerable<ISyncStream> Declare(SyncMode mode)
        {
            // Zoho lists deleted records (the deleted_* streams), so only a full pass reconciles by what it saw.
            Reconcile? Reconciled(ReplicaEntity entity) => mode == SyncMode.Full ? new Reconcile(entity) : null;

            yield return new DependentStream("reference", (_, ct) => ReferenceDataAsync(ct));
            yield return Deals() with { Reconcile = Reconciled(ReplicaEntity.Deal) };
            if (_fields.ContainsKey("Leads")) yield return Leads() with { Reconcile = Reconciled(ReplicaEntity.Lead) };
            // Tasks, events and calls share the activities table: reconciled once all three were read whole.
            var modules = ActivityModules.Where(_fields.ContainsKey).ToList();
            var activities = Reconciled(ReplicaEntity.Activity);
            foreach (var module in modules)
                yield return Activities(module) with { Reconcile = activities, FinishesReconcile = module == modules[^1] };
            if (_fields.ContainsKey("Accounts")) yield return Accounts() with { Reconcile = Reconciled(ReplicaEntity.Organization) };
            if (_fields.ContainsKey("Contacts")) yield return Contacts() with { Reconcile = Reconciled(ReplicaEntity.Contact) };
            foreach (var module in DeletableModules.Where(_fields.ContainsKey)) yield return Deleted(module, mode);
            yield return new DependentStream(Streams.StageHistory, StageHistoryAsync);
        }

        // ---- reference data: small, read whole every run -------------------------------------------

        private async Task ReferenceDataAsync(CancellationToken ct)
        {
            var batch = new ReplicaBatch();
            await foreach (var u in client.PagesAsync(Streams.Users, "/crm/v8/users?type=AllUsers&per_page=200", "users", ct))
                if (ZohoValues.Id(u["id"]) is { } id)
                    batch.Users.Add(new UserRow(id, ZohoValues.Text(u["full_name"]) ?? ZohoValues.Text(u["email"]) ?? "", ZohoValues.Text(u["email"]),
                        ZohoValues.Text(u["status"]) == "active", u["time_zone"] is JsonValue ? ZohoValues.Text(u["time_zone"]) : null, null));
            var currencies = await client.GetAsync(Streams.Currencies, "/crm/v8/org/currencies", null, ct);
            foreach (var c in currencies?["currencies"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (ZohoValues.Text(c["iso_code"]) is not { } code) continue;
                if (ZohoValues.Bool(c["is_base"]) == true) _baseCurrency = code;
                batch.Currencies.Add(new CurrencyRow(code, ZohoValues.Text(c["name"]), ZohoValues.Int(c["format"]?["decimal_places"]), ZohoValues.Text(c["symbol"]), ZohoValues.Bool(c["is_active"]) ?? true));
            }
            _pipelines = await ZohoPipelines.LoadAsync(client, Streams.Pipelines, ct);
            batch.Pipelines.AddRange(_pipelines.PipelineRows());
            batch.Stages.AddRange(_pipelines.StageRows());

            foreach (var module in DeletableModules)
            {
                JsonNode? meta;
                try { meta = await client.GetAsync(Streams.Fields, "/crm/v8/settings/fields?module=" + module, null, ct); }
                catch (ZohoRequestException e) when (e.Code is "INVALID_MODULE" or "NO_PERMISSION")
                {
                    ConnectorLog.ZohoModuleSkipped(Context.Logger, module, e.Message);
                    continue;
                }
                var fields = (meta?["fields"]?.AsArray() ?? []).OfType<JsonObject>().ToList();
                _fields[module] = fields.Select(f => ZohoValues.Text(f["api_name"])).OfType<string>().ToHashSet(StringComparer.Ordinal);
                if (module == "Leads") AddLeadStatuses(batch, fields);
                // The activity modules stand in for Pipedrive's activity types (task, event, call).
                if (ActivityModules.Contains(module))
                    batch.ActivityTypes.Add(new ActivityTypeRow(Array.IndexOf(ActivityModules, module) + 1, module.TrimEnd('s'), ActivityType(module), Array.IndexOf(ActivityModules, module) + 1, true));
                if (module != "Deals") continue;
                // Every deal field without a column of its own is kept in custom_fields, so filters may use it (e.g. Lead_Source).
                foreach (var f in fields)
                    if (ZohoValues.Text(f["api_name"]) is { } api && !Wanted.DealColumns.Contains(api))
                        batch.DealFields.Add(new DealFieldRow(api, ZohoValues.Text(f["field_label"]) ?? ZohoValues.Text(f["display_label"]) ?? api,
                            ZohoValues.Text(f["data_type"]) ?? "text", true, null));
            }

            Context.Stats.For(Streams.Currencies).AddRead(batch.Currencies.Count);
            Context.Stats.For(Streams.Pipelines).AddRead(batch.Pipelines.Count + batch.Stages.Count);
            Context.Stats.For(Streams.Fields).AddRead(batch.DealFields.Count + batch.ActivityTypes.Count);
            await Runner.CommitAsync("reference", batch, ct);
        }

        /// <summary>
        /// The Lead_Status picklist as the stages of a pipeline of its own ("Leads"), so that the mapping can place
        /// lead statuses in the steps of a lead funnel. Stages are named by actual_value, as leads carry it.
        /// </summary>
        private void AddLeadStatuses(ReplicaBatch batch, List<JsonObject> fields)
        {
            if (fields.Find(f => ZohoValues.Text(f["api_name"]) == "Lead_Status") is not { } status || ZohoValues.Id(status["id"]) is not { } fieldId) return;
            batch.Pipelines.Add(new PipelineRow(fieldId, "Leads", _pipelines.Pipelines.Count + 1, false, null, null));
            foreach (var value in (status["pick_list_values"]?.AsArray() ?? []).OfType<JsonObject>())
                if (ZohoValues.Text(value["actual_value"]) is { } name && name != "-None-" && ZohoValues.Id(value["id"]) is { } valueId)
                    batch.Stages.Add(new StageRow(ZohoPipelines.StageKey(fieldId, valueId), fieldId, name, ZohoValues.Int(value["sequence_number"]), null, false, null, null,
                        CrmEtl.Core.Configuration.CatalogStage.LeadStatus));
        }

        /// <summary>The fields of <paramref name="wanted"/> the org's module has: asking for a field it lacks could fail the request.</summary>
        private List<string> Available(string module, IEnumerable<string> wanted) =>
            wanted.Where(_fields[module].Contains).ToList();

        // ---- deals -----------------------------------------------------------------------------------

        /// <summary>A module's records by Modified_Time with the wanted fields the org has; see <see cref="RecordsAsync"/>.</summary>
        private UpdatedStream<JsonObject> Module(string stream, string module, IReadOnlyList<string> fields, Func<ReplicaBatch, JsonObject, Written> write, string extraQuery = "") =>
            new(stream, (since, ct) => RecordsAsync(stream, module, fields, since, extraQuery, ct), write);

        private UpdatedStream<JsonObject> Deals()
        {
            if (!_fields.TryGetValue("Deals", out var all)) throw new CrmException("The Zoho org has no Deals module the authorised user can read.");
            // Every field, the mapped ones first so that the first group drives paging with Modified_Time.
            var fields = Available("Deals", Wanted.DealCore).Concat(all.Where(f => !Wanted.DealColumns.Contains(f)).Order(StringComparer.Ordinal)).ToList();
            return Module(Streams.Deals, "Deals", fields, (batch, r) =>
            {
                var row = ToDealRow(r);
                batch.Deals.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });
        }

        private DealRow ToDealRow(JsonObject r)
        {
            var id = ZohoValues.Id(r["id"]) ?? throw new FormatException("A Zoho deal has no id.");
            var pipelineId = ZohoValues.Id(r["Pipeline"]) ?? _pipelines.PipelineIdByName(ZohoValues.Text(r["Pipeline"]));
            var stage = _pipelines.Find(pipelineId, ZohoValues.Text(r["Stage"]));
            var added = ZohoValues.Time(r["Created_Time"]) ?? throw new FormatException($"Zoho deal {id} has no Created_Time.");
            var modified = ZohoValues.Time(r["Modified_Time"]) ?? added;
            var stageTime = ZohoValues.Time(r["Stage_Modified_Time"]);
            var status = stage?.ForecastType switch { "Closed Won" => "won", "Closed Lost" => "lost", _ => "open" };
            var closedAt = status == "open" ? (DateTimeOffset?)null : stageTime ?? modified;
            // The record is not used after this: its other fields move into custom_fields instead of being copied.
            var custom = new JsonObject();
            foreach (var name in r.Select(p => p.Key).Where(n => n != "id" && !Wanted.DealColumns.Contains(n)).ToList())
            {
                r.Remove(name, out var value);
                custom[name] = value;
            }
            return new DealRow
            {
                Id = id,
                Title = ZohoValues.Text(r["Deal_Name"]),
                Value = ZohoValues.Decimal(r["Amount"]),
                Currency = ZohoValues.Text(r["Currency"]) ?? _baseCurrency,
                Status = status,
                PipelineId = stage?.PipelineId ?? pipelineId,
                StageId = stage?.Key,
                OwnerId = ZohoValues.Id(r["Owner"]),
                PersonId = ZohoValues.Id(r["Contact_Name"]),
                OrgId = ZohoValues.Id(r["Account_Name"]),
                AddTime = added,
                UpdateTime = modified,
                StageChangeTime = stageTime,
                WonTime = status == "won" ? closedAt : null,
                LostTime = status == "lost" ? closedAt : null,
                CloseTime = closedAt,
                ExpectedCloseDate = ZohoValues.Date(r["Closing_Date"]),
                Probability = ZohoValues.Decimal(r["Probability"]),
                LostReason = status == "lost" ? ZohoValues.Text(r["Reason_For_Loss__s"]) : null,
                CustomFieldsJson = custom.Count == 0 ? null : custom.ToJsonString(),
            };
        }

        // ---- accounts and contacts, for the customer card ---------------------------------------------------

        private UpdatedStream<JsonObject> Accounts() =>
            Module(Streams.Accounts, "Accounts", Available("Accounts", Wanted.Accounts), (batch, r) =>
            {
                var row = new OrganizationRow
                {
                    Id = ZohoValues.Id(r["id"]) ?? throw new FormatException("A Zoho account has no id."),
                    Name = ZohoValues.Text(r["Account_Name"]), OwnerId = ZohoValues.Id(r["Owner"]),
                    Address = string.Join(", ", new[] { ZohoValues.Text(r["Billing_Street"]), ZohoValues.Text(r["Billing_City"]) }.OfType<string>()) is { Length: > 0 } a ? a : null,
                    AddTime = ZohoValues.Time(r["Created_Time"]), UpdateTime = ZohoValues.Time(r["Modified_Time"]),
                };
                batch.Organizations.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });

        private UpdatedStream<JsonObject> Contacts() =>
            Module(Streams.Contacts, "Contacts", Available("Contacts", Wanted.Contacts), (batch, r) =>
            {
                var row = ContactOf(r);
                batch.Contacts.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });

        // ---- leads and activities -----------------------------------------------------------------------

        private UpdatedStream<JsonObject> Leads() =>
            Module(Streams.Leads, "Leads", Available("Leads", Wanted.Leads), (batch, r) =>
            {
                var converted = ZohoValues.Bool(r["Converted__s"]) == true;
                var row = new LeadRow
                {
                    Id = ZohoValues.Text(r["id"]) ?? throw new FormatException("A Zoho lead has no id."),
                    Title = ZohoValues.Text(r["Company"]) ?? ZohoValues.Text(r["Full_Name"]) ?? ZohoValues.Text(r["Last_Name"]),
                    OwnerId = ZohoValues.Id(r["Owner"]),
                    SourceName = ZohoValues.Text(r["Lead_Source"]),
                    Status = ZohoValues.Text(r["Lead_Status"]),
                    ConvertedDealId = converted ? ZohoValues.Id(r["Converted_Deal"]) : null,
                    ConvertedTime = converted ? ZohoValues.Time(r["Converted_Date_Time"]) ?? ZohoValues.Time(r["Modified_Time"]) : null,
                    AddTime = ZohoValues.Time(r["Created_Time"]),
                    UpdateTime = ZohoValues.Time(r["Modified_Time"]),
                };
                batch.Leads.Add(row);
                return new Written(row.Id, row.UpdateTime);
            }, "&converted=both");

        private UpdatedStream<JsonObject> Activities(string module) =>
            Module(module.ToLowerInvariant(), module, Available(module, module switch { "Tasks" => Wanted.Tasks, "Events" => Wanted.Events, _ => Wanted.Calls }), (batch, r) =>
            {
                var row = ToActivityRow(module, r);
                batch.Activities.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });

        internal static ActivityRow ToActivityRow(string module, JsonObject r)
        {
            var id = ZohoValues.Id(r["id"]) ?? throw new FormatException($"A Zoho {module} record has no id.");
            // What_Id names a deal when $se_module says so; without $se_module it is kept as is: Zoho's ids are
            // unique across modules, so an account's or contact's id matches no deal.
            var dealId = ZohoValues.Text(r["$se_module"]) is null or "Deals" ? ZohoValues.Id(r["What_Id"]) : null;
            var row = new ActivityRow
            {
                Id = id, OwnerId = ZohoValues.Id(r["Owner"]), DealId = dealId,
                AddTime = ZohoValues.Time(r["Created_Time"]), UpdateTime = ZohoValues.Time(r["Modified_Time"]),
            };
            switch (module)
            {
                case "Tasks":
                    var done = ZohoValues.Text(r["Status"]) == "Completed";
                    // A task has a due date, not a time: like an all-day activity.
                    return row with
                    {
                        Subject = ZohoValues.Text(r["Subject"]), Type = "task", DueDate = ZohoValues.Date(r["Due_Date"]), Done = done,
                        MarkedAsDoneTime = done ? ZohoValues.Time(r["Closed_Time"]) ?? row.UpdateTime : null,
                    };
                case "Events":
                    var start = ZohoValues.Time(r["Start_DateTime"]);
                    var end = ZohoValues.Time(r["End_DateTime"]);
                    var allDay = ZohoValues.Bool(r["All_day"]) == true;
                    // Events have no done state: they count as planned activities on their date.
                    return row with
                    {
                        Subject = ZohoValues.Text(r["Event_Title"]), Type = "event",
                        DueDate = allDay ? ZohoValues.Date(r["Start_DateTime"]) : start is { } s ? DateOnly.FromDateTime(s.UtcDateTime) : null,
                        DueTime = allDay || start is null ? null : TimeOnly.FromDateTime(start.Value.UtcDateTime),
                        Duration = allDay || start is null || end is null ? null : end - start,
                    };
                default:
                    var callAt = ZohoValues.Time(r["Call_Start_Time"]);
                    var callType = ZohoValues.Text(r["Call_Type"]);
                    var held = callType == "Inbound" || (callType != "Missed" && ZohoValues.Text(r["Outbound_Call_Status"]) is "Completed" or null);
                    var seconds = ZohoValues.Int(r["Call_Duration_in_seconds"]) ?? MinutesAndSeconds(ZohoValues.Text(r["Call_Duration"]));
                    return row with
                    {
                        Subject = ZohoValues.Text(r["Subject"]), Type = "call",
                        DueDate = callAt is { } c ? DateOnly.FromDateTime(c.UtcDateTime) : null,
                        DueTime = callAt is { } t ? TimeOnly.FromDateTime(t.UtcDateTime) : null,
                        Duration = seconds is { } d ? TimeSpan.FromSeconds(d) : null,
                        Done = held, MarkedAsDoneTime = held ? callAt : null,
                    };
            }
        }

        private static int? MinutesAndSeconds(string? duration) =>
            duration?.Split(':') is [var m, var s] && int.TryParse(m, NumberStyles.Integer, CultureInfo.InvariantCulture, out var minutes)
                && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var secs) ? minutes * 60 + secs : null;

        // ---- deleted records: Zoho's lists leave them out, /deleted names them ----------------------------

        /// <summary>
        /// A module's deleted records, read since the last run; a full pass reconciles deletions itself, so it only
        /// marks where the deleted list is read from next time.
        /// </summary>
        private ISyncStream Deleted(string module, SyncMode mode)
        {
            var stream = "deleted_" + module.ToLowerInvariant();
            var entity = module switch
            {
                "Deals" => ReplicaEntity.Deal, "Leads" => ReplicaEntity.Lead, "Contacts" => ReplicaEntity.Contact, "Accounts" => ReplicaEntity.Organization,
                _ => ReplicaEntity.Activity,
            };
            if (mode == SyncMode.Full)
                return new DependentStream(stream, async (_, ct) =>
                {
                    var start = new ReplicaBatch();
                    start.Checkpoints.Add(new StreamCheckpoint(stream, Runner.StartedAt, Runner.StartedAt));
                    await Runner.CommitAsync(stream, start, ct);
                });
            return new UpdatedStream<JsonObject>(stream, (since, ct) => DeletedRecordsAsync(stream, module, since, ct), (batch, d) =>
            {
                var id = ZohoValues.Text(d["id"])!; // NextPage passes over records without an id
                batch.Deletions.Add(new Deletion(entity, id));
                return new Written(id, ZohoValues.Time(d["deleted_time"]));
            });
        }

        /// <summary>The module's deleted records since the bound (If-Modified-Since), page by page.</summary>
        private IAsyncEnumerable<JsonObject> DeletedRecordsAsync(string stream, string module, DateTimeOffset? since, CancellationToken ct) =>
            Paging.AllAsync(Context.Stats.For(stream),
                async (page, token) => await client.GetAsync(stream, $"/crm/v8/{module}/deleted?type=all&per_page={_options.PerPage}&page={page ?? "1"}", since, token),
                ZohoClient.NextPage("data"),
                ct);
    }

    /// <summary>Stream names, as they appear in sync state, run statistics and logs.</summary>
    public static class Streams
    {
        public const string Users = "users";
        public const string Currencies = "currencies";
        public const string Pipelines = "pipelines";
        public const string Fields = "fields";
        public const string Deals = "deals";
        public const string Leads = "leads";
        public const string Contacts = "contacts";
        public const string Accounts = "accounts";
        public const string StageHistory = "deal_stage_history";
    }
}
