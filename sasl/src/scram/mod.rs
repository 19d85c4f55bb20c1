//! SCRAM (RFC 5802) pieces shared by the server and client mechanisms:
//! GS2 headers, attribute lists, saslname escaping, channel bindings.

pub(crate) mod keys;

use std::sync::OnceLock;

use rand::RngCore;

use crate::ScramHash;

/// Channel-binding data the TLS layer supplies for the -PLUS mechanisms.
///
/// The caller extracts it from its TLS library: `tls-exporter` (RFC 9266,
/// TLS 1.3: 32 bytes of the exporter with label `EXPORTER-Channel-Binding`
/// and no context) or `tls-server-end-point` (RFC 5929: a hash of the
/// server's certificate).
///
/// ```
/// let cb = sasl::ChannelBinding::tls_exporter(vec![7; 32]);
/// assert_eq!(cb.name(), "tls-exporter");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    name: String,
    data: Vec<u8>,
}

impl std::fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ChannelBinding {
    /// Binding data of any registered type (RFC 5056), e.g. `tls-unique`.
    pub fn new(name: impl Into<String>, data: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            data,
        }
    }

    /// `tls-exporter` data (RFC 9266).
    pub fn tls_exporter(data: Vec<u8>) -> Self {
        Self::new("tls-exporter", data)
    }

    /// `tls-server-end-point` data (RFC 5929).
    pub fn tls_server_end_point(data: Vec<u8>) -> Self {
        Self::new("tls-server-end-point", data)
    }

    /// The channel-binding type name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The binding data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// The GS2 channel-binding flag (RFC 5801 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CbFlag {
    /// `n`: the client does not support channel binding.
    ClientUnsupported,
    /// `y`: the client supports it but thinks the server does not.
    ServerUnsupported,
    /// `p=name`: the client binds to this channel-binding type.
    Bound(String),
}

/// A parsed GS2 header, e.g. `n,a=admin,`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gs2Header {
    pub(crate) flag: CbFlag,
    pub(crate) authzid: Option<String>,
}

impl Gs2Header {
    /// Splits `message` into its GS2 header and the rest; returns the header's
    /// raw bytes (needed for SCRAM's `c=` attribute) as well.
    pub(crate) fn parse(message: &str) -> Result<(Self, &str, &str), &'static str> {
        let (flag, rest) = message.split_once(',').ok_or("missing GS2 header")?;
        let flag = match flag {
            "n" => CbFlag::ClientUnsupported,
            "y" => CbFlag::ServerUnsupported,
            _ => match flag.strip_prefix("p=") {
                Some(name) if is_cb_name(name) => CbFlag::Bound(name.to_string()),
                _ => return Err("bad channel-binding flag"),
            },
        };
        let (authzid, rest) = rest.split_once(',').ok_or("missing GS2 authzid field")?;
        let authzid = match authzid {
            "" => None,
            _ => match authzid.strip_prefix("a=") {
                // RFC 5801: a saslname has at least one character.
                Some(name) if !name.is_empty() => Some(unescape_saslname(name)?),
                _ => return Err("bad GS2 authzid field"),
            },
        };
        let header_len = message.len() - rest.len();
        Ok((Self { flag, authzid }, &message[..header_len], rest))
    }

    /// Renders the header as a client sends it.
    pub(crate) fn render(&self) -> String {
        let flag = match &self.flag {
            CbFlag::ClientUnsupported => "n".to_string(),
            CbFlag::ServerUnsupported => "y".to_string(),
            CbFlag::Bound(name) => format!("p={name}"),
        };
        match &self.authzid {
            Some(authzid) => format!("{flag},a={},", escape_saslname(authzid)),
            None => format!("{flag},,"),
        }
    }
}

fn is_cb_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-')
}

/// Escapes `,` and `=` as RFC 5802 §5.1 asks (`=2C`, `=3D`).
pub(crate) fn escape_saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// Reverses [`escape_saslname`], refusing any other `=` sequence.
pub(crate) fn unescape_saslname(name: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(pos) = rest.find('=') {
        out.push_str(&rest[..pos]);
        let escape = rest.get(pos..pos + 3).ok_or("bad saslname escape")?;
        out.push(match escape {
            "=2C" => ',',
            "=3D" => '=',
            _ => return Err("bad saslname escape"),
        });
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Iterates the `k=value` attributes of a SCRAM message.
pub(crate) fn attributes(message: &str) -> impl Iterator<Item = Result<(u8, &str), &'static str>> {
    message.split(',').map(|attr| match attr.as_bytes() {
        [key, b'=', ..] if key.is_ascii_alphabetic() => Ok((*key, &attr[2..])),
        _ => Err("bad SCRAM attribute"),
    })
}

/// A fresh nonce: 24 random bytes in base64, printable and comma-free.
pub(crate) fn new_nonce() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether a nonce is `printable` per RFC 5802 (no comma, visible ASCII).
pub(crate) fn is_printable_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|byte| (0x21..=0x7e).contains(&byte) && byte != b',')
}

/// A salt for `user` that stays the same for the life of the process, so
/// a client sees a stable salt whether the user exists, keeps stored SCRAM
/// keys, or keeps a plaintext the keys are derived from on each attempt.
pub(crate) fn per_user_salt(hash: ScramHash, user: &str) -> Vec<u8> {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        key
    });
    let mut salt = hash.hmac(key, user.as_bytes());
    salt.truncate(16);
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslname_escaping_round_trips() {
        let name = "a,b=c,,==";
        assert_eq!(escape_saslname(name), "a=2Cb=3Dc=2C=2C=3D=3D");
        assert_eq!(unescape_saslname(&escape_saslname(name)).unwrap(), name);
        assert!(unescape_saslname("a=2").is_err());
        assert!(unescape_saslname("a=41").is_err());
    }

    #[test]
    fn gs2_header_parses() {
        let (header, raw, rest) = Gs2Header::parse("p=tls-exporter,a=bob=2C,n=x,r=y").unwrap();
        assert_eq!(header.flag, CbFlag::Bound("tls-exporter".into()));
        assert_eq!(header.authzid.as_deref(), Some("bob,"));
        assert_eq!(raw, "p=tls-exporter,a=bob=2C,");
        assert_eq!(rest, "n=x,r=y");
        assert_eq!(header.render(), raw);
        assert!(Gs2Header::parse("x,,").is_err());
        assert!(Gs2Header::parse("n,b=c,").is_err());
        assert!(Gs2Header::parse("n").is_err());
        assert!(Gs2Header::parse("n,a=,n=x,r=y").is_err());
    }
}
