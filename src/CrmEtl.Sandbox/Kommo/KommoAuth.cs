using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>A token request the token endpoint refuses (400, with league/oauth2-style detail and hint).</summary>
internal sealed class OAuthRefusal(string detail, string hint) : Exception(detail)
{
    public string Hint { get; } = hint;
}

/// <summary>
/// The account's integration as Kommo's OAuth 2 runs it (oauth.md, step-by-step.md): an authorization code lives 20
/// minutes and works once; an access token is a JWT living 24 hours on the sandbox's clock; a refresh token lives
/// 3 months and works once, replaced by the pair it is exchanged for, so that reusing a spent one is refused (and
/// counted: a client that does has lost its newest pair). A long-lived token has no refresh token. Revoking the
/// integration, as an admin switching it off, kills every code and token until access is granted again.
/// </summary>
internal sealed class KommoAuth
{
    public static readonly TimeSpan AccessLifetime = TimeSpan.FromDays(1), CodeLifetime = TimeSpan.FromMinutes(20);
    private const int RefreshMonths = 3;

    private readonly Lock _lock = new();
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly KommoAccount _account;
    private readonly Dictionary<string, DateTime> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _access = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RefreshGrant> _refresh = new(StringComparer.Ordinal);

    private sealed class RefreshGrant(DateTime expires)
    {
        public DateTime Expires { get; } = expires;
        public bool Spent { get; set; }
        public bool Revoked { get; set; }
    }

    public KommoAuth(KommoAccount account, DateTime start)
    {
        _account = account;
        if (account.Options.RefreshToken is { } refresh) _refresh[refresh] = new RefreshGrant(start.AddMonths(RefreshMonths));
        if (account.Options.LongLivedTokenLifetime is { } lifetime) LongLivedToken = MintLongLived(lifetime, start);
    }

    /// <summary>The long-lived token the options asked for, or null.</summary>
    public string? LongLivedToken { get; }
    public int RefreshesMade { get; private set; }
    public int SpentRefreshReuses { get; private set; }
    public int CodesExchanged { get; private set; }
    public int AccessTokensIssued { get; private set; }

    public string MintCode(DateTime now)
    {
        var code = "def50200" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(48));
        lock (_lock) _codes[code] = now + CodeLifetime;
        return code;
    }

    public string MintLongLived(TimeSpan lifetime, DateTime now)
    {
        if (lifetime < TimeSpan.FromDays(1) || lifetime > TimeSpan.FromDays(5 * 366))
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "A long-lived token lasts from 1 day to 5 years.");
        var token = Jwt(now, now + lifetime);
        lock (_lock) _access[token] = now + lifetime;
        return token;
    }

    /// <summary>Whether the bearer token is one this account issued, not expired and not revoked.</summary>
    public bool Accepts(string token, DateTime now)
    {
        lock (_lock) return _access.TryGetValue(token, out var expires) && expires > now;
    }

    public void Revoke()
    {
        lock (_lock)
        {
            _codes.Clear();
            _access.Clear();
            foreach (var grant in _refresh.Values) grant.Revoked = true;
        }
    }

    /// <summary>POST /oauth2/access_token: a new access and refresh token, or an <see cref="OAuthRefusal"/>.</summary>
    public (string Access, string Refresh) Exchange(Func<string, string?> parameter, DateTime now)
    {
        var options = _account.Options;
        if (parameter("client_id") != options.ClientId || parameter("client_secret") != options.ClientSecret)
            throw new OAuthRefusal("Client authentication failed", "Check client_id and client_secret");
        if (parameter("redirect_uri") != options.RedirectUri)
            throw new OAuthRefusal("The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
                "Check the `redirect_uri` parameter");
        lock (_lock)
        {
            switch (parameter("grant_type"))
            {
                case "authorization_code":
                    var code = parameter("code") ?? "";
                    if (!_codes.Remove(code, out var expires)) throw new OAuthRefusal("The authorization code is invalid.", "Authorization code has been revoked");
                    if (expires <= now) throw new OAuthRefusal("The authorization code is invalid.", "Authorization code has expired");
                    CodesExchanged++;
                    return Issue(now);
                case "refresh_token":
                    var token = parameter("refresh_token") ?? "";
                    if (!_refresh.TryGetValue(token, out var grant)) throw new OAuthRefusal("The refresh token is invalid.", "Cannot decrypt the refresh token");
                    if (grant.Spent) SpentRefreshReuses++;
                    if (grant.Spent || grant.Revoked) throw new OAuthRefusal("The refresh token is invalid.", "Token has been revoked");
                    if (grant.Expires <= now) throw new OAuthRefusal("The refresh token is invalid.", "Token has expired");
                    grant.Spent = true;
                    RefreshesMade++;
                    return Issue(now);
                default:
                    throw new OAuthRefusal("The authorization grant type is not supported by the authorization server.", "Check the `grant_type` parameter");
            }
        }
    }

    private (string, string) Issue(DateTime now)
    {
        var access = Jwt(now, now + AccessLifetime);
        var refresh = "def50200" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(96));
        _access[access] = now + AccessLifetime;
        _refresh[refresh] = new RefreshGrant(now.AddMonths(RefreshMonths));
        AccessTokensIssued++;
        return (access, refresh);
    }

    /// <summary>A JWT with the claims oauth.md lists (user, integration, scopes, account) and exp; signed HS256 with a key of this sandbox.</summary>
    private string Jwt(DateTime now, DateTime expires)
    {
        static string Part(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        static long Unix(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeSeconds();
        var header = Part(Encoding.UTF8.GetBytes("""{"typ":"JWT","alg":"HS256"}"""));
        var payload = Part(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["aud"] = _account.Options.ClientId, ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)),
            ["iat"] = Unix(now), ["nbf"] = Unix(now), ["exp"] = Unix(expires), ["sub"] = _account.UserId(_account.Data.Users[0].Id).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["account_id"] = _account.AccountId, ["base_domain"] = "kommo.com", ["api_domain"] = "api-c.kommo.com", ["version"] = 2,
            ["scopes"] = new JsonArray("crm", "files", "files_delete", "notifications", "push_notifications"),
        }.ToJsonString()));
        var signature = Part(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }
}
