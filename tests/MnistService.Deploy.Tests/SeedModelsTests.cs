using MnistService.Deploy.Tests.Infrastructure;

namespace MnistService.Deploy.Tests;

/// <summary>
/// The scripts that put the image's default model on the shared models volume (compose's models-init,
/// the Deployment's init container), run with bash against a folder standing for the volume.
/// </summary>
public sealed class SeedModelsTests : IDisposable
{
    private readonly string _volume = TempDirectory.New("seed");

    public void Dispose() => Directory.Delete(_volume, recursive: true);

    public static TheoryData<string> Scripts() => new() { "compose", "k8s" };

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Seeding_copies_the_default_model_once_and_never_replaces_a_model(string source)
    {
        var script = Script(source);

        await RunAsync(script);
        var seeded = Path.Combine(_volume, "mnist-mlp.onnx");
        Assert.Equal(File.ReadAllBytes(Repo.PathOf("models/mnist-mlp.onnx")), File.ReadAllBytes(seeded));
        Assert.True(Directory.Exists(Path.Combine(_volume, "jobs")));

        // A model trained (or replaced) on the volume survives the next start.
        File.WriteAllBytes(seeded, [1, 2, 3]);
        await RunAsync(script);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(seeded));
    }

    private static string Script(string source)
    {
        if (source == "compose")
        {
            var init = Yaml.Load(Path.Combine(Repo.DeployDirectory, "compose.yaml")).Obj("services").Obj("models-init");
            var entrypoint = init.Arr("entrypoint").Select(e => e.Str()).ToList();
            Assert.Equal(["bash", "-c"], entrypoint.Take(2));
            Assert.Equal("0:0", init["user"].Str());
            return entrypoint[2].Replace("$$", "$", StringComparison.Ordinal); // compose's escape for a literal $
        }
        var deployment = Yaml.Load(Path.Combine(Repo.DeployDirectory, "k8s", "deployment.yaml"));
        var container = deployment.Obj("spec").Obj("template").Obj("spec").Arr("initContainers").Objects().Single();
        var command = container.Arr("command").Select(c => c.Str()).ToList();
        Assert.Equal(["bash", "-c"], command.Take(2));
        return command[2];
    }

    private async Task RunAsync(string script)
    {
        // The image's /app/models is the repository's models/ (what the Dockerfile copies); /models is the volume.
        var mapped = script.Replace("/app/models", "\u0001", StringComparison.Ordinal)
            .Replace("/models", _volume, StringComparison.Ordinal)
            .Replace("\u0001", Repo.PathOf("models"), StringComparison.Ordinal);
        if (Environment.UserName != "root")
        {
            mapped = mapped.Replace($"chown -R 1654:1654 {_volume}", "true", StringComparison.Ordinal);
        }

        var result = await Command.BashAsync(mapped);
        Assert.True(result.Succeeded, $"{mapped}\n{result.Output}");
    }
}
