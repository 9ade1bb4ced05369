using System.Net;
using CrmEtl.Core.Customers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrmEtl.Host.Customers;

/// <summary>The customer card's endpoints, for helpdesks: /api/customers/card (JSON) and the widget /widget/customer (a page).</summary>
public static class CustomerApi
{
    public const string ApiPath = "/api/customers";
    public const string WidgetPath = "/widget";
    public const string WidgetPagePath = "/widget/customer";

    public static void MapCustomerApi(this WebApplication app)
    {
        app.MapGet(ApiPath + "/card", CardAsync)
            .WithSummary("The customer card for one or more e-mails (email=a&email=b): the CRM contacts having them, their three latest deals with " +
                "stage and the urgency of their planned activities, and the budget of all their deals. Send a widget key (X-Widget-Key) or the API key; " +
                "with the API key, name the instance or company when there are several.");
        app.MapPost(ApiPath, AddContactAsync)
            .WithSummary("Add a contact to the CRM (name, emails, phones; instance when the company has several): created once, however often it is sent — " +
                "a contact already having one of the e-mails is returned instead (200). 201 with the new contact's page link and the card showing it.");
    }

    private static async Task<IResult> AddContactAsync(HttpContext context, AddContactRequest body, CustomerContacts contacts, CancellationToken ct)
    {
        var result = await contacts.AddAsync(CustomerAccess.CallerOf(context), body, ct);
        return result.Created ? Results.Created(result.Link, result) : Results.Ok(result);
    }

    private static async Task<IResult> CardAsync(HttpContext context, string? instance, string? company, CustomerCards cards, CancellationToken ct) =>
        Results.Ok(await cards.CardAsync(CustomerAccess.CallerOf(context), instance, company, context.Request.Query["email"], ct));

    /// <summary>A refusal as the caller reads it: problem details for the API, a short page for the widget in its iframe.</summary>
    public static Task RefuseAsync(HttpContext context, int status, string problem)
    {
        if (!context.Request.Path.StartsWithSegments(WidgetPath))
            return Results.Problem(statusCode: status, title: problem, detail: problem, extensions: new Dictionary<string, object?> { ["errors"] = new[] { problem } }).ExecuteAsync(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>CrmEtl</title></head>" +
            $"<body style=\"font-family:system-ui,sans-serif;font-size:14px;color:#b00020\"><p role=\"alert\">{WebUtility.HtmlEncode(problem)}</p></body></html>", context.RequestAborted);
    }
}
