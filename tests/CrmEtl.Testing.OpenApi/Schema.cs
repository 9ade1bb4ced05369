using System.Collections.ObjectModel;
using System.Text.Json;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// A schema reduced to the keywords <see cref="SchemaValidator"/> checks, compiled once from the spec's JSON.
/// Looking keywords and property names up in a <see cref="JsonElement"/> is a linear scan, which made a
/// 500-deal page take ~30 ms; with dictionaries it takes under 10.
/// </summary>
internal sealed class Schema
{
    private static readonly Lock CompileLock = new();

    // $ref targets by referencing file and reference text: a component is compiled once however often it is
    // used, and a cycle of references ends at the reference that is being compiled.
    private static readonly Dictionary<(OpenApiSpec Spec, string Reference), Schema> References = [];

    private Schema()
    {
    }

    /// <summary>The declared type, or the one implied by <c>properties</c> or <c>items</c>; null if none.</summary>
    public string? Type { get; private set; }

    public IReadOnlyList<string> Required { get; private set; } = [];

    public IReadOnlyDictionary<string, Schema> Properties { get; private set; } = ReadOnlyDictionary<string, Schema>.Empty;

    public Schema? Items { get; private set; }

    public IReadOnlyList<Schema> AllOf { get; private set; } = [];

    /// <summary>The <c>anyOf</c> and <c>oneOf</c> lists, each read as <c>anyOf</c>.</summary>
    public IReadOnlyList<IReadOnlyList<Schema>> Alternatives { get; private set; } = [];

    /// <summary>The allowed values, spelled as strings; null if any string goes.</summary>
    public IReadOnlyList<string>? Enum { get; private set; }

    public bool IsDateTime { get; private set; }

    /// <summary>The <c>$ref</c> text if this schema is a reference (which then has no other keywords).</summary>
    public string? Reference { get; private set; }

    /// <summary>The file that holds <see cref="Reference"/>, for messages.</summary>
    public string? ReferencingFile { get; private set; }

    /// <summary>What <see cref="Reference"/> points to; null if it cannot be resolved.</summary>
    public Schema? Target { get; private set; }

    /// <summary>Compiles a schema and, transitively, everything it references. The lock keeps the table of
    /// references consistent when tests run in parallel; compiling happens once per response schema.</summary>
    public static Schema Compile(SpecNode node)
    {
        lock (CompileLock)
        {
            return CompileNode(node);
        }
    }

    private static Schema CompileNode(SpecNode node)
    {
        if (node.Reference is { } reference)
        {
            return CompileReference(node.Spec, reference);
        }

        var schema = new Schema();
        var keywords = node.Element;
        if (keywords.ValueKind != JsonValueKind.Object)
        {
            return schema; // e.g. `true`: anything goes
        }

        schema.Type = DeclaredType(keywords);
        if (keywords.TryGetObject("properties", out var properties))
        {
            var compiled = new Dictionary<string, Schema>(StringComparer.Ordinal);
            foreach (var property in properties.EnumerateObject())
            {
                compiled[property.Name] = CompileNode(node.With(property.Value));
            }

            schema.Properties = compiled;
        }

        if (keywords.TryGetArray("required", out var required))
        {
            schema.Required = [.. required.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!)];
        }

        if (keywords.TryGet("items", out var items))
        {
            schema.Items = CompileNode(node.With(items));
        }

        schema.AllOf = CompileList(node, "allOf") ?? [];
        var alternatives = new List<IReadOnlyList<Schema>>();
        foreach (var keyword in (string[])["anyOf", "oneOf"])
        {
            if (CompileList(node, keyword) is { } list)
            {
                alternatives.Add(list);
            }
        }

        schema.Alternatives = alternatives;
        if (keywords.TryGetArray("enum", out var allowed))
        {
            // The YAML may have turned an enum value into a number or boolean; it still matches its spelling.
            schema.Enum = [.. allowed.EnumerateArray()
                .Where(v => v.ValueKind != JsonValueKind.Null)
                .Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText())];
        }

        schema.IsDateTime = keywords.TryGet("format", out var format)
            && format.ValueKind == JsonValueKind.String
            && format.ValueEquals("date-time");
        return schema;
    }

    private static Schema CompileReference(OpenApiSpec spec, string reference)
    {
        if (References.TryGetValue((spec, reference), out var known))
        {
            return known;
        }

        var schema = new Schema { Reference = reference, ReferencingFile = spec.FileName };
        References.Add((spec, reference), schema); // before compiling the target, so that a cycle ends here
        if (spec.Resolve(reference) is { } target)
        {
            schema.Target = CompileNode(target);
        }

        return schema;
    }

    private static List<Schema>? CompileList(SpecNode node, string keyword) =>
        node.Element.TryGetArray(keyword, out var list)
            ? [.. list.EnumerateArray().Select(item => CompileNode(node.With(item)))]
            : null;

    private static string? DeclaredType(JsonElement keywords)
    {
        if (keywords.TryGet("type", out var type) && type.ValueKind == JsonValueKind.String)
        {
            return type.GetString();
        }

        // The specs often leave the type out where the structure makes it obvious.
        return keywords.TryGet("properties", out _) ? "object"
            : keywords.TryGet("items", out _) ? "array"
            : null;
    }
}
