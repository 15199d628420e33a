namespace UserTcp.Fast.Tests.Wire;

internal delegate int EmitAction(Span<byte> buffer);
