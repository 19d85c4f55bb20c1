//! SCRAM key derivation (RFC 5802 §3) and the stored credentials a server keeps.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The hash function of a SCRAM mechanism family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScramHash {
    /// SCRAM-SHA-1 (RFC 5802).
    Sha1,
    /// SCRAM-SHA-256 (RFC 7677).
    Sha256,
}

/// The iteration count used when this crate derives new SCRAM credentials.
///
/// RFC 7677 asks for at least 4096; Dovecot uses 4096 as well.
pub const DEFAULT_SCRAM_ITERATIONS: u32 = 4096;

/// The largest iteration count a client accepts from a server, so a hostile
/// server cannot make a client burn unbounded CPU.
pub const MAX_SCRAM_ITERATIONS: u32 = 10_000_000;

impl ScramHash {
    /// Output length of the hash in bytes.
    pub fn output_len(self) -> usize {
        match self {
            ScramHash::Sha1 => 20,
            ScramHash::Sha256 => 32,
        }
    }

    /// Dovecot's scheme name for stored keys of this hash.
    pub fn scheme_name(self) -> &'static str {
        match self {
            ScramHash::Sha1 => "SCRAM-SHA-1",
            ScramHash::Sha256 => "SCRAM-SHA-256",
        }
    }

    /// `H(data)`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha1 => Sha1::digest(data).to_vec(),
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// `HMAC(key, data)`.
    pub fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so new_from_slice cannot fail.
        match self {
            ScramHash::Sha1 => {
                let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            ScramHash::Sha256 => {
                let mut mac =
                    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    /// `Hi(password, salt, iterations)`: PBKDF2 with this hash's HMAC.
    ///
    /// The password is used as given; callers normalise it first with
    /// [`normalize_password`].
    pub fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0u8; self.output_len()];
        match self {
            ScramHash::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out),
            ScramHash::Sha256 => {
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out)
            }
        }
        out
    }
}

/// Applies SASLprep (RFC 4013) to a password as RFC 5802 §2.2 asks, falling
/// back to the raw bytes when the password is not valid UTF-8 or is
/// prohibited by SASLprep — the way GNU gsasl and most servers behave, so a
/// password that worked with PLAIN still works with SCRAM.
pub fn normalize_password(password: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(password) {
        Ok(text) if text.is_ascii() => password.to_vec(),
        Ok(text) => match stringprep::saslprep(text) {
            Ok(prepared) => prepared.as_bytes().to_vec(),
            Err(_) => password.to_vec(),
        },
        Err(_) => password.to_vec(),
    }
}

/// What a server stores to run SCRAM without knowing the password
/// (RFC 5802 §3): the salt, the iteration count, `StoredKey` and `ServerKey`.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The hash these keys were derived with.
    pub hash: ScramHash,
    /// PBKDF2 iteration count.
    pub iterations: u32,
    /// The salt, raw bytes.
    pub salt: Vec<u8>,
    /// `H(ClientKey)`.
    pub stored_key: Vec<u8>,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Vec<u8>,
}

impl std::fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .field("salt", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl ScramCredentials {
    /// Derives stored credentials from a plaintext password.
    ///
    /// ```
    /// use sasl::{ScramCredentials, ScramHash};
    /// let creds = ScramCredentials::derive(ScramHash::Sha256, b"pencil", b"salt", 4096);
    /// assert_eq!(creds.stored_key.len(), 32);
    /// ```
    pub fn derive(hash: ScramHash, password: &[u8], salt: &[u8], iterations: u32) -> Self {
        let salted = hash.salted_password(&normalize_password(password), salt, iterations);
        Self::from_salted_password(hash, &salted, salt, iterations)
    }

    /// Derives stored credentials from an already salted password.
    pub fn from_salted_password(
        hash: ScramHash,
        salted_password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Self {
        let client_key = hash.hmac(salted_password, b"Client Key");
        Self {
            hash,
            iterations,
            salt: salt.to_vec(),
            stored_key: hash.hash(&client_key),
            server_key: hash.hmac(salted_password, b"Server Key"),
        }
    }
}
