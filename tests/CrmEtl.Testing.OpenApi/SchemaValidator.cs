using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// Checks a JSON value against an OpenAPI 3.0 schema with the rules from the project's API notes. The vendors'
/// specs are imperfect, so this checks what a client of the API relies on — property types, nesting and
/// <c>required</c> properties — and tolerates what real responses are known to do:
/// <list type="bullet">
/// <item>undeclared properties are allowed (the APIs add fields faster than they document them);</item>
/// <item>null is allowed anywhere (the specs omit <c>nullable</c> on many fields that are sent as null);</item>
/// <item>a <c>date-time</c> may be RFC 3339 or <c>2026-01-01 00:00:00</c>; other formats and <c>pattern</c> are ignored;</item>
/// <item><c>enum</c> is only checked for strings;</item>
/// <item><c>oneOf</c> is read as <c>anyOf</c>, since the vendors list overlapping alternatives; but a non-empty
/// object does not match an alternative when it has none of the properties that alternative declares (see
/// <see cref="SharesNoDeclaredProperty"/>).</item>
/// </list>
/// </summary>
internal static partial class SchemaValidator
{
    // Real schemas nest a dozen levels or so; deeper means a $ref cycle that consumes no JSON.
    private const int MaxDepth = 40;
    private const int MaxEnumValuesShown = 8;

    public static List<string> Validate(Schema schema, JsonElement value)
    {
        var problems = new List<string>();
        Validate(schema, value, JsonPath.Root, 0, problems);
        return problems;
    }

    private static void Validate(Schema schema, JsonElement value, JsonPath path, int depth, List<string> problems)
    {
        if (depth > MaxDepth)
        {
            problems.Add($"{path}: schema nested deeper than {MaxDepth} levels (a $ref cycle?)");
            return;
        }

        if (schema.Reference is { } reference)
        {
            if (schema.Target is { } target)
            {
                Validate(target, value, path, depth + 1, problems);
            }
            else
            {
                problems.Add($"{path}: cannot resolve $ref '{reference}' in {schema.ReferencingFile}");
            }

            return;
        }

        // The specs omit `nullable` on many fields that real responses send as null.
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        // A wrong type makes every nested check noise, so it is the only problem reported for the value.
        if (schema.Type is { } type && !HasType(value, type))
        {
            problems.Add($"{path}: expected {type}, got {TypeOf(value)}");
            return;
        }

        // Each part on its own is enough: with undeclared properties allowed, merging the parts changes nothing.
        foreach (var part in schema.AllOf)
        {
            Validate(part, value, path, depth + 1, problems);
        }

        foreach (var alternatives in schema.Alternatives)
        {
            ValidateAlternatives(alternatives, value, path, depth, problems);
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                ValidateObject(schema, value, path, depth, problems);
                break;
            case JsonValueKind.Array when schema.Items is { } items:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Validate(items, item, path.Item(index++), depth + 1, problems);
                }

                break;
            case JsonValueKind.String when schema.Enum is not null || schema.IsDateTime:
                ValidateString(schema, value.GetString()!, path, problems);
                break;
        }
    }

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "integer" => value.ValueKind == JsonValueKind.Number && IsInteger(value),
        "number" => value.ValueKind == JsonValueKind.Number,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => true, // not a JSON type (e.g. Swagger 2's "file"): nothing to check
    };

    // 7.0 or 7e0 is not an integer on the wire: strict clients (System.Text.Json's GetInt64, for one) reject it.
    private static bool IsInteger(JsonElement number) =>
        number.TryGetInt64(out _) || !number.GetRawText().AsSpan().ContainsAny('.', 'e', 'E');

    private static string TypeOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => IsInteger(value) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.String => "string",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        _ => value.ValueKind.ToString(),
    };

    private static void ValidateObject(Schema schema, JsonElement value, JsonPath path, int depth, List<string> problems)
    {
        foreach (var name in schema.Required)
        {
            if (!value.TryGetProperty(name, out _))
            {
                problems.Add($"{path}: missing required property '{name}'");
            }
        }

        if (schema.Properties.Count == 0)
        {
            return;
        }

        // Only declared properties are checked: undeclared ones are allowed.
        foreach (var property in value.EnumerateObject())
        {
            if (schema.Properties.TryGetValue(property.Name, out var propertySchema))
            {
                Validate(propertySchema, property.Value, path.Property(property.Name), depth + 1, problems);
            }
        }
    }

    private static void ValidateString(Schema schema, string text, JsonPath path, List<string> problems)
    {
        if (schema.Enum is { } allowed && !allowed.Contains(text, StringComparer.Ordinal))
        {
            var more = allowed.Count > MaxEnumValuesShown ? ", …" : string.Empty;
            problems.Add($"{path}: '{text}' is not one of {string.Join(", ", allowed.Take(MaxEnumValuesShown))}{more}");
        }

        if (schema.IsDateTime && !IsDateTime(text))
        {
            problems.Add($"{path}: expected a date-time such as 2026-01-01T00:00:00Z or 2026-01-01 00:00:00, got '{text}'");
        }
    }

    // Pipedrive documents RFC 3339 but sends "2026-01-01 00:00:00" in many places; both are accepted.
    private static bool IsDateTime(string text) =>
        DateTimeShape().IsMatch(text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    /// <summary>
    /// <c>oneOf</c>/<c>anyOf</c>: valid if any alternative is. Otherwise the problems of the closest alternative
    /// (fewest problems) are reported, as they are the likeliest to describe what the sender meant.
    /// </summary>
    private static void ValidateAlternatives(
        IReadOnlyList<Schema> alternatives, JsonElement value, JsonPath path, int depth, List<string> problems)
    {
        List<string>? closest = null;
        var closestRank = (Unrelated: true, Problems: int.MaxValue);
        foreach (var alternative in alternatives)
        {
            var own = new List<string>();
            Validate(alternative, value, path, depth + 1, own);
            var unrelated = SharesNoDeclaredProperty(alternative, value, path, own);
            if (own.Count == 0)
            {
                return;
            }

            var rank = (Unrelated: unrelated, Problems: own.Count);
            if (closest is null || rank.CompareTo(closestRank) < 0)
            {
                (closest, closestRank) = (own, rank);
            }
        }

        problems.AddRange(closest ?? []);
    }

    /// <summary>
    /// With undeclared properties allowed and few <c>required</c> lists in the specs, an object alternative would
    /// accept any object at all: Zoho answers GET records with <c>oneOf: [Response_Wrapper, API_Exception]</c>, and
    /// a page whose <c>data</c> is broken would pass as an <c>API_Exception</c> that has none of its properties
    /// (status, code, message, details). So a non-empty object that has none of the properties an alternative
    /// declares does not match it; such an alternative also ranks last when picking the problems to report.
    /// </summary>
    private static bool SharesNoDeclaredProperty(Schema alternative, JsonElement value, JsonPath path, List<string> problems)
    {
        if (value.ValueKind != JsonValueKind.Object || value.GetPropertyCount() == 0)
        {
            return false;
        }

        var declared = new List<string>();
        CollectDeclaredProperties(alternative, declared, 0);
        if (declared.Count == 0 || declared.Exists(name => value.TryGetProperty(name, out _)))
        {
            return false;
        }

        problems.Add($"{path}: has none of the properties of this alternative ({string.Join(", ", declared)})");
        return true;
    }

    private static void CollectDeclaredProperties(Schema schema, List<string> names, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        if (schema.Reference is not null)
        {
            if (schema.Target is { } target)
            {
                CollectDeclaredProperties(target, names, depth + 1);
            }

            return;
        }

        names.AddRange(schema.Properties.Keys);
        foreach (var part in schema.AllOf)
        {
            CollectDeclaredProperties(part, names, depth + 1);
        }
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimeShape();
}
