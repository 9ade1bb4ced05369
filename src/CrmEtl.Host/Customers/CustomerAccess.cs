using CrmEtl.Host.Api;
using CrmEtl.Storage.Customers;
using Microsoft.AspNetCore.Http;

namespace CrmEtl.Host.Customers;

/// <summary>
/// Guards the customer card (/api/customers) and the widget (/widget): a company's widget key (X-Widget-Key, or key= in
/// the iframe's URL), used by an agent its admin allows (X-Helpdesk-Agent and X-Helpdesk-Groups, or agent= and group=),
/// or the worker's API key. Decided before anything else of the request is read; the caller is left in the request's
/// items for the endpoint (<see cref="CallerOf"/>).
/// </summary>
public sealed class CustomerAccess(RequestDelegate next, ApiKey apiKey, WidgetKeyStore keys)
{
    public const string WidgetKeyHeader = "X-Widget-Key";
    public const string AgentHeader = "X-Helpdesk-Agent";
    public const string GroupsHeader = "X-Helpdesk-Groups";
    private static readonly object CallerItem = new();

    public static CardCaller CallerOf(HttpContext context) =>
        context.Items[CallerItem] as CardCaller ?? throw new InvalidOperationException("The customer endpoints run behind CustomerAccess.");

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments(CustomerApi.ApiPath) && !path.StartsWithSegments(CustomerApi.WidgetPath))
        {
            await next(context);
            return;
        }
        var (caller, status, problem) = await CallerAsync(context.Request, context.RequestAborted);
        if (caller is null)
        {
            await CustomerApi.RefuseAsync(context, status, problem!);
            return;
        }
        context.Items[CallerItem] = caller;
        await next(context);
    }

    private async Task<(CardCaller? Caller, int Status, string? Problem)> CallerAsync(HttpRequest request, CancellationToken ct)
    {
        var sent = First(request.Headers[WidgetKeyHeader]) ?? First(request.Query["key"]);
        if (sent is null)
            return apiKey.IsSentIn(request)
                ? (CardCaller.Operator, 200, null)
                : (null, 401, $"Send a widget key (key= in the widget's address, or the {WidgetKeyHeader} header); an admin creates one in the console (Helpdesk widget) or with 'crmetl widget-keys add'.");
        var key = await keys.FindAsync(sent, ct);
        if (key is null)
            return (null, 401, "This widget key is not known: copy it again from where it was created (it is shown only once), or ask an admin for a new one.");
        if (key.RevokedAt is { } revoked)
            return (null, 401, $"This widget key was revoked on {revoked:yyyy-MM-dd}: ask an admin of {key.Company} for a new one.");
        var agent = First(request.Headers[AgentHeader]) ?? First(request.Query["agent"]);
        var groups = request.Headers[GroupsHeader].Concat(request.Query["group"])
            .SelectMany(g => (g ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (!key.Allows(agent, groups))
            return (null, 403, (agent is null ? "No agent was named" : $"Agent '{agent}'" + (groups.Count > 0 ? $" (groups {string.Join(", ", groups)})" : "")) +
                $" may not use the widget key '{key.Name}': an admin of {key.Company} lists the agents and groups allowed in the console (Helpdesk widget). The helpdesk passes them as agent= and group=.");
        return (new CardCaller(key.Company, key, agent), 200, null);
    }

    private static string? First(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Select(v => v?.Trim()).FirstOrDefault(v => !string.IsNullOrEmpty(v));
}
