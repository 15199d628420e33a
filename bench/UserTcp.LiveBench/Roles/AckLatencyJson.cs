using System.Text.Json.Serialization;

namespace UserTcp.LiveBench.Roles;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServedConnection))]
[JsonSerializable(typeof(ReceiverResult))]
[JsonSerializable(typeof(TurnTiming))]
[JsonSerializable(typeof(ServedEvent))]
[JsonSerializable(typeof(EventReceiverResult))]
internal sealed partial class AckLatencyJson : JsonSerializerContext;
