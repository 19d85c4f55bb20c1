//! Status responses: `+OK` / `-ERR`, an optional response code, text.
//!
//! ```
//! use bytes::BytesMut;
//! use pop3_proto::{RespCode, Response};
//!
//! let mut out = BytesMut::new();
//! Response::err(Some(RespCode::InUse), "Maildrop already locked").encode(&mut out);
//! assert_eq!(&out[..], b"-ERR [IN-USE] Maildrop already locked\r\n");
//!
//! let parsed = Response::parse(b"+OK 2 320").unwrap();
//! assert!(parsed.is_ok());
//! assert_eq!(parsed.text(), "2 320");
//! ```

use bytes::BytesMut;

use crate::resp_code::RespCode;

/// `+OK` or `-ERR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `+OK`
    Ok,
    /// `-ERR`
    Err,
}

/// A status response line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: Status,
    code: Option<RespCode>,
    text: String,
}

/// A line that is not a status response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The line starts with neither `+OK` nor `-ERR`.
    #[error("not a POP3 status line")]
    NoStatus,
    /// The status is followed by something other than a space.
    #[error("no space after the status indicator")]
    NoSpace,
    /// A `[` opens a response code that is malformed or unterminated.
    #[error("malformed response code")]
    BadCode,
    /// The line is not UTF-8.
    #[error("response is not UTF-8")]
    NotUtf8,
}

impl Response {
    /// A response. CR and LF in `text` are replaced by spaces, so a
    /// response is always one line.
    pub fn new(status: Status, code: Option<RespCode>, text: impl Into<String>) -> Self {
        let mut text = text.into();
        if text.contains(['\r', '\n']) {
            text = text.replace(['\r', '\n'], " ");
        }
        Self { status, code, text }
    }

    /// `+OK text`.
    pub fn ok(text: impl Into<String>) -> Self {
        Self::new(Status::Ok, None, text)
    }

    /// `-ERR [code] text`.
    pub fn err(code: Option<RespCode>, text: impl Into<String>) -> Self {
        Self::new(Status::Err, code, text)
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the status is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The response code, if any.
    pub fn code(&self) -> Option<&RespCode> {
        self.code.as_ref()
    }

    /// The text after the status and code.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Appends the line, CRLF included.
    pub fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(match self.status {
            Status::Ok => b"+OK",
            Status::Err => b"-ERR",
        });
        if let Some(code) = &self.code {
            out.extend_from_slice(b" [");
            out.extend_from_slice(code.as_str().as_bytes());
            out.extend_from_slice(b"]");
        }
        if !self.text.is_empty() {
            out.extend_from_slice(b" ");
            out.extend_from_slice(self.text.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Parses a status line (without or with its CRLF). A `[` right after
    /// the status starts a response code (RFC 2449 §8).
    pub fn parse(line: &[u8]) -> Result<Self, ResponseError> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|_| ResponseError::NotUtf8)?;
        let (status, rest) = if let Some(rest) = strip_prefix_ci(line, "+OK") {
            (Status::Ok, rest)
        } else if let Some(rest) = strip_prefix_ci(line, "-ERR") {
            (Status::Err, rest)
        } else {
            return Err(ResponseError::NoStatus);
        };
        if rest.is_empty() {
            return Ok(Self::new(status, None, ""));
        }
        let rest = rest.strip_prefix(' ').ok_or(ResponseError::NoSpace)?;
        let (code, text) = match rest.strip_prefix('[') {
            Some(coded) => {
                let (code, text) = coded.split_once(']').ok_or(ResponseError::BadCode)?;
                let code = code.parse().map_err(|_| ResponseError::BadCode)?;
                (Some(code), text.strip_prefix(' ').unwrap_or(text))
            }
            None => (None, rest),
        };
        Ok(Self::new(status, code, text))
    }
}

fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
}

/// Appends a SASL challenge line (RFC 5034 §4): `+ ` and the base64 form
/// (an empty challenge is `+ ` alone).
pub fn encode_challenge(challenge: &[u8], out: &mut BytesMut) {
    out.extend_from_slice(b"+ ");
    out.extend_from_slice(sasl::line::encode_challenge(challenge).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Decodes a SASL challenge line from a server: `Some` when the line is a
/// continuation (`+ ` or a bare `+`), with its decoded data or the base64
/// error; `None` for any other line.
pub fn parse_challenge(line: &[u8]) -> Option<Result<Vec<u8>, sasl::line::LineError>> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match line {
        b"+" => Some(Ok(Vec::new())),
        [b'+', b' ', data @ ..] => Some(sasl::line::decode_challenge(data)),
        _ => None,
    }
}
