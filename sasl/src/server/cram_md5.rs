//! CRAM-MD5 (RFC 2195): the server sends a unique challenge, the client
//! answers `user HEX(HMAC-MD5(password, challenge))`.

use hmac::{Hmac, Mac};
use md5::Md5;
use rand::RngCore;

use super::{Exchange, Next, ServerConfig, utf8};
use crate::credentials::{Answer, CredentialRequest};
use crate::secret::constant_time_eq;
use crate::{AuthError, Identity};

/// (Not `Debug`-derived: challenge and digest together allow an offline
/// dictionary attack on the password.)
#[derive(Default)]
pub(crate) struct CramMd5 {
    challenge: Vec<u8>,
    user: Option<String>,
    digest: Vec<u8>,
}

impl std::fmt::Debug for CramMd5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CramMd5")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// `HMAC-MD5(key, challenge)` in lower-case hex, as both sides compute it.
pub(crate) fn cram_md5_digest(key: &[u8], challenge: &[u8]) -> String {
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(challenge);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl Exchange for CramMd5 {
    fn start(&mut self, config: &ServerConfig, first: Option<&[u8]>) -> Next {
        if first.is_some() {
            return Next::Fail(AuthError::Malformed("CRAM-MD5 takes no initial response"));
        }
        self.challenge = match &config.fixed_nonce {
            Some(fixed) => fixed.as_bytes().to_vec(),
            None => {
                let random = rand::thread_rng().next_u64();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.as_secs())
                    .unwrap_or_default();
                format!("<{random}.{now}@{}>", config.hostname).into_bytes()
            }
        };
        Next::Challenge(self.challenge.clone())
    }

    fn step(&mut self, _config: &ServerConfig, response: &[u8]) -> Next {
        if self.user.is_some() {
            return Next::Fail(AuthError::UnexpectedStep);
        }
        let response = match utf8(response) {
            Ok(response) => response,
            Err(error) => return Next::Fail(error),
        };
        // The user name may contain spaces; the digest is the last word.
        let Some((user, digest)) = response.rsplit_once(' ') else {
            return Next::Fail(AuthError::Malformed(
                "CRAM-MD5 response needs a user and a digest",
            ));
        };
        if user.is_empty() || digest.len() != 32 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Next::Fail(AuthError::Malformed("bad CRAM-MD5 response"));
        }
        self.user = Some(user.to_string());
        self.digest = digest.to_ascii_lowercase().into_bytes();
        Next::Lookup(CredentialRequest::PlaintextPassword {
            user: user.to_string(),
        })
    }

    fn resume(&mut self, _config: &ServerConfig, answer: Answer) -> Next {
        let password = match answer {
            Answer::Plaintext(password) => password,
            Answer::Unavailable => return Next::Fail(AuthError::Temporary),
            _ => return Next::Fail(AuthError::UnexpectedStep),
        };
        let (Some(user), Some(password)) = (self.user.take(), password) else {
            return Next::Fail(AuthError::AuthenticationFailed);
        };
        let expected = cram_md5_digest(password.as_bytes(), &self.challenge);
        if constant_time_eq(expected.as_bytes(), &self.digest) {
            Next::Authenticated {
                identity: Identity::new(user),
                final_data: None,
            }
        } else {
            Next::Fail(AuthError::AuthenticationFailed)
        }
    }
}
