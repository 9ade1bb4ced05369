using CrmEtl.Core.Sync;
using CrmEtl.Storage.Customers;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Instances;

/// <summary>
/// Each CRM's web address (under which its record pages are: customer cards and Trello cards link to them), asked of the
/// CRM once and kept on the instance. When the CRM cannot tell within the patience given, the caller goes without links
/// and the next one asks again.
/// </summary>
public sealed partial class WebAddresses(InstanceRepository instances, IEnumerable<ICrmConnector> connectors, CustomerCardQuery query, ILogger<WebAddresses> logger)
{
    /// <summary>The address kept on the instance, else asked of the CRM as <see cref="ReadAsync"/> does.</summary>
    public async Task<string?> KnownOrReadAsync(int instanceId, TimeSpan patience, CancellationToken cancellationToken) =>
        await query.WebAddressAsync(instanceId, cancellationToken) ?? await ReadAsync(instanceId, patience, cancellationToken);

    public async Task<string?> ReadAsync(int instanceId, TimeSpan patience, CancellationToken cancellationToken)
    {
        var instance = await instances.FindAsync(instanceId, cancellationToken);
        var connector = connectors.FirstOrDefault(c => c.Kind == instance?.Kind);
        if (instance is null || connector is null) return null;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(patience);
        try
        {
            var address = await connector.WebAddressAsync(instance, logger, limit.Token);
            await query.SetWebAddressAsync(instance.Id, address, cancellationToken);
            return address;
        }
        catch (Exception e) when (e is CrmException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            NoWebAddress(logger, instance.Name, e is CrmException ? e.Message : $"no answer within {patience.TotalSeconds:0.#} s");
            return null;
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The web address of {Instance} could not be read, so links to its pages wait for the next try: {Reason}")]
    private static partial void NoWebAddress(ILogger logger, string instance, string reason);
}
