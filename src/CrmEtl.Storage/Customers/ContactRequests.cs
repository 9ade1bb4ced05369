using Dapper;
using Npgsql;

namespace CrmEtl.Storage.Customers;

/// <summary>What came of adding a contact: created in the CRM, or found there (or in the replica) already.</summary>
public sealed record ContactOutcome(long ContactId, bool Created);

/// <summary>
/// etl.contact_request: adding a contact is serialised per instance and e-mail across requests and workers. The row is
/// locked (SELECT ... FOR UPDATE) while <c>work</c> looks in the replica and the CRM and creates the contact if none has
/// the e-mail; a second press waits for the first and then finds its contact. A process killed mid-call leaves no lock
/// (its transaction ends with its connection), and the next press finds in the CRM what the killed one created.
/// </summary>
public sealed class ContactRequests(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public async Task<ContactOutcome> SerializedAsync(int instanceId, string email, string? requestedBy,
        Func<CancellationToken, Task<ContactOutcome>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var key = new { instanceId, email, requestedBy, now = clock.GetUtcNow() };
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO etl.contact_request (instance_id, email, requested_by, requested_at) VALUES (@instanceId, @email, @requestedBy, @now)
            ON CONFLICT (instance_id, email) DO NOTHING
            """, key, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT 1 FROM etl.contact_request WHERE instance_id = @instanceId AND email = @email FOR UPDATE", key, transaction, cancellationToken: cancellationToken));
        var outcome = await work(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE etl.contact_request SET contact_id = @id, outcome = @outcome, requested_by = @requestedBy, requested_at = @now, done_at = @done
            WHERE instance_id = @instanceId AND email = @email
            """, new { instanceId, email, id = outcome.ContactId, outcome = outcome.Created ? "created" : "found", requestedBy, now = key.now, done = clock.GetUtcNow() },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }
}
