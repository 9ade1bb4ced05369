using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using CrmEtl.Testing.OpenApi;
using NUnit.Framework;
using NUnit.Framework.Constraints;

namespace CrmEtl.Sandbox.Tests;

/// <summary>Tests of the OpenAPI response validator itself, against the vendors' real specs.</summary>
[TestFixture]
public sealed class OpenApiValidatorTests
{
    private const string Get = "GET";

    // Zoho's specs carry no examples, so this is a minimal records page in the shape Zoho sends. Created_By is a
    // users.json#/components/schemas/Minified_User, reached from record.json through a cross-file $ref, which
    // requires `name` and `id`. Tag stays empty: tags.json's Tag schema requires created_time, created_by and
    // more, which a tag embedded in a record (usually just name and id) is unlikely to carry.
    private const string ZohoRecordsPage = """
        {
          "data": [
            {
              "id": "4150868000000224005",
              "Last_Name": "Boyle",
              "Created_By": { "name": "Patricia Boyle", "id": "4150868000000225013", "email": "p.boyle@zylker.com" },
              "Created_Time": "2026-01-01T10:00:00+05:30",
              "Modified_Time": "2026-01-02T10:00:00+05:30",
              "Tag": []
            }
          ],
          "info": { "per_page": 200, "count": 1, "page": 1, "more_records": false, "sort_by": "id", "sort_order": "desc" }
        }
        """;

    private const string ZohoRecordsPath = "/crm/v8/{module_api_name}";

    [Test]
    public void Shared_specs_directory_is_found_by_walking_up_from_the_test_binaries()
    {
        var directory = OpenApiSpec.SharedSpecsDirectory;

        Assert.That(Path.IsPathRooted(directory), Is.True, directory);
        Assert.That(Path.Combine(directory, "pipedrive", "v2-openapi.yml"), Does.Exist);
        Assert.That(Path.Combine(directory, "zoho-crm-v8", "record.json"), Does.Exist);
    }

    [Test]
    public void Each_spec_file_is_parsed_once_and_then_served_from_the_cache()
    {
        var roundabout = Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", ".", "v2-openapi.yml");

        Assert.That(OpenApiSpec.Load(roundabout), Is.SameAs(Pipedrive("v2")));
    }

    // The vendors' own examples must pass, or the rules are stricter than the real APIs.
    [TestCase("v2", "/deals")]
    [TestCase("v1", "/users")]
    [TestCase("v1", "/deals/{id}/changelog")]
    [TestCase("v2", "/dealFields")]
    public void Pipedrive_example_from_the_spec_is_valid(string version, string pathTemplate)
    {
        var spec = Pipedrive(version);
        var example = DocumentedExample(spec, pathTemplate);

        Assert.That(spec.ValidateResponse(Get, pathTemplate, 200, example.ToJsonString()), Is.Empty);
    }

    [Test]
    public void Owner_id_sent_as_a_string_is_reported_with_its_json_path()
    {
        var deals = DocumentedExample(Pipedrive("v2"), "/deals");
        deals["data"]![0]!["owner_id"] = "seven";

        Assert.That(ValidateDeals(deals), OnlyProblem("$.data[0].owner_id: expected integer, got string"));
    }

    // 7.0 is not an integer on the wire: System.Text.Json's GetInt64 rejects it, and so would a strict client.
    [TestCase("7.5")]
    [TestCase("7.0")]
    [TestCase("7e0")]
    public void Integer_field_sent_with_a_fraction_or_exponent_is_reported(string number)
    {
        var deals = DocumentedExample(Pipedrive("v2"), "/deals");
        deals["data"]![0]!["owner_id"] = JsonNode.Parse(number);

        Assert.That(ValidateDeals(deals), OnlyProblem("$.data[0].owner_id: expected integer, got number"));
    }

    [Test]
    public void Data_sent_as_an_object_instead_of_an_array_is_reported()
    {
        var deals = DocumentedExample(Pipedrive("v2"), "/deals");
        deals["data"] = new JsonObject { ["id"] = 1 };

        Assert.That(ValidateDeals(deals), OnlyProblem("$.data: expected array, got object"));
    }

    [Test]
    public void Missing_required_property_is_reported_by_name()
    {
        var spec = Pipedrive("v2");
        var fields = DocumentedExample(spec, "/dealFields");
        fields["data"]![0]!.AsObject().Remove("field_code");

        Assert.That(
            spec.ValidateResponse(Get, "/dealFields", 200, fields.ToJsonString()),
            OnlyProblem("$.data[0]: missing required property 'field_code'"));
    }

    [Test]
    public void String_outside_its_enum_is_reported()
    {
        var spec = Pipedrive("v2");
        var fields = DocumentedExample(spec, "/dealFields");
        fields["data"]![0]!["field_type"] = "spreadsheet";

        Assert.That(
            spec.ValidateResponse(Get, "/dealFields", 200, fields.ToJsonString()),
            Has.Count.EqualTo(1).And.Some.StartsWith("$.data[0].field_type: 'spreadsheet' is not one of int, double, boolean"));
    }

    // Real responses send null for fields whose schema does not say nullable.
    [TestCase("person_id")]
    [TestCase("title")]
    [TestCase("label_ids")]
    [TestCase("custom_fields")]
    public void Null_is_accepted_for_any_deal_field(string field)
    {
        var deals = DocumentedExample(Pipedrive("v2"), "/deals");
        deals["data"]![0]![field] = null;

        Assert.That(ValidateDeals(deals), Is.Empty);
    }

    [Test]
    public void Null_is_accepted_for_whole_arrays_and_objects()
    {
        var deals = DocumentedExample(Pipedrive("v2"), "/deals");
        deals["data"] = null;
        deals["additional_data"] = null;

        Assert.That(ValidateDeals(deals), Is.Empty);
    }

    [Test]
    public void Undeclared_properties_are_accepted()
    {
        var deals = DocumentedExample(Pipedrive("v2"), "/deals");
        deals["data"]![0]!["sandbox_only"] = "anything";
        deals["data"]![0]!["custom_fields"] = new JsonObject { ["5b0e2a1c9d8f7e6a5b4c3d2e1f0a9b8c7d6e5f4a"] = 42 };
        deals["request_id"] = new JsonObject { ["nested"] = new JsonArray(1, 2) };

        Assert.That(ValidateDeals(deals), Is.Empty);
    }

    [TestCase("2026-01-01T00:00:00Z")]
    [TestCase("2026-01-01 00:00:00")]
    [TestCase("2026-01-01T00:00:00.123+02:00")]
    public void Both_timestamp_forms_are_accepted_for_date_time_fields(string timestamp)
    {
        Assert.That(ValidateDealFieldOptionTimestamp(timestamp), Is.Empty);
    }

    [TestCase("yesterday")]
    [TestCase("2026-01-01")]
    [TestCase("2026-13-01 00:00:00")]
    public void Malformed_timestamp_in_a_date_time_field_is_reported(string timestamp)
    {
        Assert.That(
            ValidateDealFieldOptionTimestamp(timestamp),
            OnlyProblem($"$.data[0].options[0].update_time: expected a date-time such as 2026-01-01T00:00:00Z or 2026-01-01 00:00:00, got '{timestamp}'"));
    }

    [TestCase("v2", "/deals", ExpectedResult = 10)]
    [TestCase("v2", "/deals/archived", ExpectedResult = 20)]
    [TestCase("v1", "/deals/{id}/changelog", ExpectedResult = 20)]
    [TestCase("v1", "/deals/{id}/flow", ExpectedResult = 40)]
    [TestCase("v1", "/leads", ExpectedResult = 20)]
    public int? Token_cost_comes_from_the_x_token_cost_extension(string version, string pathTemplate) =>
        Pipedrive(version).TokenCost(Get, pathTemplate);

    [Test]
    public void Token_cost_of_an_undocumented_operation_is_null()
    {
        Assert.That(Pipedrive("v2").TokenCost(Get, "/no/such/path"), Is.Null);
        Assert.That(Zoho("record.json").TokenCost(Get, ZohoRecordsPath), Is.Null);
    }

    [Test]
    public void Undocumented_operation_is_reported_as_a_single_problem()
    {
        var problems = Pipedrive("v2").ValidateResponse("PATCH", "/no/such/path", 200, "{}");

        Assert.That(problems, OnlyProblem("PATCH /no/such/path is not an operation of v2-openapi.yml"));
    }

    [Test]
    public void Undocumented_status_code_is_reported_as_a_single_problem()
    {
        var problems = Pipedrive("v2").ValidateResponse(Get, "/deals", 418, "{}");

        Assert.That(problems, OnlyProblem("GET /deals in v2-openapi.yml documents neither a 418 nor a default response"));
    }

    [Test]
    public void Body_that_is_not_json_is_reported_as_a_single_problem()
    {
        var problems = Pipedrive("v2").ValidateResponse(Get, "/deals", 200, "<html>Bad gateway</html>");

        Assert.That(problems, Has.Count.EqualTo(1).And.Some.StartsWith("$: the body is not valid JSON"));
    }

    [Test]
    public void Zoho_records_page_is_valid_through_cross_file_refs()
    {
        Assert.That(ValidateZohoRecords(JsonNode.Parse(ZohoRecordsPage)!), Is.Empty);
    }

    // Only the users.json schema that record.json points to says Created_By.id is a string.
    [Test]
    public void Zoho_wrong_type_behind_a_cross_file_ref_is_reported()
    {
        var page = JsonNode.Parse(ZohoRecordsPage)!;
        page["data"]![0]!["Created_By"]!["id"] = 4150868000000225013;

        Assert.That(ValidateZohoRecords(page), OnlyProblem("$.data[0].Created_By.id: expected string, got integer"));
    }

    [Test]
    public void Zoho_missing_required_property_behind_a_cross_file_ref_is_reported()
    {
        var page = JsonNode.Parse(ZohoRecordsPage)!;
        page["data"]![0]!["Created_By"]!.AsObject().Remove("name");

        Assert.That(ValidateZohoRecords(page), OnlyProblem("$.data[0].Created_By: missing required property 'name'"));
    }

    // GET records answers oneOf [Response_Wrapper, API_Exception]. The exception declares no required
    // property, so without the "shares no declared property" rule any object, this one included, would pass.
    [Test]
    public void Zoho_data_sent_as_a_string_is_reported()
    {
        var page = JsonNode.Parse(ZohoRecordsPage)!;
        page["data"] = "oops";

        Assert.That(ValidateZohoRecords(page), OnlyProblem("$.data: expected array, got string"));
    }

    [Test]
    public void Zoho_error_body_matches_the_error_alternative()
    {
        var error = new JsonObject
        {
            ["status"] = "error",
            ["code"] = "INVALID_MODULE",
            ["message"] = "The module name given seems to be invalid",
            ["details"] = new JsonObject { ["api_name"] = "Dealz" },
        };

        Assert.That(ValidateZohoRecords(error), Is.Empty);
    }

    // Of the two alternatives, the error one is the closest (it shares properties with the body), so its
    // problem is the one reported, not "has none of the properties of Response_Wrapper".
    [Test]
    public void Problems_of_the_closest_alternative_are_reported()
    {
        var error = new JsonObject { ["status"] = "error", ["code"] = "NOPE" };

        Assert.That(ValidateZohoRecords(error), Has.Count.EqualTo(1).And.Some.StartsWith("$.code: 'NOPE' is not one of DUPLICATE_DATA"));
    }

    [Test]
    public void Yaml_examples_keep_quoted_scalars_as_strings_and_type_plain_ones()
    {
        var spec = SyntheticSpec("""
            openapi: 3.0.1
            paths:
              /things:
                get:
                  x-token-cost: '15'
                  responses:
                    200:
                      content:
                        application/json:
                          schema:
                            properties:
                              code: { type: string }
                              count: { type: integer }
                              ratio: { type: number }
                              flag: { type: boolean }
                              nothing: { type: string }
                          example:
                            code: '007'
                            count: 7
                            ratio: 0.5
                            flag: true
                            nothing: ~
            """);
        var example = spec.ResponseExample(Get, "/things", 200)!;

        Assert.That(example.ToJsonString(), Is.EqualTo("""{"code":"007","count":7,"ratio":0.5,"flag":true,"nothing":null}"""));
        Assert.That(spec.ValidateResponse(Get, "/things", 200, example.ToJsonString()), Is.Empty);
        Assert.That(spec.TokenCost(Get, "/things"), Is.EqualTo(15));
    }

    [Test]
    public void Circular_ref_is_reported_instead_of_recursing_forever()
    {
        var spec = SyntheticSpec("""
            openapi: 3.0.1
            paths:
              /loop:
                get:
                  responses:
                    default:
                      content:
                        application/json:
                          schema: { $ref: '#/components/schemas/Ping' }
            components:
              schemas:
                Ping: { $ref: '#/components/schemas/Pong' }
                Pong: { $ref: '#/components/schemas/Ping' }
            """);

        Assert.That(
            spec.ValidateResponse(Get, "/loop", 500, "{}"),
            OnlyProblem("$: schema nested deeper than 40 levels (a $ref cycle?)"));
    }

    private static EqualConstraint<string> OnlyProblem(string problem) => Is.EqualTo(new[] { problem });

    private static OpenApiSpec Pipedrive(string version) =>
        OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "pipedrive", $"{version}-openapi.yml"));

    private static OpenApiSpec Zoho(string file) =>
        OpenApiSpec.Load(Path.Combine(OpenApiSpec.SharedSpecsDirectory, "zoho-crm-v8", file));

    private static JsonNode DocumentedExample(OpenApiSpec spec, string pathTemplate) =>
        spec.ResponseExample(Get, pathTemplate, 200)
        ?? throw new InvalidOperationException($"{spec.FilePath} documents no example for GET {pathTemplate} 200.");

    private static IReadOnlyList<string> ValidateDeals(JsonNode deals) =>
        Pipedrive("v2").ValidateResponse(Get, "/deals", 200, deals.ToJsonString());

    private static IReadOnlyList<string> ValidateZohoRecords(JsonNode body) =>
        Zoho("record.json").ValidateResponse(Get, ZohoRecordsPath, 200, body.ToJsonString());

    // Deal field options are the declared `format: date-time` fields of Pipedrive's GET /dealFields.
    private static IReadOnlyList<string> ValidateDealFieldOptionTimestamp(string timestamp)
    {
        var spec = Pipedrive("v2");
        var fields = DocumentedExample(spec, "/dealFields");
        fields["data"]![0]!["options"] = new JsonArray(new JsonObject
        {
            ["id"] = 1,
            ["label"] = "Big",
            ["add_time"] = "2026-01-01T00:00:00Z",
            ["update_time"] = timestamp,
        });
        return spec.ValidateResponse(Get, "/dealFields", 200, fields.ToJsonString());
    }

    private static OpenApiSpec SyntheticSpec(string yaml)
    {
        // Specs are cached per path and parsed on load, so a unique file can be deleted right after.
        var path = Path.Combine(Path.GetTempPath(), $"openapi-validator-test-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, yaml);
        try
        {
            return OpenApiSpec.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
