using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Connectors.Zoho;

/// <summary>
/// Zoho access tokens, one per instance: kept in memory and in etl.oauth_token (so runs and processes
/// share it; Zoho mints at most 10 per refresh token per 10 minutes), renewed single-flight a few
/// minutes before they expire or when the API refused them, from the instance's accounts server.
/// </summary>
public sealed class ZohoTokenProvider(IHttpClientFactory httpClientFactory, IOAuthTokenCache cache, IOptions<ZohoOptions> options, TimeProvider clock)
{
    private readonly ZohoOptions _options = options.Value;
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _gates = new();
    private readonly ConcurrentDictionary<int, (string Hash, OAuthToken Token)> _memory = new();

    /// <summary>A valid token for the instance; <paramref name="rejected"/> is a token the API just refused, never returned again.</summary>
    public async Task<OAuthToken> GetAsync(Instance instance, string? rejected, ILogger logger, CancellationToken ct)
    {
        var (clientId, clientSecret, refreshToken) = instance.Credentials.ResolveOAuth();
        var hash = CredentialsHash(instance.BaseUrl, clientId, refreshToken);
        if (Usable(_memory.GetValueOrDefault(instance.Id), hash, rejected) is { } known) return known;

        var gate = _gates.GetOrAdd(instance.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (Usable(_memory.GetValueOrDefault(instance.Id), hash, rejected) is { } meanwhile) return meanwhile;
            if (await cache.GetAsync(instance.Id, hash, ct) is { } stored && Usable((hash, stored), hash, rejected) is { } shared)
            {
                _memory[instance.Id] = (hash, shared);
                return shared;
            }
            if (rejected is not null) await cache.ForgetAsync(instance.Id, rejected, ct);
            var token = await MintAsync(instance, clientId, clientSecret, refreshToken, logger, ct);
            await cache.SaveAsync(instance.Id, hash, token, ct);
            _memory[instance.Id] = (hash, token);
            return token;
        }
        finally
        {
            gate.Release();
        }
    }

    private OAuthToken? Usable((string Hash, OAuthToken Token) entry, string hash, string? rejected) =>
        entry.Token is { } token && entry.Hash == hash && token.AccessToken != rejected && token.ExpiresAt - _options.TokenRenewBefore > clock.GetUtcNow()
            ? token : null;

    internal static string CredentialsHash(string accountsServer, string clientId, string refreshToken) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{accountsServer.TrimEnd('/')}\n{clientId}\n{refreshToken}")));

    private async Task<OAuthToken> MintAsync(Instance instance, string clientId, string clientSecret, string refreshToken, ILogger logger, CancellationToken ct)
    {
        var http = httpClientFactory.CreateClient(ZohoConnector.HttpClientName);
        var url = new Uri(instance.BaseUrl.TrimEnd('/') + "/oauth/v2/token");
        var attempts = new Attempts(_options.MaxAttempts, _options.RetryDelay, logger);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token", ["client_id"] = clientId, ["client_secret"] = clientSecret, ["refresh_token"] = refreshToken,
                }),
            };
            using var response = await attempts.SendAsync(http, request, _options.RequestTimeout, $"Zoho's accounts server {instance.BaseUrl} did not answer", ct);
            if (response is null) continue;
            var status = (int)response.StatusCode;
            if (status >= 500)
            {
                await attempts.FailedAsync($"Zoho's accounts server {instance.BaseUrl} failed ({status}) when asked for an access token", null, ct);
                continue;
            }
            return Parse(instance, clientId, status, await response.Content.ReadAsStringAsync(ct));
        }
    }

    private OAuthToken Parse(Instance instance, string clientId, int status, string text)
    {
        JsonNode? json;
        try { json = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { json = null; }
        var error = json?["error"]?.GetValue<string>();
        var name = instance.Name;
        var access = json?["access_token"]?.GetValue<string>();
        if (error is null && !string.IsNullOrEmpty(access))
        {
            var apiDomain = json!["api_domain"]?.GetValue<string>();
            if (string.IsNullOrEmpty(apiDomain))
                throw new CrmException($"Zoho's token response for '{name}' names no api_domain, so CrmEtl cannot tell which data centre to call.");
            var lifetime = json["expires_in"]?.GetValue<int>() ?? 3600;
            return new OAuthToken(access, clock.GetUtcNow().AddSeconds(lifetime), apiDomain.TrimEnd('/'));
        }
        switch (error)
        {
            case "invalid_code":
                throw new CrmAuthException(
                    $"Zoho refused the refresh token of '{name}' (invalid_code): the connection was revoked in Zoho, or the token is wrong. " +
                    $"Re-authorise CrmEtl: in Zoho's API console generate a new grant code with the scopes {string.Join(",", ZohoScopeNames.All)}, " +
                    $"exchange it for a refresh token, and store it with 'crmetl instances edit \"{name}\" --refresh-token ...'.");
            case "invalid_client":
                throw new CrmAuthException(
                    $"Zoho's accounts server {instance.BaseUrl} does not know the client id {clientId} of '{name}' (invalid_client). Check the client id, " +
                    "and that the accounts server is the data centre the Zoho account lives in (e.g. https://accounts.zoho.eu for the EU, " +
                    $"https://accounts.zoho.com for the US); change it with 'crmetl instances edit \"{name}\" --url ...'.");
            case "invalid_client_secret":
                throw new CrmAuthException($"Zoho refused the client secret of '{name}' (invalid_client_secret). Copy it again from Zoho's API console and store it with 'crmetl instances edit \"{name}\" --client-secret ...'.");
            case "Access Denied":
                throw new CrmBudgetExhaustedException($"Zoho refused to issue an access token for '{name}': too many token requests (Zoho allows 10 per refresh token per 10 minutes). " +
                    "Another program may share this refresh token. The run stopped with its progress saved; the next run continues after a few minutes.");
            default:
                throw new CrmException($"Zoho's accounts server refused to issue an access token for '{name}' ({status}: {error ?? Shorten(text)}).", status);
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

}

/// <summary>The OAuth scopes CrmEtl needs, and which API paths need which.</summary>
public static class ZohoScopeNames
{
    /// <summary>The modules web forms write (creating and updating records), and Notes (only added).</summary>
    private static readonly string[] FormModules = ["Contacts", "Accounts", "Deals", "Tasks"];

    public static readonly IReadOnlyList<string> All =
        ["ZohoCRM.modules.READ", "ZohoCRM.settings.READ", "ZohoCRM.users.READ", "ZohoCRM.org.READ", "ZohoCRM.coql.READ", "ZohoCRM.bulk.READ",
         "ZohoCRM.modules.contacts.CREATE", .. FormModules.Where(m => m != "Contacts").Select(m => Write(m, "CREATE")), .. FormModules.Select(m => Write(m, "UPDATE")),
         Write("Notes", "CREATE")];

    public static string For(HttpMethod method, string path) =>
        (method == HttpMethod.Post || method == HttpMethod.Put) && path.StartsWith("/crm/v8/", StringComparison.Ordinal)
            ? Write(path["/crm/v8/".Length..].Split('/')[0], method == HttpMethod.Post ? "CREATE" : "UPDATE")
        : path.StartsWith("/crm/v8/users", StringComparison.Ordinal) ? "ZohoCRM.users.READ"
        : path.StartsWith("/crm/v8/settings/", StringComparison.Ordinal) ? "ZohoCRM.settings.READ"
        : path.StartsWith("/crm/v8/org", StringComparison.Ordinal) ? "ZohoCRM.org.READ"
        : "ZohoCRM.modules.READ";

    /// <summary>The scope of creating or updating a module's records, e.g. ZohoCRM.modules.deals.UPDATE.</summary>
    private static string Write(string module, string operation) => $"ZohoCRM.modules.{module.ToLowerInvariant()}.{operation}";
}
