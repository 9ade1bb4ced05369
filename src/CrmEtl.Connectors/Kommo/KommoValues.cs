using System.Text.Json.Nodes;

namespace CrmEtl.Connectors.Kommo;

/// <summary>Reading Kommo's JSON: integer ids, Unix-second times, values that may be absent or null.</summary>
internal static class KommoValues
{
    public static long? Id(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var id) ? id : node is JsonValue s && s.TryGetValue<string>(out var text) && long.TryParse(text, out var parsed) ? parsed : null;

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : node is JsonValue n ? n.ToJsonString() : null;

    public static DateTimeOffset? Time(JsonNode? node) => Id(node) is { } seconds and > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    public static decimal? Decimal(JsonNode? node) => node is JsonValue v && v.TryGetValue<decimal>(out var d) ? d : null;

    public static bool? Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    public static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();

    /// <summary>
    /// The replica's stage id of a Kommo status. Status ids are unique in an account except won (142) and lost (143),
    /// which every pipeline shares, so a stage is keyed by its pipeline too.
    /// </summary>
    public static long StageKey(long pipelineId, long statusId) => pipelineId * 1_000_000_000L + statusId;

    public const long Won = 142, Lost = 143;
}
