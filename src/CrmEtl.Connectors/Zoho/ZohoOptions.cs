using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Connectors.Zoho;

/// <summary>Tuning of the Zoho CRM connector (configuration section "Zoho").</summary>
public sealed class ZohoOptions
{
    public const string SectionName = "Zoho";

    /// <summary>Records per page; Zoho allows at most 200.</summary>
    [Range(1, 200, ErrorMessage = "Zoho:PerPage must be between 1 and 200 (Zoho's maximum page size).")]
    public int PerPage { get; set; } = 200;

    /// <summary>Fields per request; Zoho allows at most 50 (the id is always sent besides them).</summary>
    [Range(2, 50, ErrorMessage = "Zoho:FieldsPerRequest must be between 2 and 50 (Zoho's limit).")]
    public int FieldsPerRequest { get; set; } = 50;

    /// <summary>Records one If-Modified-Since window may read with page_token before it is re-anchored on the last Modified_Time (Zoho: 100,000).</summary>
    [Range(400, 100_000, ErrorMessage = "Zoho:WindowRecords must be between 400 and 100000.")]
    public int WindowRecords { get; set; } = 100_000;

    /// <summary>How far before the last committed Modified_Time an incremental read starts again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Zoho:Overlap must be between 00:00:00 and 1.00:00:00.")]
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows committed per transaction (with their checkpoint).</summary>
    [Range(100, 1_000_000, ErrorMessage = "Zoho:BatchRows must be between 100 and 1000000.")]
    public int BatchRows { get; set; } = 10_000;

    /// <summary>A full resync (with delete reconciliation) happens when the last complete deal pass is older than this.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "60.00:00:00", ErrorMessage = "Zoho:FullResyncAfter must be between 1 and 60 days.")]
    public TimeSpan FullResyncAfter { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// What a stage-history row's Modified_Time marks: "entry" (the deal entered the row's Stage then;
    /// the default) or "exit" (the deal left Stage for Moved_To__s then). Zoho does not document it.
    /// </summary>
    [RegularExpression("^(entry|exit)$", ErrorMessage = "Zoho:StageHistoryTime must be 'entry' or 'exit'.")]
    public string StageHistoryTime { get; set; } = "entry";

    /// <summary>Attempts for a transient failure (5xx, connection reset, malformed body, concurrency 429) before the run fails.</summary>
    [Range(1, 10, ErrorMessage = "Zoho:MaxAttempts must be between 1 and 10.")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First back-off delay; doubles with each attempt, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Per-request timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>An access token is renewed this long before it expires.</summary>
    public TimeSpan TokenRenewBefore { get; set; } = TimeSpan.FromMinutes(5);
}
