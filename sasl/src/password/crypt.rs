//! The crypt(3) family: DES, MD5-crypt `$1$`, SHA-crypt `$5$`/`$6$` and
//! bcrypt `$2a$`/`$2b$`/`$2y$`.
//!
//! Every hash is checked for shape before anything is computed, so hostile
//! data can neither panic a parser nor ask for absurd work: bcrypt costs
//! above [`MAX_BCRYPT_COST`] and SHA-crypt rounds above
//! [`MAX_SHA_CRYPT_ROUNDS`] simply do not verify.

use rand::Rng;
use sha_crypt::{Sha256Params, Sha512Params, sha256_crypt_b64, sha512_crypt_b64};

use crate::secret::constant_time_eq;

/// Largest bcrypt cost verified (2^20 rounds, about a minute of CPU).
pub(crate) const MAX_BCRYPT_COST: u32 = 20;
/// bcrypt cost of newly generated hashes. Dovecot writes cost 5, which is
/// far too cheap today; 10 is the common floor (OWASP) and Dovecot reads it.
pub(crate) const BCRYPT_COST: u32 = 10;
/// Largest SHA-crypt round count verified.
pub(crate) const MAX_SHA_CRYPT_ROUNDS: u32 = 10_000_000;
/// SHA-crypt rounds of newly generated hashes: the glibc and Dovecot default,
/// which is written without a `rounds=` field.
pub(crate) const SHA_CRYPT_ROUNDS: u32 = 5_000;
/// glibc's lower bound; smaller counts never match what libc computes.
const MIN_SHA_CRYPT_ROUNDS: u32 = 1_000;
const MIN_BCRYPT_COST: u32 = 4;

/// crypt(3)'s base-64 alphabet, used for salts and checksums.
const CRYPT64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn is_crypt64(s: &str) -> bool {
    s.bytes().all(|b| CRYPT64.contains(&b))
}

fn random_salt(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| CRYPT64[rng.gen_range(0..CRYPT64.len())] as char)
        .collect()
}

/// Dovecot's CRYPT, DES-CRYPT, SHA256-CRYPT and SHA512-CRYPT verifier: the
/// hash's own prefix picks the algorithm, as libc crypt(3) does.
pub(crate) fn verify_any(hash: &str, password: &[u8]) -> bool {
    let bytes = hash.as_bytes();
    if bytes.len() > 4 && bytes.starts_with(b"$2") && bytes[3] == b'$' {
        verify_bcrypt(hash, password)
    } else if hash.starts_with("$1$") {
        verify_md5(hash, password)
    } else if hash.starts_with("$5$") || hash.starts_with("$6$") {
        verify_sha(hash, password)
    } else {
        verify_des(hash, password)
    }
}

/// Traditional DES crypt: two salt characters and an 11-character checksum.
pub(crate) fn verify_des(hash: &str, password: &[u8]) -> bool {
    hash.len() == 13 && is_crypt64(hash) && pwhash::unix_crypt::verify(password, hash)
}

/// DES crypt with a fresh salt. Only the first 8 password bytes count.
pub(crate) fn generate_des(password: &[u8]) -> Option<String> {
    #[allow(deprecated)] // DES is weak, but DES-CRYPT asks for it by name.
    pwhash::unix_crypt::hash_with(&random_salt(2), password).ok()
}

/// MD5-crypt: `$1$` salt of at most 8 characters, `$`, 22-character checksum.
pub(crate) fn verify_md5(hash: &str, password: &[u8]) -> bool {
    let Some(rest) = hash.strip_prefix("$1$") else {
        return false;
    };
    let Some((salt, checksum)) = rest.split_once('$') else {
        return false;
    };
    // A longer salt is cut to 8 by libc, so the result could never match;
    // pwhash only takes crypt64 salts (and underflows on control characters).
    salt.len() <= 8
        && is_crypt64(salt)
        && checksum.len() == 22
        && is_crypt64(checksum)
        && pwhash::md5_crypt::verify(password, hash)
}

/// MD5-crypt with a fresh 8-character salt, as Dovecot generates it.
pub(crate) fn generate_md5(password: &[u8]) -> Option<String> {
    let salt = random_salt(8);
    let setup = pwhash::HashSetup {
        salt: Some(&salt),
        rounds: None,
    };
    #[allow(deprecated)] // MD5-crypt is weak, but MD5-CRYPT asks for it by name.
    pwhash::md5_crypt::hash_with(setup, password).ok()
}

/// SHA-crypt, `$5$` or `$6$`, optionally with `rounds=N$`.
///
/// Like glibc, the expected string is rebuilt from the parsed parts and
/// compared whole, so anything glibc would print differently (a salt longer
/// than 16, `rounds=0500`) does not match — just as in Dovecot, which
/// compares crypt(3)'s output with the stored string.
pub(crate) fn verify_sha(hash: &str, password: &[u8]) -> bool {
    let (magic, rest) = match hash.get(..3) {
        Some(magic @ ("$5$" | "$6$")) => (magic, &hash[3..]),
        _ => return false,
    };
    let (rounds, rest) = match rest.strip_prefix("rounds=") {
        Some(after) => {
            let Some((digits, rest)) = after.split_once('$') else {
                return false;
            };
            match parse_decimal(digits) {
                Some(rounds) => (Some(rounds), rest),
                None => return false,
            }
        }
        None => (None, rest),
    };
    let Some((salt, checksum)) = rest.split_once('$') else {
        return false;
    };
    // Cheap shape checks first: these could never equal libc's output.
    let checksum_len = if magic == "$6$" { 86 } else { 43 };
    if salt.len() > 16 || checksum.len() != checksum_len || !is_crypt64(checksum) {
        return false;
    }
    let count = rounds.unwrap_or(SHA_CRYPT_ROUNDS);
    if !(MIN_SHA_CRYPT_ROUNDS..=MAX_SHA_CRYPT_ROUNDS).contains(&count) {
        return false;
    }
    match sha_crypt_string(magic, password, salt, count, rounds.is_some()) {
        Some(expected) => constant_time_eq(expected.as_bytes(), hash.as_bytes()),
        None => false,
    }
}

/// SHA-crypt with a fresh 16-character salt; `rounds=` is written only when
/// it differs from the default, as Dovecot and glibc do.
pub(crate) fn generate_sha(sha512: bool, password: &[u8], rounds: u32) -> Option<String> {
    let rounds = rounds.clamp(MIN_SHA_CRYPT_ROUNDS, MAX_SHA_CRYPT_ROUNDS);
    let magic = if sha512 { "$6$" } else { "$5$" };
    sha_crypt_string(
        magic,
        password,
        &random_salt(16),
        rounds,
        rounds != SHA_CRYPT_ROUNDS,
    )
}

fn sha_crypt_string(
    magic: &str,
    password: &[u8],
    salt: &str,
    rounds: u32,
    show_rounds: bool,
) -> Option<String> {
    let count = usize::try_from(rounds).ok()?;
    let checksum = if magic == "$6$" {
        sha512_crypt_b64(password, salt.as_bytes(), &Sha512Params::new(count).ok()?).ok()?
    } else {
        sha256_crypt_b64(password, salt.as_bytes(), &Sha256Params::new(count).ok()?).ok()?
    };
    let rounds_field = if show_rounds {
        format!("rounds={rounds}$")
    } else {
        String::new()
    };
    Some(format!("{magic}{rounds_field}{salt}${checksum}"))
}

/// bcrypt: `$2a$`, `$2b$` or `$2y$`, a two-digit cost, 53 characters of salt
/// and checksum. `$2x$` (the buggy pre-2011 variant) is not supported.
pub(crate) fn verify_bcrypt(hash: &str, password: &[u8]) -> bool {
    let bytes = hash.as_bytes();
    let shaped = bytes.len() == 60
        && bytes.starts_with(b"$2")
        && matches!(bytes[2], b'a' | b'b' | b'y')
        && bytes[3] == b'$'
        && bytes[6] == b'$'
        && is_crypt64(&hash[7..]);
    if !shaped {
        return false;
    }
    match parse_decimal(&hash[4..6]) {
        Some(cost) if (MIN_BCRYPT_COST..=MAX_BCRYPT_COST).contains(&cost) => {
            bcrypt::verify(password, hash).unwrap_or(false)
        }
        _ => false,
    }
}

/// bcrypt with a fresh salt, written as `$2y$` like Dovecot's BLF-CRYPT.
/// Passwords longer than 72 bytes are cut, as every bcrypt does.
pub(crate) fn generate_bcrypt(password: &[u8], cost: u32) -> Option<String> {
    let cost = cost.clamp(MIN_BCRYPT_COST, MAX_BCRYPT_COST);
    let parts = bcrypt::hash_with_result(password, cost).ok()?;
    Some(parts.format_for_version(bcrypt::Version::TwoY))
}

/// Digits only: `u32::from_str` would also take a leading `+`.
fn parse_decimal(digits: &str) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_sample_vectors() {
        // Dovecot's own start-up self test (password-scheme-crypt.c).
        let password = b"08/15!test~4711";
        assert!(verify_any("JBOZ0DgmtucwE", password));
        assert!(verify_any(
            "$5$rounds=1000$0123456789abcdef$K/DksR0DT01hGc8g/kt9McEgrbFMKi9qrb1jehe7hn4",
            password
        ));
        assert!(verify_any(
            "$6$rounds=1000$0123456789abcdef$ZIAd5WqfyLkpvsVCVUU1GrvqaZTqvhJoouxdSqJO71l9Ld3tVrfOatEjarhghvEYADkq//LpDnTeO90tcbtHR1",
            password
        ));
        // DES reads only the first 8 bytes.
        assert!(verify_any("JBOZ0DgmtucwE", b"08/15!test~4712"));
        assert!(!verify_any("JBOZ0DgmtucwE", b"08/15!tEst~4711"));
    }

    #[test]
    fn refuses_expensive_or_odd_parameters() {
        let sha = "$5$rounds=99999999$0123456789abcdef$K/DksR0DT01hGc8g/kt9McEgrbFMKi9qrb1jehe7hn4";
        assert!(!verify_sha(sha, b"x"));
        assert!(!verify_sha("$5$rounds=+1000$salt$x", b"x"));
        assert!(!verify_sha("$5$rounds=999$salt$x", b"x"));
        let bcrypt = "$2y$31$......................21jzCB1r6pN6rp5O2Ev0ejjTAboskKm";
        assert!(!verify_bcrypt(bcrypt, b"x"));
        assert!(!verify_any("", b""));
        assert!(!verify_any("$1$", b""));
        assert!(!verify_any("$2y$", b""));
    }

    #[test]
    fn generated_hashes_verify() {
        let des = generate_des(b"secret").unwrap();
        assert!(verify_des(&des, b"secret") && !verify_des(&des, b"Secret"));
        let md5 = generate_md5(b"secret").unwrap();
        assert!(verify_md5(&md5, b"secret") && !verify_md5(&md5, b"secreT"));
        let sha = generate_sha(false, b"secret", 1000).unwrap();
        assert!(sha.starts_with("$5$rounds=1000$"));
        assert!(verify_sha(&sha, b"secret") && !verify_sha(&sha, b"secret!"));
    }
}
