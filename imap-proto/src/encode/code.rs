//! Response codes.

use crate::encode::writer::Writer;
use crate::types::code::{Code, SIMPLE_CODES};
use crate::types::core::{Str, is_atom_char};

use super::data::capability;

/// `"[" resp-text-code "]"`.
pub(super) fn code(w: &mut Writer<'_>, code: &Code<'_>) {
    w.raw(b"[");
    match code {
        Code::Alert => w.raw(b"ALERT"),
        Code::BadCharset(charsets) => {
            w.raw(b"BADCHARSET");
            if !charsets.is_empty() {
                w.sp();
                w.paren_list(charsets, |w, c| charset(w, c));
            }
        }
        Code::Capability(caps) => {
            w.raw(b"CAPABILITY");
            for cap in caps {
                w.sp();
                capability(w, cap);
            }
        }
        Code::Parse => w.raw(b"PARSE"),
        Code::PermanentFlags(flags) => {
            w.raw(b"PERMANENTFLAGS ");
            w.paren_list(flags, |w, f| w.flag_perm(f));
        }
        Code::ReadOnly => w.raw(b"READ-ONLY"),
        Code::ReadWrite => w.raw(b"READ-WRITE"),
        Code::TryCreate => w.raw(b"TRYCREATE"),
        Code::UidNext(n) => {
            w.raw(b"UIDNEXT ");
            w.nz(*n);
        }
        Code::UidValidity(n) => {
            w.raw(b"UIDVALIDITY ");
            w.nz(*n);
        }
        Code::Unseen(n) => {
            w.raw(b"UNSEEN ");
            w.nz(*n);
        }
        Code::AppendUid { uid_validity, uids } => {
            w.raw(b"APPENDUID ");
            w.nz(*uid_validity);
            w.sp();
            w.sequence_set(uids);
        }
        Code::CopyUid {
            uid_validity,
            source,
            destination,
        } => {
            w.raw(b"COPYUID ");
            w.nz(*uid_validity);
            w.sp();
            w.sequence_set(source);
            w.sp();
            w.sequence_set(destination);
        }
        Code::UidNotSticky => w.raw(b"UIDNOTSTICKY"),
        Code::Closed => w.raw(b"CLOSED"),
        Code::HighestModSeq(n) => {
            w.raw(b"HIGHESTMODSEQ ");
            w.number(*n);
        }
        Code::NoModSeq => w.raw(b"NOMODSEQ"),
        Code::Modified(set) => {
            w.raw(b"MODIFIED ");
            w.sequence_set(set);
        }
        Code::CompressionActive => w.raw(b"COMPRESSIONACTIVE"),
        Code::MetadataLongEntries(n) => {
            w.raw(b"METADATA LONGENTRIES ");
            w.number(u64::from(*n));
        }
        Code::MetadataMaxSize(n) => {
            w.raw(b"METADATA MAXSIZE ");
            w.number(u64::from(*n));
        }
        Code::MetadataTooMany => w.raw(b"METADATA TOOMANY"),
        Code::MetadataNoPrivate => w.raw(b"METADATA NOPRIVATE"),
        Code::TooBig => w.raw(b"TOOBIG"),
        Code::UnknownCte => w.raw(b"UNKNOWN-CTE"),
        Code::Simple(simple) => {
            let name = SIMPLE_CODES
                .iter()
                .find(|(_, s)| s == simple)
                .map_or("", |(name, _)| name);
            w.raw(name.as_bytes());
        }
        Code::Other(name, text) => {
            w.atom(name);
            if let Some(text) = text {
                w.sp();
                // `]`, CR and LF would end the code (or the line) early.
                let chunks = text
                    .as_bytes()
                    .split(|&b| matches!(b, b']' | b'\r' | b'\n'));
                for (i, chunk) in chunks.enumerate() {
                    if i > 0 {
                        w.sp();
                    }
                    w.raw(chunk);
                }
            }
        }
    }
    w.raw(b"]");
}

/// `charset`: an atom when it can be, else a string.
fn charset(w: &mut Writer<'_>, c: &Str<'_>) {
    let b = c.as_bytes();
    if !b.is_empty() && b.iter().all(|&x| is_atom_char(x)) {
        w.raw(b);
    } else {
        w.string(c);
    }
}
