using System.CommandLine;
using CrmEtl.Host.Trello;
using CrmEtl.Storage.Trello;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl deliveries: the Trello cards the rules asked for, how each stands, and what to do when one failed.</summary>
internal static class DeliveryCommands
{
    public static Command Build()
    {
        var company = new Option<string?>("--company") { Description = "Only this company's cards." };
        var status = new Option<string?>("--status") { Description = "Only cards in this state: pending, delivered, failed or cancelled." };
        var limit = new Option<int>("--limit") { Description = "At most this many, newest first (default 50).", DefaultValueFactory = _ => 50 };
        var command = new Command("deliveries", "List the Trello cards the rules asked for: made (with their links), waiting, failed (with the reason) or cancelled.")
            { company, status, limit };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var wanted = parse.GetValue(status)?.Trim().ToLowerInvariant();
            if (wanted is not null && !TrelloDeliveryStatus.All.Contains(wanted))
            {
                Console.Error.WriteLine($"--status '{wanted}' is not a delivery state: use {string.Join(", ", TrelloDeliveryStatus.All)}.");
                return ExitCodes.BadInput;
            }
            var rows = await host.Services.GetRequiredService<TrelloOutbox>().ListAsync(parse.GetValue(company), wanted, Math.Max(1, parse.GetValue(limit)), ct2);
            if (rows.Count == 0) Console.WriteLine("No Trello cards yet: they come when a rule's event happens ('crmetl rules').");
            foreach (var d in rows) Console.WriteLine(Describe(d));
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(Retry());
        command.Subcommands.Add(Send());
        return command;
    }

    public static string Describe(TrelloDelivery d)
    {
        var what = $"{d.Id}  {d.Status.ToUpperInvariant()}  {d.Instance}: deal {d.DealId} \"{d.DealTitle}\" {d.Kind} {d.HappenedAt:yyyy-MM-dd HH:mm} UTC → \"{d.BoardName}\" / \"{d.ListName}\"";
        return d.Status switch
        {
            TrelloDeliveryStatus.Delivered => $"{what}  {d.CardUrl}",
            TrelloDeliveryStatus.Pending => $"{what}  next try {d.NextAttemptAt:yyyy-MM-dd HH:mm:ss} UTC" + (d.Attempts > 0 || d.LastError is not null ? $" after {d.Attempts} failed attempt(s): {d.LastError}" : ""),
            _ => $"{what}  after {d.Attempts} attempt(s): {d.LastError}",
        };
    }

    private static Command Retry()
    {
        var id = new Argument<long?>("id") { Description = "The failed card's number ('crmetl deliveries --status failed').", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--failed") { Description = "Every failed card (of --company when given)." };
        var company = new Option<string?>("--company") { Description = "With --failed: only this company's." };
        var command = new Command("retry", "Try failed cards again now, with their attempts counted afresh.") { id, all, company };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            if (parse.GetValue(id) is null == !parse.GetValue(all))
            {
                Console.Error.WriteLine("Say which failed card to retry: 'crmetl deliveries retry ID', or every failed one with 'crmetl deliveries retry --failed [--company C]'.");
                return ExitCodes.BadInput;
            }
            var retried = await host.Services.GetRequiredService<TrelloOutbox>().RetryFailedAsync(parse.GetValue(company), parse.GetValue(id), ct2);
            if (retried == 0 && parse.GetValue(id) is { } one)
            {
                Console.Error.WriteLine($"There is no failed card {one}: 'crmetl deliveries --status failed' lists them.");
                return ExitCodes.BadInput;
            }
            Console.WriteLine($"{retried} card(s) will be tried again at the worker's next pass (or now with 'crmetl deliveries send').");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Send()
    {
        var command = new Command("send", "Make the cards that are due now, from this process (a worker does it every Trello:PollEvery).");
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var pass = await host.Services.GetRequiredService<TrelloDeliveries>().DeliverDueAsync(ct2);
            Console.WriteLine($"{pass.Delivered} card(s) made, {pass.Found} found already made, {pass.PutOff} put off, {pass.Failed} failed, {pass.Cancelled} cancelled.");
            return pass.Failed > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        }, ct));
        return command;
    }
}
