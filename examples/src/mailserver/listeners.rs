//! Accepting connections: per-address limits, one task per connection,
//! and the bookkeeping that lets shutdown wait for every session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailstore::pop3::Pop3Maildrops;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use wire::Shutdown;

use super::config::canonical;
use super::limits::ConnectionLimits;
use super::smtp_service::SmtpService;

/// What a listener speaks, with its backend and options.
#[derive(Clone)]
pub(crate) enum Protocol {
    Smtp(Arc<SmtpService>, Arc<smtp_proto::adapter::ServerOptions>),
    Pop3(Arc<Pop3Maildrops>, Arc<pop3_proto::adapter::ServerOptions>),
}

impl Protocol {
    async fn serve(&self, stream: TcpStream, peer: SocketAddr) {
        let local = stream.local_addr().ok();
        let result = match self {
            Protocol::Smtp(backend, options) => {
                let info = smtp_proto::adapter::ConnectionInfo::new(
                    Some(peer),
                    local,
                    options.implicit_tls,
                );
                smtp_proto::adapter::serve(&**backend, stream, info, options).await
            }
            Protocol::Pop3(backend, options) => {
                let info = pop3_proto::adapter::ConnectionInfo::new(
                    Some(peer),
                    local,
                    options.implicit_tls,
                );
                pop3_proto::adapter::serve(&**backend, stream, info, options).await
            }
        };
        if let Err(error) = result {
            tracing::debug!(%error, %peer, "connection ended with an error");
        }
    }

    /// What a client over its limit is told before the connection closes;
    /// nothing on implicit-TLS ports, where plaintext would be garbage.
    fn refusal(&self, hostname: &str) -> Option<String> {
        match self {
            Protocol::Smtp(_, options) if !options.implicit_tls => Some(format!(
                "421 4.7.0 {hostname} Error: too many connections from your address\r\n"
            )),
            Protocol::Pop3(_, options) if !options.implicit_tls => {
                Some("-ERR [SYS/TEMP] Too many connections from your address\r\n".to_owned())
            }
            _ => None,
        }
    }
}

/// A bound listener waiting for [`run`](Self::run).
pub(crate) struct Listener {
    pub(crate) service: &'static str,
    pub(crate) socket: TcpListener,
    pub(crate) protocol: Protocol,
}

/// What every accept loop shares.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) hostname: Arc<str>,
    pub(crate) limits: Arc<ConnectionLimits>,
    pub(crate) shutdown: Shutdown,
    /// Held by every connection task; shutdown waits until all are gone.
    pub(crate) sessions: mpsc::Sender<()>,
}

impl Listener {
    /// Accepts until shutdown, serving each connection in its own task.
    pub(crate) async fn run(self, shared: Shared) {
        let mut shutdown = shared.shutdown.clone();
        loop {
            let accepted = tokio::select! {
                biased;
                () = shutdown.triggered() => return,
                accepted = self.socket.accept() => accepted,
            };
            // Accepted as the stop began: not greeted, closed at once.
            if shutdown.is_triggered() {
                return;
            }
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or a connection reset before
                    // accept: the listener is fine, try again shortly.
                    tracing::warn!(%error, service = self.service, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let protocol = self.protocol.clone();
            let Some(admitted) = shared.limits.admit(canonical(peer.ip())) else {
                tracing::warn!(
                    "{}: too many connections from [{}]",
                    self.service,
                    canonical(peer.ip())
                );
                let refusal = protocol.refusal(&shared.hostname);
                tokio::spawn(refuse(stream, refusal));
                continue;
            };
            let session = shared.sessions.clone();
            let service = self.service;
            tokio::spawn(async move {
                let ip = canonical(peer.ip());
                tracing::info!("{service}: connect from [{ip}]");
                protocol.serve(stream, peer).await;
                tracing::info!("{service}: disconnect from [{ip}]");
                drop(admitted);
                drop(session);
            });
        }
    }
}

async fn refuse(mut stream: TcpStream, refusal: Option<String>) {
    if let Some(text) = refusal {
        let write = async {
            stream.write_all(text.as_bytes()).await?;
            stream.shutdown().await
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), write).await;
    }
}
