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
    public string ResolveApiToken()
    {
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

    public override string ToString() => ApiTokenEnv is not null ? $"env:{ApiTokenEnv}" : Mask(ApiToken);

    public static string Mask(string? secret) =>
        string.IsNullOrEmpty(secret) ? "(none)" : secret.Length <= 4 ? "****" : "****" + secret[^4..];
}
