using MnistService.Core.Models;

namespace MnistService.Api.ModelStore;

/// <summary>
/// Which loaded model is the default, and why (<c>GET /models</c>'s <c>defaultReason</c>): the run-time choice
/// stored in the model directory, else <c>Models:Default</c>, else a stand-in for a configured default without a file.
/// </summary>
public sealed class DefaultModelSelection(ModelsOptions options, string directory, ILogger logger)
{
    private readonly ModelsOptions _options = options;
    private string? _choiceError;

    public const string ConfiguredReason = "configured (Models:Default)";
    public const string ChosenReason = "chosen at run time";

    /// <summary>
    /// The default: the run-time choice (<see cref="DefaultModelChoice"/> in the directory) when it names a loaded
    /// model, else the configured one, else a stand-in for a configured default that has no file.
    /// </summary>
    public (string Name, string Reason) Choose(Dictionary<string, LoadedModel> models, Dictionary<string, ModelFailure> failures)
    {
        var configured = _options.Default;
        var choice = ReadChoice();
        if (choice is not null && models.ContainsKey(choice.Model))
        {
            return (choice.Model, $"{ChosenReason} ({DefaultModelChoice.FileName}: {choice.ChosenBy}, {choice.ChosenAt:u}), over Models:Default '{configured}'");
        }
        var unloadedChoice = choice is null ? "" : $"; {DefaultModelChoice.FileName} names '{choice.Model}', which is not loaded";
        if (models.ContainsKey(configured) || failures.ContainsKey(configured) || models.Count == 0)
        {
            return (configured, ConfiguredReason + unloadedChoice);
        }
        var missing = $"Models:Default '{configured}' has no file{unloadedChoice}";
        if (models.Count == 1)
        {
            return (models.Keys.Single(), $"the only model loaded ({missing})");
        }
        var best = models.Values
            .OrderByDescending(m => m.Report?.Test.Accuracy ?? -1)
            .ThenByDescending(m => m.Report?.Created ?? DateTimeOffset.MinValue)
            .ThenByDescending(m => m.Stamp.LastWriteUtc)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .First();
        return (best.Name, $"the best test accuracy of the {models.Count} models loaded, the newest on ties ({missing})");
    }

    /// <summary>The stored run-time choice; null when there is none or it cannot be read (logged once per new error).</summary>
    private DefaultModelChoice? ReadChoice()
    {
        try
        {
            var choice = DefaultModelChoice.Read(directory);
            _choiceError = null;
            return choice;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            if (_choiceError != e.Message)
            {
                _choiceError = e.Message;
                logger.LogWarning("The default-model choice is ignored; Models:Default applies: {Error}", e.Message);
            }
            return null;
        }
    }
}
