using System.Text.Json.Serialization;

namespace UserTcp.LiveBench.Measurement;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RunResult))]
internal sealed partial class RunResultJson : JsonSerializerContext;
