using Microsoft.Extensions.FileProviders;
using MnistService.Api.Settings;

namespace MnistService.Api.Page;

public static class StaticPage
{
    /// <summary>
    /// Serves the browser page at <c>/</c> from <see cref="StaticFilesOptions.WebRoot"/>, by default the
    /// <c>wwwroot</c> beside the app (a published app) or the first found walking up from the content root
    /// (the repository's).
    /// </summary>
    public static WebApplication UseStaticPage(this WebApplication app)
    {
        var configured = app.Configuration.GetSection(StaticFilesOptions.Section).Get<StaticFilesOptions>()?.WebRoot;
        var webRoot = AppFolders.Resolve(configured, app.Environment.ContentRootPath, "wwwroot");
        if (webRoot is null || !Directory.Exists(webRoot))
        {
            app.Logger.LogWarning("No web root found ({WebRoot}); the page at / is not served",
                string.IsNullOrWhiteSpace(configured) ? $"no wwwroot beside {AppContext.BaseDirectory} or in or above {app.Environment.ContentRootPath}" : webRoot);
            return app;
        }
        app.Logger.LogInformation("Serving the page from {WebRoot}", webRoot);
        var files = new PhysicalFileProvider(webRoot);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        return app;
    }
}
