using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// A vendor's OpenAPI document (Pipedrive's YAML, Zoho's JSON), used by tests to check that the sandbox CRM
/// servers answer with the JSON shapes the real APIs document. The rules are deliberately lenient where the
/// vendors' specs are known to be wrong; see <see cref="SchemaValidator"/>.
/// </summary>
public sealed class OpenApiSpec
{
    // The Pipedrive YAML files weigh megabytes: parse each file once per test run, even when tests run in parallel.
    private static readonly ConcurrentDictionary<string, Lazy<OpenApiSpec>> Loaded = new(StringComparer.Ordinal);
    private static readonly Lazy<string> SharedSpecs = new(FindSharedSpecsDirectory);

    private readonly JsonElement _root;

    // Response schemas by method (upper case), path template and status code, compiled on first use.
    private readonly ConcurrentDictionary<(string Method, string PathTemplate, int StatusCode), Schema> _responseSchemas = new();

    private OpenApiSpec(string filePath, JsonElement root)
    {
        FilePath = filePath;
        _root = root;
    }

    /// <summary>Absolute path of the spec file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Absolute path of the shared <c>api-specs</c> folder (…/shared/api-specs, next to the repository).
    /// Throws <see cref="DirectoryNotFoundException"/>, listing the folders searched, if there is none.
    /// </summary>
    public static string SharedSpecsDirectory => SharedSpecs.Value;

    internal string FileName => Path.GetFileName(FilePath);

    /// <summary>Loads a spec (<c>.yml</c>/<c>.yaml</c> as YAML, anything else as JSON), once per path.</summary>
    public static OpenApiSpec Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        return Loaded.GetOrAdd(fullPath, static p => new Lazy<OpenApiSpec>(() => new OpenApiSpec(p, Parse(p)))).Value;
    }

    /// <summary>
    /// Checks a response body against the schema of an operation's response. <paramref name="pathTemplate"/> is
    /// spelled exactly as in the spec's <c>paths</c> (e.g. <c>/deals/{id}/changelog</c>). Returns one line per
    /// problem, each starting with the JSON path of the offending value (<c>$.data[3].owner_id: expected
    /// integer, got string</c>); an empty list means the body is valid. An operation or response that the spec
    /// does not document is reported as a single problem, so that a test fails with a clear message.
    /// </summary>
    public IReadOnlyList<string> ValidateResponse(string method, string pathTemplate, int statusCode, string json)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(json);
        var verb = method.ToUpperInvariant();
        var operationName = $"{verb} {pathTemplate}";
        if (FindOperation(method, pathTemplate) is not { } operation)
        {
            return [$"{operationName} is not an operation of {FileName}"];
        }

        if (FindResponse(operation, statusCode) is not { } response)
        {
            return [$"{operationName} in {FileName} documents neither a {statusCode} nor a default response"];
        }

        if (JsonMediaType(response)?.Property("schema") is not { } schemaNode)
        {
            return string.IsNullOrWhiteSpace(json)
                ? []
                : [$"{operationName} in {FileName} documents no JSON body for a {statusCode} response"];
        }

        var schema = _responseSchemas.GetOrAdd(
            (verb, pathTemplate, statusCode), static (_, node) => Schema.Compile(node), schemaNode);
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
            return SchemaValidator.Validate(schema, body.RootElement);
        }
    }

    /// <summary>The operation's <c>x-token-cost</c> extension (Pipedrive's rate-limit weight), or null.</summary>
    public int? TokenCost(string method, string pathTemplate)
    {
        if (FindOperation(method, pathTemplate)?.Property("x-token-cost") is not { Element: var cost })
        {
            return null;
        }

        return cost.ValueKind switch
        {
            JsonValueKind.Number when cost.TryGetInt32(out var number) => number,
            JsonValueKind.String when int.TryParse(cost.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => number,
            _ => null,
        };
    }

    /// <summary>
    /// A fresh, mutable copy of the example the vendor documents for a response (<c>example</c>, or else the
    /// first of <c>examples</c>), or null if there is none.
    /// </summary>
    public JsonNode? ResponseExample(string method, string pathTemplate, int statusCode)
    {
        if (FindOperation(method, pathTemplate) is not { } operation
            || FindResponse(operation, statusCode) is not { } response
            || JsonMediaType(response) is not { } mediaType)
        {
            return null;
        }

        if (mediaType.Element.TryGet("example", out var example))
        {
            return JsonNode.Parse(example.GetRawText());
        }

        if (mediaType.Element.TryGetObject("examples", out var examples))
        {
            foreach (var named in examples.EnumerateObject())
            {
                if (mediaType.With(named.Value).Dereference() is { } resolved && resolved.Element.TryGet("value", out var value))
                {
                    return JsonNode.Parse(value.GetRawText());
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Resolves a <c>$ref</c> written in this file: <c>#/json/pointer</c> within it, or <c>other.json#/pointer</c>
    /// in a file relative to this one's folder. Null if the target does not exist.
    /// </summary>
    internal SpecNode? Resolve(string reference)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var file = hash < 0 ? reference : reference[..hash];
        var pointer = hash < 0 ? string.Empty : reference[(hash + 1)..];
        if (file.Contains("://", StringComparison.Ordinal) || (pointer.Length > 0 && pointer[0] != '/'))
        {
            return null; // remote or anchor-style references: the vendors' specs use neither
        }

        var spec = file.Length == 0
            ? this
            : Load(Path.Combine(Path.GetDirectoryName(FilePath)!, Uri.UnescapeDataString(file)));
        var element = spec._root;
        foreach (var token in pointer.Split('/').Skip(1))
        {
            var name = Uri.UnescapeDataString(token)
                .Replace("~1", "/", StringComparison.Ordinal)
                .Replace("~0", "~", StringComparison.Ordinal);
            if (element.TryGet(name, out var child))
            {
                element = child;
            }
            else if (element.ValueKind == JsonValueKind.Array
                && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index < element.GetArrayLength())
            {
                element = element[index];
            }
            else
            {
                return null;
            }
        }

        return new SpecNode(spec, element);
    }

    private SpecNode? FindOperation(string method, string pathTemplate)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(pathTemplate);
        if (!_root.TryGetObject("paths", out var paths)
            || new SpecNode(this, paths).Property(pathTemplate)?.Dereference() is not { } pathItem
            || pathItem.Element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in pathItem.Element.EnumerateObject())
        {
            if (string.Equals(property.Name, method, StringComparison.OrdinalIgnoreCase))
            {
                return pathItem.With(property.Value);
            }
        }

        return null;
    }

    private static SpecNode? FindResponse(SpecNode operation, int statusCode)
    {
        if (operation.Property("responses") is not { } responses)
        {
            return null;
        }

        // An exact code wins over a range such as 2XX, which wins over default.
        var code = statusCode.ToString(CultureInfo.InvariantCulture);
        foreach (var key in (string[])[code, $"{code[0]}XX", "default"])
        {
            if (responses.Property(key) is { } response)
            {
                return response.Dereference();
            }
        }

        return null;
    }

    private static SpecNode? JsonMediaType(SpecNode response)
    {
        if (!response.Element.TryGetObject("content", out var content))
        {
            return null;
        }

        if (content.TryGetProperty("application/json", out var json))
        {
            return response.With(json);
        }

        // e.g. "application/json; charset=utf-8" or "application/problem+json"
        foreach (var mediaType in content.EnumerateObject())
        {
            if (mediaType.Name.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                return response.With(mediaType.Value);
            }
        }

        return null;
    }

    private static JsonElement Parse(string path)
    {
        using var reader = File.OpenText(path);
        var extension = Path.GetExtension(path);
        var root = extension.Equals(".yml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase)
            ? YamlToJson.Convert(reader)
            : JsonSerializer.Deserialize<JsonElement>(reader.ReadToEnd());
        return root.ValueKind == JsonValueKind.Object
            ? root
            : throw new InvalidDataException($"{path} is not an OpenAPI document: its root is not an object.");
    }

    private static string FindSharedSpecsDirectory()
    {
        // Walking up from the test binaries (…/tests/<project>/bin/<configuration>/<framework>) passes the repository
        // root (the folder of CrmEtl.sln) and then its parent, so this finds shared/api-specs both next to the
        // repository (the usual layout: /work/shared beside /work/main) and inside it.
        var searched = new List<string>();
        foreach (var start in (string[])[AppContext.BaseDirectory, Directory.GetCurrentDirectory()])
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "shared", "api-specs");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }

                var name = Path.TrimEndingDirectorySeparator(folder.FullName);
                if (!searched.Contains(name, StringComparer.Ordinal))
                {
                    searched.Add(name);
                }
            }
        }

        throw new DirectoryNotFoundException(
            "The vendors' OpenAPI specs were not found: no folder on the way up from the test binaries has a "
            + $"shared/api-specs subfolder (expected e.g. /work/shared/api-specs next to /work/main). Searched: {string.Join(", ", searched)}");
    }
}
