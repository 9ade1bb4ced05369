using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Scheduling;
using CrmEtl.Host.Sync;
using CrmEtl.Storage.Analytics;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Host.Instances;

/// <summary>What a connection test found: the status it set, the reason when not connected, and the CRM's pipelines and stages.</summary>
public sealed record ConnectionTest(string Status, string? Error, IReadOnlyList<CrmPipeline> Pipelines);

/// <summary>
/// Add, test, edit, disable, enable, reset and remove an instance — the same for the command line
/// and the HTTP API. Every change that affects when an instance runs updates its schedule at once.
/// </summary>
public sealed partial class InstanceLifecycle(
    InstanceRepository instances, InstanceSchedules schedules, InstanceLocks locks, IEnumerable<ICrmConnector> connectors,
    IEnumerable<IAuthorizationCodes> codes, AnalyticsBuilder analytics, ILogger<InstanceLifecycle> logger)
{
    public async Task<Instance> FindAsync(string name, CancellationToken cancellationToken) =>
        await instances.FindAsync(name, cancellationToken)
        ?? throw new InstanceNotFoundException($"There is no instance named '{name}'. List them with 'crmetl instances'.");

    public async Task<Instance> FindAsync(int id, CancellationToken cancellationToken) =>
        await instances.FindAsync(id, cancellationToken)
        ?? throw new InstanceNotFoundException($"There is no instance with id {id}. List them with GET /api/instances.");

    public async Task<Instance> AddAsync(InstanceInput input, CancellationToken cancellationToken)
    {
        var problems = input.Validate(isNew: true);
        if (problems.Count > 0) throw new InstanceInputException(problems);
        input = await ExchangeCodeAsync(input, input.Kind!, input.Url!, null, cancellationToken);
        var added = await instances.AddAsync(input.ToNewInstance(), cancellationToken);
        await schedules.ApplyAsync(added.Id, cancellationToken);
        InstanceLog.Changed(logger, added.Name, "added");
        return added;
    }

    /// <summary>Signs in to the CRM and lists its pipelines and stages; the instance's status follows (a disabled one stays disabled).</summary>
    public async Task<ConnectionTest> TestAsync(Instance instance, CancellationToken cancellationToken)
    {
        var connector = connectors.First(c => c.Kind == instance.Kind);
        ConnectionTest result;
        try
        {
            result = new ConnectionTest(InstanceStatus.Connected, null, await connector.ListPipelinesAsync(instance, logger, cancellationToken));
        }
        catch (CrmAuthException e)
        {
            result = new ConnectionTest(InstanceStatus.AuthFailed, e.Message, []);
        }
        catch (CrmException e)
        {
            result = new ConnectionTest(InstanceStatus.Error, e.Message, []);
        }
        await instances.SetStatusAsync(instance.Id, result.Status, result.Error, cancellationToken);
        return result;
    }

    public async Task<Instance> EditAsync(Instance instance, InstanceInput input, CancellationToken cancellationToken)
    {
        if (input.Kind is not null && input.Kind != instance.Kind)
            throw new InstanceInputException([$"--kind cannot change ('{instance.Name}' is {instance.Kind}); add a new instance instead."]);
        var problems = input.Validate(isNew: false, currentKind: instance.Kind);
        if (problems.Count > 0) throw new InstanceInputException(problems);
        input = await ExchangeCodeAsync(input, instance.Kind, input.Url ?? instance.BaseUrl, instance.Credentials, cancellationToken);
        var edited = await instances.UpdateAsync(instance.Id, input.ToEdit(instance.Credentials), cancellationToken)
            ?? throw new InstanceNotFoundException($"'{instance.Name}' was removed meanwhile.");
        await schedules.ApplyAsync(edited.Id, cancellationToken);
        InstanceLog.Changed(logger, edited.Name, "edited");
        return edited;
    }

    /// <summary>
    /// An authorization code given instead of a refresh token is exchanged for one now, before anything is stored: the code
    /// works once, and the refresh token it gives is what the instance keeps.
    /// </summary>
    private async Task<InstanceInput> ExchangeCodeAsync(InstanceInput input, string kind, string url, InstanceCredentials? current, CancellationToken ct)
    {
        if (input.Code is not { } code) return input;
        var exchange = codes.FirstOrDefault(c => c.Kind == kind) ?? throw new InstanceInputException([$"--code is not taken for {kind} instances."]);
        var (clientId, clientSecret) = (input.ClientId ?? current?.ClientId, input.ClientSecret ?? current?.ClientSecret);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(clientSecret))
            throw new InstanceInputException(["--code needs the integration's --client-id and --client-secret (from its keys in Kommo)."]);
        var refreshToken = await exchange.ExchangeAsync(url.TrimEnd('/'), clientId, clientSecret, code.Trim(), logger, ct);
        return input with { Code = null, RefreshToken = refreshToken, ClientId = clientId, ClientSecret = clientSecret };
    }

    /// <summary>No more scheduled or requested runs; a run in progress finishes. Data and numbers stay.</summary>
    public async Task DisableAsync(Instance instance, CancellationToken cancellationToken)
    {
        await instances.SetEnabledAsync(instance.Id, enabled: false, InstanceStatus.Disabled, null, cancellationToken);
        await schedules.ApplyAsync(instance.Id, cancellationToken);
        InstanceLog.Changed(logger, instance.Name, "disabled");
    }

    /// <summary>Schedules the instance again; its status is what a connection test finds now.</summary>
    public async Task<ConnectionTest> EnableAsync(Instance instance, CancellationToken cancellationToken)
    {
        await instances.SetEnabledAsync(instance.Id, enabled: true, InstanceStatus.Connected, null, cancellationToken);
        var test = await TestAsync(instance, cancellationToken);
        await schedules.ApplyAsync(instance.Id, cancellationToken);
        InstanceLog.Changed(logger, instance.Name, "enabled");
        return test;
    }

    /// <summary>Drops the replica, sync state, mappings and metrics in one transaction; the next run is a full sync.</summary>
    public async Task ResetAsync(Instance instance, CancellationToken cancellationToken)
    {
        await using (await HoldAsync(instance, "reset", cancellationToken))
            await instances.ResetAsync(instance.Id, cancellationToken);
        await analytics.RefreshCompanyTotalsAsync(instance.Company ?? instance.Name, cancellationToken);
        InstanceLog.Changed(logger, instance.Name, "reset");
    }

    public async Task RemoveAsync(Instance instance, CancellationToken cancellationToken)
    {
        await using (await HoldAsync(instance, "removed", cancellationToken))
            await instances.RemoveAsync(instance.Id, cancellationToken);
        await schedules.ApplyAsync(instance.Id, cancellationToken);
        await analytics.RefreshCompanyTotalsAsync(instance.Company ?? instance.Name, cancellationToken);
        InstanceLog.Changed(logger, instance.Name, "removed");
    }

    private async Task<IAsyncDisposable> HoldAsync(Instance instance, string verb, CancellationToken cancellationToken) =>
        await locks.TryAcquireAsync(instance.Id, cancellationToken)
        ?? throw new InstanceBusyException($"'{instance.Name}' is being synced right now and cannot be {verb} during the run. Disable it, wait for the run to end, then try again.");
}
