//! LOGIN (draft-murchison-sasl-login): the server asks for the user name,
//! then the password. An initial response is taken as the user name, as
//! Dovecot and Postfix do.

use super::{Exchange, Next, ServerConfig, utf8, verified};
use crate::credentials::{Answer, CredentialRequest};
use crate::{AuthError, Identity, Secret};

/// The prompts most clients expect (they match on them or ignore them).
pub(crate) const USERNAME_PROMPT: &[u8] = b"Username:";
pub(crate) const PASSWORD_PROMPT: &[u8] = b"Password:";

#[derive(Debug, Default)]
pub(crate) struct Login {
    user: Option<String>,
}

impl Login {
    fn take_user(&mut self, data: &[u8]) -> Next {
        match utf8(data) {
            Ok(user) if !user.is_empty() => {
                self.user = Some(user.to_string());
                Next::Challenge(PASSWORD_PROMPT.to_vec())
            }
            Ok(_) => Next::Fail(AuthError::Malformed("empty LOGIN user name")),
            Err(error) => Next::Fail(error),
        }
    }
}

impl Exchange for Login {
    fn start(&mut self, _config: &ServerConfig, first: Option<&[u8]>) -> Next {
        match first {
            Some(user) => self.take_user(user),
            None => Next::Challenge(USERNAME_PROMPT.to_vec()),
        }
    }

    fn step(&mut self, _config: &ServerConfig, response: &[u8]) -> Next {
        match &self.user {
            None => self.take_user(response),
            Some(user) if !response.is_empty() => Next::Lookup(CredentialRequest::VerifyPassword {
                user: user.clone(),
                password: Secret::from(response),
            }),
            Some(_) => Next::Fail(AuthError::Malformed("empty LOGIN password")),
        }
    }

    fn resume(&mut self, _config: &ServerConfig, answer: Answer) -> Next {
        match (verified(answer), self.user.take()) {
            (Ok(true), Some(user)) => Next::Authenticated {
                identity: Identity::new(user),
                final_data: None,
            },
            (Ok(false), _) => Next::Fail(AuthError::AuthenticationFailed),
            (Err(error), _) => Next::Fail(error),
            (Ok(true), None) => Next::Fail(AuthError::UnexpectedStep),
        }
    }
}
