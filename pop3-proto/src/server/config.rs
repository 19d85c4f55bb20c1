//! What a server session offers and enforces.

use std::time::Duration;

use crate::capabilities::{Expire, LoginDelay};
use crate::parse::CommandLimits;

/// Settings of a server session: capabilities, limits and policy switches.
///
/// The defaults follow Dovecot's: USER/PASS offered, plaintext logins
/// (USER/PASS, APOP and the SASL mechanisms that send the password, such as
/// PLAIN and LOGIN) only over TLS (`disable_plaintext_auth = yes`), lenient
/// command limits, 20 bad commands before the connection is closed. STLS is
/// off until the caller can upgrade a connection (the async adapter turns it
/// on when it has a TLS acceptor); no SASL mechanisms until the caller
/// lists them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The host name in the greeting and the QUIT response.
    pub hostname: String,
    /// Text after the host name in the greeting.
    pub banner: String,
    /// Limits on command lines and arguments. The line limit also applies
    /// to the lines of an AUTH exchange.
    pub limits: CommandLimits,
    /// Bad commands (unknown, malformed, over-long, not valid in the state
    /// or not available) before the session answers `-ERR Too many bad
    /// commands` and closes.
    pub max_errors: u32,
    /// Failed logins (USER/PASS, APOP or AUTH with wrong credentials)
    /// before the session closes after the failure's `-ERR`.
    pub max_auth_failures: u32,
    /// Offer USER/PASS (RFC 1939 §7).
    pub user_pass: bool,
    /// SASL mechanisms offered with AUTH (RFC 5034), in order of
    /// preference. Empty means no SASL.
    pub auth_mechanisms: Vec<sasl::Mechanism>,
    /// Settings of the SASL exchanges. The session sets the host name
    /// (`hostname` above), turns off additional data with success (POP3
    /// has none) and adds the connection's channel bindings (when a -PLUS
    /// mechanism is offered) and TLS client identity.
    pub sasl: sasl::ServerConfig,
    /// Plaintext logins only on TLS connections (Dovecot's
    /// `disable_plaintext_auth`): before TLS, USER and the SASL mechanisms
    /// that send the password ([`sasl::Mechanism::sends_plaintext`]) are not
    /// advertised, and USER, PASS, APOP (whose MD5 digest an eavesdropper can
    /// attack offline) and those mechanisms are answered `-ERR [AUTH]
    /// Plaintext authentication disallowed on non-secure (SSL/TLS)
    /// connections.`
    pub require_tls_for_auth: bool,
    /// Offer STLS (RFC 2595) on plaintext connections; the caller must be
    /// able to upgrade when asked ([`Event::StartTls`](super::Event::StartTls)).
    pub stls: bool,
    /// Advertise PIPELINING (RFC 2449 §6.6). The session processes
    /// pipelined commands in order either way.
    pub pipelining: bool,
    /// Offer the UTF8 capability and command (RFC 6856).
    pub utf8: bool,
    /// Advertise EXPIRE (RFC 2449 §6.7). `per_user` is only advertised in
    /// the AUTHORIZATION state.
    pub expire: Option<Expire>,
    /// Advertise LOGIN-DELAY (RFC 2449 §6.5). `per_user` is only
    /// advertised in the AUTHORIZATION state. Enforcing it is the caller's
    /// job ([`OpenFailure::LoginDelay`](super::OpenFailure::LoginDelay)).
    pub login_delay: Option<LoginDelay>,
    /// Advertise IMPLEMENTATION (RFC 2449 §6.9) with this text.
    pub implementation: Option<String>,
    /// How long the caller lets a client be idle before calling
    /// [`timed_out`](super::ServerSession::timed_out). RFC 1939 §3 asks for
    /// at least 10 minutes. The session has no clock: this is for the
    /// caller.
    pub idle_timeout: Duration,
    /// Output the session queues before it asks for a flush
    /// ([`Event::Flush`](super::Event::Flush)), in bytes; long listings are
    /// written in pieces of about this size.
    pub flush_threshold: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            hostname: "localhost".to_string(),
            banner: "POP3 server ready".to_string(),
            limits: CommandLimits::default(),
            max_errors: 20,
            max_auth_failures: 3,
            user_pass: true,
            auth_mechanisms: Vec::new(),
            sasl: sasl::ServerConfig::default(),
            require_tls_for_auth: true,
            stls: false,
            pipelining: true,
            utf8: true,
            expire: None,
            login_delay: None,
            implementation: None,
            idle_timeout: Duration::from_secs(600),
            flush_threshold: 16 * 1024,
        }
    }
}

impl ServerConfig {
    /// A server named `hostname` with the default settings.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            ..Self::default()
        }
    }
}
