using CrmEtl.Core.Configuration;
using CrmEtl.Host.Companies;
using CrmEtl.Storage.Analytics;

namespace CrmEtl.Host.Web;

/// <summary>
/// The signed-in user's company configuration, through the same service as 'crmetl config import': read by anyone of
/// the company, saved (validated as a whole, then the numbers rebuilt) only by its admins. The console's tables are the
/// files 'crmetl config export' writes, edited in place or uploaded, and read by the same code as an import.
/// </summary>
public sealed class ConsoleConfiguration(CompanyConfigurations configurations)
{
    /// <summary>The files the console's configuration tables edit (funnels and stages have the mapping board).</summary>
    public static readonly IReadOnlyList<string> TableFiles =
        [ConfigurationCsv.Kpis, ConfigurationCsv.Filters, ConfigurationCsv.Dimensions, ConfigurationCsv.People, ConfigurationCsv.Targets, ConfigurationCsv.Rates];

    public async Task<(CompanyConfiguration Config, CrmCatalog Catalog)> LoadAsync(ConsoleSession session, CancellationToken ct) =>
        (await configurations.LoadAsync(session.Company, ct), await configurations.CatalogAsync(session.Company, ct));

    /// <summary>Every file of the company's configuration, as 'crmetl config export' writes it.</summary>
    public async Task<IReadOnlyDictionary<string, CsvTable>> TablesAsync(ConsoleSession session, CancellationToken ct)
    {
        var (config, catalog) = await LoadAsync(session, ct);
        return ConfigurationCsv.Tables(config, catalog, await configurations.RatesAsync(session.Company, ct));
    }

    public async Task<ConfigurationSaved> SaveAsync(ConsoleSession session, CompanyConfiguration config, CancellationToken ct)
    {
        MayChange(session, config.Company);
        return await configurations.SaveAndRebuildAsync(config, rates: null, ct);
    }

    /// <summary>A table as edited in the console: read as its file would be by 'crmetl config import'.</summary>
    public async Task<ConfigurationSaved> SaveTableAsync(ConsoleSession session, string file, CsvTable table, CancellationToken ct)
    {
        using var content = new MemoryStream();
        ConfigurationCsv.Write(table, content);
        return await ImportAsync(session, file, content.ToArray(), ct);
    }

    /// <summary>An uploaded file replaces its part of the configuration, exactly as 'crmetl config import' reads it.</summary>
    public async Task<ConfigurationSaved> ImportAsync(ConsoleSession session, string file, byte[] content, CancellationToken ct)
    {
        MayChange(session, session.Company);
        if (!TableFiles.Contains(file)) throw new ArgumentException($"'{file}' is not one of the console's tables ({string.Join(", ", TableFiles)}).", nameof(file));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (config, rates, problems) = ConfigurationCsv.Import(await configurations.LoadAsync(session.Company, ct), name => name == file ? new MemoryStream(content, writable: false) : null);
        if (problems.Count > 0) return new ConfigurationSaved(problems, [], System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return await configurations.SaveAndRebuildAsync(config, rates, ct);
    }

    /// <summary>How many of the instance's records a filter matches, or why it cannot be counted.</summary>
    public Task<(FilterMatch? Match, IReadOnlyList<string> Problems)> CountMatchingAsync(ConsoleSession session, FilterRow filter, CancellationToken ct) =>
        configurations.CountMatchingAsync(session.Company, filter, ct);

    private static void MayChange(ConsoleSession session, string company)
    {
        if (!session.IsAdmin) throw new ConsoleForbiddenException($"{session.Email} is a viewer: only an admin of {session.Company} can change its configuration.");
        if (company != session.Company) throw new ConsoleForbiddenException($"{session.Email} can change the configuration of {session.Company} only.");
    }

}
