//! EXTERNAL (RFC 4422 appendix A): the client is who the TLS layer (or
//! another outer layer) says it is; its message is an optional
//! authorization identity.

use super::{Exchange, Next, ServerConfig, user_answer, utf8};
use crate::credentials::{Answer, CredentialRequest};
use crate::{AuthError, Identity};

#[derive(Debug)]
pub(crate) struct External;

impl Exchange for External {
    fn start(&mut self, config: &ServerConfig, first: Option<&[u8]>) -> Next {
        let Some(external) = &config.external_identity else {
            return Next::Fail(AuthError::Unavailable);
        };
        let requested = match utf8(first.unwrap_or_default()) {
            Ok(requested) => (!requested.is_empty()).then(|| requested.to_string()),
            Err(error) => return Next::Fail(error),
        };
        Next::Lookup(CredentialRequest::MapExternal {
            external: external.clone(),
            requested,
        })
    }

    fn step(&mut self, _config: &ServerConfig, _response: &[u8]) -> Next {
        Next::Fail(AuthError::UnexpectedStep)
    }

    fn resume(&mut self, _config: &ServerConfig, answer: Answer) -> Next {
        match user_answer(answer) {
            Ok(Some(user)) => Next::Authenticated {
                identity: Identity::new(user),
                final_data: None,
            },
            Ok(None) => Next::Fail(AuthError::AuthenticationFailed),
            Err(error) => Next::Fail(error),
        }
    }
}
