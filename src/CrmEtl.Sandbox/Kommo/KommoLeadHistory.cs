using System.Globalization;
using CrmEtl.Sandbox.Pipedrive;

namespace CrmEtl.Sandbox.Kommo;

/// <summary>A status a lead entered at <paramref name="At"/>, moved there by <paramref name="ActorUserId"/> (a generated user's id).</summary>
public sealed record KommoArrival(long StatusId, long PipelineId, DateTime At, long ActorUserId);

/// <summary>
/// A lead's life the Kommo way, read from the generated deal's changelog: the status it was created in (the pipeline's
/// incoming Unsorted status for leads that came in through a form, see <see cref="KommoAccount.StartsInUnsorted"/>),
/// each stage it was moved to while open (forwards, back or skipping), 142 when won and 143 when lost, back to its
/// stage when reopened; and its trips to the trash and back, kept in the changelog as "deleted" changes.
/// </summary>
internal static class KommoLeadHistory
{
    /// <summary>Changelog key of a deletion ("true") or a restoration ("false").</summary>
    public const string DeletedKey = "deleted";

    /// <summary>Changelog key of a move to another pipeline (generated pipeline ids), made just before the status it entered there.</summary>
    public const string PipelineKey = "pipeline_id";

    public static List<KommoArrival> Arrivals(KommoAccount account, SbDeal deal)
    {
        var firstPipelineMove = deal.Changes.Find(c => c.FieldKey == PipelineKey);
        var generatedPipeline = firstPipelineMove?.OldValue is { } oldPipeline ? long.Parse(oldPipeline, CultureInfo.InvariantCulture) : deal.PipelineId;
        var pipeline = account.PipelineId(generatedPipeline);
        var firstMove = deal.Changes.Find(c => c.FieldKey == "stage_id");
        var stage = firstMove?.OldValue is { } old ? long.Parse(old, CultureInfo.InvariantCulture) : deal.StageId;
        var created = account.StartsInUnsorted(deal) ? account.UnsortedStatusId(generatedPipeline) : account.StatusId(stage);
        var arrivals = new List<KommoArrival> { new(created, pipeline, deal.AddTime, deal.OwnerId) };
        var open = true;
        foreach (var change in deal.Changes)
        {
            if (change.FieldKey == PipelineKey)
            {
                pipeline = account.PipelineId(long.Parse(change.NewValue!, CultureInfo.InvariantCulture));
            }
            else if (change.FieldKey == "stage_id")
            {
                stage = long.Parse(change.NewValue!, CultureInfo.InvariantCulture);
                if (open) arrivals.Add(new KommoArrival(account.StatusId(stage), pipeline, change.Time, change.ActorUserId));
            }
            else if (change.FieldKey == "status")
            {
                open = change.NewValue == "open";
                var status = change.NewValue switch { "won" => KommoAccount.Won, "lost" => KommoAccount.Lost, _ => account.StatusId(stage) };
                arrivals.Add(new KommoArrival(status, pipeline, change.Time, change.ActorUserId));
            }
        }
        return arrivals;
    }

    /// <summary>
    /// Moves a lead to a status now, as a user dragging its card would (or PATCH /api/v4/leads with status_id and
    /// pipeline_id): into another pipeline first when <paramref name="pipelineId"/> (a generated id) is not its own;
    /// then to a stage (a closed lead is reopened there), 142 won or 143 lost (with <paramref name="lossReason"/>).
    /// Each move is one lead_status_changed event and the lead's updated_at.
    /// </summary>
    public static void Move(KommoAccount account, SbDeal deal, long pipelineId, long statusId, long actor, DateTime at, string? lossReason = null)
    {
        if (pipelineId != deal.PipelineId)
        {
            PipedriveGenerator.Change(deal, PipelineKey, deal.PipelineId.ToString(CultureInfo.InvariantCulture), pipelineId.ToString(CultureInfo.InvariantCulture), actor, at);
            deal.PipelineId = pipelineId;
        }
        switch (statusId)
        {
            case KommoAccount.Won: PipedriveGenerator.Win(deal, actor, at); break;
            case KommoAccount.Lost: PipedriveGenerator.Lose(deal, actor, at, lossReason ?? account.LossReasons[0].Name); break;
            default:
                var stage = account.Data.StagesOf(pipelineId).FirstOrDefault(s => account.StatusId(s.Id) == statusId)
                    ?? throw new ArgumentException($"Status {statusId} is not a stage of the pipeline of lead {account.LeadId(deal)}.", nameof(statusId));
                PipedriveGenerator.Move(deal, stage.Id, actor, at);
                if (deal.Status != "open") PipedriveGenerator.Reopen(deal, actor, at);
                break;
        }
    }

    /// <summary>Puts a lead in the trash, as a user deleting it would.</summary>
    public static void Delete(SbDeal deal, long actor, DateTime at)
    {
        PipedriveGenerator.Change(deal, DeletedKey, "false", "true", actor, at);
        PipedriveGenerator.Delete(deal, at);
    }

    /// <summary>Takes a lead out of the trash: listed again, updated now.</summary>
    public static void Restore(SbDeal deal, long actor, DateTime at)
    {
        PipedriveGenerator.Change(deal, DeletedKey, "true", "false", actor, at);
        deal.IsDeleted = false;
        deal.DeleteTime = null;
        deal.UpdateTime = at;
    }

    /// <summary>
    /// Deals deleted by the shared generator or mutator (which flag them without a changelog entry) get their
    /// deletion in the changelog, so that the events feed has its lead_deleted.
    /// </summary>
    public static void RecordDeletions(PipedriveCompany data)
    {
        foreach (var deal in data.Deals.Where(d => d.IsDeleted && d.DeleteTime is { } at && !d.Changes.Exists(c => c.FieldKey == DeletedKey && c.Time == at)))
            PipedriveGenerator.Change(deal, DeletedKey, "false", "true", deal.OwnerId, deal.DeleteTime!.Value);
    }

    /// <summary>Some live leads were deleted and restored in the past: about one in thirty, after their last change.</summary>
    public static void AddPastRestorations(PipedriveCompany data, Random random, DateTime now)
    {
        foreach (var deal in data.Deals.Where(d => !d.IsDeleted))
        {
            if (random.NextDouble() >= 1.0 / 30) continue;
            var deletedAt = PipedriveGenerator.RandomTime(random, deal.UpdateTime.AddSeconds(1), now);
            var restoredAt = PipedriveGenerator.RandomTime(random, deletedAt.AddSeconds(1), now);
            if (deletedAt <= deal.UpdateTime || restoredAt <= deletedAt || restoredAt >= now) continue;
            Delete(deal, deal.OwnerId, deletedAt);
            Restore(deal, deal.OwnerId, restoredAt);
        }
    }
}
