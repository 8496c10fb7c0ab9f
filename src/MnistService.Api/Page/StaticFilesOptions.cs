namespace MnistService.Api.Page;

/// <summary>Where the browser page comes from (section <c>StaticFiles</c>).</summary>
public sealed class StaticFilesOptions
{
    public const string Section = "StaticFiles";

    /// <summary>
    /// The page's directory. Empty: the <c>wwwroot</c> beside the app (a published app carries one), else the
    /// first found walking up from the content root (the repository's <c>wwwroot/</c>).
    /// </summary>
    public string? WebRoot { get; set; }
}
