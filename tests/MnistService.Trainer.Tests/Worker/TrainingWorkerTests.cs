using System.Diagnostics;
using MnistService.Core.Training.Jobs;
using MnistService.Testing;
using MnistService.Trainer.Worker;

namespace MnistService.Trainer.Tests.Worker;

/// <summary>The worker's job handling, with a stand-in for training: claims, status files, failures, restarts.</summary>
public sealed class TrainingWorkerTests : IDisposable
{
    private readonly string _models = TempDirectory.New("worker");

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task A_job_runs_to_succeeded_with_progress_metrics_and_the_model_in_place()
    {
        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick());
        worker.Drop("small", """{ "model": "mnist-small", "hidden": [32], "epochs": 2, "train_limit": 1000 }""");

        var status = await worker.WaitForEndAsync("small");

        Assert.Equal(JobState.Succeeded, status.State);
        Assert.Null(status.Error);
        Assert.Equal("mnist-small.onnx", status.Model);
        Assert.Equal(new JobProgress(2, 2), status.Progress);
        Assert.Equal(0.89, status.Metrics!.ValAccuracy);
        Assert.Equal(0.875, status.TestAccuracy);
        Assert.Equal(1, status.Attempt);
        Assert.True(status.StartedAt <= status.FinishedAt);
        Assert.True(File.Exists(Path.Combine(_models, "mnist-small.onnx")));
        Assert.True(File.Exists(Path.Combine(worker.Jobs, "small.json.done")));
        Assert.False(File.Exists(Path.Combine(worker.Jobs, "small.json")));
    }

    [Theory]
    [InlineData("""{ "epochs": 0, "optimizer": "adamw" }""", "epochs must be 1-1000, got 0.", "optimizer must be one of adam, sgd, rmsprop, got \"adamw\".")]
    [InlineData("""{ "lerning_rate": 0.1 }""", "'lerning_rate' is not a job key; the keys are model, hidden,", null)]
    [InlineData("""{ "hidden": "256,128" }""", "hidden must be a list of whole numbers, e.g. [256, 128], got \"256,128\".", null)]
    [InlineData("""{ "momentum": 0.9 }""", "momentum applies only to the sgd optimizer, not adam.", null)]
    [InlineData("""{ "hidden": [64, 5000], "batch_size": 60001, "threads": 2000, "train_limit": 70000 }""", "hidden widths must be 1-4096, got 5000.", "train_limit must be 2-60000")]
    [InlineData("""{ "batch_size": 60001, "threads": 2000 }""", "batch_size must be 1-60000, got 60001.", "threads must be 0 (every core) to 1024, got 2000.")]
    [InlineData("""{ "epochs": 3, """, "not a valid job", null)]
    [InlineData("""{ "model": "../escape" }""", "model '../escape' must be", null)]
    [InlineData("""{ "dropout": 1.5, "validation_split": -0.1, "learning_rate": 0 }""", "dropout must be at least 0 and below 1, got 1.5.", "validation_split must be above 0 and below 1 (early stopping watches the validation accuracy), got -0.1.")]
    [InlineData("""{ "recipe": "best", "augment": "elastic", "shear": 50 }""", "recipe must be one of tutorial, distorted, got \"best\".", null)]
    [InlineData("""{ "augment": "elastic", "shear": 50, "loss": "mse", "label_smoothing": 0.1 }""", "shear must be 0-45 degrees, got 50.", "label_smoothing applies only to the crossentropy loss, not mse.")]
    public async Task A_job_with_bad_settings_ends_failed_with_the_reason_and_trains_nothing(string json, string reason, string? alsoReason)
    {
        var trained = false;
        await using var worker = await WorkerHarness.StartAsync(_models, (job, path, progress, token) =>
        {
            trained = true;
            return FakeTrainers.Quick()(job, path, progress, token);
        });
        worker.Drop("bad", json);

        var status = await worker.WaitForEndAsync("bad");

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains(reason, status.Error);
        if (alsoReason is not null)
        {
            Assert.Contains(alsoReason, status.Error);
        }

        Assert.False(trained);
        Assert.Empty(Directory.EnumerateFiles(_models, "*.onnx"));
        Assert.True(File.Exists(Path.Combine(worker.Jobs, "bad.json.done")));
    }

    [Theory]
    [InlineData("""{ "epochs": "ten" }""", "epochs must be a whole number, got \"ten\".")]
    [InlineData("""{ "epochs": 2.5 }""", "epochs must be a whole number, got 2.5.")]
    [InlineData("""{ "train_limit": 1e12 }""", "train_limit must be a whole number, got 1e12.")]
    [InlineData("""{ "dropout": "high" }""", "dropout must be a number, got \"high\".")]
    [InlineData("""{ "activation": 1 }""", "activation must be one of relu, sigmoid, tanh, got 1.")]
    [InlineData("""{ "lr_schedule": "cyclic" }""", "lr_schedule must be one of constant, cosine, onecycle, got \"cyclic\".")]
    [InlineData("""{ "hidden": [64, "x"] }""", "hidden must be a list of whole numbers, e.g. [256, 128], got [64, \"x\"].")]
    [InlineData("""{ "replace": "yes" }""", "replace must be true or false, got \"yes\".")]
    [InlineData("""{ "model": 5 }""", "model must be a name (text), got 5.")]
    [InlineData("""[1, 2]""", "expected an object of settings, got [1, 2].")]
    public async Task A_value_of_the_wrong_kind_is_named_by_its_key_and_kind_never_a_dotnet_type(string json, string reason)
    {
        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick());
        worker.Drop("kind", json);

        var status = await worker.WaitForAsync("kind", s => s.State is JobState.Succeeded or JobState.Failed);

        Assert.Equal(JobState.Failed, status.State);
        Assert.EndsWith(reason, status.Error);
        foreach (var dotnet in new[] { "System.", "Int32", "Double", "Boolean", "could not be converted", "$." })
        {
            Assert.DoesNotContain(dotnet, status.Error);
        }
    }

    [Fact]
    public async Task A_failing_training_ends_failed_with_its_message()
    {
        await using var worker = await WorkerHarness.StartAsync(_models,
            (_, _, _, _) => throw new FileNotFoundException("MNIST is not in /data and could not be downloaded."));
        worker.Drop("nodata", "{}");

        var status = await worker.WaitForAsync("nodata", s => s.State is JobState.Failed);

        Assert.Equal("MNIST is not in /data and could not be downloaded.", status.Error);
    }

    [Fact]
    public async Task An_existing_model_is_kept_unless_the_job_says_replace()
    {
        var existing = Path.Combine(_models, "digits.onnx");
        File.WriteAllBytes(existing, [42, 42]);
        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick([7, 7, 7]));

        worker.Drop("keep", """{ "model": "digits" }""");
        var kept = await worker.WaitForAsync("keep", s => s.State is JobState.Failed or JobState.Succeeded);
        Assert.Equal(JobState.Failed, kept.State);
        Assert.Contains("\"replace\": true", kept.Error);
        Assert.Equal([42, 42], File.ReadAllBytes(existing));

        worker.Drop("swap", """{ "model": "digits.onnx", "replace": true }""");
        var swapped = await worker.WaitForAsync("swap", s => s.State is JobState.Failed or JobState.Succeeded);
        Assert.Equal(JobState.Succeeded, swapped.State);
        Assert.Equal([7, 7, 7], File.ReadAllBytes(existing));
    }

    [Fact]
    public async Task Stopping_the_worker_mid_job_queues_the_job_again_and_the_next_worker_finishes_it()
    {
        var started = new TaskCompletionSource();
        var first = await WorkerHarness.StartAsync(_models, FakeTrainers.UntilCancelled(started));
        first.Drop("long", """{ "epochs": 3 }""");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await first.WaitForAsync("long", s => s is { State: JobState.Running, Progress.Epoch: 1 });

        await first.DisposeAsync();

        var requeued = first.Status("long")!;
        Assert.Equal(JobState.Queued, requeued.State);
        Assert.Contains("stopped during the job", requeued.Error);
        Assert.True(File.Exists(Path.Combine(first.Jobs, "long.json")));
        Assert.Empty(Directory.EnumerateFiles(_models, "*.onnx"));

        await using var second = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick());
        var done = await second.WaitForAsync("long", s => s.State is JobState.Succeeded or JobState.Failed);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal(2, done.Attempt);
    }

    [Fact]
    public async Task A_job_left_running_by_a_dead_worker_is_queued_again_and_run()
    {
        var dead = await DeadWorkerOnThisHostAsync();
        LeaveClaimed("orphan", """{ "epochs": 2 }""", dead, attempt: 1);
        // What a worker killed while the exporter wrote leaves behind: a hidden temporary file, no model.
        var partial = Path.Combine(_models, ".orphan.onnx.0123456789abcdef.tmp");
        File.WriteAllBytes(partial, [1]);

        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick());
        var status = await worker.WaitForAsync("orphan", s => s.State is JobState.Succeeded or JobState.Failed);

        Assert.Equal(JobState.Succeeded, status.State);
        Assert.Equal(2, status.Attempt);
        Assert.False(File.Exists(partial));
        Assert.True(File.Exists(Path.Combine(_models, "orphan.onnx")));
    }

    [Fact]
    public async Task A_job_queued_again_keeps_its_place_ahead_of_jobs_dropped_after_it()
    {
        var dead = await DeadWorkerOnThisHostAsync();
        LeaveClaimed("first", "{}", dead, attempt: 1, queuedAt: DateTimeOffset.UtcNow.AddMinutes(-2));
        // The claim stamps the job file with the claim's time, after the second job was dropped.
        WorkerJobs.Drop(_models, "second", "{}");
        File.SetLastWriteTimeUtc(Path.Combine(_models, "jobs", "second.json"), DateTime.UtcNow.AddMinutes(-1));

        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick());
        var second = await worker.WaitForAsync("second", s => s.State is JobState.Succeeded or JobState.Failed);
        var first = worker.Status("first")!;

        Assert.Equal(JobState.Succeeded, first.State);
        Assert.True(first.FinishedAt <= second.StartedAt, $"the requeued job ran at {first.StartedAt}, after the later one ({second.StartedAt})");
    }

    [Fact]
    public async Task A_model_its_own_killed_attempt_wrote_is_replaced_when_the_job_runs_again()
    {
        var dead = await DeadWorkerOnThisHostAsync();
        LeaveClaimed("late", "{}", dead, attempt: 1);
        // The first attempt finished writing the model, then died before recording success.
        File.WriteAllBytes(Path.Combine(_models, "late.onnx"), [9]);

        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick([5, 5]));
        var status = await worker.WaitForAsync("late", s => s.State is JobState.Succeeded or JobState.Failed);

        Assert.Equal(JobState.Succeeded, status.State);
        Assert.Equal([5, 5], File.ReadAllBytes(Path.Combine(_models, "late.onnx")));
    }

    [Fact]
    public async Task A_job_that_killed_its_worker_three_times_fails_instead_of_looping()
    {
        var dead = await DeadWorkerOnThisHostAsync();
        LeaveClaimed("poison", "{}", dead, attempt: JobQueue.MaxAttempts);

        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick());
        var status = await worker.WaitForAsync("poison", s => s.State is JobState.Succeeded or JobState.Failed);

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("3 times", status.Error);
        Assert.False(File.Exists(Path.Combine(_models, "poison.onnx")));
    }

    [Fact]
    public async Task A_job_claimed_by_a_live_worker_elsewhere_is_left_alone()
    {
        var elsewhere = new WorkerIdentity("other-host", 1, DateTime.UtcNow.Ticks);
        LeaveClaimed("theirs", "{}", elsewhere, attempt: 1);

        await using var worker = await WorkerHarness.StartAsync(_models, FakeTrainers.Quick());
        worker.Drop("mine", "{}");
        await worker.WaitForAsync("mine", s => s.State is JobState.Succeeded);

        var theirs = worker.Status("theirs")!;
        Assert.Equal(JobState.Running, theirs.State);
        Assert.Equal(elsewhere.ToString(), theirs.Worker);
        Assert.True(File.Exists(Path.Combine(worker.Jobs, "theirs.json.running")));
    }

    [Fact]
    public async Task Until_idle_runs_the_waiting_jobs_then_the_command_exits_zero()
    {
        WorkerJobs.Drop(_models, "a", "{}");
        WorkerJobs.Drop(_models, "b", """{ "epochs": -1 }""");
        var command = WorkerCommand.Create(FakeTrainers.Quick());

        var exit = await command.Parse(["--models", _models, "--poll-seconds", "0.1", "--until-idle"])
            .InvokeAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exit);
        Assert.Equal(JobState.Succeeded, JobStatus.TryRead(Path.Combine(_models, "jobs", "a.status.json"))!.State);
        Assert.Equal(JobState.Failed, JobStatus.TryRead(Path.Combine(_models, "jobs", "b.status.json"))!.State);
    }

    [Fact]
    public async Task A_models_directory_that_cannot_be_made_exits_with_a_message()
    {
        var file = Path.Combine(_models, "not-a-directory");
        File.WriteAllText(file, "");
        var error = new StringWriter();

        var exit = await WorkerCommand.Create(FakeTrainers.Quick()).Parse(["--models", Path.Combine(file, "models")])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Error = error });

        Assert.Equal(1, exit);
        Assert.Contains("error: cannot use", error.ToString());
    }

    [Theory]
    [InlineData("--poll-seconds", "0")]
    [InlineData("--stale-seconds", "5")]
    public void Bad_worker_options_are_refused_with_a_message(string option, string value)
    {
        var parse = WorkerCommand.Create(FakeTrainers.Quick()).Parse(["--models", _models, option, value]);
        Assert.Contains(parse.Errors, e => e.Message.Contains(option, StringComparison.Ordinal));
    }

    private void LeaveClaimed(string job, string json, WorkerIdentity owner, int attempt, DateTimeOffset? queuedAt = null)
    {
        var jobs = Path.Combine(_models, "jobs");
        Directory.CreateDirectory(jobs);
        File.WriteAllText(Path.Combine(jobs, job + JobQueue.RunningSuffix), json);
        var now = DateTimeOffset.UtcNow;
        new JobStatus
        {
            Job = job, State = JobState.Running, Model = job + ".onnx", Attempt = attempt, Worker = owner.ToString(),
            QueuedAt = queuedAt ?? now, StartedAt = now, UpdatedAt = now,
        }.Write(Path.Combine(jobs, job + JobQueue.StatusSuffix));
    }

    /// <summary>The identity of a process of this host that has exited: a worker that was killed.</summary>
    private static async Task<WorkerIdentity> DeadWorkerOnThisHostAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", ["30"]))!;
        var started = process.StartTime.ToUniversalTime().Ticks;
        process.Kill();
        await process.WaitForExitAsync();
        return new WorkerIdentity(WorkerIdentity.Current.Host, process.Id, started);
    }
}
