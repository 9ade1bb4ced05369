using CrmEtl.Core.Configuration;
using CrmEtl.Host.Companies;

namespace CrmEtl.Host.Web;

/// <summary>
/// The signed-in user's company configuration, through the same service as 'crmetl config import': read by anyone of
/// the company, saved (validated as a whole, then the numbers rebuilt) only by its admins.
/// </summary>
public sealed class ConsoleConfiguration(CompanyConfigurations configurations)
{
    public async Task<(CompanyConfiguration Config, CrmCatalog Catalog)> LoadAsync(ConsoleSession session, CancellationToken ct) =>
        (await configurations.LoadAsync(session.Company, ct), await configurations.CatalogAsync(session.Company, ct));

    public async Task<ConfigurationSaved> SaveAsync(ConsoleSession session, CompanyConfiguration config, CancellationToken ct)
    {
        if (!session.IsAdmin) throw new ConsoleForbiddenException($"{session.Email} is a viewer: only an admin of {session.Company} can change its configuration.");
        if (config.Company != session.Company) throw new ConsoleForbiddenException($"{session.Email} can change the configuration of {session.Company} only.");
        return await configurations.SaveAndRebuildAsync(config, rates: null, ct);
    }
}
