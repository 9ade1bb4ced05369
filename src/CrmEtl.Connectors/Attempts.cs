using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors;

/// <summary>
/// The attempts at one CRM request: sends it with a timeout, and after a transient failure (no
/// answer, a 5xx, an unreadable body) waits an exponential back-off with jitter before the caller
/// tries again, until <paramref name="maxAttempts"/> failures end the run with a message.
/// </summary>
internal sealed partial class Attempts(int maxAttempts, TimeSpan retryDelay, ILogger logger)
{
    private int _failures;

    /// <summary>The response, or null when there was none (the failure is counted and waited out: try again).</summary>
    public async Task<HttpResponseMessage?> SendAsync(HttpClient http, HttpRequestMessage request, TimeSpan timeout, string noAnswer, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await FailedAsync($"{noAnswer}: {e.Message}", e, ct);
            return null;
        }
    }

    /// <summary>Counts a transient failure and waits before the next attempt; throws once there were too many.</summary>
    public async Task FailedAsync(string message, Exception? cause, CancellationToken ct)
    {
        if (++_failures >= maxAttempts)
            throw new CrmException($"{message}. Gave up after {_failures} attempts; the run stopped with its progress saved.", null, cause);
        var wait = Backoff(_failures);
        ConnectorLog.Retrying(logger, message, _failures, wait.TotalSeconds);
        await Task.Delay(wait, ct);
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: the retry delay doubled per attempt, ±20 %.</summary>
    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(retryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1) * (0.8 + Random.Shared.NextDouble() * 0.4));
}
