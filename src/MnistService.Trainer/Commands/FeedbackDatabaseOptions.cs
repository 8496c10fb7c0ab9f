using System.CommandLine;
using MnistService.Core.Feedback;

namespace MnistService.Trainer.Commands;

/// <summary>
/// Where the trainer finds the feedback database: the service's setting in the same format (<c>--connection-string</c>,
/// else <c>Feedback__ConnectionString</c> from the environment), else the service's default, SQLite in
/// <c>data/feedback.db</c> beside the model directory.
/// </summary>
public sealed class FeedbackDatabaseOptions
{
    public Option<string?> ConnectionString { get; } = new("--connection-string")
    {
        Description = $"The feedback database, as the service's {FeedbackDatabase.Setting}: Host=...;Database=...;Username=... or Data Source=FILE " +
                      $"(default: ${FeedbackDatabase.EnvironmentVariable}, else data/{FeedbackDatabase.DefaultFileName} beside the models directory)",
        HelpName = "STRING",
    };

    public Option<DirectoryInfo?> Models { get; } = new("--models")
    {
        Description = "The models directory the service reads (default: the first models/ in or above the working directory)",
        HelpName = "DIR",
    };

    public IEnumerable<Option> All => [ConnectionString, Models];

    /// <summary>The models directory given, or found; an error when there is none.</summary>
    /// <exception cref="DirectoryNotFoundException">No directory was given and none is found.</exception>
    public string ModelsDirectory(ParseResult parse)
    {
        if (parse.GetValue(Models) is { } given)
        {
            return given.Exists ? given.FullName : throw new DirectoryNotFoundException($"The models directory {given.FullName} does not exist.");
        }
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "models")))
            {
                return Path.Combine(dir.FullName, "models");
            }
        }
        throw new DirectoryNotFoundException("No models directory in or above the working directory; name it with --models DIR.");
    }

    /// <summary>The store the options name; nothing is connected until it is used.</summary>
    public FeedbackStore Open(ParseResult parse)
    {
        var configured = parse.GetValue(ConnectionString) is { Length: > 0 } option ? option
            : Environment.GetEnvironmentVariable(FeedbackDatabase.EnvironmentVariable) is { Length: > 0 } environment ? environment
            : null;
        return FeedbackDatabase.Open(configured ?? FeedbackDatabase.DefaultConnectionString(ModelsDirectory(parse)));
    }
}
