using System.Text.Json;
using System.Text.Json.Nodes;
using CrmEtl.Testing.OpenApi;

namespace CrmEtl.Sandbox.Tests;

/// <summary>
/// The JSON Schemas the Kommo sandbox is judged by, judged themselves: the docs' own examples pass, a broken answer
/// fails with the path of what is wrong, and each schema says where in the docs it comes from.
/// </summary>
[Parallelizable]
public sealed class KommoSchemaTests
{
    // The docs print one example with a trailing comma; Kommo's own parser is PHP's, which takes none, so this is
    // the docs' typo, not a shape to copy.
    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true };

    internal static JsonSchemaFile Schema(string file) => JsonSchemaFile.Load(Path.Combine(AppContext.BaseDirectory, "Kommo", "Schemas", file));

    [TestCaseSource(typeof(KommoDocExamples), nameof(KommoDocExamples.All))]
    public void Every_example_response_printed_in_the_docs_passes_its_schema(KommoDocExample example)
    {
        using var json = JsonDocument.Parse(example.Json, Lenient);

        Assert.That(Schema(example.Schema).Validate(json.RootElement), Is.Empty);
    }

    [Test]
    public void Every_schema_names_the_doc_file_and_section_it_was_written_from()
    {
        var docs = Path.Combine(OpenApiSpec.SharedSpecsDirectory, "kommo-v4-docs");
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Kommo", "Schemas"), "*.json"))
        {
            var description = JsonSchemaFile.Load(file).Description;
            var named = System.Text.RegularExpressions.Regex.Matches(description, @"[\w-]+\.md").Select(m => m.Value).ToList();
            Assert.That(named, Is.Not.Empty, $"{Path.GetFileName(file)} names no doc file: {description}");
            Assert.That(named.Select(n => Path.Combine(docs, n)), Has.All.Exist, Path.GetFileName(file));
            Assert.That(description, Does.Contain("'"), $"{Path.GetFileName(file)} names no section");
        }
    }

    [Test]
    public void A_page_with_a_wrong_type_and_a_missing_required_field_fails_naming_both_paths()
    {
        var page = JsonNode.Parse(KommoDocExamples.All[0].Json)!;
        var leads = page["_embedded"]!["leads"]!.AsArray();
        leads[0]!["id"] = "19619";
        leads[1]!.AsObject().Remove("updated_at");
        page["_page"] = "2";

        var problems = Schema("leads.json").Validate(page.ToJsonString());

        Assert.That(problems, Is.EquivalentTo(new[]
        {
            "$._page: expected integer, got string",
            "$._embedded.leads[0].id: expected integer, got string",
            "$._embedded.leads[1]: missing required property 'updated_at'",
        }));
    }

    [Test]
    public void A_value_outside_an_enum_and_a_body_that_is_not_json_are_reported()
    {
        var token = JsonNode.Parse("""{"token_type":"Basic","expires_in":86400,"access_token":"a","refresh_token":"r"}""")!;

        Assert.That(Schema("oauth_token.json").Validate(token.ToJsonString()), Is.EqualTo(new[] { "$.token_type: 'Basic' is not one of Bearer" }));
        Assert.That(Schema("oauth_token.json").Validate("{\"token_type\":"), Has.One.StartsWith("$: the body is not valid JSON"));
    }

    [Test]
    public void A_ref_into_a_file_that_does_not_exist_is_reported_where_it_is_used()
    {
        var folder = Directory.CreateTempSubdirectory("kommo-schema-").FullName;
        try
        {
            var path = Path.Combine(folder, "broken.json");
            File.WriteAllText(path, """{ "type": "object", "properties": { "link": { "$ref": "missing.json#/$defs/link" } } }""");

            Assert.That(JsonSchemaFile.Load(path).Validate("""{ "link": {} }"""),
                Is.EqualTo(new[] { "$.link: cannot resolve $ref 'missing.json#/$defs/link' in broken.json" }));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
