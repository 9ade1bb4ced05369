using System.Globalization;
using System.Text.Json;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// The lists and records of API v4 with the filters and orders the docs give each (leads-api.md, filters-api.md,
/// contacts-api.md, companies-api.md, tasks-api.md, events-and-notes.md, custom-fields.md). Run under the account's
/// lock; a record that does not exist, or an empty page, is 204.
/// </summary>
internal static class KommoLists
{
    public const int MaxLimit = 250, MaxEventLimit = 100, MaxFieldLimit = 50, MaxEntityIds = 10;

    public static void Leads(KommoAccount account, KommoQuery q, Utf8JsonWriter w)
    {
        var views = account.Views;
        var deleted = q.With.Contains("only_deleted");
        IEnumerable<KommoLead> leads = views.Leads.Where(l => l.Deal.IsDeleted == deleted);
        if (q.Longs("filter[id]") is { Count: > 0 } ids) leads = leads.Where(l => ids.Contains(l.Id));
        if (q.Longs("filter[pipeline_id]") is { Count: > 0 } pipelines) leads = leads.Where(l => pipelines.Contains(l.PipelineId));
        if (q.StatusPairs("filter[statuses]") is { Count: > 0 } statuses) leads = leads.Where(l => statuses.Contains((l.PipelineId, l.StatusId)));
        if (q.Longs("filter[responsible_user_id]") is { Count: > 0 } owners) leads = leads.Where(l => owners.Contains(account.UserId(l.Deal.OwnerId)));
        leads = InRange(leads, q, "filter[created_at]", l => l.Deal.AddTime);
        leads = InRange(leads, q, "filter[updated_at]", l => l.Deal.UpdateTime);
        leads = InRange(leads, q, "filter[closed_at]", l => l.StatusId is KommoAccount.Won or KommoAccount.Lost ? l.Arrivals[^1].At : null);
        if (q.Raw("query") is { Length: > 0 } search)
            leads = leads.Where(l => Matches(search, l.Deal.Title, l.Id.ToString(CultureInfo.InvariantCulture)) || l.Deal.CustomFields.Values.Any(v => Matches(search, v?.ToString())));
        var ordered = Ordered(leads, q.Order("created_at", "updated_at", "id"), l => l.Id, l => l.Deal.AddTime, l => l.Deal.UpdateTime);
        q.WritePage(w, account.BaseUrl, "leads", ordered, MaxLimit, (jw, l) => KommoJson.Lead(jw, account, views, l, q.With));
    }

    public static void Lead(KommoAccount account, KommoQuery q, Utf8JsonWriter w, long id)
    {
        var lead = account.FindDeal(id) is { IsDeleted: false } deal ? account.Views.Leads.FirstOrDefault(l => l.Deal == deal) : null;
        KommoJson.Lead(w, account, account.Views, lead ?? throw new KommoNoContent(), q.With);
    }

    public static void Contacts(KommoAccount account, KommoQuery q, Utf8JsonWriter w)
    {
        var views = account.Views;
        IEnumerable<SbPerson> persons = account.Data.Persons.Where(p => !p.IsDeleted);
        if (q.Longs("filter[id]") is { Count: > 0 } ids) persons = persons.Where(p => ids.Contains(account.ContactId(p.Id)));
        if (q.Longs("filter[responsible_user_id]") is { Count: > 0 } owners) persons = persons.Where(p => owners.Contains(account.UserId(p.OwnerId)));
        persons = InRange(persons, q, "filter[created_at]", p => p.AddTime);
        persons = InRange(persons, q, "filter[updated_at]", p => p.UpdateTime);
        if (q.Raw("query") is { Length: > 0 } search)
            persons = persons.Where(p => Matches(search, p.Name) || p.Emails.Exists(e => Matches(search, e.Value)) || p.Phones.Exists(t => Matches(search, t.Value)));
        var ordered = Ordered(persons, q.Order("updated_at", "id"), p => account.ContactId(p.Id), p => p.AddTime, p => p.UpdateTime);
        q.WritePage(w, account.BaseUrl, "contacts", ordered, MaxLimit, (jw, p) => KommoJson.Contact(jw, account, views, p, q.With));
    }

    public static void Contact(KommoAccount account, KommoQuery q, Utf8JsonWriter w, long id)
    {
        var person = account.FindContact(id) ?? throw new KommoNoContent();
        KommoJson.Contact(w, account, account.Views, person, q.With);
    }

    public static void Companies(KommoAccount account, KommoQuery q, Utf8JsonWriter w)
    {
        var views = account.Views;
        IEnumerable<SbOrganization> companies = account.Data.Organizations.Where(o => !o.IsDeleted);
        if (q.Longs("filter[id]") is { Count: > 0 } ids) companies = companies.Where(o => ids.Contains(account.CompanyId(o.Id)));
        if (q.Longs("filter[responsible_user_id]") is { Count: > 0 } owners) companies = companies.Where(o => owners.Contains(account.UserId(o.OwnerId)));
        companies = InRange(companies, q, "filter[created_at]", o => o.AddTime);
        companies = InRange(companies, q, "filter[updated_at]", o => o.UpdateTime);
        if (q.Raw("query") is { Length: > 0 } search)
            companies = companies.Where(o => Matches(search, [o.Name, .. KommoJson.CompanyValues(account, o).SelectMany(f => f.Values).Select(v => v.Value)]));
        var ordered = Ordered(companies, q.Order("updated_at", "id"), o => account.CompanyId(o.Id), o => o.AddTime, o => o.UpdateTime);
        q.WritePage(w, account.BaseUrl, "companies", ordered, MaxLimit, (jw, o) => KommoJson.Company(jw, account, views, o, q.With));
    }

    public static void Company(KommoAccount account, KommoQuery q, Utf8JsonWriter w, long id)
    {
        var organization = account.FindCompany(id) ?? throw new KommoNoContent();
        KommoJson.Company(w, account, account.Views, organization, q.With);
    }

    public static void Tasks(KommoAccount account, KommoQuery q, Utf8JsonWriter w)
    {
        IEnumerable<KommoTask> tasks = account.Views.Tasks;
        if (q.Longs("filter[id]") is { Count: > 0 } ids) tasks = tasks.Where(t => ids.Contains(t.Id));
        if (q.Longs("filter[responsible_user_id]") is { Count: > 0 } owners) tasks = tasks.Where(t => owners.Contains(account.UserId(t.Activity.OwnerId)));
        if (q.Values("filter[is_completed]") is { Count: > 0 } completed)
        {
            var wanted = completed.Select(v => v is "1" or "true").ToHashSet();
            tasks = tasks.Where(t => wanted.Contains(t.Activity.Done));
        }
        if (q.Longs("filter[task_type]") is { Count: > 0 } types) tasks = tasks.Where(t => types.Contains(t.TypeId));
        if (q.Raw("filter[entity_type]") is { } entityType) tasks = tasks.Where(t => t.EntityType == entityType);
        if (q.Longs("filter[entity_id]") is { Count: > 0 } entities)
        {
            if (q.Raw("filter[entity_type]") is null) throw KommoError.BadRequest("filter[entity_id] needs filter[entity_type]");
            tasks = tasks.Where(t => t.EntityId is { } e && entities.Contains(e));
        }
        tasks = InRange(tasks, q, "filter[updated_at]", t => t.Activity.UpdateTime);
        var order = q.Order("created_at", "complete_till", "id");
        var ordered = order?.Field == "complete_till"
            ? Sorted(tasks, t => t.CompleteTill, order.Value.Descending, t => t.Id)
            : Ordered(tasks, order, t => t.Id, t => t.Activity.AddTime, t => t.Activity.UpdateTime);
        q.WritePage(w, account.BaseUrl, "tasks", ordered, MaxLimit, (jw, t) => KommoJson.Task(jw, account, t));
    }

    public static void Task(KommoAccount account, Utf8JsonWriter w, long id) =>
        KommoJson.Task(w, account, account.Views.Tasks.FirstOrDefault(t => t.Id == id) ?? throw new KommoNoContent());

    /// <summary>GET /api/v4/{entity_type}/notes and /api/v4/{entity_type}/{entity_id}/notes.</summary>
    public static void Notes(KommoAccount account, KommoQuery q, Utf8JsonWriter w, string entityType, long? entityId)
    {
        IEnumerable<KommoNote> notes = account.Views.Notes.Where(n => n.EntityType == entityType);
        if (entityId is { } one) notes = notes.Where(n => n.EntityId == one);
        if (q.Longs("filter[entity_id]") is { Count: > 0 } entities) notes = notes.Where(n => entities.Contains(n.EntityId));
        if (q.Longs("filter[id]") is { Count: > 0 } ids) notes = notes.Where(n => ids.Contains(n.Id));
        if (q.Values("filter[note_type]").SelectMany(v => v.Split(',')).ToList() is { Count: > 0 } types) notes = notes.Where(n => types.Contains(n.NoteType));
        notes = InRange(notes, q, "filter[updated_at]", n => n.CreatedAt);
        var ordered = Ordered(notes, q.Order("updated_at", "id"), n => n.Id, n => n.CreatedAt, n => n.CreatedAt);
        q.WritePage(w, account.BaseUrl, "notes", ordered, MaxLimit, (jw, n) => KommoJson.Note(jw, account, n));
    }

    public static void Note(KommoAccount account, Utf8JsonWriter w, string entityType, long id) =>
        KommoJson.Note(w, account, account.Views.Notes.FirstOrDefault(n => n.EntityType == entityType && n.Id == id) ?? throw new KommoNoContent());

    public static void CustomFields(KommoAccount account, KommoQuery q, Utf8JsonWriter w, IReadOnlyList<KommoField> fields)
    {
        IEnumerable<KommoField> listed = fields;
        if (q.Values("filter[type]") is { Count: > 0 } types) listed = listed.Where(f => types.Contains(f.Type));
        var order = q.Order("sort", "id");
        var ordered = order?.Field == "id" ? Sorted(listed, f => f.Id, order.Value.Descending, f => f.Id) : Sorted(listed, f => f.Sort, order?.Descending ?? false, f => f.Id);
        q.WritePage(w, account.BaseUrl, "custom_fields", ordered, MaxFieldLimit, (jw, f) => KommoJson.CustomField(jw, account, f), counts: true);
    }

    /// <summary>GET /api/v4/events: limit at most 100; filter by id, created_at, created_by, entity (and entity_id, at most 10, for one entity), type, and value_before/value_after leads_statuses.</summary>
    public static void Events(KommoAccount account, KommoQuery q, Utf8JsonWriter w)
    {
        IEnumerable<KommoEvent> events = account.Views.Events;
        if (q.Values("filter[id]") is { Count: > 0 } ids) events = events.Where(e => ids.Contains(e.Id));
        events = InRange(events, q, "filter[created_at]", e => e.CreatedAt);
        if (q.Longs("filter[created_by]") is { Count: > 0 } by) events = events.Where(e => by.Contains(e.CreatedBy == 0 ? 0 : account.UserId(e.CreatedBy)));
        var entities = q.Values("filter[entity]").SelectMany(v => v.Split(',')).ToList();
        if (entities.Count > 0) events = events.Where(e => entities.Contains(e.EntityType));
        if (q.Longs("filter[entity_id]") is { Count: > 0 } entityIds)
        {
            if (entities.Count != 1) throw KommoError.BadRequest("filter[entity_id] needs filter[entity] naming exactly one entity");
            if (entityIds.Count > MaxEntityIds) throw KommoError.BadRequest($"filter[entity_id] takes at most {MaxEntityIds} ids");
            events = events.Where(e => entityIds.Contains(e.EntityId));
        }
        if (q.Values("filter[type]").SelectMany(v => v.Split(',')).ToList() is { Count: > 0 } types) events = events.Where(e => types.Contains(e.Type));
        foreach (var (side, values) in new[] { ("value_after", (Func<KommoEvent, IReadOnlyList<KommoEventValue>>)(e => e.ValueAfter)), ("value_before", e => e.ValueBefore) })
        {
            if (q.StatusPairs($"filter[{side}][leads_statuses]") is { Count: > 0 } wanted)
                events = events.Where(e => values(e).Any(v => v.Kind == "lead_status" && wanted.Contains((v.PipelineId ?? 0, v.Id))));
        }
        q.WritePage(w, account.BaseUrl, "events", events.ToList(), MaxEventLimit, (jw, e) => KommoJson.Event(jw, account, e));
    }

    public static void Event(KommoAccount account, Utf8JsonWriter w, string id) =>
        KommoJson.Event(w, account, account.Views.Events.FirstOrDefault(e => e.Id == id) ?? throw new KommoNoContent());

    /// <summary>Keeps the items whose time is within filter[…][from]/[to] (or after a bare filter[…]=timestamp); null times never match.</summary>
    private static IEnumerable<T> InRange<T>(IEnumerable<T> items, KommoQuery q, string key, Func<T, DateTime?> time)
    {
        var (from, to) = q.Range(key);
        if (from is null && to is null) return items;
        return items.Where(i => time(i) is { } t && (from is null || t >= from) && (to is null || t <= to));
    }

    /// <summary>By id unless order[created_at|updated_at|id] says otherwise; ties by id in the same direction.</summary>
    private static List<T> Ordered<T>(IEnumerable<T> items, (string Field, bool Descending)? order, Func<T, long> id, Func<T, DateTime> created, Func<T, DateTime> updated) =>
        order?.Field switch
        {
            "created_at" => Sorted(items, created, order.Value.Descending, id),
            "updated_at" => Sorted(items, updated, order.Value.Descending, id),
            _ => Sorted(items, id, order?.Descending ?? false, id),
        };

    private static List<T> Sorted<T, TKey>(IEnumerable<T> items, Func<T, TKey> key, bool descending, Func<T, long> id) =>
        descending ? [.. items.OrderByDescending(key).ThenByDescending(id)] : [.. items.OrderBy(key).ThenBy(id)];

    /// <summary>query=: a case-insensitive part of a filled field; a phone number also by its digits alone.</summary>
    private static bool Matches(string search, params string?[] values) =>
        values.Any(v => v is not null && (v.Contains(search, StringComparison.OrdinalIgnoreCase)
            || Digits(search) is { Length: >= 5 } digits && Digits(v).Contains(digits, StringComparison.Ordinal)));

    private static string Digits(string text) => new([.. text.Where(char.IsAsciiDigit)]);
}
