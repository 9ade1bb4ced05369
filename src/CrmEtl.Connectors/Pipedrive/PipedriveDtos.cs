using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrmEtl.Connectors.Pipedrive;

// Response shapes the connector reads (../shared/api-specs/pipedrive). Unknown fields are ignored;
// every field but the ids may be null (an answer without them is unreadable, not a record 0). Times stay strings here and are parsed by PipedriveFormat, because v1
// and v2 send different forms.

internal sealed class V2Page<T>
{
    public bool Success { get; set; }
    public List<T>? Data { get; set; }
    public V2Additional? AdditionalData { get; set; }
}

internal sealed class V2Additional
{
    public string? NextCursor { get; set; }
}

internal sealed class V1List<T>
{
    public bool Success { get; set; }
    public List<T>? Data { get; set; }
    public V1Additional? AdditionalData { get; set; }
}

internal sealed class Item<T>
{
    public bool Success { get; set; }
    public T? Data { get; set; }
}

/// <summary>GET /v2/persons/search: the found people, by id (their e-mails come as plain strings here, so the people are read after).</summary>
internal sealed class PersonSearchDto
{
    public List<PersonSearchItemDto>? Items { get; set; }
}

internal sealed class PersonSearchItemDto
{
    public PersonSearchHitDto? Item { get; set; }
}

internal sealed class PersonSearchHitDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Name { get; set; }
}

/// <summary>A record a write made or changed: its id (the rest is not read).</summary>
internal sealed class WrittenDto
{
    [JsonRequired] public long Id { get; set; }
}

/// <summary>GET /v1/notes: a note's text (HTML as written) and id.</summary>
internal sealed class NoteDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Content { get; set; }
}

/// <summary>GET /v1/users/me: the signed-in user with the company's domain (acme in acme.pipedrive.com).</summary>
internal sealed class CurrentUserDto
{
    public long? Id { get; set; }
    public string? CompanyDomain { get; set; }
}

internal sealed class V1Additional
{
    public int? Start { get; set; }
    public int? Limit { get; set; }
    public bool? MoreItemsInCollection { get; set; }
    public V1Pagination? Pagination { get; set; }
}

/// <summary>The older v1 pagination block; some endpoints still nest it.</summary>
internal sealed class V1Pagination
{
    public int? Start { get; set; }
    public int? Limit { get; set; }
    public bool? MoreItemsInCollection { get; set; }
    public int? NextStart { get; set; }
}

internal sealed class DealDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Title { get; set; }
    public long? OwnerId { get; set; }
    public long? PersonId { get; set; }
    public long? OrgId { get; set; }
    public long? PipelineId { get; set; }
    public long? StageId { get; set; }
    public decimal? Value { get; set; }
    public string? Currency { get; set; }
    public string? AddTime { get; set; }
    public string? UpdateTime { get; set; }
    public string? StageChangeTime { get; set; }
    public bool? IsDeleted { get; set; }
    public bool? IsArchived { get; set; }
    public string? ArchiveTime { get; set; }
    public string? Status { get; set; }
    public decimal? Probability { get; set; }
    public string? LostReason { get; set; }
    public string? CloseTime { get; set; }
    public string? WonTime { get; set; }
    public string? LostTime { get; set; }
    public string? ExpectedCloseDate { get; set; }
    public List<long>? LabelIds { get; set; }
    public string? Origin { get; set; }
    public int? Channel { get; set; }
    public string? SourceLeadId { get; set; }
    public JsonElement? CustomFields { get; set; }
}

internal sealed class ActivityDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Subject { get; set; }
    public string? Type { get; set; }
    public long? OwnerId { get; set; }
    public bool? IsDeleted { get; set; }
    public string? AddTime { get; set; }
    public string? UpdateTime { get; set; }
    public long? DealId { get; set; }
    public string? LeadId { get; set; }
    public long? PersonId { get; set; }
    public long? OrgId { get; set; }
    public string? DueDate { get; set; }
    public string? DueTime { get; set; }
    public string? Duration { get; set; }
    public bool? Done { get; set; }
    public string? MarkedAsDoneTime { get; set; }
}

internal sealed class PersonDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Name { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public long? OwnerId { get; set; }
    public long? OrgId { get; set; }
    public string? AddTime { get; set; }
    public string? UpdateTime { get; set; }
    public List<ContactPointDto>? Emails { get; set; }
    public List<ContactPointDto>? Phones { get; set; }
    public bool? IsDeleted { get; set; }
}

internal sealed class ContactPointDto
{
    public string? Value { get; set; }
    public bool? Primary { get; set; }
    public string? Label { get; set; }
}

internal sealed class OrganizationDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Name { get; set; }
    public long? OwnerId { get; set; }
    public string? AddTime { get; set; }
    public string? UpdateTime { get; set; }
    public bool? IsDeleted { get; set; }
    /// <summary>{ value, country, locality, ... } in v2; a plain string in older answers.</summary>
    public JsonElement? Address { get; set; }

    public string? AddressText => Address switch
    {
        { ValueKind: JsonValueKind.String } a => a.GetString(),
        { ValueKind: JsonValueKind.Object } a when a.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String => v.GetString(),
        _ => null,
    };
}

internal sealed class PipelineDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Name { get; set; }
    public int? OrderNr { get; set; }
    public bool? IsDeleted { get; set; }
    public string? AddTime { get; set; }
    public string? UpdateTime { get; set; }
}

internal sealed class StageDto
{
    [JsonRequired] public long Id { get; set; }
    public long? PipelineId { get; set; }
    public string? Name { get; set; }
    public int? OrderNr { get; set; }
    public int? DealProbability { get; set; }
    public bool? IsDeleted { get; set; }
    public string? AddTime { get; set; }
    public string? UpdateTime { get; set; }
}

internal sealed class DealFieldDto
{
    public string? FieldCode { get; set; }
    public string? FieldName { get; set; }
    public string? FieldType { get; set; }
    public bool? IsCustomField { get; set; }
    public JsonElement? Options { get; set; }
}

internal sealed class UserDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Name { get; set; }
    public string? Email { get; set; }
    public bool? ActiveFlag { get; set; }
    public string? TimezoneName { get; set; }
    public string? DefaultCurrency { get; set; }
}

internal sealed class CurrencyDto
{
    public string? Code { get; set; }
    public string? Name { get; set; }
    public int? DecimalPoints { get; set; }
    public string? Symbol { get; set; }
    public bool? ActiveFlag { get; set; }
}

internal sealed class ActivityTypeDto
{
    [JsonRequired] public long Id { get; set; }
    public string? Name { get; set; }
    public string? KeyString { get; set; }
    public int? OrderNr { get; set; }
    public bool? ActiveFlag { get; set; }
}

internal sealed class LeadValueDto
{
    public decimal? Amount { get; set; }
    public string? Currency { get; set; }
}

internal sealed class LeadDto
{
    [JsonRequired] public string Id { get; set; } = "";
    public string? Title { get; set; }
    public long? OwnerId { get; set; }
    public long? PersonId { get; set; }
    public long? OrganizationId { get; set; }
    public string? SourceName { get; set; }
    public string? Origin { get; set; }
    public bool? IsArchived { get; set; }
    public LeadValueDto? Value { get; set; }
    public string? ExpectedCloseDate { get; set; }
    public long? SourceDealId { get; set; }
    public string? AddTime { get; set; }
    public string? UpdateTime { get; set; }
}

/// <summary>An entry of a deal's changelog; the spec never lets field_key or time be null, and an entry without them cannot be read.</summary>
internal sealed class ChangelogDto
{
    [JsonRequired] public string FieldKey { get; set; } = "";
    public string? OldValue { get; set; }
    public string? NewValue { get; set; }
    [JsonRequired] public string Time { get; set; } = "";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(V2Page<DealDto>))]
[JsonSerializable(typeof(V2Page<ActivityDto>))]
[JsonSerializable(typeof(V2Page<PersonDto>))]
[JsonSerializable(typeof(V2Page<OrganizationDto>))]
[JsonSerializable(typeof(V2Page<PipelineDto>))]
[JsonSerializable(typeof(V2Page<StageDto>))]
[JsonSerializable(typeof(V2Page<DealFieldDto>))]
[JsonSerializable(typeof(V2Page<ChangelogDto>))]
[JsonSerializable(typeof(V1List<UserDto>))]
[JsonSerializable(typeof(V1List<CurrencyDto>))]
[JsonSerializable(typeof(V1List<ActivityTypeDto>))]
[JsonSerializable(typeof(V1List<LeadDto>))]
[JsonSerializable(typeof(PipedriveErrorDto))]
[JsonSerializable(typeof(Item<CurrentUserDto>))]
[JsonSerializable(typeof(Item<PersonDto>))]
[JsonSerializable(typeof(Item<PersonSearchDto>))]
[JsonSerializable(typeof(Item<WebhookDto>))]
[JsonSerializable(typeof(Item<WrittenDto>))]
[JsonSerializable(typeof(V1List<NoteDto>))]
internal sealed partial class PipedriveJsonContext : JsonSerializerContext;

/// <summary>POST /v1/webhooks: the webhook made (its id, to delete it later).</summary>
internal sealed class WebhookDto
{
    public long Id { get; set; }
    public string? SubscriptionUrl { get; set; }
}

internal sealed class PipedriveErrorDto
{
    public string? Error { get; set; }
    public string? ErrorInfo { get; set; }
}

/// <summary>Pipedrive's value formats: v2 RFC 3339, v1 "YYYY-MM-DD HH:MM:SS" (UTC), leads ISO with milliseconds.</summary>
public static class PipedriveFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static DateTimeOffset? Time(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (DateTimeOffset.TryParseExact(value, "yyyy-MM-dd HH:mm:ss", Inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var v1))
            return v1;
        if (DateTimeOffset.TryParse(value, Inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var iso))
            return iso;
        throw new FormatException($"'{value}' is not a Pipedrive timestamp.");
    }

    public static DateOnly? Date(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : DateOnly.TryParseExact(value.Length > 10 ? value[..10] : value, "yyyy-MM-dd", Inv, DateTimeStyles.None, out var d) ? d
        : throw new FormatException($"'{value}' is not a date (YYYY-MM-DD).");

    /// <summary>"15:00:00" or "15:00".</summary>
    public static TimeOnly? TimeOfDay(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : TimeOnly.TryParseExact(value, ["HH:mm:ss", "HH:mm"], Inv, DateTimeStyles.None, out var t) ? t
        : throw new FormatException($"'{value}' is not a time of day (HH:MM[:SS]).");

    /// <summary>"01:30:00" or "01:30"; hours may exceed 24.</summary>
    public static TimeSpan? Duration(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var parts = value.Split(':');
        if (parts.Length is 2 or 3 && parts.All(p => int.TryParse(p, NumberStyles.None, Inv, out _)))
        {
            var n = parts.Select(p => int.Parse(p, Inv)).ToArray();
            return new TimeSpan(n[0], n[1], n.Length == 3 ? n[2] : 0);
        }
        throw new FormatException($"'{value}' is not a duration (HH:MM[:SS]).");
    }
}
