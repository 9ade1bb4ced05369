using System.Text.Json;
using CrmEtl.Core.Customers;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Replica;
using CrmEtl.Core.Sync;
using CrmEtl.Storage.Customers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Host.Customers;

/// <summary>An instance's part of a fresh card: the rows read from the CRM (null when it was not read), and where they come from.</summary>
public sealed record FreshPart(FreshRows? Rows, CardSource Source);

/// <summary>
/// Reads a customer from the CRM for a card (fresh=true): kept for Customers:FreshFor and shared by every worker
/// (etl.card_read); each read first reserves its most (Customers:ReadMaxUnits) from the instance's daily allowance
/// (Customers:FreshShare of its budget) and gives back what it did not spend. The contacts it finds go into the replica.
/// When the CRM fails, or the allowance is spent, the card is the replica's, and says why.
/// </summary>
public sealed class FreshCards(
    CardReads reads, IEnumerable<ICrmContacts> crms, IReplicaStore replica, IOptions<FreshCardOptions> options, TimeProvider clock, ILogger<FreshCards> logger)
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public async Task<FreshPart> ReadAsync(Instance instance, CardInstance shown, IReadOnlyList<string> emails, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var settings = options.Value;
        if (await reads.FindAsync(instance.Id, emails, now - settings.FreshFor, ct) is { } kept)
            return new FreshPart(kept.Rows, FromCrm(shown, kept.ReadAt, now));
        var crm = crms.FirstOrDefault(c => c.Kind == instance.Kind);
        if (crm is null) return Replica(shown, now, $"{instance.Name}: a {instance.Kind} CRM cannot be read fresh");

        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var allowance = settings.DailyAllowance(instance.Kind);
        if (allowance <= 0) return Replica(shown, now, $"{instance.Name}: fresh reads are off (Customers:FreshShare is 0)");
        var reserve = Math.Min(settings.ReadMaxUnits, allowance);
        if (!await reads.ReserveAsync(instance.Id, day, reserve, allowance, ct))
        {
            CustomerLog.FreshBudgetSpent(logger, instance.Name, allowance);
            return Replica(shown, now, $"{instance.Name}: today's share of the API budget for fresh cards ({allowance} units) is spent");
        }
        var spending = new ReadAllowance(reserve);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(settings.FreshTimeout);
        try
        {
            var reading = await crm.ReadCustomerAsync(instance, emails, spending, logger, patience.Token);
            var rows = await RowsAsync(instance.Id, reading, ct);
            await reads.SaveAsync(instance.Id, emails, rows, now, ct);
            if (reading.Contacts.Count > 0)
            {
                var batch = new ReplicaBatch();
                batch.Contacts.AddRange(reading.Contacts);
                await replica.CommitAsync(instance.Id, batch, ct);
            }
            return new FreshPart(rows, FromCrm(shown, now, now));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            var waited = $"{settings.FreshTimeout.TotalSeconds:0.#} s";
            CustomerLog.FreshReadFailed(logger, instance.Name, $"no answer within {waited}");
            return Replica(shown, now, $"{instance.Name} did not answer within {waited}");
        }
        catch (CrmException e)
        {
            CustomerLog.FreshReadFailed(logger, instance.Name, e.Message);
            return Replica(shown, now, e is CrmBudgetExhaustedException
                ? $"{instance.Name}: {e.Message.TrimEnd('.')}"
                : $"{instance.Name} did not answer now ({e.Message.TrimEnd('.')})");
        }
        finally
        {
            await reads.GiveBackAsync(instance.Id, day, reserve - spending.Spent, CancellationToken.None);
        }
    }

    /// <summary>The reading in the card's terms: stage, pipeline and organization names from the replica.</summary>
    private async Task<FreshRows> RowsAsync(int instanceId, CustomerReading reading, CancellationToken ct)
    {
        var names = await reads.NamesAsync(instanceId, reading.Contacts.Select(c => c.OrgId).OfType<long>().Distinct().ToList(), ct);
        var contacts = reading.Contacts.Select(c => new CardContactRow(instanceId, c.Id, c.Name, names.Organization(c.OrgId),
            JsonSerializer.Serialize(c.Emails, Json), JsonSerializer.Serialize(c.Phones, Json))).ToList();
        var deals = reading.Deals.Select(d =>
        {
            if (!reading.StageNames.TryGetValue(d.Id, out var named))
                return new CardDealRow(instanceId, d.Id, d.PersonId ?? 0, d.Title, d.Value, d.Currency, d.Status, names.Stage(d.StageId), names.Pipeline(d.PipelineId), d.AddTime);
            var stage = names.StageNamed(named.Pipeline, named.Stage);
            var status = stage?.ForecastType switch { "Closed Won" => "won", "Closed Lost" => "lost", _ => d.Status };
            return new CardDealRow(instanceId, d.Id, d.PersonId ?? 0, d.Title, d.Value, d.Currency, status, named.Stage, named.Pipeline, d.AddTime);
        }).ToList();
        var activities = reading.Activities.Where(a => a.DealId is not null && a.DueDate is not null)
            .Select(a => new PlannedActivity(instanceId, a.DealId!.Value, a.Subject ?? "", a.Type ?? "", a.DueDate!.Value, a.DueTime)).ToList();
        return new FreshRows(contacts, deals, activities);
    }

    private static CardSource FromCrm(CardInstance shown, DateTimeOffset readAt, DateTimeOffset now) =>
        new(shown.Id, shown.Name, "crm", readAt, Math.Round((now - readAt).TotalSeconds), null);

    private static FreshPart Replica(CardInstance shown, DateTimeOffset now, string why)
    {
        var source = CustomerCardBuilder.FromReplica(shown, now);
        var age = source.AgeSeconds is { } seconds ? $"the replica as of {CardAge.Of(seconds)} ago" : "the replica, never synced yet";
        return new FreshPart(null, source with { Note = $"{why}: showing {age}." });
    }
}
