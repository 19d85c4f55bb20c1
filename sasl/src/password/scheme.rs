//! Scheme names as Dovecot spells them, with its aliases.

use std::fmt;
use std::str::FromStr;

use super::PasswordError;
use super::encoding::Encoding;

/// A password scheme, named as in Dovecot's `{SCHEME}` prefix.
///
/// Names are matched case-insensitively, with Dovecot's aliases:
/// `CLEAR` and `CLEARTEXT` are [`Plain`](Scheme::Plain), `SHA` is
/// [`Sha1`](Scheme::Sha1).
///
/// ```
/// use sasl::password::Scheme;
/// assert_eq!("clear".parse::<Scheme>().unwrap(), Scheme::Plain);
/// assert_eq!(Scheme::Sha512Crypt.to_string(), "SHA512-CRYPT");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `PLAIN` (also `CLEAR`, `CLEARTEXT`): the password itself.
    Plain,
    /// `CRYPT`: whatever libc crypt(3) understands, told apart by the
    /// hash's own prefix (DES, `$1$`, `$5$`, `$6$`, `$2a$`/`$2b$`/`$2y$`).
    /// Generated as bcrypt `$2y$`, as Dovecot 2.3 does.
    Crypt,
    /// `DES-CRYPT`: traditional 13-character DES crypt(3). Weak; for old data.
    DesCrypt,
    /// `MD5`: Dovecot's MD5 reads MD5-CRYPT data (`$1$…`) and otherwise
    /// PLAIN-MD5 data; it generates MD5-CRYPT.
    Md5,
    /// `MD5-CRYPT`: FreeBSD/glibc MD5 crypt, `$1$salt$hash`.
    Md5Crypt,
    /// `SHA256-CRYPT`: `$5$[rounds=N$]salt$hash`.
    Sha256Crypt,
    /// `SHA512-CRYPT`: `$6$[rounds=N$]salt$hash`.
    Sha512Crypt,
    /// `BLF-CRYPT`: bcrypt, `$2y$cost$…` (also `$2a$`, `$2b$`).
    BlfCrypt,
    /// `ARGON2I`: an Argon2 PHC string, as libsodium writes it.
    Argon2i,
    /// `ARGON2ID`: an Argon2id PHC string, as libsodium writes it.
    Argon2id,
    /// `SHA1` (also `SHA`): unsalted SHA-1, base64 (or hex).
    Sha1,
    /// `SHA256`: unsalted SHA-256, base64 (or hex).
    Sha256,
    /// `SHA512`: unsalted SHA-512, base64 (or hex).
    Sha512,
    /// `PLAIN-MD5`: unsalted MD5, hex (or base64).
    PlainMd5,
    /// `LDAP-MD5`: unsalted MD5, base64 (or hex).
    LdapMd5,
    /// `SMD5`: base64 of MD5(password ‖ salt) ‖ salt.
    Smd5,
    /// `SSHA`: base64 of SHA-1(password ‖ salt) ‖ salt.
    Ssha,
    /// `SSHA256`: base64 of SHA-256(password ‖ salt) ‖ salt.
    Ssha256,
    /// `SSHA512`: base64 of SHA-512(password ‖ salt) ‖ salt.
    Ssha512,
    /// `SCRAM-SHA-1`: `iterations,salt,StoredKey,ServerKey` (base64 fields).
    ScramSha1,
    /// `SCRAM-SHA-256`: `iterations,salt,StoredKey,ServerKey` (base64 fields).
    ScramSha256,
}

impl Scheme {
    /// Every scheme, in the order Dovecot's documentation lists them roughly.
    pub const ALL: &'static [Scheme] = &[
        Scheme::Plain,
        Scheme::Crypt,
        Scheme::DesCrypt,
        Scheme::Md5,
        Scheme::Md5Crypt,
        Scheme::Sha256Crypt,
        Scheme::Sha512Crypt,
        Scheme::BlfCrypt,
        Scheme::Argon2i,
        Scheme::Argon2id,
        Scheme::Sha1,
        Scheme::Sha256,
        Scheme::Sha512,
        Scheme::PlainMd5,
        Scheme::LdapMd5,
        Scheme::Smd5,
        Scheme::Ssha,
        Scheme::Ssha256,
        Scheme::Ssha512,
        Scheme::ScramSha1,
        Scheme::ScramSha256,
    ];

    /// The canonical Dovecot name, as written between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Plain => "PLAIN",
            Scheme::Crypt => "CRYPT",
            Scheme::DesCrypt => "DES-CRYPT",
            Scheme::Md5 => "MD5",
            Scheme::Md5Crypt => "MD5-CRYPT",
            Scheme::Sha256Crypt => "SHA256-CRYPT",
            Scheme::Sha512Crypt => "SHA512-CRYPT",
            Scheme::BlfCrypt => "BLF-CRYPT",
            Scheme::Argon2i => "ARGON2I",
            Scheme::Argon2id => "ARGON2ID",
            Scheme::Sha1 => "SHA1",
            Scheme::Sha256 => "SHA256",
            Scheme::Sha512 => "SHA512",
            Scheme::PlainMd5 => "PLAIN-MD5",
            Scheme::LdapMd5 => "LDAP-MD5",
            Scheme::Smd5 => "SMD5",
            Scheme::Ssha => "SSHA",
            Scheme::Ssha256 => "SSHA256",
            Scheme::Ssha512 => "SSHA512",
            Scheme::ScramSha1 => "SCRAM-SHA-1",
            Scheme::ScramSha256 => "SCRAM-SHA-256",
        }
    }

    /// How Dovecot encodes this scheme's raw bytes when no `.HEX`/`.B64`
    /// suffix is given.
    pub(crate) fn default_encoding(self) -> Encoding {
        match self {
            Scheme::Sha1
            | Scheme::Sha256
            | Scheme::Sha512
            | Scheme::LdapMd5
            | Scheme::Smd5
            | Scheme::Ssha
            | Scheme::Ssha256
            | Scheme::Ssha512 => Encoding::Base64,
            Scheme::PlainMd5 => Encoding::Hex,
            _ => Encoding::None,
        }
    }

    /// The fixed raw length of unsalted digests. Dovecot uses it to guess
    /// between hex and base64 when no suffix is given (`raw_password_len`).
    pub(crate) fn raw_len(self) -> Option<usize> {
        match self {
            Scheme::Sha1 => Some(20),
            Scheme::Sha256 => Some(32),
            Scheme::Sha512 => Some(64),
            Scheme::PlainMd5 | Scheme::LdapMd5 => Some(16),
            _ => None,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = PasswordError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        const ALIASES: &[(&str, Scheme)] = &[
            ("CLEAR", Scheme::Plain),
            ("CLEARTEXT", Scheme::Plain),
            ("SHA", Scheme::Sha1),
        ];
        Scheme::ALL
            .iter()
            .map(|&scheme| (scheme.name(), scheme))
            .chain(ALIASES.iter().copied())
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, scheme)| scheme)
            .ok_or(PasswordError::UnknownScheme)
    }
}
