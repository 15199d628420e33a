namespace UserTcp.Fast.Tcp;

/// <summary>
/// Told, on the stack's thread, each time the engine changed a connection on its own: a segment arrived for it, one of
/// its timers ran, it failed or it ended. Whoever relays a connection's news to an application (the API's stream pumps)
/// then visits only the connections that changed, not every open one on every turn.
/// </summary>
internal interface IConnectionObserver
{
    void OnConnectionChanged();
}
