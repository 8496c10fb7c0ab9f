using MnistService.Core.Data;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Benchmarks;

/// <summary>
/// <c>detector-train MODEL OUT [members hidden epochs seed]</c>: a new detector (the trainer's, with these settings)
/// beside MODEL's classifier, written to OUT with the classifier unchanged. The detector reads the classifier's first
/// layer, so measuring one beside a 1-epoch classifier says little about the one the default model's training gives;
/// this measures it beside a finished classifier in a minute instead of a full training.
/// </summary>
public static class DetectorRetraining
{
    public static void Run(string[] args)
    {
        var file = OnnxModelReader.Read(args[0]);
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;
        var settings = file.Report.Hyperparameters with
        {
            Detector = Core.Network.DetectorKind.Discriminator,
            DetectorMembers = Arg(2, DetectorDefaults.Members),
            DetectorHidden = [Arg(3, DetectorDefaults.Hidden)],
            DetectorEpochs = Arg(4, DetectorDefaults.Epochs),
            Seed = Arg(5, file.Report.Hyperparameters.Seed),
            Threads = 0,
        };
        var mnist = Mnist.Load();
        var trainCount = mnist.Train.Count - file.Report.Dataset.Validation;
        var trained = DetectorTrainer.Train(mnist.Train.Images, trainCount, mnist.Test.Images, settings, file.Network(settings.Threads),
            epoch => Console.WriteLine($"Detector epoch {epoch.Epoch}: loss {epoch.Loss:F4}, {epoch.Seconds:F1} s"));
        OnnxExporter.Write(args[1], file.Layers, file.Report with { Hyperparameters = settings, Detector = trained.Report },
            detector: trained.Network.GetParameters(), convolutions: file.Convolutions);
        Console.WriteLine($"Wrote {args[1]}: threshold {trained.Report.Threshold:G5}, test digits rejected {trained.Report.TestRejected:P2}");
    }
}
