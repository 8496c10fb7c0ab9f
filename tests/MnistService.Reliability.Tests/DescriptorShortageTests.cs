using System.Net;
using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary>
/// Requests that arrive while no file descriptor is free: an upload is read and stored (what reads it was loaded at
/// start), one that needs a descriptor gets a problem+json 503 with Retry-After, never a 500, and once descriptors
/// are free again everything works.
/// </summary>
public sealed class DescriptorShortageTests : IDisposable
{
    private readonly TempDirectory _models = new("descriptor-shortage");

    public void Dispose() => _models.Dispose();

    [Fact]
    public async Task Without_a_free_descriptor_an_upload_is_stored_and_a_request_that_needs_one_is_a_503_not_a_500()
    {
        File.WriteAllBytes(_models.File("mnist-cnn.onnx"), ModelVersions.A);
        File.SetLastWriteTimeUtc(_models.File("mnist-cnn.onnx"), DateTime.UtcNow.AddMinutes(-1));
        // Debug lines get the console written before the limit (its stream is opened on the first write).
        using var service = await ServiceProcess.StartAsync(_models.Path, new Dictionary<string, string>
        {
            ["Training__Worker"] = "External", ["Serilog__MinimumLevel__Default"] = "Information",
        });
        // One connection, opened before the limit: no new descriptor is needed to ask the service.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = service.Address,
            Timeout = TimeSpan.FromSeconds(10),
        };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        var upkeepDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!service.Process.Output.Contains("Feedback database: "))
        {
            Assert.True(DateTime.UtcNow < upkeepDeadline, "the feedback upkeep did not report:\n" + service.Process.Output);
            await Task.Delay(100);
        }

        // Far below the ~270 it holds: no new descriptor at all.
        var previous = ProcessLimits.SetOpenFileLimit(service.Process.Id, 32);
        HttpResponseMessage answer, page;
        try
        {
            // The process's first image: the assemblies that read it were loaded at start, so it needs no descriptor.
            answer = await http.PostAsync("feedback?label=7", Content(Bodies.CanvasPng));
            // The page is a file, opened per request: that needs one.
            page = await http.GetAsync("/");
        }
        finally
        {
            if (!service.Process.HasExited)
            {
                ProcessLimits.SetOpenFileLimit(service.Process.Id, previous);
            }
        }

        Assert.False(service.Process.HasExited, "the service died under the lowered limit:\n" + service.Process.Output);
        Assert.True(answer.StatusCode == HttpStatusCode.Created, $"{(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        var refused = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)page.StatusCode}: {refused}");
        Assert.Equal("application/problem+json", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no file descriptor free", refused);
        Assert.NotNull(page.Headers.RetryAfter);

        // Descriptors free again: both work, and so does an upload (nothing kept the shortage's failure).
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("feedback?label=7", Content(Bodies.CanvasPng))).StatusCode);
        Assert.DoesNotContain("Unhandled error", service.Process.Output);
    }

    private static ByteArrayContent Content(byte[] png)
    {
        var content = new ByteArrayContent(png);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        return content;
    }
}
