using System.Globalization;
using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using Spectre.Console;

namespace MnistService.Trainer.Rendering;

/// <summary>The trainer's tables: the Keras-like model summary, the confusion matrix, per-class metrics.</summary>
public static class ModelViews
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Layer (type), output shape and parameter count, as Keras's <c>model.summary()</c>.</summary>
    public static Table Summary(ArchitectureInfo architecture)
    {
        var table = new Table().Border(TableBorder.Simple).Title("Model: \"sequential\"")
            .AddColumn("Layer (type)").AddColumn("Output Shape").AddColumn(new TableColumn("Param #").RightAligned());
        var side = (int)Math.Round(Math.Sqrt(architecture.Inputs)); // the image's, halved by each pooling
        LayerInfo? previous = null;
        foreach (var layer in architecture.Layers)
        {
            side = layer.Kind == "max_pooling2d" ? side / 2 : side;
            if (layer.Kind == "dense" && previous?.Kind == "max_pooling2d")
            {
                // The dense layers read the last pooling's channels flattened, as Keras's Flatten between them.
                table.AddRow("flatten (Flatten)", $"(None, {side * side * previous.Units})", "0");
            }
            previous = layer;
            var (kind, shape) = layer.Kind switch
            {
                "conv2d" => ("Conv2D", $"(None, {side}, {side}, {layer.Units})"),
                "max_pooling2d" => ("MaxPooling2D", $"(None, {side}, {side}, {layer.Units})"),
                "dense" => ("Dense", $"(None, {layer.Units})"),
                _ => ("Dropout", $"(None, {layer.Units})"),
            };
            var detail = layer.Activation is { } a ? $" [grey]{a}[/]" : layer.Rate is { } r ? $" [grey]rate {r.ToString("0.##", Invariant)}[/]" : "";
            table.AddRow($"{layer.Name} ({kind}){detail}", shape, layer.Parameters.ToString("N0", Invariant));
        }
        table.Caption($"Total params: {architecture.Parameters.ToString("N0", Invariant)}, all trainable");
        return table;
    }

    /// <summary>Rows are the true digit, columns the predicted one; the diagonal (correct) is green.</summary>
    public static Table Confusion(int[][] matrix)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Confusion matrix (rows: true digit, columns: predicted)")
            .AddColumn(new TableColumn("true").Centered());
        for (var p = 0; p < matrix.Length; p++)
        {
            table.AddColumn(new TableColumn(p.ToString(Invariant)).RightAligned());
        }

        for (var t = 0; t < matrix.Length; t++)
        {
            var cells = new List<string> { $"[bold]{t}[/]" };
            for (var p = 0; p < matrix[t].Length; p++)
            {
                var count = matrix[t][p];
                cells.Add(t == p ? $"[green]{count}[/]" : count == 0 ? "[grey]0[/]" : $"[yellow]{count}[/]");
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }

    public static Table ClassMetrics(IReadOnlyList<ClassMetrics> classes)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Per digit")
            .AddColumn("digit").AddColumn(new TableColumn("precision").RightAligned())
            .AddColumn(new TableColumn("recall").RightAligned()).AddColumn(new TableColumn("f1").RightAligned())
            .AddColumn(new TableColumn("support").RightAligned());
        foreach (var c in classes)
        {
            table.AddRow(c.Digit.ToString(Invariant), c.Precision.ToString("0.0000", Invariant), c.Recall.ToString("0.0000", Invariant),
                c.F1.ToString("0.0000", Invariant), c.Support.ToString(Invariant));
        }

        return table;
    }

    /// <summary>The most frequent mistakes, "4 read as 9: 10 times", largest first.</summary>
    public static IEnumerable<string> TopConfusions(int[][] matrix, int count = 3) =>
        Enumerable.Range(0, matrix.Length)
            .SelectMany(t => Enumerable.Range(0, matrix[t].Length).Where(p => p != t && matrix[t][p] > 0).Select(p => (t, p, n: matrix[t][p])))
            .OrderByDescending(e => e.n).ThenBy(e => e.t).ThenBy(e => e.p)
            .Take(count)
            .Select(e => $"{e.t} read as {e.p}: {e.n} times");

    /// <summary>The detector's lines: its network, threshold and how many test digits it rejects.</summary>
    public static IEnumerable<string> Detector(DetectorReport? detector, double? measuredTestRejected = null)
    {
        if (detector is null)
        {
            yield return "Digit detector: none (answers carry isDigit null).";
            yield break;
        }
        var reads = detector.Input == DetectorInput.Classifier ? "dense_1" : "784";
        var network = $"{reads} → {string.Join(" → ", detector.Hidden)} → {(detector.Method == "autoencoder" ? 784 : 1)}";
        yield return $"Digit detector: {detector.Method} {(detector.Members > 1 ? $"{detector.Members} × ({network}), averaged" : network)}, {detector.Parameters.ToString("N0", Invariant)} parameters, " +
                     $"{Count(detector.History.Count, "epoch")}; threshold {detector.Threshold.ToString("G4", Invariant)} (rejects {Percent(detector.ValidationRejectionTarget)} of the validation digits{(detector.Calibration == DetectorReport.RedrawnCalibration ? ", redrawn like uploads" : "")})";
        yield return measuredTestRejected is { } measured
            ? $"Test digits rejected as not a digit: {Percent(measured)} (the model's report says {Percent(detector.TestRejected)})"
            : $"Test digits rejected as not a digit: {Percent(detector.TestRejected)}";
    }

    /// <summary>The test images misread, by kind of mistake (most frequent first): "4 read as 9 (14): 247, 1112, ...".</summary>
    public static Table MisreadIndices(IReadOnlyList<MisreadDigit> misread)
    {
        var table = new Table().Border(TableBorder.Simple).Title($"Misread test images ({misread.Count.ToString("N0", Invariant)})")
            .AddColumn("mistake").AddColumn(new TableColumn("count").RightAligned()).AddColumn("test-set indices");
        foreach (var kind in misread.GroupBy(m => (m.Label, m.Digit)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key))
        {
            table.AddRow($"{kind.Key.Label} read as {kind.Key.Digit}", kind.Count().ToString(Invariant),
                string.Join(", ", kind.Select(m => m.Index.ToString(Invariant))));
        }

        return table;
    }

    /// <summary>
    /// The recipe in one line: "Recipe: distorted; affine distortions (±10°, scale 0.92-1.08, shear ±6°, shift ±2 px),
    /// onecycle learning rate peaking at 0.003 (warm-up 30 % of the steps), label smoothing 0.1".
    /// </summary>
    public static string Recipe(TrainingSettings settings)
    {
        string F(double value) => value.ToString(Invariant);
        var distortions = settings.Augment == AugmentKind.None ? "no distortions"
            : $"{ChoiceNames.Of(settings.Augment)} distortions (±{F(settings.Rotation)}°, scale {F(1 - settings.Scale)}-{F(1 + settings.Scale)}, " +
              $"shear ±{F(settings.Shear)}°, shift ±{F(settings.Shift)} px" +
              (settings.Thickness > 0 ? $", strokes ±{F(settings.Thickness)} px" : "") +
              (settings.Augment == AugmentKind.Elastic ? $", field σ {F(settings.ElasticSigma)} α {F(settings.ElasticAlpha)})" : ")");
        var schedule = settings.LrSchedule == LearningRateScheduleKind.Constant && settings.Warmup == 0
            ? $"constant learning rate {F(settings.LearningRate)}"
            : $"{ChoiceNames.Of(settings.LrSchedule)} learning rate peaking at {F(settings.LearningRate)}" +
              (settings.Warmup > 0 ? $" (warm-up {F(settings.Warmup * 100)} % of the steps)" : "");
        var smoothing = settings.LabelSmoothing > 0 ? $"label smoothing {F(settings.LabelSmoothing)}" : "no label smoothing";
        return $"Recipe: {ChoiceNames.Of(settings.Recipe)}; {distortions}, {schedule}, {smoothing}";
    }

    public static string Percent(double fraction) => (fraction * 100).ToString("0.00", Invariant) + " %";

    /// <summary>"1 epoch", "2 epochs".</summary>
    public static string Count(int count, string noun) => $"{count.ToString("N0", Invariant)} {noun}{(count == 1 ? "" : "s")}";
}
