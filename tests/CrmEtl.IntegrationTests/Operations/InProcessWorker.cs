using System.Net.Http.Json;
using CrmEtl.Host.Api;
using CrmEtl.Host.Hosting;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serilog.Events;

namespace CrmEtl.IntegrationTests.Operations;

/// <summary>A worker (scheduler and HTTP API) inside the test process, on a free loopback port, with a client that sends the API key.</summary>
internal sealed class InProcessWorker : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-0123456789abcdef";

    private InProcessWorker(WebApplication app, HttpClient client, string connectionString)
    {
        App = app;
        Client = client;
        ConnectionString = connectionString;
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public string ConnectionString { get; }
    public IServiceProvider Services => App.Services;

    /// <summary>Fast cluster check-ins and schedule reconciliation, so that tests do not wait for production intervals.</summary>
    public static Dictionary<string, string?> TestSettings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Api:Key"] = ApiKey,
            ["Scheduler:CheckinInterval"] = "00:00:01",
            ["Scheduler:ReconcileEvery"] = "00:00:01",
        };
        foreach (var (k, v) in more ?? []) settings[k] = v;
        return settings;
    }

    public static async Task<InProcessWorker> StartAsync(string connectionString, Dictionary<string, string?>? settings = null)
    {
        var app = WorkerHost.Build(connectionString, TestSettings(settings), "http://127.0.0.1:0", LogEventLevel.Warning);
        await WorkerHost.PrepareAsync(app.Services, CancellationToken.None);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Add(WorkerApi.KeyHeader, ApiKey);
        return new InProcessWorker(app, client, connectionString);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException($"null from {sql}");
    }

    public async Task<List<string>> RowsAsync(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return (await connection.QueryAsync<string>(sql, args)).ToList();
    }

    public async Task<RunView> WaitForRunAsync(long runId, TimeSpan timeout)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var run = await Client.GetFromJsonAsync<RunView>($"/api/runs/{runId}") ?? throw new InvalidOperationException("no run");
            if (run.EndedAt is not null) return run;
            if (waited.Elapsed > timeout) throw new TimeoutException($"Run {runId} is still {run.Status} after {timeout}.");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
