using System.Collections.Concurrent;
using System.Text.Json;
using CrmEtl.Testing.OpenApi;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Microsoft.OpenApi.YamlReader;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// Checks a request body a test sends against the operation's requestBody schema in the vendor's spec, so that a write the
/// sandbox accepts is one the vendor documents. It uses the validator's lenient rules (see <see cref="OpenApiSpec"/>) and one
/// strict one of its own: every property sent must be declared (a test must not lean on a field the vendor does not know).
/// It lives here, not beside <see cref="OpenApiSpec.ValidateResponse"/>, because this change may touch only the sandbox tests.
/// </summary>
internal static class SpecRequests
{
    private static readonly ConcurrentDictionary<string, Lazy<OpenApiDocument>> Documents = new(StringComparer.Ordinal);

    /// <summary>One line per problem, each starting with a JSON path; empty when the body is one the spec describes.</summary>
    public static IReadOnlyList<string> Validate(string specPath, string method, string pathTemplate, string json)
    {
        var document = Documents.GetOrAdd(Path.GetFullPath(specPath), static p => new Lazy<OpenApiDocument>(() => Read(p))).Value;
        var operation = document.Paths.TryGetValue(pathTemplate, out var item)
            ? item.Operations?.FirstOrDefault(o => string.Equals(o.Key.Method, method, StringComparison.OrdinalIgnoreCase)).Value
            : null;
        if (operation?.RequestBody?.Content is not { } content || content.FirstOrDefault(c => c.Key.Contains("json", StringComparison.Ordinal)).Value?.Schema is not { } node)
            return [$"{method} {pathTemplate} documents no JSON request body in {Path.GetFileName(specPath)}"];
        var schema = Schema.Compile(node, OpenApiSpec.Load(specPath));
        using var body = JsonDocument.Parse(json);
        var problems = SchemaValidator.Validate(schema, body.RootElement);
        var declared = DeclaredProperties(schema);
        problems.AddRange(body.RootElement.EnumerateObject().Where(p => !declared.Contains(p.Name)).Select(p => $"$.{p.Name}: not a property of the request body"));
        return problems;
    }

    private static HashSet<string> DeclaredProperties(Schema schema)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Add(Schema? s, int depth)
        {
            if (s is null || depth > 10) return;
            Add(s.Target, depth + 1);
            names.UnionWith(s.Properties.Keys);
            foreach (var part in s.AllOf) Add(part, depth + 1);
            foreach (var alternative in s.Alternatives.SelectMany(a => a)) Add(alternative, depth + 1);
        }
        Add(schema, 0);
        return names;
    }

    private static OpenApiDocument Read(string path)
    {
        var settings = new OpenApiReaderSettings { LoadExternalRefs = false, BaseUrl = new Uri(path) };
        settings.AddYamlReader();
        var format = path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) ? OpenApiConstants.Yaml : OpenApiConstants.Json;
        using var stream = File.OpenRead(path);
        return OpenApiDocument.LoadAsync(stream, format, settings).GetAwaiter().GetResult().Document
            ?? throw new InvalidDataException($"{path} is not an OpenAPI document.");
    }
}
