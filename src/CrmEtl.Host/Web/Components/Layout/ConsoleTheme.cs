using MudBlazor;

namespace CrmEtl.Host.Web.Components.Layout;

/// <summary>The console's colours and fonts (the system's sans-serif: no web font is fetched).</summary>
public static class ConsoleTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#1f5fa8", AppbarBackground = "#1f3b5c" },
        Typography = new Typography { Default = new DefaultTypography { FontFamily = ["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"] } },
    };
}
