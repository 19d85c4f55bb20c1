//! SCRAM-SHA-1 and SCRAM-SHA-256 stored keys in Dovecot's format
//! (`password-scheme-scram.c`): `iterations,salt,StoredKey,ServerKey`, the
//! count in decimal and the other three fields in padded standard base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use super::encoding::decode_base64;
use crate::secret::constant_time_eq;
use crate::{
    DEFAULT_SCRAM_ITERATIONS, MAX_SCRAM_ITERATIONS, ScramCredentials, ScramHash, normalize_password,
};

/// Dovecot refuses stored counts below 4096 (RFC 7677's floor), so do we.
pub(crate) const MIN_ITERATIONS: u32 = 4096;
/// Salt length of newly generated keys, as Dovecot's.
pub(crate) const SALT_LEN: usize = 16;

/// Parses the four fields; `None` for anything Dovecot would call an
/// invalid passdb entry, or a count above [`MAX_SCRAM_ITERATIONS`].
pub(crate) fn parse(hash: ScramHash, data: &[u8]) -> Option<ScramCredentials> {
    let text = std::str::from_utf8(data).ok()?;
    let mut fields = text.split(',');
    let (Some(count), Some(salt), Some(stored), Some(server), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let iterations: u32 = count.parse().ok()?;
    if !(MIN_ITERATIONS..=MAX_SCRAM_ITERATIONS).contains(&iterations) {
        return None;
    }
    let salt = decode_base64(salt)?;
    let stored_key = decode_base64(stored)?;
    let server_key = decode_base64(server)?;
    if stored_key.len() != hash.output_len() || server_key.len() != hash.output_len() {
        return None;
    }
    Some(ScramCredentials {
        hash,
        iterations,
        salt,
        stored_key,
        server_key,
    })
}

/// Writes stored keys in Dovecot's format.
pub(crate) fn format(creds: &ScramCredentials) -> String {
    format!(
        "{},{},{},{}",
        creds.iterations,
        STANDARD.encode(&creds.salt),
        STANDARD.encode(&creds.stored_key),
        STANDARD.encode(&creds.server_key)
    )
}

/// Fresh keys with a random 16-byte salt. The password is SASLprepped
/// (RFC 5802 §2.2) so RFC clients can log in with SCRAM; for ASCII and most
/// other passwords that is byte-for-byte what Dovecot derives.
pub(crate) fn generate(hash: ScramHash, password: &[u8], iterations: u32) -> ScramCredentials {
    let iterations = match iterations {
        0 => DEFAULT_SCRAM_ITERATIONS,
        n => n.clamp(MIN_ITERATIONS, MAX_SCRAM_ITERATIONS),
    };
    let mut salt = [0u8; SALT_LEN];
    rand::thread_rng().fill_bytes(&mut salt);
    ScramCredentials::derive(hash, password, &salt, iterations)
}

/// Checks a password against stored keys by recomputing `StoredKey`.
///
/// Dovecot derives from the raw password bytes (its source has a FIXME
/// about SASLprep) while RFC clients and [`generate`] use the SASLprepped
/// form; both are tried so keys from either side verify.
pub(crate) fn verify(creds: &ScramCredentials, password: &[u8]) -> bool {
    let matches = |candidate: &[u8]| {
        let salted = creds
            .hash
            .salted_password(candidate, &creds.salt, creds.iterations);
        let client_key = creds.hash.hmac(&salted, b"Client Key");
        constant_time_eq(&creds.hash.hash(&client_key), &creds.stored_key)
    };
    let prepared = normalize_password(password);
    matches(password) || (prepared != password && matches(&prepared))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dovecot_format_round_trips() {
        let creds = generate(ScramHash::Sha256, b"pencil", 4096);
        let text = format(&creds);
        assert_eq!(text.split(',').count(), 4);
        let back = parse(ScramHash::Sha256, text.as_bytes()).unwrap();
        assert_eq!(back, creds);
        assert!(verify(&back, b"pencil"));
        assert!(!verify(&back, b"pencil2"));
        // SHA-1 keys are 20 bytes, so SHA-256 data is not SHA-1 data.
        assert!(parse(ScramHash::Sha1, text.as_bytes()).is_none());
    }

    #[test]
    fn refuses_what_dovecot_refuses() {
        let key = STANDARD.encode([0u8; 20]);
        for bad in [
            format!("4095,AAAA,{key},{key}"),
            format!("+4096,AAAA,{key},{key}"),
            format!("4096,AAAA,{key}"),
            format!("4096,AAAA,{key},{key},"),
            format!("4096,AAAA,{key},AAAA"),
            format!("99999999999,AAAA,{key},{key}"),
        ] {
            assert!(parse(ScramHash::Sha1, bad.as_bytes()).is_none(), "{bad}");
        }
        assert!(parse(ScramHash::Sha1, format!("4096,AAAA,{key},{key}").as_bytes()).is_some());
    }
}
