using System.Text.Json;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// A JSON value inside a given spec file. The file matters because a <c>$ref</c> without a file part
/// (<c>#/components/...</c>) points into the file that contains it, not into the file validation started from.
/// </summary>
internal readonly record struct SpecNode(OpenApiSpec Spec, JsonElement Element)
{
    // Reference chains in real specs are one or two hops long; more than this is a cycle.
    private const int MaxReferenceHops = 40;

    /// <summary>The <c>$ref</c> of this node, or null if it is not a reference.</summary>
    public string? Reference =>
        Element.TryGet("$ref", out var reference) && reference.ValueKind == JsonValueKind.String
            ? reference.GetString()
            : null;

    /// <summary>Another value of the same file.</summary>
    public SpecNode With(JsonElement element) => new(Spec, element);

    /// <summary>The named property of this node if it is an object that has it.</summary>
    public SpecNode? Property(string name) => Element.TryGet(name, out var value) ? With(value) : null;

    /// <summary>Follows <c>$ref</c>s, across files if need be; null if one is broken or they form a cycle.</summary>
    public SpecNode? Dereference()
    {
        var node = this;
        for (var hop = 0; hop < MaxReferenceHops; hop++)
        {
            if (node.Reference is not { } reference)
            {
                return node;
            }

            if (node.Spec.Resolve(reference) is not { } target)
            {
                return null;
            }

            node = target;
        }

        return null;
    }
}

internal static class JsonElementExtensions
{
    /// <summary>Like <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>, but false instead of an
    /// exception when the element is not an object (specs put odd things where objects are expected).</summary>
    public static bool TryGet(this JsonElement element, string name, out JsonElement value)
    {
        value = default;
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out value);
    }

    /// <summary>The named property if it is an array.</summary>
    public static bool TryGetArray(this JsonElement element, string name, out JsonElement array) =>
        element.TryGet(name, out array) && array.ValueKind == JsonValueKind.Array;

    /// <summary>The named property if it is an object.</summary>
    public static bool TryGetObject(this JsonElement element, string name, out JsonElement obj) =>
        element.TryGet(name, out obj) && obj.ValueKind == JsonValueKind.Object;
}
