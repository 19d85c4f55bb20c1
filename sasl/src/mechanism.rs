//! The mechanism names this crate implements.

use std::fmt;
use std::str::FromStr;

use crate::ScramHash;
use crate::credentials::Requirement;

/// A SASL mechanism.
///
/// ```
/// use sasl::Mechanism;
/// let mech: Mechanism = "scram-sha-256-plus".parse().unwrap();
/// assert_eq!(mech, Mechanism::ScramSha256Plus);
/// assert_eq!(mech.name(), "SCRAM-SHA-256-PLUS");
/// assert!(!mech.sends_plaintext());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mechanism {
    /// PLAIN, RFC 4616.
    Plain,
    /// LOGIN (draft-murchison-sasl-login).
    Login,
    /// CRAM-MD5, RFC 2195.
    CramMd5,
    /// SCRAM-SHA-1, RFC 5802.
    ScramSha1,
    /// SCRAM-SHA-1-PLUS, RFC 5802 with channel binding.
    ScramSha1Plus,
    /// SCRAM-SHA-256, RFC 7677.
    ScramSha256,
    /// SCRAM-SHA-256-PLUS, RFC 7677 with channel binding.
    ScramSha256Plus,
    /// OAUTHBEARER, RFC 7628.
    OAuthBearer,
    /// XOAUTH2 (Google's and Microsoft's pre-standard bearer mechanism).
    XOAuth2,
    /// EXTERNAL, RFC 4422 appendix A.
    External,
    /// ANONYMOUS, RFC 4505.
    Anonymous,
}

impl Mechanism {
    /// Every mechanism, strongest first — the order a server advertises them in.
    pub const ALL: [Mechanism; 11] = [
        Mechanism::ScramSha256Plus,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha1,
        Mechanism::External,
        Mechanism::OAuthBearer,
        Mechanism::XOAuth2,
        Mechanism::CramMd5,
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::Anonymous,
    ];

    /// The IANA-registered name, upper case.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::ScramSha1 => "SCRAM-SHA-1",
            Mechanism::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Mechanism::OAuthBearer => "OAUTHBEARER",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::External => "EXTERNAL",
            Mechanism::Anonymous => "ANONYMOUS",
        }
    }

    /// Whether the client sends the password itself (or a bearer token) in a
    /// form a passive eavesdropper can reuse. Servers offer these only over TLS.
    pub fn sends_plaintext(self) -> bool {
        matches!(
            self,
            Mechanism::Plain | Mechanism::Login | Mechanism::OAuthBearer | Mechanism::XOAuth2
        )
    }

    /// Whether the client speaks first, so an initial response (SASL-IR,
    /// RFC 4954's AUTH argument) can carry its first message.
    pub fn client_first(self) -> bool {
        !matches!(self, Mechanism::Login | Mechanism::CramMd5)
    }

    /// What a server needs from its credential store to run this mechanism.
    pub fn requirement(self) -> Requirement {
        match self {
            Mechanism::Plain | Mechanism::Login => Requirement::VerifyPassword,
            Mechanism::CramMd5 => Requirement::PlaintextPassword,
            Mechanism::ScramSha1
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256
            | Mechanism::ScramSha256Plus => Requirement::ScramCredentials,
            Mechanism::OAuthBearer | Mechanism::XOAuth2 => Requirement::BearerToken,
            Mechanism::External => Requirement::ExternalIdentity,
            Mechanism::Anonymous => Requirement::Nothing,
        }
    }

    /// The SCRAM hash and whether channel binding is mandatory, for SCRAM mechanisms.
    pub(crate) fn scram(self) -> Option<(ScramHash, bool)> {
        match self {
            Mechanism::ScramSha1 => Some((ScramHash::Sha1, false)),
            Mechanism::ScramSha1Plus => Some((ScramHash::Sha1, true)),
            Mechanism::ScramSha256 => Some((ScramHash::Sha256, false)),
            Mechanism::ScramSha256Plus => Some((ScramHash::Sha256, true)),
            _ => None,
        }
    }

    /// Whether this is a -PLUS (channel-binding) mechanism.
    pub fn is_plus(self) -> bool {
        matches!(self, Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A mechanism name this crate does not implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported SASL mechanism")]
pub struct ParseMechanismError;

impl FromStr for Mechanism {
    type Err = ParseMechanismError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Mechanism::ALL
            .into_iter()
            .find(|mech| mech.name().eq_ignore_ascii_case(name))
            .ok_or(ParseMechanismError)
    }
}
