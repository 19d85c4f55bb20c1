//! `check-config`: everything `serve` would need, checked without
//! serving: the file, the directory, the TLS files.

use std::io::Write;

use super::config::Loaded;
use super::directory;
use super::failure::Failure;

/// Prints what was checked; fails as `serve` would.
pub(crate) fn run(loaded: &Loaded, out: &mut dyn Write) -> Result<(), Failure> {
    let config = &loaded.config;
    let written = |e: std::io::Error| Failure::Unavailable(format!("cannot write: {e}"));
    writeln!(out, "configuration: {}", loaded.source).map_err(written)?;
    writeln!(out, "hostname: {}", config.hostname).map_err(written)?;
    writeln!(out, "data: {}", config.data_dir.display()).map_err(written)?;
    let (certificate, key) = loaded.tls_files();
    match (certificate.exists(), key.exists()) {
        (false, false) => writeln!(
            out,
            "tls: {} (a self-signed certificate will be generated)",
            certificate.display()
        )
        .map_err(written)?,
        _ => {
            let read = |path: &std::path::Path| {
                std::fs::read(path).map_err(|e| Failure::Config(format!("{}: {e}", path.display())))
            };
            wire::RustlsAcceptor::from_pem(&read(certificate)?, &read(key)?)
                .map_err(|e| Failure::Config(format!("TLS {}: {e}", certificate.display())))?;
            writeln!(out, "tls: {}", certificate.display()).map_err(written)?;
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Unavailable(format!("cannot start the runtime: {e}")))?;
    let domains = runtime.block_on(async {
        let sql = directory::open(loaded).await?;
        let domains = match loaded.embedded_database() {
            Some(_) => Some(
                sql.list_domains()
                    .await
                    .map_err(|e| Failure::from_store(&e))?,
            ),
            None => None,
        };
        sql.close().await;
        Ok::<_, Failure>(domains)
    })?;
    match domains {
        Some(domains) => writeln!(
            out,
            "directory: embedded SQLite, {} domain(s)",
            domains.len()
        ),
        None => writeln!(
            out,
            "directory: {} (reachable)",
            scheme_of(&config.directory.url)
        ),
    }
    .map_err(written)?;
    let listen = &config.listen;
    for (service, addresses) in [
        ("smtp", &listen.smtp),
        ("submission", &listen.submission),
        ("submissions", &listen.submissions),
        ("lmtp", &listen.lmtp),
        ("pop3", &listen.pop3),
        ("pop3s", &listen.pop3s),
    ] {
        for address in addresses {
            writeln!(out, "listen: {service} {address}").map_err(written)?;
        }
    }
    writeln!(out, "ok").map_err(written)
}

/// The URL's scheme only: the rest may hold a password.
fn scheme_of(url: &str) -> &str {
    url.split_once(':').map_or(url, |(scheme, _)| scheme)
}
