namespace CrmEtl.Sandbox.Pipedrive;

// The sandbox's own model of a Pipedrive account. It is written from Pipedrive's documented
// behaviour, independently of the connector's types.

public sealed record SbPipeline(long Id, string Name, int OrderNr, DateTime AddTime, DateTime UpdateTime);

public sealed record SbStage(long Id, long PipelineId, string Name, int OrderNr, int DealProbability, int? DaysToRotten, DateTime AddTime, DateTime UpdateTime);

public sealed record SbUser(long Id, string Name, string Email, string TimeZone, string DefaultCurrency, bool Active, DateTime Created);

public sealed record SbCurrency(int Id, string Code, string Name, int DecimalPoints, string Symbol);

public sealed record SbActivityType(long Id, string Name, string KeyString, string IconKey, int OrderNr, DateTime AddTime);

public sealed record SbDealField(string Key, string Name, string FieldType, bool IsCustom, IReadOnlyList<(long Id, string Label)>? Options);

/// <summary>One changelog entry of a deal (field_key, old, new, time).</summary>
public sealed record SbChange(string FieldKey, string? OldValue, string? NewValue, long ActorUserId, DateTime Time);

public sealed class SbDeal
{
    public long Id { get; init; }
    public string Title { get; set; } = "";
    public decimal Value { get; set; }
    public string Currency { get; set; } = "EUR";
    /// <summary>open | won | lost; a deleted deal keeps its last status here and has IsDeleted.</summary>
    public string Status { get; set; } = "open";
    public long PipelineId { get; set; }
    public long StageId { get; set; }
    public long OwnerId { get; set; }
    public long? PersonId { get; set; }
    public long? OrgId { get; set; }
    public DateTime AddTime { get; init; }
    public DateTime UpdateTime { get; set; }
    public DateTime? StageChangeTime { get; set; }
    public DateTime? WonTime { get; set; }
    public DateTime? LostTime { get; set; }
    public DateTime? CloseTime { get; set; }
    public DateOnly? ExpectedCloseDate { get; set; }
    public int? Probability { get; set; }
    public string? LostReason { get; set; }
    public bool IsDeleted { get; set; }
    public DateTime? DeleteTime { get; set; }
    public bool IsArchived { get; set; }
    public DateTime? ArchiveTime { get; set; }
    public string Origin { get; set; } = "ManuallyCreated";
    public int? Channel { get; set; }
    public string? SourceLeadId { get; set; }
    public long[] LabelIds { get; set; } = [];
    /// <summary>Custom field values by field key: string, double, long (option id) or (decimal, currency) for monetary.</summary>
    public Dictionary<string, object?> CustomFields { get; } = new(StringComparer.Ordinal);
    /// <summary>The changelog, oldest first.</summary>
    public List<SbChange> Changes { get; } = [];

    /// <summary>Status as the v2 API reports it.</summary>
    public string ApiStatus => IsDeleted ? "deleted" : Status;
}

public sealed class SbActivity
{
    public long Id { get; init; }
    public string Subject { get; set; } = "";
    public string Type { get; set; } = "call";
    public long OwnerId { get; set; }
    public long CreatorUserId { get; init; }
    public long? DealId { get; set; }
    public string? LeadId { get; set; }
    public long? PersonId { get; set; }
    public long? OrgId { get; set; }
    public DateOnly DueDate { get; set; }
    /// <summary>UTC time of day; null for an all-day activity.</summary>
    public TimeOnly? DueTime { get; set; }
    public TimeSpan? Duration { get; set; }
    public bool Busy { get; set; }
    public bool Done { get; set; }
    public DateTime? MarkedAsDoneTime { get; set; }
    public DateTime AddTime { get; init; }
    public DateTime UpdateTime { get; set; }
    public bool IsDeleted { get; set; }
    public int Priority { get; set; }
    /// <summary>The note (HTML) a user or an integration wrote on the activity.</summary>
    public string? Note { get; set; }
}

public sealed class SbLead
{
    public string Id { get; init; } = "";
    public string Title { get; set; } = "";
    public long OwnerId { get; set; }
    public long CreatorId { get; init; }
    public long? PersonId { get; set; }
    public long? OrganizationId { get; set; }
    public string SourceName { get; set; } = "Manually created";
    public string Origin { get; set; } = "ManuallyCreated";
    public bool IsArchived { get; set; }
    public bool WasSeen { get; set; }
    public decimal? ValueAmount { get; set; }
    public string? ValueCurrency { get; set; }
    public DateOnly? ExpectedCloseDate { get; set; }
    public long? SourceDealId { get; set; }
    public DateTime AddTime { get; init; }
    public DateTime UpdateTime { get; set; }
    public bool IsDeleted { get; set; }
    public string[] LabelIds { get; set; } = [];
}

/// <summary>An e-mail address or phone number of a person, with its label (work, home, mobile, other).</summary>
public sealed record SbContactPoint(string Value, string Label, bool Primary);

public sealed class SbPerson
{
    public long Id { get; init; }
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    public string Name => $"{FirstName} {LastName}".Trim();
    public long OwnerId { get; set; }
    public long? OrgId { get; set; }
    public List<SbContactPoint> Emails { get; set; } = [];
    public List<SbContactPoint> Phones { get; set; } = [];
    /// <summary>Custom field values by their 40-character key, as written (string, number or null).</summary>
    public Dictionary<string, System.Text.Json.Nodes.JsonNode?> CustomFields { get; } = new(StringComparer.Ordinal);
    public DateTime AddTime { get; init; }
    public DateTime UpdateTime { get; set; }
    public bool IsDeleted { get; set; }
}

/// <summary>A note (v1 /notes) on a deal, person or organization; content is HTML as written.</summary>
public sealed class SbNote
{
    public long Id { get; init; }
    public string Content { get; set; } = "";
    public long UserId { get; init; }
    public long? DealId { get; init; }
    public long? PersonId { get; init; }
    public long? OrgId { get; init; }
    public DateTime AddTime { get; init; }
    public DateTime UpdateTime { get; set; }
}

public sealed class SbOrganization
{
    public long Id { get; init; }
    public string Name { get; set; } = "";
    public long OwnerId { get; set; }
    public string? Address { get; set; }
    public string? Country { get; set; }
    /// <summary>The phone an API write gave the organization (Zoho's Account Phone); the generated ones have none.</summary>
    public string? Phone { get; set; }
    public DateTime AddTime { get; init; }
    public DateTime UpdateTime { get; set; }
    public bool IsDeleted { get; set; }
}
