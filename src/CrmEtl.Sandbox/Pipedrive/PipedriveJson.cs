using System.Globalization;
using System.Text.Json;

namespace CrmEtl.Sandbox.Pipedrive;

/// <summary>Writes each entity in the shape of its endpoint (../shared/api-specs/pipedrive), v2 or v1.</summary>
internal static class PipedriveJson
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>v2 timestamps: RFC 3339, second precision.</summary>
    public static string V2Time(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Inv);
    /// <summary>v1 timestamps: "YYYY-MM-DD HH:MM:SS", UTC.</summary>
    public static string V1Time(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss", Inv);
    /// <summary>The leads API sends ISO 8601 with milliseconds.</summary>
    public static string LeadTime(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", Inv);

    private static void Time(Utf8JsonWriter w, string name, DateTime? t, Func<DateTime, string> format)
    {
        if (t is { } v) w.WriteString(name, format(v)); else w.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter w, string name, long? v) { if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name); }

    public static void Deal(Utf8JsonWriter w, SbDeal d, IReadOnlyList<SbDealField> fields)
    {
        w.WriteStartObject();
        w.WriteNumber("id", d.Id);
        w.WriteString("title", d.Title);
        w.WriteNumber("owner_id", d.OwnerId);
        Number(w, "person_id", d.PersonId);
        Number(w, "org_id", d.OrgId);
        w.WriteNumber("pipeline_id", d.PipelineId);
        w.WriteNumber("stage_id", d.StageId);
        w.WriteNumber("value", d.Value);
        w.WriteString("currency", d.Currency);
        w.WriteString("add_time", V2Time(d.AddTime));
        w.WriteString("update_time", V2Time(d.UpdateTime));
        Time(w, "stage_change_time", d.StageChangeTime, V2Time);
        w.WriteBoolean("is_deleted", d.IsDeleted);
        w.WriteBoolean("is_archived", d.IsArchived);
        Time(w, "archive_time", d.ArchiveTime, V2Time);
        w.WriteString("status", d.ApiStatus);
        Number(w, "probability", d.Probability);
        if (d.LostReason is null) w.WriteNull("lost_reason"); else w.WriteString("lost_reason", d.LostReason);
        w.WriteNumber("visible_to", 3);
        Time(w, "close_time", d.CloseTime, V2Time);
        Time(w, "won_time", d.WonTime, V2Time);
        Time(w, "lost_time", d.LostTime, V2Time);
        if (d.ExpectedCloseDate is { } ecd) w.WriteString("expected_close_date", ecd.ToString("yyyy-MM-dd", Inv)); else w.WriteNull("expected_close_date");
        w.WriteStartArray("label_ids");
        foreach (var l in d.LabelIds) w.WriteNumberValue(l);
        w.WriteEndArray();
        w.WriteString("origin", d.Origin);
        w.WriteNull("origin_id");
        Number(w, "channel", d.Channel);
        w.WriteNull("channel_id");
        if (d.SourceLeadId is null) w.WriteNull("source_lead_id"); else w.WriteString("source_lead_id", d.SourceLeadId);
        w.WriteNull("arr");
        w.WriteNull("mrr");
        w.WriteNull("acv");
        w.WriteStartObject("custom_fields");
        foreach (var field in fields)
        {
            if (!field.IsCustom) continue;
            switch (d.CustomFields.GetValueOrDefault(field.Key))
            {
                case null: w.WriteNull(field.Key); break;
                case long option: w.WriteNumber(field.Key, option); break;
                case double number: w.WriteNumber(field.Key, number); break;
                case ValueTuple<decimal, string> money:
                    w.WriteStartObject(field.Key);
                    w.WriteNumber("value", money.Item1);
                    w.WriteString("currency", money.Item2);
                    w.WriteEndObject();
                    break;
                case var other: w.WriteString(field.Key, Convert.ToString(other, Inv)); break;
            }
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A v1 note: its links as ids, v1 times, and the flags the spec lists.</summary>
    public static void Note(Utf8JsonWriter w, SbNote n)
    {
        w.WriteStartObject();
        w.WriteNumber("id", n.Id);
        w.WriteString("content", n.Content);
        w.WriteBoolean("active_flag", true);
        Number(w, "deal_id", n.DealId);
        Number(w, "person_id", n.PersonId);
        Number(w, "org_id", n.OrgId);
        w.WriteNumber("user_id", n.UserId);
        w.WriteNumber("last_update_user_id", n.UserId);
        w.WriteString("add_time", V1Time(n.AddTime));
        w.WriteString("update_time", V1Time(n.UpdateTime));
        foreach (var pin in new[] { "pinned_to_deal_flag", "pinned_to_person_flag", "pinned_to_organization_flag", "pinned_to_lead_flag" }) w.WriteBoolean(pin, false);
        w.WriteEndObject();
    }

    public static void Activity(Utf8JsonWriter w, SbActivity a)
    {
        w.WriteStartObject();
        w.WriteNumber("id", a.Id);
        w.WriteString("subject", a.Subject);
        w.WriteString("type", a.Type);
        w.WriteNumber("owner_id", a.OwnerId);
        w.WriteNumber("creator_user_id", a.CreatorUserId);
        w.WriteBoolean("is_deleted", a.IsDeleted);
        w.WriteString("add_time", V2Time(a.AddTime));
        w.WriteString("update_time", V2Time(a.UpdateTime));
        Number(w, "deal_id", a.DealId);
        if (a.LeadId is null) w.WriteNull("lead_id"); else w.WriteString("lead_id", a.LeadId);
        Number(w, "person_id", a.PersonId);
        Number(w, "org_id", a.OrgId);
        w.WriteNull("project_id");
        w.WriteString("due_date", a.DueDate.ToString("yyyy-MM-dd", Inv));
        if (a.DueTime is { } dt) w.WriteString("due_time", dt.ToString("HH:mm:ss", Inv)); else w.WriteNull("due_time");
        if (a.Duration is { } du) w.WriteString("duration", du.ToString(@"hh\:mm\:ss", Inv)); else w.WriteNull("duration");
        w.WriteBoolean("busy", a.Busy);
        w.WriteBoolean("done", a.Done);
        Time(w, "marked_as_done_time", a.MarkedAsDoneTime, V2Time);
        w.WriteNull("location");
        w.WriteStartArray("participants");
        if (a.PersonId is { } p) { w.WriteStartObject(); w.WriteNumber("person_id", p); w.WriteBoolean("primary", true); w.WriteEndObject(); }
        w.WriteEndArray();
        w.WriteStartArray("attendees");
        w.WriteEndArray();
        w.WriteNull("conference_meeting_client");
        w.WriteNull("conference_meeting_url");
        w.WriteNull("conference_meeting_id");
        w.WriteNull("public_description");
        w.WriteNumber("priority", a.Priority);
        if (a.Note is null) w.WriteNull("note"); else w.WriteString("note", a.Note);
        w.WriteEndObject();
    }

    /// <summary>A v2 person, with the fields every account has (no contact sync: no postal address, notes, birthday).</summary>
    public static void Person(Utf8JsonWriter w, SbPerson p)
    {
        w.WriteStartObject();
        w.WriteNumber("id", p.Id);
        w.WriteString("name", p.Name);
        w.WriteString("first_name", p.FirstName);
        w.WriteString("last_name", p.LastName);
        w.WriteNumber("owner_id", p.OwnerId);
        Number(w, "org_id", p.OrgId);
        w.WriteString("add_time", V2Time(p.AddTime));
        w.WriteString("update_time", V2Time(p.UpdateTime));
        ContactPoints(w, "emails", p.Emails);
        ContactPoints(w, "phones", p.Phones);
        w.WriteBoolean("is_deleted", p.IsDeleted);
        w.WriteNumber("visible_to", 3);
        w.WriteStartArray("label_ids");
        w.WriteEndArray();
        w.WriteNull("picture_id");
        w.WriteStartObject("custom_fields");
        foreach (var (key, value) in p.CustomFields)
        {
            w.WritePropertyName(key);
            if (value is null) w.WriteNullValue(); else value.WriteTo(w);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void ContactPoints(Utf8JsonWriter w, string name, IEnumerable<SbContactPoint> points)
    {
        w.WriteStartArray(name);
        foreach (var point in points)
        {
            w.WriteStartObject();
            w.WriteString("value", point.Value);
            w.WriteBoolean("primary", point.Primary);
            w.WriteString("label", point.Label);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static void Organization(Utf8JsonWriter w, SbOrganization o)
    {
        w.WriteStartObject();
        w.WriteNumber("id", o.Id);
        w.WriteString("name", o.Name);
        w.WriteNumber("owner_id", o.OwnerId);
        w.WriteString("add_time", V2Time(o.AddTime));
        w.WriteString("update_time", V2Time(o.UpdateTime));
        w.WriteBoolean("is_deleted", o.IsDeleted);
        w.WriteNumber("visible_to", 3);
        if (o.Address is null) w.WriteNull("address");
        else
        {
            w.WriteStartObject("address");
            w.WriteString("value", o.Address);
            if (o.Country is null) w.WriteNull("country"); else w.WriteString("country", o.Country);
            w.WriteEndObject();
        }
        w.WriteStartArray("label_ids");
        w.WriteEndArray();
        w.WriteStartObject("custom_fields");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void Lead(Utf8JsonWriter w, SbLead l)
    {
        w.WriteStartObject();
        w.WriteString("id", l.Id);
        w.WriteString("title", l.Title);
        w.WriteNumber("owner_id", l.OwnerId);
        w.WriteNumber("creator_id", l.CreatorId);
        w.WriteStartArray("label_ids");
        foreach (var label in l.LabelIds) w.WriteStringValue(label);
        w.WriteEndArray();
        Number(w, "person_id", l.PersonId);
        Number(w, "organization_id", l.OrganizationId);
        w.WriteString("source_name", l.SourceName);
        w.WriteString("origin", l.Origin);
        w.WriteNull("origin_id");
        w.WriteNull("channel");
        w.WriteNull("channel_id");
        Number(w, "source_deal_id", l.SourceDealId);
        w.WriteBoolean("is_archived", l.IsArchived);
        w.WriteBoolean("was_seen", l.WasSeen);
        if (l.ValueAmount is { } amount)
        {
            w.WriteStartObject("value");
            w.WriteNumber("amount", amount);
            w.WriteString("currency", l.ValueCurrency);
            w.WriteEndObject();
        }
        else w.WriteNull("value");
        if (l.ExpectedCloseDate is { } ecd) w.WriteString("expected_close_date", ecd.ToString("yyyy-MM-dd", Inv)); else w.WriteNull("expected_close_date");
        w.WriteNull("next_activity_id");
        w.WriteString("add_time", LeadTime(l.AddTime));
        w.WriteString("update_time", LeadTime(l.UpdateTime));
        w.WriteString("visible_to", "3");
        w.WriteString("cc_email", $"leads+{l.Id[..8]}@sandbox.pipedrivemail.example");
        w.WriteEndObject();
    }

    public static void Pipeline(Utf8JsonWriter w, SbPipeline p)
    {
        w.WriteStartObject();
        w.WriteNumber("id", p.Id);
        w.WriteString("name", p.Name);
        w.WriteNumber("order_nr", p.OrderNr);
        w.WriteBoolean("is_deleted", false);
        w.WriteBoolean("is_deal_probability_enabled", true);
        w.WriteString("add_time", V2Time(p.AddTime));
        w.WriteString("update_time", V2Time(p.UpdateTime));
        w.WriteEndObject();
    }

    public static void Stage(Utf8JsonWriter w, SbStage s)
    {
        w.WriteStartObject();
        w.WriteNumber("id", s.Id);
        w.WriteNumber("order_nr", s.OrderNr);
        w.WriteString("name", s.Name);
        w.WriteBoolean("is_deleted", false);
        w.WriteNumber("deal_probability", s.DealProbability);
        w.WriteNumber("pipeline_id", s.PipelineId);
        w.WriteBoolean("is_deal_rot_enabled", s.DaysToRotten is not null);
        Number(w, "days_to_rotten", s.DaysToRotten);
        w.WriteString("add_time", V2Time(s.AddTime));
        w.WriteString("update_time", V2Time(s.UpdateTime));
        w.WriteEndObject();
    }

    /// <summary>A webhook as GET/POST /v1/webhooks show it (BaseWebhook).</summary>
    public static void Webhook(Utf8JsonWriter w, SbWebhook h)
    {
        w.WriteStartObject();
        w.WriteNumber("id", h.Id);
        w.WriteNumber("company_id", 1);
        w.WriteNumber("owner_id", h.UserId);
        w.WriteNumber("user_id", h.UserId);
        w.WriteString("event_action", h.EventAction);
        w.WriteString("event_object", h.EventObject);
        w.WriteString("subscription_url", h.SubscriptionUrl);
        w.WriteString("version", h.Version);
        w.WriteNumber("is_active", h.IsActive ? 1 : 0);
        w.WriteString("add_time", h.AddTime.ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", Inv));
        w.WriteNull("remove_time");
        w.WriteString("type", "general");
        if (h.HttpAuthUser is null) w.WriteNull("http_auth_user"); else w.WriteString("http_auth_user", h.HttpAuthUser);
        if (h.HttpAuthPassword is null) w.WriteNull("http_auth_password"); else w.WriteString("http_auth_password", h.HttpAuthPassword);
        w.WriteNull("remove_reason");
        if (h.LastDeliveryTime is { } last) w.WriteString("last_delivery_time", last.ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", Inv)); else w.WriteNull("last_delivery_time");
        if (h.LastHttpStatus is { } status) w.WriteNumber("last_http_status", status); else w.WriteNull("last_http_status");
        w.WriteNumber("admin_id", h.UserId);
        w.WriteString("name", h.Name);
        w.WriteEndObject();
    }

    public static void DealField(Utf8JsonWriter w, SbDealField f)
    {
        w.WriteStartObject();
        w.WriteString("field_name", f.Name);
        w.WriteString("field_code", f.Key);
        w.WriteNull("description");
        w.WriteString("field_type", f.FieldType);
        if (f.Options is null) w.WriteNull("options");
        else
        {
            w.WriteStartArray("options");
            foreach (var (id, label) in f.Options) { w.WriteStartObject(); w.WriteNumber("id", id); w.WriteString("label", label); w.WriteNull("color"); w.WriteEndObject(); }
            w.WriteEndArray();
        }
        if (f.FieldType == "monetary")
        {
            w.WriteStartArray("subfields");
            w.WriteStartObject(); w.WriteString("field_code", "currency"); w.WriteString("field_name", "Currency"); w.WriteString("field_type", "varchar_options"); w.WriteEndObject();
            w.WriteEndArray();
        }
        else w.WriteNull("subfields");
        w.WriteBoolean("is_custom_field", f.IsCustom);
        w.WriteBoolean("is_optional_response_field", false);
        w.WriteEndObject();
    }

    /// <summary>A user; with <paramref name="company"/> (GET /users/me) also the company's id, name and domain.</summary>
    public static void User(Utf8JsonWriter w, SbUser u, bool isYou, DateTime now, PipedriveCompanyOptions? company = null)
    {
        var offset = TimeZoneInfo.TryFindSystemTimeZoneById(u.TimeZone, out var zone) ? zone.GetUtcOffset(now) : TimeSpan.Zero;
        w.WriteStartObject();
        w.WriteNumber("id", u.Id);
        w.WriteString("name", u.Name);
        w.WriteString("default_currency", u.DefaultCurrency);
        w.WriteString("locale", "en_US");
        w.WriteNumber("lang", 1);
        w.WriteString("email", u.Email);
        w.WriteNull("phone");
        w.WriteBoolean("activated", u.Active);
        w.WriteString("last_login", V1Time(u.Created.AddDays(400)));
        w.WriteString("created", V1Time(u.Created));
        w.WriteNull("modified");
        w.WriteBoolean("has_created_company", isYou);
        w.WriteStartArray("access");
        w.WriteStartObject(); w.WriteString("app", "sales"); w.WriteBoolean("admin", isYou); w.WriteString("permission_set_id", "8a4b0a9e-5e43-4f41-9f4c-5b2a4e0c1d01"); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteBoolean("active_flag", u.Active);
        w.WriteString("timezone_name", u.TimeZone);
        w.WriteString("timezone_offset", (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", Inv));
        w.WriteNumber("role_id", 1);
        w.WriteNull("icon_url");
        w.WriteBoolean("is_you", isYou);
        w.WriteBoolean("is_deleted", false);
        if (company is not null)
        {
            w.WriteNumber("company_id", 7_000_000 + company.Seed);
            w.WriteString("company_name", company.Name);
            w.WriteString("company_domain", company.Name.ToLowerInvariant());
            w.WriteString("company_country", "FI");
            w.WriteString("company_industry", "Software");
            w.WriteStartObject("language");
            w.WriteString("language_code", "en");
            w.WriteString("country_code", "US");
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static void Currency(Utf8JsonWriter w, SbCurrency c)
    {
        w.WriteStartObject();
        w.WriteNumber("id", c.Id);
        w.WriteString("code", c.Code);
        w.WriteString("name", c.Name);
        w.WriteNumber("decimal_points", c.DecimalPoints);
        w.WriteString("symbol", c.Symbol);
        w.WriteBoolean("active_flag", true);
        w.WriteBoolean("is_custom_flag", false);
        w.WriteEndObject();
    }

    public static void ActivityType(Utf8JsonWriter w, SbActivityType t)
    {
        w.WriteStartObject();
        w.WriteNumber("id", t.Id);
        w.WriteString("name", t.Name);
        w.WriteString("icon_key", t.IconKey);
        w.WriteString("color", "FFFFFF");
        w.WriteNumber("order_nr", t.OrderNr);
        w.WriteString("key_string", t.KeyString);
        w.WriteBoolean("active_flag", true);
        w.WriteBoolean("is_custom_flag", false);
        w.WriteString("add_time", V1Time(t.AddTime));
        w.WriteString("update_time", V1Time(t.AddTime));
        w.WriteEndObject();
    }

    public static void Change(Utf8JsonWriter w, SbChange c)
    {
        w.WriteStartObject();
        w.WriteString("field_key", c.FieldKey);
        if (c.OldValue is null) w.WriteNull("old_value"); else w.WriteString("old_value", c.OldValue);
        if (c.NewValue is null) w.WriteNull("new_value"); else w.WriteString("new_value", c.NewValue);
        w.WriteNumber("actor_user_id", c.ActorUserId);
        w.WriteString("time", V1Time(c.Time));
        w.WriteString("change_source", "app");
        w.WriteNull("change_source_user_agent");
        w.WriteBoolean("is_bulk_update_flag", false);
        w.WriteEndObject();
    }

    public static void FlowChange(Utf8JsonWriter w, SbDeal deal, SbChange c, long changeId)
    {
        w.WriteStartObject();
        w.WriteString("object", "dealChange");
        w.WriteString("timestamp", V1Time(c.Time));
        w.WriteStartObject("data");
        w.WriteNumber("id", changeId);
        w.WriteNumber("item_id", deal.Id);
        w.WriteNumber("user_id", c.ActorUserId);
        w.WriteString("field_key", c.FieldKey);
        if (c.OldValue is null) w.WriteNull("old_value"); else w.WriteString("old_value", c.OldValue);
        if (c.NewValue is null) w.WriteNull("new_value"); else w.WriteString("new_value", c.NewValue);
        w.WriteNull("is_bulk_update_flag");
        w.WriteString("log_time", V1Time(c.Time));
        w.WriteString("change_source", "app");
        w.WriteNull("change_source_user_agent");
        w.WriteStartArray("additional_data");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
