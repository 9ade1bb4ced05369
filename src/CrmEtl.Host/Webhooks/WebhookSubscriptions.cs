using System.Security.Cryptography;
using System.Text;
using CrmEtl.Core.Webhooks;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Host.Webhooks;

/// <summary>
/// Webhooks from the CRM (Pipedrive): 'crmetl webhooks enable' subscribes the worker's public address to every deal
/// change with a generated basic-auth user and password; the receiver (POST /hooks/pipedrive/{instance id}) checks them,
/// answers at once and makes an incremental sync due after Webhooks:Debounce; a worker then asks for that one run.
/// </summary>
public sealed partial class WebhookSubscriptions(
    WebhookStore store, InstanceLifecycle instances, IEnumerable<ICrmWebhooks> crms, IOptions<WebhookOptions> options, ILogger<WebhookSubscriptions> logger)
{
    public const string PathPrefix = "/hooks/pipedrive";

    /// <summary>Subscribes the instance (replacing its earlier subscription); <paramref name="publicUrl"/> is where the CRM reaches this worker.</summary>
    public async Task<WebhookInfo> EnableAsync(string instanceName, string? publicUrl, string? by, CancellationToken ct)
    {
        var instance = await instances.FindAsync(instanceName, ct);
        var crm = crms.FirstOrDefault(c => c.Kind == instance.Kind)
            ?? throw new ArgumentException($"'{instance.Name}' is a {instance.Kind} instance: only Pipedrive sends webhooks; its changes come with the scheduled runs.");
        var url = SubscriptionUrl(publicUrl, instance.Id);
        if (await store.FindAsync(instance.Id, ct) is { } old) await crm.UnsubscribeAsync(instance, old.CrmWebhookId, logger, ct);
        var user = $"crmetl-{instance.Id}";
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var made = await crm.SubscribeAsync(instance, url, user, password, logger, ct);
        await store.SaveAsync(instance.Id, made.Id, url, user, password, by, ct);
        return (await store.FindAsync(instance.Id, ct))!;
    }

    public async Task<bool> DisableAsync(string instanceName, CancellationToken ct)
    {
        var instance = await instances.FindAsync(instanceName, ct);
        if (await store.FindAsync(instance.Id, ct) is not { } hook) return false;
        if (crms.FirstOrDefault(c => c.Kind == instance.Kind) is { } crm) await crm.UnsubscribeAsync(instance, hook.CrmWebhookId, logger, ct);
        return await store.RemoveAsync(instance.Id, ct);
    }

    /// <summary>{public url}/hooks/pipedrive/{id}: HTTPS, except on this machine (a proxy in front terminates TLS).</summary>
    public static string SubscriptionUrl(string? publicUrl, int instanceId)
    {
        if (string.IsNullOrWhiteSpace(publicUrl) || !Uri.TryCreate(publicUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            throw new ArgumentException("--url is the worker's public address as Pipedrive reaches it, e.g. https://crmetl.example.com (a TLS proxy in front of the worker; see OPERATIONS.md).");
        if (uri.Scheme == "http" && !uri.IsLoopback)
            throw new ArgumentException($"--url '{publicUrl}' is not HTTPS: Pipedrive would send the webhook's password in the clear. Put a TLS proxy in front of the worker and give its https:// address.");
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new ArgumentException($"--url '{publicUrl}' has a query or fragment: give the address the proxy serves the worker under, e.g. https://crmetl.example.com.");
        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + PathPrefix + "/" + instanceId.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>POST /hooks/pipedrive/{id}: the user and password checked, the event counted, a sync made due; 200 at once.</summary>
    public async Task<IResult> ReceiveAsync(int id, HttpContext context, CancellationToken ct)
    {
        var expected = await store.CredentialsAsync(id, ct);
        if (expected is null || !Matches(context.Request.Headers.Authorization.ToString(), expected.Value))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"crmetl\"";
            return Results.Problem(statusCode: 401, title: "This webhook's user and password are not the ones CrmEtl gave Pipedrive ('crmetl webhooks enable' makes new ones).");
        }
        await store.ReceivedAsync(id, options.Value.Debounce, ct);
        Received(logger, id);
        return Results.Ok(new { received = true });
    }

    private static bool Matches(string header, (string User, string Password) expected)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        byte[] sent;
        try { sent = Convert.FromBase64String(header[6..].Trim()); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(sent, Encoding.UTF8.GetBytes($"{expected.User}:{expected.Password}"));
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Debug, Message = "A webhook of instance {InstanceId} was received: a sync is due")]
    private static partial void Received(ILogger logger, int instanceId);
}

public static class WebhookEndpoints
{
    public static void MapWebhooks(this WebApplication app) =>
        app.MapPost(WebhookSubscriptions.PathPrefix + "/{id:int}", (int id, HttpContext context, WebhookSubscriptions hooks, CancellationToken ct) => hooks.ReceiveAsync(id, context, ct))
            .DisableAntiforgery()
            .WithSummary("Pipedrive's webhooks (made by 'crmetl webhooks enable'): basic auth with the generated user and password; answers at once, syncs the instance after Webhooks:Debounce.");
}
