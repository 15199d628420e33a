using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace UserTcp.Cli.Commands;

/// <summary>Whom https trusts: the system's roots, the certificates of one PEM file, or (with --insecure) anything.</summary>
internal sealed class TlsTrust
{
    private readonly X509Certificate2Collection? _roots;
    private readonly bool _anything;

    private TlsTrust(X509Certificate2Collection? roots, bool anything) => (_roots, _anything) = (roots, anything);

    public static TlsTrust SystemRoots { get; } = new(null, false);
    public static TlsTrust Anything { get; } = new(null, true);

    public static TlsTrust From(string pemFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(pemFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"--cacert {pemFile}: {e.Message}", e);
        }
        if (roots.Count == 0) throw new ArgumentException($"--cacert {pemFile}: no PEM certificate in it");
        return new TlsTrust(roots, false);
    }

    public SslClientAuthenticationOptions Options()
    {
        var options = new SslClientAuthenticationOptions();
        if (_anything) options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (_roots is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck, // a private root has no revocation service to ask
                // ...nor issuers to fetch: chain building never opens a kernel socket (on a pool thread, in whatever
                // network namespace that thread was born in, not through the stack).
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.AddRange(_roots);
            options.CertificateChainPolicy = policy;
        }
        return options;
    }
}
