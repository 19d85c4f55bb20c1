//! ENVELOPE and BODYSTRUCTURE.

use super::out::Out;
use crate::types::body::{
    Address, BodyExtension, BodyStructure, Envelope, ExtensionTail, SingleKind,
};
use crate::types::core::Str;

/// `envelope`.
pub(super) fn envelope(w: &mut Out<'_>, e: &Envelope<'_>) {
    w.byte(b'(');
    w.nstring(&e.date);
    w.byte(b' ');
    w.nstring(&e.subject);
    for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        w.byte(b' ');
        addresses(w, list);
    }
    w.byte(b' ');
    w.nstring(&e.in_reply_to);
    w.byte(b' ');
    w.nstring(&e.message_id);
    w.byte(b')');
}

/// `"(" 1*address ")"`, or NIL for none.
fn addresses(w: &mut Out<'_>, list: &[Address<'_>]) {
    if list.is_empty() {
        w.raw(b"NIL");
        return;
    }
    w.byte(b'(');
    for a in list {
        w.byte(b'(');
        w.nstring(&a.name);
        w.byte(b' ');
        w.nstring(&a.adl);
        w.byte(b' ');
        w.nstring(&a.mailbox);
        w.byte(b' ');
        w.nstring(&a.host);
        w.byte(b')');
    }
    w.byte(b')');
}

/// `body`, with the extension data it has.
pub(super) fn body(w: &mut Out<'_>, b: &BodyStructure<'_>) {
    w.byte(b'(');
    match b {
        BodyStructure::Single { body, extension } => {
            match &body.kind {
                SingleKind::Basic {
                    media_type,
                    subtype,
                } => {
                    w.string(media_type);
                    w.byte(b' ');
                    w.string(subtype);
                }
                SingleKind::Text { subtype, .. } => {
                    w.raw(b"\"TEXT\" ");
                    w.string(subtype);
                }
                SingleKind::Message { subtype, .. } => {
                    w.raw(b"\"MESSAGE\" ");
                    w.string(subtype);
                }
            }
            w.byte(b' ');
            params(w, &body.params);
            w.byte(b' ');
            w.nstring(&body.id);
            w.byte(b' ');
            w.nstring(&body.description);
            w.byte(b' ');
            w.string(&body.encoding);
            w.byte(b' ');
            w.number(u64::from(body.size));
            match &body.kind {
                SingleKind::Basic { .. } => {}
                SingleKind::Text { lines, .. } => {
                    w.byte(b' ');
                    w.number(u64::from(*lines));
                }
                SingleKind::Message {
                    envelope: e,
                    body: inner,
                    lines,
                    ..
                } => {
                    w.byte(b' ');
                    envelope(w, e);
                    w.byte(b' ');
                    self::body(w, inner);
                    w.byte(b' ');
                    w.number(u64::from(*lines));
                }
            }
            if let Some(ext) = extension {
                w.byte(b' ');
                w.nstring(&ext.md5);
                tail(w, ext.tail.as_ref());
            }
        }
        BodyStructure::Multi {
            parts,
            subtype,
            extension,
        } => {
            for p in parts {
                self::body(w, p);
            }
            w.byte(b' ');
            w.string(subtype);
            if let Some(ext) = extension {
                w.byte(b' ');
                params(w, &ext.params);
                tail(w, ext.tail.as_ref());
            }
        }
    }
    w.byte(b')');
}

/// `body-fld-param`: NIL for none.
fn params(w: &mut Out<'_>, params: &[(Str<'_>, Str<'_>)]) {
    if params.is_empty() {
        w.raw(b"NIL");
        return;
    }
    w.byte(b'(');
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            w.byte(b' ');
        }
        w.string(k);
        w.byte(b' ');
        w.string(v);
    }
    w.byte(b')');
}

fn tail(w: &mut Out<'_>, tail: Option<&ExtensionTail<'_>>) {
    let Some(tail) = tail else { return };
    w.byte(b' ');
    match &tail.disposition {
        None => w.raw(b"NIL"),
        Some((kind, p)) => {
            w.byte(b'(');
            w.string(kind);
            w.byte(b' ');
            params(w, p);
            w.byte(b')');
        }
    }
    let Some(language) = &tail.language else {
        return;
    };
    w.byte(b' ');
    match language.languages.as_slice() {
        [] => w.raw(b"NIL"),
        [one] => w.string(one),
        many => {
            w.byte(b'(');
            for (i, l) in many.iter().enumerate() {
                if i > 0 {
                    w.byte(b' ');
                }
                w.string(l);
            }
            w.byte(b')');
        }
    }
    let Some(location) = &language.location else {
        return;
    };
    w.byte(b' ');
    w.nstring(&location.location);
    for x in &location.extensions {
        w.byte(b' ');
        extension(w, x);
    }
}

fn extension(w: &mut Out<'_>, x: &BodyExtension<'_>) {
    match x {
        BodyExtension::String(s) => w.nstring(s),
        BodyExtension::Number(n) => w.number(u64::from(*n)),
        BodyExtension::List(items) => {
            w.byte(b'(');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    w.byte(b' ');
                }
                extension(w, x);
            }
            w.byte(b')');
        }
    }
}
