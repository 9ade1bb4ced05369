namespace CrmEtl.Sandbox.Kommo;

/// <summary>One value of a custom field as written: its text, and for multitext and select fields its enum.</summary>
public sealed record KommoFieldValue(string Value, long? EnumId, string? EnumCode);

/// <summary>
/// What an account keeps of the API's writes beside the generated model (which is shared with the Pipedrive and Zoho
/// sandboxes and has no place for it): tags made by name, the tags of contacts and companies, the values of fields the
/// model does not hold (a contact's position; a company's phone, e-mail, web site and address), notes, and the
/// integration's duplicate control switch. Read and changed under the account's lock.
/// </summary>
internal sealed class KommoWritten
{
    public bool DuplicateControl { get; set; }

    /// <summary>Tags created by name through the API, by label id.</summary>
    public Dictionary<long, string> TagNames { get; } = [];

    /// <summary>Label ids of a contact's or company's tags, by ("contacts" or "companies", its Kommo id).</summary>
    public Dictionary<(string EntityType, long Id), long[]> EntityTags { get; } = [];

    /// <summary>Values written to fields the generated model does not hold, by (entity type, Kommo id), then field id.</summary>
    public Dictionary<(string EntityType, long Id), Dictionary<long, IReadOnlyList<KommoFieldValue>>> FieldValues { get; } = [];

    /// <summary>Notes added through the API, oldest first.</summary>
    public List<KommoNote> Notes { get; } = [];

    public long[] TagsOf(string entityType, long id) => EntityTags.GetValueOrDefault((entityType, id)) ?? [];

    public IReadOnlyDictionary<long, IReadOnlyList<KommoFieldValue>> FieldsOf(string entityType, long id) =>
        FieldValues.GetValueOrDefault((entityType, id)) ?? [];
}
