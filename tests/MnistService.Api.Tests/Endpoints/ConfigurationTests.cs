using Microsoft.Extensions.Options;
using MnistService.Api.Settings;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Limits:MaxRequestBytes", "-1")]
    [InlineData("Limits:MaxImagePixels", "10")]
    [InlineData("Limits:MaxDecodedPixelsInFlight", "-1")]
    [InlineData("Models:Default", "../etc/passwd")]
    [InlineData("Models:IntraOpThreads", "0")]
    [InlineData("Connections:MaxConnections", "0")]
    [InlineData("Connections:MaxConnectionsPerClient", "-3")]
    [InlineData("Metrics:Port", "70000")]
    public void Invalid_options_stop_the_service_at_start(string key, string value)
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { [key] = value });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.IsType<OptionsValidationException>(error.GetBaseException());
        Assert.Contains(key.Split(':')[1], error.GetBaseException().Message);
    }

    [Fact]
    public void Web_root_and_models_are_found_walking_up_from_the_content_root()
    {
        var projectDirectory = Path.Combine(Repo.Root, "src", "MnistService.Api");
        Assert.Equal(Path.Combine(Repo.Root, "models"), AppFolders.Resolve(null, projectDirectory, "models"));
        Assert.Equal(Path.Combine(Repo.Root, "models"), AppFolders.Resolve("", Repo.Root, "models"));
        Assert.Equal("/srv/models", AppFolders.Resolve("/srv/models", projectDirectory, "models"));
        Assert.Equal(Path.Combine(projectDirectory, "m"), AppFolders.Resolve("m", projectDirectory, "models"));
        Assert.Null(AppFolders.FindUpwards("/", "no-such-directory-anywhere"));
    }

    [Fact]
    public void A_folder_beside_the_app_comes_before_one_found_walking_up_from_the_content_root()
    {
        using var app = new TempDirectory();
        Directory.CreateDirectory(app.File("models"));
        var projectDirectory = Path.Combine(Repo.Root, "src", "MnistService.Api");

        Assert.Equal(app.File("models"), AppFolders.Resolve(null, projectDirectory, "models", app.Path));
        Assert.Equal(Path.Combine(Repo.Root, "wwwroot"), AppFolders.Resolve(null, projectDirectory, "wwwroot", app.Path));
        Assert.Equal("/srv/models", AppFolders.Resolve("/srv/models", projectDirectory, "models", app.Path));
    }
}
