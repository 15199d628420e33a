namespace UserTcp.Testbed.Labs;

/// <summary>
/// A generated file nginx serves: its length, SHA-256 (lowercase hex) and full URLs: plain (with Content-Length),
/// over HTTPS, and the same bytes with chunked transfer encoding.
/// </summary>
internal sealed record LabFile(long Bytes, string Sha256, string Url, string HttpsUrl, string ChunkedUrl);
