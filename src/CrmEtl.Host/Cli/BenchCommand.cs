using System.CommandLine;
using System.Diagnostics;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Sync;
using CrmEtl.Sandbox.Pipedrive;
using CrmEtl.Sandbox.Zoho;
using CrmEtl.Storage.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace CrmEtl.Host.Cli;

/// <summary>
/// crmetl bench: a full sync from the Pipedrive (or, with --crm zoho, the Zoho CRM) sandbox on loopback
/// into a scratch database, then an incremental sync with no changes; prints wall time, records/s,
/// calls, tokens (Zoho: credits) and peak RSS.
/// </summary>
internal static class BenchCommand
{
    public static Command Build()
    {
        var deals = new Option<int>("--deals") { Description = "Deals in the sandbox account.", DefaultValueFactory = _ => 100_000 };
        var activities = new Option<int?>("--activities") { Description = "Activities (default 3 per deal)." };
        var leads = new Option<int?>("--leads") { Description = "Leads (default 1 per 20 deals)." };
        var crm = new Option<string>("--crm") { Description = "pipedrive or zoho.", DefaultValueFactory = _ => "pipedrive" };
        var floor = new Option<bool>("--floor") { Description = "Pipedrive: after the syncs, measure the floor (the sandbox serving the same pages to a byte reader; COPY of the same rows) and print the ratio." };
        crm.AcceptOnlyFromAmong("pipedrive", "zoho");
        var command = new Command("bench", "Measure a full sync from the sandbox (see docs/BENCHMARKS.md).") { deals, activities, leads, crm, floor, RecomputeBench.Build() };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(deals);
            var zoho = parse.GetValue(crm) == "zoho";
            var company = new PipedriveCompanyOptions
            {
                Name = "bench", ApiToken = "sandbox-bench-token", Seed = 42, Deals = n,
                Activities = parse.GetValue(activities) ?? n * 3, Leads = parse.GetValue(leads) ?? n / 20,
                DailyTokenBudget = long.MaxValue / 2, BurstLimit = 100_000,
            };
            var org = new ZohoOrgOptions
            {
                Name = "bench", Seed = 42, Deals = company.Deals, Activities = company.Activities, Leads = company.Leads, DailyCredits = long.MaxValue / 2,
            };
            var generate = Stopwatch.StartNew();
            await using var stack = await LocalStack.StartAsync(new PipedriveSandboxOptions { Companies = zoho ? [] : [company] }, LogEventLevel.Warning, ct,
                zoho ? new ZohoSandboxOptions { Orgs = [org] } : null);
            Console.WriteLine($"{(zoho ? "Zoho CRM" : "Pipedrive")} sandbox: {company.Deals} deals, {company.Activities} activities, {company.Leads} leads generated and servers started in {generate.Elapsed.TotalSeconds:0.0} s");
            if (zoho) await stack.AddZohoInstanceAsync("bench", stack.Zoho!.Org("bench"), "UTC", "EUR", null, ct);
            else await stack.AddInstanceAsync("bench", stack.Sandbox.Company("bench"), "UTC", "EUR", null, ct);
            // The sandbox's deals come in several currencies: with the demo's rates every deal converts, as in production.
            await stack.Host.Services.GetRequiredService<ConfigurationStore>().SaveRatesAsync(DemoConfiguration.Rates(DateOnly.FromDateTime(DateTime.UtcNow)), ct);
            var coordinator = stack.Host.Services.GetRequiredService<SyncRunCoordinator>();

            var full = await coordinator.RunAsync("bench", SyncMode.Full, ct);
            var instanceId = (await stack.Host.Services.GetRequiredService<CrmEtl.Storage.Instances.InstanceRepository>().ListAsync(ct))[0].Id;
            Report("full sync", full);
            var again = await coordinator.RunAsync("bench", SyncMode.Incremental, ct);
            Report("incremental, no changes", again);
            Console.WriteLine($"peak RSS of this process (sync + sandbox + data): {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MB");
            if (parse.GetValue(floor) && !zoho)
            {
                var f = await FloorBench.MeasureAsync(stack.Sandbox, stack.Sandbox.Company("bench"), stack.Database.ConnectionString, instanceId, ct);
                Console.WriteLine($"floor (a) the sandbox serving the same pages to a byte reader: {f.Serve.TotalSeconds:0.0} s, {f.Calls} calls, {f.Bytes / 1024 / 1024} MB");
                Console.WriteLine($"floor (b) binary COPY of the {f.Rows} rows the sync wrote (deals, stage history, activities, leads), from files: {f.Copy.TotalSeconds:0.0} s");
                var sync = full.Elapsed - (full.Analytics?.Elapsed ?? TimeSpan.Zero);
                Console.WriteLine($"full sync without the analytics build: {sync.TotalSeconds:0.0} s = {sync / (f.Serve + f.Copy):0.00} x the floor (a + b, {(f.Serve + f.Copy).TotalSeconds:0.0} s)");
            }
            return full.Status == RunStatus.Succeeded && again.Status == RunStatus.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static void Report(string name, SyncOutcome outcome)
    {
        var seconds = outcome.Elapsed.TotalSeconds;
        Console.WriteLine($"{name}: {outcome.Status.ToDbName()} in {seconds:0.0} s, {outcome.Stats.Read} records read ({outcome.Stats.Read / Math.Max(seconds, 0.001):0} records/s), " +
            $"{outcome.Stats.Written} rows written, {outcome.Stats.Calls} API calls, {outcome.Stats.Tokens} tokens");
        foreach (var (stream, s) in outcome.Stats.Streams.OrderBy(s => s.Key, StringComparer.Ordinal))
            Console.WriteLine($"  {stream,-20} read {s.Read,9}  written {s.Written,9}  calls {s.Calls,6}  tokens {s.Tokens,8}");
        if (outcome.Analytics is { } built)
            Console.WriteLine($"  of which the analytics build: {built.Elapsed.TotalSeconds:0.0} s ({built.Deals} deals, {built.Activities} activities, {built.Leads} leads, no mapping)");
        if (outcome.Error is not null) Console.WriteLine($"  error: {outcome.Error}");
        foreach (var warning in outcome.Warnings) Console.WriteLine($"  warning: {warning}");
    }
}
