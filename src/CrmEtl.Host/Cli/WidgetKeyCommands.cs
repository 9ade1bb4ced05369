using System.CommandLine;
using CrmEtl.Host.Api;
using CrmEtl.Host.Customers;
using CrmEtl.Storage.Customers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl widget-keys: the helpdesk widget's keys (list, add, agents, revoke).</summary>
internal static class WidgetKeyCommands
{
    private static readonly Option<string[]> Agents = new("--agent") { Description = "An agent's id as the helpdesk sends it (agent=); repeat for several.", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<string[]> Groups = new("--group") { Description = "A group of agents as the helpdesk sends it (group=); repeat for several.", AllowMultipleArgumentsPerToken = true };

    public static Command Build()
    {
        var company = new Option<string?>("--company") { Description = "Only this company's keys." };
        var command = new Command("widget-keys", "List the helpdesk widget's keys; add one, choose its agents or revoke it.") { company };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var keys = await host.Services.GetRequiredService<WidgetKeyStore>().ListAsync(parse.GetValue(company), ct2);
            if (keys.Count == 0) Console.WriteLine("No widget keys yet. Add one with 'crmetl widget-keys add --company G --name Zendesk'.");
            foreach (var k in keys) Console.WriteLine(Describe(k));
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(Add());
        command.Subcommands.Add(AgentsCommand());
        command.Subcommands.Add(Revoke());
        return command;
    }

    private static string Describe(WidgetKey k) =>
        $"{k.Id}  {k.Company}  {k.Name}  {k.Prefix}…  {k.Audience}  created {k.CreatedAt:yyyy-MM-dd HH:mm} UTC"
        + (k.RevokedAt is { } revoked ? $"  REVOKED {revoked:yyyy-MM-dd HH:mm} UTC" : "");

    private static Command Add()
    {
        var company = new Option<string>("--company") { Description = "The company whose customers the widget shows (its instances' --company, or the instance's name).", Required = true };
        var name = new Option<string>("--name") { Description = "What the key is for, e.g. the helpdesk's name.", Required = true };
        var address = new Option<string?>("--address") { Description = "The worker's address as the helpdesk reaches it (your TLS proxy), for the snippet; Api:Urls when left out." };
        var command = new Command("add", "Add a widget key; prints it (shown once) and the iframe to paste into the helpdesk. No --agent and no --group: every agent.")
            { company, name, Agents, Groups, address };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var (key, secret) = await host.Services.GetRequiredService<WidgetKeys>().CreateAsync(parse.GetValue(company)!, parse.GetValue(name)!,
                parse.GetValue(Agents) ?? [], parse.GetValue(Groups) ?? [], Environment.UserName, ct2);
            var worker = parse.GetValue(address) ?? host.Services.GetRequiredService<IOptions<ApiOptions>>().Value.Urls.Split(';')[0];
            Console.WriteLine($"Added widget key {key.Id} '{key.Name}' for {key.Company} ({key.Audience}).");
            Console.WriteLine($"Key: {secret}  (shown once; it goes into the helpdesk's app settings)");
            Console.WriteLine("Paste into the helpdesk's sidebar app, with its placeholders for the ticket's e-mail and the agent:");
            Console.WriteLine(WidgetKeys.Snippet(worker, secret));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command AgentsCommand()
    {
        var id = new Argument<int>("id") { Description = "The key's number ('crmetl widget-keys' lists them)." };
        var command = new Command("agents", "Replace which agents or groups may use a key; with no --agent and no --group every agent may.") { id, Agents, Groups };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            await host.Services.GetRequiredService<WidgetKeys>().SetAudienceAsync(parse.GetValue(id), null, parse.GetValue(Agents) ?? [], parse.GetValue(Groups) ?? [], ct2);
            var key = (await host.Services.GetRequiredService<WidgetKeyStore>().ListAsync(null, ct2)).First(k => k.Id == parse.GetValue(id));
            Console.WriteLine($"Widget key {key.Id} '{key.Name}' of {key.Company}: {key.Audience}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Revoke()
    {
        var id = new Argument<int>("id") { Description = "The key's number ('crmetl widget-keys' lists them)." };
        var command = new Command("revoke", "Revoke a key: the widget that uses it says so from its next request on.") { id };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            await host.Services.GetRequiredService<WidgetKeys>().RevokeAsync(parse.GetValue(id), null, ct2);
            Console.WriteLine($"Widget key {parse.GetValue(id)} is revoked.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
