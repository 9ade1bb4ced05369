using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CrmEtl.Connectors.Http;
using CrmEtl.Connectors.Streams;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Pipedrive;

/// <summary>
/// Pipedrive over HTTP: authenticates with the x-api-token header (never in a URL, so URLs are safe
/// to log), charges each call's token cost to its stream, keeps to the burst window the headers
/// announce, and turns refusals into errors a person can act on (retries are the shared loop's).
/// </summary>
internal sealed partial class PipedriveClient(HttpClient http, string apiToken, PipedriveOptions options, RunStats stats, ILogger logger)
    : CrmHttp(http, new RetryPolicy(options.MaxAttempts, options.RetryDelay, options.RequestTimeout), stats, logger)
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
        ["PATCH /api/v2/persons/{id}"] = 5,
        ["/api/v2/organizations/search"] = 20,
        ["POST /api/v2/organizations"] = 5,
        ["PATCH /api/v2/organizations/{id}"] = 5,
        ["POST /api/v2/deals"] = 5,
        ["PATCH /api/v2/deals/{id}"] = 5,
        ["POST /api/v2/activities"] = 5,
        ["/api/v1/notes"] = 20,
        ["POST /api/v1/notes"] = 10,
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

    protected override string Crm => "Pipedrive";

    /// <summary>Every record of a cursor-paged v2 list, page by page; each page's cost is taken from the allowance, when there is one, before it is asked for.</summary>
    public IAsyncEnumerable<T> V2Async<T>(string stream, string operation, string query, JsonTypeInfo<V2Page<T>> type, CancellationToken ct, ReadAllowance? allowance = null) =>
        Paging.AllAsync(Stats.For(stream),
            async (cursor, token) => await GetAsync(stream, operation,
                    $"{operation.TrimStart('/')}?limit={options.PageSize}" + (query.Length > 0 ? "&" + query.TrimStart('&') : "") + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)),
                    type, token, allowance)
                ?? throw new CrmException($"Pipedrive answered 404 for {operation}: the account or API version does not offer it."),
            (page, _) => (page.Data ?? [], page.AdditionalData?.NextCursor),
            ct);

    /// <summary>Every record of an offset-paged v1 list (start/limit, more_items_in_collection).</summary>
    public IAsyncEnumerable<T> V1Async<T>(string stream, string operation, string query, JsonTypeInfo<V1List<T>> type, CancellationToken ct) =>
        Paging.AllAsync(Stats.For(stream),
            async (start, token) => await GetAsync(stream, operation, $"{operation.TrimStart('/')}?start={start ?? "0"}&limit={options.PageSize}&" + query.TrimStart('&'), type, token)
                ?? throw new CrmException($"Pipedrive answered 404 for {operation}."),
            (page, start) =>
            {
                var data = page.Data ?? [];
                var more = page.AdditionalData?.MoreItemsInCollection ?? page.AdditionalData?.Pagination?.MoreItemsInCollection ?? false;
                var next = page.AdditionalData?.Pagination?.NextStart ?? int.Parse(start ?? "0", CultureInfo.InvariantCulture) + data.Count;
                return (data, more && data.Count > 0 ? next.ToString(CultureInfo.InvariantCulture) : null);
            },
            ct);

    /// <summary>GETs and parses a page; null when Pipedrive answers 404 for it. Its cost is first taken from the allowance, when there is one.</summary>
    public Task<T?> GetAsync<T>(string stream, string operation, string pathAndQuery, JsonTypeInfo<T> type, CancellationToken ct, ReadAllowance? allowance = null) where T : class
    {
        allowance?.Take(Costs[operation], operation);
        return GetAsync(new CrmCall(HttpMethod.Get, stream, operation, pathAndQuery), Parse(type), ct);
    }

    /// <summary>
    /// POSTs a JSON body once: a write that got no answer or a 5xx is not sent again (it may have been done), the caller
    /// decides (looks for what it wrote first). A 429 of the burst window was refused before anything was done: it waits and sends again.
    /// </summary>
    public Task<T?> PostAsync<T>(string stream, string operation, string path, string json, JsonTypeInfo<T> type, CancellationToken ct) where T : class =>
        SendAsync(stream, HttpMethod.Post, operation, path, json, type, ct);

    /// <summary>A write (POST or PATCH) sent once, as <see cref="PostAsync{T}"/>.</summary>
    public Task<T?> SendAsync<T>(string stream, HttpMethod method, string operation, string path, string json, JsonTypeInfo<T> type, CancellationToken ct) where T : class =>
        SendAsync(new CrmCall(method, stream, operation, path) { Json = json }, Parse(type), ct);

    /// <summary>DELETEs once; null when there was nothing to delete (404).</summary>
    public Task<T?> DeleteAsync<T>(string stream, string operation, string path, JsonTypeInfo<T> type, CancellationToken ct) where T : class =>
        SendAsync(new CrmCall(HttpMethod.Delete, stream, operation, path), Parse(type), ct);

    private static Func<Stream, CancellationToken, ValueTask<T?>> Parse<T>(JsonTypeInfo<T> type) => (body, ct) => JsonSerializer.DeserializeAsync(body, type, ct);

    protected override ValueTask<HttpRequestMessage> RequestAsync(CrmCall call, CancellationToken ct)
    {
        var request = new HttpRequestMessage(call.Method, call.PathAndQuery);
        request.Headers.Add("x-api-token", apiToken);
        return ValueTask.FromResult(request);
    }

    protected override int Cost(CrmCall call, HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.TooManyRequests ? 0 : Costs[call.Operation];

    protected override async Task<Verdict> RefusedAsync(Refusal refusal, CancellationToken ct)
    {
        var (call, error) = (refusal.Call, refusal.Error);
        switch (refusal.Status)
        {
            case 429:
                await TooManyRequestsAsync(refusal.Response, refusal.Throttled, refusal.Attempts, ct);
                return Verdict.Retry;
            case 401:
                throw new CrmAuthException($"Pipedrive rejected the API token ({error}). Check the instance's token in Pipedrive under Personal preferences > API, and update it with 'crmetl instances add'.", 401);
            case 402:
                throw new CrmException($"The Pipedrive account is not active ({error}). Its subscription must be renewed before it can be synced.", 402);
            case 403:
                throw new CrmException($"Pipedrive refused access to {call} ({error}). The token's user needs permission for it.", 403);
            case 404 or 410:
                return Verdict.Nothing;
            default:
                throw new CrmException($"Pipedrive refused {call} ({error}).", refusal.Status);
        }
    }

    private async Task TooManyRequestsAsync(HttpResponseMessage response, int attempt, Attempts attempts, CancellationToken ct)
    {
        var remaining = Header(response, "x-ratelimit-remaining");
        var reset = Header(response, "x-ratelimit-reset");
        if (remaining is > 0)
        {
            // The burst window still has room, so the refusal is the daily token budget: stop cleanly.
            throw new CrmBudgetExhaustedException($"Pipedrive's daily token budget is used up ({(await ReadErrorAsync(response, ct)).Message}). The run stopped with its progress saved; the next run continues after the budget resets at midnight.");
        }
        if (attempt >= options.MaxAttempts * 3)
            throw new CrmBudgetExhaustedException("Pipedrive kept answering 429 Too Many Requests. The run stopped with its progress saved; the next run continues.");
        var wait = reset is { } seconds
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 60))
            : attempts.Backoff(Math.Min(attempt, 6));
        ConnectorLog.PipedriveBurstLimit(Logger, wait.TotalSeconds);
        await Task.Delay(wait, ct);
    }

    protected override void Observe(HttpResponseMessage response)
    {
        // Respect the burst window proactively: when what is left of it could be taken by the requests
        // still in flight (at most HistoryConcurrency - 1 others), wait for its reset before the next call.
        if (Header(response, "x-ratelimit-remaining") is { } remaining && remaining < options.HistoryConcurrency && Header(response, "x-ratelimit-reset") is { } reset)
            Interlocked.Exchange(ref _burstWindowEnds, DateTimeOffset.UtcNow.AddSeconds(Math.Clamp(reset, 0, 60)).UtcTicks);
    }

    protected override async Task PaceAsync(CancellationToken ct)
    {
        var wait = TimeSpan.FromTicks(Interlocked.Read(ref _burstWindowEnds) - DateTimeOffset.UtcNow.UtcTicks);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
    }

    private static int? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    protected override async Task<CrmError> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string message;
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            message = JsonSerializer.Deserialize(text, PipedriveJsonContext.Default.PipedriveErrorDto)?.Error ?? response.ReasonPhrase ?? "no message";
        }
        catch (JsonException)
        {
            message = response.ReasonPhrase ?? "no message";
        }
        return new CrmError(status.ToString(CultureInfo.InvariantCulture), message, $"{status}: {message}");
    }
}
