//! APOP (RFC 1939 §7): the greeting's timestamp and the digest a client
//! proves its password with.
//!
//! The session has no clock and no randomness: the caller makes the
//! timestamp, unique per connection (RFC 1939 suggests process id and
//! clock; a random number serves as well), and the session puts it in the
//! greeting.
//!
//! ```
//! use pop3_proto::apop::{ApopTimestamp, digest};
//! // RFC 1939's example.
//! let timestamp = ApopTimestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap();
//! assert_eq!(digest(&timestamp, b"tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
//! assert!(ApopTimestamp::new("no brackets").is_err());
//! ```

use md5::{Digest, Md5};

/// A greeting timestamp: `<`, printable ASCII with an `@`, `>`, at most
/// [`ApopTimestamp::MAX_LEN`] octets (RFC 1939 §7 calls it a msg-id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApopTimestamp(String);

/// A string that cannot be a greeting timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an APOP timestamp is <...@...> in printable ASCII")]
pub struct InvalidTimestamp;

impl ApopTimestamp {
    /// The longest timestamp accepted.
    pub const MAX_LEN: usize = 200;

    /// Checks `timestamp`.
    pub fn new(timestamp: &str) -> Result<Self, InvalidTimestamp> {
        let inner = timestamp
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix('>'))
            .ok_or(InvalidTimestamp)?;
        let valid = timestamp.len() <= Self::MAX_LEN
            && inner.contains('@')
            && inner
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'<' && b != b'>');
        if valid {
            Ok(Self(timestamp.to_string()))
        } else {
            Err(InvalidTimestamp)
        }
    }

    /// A timestamp `<unique@hostname>` from a value unique to this
    /// connection (such as `"{pid}.{random}.{unix time}"`).
    pub fn from_parts(unique: &str, hostname: &str) -> Result<Self, InvalidTimestamp> {
        Self::new(&format!("<{unique}@{hostname}>"))
    }

    /// The timestamp, brackets included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `MD5(timestamp password)` in lower-case hex: what the client sends.
pub fn digest(timestamp: &ApopTimestamp, password: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update(timestamp.as_str().as_bytes());
    md5.update(password);
    md5.finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
