using System.ComponentModel.DataAnnotations;

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

/// <summary>
/// Validates an options class by its data annotations and reports every failure at once, naming
/// the configuration key and what is expected.
/// </summary>
public sealed class DataAnnotationsValidator<T> : Microsoft.Extensions.Options.IValidateOptions<T> where T : class
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, T options)
    {
        var results = new List<ValidationResult>();
        return Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(results.Select(r => r.ErrorMessage ?? "invalid value"));
    }
}
