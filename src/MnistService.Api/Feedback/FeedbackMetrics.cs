using MnistService.Core.Feedback;
using Prometheus;

namespace MnistService.Api.Feedback;

/// <summary>The Prometheus metrics of people's answers.</summary>
public static class FeedbackMetrics
{
    public static readonly Counter Answers = Prometheus.Metrics.CreateCounter(
        "mnist_feedback_total", "Answers stored by this replica, per model and outcome (confirmed: the model read it right; corrected: it did not).",
        new CounterConfiguration { LabelNames = ["model", "outcome"] });

    public static readonly Gauge FieldAccuracy = Prometheus.Metrics.CreateGauge(
        "mnist_field_accuracy", "Share of the stored answers (all replicas') that confirmed the model's reading, per model; refreshed every 30 s.",
        new GaugeConfiguration { LabelNames = ["model"] });

    public static readonly Gauge FieldAnswers = Prometheus.Metrics.CreateGauge(
        "mnist_field_answers", "Stored answers (all replicas'), per model; the field accuracy's sample size.",
        new GaugeConfiguration { LabelNames = ["model"] });

    public static readonly Counter StoreFailures = Prometheus.Metrics.CreateCounter(
        "mnist_feedback_store_failures_total", "Feedback requests answered 503 because the database could not be used.");

    public static void Answered(FeedbackRecord record) =>
        Answers.WithLabels(record.Model, record.Correct ? "confirmed" : "corrected").Inc();

    /// <summary>Sets the gauges from the database's totals.</summary>
    public static void Publish(IEnumerable<ModelFeedbackTotals> totals)
    {
        foreach (var model in totals)
        {
            FieldAccuracy.WithLabels(model.Model).Set(model.Accuracy);
            FieldAnswers.WithLabels(model.Model).Set(model.Total);
        }
    }
}
