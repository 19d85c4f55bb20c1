//! What a TLS handshake established that a session needs.

/// What the TLS layer established, for an upgrade in the middle of a
/// session (STARTTLS, STLS) and for implicit TLS: the inputs of SASL's
/// -PLUS mechanisms and of EXTERNAL.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TlsInfo {
    /// Channel-binding data (tls-exporter, tls-server-end-point) for SCRAM-*-PLUS.
    pub channel_bindings: Vec<sasl::ChannelBinding>,
    /// A verified client certificate's identity, for SASL EXTERNAL.
    pub peer_identity: Option<String>,
    /// The protocol version, e.g. `TLSv1.3`, for logs and trace headers.
    pub protocol: Option<&'static str>,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<&'static str>,
}

impl TlsInfo {
    /// TLS with these channel bindings and client identity.
    pub fn new(channel_bindings: Vec<sasl::ChannelBinding>, peer_identity: Option<String>) -> Self {
        Self {
            channel_bindings,
            peer_identity,
            protocol: None,
            cipher: None,
        }
    }
}

impl TlsInfo {
    /// The SASL settings of one connection: `configured`, with `hostname`
    /// and what TLS (if any) established. Channel bindings are added only
    /// when a -PLUS mechanism is among `mechanisms`: with bindings, a SCRAM
    /// client's honest "y" (it could bind, the server offered no -PLUS)
    /// would be taken for a downgrade attack (RFC 5802 §6). A client
    /// certificate's identity serves EXTERNAL.
    pub fn sasl_config(
        tls: Option<&TlsInfo>,
        configured: &sasl::ServerConfig,
        hostname: &str,
        mechanisms: &[sasl::Mechanism],
    ) -> sasl::ServerConfig {
        let mut config = configured.clone();
        hostname.clone_into(&mut config.hostname);
        if let Some(tls) = tls {
            if mechanisms.iter().any(|mech| mech.is_plus()) {
                config
                    .channel_bindings
                    .extend(tls.channel_bindings.iter().cloned());
            }
            if tls.peer_identity.is_some() {
                config.external_identity.clone_from(&tls.peer_identity);
            }
        }
        config
    }
}
