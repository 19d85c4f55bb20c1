//! What a server session offers and enforces.

use crate::data::LineEndingPolicy;

/// Settings of a server session: capabilities, limits and policy switches.
///
/// The defaults suit an MTA on port 25 with PIPELINING, 8BITMIME,
/// SMTPUTF8, CHUNKING, BINARYMIME, DSN and ENHANCEDSTATUSCODES, no AUTH
/// and no STARTTLS (the async adapter turns STARTTLS on when it has a TLS
/// upgrade). [`ServerConfig::submission`] gives the policy of port 587.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The host name in the greeting and the EHLO reply.
    pub hostname: String,
    /// Text after the host name in the greeting.
    pub banner: String,
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO/HELO, one reply per
    /// recipient after the message.
    pub lmtp: bool,
    /// The longest command line, CRLF included. RFC 4954 §4 asks for at
    /// least 12288 octets so that AUTH initial responses fit.
    pub max_line_length: usize,
    /// Recipients accepted per message (RFC 5321 §4.5.3.1.8 asks for at least 100).
    pub max_recipients: usize,
    /// The largest message, in octets (advertised with SIZE).
    pub max_message_size: u64,
    /// Error replies before the session answers 421 and closes.
    pub max_errors: u32,
    /// Failed AUTH attempts before the session answers 421 and closes.
    pub max_auth_failures: u32,
    /// What DATA does with bare CR and bare LF (SMTP smuggling protection).
    pub line_endings: LineEndingPolicy,
    /// Message bytes handed to the caller per [`Event::DataChunk`](super::Event::DataChunk), at most.
    pub chunk_size: usize,
    /// Offer PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// Offer 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// Offer SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// Offer CHUNKING, the BDAT command (RFC 3030).
    pub chunking: bool,
    /// Offer BINARYMIME (RFC 3030; needs `chunking`).
    pub binary_mime: bool,
    /// Offer DSN (RFC 3461).
    pub dsn: bool,
    /// Offer REQUIRETLS (RFC 8689) on TLS connections.
    pub require_tls_extension: bool,
    /// Offer ETRN (RFC 1985); the caller answers [`Event::Etrn`](super::Event::Etrn).
    pub etrn: bool,
    /// Offer STARTTLS (RFC 3207) on plaintext connections; the caller must
    /// be able to upgrade when asked ([`Event::StartTls`](super::Event::StartTls)).
    pub starttls: bool,
    /// SASL mechanisms offered with AUTH (RFC 4954), in order of preference.
    /// Empty means no AUTH.
    pub auth_mechanisms: Vec<sasl::Mechanism>,
    /// Settings of the SASL exchanges. The session sets the host name
    /// (`hostname` above) and adds the connection's channel bindings (when
    /// a -PLUS mechanism is offered) and TLS client identity.
    pub sasl: sasl::ServerConfig,
    /// AUTH only on TLS connections: not advertised before, and answered
    /// 538 5.7.11 if tried.
    pub require_tls_for_auth: bool,
    /// MAIL only after AUTH (530 5.7.0), the policy of submission.
    pub require_auth: bool,
    /// MAIL only on TLS connections (530 5.7.0).
    pub require_tls_for_mail: bool,
    /// MAIL needs a previous EHLO/HELO/LHLO (503 5.5.1).
    pub require_helo: bool,
    /// Pass VRFY to the caller ([`Event::Vrfy`](super::Event::Vrfy)); when
    /// off, VRFY is answered 252.
    pub vrfy: bool,
    /// Pass EXPN to the caller ([`Event::Expn`](super::Event::Expn)); when
    /// off, EXPN is answered 252.
    pub expn: bool,
    /// Keywords of MAIL/RCPT parameters the caller handles beyond the typed
    /// ones; any other unknown parameter is answered 555 5.5.4.
    pub extra_parameters: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            hostname: "localhost".to_string(),
            banner: "ESMTP Mailwright".to_string(),
            lmtp: false,
            max_line_length: 12288,
            max_recipients: 100,
            max_message_size: 50 * 1024 * 1024,
            max_errors: 20,
            max_auth_failures: 3,
            line_endings: LineEndingPolicy::Reject,
            chunk_size: 64 * 1024,
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            binary_mime: true,
            dsn: true,
            require_tls_extension: false,
            etrn: false,
            starttls: false,
            auth_mechanisms: Vec::new(),
            sasl: sasl::ServerConfig::default(),
            require_tls_for_auth: true,
            require_auth: false,
            require_tls_for_mail: false,
            require_helo: true,
            vrfy: false,
            expn: false,
            extra_parameters: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// An MTA (port 25) named `hostname`.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            ..Self::default()
        }
    }

    /// Submission (RFC 6409, port 587/465) named `hostname`: AUTH with
    /// `mechanisms`, only over TLS, and required before MAIL.
    pub fn submission(hostname: impl Into<String>, mechanisms: Vec<sasl::Mechanism>) -> Self {
        let mut config = Self::new(hostname);
        config.auth_mechanisms = mechanisms;
        config.require_auth = true;
        config.require_tls_for_auth = true;
        config
    }

    /// An LMTP server (RFC 2033) named `hostname`.
    pub fn lmtp(hostname: impl Into<String>) -> Self {
        let mut config = Self::new(hostname);
        config.lmtp = true;
        config.banner = "LMTP Mailwright".to_string();
        config
    }
}
