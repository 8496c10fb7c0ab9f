using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MnistService.Core.Logging;
using Serilog;

namespace MnistService.Trainer.Worker;

/// <summary>
/// The worker logs as the service does (<see cref="ConsoleLog"/>), so one collector reads both; levels from
/// <c>Serilog:MinimumLevel</c>.
/// </summary>
public static class WorkerLogging
{
    public static HostApplicationBuilder AddWorkerLogging(this HostApplicationBuilder builder)
    {
        var json = builder.Configuration.GetValue<bool>(ConsoleLog.JsonSetting);
        builder.Services.AddSerilog((_, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext();
            ConsoleLog.WriteToConsole(logger.WriteTo, json);
        });
        return builder;
    }
}
