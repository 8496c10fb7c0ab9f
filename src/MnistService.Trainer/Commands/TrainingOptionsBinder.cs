using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using MnistService.Core.Network;
using MnistService.Core.Training;

namespace MnistService.Trainer.Commands;

/// <summary>
/// The command-line options that make a <see cref="TrainingOptions"/>, with the tutorial's defaults
/// taken from the record itself so the two can never disagree.
/// </summary>
public sealed class TrainingOptionsBinder
{
    private static readonly TrainingOptions Defaults = new();

    public Option<int[]> Hidden { get; } = new("--hidden")
    {
        Description = "Hidden layer sizes, comma-separated",
        DefaultValueFactory = _ => Defaults.Hidden.ToArray(),
        CustomParser = ParseSizes,
        HelpName = "256,128",
    };
    public Option<string> Activation { get; } = new Option<string>("--activation")
    {
        Description = "Activation of the hidden layers",
        DefaultValueFactory = _ => Defaults.Activation,
    }.AcceptOnlyFromAmong([.. MlpSpec.Activations]);
    public Option<double> Dropout { get; } = new("--dropout") { Description = "Dropout rate after the first hidden layer (0 = none)", DefaultValueFactory = _ => Defaults.Dropout };
    public Option<string> Optimizer { get; } = new Option<string>("--optimizer")
    {
        Description = "Optimizer",
        DefaultValueFactory = _ => Defaults.Optimizer,
    }.AcceptOnlyFromAmong([.. TrainingOptions.Optimizers]);
    public Option<double> LearningRate { get; } = new("--learning-rate") { Description = "Learning rate", DefaultValueFactory = _ => Defaults.LearningRate };
    public Option<double> Momentum { get; } = new("--momentum") { Description = "SGD momentum (0 = plain SGD)", DefaultValueFactory = _ => Defaults.Momentum };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Images per gradient step", DefaultValueFactory = _ => Defaults.BatchSize };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Maximum number of epochs", DefaultValueFactory = _ => Defaults.Epochs };
    public Option<int> Patience { get; } = new("--patience") { Description = "Epochs without a better validation accuracy before stopping", DefaultValueFactory = _ => Defaults.Patience };
    public Option<double> ValidationSplit { get; } = new("--validation-split") { Description = "Fraction of the training data, from its end, held out for validation", DefaultValueFactory = _ => Defaults.ValidationSplit };
    public Option<string> Loss { get; } = new Option<string>("--loss")
    {
        Description = "Loss function",
        DefaultValueFactory = _ => Defaults.Loss,
    }.AcceptOnlyFromAmong([.. TrainingOptions.Losses]);
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed for every random choice (same seed, same model)", DefaultValueFactory = _ => Defaults.Seed };
    public Option<int> Threads { get; } = new("--threads") { Description = "Worker threads, 0 = all cores (does not change the result)", DefaultValueFactory = _ => Defaults.Threads };

    public IEnumerable<Option> All => [Hidden, Activation, Dropout, Optimizer, LearningRate, Momentum, BatchSize, Epochs, Patience, ValidationSplit, Loss, Seed, Threads];

    public TrainingOptions Bind(ParseResult parse) => new()
    {
        Hidden = parse.GetRequiredValue(Hidden),
        Activation = parse.GetRequiredValue(Activation),
        Dropout = parse.GetValue(Dropout),
        Optimizer = parse.GetRequiredValue(Optimizer),
        LearningRate = parse.GetValue(LearningRate),
        Momentum = parse.GetValue(Momentum),
        BatchSize = parse.GetValue(BatchSize),
        Epochs = parse.GetValue(Epochs),
        Patience = parse.GetValue(Patience),
        ValidationSplit = parse.GetValue(ValidationSplit),
        Loss = parse.GetRequiredValue(Loss),
        Seed = parse.GetValue(Seed),
        Threads = parse.GetValue(Threads),
    };

    private static int[] ParseSizes(ArgumentResult result)
    {
        var text = string.Join(",", result.Tokens.Select(t => t.Value));
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int size) || size < 1)
            {
                result.AddError($"--hidden takes positive layer sizes separated by commas (e.g. 256,128); '{part}' is not one.");
                return [];
            }
            sizes.Add(size);
        }
        if (sizes.Count == 0) result.AddError("--hidden needs at least one layer size (e.g. 256,128).");
        return [.. sizes];
    }
}
