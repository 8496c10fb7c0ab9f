namespace MnistService.Api.Hosting;

/// <summary>Where the browser page comes from (section <c>StaticFiles</c>).</summary>
public sealed class StaticFilesOptions
{
    public const string Section = "StaticFiles";

    /// <summary>
    /// The page's directory. Empty: the first <c>wwwroot</c> found walking up from the content root
    /// (the repository's <c>wwwroot/</c>, or the one beside a published app).
    /// </summary>
    public string? WebRoot { get; set; }
}
