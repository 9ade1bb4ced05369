using System.CommandLine;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Hosting;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Sync;
using CrmEtl.Storage.Database;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Serilog.Events;
using Spectre.Console;

namespace CrmEtl.Host.Cli;

/// <summary>
/// The crmetl verbs: migrate, instances, sync, refresh, runs, worker, mapping, config, compute, bi-user, export, users; and for
/// development (not in the production image) demo, sandbox and bench.
/// </summary>
public static class CrmEtlCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("CrmEtl: syncs Pipedrive and Zoho CRM accounts into PostgreSQL analytics tables.");
#if DEV_TOOLS
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(SandboxCommand.Build());
        root.Subcommands.Add(BenchCommand.Build());
#endif
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(InstanceCommands.Build());
        root.Subcommands.Add(SyncCommand());
        root.Subcommands.Add(WorkerCommands.Refresh());
        root.Subcommands.Add(WorkerCommands.Runs());
        root.Subcommands.Add(WorkerCommands.Worker());
        root.Subcommands.Add(ConfigCommands.Mapping());
        root.Subcommands.Add(ConfigCommands.Config());
        root.Subcommands.Add(ConfigCommands.Compute());
        root.Subcommands.Add(AnalyticsCommands.BiUser());
        root.Subcommands.Add(AnalyticsCommands.Export());
        root.Subcommands.Add(UserCommands.Build());
        root.Subcommands.Add(WidgetKeyCommands.Build());
        root.Subcommands.Add(TrelloCommands.Build());
        root.Subcommands.Add(RuleCommands.Build());
        root.Subcommands.Add(FormCommands.Build());
        root.Subcommands.Add(FormCommands.Submissions());
        root.Subcommands.Add(DeliveryCommands.Build());
        root.Subcommands.Add(WebhookCommands.Build());
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

    internal static int ExitCodeOf(SyncOutcome outcome) => ExitCodeOf(outcome.Status);

    internal static int ExitCodeOf(RunStatus status) => status switch
    {
        RunStatus.Succeeded => ExitCodes.Ok,
        RunStatus.AuthFailed => ExitCodes.AuthFailed,
        RunStatus.BudgetExhausted => ExitCodes.BudgetExhausted,
        _ => ExitCodes.Failed,
    };

    internal static void PrintOutcome(string instance, SyncOutcome outcome)
    {
        Console.WriteLine($"{instance}: {outcome.Status.ToDbName()} ({outcome.Mode.ToDbName()}, run {outcome.RunId}) " +
            $"{outcome.Stats.Read} rows read, {outcome.Stats.Written} written, {outcome.Stats.Calls} API calls, {outcome.Stats.Tokens} tokens, {outcome.Elapsed.TotalSeconds:0.0} s");
        if (outcome.Error is not null) Console.Error.WriteLine(outcome.Error);
        foreach (var warning in outcome.Warnings) Console.Error.WriteLine($"warning: {warning}");
    }

    /// <summary>
    /// Runs a command inside the host, after bringing the schema up to date (a new version of CrmEtl
    /// migrates on its first start) and encrypting tokens an earlier version stored in plain text.
    /// </summary>
    internal static Task<int> WithHost(Func<IHost, CancellationToken, Task<int>> body, CancellationToken ct, string? connectionString = null,
        bool applySchema = true, LogEventLevel minimumLevel = LogEventLevel.Information) => Guard(async () =>
    {
        using var host = CrmEtlHost.Build(connectionString, minimumLevel: minimumLevel);
        if (applySchema) await WorkerHost.PrepareAsync(host.Services, ct);
        return await body(host, ct);
    });

    /// <summary>Turns configuration, input and database errors into a clear message and an exit code, instead of a stack trace.</summary>
    internal static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
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
        catch (InstanceBusyException e)
        {
            Console.Error.WriteLine(e.Message);
            return ExitCodes.Busy;
        }
        catch (InstanceInputException e)
        {
            foreach (var problem in e.Problems) Console.Error.WriteLine(problem);
            return ExitCodes.BadInput;
        }
        catch (CrmEtl.Core.Sync.CrmAuthException e)
        {
            // The CRM refused what was given to sign in with (e.g. an authorization code): nothing was stored.
            Console.Error.WriteLine(e.Message);
            return ExitCodes.AuthFailed;
        }
        catch (CrmEtl.Core.Sync.CrmException e)
        {
            Console.Error.WriteLine(e.Message);
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine(e.Message);
            return ExitCodes.BadInput;
        }
    }
}
