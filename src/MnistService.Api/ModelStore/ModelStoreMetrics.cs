using Prometheus;

namespace MnistService.Api.ModelStore;

/// <summary>The model store's Prometheus metrics: reloads, failures, file reads, directory listing failures, and what is loaded now.</summary>
public static class ModelStoreMetrics
{
    public static readonly Counter ModelReloads = Prometheus.Metrics.CreateCounter(
        "mnist_model_reloads_total", "Model files loaded or reloaded successfully.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter ModelLoadFailures = Prometheus.Metrics.CreateCounter(
        "mnist_model_load_failures_total", "Model files that could not be loaded (the previous version, if any, stays).",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter ModelFileReads = Prometheus.Metrics.CreateCounter(
        "mnist_model_file_reads_total", "Model files opened and read; a file is read again only when it changes.");

    public static readonly Counter DirectoryListFailures = Prometheus.Metrics.CreateCounter(
        "mnist_model_directory_list_failures_total", "Times the models directory could not be listed (the loaded models stayed as they were).");

    public static readonly Gauge ModelsLoaded = Prometheus.Metrics.CreateGauge(
        "mnist_models_loaded", "Models currently loaded and serving.");

    public static readonly Gauge ModelsBroken = Prometheus.Metrics.CreateGauge(
        "mnist_models_broken", "Model files currently failing to load.");
}
