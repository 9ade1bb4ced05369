using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Webhooks;

/// <summary>Webhooks (configuration section "Webhooks"): how long to gather events before syncing.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>The wait from the first event until the sync it asks for: the events meanwhile ride on the same run.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00", ErrorMessage = "Webhooks:Debounce is how long events are gathered before one sync, up to 00:30:00 (e.g. 00:00:10).")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a worker looks for a due sync.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Webhooks:CheckEvery is how often a worker looks for syncs asked by webhooks, between 00:00:00.100 and 00:10:00 (e.g. 00:00:01).")]
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(1);
}
