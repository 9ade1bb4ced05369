using CrmEtl.Core.Customers;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Sync;
using CrmEtl.Storage.Forms;
using CrmEtl.Storage.Instances;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrmEtl.Host.Forms;

/// <summary>
/// Writes queued submissions to their CRM, in any worker of a cluster: claims due submissions for a while, takes the
/// person's lock (their e-mail and phone, within the company: two submissions of one person never run at once), and runs
/// the module (<see cref="FormRun"/>). A CRM that fails puts the submission off with back-off, up to Forms:MaxAttempts; a
/// person busy in another worker puts it off a moment.
/// </summary>
public sealed class FormWorker(FormStore store, InstanceRepository instances, IEnumerable<ICrmForms> crms, Instances.WebAddresses webAddresses, IOptions<FormOptions> options,
    TimeProvider clock, ILogger<FormWorker> logger)
{
    /// <summary>How long a submission waits for the CRM to tell its web address (for the links in the outcome), the first time.</summary>
    private static readonly TimeSpan WebAddressPatience = TimeSpan.FromSeconds(10);

    private readonly string _worker = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Runs the due submissions; how many were claimed.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var claimed = await store.ClaimAsync(_worker, 20, options.Value.Lease, ct);
        foreach (var submission in claimed) await RunAsync(submission, ct);
        return claimed.Count;
    }

    private async Task RunAsync(FormSubmissionToRun submission, CancellationToken ct)
    {
        if (await store.FindAsync(submission.ModuleId, ct) is not { } module) return;
        var instance = await instances.FindAsync(module.InstanceId, ct);
        if (instance is null || crms.FirstOrDefault(c => c.Kind == instance.Kind) is not { } crm)
        {
            await store.PutOffAsync(submission.Id, $"Web forms cannot write to a {instance?.Kind ?? "removed"} instance yet.", null, ct);
            return;
        }
        var locks = new List<IAsyncDisposable>();
        try
        {
            foreach (var person in new[] { submission.Email, submission.Phone }.OfType<string>())
            {
                if (await store.TryLockPersonAsync(module.Company, person, ct) is not { } held)
                {
                    await store.ReleaseAsync(submission.Id, clock.GetUtcNow() + TimeSpan.FromSeconds(1), ct);
                    return;
                }
                locks.Add(held);
            }
            var links = new CrmLinks(instance.Kind, await webAddresses.KnownOrReadAsync(instance.Id, WebAddressPatience, ct));
            var outcome = await new FormRun(module, submission, instance, crm, store, links, logger).ExecuteAsync(ct);
            await store.FinishAsync(submission.Id, outcome.Status, outcome.Outcome, outcome.Result, ct);
            FormLog.Written(logger, submission.Id, module.Name, instance.Name, outcome.Outcome);
        }
        catch (Exception e) when (e is CrmException or FormatException or HttpRequestException)
        {
            var attempts = submission.Attempts + 1;
            var next = attempts >= options.Value.MaxAttempts ? (DateTimeOffset?)null
                : clock.GetUtcNow() + TimeSpan.FromTicks(Math.Min(options.Value.RetryDelay.Ticks * (1L << Math.Min(attempts - 1, 20)), TimeSpan.FromHours(6).Ticks));
            await store.PutOffAsync(submission.Id, e.Message, next, CancellationToken.None);
            if (next is null) FormLog.Failed(logger, submission.Id, module.Name, attempts, e.Message);
            else FormLog.PutOff(logger, submission.Id, module.Name, next.Value, e.Message);
        }
        finally
        {
            foreach (var held in locks) await held.DisposeAsync();
        }
    }
}

/// <summary>In every worker: the due submissions every Forms:PollEvery.</summary>
public sealed class FormWorkerService(FormWorker worker, IOptions<FormOptions> options, TimeProvider clock, ILogger<FormWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollEvery, clock);
        do
        {
            try
            {
                while (await worker.RunDueAsync(stoppingToken) > 0) { }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // A database hiccup: the submissions stay queued for the next pass.
                FormLog.PassFailed(logger, e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

internal static partial class FormLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Form submission {Submission} of {Module} written to {Instance}: {Outcome}")]
    public static partial void Written(ILogger logger, long submission, string module, string instance, string outcome);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Form submission {Submission} of {Module} put off until {Next:u}: {Reason}")]
    public static partial void PutOff(ILogger logger, long submission, string module, DateTimeOffset next, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "Form submission {Submission} of {Module} failed after {Attempts} attempts: {Reason}")]
    public static partial void Failed(ILogger logger, long submission, string module, int attempts, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Form submission {Submission}: its {Step}, perhaps made before a crash, was found in the CRM ({Record}) and not made again")]
    public static partial void FoundAfterCrash(ILogger logger, long submission, string step, long record);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "A form submission pass could not run (the database): {Reason}")]
    public static partial void PassFailed(ILogger logger, string reason);
}
