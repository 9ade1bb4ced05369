using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// Turns a YAML document into JSON so that YAML (Pipedrive) and JSON (Zoho) specs share one model.
/// </summary>
/// <remarks>
/// YamlDotNet's untyped deserializer returns every scalar as a string and forgets whether it was quoted,
/// which would turn a response example's <c>value: 200</c> into <c>"200"</c> and make the vendor's own
/// examples fail their schemas. The representation model keeps the scalar style, so plain scalars are
/// resolved the way YAML 1.2's core schema does (null, booleans, numbers) and quoted ones stay strings.
/// </remarks>
internal static partial class YamlToJson
{
    public static JsonElement Convert(TextReader yaml)
    {
        var stream = new YamlStream();
        stream.Load(yaml);
        if (stream.Documents.Count == 0)
        {
            throw new InvalidDataException("The YAML file contains no document.");
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(stream.Documents[0].RootNode, writer);
        }

        // Deserializing to JsonElement yields an element that owns its memory: nothing to dispose later.
        return JsonSerializer.Deserialize<JsonElement>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    private static void Write(YamlNode node, Utf8JsonWriter writer)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    // Unquoted keys such as a response code (200:) are still property names.
                    var name = key is YamlScalarNode scalarKey
                        ? scalarKey.Value ?? string.Empty
                        : throw new InvalidDataException($"Unsupported non-scalar YAML key at {key.Start}.");
                    writer.WritePropertyName(name);
                    Write(value, writer);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    Write(item, writer);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                WriteScalar(scalar, writer);
                break;
            default:
                throw new InvalidDataException($"Unsupported YAML node {node.NodeType} at {node.Start}.");
        }
    }

    private static void WriteScalar(YamlScalarNode scalar, Utf8JsonWriter writer)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain)
        {
            writer.WriteStringValue(text);
            return;
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                writer.WriteNullValue();
                return;
            case "true" or "True" or "TRUE":
                writer.WriteBooleanValue(true);
                return;
            case "false" or "False" or "FALSE":
                writer.WriteBooleanValue(false);
                return;
        }

        if (JsonNumber().IsMatch(text))
        {
            // Copy the literal as is, so that 200 stays an integer and 200.0 stays a fraction.
            writer.WriteRawValue(text);
        }
        else if (YamlOnlyNumber().IsMatch(text)
            && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            // YAML numbers that are not valid JSON literals (+1, .5, 007).
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex YamlOnlyNumber();
}
