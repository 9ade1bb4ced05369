using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// The Kommo views of an account's generated data, built together under the account's lock and dropped after any
/// change: leads with their status histories, tasks, notes (each lead's creation note, logged calls) and the events
/// feed made from all of them.
/// </summary>
internal sealed class KommoViews
{
    public KommoViews(KommoAccount account)
    {
        var data = account.Data;
        Persons = data.Persons.ToDictionary(p => p.Id);
        Organizations = data.Organizations.ToDictionary(o => o.Id);
        _contacts = [.. data.Persons.Where(p => !p.IsDeleted)];
        _openLeads = data.Deals.Where(d => !d.IsDeleted && d.Status == "open" && d.PersonId is not null).GroupBy(d => d.PersonId!.Value).ToDictionary(g => g.Key, g => g.Count());
        Tasks = [.. data.Activities.Where(a => !a.IsDeleted).Select(a => Task(account, a))];
        foreach (var task in Tasks.Where(t => !t.Activity.Done && t.EntityId is not null))
        {
            var key = (task.EntityType!, task.EntityId!.Value);
            if (!ClosestTask.TryGetValue(key, out var at) || task.CompleteTill < at) ClosestTask[key] = task.CompleteTill;
        }
        Leads = [.. data.Deals.Select(d => new KommoLead(d, account.LeadId(d), KommoLeadHistory.Arrivals(account, d), ClosestTaskOf("leads", account.LeadId(d))))];
        // Calls logged through the API (POST …/notes, call_in and call_out) are in the feed as the generated ones are.
        var written = account.Written.Notes;
        CallNotes = [.. data.Activities.Where(a => a.Type == "call" && a.Done && a.MarkedAsDoneTime is not null).Select(a => CallNote(account, a)).OfType<KommoNote>(),
            .. written.Where(IsCall)];
        var liveLeads = Leads.Where(l => !l.Deal.IsDeleted).Select(l => l.Id).ToHashSet();
        Notes = [.. Leads.Where(l => !l.Deal.IsDeleted).Select(l => CreationNote(account, l))
            .Concat(CallNotes.Concat(written.Where(n => !IsCall(n))).Where(n => n.EntityType != "leads" || liveLeads.Contains(n.EntityId))).OrderBy(n => n.Id)];
        Events = KommoEvents.Build(account, this);
    }

    /// <summary>Every lead, deleted ones too, by id.</summary>
    public KommoLead[] Leads { get; }
    public KommoTask[] Tasks { get; }
    /// <summary>The notes listed: those of leads in the trash are not.</summary>
    public KommoNote[] Notes { get; }
    /// <summary>Every logged call, also on leads in the trash (their events stay in the feed).</summary>
    public KommoNote[] CallNotes { get; }
    public KommoEvent[] Events { get; }
    public Dictionary<long, SbPerson> Persons { get; }
    public Dictionary<long, SbOrganization> Organizations { get; }
    private Dictionary<(string EntityType, long EntityId), DateTime> ClosestTask { get; } = [];
    private readonly List<SbPerson> _contacts;
    private readonly Dictionary<long, int> _openLeads;

    private static bool IsCall(KommoNote note) => note.NoteType is "call_in" or "call_out";

    /// <summary>When the entity's nearest open task is due (closest_task_at), or null.</summary>
    public DateTime? ClosestTaskOf(string entityType, long entityId) =>
        ClosestTask.TryGetValue((entityType, entityId), out var at) ? at : null;

    private KommoTask Task(KommoAccount account, SbActivity a)
    {
        var entity = EntityOf(account, a);
        var due = a.DueTime is { } time
            ? a.DueDate.ToDateTime(time, DateTimeKind.Utc)
            : TimeZoneInfo.ConvertTimeToUtc(a.DueDate.ToDateTime(new TimeOnly(23, 59)), account.TimeZone);
        // About half of the done tasks carry a written result.
        var result = a.Done && a.Id % 2 == 0 ? $"Done: {a.Subject}" : null;
        return new KommoTask(a, account.TaskId(a), entity?.EntityType, entity?.EntityId, KommoAccount.TaskTypeId(a.Type), due, result);
    }

    /// <summary>
    /// What an activity is attached to: its lead, else its contact, else its company. A call the generated account
    /// tied to nobody was with one of the contacts (picked by its id): in Kommo a call always lands on a card.
    /// </summary>
    private (string EntityType, long EntityId)? EntityOf(KommoAccount account, SbActivity a) =>
        a.DealId is { } deal && account.Data.FindDeal(deal) is { } d ? ("leads", account.LeadId(d))
            : a.PersonId is { } person ? ("contacts", account.ContactId(person))
            : a.OrgId is { } organization ? ("companies", account.CompanyId(organization))
            : a.Type == "call" && _contacts.Count > 0 ? ("contacts", account.ContactId(_contacts[(int)(a.Id % _contacts.Count)].Id))
            : null;

    private static KommoNote CreationNote(KommoAccount account, KommoLead lead) =>
        new(account.CreationNoteId(lead.Deal), "leads", lead.Id, "common", lead.Deal.AddTime, lead.Deal.OwnerId, lead.Deal.OwnerId,
            [new("text", $"Lead created: {lead.Deal.Title}")]);

    /// <summary>
    /// A done call as Kommo logs it (events-and-notes.md, call_in and call_out params) on the card calls-api.md,
    /// 'Общая информация', puts it: on the lead, unless its contact has more than one active lead, then on the contact.
    /// </summary>
    private KommoNote? CallNote(KommoAccount account, SbActivity a)
    {
        if (EntityOf(account, a) is not { } entity) return null;
        var (entityType, entityId) = entity;
        var person = a.PersonId ?? (entityType == "contacts" ? _contacts.Find(p => account.ContactId(p.Id) == entityId)?.Id : null);
        if (entityType == "leads" && person is { } p && _openLeads.GetValueOrDefault(p) > 1) (entityType, entityId) = ("contacts", account.ContactId(p));
        var incoming = a.Id % 3 == 0;
        var phone = (person is { } id && Persons.TryGetValue(id, out var who) ? who.Phones.FirstOrDefault()?.Value : null) ?? "+358 9 000 0000";
        var responsible = account.Data.Users.Find(u => u.Id == a.OwnerId);
        return new KommoNote(account.CallNoteId(a), entityType, entityId, incoming ? "call_in" : "call_out", a.MarkedAsDoneTime!.Value, a.OwnerId, a.OwnerId,
        [
            new("uniq", new Guid((int)a.Id, 0x4b4d, 0x4f4d, [1, 2, 3, 4, 5, 6, 7, 8]).ToString()),
            new("duration", (int)(a.Duration ?? TimeSpan.FromMinutes(5)).TotalSeconds),
            new("source", "sandbox-pbx"),
            new("link", $"https://pbx.example/records/{a.Id}.mp3"),
            new("phone", phone),
            // As the docs' examples show it: incoming calls name who took them, outgoing ones the user's id.
            new("call_responsible", incoming ? responsible?.Name ?? "" : account.UserId(a.OwnerId)),
            new("call_result", incoming ? "Customer called back" : "Talked"),
            new("call_status", 4),
        ]);
    }
}
