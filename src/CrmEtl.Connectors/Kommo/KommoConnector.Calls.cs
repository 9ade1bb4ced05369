using System.Text.Json.Nodes;
using CrmEtl.Connectors.Streams;
using CrmEtl.Core.Replica;

namespace CrmEtl.Connectors.Kommo;

public sealed partial class KommoConnector
{
    private sealed partial class Run
    {
        /// <summary>The note lists a logged call can be on (events-and-notes.md: a call lands on its lead, or on the contact or company).</summary>
        /// <summary>The activity type of a logged call; its id is none a Kommo task type can have.</summary>
        private const string CallType = "call";
        private const long CallTypeId = -1;

        private static readonly (string Stream, string EntityType)[] CallLists =
            [(Streams.LeadCalls, "leads"), (Streams.ContactCalls, "contacts"), (Streams.CompanyCalls, "companies")];

        /// <summary>
        /// Logged calls (notes call_in and call_out) of leads, contacts and companies, by updated_at, as done activities of
        /// the type "call". Kommo numbers notes apart from tasks, so a call's activity id is its note id negated: the two
        /// never meet in the replica.
        /// </summary>
        private IEnumerable<UpdatedStream<JsonObject>> Calls() =>
            CallLists.Select(list => Updated(list.Stream, $"/api/v4/{list.EntityType}/notes", "notes",
                (batch, r) =>
                {
                    var row = CallOf(r, list.EntityType);
                    batch.Activities.Add(row);
                    return new Written(row.Id, row.UpdateTime);
                }, query: "&filter[note_type][0]=call_in&filter[note_type][1]=call_out"));

        internal static ActivityRow CallOf(JsonObject r, string entityType)
        {
            var id = KommoValues.Id(r["id"]) ?? throw new FormatException("A Kommo note has no id.");
            var entityId = KommoValues.Id(r["entity_id"]);
            var at = KommoValues.Time(r["created_at"]);
            var parameters = r["params"];
            var incoming = KommoValues.Text(r["note_type"]) == "call_in";
            var result = KommoValues.Text(parameters?["call_result"]);
            return new ActivityRow
            {
                Id = -id,
                Subject = string.IsNullOrWhiteSpace(result) ? incoming ? "Incoming call" : "Outgoing call" : result,
                Type = CallType,
                OwnerId = KommoValues.Id(r["responsible_user_id"]) ?? KommoValues.Id(r["created_by"]),
                DealId = entityType == "leads" ? entityId : null, PersonId = entityType == "contacts" ? entityId : null, OrgId = entityType == "companies" ? entityId : null,
                DueDate = at is { } d ? DateOnly.FromDateTime(d.UtcDateTime) : null, DueTime = at is { } t ? TimeOnly.FromDateTime(t.UtcDateTime) : null,
                Duration = KommoValues.Id(parameters?["duration"]) is { } seconds and > 0 ? TimeSpan.FromSeconds(seconds) : null,
                Done = true, MarkedAsDoneTime = at,
                AddTime = at, UpdateTime = KommoValues.Time(r["updated_at"]) ?? at,
            };
        }
    }
}
