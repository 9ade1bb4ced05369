using System.Globalization;
using System.Text.Json.Nodes;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>A tag as a write names it: by id, or by name (a name not yet known makes a new tag).</summary>
internal sealed record KommoTagRef(long? LabelId, string? Name);

/// <summary>
/// The tags a write asks for: _embedded.tags (the whole set; on a PATCH, null or [] clears it), tags_to_add and
/// tags_to_delete (leads-api.md, contacts-api.md, companies-api.md, 'Параметры запроса').
/// </summary>
internal sealed record KommoTagChange(IReadOnlyList<KommoTagRef>? Replace, IReadOnlyList<KommoTagRef> Add, IReadOnlyList<KommoTagRef> Delete)
{
    public bool IsEmpty => Replace is null && Add.Count == 0 && Delete.Count == 0;
}

/// <summary>
/// One record of a write's body read the way Kommo validates it: each problem is kept as a validation error with
/// its code, its path from the record (custom_fields_values.0.field_id) and a detail, under the record's request_id
/// (as sent, else its index), so that one 400 lists everything wrong (error-codes.md, 'Ошибки при валидации данных').
/// Codes are those Kommo's examples show (NotSupportedChoice) and the like for the other cases (InvalidType, NotBlank, NotFound).
/// </summary>
internal sealed class KommoWriteRecord
{
    public const string NotSupportedChoice = "NotSupportedChoice", InvalidType = "InvalidType", NotBlank = "NotBlank", NotFound = "NotFound";
    private const string ChoiceDetail = "The value you selected is not a valid choice.";

    private readonly List<KommoFieldError> _errors;
    private readonly string _prefix;

    private KommoWriteRecord(JsonObject json, string requestId, string prefix, List<KommoFieldError> errors)
    {
        Json = json;
        RequestId = requestId;
        _prefix = prefix;
        _errors = errors;
    }

    public JsonObject Json { get; }
    public string RequestId { get; }
    public IReadOnlyList<KommoFieldError> Errors => _errors;

    /// <summary>
    /// The records of a batch: the body must be a JSON array of objects. A single-record PATCH (/{id}) sends one object,
    /// which <paramref name="single"/> takes with the id of its URL.
    /// </summary>
    public static List<KommoWriteRecord> Batch(JsonNode? body, string what, long? single = null)
    {
        if (single is { } id)
        {
            if (body is not JsonObject one) throw KommoError.BadRequest($"PATCH of one {what} record takes one JSON object, not {Kind(body)}.");
            one["id"] = id;
            return [Read(one, 0)];
        }
        if (body is not JsonArray list) throw KommoError.BadRequest($"The body must be a JSON array of {what}, not {Kind(body)}.");
        if (list.Count == 0) throw KommoError.BadRequest($"The body is an empty array: no {what} to write.");
        var records = new List<KommoWriteRecord>();
        for (var i = 0; i < list.Count; i++)
            records.Add(list[i] is JsonObject item ? Read(item, i) : throw KommoError.BadRequest($"Record {i} of the body is {Kind(list[i])}, not a JSON object."));
        return records;
    }

    private static KommoWriteRecord Read(JsonObject json, int index)
    {
        var requestId = json["request_id"] is JsonValue v ? v.ToString() : index.ToString(CultureInfo.InvariantCulture);
        return new KommoWriteRecord(json, requestId, "", []);
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "empty",
        JsonArray => "an array",
        JsonObject => "an object",
        _ => "a " + node.GetValueKind().ToString().ToLowerInvariant(),
    };

    /// <summary>Throws the 400 that lists every record's errors, when any has one.</summary>
    public static void ThrowIfInvalid(IEnumerable<KommoWriteRecord> records)
    {
        var invalid = records.Where(r => r._errors.Count > 0).Select(r => new KommoRecordErrors(r.RequestId, r._errors)).ToList();
        if (invalid.Count > 0) throw KommoError.Invalid(invalid);
    }

    /// <summary>An embedded record (_embedded.contacts.0): its errors are its parent's, under its path.</summary>
    public KommoWriteRecord? Embedded(string list, int index)
    {
        if (Json["_embedded"]?[list] is not JsonArray items || items.Count <= index) return null;
        var path = $"_embedded.{list}.{index}";
        if (items[index] is JsonObject item) return new KommoWriteRecord(item, RequestId, _prefix + path + ".", _errors);
        Error(InvalidType, path, "This value should be of type object.");
        return null;
    }

    public int EmbeddedCount(string list) => Json["_embedded"]?[list] is JsonArray items ? items.Count : 0;

    public void Error(string code, string path, string detail) => _errors.Add(new KommoFieldError(code, _prefix + path, detail));

    public bool Has(string name) => Json.ContainsKey(name);

    public long? Long(string name)
    {
        if (!Json.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is JsonValue value && value.TryGetValue<long>(out var number)) return number;
        Error(InvalidType, name, "This value should be of type int.");
        return null;
    }

    public bool? Bool(string name)
    {
        if (!Json.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is JsonValue value && value.TryGetValue<bool>(out var flag)) return flag;
        Error(InvalidType, name, "This value should be of type bool.");
        return null;
    }

    public string? Text(string name)
    {
        if (!Json.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is JsonValue value && value.TryGetValue<string>(out var text)) return text;
        Error(InvalidType, name, "This value should be of type string.");
        return null;
    }

    /// <summary>A required text (a task's text): missing or blank is NotBlank.</summary>
    public string? RequiredText(string name)
    {
        var text = Text(name);
        if (string.IsNullOrWhiteSpace(text) && !_errors.Exists(e => e.Path == _prefix + name)) Error(NotBlank, name, "This value should not be blank.");
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    /// <summary>A user of the account by its Kommo id (responsible_user_id); the generated user's id, or null with an error.</summary>
    public long? User(KommoAccount account, string name)
    {
        if (Long(name) is not { } id) return null;
        if (account.Data.Users.Find(u => account.UserId(u.Id) == id) is { } user) return user.Id;
        Error(NotSupportedChoice, name, ChoiceDetail);
        return null;
    }

    public void Choice(string path) => Error(NotSupportedChoice, path, ChoiceDetail);

    // ---- custom fields ------------------------------------------------------------------------------------------------

    /// <summary>
    /// custom_fields_values as custom-fields.md, 'Примеры заполнения разных типов полей через API', gives them: each
    /// field by field_id or field_code; multitext values (PHONE, EMAIL) with enum_id or enum_code (WORK when neither,
    /// and their text as sent: Kommo checks no e-mail or phone format), select values by enum_id, enum_code or their
    /// text, numbers as numbers or numeric strings. At most <paramref name="max"/> fields when given.
    /// </summary>
    public List<(KommoField Field, IReadOnlyList<KommoFieldValue> Values)> Fields(IReadOnlyList<KommoField> fields, int? max = null)
    {
        var result = new List<(KommoField, IReadOnlyList<KommoFieldValue>)>();
        if (!Json.TryGetPropertyValue("custom_fields_values", out var node) || node is null) return result;
        if (node is not JsonArray list)
        {
            Error(InvalidType, "custom_fields_values", "This value should be of type array.");
            return result;
        }
        if (max is { } most && list.Count > most) Error("TooManyElements", "custom_fields_values", $"This collection should contain {most} elements or less.");
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"custom_fields_values.{i}";
            if (list[i] is not JsonObject item)
            {
                Error(InvalidType, path, "This value should be of type object.");
                continue;
            }
            var field = item["field_id"] is JsonValue id && id.TryGetValue<long>(out var fieldId) ? fields.FirstOrDefault(f => f.Id == fieldId)
                : item["field_code"] is JsonValue code && code.TryGetValue<string>(out var fieldCode) ? fields.FirstOrDefault(f => string.Equals(f.Code, fieldCode, StringComparison.OrdinalIgnoreCase))
                : null;
            if (field is null)
            {
                Choice(path + (item.ContainsKey("field_id") || !item.ContainsKey("field_code") ? ".field_id" : ".field_code"));
                continue;
            }
            if (item["values"] is null)
            {
                result.Add((field, []));
                continue;
            }
            if (item["values"] is not JsonArray values)
            {
                Error(InvalidType, path + ".values", "This value should be of type array.");
                continue;
            }
            var read = new List<KommoFieldValue>();
            for (var j = 0; j < values.Count; j++)
                if (Value(field, values[j] as JsonObject, $"{path}.values.{j}") is { } value) read.Add(value);
            result.Add((field, read));
        }
        return result;
    }

    private KommoFieldValue? Value(KommoField field, JsonObject? item, string path)
    {
        if (item is null)
        {
            Error(InvalidType, path, "This value should be of type object.");
            return null;
        }
        var text = item["value"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "1" : "0",
            _ => null,
        };
        long? enumId = item["enum_id"] is JsonValue e && e.TryGetValue<long>(out var eid) ? eid : null;
        var enumCode = item["enum_code"] is JsonValue c && c.TryGetValue<string>(out var code) ? code : null;
        switch (field.Type)
        {
            case "multitext":
                if (string.IsNullOrWhiteSpace(text)) { Error(NotBlank, path + ".value", "This value should not be blank."); return null; }
                var kind = enumId is { } byId ? field.Enums!.FirstOrDefault(x => x.Id == byId)
                    : field.Enums!.FirstOrDefault(x => string.Equals(x.Code, enumCode ?? "WORK", StringComparison.OrdinalIgnoreCase));
                if (kind is null) { Choice(path + (enumId is null ? ".enum_code" : ".enum_id")); return null; }
                return new KommoFieldValue(text.Trim(), kind.Id, kind.Code);
            case "select":
                var option = enumId is { } optionId ? field.Enums!.FirstOrDefault(x => x.Id == optionId)
                    : field.Enums!.FirstOrDefault(x => string.Equals(x.Value, text, StringComparison.Ordinal) || enumCode is not null && x.Code == enumCode);
                if (option is null) { Choice(path + (enumId is null ? ".value" : ".enum_id")); return null; }
                return new KommoFieldValue(option.Value, option.Id, option.Code);
            case "numeric" or "monetary":
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) { Error(InvalidType, path + ".value", "This value should be a number."); return null; }
                return new KommoFieldValue(text!, null, null);
            default:
                if (text is null) { Error(NotBlank, path + ".value", "This value should not be blank."); return null; }
                return new KommoFieldValue(text, null, null);
        }
    }

    // ---- tags ---------------------------------------------------------------------------------------------------------

    public KommoTagChange Tags(KommoAccount account)
    {
        IReadOnlyList<KommoTagRef>? replace = null;
        if (Json["_embedded"] is JsonObject embedded && embedded.TryGetPropertyValue("tags", out var tags))
            replace = tags is null ? [] : TagList(account, tags, "_embedded.tags");
        return new KommoTagChange(replace, TagList(account, Json["tags_to_add"], "tags_to_add"), TagList(account, Json["tags_to_delete"], "tags_to_delete"));
    }

    private List<KommoTagRef> TagList(KommoAccount account, JsonNode? node, string path)
    {
        var tags = new List<KommoTagRef>();
        if (node is null) return tags;
        if (node is not JsonArray list)
        {
            Error(InvalidType, path, "This value should be of type array.");
            return tags;
        }
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i]?["id"] is JsonValue id && id.TryGetValue<long>(out var tagId))
            {
                var label = KommoAccount.LabelId(tagId);
                if (KnownLabels(account).Contains(label)) tags.Add(new KommoTagRef(label, null));
                else Choice($"{path}.{i}.id");
            }
            else if (list[i]?["name"] is JsonValue name && name.TryGetValue<string>(out var tagName) && !string.IsNullOrWhiteSpace(tagName))
                tags.Add(new KommoTagRef(null, tagName.Trim()));
            else Error(NotBlank, $"{path}.{i}", "A tag needs its id or its name.");
        }
        return tags;
    }

    /// <summary>The account's tags, as label ids: those its leads, contacts and companies carry and those made by name.</summary>
    public static HashSet<long> KnownLabels(KommoAccount account) =>
        [.. account.Data.Deals.SelectMany(d => d.LabelIds), .. account.Written.TagNames.Keys, .. account.Written.EntityTags.Values.SelectMany(l => l)];

    /// <summary>The label ids after <paramref name="change"/>: a name not yet known makes a new tag.</summary>
    public static long[] Apply(KommoAccount account, long[] current, KommoTagChange change)
    {
        if (change.IsEmpty) return current;
        var known = KnownLabels(account);
        long Resolve(KommoTagRef tag)
        {
            if (tag.LabelId is { } label) return label;
            var match = known.Where(l => string.Equals(account.TagName(l), tag.Name, StringComparison.OrdinalIgnoreCase)).Order().FirstOrDefault(-1);
            if (match >= 0) return match;
            var created = Math.Max(1000, known.Count == 0 ? 0 : known.Max() + 1);
            account.Written.TagNames[created] = tag.Name!;
            known.Add(created);
            return created;
        }
        var labels = change.Replace is { } replace ? replace.Select(Resolve).ToList() : [.. current];
        foreach (var tag in change.Add) if (Resolve(tag) is var label && !labels.Contains(label)) labels.Add(label);
        labels.RemoveAll(l => change.Delete.Any(d => d.LabelId == l || string.Equals(d.Name, account.TagName(l), StringComparison.OrdinalIgnoreCase)));
        return [.. labels];
    }

    // ---- pipelines and statuses ---------------------------------------------------------------------------------------

    /// <summary>
    /// Where a lead goes: pipeline_id and status_id as leads-api.md takes them (both optional; by default the first
    /// stage of the main pipeline, or of the pipeline given; a status alone is looked for in <paramref name="current"/>
    /// first, then in every pipeline). Null with an error on status_id or pipeline_id when either is not the account's.
    /// </summary>
    public (SbPipeline Pipeline, long StatusId)? Placement(KommoAccount account, SbPipeline? current, bool allowUnsorted)
    {
        var (pipelineId, statusId) = (Long("pipeline_id"), Long("status_id"));
        var main = current ?? account.Data.Pipelines[0];
        if (!Has("pipeline_id") && !Has("status_id")) return (main, FirstStage(account, main));
        if (Errors.Any(e => e.Path is var p && (p == _prefix + "pipeline_id" || p == _prefix + "status_id"))) return null;
        SbPipeline? pipeline = null;
        if (pipelineId is { } pid && (pipeline = account.Data.Pipelines.Find(p => account.PipelineId(p.Id) == pid)) is null)
        {
            Choice("pipeline_id");
            return null;
        }
        bool Fits(SbPipeline p, long status) =>
            account.StatusesOf(p).Any(s => s.Id == status && (allowUnsorted || s.Type != 1));
        if (statusId is not { } sid) return (pipeline!, FirstStage(account, pipeline!));
        pipeline ??= (current is not null && Fits(current, sid) ? current : null) ?? account.Data.Pipelines.Find(p => Fits(p, sid));
        if (pipeline is null || !Fits(pipeline, sid))
        {
            Choice("status_id");
            return null;
        }
        return (pipeline, sid);
    }

    private static long FirstStage(KommoAccount account, SbPipeline pipeline) => account.StatusId(account.Data.StagesOf(pipeline.Id)[0].Id);
}
