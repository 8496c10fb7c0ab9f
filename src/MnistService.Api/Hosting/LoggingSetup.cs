using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace MnistService.Api.Hosting;

public static class LoggingSetup
{
    /// <summary>
    /// Serilog to the console: human-readable lines, or one JSON object per line when
    /// <c>Logging:Json</c> is true (for log collectors). Levels come from <c>Serilog:MinimumLevel</c>.
    /// The logger is disposed with the host, which flushes what the background writer still holds.
    /// </summary>
    public static WebApplicationBuilder AddServiceLogging(this WebApplicationBuilder builder)
    {
        var json = builder.Configuration.GetValue<bool>("Logging:Json");
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .Enrich.FromLogContext();
            // The host logs a start-up failure with its stack trace and then throws it to its caller, who
            // reports it: Program through StartupFailure (one line), or a test through the exception.
            logger.Filter.ByExcluding(StartupFailure.IsHostsOwnReport);
            // The console is written by one background thread. Written on the request threads, the console's
            // lock was contended about once every three predictions under load, and a thread waiting for it
            // waits out whoever holds it, a tail-latency cost (docs/benchmarks.md). Should the console fall
            // 10,000 lines behind, new lines are dropped rather than requests slowed.
            logger.WriteTo.Async(sink => WriteToConsole(sink, json));
        });
        return builder;
    }

    /// <summary>The console format of every log line, shared with <see cref="StartupFailure"/>'s report.</summary>
    public static LoggerConfiguration WriteToConsole(LoggerSinkConfiguration writeTo, bool json) => json
        ? writeTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Fatal)
        : writeTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}",
            standardErrorFromLevel: LogEventLevel.Fatal);

    /// <summary>
    /// One line per request: method, path, status, elapsed time; for predictions also the model, the
    /// input form and the digit (set by the endpoint), as properties in JSON and in the text.
    /// </summary>
    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            // :l renders the strings as they are: in JSON's rendered message too, where they would be quoted.
            options.MessageTemplate = "HTTP {RequestMethod:l} {RequestPath:l} responded {StatusCode} in {Elapsed:0.000} ms{Prediction:l}";
            options.EnrichDiagnosticContext = (context, http) =>
            {
                if (http.Request.QueryString.HasValue)
                {
                    context.Set("Query", http.Request.QueryString.Value);
                }
                if (http.Items.TryGetValue(Predictions.PredictionLogEntry.Key, out var item) && item is Predictions.PredictionLogEntry prediction)
                {
                    context.Set("Model", prediction.Model);
                    context.Set("Digit", prediction.Digit);
                    context.Set("Input", prediction.Input);
                    context.Set("Prediction", $": {prediction.Model} read {prediction.Digit} from {prediction.Input}");
                }
                else
                {
                    context.Set("Prediction", "");
                }
            };
            // Probes and scrapes are frequent and boring: keep them out of the Information stream.
            options.GetLevel = (http, _, exception) =>
                exception is not null || http.Response.StatusCode is >= 500 and not 503 ? LogEventLevel.Error
                : http.Response.StatusCode == 503 ? LogEventLevel.Warning
                : OperationalPaths.IsProbeOrScrape(http.Request.Path) ? LogEventLevel.Debug
                : LogEventLevel.Information;
        });
        return app;
    }
}
