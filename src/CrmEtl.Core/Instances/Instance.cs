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
    public static readonly IReadOnlyList<string> All = [Pipedrive, Zoho];
}

/// <summary>
/// Credentials of an instance: either stored, or the name of an environment variable that holds them.
/// ToString never shows a secret.
/// </summary>
public sealed record InstanceCredentials(string? ApiToken, string? ApiTokenEnv)
{
    /// <summary>Why the stored token could not be read (e.g. encrypted with keys this worker lacks); null when it could.</summary>
    public string? Unreadable { get; init; }

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

    public override string ToString() => ApiTokenEnv is not null ? $"env:{ApiTokenEnv}" : Unreadable is not null ? "(unreadable)" : Mask(ApiToken);

    public static string Mask(string? secret) =>
        string.IsNullOrEmpty(secret) ? "(none)" : secret.Length <= 4 ? "****" : "****" + secret[^4..];
}
