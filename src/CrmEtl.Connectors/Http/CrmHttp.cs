using System.Diagnostics;
using System.Text.Json;
using CrmEtl.Core.Sync;
using Microsoft.Extensions.Logging;

namespace CrmEtl.Connectors.Http;

/// <summary>One request to a CRM's API: what it is for (the stream its cost is charged to) and what is sent.</summary>
/// <param name="Operation">The endpoint as the CRM documents it (e.g. /api/v2/deals), which may set the call's cost.</param>
internal sealed record CrmCall(HttpMethod Method, string Stream, string Operation, string PathAndQuery)
{
    public string? Json { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The method and path without its query, for messages (a query may be long and says nothing to a person).</summary>
    public override string ToString() => $"{Method} {PathAndQuery.Split('?')[0]}";
}

/// <summary>Retries and timeout of a connector's requests (its options' MaxAttempts, RetryDelay, RequestTimeout).</summary>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan RetryDelay, TimeSpan RequestTimeout);

/// <summary>A CRM's error answer: its code (or the status), its message, and how messages quote it.</summary>
internal record CrmError(string Code, string Message, string Quoted)
{
    public sealed override string ToString() => Quoted;
}

/// <summary>
/// The request loop every CRM client shares: paces and sends a request with a timeout, charges the
/// call to its stream, parses a success, and retries what is transient — no answer, a 5xx, an
/// unreadable body — with back-off until <see cref="RetryPolicy.MaxAttempts"/> (a write is sent once:
/// it may have been done). What a refusal means (a token to renew, a rate limit to wait for, a budget
/// spent, a permission missing) is each CRM's own, in <see cref="RefusedAsync"/>.
/// </summary>
internal abstract class CrmHttp(HttpClient http, RetryPolicy retries, RunStats stats, ILogger logger)
{
    /// <summary>What to do after a refusal: send again, or take it as nothing there (the caller gets null).</summary>
    protected enum Verdict { Retry, Nothing }

    /// <summary>A refused request: the call, the answer, its error, how many 429s this call met, and its attempts.</summary>
    protected sealed record Refusal(CrmCall Call, HttpResponseMessage Response, CrmError Error, int Throttled, Attempts Attempts)
    {
        public int Status => (int)Response.StatusCode;
    }

    /// <summary>The CRM's name in messages ("Pipedrive did not answer …").</summary>
    protected abstract string Crm { get; }

    protected RunStats Stats => stats;
    protected ILogger Logger => logger;

    /// <summary>The request, with the CRM's authentication.</summary>
    protected abstract ValueTask<HttpRequestMessage> RequestAsync(CrmCall call, CancellationToken ct);

    /// <summary>What the call costs in the CRM's budget, given its answer.</summary>
    protected abstract int Cost(CrmCall call, HttpResponseMessage response);

    protected abstract Task<CrmError> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct);

    /// <summary>Decides about a 4xx (5xx are retried here); throws when the run cannot go on.</summary>
    protected abstract Task<Verdict> RefusedAsync(Refusal refusal, CancellationToken ct);

    /// <summary>Waits, when the CRM's rate limit asks for it, before a request is sent.</summary>
    protected virtual Task PaceAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Sees every answer (e.g. its rate-limit headers) before it is judged.</summary>
    protected virtual void Observe(HttpResponseMessage response) { }

    /// <summary>An answer that carries nothing to parse (e.g. 204 No Content): the caller gets null.</summary>
    protected virtual bool IsEmpty(HttpResponseMessage response) => response.StatusCode == System.Net.HttpStatusCode.NoContent;

    /// <summary>A GET, with the time it took charged to its stream.</summary>
    protected async Task<T?> GetAsync<T>(CrmCall call, Func<Stream, CancellationToken, ValueTask<T?>> parse, CancellationToken ct) where T : class
    {
        var started = Stopwatch.GetTimestamp();
        try { return await SendAsync(call, parse, ct); }
        finally { stats.For(call.Stream).AddFetching(Stopwatch.GetElapsedTime(started)); }
    }

    protected async Task<T?> SendAsync<T>(CrmCall call, Func<Stream, CancellationToken, ValueTask<T?>> parse, CancellationToken ct) where T : class
    {
        var streamStats = stats.For(call.Stream);
        var attempts = new Attempts(call.Method == HttpMethod.Get ? retries.MaxAttempts : 1, retries.RetryDelay, logger);
        var throttled = 0;
        while (true)
        {
            await PaceAsync(ct);
            using var request = await RequestAsync(call, ct);
            foreach (var (name, value) in call.Headers) request.Headers.TryAddWithoutValidation(name, value);
            if (call.Json is not null) request.Content = new StringContent(call.Json, System.Text.Encoding.UTF8, "application/json");
            var response = await attempts.SendAsync(http, request, retries.RequestTimeout, $"{Crm} did not answer {call}", ct);
            if (response is null)
            {
                streamStats.AddCall(0);
                continue;
            }

            using (response)
            {
                Observe(response);
                if ((int)response.StatusCode == 429) throttled++;
                streamStats.AddCall(Cost(call, response));
                if (IsEmpty(response)) return null;
                if (response.IsSuccessStatusCode)
                {
                    try
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(ct);
                        return await parse(body, ct) ?? throw new JsonException("The body was empty.");
                    }
                    catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
                    {
                        await attempts.FailedAsync($"{Crm} sent an unreadable response to {call}: {e.Message}", e, ct);
                        continue;
                    }
                }
                var error = await ReadErrorAsync(response, ct);
                if ((int)response.StatusCode >= 500)
                {
                    await attempts.FailedAsync($"{Crm} failed on {call} ({error})", null, ct);
                    continue;
                }
                if (await RefusedAsync(new Refusal(call, response, error, throttled, attempts), ct) == Verdict.Nothing) return null;
            }
        }
    }
}
