using System.Globalization;
using System.Text.Json.Nodes;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Core.Webhooks;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Pipedrive;

// Webhooks: POST /v1/webhooks subscribes a URL to every deal change (version 2.0, basic auth); DELETE /v1/webhooks/{id} ends it.
public sealed partial class PipedriveConnector : ICrmWebhooks
{
    private const string WebhooksStream = "webhooks";

    public async Task<CrmWebhook> SubscribeAsync(Instance instance, string url, string user, string password, ILogger logger, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["subscription_url"] = url, ["event_action"] = "*", ["event_object"] = "deal", ["name"] = $"CrmEtl: {instance.Name}",
            ["http_auth_user"] = user, ["http_auth_password"] = password, ["version"] = "2.0",
        };
        var made = await Client(instance, new RunStats(), logger).PostAsync(WebhooksStream, "POST /api/v1/webhooks", "api/v1/webhooks",
            body.ToJsonString(), PipedriveJsonContext.Default.ItemWebhookDto, cancellationToken);
        return made?.Data is { Id: > 0 } hook
            ? new CrmWebhook(hook.Id.ToString(CultureInfo.InvariantCulture), hook.SubscriptionUrl ?? url)
            : throw new CrmException("Pipedrive answered the new webhook without it (POST /api/v1/webhooks).");
    }

    public async Task<bool> UnsubscribeAsync(Instance instance, string id, ILogger logger, CancellationToken cancellationToken) =>
        await Client(instance, new RunStats(), logger).DeleteAsync(WebhooksStream, "DELETE /api/v1/webhooks/{id}", $"api/v1/webhooks/{Uri.EscapeDataString(id)}",
            PipedriveJsonContext.Default.ItemWebhookDto, cancellationToken) is not null;
}
