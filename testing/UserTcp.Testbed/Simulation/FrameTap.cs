using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Time;

namespace UserTcp.Testbed.Simulation;

/// <summary>Sees every frame a simulated host puts on the link (tracing, pcap writing).</summary>
internal delegate void FrameTap(LinkSide from, ReadOnlySpan<byte> frame, Instant at);
