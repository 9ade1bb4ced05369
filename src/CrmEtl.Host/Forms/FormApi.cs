using CrmEtl.Core.Forms;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Forms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CrmEtl.Host.Forms;

/// <summary>A module as POST /api/forms takes it: its name, the instance (name or id) and its settings (docs/FORMS.md).</summary>
public sealed record FormModuleBody(string? Name, string? Instance, FormSettings? Settings);

/// <summary>/api/forms: the form modules and their submissions, as 'crmetl forms' and 'crmetl submissions' show them (the API key sees every company).</summary>
public static class FormApi
{
    public static void MapFormApi(RouteGroupBuilder api)
    {
        api.MapGet("/forms", ListAsync).WithSummary("The web form modules (of company= when given), each with its submission address.");
        api.MapPost("/forms", SaveAsync).WithSummary("Add a form module, or change the company's module of that name: name, instance (name or id), settings (docs/FORMS.md).");
        api.MapDelete("/forms/{id:int}", RemoveAsync).WithSummary("Remove a module and its submissions; its address answers 404 from then on.");
        api.MapGet("/forms/submissions", SubmissionsAsync).WithSummary("The latest submissions (of company= or module= when given), newest first, with their outcome, CRM ids and links, or error.");
    }

    private static object View(FormModule m) => new
    {
        m.Id, m.Company, m.Name, m.Instance, m.InstanceKind, m.Settings, submissionPath = $"/forms/{m.Key}/submissions",
    };

    private static async Task<IResult> ListAsync(string? company, FormModules modules, CancellationToken ct) =>
        Results.Ok((await modules.ListAsync(company, ct)).Select(View));

    private static async Task<IResult> SaveAsync(FormModuleBody body, FormModules modules, CancellationToken ct)
    {
        var module = await modules.SaveAsync(body.Name ?? "", body.Instance ?? "", body.Settings ?? new FormSettings(), ct);
        return Results.Created($"/api/forms/{module.Id}", View(module));
    }

    private static async Task<IResult> RemoveAsync(int id, FormStore store, CancellationToken ct) =>
        await store.RemoveAsync(id, ct) ? Results.NoContent() : throw new InstanceNotFoundException($"There is no form module {id}. List them with GET /api/forms.");

    private static async Task<IResult> SubmissionsAsync(string? company, int? module, int? limit, FormStore store, CancellationToken ct)
    {
        if (limit is < 1 or > 1000) throw new InstanceInputException(["limit must be between 1 and 1000."]);
        // The result (the CRM records with their links) as the JSON object it is, not as text.
        return Results.Ok((await store.SubmissionsAsync(company, module, limit ?? 100, ct)).Select(s => new
        {
            s.Id, s.Module, s.Email, s.Phone, s.ReceivedAt, s.Status, s.Attempts, s.Outcome,
            Result = s.Result is null ? null : System.Text.Json.Nodes.JsonNode.Parse(s.Result), s.LastError, s.FinishedAt,
        }));
    }
}
