using System.Diagnostics;
using CrmEtl.Core.Configuration;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Configuration;

namespace CrmEtl.Host.Companies;

/// <summary>What saving a configuration came to: refused with its problems (nothing changed), or saved and the numbers rebuilt.</summary>
public sealed record ConfigurationSaved(IReadOnlyList<string> Problems, IReadOnlyList<BuildResult> Builds, TimeSpan Elapsed)
{
    public bool Saved => Problems.Count == 0;
}

/// <summary>
/// A company's configuration (funnels, stage mappings, KPIs, dimensions, people, filters, targets) and its exchange
/// rates, for 'crmetl mapping|config' and the console alike: validated as a whole, saved only when nothing is wrong,
/// then the company's numbers rebuilt from the replica.
/// </summary>
public sealed class CompanyConfigurations(ConfigurationStore store, AnalyticsBuilder analytics, FilterMatches matches)
{
    /// <summary>The company's name as stored (matched without regard to case); a clear error when there is none.</summary>
    public async Task<string> KnownCompanyAsync(string company, CancellationToken ct)
    {
        var all = await store.CompaniesAsync(ct);
        return all.FirstOrDefault(c => string.Equals(c, company, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"There is no company '{company}'. Companies: {(all.Count == 0 ? "none yet (add an instance first)" : string.Join(", ", all))}.");
    }

    public Task<CompanyConfiguration> LoadAsync(string company, CancellationToken ct) => store.LoadAsync(company, ct);

    /// <summary>The pipelines, stages, users, activity types and fields of the company's instances, as last synced.</summary>
    public Task<CrmCatalog> CatalogAsync(string company, CancellationToken ct) => store.LoadCatalogAsync(company, ct);

    public Task<IReadOnlyList<ExchangeRateRow>> RatesAsync(string company, CancellationToken ct) => store.LoadRatesAsync(company, ct);

    /// <summary>How many of its instance's records a filter matches (before it is saved); its problems instead when it is not valid.</summary>
    public async Task<(FilterMatch? Match, IReadOnlyList<string> Problems)> CountMatchingAsync(string company, FilterRow filter, CancellationToken ct)
    {
        var catalog = await store.LoadCatalogAsync(company, ct);
        var problems = ConfigurationValidator.Validate(new CompanyConfiguration(company) { Filters = [filter] }, catalog);
        if (problems.Count > 0) return (null, problems);
        return (await matches.CountAsync(catalog.Instance(filter.Instance)!, filter.Entity, filter.Condition, ct), []);
    }

    /// <param name="rates">New exchange rates of the company too; null keeps them.</param>
    public async Task<ConfigurationSaved> SaveAndRebuildAsync(CompanyConfiguration config, IReadOnlyList<ExchangeRateRow>? rates, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var catalog = await store.LoadCatalogAsync(config.Company, ct);
        var problems = ConfigurationValidator.Validate(config, catalog).Concat(rates is null ? [] : ConfigurationValidator.ValidateRates(rates)).ToList();
        if (problems.Count > 0) return new ConfigurationSaved(problems, [], Stopwatch.GetElapsedTime(started));
        await store.SaveAsync(config, ct);
        if (rates is not null) await store.SaveRatesAsync(config.Company, rates, ct);
        var builds = await analytics.BuildCompanyAsync(config.Company, ct);
        return new ConfigurationSaved([], builds, Stopwatch.GetElapsedTime(started));
    }
}
