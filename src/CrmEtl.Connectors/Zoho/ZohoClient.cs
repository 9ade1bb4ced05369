using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Zoho;

/// <summary>
/// Zoho CRM over HTTP for one run: calls the API domain the token response named, with
/// "Authorization: Zoho-oauthtoken …" (never in a URL), renews the token once when the API refuses
/// it, charges one credit per call to its stream, backs off from TOO_MANY_REQUESTS and transient
/// failures, and turns the rest into errors a person can act on.
/// </summary>
internal sealed partial class ZohoClient(HttpClient http, ZohoTokenProvider tokens, Instance instance, ZohoOptions options, RunStats stats, ILogger logger)
{
    private OAuthToken? _token;

    /// <summary>GETs a path (with query) of the API; null when Zoho answers 204 (nothing there) or 304 (nothing changed since <paramref name="ifModifiedSince"/>).</summary>
    public async Task<JsonNode?> GetAsync(string stream, string pathAndQuery, DateTimeOffset? ifModifiedSince, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await SendAsync(HttpMethod.Get, stream, pathAndQuery, null, ifModifiedSince, ct); }
        finally { stats.For(stream).AddFetching(Stopwatch.GetElapsedTime(started)); }
    }

    /// <summary>
    /// POSTs a JSON body once: a write that got no answer or a 5xx is not sent again (it may have been done), the caller
    /// decides (looks for what it wrote first). TOO_MANY_REQUESTS was refused before anything was done: it waits and sends again.
    /// </summary>
    public Task<JsonNode?> PostAsync(string stream, string path, string json, CancellationToken ct) => SendAsync(HttpMethod.Post, stream, path, json, null, ct);

    private async Task<JsonNode?> SendAsync(HttpMethod method, string stream, string pathAndQuery, string? json, DateTimeOffset? ifModifiedSince, CancellationToken ct)
    {
        var streamStats = stats.For(stream);
        var attempts = new Attempts(method == HttpMethod.Get ? options.MaxAttempts : 1, options.RetryDelay, logger);
        var throttled = 0;
        var renewed = false;
        while (true)
        {
            _token ??= await tokens.GetAsync(instance, null, logger, ct);
            using var request = new HttpRequestMessage(method, new Uri(_token.ApiDomain + pathAndQuery));
            request.Headers.Authorization = new AuthenticationHeaderValue("Zoho-oauthtoken", _token.AccessToken);
            if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            if (ifModifiedSince is { } since)
                request.Headers.TryAddWithoutValidation("If-Modified-Since", since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture));
            var response = await attempts.SendAsync(http, request, options.RequestTimeout, $"Zoho did not answer {method} {PathOf(pathAndQuery)}", ct);
            if (response is null)
            {
                streamStats.AddCall(0);
                continue;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status is 204 or 304) { streamStats.AddCall(1); return null; }
                if (response.IsSuccessStatusCode)
                {
                    streamStats.AddCall(1);
                    try
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(ct);
                        return await JsonNode.ParseAsync(body, cancellationToken: ct) ?? throw new JsonException("The body was empty.");
                    }
                    catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
                    {
                        await attempts.FailedAsync($"Zoho sent an unreadable response to {method} {PathOf(pathAndQuery)}: {e.Message}", e, ct);
                        continue;
                    }
                }
                var error = await ReadErrorAsync(response, ct);
                switch (status, error.Code)
                {
                    case (401, "INVALID_TOKEN" or "AUTHENTICATION_FAILURE") when !renewed:
                        // Expired or revoked meanwhile: renew once and try again.
                        streamStats.AddCall(0);
                        renewed = true;
                        _token = await tokens.GetAsync(instance, _token.AccessToken, logger, ct);
                        continue;
                    case (401, "INVALID_TOKEN" or "AUTHENTICATION_FAILURE"):
                        throw new CrmAuthException($"Zoho refused a freshly issued access token for {method} {PathOf(pathAndQuery)} ({error}). The API domain {_token.ApiDomain} may belong to another data centre than the account; check the instance's accounts server.", 401);
                    case (_, "OAUTH_SCOPE_MISMATCH"):
                        throw new CrmAuthException($"The refresh token of '{instance.Name}' lacks the scope {ZohoScopeNames.For(method, PathOf(pathAndQuery))}, which {method} {PathOf(pathAndQuery)} needs ({error}). " +
                            $"Re-authorise CrmEtl with the scopes {string.Join(",", ZohoScopeNames.All)} and store the new refresh token with 'crmetl instances edit \"{instance.Name}\" --refresh-token ...'.", status);
                    case (429, _):
                        streamStats.AddCall(0);
                        await TooManyRequestsAsync(error, ++throttled, attempts, ct);
                        continue;
                    case (>= 500, _):
                        streamStats.AddCall(1);
                        await attempts.FailedAsync($"Zoho failed on {method} {PathOf(pathAndQuery)} ({error})", null, ct);
                        continue;
                    case (403, _) or (_, "NO_PERMISSION"):
                        throw new ZohoRequestException($"Zoho refused access to {method} {PathOf(pathAndQuery)} ({error}). The user who authorised CrmEtl needs permission for it.", status, error.Code);
                    default:
                        throw new ZohoRequestException($"Zoho refused {method} {PathOf(pathAndQuery)} ({error}).", status, error.Code);
                }
            }
        }
    }

    private async Task TooManyRequestsAsync(ZohoErrorBody error, int attempt, Attempts attempts, CancellationToken ct)
    {
        // Zoho answers TOO_MANY_REQUESTS both when the org's API credits for the rolling 24 hours are spent
        // and when too many of its requests run at once. Credits come back only with time: stop cleanly.
        if (error.Message.Contains("credit", StringComparison.OrdinalIgnoreCase) || attempt > options.MaxAttempts * 2)
            throw new CrmBudgetExhaustedException($"Zoho's API credits for the last 24 hours are used up, or it kept refusing with TOO_MANY_REQUESTS ({error}). " +
                "The run stopped with its progress saved; the next run continues when credits are available again.");
        var wait = attempts.Backoff(Math.Min(attempt, 6));
        ConnectorLog.ZohoTooManyRequests(logger, error.Message, wait.TotalSeconds);
        await Task.Delay(wait, ct);
    }

    internal sealed record ZohoErrorBody(string Code, string Message, string Details)
    {
        public override string ToString() => Details.Length > 2 ? $"{Code}: {Message} {Details}" : $"{Code}: {Message}";
    }

    private static async Task<ZohoErrorBody> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        try
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            // A write's error is about its record, inside {"data": [...]}.
            var json = body?["data"] is JsonArray records && records.Count > 0 ? records[0] : body;
            return new ZohoErrorBody(json?["code"]?.GetValue<string>() ?? status, json?["message"]?.GetValue<string>() ?? response.ReasonPhrase ?? "no message",
                json?["details"]?.ToJsonString() ?? "{}");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return new ZohoErrorBody(status, response.ReasonPhrase ?? "no message", "{}");
        }
    }

    /// <summary>The path without its query, for messages.</summary>
    private static string PathOf(string pathAndQuery) => pathAndQuery.Split('?')[0];
}

/// <summary>Zoho refused a request with a 4xx and an error code (e.g. INVALID_MODULE for a module the org does not have).</summary>
public sealed class ZohoRequestException(string message, int status, string code) : CrmException(message, status)
{
    public string Code { get; } = code;
}
