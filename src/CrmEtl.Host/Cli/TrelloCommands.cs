using System.CommandLine;
using CrmEtl.Core.Trello;
using CrmEtl.Host.Trello;
using CrmEtl.Storage.Trello;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl trello: a company's Trello connection (connect, test, show, disconnect).</summary>
internal static class TrelloCommands
{
    private static readonly Option<string> Company = new("--company") { Description = "The company (its instances' --company, or the instance's name).", Required = true };

    public static Command Build()
    {
        var command = new Command("trello", "Connect a company's Trello account (API key and token), test it, or show it.") { Company };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var connection = await host.Services.GetRequiredService<TrelloConnectionStore>().FindAsync(parse.GetValue(Company)!, ct2);
            Console.WriteLine(connection is null
                ? $"{parse.GetValue(Company)} has not connected Trello. Connect it with 'crmetl trello connect --company \"{parse.GetValue(Company)}\" --key KEY --token-env VAR'."
                : $"{connection.Company}: Trello at {connection.BaseUrl}, key {connection.KeyHint}, token {connection.TokenHint}, {connection.Status}"
                  + (connection.Member is null ? "" : $" as {connection.Member}") + (connection.TestedAt is { } at ? $" (tested {at:yyyy-MM-dd HH:mm} UTC)" : "")
                  + (connection.LastError is null ? "" : $": {connection.LastError}"));
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(Connect());
        command.Subcommands.Add(Test());
        return command;
    }

    private static Command Connect()
    {
        var key = new Option<string>("--key") { Description = "The Trello API key (32 hexadecimal characters; https://trello.com/power-ups/admin).", Required = true };
        var tokenEnv = new Option<string?>("--token-env") { Description = "Name of an environment variable holding the member's token." };
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "Read the token from standard input." };
        var url = new Option<string?>("--url") { Description = $"Trello's API address ({TrelloAccess.TrelloApi}; a sandbox's for trying it out)." };
        var command = new Command("connect", "Store a company's Trello API key and token (encrypted) and test them: prints the member and their boards with lists.")
            { Company, key, tokenEnv, tokenStdin, url };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var token = parse.GetValue(tokenStdin) ? Console.In.ReadLine()?.Trim()
                : parse.GetValue(tokenEnv) is { } name ? Environment.GetEnvironmentVariable(name)
                : throw new ArgumentException("Give the token with --token-env VAR (an environment variable holding it) or --token-stdin.");
            return await TestedAsync(host, c => c.ConnectAsync(parse.GetValue(Company)!, parse.GetValue(url), parse.GetValue(key), token, Environment.UserName, ct2));
        }, ct));
        return command;
    }

    private static Command Test()
    {
        var command = new Command("test", "Sign in to Trello with the stored key and token: prints the member and their boards with lists.") { Company };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost((host, ct2) =>
            TestedAsync(host, c => c.TestAsync(parse.GetValue(Company)!, ct2)), ct));
        return command;
    }

    private static async Task<int> TestedAsync(IHost host, Func<TrelloConnections, Task<TrelloTestResult>> test)
    {
        try
        {
            var result = await test(host.Services.GetRequiredService<TrelloConnections>());
            Console.WriteLine($"Connected to Trello as {result.Member}: {result.Boards.Count} open boards.");
            foreach (var (board, lists) in result.Boards)
                Console.WriteLine($"  {board.Name} ({board.Id}): {string.Join(", ", lists.Select(l => $"{l.Name} ({l.Id})"))}");
            return ExitCodes.Ok;
        }
        catch (TrelloException e)
        {
            Console.Error.WriteLine(e.Message);
            return e.Kind == TrelloFailure.Unauthorized ? ExitCodes.AuthFailed : ExitCodes.Failed;
        }
    }
}
