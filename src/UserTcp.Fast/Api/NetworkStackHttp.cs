namespace UserTcp.Fast.Api;

/// <summary>HttpClient over the user-space stack: HTTP/1.1, chunked bodies and TLS are .NET's own, on our TcpStream.</summary>
public static class NetworkStackHttp
{
    /// <summary>
    /// A handler whose connections are the stack's: <see cref="SocketsHttpHandler.ConnectCallback"/> resolves the host
    /// with the stack's DNS resolver and connects through <see cref="NetworkStack.ConnectAsync(string, int, CancellationToken)"/>.
    /// No proxy: the environment's proxy settings describe the host's network, not the stack's. Set SslOptions for custom trust.
    /// </summary>
    public static SocketsHttpHandler CreateHttpHandler(this NetworkStack stack) => new()
    {
        UseProxy = false,
        ConnectCallback = async (context, cancel) =>
            await stack.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancel).ConfigureAwait(false),
    };
}
