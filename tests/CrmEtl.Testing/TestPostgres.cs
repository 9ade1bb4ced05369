using CrmEtl.Storage.Database;
using Docker.DotNet;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;

namespace CrmEtl.Testing;

/// <summary>
/// A PostgreSQL server the tests own, wherever it comes from, with what the fault tests do to one: crash it
/// (an immediate stop, as a power cut would) and restart it on the same address with its data.
/// </summary>
public interface ITestPostgresServer : IAsyncDisposable
{
    /// <summary>The 'postgres' database of the server, as a superuser.</summary>
    string ConnectionString { get; }

    Task CrashAsync();

    Task RestartAsync();
}

/// <summary>
/// Where the tests' PostgreSQL comes from, decided once per run and said at its start:
/// <list type="number">
/// <item>CRMETL_PG, a server someone runs, when it is set;</item>
/// <item>else a container started with Testcontainers.PostgreSql when a Docker engine answers, from the image
/// CRMETL_TEST_PG_IMAGE (postgres:16-alpine by default, what a developer's machine pulls; .ci/run builds a local
/// one from Debian's packages, since no registry is reachable there);</item>
/// <item>else a throwaway server from the local PostgreSQL binaries.</item>
/// </list>
/// </summary>
public static class TestPostgres
{
    public const string ImageVariable = "CRMETL_TEST_PG_IMAGE";
    public const string DefaultImage = "postgres:16-alpine";

    /// <summary>Tests label their containers so that a run killed before its clean-up leaves nothing .ci/run cannot find.</summary>
    public const string Label = "crmetl-test";

    public static string Image => Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } image ? image : DefaultImage;

    /// <summary>A server of the run's kind: CRMETL_PG's (it cannot be crashed), a container, or local binaries.</summary>
    public static async Task<(ITestPostgresServer? Own, string ConnectionString, string Source)> StartAsync(CancellationToken ct = default)
    {
        if (Environment.GetEnvironmentVariable("CRMETL_PG") is { Length: > 0 } external) return (null, external, "CRMETL_PG");
        if (await ContainerServer.TryStartAsync(fixedPort: false, ct) is { } container) return (container, container.ConnectionString, $"Testcontainers.PostgreSql, image {Image}");
        var local = await LocalServer.StartAsync(ct);
        return (local, local.ConnectionString, "the local PostgreSQL binaries (no Docker engine answered)");
    }

    /// <summary>A server of the tests' own for a test that crashes and restarts it: a container when an engine answers, else local binaries.</summary>
    public static async Task<ITestPostgresServer> StartOwnServerAsync(CancellationToken ct = default) =>
        (ITestPostgresServer?)await ContainerServer.TryStartAsync(fixedPort: true, ct) ?? await LocalServer.StartAsync(ct);

    /// <summary>A server from the local binaries, whatever else is there: keeps that path proven.</summary>
    public static async Task<ITestPostgresServer> StartLocalServerAsync(CancellationToken ct = default) => await LocalServer.StartAsync(ct);

    private sealed class LocalServer(LocalPostgres server) : ITestPostgresServer
    {
        public static async Task<LocalServer> StartAsync(CancellationToken ct) => new(await LocalPostgres.StartAsync(ct));
        public string ConnectionString => server.ConnectionString;
        public Task CrashAsync() => server.CrashAsync();
        public Task RestartAsync() => server.RestartAsync();
        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private sealed class ContainerServer(PostgreSqlContainer container) : ITestPostgresServer
    {
        /// <summary>Started, or null when no Docker engine answers. A restart keeps the host port only when it was fixed.</summary>
        public static async Task<ContainerServer?> TryStartAsync(bool fixedPort, CancellationToken ct)
        {
            var builder = new PostgreSqlBuilder(Image)
                .WithUsername("postgres").WithPassword("postgres").WithDatabase("postgres")
                .WithLabel(Label, "true")
                // Durability is off as for the local server: the server lives for one test run.
                .WithCommand("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300");
            if (fixedPort) builder = builder.WithPortBinding(FreeLoopbackPort(), PostgreSqlBuilder.PostgreSqlPort);
            PostgreSqlContainer container;
            try
            {
                container = builder.Build();
            }
            catch (DockerUnavailableException)
            {
                return null;
            }
            try
            {
                await container.StartAsync(ct);
            }
            catch (DockerApiException e)
            {
                await container.DisposeAsync();
                throw new InvalidOperationException(
                    $"The Docker engine could not start PostgreSQL from the image '{Image}': {e.Message.Trim().TrimEnd('.')}. Set {ImageVariable} to an image the engine " +
                    "has (.ci/docker-postgres-image.sh builds crmetl-test/postgres:15 from Debian's packages when no registry is reachable), " +
                    "or run the tests without a Docker engine to use the local PostgreSQL binaries.", e);
            }
            return new ContainerServer(container);
        }

        public string ConnectionString => new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Pooling = true }.ConnectionString;

        /// <summary>SIGQUIT to the server (the container's first process): PostgreSQL's immediate stop, no checkpoint; the container ends with it.</summary>
        public async Task CrashAsync()
        {
            var kill = await container.ExecAsync(["sh", "-c", "kill -QUIT 1"]);
            if (kill.ExitCode != 0) throw new InvalidOperationException($"Could not stop the server in its container: {kill.Stderr}");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await container.GetExitCodeAsync(timeout.Token);
        }

        /// <summary>Starts the container again: the server recovers from its WAL, on the same host port (it was fixed).</summary>
        public Task RestartAsync() => container.StartAsync();

        public ValueTask DisposeAsync() => container.DisposeAsync();
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
