using System.Text.Json;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

internal static partial class KommoJson
{
    /// <summary>A contact: its e-mails and phones as values of the EMAIL and PHONE fields, its company, its leads with with=leads.</summary>
    public static void Contact(Utf8JsonWriter w, KommoAccount account, KommoViews views, SbPerson person, IReadOnlySet<string> with)
    {
        var id = account.ContactId(person.Id);
        w.WriteStartObject();
        w.WriteNumber("id", id);
        w.WriteString("name", person.Name);
        w.WriteString("first_name", person.FirstName);
        w.WriteString("last_name", person.LastName);
        Owned(w, account, person.OwnerId, person.AddTime, person.UpdateTime, views.ClosestTaskOf("contacts", id));
        var (phone, email) = (account.ContactFields[0], account.ContactFields[1]);
        var fields = new List<(KommoField, IEnumerable<(string, long?, string?)>)>();
        if (person.Phones.Count > 0) fields.Add((phone, Multitext(phone, person.Phones.Select(p => (p.Value, KommoAccount.EnumCode(p.Label, email: false))))));
        if (person.Emails.Count > 0) fields.Add((email, Multitext(email, person.Emails.Select(e => (e.Value, KommoAccount.EnumCode(e.Label, email: true))))));
        foreach (var field in account.ContactFields.Skip(2))
            if (account.Written.FieldsOf("contacts", id).GetValueOrDefault(field.Id) is { Count: > 0 } written) fields.Add((field, Values(written)));
        Fields(w, fields);
        w.WriteNumber("account_id", account.AccountId);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/contacts/{id}");
        w.WriteStartObject("_embedded");
        Tags(w, account, account.Written.TagsOf("contacts", id));
        w.WriteStartArray("companies");
        if (person.OrgId is { } org && views.Organizations.TryGetValue(org, out var company) && !company.IsDeleted)
            Reference(w, $"{account.BaseUrl}/api/v4/companies/", account.CompanyId(org));
        w.WriteEndArray();
        if (with.Contains("leads")) LeadReferences(w, account, views.Leads.Where(l => !l.Deal.IsDeleted && l.Deal.PersonId == person.Id));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A company: phone, e-mail, web site and address fields; its contacts and leads with with=contacts,leads.</summary>
    public static void Company(Utf8JsonWriter w, KommoAccount account, KommoViews views, SbOrganization organization, IReadOnlySet<string> with)
    {
        var id = account.CompanyId(organization.Id);
        w.WriteStartObject();
        w.WriteNumber("id", id);
        w.WriteString("name", organization.Name);
        Owned(w, account, organization.OwnerId, organization.AddTime, organization.UpdateTime, views.ClosestTaskOf("companies", id));
        Fields(w, CompanyValues(account, organization));
        w.WriteNumber("account_id", account.AccountId);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/companies/{id}");
        w.WriteStartObject("_embedded");
        Tags(w, account, account.Written.TagsOf("companies", id));
        if (with.Contains("contacts"))
        {
            w.WriteStartArray("contacts");
            foreach (var person in account.Data.Persons.Where(p => !p.IsDeleted && p.OrgId == organization.Id))
                Reference(w, $"{account.BaseUrl}/api/v4/contacts/", account.ContactId(person.Id));
            w.WriteEndArray();
        }
        if (with.Contains("leads")) LeadReferences(w, account, views.Leads.Where(l => !l.Deal.IsDeleted && l.Deal.OrgId == organization.Id));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// A company's field values: a phone, e-mail, web site and address generated from its name and address, each replaced
    /// by the values written through the API for that field (an empty list clears it), in the fields' order.
    /// </summary>
    public static List<(KommoField Field, IEnumerable<(string Value, long? EnumId, string? EnumCode)> Values)> CompanyValues(KommoAccount account, SbOrganization organization)
    {
        var slug = KommoAccount.Slug(organization);
        var fields = account.CompanyFields;
        var values = new List<(KommoField Field, IEnumerable<(string Value, long? EnumId, string? EnumCode)> Values)>
        {
            (fields[0], Multitext(fields[0], [($"+358 9 {100 + organization.Id % 900} {1000 + organization.Id * 7 % 9000}", "WORK")])),
            (fields[1], Multitext(fields[1], [(KommoAccount.CompanyEmail(organization), "WORK")])),
            (fields[2], [($"https://{slug}.example", null, null)]),
        };
        if (organization.Address is { } address) values.Add((fields[3], [($"{address}, {organization.Country}", null, null)]));
        var written = account.Written.FieldsOf("companies", account.CompanyId(organization.Id));
        values.RemoveAll(v => written.ContainsKey(v.Field.Id));
        values.AddRange(fields.Where(f => written.GetValueOrDefault(f.Id) is { Count: > 0 }).Select(f => (f, Values(written[f.Id]))));
        values.Sort((a, b) => a.Field.Sort.CompareTo(b.Field.Sort));
        return values;
    }

    private static IEnumerable<(string, long?, string?)> Values(IReadOnlyList<KommoFieldValue> values) =>
        values.Select(v => (v.Value, v.EnumId, v.EnumCode));

    public static void CustomField(Utf8JsonWriter w, KommoAccount account, KommoField field)
    {
        w.WriteStartObject();
        w.WriteNumber("id", field.Id);
        w.WriteString("name", field.Name);
        w.WriteString("type", field.Type);
        w.WriteNumber("account_id", account.AccountId);
        if (field.Code is null) w.WriteNull("code"); else w.WriteString("code", field.Code);
        w.WriteNumber("sort", field.Sort);
        w.WriteBoolean("is_api_only", false);
        if (field.Enums is null) w.WriteNull("enums");
        else
        {
            w.WriteStartArray("enums");
            foreach (var e in field.Enums)
            {
                w.WriteStartObject();
                w.WriteNumber("id", e.Id);
                w.WriteString("value", e.Value);
                w.WriteNumber("sort", e.Sort);
                if (e.Code is null) w.WriteNull("code"); else w.WriteString("code", e.Code);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteNull("group_id");
        w.WriteStartArray("required_statuses");
        w.WriteEndArray();
        w.WriteBoolean("is_deletable", !field.IsPredefined);
        w.WriteBoolean("is_predefined", field.IsPredefined);
        w.WriteString("entity_type", field.EntityType);
        w.WriteNull("remind");
        if (field.Currency is null) w.WriteNull("currency"); else w.WriteString("currency", field.Currency);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/{field.EntityType}/custom_fields/{field.Id}");
        w.WriteEndObject();
    }

    /// <summary>responsible_user_id … closest_task_at, and is_deleted: what contacts and companies share.</summary>
    private static void Owned(Utf8JsonWriter w, KommoAccount account, long ownerId, DateTime added, DateTime updated, DateTime? closestTask)
    {
        w.WriteNumber("responsible_user_id", account.UserId(ownerId));
        w.WriteNumber("group_id", 0);
        w.WriteNumber("created_by", account.UserId(ownerId));
        w.WriteNumber("updated_by", account.UserId(ownerId));
        w.WriteNumber("created_at", Unix(added));
        w.WriteNumber("updated_at", Unix(updated));
        Time(w, "closest_task_at", closestTask);
        w.WriteBoolean("is_deleted", false);
    }

    private static void Fields(Utf8JsonWriter w, List<(KommoField Field, IEnumerable<(string, long?, string?)> Values)> fields)
    {
        if (fields.Count == 0)
        {
            w.WriteNull("custom_fields_values");
            return;
        }
        w.WriteStartArray("custom_fields_values");
        foreach (var (field, values) in fields) FieldValues(w, field, values);
        w.WriteEndArray();
    }

    private static void LeadReferences(Utf8JsonWriter w, KommoAccount account, IEnumerable<KommoLead> leads)
    {
        w.WriteStartArray("leads");
        foreach (var lead in leads) Reference(w, $"{account.BaseUrl}/api/v4/leads/", lead.Id);
        w.WriteEndArray();
    }
}
