using MnistService.Api.Health;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace MnistService.Api.Logging;

/// <summary>
/// One line per request: method, path, status, elapsed time. An endpoint adds what it did through Serilog's
/// <see cref="IDiagnosticContext"/>; a prediction sets <c>Model</c>, <c>Digit</c> and <c>Input</c>, which
/// are properties in JSON and read "mnist-cnn read 7 from image" at the end of the text.
/// </summary>
public static class RequestLogging
{
    // :l renders the strings as they are: in JSON's rendered message too, where they would be quoted.
    private const string Template = "HTTP {RequestMethod:l} {RequestPath:l} responded {StatusCode} in {Elapsed:0.000} ms{Prediction:l}";

    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            options.MessageTemplate = Template;
            options.EnrichDiagnosticContext = (context, http) =>
            {
                if (http.Request.QueryString.HasValue)
                {
                    context.Set("Query", http.Request.QueryString.Value);
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

    /// <summary>The end of a request line: ": mnist-cnn read 7 from image" when a prediction set its fields, else nothing.</summary>
    internal sealed class PredictionSummary : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory factory)
        {
            if (logEvent.MessageTemplate.Text != Template)
            {
                return;
            }
            var properties = logEvent.Properties;
            var summary = properties.TryGetValue("Model", out var model) && properties.TryGetValue("Digit", out var digit)
                && properties.TryGetValue("Input", out var input)
                ? $": {Text(model)} read {Text(digit)} from {Text(input)}"
                : "";
            logEvent.AddPropertyIfAbsent(factory.CreateProperty("Prediction", summary));
        }

        private static string? Text(LogEventPropertyValue value) => value is ScalarValue { Value: var scalar } ? scalar?.ToString() : value.ToString();
    }
}
