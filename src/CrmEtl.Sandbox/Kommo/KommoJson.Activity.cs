using System.Text.Json;

namespace CrmEtl.Sandbox.Kommo;

internal static partial class KommoJson
{
    /// <summary>A task (tasks-api.md): result is {text} once written, an empty array before.</summary>
    public static void Task(Utf8JsonWriter w, KommoAccount account, KommoTask task)
    {
        var a = task.Activity;
        w.WriteStartObject();
        w.WriteNumber("id", task.Id);
        w.WriteNumber("created_by", account.UserId(a.CreatorUserId));
        w.WriteNumber("updated_by", account.UserId(a.OwnerId));
        w.WriteNumber("created_at", Unix(a.AddTime));
        w.WriteNumber("updated_at", Unix(a.UpdateTime));
        w.WriteNumber("responsible_user_id", account.UserId(a.OwnerId));
        w.WriteNumber("group_id", 0);
        if (task.EntityId is { } entity) w.WriteNumber("entity_id", entity); else w.WriteNull("entity_id");
        if (task.EntityType is { } type) w.WriteString("entity_type", type); else w.WriteNull("entity_type");
        w.WriteNumber("duration", (int)(a.Duration ?? TimeSpan.Zero).TotalSeconds);
        w.WriteBoolean("is_completed", a.Done);
        w.WriteNumber("task_type_id", task.TypeId);
        w.WriteString("text", a.Subject);
        if (task.Result is { } result)
        {
            w.WriteStartObject("result");
            w.WriteString("text", result);
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartArray("result");
            w.WriteEndArray();
        }
        w.WriteNumber("complete_till", Unix(task.CompleteTill));
        w.WriteNumber("account_id", account.AccountId);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/tasks/{task.Id}");
        w.WriteEndObject();
    }

    public static void Note(Utf8JsonWriter w, KommoAccount account, KommoNote note)
    {
        w.WriteStartObject();
        w.WriteNumber("id", note.Id);
        w.WriteNumber("entity_id", note.EntityId);
        w.WriteNumber("created_by", account.UserId(note.CreatedBy));
        w.WriteNumber("updated_by", account.UserId(note.CreatedBy));
        w.WriteNumber("created_at", Unix(note.CreatedAt));
        w.WriteNumber("updated_at", Unix(note.CreatedAt));
        w.WriteNumber("responsible_user_id", account.UserId(note.ResponsibleUserId));
        w.WriteNumber("group_id", 0);
        w.WriteString("note_type", note.NoteType);
        w.WriteStartObject("params");
        foreach (var (name, value) in note.Params)
        {
            if (value is string text) w.WriteString(name, text);
            else w.WriteNumber(name, Convert.ToInt64(value, Inv));
        }
        w.WriteEndObject();
        w.WriteNumber("account_id", account.AccountId);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/{note.EntityType}/{note.EntityId}/notes/{note.Id}");
        w.WriteEndObject();
    }

    public static void Event(Utf8JsonWriter w, KommoAccount account, KommoEvent e)
    {
        w.WriteStartObject();
        w.WriteString("id", e.Id);
        w.WriteString("type", e.Type);
        w.WriteNumber("entity_id", e.EntityId);
        w.WriteString("entity_type", e.EntityType);
        w.WriteNumber("created_by", e.CreatedBy == 0 ? 0 : account.UserId(e.CreatedBy));
        w.WriteNumber("created_at", Unix(e.CreatedAt));
        EventValues(w, "value_after", e.ValueAfter);
        EventValues(w, "value_before", e.ValueBefore);
        w.WriteNumber("account_id", account.AccountId);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/events/{e.Id}");
        w.WriteStartObject("_embedded");
        w.WriteStartObject("entity");
        w.WriteNumber("id", e.EntityId);
        var plural = e.EntityType switch { "company" => "companies", var singular => singular + "s" };
        SelfLinks(w, $"{account.BaseUrl}/api/v4/{plural}/{e.EntityId}");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void EventValues(Utf8JsonWriter w, string name, IReadOnlyList<KommoEventValue> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStartObject();
            w.WriteStartObject(value.Kind);
            w.WriteNumber("id", value.Id);
            if (value.PipelineId is { } pipeline) w.WriteNumber("pipeline_id", pipeline);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
