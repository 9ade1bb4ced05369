using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Zoho;

// Web forms into Zoho CRM (record.json, related_records.json): contacts found with /Contacts/search (email=, phone=), accounts
// with /Accounts/search (phone=, criteria= on Account_Name), open deals from the related lists /Contacts/{id}/Deals and
// /Accounts/{id}/Deals, records written with POST /{module} and PUT /{module}/{id}, notes with POST /Notes. The related lists
// (not the search) find what a lost answer already made: they show a new record at once.
public sealed partial class ZohoConnector : ICrmForms
{
    private const string FormsStream = "forms";
    /// <summary>How long an instance's pipelines are reused: a submission maps stages up to three times (open deals, the deal made, a move).</summary>
    private static readonly TimeSpan FormPipelinesFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<int, (long ReadAt, ZohoPipelines Pipelines)> _formPipelines = new();

    private static readonly Dictionary<string, string> FormModules = new(StringComparer.Ordinal)
    {
        [FormEntities.Contact] = "Contacts", [FormEntities.Company] = "Accounts", [FormEntities.Deal] = "Deals",
    };

    private static readonly string[] ContactFormFields = ["Full_Name", "First_Name", "Last_Name", "Email", "Secondary_Email", "Phone", "Mobile", "Account_Name"];
    private static readonly string[] AccountFormFields = ["Account_Name", "Phone"];
    /// <summary>An Accounts record has one phone and, in Zoho's standard layout, no e-mail field: a company's e-mails are not written.</summary>
    private static readonly string[] AccountPhoneFields = ["Phone"];

    public async Task<IReadOnlyList<FormPerson>> FindContactsAsync(Instance instance, string? email, string? phone, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        if (!string.IsNullOrWhiteSpace(email))
        {
            var byEmail = await SearchAsync(client, "Contacts", "email=" + Uri.EscapeDataString(email.Trim()), ContactFormFields, ContactPersonOf,
                p => p.Emails.Contains(email.Trim(), StringComparer.OrdinalIgnoreCase), ct);
            if (byEmail.Count > 0) return byEmail;
        }
        return string.IsNullOrWhiteSpace(phone) ? []
            : await SearchAsync(client, "Contacts", "phone=" + Uri.EscapeDataString(phone.Trim()), ContactFormFields, ContactPersonOf, p => p.Phones.Any(x => FormPhones.SameNumber(x, phone)), ct);
    }

    public async Task<IReadOnlyList<FormPerson>> FindCompaniesAsync(Instance instance, string? name, string? email, string? phone, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        if (!string.IsNullOrWhiteSpace(phone))
        {
            var byPhone = await SearchAsync(client, "Accounts", "phone=" + Uri.EscapeDataString(phone.Trim()), AccountFormFields, AccountPersonOf, p => p.Phones.Any(x => FormPhones.SameNumber(x, phone)), ct);
            if (byPhone.Count > 0) return byPhone;
        }
        return string.IsNullOrWhiteSpace(name) ? []
            : await SearchAsync(client, "Accounts", "criteria=" + Uri.EscapeDataString($"(Account_Name:equals:{CriteriaValue(name.Trim())})"), AccountFormFields, AccountPersonOf,
                p => string.Equals(p.Name?.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase), ct);
    }

    /// <summary>GET /{module}/search, every page, kept to the records <paramref name="matches"/> accepts (Zoho's search may be looser), by id.</summary>
    private static async Task<List<FormPerson>> SearchAsync(ZohoClient client, string module, string query, string[] fields, Func<JsonObject, FormPerson> person,
        Func<FormPerson, bool> matches, CancellationToken ct)
    {
        var found = new Dictionary<long, FormPerson>();
        await foreach (var r in client.PagesAsync(FormsStream, $"/crm/v8/{module}/search?{query}&fields={string.Join(',', fields)}&per_page=200", "data", ct))
            if (person(r) is var p && matches(p)) found.TryAdd(p.Id, p);
        return [.. found.Values.OrderBy(p => p.Id)];
    }

    /// <summary>A criteria value with Zoho's special characters ( ) , \ escaped by a backslash.</summary>
    private static string CriteriaValue(string value) => CriteriaSpecial().Replace(value, @"\$0");

    [GeneratedRegex(@"[(),\\]")]
    private static partial Regex CriteriaSpecial();

    private static FormPerson ContactPersonOf(JsonObject r)
    {
        var contact = ContactOf(r);
        return new FormPerson(contact.Id, contact.Name ?? string.Join(' ', new[] { contact.FirstName, contact.LastName }.OfType<string>()),
            contact.Emails.Select(e => e.Value.ToLowerInvariant()).ToList(), contact.Phones.Select(p => p.Value).ToList(), contact.OrgId);
    }

    private static FormPerson AccountPersonOf(JsonObject r) =>
        new(ZohoValues.Id(r["id"]) ?? throw new FormatException("A Zoho account has no id."), ZohoValues.Text(r["Account_Name"]), [],
            ZohoValues.Text(r["Phone"]) is { Length: > 0 } phone ? [phone.Trim()] : []);

    public async Task<IReadOnlyList<FormDeal>> OpenDealsAsync(Instance instance, long? contactId, long? companyId, IReadOnlyCollection<string> fields, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        var records = new Dictionary<long, JsonObject>();
        foreach (var (module, id) in new[] { ("Contacts", contactId), ("Accounts", companyId) })
            if (id is { } parent)
                await foreach (var r in RelatedDealsAsync(client, module, parent, fields, ct))
                    records.TryAdd(ZohoValues.Id(r["id"]) ?? throw new FormatException("A Zoho deal has no id."), r);
        if (records.Count == 0) return [];

        var pipelines = await PipelinesAsync(client, instance, fresh: false, ct);
        (long? PipelineId, ZohoPipelines.Stage? Stage) Where(JsonObject r)
        {
            var pipelineId = ZohoValues.Id(r["Pipeline"]) ?? pipelines.PipelineIdByName(ZohoValues.Text(r["Pipeline"]));
            return (pipelineId, pipelines.Find(pipelineId, ZohoValues.Text(r["Stage"])));
        }
        // A stage the pipelines read a while ago lack was added since: read them again.
        if (records.Values.Any(r => ZohoValues.Text(r["Stage"]) is not null && Where(r).Stage is null)) pipelines = await PipelinesAsync(client, instance, fresh: true, ct);

        var deals = new List<(FormDeal Deal, DateTimeOffset? Created)>();
        foreach (var (id, r) in records)
        {
            var (pipelineId, stage) = Where(r);
            if (stage?.ForecastType is "Closed Won" or "Closed Lost") continue;
            var values = fields.Count == 0 ? null : fields.Where(f => r[f] is JsonValue).ToDictionary(f => f, f => r[f]!.ToString());
            deals.Add((new FormDeal(id, ZohoValues.Text(r["Deal_Name"]), pipelineId, stage?.Key, values), ZohoValues.Time(r["Created_Time"])));
        }
        return [.. deals.OrderByDescending(d => d.Created).ThenByDescending(d => d.Deal.Id).Select(d => d.Deal)];
    }

    /// <summary>The instance's pipelines and stages, read again after <see cref="FormPipelinesFor"/> or when <paramref name="fresh"/>.</summary>
    private async Task<ZohoPipelines> PipelinesAsync(ZohoClient client, Instance instance, bool fresh, CancellationToken ct)
    {
        if (!fresh && _formPipelines.TryGetValue(instance.Id, out var known) && Stopwatch.GetElapsedTime(known.ReadAt) < FormPipelinesFor) return known.Pipelines;
        var pipelines = await ZohoPipelines.LoadAsync(client, FormsStream, ct);
        _formPipelines[instance.Id] = (Stopwatch.GetTimestamp(), pipelines);
        return pipelines;
    }

    /// <summary>The stage of a form's settings (a replica stage id), the pipelines read again when the ones kept lack it.</summary>
    private async Task<(ZohoPipelines Pipelines, ZohoPipelines.Stage? Stage)> StageAsync(ZohoClient client, Instance instance, long? key, CancellationToken ct)
    {
        var pipelines = await PipelinesAsync(client, instance, fresh: false, ct);
        if (key is null || pipelines.ByKey(key) is not null) return (pipelines, pipelines.ByKey(key));
        pipelines = await PipelinesAsync(client, instance, fresh: true, ct);
        return (pipelines, pipelines.ByKey(key));
    }

    private static readonly string[] DealListFields = ["Deal_Name", "Stage", "Pipeline", "Created_Time", "Contact_Name", "Account_Name"];

    /// <summary>The deals of a contact or account (its related list Deals: Zoho leaves deleted ones out), newest first by Zoho's order.</summary>
    /// <param name="fields">Deal fields (API names) asked for besides those, e.g. a module's duplicate filter fields.</param>
    private static IAsyncEnumerable<JsonObject> RelatedDealsAsync(ZohoClient client, string module, long id, IReadOnlyCollection<string> fields, CancellationToken ct)
    {
        var asked = string.Join(',', DealListFields.Concat(fields.Where(f => ApiName().IsMatch(f)).Select(Uri.EscapeDataString)).Distinct());
        return client.PagesAsync(FormsStream, $"/crm/v8/{module}/{id}/Deals?fields={asked}&per_page=200", "data", ct);
    }

    /// <summary>The id the replica (and so a form module's settings) gives the Stage value <paramref name="stageValueId"/> of a Zoho pipeline.</summary>
    public static long StageId(long pipelineId, long stageValueId) => ZohoPipelines.StageKey(pipelineId, stageValueId);

    public async Task<long> CreateContactAsync(Instance instance, FormRecordValues values, long? companyId, ILogger logger, CancellationToken ct)
    {
        var record = NewRecord(values, "Contacts");
        if (companyId is { } account) record["Account_Name"] = Lookup(account);
        return await AddAsync(Client(instance, new RunStats(), logger), "Contacts", record, ct);
    }

    public async Task<long> CreateCompanyAsync(Instance instance, FormRecordValues values, ILogger logger, CancellationToken ct) =>
        await AddAsync(Client(instance, new RunStats(), logger), "Accounts", NewRecord(values, "Accounts"), ct);

    /// <summary>A new contact or account: its name (a contact's split into First_Name and Last_Name), e-mails and phones in their fields, owner, fields and tags.</summary>
    private static JsonObject NewRecord(FormRecordValues values, string module)
    {
        var record = new JsonObject();
        SetName(record, module, values);
        if (values.ResponsibleUserId is { } owner) record["Owner"] = Lookup(owner);
        if (module == "Contacts") FillSlots(record, EmailFields, values.Emails);
        FillSlots(record, module == "Contacts" ? PhoneFields : AccountPhoneFields, values.Phones);
        foreach (var (field, value) in ApiFields(values.Fields)) record[field] = value;
        if (values.Tags.Count > 0) record["Tag"] = new JsonArray(values.Tags.Select(t => (JsonNode)new JsonObject { ["name"] = t }).ToArray());
        return record;
    }

    /// <summary>
    /// A contact's name in First_Name and Last_Name (Zoho requires a last name: without a name, the e-mail or phone stands for
    /// it), an account's in Account_Name.
    /// </summary>
    private static void SetName(JsonObject record, string module, FormRecordValues values)
    {
        var name = values.Name.Trim() is { Length: > 0 } given ? given : values.Emails.Concat(values.Phones).FirstOrDefault() ?? "";
        if (module == "Accounts")
        {
            record["Account_Name"] = name;
            return;
        }
        var (first, last) = NameParts(name);
        record["Last_Name"] = last;
        if (first is not null) record["First_Name"] = first;
    }

    /// <summary>The last word of a name is the last name; the words before it are the first name.</summary>
    private static (string? First, string Last) NameParts(string name)
    {
        var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return words.Length > 1 ? (string.Join(' ', words[..^1]), words[^1]) : (null, name.Trim());
    }

    private static void FillSlots(JsonObject record, string[] slots, IReadOnlyList<string> values)
    {
        foreach (var (field, value) in slots.Zip(values)) record[field] = value;
    }

    /// <summary>The form's fields whose keys are Zoho API names (e.g. Lead_Source, Description); other keys are not Zoho's and are left out.</summary>
    private static IEnumerable<(string Field, string Value)> ApiFields(IReadOnlyDictionary<string, string> fields) =>
        fields.Where(f => f.Value.Length > 0 && ApiName().IsMatch(f.Key)).Select(f => (f.Key, f.Value));

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex ApiName();

    private static JsonObject Lookup(long id) => new() { ["id"] = id.ToString(CultureInfo.InvariantCulture) };

    /// <summary>
    /// Writes to a contact or account found. Its e-mails and phones live in fixed fields (Email, Secondary_Email; Phone, Mobile;
    /// an account's Phone), so the record is read first: without <paramref name="overwrite"/> a value it lacks goes into an empty
    /// field (none left: it is not written) and a form field only fills an empty one; with it, the form's values come first and
    /// the name, owner and fields are replaced.
    /// </summary>
    public async Task UpdateAsync(Instance instance, string entity, FormPerson current, FormRecordValues values, bool overwrite, ILogger logger, CancellationToken ct)
    {
        var module = FormModules.GetValueOrDefault(entity) is ("Contacts" or "Accounts") and var m ? m : throw new ArgumentException($"Forms update contacts and companies, not {entity}.", nameof(entity));
        var client = Client(instance, new RunStats(), logger);
        var (emailFields, phoneFields) = module == "Contacts" ? (EmailFields, PhoneFields) : (Array.Empty<string>(), AccountPhoneFields);
        var custom = ApiFields(values.Fields).ToList();
        // A form that repeats what the record has (the usual case) costs no call.
        if (!overwrite && custom.Count == 0 && (emailFields.Length == 0 || values.Emails.All(e => current.Emails.Contains(e, StringComparer.OrdinalIgnoreCase)))
            && values.Phones.All(p => current.Phones.Any(x => FormPhones.SameNumber(x, p))))
            return;
        var read = await client.GetAsync(FormsStream,
            $"/crm/v8/{module}?ids={current.Id}&fields={string.Join(',', emailFields.Concat(phoneFields).Concat(custom.Select(f => f.Field)).Append("Modified_Time").Distinct())}", null, ct);
        var now = Records(read).FirstOrDefault() ?? throw new CrmException($"The Zoho {module} record {current.Id} the form found is gone.");

        var record = new JsonObject();
        if (overwrite && values.Name.Trim().Length > 0) SetName(record, module, values);
        if (overwrite && values.ResponsibleUserId is { } owner) record["Owner"] = Lookup(owner);
        Complete(record, now, emailFields, values.Emails, (a, b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase), overwrite);
        Complete(record, now, phoneFields, values.Phones, FormPhones.SameNumber, overwrite);
        foreach (var (field, value) in custom)
            if (overwrite || string.IsNullOrWhiteSpace(ZohoValues.Text(now[field]))) record[field] = value;
        if (record.Count == 0) return;
        var answer = await client.PutAsync(FormsStream, $"/crm/v8/{module}/{current.Id}", Body(record), ct);
        Written(answer, $"PUT /crm/v8/{module}/{current.Id}");
    }

    /// <summary>
    /// The form's values into the record's fixed fields: those it lacks into its empty fields, or (overwrite) the form's first,
    /// then the ones it had, in field order. Only fields whose value changes are written.
    /// </summary>
    private static void Complete(JsonObject record, JsonObject now, string[] fields, IReadOnlyList<string> mine, Func<string, string, bool> same, bool overwrite)
    {
        var theirs = fields.Select(f => ZohoValues.Text(now[f]) is { Length: > 0 } v ? v.Trim() : null).ToList();
        var missing = mine.Where(v => !theirs.Any(t => t is not null && same(t, v))).ToList();
        if (overwrite)
        {
            var order = mine.Concat(theirs.OfType<string>().Where(t => !mine.Any(v => same(t, v)))).ToList();
            for (var i = 0; i < fields.Length && i < order.Count; i++)
                if (theirs[i] != order[i]) record[fields[i]] = order[i];
            return;
        }
        var next = 0;
        for (var i = 0; i < fields.Length && next < missing.Count; i++)
            if (theirs[i] is null) record[fields[i]] = missing[next++];
    }

    public async Task<long> CreateDealAsync(Instance instance, FormDealValues values, long? contactId, long? companyId, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        var (pipelines, known) = await StageAsync(client, instance, values.StageId, ct);
        var stage = values.StageId is { } key
            ? known ?? throw new CrmException($"The stage {key} of the form's deal is not a stage of the Zoho org's pipelines (any more): choose the stage again.")
            : (pipelines.Pipelines.Find(p => p.Id == values.PipelineId) ?? pipelines.Pipelines.FirstOrDefault())?.Stages.FirstOrDefault(s => s.ForecastType == "Open")
              ?? throw new CrmException("The Zoho org has no pipeline with an open stage for the form's deal.");
        var deal = new JsonObject { ["Deal_Name"] = values.Name };
        SetStage(deal, pipelines, stage);
        if (values.Value is { } amount) deal["Amount"] = amount;
        if (contactId is { } contact) deal["Contact_Name"] = Lookup(contact);
        if (companyId is { } company) deal["Account_Name"] = Lookup(company);
        if (values.ResponsibleUserId is { } owner) deal["Owner"] = Lookup(owner);
        foreach (var (field, value) in ApiFields(values.Fields)) deal[field] = value;
        if (values.Tags.Count > 0) deal["Tag"] = new JsonArray(values.Tags.Select(t => (JsonNode)new JsonObject { ["name"] = t }).ToArray());
        return await AddAsync(client, "Deals", deal, ct);
    }

    /// <summary>A replica stage as Zoho takes it: the Stage picklist's actual_value, and the pipeline it belongs to.</summary>
    private static void SetStage(JsonObject deal, ZohoPipelines pipelines, ZohoPipelines.Stage stage)
    {
        deal["Stage"] = stage.ActualValue;
        if (pipelines.Pipelines.Find(p => p.Id == stage.PipelineId) is { } pipeline)
            deal["Pipeline"] = new JsonObject { ["name"] = pipeline.Name, ["id"] = pipeline.Id.ToString(CultureInfo.InvariantCulture) };
    }

    public async Task<long?> FindDealAsync(Instance instance, string name, long? contactId, long? companyId, DateTimeOffset since, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        // Zoho's times have whole seconds: a deal made in the second the submission started counts.
        var from = since.AddTicks(-(since.Ticks % TimeSpan.TicksPerSecond));
        var deals = contactId is { } contact ? RelatedDealsAsync(client, "Contacts", contact, [], ct)
            : companyId is { } company ? RelatedDealsAsync(client, "Accounts", company, [], ct)
            : client.PagesAsync(FormsStream, $"/crm/v8/Deals/search?criteria={Uri.EscapeDataString($"(Deal_Name:equals:{CriteriaValue(name)})")}&fields=Deal_Name,Created_Time&per_page=200", "data", ct);
        (long Id, DateTimeOffset Created)? newest = null;
        await foreach (var r in deals)
            if (ZohoValues.Text(r["Deal_Name"]) == name && ZohoValues.Time(r["Created_Time"]) is { } created && created >= from && ZohoValues.Id(r["id"]) is { } id
                && (newest is null || created > newest.Value.Created))
                newest = (id, created);
        return newest?.Id;
    }

    public async Task MoveDealAsync(Instance instance, FormDeal deal, long toStageId, ILogger logger, CancellationToken ct)
    {
        var client = Client(instance, new RunStats(), logger);
        var (pipelines, known) = await StageAsync(client, instance, toStageId, ct);
        var stage = known ?? throw new CrmException($"The stage {toStageId} a form moves deals to is not a stage of the Zoho org's pipelines (any more): choose it again.");
        var move = new JsonObject();
        SetStage(move, pipelines, stage);
        var answer = await client.PutAsync(FormsStream, $"/crm/v8/Deals/{deal.Id}", Body(move), ct);
        Written(answer, $"PUT /crm/v8/Deals/{deal.Id}");
    }

    /// <summary>
    /// A task (Zoho tasks have no type: the setting's type is not used) due on the day <paramref name="due"/> falls on in the
    /// instance's time zone; on a deal or account through What_Id and $se_module, on a contact through Who_Id.
    /// </summary>
    public async Task<long> CreateTaskAsync(Instance instance, string entity, long entityId, FormTaskSettings task, string text, DateTimeOffset due, ILogger logger, CancellationToken ct)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(instance.TimeZone, out var found) ? found : TimeZoneInfo.Utc;
        var record = new JsonObject
        {
            ["Subject"] = text, ["Status"] = "Not Started",
            ["Due_Date"] = TimeZoneInfo.ConvertTime(due, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        if (entity == FormEntities.Contact) record["Who_Id"] = Lookup(entityId);
        else
        {
            record["What_Id"] = Lookup(entityId);
            record["$se_module"] = FormModules[entity];
        }
        if (task.ResponsibleUserId is { } owner) record["Owner"] = Lookup(owner);
        return await AddAsync(Client(instance, new RunStats(), logger), "Tasks", record, ct);
    }

    /// <summary>An open task with this subject among the record's activities (the related list Activities: Tasks, Events, Calls not done).</summary>
    public async Task<long?> FindTaskAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct)
    {
        await foreach (var r in Client(instance, new RunStats(), logger).PagesAsync(FormsStream,
            $"/crm/v8/{FormModules[entity]}/{entityId}/Activities?fields=Activity_Type,Subject&per_page=200", "data", ct))
            if (ZohoValues.Text(r["Activity_Type"]) == "Tasks" && ZohoValues.Text(r["Subject"]) == text) return ZohoValues.Id(r["id"]);
        return null;
    }

    /// <summary>
    /// POST /Notes with Parent_Id as v8 takes it ({"module": {"api_name"}, "id"}); $se_module names the module too, as earlier
    /// versions wanted it.
    /// </summary>
    public async Task<long> AddNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct)
    {
        var module = FormModules[entity];
        var note = new JsonObject
        {
            ["Note_Content"] = text,
            ["Parent_Id"] = new JsonObject { ["module"] = new JsonObject { ["api_name"] = module }, ["id"] = entityId.ToString(CultureInfo.InvariantCulture) },
            ["$se_module"] = module,
        };
        return await AddAsync(Client(instance, new RunStats(), logger), "Notes", note, ct);
    }

    public async Task<long?> FindNoteAsync(Instance instance, string entity, long entityId, string text, ILogger logger, CancellationToken ct)
    {
        await foreach (var r in Client(instance, new RunStats(), logger).PagesAsync(FormsStream,
            $"/crm/v8/{FormModules[entity]}/{entityId}/Notes?fields=Note_Content,Created_Time&per_page=200", "data", ct))
            if (ZohoValues.Text(r["Note_Content"]) == text) return ZohoValues.Id(r["id"]);
        return null;
    }

    /// <summary>Zoho has no call that adds a deal with its contact and account through its own duplicate control: the module's "crm" mode is not offered.</summary>
    public Task<FormComplexResult?> AddWithCrmDuplicateControlAsync(Instance instance, FormDealValues deal, FormRecordValues contact, FormRecordValues? company,
        ILogger logger, CancellationToken ct) => Task.FromResult<FormComplexResult?>(null);

    private static string Body(JsonObject record) => new JsonObject { ["data"] = new JsonArray(record) }.ToJsonString();

    /// <summary>POST of one record to the module; the id Zoho answers in data[0].details.</summary>
    private static async Task<long> AddAsync(ZohoClient client, string module, JsonObject record, CancellationToken ct)
    {
        var answer = await client.PostAsync(FormsStream, $"/crm/v8/{module}", Body(record), ct);
        return Written(answer, $"POST /crm/v8/{module}");
    }

    /// <summary>
    /// The id of the one record a write sent, from its result in data[0]. A record Zoho refused inside a successful answer
    /// (e.g. 207) is an error naming the field (details.api_name) and Zoho's message, never passed over.
    /// </summary>
    private static long Written(JsonNode? answer, string call)
    {
        var result = answer?["data"] is JsonArray { Count: > 0 } data ? data[0] : null;
        if (result is null) throw new CrmException($"Zoho answered {call} without the record's result.");
        if (ZohoValues.Text(result["status"]) != "success" || ZohoValues.Text(result["code"]) is { } code && code != "SUCCESS")
        {
            var field = ZohoValues.Text((result["details"] as JsonObject)?["api_name"]);
            throw new CrmException($"Zoho refused the record of {call}: {ZohoValues.Text(result["code"])}: {ZohoValues.Text(result["message"])}" +
                (field is null ? "" : $", field {field}") + $" {result["details"]?.ToJsonString() ?? "{}"}.", 400);
        }
        return ZohoValues.Id(result["details"]?["id"]) ?? throw new CrmException($"Zoho answered {call} without the record's id.");
    }
}
