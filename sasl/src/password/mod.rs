//! Password schemes in Dovecot's `{SCHEME}` notation.
//!
//! A [`PasswordHash`] reads what a Dovecot passdb holds — `{SHA512-CRYPT}$6$…`,
//! `{SSHA}…`, `{SCRAM-SHA-256}4096,…`, bare data with a default scheme the
//! way `default_pass_scheme` applies — verifies passwords against it in
//! constant time and generates new hashes that Dovecot reads back. Every
//! verifier refuses malformed data and absurd cost parameters by returning
//! `false`, never by panicking or burning CPU.

mod argon;
mod crypt;
mod digest;
mod encoding;
mod scheme;
mod scram;

use std::fmt;
use std::str::FromStr;

use self::digest::Digest;
use self::encoding::Encoding;
use crate::{ScramCredentials, ScramHash, Secret};

pub use self::scheme::Scheme;

/// The scheme [`PasswordHash::generate`] callers should use for new passwords.
///
/// ARGON2ID: memory-hard (64 MiB per check, libsodium's "interactive"
/// limits), OWASP's first recommendation, and verified by Dovecot 2.3+ built
/// with libsodium, as Debian's and Ubuntu's packages are. Pick
/// [`Scheme::Sha512Crypt`] instead when the same hashes must also be read by
/// software that only has libc crypt(3).
pub const DEFAULT_SCHEME: Scheme = Scheme::Argon2id;

/// The longest password verified or hashed, in bytes. Key stretching in
/// the crypt family costs rounds × length, so an unbounded password is a
/// way to burn CPU; 4096 bytes is far beyond any real passphrase.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// Why a stored password could not be read or generated. Never carries the
/// password or the hash data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The scheme name (or its `.ENCODING` suffix) is not known.
    #[error("unknown password scheme")]
    UnknownScheme,
    /// The stored string has no `{SCHEME}` prefix.
    #[error("stored password has no {{SCHEME}} prefix")]
    MissingScheme,
    /// The password is longer than [`MAX_PASSWORD_LEN`].
    #[error("password too long")]
    TooLong,
    /// The hash function failed, e.g. for lack of randomness.
    #[error("cannot generate a {0} password hash")]
    Generate(Scheme),
}

/// A stored password: a [`Scheme`] and its data, as in a Dovecot passdb.
///
/// `Debug` shows only the scheme; `Display` writes `{SCHEME}data` as Dovecot
/// does, so it is as sensitive as the hash itself.
///
/// ```
/// use sasl::password::{PasswordHash, Scheme};
///
/// // As written by `doveadm pw -s SHA256.HEX -p test`.
/// let stored = PasswordHash::parse(
///     "{SHA256.HEX}9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
/// )?;
/// assert_eq!(stored.scheme(), Scheme::Sha256);
/// assert!(stored.verify(b"test"));
/// assert!(!stored.verify(b"Test"));
/// assert_eq!(format!("{stored:?}"), "PasswordHash { scheme: Sha256, .. }");
///
/// // Bare data is read with a default scheme, as `default_pass_scheme` does,
/// // except that `$1$…` is always MD5-CRYPT.
/// let legacy = PasswordHash::parse_with_default("$1$FobARdWt$A9vrbQxH8/0dGqJOrXb0u/", Scheme::Plain)?;
/// assert_eq!(legacy.to_string(), "{MD5-CRYPT}$1$FobARdWt$A9vrbQxH8/0dGqJOrXb0u/");
/// assert!(legacy.verify(b"test"));
///
/// let fresh = PasswordHash::generate(Scheme::Ssha512, b"pencil")?;
/// assert!(fresh.to_string().starts_with("{SSHA512}"));
/// assert!(fresh.verify(b"pencil"));
/// # Ok::<(), sasl::PasswordError>(())
/// ```
#[derive(Clone)]
pub struct PasswordHash {
    scheme: Scheme,
    /// An explicit `.HEX`/`.B64` suffix; `None` means the scheme's default.
    encoding: Option<Encoding>,
    data: String,
}

impl PasswordHash {
    /// Parses `{SCHEME}data`. A string without the prefix is an error.
    pub fn parse(stored: &str) -> Result<Self, PasswordError> {
        let (name, data) = stored
            .strip_prefix('{')
            .and_then(|rest| rest.split_once('}'))
            .ok_or(PasswordError::MissingScheme)?;
        // Dovecot: `NAME.ENC`, where an unknown encoding is an unknown scheme.
        let (name, encoding) = match name.split_once('.') {
            Some((name, suffix)) => (
                name,
                Some(Encoding::from_suffix(suffix).ok_or(PasswordError::UnknownScheme)?),
            ),
            None => (name, None),
        };
        let scheme = name.parse()?;
        Ok(Self {
            scheme,
            encoding,
            data: data.to_owned(),
        })
    }

    /// Parses a stored password the way Dovecot's passdbs do: `$1$salt$hash`
    /// is MD5-CRYPT (anything after a further `$` ignored), `{SCHEME}data`
    /// names its scheme, and anything else is data of `default`.
    ///
    /// As in Dovecot, a plaintext that happens to look like `{X}…` is read
    /// as scheme `X`; use [`PasswordHash::plain`] to store any string as is.
    pub fn parse_with_default(stored: &str, default: Scheme) -> Result<Self, PasswordError> {
        if let Some(md5) = bare_md5_crypt(stored) {
            return Ok(Self {
                scheme: Scheme::Md5Crypt,
                encoding: None,
                data: md5.to_owned(),
            });
        }
        if stored.starts_with('{') && stored.contains('}') {
            return Self::parse(stored);
        }
        Ok(Self {
            scheme: default,
            encoding: None,
            data: stored.to_owned(),
        })
    }

    /// A `{PLAIN}` password holding exactly `password`, whatever it looks like.
    pub fn plain(password: &str) -> Self {
        Self {
            scheme: Scheme::Plain,
            encoding: None,
            data: password.to_owned(),
        }
    }

    /// Hashes `password` with a fresh random salt and this crate's defaults:
    /// Dovecot's for every scheme except bcrypt (cost 10 rather than 5) and
    /// the salted digests (16-byte salts rather than 4). CRYPT is generated
    /// as bcrypt `$2y$`, as Dovecot 2.3 does; MD5 as MD5-CRYPT.
    pub fn generate(scheme: Scheme, password: &[u8]) -> Result<Self, PasswordError> {
        Self::generate_with_rounds(scheme, password, 0)
    }

    /// Like [`generate`](Self::generate) with a cost, as `doveadm pw -r`:
    /// the bcrypt cost (4–20), SHA-crypt rounds (1000–10,000,000), SCRAM
    /// iterations (4096–10,000,000) or Argon2 passes; clamped into range,
    /// 0 for the default, ignored by the other schemes.
    pub fn generate_with_rounds(
        scheme: Scheme,
        password: &[u8],
        rounds: u32,
    ) -> Result<Self, PasswordError> {
        if password.len() > MAX_PASSWORD_LEN {
            return Err(PasswordError::TooLong);
        }
        let or_default = |default| if rounds == 0 { default } else { rounds };
        let failed = || PasswordError::Generate(scheme);
        let mut encoding = None;
        let data = match scheme {
            Scheme::Plain => match std::str::from_utf8(password) {
                Ok(text) if !text.chars().any(char::is_control) => text.to_owned(),
                // Bytes a passdb line cannot hold go in Dovecot's `.B64` form.
                _ => {
                    encoding = Some(Encoding::Base64);
                    Encoding::Base64.encode(password)
                }
            },
            Scheme::Crypt | Scheme::BlfCrypt => {
                crypt::generate_bcrypt(password, or_default(crypt::BCRYPT_COST))
                    .ok_or_else(failed)?
            }
            Scheme::DesCrypt => crypt::generate_des(password).ok_or_else(failed)?,
            Scheme::Md5 | Scheme::Md5Crypt => crypt::generate_md5(password).ok_or_else(failed)?,
            Scheme::Sha256Crypt | Scheme::Sha512Crypt => crypt::generate_sha(
                scheme == Scheme::Sha512Crypt,
                password,
                or_default(crypt::SHA_CRYPT_ROUNDS),
            )
            .ok_or_else(failed)?,
            Scheme::Argon2i => {
                argon::generate(argon2::Algorithm::Argon2i, password, rounds).ok_or_else(failed)?
            }
            Scheme::Argon2id => {
                argon::generate(argon2::Algorithm::Argon2id, password, rounds).ok_or_else(failed)?
            }
            Scheme::Sha1 | Scheme::Sha256 | Scheme::Sha512 | Scheme::PlainMd5 | Scheme::LdapMd5 => {
                let digest = unsalted_digest(scheme).ok_or_else(failed)?;
                scheme
                    .default_encoding()
                    .encode(&digest.hash(password, b""))
            }
            Scheme::Smd5 | Scheme::Ssha | Scheme::Ssha256 | Scheme::Ssha512 => {
                let digest = salted_digest(scheme).ok_or_else(failed)?;
                Encoding::Base64.encode(&digest.generate_salted(password))
            }
            Scheme::ScramSha1 | Scheme::ScramSha256 => {
                let hash = scram_hash(scheme).ok_or_else(failed)?;
                scram::format(&scram::generate(hash, password, rounds))
            }
        };
        Ok(Self {
            scheme,
            encoding,
            data,
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether `password` matches, compared in constant time. Malformed data,
    /// unsupported variants and excessive cost parameters give `false`.
    pub fn verify(&self, password: &[u8]) -> bool {
        if password.len() > MAX_PASSWORD_LEN {
            return false;
        }
        let Some(raw) = self.raw() else {
            return false;
        };
        let text = || std::str::from_utf8(&raw).ok();
        match self.scheme {
            Scheme::Plain => crate::secret::constant_time_eq(&raw, password),
            // Dovecot's crypt_verify(): the hash's own prefix decides.
            Scheme::Crypt | Scheme::DesCrypt | Scheme::Sha256Crypt | Scheme::Sha512Crypt => {
                text().is_some_and(|hash| crypt::verify_any(hash, password))
            }
            Scheme::Md5Crypt => text().is_some_and(|hash| crypt::verify_md5(hash, password)),
            Scheme::Md5 => text().is_some_and(|data| verify_dovecot_md5(data, password)),
            Scheme::BlfCrypt => text().is_some_and(|hash| crypt::verify_bcrypt(hash, password)),
            Scheme::Argon2i | Scheme::Argon2id => {
                text().is_some_and(|phc| argon::verify(phc, password))
            }
            Scheme::ScramSha1 | Scheme::ScramSha256 => scram_hash(self.scheme)
                .and_then(|hash| scram::parse(hash, &raw))
                .is_some_and(|creds| scram::verify(&creds, password)),
            scheme => match (unsalted_digest(scheme), salted_digest(scheme)) {
                (Some(digest), _) => digest.verify(&raw, password),
                (_, Some(digest)) => digest.verify_salted(&raw, password),
                _ => false,
            },
        }
    }

    /// The plaintext, for the PLAIN scheme only (CRAM-MD5 needs it).
    pub fn plaintext(&self) -> Option<Secret> {
        if self.scheme != Scheme::Plain {
            return None;
        }
        self.raw().map(|raw| Secret::from(raw.into_owned()))
    }

    /// SCRAM credentials for `hash`: the stored keys of a SCRAM scheme of the
    /// same hash, or for PLAIN keys derived with a fresh random 16-byte salt
    /// and [`DEFAULT_SCRAM_ITERATIONS`](crate::DEFAULT_SCRAM_ITERATIONS);
    /// `None` for every other scheme and for malformed data.
    pub fn scram_credentials(&self, hash: ScramHash) -> Option<ScramCredentials> {
        match self.scheme {
            Scheme::Plain => {
                let plain = self.plaintext()?;
                Some(scram::generate(
                    hash,
                    plain.as_bytes(),
                    crate::DEFAULT_SCRAM_ITERATIONS,
                ))
            }
            scheme if scram_hash(scheme) == Some(hash) => scram::parse(hash, &self.raw()?),
            _ => None,
        }
    }

    /// The bytes the scheme checks, after Dovecot's `.HEX`/`.B64` decoding.
    fn raw(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        encoding::decode_for(
            &self.data,
            self.encoding,
            self.scheme.default_encoding(),
            self.scheme.raw_len(),
        )
    }
}

/// Dovecot's `password_get_scheme()`: `$1$<salt>$<hash>[$<ignored>]` is
/// MD5-CRYPT even without a prefix.
fn bare_md5_crypt(stored: &str) -> Option<&str> {
    let rest = stored.strip_prefix("$1$")?;
    let after_salt = rest.find('$')? + 3 + 1;
    Some(match stored[after_salt..].find('$') {
        Some(end) => &stored[..after_salt + end],
        None => stored,
    })
}

/// Dovecot's MD5 scheme: MD5-CRYPT data, or else PLAIN-MD5 data.
fn verify_dovecot_md5(data: &str, password: &[u8]) -> bool {
    if data.starts_with("$1$") {
        return crypt::verify_md5(data, password);
    }
    let plain_md5 = Scheme::PlainMd5;
    encoding::decode_for(
        data,
        None,
        plain_md5.default_encoding(),
        plain_md5.raw_len(),
    )
    .is_some_and(|raw| Digest::Md5.verify(&raw, password))
}

fn unsalted_digest(scheme: Scheme) -> Option<Digest> {
    match scheme {
        Scheme::Sha1 => Some(Digest::Sha1),
        Scheme::Sha256 => Some(Digest::Sha256),
        Scheme::Sha512 => Some(Digest::Sha512),
        Scheme::PlainMd5 | Scheme::LdapMd5 => Some(Digest::Md5),
        _ => None,
    }
}

fn salted_digest(scheme: Scheme) -> Option<Digest> {
    match scheme {
        Scheme::Smd5 => Some(Digest::Md5),
        Scheme::Ssha => Some(Digest::Sha1),
        Scheme::Ssha256 => Some(Digest::Sha256),
        Scheme::Ssha512 => Some(Digest::Sha512),
        _ => None,
    }
}

fn scram_hash(scheme: Scheme) -> Option<ScramHash> {
    match scheme {
        Scheme::ScramSha1 => Some(ScramHash::Sha1),
        Scheme::ScramSha256 => Some(ScramHash::Sha256),
        _ => None,
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHash")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = self.encoding.map_or("", Encoding::suffix);
        write!(f, "{{{}{}}}{}", self.scheme.name(), suffix, self.data)
    }
}

impl FromStr for PasswordHash {
    type Err = PasswordError;

    fn from_str(stored: &str) -> Result<Self, Self::Err> {
        Self::parse(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_md5_crypt_is_cut_like_dovecot() {
        assert_eq!(bare_md5_crypt("$1$salt$hash$extra"), Some("$1$salt$hash"));
        assert_eq!(bare_md5_crypt("$1$salt$hash"), Some("$1$salt$hash"));
        assert_eq!(bare_md5_crypt("$1$salt"), None);
        assert_eq!(bare_md5_crypt("$1$"), None);
        assert_eq!(bare_md5_crypt("$1$é$"), Some("$1$é$"));
    }

    #[test]
    fn plain_keeps_prefix_lookalikes() {
        let stored = PasswordHash::plain("{SHA}x");
        assert_eq!(stored.to_string(), "{PLAIN}{SHA}x");
        assert!(stored.verify(b"{SHA}x"));
        assert!(
            PasswordHash::parse(&stored.to_string())
                .unwrap()
                .verify(b"{SHA}x")
        );
    }

    #[test]
    fn plain_with_control_characters_is_base64() {
        let stored = PasswordHash::generate(Scheme::Plain, b"a\nb\xff").unwrap();
        assert!(stored.to_string().starts_with("{PLAIN.B64}"));
        assert_eq!(stored.plaintext().unwrap().as_bytes(), b"a\nb\xff");
    }
}
