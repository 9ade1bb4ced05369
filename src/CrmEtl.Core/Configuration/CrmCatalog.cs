namespace CrmEtl.Core.Configuration;

/// <param name="ForecastType">Zoho's forecast_type (Open, Closed Won, Closed Lost); null for Pipedrive stages.</param>
public sealed record CatalogStage(long Id, long PipelineId, string Name, int? OrderNr, string? ForecastType = null)
{
    /// <summary>The forecast_type that marks a lead status kept as a stage (of the CRM's lead-status pipeline).</summary>
    public const string LeadStatus = "Lead status";

    public bool ClosedWon => ForecastType == "Closed Won";
    public bool ClosedLost => ForecastType == "Closed Lost";
    public bool IsLeadStatus => ForecastType == LeadStatus;
}

public sealed record CatalogField(string Code, string Name, IReadOnlyDictionary<string, string> OptionIdsByLabel);

/// <summary>What one instance's CRM has, as synced into the replica: what a configuration may refer to.</summary>
public sealed record InstanceCatalog(int Id, string Name, string? Company)
{
    public IReadOnlyDictionary<long, string> Pipelines { get; init; } = new Dictionary<long, string>();
    public IReadOnlyDictionary<long, CatalogStage> Stages { get; init; } = new Dictionary<long, CatalogStage>();
    public IReadOnlyDictionary<long, string> Users { get; init; } = new Dictionary<long, string>();
    /// <summary>Activity type keys (Pipedrive's key_string, e.g. "call").</summary>
    public IReadOnlySet<string> ActivityTypes { get; init; } = new HashSet<string>();
    /// <summary>Custom deal fields, by code and by name.</summary>
    public IReadOnlyList<CatalogField> DealFields { get; init; } = [];

    public CatalogField? DealField(string nameOrCode) =>
        DealFields.FirstOrDefault(f => string.Equals(f.Code, nameOrCode, StringComparison.OrdinalIgnoreCase))
        ?? DealFields.FirstOrDefault(f => string.Equals(f.Name, nameOrCode, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The instances of one company and what their CRMs have.</summary>
public sealed record CrmCatalog(IReadOnlyList<InstanceCatalog> Instances)
{
    public InstanceCatalog? Instance(string name) =>
        Instances.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The record fields filters may use besides custom fields, per entity.</summary>
public static class StandardFilterFields
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ByEntity = new Dictionary<string, IReadOnlyList<string>>
    {
        [FilterEntities.Deal] = ["title", "status", "pipeline", "pipeline_id", "stage", "stage_id", "owner", "owner_id", "value", "currency", "origin", "channel", "lost_reason"],
        [FilterEntities.Activity] = ["type", "subject", "owner", "owner_id", "done", "deal_id"],
        [FilterEntities.Lead] = ["title", "source", "origin", "owner", "owner_id", "value_currency"],
    };

    public static string? Find(string entity, string field) =>
        ByEntity[entity].FirstOrDefault(f => string.Equals(f, field, StringComparison.OrdinalIgnoreCase));
}
