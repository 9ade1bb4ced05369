using System.Diagnostics;
using System.Diagnostics.Metrics;
using CrmEtl.Core.Instances;
using CrmEtl.Core.Sync;
using Dapper;
using Npgsql;

namespace CrmEtl.Host.Telemetry;

/// <summary>
/// What runs tell OpenTelemetry: a trace per run (the CRM calls and database commands under it come from the
/// HttpClient and Npgsql instrumentation), and the meter "CrmEtl": runs by status, run duration, rows read and
/// written, API calls and tokens (Zoho: credits), and the time waiting for the CRM and writing to the database,
/// per instance and stream; and the refresh requests queued. Prometheus names are in docs/OPERATIONS.md.
/// </summary>
public sealed class SyncTelemetry : IDisposable
{
    public const string Name = "CrmEtl";
    public static readonly ActivitySource Traces = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _read, _written, _calls, _tokens;
    private readonly Counter<double> _waitingForCrm, _writing;

    public SyncTelemetry(IMeterFactory meters, NpgsqlDataSource database)
    {
        _meter = meters.Create(Name);
        _runs = _meter.CreateCounter<long>("crmetl.runs", "{run}", "Runs that ended, by instance and status");
        _duration = _meter.CreateHistogram<double>("crmetl.run.duration", "s", "How long runs took, by instance and status");
        _read = _meter.CreateCounter<long>("crmetl.rows.read", "{row}", "Records read from the CRM, by instance and stream");
        _written = _meter.CreateCounter<long>("crmetl.rows.written", "{row}", "Rows written to the replica, by instance and stream");
        _calls = _meter.CreateCounter<long>("crmetl.api.calls", "{call}", "CRM API calls, by instance and stream");
        _tokens = _meter.CreateCounter<long>("crmetl.api.tokens", "{token}", "CRM API tokens (Pipedrive) or credits (Zoho) spent, by instance and stream");
        _waitingForCrm = _meter.CreateCounter<double>("crmetl.crm.wait", "s", "Time spent waiting for the CRM's answers (overlapping requests add up), by instance and stream");
        _writing = _meter.CreateCounter<double>("crmetl.db.write", "s", "Time spent committing to the replica, by instance and stream");
        _meter.CreateObservableGauge("crmetl.refresh.queued", () => QueuedRuns(database), "{run}", "Runs asked for and not yet started");
    }

    /// <summary>The trace of one run; CRM calls and database commands made in it become its children.</summary>
    public static Activity? StartRun(Instance instance, long runId, SyncMode mode)
    {
        var activity = Traces.StartActivity($"sync {instance.Name}");
        activity?.SetTag("crmetl.instance", instance.Name);
        activity?.SetTag("crmetl.run_id", runId);
        activity?.SetTag("crmetl.mode", mode.ToDbName());
        return activity;
    }

    public void RunEnded(Activity? activity, Instance instance, RunStatus status, string? error, TimeSpan elapsed, RunStats stats)
    {
        var ended = status.ToDbName();
        activity?.SetTag("crmetl.status", ended);
        if (status != RunStatus.Succeeded) activity?.SetStatus(ActivityStatusCode.Error, error);
        var tags = new TagList { { "instance", instance.Name }, { "status", ended } };
        _runs.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
        foreach (var (stream, s) in stats.Streams)
        {
            var of = new TagList { { "instance", instance.Name }, { "stream", stream } };
            _read.Add(s.Read, of);
            _written.Add(s.Written, of);
            _calls.Add(s.Calls, of);
            _tokens.Add(s.Tokens, of);
            _waitingForCrm.Add(s.Fetching.TotalSeconds, of);
            _writing.Add(s.Writing.TotalSeconds, of);
        }
    }

    /// <summary>Read when a collector asks; nothing when the database does not answer (its own health check says so).</summary>
    private static IEnumerable<Measurement<long>> QueuedRuns(NpgsqlDataSource database)
    {
        long queued;
        try
        {
            using var connection = database.OpenConnection();
            queued = connection.ExecuteScalar<long>("SELECT count(*) FROM etl.sync_run WHERE status = 'queued'");
        }
        catch (NpgsqlException)
        {
            yield break;
        }
        yield return new Measurement<long>(queued);
    }

    public void Dispose() => _meter.Dispose();
}
