namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>What one sandbox Pipedrive account contains and how it limits its callers.</summary>
public sealed record PipedriveCompanyOptions
{
    /// <summary>Company name; also gives the account's subdomain-like key.</summary>
    public string Name { get; init; } = "acme";
    /// <summary>The API token that authenticates as this account.</summary>
    public string ApiToken { get; init; } = "sandbox-token-acme";
    public int Seed { get; init; } = 1;
    public int Deals { get; init; } = 1_000;
    public int Activities { get; init; } = 3_000;
    public int Leads { get; init; } = 200;
    public int Users { get; init; } = 8;
    public int Pipelines { get; init; } = 3;
    /// <summary>How far back the generated history reaches.</summary>
    public int HistoryDays { get; init; } = 540;
    public string DefaultCurrency { get; init; } = "EUR";
    /// <summary>Daily token budget (30,000 × plan multiplier × seats in the real service).</summary>
    public long DailyTokenBudget { get; init; } = 30_000L * 7 * 50;
    /// <summary>Requests per 2-second window per token (Essential 20 … Enterprise 120).</summary>
    public int BurstLimit { get; init; } = 120;
}

public sealed record PipedriveSandboxOptions
{
    public IReadOnlyList<PipedriveCompanyOptions> Companies { get; init; } = [new PipedriveCompanyOptions()];
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    /// <summary>
    /// Where the generated history ends (nothing is dated later); the clock's now when null. Tests give their
    /// pinned instant, so that what is generated depends on it alone, not on when in a run the test starts.
    /// </summary>
    public DateTimeOffset? AsOf { get; init; }

    /// <summary>When a failed webhook delivery is tried again: Pipedrive's 3, 30 and 150 s.</summary>
    public IReadOnlyList<TimeSpan> WebhookRetries { get; init; } = [TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(150)];

    /// <summary>How often changed deals are looked for, to send their webhooks.</summary>
    public TimeSpan WebhookScanEvery { get; init; } = TimeSpan.FromMilliseconds(200);
}
