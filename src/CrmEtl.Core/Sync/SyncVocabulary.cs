using System.Collections.Concurrent;

namespace CrmEtl.Core.Sync;

public enum SyncMode { Incremental, Full }

/// <summary>How a run ended; stored in etl.sync_run.status as the snake_case name.</summary>
public enum RunStatus { Queued, Running, Succeeded, Failed, BudgetExhausted, AuthFailed, Cancelled }

/// <summary>What asked for a run: the instance's schedule, a refresh request (API or 'crmetl refresh'), or 'crmetl sync'.</summary>
public enum RunRequester { Schedule, Refresh, Command }

public static class RunStatusNames
{
    public static string ToDbName(this RunStatus status) => status switch
    {
        RunStatus.Queued => "queued",
        RunStatus.Running => "running",
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.BudgetExhausted => "budget_exhausted",
        RunStatus.AuthFailed => "auth_failed",
        RunStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The status a stored name stands for (the inverse of <see cref="ToDbName(RunStatus)"/>).</summary>
    public static RunStatus ParseStatus(string name) =>
        Enum.GetValues<RunStatus>().First(s => s.ToDbName() == name);

    public static string ToDbName(this RunRequester requester) => requester.ToString().ToLowerInvariant();

    public static string ToDbName(this SyncMode mode) => mode == SyncMode.Full ? "full" : "incremental";

    public static SyncMode ParseMode(string mode) => mode == "full" ? SyncMode.Full : SyncMode.Incremental;
}

/// <summary>
/// What one stream did in a run: rows read from the CRM and written to the replica, calls and tokens spent,
/// and the time spent waiting for the CRM (per request, so overlapping requests add up) and writing.
/// </summary>
public sealed class StreamStats
{
    private long _read, _written, _fetchingTicks, _writingTicks;
    private int _calls, _tokens;
    public long Read => Interlocked.Read(ref _read);
    public long Written => Interlocked.Read(ref _written);
    public int Calls => Volatile.Read(ref _calls);
    public int Tokens => Volatile.Read(ref _tokens);
    public TimeSpan Fetching => TimeSpan.FromTicks(Interlocked.Read(ref _fetchingTicks));
    public TimeSpan Writing => TimeSpan.FromTicks(Interlocked.Read(ref _writingTicks));
    public void AddRead(long n) => Interlocked.Add(ref _read, n);
    public void AddWritten(long n) => Interlocked.Add(ref _written, n);
    public void AddCall(int tokens) { Interlocked.Increment(ref _calls); Interlocked.Add(ref _tokens, tokens); }
    public void AddFetching(TimeSpan elapsed) => Interlocked.Add(ref _fetchingTicks, elapsed.Ticks);

    /// <summary>Runs a replica commit, counting its rows and its time.</summary>
    public async Task WriteAsync(Func<Task<long>> commit)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        AddWritten(await commit());
        Interlocked.Add(ref _writingTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
    }
}

/// <summary>Per-stream statistics of one run, safe to update from concurrent streams.</summary>
public sealed class RunStats
{
    private readonly ConcurrentDictionary<string, StreamStats> _streams = new(StringComparer.Ordinal);
    public StreamStats For(string stream) => _streams.GetOrAdd(stream, _ => new StreamStats());
    public IReadOnlyDictionary<string, StreamStats> Streams => _streams;
    public int Calls => _streams.Values.Sum(s => s.Calls);
    public int Tokens => _streams.Values.Sum(s => s.Tokens);
    public long Read => _streams.Values.Sum(s => s.Read);
    public long Written => _streams.Values.Sum(s => s.Written);
}

/// <summary>A stream's bookmark as committed with its data.</summary>
public sealed record StreamCheckpoint(string Stream, DateTimeOffset? Cursor, DateTimeOffset? CompletedAt, string ExtraJson = "{}");
