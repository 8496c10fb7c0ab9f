using System.ComponentModel.DataAnnotations;
using MnistService.Core.Models;

namespace MnistService.Api.ModelStore;

/// <summary>The model repository (section <c>Models</c>; env <c>Models__Directory</c> etc.).</summary>
public sealed class ModelsOptions
{
    public const string Section = "Models";

    /// <summary>
    /// Directory of <c>*.onnx</c> files. Empty: the first <c>models</c> directory found walking up from
    /// the content root (the repository's <c>models/</c>).
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>The model used when a request names none.</summary>
    [Required, RegularExpression(@"^[A-Za-z0-9._-]+$")]
    public string Default { get; set; } = DefaultModelChoice.Shipped;

    /// <summary>Quiet time after a file-system event before the directory is read again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A changed file is loaded only once its size and time have not moved for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Full rescan interval, the safety net for file-system events that never arrive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Largest model file loaded; a larger one is reported and never read. Our models are about 1 MB, and a
    /// file is read whole into memory, so a stray disk image or a sparse file must not be.
    /// </summary>
    [Range(typeof(long), "1024", "2147483591")]
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>ONNX Runtime threads per inference; 1 suits many small concurrent requests.</summary>
    [Range(1, 64)]
    public int IntraOpThreads { get; set; } = 1;
}
