using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmEtl.Connectors.Http;
using CrmEtl.Connectors.Streams;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Kommo;

/// <summary>
/// Kommo API v4 over HTTP for one run: "Authorization: Bearer …" (never in a URL), at most
/// Kommo:RequestsPerSecond to one account from this process (Kommo refuses more than 7 and blocks an
/// account that keeps trying), one renewal of the access token when it is refused, and refusals turned
/// into errors a person can act on (retries are the shared loop's). Lists are HAL pages followed by
/// <c>_links.next</c>; an empty one is 204 No Content.
/// </summary>
internal sealed class KommoClient(HttpClient http, KommoTokens tokens, Instance instance, KommoOptions options, RunStats stats, ILogger logger)
    : CrmHttp(http, new RetryPolicy(options.MaxAttempts, options.RetryDelay, options.RequestTimeout), stats, logger)
{
    private static readonly ConcurrentDictionary<string, Pacer> Pacers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Pacer _pacer = Pacers.GetOrAdd(instance.BaseUrl.TrimEnd('/'), _ => new Pacer(options.RequestsPerSecond));
    private string? _token;
    private CrmCall? _renewedFor;

    protected override string Crm => "Kommo";

    /// <summary>
    /// Every item of a list, page by page along <c>_links.next</c>, from <paramref name="pathAndQuery"/> (limit and page included);
    /// a unit is taken from the allowance, when there is one, before each page (Kommo has no per-call price).
    /// </summary>
    public IAsyncEnumerable<JsonObject> PagesAsync(string stream, string pathAndQuery, string key, CancellationToken ct, ReadAllowance? allowance = null) =>
        Paging.AllAsync(Stats.For(stream),
            async (next, token) =>
            {
                allowance?.Take(1, (next ?? pathAndQuery).Split('?')[0]);
                return await GetAsync(stream, next ?? pathAndQuery, token);
            },
            (page, _) => (page["_embedded"]?[key]?.AsArray().OfType<JsonObject>().ToList() ?? [], NextOf(page)),
            ct);

    /// <summary>A GET of the API; null when Kommo answers 204 (nothing there).</summary>
    public Task<JsonNode?> GetAsync(string stream, string pathAndQuery, CancellationToken ct) =>
        GetAsync(new CrmCall(HttpMethod.Get, stream, pathAndQuery.Split('?')[0], pathAndQuery), Parse, ct);

    /// <summary>A write of the API (sent once: it may have been done), with its JSON body.</summary>
    public Task<JsonNode?> PostAsync(string stream, string path, string json, CancellationToken ct) =>
        SendAsync(new CrmCall(HttpMethod.Post, stream, path, path) { Json = json }, Parse, ct);

    /// <summary>A change (sent once), with its JSON body.</summary>
    public Task<JsonNode?> PatchAsync(string stream, string path, string json, CancellationToken ct) =>
        SendAsync(new CrmCall(HttpMethod.Patch, stream, path, path) { Json = json }, Parse, ct);

    /// <summary>The path and query of <c>_links.next</c> (Kommo gives it absolute, on the account's host), or null on the last page.</summary>
    private static string? NextOf(JsonNode page) =>
        page["_links"]?["next"]?["href"]?.GetValue<string>() is { Length: > 0 } href && Uri.TryCreate(href, UriKind.Absolute, out var uri) ? uri.PathAndQuery : null;

    private static async ValueTask<JsonNode?> Parse(Stream body, CancellationToken ct) => await JsonNode.ParseAsync(body, cancellationToken: ct);

    protected override Task PaceAsync(CancellationToken ct) => _pacer.WaitAsync(ct);

    protected override async ValueTask<HttpRequestMessage> RequestAsync(CrmCall call, CancellationToken ct)
    {
        _token ??= await tokens.GetAsync(instance, null, Logger, ct);
        var request = new HttpRequestMessage(call.Method, new Uri(instance.BaseUrl.TrimEnd('/') + call.PathAndQuery));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }

    /// <summary>Kommo has no per-call price: every answered call counts one.</summary>
    protected override int Cost(CrmCall call, HttpResponseMessage response) => (int)response.StatusCode is 429 or 401 ? 0 : 1;

    protected override async Task<Verdict> RefusedAsync(Refusal refusal, CancellationToken ct)
    {
        var (call, error) = (refusal.Call, refusal.Error);
        switch (refusal.Status)
        {
            case 401 when !ReferenceEquals(_renewedFor, call) && instance.Credentials.IsOAuth:
                // Expired, or renewed by another worker meanwhile: take the current pair (refreshing if need be) and try again.
                _renewedFor = call;
                _token = await tokens.GetAsync(instance, _token, Logger, ct);
                return Verdict.Retry;
            case 401:
                throw new CrmAuthException(
                    $"Kommo refused the access token of '{instance.Name}' for {call} ({error}): the integration was switched off in the account, or the token was revoked" +
                    (instance.Credentials.IsOAuth ? "" : " or has expired (long-lived tokens last at most the time chosen when they were made)") +
                    $". Grant access again and store the new token with 'crmetl instances edit \"{instance.Name}\" ...'.", 401);
            case 402:
                throw new CrmException($"The Kommo account of '{instance.Name}' is not paid ({error}): Kommo answers nothing until its subscription is renewed.", 402);
            case 403 when error.Code == "113":
                throw new CrmException($"Kommo refused {call} from this address ({error}): the account only lets listed IP addresses use its API. Add the worker's address in Kommo's security settings.", 403);
            case 403 when error.Message.Contains("заблокирован", StringComparison.OrdinalIgnoreCase) || error.Message.Contains("blocked", StringComparison.OrdinalIgnoreCase):
                throw new CrmBudgetExhaustedException(
                    $"Kommo blocked the API of '{instance.Name}' ({error}), which it does when an account keeps exceeding 7 requests per second. " +
                    "CrmEtl keeps to Kommo:RequestsPerSecond, so another integration may be calling it too. The run stopped with its progress saved; the next run continues once Kommo lifts the block.");
            case 403:
                throw new CrmException($"Kommo refused {call} ({error}). The user who granted CrmEtl access needs the rights for it (the users list needs an administrator).", 403);
            case 429:
                if (refusal.Throttled > options.MaxAttempts * 2)
                    throw new CrmBudgetExhaustedException($"Kommo kept answering 429 Too Many Requests to '{instance.Name}' ({error}). The run stopped with its progress saved; the next run continues.");
                // Another client of the account used its second: wait out a second and then some.
                ConnectorLog.KommoTooManyRequests(Logger, refusal.Throttled);
                await Task.Delay(refusal.Attempts.Backoff(refusal.Throttled) + TimeSpan.FromSeconds(1), ct);
                return Verdict.Retry;
            case 404:
                return Verdict.Nothing;
            default:
                throw new CrmException($"Kommo refused {call} ({error}).", refusal.Status);
        }
    }

    protected override async Task<CrmError> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        try
        {
            // application/problem+json: title, status, detail (validation errors under validation-errors); older answers: response.error, error_code.
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            var code = body?["response"]?["error_code"]?.ToString() ?? body?["status"]?.ToString() ?? status;
            var message = body?["detail"]?.GetValue<string>() ?? body?["title"]?.GetValue<string>() ?? body?["response"]?["error"]?.GetValue<string>() ?? response.ReasonPhrase ?? "no message";
            return new CrmError(code, message, $"{status}: {message}");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return new CrmError(status, response.ReasonPhrase ?? "no message", $"{status}: {response.ReasonPhrase ?? "no message"}");
        }
    }

    /// <summary>At most N requests per second to one account from this process: each request takes the first moment a second after the Nth request before it.</summary>
    private sealed class Pacer(int perSecond)
    {
        private readonly Lock _lock = new();
        private readonly Queue<long> _slots = new();

        public Task WaitAsync(CancellationToken ct)
        {
            TimeSpan wait;
            lock (_lock)
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                var at = now;
                if (_slots.Count >= perSecond) at = Math.Max(now, _slots.Dequeue() + System.Diagnostics.Stopwatch.Frequency);
                _slots.Enqueue(at);
                wait = System.Diagnostics.Stopwatch.GetElapsedTime(now, at);
            }
            return wait > TimeSpan.Zero ? Task.Delay(wait, ct) : Task.CompletedTask;
        }
    }
}
