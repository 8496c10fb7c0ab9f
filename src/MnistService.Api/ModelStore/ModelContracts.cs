using MnistService.Core.Onnx;

namespace MnistService.Api.ModelStore;

/// <summary>The answer of <c>GET /models</c>.</summary>
/// <param name="Default">The model used when a request names none.</param>
/// <param name="Models">The loaded models.</param>
/// <param name="Failures">Model files that could not be loaded (a previous version may still be serving).</param>
public sealed record ModelListResponse(string Default, IReadOnlyList<ModelSummary> Models, IReadOnlyList<ModelFailureInfo> Failures);

/// <param name="Name">The file name without .onnx; pass it as ?model=.</param>
/// <param name="Sha256">SHA-256 of the loaded file.</param>
/// <param name="Parameters">Trainable parameters, from the model's report.</param>
/// <param name="TestAccuracy">Accuracy on the MNIST test set, from the model's report.</param>
/// <param name="Created">When the trainer wrote the model.</param>
/// <param name="IsDefault">Whether requests without ?model= use it.</param>
/// <param name="LoadedAt">When the service loaded this version.</param>
/// <param name="SizeBytes">File size.</param>
/// <param name="Producer">The program that wrote the file.</param>
/// <param name="ReloadError">Why the file on disk now could not replace this version, if it could not.</param>
/// <param name="DefaultReason">For the default model, why it is the default: chosen at run time (POST /models/{name}/default), configured, or the stand-in for a configured default that has no file.</param>
public sealed record ModelSummary(
    string Name, string Sha256, int? Parameters, double? TestAccuracy, DateTimeOffset? Created, bool IsDefault,
    DateTimeOffset LoadedAt, long SizeBytes, string? Producer, string? ReloadError, string? DefaultReason)
{
    public static ModelSummary From(LoadedModel model, ModelSnapshot snapshot) => new(
        model.Name, model.Sha256, model.Report?.Architecture.Parameters, model.Report?.Test.Accuracy, model.Report?.Created,
        model.Name == snapshot.DefaultName, model.LoadedAt, model.Stamp.Length, model.Report?.Producer ?? model.Producer,
        snapshot.Failures.GetValueOrDefault(model.Name)?.Error, model.Name == snapshot.DefaultName ? snapshot.DefaultReason : null);
}

/// <summary>A model file that does not load.</summary>
/// <param name="Name">The file name without .onnx.</param>
/// <param name="File">The file's name in the model directory.</param>
/// <param name="Error">Why it does not load.</param>
/// <param name="Since">When the service first found this version of the file broken.</param>
public sealed record ModelFailureInfo(string Name, string File, string Error, DateTimeOffset Since);

/// <summary>The answer of <c>GET /models/{name}</c>: the summary and the model's full report.</summary>
/// <param name="Model">The model as GET /models lists it.</param>
/// <param name="Report">The evaluation stored in the file (history, hyperparameters, test results); null when the file has none.</param>
public sealed record ModelDetails(ModelSummary Model, ModelReport? Report);
