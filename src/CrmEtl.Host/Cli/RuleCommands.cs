using System.CommandLine;
using CrmEtl.Core.Trello;
using CrmEtl.Host.Trello;
using CrmEtl.Storage.Trello;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl rules: which deal events make a card on which Trello board (list, set, remove).</summary>
internal static class RuleCommands
{
    public static Command Build()
    {
        var command = List(new Command("rules", "List the Trello rules: which deal events make a card on which board and list."));
        command.Subcommands.Add(List(new Command("list", "List the Trello rules (the same as 'crmetl rules').")));
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command List(Command command)
    {
        var company = new Option<string?>("--company") { Description = "Only this company's rules." };
        var history = new Option<bool>("--history") { Description = "Also the rules that were replaced, removed or switched off." };
        command.Options.Add(company);
        command.Options.Add(history);
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var rules = await host.Services.GetRequiredService<TrelloRuleStore>().ListAsync(parse.GetValue(company), parse.GetValue(history), ct2);
            if (rules.Count == 0) Console.WriteLine("No Trello rules yet. Set one with 'crmetl rules set --instance I --board B --list L --kind added|won_or_lost|moved_to'.");
            foreach (var r in rules) Console.WriteLine(Describe(r));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static string Describe(TrelloRule r) =>
        $"{r.Id}  {r.Instance}: when {r.Event}, a card on \"{r.BoardName}\" / \"{r.ListName}\"  since {r.CreatedAt:yyyy-MM-dd HH:mm} UTC"
        + (r.EndedAt is { } ended ? $"  ENDED {ended:yyyy-MM-dd HH:mm} UTC ({r.EndedWhy})" : "");

    private static Command Set()
    {
        var instance = new Option<string>("--instance") { Description = "The instance whose deals the rule watches (name or id).", Required = true };
        var board = new Option<string>("--board") { Description = "The Trello board (name or id): one rule per board, a new one replaces the old.", Required = true };
        var list = new Option<string>("--list") { Description = "The board's list the cards go to (name or id).", Required = true };
        var kind = new Option<string>("--kind") { Description = "added, won_or_lost or moved_to.", Required = true };
        var outcome = new Option<string?>("--outcome") { Description = "won_or_lost: won, lost or both (default)." };
        var pipeline = new Option<string?>("--pipeline") { Description = "moved_to: the stage's pipeline, when several have a stage of that name." };
        var stage = new Option<string?>("--stage") { Description = "moved_to: the stage a deal arrives at (name or id)." };
        var command = new Command("set", "Set the rule of a board: a card on its list when a deal is added, won or lost, or moved to a stage.") { instance, board, list, kind, outcome, pipeline, stage };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            try
            {
                var (rule, replaced) = await host.Services.GetRequiredService<TrelloRules>().SetAsync(new TrelloRuleInput(parse.GetValue(instance), parse.GetValue(board),
                    parse.GetValue(list), parse.GetValue(kind), parse.GetValue(outcome), parse.GetValue(pipeline), parse.GetValue(stage)), Environment.UserName, null, ct2);
                Console.WriteLine($"Rule {rule.Id}: when {rule.Event} in {rule.Instance}, a card on \"{rule.BoardName}\" / \"{rule.ListName}\". Deals already there make no card.");
                if (replaced is not null) Console.WriteLine($"It replaces rule {replaced.Id} on that board (when {replaced.Event}), which no longer makes cards.");
                return ExitCodes.Ok;
            }
            catch (TrelloException e)
            {
                Console.Error.WriteLine(e.Message);
                return e.Kind == TrelloFailure.Unauthorized ? ExitCodes.AuthFailed : ExitCodes.Failed;
            }
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var id = new Argument<int>("id") { Description = "The rule's number ('crmetl rules' lists them)." };
        var command = new Command("remove", "Remove a rule: it makes no more cards; it stays in 'crmetl rules --history'.") { id };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            await host.Services.GetRequiredService<TrelloRules>().RemoveAsync(parse.GetValue(id), null, ct2);
            Console.WriteLine($"Rule {parse.GetValue(id)} is removed.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
