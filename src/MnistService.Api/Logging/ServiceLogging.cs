using MnistService.Api.Settings;
using MnistService.Core.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace MnistService.Api.Logging;

public static class ServiceLogging
{
    /// <summary>
    /// Serilog to the console: human-readable lines, or one JSON object per line when
    /// <c>Logging:Json</c> is true (for log collectors). Levels come from <c>Serilog:MinimumLevel</c>.
    /// The logger is disposed with the host, which flushes what the background writer still holds.
    /// </summary>
    public static WebApplicationBuilder AddServiceLogging(this WebApplicationBuilder builder)
    {
        if (!bool.TryParse(builder.Configuration[ConsoleLog.JsonSetting] ?? "false", out var json))
        {
            throw new InvalidSettingException($"{ConsoleLog.JsonSetting} must be true or false, but is {SettingSource.DescribeValue(builder.Configuration, ConsoleLog.JsonSetting)}");
        }
        builder.Services.AddSerilog((services, logger) =>
        {
            try
            {
                logger.ReadFrom.Configuration(builder.Configuration);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
            {
                throw new InvalidSettingException($"the Serilog section is not valid ({e.Message.TrimEnd('.')})");
            }
            logger.MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .Enrich.FromLogContext()
                .Enrich.With<RequestLogging.PredictionSummary>();
            // The host logs a start-up failure with its stack trace and then throws it to its caller, who
            // reports it: Program through StartupFailure (one line), or a test through the exception.
            logger.Filter.ByExcluding(IsHostsOwnStartFailure);
            // The console is written by one background thread. Written on the request threads, the console's
            // lock was contended about once every three predictions under load, and a thread waiting for it
            // waits out whoever holds it, a tail-latency cost (docs/benchmarks.md). Should the console fall
            // 10,000 lines behind, new lines are dropped rather than requests slowed.
            logger.WriteTo.Async(sink => ConsoleLog.WriteToConsole(sink, json));
        });
        return builder;
    }

    private static bool IsHostsOwnStartFailure(LogEvent logEvent) =>
        logEvent.MessageTemplate.Text == "Hosting failed to start"
        && logEvent.Properties.TryGetValue(Constants.SourceContextPropertyName, out var context)
        && context is ScalarValue { Value: "Microsoft.Extensions.Hosting.Internal.Host" };
}
