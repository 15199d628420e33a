using System.Net.Sockets;

namespace UserTcp.Fast.Tests.Runtime;

/// <summary>A bound Unix datagram socket in a temporary directory that nobody reads until the test does.</summary>
internal sealed class BoundPeer : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pol-").FullName;

    public BoundPeer()
    {
        Socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        Socket.Bind(new UnixDomainSocketEndPoint(Path));
    }

    public Socket Socket { get; }
    public string Path => System.IO.Path.Combine(_directory, "peer");

    public void Dispose()
    {
        Socket.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
