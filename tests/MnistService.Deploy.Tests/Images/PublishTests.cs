using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using MnistService.Deploy.Tests.Infrastructure;
using MnistService.Testing;

namespace MnistService.Deploy.Tests.Images;

/// <summary>
/// <c>dotnet publish src/MnistService.Api -c Release -o DIR</c> as the README has it, without a runtime: a
/// folder for this platform only that runs from any working directory with its own model and page. Run on a
/// copy of the sources, so that the repository's obj/ keeps its build's restore; in the images' collection,
/// so that it does not build at the same time as their replay.
/// </summary>
[Collection(ImagesCollection.Name)]
public sealed class PublishTests : IDisposable
{
    private readonly string _work = TempDirectory.New("publish");

    public void Dispose() => TempDirectory.TryDelete(_work);

    [Fact]
    public async Task The_published_folder_holds_one_platform_and_runs_from_anywhere_with_its_model_and_page()
    {
        var output = Publish();

        // This platform's ONNX Runtime only: no runtimes/ of every platform (244 MB), no Windows DLLs.
        Assert.False(Directory.Exists(Path.Combine(output, "runtimes")), "every platform's runtimes/ was published");
        Assert.Empty(Directory.EnumerateFiles(output, "onnxruntime*.dll"));
        var native = OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib" : "libonnxruntime.so";
        Assert.True(File.Exists(Path.Combine(output, native)), $"{native} is missing");
        // For this machine's runtime, framework-dependent (the shared framework is not in the folder).
        Assert.Contains($"/{RuntimeInformation.RuntimeIdentifier}\"", File.ReadAllText(Path.Combine(output, "MnistService.Api.deps.json")));
        Assert.Contains("\"framework", File.ReadAllText(Path.Combine(output, "MnistService.Api.runtimeconfig.json")));
        Assert.False(File.Exists(Path.Combine(output, "System.Private.CoreLib.dll")), "the runtime itself was published");
        var megabytes = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1e6;
        Assert.True(megabytes < 80, $"the published folder holds {megabytes:F0} MB");
        foreach (var model in new[] { "mnist-cnn.onnx", "mnist-mlp.onnx" })
        {
            Assert.Equal(File.ReadAllBytes(Repo.PathOf($"models/{model}")), File.ReadAllBytes(Path.Combine(output, "models", model)));
        }
        Assert.True(File.Exists(Path.Combine(output, "wwwroot", "index.html")));

        // Started by its apphost from a folder with neither models/ nor wwwroot/ above it, nothing configured.
        var elsewhere = Directory.CreateDirectory(Path.Combine(_work, "elsewhere")).FullName;
        var port = ChildProcess.FreeLoopbackPort();
        var executable = Path.Combine(output, OperatingSystem.IsWindows() ? "MnistService.Api.exe" : "MnistService.Api");
        await using var service = new ChildProcess("the published service", executable, ["--urls", $"http://127.0.0.1:{port}"],
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" }, elsewhere);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        await service.WaitUntilAnswersAsync(http, "/readyz", TimeSpan.FromSeconds(60));

        var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<canvas", await page.Content.ReadAsStringAsync());
        var (png, label) = (TestImages.MnistPng(MnistTestSet.Images[0]), (int)MnistTestSet.Labels[0]);
        var (status, answer, body) = await ImagesFixture.PredictPngAsync(http, png);
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal(label, answer!.Digit);
        Assert.Equal("mnist-cnn", answer.Model);
        Assert.Contains(Path.Combine(output, "models"), service.Output);
    }

    /// <summary>Copies what the publish reads (props, src/, models/, wwwroot/) and publishes the service from there.</summary>
    private string Publish()
    {
        var source = Path.Combine(_work, "source");
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            Directory.CreateDirectory(source);
            File.Copy(Repo.PathOf(file), Path.Combine(source, file));
        }
        foreach (var folder in new[] { "src/MnistService.Core", "src/MnistService.Api", "models", "wwwroot" })
        {
            CopyDirectory(Repo.PathOf(folder), Path.Combine(source, folder));
        }
        var output = Path.Combine(_work, "published");
        var start = new ProcessStartInfo("dotnet", ["publish", "src/MnistService.Api", "-c", "Release", "-o", output])
        {
            WorkingDirectory = source,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet publish failed:\n{stdout.Result}\n{stderr.Result}");
        return output;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            if (entry.Name is "bin" or "obj")
            {
                continue;
            }
            var target = Path.Combine(to, entry.Name);
            if (entry is DirectoryInfo directory)
            {
                CopyDirectory(directory.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
            }
        }
    }
}
