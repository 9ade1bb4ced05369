using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Customers;

/// <summary>The helpdesk widget (configuration section "Widget").</summary>
public sealed class WidgetOptions
{
    public const string SectionName = "Widget";

    /// <summary>
    /// Which pages may show the widget in a frame (CSP frame-ancestors): "*" lets any helpdesk; name your helpdesk's origin,
    /// e.g. "https://acme.zendesk.com", so that no other site can frame it.
    /// </summary>
    [Required(ErrorMessage = "Widget:FrameAncestors must say which pages may frame the widget, e.g. https://acme.zendesk.com or *.")]
    [RegularExpression(@"^[^;,""']+$", ErrorMessage = "Widget:FrameAncestors is one or more origins separated by spaces (e.g. https://acme.zendesk.com), or *; no ; , or quotes.")]
    public string FrameAncestors { get; set; } = "*";
}
