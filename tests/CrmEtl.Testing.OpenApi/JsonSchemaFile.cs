using System.Collections.Concurrent;
using System.Text.Json;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// A JSON Schema file (draft 2020-12, as OpenAPI 3.1 embeds it) for a vendor that publishes no OpenAPI document
/// (Kommo): written by hand from the vendor's docs, it is checked with the same lenient rules as the OpenAPI specs
/// (see <see cref="SchemaValidator"/>). A <c>$ref</c> may point into the same file (<c>#/$defs/link</c>) or into a
/// sibling file (<c>common.json#/$defs/link</c>, <c>lead.json</c>).
/// </summary>
public sealed class JsonSchemaFile
{
    // Each file is read once per test run, even when tests run in parallel.
    private static readonly ConcurrentDictionary<string, Lazy<JsonSchemaFile>> Loaded = new(StringComparer.Ordinal);

    private readonly JsonElement _root;
    private readonly Lazy<Schema> _schema;

    private JsonSchemaFile(string filePath, JsonElement root)
    {
        FilePath = filePath;
        _root = root;
        _schema = new Lazy<Schema>(() => Schema.CompileJsonSchema(this, string.Empty));
    }

    /// <summary>Absolute path of the schema file.</summary>
    public string FilePath { get; }

    /// <summary>The schema's <c>description</c> (where in the vendor's docs it comes from), or empty.</summary>
    public string Description =>
        _root.ValueKind == JsonValueKind.Object && _root.TryGetProperty("description", out var text) ? text.GetString() ?? string.Empty : string.Empty;

    internal string FileName => Path.GetFileName(FilePath);

    /// <summary>Loads a schema file once per path. Throws <see cref="FileNotFoundException"/> or <see cref="JsonException"/>.</summary>
    public static JsonSchemaFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Loaded.GetOrAdd(Path.GetFullPath(path), static p => new Lazy<JsonSchemaFile>(() => Read(p))).Value;
    }

    /// <summary>
    /// Checks a JSON text against the schema; one line per problem, each starting with the JSON path of the offending
    /// value (<c>$._embedded.leads[3].id: expected integer, got string</c>). Empty means valid.
    /// </summary>
    public IReadOnlyList<string> Validate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument body;
        try
        {
            body = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return [$"$: the body is not valid JSON ({e.Message})"];
        }

        using (body)
        {
            return Validate(body.RootElement);
        }
    }

    /// <summary>Checks a parsed JSON value against the schema (see <see cref="Validate(string)"/>).</summary>
    public IReadOnlyList<string> Validate(JsonElement value) => SchemaValidator.Validate(_schema.Value, value);

    /// <summary>The file and JSON pointer a <c>$ref</c> names, relative to this file; the file is null if it does not exist.</summary>
    internal (JsonSchemaFile? File, string Pointer) Resolve(string reference)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var (path, pointer) = hash < 0 ? (reference, string.Empty) : (reference[..hash], reference[(hash + 1)..]);
        if (path.Length == 0)
        {
            return (this, pointer);
        }

        var sibling = Path.Combine(Path.GetDirectoryName(FilePath)!, Uri.UnescapeDataString(path));
        return File.Exists(sibling) ? (Load(sibling), pointer) : (null, pointer);
    }

    /// <summary>The value a JSON pointer (RFC 6901, e.g. <c>/$defs/link</c>) names in this file, or null.</summary>
    internal JsonElement? At(string pointer)
    {
        var node = _root;
        foreach (var token in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out var child))
            {
                node = child;
            }
            else if (node.ValueKind == JsonValueKind.Array && int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < node.GetArrayLength())
            {
                node = node[index];
            }
            else
            {
                return null;
            }
        }

        return node;
    }

    private static JsonSchemaFile Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return new JsonSchemaFile(path, document.RootElement.Clone());
    }
}
