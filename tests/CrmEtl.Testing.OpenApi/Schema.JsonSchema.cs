using System.Collections.ObjectModel;
using System.Text.Json;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// Compiles a JSON Schema document (draft 2020-12, the dialect of OpenAPI 3.1) into the same model as an OpenAPI
/// schema, for the keywords the validator checks: <c>type</c> (a list of types becomes alternatives; <c>null</c> is
/// accepted anyway), <c>properties</c>, <c>required</c>, <c>items</c>, <c>allOf</c>, <c>anyOf</c>, <c>oneOf</c>,
/// <c>enum</c>, <c>const</c>, <c>format: date-time</c> and <c>$ref</c>. Other keywords next to a <c>$ref</c> are ignored.
/// </summary>
internal sealed partial class Schema
{
    // $ref targets by file and JSON pointer, so that a definition is compiled once and a cycle ends at itself.
    private static readonly Dictionary<string, Schema> JsonReferences = new(StringComparer.Ordinal);

    /// <summary>Compiles the schema at <paramref name="pointer"/> of a file (and everything it references) once.</summary>
    public static Schema CompileJsonSchema(JsonSchemaFile file, string pointer)
    {
        lock (CompileLock)
        {
            return CompileJsonReference(file, pointer, reference: null, referencingFile: file.FileName);
        }
    }

    private static Schema CompileJsonNode(JsonElement node, JsonSchemaFile file)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            return new Schema(); // `true`: anything goes
        }

        if (node.TryGetProperty("$ref", out var reference) && reference.GetString() is { } text)
        {
            var (target, pointer) = file.Resolve(text);
            return target is null
                ? new Schema { Reference = text, ReferencingFile = file.FileName } // reported as unresolvable when used
                : CompileJsonReference(target, pointer, text, file.FileName);
        }

        var types = TypesOf(node);
        var alternatives = new List<IReadOnlyList<Schema>>();
        if (types.Count > 1)
        {
            alternatives.Add([.. types.Select(t => new Schema { Type = t })]);
        }

        foreach (var keyword in (string[])["anyOf", "oneOf"])
        {
            if (CompileJsonList(node, keyword, file) is { } list)
            {
                alternatives.Add(list);
            }
        }

        return new Schema
        {
            Type = types.Count == 1 ? types[0] : ImpliedType(node),
            Required = node.TryGetProperty("required", out var required) ? [.. required.EnumerateArray().Select(r => r.GetString()!)] : [],
            Properties = node.TryGetProperty("properties", out var properties)
                ? properties.EnumerateObject().ToDictionary(p => p.Name, p => CompileJsonNode(p.Value, file), StringComparer.Ordinal)
                : ReadOnlyDictionary<string, Schema>.Empty,
            Items = node.TryGetProperty("items", out var items) ? CompileJsonNode(items, file) : null,
            AllOf = CompileJsonList(node, "allOf", file) ?? [],
            Alternatives = alternatives,
            Enum = node.TryGetProperty("enum", out var allowed) ? [.. allowed.EnumerateArray().Select(Spelling)]
                : node.TryGetProperty("const", out var only) ? [Spelling(only)]
                : null,
            IsDateTime = node.TryGetProperty("format", out var format) && format.GetString() == "date-time",
        };
    }

    private static Schema CompileJsonReference(JsonSchemaFile file, string pointer, string? reference, string referencingFile)
    {
        var key = file.FilePath + "#" + pointer;
        if (JsonReferences.TryGetValue(key, out var known))
        {
            return known;
        }

        var schema = new Schema { Reference = reference ?? "#" + pointer, ReferencingFile = referencingFile };
        JsonReferences.Add(key, schema); // before compiling the target, so that a cycle ends here
        if (file.At(pointer) is { } target)
        {
            schema.Target = CompileJsonNode(target, file);
        }

        return schema;
    }

    private static List<Schema>? CompileJsonList(JsonElement node, string keyword, JsonSchemaFile file) =>
        node.TryGetProperty(keyword, out var list) && list.GetArrayLength() > 0
            ? [.. list.EnumerateArray().Select(item => CompileJsonNode(item, file))]
            : null;

    /// <summary>The declared types other than null (which the validator accepts anywhere).</summary>
    private static List<string> TypesOf(JsonElement node)
    {
        if (!node.TryGetProperty("type", out var type))
        {
            return [];
        }

        var names = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!) : [type.GetString()!];
        return [.. names.Where(n => n != "null")];
    }

    private static string? ImpliedType(JsonElement node) =>
        node.TryGetProperty("properties", out _) ? "object"
            : node.TryGetProperty("items", out _) ? "array"
            : null;

    private static string Spelling(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
