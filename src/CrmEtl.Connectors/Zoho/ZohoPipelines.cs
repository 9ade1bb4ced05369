using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;

namespace CrmEtl.Connectors.Zoho;

/// <summary>
/// The org's deal pipelines (from each Deals layout) and their stages. Zoho's stages are values of
/// the one Stage picklist that pipelines share (Closed Won is usually in all of them), so a stage of
/// the replica is a (pipeline, picklist value) pair with a stable key of its own. Deals and stage
/// history name stages by <c>actual_value</c>, which is what is matched, never the display value.
/// </summary>
internal sealed class ZohoPipelines
{
    public sealed record Stage(long Key, long PipelineId, long ValueId, string ActualValue, string Display, int Sequence, int? Probability, string ForecastType);

    public sealed record Pipeline(long Id, string Name, int Order, IReadOnlyList<Stage> Stages);

    public List<Pipeline> Pipelines { get; } = [];
    private readonly Dictionary<long, Stage> _byKey = [];

    public static async Task<ZohoPipelines> LoadAsync(ZohoClient client, string stream, CancellationToken ct)
    {
        var result = new ZohoPipelines();
        var layouts = await client.GetAsync(stream, "/crm/v8/settings/layouts?module=Deals", null, ct);
        foreach (var layout in layouts?["layouts"]?.AsArray() ?? [])
        {
            var layoutId = layout?["id"]?.GetValue<string>();
            if (layoutId is null) continue;
            var page = await client.GetAsync(stream, "/crm/v8/settings/pipeline?layout_id=" + Uri.EscapeDataString(layoutId), null, ct);
            foreach (var p in page?["pipeline"]?.AsArray() ?? [])
            {
                var id = ZohoValues.Id(p?["id"]) ?? throw new CrmException($"A Zoho pipeline of layout {layoutId} has no id.");
                if (result.Pipelines.Any(x => x.Id == id)) continue; // the same pipeline seen through another layout
                var stages = (p!["maps"]?.AsArray() ?? []).OfType<JsonObject>()
                    .Where(m => m["_delete"]?.GetValue<bool>() != true)
                    .Select(m => new Stage(
                        StageKey(id, ZohoValues.Id(m["id"]) ?? 0), id, ZohoValues.Id(m["id"]) ?? 0,
                        ZohoValues.Text(m["actual_value"]) ?? ZohoValues.Text(m["display_value"]) ?? "",
                        ZohoValues.Text(m["display_value"]) ?? ZohoValues.Text(m["actual_value"]) ?? "",
                        ZohoValues.Int(m["sequence_number"]) ?? 0, ZohoValues.Int(m["probability"]),
                        ZohoValues.Text(m["forecast_type"]) ?? "Open"))
                    .OrderBy(s => s.Sequence).ToList();
                result.Pipelines.Add(new Pipeline(id, ZohoValues.Text(p["display_value"]) ?? ZohoValues.Text(p["actual_value"]) ?? id.ToString(CultureInfo.InvariantCulture), result.Pipelines.Count + 1, stages));
                foreach (var s in stages) result._byKey[s.Key] = s;
            }
        }
        return result;
    }

    /// <summary>A stable id for a stage of a pipeline: the first 63 bits of a hash of both Zoho ids.</summary>
    public static long StageKey(long pipelineId, long valueId) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{pipelineId}:{valueId}"))), 0) & long.MaxValue;

    public Stage? ByKey(long? key) => key is { } k ? _byKey.GetValueOrDefault(k) : null;

    public long? PipelineIdByName(string? name) => Pipelines.Find(p => p.Name == name)?.Id;

    /// <summary>The stage a deal of <paramref name="pipelineId"/> is in when its Stage is <paramref name="actualValue"/>; another pipeline's if its own lacks it.</summary>
    public Stage? Find(long? pipelineId, string? actualValue)
    {
        if (actualValue is null) return null;
        var own = Pipelines.Find(p => p.Id == pipelineId)?.Stages.FirstOrDefault(s => s.ActualValue == actualValue);
        return own ?? Pipelines.SelectMany(p => p.Stages).FirstOrDefault(s => s.ActualValue == actualValue);
    }

    public IEnumerable<PipelineRow> PipelineRows() => Pipelines.Select(p => new PipelineRow(p.Id, p.Name, p.Order, false, null, null));

    public IEnumerable<StageRow> StageRows() => Pipelines.SelectMany(p => p.Stages.Select(s =>
        new StageRow(s.Key, p.Id, s.Display, s.Sequence, s.Probability, false, null, null, s.ForecastType)));

    public IReadOnlyList<CrmPipeline> ToCrmPipelines() =>
        Pipelines.Select(p => new CrmPipeline(p.Id, p.Name, p.Stages.Select(s => new CrmStage(s.Key, s.Display)).ToList())).ToList();
}

/// <summary>Reading Zoho's JSON values: ids as strings of digits, lookups as {name, id}, timestamps with an offset.</summary>
internal static class ZohoValues
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static long? Id(JsonNode? node) => node switch
    {
        JsonObject o => Id(o["id"]),
        JsonValue v when v.TryGetValue<string>(out var s) => long.TryParse(s, NumberStyles.Integer, Inv, out var id) ? id : null,
        JsonValue v when v.TryGetValue<long>(out var n) => n,
        _ => null,
    };

    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        JsonObject o => Text(o["name"]),
        _ => null,
    };

    public static int? Int(JsonNode? node) => node is JsonValue v
        ? v.TryGetValue<int>(out var i) ? i : v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, Inv, out var p) ? p : null
        : null;

    public static decimal? Decimal(JsonNode? node) => node is JsonValue v
        ? v.TryGetValue<decimal>(out var d) ? d : v.TryGetValue<string>(out var s) && decimal.TryParse(s, NumberStyles.Float, Inv, out var p) ? p : null
        : null;

    public static bool? Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    public static DateTimeOffset? Time(JsonNode? node) =>
        Text(node) is { Length: > 0 } s
            ? DateTimeOffset.TryParse(s, Inv, DateTimeStyles.None, out var t) ? t.ToUniversalTime() : throw new FormatException($"'{s}' is not a Zoho date-time.")
            : null;

    public static DateOnly? Date(JsonNode? node) =>
        Text(node) is { Length: >= 10 } s && DateOnly.TryParseExact(s[..10], "yyyy-MM-dd", Inv, DateTimeStyles.None, out var d) ? d : null;
}
