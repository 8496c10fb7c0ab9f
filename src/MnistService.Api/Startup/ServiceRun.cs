using Microsoft.Extensions.Options;

namespace MnistService.Api.Startup;

public static class ServiceRun
{
    /// <summary>
    /// What <c>app.Run()</c> does (start, wait for SIGTERM or Ctrl+C, stop, dispose), with two changes for a
    /// start that fails. Every option is validated first: the host resolves its hosted services before it
    /// validates, so one whose constructor reads its options would otherwise fail alone, hiding the rest.
    /// And the failure is thrown before the host is disposed, unless this process is ours: under
    /// WebApplicationFactory, <c>app.Run()</c> disposing it races the factory, which then reports an
    /// ObjectDisposedException instead of the failure. The factory disposes the host itself.
    /// </summary>
    public static void RunUntilStopped(this WebApplication app) => app.RunUntilStoppedAsync().GetAwaiter().GetResult();

    private static async Task RunUntilStoppedAsync(this WebApplication app)
    {
        try
        {
            app.Services.GetService<IStartupValidator>()?.Validate();
            await app.StartAsync();
        }
        catch (Exception failure) when (StartupFailure.IsReportedHere(failure))
        {
            await app.DisposeAsync();
            throw;
        }
        try
        {
            await app.WaitForShutdownAsync();
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
