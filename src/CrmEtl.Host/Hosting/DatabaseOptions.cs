namespace CrmEtl.Host.Hosting;

/// <summary>Where CrmEtl keeps its data (configuration section "Database").</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>
    /// Npgsql connection string. CRMETL_PG overrides it. Empty: 'demo' and 'bench' start a throwaway
    /// local server; every other command needs one.
    /// </summary>
    public string? ConnectionString { get; set; }

    public static string? FromEnvironment() => Environment.GetEnvironmentVariable("CRMETL_PG") is { Length: > 0 } pg ? pg : null;
}
