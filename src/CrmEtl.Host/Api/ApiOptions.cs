using System.ComponentModel.DataAnnotations;

namespace CrmEtl.Host.Api;

/// <summary>The worker's HTTP API (configuration section "Api").</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Where the API listens. Loopback by default: put a TLS reverse proxy in front to expose it.</summary>
    [Required(ErrorMessage = "Api:Urls must name where the API listens, e.g. http://127.0.0.1:8080.")]
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The key every /api request must send in the X-Api-Key header. Set it from a secret (CRMETL__Api__Key), never in a committed file.</summary>
    [Required(ErrorMessage = "Api:Key is not set. Set the environment variable CRMETL__Api__Key to a long random value (e.g. from 'openssl rand -hex 32'); API clients send it in the X-Api-Key header.")]
    [MinLength(16, ErrorMessage = "Api:Key must be at least 16 characters; use a long random value, e.g. from 'openssl rand -hex 32'.")]
    public string? Key { get; set; }

    /// <summary>Largest request body accepted.</summary>
    [Range(1024, 10 * 1024 * 1024, ErrorMessage = "Api:MaxRequestBodyBytes must be between 1024 and 10485760.")]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;
}
