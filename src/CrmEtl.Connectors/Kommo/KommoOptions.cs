using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Connectors.Kommo;

/// <summary>Tuning of the Kommo (amoCRM) connector (configuration section "Kommo").</summary>
public sealed class KommoOptions
{
    public const string SectionName = "Kommo";

    /// <summary>Records per page; Kommo gives at most 250 (asking more silently gives fewer).</summary>
    [Range(1, 250, ErrorMessage = "Kommo:PageSize must be between 1 and 250 (Kommo's maximum page size).")]
    public int PageSize { get; set; } = 250;

    /// <summary>Events per page; the events API gives at most 100.</summary>
    [Range(1, 100, ErrorMessage = "Kommo:EventsPageSize must be between 1 and 100 (the events API's maximum).")]
    public int EventsPageSize { get; set; } = 100;

    /// <summary>Requests per second to one account, all runs of this process together; Kommo refuses more than 7 (429) and blocks accounts that keep trying (403).</summary>
    [Range(1, 7, ErrorMessage = "Kommo:RequestsPerSecond must be between 1 and 7 (Kommo's limit per integration).")]
    public int RequestsPerSecond { get; set; } = 6;

    /// <summary>The redirect URI registered for the integration in Kommo: every token request must name it exactly.</summary>
    [Required(ErrorMessage = "Kommo:RedirectUri must be the redirect URI of the integration, as set in Kommo.")]
    public string RedirectUri { get; set; } = "https://crmetl.example/oauth/kommo";

    /// <summary>How far before the last committed updated_at (or event time) an incremental read starts again (Kommo's times are whole seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Kommo:Overlap must be between 00:00:00 and 1.00:00:00.")]
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows committed per transaction (with their checkpoint).</summary>
    [Range(100, 1_000_000, ErrorMessage = "Kommo:BatchRows must be between 100 and 1000000.")]
    public int BatchRows { get; set; } = 10_000;

    /// <summary>A full resync (with delete reconciliation) happens when the last complete lead pass is older than this.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "60.00:00:00", ErrorMessage = "Kommo:FullResyncAfter must be between 1 and 60 days.")]
    public TimeSpan FullResyncAfter { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often contacts, companies and tasks are re-listed whole to find deleted ones. 0 = every run.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00", ErrorMessage = "Kommo:ReconcileEvery must be between 0 and 30 days.")]
    public TimeSpan ReconcileEvery { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A refresh token older than this is renewed by the next run even when its access token is still good (Kommo's live 3 months).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "80.00:00:00", ErrorMessage = "Kommo:RenewRefreshTokenAfter must be between 1 and 80 days (Kommo's refresh tokens live 3 months).")]
    public TimeSpan RenewRefreshTokenAfter { get; set; } = TimeSpan.FromDays(30);

    /// <summary>An access token is renewed this long before it expires.</summary>
    public TimeSpan TokenRenewBefore { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts for a transient failure (5xx, connection reset, malformed body) before the run fails.</summary>
    [Range(1, 10, ErrorMessage = "Kommo:MaxAttempts must be between 1 and 10.")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First back-off delay; doubles with each attempt, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Per-request timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
