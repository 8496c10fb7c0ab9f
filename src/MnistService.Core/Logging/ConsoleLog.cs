using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace MnistService.Core.Logging;

/// <summary>
/// How the service and the training worker write their logs, so that one collector reads both: Serilog to
/// standard output, a line as <see cref="OutputTemplate"/>, or one JSON object per line when
/// <see cref="JsonSetting"/> is true.
/// </summary>
public static class ConsoleLog
{
    /// <summary><c>[12:34:56 INF] MnistService.Core.Training.Jobs.TrainingWorker: Job small succeeded ...</c></summary>
    public const string OutputTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>The setting that switches to JSON lines (<c>Logging__Json=true</c> in the environment).</summary>
    public const string JsonSetting = "Logging:Json";

    public static LoggerConfiguration WriteToConsole(LoggerSinkConfiguration writeTo, bool json) => json
        ? writeTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Fatal)
        : writeTo.Console(outputTemplate: OutputTemplate, standardErrorFromLevel: LogEventLevel.Fatal);
}
