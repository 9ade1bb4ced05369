using System.Globalization;
using System.Text.Json.Nodes;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Kommo;

// Web forms into Kommo: contacts and companies found with query= (kept to the same e-mail or phone number), their open
// leads, and contacts, companies, leads (linked to both), tasks and notes written with API v4 (contacts-api.md,
// companies-api.md, leads-api.md, tasks-api.md, events-and-notes.md).
public sealed partial class KommoConnector : ICrmForms
{
    private const string FormsStream = "forms";

    public bool OwnDuplicateControl => true;

    private static readonly Dictionary<string, string> Lists = new(StringComparer.Ordinal)
    {
        [FormEntities.Contact] = "contacts", [FormEntities.Company] = "companies", [FormEntities.Deal] = "leads",
    };

    public async Task<IReadOnlyList<FormPerson>> FindContactsAsync(Instance instance, string? email, string? phone, ILogger logger, CancellationToken ct) =>
        await FindAsync(Client(instance, new RunStats(), logger), "contacts", null, email, phone, ct);

    public async Task<IReadOnlyList<FormPerson>> FindCompaniesAsync(Instance instance, string? name, string? email, string? phone, ILogger logger, CancellationToken ct) =>
        await FindAsync(Client(instance, new RunStats(), logger), "companies", name, email, phone, ct);

    /// <summary>Records of the list with the e-mail or the phone (query= searches every field: the answer is kept to the same address or number), else exactly the name.</summary>
    private async Task<List<FormPerson>> FindAsync(KommoClient client, string list, string? name, string? email, string? phone, CancellationToken ct)
    {
        var found = new Dictionary<long, FormPerson>();
        var digits = phone is null ? null : FormPhones.Digits(phone);
        foreach (var term in new[] { email, digits, name }.Where(t => !string.IsNullOrWhiteSpace(t)).Distinct())
        {
            await foreach (var r in client.PagesAsync(FormsStream, $"/api/v4/{list}?limit={_options.PageSize}&with=leads&query={Uri.EscapeDataString(term!)}", list, ct))
            {
                var person = PersonOf(r);
                var matches = (email is not null && person.Emails.Contains(email, StringComparer.OrdinalIgnoreCase))
                    || (digits is not null && person.Phones.Any(p => FormPhones.SameNumber(p, digits)))
                    || (term == name && string.Equals(person.Name?.Trim(), name!.Trim(), StringComparison.OrdinalIgnoreCase));
                if (matches) found.TryAdd(person.Id, person);
            }
            if (found.Count > 0 && term != name) break;
        }
        return [.. found.Values.OrderBy(p => p.Id)];
    }

    private static FormPerson PersonOf(JsonObject r)
    {
        var contact = Run.ContactOf(r);
        return new FormPerson(contact.Id, contact.Name, contact.Emails.Select(e => e.Value.ToLowerInvariant()).ToList(), contact.Phones.Select(p => p.Value).ToList(), contact.OrgId);
    }

    public async Task<IReadOnlyList<FormDeal>> OpenDealsAsync(Instance instance, long? contactId, long? companyId, IReadOnlyCollection<string> fields, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        var ids = new SortedSet<long>();
        foreach (var (list, id) in new[] { ("contacts", contactId), ("companies", companyId) })
            if (id is { } one && await client.GetAsync(FormsStream, $"/api/v4/{list}/{one}?with=leads", ct) is { } record)
                ids.UnionWith((record["_embedded"]?["leads"]?.AsArray().OfType<JsonObject>() ?? []).Select(l => KommoValues.Id(l["id"])).OfType<long>());
        var deals = new List<FormDeal>();
        foreach (var chunk in ids.Chunk(_options.PageSize))
            await foreach (var r in client.PagesAsync(FormsStream, $"/api/v4/leads?limit={_options.PageSize}&{IdFilter("filter[id]", chunk)}", "leads", ct))
            {
                var status = KommoValues.Id(r["status_id"]);
                if (status is KommoValues.Won or KommoValues.Lost || KommoValues.Bool(r["is_deleted"]) == true) continue;
                deals.Add(new FormDeal(KommoValues.Id(r["id"])!.Value, KommoValues.Text(r["name"]), KommoValues.Id(r["pipeline_id"]), status, FieldTexts(r)));
            }
        return [.. deals.OrderByDescending(d => d.Id)];
    }

    /// <summary>A record's custom fields as text by field id: the first value of each.</summary>
    private static Dictionary<string, string> FieldTexts(JsonObject record) =>
        (record["custom_fields_values"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(f => (Id: KommoValues.Id(f["field_id"]), Value: f["values"]?.AsArray().FirstOrDefault()?["value"]))
            .Where(f => f.Id is not null && f.Value is JsonValue)
            .ToDictionary(f => f.Id!.Value.ToString(CultureInfo.InvariantCulture), f => f.Value!.ToString());

    public Task<long> CreateContactAsync(Instance instance, FormRecordValues values, long? companyId, ILogger logger, CancellationToken ct) =>
        AddAsync(instance, "contacts", Record(values, "contacts", overwrite: true, current: null), logger, ct);

    public Task<long> CreateCompanyAsync(Instance instance, FormRecordValues values, ILogger logger, CancellationToken ct) =>
        AddAsync(instance, "companies", Record(values, "companies", overwrite: true, current: null), logger, ct);

    public async Task UpdateAsync(Instance instance, string entity, FormPerson current, FormRecordValues values, bool overwrite, ILogger logger, CancellationToken ct)
    {
        var list = Lists[entity];
        var record = Record(values, list, overwrite, current);
        if (record.Count == 0) return;
        await Client(instance, new RunStats(), logger).PatchAsync(FormsStream, $"/api/v4/{list}/{current.Id}", record.ToJsonString(), ct);
    }

    /// <summary>
    /// A contact's or company's values as Kommo takes them. Found, and not <paramref name="overwrite"/>: only the e-mails and
    /// phones it lacks (Kommo's multi-fields are replaced whole, so the ones it has are sent again) and no name.
    /// </summary>
    private static JsonObject Record(FormRecordValues values, string list, bool overwrite, FormPerson? current)
    {
        var record = new JsonObject();
        if (overwrite && values.Name.Length > 0) record["name"] = values.Name;
        if (overwrite && values.ResponsibleUserId is { } user) record["responsible_user_id"] = user;
        var fields = new JsonArray();
        foreach (var (code, mine, theirs, enumCode) in new[] { ("EMAIL", values.Emails, current?.Emails ?? [], "WORK"), ("PHONE", values.Phones, current?.Phones ?? [], "WORK") })
        {
            var missing = mine.Where(v => code == "EMAIL" ? !theirs.Contains(v, StringComparer.OrdinalIgnoreCase) : !theirs.Any(t => FormPhones.SameNumber(t, v))).ToList();
            if (missing.Count == 0 && !(overwrite && current is not null && mine.Count > 0)) continue;
            var all = overwrite ? mine.Concat(theirs.Where(t => !mine.Contains(t, StringComparer.OrdinalIgnoreCase))) : theirs.Concat(missing);
            fields.Add(new JsonObject
            {
                ["field_code"] = code,
                ["values"] = new JsonArray(all.Select(v => (JsonNode)new JsonObject { ["value"] = v, ["enum_code"] = enumCode }).ToArray()),
            });
        }
        foreach (var (id, value) in values.Fields.Where(f => f.Value.Length > 0 && long.TryParse(f.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            if (overwrite || current is null)
                fields.Add(new JsonObject { ["field_id"] = long.Parse(id, CultureInfo.InvariantCulture), ["values"] = new JsonArray(new JsonObject { ["value"] = value }) });
        if (fields.Count > 0) record["custom_fields_values"] = fields;
        if (values.Tags.Count > 0 && (overwrite || current is null))
            record[current is null ? "_embedded" : "tags_to_add"] = current is null
                ? new JsonObject { ["tags"] = new JsonArray(values.Tags.Select(t => (JsonNode)new JsonObject { ["name"] = t }).ToArray()) }
                : new JsonArray(values.Tags.Select(t => (JsonNode)new JsonObject { ["name"] = t }).ToArray());
        return record;
    }

    public Task<long> CreateDealAsync(Instance instance, FormDealValues values, long? contactId, long? companyId, ILogger logger, CancellationToken ct) =>
        AddAsync(instance, "leads", LeadRecord(values, contactId, companyId), logger, ct);

    /// <summary>A lead as Kommo takes it: name, price (whole units), pipeline and status, tags and fields, linked to the contact (main) and company.</summary>
    private static JsonObject LeadRecord(FormDealValues values, long? contactId, long? companyId)
    {
        var lead = new JsonObject { ["name"] = values.Name };
        if (values.Value is { } price) lead["price"] = (long)Math.Round(price, MidpointRounding.AwayFromZero);
        if (values.PipelineId is { } pipeline) lead["pipeline_id"] = pipeline;
        if (values.StageId is { } stage) lead["status_id"] = stage;
        if (values.ResponsibleUserId is { } user) lead["responsible_user_id"] = user;
        var fields = values.Fields.Where(f => f.Value.Length > 0 && long.TryParse(f.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(f => (JsonNode)new JsonObject { ["field_id"] = long.Parse(f.Key, CultureInfo.InvariantCulture), ["values"] = new JsonArray(new JsonObject { ["value"] = f.Value }) }).ToArray();
        if (fields.Length > 0) lead["custom_fields_values"] = new JsonArray(fields);
        var embedded = new JsonObject();
        if (values.Tags.Count > 0) embedded["tags"] = new JsonArray(values.Tags.Select(t => (JsonNode)new JsonObject { ["name"] = t }).ToArray());
        if (contactId is { } contact) embedded["contacts"] = new JsonArray(new JsonObject { ["id"] = contact, ["is_main"] = true });
        if (companyId is { } company) embedded["companies"] = new JsonArray(new JsonObject { ["id"] = company });
        if (embedded.Count > 0) lead["_embedded"] = embedded;
        return lead;
    }

    public async Task<long?> FindDealAsync(Instance instance, string name, long? contactId, long? companyId, DateTimeOffset since, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        await foreach (var r in client.PagesAsync(FormsStream,
            $"/api/v4/leads?limit={_options.PageSize}&with=contacts&query={Uri.EscapeDataString(name)}&filter[created_at][from]={KommoValues.Unix(since)}", "leads", ct))
        {
            var contacts = (r["_embedded"]?["contacts"]?.AsArray().OfType<JsonObject>() ?? []).Select(c => KommoValues.Id(c["id"])).ToList();
            if (KommoValues.Text(r["name"]) == name && (contactId is null || contacts.Contains(contactId))) return KommoValues.Id(r["id"]);
        }
        return null;
    }

    public async Task MoveDealAsync(Instance instance, FormDeal deal, long toStageId, ILogger logger, CancellationToken ct)
    {
        var move = new JsonObject { ["status_id"] = toStageId };
        if (deal.PipelineId is { } pipeline) move["pipeline_id"] = pipeline;
        await Client(instance, new RunStats(), logger).PatchAsync(FormsStream, $"/api/v4/leads/{deal.Id}", move.ToJsonString(), ct);
    }

    public Task<long> CreateTaskAsync(Instance instance, string entity, long entityId, FormTaskSettings task, string text, DateTimeOffset due, ILogger logger, CancellationToken ct)
    {
        var record = new JsonObject
        {
            ["text"] = text, ["complete_till"] = KommoValues.Unix(due), ["entity_type"] = Lists[entity], ["entity_id"] = entityId,
        };
        if (task.TypeId is { } type) record["task_type_id"] = type;
        if (task.ResponsibleUserId is { } user) record["responsible_user_id"] = user;
        return AddAsync(instance, "tasks", record, logger, ct);
    }

    public async Task<long?> FindTaskAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct)
    {
        await foreach (var r in Client(instance, new RunStats(), logger).PagesAsync(FormsStream,
            $"/api/v4/tasks?limit={_options.PageSize}&filter[entity_type]={Lists[entity]}&filter[entity_id][0]={entityId}", "tasks", ct))
            if (KommoValues.Text(r["text"]) == text) return KommoValues.Id(r["id"]);
        return null;
    }

    public Task<long> AddNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct) =>
        AddAsync(instance, $"{Lists[entity]}/notes",
            new JsonObject { ["entity_id"] = entityId, ["note_type"] = "common", ["params"] = new JsonObject { ["text"] = text } }, logger, ct);

    public async Task<long?> FindNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct)
    {
        await foreach (var r in Client(instance, new RunStats(), logger).PagesAsync(FormsStream,
            $"/api/v4/{Lists[entity]}/{entityId}/notes?limit={_options.PageSize}&filter[note_type]=common", "notes", ct))
            if (KommoValues.Text(r["params"]?["text"]) == text) return KommoValues.Id(r["id"]);
        return null;
    }

    /// <summary>
    /// POST /api/v4/leads/complex (leads-api.md): the lead with its contact and company embedded, where the account's duplicate
    /// control for the integration (duplication-control.md) merges them into records it has; the answer says which and whether.
    /// </summary>
    public async Task<FormComplexResult?> AddWithCrmDuplicateControlAsync(Instance instance, FormDealValues deal, FormRecordValues contact, FormRecordValues? company,
        ILogger logger, CancellationToken ct)
    {
        var lead = LeadRecord(deal, null, null);
        var embedded = lead["_embedded"] as JsonObject ?? [];
        embedded["contacts"] = new JsonArray(Record(contact, "contacts", overwrite: true, current: null));
        if (company is not null) embedded["companies"] = new JsonArray(Record(company, "companies", overwrite: true, current: null));
        lead["_embedded"] = embedded;
        var answer = await Client(instance, new RunStats(), logger).PostAsync(FormsStream, "/api/v4/leads/complex", new JsonArray(lead).ToJsonString(), ct);
        var first = (answer as JsonArray)?.FirstOrDefault() ?? throw new CrmException("Kommo answered POST /api/v4/leads/complex without the lead it added.");
        return new FormComplexResult(KommoValues.Id(first["id"]) ?? throw new CrmException("Kommo answered POST /api/v4/leads/complex without the lead's id."),
            KommoValues.Id(first["contact_id"]), KommoValues.Id(first["company_id"]), KommoValues.Bool(first["merged"]) ?? false);
    }

    /// <summary>POST of one record to the list; the id Kommo answers (its _embedded list holds the records added, in order).</summary>
    private async Task<long> AddAsync(Instance instance, string path, JsonObject record, ILogger logger, CancellationToken ct)
    {
        var answer = await Client(instance, new RunStats(), logger).PostAsync(FormsStream, $"/api/v4/{path}", new JsonArray(record).ToJsonString(), ct);
        var embedded = answer?["_embedded"] as JsonObject;
        return KommoValues.Id(embedded?.Select(e => e.Value).OfType<JsonArray>().FirstOrDefault()?.FirstOrDefault()?["id"])
            ?? throw new CrmException($"Kommo answered POST /api/v4/{path} without the new record's id.");
    }
}
