//! OAUTHBEARER (RFC 7628) and XOAUTH2: the client presents a bearer token,
//! the store says whose it is. A refused token is answered with a JSON error
//! challenge; the client acknowledges (`^A` for OAUTHBEARER, an empty
//! response for XOAUTH2) and the exchange fails.

use super::{Exchange, Next, ServerConfig, user_answer};
use crate::credentials::{Answer, CredentialRequest};
use crate::oauth::{BearerMessage, error_json, parse_oauthbearer, parse_xoauth2};
use crate::{AuthError, Identity, Secret};

#[derive(Debug)]
pub(crate) struct Bearer {
    parse: fn(&[u8]) -> Result<BearerMessage, &'static str>,
    /// The client's acknowledgement of an error challenge.
    error_ack: &'static [u8],
    /// The error JSON's status: RFC 7628's `invalid_token`, Google's `400`.
    error_status: &'static str,
    user: Option<String>,
    refused: bool,
}

impl Bearer {
    pub(crate) fn oauthbearer() -> Self {
        Self {
            parse: parse_oauthbearer,
            error_ack: b"\x01",
            error_status: "invalid_token",
            user: None,
            refused: false,
        }
    }

    pub(crate) fn xoauth2() -> Self {
        Self {
            parse: parse_xoauth2,
            error_ack: b"",
            error_status: "400",
            user: None,
            refused: false,
        }
    }

    fn refuse(&mut self, config: &ServerConfig) -> Next {
        self.refused = true;
        Next::Challenge(error_json(
            self.error_status,
            config.openid_configuration.as_deref(),
        ))
    }
}

impl Exchange for Bearer {
    fn start(&mut self, _config: &ServerConfig, first: Option<&[u8]>) -> Next {
        match (self.parse)(first.unwrap_or_default()) {
            Ok(message) => {
                self.user = message.user.clone();
                Next::Lookup(CredentialRequest::ValidateToken {
                    user: message.user,
                    token: Secret::from(message.token),
                })
            }
            Err(reason) => Next::Fail(AuthError::Malformed(reason)),
        }
    }

    fn step(&mut self, _config: &ServerConfig, response: &[u8]) -> Next {
        if !self.refused {
            return Next::Fail(AuthError::UnexpectedStep);
        }
        if response == self.error_ack {
            Next::Fail(AuthError::AuthenticationFailed)
        } else {
            Next::Fail(AuthError::Malformed("expected the error acknowledgement"))
        }
    }

    fn resume(&mut self, config: &ServerConfig, answer: Answer) -> Next {
        match user_answer(answer) {
            Ok(Some(owner)) => {
                let mut identity = Identity::new(owner);
                identity.requested_authorization_id = self.user.take();
                Next::Authenticated {
                    identity,
                    final_data: None,
                }
            }
            Ok(None) => self.refuse(config),
            Err(error) => Next::Fail(error),
        }
    }
}
