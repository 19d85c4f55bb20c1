//! What a session knows of a maildrop: the messages it lists, fixed when
//! the maildrop is opened and stable for the whole session (RFC 1939 §5:
//! message numbers do not change, deleted messages keep theirs).

use std::fmt;

/// One message of an opened maildrop.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageInfo {
    /// The size LIST and STAT report: the octets RETR sends, with CRLF line
    /// ends and before byte-stuffing (RFC 1939 §5 "exact size").
    pub size: u64,
    /// The UIDL unique-id: stable across sessions, never reused for
    /// another message.
    pub unique_id: UniqueId,
}

impl MessageInfo {
    /// A message of `size` octets known by `unique_id`.
    pub fn new(size: u64, unique_id: UniqueId) -> Self {
        Self { size, unique_id }
    }
}

/// A UIDL unique-id: 1 to 70 characters in the range 0x21 to 0x7E
/// (RFC 1939 §7).
///
/// ```
/// use pop3_proto::maildrop::UniqueId;
/// assert_eq!(UniqueId::new("1700000000.42").unwrap().as_str(), "1700000000.42");
/// assert!(UniqueId::new("").is_err());
/// assert!(UniqueId::new("has space").is_err());
/// assert!(UniqueId::new(&"x".repeat(71)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UniqueId(String);

/// A string that cannot be a UIDL unique-id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a POP3 unique-id is 1 to 70 characters from 0x21 to 0x7E")]
pub struct InvalidUniqueId;

impl UniqueId {
    /// The longest unique-id RFC 1939 allows.
    pub const MAX_LEN: usize = 70;

    /// Checks `id` against RFC 1939's grammar.
    pub fn new(id: &str) -> Result<Self, InvalidUniqueId> {
        let valid = (1..=Self::MAX_LEN).contains(&id.len())
            && id.bytes().all(|byte| (0x21..=0x7e).contains(&byte));
        if valid {
            Ok(Self(id.to_owned()))
        } else {
            Err(InvalidUniqueId)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
