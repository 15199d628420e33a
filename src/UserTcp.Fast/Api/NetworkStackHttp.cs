namespace UserTcp.Fast.Api;

/// <summary>HttpClient over the user-space stack: HTTP/1.1, chunked bodies and TLS are .NET's own, on our TcpStream.</summary>
public static class NetworkStackHttp
{
    /// <summary>
    /// A handler whose connections are the stack's: <see cref="SocketsHttpHandler.ConnectCallback"/> resolves the host
    /// with the stack's DNS resolver and connects through <see cref="NetworkStack.ConnectAsync(string, int, CancellationToken)"/>.
    /// No proxy: the environment's proxy settings describe the host's network, not the stack's. Set SslOptions for custom trust.
    /// Nagle's algorithm is off on these connections, as SocketsHttpHandler sets NoDelay on the sockets it opens itself:
    /// a request written in pieces (headers, then a small body; a TLS record after another) leaves at once.
    /// </summary>
    public static SocketsHttpHandler CreateHttpHandler(this NetworkStack stack) => new()
    {
        UseProxy = false,
        ConnectCallback = async (context, cancel) =>
            await stack.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, noDelay: true, cancel).ConfigureAwait(false),
    };
}
