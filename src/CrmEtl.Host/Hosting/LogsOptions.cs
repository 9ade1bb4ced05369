using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Hosting;

/// <summary>How logs are written (configuration section "Logs"); levels are Serilog's own section.</summary>
public sealed class LogsOptions
{
    public const string SectionName = "Logs";
    public const string Text = "text";
    public const string Json = "json";

    /// <summary>text: one readable line per event; json: compact JSON (CLEF), one event per line, for log collectors.</summary>
    [AllowedValues(Text, Json, ErrorMessage = "Logs:Format must be 'text' or 'json'.")]
    public string Format { get; set; } = Text;
}
