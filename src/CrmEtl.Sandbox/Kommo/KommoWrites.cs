using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// API v4's writes (contacts-api.md, companies-api.md, leads-api.md incl. 'Комплексное добавление сделок с контактом
/// и компанией', tasks-api.md, events-and-notes.md 'Добавление примечаний'), made on the account's generated data
/// under its lock, so that the next read lists them: a batch is read and validated whole, then written whole, or
/// refused whole with a 400 that lists every record's errors. Times are the sandbox clock's, in whole seconds;
/// created_at, updated_at, created_by and updated_by sent by the client are not honoured.
/// </summary>
internal static class KommoWrites
{
    /// <summary>leads-api.md, 'Комплексное добавление…', 'Ограничения': at most 50 leads a request, 40 field values a record.</summary>
    public const int MaxComplexLeads = 50, MaxComplexFieldValues = 40;

    /// <summary>duplication-control.md, 'При обнаружении нескольких дублей': with more than 3 duplicates nothing is merged.</summary>
    private const int MaxDuplicates = 3;

    /// <summary>
    /// The one shape of every write: each record of the body read into a draft (its errors kept), the batch refused
    /// whole when any record has one, else each draft written, and the account's views dropped.
    /// </summary>
    private static List<T> WriteBatch<TDraft, T>(KommoAccount account, JsonNode? body, string what, long? single,
        Func<KommoWriteRecord, TDraft> read, Func<TDraft, T> write, int? max = null, string? tooMany = null)
    {
        var records = KommoWriteRecord.Batch(body, what, single);
        if (records.Count > max) throw KommoError.BadRequest($"{tooMany}: {records.Count} were sent.");
        var drafts = records.Select(read).ToList();
        KommoWriteRecord.ThrowIfInvalid(records);
        var written = drafts.Select(write).ToList();
        account.Invalidate();
        return written;
    }

    // ---- contacts -----------------------------------------------------------------------------------------------------

    private sealed record ContactDraft(KommoWriteRecord Record, string? Name, string? FirstName, string? LastName, long? Owner,
        List<(KommoField Field, IReadOnlyList<KommoFieldValue> Values)> Fields, KommoTagChange Tags, SbPerson? Existing);

    public static void AddContacts(KommoAccount account, JsonNode? body, Utf8JsonWriter w, DateTime now)
    {
        var added = WriteBatch(account, body, "contacts", null, r => ReadContact(account, r, update: false),
            d => (account.ContactId(CreateContact(account, d, now).Id), d.Record.RequestId));
        KommoJson.Added(w, account, "contacts", added);
    }

    public static void UpdateContacts(KommoAccount account, JsonNode? body, long? single, Utf8JsonWriter w, DateTime now)
    {
        var updated = WriteBatch(account, body, "contacts", single, r => ReadContact(account, r, update: true), d =>
        {
            ApplyContact(account, d.Existing!, d, now);
            return (account.ContactId(d.Existing!.Id), (string?)d.Existing.Name, now);
        });
        KommoJson.Updated(w, account, "contacts", updated, single is not null);
    }

    private static ContactDraft ReadContact(KommoAccount account, KommoWriteRecord r, bool update, int? maxFields = null)
    {
        var existing = update ? Existing(r, id => account.FindContact(id)) : null;
        return new ContactDraft(r, r.Text("name"), r.Text("first_name"), r.Text("last_name"), r.User(account, "responsible_user_id"),
            r.Fields(account.ContactFields, maxFields), r.Tags(account), existing);
    }

    /// <summary>The record a PATCH names by its id: a missing or unknown id is a validation error (the docs answer only 200, 400 or 401).</summary>
    private static T? Existing<T>(KommoWriteRecord r, Func<long, T?> find) where T : class
    {
        if (!r.Has("id"))
        {
            r.Error(KommoWriteRecord.NotBlank, "id", "This value should not be blank.");
            return null;
        }
        if (r.Long("id") is not { } id) return null;
        var found = find(id);
        if (found is null) r.Error(KommoWriteRecord.NotFound, "id", $"No record with id {id}.");
        return found;
    }

    private static SbPerson CreateContact(KommoAccount account, ContactDraft draft, DateTime now)
    {
        var person = new SbPerson
        {
            Id = account.Data.NextPersonId(), OwnerId = draft.Owner ?? DefaultUser(account), AddTime = now, UpdateTime = now,
        };
        account.Data.Persons.Add(person);
        ApplyContact(account, person, draft, now);
        return person;
    }

    /// <summary>
    /// first_name and last_name as sent; a name alone is split at its first space (the generated model keeps a
    /// contact's name as the two). PHONE and EMAIL values replace the contact's phones or e-mails; other fields are
    /// kept beside it.
    /// </summary>
    private static void ApplyContact(KommoAccount account, SbPerson person, ContactDraft draft, DateTime now)
    {
        if (draft.FirstName is not null || draft.LastName is not null)
        {
            if (draft.FirstName is not null) person.FirstName = draft.FirstName;
            if (draft.LastName is not null) person.LastName = draft.LastName;
        }
        else if (draft.Name is { } name)
        {
            var parts = name.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            (person.FirstName, person.LastName) = (parts.ElementAtOrDefault(0) ?? "", parts.ElementAtOrDefault(1) ?? "");
        }
        if (draft.Owner is { } owner) person.OwnerId = owner;
        var id = account.ContactId(person.Id);
        foreach (var (field, values) in draft.Fields)
        {
            List<SbContactPoint> Points() => [.. values.Select((v, i) => new SbContactPoint(v.Value, KommoAccount.Label(v.EnumCode ?? "WORK"), i == 0))];
            switch (field.Code)
            {
                case "PHONE": person.Phones = Points(); break;
                case "EMAIL": person.Emails = Points(); break;
                default: KeepField(account, "contacts", id, field, values); break;
            }
        }
        Tag(account, "contacts", id, draft.Tags);
        person.UpdateTime = now;
    }

    // ---- companies ----------------------------------------------------------------------------------------------------

    private sealed record CompanyDraft(KommoWriteRecord Record, string? Name, long? Owner,
        List<(KommoField Field, IReadOnlyList<KommoFieldValue> Values)> Fields, KommoTagChange Tags, SbOrganization? Existing);

    public static void AddCompanies(KommoAccount account, JsonNode? body, Utf8JsonWriter w, DateTime now)
    {
        var added = WriteBatch(account, body, "companies", null, r => ReadCompany(account, r, update: false),
            d => (account.CompanyId(CreateCompany(account, d, now).Id), d.Record.RequestId));
        KommoJson.Added(w, account, "companies", added);
    }

    public static void UpdateCompanies(KommoAccount account, JsonNode? body, long? single, Utf8JsonWriter w, DateTime now)
    {
        var updated = WriteBatch(account, body, "companies", single, r => ReadCompany(account, r, update: true), d =>
        {
            ApplyCompany(account, d.Existing!, d, now);
            return (account.CompanyId(d.Existing!.Id), (string?)d.Existing.Name, now);
        });
        KommoJson.Updated(w, account, "companies", updated, single is not null);
    }

    private static CompanyDraft ReadCompany(KommoAccount account, KommoWriteRecord r, bool update, int? maxFields = null)
    {
        var existing = update ? Existing(r, id => account.FindCompany(id)) : null;
        return new CompanyDraft(r, r.Text("name"), r.User(account, "responsible_user_id"), r.Fields(account.CompanyFields, maxFields), r.Tags(account), existing);
    }

    private static SbOrganization CreateCompany(KommoAccount account, CompanyDraft draft, DateTime now)
    {
        var organization = new SbOrganization
        {
            Id = account.Data.Organizations.Count == 0 ? 1 : account.Data.Organizations.Max(o => o.Id) + 1,
            OwnerId = draft.Owner ?? DefaultUser(account), AddTime = now, UpdateTime = now,
        };
        account.Data.Organizations.Add(organization);
        ApplyCompany(account, organization, draft, now);
        return organization;
    }

    /// <summary>A company's phone, e-mail, web site and address are generated from its name; values written replace them field by field.</summary>
    private static void ApplyCompany(KommoAccount account, SbOrganization organization, CompanyDraft draft, DateTime now)
    {
        if (draft.Name is { } name) organization.Name = name;
        if (draft.Owner is { } owner) organization.OwnerId = owner;
        var id = account.CompanyId(organization.Id);
        foreach (var (field, values) in draft.Fields) KeepField(account, "companies", id, field, values);
        Tag(account, "companies", id, draft.Tags);
        organization.UpdateTime = now;
    }

    private static void KeepField(KommoAccount account, string entityType, long id, KommoField field, IReadOnlyList<KommoFieldValue> values)
    {
        if (!account.Written.FieldValues.TryGetValue((entityType, id), out var fields)) account.Written.FieldValues[(entityType, id)] = fields = [];
        fields[field.Id] = values;
    }

    private static void Tag(KommoAccount account, string entityType, long id, KommoTagChange change)
    {
        if (change.IsEmpty) return;
        account.Written.EntityTags[(entityType, id)] = KommoWriteRecord.Apply(account, account.Written.TagsOf(entityType, id), change);
    }

    // ---- leads --------------------------------------------------------------------------------------------------------

    private sealed record LeadDraft(KommoWriteRecord Record, string? Name, long? Price, (SbPipeline Pipeline, long StatusId)? Placement, long? Owner,
        string? LossReason, List<(KommoField Field, IReadOnlyList<KommoFieldValue> Values)> Fields, KommoTagChange Tags, SbDeal? Existing,
        long? PersonId, long? OrgId);

    public static void AddLeads(KommoAccount account, JsonNode? body, Utf8JsonWriter w, DateTime now)
    {
        var added = WriteBatch(account, body, "leads", null, r => ReadLead(account, r, null, links: true),
            d => (account.LeadId(CreateLead(account, d, d.PersonId, d.OrgId, now)), d.Record.RequestId));
        KommoJson.Added(w, account, "leads", added);
    }

    /// <summary>PATCH: name, price, responsible, fields, tags, loss reason; status_id and pipeline_id move the lead as <see cref="KommoLeadHistory.Move"/> does.</summary>
    public static void UpdateLeads(KommoAccount account, JsonNode? body, long? single, Utf8JsonWriter w, DateTime now)
    {
        var updated = WriteBatch(account, body, "leads", single,
            r => ReadLead(account, r, Existing(r, id => account.FindDeal(id) is { IsDeleted: false } deal ? deal : null), links: false), d =>
            {
                ApplyLead(account, d.Existing!, d, now);
                return (account.LeadId(d.Existing!), (string?)null, d.Existing!.UpdateTime);
            });
        KommoJson.Updated(w, account, "leads", updated, single is not null);
    }

    private static LeadDraft ReadLead(KommoAccount account, KommoWriteRecord r, SbDeal? existing, bool links, int? maxFields = null)
    {
        var current = existing is null ? null : account.Data.Pipelines.Find(p => p.Id == existing.PipelineId);
        var moves = existing is null || r.Has("status_id") || r.Has("pipeline_id");
        var placement = moves ? r.Placement(account, current, allowUnsorted: existing is null) : null;
        var price = r.Long("price");
        if (price < 0) r.Error(KommoWriteRecord.InvalidType, "price", "This value should be greater than or equal to 0.");
        string? lossReason = null;
        if (r.Long("loss_reason_id") is { } reasonId)
        {
            lossReason = account.LossReasons.FirstOrDefault(l => l.Id == reasonId)?.Name;
            if (lossReason is null) r.Choice("loss_reason_id");
        }
        long? person = null, organization = null;
        if (links)
        {
            // leads-api.md, 'Добавление сделок': contacts and companies are linked by id. The generated model keeps one
            // contact and one company a lead; the main contact (is_main), else the first, is the one kept.
            var contacts = Enumerable.Range(0, r.EmbeddedCount("contacts")).Select(i => r.Embedded("contacts", i)).ToList();
            var main = contacts.FindIndex(c => c?.Json["is_main"] is JsonValue v && v.TryGetValue<bool>(out var m) && m);
            var contact = contacts.ElementAtOrDefault(main < 0 ? 0 : main);
            if (contact is not null) person = LinkedId(contact, id => account.FindContact(id)?.Id);
            if (r.Embedded("companies", 0) is { } company) organization = LinkedId(company, id => account.FindCompany(id)?.Id);
        }
        return new LeadDraft(r, r.Text("name"), price, placement, r.User(account, "responsible_user_id"), lossReason,
            r.Fields(account.LeadFields, maxFields), r.Tags(account), existing, person, organization);
    }

    private static long? LinkedId(KommoWriteRecord link, Func<long, long?> find)
    {
        if (!link.Has("id"))
        {
            link.Error(KommoWriteRecord.NotBlank, "id", "This value should not be blank.");
            return null;
        }
        if (link.Long("id") is not { } id) return null;
        var found = find(id);
        if (found is null) link.Choice("id");
        return found;
    }

    private static SbDeal CreateLead(KommoAccount account, LeadDraft draft, long? personId, long? orgId, DateTime now)
    {
        var (pipeline, status) = draft.Placement!.Value;
        var stages = account.Data.StagesOf(pipeline.Id);
        var stage = stages.FirstOrDefault(s => account.StatusId(s.Id) == status) ?? stages[0];
        var owner = draft.Owner ?? DefaultUser(account);
        var deal = new SbDeal
        {
            Id = account.Data.NextDealId(), Value = draft.Price ?? 0, Currency = account.Options.Currency, PipelineId = pipeline.Id, StageId = stage.Id,
            OwnerId = owner, PersonId = personId, OrgId = orgId, AddTime = now, UpdateTime = now,
            // A lead added into the pipeline's incoming status is an Unsorted one (KommoAccount.StartsInUnsorted).
            Origin = status == account.UnsortedStatusId(pipeline.Id) ? "API" : "ManuallyCreated",
        };
        // Kommo names a lead sent without a name by its number.
        deal.Title = draft.Name ?? $"Lead #{account.LeadId(deal)}";
        account.Data.AddDeal(deal);
        SetLeadFields(account, deal, draft);
        deal.LabelIds = KommoWriteRecord.Apply(account, [], draft.Tags);
        // Added straight into 142 or 143: made in the first stage and closed at once (one lead_status_changed).
        if (status is KommoAccount.Won or KommoAccount.Lost) KommoLeadHistory.Move(account, deal, pipeline.Id, status, owner, now, draft.LossReason);
        return deal;
    }

    private static void ApplyLead(KommoAccount account, SbDeal deal, LeadDraft draft, DateTime now)
    {
        if (draft.Name is { } name) deal.Title = name;
        if (draft.Price is { } price) (deal.Value, deal.Currency) = (price, account.Options.Currency);
        if (draft.Owner is { } owner) deal.OwnerId = owner;
        SetLeadFields(account, deal, draft);
        deal.LabelIds = KommoWriteRecord.Apply(account, deal.LabelIds, draft.Tags);
        if (draft.Placement is var (pipeline, status))
        {
            var lead = KommoLeadHistory.Arrivals(account, deal)[^1];
            if (lead.StatusId != status || lead.PipelineId != account.PipelineId(pipeline.Id))
                KommoLeadHistory.Move(account, deal, pipeline.Id, status, draft.Owner ?? deal.OwnerId, now, draft.LossReason);
        }
        if (draft.LossReason is { } reason && deal.Status == "lost") deal.LostReason = reason;
        deal.UpdateTime = now;
    }

    /// <summary>Lead fields hold the generated deal's values: text, a number, an option id (select) or an amount in the account's currency (monetary).</summary>
    private static void SetLeadFields(KommoAccount account, SbDeal deal, LeadDraft draft)
    {
        foreach (var (field, values) in draft.Fields)
        {
            if (values.Count == 0)
            {
                deal.CustomFields.Remove(field.DealFieldKey!);
                continue;
            }
            var value = values[0];
            deal.CustomFields[field.DealFieldKey!] = field.Type switch
            {
                "select" => account.Data.DealFields.First(f => f.Key == field.DealFieldKey).Options!.First(o => account.EnumId(100 + (int)o.Id) == value.EnumId).Id,
                "numeric" => double.Parse(value.Value, CultureInfo.InvariantCulture),
                "monetary" => (decimal.Parse(value.Value, NumberStyles.Float, CultureInfo.InvariantCulture), account.Options.Currency),
                _ => value.Value,
            };
        }
    }

    // ---- complex ------------------------------------------------------------------------------------------------------

    /// <summary>One lead of POST /api/v4/leads/complex as answered: what was made or merged into, and whether a duplicate was merged.</summary>
    internal sealed record ComplexResult(long Id, long? ContactId, long? CompanyId, string RequestId, bool Merged);

    /// <summary>
    /// POST /api/v4/leads/complex: each lead with at most one contact and one company, each an id or a whole new
    /// record; a new contact and company are linked to each other. With the integration's duplicate control on
    /// (duplication-control.md, 'Email', 'Телефон'), a new contact whose e-mail or phone an existing contact has
    /// (one to three of them; the newest) is not made: the lead gets that contact, and when that contact is the main
    /// one of an open lead in the same pipeline, the lead is merged into the newest such lead (no new lead; its data
    /// kept, 'Оставить данные текущей сделки'). Within one request nothing is deduplicated.
    /// </summary>
    public static void AddLeadsComplex(KommoAccount account, JsonNode? body, Utf8JsonWriter w, DateTime now) =>
        KommoJson.Complex(w, WriteBatch(account, body, "leads", null, r => ReadComplex(account, r), d => WriteComplex(account, d, now),
            MaxComplexLeads, $"За один запрос можно передать не более {MaxComplexLeads} сделок"));

    /// <summary>A lead of a complex add, with its contact and company: each either an existing one's id or a new record.</summary>
    private sealed record ComplexDraft(LeadDraft Lead, long? ContactLink, ContactDraft? NewContact, long? CompanyLink, CompanyDraft? NewCompany);

    private static ComplexDraft ReadComplex(KommoAccount account, KommoWriteRecord r)
    {
        var lead = ReadLead(account, r, null, links: false, MaxComplexFieldValues);
        foreach (var list in (string[])["contacts", "companies"])
            if (r.EmbeddedCount(list) > 1) r.Error("TooManyElements", $"_embedded.{list}", "This collection should contain 1 element or less.");
        var (contactLink, newContact, companyLink, newCompany) = ((long?)null, (ContactDraft?)null, (long?)null, (CompanyDraft?)null);
        if (r.Embedded("contacts", 0) is { } contact)
        {
            if (IsLink(contact)) contactLink = LinkedId(contact, id => account.FindContact(id)?.Id);
            else newContact = ReadContact(account, contact, update: false, MaxComplexFieldValues);
        }
        if (r.Embedded("companies", 0) is { } company)
        {
            if (IsLink(company)) companyLink = LinkedId(company, id => account.FindCompany(id)?.Id);
            else newCompany = ReadCompany(account, company, update: false, MaxComplexFieldValues);
        }
        return new ComplexDraft(lead, contactLink, newContact, companyLink, newCompany);
    }

    private static ComplexResult WriteComplex(KommoAccount account, ComplexDraft draft, DateTime now)
    {
        var personId = draft.ContactLink;
        var merged = false;
        SbPerson? newPerson = null;
        if (draft.NewContact is { } newContact)
        {
            if (account.Written.DuplicateControl && Duplicate(account, newContact) is { } existing) (personId, merged) = (existing.Id, true);
            else personId = (newPerson = CreateContact(account, newContact, now)).Id;
        }
        var orgId = draft.CompanyLink ?? (draft.NewCompany is { } newCompany ? CreateCompany(account, newCompany, now).Id : null);
        // 'При создании нового контакта и компании, они будут связаны между собой.'
        if (newPerson is not null && draft.NewCompany is not null) newPerson.OrgId = orgId;
        var pipeline = draft.Lead.Placement!.Value.Pipeline;
        var into = merged
            ? account.Data.Deals.Where(d => !d.IsDeleted && d.Status == "open" && d.PersonId == personId && d.PipelineId == pipeline.Id).MaxBy(d => d.AddTime)
            : null;
        if (into is not null)
        {
            into.UpdateTime = now;
            into.OrgId ??= orgId;
        }
        var deal = into ?? CreateLead(account, draft.Lead, personId, orgId, now);
        return new ComplexResult(account.LeadId(deal), personId is { } p ? account.ContactId(p) : null, orgId is { } o ? account.CompanyId(o) : null,
            draft.Lead.Record.RequestId, merged);
    }

    /// <summary>An embedded record that carries only its id (and is_main) links an existing one.</summary>
    private static bool IsLink(KommoWriteRecord record) => record.Has("id") && record.Json.All(p => p.Key is "id" or "is_main");

    /// <summary>The newest contact with one of the new contact's e-mails (in any case) or phones (by their digits), when there are one to three.</summary>
    private static SbPerson? Duplicate(KommoAccount account, ContactDraft contact)
    {
        var values = contact.Fields.Where(f => f.Field.Code is "EMAIL" or "PHONE").ToList();
        var emails = values.Where(f => f.Field.Code == "EMAIL").SelectMany(f => f.Values).Select(v => v.Value.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var phones = values.Where(f => f.Field.Code == "PHONE").SelectMany(f => f.Values).Select(v => Digits(v.Value)).Where(d => d.Length > 0).ToHashSet();
        if (emails.Count == 0 && phones.Count == 0) return null;
        var found = account.Data.Persons.Where(p => !p.IsDeleted
            && (p.Emails.Exists(e => emails.Contains(e.Value.Trim())) || p.Phones.Exists(t => phones.Contains(Digits(t.Value))))).ToList();
        return found.Count is > 0 and <= MaxDuplicates ? found.MaxBy(p => p.AddTime) : null;
    }

    /// <summary>A phone's digits, as Kommo compares phones in one (international) format.</summary>
    private static string Digits(string phone) => new([.. phone.Where(char.IsAsciiDigit)]);

    // ---- tasks and notes ----------------------------------------------------------------------------------------------

    /// <summary>POST /api/v4/tasks: text and complete_till are required; entity_type and entity_id name an existing lead, contact or company.</summary>
    public static void AddTasks(KommoAccount account, JsonNode? body, Utf8JsonWriter w, DateTime now)
    {
        var added = WriteBatch(account, body, "tasks", null, r =>
        {
            var text = r.RequiredText("text");
            var due = r.Long("complete_till");
            if (due is null && !r.Errors.Any(e => e.Path == "complete_till")) r.Error(KommoWriteRecord.NotBlank, "complete_till", "This value should not be blank.");
            var type = r.Long("task_type_id") ?? 1;
            if (!account.TaskTypes.Any(t => t.Id == type)) r.Choice("task_type_id");
            var entity = Entity(account, r);
            var duration = r.Long("duration");
            return (Record: r, Text: text, Due: due, Type: type, Entity: entity, Owner: r.User(account, "responsible_user_id"), Done: r.Bool("is_completed") ?? false, Duration: duration);
        }, d =>
        {
            var due = DateTime.UnixEpoch.AddSeconds(d.Due!.Value);
            var owner = d.Owner ?? DefaultUser(account);
            var activity = new SbActivity
            {
                Id = account.Data.NextActivityId(), Subject = d.Text!, Type = ActivityType(d.Type), OwnerId = owner, CreatorUserId = owner,
                DealId = d.Entity?.DealId, PersonId = d.Entity?.PersonId, OrgId = d.Entity?.OrgId,
                DueDate = DateOnly.FromDateTime(due), DueTime = TimeOnly.FromDateTime(due), Duration = d.Duration is { } s ? TimeSpan.FromSeconds(s) : null,
                Done = d.Done, MarkedAsDoneTime = d.Done ? now : null, AddTime = now, UpdateTime = now,
            };
            account.Data.AddActivity(activity);
            return (account.TaskId(activity), d.Record.RequestId);
        });
        KommoJson.Added(w, account, "tasks", added);
    }

    private sealed record EntityRef(long? DealId, long? PersonId, long? OrgId);

    /// <summary>A task's entity_type and entity_id (error-codes.md, 235–237: no type, or no such lead or contact).</summary>
    private static EntityRef? Entity(KommoAccount account, KommoWriteRecord r)
    {
        var type = r.Text("entity_type");
        var id = r.Long("entity_id");
        if (type is null && id is null) return null;
        if (type is null || id is null)
        {
            r.Error(KommoWriteRecord.NotBlank, type is null ? "entity_type" : "entity_id", "entity_type and entity_id go together.");
            return null;
        }
        var found = type switch
        {
            "leads" => account.FindDeal(id.Value) is { IsDeleted: false } deal ? new EntityRef(deal.Id, null, null) : null,
            "contacts" => account.FindContact(id.Value) is { } p ? new EntityRef(null, p.Id, null) : null,
            "companies" => account.FindCompany(id.Value) is { } o ? new EntityRef(null, null, o.Id) : null,
            _ => null,
        };
        if (found is null) r.Choice(type is "leads" or "contacts" or "companies" ? "entity_id" : "entity_type");
        return found;
    }

    /// <summary>The generated activity type a task type is kept as (the inverse of <see cref="KommoAccount.TaskTypeId"/>; 1 as a plain task, not a call).</summary>
    private static string ActivityType(long taskTypeId) => taskTypeId switch
    {
        2 => "meeting", 2_905_001 => "email", 2_905_002 => "deadline", 2_905_003 => "lunch", _ => "task",
    };

    /// <summary>The note types the sandbox takes (events-and-notes.md, 'Типы примечаний'): common with params.text, and logged calls.</summary>
    private static readonly string[] NoteTypes = ["common", "call_in", "call_out"];

    /// <summary>POST /api/v4/{entity_type}/notes (entity_id in each note) and /api/v4/{entity_type}/{entity_id}/notes.</summary>
    public static void AddNotes(KommoAccount account, JsonNode? body, string entityType, long? entityId, Utf8JsonWriter w, DateTime now)
    {
        var added = WriteBatch(account, body, "notes", null, r =>
        {
            var target = entityId ?? r.Long("entity_id");
            if (target is null && !r.Errors.Any(e => e.Path == "entity_id")) r.Error(KommoWriteRecord.NotBlank, "entity_id", "This value should not be blank.");
            else if (target is { } t && !Exists(account, entityType, t)) r.Choice("entity_id");
            var type = r.Text("note_type");
            if (type is null || !NoteTypes.Contains(type)) r.Choice("note_type");
            var parameters = new List<KeyValuePair<string, object>>();
            if (r.Json["params"] is JsonObject given)
            {
                foreach (var (name, value) in given)
                {
                    if (value is JsonValue v && v.TryGetValue<long>(out var number)) parameters.Add(new(name, number));
                    else if (value is JsonValue s && s.TryGetValue<string>(out var text)) parameters.Add(new(name, text));
                }
            }
            if (type == "common" && !parameters.Exists(p => p.Key == "text" && p.Value is string { Length: > 0 }))
                r.Error(KommoWriteRecord.NotBlank, "params.text", "This value should not be blank.");
            // created_by 0 is the robot (leads-api.md, 'created_by'); the note is then the responsible user's.
            var by = r.Json["created_by"] is JsonValue robot && robot.TryGetValue<long>(out var zero) && zero == 0 ? null : r.User(account, "created_by");
            return (Record: r, Target: target, Type: type, Params: parameters, Owner: r.User(account, "responsible_user_id"), By: by);
        }, d =>
        {
            var note = new KommoNote(account.WrittenNoteId(account.Written.Notes.Count + 1), entityType, d.Target!.Value, d.Type!, now,
                d.By ?? d.Owner ?? DefaultUser(account), d.Owner ?? d.By ?? DefaultUser(account), d.Params);
            account.Written.Notes.Add(note);
            return (note, d.Record.RequestId);
        });
        KommoJson.NotesAdded(w, account, entityType, added);
    }

    private static bool Exists(KommoAccount account, string entityType, long id) => entityType switch
    {
        "leads" => account.FindDeal(id) is { IsDeleted: false },
        "contacts" => account.FindContact(id) is not null,
        _ => account.FindCompany(id) is not null,
    };

    /// <summary>The integration acts as the account's first user: the responsible one when a write names none ('по-умолчанию ID текущего пользователя').</summary>
    private static long DefaultUser(KommoAccount account) => account.Data.Users[0].Id;
}
