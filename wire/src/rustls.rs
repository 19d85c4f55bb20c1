//! The rustls implementation of [`TlsAcceptor`].

use std::sync::Arc;

use async_trait::async_trait;

use crate::TlsInfo;
use crate::stream::{BoxedStream, TlsAcceptor};

/// Accepts TLS with a rustls server configuration. After a TLS 1.3
/// handshake the session gets `tls-exporter` channel binding (RFC 9266) for
/// SCRAM-*-PLUS.
#[derive(Clone)]
pub struct RustlsAcceptor {
    inner: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for RustlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustlsAcceptor").finish_non_exhaustive()
    }
}

impl RustlsAcceptor {
    /// An acceptor for `config`.
    pub fn new(config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            inner: tokio_rustls::TlsAcceptor::from(config),
        }
    }

    /// An acceptor for one certificate chain and its private key, both PEM.
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> std::io::Result<Self> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let invalid = |error: rustls::pki_types::pem::Error| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string())
        };
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let key = PrivateKeyDer::from_pem_slice(private_key).map_err(invalid)?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))?;
        Ok(Self::new(Arc::new(config)))
    }
}

#[async_trait]
impl TlsAcceptor for RustlsAcceptor {
    async fn accept(&self, stream: BoxedStream) -> std::io::Result<(BoxedStream, TlsInfo)> {
        let tls = self.inner.accept(stream).await?;
        let (_, connection) = tls.get_ref();
        let mut info = TlsInfo {
            protocol: match connection.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => Some("TLSv1.3"),
                Some(rustls::ProtocolVersion::TLSv1_2) => Some("TLSv1.2"),
                _ => None,
            },
            cipher: connection
                .negotiated_cipher_suite()
                .and_then(|suite| suite.suite().as_str()),
            ..TlsInfo::default()
        };
        if connection.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
            let mut exporter = [0u8; 32];
            if connection
                .export_keying_material(&mut exporter, b"EXPORTER-Channel-Binding", None)
                .is_ok()
            {
                info.channel_bindings
                    .push(sasl::ChannelBinding::tls_exporter(exporter.to_vec()));
            }
        }
        Ok((Box::new(tls), info))
    }
}
