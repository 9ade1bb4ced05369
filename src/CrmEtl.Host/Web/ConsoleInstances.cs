using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Api;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Scheduling;
using CrmEtl.Storage.Runs;

namespace CrmEtl.Host.Web;

/// <summary>
/// The instances a console user may see, and what they may do with them: the API's services (instance lifecycle,
/// refresh requests, run log), limited to the user's company, with every change refused to a viewer.
/// </summary>
public sealed class ConsoleInstances(InstanceLifecycle lifecycle, InstanceViews views, RefreshRequests refresh, SyncRunLog runs)
{
    public static bool BelongsTo(Instance instance, ConsoleSession session) => (instance.Company ?? instance.Name) == session.Company;

    public async Task<IReadOnlyList<InstanceView>> ListAsync(ConsoleSession session, CancellationToken ct) =>
        (await views.ListAsync(ct)).Where(v => (v.Company ?? v.Name) == session.Company).ToList();

    public async Task<InstanceView> ViewAsync(ConsoleSession session, int id, CancellationToken ct) => await views.OfAsync(await FindAsync(session, id, ct), ct);

    /// <summary>Connects a CRM account for the user's company (as 'crmetl instances add' does), then tests the connection.</summary>
    public async Task<(Instance Instance, ConnectionTest Test)> AddAsync(ConsoleSession session, InstanceInput input, CancellationToken ct)
    {
        if (!session.IsAdmin) throw new ConsoleForbiddenException($"{session.Email} is a viewer: only an admin of {session.Company} can connect a CRM.");
        var added = await lifecycle.AddAsync(input with { Company = session.Company }, ct);
        return (added, await lifecycle.TestAsync(added, ct));
    }

    /// <summary>New credentials or settings for an instance (as 'crmetl instances edit' does), then a connection test.</summary>
    public async Task<ConnectionTest> EditAsync(ConsoleSession session, int id, InstanceInput input, CancellationToken ct)
    {
        var edited = await lifecycle.EditAsync(await ChangeableAsync(session, id, ct), input with { Company = null }, ct);
        return await lifecycle.TestAsync(edited, ct);
    }

    public async Task<RefreshAccepted> RefreshAsync(ConsoleSession session, int id, CancellationToken ct) =>
        await refresh.RequestAsync(await ChangeableAsync(session, id, ct), SyncMode.Incremental, ct);

    public async Task<ConnectionTest> TestAsync(ConsoleSession session, int id, CancellationToken ct) => await lifecycle.TestAsync(await ChangeableAsync(session, id, ct), ct);

    public async Task DisableAsync(ConsoleSession session, int id, CancellationToken ct) => await lifecycle.DisableAsync(await ChangeableAsync(session, id, ct), ct);

    public async Task<ConnectionTest> EnableAsync(ConsoleSession session, int id, CancellationToken ct) => await lifecycle.EnableAsync(await ChangeableAsync(session, id, ct), ct);

    /// <summary>Reset and remove are confirmed by typing the instance's name.</summary>
    public async Task ResetAsync(ConsoleSession session, int id, string typedName, CancellationToken ct) =>
        await lifecycle.ResetAsync(Confirmed(await ChangeableAsync(session, id, ct), typedName), ct);

    public async Task RemoveAsync(ConsoleSession session, int id, string typedName, CancellationToken ct) =>
        await lifecycle.RemoveAsync(Confirmed(await ChangeableAsync(session, id, ct), typedName), ct);

    /// <summary>The run, if it is of one of the user's instances.</summary>
    public async Task<SyncRunRecord?> RunAsync(ConsoleSession session, long runId, CancellationToken ct) =>
        await runs.FindAsync(runId, ct) is { } run && BelongsTo(await lifecycle.FindAsync(run.InstanceId, ct), session) ? run : null;

    /// <summary>The company's runs, newest first; <paramref name="search"/>'s instances are narrowed to the company's.</summary>
    public async Task<IReadOnlyList<SyncRunRecord>> RunsAsync(ConsoleSession session, RunSearch search, CancellationToken ct)
    {
        var own = (await ListAsync(session, ct)).Select(i => i.Id).ToList();
        var wanted = search.InstanceIds is null ? own : own.Intersect(search.InstanceIds).ToList();
        return await runs.SearchAsync(search with { InstanceIds = wanted }, ct);
    }

    private async Task<Instance> FindAsync(ConsoleSession session, int id, CancellationToken ct)
    {
        var instance = await lifecycle.FindAsync(id, ct);
        // Another company's instance is answered like a missing one: its existence is none of this user's business.
        return BelongsTo(instance, session) ? instance : throw new InstanceNotFoundException($"There is no instance {id}.");
    }

    private async Task<Instance> ChangeableAsync(ConsoleSession session, int id, CancellationToken ct)
    {
        var instance = await FindAsync(session, id, ct);
        return session.IsAdmin ? instance : throw new ConsoleForbiddenException($"{session.Email} is a viewer: only an admin of {session.Company} can change '{instance.Name}'.");
    }

    private static Instance Confirmed(Instance instance, string typedName) => typedName.Trim() == instance.Name
        ? instance
        : throw new InstanceInputException([$"Type the instance's name, '{instance.Name}', to confirm."]);
}
