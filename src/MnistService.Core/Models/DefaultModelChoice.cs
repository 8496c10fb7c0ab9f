using System.Text.Json;
using System.Text.Json.Serialization;
using MnistService.Core.IO;

namespace MnistService.Core.Models;

/// <summary>
/// The default model chosen at run time (by the service's <c>POST /models/{name}/default</c> or by
/// <c>mnist-train promote</c>): a small JSON file in the model directory, so the choice survives restarts
/// and every replica and worker sharing the directory sees the same one. Without the file the configured
/// default (<c>Models:Default</c>) applies.
/// </summary>
/// <param name="Model">The model's name: its file name without <c>.onnx</c>.</param>
/// <param name="ChosenAt">When it was chosen.</param>
/// <param name="ChosenBy">What chose it, in words (for example <c>POST /models/{name}/default from 127.0.0.1</c>).</param>
public sealed record DefaultModelChoice(string Model, DateTimeOffset ChosenAt, string ChosenBy)
{
    /// <summary>
    /// The default model as shipped, when neither a choice nor <c>Models:Default</c> names another: the convolutional
    /// network of <c>models/mnist-cnn.onnx</c> (the tutorial's network is <c>mnist-mlp</c> beside it).
    /// </summary>
    public const string Shipped = "mnist-cnn";

    /// <summary>The file's name in the model directory; not an <c>.onnx</c> file, so never read as a model.</summary>
    public const string FileName = "default-model.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string PathIn(string modelDirectory) => Path.Combine(modelDirectory, FileName);

    /// <summary>The choice stored in <paramref name="modelDirectory"/>, or null when none is.</summary>
    /// <exception cref="InvalidDataException">The file is there but is not a choice (names the file and why).</exception>
    public static DefaultModelChoice? Read(string modelDirectory)
    {
        var path = PathIn(modelDirectory);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            var choice = JsonSerializer.Deserialize<DefaultModelChoice>(text, Json);
            if (choice is null || string.IsNullOrWhiteSpace(choice.Model))
            {
                throw new InvalidDataException($"{path} names no model.");
            }
            return choice;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a default-model choice: {e.Message}", e);
        }
    }

    /// <summary>Stores the choice atomically: readers see the old choice or the new one.</summary>
    public void Write(string modelDirectory) =>
        AtomicFile.WriteAllText(PathIn(modelDirectory), JsonSerializer.Serialize(this, Json));

    /// <summary>Removes a stored choice, so the configured default applies again.</summary>
    public static void Clear(string modelDirectory) => File.Delete(PathIn(modelDirectory));
}
