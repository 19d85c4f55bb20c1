//! ANONYMOUS (RFC 4505): optional trace information, no credentials.

use super::{Exchange, Next, ServerConfig, utf8};
use crate::credentials::Answer;
use crate::{AuthError, Identity};

/// RFC 4505 §2: trace information is at most 255 characters.
const MAX_TRACE_CHARS: usize = 255;

#[derive(Debug)]
pub(crate) struct Anonymous;

impl Exchange for Anonymous {
    fn start(&mut self, config: &ServerConfig, first: Option<&[u8]>) -> Next {
        if !config.allow_anonymous {
            return Next::Fail(AuthError::Unavailable);
        }
        let trace = match utf8(first.unwrap_or_default()) {
            Ok(trace) if trace.chars().count() <= MAX_TRACE_CHARS => trace,
            Ok(_) => return Next::Fail(AuthError::Malformed("ANONYMOUS trace too long")),
            Err(error) => return Next::Fail(error),
        };
        let mut identity = Identity::new("anonymous".to_string());
        identity.trace = (!trace.is_empty()).then(|| trace.to_string());
        Next::Authenticated {
            identity,
            final_data: None,
        }
    }

    fn step(&mut self, _config: &ServerConfig, _response: &[u8]) -> Next {
        Next::Fail(AuthError::UnexpectedStep)
    }

    fn resume(&mut self, _config: &ServerConfig, _answer: Answer) -> Next {
        Next::Fail(AuthError::UnexpectedStep)
    }
}
