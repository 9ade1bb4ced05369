using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>A real 'crmetl worker' process (the crmetl.dll built beside the tests) on a test database.</summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();

    private WorkerProcess(Process process) => _process = process;

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>What it wrote to stdout and stderr so far, for failure messages.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>What it wrote to stderr so far: its logs.</summary>
    public string Errors
    {
        get { lock (_output) return _errors.ToString(); }
    }

    /// <param name="environment">More environment variables, as they are (e.g. OpenTelemetry's OTEL_*).</param>
    public static WorkerProcess Start(string connectionString, Dictionary<string, string?>? settings = null, Dictionary<string, string>? environment = null) =>
        Run(connectionString, settings, environment, ["worker", "--urls", "http://127.0.0.1:0"]);

    /// <summary>Any crmetl command as a real process, e.g. <c>sync "Acme"</c>; its output is collected like a worker's.</summary>
    public static WorkerProcess Run(string connectionString, Dictionary<string, string?>? settings, params string[] command) =>
        Run(connectionString, settings, null, command);

    private static WorkerProcess Run(string connectionString, Dictionary<string, string?>? settings, Dictionary<string, string>? environment, string[] command)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "crmetl.dll"));
        foreach (var argument in command) start.ArgumentList.Add(argument);
        start.Environment["CRMETL_PG"] = connectionString;
        foreach (var (key, value) in environment ?? []) start.Environment[key] = value;
        foreach (var (key, value) in InProcessWorker.TestSettings(settings))
            start.Environment["CRMETL__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var worker = new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
        worker._process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Append(e.Data, error: true);
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    private void Append(string? line, bool error = false)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            if (error) _errors.AppendLine(line);
        }
    }

    /// <summary>Waits until the worker says it runs (schema checked, scheduler started, API listening).</summary>
    public async Task WaitUntilRunningAsync()
    {
        var waited = Stopwatch.StartNew();
        while (!Output.Contains("running; API on", StringComparison.Ordinal))
        {
            if (_process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail($"The worker did not start:\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>Where a started worker's API listens, as it said (call after <see cref="WaitUntilRunningAsync"/>).</summary>
    public Uri ApiAddress => new(System.Text.RegularExpressions.Regex.Match(Output, @"API on (http://[^ ,;]+)").Groups[1].Value);

    /// <summary>SIGKILL: the process ends at once, mid-whatever.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as a container runtime or systemd sends on stop.</summary>
    public void Terminate()
    {
        if (SendSignal(_process.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} failed");
    }

    /// <summary>Waits for the process to end; null if it did not within the timeout.</summary>
    public async Task<TimeSpan?> WaitForExitAsync(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return Stopwatch.GetElapsedTime(started);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
