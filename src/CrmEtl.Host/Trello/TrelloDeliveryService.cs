using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrmEtl.Host.Trello;

/// <summary>In every worker: a delivery pass every Trello:PollEvery.</summary>
public sealed class TrelloDeliveryService(TrelloDeliveries deliveries, IOptions<TrelloOptions> options, TimeProvider clock, ILogger<TrelloDeliveries> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollEvery, clock);
        do
        {
            try
            {
                await deliveries.DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // A database hiccup: the events stay in the outbox for the next pass.
                TrelloDeliveries.PassFailed(logger, e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
