using CrmEtl.Host.Instances;
using CrmEtl.Host.Web;
using CrmEtl.Storage.Customers;
using CrmEtl.Storage.Instances;

namespace CrmEtl.Host.Customers;

/// <summary>
/// Helpdesk widget keys for 'crmetl widget-keys' and the console's Helpdesk widget page alike: created for a company that
/// has a CRM, revoked, and told which agents or groups may use them. The console acts within the signed-in admin's company.
/// </summary>
public sealed class WidgetKeys(WidgetKeyStore store, InstanceRepository instances)
{
    public const int MaxNameLength = 80;
    private const int MaxAudienceNameLength = 100;

    public async Task<(WidgetKey Key, string Secret)> CreateAsync(string company, string name, IReadOnlyList<string> agents, IReadOnlyList<string> groups,
        string? createdBy, CancellationToken cancellationToken)
    {
        var problems = AudienceProblems(agents, groups);
        if (string.IsNullOrWhiteSpace(name)) problems.Insert(0, "Name the key after the helpdesk that will use it, e.g. \"Zendesk\".");
        else if (name.Trim().Length > MaxNameLength) problems.Insert(0, $"A key's name is at most {MaxNameLength} characters.");
        var companies = (await instances.ListAsync(cancellationToken)).Select(i => i.Company ?? i.Name).Distinct().ToList();
        if (!companies.Contains(company.Trim(), StringComparer.Ordinal))
            problems.Add($"Company '{company}' has no CRM instance, so a widget key would show nothing; "
                + (companies.Count == 0 ? "connect a CRM first." : $"companies with CRMs: {string.Join(", ", companies)}."));
        if (problems.Count > 0) throw new InstanceInputException(problems);
        return await store.CreateAsync(company, name, agents, groups, createdBy, cancellationToken);
    }

    public async Task<(WidgetKey Key, string Secret)> CreateAsync(ConsoleSession session, string name, IReadOnlyList<string> agents, IReadOnlyList<string> groups,
        CancellationToken cancellationToken)
    {
        Admin(session);
        return await CreateAsync(session.Company, name, agents, groups, session.Email, cancellationToken);
    }

    public async Task<IReadOnlyList<WidgetKey>> ListAsync(ConsoleSession session, CancellationToken cancellationToken) =>
        await store.ListAsync(session.Company, cancellationToken);

    /// <summary>Revokes a key: the widget shows "revoked" from the next request on. Another company's key is "not found".</summary>
    public async Task RevokeAsync(int id, string? company, CancellationToken cancellationToken)
    {
        if (!await store.RevokeAsync(id, company, cancellationToken)) throw NotFound(id, company);
    }

    public async Task RevokeAsync(ConsoleSession session, int id, CancellationToken cancellationToken)
    {
        Admin(session);
        await RevokeAsync(id, session.Company, cancellationToken);
    }

    /// <summary>Replaces who may use a key; no agent and no group lets every agent of the helpdesk.</summary>
    public async Task SetAudienceAsync(int id, string? company, IReadOnlyList<string> agents, IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var problems = AudienceProblems(agents, groups);
        if (problems.Count > 0) throw new InstanceInputException(problems);
        if (!await store.SetAudienceAsync(id, company, agents, groups, cancellationToken)) throw NotFound(id, company);
    }

    public async Task SetAudienceAsync(ConsoleSession session, int id, IReadOnlyList<string> agents, IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        Admin(session);
        await SetAudienceAsync(id, session.Company, agents, groups, cancellationToken);
    }

    /// <summary>Names typed as one line, separated by commas.</summary>
    public static IReadOnlyList<string> SplitNames(string? line) =>
        (line ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// The iframe to paste into a helpdesk's sidebar app. The parts in braces are the helpdesk's own placeholders for the
    /// ticket's customer e-mail and the agent: replace them with the helpdesk's syntax (Zendesk's, Freshdesk's...).
    /// </summary>
    public static string Snippet(string workerAddress, string secret) =>
        $"<iframe src=\"{workerAddress.TrimEnd('/')}/widget/customer?key={Uri.EscapeDataString(secret)}&email={{customer e-mail}}&agent={{agent id}}&group={{agent group}}\" "
        + "width=\"360\" height=\"480\" style=\"border:0\" title=\"CRM customer card\"></iframe>";

    private static List<string> AudienceProblems(IReadOnlyList<string> agents, IReadOnlyList<string> groups) =>
        agents.Concat(groups).Where(n => n.Trim().Length > MaxAudienceNameLength || n.Contains(','))
            .Select(n => $"'{n}' is not an agent's or group's id as a helpdesk sends it (no commas, at most {MaxAudienceNameLength} characters).").ToList();

    private static InstanceNotFoundException NotFound(int id, string? company) =>
        new($"There is no widget key {id}" + (company is null ? "" : $" of {company}") + " ('crmetl widget-keys' lists them).");

    private static void Admin(ConsoleSession session)
    {
        if (!session.IsAdmin) throw new ConsoleForbiddenException($"{session.Email} is a viewer: only an admin of {session.Company} manages its widget keys.");
    }
}
