using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Analytics;

/// <summary>
/// Who may read the analytics, and how they leave the database: read-only BI roles that see the
/// analytics schema and nothing else, and CSV exports of any analytics view.
/// </summary>
public sealed partial class AnalyticsAccess(NpgsqlDataSource dataSource)
{
    private static readonly string[] DateColumns = ["day", "date", "period_start", "cohort_month", "month", "snapshot_date", "passed_date"];

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex RoleName();

    /// <summary>
    /// Creates (or updates the password of) a login role that can SELECT from the analytics schema,
    /// today's objects and future ones, and has no access to etl, crm or config.
    /// </summary>
    public async Task CreateBiUserAsync(string name, string password, CancellationToken cancellationToken)
    {
        if (!RoleName().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a valid role name: use lower-case letters, digits and _, starting with a letter (at most 63).", nameof(name));
        if (password.Length < 8) throw new ArgumentException("The password must have at least 8 characters.", nameof(password));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Role names and passwords cannot be parameters in DDL: PostgreSQL quotes them itself (%I, %L).
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = @name)", new { name }, tx, cancellationToken: cancellationToken));
        var statements = await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT unnest(ARRAY[
                format(CASE WHEN @exists THEN 'ALTER ROLE %I LOGIN PASSWORD %L' ELSE 'CREATE ROLE %I LOGIN PASSWORD %L' END, @name, @password),
                format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), @name),
                format('REVOKE ALL ON SCHEMA etl, crm, config, quartz FROM %I', @name),
                format('GRANT USAGE ON SCHEMA analytics TO %I', @name),
                format('GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO %I', @name),
                format('ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO %I', @name)])
            """, new { name, password, exists }, tx, cancellationToken: cancellationToken));
        foreach (var statement in statements)
            await connection.ExecuteAsync(new CommandDefinition(statement, transaction: tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ViewsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'analytics' ORDER BY 1", cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>
    /// Writes a view as CSV rows (header first) through <paramref name="writeRow"/>, limited to a date
    /// range on the view's date column and to some instances; returns the number of data rows.
    /// </summary>
    public async Task<long> ExportAsync(string view, DateOnly? from, DateOnly? to, IReadOnlyList<string> instances,
        Action<string[]> writeRow, CancellationToken cancellationToken)
    {
        var views = await ViewsAsync(cancellationToken);
        var known = views.FirstOrDefault(v => string.Equals(v, view, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"There is no analytics view '{view}'. Views: {string.Join(", ", views)}.", nameof(view));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var columns = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = @known ORDER BY ordinal_position",
            new { known }, cancellationToken: cancellationToken))).ToList();
        var dateColumn = DateColumns.FirstOrDefault(columns.Contains);
        if ((from is not null || to is not null) && dateColumn is null)
            throw new ArgumentException($"View '{known}' has no date column; export it without --from and --to.", nameof(view));
        if (instances.Count > 0 && !columns.Contains("instance"))
            throw new ArgumentException($"View '{known}' is not per instance; export it without --instance.", nameof(instances));

        // The view and column names come from the catalog above, never from the command line.
        var where = new List<string>();
        if (from is not null) where.Add($"\"{dateColumn}\" >= @from");
        if (to is not null) where.Add($"\"{dateColumn}\" <= @to");
        if (instances.Count > 0) where.Add("lower(instance) = ANY (@instances)");
        var sql = $"SELECT * FROM analytics.\"{known}\"" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + (dateColumn is null ? "" : $" ORDER BY \"{dateColumn}\"");
        await using var command = new NpgsqlCommand(sql, connection);
        if (from is { } f) command.Parameters.AddWithValue("from", f);
        if (to is { } t) command.Parameters.AddWithValue("to", t);
        command.Parameters.AddWithValue("instances", instances.Select(i => i.ToLowerInvariant()).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        writeRow([.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetName)]);
        long rows = 0;
        var values = new object[reader.FieldCount];
        while (await reader.ReadAsync(cancellationToken))
        {
            reader.GetValues(values);
            writeRow([.. values.Select(Format)]);
            rows++;
        }
        return rows;
    }

    private static string Format(object value) => value switch
    {
        DBNull => "",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list and not string => string.Join(';', list.Cast<object>().Select(Format)),
        _ => value.ToString() ?? "",
    };
}
