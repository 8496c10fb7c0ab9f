using MnistService.Core.Models;

namespace MnistService.Api.ModelStore;

/// <summary>Why a model is the default: what the log says when the default changes, and what <c>defaultReason</c> says.</summary>
public enum DefaultModelKind
{
    /// <summary>Models:Default, loaded.</summary>
    Configured,
    /// <summary>Models:Default, whose file is there but does not load: it stays the default, an error to fix, not to hide.</summary>
    ConfiguredFailed,
    /// <summary>Models:Default while no model is loaded at all.</summary>
    ConfiguredNoneLoaded,
    /// <summary>The run-time choice (<see cref="DefaultModelChoice"/>).</summary>
    Chosen,
    /// <summary>A stand-in for a configured default without a file: the only model loaded.</summary>
    OnlyModel,
    /// <summary>A stand-in for a configured default without a file: the best test accuracy of the models loaded.</summary>
    BestAccuracy,
}

/// <param name="Reason">What <c>GET /models</c> shows as the default's <c>defaultReason</c>.</param>
public sealed record DefaultModel(string Name, DefaultModelKind Kind, string Reason);

/// <summary>
/// Which loaded model is the default, and why (<c>GET /models</c>'s <c>defaultReason</c>): the run-time choice
/// stored in the model directory, else <c>Models:Default</c>, else a stand-in for a configured default without a file.
/// </summary>
public sealed class DefaultModelSelection(ModelsOptions options, string directory, ILogger logger)
{
    private readonly ModelsOptions _options = options;
    private string? _choiceError;

    private const string ConfiguredReason = "configured (Models:Default)";

    /// <summary>The default before the directory has been read: the configured name, not loaded yet.</summary>
    public static DefaultModel Initial(ModelsOptions options) => new(options.Default, DefaultModelKind.ConfiguredNoneLoaded, ConfiguredReason);

    /// <summary>
    /// The default: the run-time choice (<see cref="DefaultModelChoice"/> in the directory) when it names a loaded
    /// model, else the configured one, else a stand-in for a configured default that has no file.
    /// </summary>
    public DefaultModel Choose(Dictionary<string, LoadedModel> models, Dictionary<string, ModelFailure> failures)
    {
        var configured = _options.Default;
        var choice = ReadChoice();
        if (choice is not null && models.ContainsKey(choice.Model))
        {
            return new(choice.Model, DefaultModelKind.Chosen,
                $"chosen at run time ({DefaultModelChoice.FileName}: {choice.ChosenBy}, {choice.ChosenAt:u}), over Models:Default '{configured}'");
        }
        var unloadedChoice = choice is null ? "" : $"; {DefaultModelChoice.FileName} names '{choice.Model}', which is not loaded";
        if (models.ContainsKey(configured) || failures.ContainsKey(configured) || models.Count == 0)
        {
            var kind = models.ContainsKey(configured) ? DefaultModelKind.Configured
                : failures.ContainsKey(configured) ? DefaultModelKind.ConfiguredFailed
                : DefaultModelKind.ConfiguredNoneLoaded;
            return new(configured, kind, ConfiguredReason + unloadedChoice);
        }
        var missing = $"Models:Default '{configured}' has no file{unloadedChoice}";
        if (models.Count == 1)
        {
            return new(models.Keys.Single(), DefaultModelKind.OnlyModel, $"the only model loaded ({missing})");
        }
        var best = models.Values
            .OrderByDescending(m => m.Report?.Test.Accuracy ?? -1)
            .ThenByDescending(m => m.Report?.Created ?? DateTimeOffset.MinValue)
            .ThenByDescending(m => m.Stamp.LastWriteUtc)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .First();
        return new(best.Name, DefaultModelKind.BestAccuracy, $"the best test accuracy of the {models.Count} models loaded, the newest on ties ({missing})");
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
