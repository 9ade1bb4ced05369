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

namespace CrmEtl.Connectors.Zoho;

/// <summary>
/// Zoho CRM over HTTP for one run: calls the API domain the token response named, with
/// "Authorization: Zoho-oauthtoken …" (never in a URL), renews the token once when the API refuses
/// it, charges one credit per call to its stream, backs off from TOO_MANY_REQUESTS, and turns
/// refusals into errors a person can act on (retries are the shared loop's).
/// </summary>
internal sealed partial class ZohoClient(HttpClient http, ZohoTokenProvider tokens, Instance instance, ZohoOptions options, RunStats stats, ILogger logger)
    : CrmHttp(http, new RetryPolicy(options.MaxAttempts, options.RetryDelay, options.RequestTimeout), stats, logger)
{
    private OAuthToken? _token;
    /// <summary>The call that renewed the token: a second refusal of it is not a stale token.</summary>
    private CrmCall? _renewedFor;

    protected override string Crm => "Zoho";

    /// <summary>GETs a path (with query) of the API; null when Zoho answers 204 (nothing there) or 304 (nothing changed since <paramref name="ifModifiedSince"/>).</summary>
    public Task<JsonNode?> GetAsync(string stream, string pathAndQuery, DateTimeOffset? ifModifiedSince, CancellationToken ct) =>
        GetAsync(new CrmCall(HttpMethod.Get, stream, pathAndQuery, pathAndQuery)
        {
            Headers = ifModifiedSince is { } since
                ? [new("If-Modified-Since", since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture))]
                : [],
        }, Parse, ct);

    /// <summary>Every record of a page-numbered list (page, per_page, info.more_records) under <paramref name="key"/>; a credit is taken from the allowance, when there is one, before each page.</summary>
    public IAsyncEnumerable<JsonObject> PagesAsync(string stream, string pathAndQuery, string key, CancellationToken ct, ReadAllowance? allowance = null) =>
        Paging.AllAsync(Stats.For(stream),
            async (page, token) =>
            {
                allowance?.Take(1, pathAndQuery.Split('?')[0].Replace("/crm/v8", "", StringComparison.Ordinal));
                return await GetAsync(stream, $"{pathAndQuery}{(pathAndQuery.Contains('?') ? '&' : '?')}page={page ?? "1"}", null, token);
            },
            NextPage(key), ct);

    /// <summary>A page-numbered page's records under <paramref name="key"/> (those with an id), and the next page's number while info.more_records.</summary>
    public static Func<JsonNode, string?, (IReadOnlyList<JsonObject>, string?)> NextPage(string key) => (body, page) =>
        (body[key]?.AsArray().OfType<JsonObject>().Where(r => r["id"] is not null).ToList() ?? [],
         body["info"]?["more_records"]?.GetValue<bool>() == true ? (int.Parse(page ?? "1", CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture) : null);

    /// <summary>
    /// POSTs a JSON body once: a write that got no answer or a 5xx is not sent again (it may have been done), the caller
    /// decides (looks for what it wrote first). TOO_MANY_REQUESTS was refused before anything was done: it waits and sends again.
    /// </summary>
    public Task<JsonNode?> PostAsync(string stream, string path, string json, CancellationToken ct) =>
        SendAsync(new CrmCall(HttpMethod.Post, stream, path, path) { Json = json }, Parse, ct);

    /// <summary>PUTs a JSON body once (an update), as <see cref="PostAsync"/> sends it.</summary>
    public Task<JsonNode?> PutAsync(string stream, string path, string json, CancellationToken ct) =>
        SendAsync(new CrmCall(HttpMethod.Put, stream, path, path) { Json = json }, Parse, ct);

    private static async ValueTask<JsonNode?> Parse(Stream body, CancellationToken ct) => await JsonNode.ParseAsync(body, cancellationToken: ct);

    protected override async ValueTask<HttpRequestMessage> RequestAsync(CrmCall call, CancellationToken ct)
    {
        _token ??= await tokens.GetAsync(instance, null, Logger, ct);
        var request = new HttpRequestMessage(call.Method, new Uri(_token.ApiDomain + call.PathAndQuery));
        request.Headers.Authorization = new AuthenticationHeaderValue("Zoho-oauthtoken", _token.AccessToken);
        return request;
    }

    /// <summary>One credit per answered call; a refusal before the work (429, a stale token, a 4xx) costs none.</summary>
    protected override int Cost(CrmCall call, HttpResponseMessage response) =>
        (int)response.StatusCode is (>= 200 and < 300) or 304 or >= 500 ? 1 : 0;

    protected override bool IsEmpty(HttpResponseMessage response) => (int)response.StatusCode is 204 or 304;

    protected override async Task<Verdict> RefusedAsync(Refusal refusal, CancellationToken ct)
    {
        var (call, error, status) = (refusal.Call, (ZohoError)refusal.Error, refusal.Status);
        switch (status, error.Code)
        {
            case (401, "INVALID_TOKEN" or "AUTHENTICATION_FAILURE") when !ReferenceEquals(_renewedFor, call):
                // Expired or revoked meanwhile: renew once and try again.
                _renewedFor = call;
                _token = await tokens.GetAsync(instance, _token?.AccessToken, Logger, ct);
                return Verdict.Retry;
            case (401, "INVALID_TOKEN" or "AUTHENTICATION_FAILURE"):
                throw new CrmAuthException($"Zoho refused a freshly issued access token for {call} ({error}). The API domain {_token?.ApiDomain} may belong to another data centre than the account; check the instance's accounts server.", 401);
            case (_, "OAUTH_SCOPE_MISMATCH"):
                var path = call.PathAndQuery.Split('?')[0];
                throw new CrmAuthException($"The refresh token of '{instance.Name}' lacks the scope {ZohoScopeNames.For(call.Method, path)}, which {call} needs ({error}). " +
                    $"Re-authorise CrmEtl with the scopes {string.Join(",", ZohoScopeNames.All)} and store the new refresh token with 'crmetl instances edit \"{instance.Name}\" --refresh-token ...'.", status);
            case (429, _):
                await TooManyRequestsAsync(error, refusal.Throttled, refusal.Attempts, ct);
                return Verdict.Retry;
            case (403, _) or (_, "NO_PERMISSION"):
                throw new ZohoRequestException($"Zoho refused access to {call} ({error}). The user who authorised CrmEtl needs permission for it.", status, error.Code);
            default:
                throw new ZohoRequestException($"Zoho refused {call} ({error}).", status, error.Code);
        }
    }

    private async Task TooManyRequestsAsync(CrmError error, int attempt, Attempts attempts, CancellationToken ct)
    {
        // Zoho answers TOO_MANY_REQUESTS both when the org's API credits for the rolling 24 hours are spent
        // and when too many of its requests run at once. Credits come back only with time: stop cleanly.
        if (error.Message.Contains("credit", StringComparison.OrdinalIgnoreCase) || attempt > options.MaxAttempts * 2)
            throw new CrmBudgetExhaustedException($"Zoho's API credits for the last 24 hours are used up, or it kept refusing with TOO_MANY_REQUESTS ({error}). " +
                "The run stopped with its progress saved; the next run continues when credits are available again.");
        var wait = attempts.Backoff(Math.Min(attempt, 6));
        ConnectorLog.ZohoTooManyRequests(Logger, error.Message, wait.TotalSeconds);
        await Task.Delay(wait, ct);
    }

    /// <summary>
    /// Zoho's error: its code, message and details (a write's error is about its record, inside {"data": [...]}); the field a
    /// record's error is about (details.api_name) is named first, so that a person sees which value Zoho refused.
    /// </summary>
    private sealed record ZohoError(string Code, string Message, string Details, string? Field = null)
        : CrmError(Code, Message, (Field is null ? $"{Code}: {Message}" : $"{Code}: {Message}, field {Field}") + (Details.Length > 2 ? " " + Details : ""));

    protected override async Task<CrmError> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        try
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            var json = body?["data"] is JsonArray records && records.Count > 0 ? records[0] : body;
            return new ZohoError(json?["code"]?.GetValue<string>() ?? status, json?["message"]?.GetValue<string>() ?? response.ReasonPhrase ?? "no message",
                json?["details"]?.ToJsonString() ?? "{}", ZohoValues.Text((json?["details"] as JsonObject)?["api_name"]));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return new ZohoError(status, response.ReasonPhrase ?? "no message", "{}");
        }
    }
}

/// <summary>Zoho refused a request with a 4xx and an error code (e.g. INVALID_MODULE for a module the org does not have).</summary>
public sealed class ZohoRequestException(string message, int status, string code) : CrmException(message, status)
{
    public string Code { get; } = code;
}
