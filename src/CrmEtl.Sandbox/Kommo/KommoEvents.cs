using System.Security.Cryptography;
using System.Text;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// The events feed (events-and-notes.md), made from the account's history so that it agrees with what the lists show:
/// lead_added (value_after the lead's creation note), a lead_status_changed for every status a lead entered after its
/// first ([{lead_status: {id, pipeline_id}}] before and after), lead_deleted and lead_restored (empty values),
/// task_added, task_completed and task_deleted, and incoming_call / outgoing_call for each logged call (its note).
/// </summary>
internal static class KommoEvents
{
    private const string Crockford = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>The feed, newest first (the docs give no order; a client should bound its reads with filter[created_at]).</summary>
    public static KommoEvent[] Build(KommoAccount account, KommoViews views)
    {
        var events = new List<KommoEvent>();
        void Add(string type, string entity, long entityId, long actor, DateTime at, KommoEventValue[] before, KommoEventValue[] after) =>
            events.Add(new KommoEvent(Id($"{type}:{entity}:{entityId}:{at.Ticks}:{events.Count}", at), type, entity, entityId, actor, at, before, after));

        foreach (var lead in views.Leads)
        {
            var deal = lead.Deal;
            Add("lead_added", "lead", lead.Id, deal.OwnerId, deal.AddTime, [], [new("note", account.CreationNoteId(deal))]);
            for (var i = 1; i < lead.Arrivals.Count; i++)
            {
                var (from, to) = (lead.Arrivals[i - 1], lead.Arrivals[i]);
                Add("lead_status_changed", "lead", lead.Id, to.ActorUserId, to.At,
                    [new("lead_status", from.StatusId, from.PipelineId)], [new("lead_status", to.StatusId, to.PipelineId)]);
            }
            foreach (var change in deal.Changes.Where(c => c.FieldKey == KommoLeadHistory.DeletedKey))
                Add(change.NewValue == "true" ? "lead_deleted" : "lead_restored", "lead", lead.Id, change.ActorUserId, change.Time, [], []);
        }
        foreach (var activity in account.Data.Activities)
        {
            var task = account.TaskId(activity);
            Add("task_added", "task", task, activity.CreatorUserId, activity.AddTime, [], []);
            if (activity.Done && activity.MarkedAsDoneTime is { } done) Add("task_completed", "task", task, activity.OwnerId, done, [], []);
            if (activity.IsDeleted) Add("task_deleted", "task", task, activity.OwnerId, activity.UpdateTime, [], []);
        }
        foreach (var call in views.CallNotes)
            Add(call.NoteType == "call_in" ? "incoming_call" : "outgoing_call", Singular(call.EntityType), call.EntityId, call.CreatedBy, call.CreatedAt, [], [new("note", call.Id)]);
        return [.. events.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id, StringComparer.Ordinal)];
    }

    /// <summary>An events feed names entities in the singular: lead, contact, company.</summary>
    private static string Singular(string entityType) => entityType switch { "leads" => "lead", "contacts" => "contact", _ => "company" };

    /// <summary>
    /// A ULID-shaped id in lower case, as the docs' "01pz58t6p04ymgsgfbmfyfy1mf": the event's time, then 80 bits of a
    /// hash of what the event is, so that the same account always has the same ids.
    /// </summary>
    private static string Id(string key, DateTime at)
    {
        var time = (ulong)new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var id = new StringBuilder(26);
        for (var shift = 45; shift >= 0; shift -= 5) id.Append(Crockford[(int)(time >> shift & 31)]);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        for (var bit = 0; bit < 80; bit += 5)
        {
            var value = (hash[bit / 8] << 8 | hash[bit / 8 + 1]) >> (11 - bit % 8) & 31;
            id.Append(Crockford[value]);
        }
        return id.ToString();
    }
}
