using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CrmEtl.Sandbox.Tests;

/// <summary>An answer of the Kommo sandbox: its status, content type and body (null when it has none).</summary>
internal sealed record KommoAnswer(int Status, string? ContentType, JsonNode? Body);

/// <summary>
/// Calls one Kommo sandbox account over HTTP as a connector would (Authorization: Bearer), and checks every answer:
/// a 200 against the JSON Schema of what was asked (application/hal+json), an error against problem.json
/// (application/problem+json), a 204 for having no body at all; the token endpoint answers application/json. Writes
/// (POST, PATCH) send a JSON body and are checked the same way.
/// </summary>
internal sealed class KommoApi(string baseUrl, string? accessToken) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl) };

    public string? AccessToken { get; set; } = accessToken;

    public async Task<KommoAnswer> SendAsync(string url, string schema)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
        if (AccessToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        using var response = await _http.SendAsync(request);
        var answer = await ReadAsync(response, schema);
        Assert.That(answer.ContentType, Is.EqualTo(answer.Status == 200 ? "application/hal+json" : answer.Status == 204 ? null : "application/problem+json"), url);
        return answer;
    }

    /// <summary>A POST or PATCH with a JSON body (Content-Type: application/json, as each write's 'Заголовок запроса' says).</summary>
    public async Task<KommoAnswer> WriteAsync(HttpMethod method, string url, string json, string schema)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (AccessToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        using var response = await _http.SendAsync(request);
        var answer = await ReadAsync(response, schema);
        Assert.That(answer.ContentType, Is.EqualTo(answer.Status == 200 ? "application/hal+json" : "application/problem+json"), $"{method} {url}");
        return answer;
    }

    /// <summary>A write answered 200; its body checked against <paramref name="schema"/>.</summary>
    public async Task<JsonNode> PostAsync(string url, string json, string schema) => Ok(await WriteAsync(HttpMethod.Post, url, json, schema), "POST", url);

    public async Task<JsonNode> PatchAsync(string url, string json, string schema) => Ok(await WriteAsync(HttpMethod.Patch, url, json, schema), "PATCH", url);

    private static JsonNode Ok(KommoAnswer answer, string method, string url)
    {
        Assert.That(answer.Status, Is.EqualTo(200), $"{method} {url}: {answer.Body?.ToJsonString()}");
        return answer.Body!;
    }

    /// <summary>A 200 answer's body, checked against <paramref name="schema"/>.</summary>
    public async Task<JsonNode> GetAsync(string url, string schema)
    {
        var answer = await SendAsync(url, schema);
        Assert.That(answer.Status, Is.EqualTo(200), $"GET {url}: {answer.Body?.ToJsonString()}");
        return answer.Body!;
    }

    /// <summary>Every record of a list, following _links.next from <paramref name="url"/> to the last page; the page after it must be 204.</summary>
    public async Task<List<JsonNode>> AllPagesAsync(string url, string embedded, string schema)
    {
        var records = new List<JsonNode>();
        var next = url;
        var pages = 0;
        while (next is not null)
        {
            var page = await GetAsync(next, schema);
            Assert.That(page["_page"]!.GetValue<int>(), Is.EqualTo(++pages), next);
            records.AddRange(page["_embedded"]![embedded]!.AsArray().Select(r => r!));
            next = page["_links"]!["next"]?["href"]?.GetValue<string>() is { } href ? new Uri(href).PathAndQuery : null;
        }
        var after = (await SendAsync(url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"page={pages + 1}", schema)).Status;
        Assert.That(after, Is.EqualTo(204), $"the page after the last of {url}");
        return records;
    }

    /// <summary>POST /oauth2/access_token with a JSON (or form) body; a 200 is checked against oauth_token.json.</summary>
    public async Task<KommoAnswer> TokenAsync(IReadOnlyDictionary<string, string> parameters, bool form = false)
    {
        using HttpContent content = form ? new FormUrlEncodedContent(parameters) : JsonContent.Create(parameters);
        using var response = await _http.PostAsync(new Uri("/oauth2/access_token", UriKind.Relative), content);
        var answer = await ReadAsync(response, "oauth_token.json");
        Assert.That(answer.ContentType, Is.EqualTo("application/json"), "the token endpoint answers application/json, errors too (step-by-step.md)");
        return answer;
    }

    private static async Task<KommoAnswer> ReadAsync(HttpResponseMessage response, string schema)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var type = response.Content.Headers.ContentType?.MediaType;
        if (status == 204)
        {
            Assert.That(text, Is.Empty, "a 204 has no body");
            return new KommoAnswer(status, type, null);
        }
        var expected = status == 200 ? schema : "problem.json";
        Assert.That(KommoSchemaTests.Schema(expected).Validate(text), Is.Empty, $"{status} answer checked against {expected}: {text}");
        return new KommoAnswer(status, type, JsonNode.Parse(text));
    }

    public void Dispose() => _http.Dispose();
}
