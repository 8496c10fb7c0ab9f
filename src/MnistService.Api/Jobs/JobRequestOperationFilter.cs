using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using MnistService.Core.Training;
using MnistService.Core.Training.Jobs;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MnistService.Api.Jobs;

/// <summary>Marks <c>POST /jobs</c>, whose body <see cref="JobRequestOperationFilter"/> documents.</summary>
public sealed class JobRequestBodyMetadata;

/// <summary>
/// Documents the body of <c>POST /jobs</c> from the settings' own definitions (<see cref="TrainingSetting.All"/>),
/// so that a setting added to <see cref="TrainingSettings"/> appears here with its camelCase name, kind and
/// default without this file changing. The endpoint reads the body itself, to word its errors by field.
/// </summary>
public sealed class JobRequestOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<JobRequestBodyMetadata>().Any())
        {
            return;
        }
        var defaults = JsonSerializer.SerializeToNode(TrainingRecipes.For(TrainingRecipes.Default), JsonSerializerOptions.Web)!.AsObject();
        var properties = new Dictionary<string, IOpenApiSchema>
        {
            [TrainingJob.ModelKey] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
                Description = "The model's name (and the job's id); default: a new name. 409 if such a model exists and replace is not set.",
            },
            [TrainingJob.ReplaceKey] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Replace an existing model of that name." },
            [JobFeedback.Field] = new OpenApiSchema
            {
                Type = JsonSchemaType.Boolean,
                Description = "Also train on people's answers (POST /feedback), all but the held-out fifth: the service exports them and sets extraData. 422 when there are none.",
            },
        };
        foreach (var setting in TrainingSetting.All.Append(TrainingSetting.TrainLimit))
        {
            var schema = Schema(setting);
            if (defaults[setting.JsonName] is { } value)
            {
                schema.Default = value.DeepClone();
            }
            properties[setting.JsonName] = schema;
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The training settings, each optional (the recipe's values by default: the distorted recipe's unless recipe is tutorial), " +
                          "plus model, replace and includeFeedback; extraData, a server directory, is not accepted here. " +
                          "Settings out of range, or past this server's Training: limits, give 400 with errors by field.",
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["application/json"] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = properties, AdditionalPropertiesAllowed = false },
                    Example = new JsonObject { ["hidden"] = new JsonArray(64), ["epochs"] = 2, ["trainLimit"] = 2000 },
                },
            },
        };
    }

    private static string Describe(TrainingSetting setting) => $"As mnist-train's {setting.CliOption}: {setting.Expected}.";

    private static OpenApiSchema Schema(TrainingSetting setting) => setting.Kind switch
    {
        SettingKind.WholeNumber => new OpenApiSchema { Type = JsonSchemaType.Integer, Description = Describe(setting) },
        SettingKind.Number => new OpenApiSchema { Type = JsonSchemaType.Number, Description = Describe(setting) },
        SettingKind.WholeNumbers => new OpenApiSchema
        {
            Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Integer }, Description = Describe(setting),
        },
        _ => new OpenApiSchema
        {
            Type = JsonSchemaType.String, Enum = [.. setting.Choices.Select(c => (JsonNode)JsonValue.Create(c))], Description = Describe(setting),
        },
    };
}
