using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Core.Webhooks;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Scheduling;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Runs;
using CrmEtl.Storage.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrmEtl.Host.Webhooks;

/// <summary>Webhooks (configuration section "Webhooks"): how long to gather events before syncing.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>The wait from the first event until the sync it asks for: the events meanwhile ride on the same run.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00", ErrorMessage = "Webhooks:Debounce is how long events are gathered before one sync, up to 00:30:00 (e.g. 00:00:10).")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a worker looks for a due sync.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Webhooks:CheckEvery is how often a worker looks for syncs asked by webhooks, between 00:00:00.100 and 00:10:00 (e.g. 00:00:01).")]
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(1);
}

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

/// <summary>In every worker: asks for the incremental run of each instance whose webhook-made sync is due.</summary>
public sealed partial class WebhookSyncService(
    WebhookStore store, InstanceRepository instances, RefreshRequests refreshes, SyncRunLog runs, IOptions<WebhookOptions> options, TimeProvider clock,
    ILogger<WebhookSyncService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckEvery, clock);
        do
        {
            try
            {
                foreach (var (instanceId, dueAt) in await store.DueAsync(stoppingToken)) await RequestAsync(instanceId, dueAt, stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or Quartz.SchedulerException)
            {
                NotRequested(logger, e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RequestAsync(int instanceId, DateTime dueAt, CancellationToken ct)
    {
        var instance = await instances.FindAsync(instanceId, ct);
        if (instance is null || !instance.Enabled)
        {
            await store.SyncRequestedAsync(instanceId, dueAt, 0, ct); // nothing to sync: the event is dropped with the instance's runs
            return;
        }
        var (runId, created) = await refreshes.RequestAsync(instance, SyncMode.Incremental, ct);
        // A run already under way may have read past the change: the sync stays due until a run that starts after it is queued.
        if (!created && (await runs.FindAsync(runId, ct))?.Status != "queued") return;
        await store.SyncRequestedAsync(instanceId, dueAt, runId, ct);
        SyncRequested(logger, instance.Name, runId);
    }

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Webhooks of {Instance} asked for run {RunId}")]
    private static partial void SyncRequested(ILogger logger, string instance, long runId);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "A sync asked by webhooks could not be queued yet: {Reason}")]
    private static partial void NotRequested(ILogger logger, string reason);
}

public static class WebhookEndpoints
{
    public static void MapWebhooks(this WebApplication app) =>
        app.MapPost(WebhookSubscriptions.PathPrefix + "/{id:int}", (int id, HttpContext context, WebhookSubscriptions hooks, CancellationToken ct) => hooks.ReceiveAsync(id, context, ct))
            .DisableAntiforgery()
            .WithSummary("Pipedrive's webhooks (made by 'crmetl webhooks enable'): basic auth with the generated user and password; answers at once, syncs the instance after Webhooks:Debounce.");
}
