using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace MnistService.Api.Tests.Infrastructure;

public static class HttpAssert
{
    /// <summary>
    /// Asserts an RFC 7807 answer with <paramref name="status"/>, a type URI, a title and a detail, and returns its body.
    /// </summary>
    public static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.StartsWith("https://", json.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()));
        return json;
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Expected success, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>
    /// GET /metrics as the next scrape sees it: the text is rendered at most once a second (ScrapeCache),
    /// so a read right after another one could be that one's; this waits that second out first.
    /// </summary>
    public static async Task<HttpResponseMessage> FreshMetrics(HttpClient client)
    {
        await Task.Delay(MnistService.Api.Metrics.ScrapeCache.FreshFor + TimeSpan.FromMilliseconds(50));
        return await client.GetAsync("/metrics");
    }

    public static ByteArrayContent Bytes(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public static MultipartFormDataContent Form(byte[] bytes, string contentType, string field = "image")
    {
        var form = new MultipartFormDataContent();
        form.Add(Bytes(bytes, contentType), field, "digit" + contentType.Replace("image/", "."));
        return form;
    }

    public static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
