using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CrmEtl.Connectors.Pipedrive;
using Dapper;
using Npgsql;

namespace CrmEtl.Host.Cli;

/// <summary>
/// The floor of a full Pipedrive sync on this machine, measured right after one: (a) the sandbox
/// serving every page that sync asked for to a client that only reads the bytes (following cursors,
/// parsing nothing else; changelogs as many at a time as the sync reads them), and (b) PostgreSQL's binary COPY of the rows that sync wrote, from files.
/// </summary>
internal static partial class FloorBench
{
    public sealed record Floor(TimeSpan Serve, long Calls, long Bytes, TimeSpan Copy, long Rows);

    private static readonly string[] ReplicaTables = ["crm.deal", "crm.deal_stage_history", "crm.activity", "crm.lead"];

    public static async Task<Floor> MeasureAsync(string baseUrl, string apiToken, string connectionString, int instanceId, CancellationToken ct)
    {
        var (serve, calls, bytes) = await ServeAsync(baseUrl, apiToken, await MovedDealsAsync(connectionString, instanceId, ct), ct);
        var (copy, rows) = await CopyAsync(connectionString, instanceId, ct);
        return new Floor(serve, calls, bytes, copy, rows);
    }

    /// <summary>The deals whose changelog a full sync reads: every live deal that ever changed stage.</summary>
    private static async Task<List<long>> MovedDealsAsync(string connectionString, int instanceId, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        return (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT id FROM crm.deal WHERE instance_id = @instanceId AND stage_change_time IS NOT NULL AND NOT is_deleted ORDER BY id", new { instanceId }, cancellationToken: ct))).ToList();
    }

    /// <summary>(a) Every list page and every changelog a full sync reads, read as bytes.</summary>
    private static async Task<(TimeSpan, long, long)> ServeAsync(string baseUrl, string apiToken, List<long> movedDeals, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Add("x-api-token", apiToken);
        long calls = 0, bytes = 0;
        async Task<string> TailAsync(string url)
        {
            var body = await http.GetByteArrayAsync(new Uri(url, UriKind.Relative), ct);
            Interlocked.Increment(ref calls);
            Interlocked.Add(ref bytes, body.Length);
            // The paging members are at the end of the body: only that much is turned into text.
            return Encoding.UTF8.GetString(body, Math.Max(0, body.Length - 256), Math.Min(256, body.Length));
        }
        var clock = Stopwatch.StartNew();
        foreach (var list in new[]
        {
            "/api/v2/deals?limit=500&status=open,won,lost,deleted&sort_by=update_time&sort_direction=asc",
            "/api/v2/deals/archived?limit=500&status=open,won,lost,deleted&sort_by=update_time&sort_direction=asc",
            "/api/v2/activities?limit=500&sort_by=update_time&sort_direction=asc",
        })
        {
            for (string? cursor = null; ;)
            {
                var tail = await TailAsync(list + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                cursor = NextCursor().Match(tail) is { Success: true } m ? m.Groups[1].Value : null;
                if (cursor is null) break;
            }
        }
        foreach (var list in new[] { "/api/v1/leads/archived?limit=500", "/api/v1/leads?limit=500&sort=update_time%20ASC" })
            for (var start = 0; ; start += 500)
                if (!(await TailAsync($"{list}&start={start.ToString(CultureInfo.InvariantCulture)}")).Contains("\"more_items_in_collection\":true", StringComparison.Ordinal)) break;
        // As many at a time as the sync fetches them (Pipedrive:HistoryConcurrency's default).
        await Parallel.ForEachAsync(movedDeals, new ParallelOptions { MaxDegreeOfParallelism = new PipedriveOptions().HistoryConcurrency, CancellationToken = ct },
            async (deal, _) => await TailAsync($"/api/v1/deals/{deal.ToString(CultureInfo.InvariantCulture)}/changelog?limit=500"));
        return (clock.Elapsed, calls, bytes);
    }

    /// <summary>(b) The replica rows of the instance written to files, the tables emptied, then loaded again with binary COPY.</summary>
    private static async Task<(TimeSpan, long)> CopyAsync(string connectionString, int instanceId, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("crmetl-floor-");
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            foreach (var table in ReplicaTables)
            {
                await using var file = File.Create(Path.Combine(folder.FullName, table));
                await using var export = await connection.BeginRawBinaryCopyAsync($"COPY (SELECT * FROM {table} WHERE instance_id = {instanceId}) TO STDOUT (FORMAT BINARY)", ct);
                await export.CopyToAsync(file, ct);
            }
            await using (var empty = new NpgsqlCommand($"TRUNCATE {string.Join(", ", ReplicaTables)}", connection)) await empty.ExecuteNonQueryAsync(ct);

            var clock = Stopwatch.StartNew();
            foreach (var table in ReplicaTables)
            {
                await using var file = File.OpenRead(Path.Combine(folder.FullName, table));
                await using var import = await connection.BeginRawBinaryCopyAsync($"COPY {table} FROM STDIN (FORMAT BINARY)", ct);
                await file.CopyToAsync(import, ct);
            }
            var elapsed = clock.Elapsed;
            long rows = 0;
            foreach (var table in ReplicaTables)
            {
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
                rows += (long)(await count.ExecuteScalarAsync(ct))!;
            }
            return (elapsed, rows);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [GeneratedRegex("\"next_cursor\":\"([^\"]+)\"")]
    private static partial Regex NextCursor();
}
