using System.CommandLine;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Scheduling;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl instances: list, add, test, edit, disable, enable, reset, remove — the same operations as /api/instances.</summary>
internal static class InstanceCommands
{
    public static Command Build()
    {
        var command = new Command("instances", "List connected CRM instances; add, test, edit, disable, enable, reset or remove one.");
        command.SetAction((_, ct) => CrmEtlCli.WithHost(ListAsync, ct));
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Edit());
        command.Subcommands.Add(OnOne("test", "Sign in to the CRM and list its pipelines and stages; sets the instance's status.", TestAsync));
        command.Subcommands.Add(OnOne("disable", "Stop scheduled and requested runs of the instance (its data and numbers stay).", async (host, i, ct) =>
        {
            await Lifecycle(host).DisableAsync(i, ct);
            Console.WriteLine($"Disabled '{i.Name}': no scheduled or requested runs until 'crmetl instances enable'.");
            return ExitCodes.Ok;
        }));
        command.Subcommands.Add(OnOne("enable", "Schedule the instance again, after a connection test.", async (host, i, ct) =>
        {
            var test = await Lifecycle(host).EnableAsync(i, ct);
            Console.WriteLine($"Enabled '{i.Name}': {test.Status}.");
            return PrintTest(test);
        }));
        var yes = new Option<bool>("--yes") { Description = "Confirm: the replica, mappings and metrics of the instance are deleted." };
        command.Subcommands.Add(OnOne("reset", "Drop the instance's replica, mappings and metrics in one transaction; the next run is a full sync.", async (host, i, ct) =>
        {
            await Lifecycle(host).ResetAsync(i, ct);
            Console.WriteLine($"Reset '{i.Name}': its replica, mappings and metrics are gone; the next run reads everything again.");
            return ExitCodes.Ok;
        }, yes));
        command.Subcommands.Add(OnOne("remove", "Remove an instance and everything synced from it.", async (host, i, ct) =>
        {
            await Lifecycle(host).RemoveAsync(i, ct);
            Console.WriteLine($"Removed '{i.Name}'.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static InstanceLifecycle Lifecycle(IHost host) => host.Services.GetRequiredService<InstanceLifecycle>();

    private static async Task<int> ListAsync(IHost host, CancellationToken ct)
    {
        var all = await host.Services.GetRequiredService<InstanceRepository>().ListAsync(ct);
        if (all.Count == 0) { Console.WriteLine("No instances yet. Add one with 'crmetl instances add'."); return ExitCodes.Ok; }
        var schedules = host.Services.GetRequiredService<InstanceSchedules>();
        // A few plain lines per instance: readable on a narrow terminal and in a piped log alike.
        foreach (var i in all)
        {
            var next = await schedules.NextFireAsync(i.Id, ct);
            Console.WriteLine($"{i.Name} (id {i.Id}, {i.Kind}): {i.Status}");
            Console.WriteLine($"  {i.BaseUrl}  credentials {i.Credentials}" + (i.Company is null ? "" : $"  company {i.Company}"));
            Console.WriteLine($"  {i.TimeZone}, {i.ReportingCurrency}, schedule '{i.Schedule}'" + (next is { } n ? $", next run {n:yyyy-MM-dd HH:mm} UTC" : ", not scheduled"));
            if (i.LastError is not null) Console.WriteLine($"  last error: {i.LastError}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>The options add and edit share; for edit every one is optional.</summary>
    private sealed class InputOptions
    {
        public readonly Option<string?> Name = new("--name") { Description = "A unique name, e.g. \"Acme Finland\"." };
        public readonly Option<string?> Kind = new("--kind") { Description = "pipedrive, zoho or kommo (default pipedrive)." };
        public readonly Option<string?> Url = new("--url") { Description = "Pipedrive: the account's base URL, e.g. https://acme.pipedrive.com. Zoho: the accounts server of its data centre, e.g. https://accounts.zoho.eu. Kommo: the account's address, e.g. https://acme.kommo.com." };
        public readonly Option<string?> Token = new("--token") { Description = "The API token (stored encrypted); Kommo: a long-lived token." };
        public readonly Option<string?> TokenEnv = new("--token-env") { Description = "Name of an environment variable holding the API token (not stored)." };
        public readonly Option<string?> ClientId = new("--client-id") { Description = "Zoho: the OAuth client id from Zoho's API console. Kommo: the integration's ID." };
        public readonly Option<string?> ClientSecret = new("--client-secret") { Description = "Zoho: the OAuth client secret; Kommo: the integration's secret key (stored encrypted)." };
        public readonly Option<string?> RefreshToken = new("--refresh-token") { Description = "Zoho: a refresh token with the scopes ZohoCRM.modules.READ, settings.READ, users.READ, org.READ; Kommo: a refresh token (stored encrypted)." };
        public readonly Option<string?> Code = new("--code") { Description = "Kommo: the authorization code from granting the integration access (works once, for 20 minutes), exchanged at once for a refresh token." };
        public readonly Option<string?> TimeZone = new("--time-zone") { Description = "IANA time zone for dates in reports and for the schedule (default UTC)." };
        public readonly Option<string?> Currency = new("--currency") { Description = "Reporting currency, ISO code (default EUR)." };
        public readonly Option<string?> Company = new("--company") { Description = "The group company the instance belongs to (\"\" clears it)." };
        public readonly Option<string?> Schedule = new("--schedule") { Description = "Quartz cron in the instance's time zone (default '0 0 2 * * ?', 02:00 every day)." };

        public IEnumerable<Option> All => [Name, Kind, Url, Token, TokenEnv, ClientId, ClientSecret, RefreshToken, Code, TimeZone, Currency, Company, Schedule];

        public InstanceInput Read(ParseResult p) => new(p.GetValue(Name), p.GetValue(Kind), p.GetValue(Url), p.GetValue(Token), p.GetValue(TokenEnv),
            p.GetValue(TimeZone), p.GetValue(Currency), p.GetValue(Company), p.GetValue(Schedule),
            p.GetValue(ClientId), p.GetValue(ClientSecret), p.GetValue(RefreshToken), p.GetValue(Code));
    }

    private static Command Add()
    {
        var input = new InputOptions();
        var command = new Command("add", "Connect a CRM instance; it is scheduled at once.");
        foreach (var option in input.All) command.Options.Add(option);
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var added = await Lifecycle(host).AddAsync(input.Read(parse), ct2);
            Console.WriteLine($"Added instance {added.Id} '{added.Name}' ({added.Kind}, credentials {added.Credentials}, schedule '{added.Schedule}' in {added.TimeZone}). Check it with 'crmetl instances test \"{added.Name}\"'.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Edit()
    {
        var input = new InputOptions();
        var name = new Argument<string>("instance") { Description = "The instance to change (its current name)." };
        var command = new Command("edit", "Change an instance; options left out stay as they are. A new schedule or time zone applies at once.") { name };
        foreach (var option in input.All) command.Options.Add(option);
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var instance = await Lifecycle(host).FindAsync(parse.GetValue(name)!, ct2);
            var edited = await Lifecycle(host).EditAsync(instance, input.Read(parse), ct2);
            Console.WriteLine($"Changed '{edited.Name}': {edited.Kind} at {edited.BaseUrl}, credentials {edited.Credentials}, {edited.TimeZone}, {edited.ReportingCurrency}, schedule '{edited.Schedule}'.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static async Task<int> TestAsync(IHost host, Instance instance, CancellationToken ct) => PrintTest(await Lifecycle(host).TestAsync(instance, ct));

    private static int PrintTest(ConnectionTest test)
    {
        if (test.Error is not null)
        {
            Console.Error.WriteLine($"{test.Status}: {test.Error}");
            return test.Status == InstanceStatus.AuthFailed ? ExitCodes.AuthFailed : ExitCodes.Failed;
        }
        Console.WriteLine($"{test.Status}: {test.Pipelines.Count} pipeline(s)");
        foreach (var p in test.Pipelines)
            Console.WriteLine($"  {p.Name} (id {p.Id}): {string.Join(" > ", p.Stages.Select(s => s.Name))}");
        return ExitCodes.Ok;
    }

    /// <summary>A verb on one instance named by its argument; with a confirmation option, refuses to act without it.</summary>
    private static Command OnOne(string verb, string description, Func<IHost, Instance, CancellationToken, Task<int>> act, Option<bool>? confirm = null)
    {
        var name = new Argument<string>("instance") { Description = "The instance (its name)." };
        var command = new Command(verb, description) { name };
        if (confirm is not null) command.Options.Add(confirm);
        command.SetAction((parse, ct) =>
        {
            if (confirm is not null && !parse.GetValue(confirm))
            {
                Console.Error.WriteLine($"'crmetl instances {verb}' deletes data; run it again with {confirm.Name} to confirm.");
                return Task.FromResult(ExitCodes.BadInput);
            }
            return CrmEtlCli.WithHost(async (host, ct2) => await act(host, await Lifecycle(host).FindAsync(parse.GetValue(name)!, ct2), ct2), ct);
        });
        return command;
    }
}
