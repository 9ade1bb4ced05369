using System.Globalization;
using System.Text.Json;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>
/// Leads, contacts, companies and custom fields as Kommo's API v4 writes them (leads-api.md, contacts-api.md,
/// companies-api.md, custom-fields.md): Unix-second times, integer prices in the account's currency, HAL links,
/// e-mails and phones as custom field values.
/// </summary>
internal static partial class KommoJson
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // Kommo keeps one currency per account: deals the generator made in others are converted at these rates (EUR per unit).
    private static readonly Dictionary<string, decimal> EuroRates = new(StringComparer.Ordinal)
    {
        ["EUR"] = 1m, ["USD"] = 0.92m, ["SEK"] = 0.087m, ["GBP"] = 1.17m, ["JPY"] = 0.0062m, ["UAH"] = 0.021m,
    };

    public static long Unix(DateTime t) => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeSeconds();

    public static void Link(Utf8JsonWriter w, string name, string href)
    {
        w.WriteStartObject(name);
        w.WriteString("href", href);
        w.WriteEndObject();
    }

    public static void SelfLinks(Utf8JsonWriter w, string href)
    {
        w.WriteStartObject("_links");
        Link(w, "self", href);
        w.WriteEndObject();
    }

    private static void Time(Utf8JsonWriter w, string name, DateTime? t)
    {
        if (t is { } at) w.WriteNumber(name, Unix(at)); else w.WriteNull(name);
    }

    private static void Reference(Utf8JsonWriter w, string href, long id)
    {
        w.WriteStartObject();
        w.WriteNumber("id", id);
        SelfLinks(w, href + id.ToString(Inv));
        w.WriteEndObject();
    }

    public static long Price(KommoAccount account, SbDeal deal) =>
        (long)Math.Round(deal.Value * EuroRates.GetValueOrDefault(deal.Currency, 1m) / EuroRates.GetValueOrDefault(account.Options.Currency, 1m), MidpointRounding.AwayFromZero);

    /// <summary>A lead; one in the trash (listed with with=only_deleted) shows only its id, update and is_deleted.</summary>
    public static void Lead(Utf8JsonWriter w, KommoAccount account, KommoViews views, KommoLead lead, IReadOnlySet<string> with)
    {
        var deal = lead.Deal;
        var lastActor = deal.Changes.Count > 0 ? deal.Changes[^1].ActorUserId : deal.OwnerId;
        w.WriteStartObject();
        w.WriteNumber("id", lead.Id);
        if (deal.IsDeleted)
        {
            w.WriteNumber("updated_at", Unix(deal.UpdateTime));
            w.WriteNumber("updated_by", account.UserId(lastActor));
            w.WriteBoolean("is_deleted", true);
            w.WriteNumber("account_id", account.AccountId);
            SelfLinks(w, $"{account.BaseUrl}/api/v4/leads/{lead.Id}");
            w.WriteEndObject();
            return;
        }
        var lost = lead.StatusId == KommoAccount.Lost ? account.LossReasonId(deal.LostReason) : null;
        w.WriteString("name", deal.Title);
        w.WriteNumber("price", Price(account, deal));
        w.WriteNumber("responsible_user_id", account.UserId(deal.OwnerId));
        w.WriteNumber("group_id", 0);
        w.WriteNumber("status_id", lead.StatusId);
        w.WriteNumber("pipeline_id", lead.PipelineId);
        if (lost is { } reason) w.WriteNumber("loss_reason_id", reason); else w.WriteNull("loss_reason_id");
        w.WriteNumber("created_by", account.UserId(deal.OwnerId));
        w.WriteNumber("updated_by", account.UserId(lastActor));
        w.WriteNumber("created_at", Unix(deal.AddTime));
        w.WriteNumber("updated_at", Unix(deal.UpdateTime));
        Time(w, "closed_at", lead.StatusId is KommoAccount.Won or KommoAccount.Lost ? lead.Arrivals[^1].At : null);
        Time(w, "closest_task_at", lead.ClosestTaskAt);
        w.WriteBoolean("is_deleted", false);
        LeadFieldValues(w, account, deal);
        w.WriteNull("score");
        w.WriteNumber("account_id", account.AccountId);
        w.WriteNull("labor_cost");
        if (with.Contains("is_price_modified_by_robot")) w.WriteBoolean("is_price_modified_by_robot", false);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/leads/{lead.Id}");
        w.WriteStartObject("_embedded");
        Tags(w, account, deal.LabelIds);
        w.WriteStartArray("companies");
        if (deal.OrgId is { } org) Reference(w, $"{account.BaseUrl}/api/v4/companies/", account.CompanyId(org));
        w.WriteEndArray();
        if (with.Contains("contacts"))
        {
            w.WriteStartArray("contacts");
            if (deal.PersonId is { } person && views.Persons.TryGetValue(person, out var p) && !p.IsDeleted)
            {
                w.WriteStartObject();
                w.WriteNumber("id", account.ContactId(person));
                w.WriteBoolean("is_main", true);
                SelfLinks(w, $"{account.BaseUrl}/api/v4/contacts/{account.ContactId(person)}");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (with.Contains("loss_reason") && lost is not null) LossReason(w, account, account.LossReasons.First(r => r.Id == lost));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>As the docs' example of a lead shows it: an array of one.</summary>
    private static void LossReason(Utf8JsonWriter w, KommoAccount account, KommoLossReason reason)
    {
        w.WriteStartArray("loss_reason");
        w.WriteStartObject();
        w.WriteNumber("id", reason.Id);
        w.WriteString("name", reason.Name);
        w.WriteNumber("sort", reason.Sort);
        w.WriteNumber("created_at", Unix(reason.CreatedAt));
        w.WriteNumber("updated_at", Unix(reason.CreatedAt));
        SelfLinks(w, $"{account.BaseUrl}/api/v4/leads/loss_reasons/{reason.Id}");
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void LeadFieldValues(Utf8JsonWriter w, KommoAccount account, SbDeal deal)
    {
        var filled = account.LeadFields.Where(f => deal.CustomFields.GetValueOrDefault(f.DealFieldKey!) is not null).ToList();
        if (filled.Count == 0)
        {
            w.WriteNull("custom_fields_values");
            return;
        }
        w.WriteStartArray("custom_fields_values");
        foreach (var field in filled)
        {
            var value = deal.CustomFields[field.DealFieldKey!];
            var option = value is long id ? field.Enums?.FirstOrDefault(e => e.Id == account.EnumId(100 + (int)id)) : null;
            var text = value switch
            {
                ValueTuple<decimal, string> money => money.Item1.ToString(Inv),
                double number => number.ToString(Inv),
                long when option is not null => option.Value,
                _ => Convert.ToString(value, Inv) ?? "",
            };
            FieldValues(w, field, [(text, option?.Id, null)]);
        }
        w.WriteEndArray();
    }

    private static void FieldValues(Utf8JsonWriter w, KommoField field, IEnumerable<(string Value, long? EnumId, string? EnumCode)> values)
    {
        w.WriteStartObject();
        w.WriteNumber("field_id", field.Id);
        w.WriteString("field_name", field.Name);
        if (field.Code is null) w.WriteNull("field_code"); else w.WriteString("field_code", field.Code);
        w.WriteString("field_type", field.Type);
        w.WriteStartArray("values");
        foreach (var (value, enumId, enumCode) in values)
        {
            w.WriteStartObject();
            w.WriteString("value", value);
            if (enumId is { } id) w.WriteNumber("enum_id", id);
            if (enumCode is not null) w.WriteString("enum_code", enumCode);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The values of multitext fields (PHONE, EMAIL): each with the enum id and code of its kind.</summary>
    private static IEnumerable<(string, long?, string?)> Multitext(KommoField field, IEnumerable<(string Value, string Code)> values) =>
        values.Select(v => (v.Value, field.Enums?.FirstOrDefault(e => e.Code == v.Code)?.Id, (string?)v.Code));
}
