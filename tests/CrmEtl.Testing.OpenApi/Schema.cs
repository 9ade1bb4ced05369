using System.Collections.ObjectModel;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// A schema reduced to the keywords <see cref="SchemaValidator"/> checks, compiled once from Microsoft.OpenApi's
/// model of the spec (or from a JSON Schema file, see Schema.JsonSchema.cs): dictionaries for property names, and a
/// <c>$ref</c> kept as one node however often it is used (a 500-deal page validates in under 10 ms).
/// </summary>
internal sealed partial class Schema
{
    private static readonly Lock CompileLock = new();

    // $ref targets, by the schema they resolve to: a component is compiled once however often it is used, and a
    // cycle of references ends at the reference that is being compiled.
    private static readonly Dictionary<object, Schema> References = new(ReferenceEqualityComparer.Instance);

    private static readonly (JsonSchemaType Flag, string Name)[] TypeNames =
    [
        (JsonSchemaType.Object, "object"), (JsonSchemaType.Array, "array"), (JsonSchemaType.String, "string"),
        (JsonSchemaType.Integer, "integer"), (JsonSchemaType.Number, "number"), (JsonSchemaType.Boolean, "boolean"),
    ];

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
    public static Schema Compile(IOpenApiSchema node, OpenApiSpec spec)
    {
        lock (CompileLock)
        {
            return CompileNode(node, spec);
        }
    }

    private static Schema CompileNode(IOpenApiSchema node, OpenApiSpec file)
    {
        if (node is OpenApiSchemaReference reference)
        {
            return CompileReference(reference, file);
        }

        var schema = new Schema
        {
            Type = DeclaredType(node),
            Required = [.. node.Required ?? Enumerable.Empty<string>()],
            Properties = node.Properties?.ToDictionary(p => p.Key, p => CompileNode(p.Value, file), StringComparer.Ordinal)
                ?? (IReadOnlyDictionary<string, Schema>)ReadOnlyDictionary<string, Schema>.Empty,
            Items = node.Items is { } items ? CompileNode(items, file) : null,
            AllOf = CompileList(node.AllOf, file) ?? [],
            Alternatives = new[] { node.AnyOf, node.OneOf }.Select(list => CompileList(list, file)).OfType<IReadOnlyList<Schema>>().ToList(),
            // The YAML may have turned an enum value into a number or boolean; it still matches its spelling.
            Enum = node.Enum is { Count: > 0 } allowed
                ? [.. allowed.OfType<JsonNode>().Select(v => v is JsonValue value && value.TryGetValue<string>(out var text) ? text : v.ToJsonString())]
                : null,
            IsDateTime = node.Format == "date-time",
        };
        return schema;
    }

    /// <summary>A reference within the file is resolved by Microsoft.OpenApi; one into a sibling file by <see cref="OpenApiSpec.ExternalSchema"/>.</summary>
    private static Schema CompileReference(OpenApiSchemaReference reference, OpenApiSpec file)
    {
        var (target, targetFile) = reference.Target is { } local ? (local, file)
            : file.ExternalSchema(reference.Reference) is var (external, other) ? (external, other) : ((IOpenApiSchema?)null, file);
        var key = (object?)target ?? reference;
        if (References.TryGetValue(key, out var known))
        {
            return known;
        }

        var schema = new Schema { Reference = reference.Reference.ReferenceV3 ?? reference.Reference.Id, ReferencingFile = file.FileName };
        References.Add(key, schema); // before compiling the target, so that a cycle ends here
        if (target is not null)
        {
            schema.Target = CompileNode(target, targetFile);
        }

        return schema;
    }

    private static List<Schema>? CompileList(IList<IOpenApiSchema>? list, OpenApiSpec file) =>
        list is { Count: > 0 } ? [.. list.Select(item => CompileNode(item, file))] : null;

    private static string? DeclaredType(IOpenApiSchema node)
    {
        if (node.Type is { } type && TypeNames.FirstOrDefault(t => type.HasFlag(t.Flag)).Name is { } name)
        {
            return name;
        }

        // The specs often leave the type out where the structure makes it obvious.
        return node.Properties is { Count: > 0 } ? "object"
            : node.Items is not null ? "array"
            : null;
    }
}
