using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Users;

/// <summary>A person who signs in to the web console: one company, admin or viewer.</summary>
public sealed record ConsoleUser(int Id, string Email, string Company, string Role, string PasswordHash, int FailedSignIns,
    DateTime? LockedUntil, Guid SecurityStamp, DateTime CreatedAt, DateTime? LastSignIn);

public static class ConsoleRoles
{
    public const string Admin = "admin";
    public const string Viewer = "viewer";
    public static readonly IReadOnlyList<string> All = [Admin, Viewer];
}

public sealed class DuplicateConsoleUserException(string email) : InvalidOperationException($"There is already a console user '{email}'.");

/// <summary>etl.console_user. E-mails are kept trimmed and lower-case, so that a sign-in matches however it is typed.</summary>
public sealed class ConsoleUserStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string Columns = """
        id, email, company, role, password_hash AS PasswordHash, failed_sign_ins AS FailedSignIns, locked_until AS LockedUntil,
        security_stamp AS SecurityStamp, created_at AS CreatedAt, last_sign_in AS LastSignIn
        """;

    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    public async Task<ConsoleUser> AddAsync(string email, string company, string role, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return await connection.QuerySingleAsync<ConsoleUser>(new CommandDefinition($"""
                INSERT INTO etl.console_user (email, company, role, password_hash, security_stamp, created_at)
                VALUES (@email, @company, @role, @passwordHash, @stamp, @now) RETURNING {Columns}
                """, new { email = Normalize(email), company = company.Trim(), role, passwordHash, stamp = Guid.NewGuid(), now = clock.GetUtcNow() },
                cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DuplicateConsoleUserException(Normalize(email));
        }
    }

    public async Task<ConsoleUser?> FindAsync(string email, CancellationToken cancellationToken) =>
        await QueryOneAsync($"SELECT {Columns} FROM etl.console_user WHERE email = @email", new { email = Normalize(email) }, cancellationToken);

    public async Task<ConsoleUser?> FindAsync(int id, CancellationToken cancellationToken) =>
        await QueryOneAsync($"SELECT {Columns} FROM etl.console_user WHERE id = @id", new { id }, cancellationToken);

    /// <summary>Every user, or a company's, by e-mail.</summary>
    public async Task<IReadOnlyList<ConsoleUser>> ListAsync(string? company, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ConsoleUser>(new CommandDefinition(
            $"SELECT {Columns} FROM etl.console_user WHERE @company::text IS NULL OR company = @company ORDER BY company, email",
            new { company }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<bool> RemoveAsync(int id, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM etl.console_user WHERE id = @id", new { id }, cancellationToken) == 1;

    /// <summary>A new password (and stamp: sessions signed in with the old one end); also lifts a lockout.</summary>
    public async Task SetPasswordAsync(int id, string passwordHash, CancellationToken cancellationToken) =>
        await ExecuteAsync("""
            UPDATE etl.console_user SET password_hash = @passwordHash, security_stamp = @stamp, failed_sign_ins = 0, locked_until = NULL WHERE id = @id
            """, new { id, passwordHash, stamp = Guid.NewGuid() }, cancellationToken);

    public async Task SetRoleAsync(int id, string role, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE etl.console_user SET role = @role, security_stamp = @stamp WHERE id = @id",
            new { id, role, stamp = Guid.NewGuid() }, cancellationToken);

    /// <summary>Counts a wrong password; at <paramref name="lockoutAfter"/> in a row the account is locked for <paramref name="lockoutFor"/>.</summary>
    public async Task RecordFailureAsync(int id, int lockoutAfter, TimeSpan lockoutFor, CancellationToken cancellationToken) =>
        await ExecuteAsync("""
            UPDATE etl.console_user SET failed_sign_ins = failed_sign_ins + 1,
                locked_until = CASE WHEN failed_sign_ins + 1 >= @lockoutAfter THEN @until ELSE locked_until END
            WHERE id = @id
            """, new { id, lockoutAfter, until = clock.GetUtcNow() + lockoutFor }, cancellationToken);

    public async Task RecordSuccessAsync(int id, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE etl.console_user SET failed_sign_ins = 0, locked_until = NULL, last_sign_in = @now WHERE id = @id",
            new { id, now = clock.GetUtcNow() }, cancellationToken);

    private async Task<ConsoleUser?> QueryOneAsync(string sql, object args, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ConsoleUser>(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
    }

    private async Task<int> ExecuteAsync(string sql, object args, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
    }
}
