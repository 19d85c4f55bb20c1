//! Extended response codes (RFC 2449 §8, RFC 3206, RFC 6856): the bracketed
//! word after `-ERR` (or `+OK`) that tells a client why, in a form it can act
//! on without reading the text.
//!
//! ```
//! use pop3_proto::RespCode;
//! let code: RespCode = "SYS/TEMP".parse().unwrap();
//! assert_eq!(code, RespCode::SysTemp);
//! assert_eq!(code.levels().collect::<Vec<_>>(), ["SYS", "TEMP"]);
//! let other: RespCode = "X-VENDOR/QUOTA".parse().unwrap();
//! assert_eq!(other.to_string(), "X-VENDOR/QUOTA");
//! assert!("SYS//TEMP".parse::<RespCode>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

/// A response code. Codes are hierarchical (`SYS/TEMP`): levels separated
/// by `/`, each of printable ASCII other than `/` and `]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RespCode {
    /// `LOGIN-DELAY` (RFC 2449 §8.1.1): the user logged in too recently.
    LoginDelay,
    /// `IN-USE` (RFC 2449 §8.1.2): the maildrop is locked by another session.
    InUse,
    /// `SYS/TEMP` (RFC 3206 §4): a temporary system failure; try later.
    SysTemp,
    /// `SYS/PERM` (RFC 3206 §4): a permanent system failure.
    SysPerm,
    /// `AUTH` (RFC 3206 §5): the credentials were refused.
    Auth,
    /// `UTF8` (RFC 6856 §3): the command needs UTF-8 support the other side lacks.
    Utf8,
    /// Any other code, as written (validated, case kept).
    Other(String),
}

/// A string that is not a response code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid POP3 response code")]
pub struct InvalidRespCode;

/// The longest response code accepted, in octets.
pub const MAX_RESP_CODE_LEN: usize = 64;

impl RespCode {
    /// The code as written between the brackets.
    pub fn as_str(&self) -> &str {
        match self {
            RespCode::LoginDelay => "LOGIN-DELAY",
            RespCode::InUse => "IN-USE",
            RespCode::SysTemp => "SYS/TEMP",
            RespCode::SysPerm => "SYS/PERM",
            RespCode::Auth => "AUTH",
            RespCode::Utf8 => "UTF8",
            RespCode::Other(code) => code,
        }
    }

    /// The levels of the hierarchy, outermost first.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.as_str().split('/')
    }

    /// Whether this code is `ancestor` or below it (`SYS/TEMP` is within `SYS`).
    /// Levels compare case-insensitively.
    pub fn is_within(&self, ancestor: &str) -> bool {
        let mut mine = self.levels();
        ancestor.split('/').all(|level| {
            mine.next()
                .is_some_and(|own| own.eq_ignore_ascii_case(level))
        })
    }
}

fn valid_level(level: &str) -> bool {
    !level.is_empty()
        && level
            .bytes()
            .all(|byte| (0x21..=0x7e).contains(&byte) && byte != b'/' && byte != b']')
}

impl FromStr for RespCode {
    type Err = InvalidRespCode;

    /// Parses a code without its brackets; known codes are recognised in
    /// any case.
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        if code.len() > MAX_RESP_CODE_LEN || !code.split('/').all(valid_level) {
            return Err(InvalidRespCode);
        }
        const KNOWN: [RespCode; 6] = [
            RespCode::LoginDelay,
            RespCode::InUse,
            RespCode::SysTemp,
            RespCode::SysPerm,
            RespCode::Auth,
            RespCode::Utf8,
        ];
        Ok(KNOWN
            .into_iter()
            .find(|known| known.as_str().eq_ignore_ascii_case(code))
            .unwrap_or_else(|| RespCode::Other(code.to_string())))
    }
}

impl fmt::Display for RespCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
