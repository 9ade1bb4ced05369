using System.Globalization;
using System.Text.Json;
using CrmEtl.Core.Instances;

namespace CrmEtl.Host.Web;

/// <summary>One stream's figures in a run (etl.sync_run.streams).</summary>
public sealed record StreamFigures(string Stream, long Read, long Written, int Calls, int Tokens);

/// <summary>A CRM record a submission wrote or found, as its result lists it: "Contact", its id, its link, and what else it says (found, moved…).</summary>
public sealed record FormResultRecord(string Record, long? Id, string? Link, string? Note);

/// <summary>How the console writes times, durations, statuses and run figures.</summary>
public static class ConsoleFormat
{
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    /// <summary>A UTC instant as a wall-clock time in the instance's time zone, e.g. "2026-12-01 02:00 Europe/Helsinki".</summary>
    public static string InZone(DateTimeOffset instant, string timeZone)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var found) ? found : TimeZoneInfo.Utc;
        return $"{TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd HH:mm", Culture)} {zone.Id}";
    }

    public static string InZone(DateTime utc, string timeZone) => InZone(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)), timeZone);

    public static string Duration(TimeSpan span) => span.TotalSeconds < 60
        ? $"{span.TotalSeconds.ToString("0.0", Culture)} s"
        : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s" : $"{(int)span.TotalHours} h {span.Minutes} min";

    public static string Number(long value) => value.ToString("#,0", Culture);

    public static string KindName(string kind) => InstanceKinds.DisplayName(kind);

    public static string StatusText(string status) => status switch
    {
        InstanceStatus.Connected => "Connected",
        InstanceStatus.AuthFailed => "Sign-in refused",
        InstanceStatus.Error => "Error",
        InstanceStatus.Disabled => "Disabled",
        _ => status,
    };

    public static string RunStatusText(string status) => status switch
    {
        "queued" => "Queued",
        "running" => "Running",
        "succeeded" => "Succeeded",
        "failed" => "Failed",
        "auth_failed" => "Sign-in refused",
        "budget_exhausted" => "API budget used up",
        "cancelled" => "Cancelled",
        _ => status,
    };

    /// <summary>The command line's messages name options (--time-zone); the console names its fields.</summary>
    public static string FieldNames(string message) => message
        .Replace("--name", "Name", StringComparison.Ordinal).Replace("--url", "The address", StringComparison.Ordinal)
        .Replace("--token-env", "a token variable", StringComparison.Ordinal).Replace("--token", "API token", StringComparison.Ordinal)
        .Replace("--time-zone", "Time zone", StringComparison.Ordinal).Replace("--currency", "Reporting currency", StringComparison.Ordinal)
        .Replace("--client-id", "Client ID", StringComparison.Ordinal).Replace("--client-secret", "Client secret", StringComparison.Ordinal)
        .Replace("--refresh-token", "Refresh token", StringComparison.Ordinal).Replace("--schedule", "Schedule", StringComparison.Ordinal);

    /// <summary>The per-stream figures of a run, in the order the run log keeps them.</summary>
    public static IReadOnlyList<StreamFigures> Streams(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object) return [];
        return document.RootElement.EnumerateObject().Select(s => new StreamFigures(s.Name,
            Long(s.Value, "read"), Long(s.Value, "written"), (int)Long(s.Value, "calls"), (int)Long(s.Value, "tokens"))).ToList();
    }

    private static long Long(JsonElement element, string name) => element.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : 0;

    /// <summary>The CRM records in a submission's result (contact, company, deal with their ids and links; tasks; the rule that skipped it).</summary>
    public static IReadOnlyList<FormResultRecord> SubmissionRecords(string? resultJson)
    {
        if (string.IsNullOrWhiteSpace(resultJson)) return [];
        using var document = JsonDocument.Parse(resultJson);
        if (document.RootElement.ValueKind != JsonValueKind.Object) return [];
        var records = new List<FormResultRecord>();
        foreach (var p in document.RootElement.EnumerateObject())
        {
            var record = p.Name.Length == 0 ? "Record" : char.ToUpperInvariant(p.Name[0]) + p.Name[1..].Replace('_', ' ');
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    var v = p.Value;
                    long? id = v.TryGetProperty("id", out var i) && i.TryGetInt64(out var n) ? n : null;
                    var link = v.TryGetProperty("link", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null;
                    var notes = new List<string>();
                    if (v.TryGetProperty("found", out var f) && f.ValueKind == JsonValueKind.True) notes.Add("found");
                    if (v.TryGetProperty("merged", out var m) && m.ValueKind == JsonValueKind.True) notes.Add("merged by the CRM");
                    if (v.TryGetProperty("movedTo", out var to)) notes.Add($"moved to stage {to.GetRawText()}");
                    records.Add(new(record, id, link, notes.Count == 0 ? null : string.Join(", ", notes)));
                    break;
                case JsonValueKind.Number:
                    records.Add(new(record, p.Value.TryGetInt64(out var number) ? number : null, null, null));
                    break;
                case JsonValueKind.String:
                    records.Add(new(record, null, null, p.Value.GetString()));
                    break;
            }
        }
        return records;
    }
}
