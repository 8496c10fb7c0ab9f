using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace MnistService.Trainer.Worker;

/// <summary>
/// The worker logs as the service does (src/MnistService.Api/Hosting/LoggingSetup.cs), so one collector
/// reads both: Serilog to standard output, lines as <see cref="OutputTemplate"/>, or one JSON object per
/// line when <c>Logging:Json</c> is true (<c>Logging__Json=true</c> in the environment); levels from
/// <c>Serilog:MinimumLevel</c>.
/// </summary>
public static class WorkerLogging
{
    /// <summary>The service's line format: <c>[12:34:56 INF] MnistService.Trainer.Worker.TrainingWorker: Job small succeeded ...</c></summary>
    public const string OutputTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>The setting that switches to JSON lines, as the service names it.</summary>
    public const string JsonSetting = "Logging:Json";

    public static HostApplicationBuilder AddWorkerLogging(this HostApplicationBuilder builder)
    {
        var json = builder.Configuration.GetValue<bool>(JsonSetting);
        builder.Services.AddSerilog((_, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext();
            WriteToConsole(logger.WriteTo, json);
        });
        return builder;
    }

    private static LoggerConfiguration WriteToConsole(LoggerSinkConfiguration writeTo, bool json) => json
        ? writeTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Fatal)
        : writeTo.Console(outputTemplate: OutputTemplate, standardErrorFromLevel: LogEventLevel.Fatal);
}
