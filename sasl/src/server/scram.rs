//! SCRAM-SHA-1 and SCRAM-SHA-256, with and without channel binding
//! (RFC 5802, RFC 7677), on stored keys: the server never needs the password.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Exchange, Next, ServerConfig, utf8};
use crate::credentials::{Answer, CredentialRequest};
use crate::decoy;
use crate::scram::{
    CbFlag, Gs2Header, attributes, is_printable_nonce, new_nonce, unescape_saslname,
};
use crate::secret::constant_time_eq;
use crate::{AuthError, Identity, Mechanism, ScramCredentials, ScramHash};

#[derive(Debug)]
pub(crate) struct Scram {
    hash: ScramHash,
    plus: bool,
    state: State,
}

#[derive(Debug)]
enum State {
    Start,
    /// Waiting for the store's credentials.
    Lookup(ClientFirst),
    /// Server-first sent; waiting for client-final.
    ClientFinal {
        first: ClientFirst,
        server_first: String,
        nonce: String,
        creds: Credentials,
    },
    Done,
}

#[derive(Debug)]
struct ClientFirst {
    /// The GS2 header exactly as sent, for the `c=` check.
    gs2_raw: String,
    /// Channel-binding data the client bound to (empty unless `p=`).
    cb_data: Vec<u8>,
    authzid: Option<String>,
    user: String,
    bare: String,
    client_nonce: String,
}

/// Real credentials, or decoys for an unknown user so the exchange looks
/// the same until the proof fails.
#[derive(Debug)]
struct Credentials {
    keys: ScramCredentials,
    genuine: bool,
}

impl Scram {
    pub(crate) fn new(mechanism: Mechanism) -> Self {
        let (hash, plus) = mechanism.scram().unwrap_or((ScramHash::Sha256, false));
        Self {
            hash,
            plus,
            state: State::Start,
        }
    }

    fn client_first(
        &self,
        config: &ServerConfig,
        message: &[u8],
    ) -> Result<ClientFirst, AuthError> {
        let message = utf8(message)?;
        let (gs2, gs2_raw, bare) = Gs2Header::parse(message).map_err(AuthError::Malformed)?;
        let cb_data = match (&gs2.flag, self.plus) {
            (CbFlag::Bound(name), true) => config
                .channel_bindings
                .iter()
                .find(|binding| binding.name() == name)
                .map(|binding| binding.data().to_vec())
                .ok_or(AuthError::ChannelBinding)?,
            (CbFlag::Bound(_), false) => {
                return Err(AuthError::Malformed(
                    "channel binding requested without -PLUS",
                ));
            }
            (_, true) => return Err(AuthError::ChannelBinding),
            // The client could bind and believes we cannot: if we can, someone
            // stripped -PLUS from our mechanism list.
            (CbFlag::ServerUnsupported, false) if !config.channel_bindings.is_empty() => {
                return Err(AuthError::ChannelBinding);
            }
            _ => Vec::new(),
        };
        let mut attrs = attributes(bare);
        let user = match attrs.next() {
            Some(Ok((b'n', name))) => unescape_saslname(name).map_err(AuthError::Malformed)?,
            Some(Ok((b'm', _))) => {
                return Err(AuthError::Malformed("unsupported mandatory extension"));
            }
            _ => return Err(AuthError::Malformed("client-first needs n= first")),
        };
        let client_nonce = match attrs.next() {
            Some(Ok((b'r', nonce))) if is_printable_nonce(nonce) => nonce.to_string(),
            _ => return Err(AuthError::Malformed("client-first needs a nonce")),
        };
        if attrs.any(|attr| attr.is_err()) {
            return Err(AuthError::Malformed("bad client-first extension"));
        }
        if user.is_empty() {
            return Err(AuthError::Malformed("empty SCRAM user name"));
        }
        Ok(ClientFirst {
            gs2_raw: gs2_raw.to_string(),
            cb_data,
            authzid: gs2.authzid,
            user,
            bare: bare.to_string(),
            client_nonce,
        })
    }

    fn decoy(&self, user: &str) -> Credentials {
        Credentials {
            keys: decoy::scram_keys(self.hash, user),
            genuine: false,
        }
    }

    fn server_first(
        &mut self,
        config: &ServerConfig,
        first: ClientFirst,
        creds: Credentials,
    ) -> Next {
        let server_nonce = config.fixed_nonce.clone().unwrap_or_else(new_nonce);
        let nonce = format!("{}{}", first.client_nonce, server_nonce);
        let server_first = format!(
            "r={nonce},s={},i={}",
            STANDARD.encode(&creds.keys.salt),
            creds.keys.iterations
        );
        let challenge = server_first.clone().into_bytes();
        self.state = State::ClientFinal {
            first,
            server_first,
            nonce,
            creds,
        };
        Next::Challenge(challenge)
    }

    fn client_final(
        &self,
        message: &[u8],
        first: &ClientFirst,
        server_first: &str,
        nonce: &str,
        creds: &Credentials,
    ) -> Result<Next, AuthError> {
        let message = utf8(message)?;
        let (without_proof, proof) = message
            .rsplit_once(",p=")
            .ok_or(AuthError::Malformed("client-final needs p="))?;
        let mut attrs = attributes(without_proof);
        let binding = match attrs.next() {
            Some(Ok((b'c', value))) => STANDARD
                .decode(value)
                .map_err(|_| AuthError::Malformed("bad channel-binding base64"))?,
            _ => return Err(AuthError::Malformed("client-final needs c= first")),
        };
        match attrs.next() {
            Some(Ok((b'r', value))) if value == nonce => {}
            Some(Ok((b'r', _))) => return Err(AuthError::Malformed("nonce mismatch")),
            _ => return Err(AuthError::Malformed("client-final needs r= second")),
        }
        if attrs.any(|attr| attr.is_err()) {
            return Err(AuthError::Malformed("bad client-final extension"));
        }
        let mut expected_binding = first.gs2_raw.as_bytes().to_vec();
        expected_binding.extend_from_slice(&first.cb_data);
        if !constant_time_eq(&binding, &expected_binding) {
            return Err(AuthError::ChannelBinding);
        }
        let proof = STANDARD
            .decode(proof)
            .map_err(|_| AuthError::Malformed("bad proof base64"))?;
        let keys = &creds.keys;
        if proof.len() != self.hash.output_len() {
            return Err(AuthError::Malformed("proof has the wrong length"));
        }
        let auth_message = format!("{},{server_first},{without_proof}", first.bare);
        let signature = self.hash.hmac(&keys.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(p, s)| p ^ s).collect();
        let matches = constant_time_eq(&self.hash.hash(&client_key), &keys.stored_key);
        if !(matches && creds.genuine) {
            return Err(AuthError::AuthenticationFailed);
        }
        let server_signature = self.hash.hmac(&keys.server_key, auth_message.as_bytes());
        let mut identity = Identity::new(first.user.clone());
        identity.requested_authorization_id = first.authzid.clone();
        Ok(Next::Authenticated {
            identity,
            final_data: Some(format!("v={}", STANDARD.encode(server_signature)).into_bytes()),
        })
    }
}

impl Exchange for Scram {
    fn start(&mut self, config: &ServerConfig, first: Option<&[u8]>) -> Next {
        match self.client_first(config, first.unwrap_or_default()) {
            Ok(first) => {
                let request = CredentialRequest::ScramCredentials {
                    user: first.user.clone(),
                    hash: self.hash,
                };
                self.state = State::Lookup(first);
                Next::Lookup(request)
            }
            Err(error) => Next::Fail(error),
        }
    }

    fn step(&mut self, _config: &ServerConfig, response: &[u8]) -> Next {
        let State::ClientFinal {
            first,
            server_first,
            nonce,
            creds,
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            return Next::Fail(AuthError::UnexpectedStep);
        };
        self.client_final(response, &first, &server_first, &nonce, &creds)
            .unwrap_or_else(Next::Fail)
    }

    fn resume(&mut self, config: &ServerConfig, answer: Answer) -> Next {
        let State::Lookup(first) = std::mem::replace(&mut self.state, State::Done) else {
            return Next::Fail(AuthError::UnexpectedStep);
        };
        let creds = match answer {
            Answer::Scram(Some(keys))
                if keys.hash == self.hash
                    && keys.iterations > 0
                    && keys.stored_key.len() == self.hash.output_len() =>
            {
                Credentials {
                    keys,
                    genuine: true,
                }
            }
            Answer::Scram(_) => self.decoy(&first.user),
            Answer::Unavailable => return Next::Fail(AuthError::Temporary),
            _ => return Next::Fail(AuthError::UnexpectedStep),
        };
        self.server_first(config, first, creds)
    }
}
