//! FETCH's attributes and modifiers (also NOTIFY's MessageNew attributes).

use crate::encode::writer::Writer;
use crate::types::fetch::{FetchAttribute, FetchAttributes, FetchModifiers, Partial};

/// `ALL`, `FAST`, `FULL`, one attribute bare or several in parentheses.
pub(super) fn attributes(w: &mut Writer<'_>, attributes: &FetchAttributes<'_>) {
    match attributes {
        FetchAttributes::All => w.raw(b"ALL"),
        FetchAttributes::Fast => w.raw(b"FAST"),
        FetchAttributes::Full => w.raw(b"FULL"),
        FetchAttributes::List(list) => match list.as_slice() {
            // Bare, an unknown attribute's modifiers would read as FETCH's.
            [one] if !matches!(one, FetchAttribute::Other { modifiers, .. } if !modifiers.is_empty()) => {
                attribute(w, one)
            }
            several => w.paren_list(several, attribute),
        },
    }
}

/// One attribute (NOTIFY's MessageNew lists them too).
pub(crate) fn attribute(w: &mut Writer<'_>, attribute: &FetchAttribute<'_>) {
    match attribute {
        FetchAttribute::Envelope => w.raw(b"ENVELOPE"),
        FetchAttribute::Flags => w.raw(b"FLAGS"),
        FetchAttribute::InternalDate => w.raw(b"INTERNALDATE"),
        FetchAttribute::Rfc822 => w.raw(b"RFC822"),
        FetchAttribute::Rfc822Header => w.raw(b"RFC822.HEADER"),
        FetchAttribute::Rfc822Size => w.raw(b"RFC822.SIZE"),
        FetchAttribute::Rfc822Text => w.raw(b"RFC822.TEXT"),
        FetchAttribute::Body => w.raw(b"BODY"),
        FetchAttribute::BodyStructure => w.raw(b"BODYSTRUCTURE"),
        FetchAttribute::Uid => w.raw(b"UID"),
        FetchAttribute::ModSeq => w.raw(b"MODSEQ"),
        FetchAttribute::BodySection {
            peek,
            section,
            partial,
        } => {
            w.raw(if *peek { b"BODY.PEEK" } else { b"BODY" });
            w.section(section);
            self::partial(w, partial);
        }
        FetchAttribute::Binary {
            peek,
            part,
            partial,
        } => {
            w.raw(if *peek { b"BINARY.PEEK[" } else { b"BINARY[" });
            w.section_part(part);
            w.raw(b"]");
            self::partial(w, partial);
        }
        FetchAttribute::BinarySize { part } => {
            w.raw(b"BINARY.SIZE[");
            w.section_part(part);
            w.raw(b"]");
        }
        FetchAttribute::SaveDate => w.raw(b"SAVEDATE"),
        FetchAttribute::Preview { lazy } => w.raw(if *lazy {
            &b"PREVIEW (LAZY)"[..]
        } else {
            b"PREVIEW"
        }),
        FetchAttribute::Other { name, modifiers } => {
            w.atom(name);
            if !modifiers.is_empty() {
                w.sp();
                w.paren_list(modifiers, |w, m| w.atom(m));
            }
        }
    }
}

fn partial(w: &mut Writer<'_>, partial: &Option<Partial>) {
    if let Some(p) = partial {
        w.raw(b"<");
        w.number(u64::from(p.offset));
        w.raw(b".");
        w.nz(p.length);
        w.raw(b">");
    }
}

/// ` (CHANGEDSINCE n [VANISHED])` when there are modifiers.
pub(super) fn modifiers(w: &mut Writer<'_>, modifiers: &FetchModifiers) {
    match (modifiers.changed_since, modifiers.vanished) {
        (None, false) => {}
        (Some(modseq), vanished) => {
            w.raw(b" (CHANGEDSINCE ");
            w.number(modseq);
            w.raw(if vanished { b" VANISHED)" } else { b")" });
        }
        (None, true) => w.raw(b" (VANISHED)"),
    }
}
