//! How the adapter runs a connection.

use std::sync::Arc;
use std::time::Duration;

use super::{Shutdown, TlsAcceptor};
use crate::server::ServerConfig;

/// Read, write and handshake timeouts.
///
/// RFC 5321 §4.5.3.2.7: a server SHOULD wait at least 5 minutes for the
/// next command. The same bound applies while the message body arrives and
/// while replies are written, so a stalled peer cannot hold a connection
/// for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Waiting for the next command line.
    pub command: Duration,
    /// Waiting for the next bytes of a message body (DATA or BDAT).
    pub data: Duration,
    /// Writing replies.
    pub write: Duration,
    /// A TLS handshake.
    pub handshake: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(300),
            data: Duration::from_secs(300),
            write: Duration::from_secs(300),
            handshake: Duration::from_secs(60),
        }
    }
}

/// Everything a listener needs besides the backend.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// The session's configuration.
    pub config: Arc<ServerConfig>,
    /// The TLS acceptor for STARTTLS or implicit TLS.
    pub tls: Option<Arc<dyn TlsAcceptor>>,
    /// TLS from the first byte (SMTPS on 465, RFC 8314) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Bytes read from the socket at a time.
    pub read_size: usize,
    /// How long a failed AUTH waits before its reply, as Dovecot's
    /// `auth_failure_delay` (none by default), so that guessing passwords
    /// is slow even over many connections.
    pub auth_failure_delay: Duration,
    /// When it fires, sessions waiting for a command are answered 421 and
    /// closed; a message being received is received and answered first.
    pub shutdown: Option<Shutdown>,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("config", &self.config)
            .field("tls", &self.tls.is_some())
            .field("implicit_tls", &self.implicit_tls)
            .field("timeouts", &self.timeouts)
            .field("read_size", &self.read_size)
            .field("auth_failure_delay", &self.auth_failure_delay)
            .field("shutdown", &self.shutdown.is_some())
            .finish()
    }
}

impl ServerOptions {
    /// Plaintext only, default timeouts.
    pub fn new(config: ServerConfig) -> Self {
        let mut config = config;
        config.starttls = false;
        Self {
            config: Arc::new(config),
            tls: None,
            implicit_tls: false,
            timeouts: Timeouts::default(),
            read_size: 64 * 1024,
            auth_failure_delay: Duration::ZERO,
            shutdown: None,
        }
    }

    /// Delays the reply to every failed AUTH by `delay`.
    pub fn with_auth_failure_delay(mut self, delay: Duration) -> Self {
        self.auth_failure_delay = delay;
        self
    }

    /// Stops sessions gracefully when `shutdown` fires.
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Offers STARTTLS through `acceptor`.
    pub fn with_starttls(mut self, acceptor: Arc<dyn TlsAcceptor>) -> Self {
        Arc::make_mut(&mut self.config).starttls = true;
        self.tls = Some(acceptor);
        self.implicit_tls = false;
        self
    }

    /// Implicit TLS through `acceptor`: the handshake comes before the greeting.
    pub fn with_implicit_tls(mut self, acceptor: Arc<dyn TlsAcceptor>) -> Self {
        Arc::make_mut(&mut self.config).starttls = false;
        self.tls = Some(acceptor);
        self.implicit_tls = true;
        self
    }

    /// Replaces the timeouts.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }
}
