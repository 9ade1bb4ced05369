using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CrmEtl.Storage.Database;

/// <summary>
/// A throwaway PostgreSQL server for tests and the demo: initdb into a temp folder, start on a free
/// loopback port, stop and delete on dispose. Runs the server as the 'postgres' user when the
/// process is root (PostgreSQL refuses to run as root).
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _dataDir;
    private readonly string _binDir;
    private bool _stopped;

    private LocalPostgres(string dataDir, string binDir, int port)
    {
        _dataDir = dataDir;
        _binDir = binDir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Connection string to the 'postgres' database of this server.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = "postgres", Database = "postgres", Pooling = true,
    }.ConnectionString;

    public static async Task<LocalPostgres> StartAsync(CancellationToken cancellationToken = default)
    {
        var binDir = FindBinDirectory();
        var dataDir = Path.Combine(Path.GetTempPath(), $"crmetl-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dataDir);
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", ["postgres:postgres", dataDir], asPostgres: false, cancellationToken);

        var server = new LocalPostgres(dataDir, binDir, FreeLoopbackPort());
        try
        {
            await server.PgAsync("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], cancellationToken);
            await server.StartServerAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    // Durability settings are off: the server lives for one test run or one demo (a crash it is put through
    // in a test is PostgreSQL's immediate stop, whose recovery replays the WAL, which these settings keep).
    private Task StartServerAsync(CancellationToken ct) => PgAsync("pg_ctl",
        ["-D", _dataDir, "-o", $"-p {Port} -k {_dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
         "-l", Path.Combine(_dataDir, "server.log"), "-w", "-t", "60", "start"], ct);

    /// <summary>Stops the server at once, as a crash would (no shutdown checkpoint; open connections break), keeping its data.</summary>
    public Task CrashAsync() => PgAsync("pg_ctl", ["-D", _dataDir, "-m", "immediate", "-w", "stop"], CancellationToken.None);

    /// <summary>Starts the server again after <see cref="CrashAsync"/>: it recovers from its WAL on the same port.</summary>
    public Task RestartAsync() => StartServerAsync(CancellationToken.None);

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        try
        {
            await PgAsync("pg_ctl", ["-D", _dataDir, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Not running (start failed half way): nothing to stop.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_dataDir, recursive: true); }
        catch (IOException) { /* a file still held open; the temp folder is cleaned by the OS */ }
        catch (UnauthorizedAccessException) { }
    }

    private Task PgAsync(string tool, string[] args, CancellationToken ct) =>
        RunAsync(Path.Combine(_binDir, tool), args, asPostgres: Environment.UserName == "root", ct);

    private static async Task RunAsync(string file, string[] args, bool asPostgres, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (asPostgres) { psi.ArgumentList.Add("-u"); psi.ArgumentList.Add("postgres"); psi.ArgumentList.Add("--"); psi.ArgumentList.Add(file); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed with exit code {process.ExitCode}: {await stderr}{await stdout}");
    }

    private static string FindBinDirectory()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "pg_ctl");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir, "initdb")))
                return Path.GetDirectoryName(ResolveLink(candidate))!;
        }
        // Debian installs the server binaries outside PATH.
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null) return newest;
        }
        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql. " +
            "Install them (apt-get install postgresql) or set CRMETL_PG to a connection string of a server to use.");
    }

    private static string ResolveLink(string file) =>
        new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? file;

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
