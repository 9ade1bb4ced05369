using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>
/// The writes a web form needs, as Pipedrive's v2 spec has them: POST and PATCH persons, organizations and deals, POST
/// activities, and the searches used for duplicate control (persons, organizations, deals). Each goes through
/// <see cref="Serve"/> like the reads (auth, token cost, burst window, faults, a lost answer after the write) and changes
/// the company's data under its lock, stamped with the sandbox's clock; a deal's changes are in its changelog, so the
/// webhooks and the next sync see them as they see the mutator's. The search index is immediate (the real one may lag).
/// </summary>
internal sealed partial class PipedriveEndpoints
{
    private static readonly string[] PointLabels = ["work", "home", "mobile", "other"];

    private void MapWrites(IEndpointRouteBuilder app)
    {
        void Post(string path, Handler handler) => app.MapPost("/api/v2" + path, context => Serve(context, "v2 POST " + path, handler, queryTokenAllowed: false));
        void Patch(string path, Handler handler) => app.MapPatch("/api/v2" + path, context => Serve(context, "v2 PATCH " + path, handler, queryTokenAllowed: false));
        Post("/persons", CreatePerson);
        Patch("/persons/{id}", UpdatePerson);
        Post("/organizations", CreateOrganization);
        Patch("/organizations/{id}", UpdateOrganization);
        Post("/deals", CreateDeal);
        Patch("/deals/{id}", UpdateDeal);
        Post("/activities", CreateActivity);
        foreach (var prefix in new[] { "/api/v1", "/v1" })
            app.MapPost(prefix + "/notes", context => Serve(context, "v1 POST /notes", CreateNote, queryTokenAllowed: true));
        MapV1(app, "/notes", Notes);
        MapV2(app, "/persons/search", SearchPersons);
        MapV2(app, "/organizations/search", SearchOrganizations);
        MapV2(app, "/deals/search", SearchDeals);
    }

    private DateTime WriteTime => PipedriveGenerator.Truncate(clock.GetUtcNow().UtcDateTime);

    // ---- persons ------------------------------------------------------------------------------

    /// <summary>POST /v2/persons: name is required; e-mails and phones are arrays of {value, primary, label}. Answers the new person.</summary>
    private void CreatePerson(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var body = new WriteBody(q.Body);
        var name = body.Required("name");
        var now = WriteTime;
        var person = new SbPerson { Id = company.NextPersonId(), OwnerId = company.Users[0].Id, AddTime = now, UpdateTime = now };
        (person.FirstName, person.LastName) = SplitName(name);
        ApplyPerson(company, body, person);
        company.Persons.Add(person);
        company.Invalidate();
        One(w, x => PipedriveJson.Person(x, person));
    }

    /// <summary>PATCH /v2/persons/{id}: the fields given replace the person's (e-mails and phones as whole lists).</summary>
    private void UpdatePerson(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var person = company.FindPerson(q.RouteLong("id")) ?? throw new PipedriveError(404, "Person not found");
        var body = new WriteBody(q.Body);
        if (body.Has("name")) (person.FirstName, person.LastName) = SplitName(body.Required("name"));
        ApplyPerson(company, body, person);
        person.UpdateTime = WriteTime;
        company.Invalidate();
        One(w, x => PipedriveJson.Person(x, person));
    }

    private static void ApplyPerson(PipedriveCompany company, WriteBody body, SbPerson person)
    {
        if (body.Has("owner_id")) person.OwnerId = User(company, body.Id("owner_id"));
        if (body.Has("org_id")) person.OrgId = body.Id("org_id") is { } org ? company.FindOrganization(org)?.Id ?? throw Invalid($"org_id: Organization {org} not found") : null;
        if (body.Has("emails")) person.Emails = body.Points("emails");
        if (body.Has("phones")) person.Phones = body.Points("phones");
        foreach (var (key, value) in body.CustomFields())
        {
            if (value is not (null or JsonValue)) throw Invalid($"custom_fields.{key}: Expected string, number or null");
            person.CustomFields[key] = value?.DeepClone();
        }
    }

    private static (string First, string Last) SplitName(string name)
    {
        var parts = name.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (parts[0], parts.Length > 1 ? parts[1] : "");
    }

    // ---- organizations ------------------------------------------------------------------------

    /// <summary>POST /v2/organizations: name is required (the spec's "required: title" names a property it does not declare).</summary>
    private void CreateOrganization(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var body = new WriteBody(q.Body);
        var name = body.Required("name");
        var now = WriteTime;
        var organization = new SbOrganization { Id = company.NextOrganizationId(), Name = name, OwnerId = company.Users[0].Id, AddTime = now, UpdateTime = now };
        ApplyOrganization(company, body, organization);
        company.Organizations.Add(organization);
        company.Invalidate();
        One(w, x => PipedriveJson.Organization(x, organization));
    }

    private void UpdateOrganization(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var organization = company.FindOrganization(q.RouteLong("id")) ?? throw new PipedriveError(404, "Organization not found");
        var body = new WriteBody(q.Body);
        if (body.Has("name")) organization.Name = body.Required("name");
        ApplyOrganization(company, body, organization);
        organization.UpdateTime = WriteTime;
        company.Invalidate();
        One(w, x => PipedriveJson.Organization(x, organization));
    }

    private static void ApplyOrganization(PipedriveCompany company, WriteBody body, SbOrganization organization)
    {
        if (body.Has("owner_id")) organization.OwnerId = User(company, body.Id("owner_id"));
        if (!body.Has("address")) return;
        switch (body.Node("address"))
        {
            case null: organization.Address = organization.Country = null; break;
            case JsonObject address:
                var part = new WriteBody(address, "address.");
                organization.Address = part.Text("value");
                organization.Country = part.Text("country");
                break;
            default: throw Invalid("address: Expected object, received " + TypeName(body.Node("address")));
        }
    }

    // ---- deals --------------------------------------------------------------------------------

    /// <summary>
    /// POST /v2/deals: title is required; the stage decides the pipeline (a pipeline alone starts in its first stage, neither
    /// the first pipeline's first stage); ids of users, people, organizations, pipelines and stages must exist.
    /// </summary>
    private void CreateDeal(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var body = new WriteBody(q.Body);
        var title = body.Required("title");
        var now = WriteTime;
        var (pipeline, stage) = Placement(company, body, null);
        var deal = new SbDeal
        {
            Id = company.NextDealId(), Title = title, PipelineId = pipeline, StageId = stage, OwnerId = company.Users[0].Id,
            Currency = company.Options.DefaultCurrency, AddTime = now, UpdateTime = now, Origin = "API",
        };
        var status = ApplyDeal(company, body, deal, now, logged: false);
        SetStatus(deal, status, body, ApiUser(company), now);
        company.AddDeal(deal);
        One(w, x => PipedriveJson.Deal(x, deal, company.DealFields));
    }

    /// <summary>
    /// PATCH /v2/deals/{id}: each changed field goes into the deal's changelog as the app writes it (a stage move as
    /// stage_id with stage_change_time, an owner as user_id), stamped now, so the next sync's changelog and the webhooks see it.
    /// </summary>
    private void UpdateDeal(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var deal = company.FindDeal(q.RouteLong("id")) is { IsDeleted: false } found ? found : throw new PipedriveError(404, "Deal not found");
        var body = new WriteBody(q.Body);
        var now = WriteTime;
        if (body.Has("title")) Log(deal, "title", deal.Title, deal.Title = body.Required("title"), ApiUser(company), now);
        if (body.Has("pipeline_id") || body.Has("stage_id"))
        {
            var (pipeline, stage) = Placement(company, body, deal);
            if (pipeline != deal.PipelineId) Log(deal, "pipeline_id", IdText(deal.PipelineId), IdText(deal.PipelineId = pipeline), ApiUser(company), now);
            if (stage != deal.StageId) PipedriveGenerator.Move(deal, stage, ApiUser(company), now);
        }
        var status = ApplyDeal(company, body, deal, now, logged: true);
        SetStatus(deal, status, body, ApiUser(company), now);
        deal.UpdateTime = now;
        company.Invalidate();
        One(w, x => PipedriveJson.Deal(x, deal, company.DealFields));
    }

    /// <summary>The pipeline and stage a deal is put in: the stage's pipeline, which must be the one given if both are.</summary>
    private static (long Pipeline, long Stage) Placement(PipedriveCompany company, WriteBody body, SbDeal? deal)
    {
        var pipelineId = body.Id("pipeline_id");
        var stageId = body.Id("stage_id");
        if (pipelineId is { } p && company.Pipelines.All(x => x.Id != p)) throw Invalid($"pipeline_id: Pipeline {p} not found");
        if (stageId is { } s)
        {
            var stage = company.Stages.Find(x => x.Id == s) ?? throw Invalid($"stage_id: Stage {s} not found");
            if (pipelineId is { } pp && stage.PipelineId != pp) throw Invalid($"stage_id: Stage {s} is not in pipeline {pp}");
            return (stage.PipelineId, stage.Id);
        }
        var pipeline = pipelineId ?? deal?.PipelineId ?? company.Pipelines[0].Id;
        if (deal is not null && deal.PipelineId == pipeline) return (pipeline, deal.StageId);
        return (pipeline, company.StagesOf(pipeline)[0].Id);
    }

    /// <summary>Sets the fields besides title, pipeline, stage and status; returns the status asked for, if any.</summary>
    private static string? ApplyDeal(PipedriveCompany company, WriteBody body, SbDeal deal, DateTime now, bool logged)
    {
        void Set<T>(string logKey, T old, T value, Action<T> assign)
        {
            if (EqualityComparer<T>.Default.Equals(old, value)) return;
            assign(value);
            if (logged) Log(deal, logKey, Convert.ToString(old, CultureInfo.InvariantCulture), Convert.ToString(value, CultureInfo.InvariantCulture), ApiUser(company), now);
        }
        if (body.Has("value")) Set("value", deal.Value, body.Number("value") ?? 0, v => deal.Value = v);
        if (body.Has("currency"))
        {
            var code = body.Text("currency") ?? throw Invalid("currency: Required");
            if (company.Currencies.All(c => c.Code != code)) throw Invalid($"currency: Currency {code} not found");
            Set("currency", deal.Currency, code, v => deal.Currency = v);
        }
        if (body.Has("owner_id")) Set("user_id", deal.OwnerId, User(company, body.Id("owner_id")), v => deal.OwnerId = v);
        if (body.Has("person_id"))
            Set("person_id", deal.PersonId, body.Id("person_id") is { } p ? company.FindPerson(p)?.Id ?? throw Invalid($"person_id: Person {p} not found") : null, v => deal.PersonId = v);
        if (body.Has("org_id"))
            Set("org_id", deal.OrgId, body.Id("org_id") is { } o ? company.FindOrganization(o)?.Id ?? throw Invalid($"org_id: Organization {o} not found") : null, v => deal.OrgId = v);
        if (body.Has("expected_close_date")) Set("expected_close_date", deal.ExpectedCloseDate, body.Date("expected_close_date"), v => deal.ExpectedCloseDate = v);
        if (body.Has("probability")) Set("probability", deal.Probability, body.Number("probability") is { } pr ? (int?)pr : null, v => deal.Probability = v);
        if (body.Has("label_ids")) deal.LabelIds = body.Ids("label_ids");
        foreach (var (key, node) in body.CustomFields())
        {
            var field = company.DealFields.Find(f => f.IsCustom && f.Key == key) ?? throw Invalid($"custom_fields: Unknown field {key}");
            var value = CustomValue(field, node, deal.Currency);
            var old = deal.CustomFields.GetValueOrDefault(key);
            if (Equals(old, value)) continue;
            deal.CustomFields[key] = value;
            if (logged) Log(deal, key, Convert.ToString(old, CultureInfo.InvariantCulture), Convert.ToString(value, CultureInfo.InvariantCulture), ApiUser(company), now);
        }
        var status = body.Text("status");
        if (status is not (null or "open" or "won" or "lost"))
            throw Invalid($"status: Invalid enum value. Expected 'open' | 'won' | 'lost', received '{status}'");
        if (body.Has("lost_reason") && (status ?? deal.Status) != "lost") throw Invalid("lost_reason: Can only be set if deal status is lost");
        return status;
    }

    /// <summary>A custom field's value as the deal keeps it: an option id, a number, text, or (amount, currency) for money.</summary>
    private static object? CustomValue(SbDealField field, JsonNode? node, string currency)
    {
        if (node is null) return null;
        var path = new WriteBody(new JsonObject { ["v"] = node.DeepClone() }, $"custom_fields.{field.Key}");
        return field.FieldType switch
        {
            "enum" => path.Id("v") is { } option && field.Options!.Any(o => o.Id == option) ? option : throw Invalid($"custom_fields.{field.Key}: Option not found"),
            "double" => (double)path.Number("v")!.Value,
            "monetary" when node is JsonObject money => Money(new WriteBody(money, $"custom_fields.{field.Key}."), currency),
            "monetary" => (path.Number("v")!.Value, currency),
            _ => path.Text("v"),
        };
    }

    private static (decimal, string) Money(WriteBody money, string currency) => (money.Number("value") ?? 0, money.Text("currency") ?? currency);

    private static void SetStatus(SbDeal deal, string? status, WriteBody body, long actor, DateTime now)
    {
        var reason = body.Text("lost_reason");
        switch (status)
        {
            case "won" when deal.Status != "won": PipedriveGenerator.Win(deal, actor, now); break;
            case "lost" when deal.Status != "lost": PipedriveGenerator.Lose(deal, actor, now, reason ?? ""); break;
            case "lost" when reason is not null: deal.LostReason = reason; break;
            case "open" when deal.Status != "open": PipedriveGenerator.Reopen(deal, actor, now); break;
        }
    }

    /// <summary>One change of a deal in its changelog, made by the API token's user.</summary>
    private static void Log(SbDeal deal, string field, string? oldValue, string? newValue, long actor, DateTime now)
    {
        if (oldValue != newValue) PipedriveGenerator.Change(deal, field, oldValue, newValue, actor, now);
    }

    /// <summary>The user the API token belongs to (GET /users/me): the one who makes the API's changes.</summary>
    private static long ApiUser(PipedriveCompany company) => company.Users[0].Id;

    private static string IdText(long value) => value.ToString(CultureInfo.InvariantCulture);

    // ---- activities ---------------------------------------------------------------------------

    /// <summary>
    /// POST /v2/activities (v1 POST /activities is not in the spec): type is an activity type's key_string (call by default),
    /// due_date yyyy-MM-dd, due_time HH:MM in UTC (none: all day), duration HH:MM; linked records must exist.
    /// </summary>
    private void CreateActivity(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var body = new WriteBody(q.Body);
        var type = body.Text("type") ?? company.ActivityTypes[0].KeyString;
        if (company.ActivityTypes.All(t => t.KeyString != type)) throw Invalid($"type: Activity type {type} not found");
        var now = WriteTime;
        var deal = body.Id("deal_id") is { } d ? company.FindDeal(d) is { IsDeleted: false } found ? found : throw Invalid($"deal_id: Deal {d} not found") : null;
        var person = body.Id("person_id") is { } p ? company.FindPerson(p)?.Id ?? throw Invalid($"person_id: Person {p} not found") : deal?.PersonId;
        var org = body.Id("org_id") is { } o ? company.FindOrganization(o)?.Id ?? throw Invalid($"org_id: Organization {o} not found") : deal?.OrgId;
        var owner = body.Has("owner_id") ? User(company, body.Id("owner_id")) : deal?.OwnerId ?? company.Users[0].Id;
        var dueTime = body.Time("due_time");
        var done = body.Bool("done") ?? false;
        var activity = new SbActivity
        {
            Id = company.NextActivityId(), Subject = body.Text("subject") is { Length: > 0 } s ? s : company.ActivityTypes.First(t => t.KeyString == type).Name,
            Type = type, OwnerId = owner, CreatorUserId = company.Users[0].Id, DealId = deal?.Id, PersonId = person, OrgId = org,
            DueDate = body.Date("due_date") ?? DateOnly.FromDateTime(now), DueTime = dueTime,
            Duration = body.Time("duration") is { } duration ? duration.ToTimeSpan() : null, Busy = body.Bool("busy") ?? dueTime is not null,
            Done = done, MarkedAsDoneTime = done ? now : null, Priority = (int)(body.Id("priority") ?? 0), Note = body.Text("note"),
            AddTime = now, UpdateTime = now,
        };
        company.AddActivity(activity);
        One(w, x => PipedriveJson.Activity(x, activity));
    }

    // ---- notes --------------------------------------------------------------------------------

    /// <summary>POST /v1/notes: content is required, and a deal, person or organization to put it on (each must exist).</summary>
    private void CreateNote(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var body = new WriteBody(q.Body);
        var content = body.Required("content");
        var deal = body.Id("deal_id") is { } d ? company.FindDeal(d) is { IsDeleted: false } found ? found.Id : throw Invalid($"deal_id: Deal {d} not found") : (long?)null;
        var person = body.Id("person_id") is { } p ? company.FindPerson(p)?.Id ?? throw Invalid($"person_id: Person {p} not found") : (long?)null;
        var org = body.Id("org_id") is { } o ? company.FindOrganization(o)?.Id ?? throw Invalid($"org_id: Organization {o} not found") : (long?)null;
        if (deal is null && person is null && org is null) throw Invalid("deal_id, person_id or org_id: one of them is required");
        var now = WriteTime;
        var note = new SbNote { Id = company.NextNoteId(), Content = content, UserId = ApiUser(company), DealId = deal, PersonId = person, OrgId = org, AddTime = now, UpdateTime = now };
        company.Notes.Add(note);
        One(w, x => PipedriveJson.Note(x, note));
    }

    /// <summary>GET /v1/notes: the notes of a deal, person or organization (all of them without one), oldest first, offset-paged.</summary>
    private static void Notes(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var (deal, person, org) = (q.Long("deal_id"), q.Long("person_id"), q.Long("org_id"));
        OffsetPage(w, q, company.Notes.Where(n => (deal is null || n.DealId == deal) && (person is null || n.PersonId == person) && (org is null || n.OrgId == org)),
            PipedriveJson.Note);
    }

    // ---- searches -----------------------------------------------------------------------------

    /// <summary>A search's term and how it matches: exact_match compares the whole value case-insensitively; else a substring.</summary>
    private sealed record SearchTerm(string Term, bool Exact, string[] Fields)
    {
        public bool Hit(string? value) => value is not null &&
            (Exact ? string.Equals(value.Trim(), Term, StringComparison.OrdinalIgnoreCase) : value.Contains(Term, StringComparison.OrdinalIgnoreCase));

        /// <summary>Phone numbers are compared by their digits (+358 40 123 and 35840123 are one number).</summary>
        public bool PhoneHit(string value)
        {
            var (digits, term) = (Digits(value), Digits(Term));
            return term.Length > 0 && (Exact ? digits == term : digits.Contains(term, StringComparison.Ordinal));
        }

        private static string Digits(string text) => new(text.Where(char.IsAsciiDigit).ToArray());
    }

    private static SearchTerm Term(RequestQuery q, string[] fields)
    {
        var term = q.Raw("term")?.Trim() ?? "";
        var exact = q.Bool("exact_match") == true;
        if (term.Length < (exact ? 1 : 2))
            throw new PipedriveError(400, "Validation failed: term: the search term must be at least 2 characters long (1 with exact_match).");
        return new SearchTerm(term, exact, q.List("fields", fields) ?? fields);
    }

    /// <summary>
    /// GET /v2/persons/search: people whose e-mail (fields=email), phone, name or notes hold the term. Items carry e-mails
    /// and phones as plain strings, unlike the person object.
    /// </summary>
    private static void SearchPersons(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var s = Term(q, ["custom_fields", "email", "notes", "phone", "name"]);
        var organization = q.Long("organization_id");
        var found = company.Persons.Where(p => !p.IsDeleted && (organization is null || p.OrgId == organization) &&
            ((s.Fields.Contains("email") && p.Emails.Any(e => s.Hit(e.Value))) || (s.Fields.Contains("phone") && p.Phones.Any(x => s.PhoneHit(x.Value))) ||
             (s.Fields.Contains("name") && s.Hit(p.Name)) || (s.Fields.Contains("custom_fields") && p.CustomFields.Values.Any(v => s.Hit(v?.ToString())))));
        Found(w, q, s, found, (x, p) =>
        {
            x.WriteNumber("id", p.Id);
            x.WriteString("type", "person");
            x.WriteString("name", p.Name);
            x.WriteStartArray("phones"); foreach (var phone in p.Phones) x.WriteStringValue(phone.Value); x.WriteEndArray();
            x.WriteStartArray("emails"); foreach (var e in p.Emails) x.WriteStringValue(e.Value); x.WriteEndArray();
            x.WriteNumber("visible_to", 3);
            Reference(x, "owner", p.OwnerId, null);
            Reference(x, "organization", p.OrgId, p.OrgId is { } org ? company.OrganizationName(org) : null);
        });
    }

    /// <summary>GET /v2/organizations/search: organizations whose name or address holds the term.</summary>
    private static void SearchOrganizations(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var s = Term(q, ["address", "custom_fields", "notes", "name"]);
        var found = company.Organizations.Where(o => !o.IsDeleted && ((s.Fields.Contains("name") && s.Hit(o.Name)) || (s.Fields.Contains("address") && s.Hit(o.Address))));
        Found(w, q, s, found, (x, o) =>
        {
            x.WriteNumber("id", o.Id);
            x.WriteString("type", "organization");
            x.WriteString("name", o.Name);
            if (o.Address is null) x.WriteNull("address"); else x.WriteString("address", o.Address);
            x.WriteNumber("visible_to", 3);
            Reference(x, "owner", o.OwnerId, null);
        });
    }

    /// <summary>GET /v2/deals/search: deals whose title holds the term, optionally of one person, organization or status.</summary>
    private static void SearchDeals(PipedriveCompany company, RequestQuery q, Utf8JsonWriter w)
    {
        var s = Term(q, ["custom_fields", "notes", "title"]);
        var (person, organization) = (q.Long("person_id"), q.Long("organization_id"));
        var status = q.List("status", ["open", "won", "lost"]);
        var found = company.Deals.Where(d => !d.IsDeleted && !d.IsArchived && (person is null || d.PersonId == person) && (organization is null || d.OrgId == organization) &&
            (status is null || status.Contains(d.Status)) &&
            ((s.Fields.Contains("title") && s.Hit(d.Title)) || (s.Fields.Contains("custom_fields") && d.CustomFields.Values.OfType<string>().Any(s.Hit))));
        Found(w, q, s, found, (x, d) =>
        {
            x.WriteNumber("id", d.Id);
            x.WriteString("type", "deal");
            x.WriteString("title", d.Title);
            x.WriteNumber("value", d.Value);
            x.WriteString("currency", d.Currency);
            x.WriteString("status", d.Status);
            x.WriteNumber("visible_to", 3);
            Reference(x, "owner", d.OwnerId, null);
            Reference(x, "stage", d.StageId, company.Stages.Find(st => st.Id == d.StageId)?.Name);
            Reference(x, "person", d.PersonId, d.PersonId is { } p ? company.FindPerson(p)?.Name : null);
            Reference(x, "organization", d.OrgId, d.OrgId is { } o ? company.OrganizationName(o) : null);
        });
    }

    /// <summary>A search's answer: {data: {items: [{result_score, item}]}, additional_data: {next_cursor}}, paged by offset.</summary>
    private static void Found<T>(Utf8JsonWriter w, RequestQuery q, SearchTerm s, IEnumerable<T> found, Action<Utf8JsonWriter, T> item)
    {
        var limit = q.Limit(100, strict: true);
        var offset = q.Cursor() is { } c ? (int)c.Id : 0;
        var page = found.Skip(offset).Take(limit + 1).ToList();
        w.WriteStartObject();
        w.WriteBoolean("success", true);
        w.WriteStartObject("data");
        w.WriteStartArray("items");
        foreach (var x in page.Take(limit))
        {
            w.WriteStartObject();
            w.WriteNumber("result_score", s.Exact ? 1 : 0.5);
            w.WriteStartObject("item");
            item(w, x);
            w.WriteStartArray("custom_fields"); w.WriteEndArray();
            w.WriteStartArray("notes"); w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("additional_data");
        if (page.Count > limit) w.WriteString("next_cursor", EncodeCursor((0, offset + limit))); else w.WriteNull("next_cursor");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Reference(Utf8JsonWriter w, string name, long? id, string? display)
    {
        if (id is not { } value) { w.WriteNull(name); return; }
        w.WriteStartObject(name);
        w.WriteNumber("id", value);
        if (display is not null) w.WriteString("name", display);
        w.WriteEndObject();
    }

    // ---- shared -------------------------------------------------------------------------------

    private static long User(PipedriveCompany company, long? id) =>
        id is { } u ? company.Users.Find(x => x.Id == u)?.Id ?? throw Invalid($"owner_id: User {u} not found") : throw Invalid("owner_id: Expected number, received null");

    /// <summary>A 400 with Pipedrive's validation message: "Validation failed: field: what is wrong".</summary>
    private static PipedriveError Invalid(string detail) => new(400, "Validation failed: " + detail);

    private static string TypeName(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Array => "array",
        _ => "object",
    };

    /// <summary>A write's JSON body, read field by field with Pipedrive's type checks ("Expected number, received string").</summary>
    private sealed class WriteBody(JsonObject body, string prefix = "")
    {
        public bool Has(string name) => body.ContainsKey(name);
        public JsonNode? Node(string name) => body[name];

        private T? Value<T>(string name, JsonValueKind kind, string expected) where T : struct
        {
            var node = body[name];
            if (node is null) return null;
            var actual = node.GetValueKind();
            var matches = kind == JsonValueKind.True ? actual is JsonValueKind.True or JsonValueKind.False : actual == kind;
            return matches && node.AsValue().TryGetValue<T>(out var value) ? value : throw Invalid($"{prefix}{name}: Expected {expected}, received {TypeName(node)}");
        }

        /// <summary>A text that must be there and not blank.</summary>
        public string Required(string name) => Text(name) is { Length: > 0 } text ? text : throw Invalid($"{prefix}{name}: Required");

        public string? Text(string name)
        {
            var node = body[name];
            if (node is null) return null;
            return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>().Trim() : throw Invalid($"{prefix}{name}: Expected string, received {TypeName(node)}");
        }

        public long? Id(string name) => Value<long>(name, JsonValueKind.Number, "integer");
        public decimal? Number(string name) => Value<decimal>(name, JsonValueKind.Number, "number");
        public bool? Bool(string name) => Value<bool>(name, JsonValueKind.True, "boolean");

        public DateOnly? Date(string name) => Text(name) is { } text
            ? DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : throw Invalid($"{prefix}{name}: Invalid date, expected YYYY-MM-DD")
            : null;

        public TimeOnly? Time(string name) => Text(name) is { Length: > 0 } text
            ? TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : throw Invalid($"{prefix}{name}: Invalid time, expected HH:MM")
            : null;

        public long[] Ids(string name) => body[name] switch
        {
            null => [],
            JsonArray items => items.Select((_, i) => new WriteBody(new JsonObject { ["v"] = items[i]?.DeepClone() }, $"{prefix}{name}/{i}").Id("v") ?? 0).ToArray(),
            var other => throw Invalid($"{prefix}{name}: Expected array, received {TypeName(other)}"),
        };

        /// <summary>An e-mail or phone list: [{value, primary, label}]; the first is primary when none is.</summary>
        public List<SbContactPoint> Points(string name)
        {
            if (body[name] is null) return [];
            if (body[name] is not JsonArray items) throw Invalid($"{prefix}{name}: Expected array, received {TypeName(body[name])}");
            var points = new List<SbContactPoint>();
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i] is not JsonObject item) throw Invalid($"{prefix}{name}/{i}: Expected object, received {TypeName(items[i])}");
                var part = new WriteBody(item, $"{prefix}{name}/{i}/");
                var value = part.Required("value");
                var label = part.Text("label") ?? "work";
                if (!PointLabels.Contains(label))
                    throw Invalid($"{prefix}{name}/{i}/label: Invalid enum value. Expected 'work' | 'home' | 'mobile' | 'other', received '{label}'");
                points.Add(new SbContactPoint(value, label, part.Bool("primary") == true));
            }
            if (points.Count > 0 && !points.Any(p => p.Primary)) points[0] = points[0] with { Primary = true };
            return points;
        }

        /// <summary>custom_fields: an object keyed by 40-character field keys.</summary>
        public List<KeyValuePair<string, JsonNode?>> CustomFields() => body["custom_fields"] switch
        {
            null => [],
            JsonObject fields => fields.ToList(),
            var other => throw Invalid($"{prefix}custom_fields: Expected object, received {TypeName(other)}"),
        };
    }
}
