using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CrmEtl.Host.Forms;

/// <summary>
/// POST /forms/{key}/submissions: a web form's submission, as JSON (an object of plain values) or
/// application/x-www-form-urlencoded, at most Forms:MaxBodyBytes. Public (the module key is the form's address), so every
/// refusal says what was wrong and nothing about the company: 400 a bad value, 404 an unknown key, 413 too big,
/// 415 another body, 429 a flood. 202 when queued, 200 when the same submission was queued before.
/// </summary>
public static class FormEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static void MapForms(WebApplication app) =>
        app.MapPost("/forms/{key}/submissions", SubmitAsync).DisableAntiforgery()
            .WithSummary("Submit a web form (JSON or form-urlencoded); queued at once, written to the CRM by a worker.");

    private static async Task<IResult> SubmitAsync(string key, HttpContext context, FormIntake intake, IOptions<FormOptions> options, CancellationToken ct)
    {
        try
        {
            var fields = await ReadAsync(context.Request, options.Value.MaxBodyBytes, ct);
            var accepted = await intake.AcceptAsync(key, fields, context.Request.Headers[IdempotencyHeader].FirstOrDefault(),
                context.Connection.RemoteIpAddress?.ToString(), ct);
            return Results.Json(accepted, statusCode: accepted.Repeated ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
        }
        catch (FormRequestException e)
        {
            return Results.Problem(statusCode: e.Status, title: e.Problems.Count == 1 ? e.Problems[0] : "The submission is not valid.", detail: string.Join(" ", e.Problems),
                extensions: new Dictionary<string, object?> { ["errors"] = e.Problems });
        }
    }

    /// <summary>The submission's parameters, names and values trimmed of nothing; a body over <paramref name="max"/> bytes is refused before it is read whole.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> ReadAsync(HttpRequest request, int max, CancellationToken ct)
    {
        if (request.ContentLength > max) throw TooBig(max);
        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                body.Write(buffer, 0, read);
                if (body.Length > max) throw TooBig(max);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The server's own limit on every request (Api:MaxRequestBodyBytes) came first.
            throw TooBig(max);
        }
        var bytes = body.ToArray();
        var type = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        switch (type)
        {
            case "application/json":
                try
                {
                    using var document = JsonDocument.Parse(bytes);
                    if (document.RootElement.ValueKind != JsonValueKind.Object) throw new FormRequestException(400, "The JSON body must be an object of the form's parameters, e.g. {\"email\": \"…\"}.");
                    var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var p in document.RootElement.EnumerateObject())
                        fields[p.Name] = p.Value.ValueKind switch
                        {
                            JsonValueKind.String => p.Value.GetString()!,
                            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => p.Value.GetRawText(),
                            JsonValueKind.Null => "",
                            _ => throw new FormRequestException(400, $"The parameter '{p.Name}' is not a plain value (a text, number or true/false)."),
                        };
                    return fields;
                }
                catch (JsonException e)
                {
                    throw new FormRequestException(400, $"The body is not valid JSON ({e.Message}).");
                }
            case "application/x-www-form-urlencoded":
                var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery("?" + System.Text.Encoding.UTF8.GetString(bytes));
                return form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
            default:
                throw new FormRequestException(415, "Send the form as application/json or application/x-www-form-urlencoded.");
        }
    }

    private static FormRequestException TooBig(int max) => new(413, $"The submission is larger than {max / 1024} KB.");
}
