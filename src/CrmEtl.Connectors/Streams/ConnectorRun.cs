using CrmEtl.Core.Sync;

namespace CrmEtl.Connectors.Streams;

/// <summary>
/// One run of a connector: reads the instance's checkpoints, takes the requested mode (or a full resync when the main
/// stream's last complete pass is too old), and runs the streams the connector declares, in order.
/// </summary>
/// <param name="mainStream">The stream whose last complete pass decides whether a full resync is due (the deals').</param>
internal abstract class ConnectorRun(SyncContext context, StreamSettings settings, string mainStream)
{
    protected StreamRunner Runner { get; private set; } = null!;

    protected SyncContext Context => context;

    protected int InstanceId => context.Instance.Id;

    public async Task<SyncMode> ExecuteAsync(CancellationToken ct)
    {
        Runner = await StreamRunner.StartAsync(context, settings, ct);
        var mode = Runner.ModeFor(mainStream, context.RequestedMode);
        await Runner.RunAllAsync(Declare(mode), mode, ct);
        return mode;
    }

    /// <summary>The run's streams, in order; enumerated as they run, so a declaration may use what the streams before it read.</summary>
    protected abstract IEnumerable<ISyncStream> Declare(SyncMode mode);
}
