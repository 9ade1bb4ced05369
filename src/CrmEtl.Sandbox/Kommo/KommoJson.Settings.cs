using System.Text.Json;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

internal static partial class KommoJson
{
    private static readonly Dictionary<string, string> CurrencySymbols = new(StringComparer.Ordinal)
    {
        ["EUR"] = "€", ["USD"] = "$", ["SEK"] = "kr", ["GBP"] = "£", ["JPY"] = "¥", ["RUB"] = "₽", ["UAH"] = "₴",
    };

    /// <summary>GET /api/v4/account (account-info.md) with what with= asks for; currency as the vendor's PHP library reads it.</summary>
    public static void Account(Utf8JsonWriter w, KommoAccount account, IReadOnlySet<string> with, DateTime now)
    {
        var admin = account.UserId(account.Data.Users[0].Id);
        w.WriteStartObject();
        w.WriteNumber("id", account.AccountId);
        w.WriteString("name", account.Options.Name);
        w.WriteString("subdomain", account.Options.Subdomain);
        w.WriteNumber("created_at", Unix(account.Created));
        w.WriteNumber("created_by", admin);
        w.WriteNumber("updated_at", Unix(account.Created));
        w.WriteNumber("updated_by", admin);
        w.WriteNumber("current_user_id", admin);
        w.WriteString("country", account.Options.Country);
        w.WriteString("currency", account.Options.Currency);
        w.WriteString("currency_symbol", CurrencySymbols.GetValueOrDefault(account.Options.Currency, account.Options.Currency));
        w.WriteString("customers_mode", "disabled");
        w.WriteBoolean("is_unsorted_on", true);
        w.WriteNumber("mobile_feature_version", 0);
        w.WriteBoolean("is_loss_reason_enabled", true);
        w.WriteBoolean("is_helpbot_enabled", false);
        w.WriteBoolean("is_technical_account", false);
        w.WriteNumber("contact_name_display_order", 1);
        if (with.Contains("amojo_id")) w.WriteString("amojo_id", new Guid((int)account.AccountId, 0x414d, 0x4f4a, [0, 1, 2, 3, 4, 5, 6, 7]).ToString());
        if (with.Contains("version")) w.WriteNumber("version", 16);
        if (with.Contains("is_api_filter_enabled")) w.WriteBoolean("is_api_filter_enabled", true);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/account");
        w.WriteStartObject("_embedded");
        if (with.Contains("amojo_rights"))
        {
            w.WriteStartObject("amojo_rights");
            w.WriteBoolean("can_direct", true);
            w.WriteBoolean("can_create_groups", true);
            w.WriteEndObject();
        }
        if (with.Contains("users_groups"))
        {
            w.WriteStartArray("users_groups");
            w.WriteStartObject();
            w.WriteNumber("id", 0);
            w.WriteString("name", "Sales");
            w.WriteNull("uuid");
            w.WriteEndObject();
            w.WriteEndArray();
        }
        if (with.Contains("task_types"))
        {
            w.WriteStartArray("task_types");
            foreach (var type in account.TaskTypes)
            {
                w.WriteStartObject();
                w.WriteNumber("id", type.Id);
                w.WriteString("name", type.Name);
                w.WriteNull("color");
                w.WriteNull("icon_id");
                if (type.Code is null) w.WriteNull("code"); else w.WriteString("code", type.Code);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (with.Contains("datetime_settings")) DateTimeSettings(w, account, now);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void DateTimeSettings(Utf8JsonWriter w, KommoAccount account, DateTime now)
    {
        var offset = account.TimeZone.GetUtcOffset(now);
        w.WriteStartObject("datetime_settings");
        w.WriteString("date_pattern", "d.m.Y H:i");
        w.WriteString("short_date_pattern", "d.m.Y");
        w.WriteString("short_time_pattern", "H:i");
        w.WriteString("date_format", "d.m.Y");
        w.WriteString("time_format", "H:i:s");
        w.WriteString("timezone", account.Options.TimeZone);
        w.WriteString("timezone_offset", (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", Inv));
        w.WriteEndObject();
    }

    /// <summary>A user (users-api.md): the first is the admin who granted the integration access; roles and groups with with=role,group.</summary>
    public static void User(Utf8JsonWriter w, KommoAccount account, SbUser user, IReadOnlySet<string> with)
    {
        var admin = user.Id == account.Data.Users[0].Id;
        var id = account.UserId(user.Id);
        w.WriteStartObject();
        w.WriteNumber("id", id);
        w.WriteString("name", user.Name);
        w.WriteString("email", user.Email);
        w.WriteString("lang", "en");
        w.WriteStartObject("rights");
        foreach (var entity in (string[])["leads", "contacts", "companies"])
        {
            w.WriteStartObject(entity);
            foreach (var action in (string[])["view", "edit", "add", "delete", "export"]) w.WriteString(action, admin || action != "delete" ? "A" : "M");
            w.WriteEndObject();
        }
        w.WriteStartObject("tasks");
        w.WriteString("edit", "A");
        w.WriteString("delete", admin ? "A" : "M");
        w.WriteEndObject();
        w.WriteBoolean("mail_access", true);
        w.WriteBoolean("catalog_access", admin);
        w.WriteNull("status_rights");
        w.WriteBoolean("is_admin", admin);
        w.WriteBoolean("is_free", false);
        w.WriteBoolean("is_active", user.Active);
        w.WriteNull("group_id");
        w.WriteNull("role_id");
        w.WriteEndObject();
        SelfLinks(w, $"{account.BaseUrl}/api/v4/users/{id}");
        if (with.Contains("role") || with.Contains("group"))
        {
            w.WriteStartObject("_embedded");
            w.WriteStartArray("roles");
            w.WriteEndArray();
            w.WriteStartArray("groups");
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static void Pipeline(Utf8JsonWriter w, KommoAccount account, SbPipeline pipeline)
    {
        var id = account.PipelineId(pipeline.Id);
        w.WriteStartObject();
        w.WriteNumber("id", id);
        w.WriteString("name", pipeline.Name);
        w.WriteNumber("sort", pipeline.OrderNr);
        w.WriteBoolean("is_main", pipeline.Id == account.Data.Pipelines[0].Id);
        w.WriteBoolean("is_unsorted_on", true);
        w.WriteBoolean("is_archive", false);
        w.WriteNumber("account_id", account.AccountId);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/leads/pipelines/{id}");
        w.WriteStartObject("_embedded");
        w.WriteStartArray("statuses");
        foreach (var status in account.StatusesOf(pipeline)) Status(w, account, status);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void Status(Utf8JsonWriter w, KommoAccount account, KommoStatus status)
    {
        w.WriteStartObject();
        w.WriteNumber("id", status.Id);
        w.WriteString("name", status.Name);
        w.WriteNumber("sort", status.Sort);
        w.WriteBoolean("is_editable", status.IsEditable);
        w.WriteNumber("pipeline_id", status.PipelineId);
        w.WriteString("color", status.Color);
        w.WriteNumber("type", status.Type);
        w.WriteNumber("account_id", account.AccountId);
        SelfLinks(w, $"{account.BaseUrl}/api/v4/leads/pipelines/{status.PipelineId}/statuses/{status.Id}");
        w.WriteEndObject();
    }
}
