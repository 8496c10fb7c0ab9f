using MnistService.Core.Data;
using MnistService.Core.Training;

namespace MnistService.Trainer.Tests;

/// <summary>One small model trained once for the whole class: 2 epochs on the first 6,000 images.</summary>
public sealed class TrainedModelFixture : IDisposable
{
    public static readonly TrainingSettings Options = new() { Epochs = 2, Seed = 7 };
    public const int TrainLimit = 6000;

    public TrainedModelFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("trainer-tests-").FullName;
        Data = Mnist.Load();
        Model = ModelTraining.Run(Data, Options, Path.Combine(Directory, "small.onnx"), trainLimit: TrainLimit);
    }

    public string Directory { get; }
    public MnistData Data { get; }
    public TrainedModel Model { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
