using System.Globalization;
using CrmEtl.Sandbox.Pipedrive;
using Microsoft.AspNetCore.Http;

namespace CrmEtl.Sandbox;

/// <summary>Query parameters of the sandboxes' /_sandbox control endpoints, shared by Pipedrive and Zoho.</summary>
internal static class SandboxControl
{
    public static int Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static double Double(HttpRequest request, string name) =>
        double.TryParse(request.Query[name], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>A JSON body (web casing: firstName, dueDate), e.g. a <see cref="CustomerCase"/>.</summary>
    public static async Task<T> BodyAsync<T>(HttpRequest request) =>
        await System.Text.Json.JsonSerializer.DeserializeAsync<T>(request.Body, System.Text.Json.JsonSerializerOptions.Web, request.HttpContext.RequestAborted)
        ?? throw new BadHttpRequestException("Send a JSON body.");

    /// <summary>?mixed=N, or add_deals=…&amp;move_deals=… and so on.</summary>
    public static MutationPlan Plan(HttpRequest request)
    {
        int Q(string name) => Int(request, name);
        return request.Query.ContainsKey("mixed") ? MutationPlan.Mixed(Q("mixed")) : new MutationPlan
        {
            AddDeals = Q("add_deals"), UpdateDeals = Q("update_deals"), MoveDeals = Q("move_deals"), WinDeals = Q("win_deals"),
            LoseDeals = Q("lose_deals"), DeleteDeals = Q("delete_deals"), ArchiveDeals = Q("archive_deals"),
            AddActivities = Q("add_activities"), CompleteActivities = Q("complete_activities"), DeleteActivities = Q("delete_activities"),
            AddLeads = Q("add_leads"), ArchiveLeads = Q("archive_leads"), DeleteLeads = Q("delete_leads"),
        };
    }

    /// <summary>?clear, server_error_rate, malformed_rate, truncated_rate, latency_ms, burst_429 (&amp;no_headers).</summary>
    public static void SetFaults(Faults faults, HttpRequest request)
    {
        if (request.Query.ContainsKey("clear")) faults.Clear();
        faults.ServerErrorRate = Double(request, "server_error_rate");
        faults.MalformedRate = Double(request, "malformed_rate");
        faults.TruncatedRate = Double(request, "truncated_rate");
        faults.MissingFieldRate = Double(request, "missing_field_rate");
        faults.WrongTypeRate = Double(request, "wrong_type_rate");
        faults.Latency = TimeSpan.FromMilliseconds(Double(request, "latency_ms"));
        faults.Revoked = request.Query.ContainsKey("revoked");
        faults.OnlyPaths = request.Query["only"].FirstOrDefault();
        if (Int(request, "hold_off") > 0) faults.HoldOff(Int(request, "hold_off"));
        if (Int(request, "burst_429") > 0) faults.Add429Burst(Int(request, "burst_429"), withHeaders: !request.Query.ContainsKey("no_headers"));
    }
}
