using System.Text.Json.Serialization;

namespace UserTcp.Testbed.Labs;

/// <summary>Source-generated JSON for lab descriptions and counters: no reflection, so the CLI stays trimmable.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(LabInfo))]
[JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class LabJsonContext : JsonSerializerContext;
