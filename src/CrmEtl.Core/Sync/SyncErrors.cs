namespace CrmEtl.Core.Sync;

/// <summary>A CRM refused or failed a request in a way that ends the run. The message is for a person.</summary>
public class CrmException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;
}

/// <summary>The CRM rejected the credentials: the admin must fix them; retrying will not help.</summary>
public sealed class CrmAuthException(string message, int? statusCode = null) : CrmException(message, statusCode);

/// <summary>The CRM's daily budget (Pipedrive tokens, Zoho credits) is spent: stop cleanly and resume on the next run.</summary>
public sealed class CrmBudgetExhaustedException(string message) : CrmException(message, 429);
