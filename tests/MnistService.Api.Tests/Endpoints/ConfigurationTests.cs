using Microsoft.Extensions.Options;
using MnistService.Api.Hosting;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Limits:MaxRequestBytes", "-1")]
    [InlineData("Limits:MaxImagePixels", "10")]
    [InlineData("Models:Default", "../etc/passwd")]
    [InlineData("Models:IntraOpThreads", "0")]
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
        Assert.Equal(Path.Combine(Repo.Root, "models"), RepositoryPaths.Resolve(null, projectDirectory, "models"));
        Assert.Equal(Path.Combine(Repo.Root, "models"), RepositoryPaths.Resolve("", Repo.Root, "models"));
        Assert.Equal("/srv/models", RepositoryPaths.Resolve("/srv/models", projectDirectory, "models"));
        Assert.Equal(Path.Combine(projectDirectory, "m"), RepositoryPaths.Resolve("m", projectDirectory, "models"));
        Assert.Null(RepositoryPaths.FindUpwards("/", "no-such-directory-anywhere"));
    }
}
