using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.IntegrationTests.Customers;

/// <summary>A helpdesk's ticket page on its own loopback origin: whatever HTML the test sets, at any path.</summary>
internal sealed class HelpdeskPage : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HelpdeskPage(WebApplication app) => _app = app;

    public string Html { get; set; } = "<html><body></body></html>";

    public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<HelpdeskPage> StartAsync()
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        app.Urls.Add("http://127.0.0.1:0");
        var page = new HelpdeskPage(app);
        app.MapGet("/{**path}", () => Results.Content(page.Html, "text/html"));
        await app.StartAsync();
        return page;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
