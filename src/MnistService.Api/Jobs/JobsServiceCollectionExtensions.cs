using Microsoft.Extensions.Options;
using MnistService.Api.ModelStore;
using MnistService.Api.Security;
using MnistService.Api.Settings;
using MnistService.Core.Training.Jobs;

namespace MnistService.Api.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>Training jobs over the model directory, the access rule, and (Training:Worker InProcess) the worker that trains them.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<TrainingOptions>(configuration, TrainingOptions.Section)
            .PostConfigure(options =>
            {
                // A secret mounted as a file: its one line is the key (an empty or missing file leaves training to loopback).
                if (string.IsNullOrEmpty(options.ApiKey) && !string.IsNullOrEmpty(options.ApiKeyFile) && File.Exists(options.ApiKeyFile))
                {
                    options.ApiKey = File.ReadAllText(options.ApiKeyFile).Trim();
                }
            });
        services.AddSingleton<TrainingAccess>();
        services.AddSingleton<JobStore>();
        // Read while the services are set up; an invalid section fails the start with every other setting's error.
        if (ValidatedOptions.TryRead<TrainingOptions>(configuration, TrainingOptions.Section) is not { Worker: TrainingWorkerMode.InProcess })
        {
            return services;
        }

        services.AddSingleton(provider =>
        {
            var training = provider.GetRequiredService<IOptions<TrainingOptions>>().Value;
            var store = provider.GetRequiredService<JobStore>();
            var options = new WorkerOptions
            {
                ModelsDirectory = provider.GetRequiredService<ModelRepository>().Directory,
                CreateJobsDirectory = false, // made by the first job posted, not by every service that starts
                MaxThreads = training.EffectiveThreads,
            };
            var data = string.IsNullOrWhiteSpace(training.Data)
                ? null // found as the trainer finds it: MNIST_DATA_DIR, ../shared/mnist, else downloaded into the user cache
                : Path.GetFullPath(Path.Combine(provider.GetRequiredService<IHostEnvironment>().ContentRootPath, training.Data));
            // At the lowest CPU priority: requests for predictions come first (docs/benchmarks.md measures it).
            var trainer = new PipelineTrainer(data, provider.GetRequiredService<ILogger<PipelineTrainer>>(), lowPriority: true);
            var worker = new TrainingWorker(options, trainer.Trainer, provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<IHostApplicationLifetime>(), provider.GetRequiredService<ILogger<TrainingWorker>>());
            store.Submitted += worker.Wake;
            return worker;
        });
        services.AddHostedService(provider => provider.GetRequiredService<TrainingWorker>());
        return services;
    }
}
