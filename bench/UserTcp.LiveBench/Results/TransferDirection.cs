namespace UserTcp.LiveBench.Results;

/// <summary>Which way the body went: from the lab's nginx to the client (curl, <c>usertcp get</c>), or from the client to the lab's upload sink (curl -T, <c>usertcp put</c>).</summary>
internal enum TransferDirection { Download, Upload }
