using System.Text.Json;

namespace CrmEtl.Sandbox.Kommo;

internal static partial class KommoJson
{
    /// <summary>
    /// The answer to POST /api/v4/{contacts|companies|leads|tasks}: the records made, each its id, request_id and
    /// self link (contacts-api.md, companies-api.md, leads-api.md, tasks-api.md, 'Добавление…', 'Пример ответа').
    /// </summary>
    public static void Added(Utf8JsonWriter w, KommoAccount account, string entity, IReadOnlyList<(long Id, string RequestId)> added)
    {
        w.WriteStartObject();
        SelfLinks(w, $"{account.BaseUrl}/api/v4/{entity}");
        w.WriteStartObject("_embedded");
        w.WriteStartArray(entity);
        foreach (var (id, requestId) in added)
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("request_id", requestId);
            SelfLinks(w, $"{account.BaseUrl}/api/v4/{entity}/{id}");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// The answer to PATCH /api/v4/{contacts|companies|leads}: each record changed with its id, updated_at (and name,
    /// as the contacts and companies examples show it); a PATCH of one record (/{id}) answers that record alone.
    /// </summary>
    public static void Updated(Utf8JsonWriter w, KommoAccount account, string entity, IReadOnlyList<(long Id, string? Name, DateTime UpdatedAt)> updated, bool single)
    {
        void Record((long Id, string? Name, DateTime UpdatedAt) record)
        {
            w.WriteStartObject();
            w.WriteNumber("id", record.Id);
            if (record.Name is { } name) w.WriteString("name", name);
            w.WriteNumber("updated_at", Unix(record.UpdatedAt));
            SelfLinks(w, $"{account.BaseUrl}/api/v4/{entity}/{record.Id}");
            w.WriteEndObject();
        }
        if (single)
        {
            Record(updated[0]);
            return;
        }
        w.WriteStartObject();
        SelfLinks(w, $"{account.BaseUrl}/api/v4/{entity}");
        w.WriteStartObject("_embedded");
        w.WriteStartArray(entity);
        foreach (var record in updated) Record(record);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The answer to POST /api/v4/leads/complex (leads-api.md): an array, each with id, contact_id, company_id, request_id (an array) and merged.</summary>
    public static void Complex(Utf8JsonWriter w, IReadOnlyList<KommoWrites.ComplexResult> results)
    {
        w.WriteStartArray();
        foreach (var r in results)
        {
            w.WriteStartObject();
            w.WriteNumber("id", r.Id);
            if (r.ContactId is { } contact) w.WriteNumber("contact_id", contact); else w.WriteNull("contact_id");
            if (r.CompanyId is { } company) w.WriteNumber("company_id", company); else w.WriteNull("company_id");
            w.WriteStartArray("request_id");
            w.WriteStringValue(r.RequestId);
            w.WriteEndArray();
            w.WriteBoolean("merged", r.Merged);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The answer to POST /api/v4/{entity_type}/notes (events-and-notes.md, 'Добавление примечаний'): id, entity_id, request_id, self link.</summary>
    public static void NotesAdded(Utf8JsonWriter w, KommoAccount account, string entityType, IReadOnlyList<(KommoNote Note, string RequestId)> added)
    {
        w.WriteStartObject();
        SelfLinks(w, $"{account.BaseUrl}/api/v4/{entityType}/notes");
        w.WriteStartObject("_embedded");
        w.WriteStartArray("notes");
        foreach (var (note, requestId) in added)
        {
            w.WriteStartObject();
            w.WriteNumber("id", note.Id);
            w.WriteNumber("entity_id", note.EntityId);
            w.WriteString("request_id", requestId);
            SelfLinks(w, $"{account.BaseUrl}/api/v4/{entityType}/{note.EntityId}/notes/{note.Id}");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>_embedded.tags of a lead, contact or company.</summary>
    private static void Tags(Utf8JsonWriter w, KommoAccount account, IEnumerable<long> labels)
    {
        w.WriteStartArray("tags");
        foreach (var label in labels)
        {
            w.WriteStartObject();
            w.WriteNumber("id", KommoAccount.TagId(label));
            w.WriteString("name", account.TagName(label));
            w.WriteNull("color");
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
