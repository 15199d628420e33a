using System.Text.Json.Serialization;

namespace UserTcp.LiveBench;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RunResult))]
internal sealed partial class RunResultJson : JsonSerializerContext;
