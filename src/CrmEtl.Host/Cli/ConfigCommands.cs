using System.CommandLine;
using CrmEtl.Core.Configuration;
using CrmEtl.Host.Companies;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.Host.Cli;

/// <summary>
/// crmetl mapping scaffold, config export / import, compute: how an admin sets up funnels, KPIs,
/// dimensions, filters, targets and rates, and gets the numbers rebuilt from the replica.
/// </summary>
internal static class ConfigCommands
{
    public static Command Mapping()
    {
        var instance = new Option<string>("--instance") { Description = "The instance whose pipelines and stages start the mapping.", Required = true };
        var funnel = new Option<string?>("--funnel") { Description = "The funnel's name (default: \"<instance> deals\")." };
        var scaffold = new Command("scaffold", "Write a starting mapping from the CRM's pipelines and stages: one step per stage, Won and Lost as markers, a KPI per step.") { instance, funnel };
        scaffold.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var store = host.Services.GetRequiredService<ConfigurationStore>();
            var name = parse.GetValue(instance)!;
            var company = await store.CompanyOfAsync(name, ct2)
                ?? throw new ArgumentException($"There is no instance named '{name}'. List them with 'crmetl instances'.");
            var catalog = await store.LoadCatalogAsync(company, ct2);
            var target = catalog.Instance(name)!;
            if (target.Stages.Count == 0)
                throw new InvalidOperationException($"Instance '{name}' has no stages yet: run 'crmetl sync --instance \"{name}\"' first.");
            var config = MappingScaffold.Apply(await store.LoadAsync(company, ct2), target, parse.GetValue(funnel));
            return await SaveAndRebuildAsync(host, config, rates: null, ct2);
        }, ct));
        return new Command("mapping", "Map an instance's CRM stages to company funnels.") { scaffold };
    }

    public static Command Config()
    {
        var company = new Option<string>("--company") { Description = "The company (group); an instance without one is its own company, by its name.", Required = true };
        var dir = new Option<string>("--dir") { Description = "The folder of CSV files.", Required = true };

        var export = new Command("export", "Write the company's configuration as CSV files to edit in a spreadsheet.") { company, dir };
        export.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var configurations = host.Services.GetRequiredService<CompanyConfigurations>();
            var name = await configurations.KnownCompanyAsync(parse.GetValue(company)!, ct2);
            var directory = parse.GetValue(dir)!;
            ConfigurationCsv.Export(await configurations.LoadAsync(name, ct2), await configurations.CatalogAsync(name, ct2), await configurations.RatesAsync(name, ct2), directory);
            Console.WriteLine($"Wrote {string.Join(", ", ConfigurationCsv.CompanyFiles.Append(ConfigurationCsv.Rates))} to {Path.GetFullPath(directory)}.");
            Console.WriteLine($"Edit them, then: crmetl config import --company \"{name}\" --dir \"{directory}\"");
            return ExitCodes.Ok;
        }, ct));

        var import = new Command("import", "Read edited CSV files (those present replace their part), validate everything, save and rebuild the numbers.") { company, dir };
        import.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var configurations = host.Services.GetRequiredService<CompanyConfigurations>();
            var name = await configurations.KnownCompanyAsync(parse.GetValue(company)!, ct2);
            var directory = parse.GetValue(dir)!;
            if (!Directory.Exists(directory)) throw new ArgumentException($"There is no folder '{directory}'. Export one first with 'crmetl config export'.");
            var (config, rates, problems) = ConfigurationCsv.Import(await configurations.LoadAsync(name, ct2), directory);
            if (problems.Count > 0) return Reject(problems);
            return await SaveAndRebuildAsync(host, config, rates, ct2);
        }, ct));

        var instance = new Option<string>("--instance") { Description = "The instance whose records to count.", Required = true };
        var entity = new Option<string>("--entity") { Description = "deal, activity or lead.", DefaultValueFactory = _ => FilterEntities.Deal };
        var condition = new Option<string>("--condition") { Description = "A filter condition as in filters.csv, e.g. \"status = 'won' and title contains 'VIP'\".", Required = true };
        var count = new Command("count", "Count the instance's records a filter condition matches, before putting it in filters.csv.") { instance, entity, condition };
        count.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var name = parse.GetValue(instance)!;
            var owner = await host.Services.GetRequiredService<ConfigurationStore>().CompanyOfAsync(name, ct2)
                ?? throw new ArgumentException($"There is no instance named '{name}'. List them with 'crmetl instances'.");
            var filter = new FilterRow(name, parse.GetValue(entity)!.Trim().ToLowerInvariant(), FilterModes.Include, parse.GetValue(condition)!);
            var (match, problems) = await host.Services.GetRequiredService<CompanyConfigurations>().CountMatchingAsync(owner, filter, ct2);
            if (match is null)
            {
                foreach (var problem in problems) Console.Error.WriteLine("error: " + problem);
                return ExitCodes.BadInput;
            }
            Console.WriteLine($"{match.Matching:N0} of {match.Total:N0} {FilterEntities.Plural(filter.Entity)} of '{name}' match.");
            return ExitCodes.Ok;
        }, ct));

        return new Command("config", "Export and import a company's configuration as CSV files.") { export, import, count };
    }

    public static Command Compute()
    {
        var compute = new Option<string?>("--company") { Description = "Only this company (default: all)." };
        var computeCommand = new Command("compute", "Rebuild the analytics from the replica and the configuration (no CRM calls).") { compute };
        computeCommand.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var companies = parse.GetValue(compute) is { } one
                ? [await host.Services.GetRequiredService<CompanyConfigurations>().KnownCompanyAsync(one, ct2)]
                : await host.Services.GetRequiredService<ConfigurationStore>().CompaniesAsync(ct2);
            foreach (var c in companies) PrintBuilds(await host.Services.GetRequiredService<AnalyticsBuilder>().BuildCompanyAsync(c, ct2));
            return ExitCodes.Ok;
        }, ct));
        return computeCommand;
    }

    /// <summary>Validates the whole configuration; saves it and the rates only when nothing is wrong, then rebuilds the company's numbers.</summary>
    private static async Task<int> SaveAndRebuildAsync(IHost host, CompanyConfiguration config, IReadOnlyList<ExchangeRateRow>? rates, CancellationToken ct)
    {
        var saved = await host.Services.GetRequiredService<CompanyConfigurations>().SaveAndRebuildAsync(config, rates, ct);
        if (!saved.Saved) return Reject(saved.Problems);
        Console.WriteLine($"Saved the configuration of '{config.Company}': {config.Steps.Select(s => s.Funnel).Distinct(StringComparer.OrdinalIgnoreCase).Count()} funnel(s), " +
            $"{config.Steps.Count} steps, {config.Stages.Count} stage mappings, {config.Kpis.Count} KPIs, {config.People.Count} people, {config.Filters.Count} filters, {config.Targets.Count} targets" +
            (rates is null ? "." : $", {rates.Count} exchange rates."));
        PrintBuilds(saved.Builds);
        return ExitCodes.Ok;
    }

    private static int Reject(IReadOnlyList<string> problems)
    {
        Console.Error.WriteLine($"Nothing was changed: the configuration has {problems.Count} problem(s).");
        foreach (var problem in problems) Console.Error.WriteLine("  " + problem);
        return ExitCodes.BadInput;
    }

    private static void PrintBuilds(IReadOnlyList<BuildResult> builds)
    {
        foreach (var b in builds)
        {
            Console.WriteLine($"{b.Instance}: analytics rebuilt: {b.Deals} deals, {b.Passes} funnel passes, {b.Activities} activities, {b.Leads} leads in {b.Elapsed.TotalSeconds:0.0} s");
            foreach (var problem in b.Problems) Console.Error.WriteLine($"  warning: {problem}");
        }
    }
}
