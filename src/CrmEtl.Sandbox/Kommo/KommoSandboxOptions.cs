namespace CrmEtl.Sandbox.Kommo;

/// <summary>What one sandbox Kommo account contains, and the integration (OAuth client) installed in it.</summary>
public sealed record KommoAccountOptions
{
    /// <summary>The account's subdomain (https://{subdomain}.kommo.com); names it in the sandbox's methods and control endpoints.</summary>
    public string Subdomain { get; init; } = "acme";
    public string Name { get; init; } = "Acme";
    public int Seed { get; init; } = 1;
    /// <summary>Leads (the generated account's deals).</summary>
    public int Deals { get; init; } = 1_000;
    /// <summary>Tasks, and calls logged as call_in/call_out notes (the generated account's activities).</summary>
    public int Activities { get; init; } = 3_000;
    public int Users { get; init; } = 8;
    public int Pipelines { get; init; } = 3;
    /// <summary>How far back the generated history reaches.</summary>
    public int HistoryDays { get; init; } = 540;
    /// <summary>The account's time zone (GET /api/v4/account?with=datetime_settings).</summary>
    public string TimeZone { get; init; } = "Europe/Helsinki";
    /// <summary>The account's one currency: lead prices are in it (deals generated in others are converted).</summary>
    public string Currency { get; init; } = "EUR";
    public string Country { get; init; } = "FI";
    /// <summary>
    /// Leads that came in through a form, a chat or an integration start in the pipeline's Unsorted status (as in Kommo);
    /// false: every lead starts in the stage it was generated in, so the account holds the same history as a Pipedrive
    /// sandbox company of the same seed.
    /// </summary>
    public bool IncomingInUnsorted { get; init; } = true;

    /// <summary>The integration's ID (client_id).</summary>
    public string ClientId { get; init; } = "6f1c2d0e-5b7a-4c1e-9a3d-acme00000001";
    public string ClientSecret { get; init; } = "sandbox-acme-secret";
    /// <summary>The redirect URI registered for the integration; a token request must name it exactly.</summary>
    public string RedirectUri { get; init; } = "https://crmetl.example/oauth/kommo";
    /// <summary>A refresh token valid at start (as if access had been granted just before), or null for none.</summary>
    public string? RefreshToken { get; init; } = "def50200sandboxacmerefresh";
    /// <summary>When set, the account also has a long-lived token (no refresh token; 1 day to 5 years) valid this long from start.</summary>
    public TimeSpan? LongLivedTokenLifetime { get; init; }
}

public sealed record KommoSandboxOptions
{
    public IReadOnlyList<KommoAccountOptions> Accounts { get; init; } = [new KommoAccountOptions()];
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    /// <summary>
    /// Where the generated history ends (nothing is dated later); the clock's now when null. Tests give their
    /// pinned instant, so that what is generated depends on it alone, not on when in a run the test starts.
    /// </summary>
    public DateTimeOffset? AsOf { get; init; }
    /// <summary>Requests per second one integration may make to one account (error-codes.md: 7); more get 429.</summary>
    public int RequestsPerSecond { get; init; } = 7;
    /// <summary>429s within <see cref="RefusalWindow"/> after which the account is blocked (403): "repeatedly exceeding" the limit.</summary>
    public int RefusalsBeforeBlock { get; init; } = 50;
    public TimeSpan RefusalWindow { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>How long a blocked account answers 403 (in Kommo, until support lifts it).</summary>
    public TimeSpan BlockFor { get; init; } = TimeSpan.FromMinutes(15);
}
