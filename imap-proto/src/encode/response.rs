//! Responses into bytes (server side), and FETCH responses streamed item
//! by item ([`FetchWriter`]).
//!
//! Responses use synchronising literals (`{n}`) only; strings go out
//! quoted when they can, as literals otherwise.

#[path = "body.rs"]
mod body;
#[path = "code.rs"]
mod code;
#[path = "response_data.rs"]
mod data;
#[path = "response_fetch.rs"]
mod fetch;
#[path = "response_out.rs"]
mod out;

use bytes::BytesMut;

use super::writer::{EncodeOptions, Writer};
use crate::types::response::{Continue, Response, StatusKind, StatusResponse};

pub use fetch::FetchWriter;

/// Appends `response` to `out`, CRLF included.
///
/// A status text (and a continuation's) is written as it is, but for CR
/// and LF, which would end the line early and are written as spaces. An
/// empty text leaves nothing after the SP that follows the status word or
/// the code (`* OK [READ-WRITE] `): RFC 9051 makes the text optional, and
/// the parser reads that form back as an empty text.
///
/// ```
/// use bytes::BytesMut;
/// use imap_proto::encode::{EncodeOptions, response};
/// use imap_proto::types::response::{Data, Response};
/// let mut out = BytesMut::new();
/// response(&Response::Data(Data::Exists(23)), EncodeOptions::default(), &mut out);
/// assert_eq!(&out[..], b"* 23 EXISTS\r\n");
/// ```
pub fn response(response: &Response<'_>, options: EncodeOptions, out: &mut BytesMut) {
    match response {
        Response::Data(d) => data::data(out, options, d),
        Response::Status(s) => status(&mut Writer::new(out, options, false), s),
        Response::Continue(c) => continuation(&mut Writer::new(out, options, false), c),
    }
}

fn status(w: &mut Writer<'_>, s: &StatusResponse<'_>) {
    match &s.tag {
        Some(tag) => w.tag(tag),
        None => w.raw(b"*"),
    }
    w.raw(match s.kind {
        StatusKind::Ok => b" OK ",
        StatusKind::No => b" NO ",
        StatusKind::Bad => b" BAD ",
        StatusKind::PreAuth => b" PREAUTH ",
        StatusKind::Bye => b" BYE ",
    });
    if let Some(c) = &s.code {
        code::code(w, c);
        w.sp();
    }
    text(w, s.text.as_bytes());
    w.crlf();
}

fn continuation(w: &mut Writer<'_>, c: &Continue<'_>) {
    w.raw(b"+ ");
    match c {
        Continue::Text { code, text: t } => {
            if let Some(c) = code {
                code::code(w, c);
                w.sp();
            }
            text(w, t.as_bytes());
        }
        Continue::Base64(b) => text(w, b),
    }
    w.crlf();
}

/// Text to the end of the line: CR and LF become spaces, so that no
/// text can end the response early (or smuggle in another).
fn text(w: &mut Writer<'_>, t: &[u8]) {
    let mut rest = t;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', rest) {
        w.raw(&rest[..i]);
        w.sp();
        rest = &rest[i + 1..];
    }
    w.raw(rest);
}
