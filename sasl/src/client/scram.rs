//! The SCRAM client (RFC 5802 §3): client-first, client-final with proof,
//! and verification of the server's signature.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::ClientConfig;
use crate::scram::{CbFlag, Gs2Header, attributes, escape_saslname, is_printable_nonce, new_nonce};
use crate::secret::constant_time_eq;
use crate::{
    ClientError, MAX_SCRAM_ITERATIONS, Mechanism, ScramCredentials, ScramHash, Secret,
    normalize_password,
};

#[derive(Debug)]
pub(crate) struct ScramClient {
    hash: ScramHash,
    password: Secret,
    gs2_header: String,
    cb_data: Vec<u8>,
    client_nonce: String,
    client_first_bare: String,
    state: State,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Initial,
    SentFirst,
    /// Sent the proof; expecting `v=` with this signature.
    SentFinal {
        server_signature: Secret,
    },
    Verified,
    Failed,
}

impl ScramClient {
    pub(crate) fn new(mechanism: Mechanism, config: &ClientConfig) -> Result<Self, ClientError> {
        let Some((hash, plus)) = mechanism.scram() else {
            return Err(ClientError::MissingCredentials("a SCRAM mechanism"));
        };
        let password = config.require_password()?.clone();
        let (flag, cb_data) = match (&config.channel_binding, plus) {
            (Some(binding), true) => (
                CbFlag::Bound(binding.name().to_string()),
                binding.data().to_vec(),
            ),
            (None, true) => return Err(ClientError::MissingCredentials("channel-binding data")),
            (Some(_), false) => (CbFlag::ServerUnsupported, Vec::new()),
            (None, false) => (CbFlag::ClientUnsupported, Vec::new()),
        };
        let gs2_header = Gs2Header {
            flag,
            authzid: config.authzid.clone(),
        }
        .render();
        let client_nonce = config.fixed_nonce.clone().unwrap_or_else(new_nonce);
        // RFC 5802 §5.1: the client SHOULD SASLprep the user name, as GNU
        // gsasl does; a name SASLprep refuses or maps to nothing goes as is.
        let user = match stringprep::saslprep(&config.user) {
            Ok(prepared) if !prepared.is_empty() => prepared,
            _ => config.user.as_str().into(),
        };
        let client_first_bare = format!("n={},r={client_nonce}", escape_saslname(&user));
        Ok(Self {
            hash,
            password,
            gs2_header,
            cb_data,
            client_nonce,
            client_first_bare,
            state: State::Initial,
        })
    }

    pub(crate) fn client_first(&mut self) -> Option<Vec<u8>> {
        if self.state != State::Initial {
            return None;
        }
        self.state = State::SentFirst;
        Some(format!("{}{}", self.gs2_header, self.client_first_bare).into_bytes())
    }

    pub(crate) fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Initial if challenge.is_empty() => {
                self.state = State::Initial;
                Ok(self.client_first().unwrap_or_default())
            }
            State::SentFirst => self.client_final(challenge),
            State::SentFinal { server_signature } => {
                self.verify(challenge, server_signature.as_bytes())?;
                Ok(Vec::new())
            }
            _ => Err(ClientError::UnexpectedChallenge),
        }
    }

    pub(crate) fn finish(&mut self, additional: Option<&[u8]>) -> Result<(), ClientError> {
        match (
            std::mem::replace(&mut self.state, State::Failed),
            additional,
        ) {
            (State::SentFinal { server_signature }, Some(data)) => {
                self.verify(data, server_signature.as_bytes())
            }
            (State::Verified, None) => {
                self.state = State::Verified;
                Ok(())
            }
            (State::Verified, Some(_)) => Err(ClientError::UnexpectedChallenge),
            _ => Err(ClientError::ServerNotAuthenticated),
        }
    }

    fn client_final(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        let server_first =
            std::str::from_utf8(challenge).map_err(|_| ClientError::Malformed("not UTF-8"))?;
        let mut attrs = attributes(server_first);
        let nonce = match attrs.next() {
            Some(Ok((b'r', nonce))) => nonce,
            Some(Ok((b'e', error))) => return Err(ClientError::ServerError(error.to_string())),
            _ => return Err(ClientError::Malformed("server-first needs r= first")),
        };
        if !nonce.starts_with(&self.client_nonce)
            || nonce.len() == self.client_nonce.len()
            || !is_printable_nonce(nonce)
        {
            return Err(ClientError::ServerNotAuthenticated);
        }
        let salt = match attrs.next() {
            Some(Ok((b's', salt))) => STANDARD
                .decode(salt)
                .map_err(|_| ClientError::Malformed("bad salt"))?,
            _ => return Err(ClientError::Malformed("server-first needs s= second")),
        };
        let iterations: u32 = match attrs.next() {
            Some(Ok((b'i', count))) => count
                .parse()
                .map_err(|_| ClientError::Malformed("bad iteration count"))?,
            _ => return Err(ClientError::Malformed("server-first needs i= third")),
        };
        if !(1..=MAX_SCRAM_ITERATIONS).contains(&iterations) {
            return Err(ClientError::IterationCount);
        }
        let mut binding = self.gs2_header.as_bytes().to_vec();
        binding.extend_from_slice(&self.cb_data);
        let without_proof = format!("c={},r={nonce}", STANDARD.encode(binding));
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);

        let hash = self.hash;
        let salted = hash.salted_password(
            &normalize_password(self.password.as_bytes()),
            &salt,
            iterations,
        );
        // The keys a server stores, derived the one way the crate derives them.
        let keys = ScramCredentials::from_salted_password(hash, &salted, &salt, iterations);
        let client_key = hash.hmac(&salted, b"Client Key");
        let client_signature = hash.hmac(&keys.stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_signature = hash.hmac(&keys.server_key, auth_message.as_bytes());

        self.state = State::SentFinal {
            server_signature: Secret::from(server_signature),
        };
        Ok(format!("{without_proof},p={}", STANDARD.encode(proof)).into_bytes())
    }

    fn verify(&mut self, server_final: &[u8], expected: &[u8]) -> Result<(), ClientError> {
        let text =
            std::str::from_utf8(server_final).map_err(|_| ClientError::Malformed("not UTF-8"))?;
        match attributes(text).next() {
            Some(Ok((b'v', signature))) => {
                let signature = STANDARD
                    .decode(signature)
                    .map_err(|_| ClientError::Malformed("bad signature base64"))?;
                if constant_time_eq(&signature, expected) {
                    self.state = State::Verified;
                    Ok(())
                } else {
                    Err(ClientError::ServerNotAuthenticated)
                }
            }
            Some(Ok((b'e', error))) => Err(ClientError::ServerError(error.to_string())),
            _ => Err(ClientError::Malformed("server-final needs v= or e=")),
        }
    }
}
