using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>A webhook subscription of a sandbox account (POST /v1/webhooks).</summary>
public sealed class SbWebhook
{
    public long Id { get; init; }
    public required string SubscriptionUrl { get; init; }
    public required string EventAction { get; init; }
    public required string EventObject { get; init; }
    public required string Name { get; init; }
    public string? HttpAuthUser { get; init; }
    public string? HttpAuthPassword { get; init; }
    public string Version { get; init; } = "2.0";
    public long UserId { get; init; }
    public DateTime AddTime { get; init; }
    public bool IsActive { get; set; } = true;
    public DateTime? LastDeliveryTime { get; set; }
    public int? LastHttpStatus { get; set; }
}

/// <summary>One attempt to deliver a webhook event: what was sent where, and the receiver's answer (0 when none came).</summary>
public sealed record WebhookAttempt(long WebhookId, string Action, long DealId, int Attempt, int Status, DateTimeOffset At, JsonObject Payload);

/// <summary>
/// Sends an account's webhooks as Pipedrive documents them (v2): every few hundred milliseconds the deals changed since
/// the last look are compared with what was last sent, and each subscription matching the change gets
/// <c>{meta: {action, entity, entity_id, id, correlation_id, timestamp, webhook_id, is_bulk_edit, change_source, …},
/// data, previous}</c> (previous holds only the changed fields' old values; null on create), with basic auth when set. A
/// delivery fails on a non-2xx or no answer within 10 s and is tried again after 3, 30 and 150 s.
/// </summary>
internal sealed class PipedriveWebhookSender : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly IReadOnlyList<PipedriveCompany> _companies;
    private readonly TimeProvider _clock;
    private readonly IReadOnlyList<TimeSpan> _retries;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<Task, byte> _sending = new();

    public PipedriveWebhookSender(IReadOnlyList<PipedriveCompany> companies, TimeProvider clock, IReadOnlyList<TimeSpan> retries, TimeSpan scanEvery)
    {
        (_companies, _clock, _retries) = (companies, clock, retries);
        _loop = Task.Run(() => LoopAsync(scanEvery));
    }

    public ConcurrentQueue<WebhookAttempt> Attempts { get; } = new();

    /// <summary>A first subscription starts from the deals as they are: only later changes are sent. Called under the company's lock.</summary>
    internal static void StartWatching(PipedriveCompany company)
    {
        if (company.WebhookSeen.Count > 0) return;
        foreach (var deal in company.Deals) company.WebhookSeen[deal.Id] = Json(w => PipedriveJson.Deal(w, deal, company.DealFields));
        company.WebhookWatermark = company.Deals.Count == 0 ? DateTime.MinValue : company.Deals.Max(d => d.UpdateTime);
    }

    private async Task LoopAsync(TimeSpan every)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
                foreach (var company in _companies)
                    foreach (var (hook, payload) in Changes(company))
                    {
                        var send = SendAsync(company, hook, payload);
                        _sending.TryAdd(send, 0);
                        _ = send.ContinueWith(t => _sending.TryRemove(t, out _), TaskScheduler.Default);
                    }
        }
        catch (OperationCanceledException) { /* disposed */ }
    }

    /// <summary>The events of the deals changed since the last look, one per matching subscription.</summary>
    private List<(SbWebhook Hook, JsonObject Payload)> Changes(PipedriveCompany company)
    {
        var events = new List<(SbWebhook, JsonObject)>();
        lock (company.Sync)
        {
            var hooks = company.Webhooks.Where(h => h.IsActive && h.EventObject is "deal" or "*").ToList();
            if (hooks.Count == 0) return events;
            var seen = company.WebhookSeen;
            foreach (var deal in company.Deals.Where(d => d.UpdateTime >= company.WebhookWatermark.AddSeconds(-2) || !seen.ContainsKey(d.Id)))
            {
                var now = Json(w => PipedriveJson.Deal(w, deal, company.DealFields));
                seen.TryGetValue(deal.Id, out var before);
                string action;
                JsonObject? previous = null;
                if (before is null) action = "create";
                else if (deal.IsDeleted && before["is_deleted"]?.GetValue<bool>() != true) action = "delete";
                else
                {
                    previous = new JsonObject();
                    foreach (var (name, value) in now)
                        if (!JsonNode.DeepEquals(value, before[name])) previous[name] = before[name]?.DeepClone();
                    if (previous.Count == 0) continue;
                    action = "change";
                }
                seen[deal.Id] = now;
                foreach (var hook in hooks.Where(h => h.EventAction == "*" || h.EventAction == action))
                    events.Add((hook, Payload(company, hook, deal, action, now, previous)));
            }
            company.WebhookWatermark = company.Deals.Count == 0 ? DateTime.MinValue : company.Deals.Max(d => d.UpdateTime);
        }
        return events;
    }

    private JsonObject Payload(PipedriveCompany company, SbWebhook hook, SbDeal deal, string action, JsonObject data, JsonObject? previous) => new()
    {
        ["data"] = action == "delete" ? null : data.DeepClone(),
        ["previous"] = action == "create" ? null : action == "delete" ? data.DeepClone() : previous,
        ["meta"] = new JsonObject
        {
            ["action"] = action, ["entity"] = "deal", ["entity_id"] = deal.Id.ToString(CultureInfo.InvariantCulture),
            ["id"] = Guid.NewGuid().ToString(), ["correlation_id"] = Guid.NewGuid().ToString(),
            ["timestamp"] = _clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["webhook_id"] = hook.Id.ToString(CultureInfo.InvariantCulture), ["is_bulk_edit"] = false, ["change_source"] = "app",
            ["company_id"] = "1", ["user_id"] = hook.UserId.ToString(CultureInfo.InvariantCulture), ["type"] = "general", ["version"] = "2.0",
            ["host"] = company.Options.Name.ToLowerInvariant() + ".pipedrive.com", ["attempt"] = 1,
        },
    };

    private async Task SendAsync(PipedriveCompany company, SbWebhook hook, JsonObject payload)
    {
        var dealId = long.Parse(payload["meta"]!["entity_id"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var action = payload["meta"]!["action"]!.GetValue<string>();
        for (var attempt = 1; ; attempt++)
        {
            payload["meta"]!["attempt"] = attempt;
            int status;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, hook.SubscriptionUrl) { Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json") };
                if (hook.HttpAuthUser is not null)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{hook.HttpAuthUser}:{hook.HttpAuthPassword}")));
                using var response = await Http.SendAsync(request, _stop.Token);
                status = (int)response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !_stop.IsCancellationRequested)
            {
                status = 0;
            }
            catch (OperationCanceledException) { return; }
            Attempts.Enqueue(new WebhookAttempt(hook.Id, action, dealId, attempt, status, _clock.GetUtcNow(), (JsonObject)payload.DeepClone()));
            lock (company.Sync) (hook.LastDeliveryTime, hook.LastHttpStatus) = (_clock.GetUtcNow().UtcDateTime, status);
            if (status is >= 200 and < 300 || attempt > _retries.Count) return;
            try { await Task.Delay(_retries[attempt - 1], _clock, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    internal static JsonObject Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await Task.WhenAll(_sending.Keys);
        _stop.Dispose();
    }
}
