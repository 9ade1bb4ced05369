using System.CommandLine;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Sync;
using CrmEtl.Storage.Database;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Serilog.Events;
using Spectre.Console;

namespace CrmEtl.Host.Cli;

/// <summary>The crmetl verbs: demo, sandbox, migrate, instances, sync, bench.</summary>
public static class CrmEtlCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("CrmEtl: syncs Pipedrive and Zoho CRM accounts into PostgreSQL analytics tables.");
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(SandboxCommand.Build());
        root.Subcommands.Add(BenchCommand.Build());
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(Instances());
        root.Subcommands.Add(SyncCommand());
        root.Subcommands.Add(ConfigCommands.Mapping());
        root.Subcommands.Add(ConfigCommands.Config());
        root.Subcommands.Add(ConfigCommands.Compute());
        root.Subcommands.Add(AnalyticsCommands.BiUser());
        root.Subcommands.Add(AnalyticsCommands.Export());
        return root;
    }

    private static Command Migrate()
    {
        var command = new Command("migrate", "Apply the database schema (db/migrations) to the configured database.");
        command.SetAction((_, ct) => WithHost(async (host, ct2) =>
        {
            var applied = await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(ct2);
            Console.WriteLine(applied.Count == 0 ? "The schema is up to date." : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
            return ExitCodes.Ok;
        }, ct, applySchema: false));
        return command;
    }

    private static Command Instances()
    {
        var command = new Command("instances", "List connected CRM instances; add or remove one.");
        command.SetAction((_, ct) => WithHost(async (host, ct2) =>
        {
            var all = await host.Services.GetRequiredService<InstanceRepository>().ListAsync(ct2);
            if (all.Count == 0) { Console.WriteLine("No instances yet. Add one with 'crmetl instances add'."); return ExitCodes.Ok; }
            var table = new Table().AddColumns("Id", "Name", "Kind", "Company", "URL", "Token", "Time zone", "Currency", "Status", "Last error");
            foreach (var i in all)
                table.AddRow(Markup.Escape($"{i.Id}"), Markup.Escape(i.Name), i.Kind, Markup.Escape(i.Company ?? ""), Markup.Escape(i.BaseUrl),
                    Markup.Escape(i.Credentials.ToString()), i.TimeZone, i.ReportingCurrency, i.Status, Markup.Escape(i.LastError ?? ""));
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, ct));

        var name = new Option<string>("--name") { Description = "A unique name, e.g. \"Acme Finland\".", Required = true };
        var kind = new Option<string>("--kind") { Description = "pipedrive or zoho.", DefaultValueFactory = _ => InstanceKinds.Pipedrive };
        kind.AcceptOnlyFromAmong([.. InstanceKinds.All]);
        var url = new Option<string>("--url") { Description = "The account's base URL, e.g. https://acme.pipedrive.com.", Required = true };
        var token = new Option<string?>("--token") { Description = "The API token (stored in the database)." };
        var tokenEnv = new Option<string?>("--token-env") { Description = "Name of an environment variable holding the API token (not stored)." };
        var zone = new Option<string>("--time-zone") { Description = "IANA time zone for dates in reports.", DefaultValueFactory = _ => "UTC" };
        var currency = new Option<string>("--currency") { Description = "Reporting currency (ISO code).", DefaultValueFactory = _ => "EUR" };
        var company = new Option<string?>("--company") { Description = "The group company the instance belongs to." };
        var add = new Command("add", "Connect a CRM instance.") { name, kind, url, token, tokenEnv, zone, currency, company };
        add.SetAction((parse, ct) => WithHost(async (host, ct2) =>
        {
            var problems = ValidateInstance(parse.GetValue(url)!, parse.GetValue(token), parse.GetValue(tokenEnv), parse.GetValue(zone)!, parse.GetValue(currency)!);
            if (problems.Count > 0)
            {
                foreach (var p in problems) Console.Error.WriteLine(p);
                return ExitCodes.BadInput;
            }
            var added = await host.Services.GetRequiredService<InstanceRepository>().AddAsync(new NewInstance(
                parse.GetValue(name)!, parse.GetValue(kind)!, parse.GetValue(url)!.TrimEnd('/'),
                new InstanceCredentials(parse.GetValue(token), parse.GetValue(tokenEnv)), parse.GetValue(zone)!,
                parse.GetValue(currency)!.ToUpperInvariant(), parse.GetValue(company)), ct2);
            Console.WriteLine($"Added instance {added.Id} '{added.Name}' ({added.Kind}, token {added.Credentials}).");
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(add);

        var removeName = new Argument<string>("name") { Description = "The instance to remove." };
        var remove = new Command("remove", "Remove an instance and everything synced from it.") { removeName };
        remove.SetAction((parse, ct) => WithHost(async (host, ct2) =>
        {
            var removed = await host.Services.GetRequiredService<InstanceRepository>().RemoveAsync(parse.GetValue(removeName)!, ct2);
            Console.WriteLine(removed ? "Removed." : $"There is no instance named '{parse.GetValue(removeName)}'.");
            return removed ? ExitCodes.Ok : ExitCodes.BadInput;
        }, ct));
        command.Subcommands.Add(remove);
        return command;
    }

    internal static List<string> ValidateInstance(string url, string? token, string? tokenEnv, string zone, string currency)
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            problems.Add($"--url '{url}' is not an http(s) URL. Give the account's base URL, e.g. https://acme.pipedrive.com.");
        if (string.IsNullOrEmpty(token) == string.IsNullOrEmpty(tokenEnv))
            problems.Add("Give exactly one of --token (stored) or --token-env (the name of an environment variable).");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            problems.Add($"--time-zone '{zone}' is not a known IANA time zone, e.g. Europe/Helsinki.");
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetter))
            problems.Add($"--currency '{currency}' is not a three-letter ISO currency code, e.g. EUR.");
        return problems;
    }

    private static Command SyncCommand()
    {
        var instance = new Option<string>("--instance") { Description = "The instance to sync (its name).", Required = true };
        var full = new Option<bool>("--full") { Description = "Re-read everything instead of changes since the last run." };
        var command = new Command("sync", "Sync one instance now.") { instance, full };
        command.SetAction((parse, ct) =>
        {
            // On a terminal the progress display replaces the informational logs; piped, the logs are the progress.
            var showProgress = SyncProgress.IsSupported;
            return WithHost(async (host, ct2) =>
            {
                var coordinator = host.Services.GetRequiredService<SyncRunCoordinator>();
                var mode = parse.GetValue(full) ? SyncMode.Full : SyncMode.Incremental;
                var stats = new RunStats();
                var run = coordinator.RunAsync(parse.GetValue(instance)!, mode, ct2, stats);
                var outcome = showProgress ? await SyncProgress.ShowAsync(parse.GetValue(instance)!, stats, run) : await run;
                PrintOutcome(parse.GetValue(instance)!, outcome);
                return ExitCodeOf(outcome);
            }, ct, minimumLevel: showProgress ? LogEventLevel.Warning : LogEventLevel.Information);
        });
        return command;
    }

    internal static int ExitCodeOf(SyncOutcome outcome) => outcome.Status switch
    {
        RunStatus.Succeeded => ExitCodes.Ok,
        RunStatus.AuthFailed => ExitCodes.AuthFailed,
        RunStatus.BudgetExhausted => ExitCodes.BudgetExhausted,
        _ => ExitCodes.Failed,
    };

    internal static void PrintOutcome(string instance, SyncOutcome outcome)
    {
        Console.WriteLine($"{instance}: {outcome.Status.ToDbName()} ({(outcome.Mode == SyncMode.Full ? "full" : "incremental")}, run {outcome.RunId}) " +
            $"{outcome.Stats.Read} rows read, {outcome.Stats.Written} written, {outcome.Stats.Calls} API calls, {outcome.Stats.Tokens} tokens, {outcome.Elapsed.TotalSeconds:0.0} s");
        if (outcome.Error is not null) Console.Error.WriteLine(outcome.Error);
        foreach (var warning in outcome.Warnings) Console.Error.WriteLine($"warning: {warning}");
    }

    /// <summary>
    /// Runs a command inside the host, after bringing the schema up to date (a new version of CrmEtl
    /// migrates on its first start), and turns configuration and database errors into a clear
    /// message and an exit code, instead of a stack trace.
    /// </summary>
    internal static async Task<int> WithHost(Func<IHost, CancellationToken, Task<int>> body, CancellationToken ct, string? connectionString = null,
        bool applySchema = true, LogEventLevel minimumLevel = LogEventLevel.Information)
    {
        try
        {
            using var host = CrmEtlHost.Build(connectionString, minimumLevel: minimumLevel);
            if (applySchema) await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
            return await body(host, ct);
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures) Console.Error.WriteLine($"Configuration error: {failure}");
            return ExitCodes.BadInput;
        }
        catch (NpgsqlException e)
        {
            Console.Error.WriteLine($"The database is not reachable or refused the command: {e.Message}. Check Database:ConnectionString (or CRMETL_PG) and that the server is running; run 'crmetl migrate' on a new database.");
            return ExitCodes.DatabaseUnavailable;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine(e.Message);
            return ExitCodes.BadInput;
        }
    }
}
