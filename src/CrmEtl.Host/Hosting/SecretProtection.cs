using CrmEtl.Core.Instances;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.Host.Hosting;

/// <summary>Where the keys that encrypt stored CRM credentials live (configuration section "DataProtection").</summary>
public sealed class SecretProtectionOptions
{
    public const string SectionName = "DataProtection";

    /// <summary>
    /// A directory every worker and command of one deployment shares (a mounted volume or secret).
    /// Default: ~/.local/share/crmetl/keys. Without the same keys, a process cannot read the tokens
    /// another one stored.
    /// </summary>
    public string? KeysDirectory { get; set; }

    public string ResolveKeysDirectory() => string.IsNullOrWhiteSpace(KeysDirectory)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "crmetl", "keys")
        : KeysDirectory;
}

/// <summary>Stored tokens are encrypted with ASP.NET Core Data Protection, with keys kept in a shared directory.</summary>
public sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    // The purpose string isolates these payloads from any other use of the same keys.
    private readonly IDataProtector _protector = provider.CreateProtector("CrmEtl.InstanceCredentials.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);
}

public static class SecretProtectionExtensions
{
    public static void AddCrmEtlSecretProtection(this IHostApplicationBuilder builder)
    {
        var options = new SecretProtectionOptions();
        builder.Configuration.GetSection(SecretProtectionOptions.SectionName).Bind(options);
        var directory = new DirectoryInfo(options.ResolveKeysDirectory());
        if (!directory.Exists)
        {
            directory.Create();
            // The keys are the only thing between a database dump and the tokens in it: readable by this user only.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        builder.Services.AddDataProtection().SetApplicationName("CrmEtl").PersistKeysToFileSystem(directory);
        builder.Services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();
    }
}
