using System.Globalization;
using System.Text.Json.Nodes;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Pipedrive;

// Web forms into Pipedrive (v2 spec): persons found with /persons/search (by e-mail exactly, by phone as typed in E.164 and
// as its national digits, kept to the same number), organizations by name with /organizations/search, their open deals,
// and persons, organizations, deals (linked to both), activities and v1 notes written. Organizations have no e-mail or
// phone fields in Pipedrive: a company is found by its name only. Custom fields are keyed by their 40-character keys;
// tags are not written (Pipedrive's labels are ids of labels made beforehand).
public sealed partial class PipedriveConnector : ICrmForms
{
    private const string FormsStream = "forms";

    /// <summary>Where a note or an activity goes, by the entity it is on.</summary>
    private static readonly Dictionary<string, string> LinkField = new(StringComparer.Ordinal)
    {
        [FormEntities.Contact] = "person_id", [FormEntities.Company] = "org_id", [FormEntities.Deal] = "deal_id",
    };

    public async Task<IReadOnlyList<FormPerson>> FindContactsAsync(Instance instance, string? email, string? phone, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        var ids = new SortedSet<long>();
        if (email is not null) ids.UnionWith(await SearchAsync(client, "persons", email, "email", exact: true, ct));
        if (ids.Count == 0 && phone is not null)
        {
            // Pipedrive matches a term within the numbers as they were typed: the number in E.164, then its last nine digits.
            var digits = FormPhones.Digits(phone);
            ids.UnionWith(await SearchAsync(client, "persons", phone, "phone", exact: false, ct));
            if (ids.Count == 0 && digits.Length > 9) ids.UnionWith(await SearchAsync(client, "persons", digits[^9..], "phone", exact: false, ct));
        }
        if (ids.Count == 0) return [];
        var persons = new List<FormPerson>();
        await foreach (var p in client.V2Async(FormsStream, "/api/v2/persons", $"ids={string.Join(',', ids.Take(100))}", PipedriveJsonContext.Default.V2PagePersonDto, ct))
        {
            if (p.IsDeleted == true) continue;
            var person = new FormPerson(p.Id, p.Name, PointsOf(p.Emails).Select(e => e.Value.ToLowerInvariant()).ToList(), PointsOf(p.Phones).Select(x => x.Value).ToList(), p.OrgId);
            if ((email is not null && person.Emails.Contains(email, StringComparer.OrdinalIgnoreCase)) || (phone is not null && person.Phones.Any(x => FormPhones.SameNumber(x, phone))))
                persons.Add(person);
        }
        return [.. persons.OrderBy(p => p.Id)];
    }

    public async Task<IReadOnlyList<FormPerson>> FindCompaniesAsync(Instance instance, string? name, string? email, string? phone, ILogger logger, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name)) return [];
        var client = Client(instance, new RunStats(), logger);
        var found = await client.GetAsync(FormsStream, "/api/v2/organizations/search",
            $"api/v2/organizations/search?term={Uri.EscapeDataString(name.Trim())}&fields=name&exact_match=true&limit=100", PipedriveJsonContext.Default.ItemPersonSearchDto, ct);
        return [.. (found?.Data?.Items ?? []).Select(i => i.Item).OfType<PersonSearchHitDto>()
            .Where(o => string.Equals(o.Name?.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase))
            .Select(o => new FormPerson(o.Id, o.Name, [], [])).OrderBy(o => o.Id)];
    }

    /// <summary>The ids /v2/persons/search or /v2/organizations/search finds for the term in one field.</summary>
    private static async Task<IEnumerable<long>> SearchAsync(PipedriveClient client, string list, string term, string field, bool exact, CancellationToken ct)
    {
        var found = await client.GetAsync(FormsStream, $"/api/v2/{list}/search",
            $"api/v2/{list}/search?term={Uri.EscapeDataString(term)}&fields={field}&exact_match={(exact ? "true" : "false")}&limit=100", PipedriveJsonContext.Default.ItemPersonSearchDto, ct);
        return found?.Data?.Items?.Select(i => i.Item?.Id).OfType<long>() ?? [];
    }

    public async Task<IReadOnlyList<FormDeal>> OpenDealsAsync(Instance instance, long? contactId, long? companyId, IReadOnlyCollection<string> fields, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        var deals = new Dictionary<long, FormDeal>();
        foreach (var (filter, id) in new[] { ("person_id", contactId), ("org_id", companyId) })
            if (id is { } one)
                await foreach (var d in client.V2Async(FormsStream, "/api/v2/deals", $"{filter}={one}&status=open", PipedriveJsonContext.Default.V2PageDealDto, ct))
                    if (d.IsDeleted != true && d.Status is null or "open") deals.TryAdd(d.Id, new FormDeal(d.Id, d.Title, d.PipelineId, d.StageId, FieldTexts(d.CustomFields)));
        return [.. deals.Values.OrderByDescending(d => d.Id)];
    }

    /// <summary>A deal's custom fields as text by key: a text or number as it is, an option's id, a money field's amount.</summary>
    private static Dictionary<string, string> FieldTexts(System.Text.Json.JsonElement? fields)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (fields is not { ValueKind: System.Text.Json.JsonValueKind.Object } all) return texts;
        foreach (var field in all.EnumerateObject())
        {
            var value = field.Value.ValueKind == System.Text.Json.JsonValueKind.Object && field.Value.TryGetProperty("value", out var inner) ? inner : field.Value;
            if (value.ValueKind is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number) texts[field.Name] = value.ToString();
        }
        return texts;
    }

    public async Task<long> CreateContactAsync(Instance instance, FormRecordValues values, long? companyId, ILogger logger, CancellationToken ct)
    {
        var person = PersonRecord(values, overwrite: true, current: null);
        if (companyId is { } org) person["org_id"] = org;
        return await WriteAsync(instance, HttpMethod.Post, "/api/v2/persons", person, logger, ct);
    }

    public Task<long> CreateCompanyAsync(Instance instance, FormRecordValues values, ILogger logger, CancellationToken ct) =>
        WriteAsync(instance, HttpMethod.Post, "/api/v2/organizations", NamedRecord(values, overwrite: true, current: null), logger, ct);

    public async Task UpdateAsync(Instance instance, string entity, FormPerson current, FormRecordValues values, bool overwrite, ILogger logger, CancellationToken ct)
    {
        var (list, record) = entity == FormEntities.Company
            ? ("organizations", NamedRecord(values, overwrite, current)) : ("persons", PersonRecord(values, overwrite, current));
        if (record.Count > 0) await WriteAsync(instance, HttpMethod.Patch, $"/api/v2/{list}/{current.Id}", record, logger, ct);
    }

    /// <summary>
    /// A person as PATCH/POST /v2/persons take it. Found, and not <paramref name="overwrite"/>: only the e-mails and phones it
    /// lacks (the lists are replaced whole, so the ones it has are sent again), and no name, owner or fields.
    /// </summary>
    private static JsonObject PersonRecord(FormRecordValues values, bool overwrite, FormPerson? current)
    {
        var record = NamedRecord(values, overwrite, current);
        foreach (var (list, mine, theirs) in new[] { ("emails", values.Emails, current?.Emails ?? []), ("phones", values.Phones, current?.Phones ?? []) })
        {
            bool Has(string v) => list == "emails" ? theirs.Contains(v, StringComparer.OrdinalIgnoreCase) : theirs.Any(t => FormPhones.SameNumber(t, v));
            var missing = mine.Where(v => !Has(v)).ToList();
            if (missing.Count == 0 && !(overwrite && current is not null && mine.Count > 0)) continue;
            var all = overwrite ? mine.Concat(theirs.Where(t => !mine.Contains(t, StringComparer.OrdinalIgnoreCase))).ToList() : [.. theirs, .. missing];
            record[list] = new JsonArray(all.Select((v, i) => (JsonNode)new JsonObject { ["value"] = v, ["primary"] = i == 0, ["label"] = "work" }).ToArray());
        }
        return record;
    }

    /// <summary>An organization (or the person's own fields): name, owner and custom fields, when made or overwritten.</summary>
    private static JsonObject NamedRecord(FormRecordValues values, bool overwrite, FormPerson? current)
    {
        var record = new JsonObject();
        if (!overwrite && current is not null) return record;
        if (values.Name.Length > 0) record["name"] = values.Name;
        if (values.ResponsibleUserId is { } owner) record["owner_id"] = owner;
        if (CustomFields(values.Fields) is { } fields) record["custom_fields"] = fields;
        return record;
    }

    private static JsonObject? CustomFields(IReadOnlyDictionary<string, string> fields)
    {
        var set = fields.Where(f => f.Value.Length > 0).ToList();
        return set.Count == 0 ? null : new JsonObject(set.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value)));
    }

    public Task<long> CreateDealAsync(Instance instance, FormDealValues values, long? contactId, long? companyId, ILogger logger, CancellationToken ct)
    {
        var deal = new JsonObject { ["title"] = values.Name };
        if (values.Value is { } value) deal["value"] = value;
        if (values.StageId is { } stage) deal["stage_id"] = stage;
        else if (values.PipelineId is { } pipeline) deal["pipeline_id"] = pipeline;
        if (values.ResponsibleUserId is { } owner) deal["owner_id"] = owner;
        if (contactId is { } person) deal["person_id"] = person;
        if (companyId is { } org) deal["org_id"] = org;
        if (CustomFields(values.Fields) is { } fields) deal["custom_fields"] = fields;
        return WriteAsync(instance, HttpMethod.Post, "/api/v2/deals", deal, logger, ct);
    }

    public async Task<long?> FindDealAsync(Instance instance, string name, long? contactId, long? companyId, DateTimeOffset since, ILogger logger, CancellationToken ct)
    {
        var filter = contactId is { } person ? $"person_id={person}" : companyId is { } org ? $"org_id={org}" : "";
        var updated = since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await foreach (var d in Client(instance, new RunStats(), logger).V2Async(FormsStream, "/api/v2/deals", $"{filter}&status=open,won,lost&updated_since={updated}",
            PipedriveJsonContext.Default.V2PageDealDto, ct))
            if (d.Title == name && PipedriveFormat.Time(d.AddTime) >= since.UtcDateTime) return d.Id;
        return null;
    }

    public Task MoveDealAsync(Instance instance, FormDeal deal, long toStageId, ILogger logger, CancellationToken ct) =>
        WriteAsync(instance, HttpMethod.Patch, $"/api/v2/deals/{deal.Id}", new JsonObject { ["stage_id"] = toStageId }, logger, ct);

    /// <summary>An activity (POST /v2/activities) of the task's type (by its id among the account's activity types; "task" without one), due at the UTC time.</summary>
    public async Task<long> CreateTaskAsync(Instance instance, string entity, long entityId, FormTaskSettings task, string text, DateTimeOffset due, ILogger logger, CancellationToken ct)
    {
        var type = "task";
        if (task.TypeId is { } typeId)
        {
            var types = await Client(instance, new RunStats(), logger).GetAsync(FormsStream, "/api/v1/activityTypes", "api/v1/activityTypes",
                PipedriveJsonContext.Default.V1ListActivityTypeDto, ct);
            type = types?.Data?.Find(t => t.Id == typeId)?.KeyString
                ?? throw new FormatException($"The form's task type {typeId} is not one of the Pipedrive account's activity types (Settings > Activities); set the module's task typeId to one of their ids.");
        }
        var utc = due.UtcDateTime;
        var activity = new JsonObject
        {
            ["subject"] = text, ["type"] = type, [LinkField[entity]] = entityId,
            ["due_date"] = utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["due_time"] = utc.ToString("HH:mm", CultureInfo.InvariantCulture),
        };
        if (task.ResponsibleUserId is { } owner) activity["owner_id"] = owner;
        return await WriteAsync(instance, HttpMethod.Post, "/api/v2/activities", activity, logger, ct);
    }

    public async Task<long?> FindTaskAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct)
    {
        await foreach (var a in Client(instance, new RunStats(), logger).V2Async(FormsStream, "/api/v2/activities", $"{LinkField[entity]}={entityId}",
            PipedriveJsonContext.Default.V2PageActivityDto, ct))
            if (a.IsDeleted != true && a.Subject == text) return a.Id;
        return null;
    }

    public Task<long> AddNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct) =>
        WriteAsync(instance, HttpMethod.Post, "/api/v1/notes", new JsonObject { ["content"] = text, [LinkField[entity]] = entityId }, logger, ct);

    public async Task<long?> FindNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct)
    {
        await foreach (var n in Client(instance, new RunStats(), logger).V1Async(FormsStream, "/api/v1/notes", $"{LinkField[entity]}={entityId}", PipedriveJsonContext.Default.V1ListNoteDto, ct))
            if (n.Content == text) return n.Id;
        return null;
    }

    /// <summary>Pipedrive has no duplicate control of its own for integrations: a module on it uses CrmEtl's ("ours").</summary>
    public Task<FormComplexResult?> AddWithCrmDuplicateControlAsync(Instance instance, FormDealValues deal, FormRecordValues contact, FormRecordValues? company,
        ILogger logger, CancellationToken ct) => Task.FromResult<FormComplexResult?>(null);

    /// <summary>One write (POST or PATCH); the id of the record Pipedrive answers with.</summary>
    private async Task<long> WriteAsync(Instance instance, HttpMethod method, string path, JsonObject record, ILogger logger, CancellationToken ct)
    {
        var operation = method == HttpMethod.Post ? $"POST {path}" : $"PATCH {path[..(path.LastIndexOf('/') + 1)]}{{id}}";
        var answer = await Client(instance, new RunStats(), logger).SendAsync(FormsStream, method, operation, path.TrimStart('/'), record.ToJsonString(), PipedriveJsonContext.Default.ItemWrittenDto, ct);
        return answer?.Data?.Id ?? throw new CrmException($"Pipedrive answered {method} {path} without the record's id.");
    }
}
