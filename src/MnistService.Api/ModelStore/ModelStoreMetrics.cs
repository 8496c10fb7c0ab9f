using Prometheus;

namespace MnistService.Api.ModelStore;

/// <summary>The model store's Prometheus metrics: reloads, failures, and what is loaded now.</summary>
public static class ModelStoreMetrics
{
    public static readonly Counter ModelReloads = Prometheus.Metrics.CreateCounter(
        "mnist_model_reloads_total", "Model files loaded or reloaded successfully.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter ModelLoadFailures = Prometheus.Metrics.CreateCounter(
        "mnist_model_load_failures_total", "Model files that could not be loaded (the previous version, if any, stays).",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Gauge ModelsLoaded = Prometheus.Metrics.CreateGauge(
        "mnist_models_loaded", "Models currently loaded and serving.");

    public static readonly Gauge ModelsBroken = Prometheus.Metrics.CreateGauge(
        "mnist_models_broken", "Model files currently failing to load.");
}
