using System.Net;
using System.Reflection;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

/// <summary>
/// The OpenAPI document, read as a client generator reads it, says exactly what the service does: a
/// generated client should need no hand edits.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class OpenApiDocumentTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private async Task<JsonElement> Document() => await HttpAssert.Json(await _client.GetAsync("/swagger/v1/swagger.json"));

    private static JsonElement Schema(JsonElement document, string name) => document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        from path in document.GetProperty("paths").EnumerateObject()
        from method in path.Value.EnumerateObject()
        select (path.Name, method.Name, method.Value);

    /// <summary>The answers' C# types, and the types of everything they hold, by schema name (the type's name).</summary>
    private static Dictionary<string, Type> AnswerTypes()
    {
        Type[] roots = [typeof(Api.Predictions.PredictionResponse), typeof(Api.Predictions.SequenceResponse), typeof(Api.ModelStore.ModelListResponse), typeof(Api.ModelStore.ModelDetails),
            typeof(Api.Metrics.ConfusionResponse), typeof(Api.Health.ReadinessResponse), typeof(Api.Health.HealthResponse),
            typeof(Api.Insight.WeightsResponse), typeof(Api.Feedback.FeedbackResponse),
            typeof(Api.Jobs.JobListResponse), typeof(Api.Jobs.JobInfo)];
        var found = new Dictionary<string, Type>();
        var pending = new Queue<Type>(roots);
        while (pending.TryDequeue(out var type))
        {
            type = System.Nullable.GetUnderlyingType(type) ?? type;
            if (type.IsArray)
            {
                pending.Enqueue(type.GetElementType()!);
                continue;
            }
            if (type.IsGenericType)
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    pending.Enqueue(argument);
                }
                continue;
            }
            if (type.Namespace?.StartsWith("MnistService.", StringComparison.Ordinal) != true || !found.TryAdd(type.Name, type))
            {
                continue;
            }
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                pending.Enqueue(property.PropertyType);
            }
        }
        return found;
    }

    /// <summary>Whether a property's schema allows null: <c>nullable</c> on it (beside a type or an allOf wrapping a $ref).</summary>
    private static bool Nullable(JsonElement property) => property.TryGetProperty("nullable", out var nullable) && nullable.GetBoolean();

    private static HashSet<string> Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var required) ? [.. required.EnumerateArray().Select(r => r.GetString()!)] : [];

    [Fact]
    public async Task Answer_properties_are_required_and_nullable_exactly_where_the_CSharp_type_is()
    {
        var document = await Document();
        var nullability = new NullabilityInfoContext();
        var answerTypes = AnswerTypes();
        var checkedSchemas = 0;
        foreach (var schema in document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            // The request body and problem+json have their own tests below.
            if (schema.Name is "PredictJsonRequest" or "FeedbackJsonRequest" or "ProblemDetails" or "HttpValidationProblemDetails" || !schema.Value.TryGetProperty("properties", out var properties))
            {
                continue;
            }
            Assert.True(answerTypes.TryGetValue(schema.Name, out var type), $"{schema.Name} is no answer's type");
            var members = type!.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .ToDictionary(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name));
            Assert.Equal(members.Keys.Order(), properties.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(members.Keys.Order(), Required(schema.Value).Order());
            foreach (var property in properties.EnumerateObject())
            {
                var expected = nullability.Create(members[property.Name]).ReadState == NullabilityState.Nullable;
                Assert.True(expected == Nullable(property.Value),
                    $"{schema.Name}.{property.Name}: C# {(expected ? "nullable" : "not nullable")}, document says {property.Value}");
            }
            checkedSchemas++;
        }
        // The answers of /predict, /models, /models/{name}, /metrics/confusion, /healthz and /readyz, and what they hold.
        Assert.True(checkedSchemas >= 15, $"only {checkedSchemas} answer schemas found");
    }

    [Fact]
    public async Task Answers_match_their_schemas_required_members()
    {
        var document = await Document();
        var answers = new Dictionary<string, JsonElement>
        {
            ["PredictionResponse"] = await HttpAssert.Json(await _client.PostAsync("/predict",
                HttpAssert.JsonBody(EndpointTests.PixelsJson(MnistTestSet.Images[0].Select(v => v / 255f))))),
            ["ModelListResponse"] = await HttpAssert.Json(await _client.GetAsync("/models")),
            ["ModelDetails"] = await HttpAssert.Json(await _client.GetAsync("/models/mnist-cnn")),
            ["ConfusionResponse"] = await HttpAssert.Json(await _client.GetAsync("/metrics/confusion")),
            ["ReadinessResponse"] = await HttpAssert.Json(await _client.GetAsync("/readyz")),
            ["HealthResponse"] = await HttpAssert.Json(await _client.GetAsync("/healthz")),
            ["SequenceResponse"] = await HttpAssert.Json(await _client.PostAsync("/predict/sequence",
                HttpAssert.Bytes(NumberImages.Generate(NumberStyle.Spaced, 1, seed: 1).Single().Bytes, "image/png"))),
        };
        foreach (var (name, answer) in answers)
        {
            var schema = Schema(document, name);
            Assert.Equal(Required(schema).Order(), answer.EnumerateObject().Select(p => p.Name).Order());
            foreach (var property in schema.GetProperty("properties").EnumerateObject().Where(p => !Nullable(p.Value)))
            {
                Assert.NotEqual(JsonValueKind.Null, answer.GetProperty(property.Name).ValueKind);
            }
        }
    }

    [Fact]
    public async Task Problem_details_are_documented_as_the_service_writes_them()
    {
        var problem = Schema(await Document(), "ProblemDetails");
        var members = new[] { "type", "title", "status", "detail", "instance", "traceId" };
        Assert.Equal(members.Order(), Required(problem).Order());
        Assert.All(problem.GetProperty("properties").EnumerateObject(), p => Assert.False(Nullable(p.Value), p.Name));

        using var empty = new TempDirectory();
        using var noModels = new ApiFactory(empty.Path);
        using var unready = noModels.CreateClient();
        var answers = new (Task<HttpResponseMessage> Response, HttpStatusCode Status)[]
        {
            (_client.PostAsync("/predict", HttpAssert.JsonBody("[]")), HttpStatusCode.BadRequest),
            (_client.GetAsync("/models/no-such-model"), HttpStatusCode.NotFound),
            (_client.GetAsync("/no-such-path"), HttpStatusCode.NotFound),
            (_client.PostAsync("/predict", HttpAssert.Bytes(new byte[5 * 1024 * 1024 + 1], "image/png")), HttpStatusCode.RequestEntityTooLarge),
            (_client.PostAsync("/predict", HttpAssert.Bytes("GIF? no"u8.ToArray(), "text/plain")), HttpStatusCode.UnsupportedMediaType),
            (_client.PostAsync("/predict", HttpAssert.Bytes(TestImages.Blank(56, 56, 255), "image/png")), HttpStatusCode.UnprocessableEntity),
            (unready.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable),
            (unready.PostAsync("/predict", HttpAssert.JsonBody(EndpointTests.PixelsJson(new float[784]))), HttpStatusCode.ServiceUnavailable),
        };
        foreach (var (response, status) in answers)
        {
            var json = await HttpAssert.Problem(await response, status);
            foreach (var member in members)
            {
                Assert.True(json.TryGetProperty(member, out var value) && value.ValueKind != JsonValueKind.Null, $"{(int)status} without '{member}': {json}");
            }
        }
    }

    [Fact]
    public async Task Every_operation_documents_every_status_it_answers_with()
    {
        var expected = new Dictionary<string, string[]>
        {
            ["post /predict"] = ["200", "400", "404", "408", "413", "415", "422", "429", "503"],
            ["post /predict/sequence"] = ["200", "400", "404", "408", "413", "415", "422", "429", "503"],
            ["get /models"] = ["200", "429"],
            ["get /models/{name}"] = ["200", "404", "429", "503"],
            ["get /models/{name}/weights/{layer}"] = ["200", "404", "422", "429", "503"],
            ["get /datasets/mnist/test/{index}"] = ["200", "404", "429", "503"],
            ["get /metrics"] = ["200"],
            ["get /metrics/confusion"] = ["200", "404", "429", "503"],
            ["get /healthz"] = ["200"],
            ["get /readyz"] = ["200", "503"],
            ["post /feedback"] = ["201", "400", "404", "408", "413", "415", "422", "429", "503"],
            ["get /feedback/{id}"] = ["200", "404", "429", "503"],
            ["delete /feedback/{id}"] = ["204", "404", "429", "503"],
            ["get /metrics/feedback"] = ["200", "429", "503"],
            ["delete /models/{name}"] = ["204", "403", "404", "409", "429"],
            ["post /models/{name}/default"] = ["200", "403", "404", "409", "429", "503"],
            ["post /jobs"] = ["202", "400", "403", "409", "422", "429", "503"],
            ["get /jobs"] = ["200", "429"],
            ["get /jobs/{id}"] = ["200", "404", "429"],
            ["delete /jobs/{id}"] = ["200", "202", "403", "404", "409", "429"],
            ["get /jobs/{id}/events"] = ["200", "404", "429"],
        };
        var operations = Operations(await Document()).ToList();
        Assert.Equal(expected.Keys.Order(), operations.Select(o => $"{o.Method} {o.Path}").Order());
        Assert.Equal(operations.Count, operations.Select(o => o.Operation.GetProperty("operationId").GetString()).Distinct().Count());
        foreach (var (path, method, operation) in operations)
        {
            var responses = operation.GetProperty("responses");
            Assert.Equal(expected[$"{method} {path}"].Order(), responses.EnumerateObject().Select(r => r.Name).Order());
            foreach (var response in responses.EnumerateObject().Where(r => !r.Name.StartsWith('2')))
            {
                var content = response.Value.GetProperty("content").EnumerateObject().Single();
                Assert.Equal("application/problem+json", content.Name);
                // Invalid training settings carry their problems by field ("errors"), the standard validation problem.
                var schema = $"{method} {path} {response.Name}" == "post /jobs 400" ? "HttpValidationProblemDetails" : "ProblemDetails";
                Assert.Equal($"#/components/schemas/{schema}", content.Value.GetProperty("schema").GetProperty("$ref").GetString());
            }
            foreach (var success in responses.EnumerateObject().Where(r => r.Name.StartsWith('2') && r.Name != "204"))
            {
                Assert.True(success.Value.GetProperty("content").EnumerateObject().Any(), $"{method} {path}: {success.Name} without content");
            }
            if (responses.TryGetProperty("429", out var tooMany))
            {
                Assert.Equal("integer", tooMany.GetProperty("headers").GetProperty("Retry-After").GetProperty("schema").GetProperty("type").GetString());
            }
        }
    }

    [Fact]
    public async Task The_service_own_answers_describe_every_property()
    {
        var document = await Document();
        foreach (var name in new[] { "PredictionResponse", "NetworkInput", "ModelListResponse", "ModelSummary", "ModelFailureInfo", "ModelDetails",
            "ConfusionResponse", "ClassMetrics", "Confusion", "ReadinessResponse", "HealthResponse", "ExplainResponse", "WeightsResponse", "FeedbackResponse", "FeedbackPiece",
            "SequenceResponse", "SequenceDigit", "DigitBox",
            "JobListResponse", "JobInfo", "JobLimits", "TrainingAccessInfo" })
        {
            Assert.All(Schema(document, name).GetProperty("properties").EnumerateObject(), p => Assert.True(
                p.Value.TryGetProperty("description", out var description) && description.GetString()!.Length > 3, $"{name}.{p.Name} has no description"));
        }
    }

    [Fact]
    public async Task Every_parameter_is_described()
    {
        var parameters = Operations(await Document())
            .SelectMany(o => o.Operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().Select(p => (o.Path, Parameter: p)) : [])
            .ToList();
        Assert.Contains(parameters, p => p.Path == "/predict" && p.Parameter.GetProperty("name").GetString() == "model");
        Assert.Contains(parameters, p => p.Path == "/models/{name}" && p.Parameter.GetProperty("name").GetString() == "name");
        Assert.All(parameters, p => Assert.False(
            string.IsNullOrWhiteSpace(p.Parameter.TryGetProperty("description", out var description) ? description.GetString() : null),
            $"{p.Path} ?{p.Parameter.GetProperty("name")} has no description"));
    }

    [Fact]
    public async Task The_predict_request_is_784_numbers_in_range_or_an_image_and_nothing_else()
    {
        var request = Schema(await Document(), "PredictJsonRequest");
        Assert.False(request.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(1, request.GetProperty("minProperties").GetInt32());
        Assert.Equal(1, request.GetProperty("maxProperties").GetInt32());
        var pixels = request.GetProperty("properties").GetProperty("pixels");
        Assert.Equal(784, pixels.GetProperty("minItems").GetInt32());
        Assert.Equal(784, pixels.GetProperty("maxItems").GetInt32());
        Assert.Equal(0, pixels.GetProperty("items").GetProperty("minimum").GetDouble());
        Assert.Equal(255, pixels.GetProperty("items").GetProperty("maximum").GetDouble());
        Assert.Equal("string", request.GetProperty("properties").GetProperty("image").GetProperty("type").GetString());
        Assert.Contains("row-major", pixels.GetProperty("description").GetString());
        // What the schema refuses, the server refuses.
        var unknown = JsonSerializer.Serialize(new { pixels = new int[784], colour = "red" });
        await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.JsonBody(unknown)), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_predict_examples_are_real_requests_and_answers()
    {
        var operation = (await Document()).GetProperty("paths").GetProperty("/predict").GetProperty("post");
        var examples = operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("examples");
        Assert.Equal(["image", "pixels"], examples.EnumerateObject().Select(e => e.Name).Order());
        var documented = operation.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("example");
        foreach (var example in examples.EnumerateObject())
        {
            var answer = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.JsonBody(example.Value.GetProperty("value").GetRawText())));
            Assert.Equal(documented.GetProperty("digit").GetInt32(), answer.GetProperty("digit").GetInt32());
            Assert.Equal(documented.EnumerateObject().Select(p => p.Name).Order(), answer.EnumerateObject().Select(p => p.Name).Order());
            if (example.Name == "pixels")
            {
                // Sent as they are: the network saw exactly the documented input.
                Assert.Equal(Pixels(documented), Pixels(answer));
            }
        }
        var probabilities = documented.GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1.0, probabilities.Sum(), 1e-6);
        Assert.Equal(probabilities.Max(), documented.GetProperty("confidence").GetDouble());
        var problemSchema = Schema(await Document(), "ProblemDetails");
        foreach (var status in new[] { 400, 404, 503 })
        {
            var problem = operation.GetProperty("responses").GetProperty($"{status}").GetProperty("content").GetProperty("application/problem+json").GetProperty("example");
            Assert.Equal(status, problem.GetProperty("status").GetInt32());
            Assert.All(Required(problemSchema), member => Assert.True(problem.TryGetProperty(member, out _), $"{status} example without {member}"));
        }
    }

    private static double[] Pixels(JsonElement answer) =>
        answer.GetProperty("input").GetProperty("pixels").EnumerateArray().Select(p => p.GetDouble()).ToArray();

    [Fact]
    public async Task The_document_names_no_dotnet_types()
    {
        var text = await (await _client.GetAsync("/swagger/v1/swagger.json")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("MnistService.", text);
        Assert.DoesNotContain("System.", text);
    }
}
