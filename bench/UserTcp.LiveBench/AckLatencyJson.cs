using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace UserTcp.LiveBench;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServedConnection))]
[JsonSerializable(typeof(ReceiverResult))]
[JsonSerializable(typeof(TurnTiming))]
internal sealed partial class AckLatencyJson : JsonSerializerContext;
