//! PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`.

use super::{Exchange, Next, ServerConfig, utf8, verified};
use crate::credentials::{Answer, CredentialRequest};
use crate::{AuthError, Identity, Secret};

#[derive(Debug)]
pub(crate) struct Plain {
    pending: Option<Identity>,
}

impl Plain {
    pub(crate) fn new() -> Self {
        Self { pending: None }
    }
}

impl Exchange for Plain {
    fn start(&mut self, _config: &ServerConfig, first: Option<&[u8]>) -> Next {
        let message = first.unwrap_or_default();
        let mut fields = message.split(|&byte| byte == 0);
        let (Some(authzid), Some(authcid), Some(password), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Next::Fail(AuthError::Malformed("PLAIN needs exactly three fields"));
        };
        let (authzid, authcid) = match (utf8(authzid), utf8(authcid), utf8(password)) {
            (Ok(authzid), Ok(authcid), Ok(_)) => (authzid, authcid),
            _ => return Next::Fail(AuthError::Malformed("PLAIN fields must be UTF-8")),
        };
        if authcid.is_empty() || password.is_empty() {
            return Next::Fail(AuthError::Malformed("empty PLAIN user or password"));
        }
        let mut identity = Identity::new(authcid.to_string());
        identity.requested_authorization_id = (!authzid.is_empty()).then(|| authzid.to_string());
        self.pending = Some(identity);
        Next::Lookup(CredentialRequest::VerifyPassword {
            user: authcid.to_string(),
            password: Secret::from(password),
        })
    }

    fn step(&mut self, _config: &ServerConfig, _response: &[u8]) -> Next {
        Next::Fail(AuthError::UnexpectedStep)
    }

    fn resume(&mut self, _config: &ServerConfig, answer: Answer) -> Next {
        match (verified(answer), self.pending.take()) {
            (Ok(true), Some(identity)) => Next::Authenticated {
                identity,
                final_data: None,
            },
            (Ok(false), _) => Next::Fail(AuthError::AuthenticationFailed),
            (Err(error), _) => Next::Fail(error),
            (Ok(true), None) => Next::Fail(AuthError::UnexpectedStep),
        }
    }
}
