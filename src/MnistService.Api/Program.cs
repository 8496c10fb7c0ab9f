using MnistService.Api.Clients;
using MnistService.Api.Errors;
using MnistService.Api.Feedback;
using MnistService.Api.Health;
using MnistService.Api.Insight;
using MnistService.Api.Jobs;
using MnistService.Api.Logging;
using MnistService.Api.Metrics;
using MnistService.Api.ModelStore;
using MnistService.Api.OpenApi;
using MnistService.Api.Page;
using MnistService.Api.Predictions;
using MnistService.Api.Security;
using MnistService.Api.Startup;

if (ServiceHelp.IsRequested(args))
{
    Console.Out.Write(ServiceHelp.Text);
    return 0;
}

try
{
    var builder = WebApplication.CreateBuilder(args);

    builder.AddServiceLogging();
    builder.Services.AddProblemResponses();
    builder.Services.AddSecurityHeaders(builder.Configuration);
    builder.Services.AddCrossOriginRequests(builder.Configuration);
    builder.Services.AddConnectionLimits(builder.Configuration);
    builder.Services.AddClientRateLimiting(builder.Configuration);
    builder.Services.AddRequestTimeoutPolicy(builder.Configuration);
    builder.Services.AddGracefulShutdown(builder.Configuration);
    builder.Services.AddJsonContracts();
    builder.Services.AddApiDocumentation();
    builder.Services.AddModels(builder.Configuration);
    builder.Services.AddPredictions(builder.Configuration);
    builder.Services.AddInsight();
    builder.Services.AddFeedback(builder.Configuration);
    builder.Services.AddJobs(builder.Configuration);
    builder.Services.AddPrometheusScrape(builder.Configuration);

    var app = builder.Build();

    app.UseTrustedForwardedHeaders();
    app.UseSecurityHeaders();
    app.UseRequestLogging();
    app.UseServiceMetrics();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseManagementPort();
    app.UseCrossOriginRequests();
    app.UseClientRateLimiting();
    app.UseRequestTimeouts();
    app.UseStaticPage();
    app.UseApiDocumentation();

    app.MapPredictions();
    app.MapModels();
    app.MapFeedback();
    app.MapJobs();
    app.MapMetrics();
    app.MapInsight();
    app.MapHealth();

    app.RunUntilStopped();
    return 0;
}
catch (Exception failure) when (StartupFailure.IsReportedHere(failure))
{
    return StartupFailure.Report(failure, args); // one line and exit code 1, not a stack trace
}

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
