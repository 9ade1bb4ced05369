using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Connectors.Kommo;

/// <summary>
/// Kommo access tokens, one per instance. An instance signs in with a long-lived token (used as it is)
/// or with its integration's client id and secret and a refresh token. Kommo's refresh tokens work once,
/// so the current pair lives in <see cref="IRotatingTokenStore"/>: a refresh happens under the pair's row
/// lock (one worker of a cluster at a time; the others then find the new pair), and the new refresh token
/// is committed before the new access token is handed out. A refresh token older than
/// <see cref="KommoOptions.RenewRefreshTokenAfter"/> is renewed even when its access token is still good.
/// </summary>
public sealed class KommoTokens(IHttpClientFactory httpClientFactory, IRotatingTokenStore store, IOptions<KommoOptions> options, TimeProvider clock) : IAuthorizationCodes
{
    private readonly KommoOptions _options = options.Value;
    private readonly ConcurrentDictionary<int, (string Seed, RotatingToken Pair)> _memory = new();

    public string Kind => InstanceKinds.Kommo;

    /// <summary>A valid access token; <paramref name="rejected"/> is one the API just refused, never returned again.</summary>
    public async Task<string> GetAsync(Instance instance, string? rejected, ILogger logger, CancellationToken ct)
    {
        if (instance.Credentials is { IsOAuth: false } longLived) return longLived.ResolveApiToken();
        var (clientId, clientSecret, refreshToken) = instance.Credentials.ResolveOAuth();
        var seed = SeedHash(instance.BaseUrl, clientId, refreshToken);
        if (_memory.TryGetValue(instance.Id, out var known) && known.Seed == seed && Usable(known.Pair, rejected) is { } fast) return fast;
        if (await store.GetAsync(instance.Id, seed, ct) is { } stored && Usable(stored, rejected) is { } shared)
        {
            _memory[instance.Id] = (seed, stored);
            return shared;
        }
        var pair = await store.RotateAsync(instance.Id, seed, new RotatingToken(refreshToken, clock.GetUtcNow(), null, null),
            async (current, token) => Usable(current, rejected) is null ? await RefreshAsync(instance, clientId, clientSecret, current.RefreshToken, logger, token) : null, ct);
        _memory[instance.Id] = (seed, pair);
        return pair.AccessToken!;
    }

    /// <summary>Renews the refresh token when it is older than RenewRefreshTokenAfter, so an account that changes little never reaches its three months.</summary>
    public async Task RenewIfOldAsync(Instance instance, ILogger logger, CancellationToken ct)
    {
        if (!instance.Credentials.IsOAuth) return;
        var (clientId, clientSecret, refreshToken) = instance.Credentials.ResolveOAuth();
        var seed = SeedHash(instance.BaseUrl, clientId, refreshToken);
        var pair = await store.RotateAsync(instance.Id, seed, new RotatingToken(refreshToken, clock.GetUtcNow() - _options.RenewRefreshTokenAfter, null, null),
            async (current, token) => clock.GetUtcNow() - current.RefreshIssuedAt >= _options.RenewRefreshTokenAfter
                ? await RefreshAsync(instance, clientId, clientSecret, current.RefreshToken, logger, token) : null, ct);
        _memory[instance.Id] = (seed, pair);
    }

    private string? Usable(RotatingToken pair, string? rejected) =>
        pair is { AccessToken: { } access, AccessExpiresAt: { } expires } && access != rejected && expires - _options.TokenRenewBefore > clock.GetUtcNow() ? access : null;

    internal static string SeedHash(string baseUrl, string clientId, string refreshToken) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{baseUrl.TrimEnd('/')}\n{clientId}\n{refreshToken}")));

    /// <summary>
    /// Asks for the next pair. Sent once: Kommo may have spent the refresh token even when its answer was lost,
    /// and asking again with it would then be refused, so a failure ends the run and the next run tries again.
    /// </summary>
    private async Task<RotatingToken> RefreshAsync(Instance instance, string clientId, string clientSecret, string refreshToken, ILogger logger, CancellationToken ct)
    {
        var (pair, status, reason) = await TokenRequestAsync(instance.BaseUrl, clientId, clientSecret, "refresh_token", refreshToken, logger, ct);
        if (pair is not null) return pair;
        if (status is 400 or 401 or 403)
            throw new CrmAuthException(
                $"Kommo refused the refresh token of '{instance.Name}' ({status}: {reason}): the integration was switched off or reinstalled, the token was used by another program, " +
                $"or it went unused for three months. Grant access again in Kommo, and store the new refresh token with 'crmetl instances edit \"{instance.Name}\" --refresh-token ...' " +
                $"(or the new authorization code with --code; the client id, secret and Kommo:RedirectUri must be the integration's: {_options.RedirectUri}).", status);
        if (status == 0)
            throw new CrmException(
                $"Kommo ({instance.BaseUrl}) did not answer the token refresh of '{instance.Name}'. If the request reached it, Kommo spent the refresh token and the next run " +
                $"will be refused: then grant access again and re-authorise with 'crmetl instances edit \"{instance.Name}\" --code CODE'. Otherwise the next run refreshes as usual.", status);
        throw new CrmException($"Kommo ({instance.BaseUrl}) could not refresh the access token of '{instance.Name}' ({status}: {reason}). The next run tries again.", status);
    }

    /// <summary>
    /// The refresh token an authorization code gives (POST /oauth2/access_token, grant_type authorization_code). A code works once
    /// and for 20 minutes; the pair's access token is not kept (the first run refreshes), so nothing is stored before the instance is.
    /// </summary>
    public async Task<string> ExchangeAsync(string baseUrl, string clientId, string clientSecret, string code, ILogger logger, CancellationToken cancellationToken)
    {
        var (pair, status, reason) = await TokenRequestAsync(baseUrl, clientId, clientSecret, "authorization_code", code, logger, cancellationToken);
        if (pair is not null) return pair.RefreshToken;
        if (status is 400 or 401 or 403)
            throw new CrmAuthException(
                $"Kommo refused the authorization code ({status}: {reason}). A code works once and for 20 minutes, and only with the integration's client id and secret " +
                $"and its redirect URI (Kommo:RedirectUri, now {_options.RedirectUri}). Grant access again in Kommo and give the new code.", status);
        throw new CrmException($"Kommo ({baseUrl}) did not exchange the authorization code ({(status == 0 ? "no answer" : $"{status}: {reason}")}). Try again; once the code is 20 minutes old, grant access again for a new one.", status);
    }

    /// <summary>One token request, sent once; the pair Kommo answers, or its status (0: no answer) and reason.</summary>
    private async Task<(RotatingToken? Pair, int Status, string Reason)> TokenRequestAsync(
        string baseUrl, string clientId, string clientSecret, string grant, string value, ILogger logger, CancellationToken ct)
    {
        var http = httpClientFactory.CreateClient(KommoConnector.HttpClientName);
        var body = new JsonObject
        {
            ["client_id"] = clientId, ["client_secret"] = clientSecret, ["grant_type"] = grant,
            [grant == "authorization_code" ? "code" : "refresh_token"] = value, ["redirect_uri"] = _options.RedirectUri,
        };
        var attempts = new Attempts(1, _options.RetryDelay, logger);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl.TrimEnd('/') + "/oauth2/access_token")) { Content = JsonContent.Create(body) };
        HttpResponseMessage? answer;
        try { answer = await attempts.SendAsync(http, request, _options.RequestTimeout, $"Kommo ({baseUrl}) did not answer a token request", ct); }
        catch (CrmException) { answer = null; }
        using var response = answer;
        var text = response is null ? "" : await response.Content.ReadAsStringAsync(ct);
        JsonNode? json;
        try { json = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { json = null; }
        if (response is { IsSuccessStatusCode: true } && json?["access_token"]?.GetValue<string>() is { Length: > 0 } access
            && json["refresh_token"]?.GetValue<string>() is { Length: > 0 } next)
        {
            var now = clock.GetUtcNow();
            return (new RotatingToken(next, now, access, now.AddSeconds(json["expires_in"]?.GetValue<int>() ?? 86_400)), 200, "");
        }
        var reason = json?["hint"]?.GetValue<string>() ?? json?["detail"]?.GetValue<string>() ?? json?["title"]?.GetValue<string>() ?? (text.Length > 200 ? text[..200] : text);
        return (null, response is null ? 0 : (int)response.StatusCode, reason);
    }
}
