//! Decoy work for unknown users, so response time does not tell a client
//! which users exist.
//!
//! The decoy mimics the last real credential this process looked at: a
//! store's users are nearly always in one scheme, so an unknown user costs
//! what a known one does — no more, so unknown names are no cheaper way to
//! make the server burn CPU or memory than known ones. Protocol servers
//! should still delay every failure by the same amount, as Dovecot's
//! `auth_failure_delay` does.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use rand::RngCore;

use crate::password::{PasswordHash, Scheme};
use crate::scram::per_user_salt;
use crate::{DEFAULT_SCRAM_ITERATIONS, ScramCredentials, ScramHash};

static LAST_SCHEME: Mutex<Option<Scheme>> = Mutex::new(None);

/// Remembers the scheme of a real user's stored password.
pub(crate) fn note_scheme(scheme: Scheme) {
    if let Ok(mut last) = LAST_SCHEME.lock() {
        *last = Some(scheme);
    }
}

fn last_scheme() -> Option<Scheme> {
    LAST_SCHEME.lock().ok().and_then(|last| *last)
}

/// Verifies `password` against a decoy hash in the last real user's scheme.
pub(crate) fn verify_like_a_real_user(password: &[u8]) {
    if let Some(decoy) = last_scheme().and_then(decoy_hash) {
        decoy.verify(password);
    }
}

/// Derives SCRAM keys for nobody when real users' keys are derived from
/// plaintexts on every attempt (stored keys cost nothing to fetch).
pub(crate) fn derive_like_a_real_user(hash: ScramHash, user: &str) {
    if last_scheme() == Some(Scheme::Plain) {
        ScramCredentials::derive(
            hash,
            &random_password(),
            &per_user_salt(hash, user),
            DEFAULT_SCRAM_ITERATIONS,
        );
    }
}

/// Keys that can never verify, with a stable per-user salt and the default
/// iteration count (Dovecot's too), made without key stretching.
pub(crate) fn scram_keys(hash: ScramHash, user: &str) -> ScramCredentials {
    let mut key = vec![0u8; hash.output_len()];
    rand::thread_rng().fill_bytes(&mut key);
    ScramCredentials {
        hash,
        iterations: DEFAULT_SCRAM_ITERATIONS,
        salt: per_user_salt(hash, user),
        stored_key: hash.hash(&key),
        server_key: key,
    }
}

fn decoy_hash(scheme: Scheme) -> Option<PasswordHash> {
    static DECOYS: OnceLock<Mutex<HashMap<Scheme, PasswordHash>>> = OnceLock::new();
    let mut decoys = DECOYS.get_or_init(Default::default).lock().ok()?;
    if let Some(decoy) = decoys.get(&scheme) {
        return Some(decoy.clone());
    }
    let decoy = PasswordHash::generate(scheme, &random_password()).ok()?;
    decoys.insert(scheme, decoy.clone());
    Some(decoy)
}

fn random_password() -> [u8; 16] {
    let mut password = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut password);
    password
}
