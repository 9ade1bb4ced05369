using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Pipedrive;

/// <summary>
/// Pipedrive over HTTP: authenticates with the x-api-token header (never in a URL, so URLs are safe
/// to log), charges each call's token cost to its stream, keeps to the burst window the headers
/// announce, retries what is transient and turns the rest into errors a person can act on.
/// </summary>
internal sealed partial class PipedriveClient(HttpClient http, string apiToken, PipedriveOptions options, RunStats stats, ILogger logger)
{
    /// <summary>Each operation's x-token-cost in Pipedrive's spec.</summary>
    internal static readonly IReadOnlyDictionary<string, int> Costs = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["/api/v2/deals"] = 10,
        ["/api/v2/deals/archived"] = 20,
        ["/api/v2/activities"] = 10,
        ["/api/v2/persons"] = 10,
        ["/api/v2/organizations"] = 10,
        ["/api/v2/persons/search"] = 20,
        ["POST /api/v2/persons"] = 5,
        ["POST /api/v1/webhooks"] = 10,
        ["DELETE /api/v1/webhooks/{id}"] = 6,
        ["/api/v2/pipelines"] = 5,
        ["/api/v2/stages"] = 5,
        ["/api/v2/dealFields"] = 10,
        ["/api/v1/users"] = 20,
        ["/api/v1/users/me"] = 2,
        ["/api/v1/currencies"] = 20,
        ["/api/v1/activityTypes"] = 20,
        ["/api/v1/leads"] = 20,
        ["/api/v1/leads/archived"] = 40,
        ["/api/v1/deals/{id}/changelog"] = 20,
    };

    // UTC ticks; requests run concurrently (stage history), so it is read and written atomically.
    private long _burstWindowEnds;

    /// <summary>Every record of a cursor-paged v2 list, page by page.</summary>
    public async IAsyncEnumerable<T> V2Async<T>(string stream, string operation, string query, System.Text.Json.Serialization.Metadata.JsonTypeInfo<V2Page<T>> type, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        string? cursor = null;
        var streamStats = stats.For(stream);
        do
        {
            var path = $"{operation.TrimStart('/')}?limit={options.PageSize}" + (query.Length > 0 ? "&" + query.TrimStart('&') : "")
                + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await GetAsync(stream, operation, path, type, ct)
                ?? throw new CrmException($"Pipedrive answered 404 for {operation}: the account or API version does not offer it.");
            var data = page.Data ?? [];
            streamStats.AddRead(data.Count);
            foreach (var item in data) yield return item;
            cursor = page.AdditionalData?.NextCursor;
        } while (cursor is not null);
    }

    /// <summary>GETs and parses a page; null when Pipedrive answers 404 for it.</summary>
    public async Task<T?> GetAsync<T>(string stream, string operation, string pathAndQuery, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        var started = Stopwatch.GetTimestamp();
        try { return await SendAsync(HttpMethod.Get, stream, operation, pathAndQuery, null, type, ct); }
        finally { stats.For(stream).AddFetching(Stopwatch.GetElapsedTime(started)); }
    }

    /// <summary>
    /// POSTs a JSON body once: a write that got no answer or a 5xx is not sent again (it may have been done), the caller
    /// decides (looks for what it wrote first). A 429 of the burst window was refused before anything was done: it waits and sends again.
    /// </summary>
    public Task<T?> PostAsync<T>(string stream, string operation, string path, string json, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class => SendAsync(HttpMethod.Post, stream, operation, path, json, type, ct);

    /// <summary>DELETEs once; null when there was nothing to delete (404).</summary>
    public Task<T?> DeleteAsync<T>(string stream, string operation, string path, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class => SendAsync(HttpMethod.Delete, stream, operation, path, null, type, ct);

    private async Task<T?> SendAsync<T>(HttpMethod method, string stream, string operation, string pathAndQuery, string? json, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        var cost = Costs[operation];
        var streamStats = stats.For(stream);
        var attempts = new Attempts(method == HttpMethod.Get ? options.MaxAttempts : 1, options.RetryDelay, logger);
        var throttled = 0;
        while (true)
        {
            await WaitForBurstWindowAsync(ct);
            using var request = new HttpRequestMessage(method, pathAndQuery);
            request.Headers.Add("x-api-token", apiToken);
            if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            var response = await attempts.SendAsync(http, request, options.RequestTimeout, $"Pipedrive did not answer {method} {Path(pathAndQuery)}", ct);
            if (response is null)
            {
                streamStats.AddCall(0);
                continue;
            }

            using (response)
            {
                ObserveRateHeaders(response);
                var status = (int)response.StatusCode;
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    streamStats.AddCall(0);
                    await HandleTooManyRequestsAsync(response, ++throttled, attempts, ct);
                    continue;
                }
                streamStats.AddCall(cost);
                if (response.IsSuccessStatusCode)
                {
                    try
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(ct);
                        return await JsonSerializer.DeserializeAsync(body, type, ct)
                            ?? throw new JsonException("The body was empty.");
                    }
                    catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
                    {
                        await attempts.FailedAsync($"Pipedrive sent an unreadable response to {method} {Path(pathAndQuery)}: {e.Message}", e, ct);
                        continue;
                    }
                }
                var error = await ReadErrorAsync(response, ct);
                switch (status)
                {
                    case 401:
                        throw new CrmAuthException($"Pipedrive rejected the API token (401: {error}). Check the instance's token in Pipedrive under Personal preferences > API, and update it with 'crmetl instances add'.", 401);
                    case 402:
                        throw new CrmException($"The Pipedrive account is not active (402: {error}). Its subscription must be renewed before it can be synced.", 402);
                    case 403:
                        throw new CrmException($"Pipedrive refused access to {method} {Path(pathAndQuery)} (403: {error}). The token's user needs permission for it.", 403);
                    case 404 or 410:
                        return null;
                    case >= 500:
                        await attempts.FailedAsync($"Pipedrive failed on {method} {Path(pathAndQuery)} ({status}: {error})", null, ct);
                        continue;
                    default:
                        throw new CrmException($"Pipedrive refused {method} {Path(pathAndQuery)} ({status}: {error}).", status);
                }
            }
        }
    }

    private async Task HandleTooManyRequestsAsync(HttpResponseMessage response, int attempt, Attempts attempts, CancellationToken ct)
    {
        var remaining = Header(response, "x-ratelimit-remaining");
        var reset = Header(response, "x-ratelimit-reset");
        if (remaining is > 0)
        {
            // The burst window still has room, so the refusal is the daily token budget: stop cleanly.
            throw new CrmBudgetExhaustedException($"Pipedrive's daily token budget is used up ({await ReadErrorAsync(response, ct)}). The run stopped with its progress saved; the next run continues after the budget resets at midnight.");
        }
        if (attempt >= options.MaxAttempts * 3)
            throw new CrmBudgetExhaustedException("Pipedrive kept answering 429 Too Many Requests. The run stopped with its progress saved; the next run continues.");
        var wait = reset is { } seconds
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60))
            : attempts.Backoff(Math.Min(attempt, 6));
        ConnectorLog.PipedriveBurstLimit(logger, wait.TotalSeconds);
        await Task.Delay(wait, ct);
    }

    private void ObserveRateHeaders(HttpResponseMessage response)
    {
        // Respect the burst window proactively: when what is left of it could be taken by the requests
        // still in flight (at most HistoryConcurrency - 1 others), wait for its reset before the next call.
        if (Header(response, "x-ratelimit-remaining") is { } remaining && remaining < options.HistoryConcurrency && Header(response, "x-ratelimit-reset") is { } reset)
            Interlocked.Exchange(ref _burstWindowEnds, DateTimeOffset.UtcNow.AddSeconds(Math.Clamp(reset, 0, 60)).UtcTicks);
    }

    private async Task WaitForBurstWindowAsync(CancellationToken ct)
    {
        var wait = TimeSpan.FromTicks(Interlocked.Read(ref _burstWindowEnds) - DateTimeOffset.UtcNow.UtcTicks);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
    }

    private static int? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var error = JsonSerializer.Deserialize(text, PipedriveJsonContext.Default.PipedriveErrorDto);
            return error?.Error ?? response.ReasonPhrase ?? "no message";
        }
        catch (JsonException)
        {
            return response.ReasonPhrase ?? "no message";
        }
    }

    /// <summary>The path without its query, for messages.</summary>
    private static string Path(string pathAndQuery) => pathAndQuery.Split('?')[0];
}
