using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Microsoft.OpenApi.YamlReader;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// A vendor's OpenAPI document (Pipedrive's YAML, Zoho's JSON with references into sibling files), read with
/// Microsoft.OpenApi, used by tests to check that the sandbox CRM servers answer with the JSON shapes the real
/// APIs document. The rules are deliberately lenient where the vendors' specs are known to be wrong; see
/// <see cref="SchemaValidator"/>.
/// </summary>
public sealed class OpenApiSpec
{
    // The Pipedrive YAML files weigh megabytes: read each file once per test run, even when tests run in parallel.
    private static readonly ConcurrentDictionary<string, Lazy<OpenApiSpec>> Loaded = new(StringComparer.Ordinal);
    private static readonly Lazy<string> SharedSpecs = new(FindSharedSpecsDirectory);

    private readonly OpenApiDocument _document;

    // Response schemas by method (upper case), path template and status code, compiled on first use.
    private readonly ConcurrentDictionary<(string Method, string PathTemplate, int StatusCode), Schema> _responseSchemas = new();

    private OpenApiSpec(string filePath, OpenApiDocument document)
    {
        FilePath = filePath;
        _document = document;
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
        return Loaded.GetOrAdd(fullPath, static p => new Lazy<OpenApiSpec>(() => new OpenApiSpec(p, Read(p)))).Value;
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

        if (JsonMediaType(response)?.Schema is not { } schemaNode)
        {
            return string.IsNullOrWhiteSpace(json)
                ? []
                : [$"{operationName} in {FileName} documents no JSON body for a {statusCode} response"];
        }

        var schema = _responseSchemas.GetOrAdd(
            (verb, pathTemplate, statusCode), static (_, state) => Schema.Compile(state.Node, state.Spec), (Node: schemaNode, Spec: this));
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
        if (FindOperation(method, pathTemplate)?.Extensions is not { } extensions
            || !extensions.TryGetValue("x-token-cost", out var extension) || extension is not JsonNodeExtension { Node: JsonValue cost })
        {
            return null;
        }

        // The YAML reader gives plain numbers as decimals; a quoted one stays a string.
        return cost.TryGetValue<decimal>(out var number) && number == decimal.Truncate(number) ? (int)number
            : cost.TryGetValue<string>(out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed
            : null;
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

        var example = mediaType.Example ?? mediaType.Examples?.Values.Select(e => e.Value).FirstOrDefault(v => v is not null);
        return example is null ? null : WithNulls(example);
    }

    /// <summary>A copy of an example in which Microsoft.OpenApi's stand-in for an explicit null is null again.</summary>
    private static JsonNode? WithNulls(JsonNode? node) => node switch
    {
        null => null,
        _ when JsonNullSentinel.IsJsonNullSentinel(node) => null,
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, WithNulls(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(WithNulls)]),
        _ => node.DeepClone(),
    };

    private OpenApiOperation? FindOperation(string method, string pathTemplate)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(pathTemplate);
        return (_document.Paths is { } paths && paths.TryGetValue(pathTemplate, out var pathItem) ? pathItem : null)?.Operations?
            .FirstOrDefault(o => string.Equals(o.Key.Method, method, StringComparison.OrdinalIgnoreCase)).Value;
    }

    private static IOpenApiResponse? FindResponse(OpenApiOperation operation, int statusCode)
    {
        // An exact code wins over a range such as 2XX, which wins over default.
        var code = statusCode.ToString(CultureInfo.InvariantCulture);
        foreach (var key in (string[])[code, $"{code[0]}XX", "default"])
        {
            if (operation.Responses is { } responses && responses.TryGetValue(key, out var response))
            {
                return response;
            }
        }

        return null;
    }

    private static OpenApiMediaType? JsonMediaType(IOpenApiResponse response)
    {
        if (response.Content is not { } content)
        {
            return null;
        }

        if (content.TryGetValue("application/json", out var json))
        {
            return json;
        }

        // e.g. "application/json; charset=utf-8" or "application/problem+json"
        return content.FirstOrDefault(m => m.Key.Contains("json", StringComparison.OrdinalIgnoreCase)).Value;
    }

    /// <summary>
    /// The schema a <c>$ref</c> into a sibling file names (Zoho's <c>./users.json#/components/schemas/Minified_User</c>),
    /// with the spec it is in, or null. Microsoft.OpenApi's own loading of external references does not finish on
    /// Zoho's files, which refer to each other in cycles, so each file is read once here and looked up by name.
    /// </summary>
    internal (IOpenApiSchema Schema, OpenApiSpec Spec)? ExternalSchema(BaseOpenApiReference reference)
    {
        if (reference.ExternalResource is not { Length: > 0 } file || file.Contains("://", StringComparison.Ordinal) || reference.Id is not { } name)
        {
            return null;
        }

        var spec = Load(Path.Combine(Path.GetDirectoryName(FilePath)!, Uri.UnescapeDataString(file)));
        return spec._document.Components?.Schemas is { } schemas && schemas.TryGetValue(name, out var schema) ? (schema, spec) : null;
    }

    /// <summary>Reads a spec with Microsoft.OpenApi (YAML or JSON); references into other files are left to <see cref="ExternalSchema"/>.</summary>
    private static OpenApiDocument Read(string path)
    {
        var settings = new OpenApiReaderSettings { LoadExternalRefs = false, BaseUrl = new Uri(path) };
        settings.AddYamlReader();
        var extension = Path.GetExtension(path);
        var format = extension.Equals(".yml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase)
            ? OpenApiConstants.Yaml
            : OpenApiConstants.Json;
        using var stream = File.OpenRead(path);
        var result = OpenApiDocument.LoadAsync(stream, format, settings).GetAwaiter().GetResult();
        return result.Document
            ?? throw new InvalidDataException($"{path} is not an OpenAPI document: {string.Join("; ", result.Diagnostic?.Errors.Select(e => e.Message) ?? [])}");
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
