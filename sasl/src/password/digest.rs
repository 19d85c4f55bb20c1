//! Plain digests (SHA1, SHA256, SHA512, PLAIN-MD5) and their salted
//! LDAP-style forms (SMD5, SSHA, SSHA256, SSHA512): `digest ‖ salt`.

use md5::Md5;
use rand::RngCore;
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use crate::secret::constant_time_eq;

/// Salt length for newly generated salted digests. Dovecot writes 4 bytes
/// and reads any length; 16 bytes keeps equal passwords apart for good.
const SALT_LEN: usize = 16;

/// The hash function under a digest scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digest {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Digest {
    /// Output length in bytes.
    pub(crate) fn len(self) -> usize {
        match self {
            Digest::Md5 => 16,
            Digest::Sha1 => 20,
            Digest::Sha256 => 32,
            Digest::Sha512 => 64,
        }
    }

    /// `H(password ‖ salt)`.
    pub(crate) fn hash(self, password: &[u8], salt: &[u8]) -> Vec<u8> {
        fn run<D: sha2::Digest>(password: &[u8], salt: &[u8]) -> Vec<u8> {
            let mut hasher = D::new();
            hasher.update(password);
            hasher.update(salt);
            hasher.finalize().to_vec()
        }
        match self {
            Digest::Md5 => run::<Md5>(password, salt),
            Digest::Sha1 => run::<Sha1>(password, salt),
            Digest::Sha256 => run::<Sha256>(password, salt),
            Digest::Sha512 => run::<Sha512>(password, salt),
        }
    }

    /// Checks an unsalted digest.
    pub(crate) fn verify(self, raw: &[u8], password: &[u8]) -> bool {
        raw.len() == self.len() && constant_time_eq(&self.hash(password, b""), raw)
    }

    /// Checks `digest ‖ salt`; a salt of any length, but not none, as Dovecot.
    pub(crate) fn verify_salted(self, raw: &[u8], password: &[u8]) -> bool {
        if raw.len() <= self.len() {
            return false;
        }
        let (digest, salt) = raw.split_at(self.len());
        constant_time_eq(&self.hash(password, salt), digest)
    }

    /// A fresh `digest ‖ salt`.
    pub(crate) fn generate_salted(self, password: &[u8]) -> Vec<u8> {
        let mut salt = [0u8; SALT_LEN];
        rand::thread_rng().fill_bytes(&mut salt);
        let mut raw = self.hash(password, &salt);
        raw.extend_from_slice(&salt);
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salted_round_trip_and_short_data() {
        for digest in [Digest::Md5, Digest::Sha1, Digest::Sha256, Digest::Sha512] {
            let raw = digest.generate_salted(b"pencil");
            assert!(digest.verify_salted(&raw, b"pencil"));
            assert!(!digest.verify_salted(&raw, b"pencil "));
            assert!(!digest.verify_salted(&raw[..digest.len()], b"pencil"));
            assert!(!digest.verify_salted(b"", b""));
        }
    }
}
