namespace CrmEtl.Core.Replica;

// The replica's rows: what CrmEtl keeps of each CRM record. They mirror the crm.* tables
// (db/migrations/0003_crm_replica.sql); connectors produce them, storage writes them.

public sealed record PipelineRow(long Id, string Name, int? OrderNr, bool IsDeleted, DateTimeOffset? AddTime, DateTimeOffset? UpdateTime);

/// <param name="ForecastType">Zoho's forecast_type (Open, Closed Won, Closed Lost); null for Pipedrive.</param>
public sealed record StageRow(
    long Id, long PipelineId, string Name, int? OrderNr, int? DealProbability, bool IsDeleted,
    DateTimeOffset? AddTime, DateTimeOffset? UpdateTime, string? ForecastType = null);

public sealed record UserRow(long Id, string Name, string? Email, bool Active, string? TimeZone, string? DefaultCurrency);

public sealed record CurrencyRow(string Code, string? Name, int? DecimalPoints, string? Symbol, bool Active);

public sealed record ActivityTypeRow(long Id, string Name, string KeyString, int? OrderNr, bool Active);

public sealed record DealFieldRow(string FieldCode, string FieldName, string FieldType, bool IsCustomField, string? OptionsJson);

public sealed record DealRow
{
    public required long Id { get; init; }
    public string? Title { get; init; }
    public decimal? Value { get; init; }
    public string? Currency { get; init; }
    public required string Status { get; init; }
    public long? PipelineId { get; init; }
    public long? StageId { get; init; }
    public long? OwnerId { get; init; }
    public long? PersonId { get; init; }
    public long? OrgId { get; init; }
    public required DateTimeOffset AddTime { get; init; }
    public required DateTimeOffset UpdateTime { get; init; }
    public DateTimeOffset? StageChangeTime { get; init; }
    public DateTimeOffset? WonTime { get; init; }
    public DateTimeOffset? LostTime { get; init; }
    public DateTimeOffset? CloseTime { get; init; }
    public DateOnly? ExpectedCloseDate { get; init; }
    public decimal? Probability { get; init; }
    public string? LostReason { get; init; }
    public bool IsDeleted { get; init; }
    public bool IsArchived { get; init; }
    public DateTimeOffset? ArchiveTime { get; init; }
    public string? Origin { get; init; }
    public int? Channel { get; init; }
    public string? SourceLeadId { get; init; }
    public long[]? LabelIds { get; init; }
    public string? CustomFieldsJson { get; init; }
}

public sealed record ActivityRow
{
    public required long Id { get; init; }
    public string? Subject { get; init; }
    public string? Type { get; init; }
    public long? OwnerId { get; init; }
    public long? DealId { get; init; }
    public string? LeadId { get; init; }
    public long? PersonId { get; init; }
    public long? OrgId { get; init; }
    public DateOnly? DueDate { get; init; }
    public TimeOnly? DueTime { get; init; }
    public TimeSpan? Duration { get; init; }
    public bool Done { get; init; }
    public DateTimeOffset? MarkedAsDoneTime { get; init; }
    public DateTimeOffset? AddTime { get; init; }
    public DateTimeOffset? UpdateTime { get; init; }
    public bool IsDeleted { get; init; }
}

public sealed record LeadRow
{
    public required string Id { get; init; }
    public string? Title { get; init; }
    public long? OwnerId { get; init; }
    public long? PersonId { get; init; }
    public long? OrganizationId { get; init; }
    public string? SourceName { get; init; }
    public string? Origin { get; init; }
    public decimal? ValueAmount { get; init; }
    public string? ValueCurrency { get; init; }
    public DateOnly? ExpectedCloseDate { get; init; }
    public bool IsArchived { get; init; }
    public long? SourceDealId { get; init; }
    public DateTimeOffset? AddTime { get; init; }
    public DateTimeOffset? UpdateTime { get; init; }
    public bool IsDeleted { get; init; }
    /// <summary>Zoho's Lead_Status; null for Pipedrive.</summary>
    public string? Status { get; init; }
    /// <summary>The deal a converted Zoho lead became.</summary>
    public long? ConvertedDealId { get; init; }
    public DateTimeOffset? ConvertedTime { get; init; }
}

/// <summary>An e-mail address or phone number of a contact, as the CRM lists it.</summary>
public sealed record ContactPoint(string Value, string? Label, bool Primary);

/// <summary>A CRM contact: a Pipedrive person, a Zoho contact. Every e-mail and phone is kept.</summary>
public sealed record ContactRow
{
    public required long Id { get; init; }
    public string? Name { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public long? OwnerId { get; init; }
    public long? OrgId { get; init; }
    public IReadOnlyList<ContactPoint> Emails { get; init; } = [];
    public IReadOnlyList<ContactPoint> Phones { get; init; } = [];
    public DateTimeOffset? AddTime { get; init; }
    public DateTimeOffset? UpdateTime { get; init; }
    public bool IsDeleted { get; init; }
}

/// <summary>A CRM organization: a Pipedrive organization, a Zoho account.</summary>
public sealed record OrganizationRow
{
    public required long Id { get; init; }
    public string? Name { get; init; }
    public long? OwnerId { get; init; }
    public string? Address { get; init; }
    public DateTimeOffset? AddTime { get; init; }
    public DateTimeOffset? UpdateTime { get; init; }
    public bool IsDeleted { get; init; }
}

/// <summary>One arrival of a deal in a stage; ord 0 is the stage the deal was created in.</summary>
public sealed record StageArrival(int Ord, long StageId, long? FromStageId, DateTimeOffset EnteredAt);

/// <summary>A deal's whole stage history, replacing what the replica had for it.</summary>
/// <param name="FetchedFor">The deal's stage change time as the replica had it when the history was asked for.</param>
/// <param name="AskedAt">
/// When the CRM was asked, if the history was read from a log that a later question may find longer (Pipedrive's
/// changelog). The CRM's times have whole seconds: a deal updated within seconds of that moment may have moved after
/// the answer and back within the same second, and its row then looks unchanged; so it stays due.
/// </param>
public sealed record DealStageHistory(long DealId, DateTimeOffset? FetchedFor, IReadOnlyList<StageArrival> Arrivals, DateTimeOffset? AskedAt = null);
