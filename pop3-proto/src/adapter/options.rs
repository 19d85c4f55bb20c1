//! How the adapter runs a connection.

use std::sync::Arc;
use std::time::Duration;

use super::{Shutdown, TlsAcceptor};
use crate::server::ServerConfig;

/// Write and handshake timeouts. The idle timeout, how long a client may
/// take to send its next command, is the session configuration's
/// [`idle_timeout`](ServerConfig::idle_timeout) (RFC 1939 §3: at least 10
/// minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Writing a response or a piece of a message: a client that stops
    /// reading cannot hold the connection for ever.
    pub write: Duration,
    /// A TLS handshake.
    pub handshake: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            write: Duration::from_secs(600),
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
    /// The TLS acceptor for STLS or implicit TLS.
    pub tls: Option<Arc<dyn TlsAcceptor>>,
    /// TLS from the first byte (POP3S on 995, RFC 8314) instead of STLS.
    pub implicit_tls: bool,
    /// Offer APOP: the greeting carries a timestamp unique to the
    /// connection. It needs plaintext passwords in the credential store.
    pub apop: bool,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Bytes read from the socket, and from a message, at a time. A
    /// connection holds about three times this much while it sends a
    /// message, whatever the message's size.
    pub read_size: usize,
    /// How long a failed login (USER/PASS, APOP, AUTH) waits before its
    /// response, as Dovecot's `auth_failure_delay` (none by default).
    pub auth_failure_delay: Duration,
    /// When it fires, sessions waiting for a command get `-ERR` and are
    /// closed without deleting anything; a message being sent is sent first.
    pub shutdown: Option<Shutdown>,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("config", &self.config)
            .field("tls", &self.tls.is_some())
            .field("implicit_tls", &self.implicit_tls)
            .field("apop", &self.apop)
            .field("timeouts", &self.timeouts)
            .field("read_size", &self.read_size)
            .field("auth_failure_delay", &self.auth_failure_delay)
            .field("shutdown", &self.shutdown.is_some())
            .finish()
    }
}

impl ServerOptions {
    /// Plaintext only, no APOP, default timeouts.
    pub fn new(config: ServerConfig) -> Self {
        let mut config = config;
        config.stls = false;
        Self {
            config: Arc::new(config),
            tls: None,
            implicit_tls: false,
            apop: false,
            timeouts: Timeouts::default(),
            read_size: 64 * 1024,
            auth_failure_delay: Duration::ZERO,
            shutdown: None,
        }
    }

    /// Delays the response to every failed login by `delay`.
    pub fn with_auth_failure_delay(mut self, delay: Duration) -> Self {
        self.auth_failure_delay = delay;
        self
    }

    /// Stops sessions gracefully when `shutdown` fires.
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Offers STLS through `acceptor`.
    pub fn with_stls(mut self, acceptor: Arc<dyn TlsAcceptor>) -> Self {
        Arc::make_mut(&mut self.config).stls = true;
        self.tls = Some(acceptor);
        self.implicit_tls = false;
        self
    }

    /// Implicit TLS through `acceptor`: the handshake comes before the greeting.
    pub fn with_implicit_tls(mut self, acceptor: Arc<dyn TlsAcceptor>) -> Self {
        Arc::make_mut(&mut self.config).stls = false;
        self.tls = Some(acceptor);
        self.implicit_tls = true;
        self
    }

    /// Offers APOP (or not).
    pub fn with_apop(mut self, apop: bool) -> Self {
        self.apop = apop;
        self
    }

    /// Replaces the timeouts.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }
}
