//! FETCH responses, whole or streamed.

use std::num::NonZeroU32;

use bytes::{BufMut, BytesMut};

use crate::encode::writer::{EncodeOptions, Writer};
use crate::types::core::NString;
use crate::types::fetch::Section;
use crate::types::response::FetchItem;

use super::body;
use super::out::Out;

/// Writes one FETCH response item by item, so that a server can stream a
/// large `BODY[]` or `BINARY[]` literal instead of holding it in memory.
///
/// Each method appends to the buffer it is given; between calls the
/// caller may flush that buffer to the connection. After
/// [`FetchWriter::body_literal`] or [`FetchWriter::binary_literal`] the
/// caller must send exactly the announced number of octets (straight to
/// the connection, or into the buffer) before the next call.
///
/// ```
/// use std::num::NonZeroU32;
/// use bytes::BytesMut;
/// use imap_proto::encode::{EncodeOptions, FetchWriter};
/// use imap_proto::types::fetch::Section;
/// use imap_proto::types::response::FetchItem;
///
/// let message = b"Subject: hi\r\n\r\nHello\r\n";
/// let mut out = BytesMut::new();
/// let seq = NonZeroU32::new(12).unwrap();
/// let mut fetch = FetchWriter::begin(seq, EncodeOptions::default(), &mut out);
/// fetch.item(&FetchItem::Uid(NonZeroU32::new(4).unwrap()), &mut out);
/// fetch.body_literal(&Section::default(), None, message.len() as u64, &mut out);
/// // A server would flush `out` here and copy the message from its file.
/// out.extend_from_slice(message);
/// fetch.finish(&mut out);
/// assert_eq!(
///     &out[..],
///     &b"* 12 FETCH (UID 4 BODY[] {22}\r\nSubject: hi\r\n\r\nHello\r\n)\r\n"[..]
/// );
/// ```
#[derive(Debug)]
pub struct FetchWriter {
    options: EncodeOptions,
    first: bool,
}

impl FetchWriter {
    /// Starts `* seq FETCH (`.
    pub fn begin(seq: NonZeroU32, options: EncodeOptions, out: &mut BytesMut) -> FetchWriter {
        let mut w = Writer::new(out, options, false);
        w.raw(b"* ");
        w.nz(seq);
        w.raw(b" FETCH (");
        FetchWriter {
            options,
            first: true,
        }
    }

    /// A complete item.
    pub fn item(&mut self, item: &FetchItem<'_>, out: &mut BytesMut) {
        let mut w = Out::new(out, self.options);
        if !self.first {
            w.byte(b' ');
        }
        self.first = false;
        fetch_item(&mut w, item);
    }

    /// `BODY[section]<origin> {size}` CRLF: the caller sends the `size`
    /// octets of data next.
    pub fn body_literal(
        &mut self,
        section: &Section<'_>,
        origin: Option<u32>,
        size: u64,
        out: &mut BytesMut,
    ) {
        self.separate(out);
        let mut w = Writer::new(out, self.options, false);
        w.raw(b"BODY");
        w.section(section);
        self::origin(&mut w, origin);
        w.sp();
        w.literal_header(size, false);
    }

    /// `BINARY[part]<origin> ~{size}` CRLF (a literal8, which may hold
    /// any octet): the caller sends the `size` octets next.
    pub fn binary_literal(
        &mut self,
        part: &[NonZeroU32],
        origin: Option<u32>,
        size: u64,
        out: &mut BytesMut,
    ) {
        self.separate(out);
        let mut w = Writer::new(out, self.options, false);
        w.raw(b"BINARY[");
        w.section_part(part);
        w.raw(b"]");
        self::origin(&mut w, origin);
        w.sp();
        w.literal_header(size, true);
    }

    /// Ends the response: `)` CRLF.
    pub fn finish(self, out: &mut BytesMut) {
        out.put_slice(b")\r\n");
    }

    fn separate(&mut self, out: &mut BytesMut) {
        if !self.first {
            out.put_u8(b' ');
        }
        self.first = false;
    }
}

/// A whole FETCH response, staged once.
pub(super) fn fetch_response(
    out: &mut BytesMut,
    options: EncodeOptions,
    seq: NonZeroU32,
    items: &[FetchItem<'_>],
) {
    let mut w = Out::new(out, options);
    w.raw(b"* ");
    w.number(u64::from(seq.get()));
    w.raw(b" FETCH (");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            w.byte(b' ');
        }
        fetch_item(&mut w, item);
    }
    w.raw(b")\r\n");
}

fn origin(w: &mut Writer<'_>, origin: Option<u32>) {
    if let Some(o) = origin {
        w.raw(b"<");
        w.number(u64::from(o));
        w.raw(b">");
    }
}

fn fetch_item(w: &mut Out<'_>, item: &FetchItem<'_>) {
    match item {
        FetchItem::Flags(flags) => {
            w.raw(b"FLAGS (");
            for (i, f) in flags.iter().enumerate() {
                if i > 0 {
                    w.byte(b' ');
                }
                w.flag(f);
            }
            w.byte(b')');
        }
        FetchItem::Envelope(e) => {
            w.raw(b"ENVELOPE ");
            body::envelope(w, e);
        }
        FetchItem::InternalDate(d) => {
            w.raw(b"INTERNALDATE ");
            w.date_time(*d);
        }
        FetchItem::Rfc822Size(n) => {
            w.raw(b"RFC822.SIZE ");
            w.number(*n);
        }
        FetchItem::Uid(n) => {
            w.raw(b"UID ");
            w.number(u64::from(n.get()));
        }
        FetchItem::ModSeq(n) => {
            w.raw(b"MODSEQ (");
            w.number(*n);
            w.byte(b')');
        }
        FetchItem::Body(b) => {
            w.raw(b"BODY ");
            body::body(w, b);
        }
        FetchItem::BodyStructure(b) => {
            w.raw(b"BODYSTRUCTURE ");
            body::body(w, b);
        }
        FetchItem::BodySection {
            section,
            origin,
            data,
        } => {
            let mut w = w.writer();
            w.raw(b"BODY");
            w.section(section);
            self::origin(&mut w, *origin);
            w.sp();
            w.nstring(data);
        }
        FetchItem::Binary { part, origin, data } => {
            let mut w = w.writer();
            w.raw(b"BINARY[");
            w.section_part(part);
            w.raw(b"]");
            self::origin(&mut w, *origin);
            w.sp();
            binary_data(&mut w, data);
        }
        FetchItem::BinarySize { part, size } => {
            let mut w = w.writer();
            w.raw(b"BINARY.SIZE[");
            w.section_part(part);
            w.raw(b"] ");
            w.number(*size);
        }
        FetchItem::Rfc822(d) => {
            w.raw(b"RFC822 ");
            w.nstring(d);
        }
        FetchItem::Rfc822Header(d) => {
            w.raw(b"RFC822.HEADER ");
            w.nstring(d);
        }
        FetchItem::Rfc822Text(d) => {
            w.raw(b"RFC822.TEXT ");
            w.nstring(d);
        }
        FetchItem::SaveDate(d) => {
            w.raw(b"SAVEDATE ");
            match d {
                Some(d) => w.date_time(*d),
                None => w.raw(b"NIL"),
            }
        }
        FetchItem::Preview(d) => {
            w.raw(b"PREVIEW ");
            w.nstring(d);
        }
        FetchItem::Other { name, value } => {
            let mut w = w.writer();
            w.atom(name);
            w.sp();
            super::data::tagged_ext_val(&mut w, value);
        }
    }
}

/// BINARY's data: literal8 when it holds NUL, else an nstring.
fn binary_data(w: &mut Writer<'_>, data: &NString<'_>) {
    match data {
        Some(s) if s.as_bytes().contains(&0) => w.literal(s.as_bytes(), true),
        _ => w.nstring(data),
    }
}
