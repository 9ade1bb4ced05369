using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Forms;

/// <summary>Web forms (configuration section "Forms"): what a submission may be, and how often one address may post.</summary>
public sealed class FormOptions
{
    public const string SectionName = "Forms";

    /// <summary>Submissions one client address may post to one module per minute; more get 429.</summary>
    [Range(1, 100_000, ErrorMessage = "Forms:SubmissionsPerMinute is how many submissions one address may post to one module per minute, e.g. 20.")]
    public int SubmissionsPerMinute { get; set; } = 20;

    /// <summary>The largest body a submission may have.</summary>
    [Range(1_024, 1_048_576, ErrorMessage = "Forms:MaxBodyBytes is the largest submission body in bytes, between 1024 and 1048576 (e.g. 65536).")]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How often a worker looks for queued submissions.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Forms:PollEvery is how often a worker writes queued submissions, between 00:00:00.100 and 00:10:00 (e.g. 00:00:02).")]
    public TimeSpan PollEvery { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a worker holds a claimed submission before another may take it up (a worker killed mid-way).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "Forms:Lease is how long a claimed submission is held, between 00:00:05 and 01:00:00 (e.g. 00:05:00).")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait after a CRM failure, doubled each attempt (at most 6 hours), until MaxAttempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Forms:RetryDelay is the first wait after a CRM failure, between 00:00:00.010 and 01:00:00 (e.g. 00:01:00).")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed attempts after which a submission is marked failed (with the defaults, about three days).</summary>
    [Range(1, 100, ErrorMessage = "Forms:MaxAttempts is how many failed attempts a submission gets before it is marked failed, between 1 and 100 (e.g. 20).")]
    public int MaxAttempts { get; set; } = 20;
}
