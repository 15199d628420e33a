using UserTcp.Fast.Api;

namespace UserTcp.Fast.AspNetCore;

/// <summary>
/// Settings of the Kestrel transport over the user-space stack (<see cref="UserTcpWebHostBuilderExtensions.UseUserTcp"/>).
/// Give either a running <see cref="Stack"/> (the caller keeps owning it) or <see cref="StackOptions"/> (the transport
/// starts that stack when Kestrel first binds and stops it when the host is disposed).
/// </summary>
public sealed class UserTcpTransportOptions
{
    /// <summary>A started stack to listen on; the transport never disposes it.</summary>
    public NetworkStack? Stack { get; set; }

    /// <summary>Options to start a stack with, when <see cref="Stack"/> is not set.</summary>
    public NetworkStackOptions? StackOptions { get; set; }

    /// <summary>
    /// Nagle's algorithm off on accepted connections (<see cref="TcpStream.NoDelay"/>), as Kestrel's sockets transport sets
    /// by default: a response's last, small segment leaves at once instead of waiting for the client's delayed ACK of the
    /// one before it (40 ms on Linux).
    /// </summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Connections that may wait for an accept per listening port (listen(2)'s backlog).</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// Received bytes the application may leave unread before the transport stops reading from the connection (the input
    /// pipe's pause threshold; it resumes at half). The stack's receive buffer then fills and its window closes: the client
    /// is held back. As Kestrel's sockets transport (1 MiB).
    /// </summary>
    public long MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Response bytes the application may have written that the stack's send buffer has not taken yet before the
    /// application's flush waits (the output pipe's pause threshold; it resumes at half). As Kestrel's sockets transport (64 KiB).
    /// </summary>
    public long MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>Connection objects (pipes, features) kept for reuse once their connection ended.</summary>
    public int MaxPooledConnections { get; set; } = 1024;
}
