//! ARGON2I and ARGON2ID: PHC strings as libsodium writes and Dovecot reads
//! them, `$argon2id$v=19$m=65536,t=3,p=1$salt$hash`.

use argon2::password_hash::{PasswordHash as Phc, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, Version};
use rand::RngCore;

use crate::secret::constant_time_eq;

/// Largest memory cost verified, in KiB (1 GiB, libsodium's "sensitive").
pub(crate) const MAX_MEMORY_KIB: u32 = 1024 * 1024;
/// Largest total work verified, memory × passes, in KiB: libsodium's
/// "sensitive" presets (1 GiB × 4 for Argon2id, 512 MiB × 8 for Argon2i)
/// and everything cheaper, nothing that could pin a CPU for minutes.
const MAX_WORK_KIB: u64 = 4 * 1024 * 1024;
/// Lanes beyond this are refused; nobody stores more.
const MAX_LANES: u32 = 64;

/// Parameters of newly generated hashes: libsodium's "interactive" limits,
/// exactly what `doveadm pw -s ARGON2ID` / `-s ARGON2I` write.
pub(crate) fn default_params(algorithm: Algorithm) -> (u32, u32) {
    match algorithm {
        // (memory KiB, passes); libsodium forces at least 3 passes for id.
        Algorithm::Argon2id => (64 * 1024, 3),
        _ => (32 * 1024, 4),
    }
}

/// Checks a PHC string. Dovecot hands both schemes to libsodium's
/// `crypto_pwhash_str_verify`, which accepts Argon2i and Argon2id alike
/// (but not Argon2d), so this does too.
pub(crate) fn verify(phc: &str, password: &[u8]) -> bool {
    let Ok(parsed) = Phc::new(phc) else {
        return false;
    };
    let algorithm = match parsed.algorithm.as_str() {
        "argon2i" => Algorithm::Argon2i,
        "argon2id" => Algorithm::Argon2id,
        _ => return false,
    };
    // The reference implementation reads a missing `v=` as version 1.0.
    let version = match parsed.version {
        None | Some(0x10) => Version::V0x10,
        Some(0x13) => Version::V0x13,
        Some(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let work = u64::from(params.m_cost()) * u64::from(params.t_cost());
    if params.m_cost() > MAX_MEMORY_KIB || work > MAX_WORK_KIB || params.p_cost() > MAX_LANES {
        return false;
    }
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into(password, salt, &mut output)
        .is_ok()
        && constant_time_eq(&output, expected.as_bytes())
}

/// A fresh hash with a 16-byte salt and 32-byte output, as libsodium's.
/// `passes` of 0 means the default for the algorithm.
pub(crate) fn generate(algorithm: Algorithm, password: &[u8], passes: u32) -> Option<String> {
    let (memory, default_passes) = default_params(algorithm);
    let passes = if passes == 0 { default_passes } else { passes };
    let passes = passes.clamp(default_passes, (MAX_WORK_KIB / u64::from(memory)) as u32);
    let params = Params::new(memory, passes, 1, Some(32)).ok()?;
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).ok()?;
    let hash = Argon2::new(algorithm, Version::V0x13, params)
        .hash_password(password, &salt)
        .ok()?;
    Some(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_absurd_costs() {
        let salt = "c29tZXNhbHQ";
        let hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for params in [
            "m=2097152,t=1,p=1",
            "m=1048576,t=5,p=1",
            "m=65536,t=1,p=100",
        ] {
            assert!(!verify(
                &format!("$argon2id$v=19${params}${salt}${hash}"),
                b""
            ));
        }
        assert!(!verify(
            "$argon2d$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
            b""
        ));
        assert!(!verify("$argon2id$", b""));
    }

    #[test]
    fn reference_vector_without_version_is_v10() {
        // From the Argon2 reference implementation's test suite (version 0x10).
        let phc = "$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY";
        assert!(verify(phc, b"password"));
        assert!(!verify(phc, b"passwore"));
        assert!(verify(&phc.replace("$m=", "$v=16$m="), b"password"));
        assert!(!verify(&phc.replace("$m=", "$v=19$m="), b"password"));
    }
}
