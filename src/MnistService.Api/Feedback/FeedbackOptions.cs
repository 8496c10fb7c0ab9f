using System.ComponentModel.DataAnnotations;
using MnistService.Core.Feedback;

namespace MnistService.Api.Feedback;

/// <summary>People's answers to the readings (section <c>Feedback</c>; env <c>Feedback__ConnectionString</c> etc.).</summary>
public sealed class FeedbackOptions
{
    public const string Section = "Feedback";

    /// <summary>
    /// The database: PostgreSQL (<c>Host=...;Database=...;Username=...</c>) or SQLite (<c>Data Source=FILE</c>, a relative
    /// path taken from the content root). Empty: SQLite in <c>data/feedback.db</c> beside the model directory.
    /// </summary>
    [FeedbackConnectionString]
    public string? ConnectionString { get; set; }

    /// <summary>Keep the uploaded image with an answer. Off: only the 28x28 the network saw is kept (an upload may be a private photo).</summary>
    public bool KeepOriginals { get; set; }

    /// <summary>Answers older than this many days are deleted (checked at start and hourly); 0 keeps them for good.</summary>
    [Range(0, 36500)]
    public int RetentionDays { get; set; } = 365;

    /// <summary>How long a prediction's id can be answered.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan PredictionLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Memory for the predictions that can still be answered; the oldest are forgotten first when it is full. A digit
    /// takes about 1.2 kB (its 28x28 input and ten probabilities), so the default holds some 50,000.
    /// </summary>
    [Range(typeof(long), "65536", "17179869184")]
    public long PredictionMemoryBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>A connection string <see cref="FeedbackDatabase.Open"/> accepts (empty is the default SQLite file).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class FeedbackConnectionStringAttribute : ValidationAttribute
{
    public FeedbackConnectionStringAttribute() =>
        ErrorMessage = "must be a PostgreSQL (Host=...;Database=...) or SQLite (Data Source=FILE) connection string, or empty";

    public override bool IsValid(object? value)
    {
        if (value is not string { Length: > 0 } connectionString)
        {
            return true;
        }
        try
        {
            // Opening parses the string only; nothing is connected until the store is used.
            FeedbackDatabase.Open(connectionString).DisposeAsync().AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            return false;
        }
    }
}
