using System.Text.Json;
using System.Text.Json.Serialization;

namespace MnistService.Api.Predictions;

/// <summary>
/// Source-generated JSON for the hot path (the prediction request and answer). Numbers must be JSON
/// numbers: the web defaults would also read "5" as 5, which the contract does not offer.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(PredictJsonRequest))]
[JsonSerializable(typeof(PredictionResponse))]
[JsonSerializable(typeof(Feedback.FeedbackJsonRequest))]
[JsonSerializable(typeof(SequenceResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
