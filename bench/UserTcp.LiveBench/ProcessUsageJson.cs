using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;

namespace UserTcp.LiveBench;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProcessUsage))]
internal sealed partial class ProcessUsageJson : JsonSerializerContext;
