using CrmEtl.Connectors.Trello;
using CrmEtl.Core.Trello;
using CrmEtl.Host.Instances;
using CrmEtl.Storage.Instances;
using CrmEtl.Storage.Trello;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CrmEtl.Host.Trello;

/// <summary>What one delivery pass did.</summary>
public sealed record DeliveryPass(int Delivered, int Found, int PutOff, int Failed, int Cancelled)
{
    public static readonly DeliveryPass None = new(0, 0, 0, 0, 0);

    public DeliveryPass Add(DeliveryPass o) => new(Delivered + o.Delivered, Found + o.Found, PutOff + o.PutOff, Failed + o.Failed, Cancelled + o.Cancelled);
}

/// <summary>
/// Makes the Trello cards of the outbox's due events, exactly one per event. A worker takes a company's events only while
/// it holds the lock of the company's Trello API key, claims a batch for Trello:ClaimFor, and for each event: a rule ended meanwhile
/// cancels it; an event whose card may already have been asked for (maybe_sent) is first looked for on its list; the event
/// is marked maybe-sent, then the card is made and recorded. 429s wait as Trello asks without counting as attempts; 5xx
/// and unanswered calls are tried again with a growing back-off, up to Trello:MaxAttempts; a refused key or token is
/// recorded on the connection; a board or list gone from Trello switches its rule off with the reason.
/// </summary>
public sealed partial class TrelloDeliveries(
    TrelloOutbox outbox, TrelloRuleStore rules, TrelloConnections connections, InstanceLocks locks, WebAddresses webAddresses,
    IOptions<TrelloOptions> options, TimeProvider clock, ILogger<TrelloDeliveries> logger)
{
    private static readonly TimeSpan WebAddressPatience = TimeSpan.FromSeconds(10);
    private readonly string _worker = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}"[..^24];

    /// <summary>Delivers every due event of every company whose lock this worker gets.</summary>
    public async Task<DeliveryPass> DeliverDueAsync(CancellationToken ct)
    {
        var pass = DeliveryPass.None;
        foreach (var company in await outbox.CompaniesDueAsync(ct))
        {
            // One worker at a time per Trello API key (companies may share one, a Power-Up's): this process's pace is then all
            // the key's calls, and all its token's.
            var key = (await connections.AccessAsync(company, ct))?.Credentials.Key ?? company;
            await using var held = await locks.TryAcquireTrelloAsync(key, ct);
            if (held is null) continue; // another worker delivers the cards made with this key
            pass = pass.Add(await DeliverCompanyAsync(company, ct));
        }
        return pass;
    }

    private async Task<DeliveryPass> DeliverCompanyAsync(string company, CancellationToken ct)
    {
        var pass = DeliveryPass.None;
        var o = options.Value;
        while (await outbox.ClaimAsync(company, _worker, o.BatchSize, o.ClaimFor, ct) is { Count: > 0 } batch)
        {
            TrelloClient client;
            try
            {
                client = await connections.ClientAsync(company, ct);
            }
            catch (InstanceNotFoundException e)
            {
                foreach (var waiting in batch) pass = pass.Add(await PutOffAsync(waiting, e.Message, counts: true, waiting.MaybeSent, null, ct));
                return pass;
            }
            // Several calls in flight (Trello:Concurrency), so that Trello's answer time does not hold the pace under its limit;
            // the pace decides when each goes.
            string? stop = null;
            var gate = new Lock();
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = o.Concurrency, CancellationToken = ct }, async (happened, token) =>
            {
                // Once Trello refused the key or token, the rest of the batch would be refused too: it waits for the same back-off.
                var (done, refused) = Volatile.Read(ref stop) is { } why
                    ? (await PutOffAsync(happened, why, counts: true, happened.MaybeSent, null, token), null)
                    : await DeliverAsync(client, happened, token);
                lock (gate) pass = pass.Add(done);
                if (refused is not null) Interlocked.CompareExchange(ref stop, refused, null);
            });
            if (stop is not null) return pass;
        }
        return pass;
    }

    /// <summary>One event: its outcome, and the reason to stop the company's batch when Trello refused the credentials.</summary>
    private async Task<(DeliveryPass Done, string? Stop)> DeliverAsync(TrelloClient client, TrelloEventToDeliver e, CancellationToken ct)
    {
        if (!e.RuleActive)
        {
            await outbox.EndAsync(e.Id, TrelloDeliveryStatus.Cancelled, $"Rule {e.RuleId} ended before the card was made ({e.RuleEndedWhy}).", ct);
            return (DeliveryPass.None with { Cancelled = 1 }, null);
        }
        var deal = await outbox.DealAsync(e.InstanceId, e.DealId, ct);
        if (deal is null)
        {
            await outbox.EndAsync(e.Id, TrelloDeliveryStatus.Failed, $"Deal {e.DealId} is not in the replica any more: run a full sync of the instance, then retry ('crmetl deliveries retry {e.Id}').", ct);
            return (DeliveryPass.None with { Failed = 1 }, null);
        }
        if (deal.WebAddress is null) deal = deal with { WebAddress = await webAddresses.ReadAsync(e.InstanceId, WebAddressPatience, ct) };
        var card = TrelloCardText.Build(e.ListId, deal, new DealEvent(e.Kind, new DateTimeOffset(DateTime.SpecifyKind(e.HappenedAt, DateTimeKind.Utc)), e.RuleStage, e.EventKey));
        var maybeSent = e.MaybeSent;
        try
        {
            if (maybeSent)
            {
                // An earlier attempt may have made the card and lost the answer (or the worker): look before making another.
                var made = (await client.CardsAsync(e.ListId, ct)).FirstOrDefault(c => TrelloCardText.IsFor(c, e.EventKey));
                if (made is not null)
                {
                    await outbox.DeliveredAsync(e.Id, made, "The card was found on the list after an attempt whose answer was lost.", ct);
                    CardFound(logger, e.EventKey, e.BoardName, e.ListName, made.ShortUrl ?? made.Url ?? made.Id);
                    return (DeliveryPass.None with { Found = 1 }, null);
                }
            }
            if (!await outbox.MarkMaybeSentAsync(e.Id, _worker, ct)) return (DeliveryPass.None, null); // the claim ran out: another worker has it
            maybeSent = true;
            var created = await client.CreateCardAsync(card, ct);
            await outbox.DeliveredAsync(e.Id, created, null, ct);
            CardMade(logger, e.EventKey, e.BoardName, e.ListName, created.ShortUrl ?? created.Url ?? created.Id);
            return (DeliveryPass.None with { Delivered = 1 }, null);
        }
        catch (TrelloException x) when (x.Kind == TrelloFailure.RateLimited)
        {
            // Not made (Trello refused the call before acting on it); an earlier attempt's uncertainty stays.
            return (await PutOffAsync(e, x.Message, counts: false, e.MaybeSent, x.RetryAfter, ct), null);
        }
        catch (TrelloException x) when (x.Transient)
        {
            return (await PutOffAsync(e, x.Message, counts: true, maybeSent, null, ct), null);
        }
        catch (TrelloException x) when (x.Kind == TrelloFailure.Unauthorized)
        {
            await connections.RecordRefusedAsync(e.Company, x.Message);
            return (await PutOffAsync(e, x.Message, counts: true, e.MaybeSent, null, ct), x.Message);
        }
        catch (TrelloException x) when (x.Kind == TrelloFailure.NotFound)
        {
            var why = $"switched off: the list '{e.ListName}' on board '{e.BoardName}' is gone from Trello (deleted, or the member lost access). Set a new rule for the board.";
            await outbox.EndAsync(e.Id, TrelloDeliveryStatus.Failed, $"Rule {e.RuleId} {why} ({x.Message})", ct);
            // Cards of the rule in flight meanwhile meet the same 404: the first switches the rule off, each fails its own.
            if (!await rules.EndAsync(e.RuleId, null, why, ct)) return (DeliveryPass.None with { Failed = 1 }, null);
            var cancelled = await outbox.CancelPendingAsync(e.RuleId, $"Rule {e.RuleId} {why}", ct);
            RuleSwitchedOff(logger, e.RuleId, e.BoardName, e.ListName, cancelled);
            return (DeliveryPass.None with { Failed = 1, Cancelled = cancelled }, null);
        }
        catch (TrelloException x)
        {
            await outbox.EndAsync(e.Id, TrelloDeliveryStatus.Failed, $"{x.Message} Retry by hand once fixed: 'crmetl deliveries retry {e.Id}'.", ct);
            CardFailed(logger, e.EventKey, x.Message);
            return (DeliveryPass.None with { Failed = 1 }, null);
        }
    }

    private async Task<DeliveryPass> PutOffAsync(TrelloEventToDeliver e, string error, bool counts, bool maybeSent, TimeSpan? wait, CancellationToken ct)
    {
        var o = options.Value;
        var after = wait ?? o.RetryAfter(e.Attempts + 1);
        var status = await outbox.RetryLaterAsync(e.Id, clock.GetUtcNow() + after, error, counts, maybeSent, o.MaxAttempts, ct);
        if (status == TrelloDeliveryStatus.Failed)
        {
            CardFailed(logger, e.EventKey, $"{error} (after {o.MaxAttempts} attempts)");
            return DeliveryPass.None with { Failed = 1 };
        }
        CardPutOff(logger, e.EventKey, after, error);
        return DeliveryPass.None with { PutOff = 1 };
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Trello card made for {EventKey} on {Board} / {List}: {Card}")]
    private static partial void CardMade(ILogger logger, string eventKey, string board, string list, string card);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Trello card for {EventKey} put off for {Wait}: {Reason}")]
    private static partial void CardPutOff(ILogger logger, string eventKey, TimeSpan wait, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Trello card for {EventKey} failed: {Reason}")]
    private static partial void CardFailed(ILogger logger, string eventKey, string reason);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Trello rule {RuleId} switched off: {Board} / {List} is gone from Trello; {Cancelled} waiting cards cancelled")]
    private static partial void RuleSwitchedOff(ILogger logger, int ruleId, string board, string list, int cancelled);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Trello card for {EventKey} was already on {Board} / {List} (an earlier answer was lost): {Card}")]
    private static partial void CardFound(ILogger logger, string eventKey, string board, string list, string card);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Trello deliveries could not run: {Reason}")]
    internal static partial void PassFailed(ILogger logger, string reason);
}
