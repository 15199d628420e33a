using System.Text.Json.Serialization;
using UserTcp.LiveBench.Results;

namespace UserTcp.LiveBench.Roles;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MemoryRun))]
internal sealed partial class MemoryJson : JsonSerializerContext;
