using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CrmEtl.Sandbox.Pipedrive;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Zoho;

/// <summary>
/// The writes a web form makes in Zoho CRM: POST /{module} (insert), PUT /{module} and PUT /{module}/{id} (update) of Contacts,
/// Accounts, Deals and Tasks, POST /Notes (a note on a deal, contact or account), and the searches it checks for duplicates with (email, phone, word, criteria). Each record of a
/// write is validated on its own and answered in data[] with its code, details and status as Zoho does (MANDATORY_NOT_FOUND,
/// INVALID_DATA with details.api_name and json_path): all written 201 (insert) or 200 (update), none 400, some 207. A call
/// costs one credit like any other; it changes the org's data under its lock, stamped with the sandbox's clock, so reads,
/// searches and syncs see it at once. A deal's Stage change is a stage move in the account's changelog, hence in its
/// Stage_History and the DealHistory module.
/// </summary>
internal sealed partial class ZohoEndpoints
{
    private const int MaxWriteRecords = 100;
    private static readonly string[] TaskStatuses = ["Not Started", "Deferred", "In Progress", "Completed", "Waiting for input"];
    private static readonly string[] TaskPriorities = ["Lowest", "Low", "Normal", "High", "Highest"];

    private void MapWrites(IEndpointRouteBuilder app, IReadOnlyList<ZohoOrg> local)
    {
        foreach (var module in ZohoScopes.WrittenModules)
        {
            app.MapPost($"/crm/v8/{module}", context => Serve(context, local, $"POST /crm/v8/{module}", ZohoScopes.Write(module, "CREATE"), (o, r, w) => Write(o, r, w, module, insert: true)));
            app.MapPut($"/crm/v8/{module}", context => Serve(context, local, $"PUT /crm/v8/{module}", ZohoScopes.Write(module, "UPDATE"), (o, r, w) => Write(o, r, w, module, insert: false)));
            app.MapPut($"/crm/v8/{module}/{{id}}", context => Serve(context, local, $"PUT /crm/v8/{module}/{{id}}", ZohoScopes.Write(module, "UPDATE"), (o, r, w) => Write(o, r, w, module, insert: false)));
        }
        app.MapPost("/crm/v8/Notes", context => Serve(context, local, "POST /crm/v8/Notes", ZohoScopes.Write("Notes", "CREATE"), (o, r, w) => Write(o, r, w, "Notes", insert: true)));
    }

    /// <summary>What a written record answers in its details: its id, when and by whom it was created and last modified.</summary>
    private sealed record Written(long Id, DateTime Created, long CreatedBy, DateTime Modified);

    /// <summary>The user the access token belongs to (type=CurrentUser): the one who makes the API's changes.</summary>
    private static long ApiUser(ZohoOrg org) => org.Data.Users[0].Id;

    private void Write(ZohoOrg org, HttpRequest request, Utf8JsonWriter w, string module, bool insert)
    {
        if (request.HttpContext.Items[BodyItem] is not JsonObject body || body["data"] is not JsonArray data || data.Count == 0)
            throw new ZohoError(400, "INVALID_DATA", "body", new() { ["expected_data_type"] = "jsonobject" });
        if (data.Count > MaxWriteRecords) throw new ZohoError(400, "LIMIT_EXCEEDED", "Record count exceeded", new() { ["limit"] = MaxWriteRecords });
        var routeId = request.RouteValues["id"]?.ToString();
        if (routeId is not null && data.Count > 1) throw new ZohoError(400, "LIMIT_EXCEEDED", "Record count exceeded", new() { ["limit"] = 1 });
        var now = PipedriveGenerator.Truncate(Now);

        var results = new List<(Written? Done, ZohoError? Error)>();
        for (var i = 0; i < data.Count; i++)
        {
            try
            {
                if (data[i] is not JsonObject fields)
                    throw new ZohoError(400, "INVALID_DATA", "invalid data", new() { ["json_path"] = $"$.data[{i}]", ["expected_data_type"] = "jsonobject" });
                var record = new RecordBody(fields, i);
                long? id = insert ? null : record.Target(routeId);
                results.Add((module switch
                {
                    "Contacts" => WriteContact(org, record, id, now),
                    "Accounts" => WriteAccount(org, record, id, now),
                    "Deals" => WriteDeal(org, record, id, now),
                    "Notes" => WriteNote(org, record, now),
                    _ => WriteTask(org, record, id, now),
                }, null));
            }
            catch (ZohoError e)
            {
                results.Add((null, e));
            }
        }
        org.Invalidate();

        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var (done, error) in results)
        {
            w.WriteStartObject();
            if (done is not null)
            {
                w.WriteString("code", "SUCCESS");
                w.WriteStartObject("details");
                w.WriteString("Modified_Time", ZohoFields.Time(org, done.Modified));
                ZohoFields.Owner(w, org, "Modified_By", ApiUser(org));
                w.WriteString("Created_Time", ZohoFields.Time(org, done.Created));
                w.WriteString("id", done.Id.ToString(Inv));
                ZohoFields.Owner(w, org, "Created_By", done.CreatedBy);
                w.WriteEndObject();
                w.WriteString("message", insert ? "record added" : "record updated");
                w.WriteString("status", "success");
            }
            else
            {
                w.WriteString("code", error!.Code);
                w.WritePropertyName("details");
                JsonSerializer.Serialize(w, error.Details);
                w.WriteString("message", error.Message);
                w.WriteString("status", "error");
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        var failed = results.Count(r => r.Error is not null);
        request.HttpContext.Items[StatusItem] = failed == results.Count ? 400 : failed > 0 ? 207 : insert ? 201 : 200;
    }

    // ---- modules ----------------------------------------------------------------------------------

    /// <summary>Contacts: Last_Name is mandatory; Email and Secondary_Email are the person's first two addresses, Phone and Mobile their numbers.</summary>
    private static Written WriteContact(ZohoOrg org, RecordBody r, long? id, DateTime now)
    {
        var person = id is { } zohoId ? org.Sequence(ZohoOrg.Entity.Contact, zohoId) is { } n ? org.Data.FindPerson(n) ?? throw r.NotFound() : throw r.NotFound() : null;
        var lastName = person is null || r.Has("Last_Name") ? r.Required("Last_Name") : person.LastName;
        var firstName = r.Has("First_Name") ? r.Text("First_Name") ?? "" : person?.FirstName ?? "";
        var (email, secondary) = (r.Email("Email"), r.Email("Secondary_Email"));
        var (phone, mobile) = (r.Text("Phone"), r.Text("Mobile"));
        var account = r.Has("Account_Name") ? (long?)Account(org, r, "Account_Name") : person?.OrgId;
        var owner = r.Has("Owner") ? Owner(org, r) : person?.OwnerId ?? org.Data.Users[0].Id;

        if (person is null)
        {
            person = new SbPerson { Id = org.Data.NextPersonId(), AddTime = now, OwnerId = owner };
            org.Data.Persons.Add(person);
        }
        (person.FirstName, person.LastName, person.OrgId, person.OwnerId, person.UpdateTime) = (firstName, lastName, account, owner, now);
        var emails = person.Emails;
        var first = r.Has("Email") ? email : emails.ElementAtOrDefault(0)?.Value;
        var second = r.Has("Secondary_Email") ? secondary : emails.ElementAtOrDefault(1)?.Value;
        person.Emails = [.. new[] { (first, "work"), (second, "other") }.Where(e => e.Item1 is not null).Select((e, i) => new SbContactPoint(e.Item1!, e.Item2, i == 0)), .. emails.Skip(2)];
        var oldPhone = person.Phones.FirstOrDefault(x => x.Label != "mobile");
        var oldMobile = person.Phones.FirstOrDefault(x => x.Label == "mobile");
        var points = new[] { (r.Has("Phone") ? phone : oldPhone?.Value, oldPhone?.Label ?? "work"), (r.Has("Mobile") ? mobile : oldMobile?.Value, "mobile") }
            .Where(x => x.Item1 is not null).Select(x => new SbContactPoint(x.Item1!, x.Item2, false)).ToList();
        person.Phones = [.. points.Select((x, i) => x with { Primary = i == 0 }), .. person.Phones.Where(x => x != oldPhone && x != oldMobile)];
        return new Written(org.ContactId(person), person.AddTime, person.OwnerId, now);
    }

    /// <summary>Accounts: Account_Name is mandatory; the billing street and country are the organization's address.</summary>
    private static Written WriteAccount(ZohoOrg org, RecordBody r, long? id, DateTime now)
    {
        var account = id is { } zohoId ? org.Sequence(ZohoOrg.Entity.Account, zohoId) is { } n ? org.Data.FindOrganization(n) ?? throw r.NotFound() : throw r.NotFound() : null;
        var name = account is null || r.Has("Account_Name") ? r.Required("Account_Name") : account.Name;
        var (street, country, phone) = (r.Text("Billing_Street"), r.Text("Billing_Country"), r.Text("Phone"));
        var owner = r.Has("Owner") ? Owner(org, r) : account?.OwnerId ?? org.Data.Users[0].Id;

        if (account is null)
        {
            account = new SbOrganization { Id = org.Data.NextOrganizationId(), AddTime = now };
            org.Data.Organizations.Add(account);
        }
        (account.Name, account.OwnerId, account.UpdateTime) = (name, owner, now);
        if (r.Has("Billing_Street")) account.Address = street;
        if (r.Has("Billing_Country")) account.Country = country;
        if (r.Has("Phone")) account.Phone = phone;
        return new Written(org.AccountId(account.Id), account.AddTime, account.OwnerId, now);
    }

    /// <summary>
    /// Deals: Deal_Name and Stage are mandatory; the Stage must be one of the Pipeline's (the first pipeline's when none is given),
    /// Closed Won and Closed Lost close the deal. Every change is logged as the account's changelog logs it, stamped now.
    /// </summary>
    private static Written WriteDeal(ZohoOrg org, RecordBody r, long? id, DateTime now)
    {
        var deal = id is { } zohoId ? org.Sequence(ZohoOrg.Entity.Deal, zohoId) is { } n && org.Data.FindDeal(n) is { IsDeleted: false } found ? found : throw r.NotFound() : null;
        var title = deal is null || r.Has("Deal_Name") ? r.Required("Deal_Name") : deal.Title;
        var pipeline = r.Has("Pipeline") ? Pipeline(org, r) : org.Data.Pipelines.Find(p => p.Id == deal?.PipelineId) ?? org.Data.Pipelines[0];
        var stage = deal is null || r.Has("Stage") ? r.Required("Stage") : pipeline.Id == deal.PipelineId ? org.StageOf(deal) : org.Data.StagesOf(pipeline.Id)[0].Name;
        if (org.PipelineStages(pipeline).All(s => s.Stage != stage))
            throw new ZohoError(400, "INVALID_DATA", "Pipeline doesn't contain the Stage", new() { ["api_name"] = "Stage", ["json_path"] = r.Path("Stage") }) { OfRecord = true };
        var amount = r.Number("Amount", "currency");
        var currency = r.Text("Currency");
        if (currency is not null && !ZohoFields.RatesPerEuro.ContainsKey(currency)) throw r.Invalid("Currency", "picklist");
        var closing = r.Date("Closing_Date");
        var contact = r.Has("Contact_Name") ? Contact(org, r, "Contact_Name") : deal?.PersonId;
        var account = r.Has("Account_Name") ? Account(org, r, "Account_Name") : deal?.OrgId;
        var owner = r.Has("Owner") ? Owner(org, r) : deal?.OwnerId ?? org.Data.Users[0].Id;
        var probability = r.Number("Probability", "integer");
        var reason = r.Text("Reason_For_Loss__s");
        // The text custom field ZohoFields serves from the generated deal's "Campaign" value.
        var campaign = r.Has("Campaign") ? (Key: org.Data.DealFields.Single(f => f.IsCustom && f.Name == "Campaign").Key, Value: r.Text("Campaign")) : default;

        var open = org.Data.StagesOf(pipeline.Id);
        var openStage = open.FirstOrDefault(s => s.Name == stage);
        if (deal is null)
        {
            deal = new SbDeal
            {
                Id = org.Data.NextDealId(), Title = title, PipelineId = pipeline.Id, StageId = (openStage ?? open[^1]).Id, OwnerId = owner,
                Currency = currency ?? org.Options.BaseCurrency, Value = amount ?? 0, PersonId = contact, OrgId = account, ExpectedCloseDate = closing,
                Probability = probability is { } p ? (int)p : null, AddTime = now, UpdateTime = now, Origin = "API",
            };
            if (campaign.Key is not null) deal.CustomFields[campaign.Key] = campaign.Value;
            org.Data.AddDeal(deal);
        }
        else
        {
            void Log(string field, string? old, string? value) { if (old != value) PipedriveGenerator.Change(deal, field, old, value, ApiUser(org), now); }
            string? Text(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture);
            Log("title", deal.Title, deal.Title = title);
            if (amount is { } a) Log("value", Text(deal.Value), Text(deal.Value = a));
            if (currency is not null) Log("currency", deal.Currency, deal.Currency = currency);
            Log("user_id", Text(deal.OwnerId), Text(deal.OwnerId = owner));
            Log("person_id", Text(deal.PersonId), Text(deal.PersonId = contact));
            Log("org_id", Text(deal.OrgId), Text(deal.OrgId = account));
            if (closing is not null) Log("expected_close_date", Text(deal.ExpectedCloseDate), Text(deal.ExpectedCloseDate = closing));
            if (probability is { } p) Log("probability", Text(deal.Probability), Text(deal.Probability = (int)p));
            if (pipeline.Id != deal.PipelineId) Log("pipeline_id", Text(deal.PipelineId), Text(deal.PipelineId = pipeline.Id));
            if (campaign.Key is not null && deal.CustomFields.GetValueOrDefault(campaign.Key) as string != campaign.Value)
                Log(campaign.Key, deal.CustomFields.GetValueOrDefault(campaign.Key) as string, (string?)(deal.CustomFields[campaign.Key] = campaign.Value));
            if (openStage is not null)
            {
                if (deal.Status != "open") PipedriveGenerator.Reopen(deal, ApiUser(org), now);
                if (openStage.Id != deal.StageId) PipedriveGenerator.Move(deal, openStage.Id, ApiUser(org), now);
            }
            deal.UpdateTime = now;
        }
        if (stage == ZohoOrg.ClosedWon && deal.Status != "won") PipedriveGenerator.Win(deal, ApiUser(org), now);
        if (stage == ZohoOrg.ClosedLost && deal.Status != "lost") PipedriveGenerator.Lose(deal, ApiUser(org), now, reason ?? "");
        if (stage == ZohoOrg.ClosedLost && reason is not null) deal.LostReason = reason;
        org.Data.Invalidate();
        return new Written(org.DealId(deal), deal.AddTime, deal.OwnerId, now);
    }

    /// <summary>Tasks: Subject is mandatory; What_Id with $se_module Deals links a deal (Accounts an account), Who_Id a contact; Status Completed marks it done.</summary>
    private static Written WriteTask(ZohoOrg org, RecordBody r, long? id, DateTime now)
    {
        var task = id is { } zohoId ? org.Sequence(ZohoOrg.Entity.Activity, zohoId) is { } n && org.Data.Activities.Find(a => a.Id == n) is { IsDeleted: false } found && ZohoOrg.ModuleOf(found) == "Tasks" ? found : throw r.NotFound() : null;
        var subject = task is null || r.Has("Subject") ? r.Required("Subject") : task.Subject;
        var due = r.Date("Due_Date");
        var status = r.Text("Status");
        if (status is not null && !TaskStatuses.Contains(status)) throw r.Invalid("Status", "picklist");
        var priority = r.Text("Priority");
        if (priority is not null && !TaskPriorities.Contains(priority)) throw r.Invalid("Priority", "picklist");
        SbDeal? deal = null;
        long? account = task is null ? null : org.TaskAccount(task);
        if (r.Has("What_Id") && r.Node("What_Id") is not null)
        {
            switch (r.Text("$se_module"))
            {
                case "Deals":
                    var dealId = r.LookupId("What_Id");
                    deal = org.Sequence(ZohoOrg.Entity.Deal, dealId) is { } d && org.Data.FindDeal(d) is { IsDeleted: false } linked ? linked : throw r.Invalid("What_Id", "lookup");
                    account = null;
                    break;
                case "Accounts":
                    account = Account(org, r, "What_Id");
                    break;
                default:
                    throw r.Invalid("$se_module", "text");
            }
        }
        var contact = r.Has("Who_Id") ? Contact(org, r, "Who_Id") : task?.PersonId ?? deal?.PersonId;
        var owner = r.Has("Owner") ? Owner(org, r) : task?.OwnerId ?? deal?.OwnerId ?? org.Data.Users[0].Id;

        if (task is null)
        {
            task = new SbActivity { Id = org.Data.NextActivityId(), Type = "task", CreatorUserId = ApiUser(org), AddTime = now, DueDate = DateOnly.FromDateTime(now) };
            org.Data.AddActivity(task);
        }
        (task.Subject, task.OwnerId, task.PersonId, task.UpdateTime) = (subject, owner, contact, now);
        if (deal is not null) (task.DealId, task.OrgId) = (deal.Id, deal.OrgId);
        else if (account is not null) (task.DealId, task.OrgId) = (null, account);
        org.RelateTaskToAccount(task, deal is null ? account : null);
        if (due is { } date) task.DueDate = date;
        if (status is not null)
        {
            var done = status == "Completed";
            if (done != task.Done) (task.Done, task.MarkedAsDoneTime) = (done, done ? now : null);
        }
        if (priority is not null) task.Priority = priority switch { "Highest" or "High" => 2, "Normal" => 1, _ => 0 };
        if (r.Has("Description")) task.Note = r.Text("Description");
        return new Written(org.ActivityId(task), task.AddTime, task.CreatorUserId, now);
    }

    /// <summary>
    /// Notes: Note_Content is mandatory; Parent_Id names the record, as v8 writes it ({"module": {"api_name": "Deals"}, "id": "…"})
    /// or as earlier versions did (the id, with $se_module naming the module). Deals, Contacts and Accounts.
    /// </summary>
    private static Written WriteNote(ZohoOrg org, RecordBody r, DateTime now)
    {
        var content = r.Required("Note_Content");
        var module = r.Node("Parent_Id") is JsonObject parent && parent["module"] is JsonObject m
            ? m["api_name"]?.GetValueKind() == JsonValueKind.String ? m["api_name"]!.GetValue<string>() : throw r.Invalid("Parent_Id", "lookup")
            : r.Text("$se_module") ?? throw new ZohoError(400, "MANDATORY_NOT_FOUND", "required field not found", new() { ["api_name"] = "$se_module", ["json_path"] = r.Path("$se_module") }) { OfRecord = true };
        if (r.Node("Parent_Id") is null)
            throw new ZohoError(400, "MANDATORY_NOT_FOUND", "required field not found", new() { ["api_name"] = "Parent_Id", ["json_path"] = r.Path("Parent_Id") }) { OfRecord = true };
        var parentId = r.LookupId("Parent_Id");
        var exists = module switch
        {
            "Deals" => org.Sequence(ZohoOrg.Entity.Deal, parentId) is { } d && org.Data.FindDeal(d) is { IsDeleted: false },
            "Contacts" => org.Sequence(ZohoOrg.Entity.Contact, parentId) is { } c && org.Data.FindPerson(c) is { IsDeleted: false },
            "Accounts" => org.Sequence(ZohoOrg.Entity.Account, parentId) is { } a && org.Data.FindOrganization(a) is { IsDeleted: false },
            _ => throw r.Invalid("$se_module", "text"),
        };
        if (!exists) throw r.Invalid("Parent_Id", "lookup");
        var owner = r.Has("Owner") ? Owner(org, r) : ApiUser(org);
        var note = new ZohoNote(org.Id(ZohoOrg.Entity.Note, org.Notes.Count + 1), module, parentId, r.Text("Note_Title"), content, owner, now);
        org.Notes.Add(note);
        return new Written(note.Id, now, ApiUser(org), now);
    }

    private static long Owner(ZohoOrg org, RecordBody r) =>
        org.Sequence(ZohoOrg.Entity.User, r.LookupId("Owner")) is { } n && org.Data.Users.Find(u => u.Id == n + 999) is { } user ? user.Id : throw r.Invalid("Owner", "ownerlookup");

    private static long? Contact(ZohoOrg org, RecordBody r, string field) => r.Node(field) is null ? null
        : org.Sequence(ZohoOrg.Entity.Contact, r.LookupId(field)) is { } n && org.Data.FindPerson(n) is { } person ? person.Id : throw r.Invalid(field, "lookup");

    private static long? Account(ZohoOrg org, RecordBody r, string field) => r.Node(field) is null ? null
        : org.Sequence(ZohoOrg.Entity.Account, r.LookupId(field)) is { } n && org.Data.FindOrganization(n) is { } account ? account.Id : throw r.Invalid(field, "lookup");

    /// <summary>A Pipeline given as its name or as {name, id}.</summary>
    private static SbPipeline Pipeline(ZohoOrg org, RecordBody r) => r.Node("Pipeline") switch
    {
        JsonObject { } lookup when lookup["id"] is not null => org.Data.Pipelines.Find(p => org.PipelineId(p) == r.LookupId("Pipeline")) ?? throw r.Invalid("Pipeline", "picklist"),
        var node => org.Data.Pipelines.Find(p => p.Name == (node is JsonObject o ? o["name"]?.ToString() : r.Text("Pipeline"))) ?? throw r.Invalid("Pipeline", "picklist"),
    };

    /// <summary>One record of a write's data[], read field by field with Zoho's errors (each naming api_name and json_path).</summary>
    private sealed partial class RecordBody(JsonObject record, int index)
    {
        public bool Has(string field) => record.ContainsKey(field);
        public JsonNode? Node(string field) => record[field];
        public string Path(string field) => $"$.data[{index}].{field}";

        public ZohoError Invalid(string field, string expected) =>
            new(400, "INVALID_DATA", "invalid data", new() { ["api_name"] = field, ["json_path"] = Path(field), ["expected_data_type"] = expected }) { OfRecord = true };

        public ZohoError NotFound() =>
            new(400, "INVALID_DATA", "the id given seems to be invalid", new() { ["api_name"] = "id", ["json_path"] = Path("id") }) { OfRecord = true };

        /// <summary>The id of the record to update: the URL's, else the record's own "id" (mandatory then).</summary>
        public long Target(string? routeId)
        {
            var text = routeId ?? (record["id"] is { } node ? node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString()
                : throw new ZohoError(400, "MANDATORY_NOT_FOUND", "required field not found", new() { ["api_name"] = "id", ["json_path"] = Path("id") }) { OfRecord = true });
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : throw NotFound();
        }

        public string? Text(string field) => record[field] switch
        {
            null => null,
            var node when node.GetValueKind() == JsonValueKind.String => node.GetValue<string>().Trim() is { Length: > 0 } text ? text : null,
            _ => throw Invalid(field, "text"),
        };

        public string Required(string field) => Text(field)
            ?? throw new ZohoError(400, "MANDATORY_NOT_FOUND", "required field not found", new() { ["api_name"] = field, ["json_path"] = Path(field) }) { OfRecord = true };

        public string? Email(string field) => Text(field) is { } email ? EmailAddress().IsMatch(email) ? email : throw Invalid(field, "email") : null;

        public decimal? Number(string field, string expected) => record[field] switch
        {
            null => null,
            var node when node.GetValueKind() == JsonValueKind.Number => node.GetValue<decimal>(),
            _ => throw Invalid(field, expected),
        };

        public DateOnly? Date(string field) => Text(field) is { } text
            ? DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : throw Invalid(field, "date")
            : null;

        /// <summary>A lookup's id: {"id": "…"} (as Zoho writes it) or the id alone.</summary>
        public long LookupId(string field)
        {
            var node = record[field] is JsonObject lookup ? lookup["id"] : record[field];
            var text = node?.GetValueKind() switch { JsonValueKind.String => node.GetValue<string>(), JsonValueKind.Number => node.ToJsonString(), _ => null };
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : throw Invalid(field, "lookup");
        }

        [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
        private static partial Regex EmailAddress();
    }

    // ---- search -----------------------------------------------------------------------------------

    /// <summary>How a module is searched: its fields, its records, and the values of a field by API name.</summary>
    private sealed record Searchable<T>(IReadOnlyList<ZohoField<T>> Fields, IEnumerable<T> Records, Func<T, long> Id, Dictionary<string, Func<T, string?>> Values,
        string[] EmailFields, string[] PhoneFields, string[] WordFields)
    {
        public IEnumerable<string> ValuesOf(T record, string field) => Values.TryGetValue(field, out var value) && value(record) is { } text ? [text] : [];
    }

    /// <summary>
    /// GET /{module}/search with one of email= (the module's e-mail fields, case-insensitively), phone= (its phone fields, compared
    /// by their digits), word= (a word in its text fields) or criteria=((Field:equals|starts_with:value)and|or(...)). Contacts,
    /// Accounts and Deals; 204 when nothing matches. New and changed records are found at once.
    /// </summary>
    private void Search(ZohoOrg org, HttpRequest request, Utf8JsonWriter w)
    {
        switch (request.RouteValues["module"]?.ToString())
        {
            case "Contacts":
                SearchIn(org, request, w, new Searchable<SbPerson>(ZohoFields.Contacts(), org.Data.Persons.Where(p => !p.IsDeleted), org.ContactId, new(StringComparer.Ordinal)
                {
                    ["Email"] = p => p.Emails.ElementAtOrDefault(0)?.Value, ["Secondary_Email"] = p => p.Emails.ElementAtOrDefault(1)?.Value,
                    ["Phone"] = p => p.Phones.FirstOrDefault(x => x.Label != "mobile")?.Value, ["Mobile"] = p => p.Phones.FirstOrDefault(x => x.Label == "mobile")?.Value,
                    ["First_Name"] = p => p.FirstName, ["Last_Name"] = p => p.LastName, ["Full_Name"] = p => p.Name,
                    ["Account_Name"] = p => p.OrgId is { } o ? org.Data.OrganizationName(o) : null,
                }, ["Email", "Secondary_Email"], ["Phone", "Mobile"], ["Full_Name", "Email", "Secondary_Email"]));
                break;
            case "Accounts":
                SearchIn(org, request, w, new Searchable<SbOrganization>(ZohoFields.Accounts(), org.Data.Organizations.Where(a => !a.IsDeleted), a => org.AccountId(a.Id), new(StringComparer.Ordinal)
                {
                    ["Account_Name"] = a => a.Name, ["Billing_Street"] = a => a.Address, ["Billing_Country"] = a => a.Country, ["Phone"] = a => a.Phone,
                }, [], ["Phone"], ["Account_Name"]));
                break;
            case "Deals":
                SearchIn(org, request, w, new Searchable<SbDeal>(ZohoFields.Deals(org), org.Data.Deals.Where(d => !d.IsDeleted), org.DealId, new(StringComparer.Ordinal)
                {
                    ["Deal_Name"] = d => d.Title, ["Stage"] = org.StageOf,
                }, [], [], ["Deal_Name"]));
                break;
            default:
                throw new ZohoError(400, "INVALID_MODULE", "The module name given seems to be invalid", new() { ["api_name"] = "module" });
        }
    }

    private void SearchIn<T>(ZohoOrg org, HttpRequest request, Utf8JsonWriter w, Searchable<T> module)
    {
        string? Param(string name) => request.Query[name].FirstOrDefault()?.Trim() is { Length: > 0 } v ? v : null;
        bool AnyOf(T record, string[] fields, Func<string, bool> hit) => fields.Any(f => module.ValuesOf(record, f).Any(hit));
        Func<T, bool> match;
        if (Param("criteria") is { } criteria) match = Criteria(criteria, module);
        else if (Param("email") is { } email) match = r => AnyOf(r, module.EmailFields, v => string.Equals(v.Trim(), email, StringComparison.OrdinalIgnoreCase));
        else if (Param("phone") is { } phone) match = r => AnyOf(r, module.PhoneFields, v => Digits(v) == Digits(phone) && Digits(phone).Length > 0);
        else if (Param("word") is { } word) match = r => AnyOf(r, module.WordFields, v => v.Contains(word, StringComparison.OrdinalIgnoreCase));
        else throw new ZohoError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", new() { ["param_name"] = "criteria/email/phone/word" });
        var fields = SelectFields(request, module.Fields);
        var (page, perPage) = PageParams(request);
        var found = module.Records.Where(match).ToList();
        var slice = found.Skip((page - 1) * perPage).Take(perPage).ToList();
        if (slice.Count == 0) throw new NoContent(204);
        WritePage(w, org, fields, slice, module.Id, new PageInfo(perPage, page, "id", "asc", found.Count > page * perPage, null));
    }

    private static string Digits(string text) => new(text.Where(char.IsAsciiDigit).ToArray());

    /// <summary>criteria: (Field:operator:value), grouped in parentheses and joined with and / or; values escape ( ) , with \.</summary>
    private static Func<T, bool> Criteria<T>(string text, Searchable<T> module)
    {
        ZohoError Bad(string reason) => new(400, "INVALID_QUERY", "invalid query formed", new() { ["reason"] = reason, ["param_name"] = "criteria" });
        var at = 0;
        Func<T, bool> Group()
        {
            if (at >= text.Length || text[at] != '(') throw Bad("expected (");
            at++;
            Func<T, bool> result;
            if (at < text.Length && text[at] == '(')
            {
                result = Group();
                while (at < text.Length && text[at] != ')')
                {
                    var op = text[at..].StartsWith("and", StringComparison.OrdinalIgnoreCase) ? "and" : text[at..].StartsWith("or", StringComparison.OrdinalIgnoreCase) ? "or" : throw Bad("expected and / or");
                    at += op.Length;
                    var (left, right) = (result, Group());
                    result = op == "and" ? r => left(r) && right(r) : r => left(r) || right(r);
                }
            }
            else
            {
                var condition = new System.Text.StringBuilder();
                while (at < text.Length && text[at] != ')')
                {
                    if (text[at] == '\\' && at + 1 < text.Length) at++;
                    condition.Append(text[at++]);
                }
                result = Condition(condition.ToString());
            }
            if (at >= text.Length) throw Bad("expected )");
            at++;
            return result;
        }
        Func<T, bool> Condition(string condition)
        {
            var parts = condition.Split(':', 3);
            if (parts.Length != 3) throw Bad("a condition is (field:operator:value)");
            var (field, op, value) = (parts[0].Trim(), parts[1].Trim(), parts[2].Trim());
            if (!module.Values.ContainsKey(field))
                throw new ZohoError(400, "INVALID_QUERY", "invalid query formed", new() { ["reason"] = "the field is not available for search", ["api_name"] = field });
            Func<string, bool> hit = op switch
            {
                "equals" => v => string.Equals(v.Trim(), value, StringComparison.OrdinalIgnoreCase),
                "starts_with" => v => v.StartsWith(value, StringComparison.OrdinalIgnoreCase),
                _ => throw new ZohoError(400, "INVALID_QUERY", "invalid query formed", new() { ["reason"] = "invalid operator found", ["api_name"] = field, ["operator"] = op }),
            };
            return r => module.ValuesOf(r, field).Any(hit);
        }
        var match = Group();
        return at == text.Length ? match : throw Bad("unexpected text after the criteria");
    }
}
