using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MnistService.Core.Training.Jobs;
using MnistService.Trainer.Commands;

namespace MnistService.Trainer.Worker;

/// <summary><c>mnist-train worker --models DIR</c>: the training worker as a long-running service.</summary>
public static class WorkerCommand
{
    /// <summary>The command with the real training pipeline (MNIST from --data, MNIST_DATA_DIR, ../shared/mnist or a download).</summary>
    public static Command Create() => Create(trainer: null);

    /// <param name="trainer">The training to run for each job; null: <see cref="PipelineTrainer"/> over MNIST from --data.</param>
    public static Command Create(JobTrainer? trainer)
    {
        var models = new Option<DirectoryInfo>("--models")
        {
            Description = "The models directory the service reads; jobs are JSON files dropped into its jobs/ folder.",
            Required = true,
        };
        var data = new Option<DirectoryInfo?>("--data")
        {
            Description = "The MNIST directory, holding the four files; default MNIST_DATA_DIR, else ../shared/mnist, else a download into the user cache.",
        };
        var poll = new Option<double>("--poll-seconds")
        {
            Description = "How often to look for jobs besides file-system notifications.",
            DefaultValueFactory = _ => 2,
        };
        var stale = new Option<double>("--stale-seconds")
        {
            Description = "A running job whose status was not refreshed for this long is taken to have lost its worker and is queued again.",
            DefaultValueFactory = _ => 120,
        };
        var alive = new Option<FileInfo?>("--alive-file")
        {
            Description = "A file the worker rewrites every few seconds while it is alive, for container health checks.",
        };
        var untilIdle = new Option<bool>("--until-idle")
        {
            Description = "Stop once no job is waiting, instead of waiting for more (for a Kubernetes Job or a cron run).",
        };
        poll.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not (> 0 and <= 3600))
            {
                result.AddError("--poll-seconds must be above 0 and at most 3600.");
            }
        });
        stale.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not (>= 30 and <= 86_400))
            {
                result.AddError("--stale-seconds must be 30-86400 (a running job refreshes its status every 10 seconds).");
            }
        });

        var command = new Command("worker",
            "Run as a training worker: train the jobs dropped into MODELS/jobs/ (NAME.json, the train settings), " +
            "write MODELS/NAME.onnx, keep MODELS/jobs/NAME.status.json current; SIGTERM or Ctrl+C stops it gracefully")
        {
            models, data, poll, stale, alive, untilIdle,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new WorkerOptions
            {
                ModelsDirectory = parseResult.GetRequiredValue(models).FullName,
                PollInterval = TimeSpan.FromSeconds(parseResult.GetValue(poll)),
                StaleAfter = TimeSpan.FromSeconds(parseResult.GetValue(stale)),
                AliveFile = parseResult.GetValue(alive)?.FullName,
                UntilIdle = parseResult.GetValue(untilIdle),
            };
            var dataDirectory = parseResult.GetValue(data)?.FullName;
            Func<IServiceProvider, JobTrainer> training = trainer is not null
                ? _ => trainer
                : services => new PipelineTrainer(dataDirectory, services.GetRequiredService<ILogger<PipelineTrainer>>()).Trainer;
            try
            {
                Directory.CreateDirectory(Path.Combine(options.ModelsDirectory, "jobs"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: cannot use {options.ModelsDirectory}/jobs: {e.Message}");
                return CommandErrors.Failed;
            }

            using var host = BuildHost(options, training);
            var worker = host.Services.GetServices<IHostedService>().OfType<TrainingWorker>().Single();
            await host.RunAsync(cancellationToken);
            // The worker loop ends only when asked to; if it ended with an error (already logged), say so in the exit code.
            return worker.ExecuteTask is { IsFaulted: true } ? CommandErrors.Failed : CommandErrors.Ok;
        });
        return command;
    }

    /// <summary>The Generic Host around <see cref="TrainingWorker"/>: the service's log format, SIGTERM and Ctrl+C stop it.</summary>
    public static IHost BuildHost(WorkerOptions options, JobTrainer trainer, string[]? args = null) =>
        BuildHost(options, _ => trainer, args);

    private static IHost BuildHost(WorkerOptions options, Func<IServiceProvider, JobTrainer> trainer, string[]? args = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args ?? [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddWorkerLogging();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<JobTrainer>(trainer);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<TrainingWorker>();
        // Long enough for the running job to stop at its next batch and be queued again.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(25));
        return builder.Build();
    }
}
