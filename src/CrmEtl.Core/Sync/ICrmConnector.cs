using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Core.Sync;

/// <summary>Everything a connector needs for one run of one instance.</summary>
public sealed record SyncContext(
    Instance Instance,
    SyncMode RequestedMode,
    IReplicaStore Replica,
    RunStats Stats,
    TimeProvider Clock,
    ILogger Logger);

/// <summary>A CRM connector: reads its streams and commits them to the replica, batch by batch.</summary>
public interface ICrmConnector
{
    string Kind { get; }

    /// <summary>
    /// Runs the streams. Throws <see cref="CrmAuthException"/>, <see cref="CrmBudgetExhaustedException"/>
    /// or <see cref="CrmException"/>; whatever was committed before the throw is consistent.
    /// Returns the mode actually used (an incremental request may become a full resync).
    /// </summary>
    Task<SyncMode> RunAsync(SyncContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The connection test: signs in with the instance's credentials and lists its live pipelines
    /// with their stages. Throws like <see cref="RunAsync"/>.
    /// </summary>
    Task<IReadOnlyList<CrmPipeline>> ListPipelinesAsync(Instance instance, ILogger logger, CancellationToken cancellationToken);

    /// <summary>
    /// The account's web address, under which its record pages are (see <see cref="CrmEtl.Core.Customers.CrmLinks"/>).
    /// Throws like <see cref="RunAsync"/>.
    /// </summary>
    Task<string> WebAddressAsync(Instance instance, ILogger logger, CancellationToken cancellationToken);
}

public sealed record CrmPipeline(long Id, string Name, IReadOnlyList<CrmStage> Stages);

public sealed record CrmStage(long Id, string Name);
