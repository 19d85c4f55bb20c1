//! The base64 line forms SMTP (RFC 4954), POP3 (RFC 5034) and IMAP
//! (RFC 3501, RFC 4959) wrap SASL messages in.
//!
//! * A client's response line is base64, or `*` to cancel.
//! * An initial response (`AUTH PLAIN <ir>`, SASL-IR) is base64, or `=` for
//!   an empty one; a command without it has no initial response at all, which
//!   is different from an empty one.
//! * A server challenge is base64; an empty challenge is an empty line.
//!
//! ```
//! use sasl::line::{ClientLine, decode_initial_response, decode_response, encode_initial_response};
//! assert_eq!(decode_initial_response(b"="), Ok(ClientLine::Data(Vec::new())));
//! assert_eq!(decode_response(b"*"), Ok(ClientLine::Cancel));
//! assert_eq!(decode_response(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap(),
//!            ClientLine::Data(b"\0tim\0tanstaaftanstaaf".to_vec()));
//! assert_eq!(encode_initial_response(b""), "=");
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A decoded client line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientLine {
    /// The client's data (possibly empty).
    Data(Vec<u8>),
    /// The client cancelled the exchange.
    Cancel,
}

/// A line that is not valid base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64 in SASL line")]
pub struct LineError;

/// Decodes a client's response to a challenge. Trailing CR/LF is ignored.
pub fn decode_response(line: &[u8]) -> Result<ClientLine, LineError> {
    let line = trim_line_end(line);
    if line == b"*" {
        return Ok(ClientLine::Cancel);
    }
    decode_base64(line).map(ClientLine::Data)
}

/// Decodes an initial response given as a command argument: `=` is an empty
/// response, `*` a cancellation (RFC 5034 allows it).
pub fn decode_initial_response(arg: &[u8]) -> Result<ClientLine, LineError> {
    let arg = trim_line_end(arg);
    if arg == b"=" {
        return Ok(ClientLine::Data(Vec::new()));
    }
    decode_response(arg)
}

/// Encodes a server challenge (an empty challenge is an empty string).
pub fn encode_challenge(challenge: &[u8]) -> String {
    STANDARD.encode(challenge)
}

/// Encodes a client response to a challenge (an empty response is an empty line).
pub fn encode_response(response: &[u8]) -> String {
    STANDARD.encode(response)
}

/// Encodes an initial response for a command argument, `=` when empty.
pub fn encode_initial_response(response: &[u8]) -> String {
    if response.is_empty() {
        "=".to_string()
    } else {
        STANDARD.encode(response)
    }
}

/// Decodes a server challenge line.
pub fn decode_challenge(line: &[u8]) -> Result<Vec<u8>, LineError> {
    decode_base64(trim_line_end(line))
}

fn decode_base64(data: &[u8]) -> Result<Vec<u8>, LineError> {
    STANDARD.decode(data).map_err(|_| LineError)
}

fn trim_line_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}
