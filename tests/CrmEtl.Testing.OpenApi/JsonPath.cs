using System.Globalization;
using System.Text;

namespace CrmEtl.Testing.OpenApi;

/// <summary>
/// Where a value sits in a response body, spelled like <c>$.data[3].owner_id</c>. The text is only built when a
/// problem is reported: a 500-item page visits tens of thousands of values, nearly all of them valid.
/// </summary>
internal sealed class JsonPath
{
    public static readonly JsonPath Root = new(null, null, 0);

    private readonly JsonPath? _parent;
    private readonly string? _property;
    private readonly int _index;

    private JsonPath(JsonPath? parent, string? property, int index)
    {
        _parent = parent;
        _property = property;
        _index = index;
    }

    public JsonPath Property(string name) => new(this, name, 0);

    public JsonPath Item(int index) => new(this, null, index);

    public override string ToString() => Append(new StringBuilder()).ToString();

    private StringBuilder Append(StringBuilder text)
    {
        if (_parent is null)
        {
            return text.Append('$');
        }

        _parent.Append(text);
        if (_property is null)
        {
            return text.Append('[').Append(_index.ToString(CultureInfo.InvariantCulture)).Append(']');
        }

        // Custom-field keys are hashes that may start with a digit, so they need the bracket form.
        return IsIdentifier(_property)
            ? text.Append('.').Append(_property)
            : text.Append("['").Append(_property.Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
    }

    private static bool IsIdentifier(string name) =>
        name.Length > 0
        && !char.IsAsciiDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
