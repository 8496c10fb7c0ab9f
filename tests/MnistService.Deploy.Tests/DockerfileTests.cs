using System.Text.RegularExpressions;
using System.Xml.Linq;
using MnistService.Deploy.Tests.Infrastructure;

namespace MnistService.Deploy.Tests;

/// <summary>The Dockerfile and .dockerignore read as Docker reads them, checked against the repository.</summary>
public sealed class DockerfileTests
{
    private static readonly Dockerfile File = new(Repo.PathOf("Dockerfile"));
    private static readonly DockerIgnore Ignore = new(Repo.PathOf(".dockerignore"));

    [Fact]
    public void The_default_target_is_the_service_on_the_aspnet_runtime_and_worker_is_a_second_target()
    {
        Assert.Equal("service", File.DefaultTarget.Name);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", File.BaseImage("service"));
        Assert.Equal("mcr.microsoft.com/dotnet/runtime:10.0", File.BaseImage("worker"));
        Assert.All(File.Stages.Where(s => s.Name.StartsWith("publish", StringComparison.Ordinal) || s.Name == "build"),
            s => Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", File.BaseImage(s.Name)));
    }

    [Fact]
    public void Every_COPY_source_from_the_context_exists_and_is_not_ignored()
    {
        var copies = File.Stages.SelectMany(s => s.All("COPY")).Where(c => !c.Flags.ContainsKey("from")).ToList();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            foreach (var source in copy.Words.Take(copy.Words.Count - 1))
            {
                var relative = source.TrimEnd('/');
                Assert.True(System.IO.File.Exists(Repo.PathOf(relative)) || Directory.Exists(Repo.PathOf(relative)),
                    $"{copy}: '{source}' does not exist in the repository.");
                Assert.False(Ignore.IsExcluded(relative), $"{copy}: '{source}' is excluded by .dockerignore.");
            }
        }
    }

    [Fact]
    public void COPY_from_names_a_stage_defined_earlier()
    {
        for (var i = 0; i < File.Stages.Count; i++)
        {
            foreach (var copy in File.Stages[i].All("COPY").Where(c => c.Flags.ContainsKey("from")))
            {
                Assert.Contains(copy.Flags["from"], File.Stages.Take(i).Select(s => s.Name));
            }
        }
    }

    [Fact]
    public void The_restore_layer_copies_only_project_files_and_every_project_the_images_need()
    {
        var build = File["build"];
        var restoreIndex = build.Instructions.ToList().FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore"));
        Assert.True(restoreIndex > 0, "The build stage has no RUN dotnet restore.");
        var beforeRestore = build.Instructions.Take(restoreIndex).Where(i => i.Keyword == "COPY")
            .SelectMany(c => c.Words.Take(c.Words.Count - 1)).ToList();
        Assert.All(beforeRestore, source => Assert.Matches(@"(\.csproj|\.sln|\.props|global\.json|\.editorconfig)$", source));

        // The projects the two images publish, and everything they reference, are all there before restore.
        var needed = new HashSet<string>();
        foreach (var project in new[] { "src/MnistService.Api/MnistService.Api.csproj", "src/MnistService.Trainer/MnistService.Trainer.csproj" })
        {
            AddWithReferences(project, needed);
        }

        Assert.Equal(needed.Order(), beforeRestore.Where(s => s.EndsWith(".csproj", StringComparison.Ordinal)).Order());
        foreach (var shared in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" })
        {
            Assert.Contains(shared, beforeRestore);
        }

        // Sources come after restore, so editing code does not invalidate the restore layer.
        var sourcesCopied = build.Instructions.ToList().FindIndex(i => i.Keyword == "COPY" && i.Words[0] == "src/");
        Assert.True(sourcesCopied > restoreIndex);
    }

    [Fact]
    public void Publish_is_Release_framework_dependent_for_linux_x64_only()
    {
        foreach (var (stage, project) in new[] { ("publish-service", "src/MnistService.Api/MnistService.Api.csproj"), ("publish-worker", "src/MnistService.Trainer/MnistService.Trainer.csproj") })
        {
            var publish = Assert.Single(File[stage].All("RUN"), r => r.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));
            var args = publish.Words;
            Assert.Equal(project, args[2]);
            Assert.Equal("Release", args[args.ToList().IndexOf("-c") + 1]);
            Assert.Equal("linux-x64", args[args.ToList().IndexOf("-r") + 1]);
            Assert.Equal("false", args[args.ToList().IndexOf("--self-contained") + 1]);
            Assert.Contains("--no-restore", args);
        }
        Assert.All(File["build"].All("RUN").Where(r => r.Arguments.Contains("dotnet restore")),
            r => Assert.Equal(2, Regex.Matches(r.Arguments, "-r linux-x64").Count));
    }

    [Fact]
    public void The_service_runs_as_the_non_root_app_user_on_port_8080_with_a_healthcheck_on_healthz()
    {
        var service = File["service"];
        var env = service.Environment();
        Assert.Equal("$APP_UID", service.Last("USER")!.Arguments);
        Assert.Equal("1654", ImageReplay.BaseImageEnvironment["APP_UID"]);
        Assert.Equal("8080", env["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal(["8080"], service.All("EXPOSE").SelectMany(e => e.Words));
        var healthcheck = service.Last("HEALTHCHECK")!;
        Assert.Contains("GET /healthz ", healthcheck.Arguments);
        Assert.Equal(["./MnistService.Api"], service.Last("ENTRYPOINT")!.ExecForm!);
        Assert.Equal("/app/models", env["Models__Directory"]);
        Assert.Equal("/app/wwwroot", env["StaticFiles__WebRoot"]);
    }

    [Fact]
    public void The_worker_image_runs_mnist_train_worker_on_models_as_the_app_user()
    {
        var worker = File["worker"];
        Assert.Equal(["./mnist-train"], worker.Last("ENTRYPOINT")!.ExecForm!);
        var cmd = worker.Last("CMD")!.ExecForm!;
        Assert.Equal(["worker", "--models", "/models"], cmd.Take(3));
        Assert.Equal("$APP_UID", worker.Last("USER")!.Arguments);
        Assert.NotNull(worker.Last("HEALTHCHECK"));
    }

    [Fact]
    public void No_secret_is_set_in_any_stage()
    {
        var secretName = new Regex("(PASSWORD|SECRET|TOKEN|APIKEY|API_KEY|CONNECTIONSTRING|PRIVATE)", RegexOptions.IgnoreCase);
        foreach (var stage in File.Stages)
        {
            Assert.DoesNotContain(stage.Environment().Keys, secretName.IsMatch);
            Assert.Empty(stage.All("ARG"));
        }
    }

    [Theory]
    [InlineData("src/MnistService.Api/bin/Release/net10.0/MnistService.Api.dll", true)]
    [InlineData("src/MnistService.Core/obj/project.assets.json", true)]
    [InlineData(".git/HEAD", true)]
    [InlineData("tests/MnistService.Api.Tests/TestResults/x.trx", true)]
    [InlineData("BenchmarkDotNet.Artifacts/results.md", true)]
    [InlineData("artifacts/bin/x.dll", true)]
    [InlineData("data/train-images-idx3-ubyte.gz", true)]
    [InlineData("src/MnistService.Api/Program.cs", false)]
    [InlineData("src/MnistService.Core/MnistService.Core.csproj", false)]
    [InlineData("models/mnist-mlp.onnx", false)]
    [InlineData("wwwroot/index.html", false)]
    [InlineData("Directory.Packages.props", false)]
    public void Dockerignore_keeps_build_outputs_tests_and_git_out_and_sources_in(string path, bool excluded) =>
        Assert.Equal(excluded, Ignore.IsExcluded(path));

    private static void AddWithReferences(string project, HashSet<string> into)
    {
        if (!into.Add(project))
        {
            return;
        }

        var directory = Path.GetDirectoryName(project)!;
        foreach (var reference in XDocument.Load(Repo.PathOf(project)).Descendants("ProjectReference"))
        {
            var path = Path.GetRelativePath(Repo.Root,
                Path.GetFullPath(Path.Combine(Repo.PathOf(directory), reference.Attribute("Include")!.Value.Replace('\\', '/'))));
            AddWithReferences(path.Replace('\\', '/'), into);
        }
    }
}
