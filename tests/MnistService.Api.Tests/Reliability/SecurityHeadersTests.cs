using System.Net;
using System.Text.RegularExpressions;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Reliability;

/// <summary>The page is safe to host: headers on every answer, and nothing in wwwroot that the policy would block or that writes markup.</summary>
[Collection(CommittedModelCollection.Name)]
public sealed partial class SecurityHeadersTests(CommittedModelFixture fixture)
{
    private static string WebRoot => Path.Combine(Repo.Root, "wwwroot");

    public static TheoryData<string, string> Requests() => new()
    {
        { "GET", "/" },
        { "GET", "/index.html" },
        { "GET", "/js/app.js" },
        { "GET", "/css/site.css" },
        { "GET", "/healthz" },
        { "GET", "/models" },
        { "GET", "/metrics" },
        { "GET", "/no/such/page" },
        { "GET", "/models/no-such-model" },
        { "POST", "/predict" },
        { "DELETE", "/predict" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Every_answer_carries_the_security_headers(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = HttpAssert.JsonBody("{}"); // a 400
        }

        using var response = await fixture.Client.SendAsync(request);

        var policy = Directives(Header(response, "Content-Security-Policy"));
        Assert.Equal("'self'", policy["default-src"]);
        Assert.Equal("'self'", policy["script-src"]);
        Assert.Equal("'self'", policy["style-src"]);
        Assert.Equal("'self'", policy["connect-src"]);
        Assert.Equal("'none'", policy["frame-ancestors"]);
        Assert.Equal("'none'", policy["object-src"]);
        Assert.DoesNotContain("unsafe", string.Join(' ', policy.Values));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    [Fact]
    public async Task Swagger_UI_gets_its_inline_styles_but_no_foreign_scripts()
    {
        using var response = await fixture.Client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = Directives(Header(response, "Content-Security-Policy"));
        Assert.Equal("'self'", policy["script-src"]);
        Assert.Equal("'none'", policy["frame-ancestors"]);
        // Swagger UI's own page: every script it loads is a file of ours.
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotMatch(InlineScript(), html);
    }

    [Fact]
    public void The_page_has_no_inline_script_style_or_event_handler()
    {
        foreach (var file in Directory.EnumerateFiles(WebRoot, "*.html", SearchOption.AllDirectories))
        {
            var html = File.ReadAllText(file);
            Assert.DoesNotMatch(InlineScript(), html);
            Assert.DoesNotMatch(@"<style|\sstyle\s*=", html);
            Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);
            Assert.DoesNotMatch(@"(src|href)\s*=\s*""(https?:)?//", html); // nothing from other origins
            Assert.DoesNotMatch(@"javascript:", html);
        }
    }

    [Fact]
    public void No_script_writes_markup_or_evaluates_text()
    {
        var scripts = Directory.EnumerateFiles(WebRoot, "*.js", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(scripts);
        var offences = scripts
            .SelectMany(file => File.ReadAllLines(file).Select((line, i) => (file, line, number: i + 1)))
            .Where(l => MarkupSink().IsMatch(StripComment(l.line)))
            .Select(l => $"{Path.GetRelativePath(WebRoot, l.file)}:{l.number}: {l.line.Trim()}")
            .ToList();
        Assert.True(offences.Count == 0, "Markup or code from strings:\n" + string.Join('\n', offences));
    }

    [Fact]
    public void The_stylesheets_load_nothing_from_elsewhere()
    {
        foreach (var file in Directory.EnumerateFiles(WebRoot, "*.css", SearchOption.AllDirectories))
        {
            var css = File.ReadAllText(file);
            Assert.DoesNotMatch(@"url\(\s*['""]?(https?:)?//|@import\s+(url\()?['""]?(https?:)?//", css);
        }
    }

    private static string StripComment(string line)
    {
        var comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment >= 0 && !line[..comment].Contains('"') && !line[..comment].Contains('\'') && !line[..comment].Contains('`') ? line[..comment] : line;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : throw new Xunit.Sdk.XunitException($"No {name} header on {response.RequestMessage?.RequestUri} ({(int)response.StatusCode})");

    private static Dictionary<string, string> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', 2))
            .ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\s*\(|createContextualFragment|setTimeout\s*\(\s*['""`]|setInterval\s*\(\s*['""`]")]
    private static partial Regex MarkupSink();
}
