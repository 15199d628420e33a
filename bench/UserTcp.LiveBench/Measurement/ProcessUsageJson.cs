using System.Text.Json.Serialization;

namespace UserTcp.LiveBench.Measurement;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProcessUsage))]
internal sealed partial class ProcessUsageJson : JsonSerializerContext;
