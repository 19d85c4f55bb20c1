//! The server's certificate: the operator's PEM files, or a self-signed
//! one made on first start; swapped in place on SIGHUP.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use wire::{BoxedStream, RustlsAcceptor, TlsAcceptor, TlsInfo};

use super::failure::Failure;

/// A TLS acceptor whose certificate can be replaced while connections
/// are being accepted; a handshake uses the certificate current when it
/// starts.
#[derive(Debug)]
pub(crate) struct ReloadableTls {
    certificate: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<RustlsAcceptor>>,
}

impl ReloadableTls {
    /// Loads `certificate` and `key`; when neither file exists, first
    /// writes a self-signed certificate for `hostname`, `localhost`,
    /// 127.0.0.1 and ::1 into them (the key readable by its owner only).
    pub(crate) fn open(certificate: &Path, key: &Path, hostname: &str) -> Result<Self, Failure> {
        match (certificate.exists(), key.exists()) {
            (false, false) => {
                generate(certificate, key, hostname).map_err(|e| {
                    Failure::Unavailable(format!(
                        "cannot write a self-signed certificate to {}: {e}",
                        certificate.display()
                    ))
                })?;
                tracing::info!(certificate = %certificate.display(), "generated a self-signed certificate");
            }
            (true, true) => {}
            _ => {
                return Err(Failure::Config(format!(
                    "TLS: {} and {} must both exist (or neither, for a self-signed certificate)",
                    certificate.display(),
                    key.display()
                )));
            }
        }
        let acceptor = load(certificate, key).map_err(Failure::Config)?;
        Ok(ReloadableTls {
            certificate: certificate.to_path_buf(),
            key: key.to_path_buf(),
            current: RwLock::new(Arc::new(acceptor)),
        })
    }

    /// Reads the files again; on failure the old certificate stays.
    pub(crate) fn reload(&self) -> Result<(), String> {
        let acceptor = load(&self.certificate, &self.key)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(acceptor);
        Ok(())
    }
}

#[async_trait]
impl TlsAcceptor for ReloadableTls {
    async fn accept(&self, stream: BoxedStream) -> io::Result<(BoxedStream, TlsInfo)> {
        let acceptor = Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()));
        acceptor.accept(stream).await
    }
}

fn load(certificate: &Path, key: &Path) -> Result<RustlsAcceptor, String> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
    RustlsAcceptor::from_pem(&read(certificate)?, &read(key)?).map_err(|e| {
        format!(
            "TLS certificate {} with key {}: {e}",
            certificate.display(),
            key.display()
        )
    })
}

fn generate(certificate: &Path, key: &Path, hostname: &str) -> io::Result<()> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !names.iter().any(|name| name == hostname) {
        names.insert(0, hostname.to_owned());
    }
    let certified = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    for path in [certificate, key] {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
    }
    write_private(key, certified.key_pair.serialize_pem().as_bytes())?;
    std::fs::write(certificate, certified.cert.pem())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
