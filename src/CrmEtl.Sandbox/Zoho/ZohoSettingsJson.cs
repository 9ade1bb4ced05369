using System.Globalization;
using System.Text.Json;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Zoho;

/// <summary>The org's settings in the shapes of ../shared/api-specs/zoho-crm-v8: layouts, pipelines, fields, currencies and users.</summary>
internal static class ZohoSettingsJson
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static void IdName(Utf8JsonWriter w, string property, string name, long id, string? email = null)
    {
        w.WriteStartObject(property);
        w.WriteString("name", name);
        w.WriteString("id", id.ToString(Inv));
        if (email is not null) w.WriteString("email", email);
        w.WriteEndObject();
    }

    private static void Admin(Utf8JsonWriter w, ZohoOrg org, string property) =>
        ZohoFields.Owner(w, org, property, org.Data.Users[0].Id);

    public static void Layouts(Utf8JsonWriter w, ZohoOrg org)
    {
        var created = ZohoFields.Time(org, org.Data.Pipelines[0].AddTime);
        w.WriteStartObject();
        w.WriteStartArray("layouts");
        w.WriteStartObject();
        w.WriteNumber("display_type", -1);
        w.WriteString("api_name", "Standard__s");
        w.WriteBoolean("has_more_profiles", false);
        w.WriteString("created_time", created);
        w.WriteString("modified_time", created);
        w.WriteBoolean("visible", true);
        w.WriteString("source", "crm");
        w.WriteString("id", org.LayoutId.ToString(Inv));
        w.WriteString("name", "Standard");
        w.WriteString("display_label", "Standard");
        w.WriteString("mode", "standard");
        w.WriteStartObject("subform_properties");
        w.WriteBoolean("pinned_column", false);
        w.WriteEndObject();
        w.WriteString("status", "active");
        w.WriteBoolean("show_business_card", false);
        w.WriteString("generated_type", "default");
        Admin(w, org, "created_for");
        w.WriteStartObject("convert_mapping");
        foreach (var (module, n) in new[] { ("Contacts", 1), ("Accounts", 2), ("Invoices", 3), ("SalesOrders", 4) }) IdName(w, module, "Standard", org.Id(ZohoOrg.Entity.Layout, 10 + n));
        w.WriteStartObject("Deals");
        w.WriteStartArray("fields");
        w.WriteEndArray();
        w.WriteString("name", "Standard");
        w.WriteString("id", org.LayoutId.ToString(Inv));
        w.WriteEndObject();
        w.WriteEndObject();
        Admin(w, org, "modified_by");
        w.WriteStartArray("profiles");
        w.WriteEndArray();
        Admin(w, org, "created_by");
        w.WriteStartArray("sections");
        w.WriteEndArray();
        w.WriteStartObject("actions_allowed");
        foreach (var action in new[] { "edit", "rename", "clone", "downgrade", "delete", "deactivate", "set_layout_permissions" }) w.WriteBoolean(action, action != "delete");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Pipelines(Utf8JsonWriter w, ZohoOrg org)
    {
        w.WriteStartObject();
        w.WriteStartArray("pipeline");
        foreach (var p in org.Data.Pipelines)
        {
            w.WriteStartObject();
            w.WriteString("display_value", p.Name);
            w.WriteBoolean("default", p.Id == org.Data.Pipelines[0].Id);
            w.WriteStartArray("maps");
            var seq = 1;
            foreach (var (stage, probability, forecast) in org.PipelineStages(p))
            {
                w.WriteStartObject();
                w.WriteString("display_value", stage);
                w.WriteNumber("sequence_number", seq++);
                w.WriteStartObject("forecast_category");
                var category = forecast switch { "Closed Won" => ("Closed", 3), "Closed Lost" => ("Omitted", 4), _ => ("Pipeline", 1) };
                w.WriteString("name", category.Item1);
                w.WriteString("id", org.Id(ZohoOrg.Entity.Forecast, category.Item2).ToString(Inv));
                w.WriteEndObject();
                w.WriteString("actual_value", stage);
                w.WriteString("id", org.StageValueId(stage).ToString(Inv));
                w.WriteString("colour_code", "#879BFC");
                w.WriteString("forecast_type", forecast);
                w.WriteNumber("probability", probability);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("actual_value", p.Name);
            w.WriteString("id", org.PipelineId(p).ToString(Inv));
            w.WriteBoolean("child_available", false);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Fields<T>(Utf8JsonWriter w, ZohoOrg org, string module, IReadOnlyList<ZohoField<T>> fields)
    {
        w.WriteStartObject();
        w.WriteStartArray("fields");
        var n = module.Length * 1000;
        foreach (var f in fields)
        {
            var id = org.Id(ZohoOrg.Entity.Field, ++n);
            w.WriteStartObject();
            w.WriteString("api_name", f.ApiName);
            w.WriteString("field_label", f.Label);
            w.WriteString("display_label", f.Label);
            w.WriteString("data_type", f.DataType);
            w.WriteString("json_type", f.DataType switch
            {
                "integer" => "integer", "currency" or "double" => "double", "boolean" => "boolean",
                "lookup" or "ownerlookup" => "jsonobject", _ => "string",
            });
            w.WriteString("id", id.ToString(Inv));
            w.WriteBoolean("custom_field", f.Custom);
            w.WriteBoolean("visible", true);
            w.WriteBoolean("read_only", f.ApiName.EndsWith("_Time", StringComparison.Ordinal) || f.ApiName.EndsWith("_By", StringComparison.Ordinal));
            w.WriteBoolean("field_read_only", false);
            w.WriteBoolean("system_mandatory", f.ApiName is "Deal_Name" or "Stage" or "Last_Name" or "Subject" or "Event_Title");
            w.WriteBoolean("sortable", f.DataType is not ("textarea" or "lookup"));
            w.WriteBoolean("filterable", true);
            w.WriteNumber("length", f.DataType == "textarea" ? 32000 : 255);
            w.WriteNumber("decimal_place", f.DataType == "currency" ? 2 : 0);
            FieldProperties(w, org, module, f.DataType);
            w.WriteStartArray("pick_list_values");
            var seq = 1;
            foreach (var value in f.PickList ?? [])
            {
                w.WriteStartObject();
                w.WriteString("display_value", value);
                w.WriteNumber("sequence_number", seq);
                w.WriteString("reference_value", value);
                w.WriteString("colour_code", "#57B1FD");
                w.WriteString("actual_value", value);
                w.WriteString("id", (f.ApiName == "Stage" ? org.StageValueId(value) : org.Id(ZohoOrg.Entity.Field, n * 100 + seq)).ToString(Inv));
                w.WriteString("type", "used");
                w.WriteEndObject();
                seq++;
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // Zoho describes every field with some sixty properties, most of them for its own UI. They are
    // sent with neutral values: false, empty, or null where the feature does not apply.
    private static readonly string[] FalseFlags =
    [
        "webhook", "blueprint_supported", "virtual_field", "businesscard_supported", "display_field", "pick_list_values_sorted_lexically",
        "separator", "enable_colour_code", "colour_code_enabled_by_system", "hipaa_compliance_enabled", "_update_existing_records", "number_separator", "static_field",
    ];
    private static readonly string[] NullObjects =
    [
        "rollup_summary", "multi_module_lookup", "sharing_properties", "currency", "lookup", "unique", "subform", "formula", "convert_mapping",
        "multiselectlookup", "multiuserlookup", "autonumber", "auto_number", "crypt", "tooltip", "history_tracking", "association_details",
        "textarea", "refer_from_field", "email_parser", "external", "sub_module", "common.picklist", "hipaa_compliance", "quick_sequence_number",
    ];

    private static void FieldProperties(Utf8JsonWriter w, ZohoOrg org, string module, string dataType)
    {
        foreach (var flag in FalseFlags) w.WriteBoolean(flag, false);
        foreach (var name in NullObjects) w.WriteNull(name);
        w.WriteBoolean("mass_update", true);
        w.WriteBoolean("searchable", true);
        w.WriteBoolean("available_in_user_layout", true);
        w.WriteStartObject("associated_module");
        w.WriteString("api_name", module);
        w.WriteString("id", org.Id(ZohoOrg.Entity.Field, module.Length).ToString(Inv));
        w.WriteEndObject();
        w.WriteStartObject("operation_type");
        foreach (var op in new[] { "web_update", "api_create", "web_create", "api_update" }) w.WriteBoolean(op, true);
        w.WriteEndObject();
        w.WriteStartObject("view_type");
        foreach (var view in new[] { "view", "edit", "quick_create", "create" }) w.WriteBoolean(view, true);
        w.WriteEndObject();
        foreach (var empty in new[] { "customizable_properties", "layout_associations", "file_upolad_optionlist", "profiles", "allowed_modules" })
        {
            w.WriteStartArray(empty);
            w.WriteEndArray();
        }
        w.WriteString("created_source", "default");
        w.WriteString("type", "used");
        w.WriteString("column_name", "");
        w.WriteString("additional_column", "");
        w.WriteNumber("display_type", -1);
        w.WriteNumber("ui_type", dataType == "picklist" ? 2 : 1);
        w.WriteNumber("show_type", 0);
        w.WriteNumber("category", 0);
        var created = ZohoFields.Time(org, org.Data.Pipelines[0].AddTime);
        w.WriteString("created_time", created);
        w.WriteString("modified_time", created);
    }

    /// <summary>GET /crm/v8/org: the org's details; its zgid is the org id in the CRM's page URLs.</summary>
    public static void Organization(Utf8JsonWriter w, ZohoOrg org)
    {
        var created = ZohoFields.Time(org, org.Data.Pipelines[0].AddTime);
        w.WriteStartObject();
        w.WriteStartArray("org");
        w.WriteStartObject();
        foreach (var (name, value) in new[]
        {
            ("country", "Finland"), ("photo_id", "p" + org.OrgId), ("city", "Helsinki"), ("description", "Sandbox org " + org.Options.Name),
            ("street", "Mannerheimintie 1"), ("domain_name", "org" + org.OrgId), ("alias", org.Options.Name), ("currency", "Euro - EUR"),
            ("id", org.Id(ZohoOrg.Entity.User, 0).ToString(Inv)), ("state", "Uusimaa"), ("fax", "+358 9 000 0001"), ("zip", "00100"),
            ("currency_symbol", "€"), ("mobile", "+358 40 000 0001"), ("currency_locale", "en_FI"), ("primary_zuid", org.UserId(org.Data.Users[0].Id).ToString(Inv)),
            ("zia_portal_id", "z" + org.OrgId), ("time_zone", org.Options.TimeZone), ("zgid", org.OrgId), ("country_code", "FI"),
            ("phone", "+358 9 000 0000"), ("company_name", org.Options.Name), ("primary_email", org.Data.Users[0].Email), ("iso_code", org.Options.BaseCurrency),
            ("ezgid", "e" + org.OrgId), ("call_icon", "call"), ("type", "Production"), ("created_time", created),
        })
            w.WriteString(name, value);
        foreach (var name in new[] { "mc_status", "gapps_enabled", "translation_enabled", "deletable_org_account", "privacy_settings", "hipaa_compliance_enabled", "lite_users_enabled", "oauth_presence" })
            w.WriteBoolean(name, false);
        w.WriteNumber("max_per_page", 200);
        w.WriteNumber("zia_zgid", 0);
        w.WriteStartObject("license_details");
        w.WriteString("paid_expiry", created);
        w.WriteNumber("users_license_purchased", org.Data.Users.Count);
        w.WriteNull("trial_type");
        w.WriteNull("trial_expiry");
        w.WriteBoolean("paid", true);
        w.WriteString("paid_type", "enterprise");
        w.WriteString("trial_action", "");
        w.WriteEndObject();
        w.WriteStartObject("hierarchy_preferences");
        w.WriteString("type", "Role_Hierarchy");
        w.WriteBoolean("strictly_reporting", false);
        w.WriteEndObject();
        w.WriteStartObject("checkin_preferences");
        w.WriteNull("restricted_event_types");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Currencies(Utf8JsonWriter w, ZohoOrg org)
    {
        var created = ZohoFields.Time(org, org.Data.Pipelines[0].AddTime);
        w.WriteStartObject();
        w.WriteStartArray("currencies");
        var n = 0;
        foreach (var c in PipedriveGenerator.CurrencyList)
        {
            w.WriteStartObject();
            w.WriteString("iso_code", c.Code);
            w.WriteString("symbol", c.Symbol);
            w.WriteString("created_time", created);
            w.WriteBoolean("is_active", true);
            w.WriteString("exchange_rate", ZohoFields.ExchangeRate(org, c.Code).ToString("0.######", Inv));
            w.WriteStartObject("format");
            w.WriteString("decimal_separator", "Period");
            w.WriteString("thousand_separator", "Comma");
            w.WriteString("decimal_places", c.DecimalPoints.ToString(Inv));
            w.WriteEndObject();
            Admin(w, org, "created_by");
            w.WriteBoolean("prefix_symbol", true);
            w.WriteBoolean("is_base", c.Code == org.Options.BaseCurrency);
            w.WriteString("modified_time", created);
            w.WriteString("name", $"{c.Name} - {c.Code}");
            Admin(w, org, "modified_by");
            w.WriteString("id", org.Id(ZohoOrg.Entity.Currency, ++n).ToString(Inv));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void User(Utf8JsonWriter w, ZohoOrg org, SbUser u)
    {
        var first = u.Name.Split(' ')[0];
        w.WriteStartObject();
        w.WriteString("id", org.UserId(u.Id).ToString(Inv));
        w.WriteString("first_name", first);
        w.WriteString("last_name", u.Name[(first.Length)..].Trim());
        w.WriteString("full_name", u.Name);
        w.WriteString("email", u.Email);
        w.WriteString("status", u.Active ? "active" : "disabled");
        w.WriteBoolean("confirm", true);
        w.WriteString("time_zone", u.TimeZone);
        w.WriteString("locale", "en_US");
        w.WriteString("country_locale", "en_US");
        w.WriteString("language", "en_US");
        w.WriteString("date_format", "MMM d, yyyy");
        w.WriteString("time_format", "hh:mm a");
        w.WriteString("created_time", ZohoFields.Time(org, u.Created));
        w.WriteString("Modified_Time", ZohoFields.Time(org, u.Created));
        IdName(w, "role", u.Id == org.Data.Users[0].Id ? "CEO" : "Manager", org.Id(ZohoOrg.Entity.User, 900_000 + (u.Id == org.Data.Users[0].Id ? 1 : 2)));
        IdName(w, "profile", u.Id == org.Data.Users[0].Id ? "Administrator" : "Standard", org.Id(ZohoOrg.Entity.User, 800_000 + (u.Id == org.Data.Users[0].Id ? 1 : 2)));
        w.WriteEndObject();
    }
}
