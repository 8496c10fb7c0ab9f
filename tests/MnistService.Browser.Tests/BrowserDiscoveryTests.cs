using Microsoft.Playwright;
using MnistService.Browser.Tests.Infrastructure;

namespace MnistService.Browser.Tests;

/// <summary>
/// Which browser the tests drive, and that a missing or broken one fails with how to provide one.
/// In the page collection, so that changing CHROMIUM_PATH never races the fixture's own launch.
/// </summary>
[Collection(PageCollection.Name)]
public sealed class BrowserDiscoveryTests : IDisposable
{
    private readonly string? _configured = Environment.GetEnvironmentVariable(Chromium.EnvironmentVariable);

    public void Dispose() => Environment.SetEnvironmentVariable(Chromium.EnvironmentVariable, _configured);

    [Fact]
    public void Without_CHROMIUM_PATH_it_is_Debians_chromium_when_installed_else_Playwrights_own()
    {
        Environment.SetEnvironmentVariable(Chromium.EnvironmentVariable, null);

        Assert.Equal(File.Exists(Chromium.DebianExecutable) ? Chromium.DebianExecutable : null, Chromium.ExecutablePath());
    }

    [Fact]
    public async Task A_CHROMIUM_PATH_that_names_nothing_fails_with_how_to_provide_a_browser()
    {
        Environment.SetEnvironmentVariable(Chromium.EnvironmentVariable, "/nonexistent/chromium");
        using var playwright = await Playwright.CreateAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Chromium.LaunchAsync(playwright));

        Assert.Contains("CHROMIUM_PATH is /nonexistent/chromium, which does not exist", error.Message);
        Assert.Contains("apt-get install -y chromium", error.Message);
    }

    [Fact]
    public async Task A_browser_that_does_not_start_fails_with_how_to_provide_one()
    {
        Environment.SetEnvironmentVariable(Chromium.EnvironmentVariable, "/bin/false");
        using var playwright = await Playwright.CreateAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Chromium.LaunchAsync(playwright));

        Assert.Contains("could not start /bin/false", error.Message);
        Assert.Contains("./test.sh", error.Message);
        Assert.Contains("playwright.ps1 install chromium", error.Message);
    }
}
