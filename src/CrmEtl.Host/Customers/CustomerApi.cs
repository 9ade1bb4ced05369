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
    /// <summary>Where the widget's "add" form posts (no anti-forgery cookie reaches a page framed by another site: the widget key guards it).</summary>
    public const string WidgetContactsPath = "/widget/customer/contacts";

    public static void MapCustomerApi(this WebApplication app)
    {
        app.MapGet(ApiPath + "/card", CardAsync)
            .WithSummary("The customer card for one or more e-mails (email=a&email=b): the CRM contacts having them, their three latest deals with " +
                "stage and the urgency of their planned activities, and the budget of all their deals. Send a widget key (X-Widget-Key) or the API key; " +
                "with the API key, name the instance or company when there are several. fresh=true reads the customer from the CRM first " +
                "(kept Customers:FreshFor, within Customers:FreshShare of the daily API budget); when it cannot, the card is the replica's and says why.");
        app.MapPost(WidgetContactsPath, AddFromWidgetAsync).ExcludeFromDescription().DisableAntiforgery();
        app.MapPost(ApiPath, AddContactAsync)
            .WithSummary("Add a contact to the CRM (name, emails, phones; instance when the company has several): created once, however often it is sent — " +
                "a contact already having one of the e-mails is returned instead (200). 201 with the new contact's page link and the card showing it.");
    }

    /// <summary>The widget's form: adds the contact, then shows the card again with what happened (303, so a reload does not post twice).</summary>
    private static async Task<IResult> AddFromWidgetAsync(HttpContext context, CustomerContacts contacts, CancellationToken ct)
    {
        var form = await context.Request.ReadFormAsync(ct);
        var query = context.Request.Query;
        var emails = form["email"].ToList();
        string message;
        try
        {
            var result = await contacts.AddAsync(CustomerAccess.CallerOf(context), new AddContactRequest(query["instance"], form["name"], emails, form["phone"].ToList()), ct);
            message = result.Message;
        }
        catch (CustomerRequestException e)
        {
            message = string.Join(" ", e.Problems);
        }
        var carried = query.Where(q => q.Key is not ("email" or "added")).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
            .Concat(emails.Select(e => new KeyValuePair<string, string?>("email", e))).Append(new("added", message));
        return Results.Redirect(WidgetPagePath + Microsoft.AspNetCore.Http.QueryString.Create(carried), permanent: false, preserveMethod: false);
    }

    private static async Task<IResult> AddContactAsync(HttpContext context, AddContactRequest body, CustomerContacts contacts, CancellationToken ct)
    {
        var result = await contacts.AddAsync(CustomerAccess.CallerOf(context), body, ct);
        return result.Created ? Results.Created(result.Link, result) : Results.Ok(result);
    }

    private static async Task<IResult> CardAsync(HttpContext context, string? instance, string? company, bool? fresh, CustomerCards cards, CancellationToken ct) =>
        Results.Ok(await cards.CardAsync(CustomerAccess.CallerOf(context), instance, company, context.Request.Query["email"], fresh ?? false, ct));

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
