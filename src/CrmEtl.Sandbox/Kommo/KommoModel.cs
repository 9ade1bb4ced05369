using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

// The Kommo views of the generated account: built from its shared model (see KommoAccount), never stored on their own.

/// <summary>A lead: a generated deal with its status history the Kommo way.</summary>
public sealed record KommoLead(SbDeal Deal, long Id, IReadOnlyList<KommoArrival> Arrivals, DateTime? ClosestTaskAt)
{
    public long StatusId => Arrivals[^1].StatusId;
    public long PipelineId => Arrivals[^1].PipelineId;
}

/// <summary>A task: a generated activity, attached to a lead, else a contact, else a company (else to nothing).</summary>
/// <param name="CompleteTill">Its due time; an all-day activity is due at 23:59 of its day in the account's time zone.</param>
public sealed record KommoTask(SbActivity Activity, long Id, string? EntityType, long? EntityId, long TypeId, DateTime CompleteTill, string? Result);

/// <summary>A note on a lead, contact or company: the note a lead is created with, or a logged call (call_in, call_out).</summary>
/// <param name="EntityType">leads, contacts or companies (the note's URL segment).</param>
/// <param name="Params">Its params, by name: strings and numbers.</param>
public sealed record KommoNote(long Id, string EntityType, long EntityId, string NoteType, DateTime CreatedAt, long CreatedBy, long ResponsibleUserId,
    IReadOnlyList<KeyValuePair<string, object>> Params);

/// <summary>One value of an event's value_before or value_after: {lead_status: {id, pipeline_id}} or {note: {id}}.</summary>
public sealed record KommoEventValue(string Kind, long Id, long? PipelineId = null);

/// <summary>An event of the events feed (GET /api/v4/events).</summary>
/// <param name="EntityType">lead, contact, company or task.</param>
/// <param name="CreatedBy">A generated user's id (0 for the system).</param>
public sealed record KommoEvent(string Id, string Type, string EntityType, long EntityId, long CreatedBy, DateTime CreatedAt,
    IReadOnlyList<KommoEventValue> ValueBefore, IReadOnlyList<KommoEventValue> ValueAfter);

public sealed record KommoEnum(long Id, string Value, int Sort, string? Code);

/// <summary>A custom field of leads, contacts or companies.</summary>
/// <param name="DealFieldKey">For lead fields, the generated deal field whose values it shows.</param>
public sealed record KommoField(long Id, string Name, string Type, string? Code, int Sort, string EntityType, bool IsPredefined,
    IReadOnlyList<KommoEnum>? Enums, string? Currency = null, string? DealFieldKey = null);

public sealed record KommoLossReason(long Id, string Name, int Sort, DateTime CreatedAt);

public sealed record KommoTaskType(long Id, string Name, string? Code);

/// <summary>A status of a pipeline: type 1 for the incoming Unsorted, 0 for the others (the pipeline's stages, 142, 143).</summary>
public sealed record KommoStatus(long Id, string Name, int Sort, bool IsEditable, long PipelineId, string Color, int Type);
