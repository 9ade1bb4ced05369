using System.ComponentModel.DataAnnotations;
using CrmEtl.Core.Instances;

namespace CrmEtl.Host.Customers;

/// <summary>Fresh customer cards (configuration section "Customers"): how long a read is kept, and how much of the CRM's API budget reads may spend.</summary>
public sealed class FreshCardOptions
{
    public const string SectionName = "Customers";

    /// <summary>How long a customer read from the CRM is shown before it is read again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Customers:FreshFor is how long a fresh card is kept, between 00:00:00 and 01:00:00 (e.g. 00:01:00).")]
    public TimeSpan FreshFor { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a card waits for the CRM (a fresh read, or the CRM's web address) before it shows the replica: an agent is waiting.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Customers:FreshTimeout is how long a card waits for the CRM, between 00:00:00.100 and 00:01:00 (e.g. 00:00:03).")]
    public TimeSpan FreshTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The share of the CRM's daily API budget that fresh cards may spend per instance (0.05 = 5 %).</summary>
    [Range(0.0, 1.0, ErrorMessage = "Customers:FreshShare is a share of the daily API budget between 0 (no fresh reads) and 1, e.g. 0.05.")]
    public double FreshShare { get; set; } = 0.05;

    /// <summary>The Pipedrive account's daily token budget (30,000 × plan multiplier × seats; the smallest by default).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Customers:PipedriveDailyTokens is the account's daily token budget: 30000 × plan multiplier × seats.")]
    public int PipedriveDailyTokens { get; set; } = 30_000;

    /// <summary>The Zoho org's API credits per 24 hours (Free 5,000; Standard 50,000 + 250 per user; ...).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Customers:ZohoDailyCredits is the org's API credits per 24 hours (Free 5000, Standard 50000 + 250 per user, ...).")]
    public int ZohoDailyCredits { get; set; } = 5_000;

    /// <summary>
    /// Requests a day counted as a Kommo account's budget. Kommo has no daily quota, only 7 requests a second per
    /// integration, shared with the syncs: with the default share fresh cards make at most 2,500 calls a day.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "Customers:KommoDailyRequests is the number of requests a day taken as a Kommo account's budget, e.g. 50000.")]
    public int KommoDailyRequests { get; set; } = 50_000;

    /// <summary>The most one card's read may spend; a customer needing more is shown from the replica.</summary>
    [Range(1, 10_000, ErrorMessage = "Customers:ReadMaxUnits is the most API units one fresh card may spend, e.g. 300.")]
    public int ReadMaxUnits { get; set; } = 300;

    /// <summary>The units fresh cards of an instance of <paramref name="kind"/> may spend per day.</summary>
    public int DailyAllowance(string kind) =>
        (int)Math.Floor(FreshShare * kind switch
        {
            InstanceKinds.Zoho => ZohoDailyCredits,
            InstanceKinds.Kommo => KommoDailyRequests,
            _ => PipedriveDailyTokens,
        });
}
