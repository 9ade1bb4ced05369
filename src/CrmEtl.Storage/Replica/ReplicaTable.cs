using CrmEtl.Core.Replica;
using NpgsqlTypes;

namespace CrmEtl.Storage.Replica;

public sealed record ReplicaColumn<TRow>(string Name, NpgsqlDbType Type, Func<TRow, object?> Get);

/// <summary>
/// How one kind of row maps onto a crm.* table. The writer generates its staging COPY and its
/// upsert from this, so every table is loaded the same way.
/// </summary>
public sealed class ReplicaTable<TRow>
{
    public required string Name { get; init; }
    /// <summary>The CRM key column(s) besides instance_id.</summary>
    public required string[] Key { get; init; }
    public required Func<TRow, object> KeyOf { get; init; }
    /// <summary>Every synced column except instance_id, key columns included.</summary>
    public required IReadOnlyList<ReplicaColumn<TRow>> Columns { get; init; }
    /// <summary>Extra assignments when an existing row changes, e.g. flagging a deal's stage history as due.</summary>
    public string? OnChange { get; init; }
    /// <summary>The crm.replica_change entity its written rows are logged as (d, a, l), for tables facts are built from row by row.</summary>
    public string? ChangeEntity { get; init; }
}

public static class ReplicaTables
{
    private static ReplicaColumn<T> C<T>(string name, NpgsqlDbType type, Func<T, object?> get) => new(name, type, get);

    private static DateTimeOffset? Utc(DateTimeOffset? t) => t?.ToUniversalTime();

    public static readonly ReplicaTable<PipelineRow> Pipeline = new()
    {
        Name = "crm.pipeline", Key = ["id"], KeyOf = r => r.Id,
        Columns =
        [
            C<PipelineRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<PipelineRow>("name", NpgsqlDbType.Text, r => r.Name),
            C<PipelineRow>("order_nr", NpgsqlDbType.Integer, r => r.OrderNr),
            C<PipelineRow>("is_deleted", NpgsqlDbType.Boolean, r => r.IsDeleted),
            C<PipelineRow>("add_time", NpgsqlDbType.TimestampTz, r => Utc(r.AddTime)),
            C<PipelineRow>("update_time", NpgsqlDbType.TimestampTz, r => Utc(r.UpdateTime)),
        ],
    };

    public static readonly ReplicaTable<StageRow> Stage = new()
    {
        Name = "crm.stage", Key = ["id"], KeyOf = r => r.Id,
        Columns =
        [
            C<StageRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<StageRow>("pipeline_id", NpgsqlDbType.Bigint, r => r.PipelineId),
            C<StageRow>("name", NpgsqlDbType.Text, r => r.Name),
            C<StageRow>("order_nr", NpgsqlDbType.Integer, r => r.OrderNr),
            C<StageRow>("deal_probability", NpgsqlDbType.Integer, r => r.DealProbability),
            C<StageRow>("is_deleted", NpgsqlDbType.Boolean, r => r.IsDeleted),
            C<StageRow>("add_time", NpgsqlDbType.TimestampTz, r => Utc(r.AddTime)),
            C<StageRow>("update_time", NpgsqlDbType.TimestampTz, r => Utc(r.UpdateTime)),
            C<StageRow>("forecast_type", NpgsqlDbType.Text, r => r.ForecastType),
        ],
    };

    public static readonly ReplicaTable<UserRow> User = new()
    {
        Name = "crm.crm_user", Key = ["id"], KeyOf = r => r.Id,
        Columns =
        [
            C<UserRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<UserRow>("name", NpgsqlDbType.Text, r => r.Name),
            C<UserRow>("email", NpgsqlDbType.Text, r => r.Email),
            C<UserRow>("active", NpgsqlDbType.Boolean, r => r.Active),
            C<UserRow>("time_zone", NpgsqlDbType.Text, r => r.TimeZone),
            C<UserRow>("default_currency", NpgsqlDbType.Text, r => r.DefaultCurrency),
        ],
    };

    public static readonly ReplicaTable<CurrencyRow> Currency = new()
    {
        Name = "crm.currency", Key = ["code"], KeyOf = r => r.Code,
        Columns =
        [
            C<CurrencyRow>("code", NpgsqlDbType.Text, r => r.Code),
            C<CurrencyRow>("name", NpgsqlDbType.Text, r => r.Name),
            C<CurrencyRow>("decimal_points", NpgsqlDbType.Integer, r => r.DecimalPoints),
            C<CurrencyRow>("symbol", NpgsqlDbType.Text, r => r.Symbol),
            C<CurrencyRow>("active", NpgsqlDbType.Boolean, r => r.Active),
        ],
    };

    public static readonly ReplicaTable<ActivityTypeRow> ActivityType = new()
    {
        Name = "crm.activity_type", Key = ["id"], KeyOf = r => r.Id,
        Columns =
        [
            C<ActivityTypeRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<ActivityTypeRow>("name", NpgsqlDbType.Text, r => r.Name),
            C<ActivityTypeRow>("key_string", NpgsqlDbType.Text, r => r.KeyString),
            C<ActivityTypeRow>("order_nr", NpgsqlDbType.Integer, r => r.OrderNr),
            C<ActivityTypeRow>("active", NpgsqlDbType.Boolean, r => r.Active),
        ],
    };

    public static readonly ReplicaTable<DealFieldRow> DealField = new()
    {
        Name = "crm.deal_field", Key = ["field_code"], KeyOf = r => r.FieldCode,
        Columns =
        [
            C<DealFieldRow>("field_code", NpgsqlDbType.Text, r => r.FieldCode),
            C<DealFieldRow>("field_name", NpgsqlDbType.Text, r => r.FieldName),
            C<DealFieldRow>("field_type", NpgsqlDbType.Text, r => r.FieldType),
            C<DealFieldRow>("is_custom_field", NpgsqlDbType.Boolean, r => r.IsCustomField),
            C<DealFieldRow>("options", NpgsqlDbType.Jsonb, r => r.OptionsJson),
        ],
    };

    public static readonly ReplicaTable<DealRow> Deal = new()
    {
        Name = "crm.deal", Key = ["id"], KeyOf = r => r.Id, ChangeEntity = ReplicaChanges.Deal,
        Columns =
        [
            C<DealRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<DealRow>("title", NpgsqlDbType.Text, r => r.Title),
            C<DealRow>("value", NpgsqlDbType.Numeric, r => r.Value),
            C<DealRow>("currency", NpgsqlDbType.Text, r => r.Currency),
            C<DealRow>("status", NpgsqlDbType.Text, r => r.Status),
            C<DealRow>("pipeline_id", NpgsqlDbType.Bigint, r => r.PipelineId),
            C<DealRow>("stage_id", NpgsqlDbType.Bigint, r => r.StageId),
            C<DealRow>("owner_id", NpgsqlDbType.Bigint, r => r.OwnerId),
            C<DealRow>("person_id", NpgsqlDbType.Bigint, r => r.PersonId),
            C<DealRow>("org_id", NpgsqlDbType.Bigint, r => r.OrgId),
            C<DealRow>("add_time", NpgsqlDbType.TimestampTz, r => Utc(r.AddTime)),
            C<DealRow>("update_time", NpgsqlDbType.TimestampTz, r => Utc(r.UpdateTime)),
            C<DealRow>("stage_change_time", NpgsqlDbType.TimestampTz, r => Utc(r.StageChangeTime)),
            C<DealRow>("won_time", NpgsqlDbType.TimestampTz, r => Utc(r.WonTime)),
            C<DealRow>("lost_time", NpgsqlDbType.TimestampTz, r => Utc(r.LostTime)),
            C<DealRow>("close_time", NpgsqlDbType.TimestampTz, r => Utc(r.CloseTime)),
            C<DealRow>("expected_close_date", NpgsqlDbType.Date, r => r.ExpectedCloseDate),
            C<DealRow>("probability", NpgsqlDbType.Numeric, r => r.Probability),
            C<DealRow>("lost_reason", NpgsqlDbType.Text, r => r.LostReason),
            C<DealRow>("is_deleted", NpgsqlDbType.Boolean, r => r.IsDeleted),
            C<DealRow>("is_archived", NpgsqlDbType.Boolean, r => r.IsArchived),
            C<DealRow>("archive_time", NpgsqlDbType.TimestampTz, r => Utc(r.ArchiveTime)),
            C<DealRow>("origin", NpgsqlDbType.Text, r => r.Origin),
            C<DealRow>("channel", NpgsqlDbType.Integer, r => r.Channel),
            C<DealRow>("source_lead_id", NpgsqlDbType.Text, r => r.SourceLeadId),
            C<DealRow>("label_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, r => r.LabelIds),
            C<DealRow>("custom_fields", NpgsqlDbType.Jsonb, r => r.CustomFieldsJson),
        ],
        // A deal that moved since its history was fetched needs its history again; a deleted one never.
        OnChange = "history_due = NOT EXCLUDED.is_deleted AND (t.history_due OR EXCLUDED.stage_change_time IS DISTINCT FROM t.history_fetched_for OR EXCLUDED.stage_id IS DISTINCT FROM t.stage_id)",
    };

    public static readonly ReplicaTable<ActivityRow> Activity = new()
    {
        Name = "crm.activity", Key = ["id"], KeyOf = r => r.Id, ChangeEntity = ReplicaChanges.Activity,
        Columns =
        [
            C<ActivityRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<ActivityRow>("subject", NpgsqlDbType.Text, r => r.Subject),
            C<ActivityRow>("type", NpgsqlDbType.Text, r => r.Type),
            C<ActivityRow>("owner_id", NpgsqlDbType.Bigint, r => r.OwnerId),
            C<ActivityRow>("deal_id", NpgsqlDbType.Bigint, r => r.DealId),
            C<ActivityRow>("lead_id", NpgsqlDbType.Text, r => r.LeadId),
            C<ActivityRow>("person_id", NpgsqlDbType.Bigint, r => r.PersonId),
            C<ActivityRow>("org_id", NpgsqlDbType.Bigint, r => r.OrgId),
            C<ActivityRow>("due_date", NpgsqlDbType.Date, r => r.DueDate),
            C<ActivityRow>("due_time", NpgsqlDbType.Time, r => r.DueTime),
            C<ActivityRow>("duration", NpgsqlDbType.Interval, r => r.Duration),
            C<ActivityRow>("done", NpgsqlDbType.Boolean, r => r.Done),
            C<ActivityRow>("marked_as_done_time", NpgsqlDbType.TimestampTz, r => Utc(r.MarkedAsDoneTime)),
            C<ActivityRow>("add_time", NpgsqlDbType.TimestampTz, r => Utc(r.AddTime)),
            C<ActivityRow>("update_time", NpgsqlDbType.TimestampTz, r => Utc(r.UpdateTime)),
            C<ActivityRow>("is_deleted", NpgsqlDbType.Boolean, r => r.IsDeleted),
        ],
    };

    public static readonly ReplicaTable<LeadRow> Lead = new()
    {
        Name = "crm.lead", Key = ["id"], KeyOf = r => r.Id, ChangeEntity = ReplicaChanges.Lead,
        Columns =
        [
            C<LeadRow>("id", NpgsqlDbType.Text, r => r.Id),
            C<LeadRow>("title", NpgsqlDbType.Text, r => r.Title),
            C<LeadRow>("owner_id", NpgsqlDbType.Bigint, r => r.OwnerId),
            C<LeadRow>("person_id", NpgsqlDbType.Bigint, r => r.PersonId),
            C<LeadRow>("organization_id", NpgsqlDbType.Bigint, r => r.OrganizationId),
            C<LeadRow>("source_name", NpgsqlDbType.Text, r => r.SourceName),
            C<LeadRow>("origin", NpgsqlDbType.Text, r => r.Origin),
            C<LeadRow>("value_amount", NpgsqlDbType.Numeric, r => r.ValueAmount),
            C<LeadRow>("value_currency", NpgsqlDbType.Text, r => r.ValueCurrency),
            C<LeadRow>("expected_close_date", NpgsqlDbType.Date, r => r.ExpectedCloseDate),
            C<LeadRow>("is_archived", NpgsqlDbType.Boolean, r => r.IsArchived),
            C<LeadRow>("source_deal_id", NpgsqlDbType.Bigint, r => r.SourceDealId),
            C<LeadRow>("add_time", NpgsqlDbType.TimestampTz, r => Utc(r.AddTime)),
            C<LeadRow>("update_time", NpgsqlDbType.TimestampTz, r => Utc(r.UpdateTime)),
            C<LeadRow>("is_deleted", NpgsqlDbType.Boolean, r => r.IsDeleted),
            C<LeadRow>("status", NpgsqlDbType.Text, r => r.Status),
            C<LeadRow>("converted_deal_id", NpgsqlDbType.Bigint, r => r.ConvertedDealId),
            C<LeadRow>("converted_time", NpgsqlDbType.TimestampTz, r => Utc(r.ConvertedTime)),
        ],
    };

    public static readonly ReplicaTable<ContactRow> Contact = new()
    {
        Name = "crm.contact", Key = ["id"], KeyOf = r => r.Id,
        Columns =
        [
            C<ContactRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<ContactRow>("name", NpgsqlDbType.Text, r => r.Name),
            C<ContactRow>("first_name", NpgsqlDbType.Text, r => r.FirstName),
            C<ContactRow>("last_name", NpgsqlDbType.Text, r => r.LastName),
            C<ContactRow>("owner_id", NpgsqlDbType.Bigint, r => r.OwnerId),
            C<ContactRow>("org_id", NpgsqlDbType.Bigint, r => r.OrgId),
            C<ContactRow>("emails", NpgsqlDbType.Jsonb, r => ContactPointsJson(r.Emails)),
            C<ContactRow>("phones", NpgsqlDbType.Jsonb, r => ContactPointsJson(r.Phones)),
            C<ContactRow>("add_time", NpgsqlDbType.TimestampTz, r => Utc(r.AddTime)),
            C<ContactRow>("update_time", NpgsqlDbType.TimestampTz, r => Utc(r.UpdateTime)),
            C<ContactRow>("is_deleted", NpgsqlDbType.Boolean, r => r.IsDeleted),
        ],
    };

    public static readonly ReplicaTable<OrganizationRow> Organization = new()
    {
        Name = "crm.organization", Key = ["id"], KeyOf = r => r.Id,
        Columns =
        [
            C<OrganizationRow>("id", NpgsqlDbType.Bigint, r => r.Id),
            C<OrganizationRow>("name", NpgsqlDbType.Text, r => r.Name),
            C<OrganizationRow>("owner_id", NpgsqlDbType.Bigint, r => r.OwnerId),
            C<OrganizationRow>("address", NpgsqlDbType.Text, r => r.Address),
            C<OrganizationRow>("add_time", NpgsqlDbType.TimestampTz, r => Utc(r.AddTime)),
            C<OrganizationRow>("update_time", NpgsqlDbType.TimestampTz, r => Utc(r.UpdateTime)),
            C<OrganizationRow>("is_deleted", NpgsqlDbType.Boolean, r => r.IsDeleted),
        ],
    };

    /// <summary>[{"value", "label", "primary"}], as crm.contact keeps e-mails and phones.</summary>
    private static string ContactPointsJson(IReadOnlyList<ContactPoint> points) =>
        System.Text.Json.JsonSerializer.Serialize(points.Select(p => new Dictionary<string, object?> { ["value"] = p.Value, ["label"] = p.Label, ["primary"] = p.Primary }));
}
