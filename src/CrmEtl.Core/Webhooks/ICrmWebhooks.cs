using CrmEtl.Core.Instances;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Core.Webhooks;

/// <summary>A webhook subscription made in a CRM: its id there, and where it sends.</summary>
public sealed record CrmWebhook(string Id, string SubscriptionUrl);

/// <summary>A CRM that can tell CrmEtl about changes as they happen (Pipedrive's webhooks), so a sync can follow within a minute.</summary>
public interface ICrmWebhooks
{
    string Kind { get; }

    /// <summary>Subscribes <paramref name="url"/> to every change of a deal, with HTTP basic auth.</summary>
    Task<CrmWebhook> SubscribeAsync(Instance instance, string url, string user, string password, ILogger logger, CancellationToken cancellationToken);

    /// <summary>Ends a subscription; false when the CRM no longer had it.</summary>
    Task<bool> UnsubscribeAsync(Instance instance, string id, ILogger logger, CancellationToken cancellationToken);
}
