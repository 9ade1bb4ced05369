using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Connectors.Pipedrive;

/// <summary>Tuning of the Pipedrive connector (configuration section "Pipedrive").</summary>
public sealed class PipedriveOptions
{
    public const string SectionName = "Pipedrive";

    /// <summary>Records per page; Pipedrive allows at most 500.</summary>
    [Range(1, 500, ErrorMessage = "Pipedrive:PageSize must be between 1 and 500 (Pipedrive's maximum page size).")]
    public int PageSize { get; set; } = 500;

    /// <summary>How far before the last committed update_time an incremental read starts again (timestamps have one-second precision).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Pipedrive:Overlap must be between 00:00:00 and 1.00:00:00.")]
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows committed per transaction (with their checkpoint).</summary>
    [Range(100, 1_000_000, ErrorMessage = "Pipedrive:BatchRows must be between 100 and 1000000.")]
    public int BatchRows { get; set; } = 10_000;

    /// <summary>A full resync happens when the last complete deal pass is older than this (Pipedrive purges deleted deals after 30 days).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "30.00:00:00", ErrorMessage = "Pipedrive:FullResyncAfter must be between 1 and 30 days.")]
    public TimeSpan FullResyncAfter { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often activities and leads are re-listed whole to find deleted ones (no list returns them). 0 = every run.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00", ErrorMessage = "Pipedrive:ReconcileEvery must be between 0 and 30 days.")]
    public TimeSpan ReconcileEvery { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Deal changelogs fetched at once during stage history (the burst window still caps the rate).</summary>
    [Range(1, 16, ErrorMessage = "Pipedrive:HistoryConcurrency must be between 1 and 16.")]
    public int HistoryConcurrency { get; set; } = 4;

    /// <summary>Attempts for a transient failure (5xx, connection reset, malformed body) before the run fails.</summary>
    [Range(1, 10, ErrorMessage = "Pipedrive:MaxAttempts must be between 1 and 10.")]
    public int MaxAttempts { get; set; } = 4;

    /// <summary>First back-off delay; doubles with each attempt.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Per-request timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
