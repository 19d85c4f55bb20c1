//! The sink's TLS certificate: the operator's, or one made up at start.

use std::io;
use std::path::Path;

use smtp_proto::adapter::RustlsAcceptor;

/// An acceptor for the certificate chain and key in the PEM files `cert`
/// and `key`.
pub(crate) fn from_files(cert: &Path, key: &Path) -> io::Result<RustlsAcceptor> {
    let read = |path: &Path| {
        std::fs::read(path)
            .map_err(|error| io::Error::new(error.kind(), format!("{}: {error}", path.display())))
    };
    RustlsAcceptor::from_pem(&read(cert)?, &read(key)?)
}

/// An acceptor for a new self-signed certificate for `localhost`,
/// `127.0.0.1`, `::1` and `hostname`. Clients must skip verification (it
/// is a sink for tests, not a server to trust).
pub(crate) fn self_signed(hostname: &str) -> io::Result<RustlsAcceptor> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !names.iter().any(|name| name == hostname) {
        names.push(hostname.to_string());
    }
    let certified = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    RustlsAcceptor::from_pem(
        certified.cert.pem().as_bytes(),
        certified.key_pair.serialize_pem().as_bytes(),
    )
}
