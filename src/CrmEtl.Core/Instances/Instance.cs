namespace CrmEtl.Core.Instances;

/// <summary>One connected CRM account.</summary>
public sealed record Instance
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public required string BaseUrl { get; init; }
    public required InstanceCredentials Credentials { get; init; }
    public string TimeZone { get; init; } = "UTC";
    public string ReportingCurrency { get; init; } = "EUR";
    public string? Company { get; init; }
    public bool Enabled { get; init; } = true;
    public string Status { get; init; } = InstanceStatus.Connected;
    public string? LastError { get; init; }
    /// <summary>Quartz cron, evaluated in <see cref="TimeZone"/>.</summary>
    public string Schedule { get; init; } = InstanceSchedule.Default;
}

public static class InstanceSchedule
{
    /// <summary>02:00 every day, in the instance's time zone.</summary>
    public const string Default = "0 0 2 * * ?";
}

/// <summary>Encrypts secrets before they are stored and decrypts them when read (Data Protection in the host).</summary>
public interface ISecretProtector
{
    string Protect(string secret);

    /// <summary>Throws <see cref="System.Security.Cryptography.CryptographicException"/> when the secret was protected with keys this process does not have.</summary>
    string Unprotect(string protectedSecret);
}

public static class InstanceStatus
{
    public const string Connected = "connected";
    public const string AuthFailed = "auth_failed";
    public const string Error = "error";
    public const string Disabled = "disabled";
}

public static class InstanceKinds
{
    public const string Pipedrive = "pipedrive";
    public const string Zoho = "zoho";
    public const string Kommo = "kommo";
    public static readonly IReadOnlyList<string> All = [Pipedrive, Zoho, Kommo];

    /// <summary>The CRM's name as its users know it.</summary>
    public static string DisplayName(string kind) => kind switch
    {
        Pipedrive => "Pipedrive",
        Zoho => "Zoho CRM",
        Kommo => "Kommo",
        _ => kind,
    };
}

/// <summary>
/// Credentials of an instance. Pipedrive: an API token, stored, or the name of an environment variable
/// that holds it. Zoho: the OAuth client id and secret and a refresh token (the instance's base URL is
/// its data centre's accounts server). ToString never shows a secret.
/// </summary>
public sealed record InstanceCredentials(string? ApiToken, string? ApiTokenEnv)
{
    /// <summary>Why the stored secrets could not be read (e.g. encrypted with keys this worker lacks); null when they could.</summary>
    public string? Unreadable { get; init; }

    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }
    public string? RefreshToken { get; init; }

    public bool IsOAuth => ClientId is not null || ClientSecret is not null || RefreshToken is not null;

    public static InstanceCredentials OAuth(string clientId, string clientSecret, string refreshToken) =>
        new(null, null) { ClientId = clientId, ClientSecret = clientSecret, RefreshToken = refreshToken };

    public string ResolveApiToken()
    {
        if (Unreadable is not null) throw new CrmEtl.Core.Sync.CrmAuthException(Unreadable);
        if (!string.IsNullOrEmpty(ApiTokenEnv))
        {
            var value = Environment.GetEnvironmentVariable(ApiTokenEnv);
            return string.IsNullOrEmpty(value)
                ? throw new CrmEtl.Core.Sync.CrmAuthException($"The environment variable {ApiTokenEnv}, which should hold this instance's API token, is not set. Set it, or store the token with 'crmetl instances add --token'.")
                : value;
        }
        return string.IsNullOrEmpty(ApiToken)
            ? throw new CrmEtl.Core.Sync.CrmAuthException("This instance has no API token. Add one with 'crmetl instances add --token' or '--token-env'.")
            : ApiToken;
    }

    /// <summary>The OAuth client and refresh token; throws <see cref="CrmEtl.Core.Sync.CrmAuthException"/> naming what is missing.</summary>
    public (string ClientId, string ClientSecret, string RefreshToken) ResolveOAuth()
    {
        if (Unreadable is not null) throw new CrmEtl.Core.Sync.CrmAuthException(Unreadable);
        var missing = new[] { ("client id", ClientId), ("client secret", ClientSecret), ("refresh token", RefreshToken) }
            .Where(x => string.IsNullOrEmpty(x.Item2)).Select(x => x.Item1).ToList();
        return missing.Count == 0 ? (ClientId!, ClientSecret!, RefreshToken!)
            : throw new CrmEtl.Core.Sync.CrmAuthException($"This instance has no {string.Join(", ", missing)}. Set them with 'crmetl instances edit NAME --client-id ... --client-secret ... --refresh-token ...'.");
    }

    public override string ToString() =>
        Unreadable is not null ? "(unreadable)"
        : IsOAuth ? $"client {ClientId ?? "(none)"}, secret {Mask(ClientSecret)}, refresh token {Mask(RefreshToken)}"
        : ApiTokenEnv is not null ? $"env:{ApiTokenEnv}" : Mask(ApiToken);

    public static string Mask(string? secret) =>
        string.IsNullOrEmpty(secret) ? "(none)" : secret.Length <= 4 ? "****" : "****" + secret[^4..];
}

/// <summary>An OAuth access token and the API domain it is valid at.</summary>
public sealed record OAuthToken(string AccessToken, DateTimeOffset ExpiresAt, string ApiDomain);

/// <summary>
/// Where a connector keeps an instance's current OAuth access token between runs and processes
/// (encrypted in etl.oauth_token). Entries are bound to the credentials they were minted with.
/// </summary>
public interface IOAuthTokenCache
{
    Task<OAuthToken?> GetAsync(int instanceId, string credentialsHash, CancellationToken cancellationToken);
    Task SaveAsync(int instanceId, string credentialsHash, OAuthToken token, CancellationToken cancellationToken);
    /// <summary>Drops the access token (keeping the API domain) when the CRM refused it.</summary>
    Task ForgetAsync(int instanceId, string accessToken, CancellationToken cancellationToken);
}

/// <summary>
/// An OAuth pair whose refresh token works once (Kommo): each refresh answers the next refresh token
/// with the access token. <see cref="RefreshIssuedAt"/> tells when the refresh token nears its end.
/// </summary>
public sealed record RotatingToken(string RefreshToken, DateTimeOffset RefreshIssuedAt, string? AccessToken, DateTimeOffset? AccessExpiresAt);

/// <summary>
/// Where rotating OAuth pairs live (encrypted, in etl.rotating_token), bound to the refresh token the
/// admin stored with the instance (its hash): storing a new one there starts the pair again from it.
/// </summary>
public interface IRotatingTokenStore
{
    Task<RotatingToken?> GetAsync(int instanceId, string seedHash, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="rotate"/> with the current pair (or <paramref name="seed"/> when there is none for
    /// <paramref name="seedHash"/>) while holding the instance's row lock, so that one process in a cluster
    /// rotates at a time; what it returns (null: keep the current pair) is committed before it is returned.
    /// </summary>
    Task<RotatingToken> RotateAsync(int instanceId, string seedHash, RotatingToken seed,
        Func<RotatingToken, CancellationToken, Task<RotatingToken?>> rotate, CancellationToken cancellationToken);
}

/// <summary>
/// A CRM kind whose OAuth server turns an authorization code (what granting an integration access gives, once and for a
/// few minutes) into a refresh token, so that an instance can be added or re-authorised with the code itself.
/// </summary>
public interface IAuthorizationCodes
{
    string Kind { get; }

    /// <summary>The refresh token the code is exchanged for; <see cref="Sync.CrmAuthException"/> when the CRM refuses the code.</summary>
    Task<string> ExchangeAsync(string baseUrl, string clientId, string clientSecret, string code, Microsoft.Extensions.Logging.ILogger logger, CancellationToken cancellationToken);
}
