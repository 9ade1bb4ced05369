using CrmEtl.Core.Sync;

namespace CrmEtl.Core.Replica;

/// <summary>
/// Rows and bookmarks that are committed together, in one transaction: a stream's checkpoint only
/// ever travels with the rows it describes.
/// </summary>
public sealed class ReplicaBatch
{
    public List<PipelineRow> Pipelines { get; } = [];
    public List<StageRow> Stages { get; } = [];
    public List<UserRow> Users { get; } = [];
    public List<CurrencyRow> Currencies { get; } = [];
    public List<ActivityTypeRow> ActivityTypes { get; } = [];
    public List<DealFieldRow> DealFields { get; } = [];
    public List<DealRow> Deals { get; } = [];
    public List<ActivityRow> Activities { get; } = [];
    public List<LeadRow> Leads { get; } = [];
    public List<ContactRow> Contacts { get; } = [];
    public List<OrganizationRow> Organizations { get; } = [];
    public List<DealStageHistory> StageHistories { get; } = [];
    public List<StreamCheckpoint> Checkpoints { get; } = [];
    /// <summary>After a complete pass over a source: records of the table not seen in it are gone from the CRM.</summary>
    public List<Reconciliation> Reconciliations { get; } = [];
    /// <summary>Records the CRM reports deleted (Zoho's deleted-records list): flagged, kept for tracing.</summary>
    public List<Deletion> Deletions { get; } = [];

    public int RowCount =>
        Pipelines.Count + Stages.Count + Users.Count + Currencies.Count + ActivityTypes.Count + DealFields.Count +
        Deals.Count + Activities.Count + Leads.Count + Contacts.Count + Organizations.Count + StageHistories.Count;
}

public enum ReplicaEntity { Deal, Activity, Lead, Contact, Organization }

/// <summary>Mark as deleted every live record of <paramref name="Entity"/> whose id <paramref name="Seen"/> does not contain.</summary>
public sealed record Reconciliation(ReplicaEntity Entity, Func<string, bool> Seen);

/// <summary>A record the CRM reports as deleted.</summary>
public sealed record Deletion(ReplicaEntity Entity, string Id);

/// <summary>A deal whose stage history must be (re)built.</summary>
public sealed record DealHistoryDue(long DealId, long? StageId, DateTimeOffset AddTime, DateTimeOffset? StageChangeTime);

/// <summary>The replica as a connector sees it: read bookmarks, commit batches.</summary>
public interface IReplicaStore
{
    Task<IReadOnlyDictionary<string, StreamCheckpoint>> LoadCheckpointsAsync(int instanceId, CancellationToken cancellationToken);

    /// <summary>Commits the batch atomically; returns the number of replica rows inserted or changed.</summary>
    Task<long> CommitAsync(int instanceId, ReplicaBatch batch, CancellationToken cancellationToken);

    /// <summary>Deals (not deleted) whose stage history is due, at most <paramref name="limit"/>, by id.</summary>
    Task<IReadOnlyList<DealHistoryDue>> DealsDueForHistoryAsync(int instanceId, long afterDealId, int limit, CancellationToken cancellationToken);

    /// <summary>The given deals (not deleted) as <see cref="DealHistoryDue"/>, whether due or not.</summary>
    Task<IReadOnlyList<DealHistoryDue>> DealsForHistoryAsync(int instanceId, IReadOnlyCollection<long> dealIds, CancellationToken cancellationToken);

    /// <summary>The stored stage arrivals of the given deals, by deal, in order.</summary>
    Task<IReadOnlyDictionary<long, IReadOnlyList<StageArrival>>> StageHistoriesAsync(int instanceId, IReadOnlyCollection<long> dealIds, CancellationToken cancellationToken);
}
