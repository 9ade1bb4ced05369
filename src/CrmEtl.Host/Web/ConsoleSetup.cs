using CrmEtl.Core.Configuration;
using CrmEtl.Host.Api;
using CrmEtl.Host.Web.Components;
using CrmEtl.Storage.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MudBlazor.Services;

namespace CrmEtl.Host.Web;

/// <summary>
/// The web console, served by the worker under / (the JSON API keeps /api and its key): Razor components with
/// interactive server rendering, MudBlazor's components, cookie sessions for the users of etl.console_user.
/// </summary>
public static class ConsoleSetup
{
    public const string SignInPath = "/signin";
    public const string SignOutPath = "/signout";
    /// <summary>Where the configuration's files are downloaded: /configuration/files/kpis.csv.</summary>
    public const string ConfigurationFilesPath = "/configuration/files";

    /// <summary>The console's users ('crmetl users' uses them too) and what its pages call.</summary>
    public static void AddConsoleServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>().Bind(builder.Configuration.GetSection(ConsoleOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ConsoleUserStore>();
        builder.Services.AddSingleton<ConsoleAccounts>();
        builder.Services.AddSingleton<InstanceViews>();
        builder.Services.AddSingleton<ConsoleInstances>();
        builder.Services.AddSingleton<ConsoleConfiguration>();
        builder.Services.AddSingleton<ConsoleTrello>();
        builder.Services.AddSingleton<ConsoleForms>();
        builder.Services.AddOptions<Customers.WidgetOptions>().Bind(builder.Configuration.GetSection(Customers.WidgetOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
    }

    public static void AddWorkerConsole(this WebApplicationBuilder builder)
    {
        // Scripts and styles of packages (MudBlazor's, Blazor's) are served from the build output, whatever the environment.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        // The pages say DENY (and frame-ancestors 'none') themselves; anti-forgery would add a second, laxer X-Frame-Options.
        builder.Services.AddAntiforgery(o => o.SuppressXFrameOptionsHeader = true);
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddAuthorization();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<ConsoleOptions>>((cookie, console) =>
            {
                cookie.Cookie.Name = "crmetl.session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = console.Value.SessionIdle;
                cookie.SlidingExpiration = true;
                cookie.LoginPath = SignInPath;
                cookie.AccessDeniedPath = SignInPath;
                cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
            });
    }

    public static void MapWorkerConsole(this WebApplication app)
    {
        app.Use(SecurityHeaders);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapPost(SignOutPath, async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(SignInPath);
        }).ExcludeFromDescription();
        app.MapGet(ConfigurationFilesPath + "/{file}", ConfigurationFileAsync).RequireAuthorization().ExcludeFromDescription();
        // The policy of SecurityHeaders already forbids framing (frame-ancestors 'none'); Blazor would add a second, laxer one.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
    }

    /// <summary>A file of the user's company configuration, as 'crmetl config export' writes it, to download.</summary>
    private static async Task<IResult> ConfigurationFileAsync(string file, HttpContext context, ConsoleConfiguration configuration)
    {
        if (ConsoleSession.Of(context.User) is not { } session || !ConsoleConfiguration.TableFiles.Contains(file)) return Results.NotFound();
        var tables = await configuration.TablesAsync(session, context.RequestAborted);
        using var content = new MemoryStream();
        ConfigurationCsv.Write(tables[file], content);
        return Results.File(content.ToArray(), "text/csv; charset=utf-8", file);
    }

    /// <summary>A session ends when its user is removed, or their password or role changed since it began.</summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var session = ConsoleSession.Of(context.Principal);
        var user = session is null ? null : await context.HttpContext.RequestServices.GetRequiredService<ConsoleUserStore>().FindAsync(session.UserId, context.HttpContext.RequestAborted);
        if (user is null || user.SecurityStamp != session!.SecurityStamp || user.Company != session.Company)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>
    /// For the console's pages: no framing, no sniffing, no referrer, and scripts only from this origin (Blazor's
    /// circuit connects back over a WebSocket to the same origin; MudBlazor sets inline styles).
    /// </summary>
    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (context.Request.Path.StartsWithSegments(Customers.CustomerApi.WidgetPath))
        {
            // The widget lives in a helpdesk's frame: the pages named by Widget:FrameAncestors may frame it, no script runs in it.
            var ancestors = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Customers.WidgetOptions>>().Value.FrameAncestors;
            headers.ContentSecurityPolicy = $"default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
                $"frame-ancestors {ancestors}; base-uri 'self'; form-action 'self'";
            return next();
        }
        headers.XFrameOptions = "DENY";
        // The rendered API reference (Scalar) runs scripts of its own; everything else keeps to this policy.
        if (!context.Request.Path.StartsWithSegments(Api.WorkerApi.DocsPath))
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
                "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
        return next();
    }

    /// <summary>Signs the user in: the cookie carries their id, company, role and security stamp.</summary>
    public static Task SignInAsync(HttpContext context, ConsoleUser user) => context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
        ConsoleSession.PrincipalOf(user, CookieAuthenticationDefaults.AuthenticationScheme),
        new AuthenticationProperties { IsPersistent = false });
}
