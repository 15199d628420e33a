using System.Text.Json.Serialization;
using UserTcp.LiveBench.Results;

namespace UserTcp.LiveBench.Roles;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SoakRun))]
[JsonSerializable(typeof(SoakSample))]
internal sealed partial class SoakJson : JsonSerializerContext;
