//! Untagged data.

use bytes::BytesMut;

use crate::encode::writer::{EncodeOptions, Writer};
use crate::types::capability::{
    APPENDLIMIT_PREFIX, AUTH_PREFIX, COMPRESS_PREFIX, Capability, QUOTA_RES_PREFIX, SIMPLE,
    THREAD_PREFIX,
};
use crate::types::core::{NString, Str, is_astring_char};
use crate::types::list::{
    ListData, ListExtended, MAILBOX_ATTRIBUTES, MailboxAttribute, TaggedExtValue,
};
use crate::types::response::{Data, ESearchResult, MetadataEntries, NamespaceDesc, Thread};
use crate::types::sequence::SequenceSet;
use crate::types::status::StatusValue;

use super::fetch::fetch_response;

/// `* data` CRLF.
pub(super) fn data(out: &mut BytesMut, options: EncodeOptions, d: &Data<'_>) {
    if let Data::Fetch { seq, items } = d {
        fetch_response(out, options, *seq, items);
        return;
    }
    let w = &mut Writer::new(out, options, false);
    w.raw(b"* ");
    match d {
        Data::Capability(caps) => {
            w.raw(b"CAPABILITY");
            for cap in caps {
                w.sp();
                capability(w, cap);
            }
        }
        Data::Enabled(atoms) => {
            w.raw(b"ENABLED");
            for a in atoms {
                w.sp();
                w.atom(a);
            }
        }
        Data::List(l) => {
            w.raw(b"LIST ");
            list(w, l);
        }
        Data::Lsub(l) => {
            w.raw(b"LSUB ");
            list(w, l);
        }
        Data::Status(s) => {
            w.raw(b"STATUS ");
            w.mailbox(&s.mailbox);
            w.sp();
            w.paren_list(&s.items, |w, v| status_value(w, *v));
        }
        Data::Search { numbers, modseq } => {
            w.raw(b"SEARCH");
            search_numbers(w, numbers, *modseq);
        }
        Data::Sort { numbers, modseq } => {
            w.raw(b"SORT");
            search_numbers(w, numbers, *modseq);
        }
        Data::ESearch(e) => {
            w.raw(b"ESEARCH");
            if let Some(tag) = &e.tag {
                // Tag characters never need escaping in a quoted string.
                w.raw(b" (TAG \"");
                w.tag(tag);
                w.raw(b"\")");
            }
            if e.uid {
                w.raw(b" UID");
            }
            for r in &e.results {
                match r {
                    ESearchResult::Min(n) => {
                        w.raw(b" MIN ");
                        w.nz(*n);
                    }
                    ESearchResult::Max(n) => {
                        w.raw(b" MAX ");
                        w.nz(*n);
                    }
                    ESearchResult::All(set) => {
                        w.raw(b" ALL ");
                        w.sequence_set(set);
                    }
                    ESearchResult::Count(n) => {
                        w.raw(b" COUNT ");
                        w.number(u64::from(*n));
                    }
                    ESearchResult::ModSeq(n) => {
                        w.raw(b" MODSEQ ");
                        w.number(*n);
                    }
                    ESearchResult::AddTo(updates) => {
                        w.raw(b" ADDTO ");
                        context_updates(w, updates);
                    }
                    ESearchResult::RemoveFrom(updates) => {
                        w.raw(b" REMOVEFROM ");
                        context_updates(w, updates);
                    }
                    ESearchResult::Other(name, value) => {
                        w.sp();
                        w.atom(name);
                        w.sp();
                        tagged_ext_val(w, value);
                    }
                }
            }
        }
        Data::Thread(threads) => {
            w.raw(b"THREAD");
            if !threads.is_empty() {
                w.sp();
                for t in threads {
                    thread(w, t);
                }
            }
        }
        Data::Flags(flags) => {
            w.raw(b"FLAGS ");
            w.paren_list(flags, |w, f| w.flag(f));
        }
        Data::Exists(n) => {
            w.number(u64::from(*n));
            w.raw(b" EXISTS");
        }
        Data::Recent(n) => {
            w.number(u64::from(*n));
            w.raw(b" RECENT");
        }
        Data::Expunge(n) => {
            w.nz(*n);
            w.raw(b" EXPUNGE");
        }
        Data::Vanished { earlier, uids } => {
            w.raw(if *earlier {
                b"VANISHED (EARLIER) "
            } else {
                b"VANISHED "
            });
            w.sequence_set(uids);
        }
        Data::Fetch { .. } => unreachable!("written above"),
        Data::Namespace {
            personal,
            other,
            shared,
        } => {
            w.raw(b"NAMESPACE ");
            namespaces(w, personal);
            w.sp();
            namespaces(w, other);
            w.sp();
            namespaces(w, shared);
        }
        Data::Id(params) => {
            w.raw(b"ID ");
            match params {
                None => w.raw(b"NIL"),
                Some(params) => pairs(w, params, false),
            }
        }
        Data::Quota { root, resources } => {
            w.raw(b"QUOTA ");
            w.astring(root);
            w.sp();
            w.paren_list(resources, |w, r| {
                w.atom(&r.name);
                w.sp();
                w.number(r.usage);
                w.sp();
                w.number(r.limit);
            });
        }
        Data::QuotaRoot { mailbox, roots } => {
            w.raw(b"QUOTAROOT ");
            w.mailbox(mailbox);
            for r in roots {
                w.sp();
                w.astring(r);
            }
        }
        Data::Acl { mailbox, entries } => {
            w.raw(b"ACL ");
            w.mailbox(mailbox);
            for (identifier, rights) in entries {
                w.sp();
                w.astring(identifier);
                w.sp();
                w.astring(rights);
            }
        }
        Data::ListRights {
            mailbox,
            identifier,
            required,
            optional,
        } => {
            w.raw(b"LISTRIGHTS ");
            w.mailbox(mailbox);
            w.sp();
            w.astring(identifier);
            w.sp();
            w.astring(required);
            for rights in optional {
                w.sp();
                w.astring(rights);
            }
        }
        Data::MyRights { mailbox, rights } => {
            w.raw(b"MYRIGHTS ");
            w.mailbox(mailbox);
            w.sp();
            w.astring(rights);
        }
        Data::Other { name, text } => {
            w.atom(name);
            if !text.is_empty() {
                w.sp();
                // CR and LF would end the line early.
                let line: Vec<u8> = text
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect();
                w.raw(&line);
            }
        }
        Data::Metadata { mailbox, entries } => {
            w.raw(b"METADATA ");
            w.mailbox(mailbox);
            w.sp();
            match entries {
                MetadataEntries::Values(values) => pairs(w, values, true),
                MetadataEntries::Names(names) => w.list(names, |w, n| w.astring(n)),
            }
        }
    }
    w.crlf();
}

/// A capability's name.
pub(super) fn capability(w: &mut Writer<'_>, cap: &Capability<'_>) {
    let (prefix, atom) = match cap {
        Capability::Auth(a) => (AUTH_PREFIX, a),
        Capability::QuotaRes(a) => (QUOTA_RES_PREFIX, a),
        Capability::Compress(a) => (COMPRESS_PREFIX, a),
        Capability::Thread(a) => (THREAD_PREFIX, a),
        Capability::Other(a) => ("", a),
        Capability::AppendLimit(Some(n)) => {
            w.raw(APPENDLIMIT_PREFIX.as_bytes());
            w.number(*n);
            return;
        }
        simple => {
            let name = SIMPLE
                .iter()
                .find(|(_, c)| c == simple)
                .map_or("", |(name, _)| name);
            w.raw(name.as_bytes());
            return;
        }
    };
    w.raw(prefix.as_bytes());
    w.atom(atom);
}

fn list(w: &mut Writer<'_>, l: &ListData<'_>) {
    w.paren_list(&l.attributes, |w, a| mailbox_attribute(w, a));
    w.sp();
    delimiter(w, l.delimiter);
    w.sp();
    w.mailbox(&l.mailbox);
    if !l.extended.is_empty() {
        w.sp();
        w.paren_list(&l.extended, |w, x| match x {
            ListExtended::ChildInfo(names) => {
                w.raw(b"\"CHILDINFO\" ");
                w.paren_list(names, |w, n| w.string(n));
            }
            ListExtended::OldName(name) => {
                w.raw(b"\"OLDNAME\" (");
                w.string(&Str::new(name.as_bytes()));
                w.raw(b")");
            }
            ListExtended::Other(tag, value) => {
                w.string(tag);
                w.sp();
                tagged_ext_val(w, value);
            }
        });
    }
}

fn mailbox_attribute(w: &mut Writer<'_>, a: &MailboxAttribute<'_>) {
    if let MailboxAttribute::Extension(name) = a {
        w.raw(b"\\");
        w.atom(name);
    } else if let Some((name, _)) = MAILBOX_ATTRIBUTES.iter().find(|(_, x)| x == a) {
        w.raw(name.as_bytes());
    }
}

/// `DQUOTE QUOTED-CHAR DQUOTE` or NIL.
fn delimiter(w: &mut Writer<'_>, d: Option<u8>) {
    match d {
        None => w.raw(b"NIL"),
        Some(b @ (b'"' | b'\\')) => w.raw(&[b'"', b'\\', b, b'"']),
        Some(b) => w.raw(&[b'"', b, b'"']),
    }
}

/// A simple value as the parser reads it back: a sequence set or number
/// bare, anything else as an astring; or a list.
pub(super) fn tagged_ext_val(w: &mut Writer<'_>, v: &TaggedExtValue<'_>) {
    match v {
        TaggedExtValue::Simple(s) => {
            let b = s.as_bytes();
            if !b.is_empty() && b.iter().all(|&c| is_astring_char(c) || c == b'*') {
                w.raw(b);
            } else {
                w.string(s);
            }
        }
        TaggedExtValue::List(items) => w.paren_list(items, |w, x| tagged_ext_val(w, x)),
    }
}

/// `(position set ...)`.
fn context_updates(w: &mut Writer<'_>, updates: &[(u32, SequenceSet)]) {
    w.paren_list(updates, |w, (position, set)| {
        w.number(u64::from(*position));
        w.sp();
        w.sequence_set(set);
    });
}

fn status_value(w: &mut Writer<'_>, v: StatusValue) {
    w.raw(v.item().name().as_bytes());
    w.sp();
    match v {
        StatusValue::Messages(n)
        | StatusValue::Recent(n)
        | StatusValue::UidNext(n)
        | StatusValue::UidValidity(n)
        | StatusValue::Unseen(n)
        | StatusValue::Deleted(n) => w.number(u64::from(n)),
        StatusValue::Size(n) | StatusValue::HighestModSeq(n) | StatusValue::DeletedStorage(n) => {
            w.number(n)
        }
        StatusValue::AppendLimit(Some(n)) => w.number(n),
        StatusValue::AppendLimit(None) => w.raw(b"NIL"),
    }
}

fn search_numbers(w: &mut Writer<'_>, numbers: &[std::num::NonZeroU32], modseq: Option<u64>) {
    for n in numbers {
        w.sp();
        w.nz(*n);
    }
    if let Some(m) = modseq {
        w.raw(b" (MODSEQ ");
        w.number(m);
        w.raw(b")");
    }
}

fn thread(w: &mut Writer<'_>, t: &Thread) {
    w.raw(b"(");
    w.list(&t.chain, |w, n| w.nz(*n));
    if !t.branches.is_empty() {
        if !t.chain.is_empty() {
            w.sp();
        }
        for b in &t.branches {
            thread(w, b);
        }
    }
    w.raw(b")");
}

fn namespaces(w: &mut Writer<'_>, list: &[NamespaceDesc<'_>]) {
    if list.is_empty() {
        w.raw(b"NIL");
        return;
    }
    w.raw(b"(");
    for ns in list {
        w.raw(b"(");
        w.string(&ns.prefix);
        w.sp();
        delimiter(w, ns.delimiter);
        for (name, values) in &ns.extensions {
            w.sp();
            w.string(name);
            w.sp();
            w.paren_list(values, |w, v| w.string(v));
        }
        w.raw(b")");
    }
    w.raw(b")");
}

/// `(` key SP value ... `)` of ID (keys are strings) and METADATA (keys
/// are astrings, values may be literal8).
fn pairs(w: &mut Writer<'_>, pairs: &[(Str<'_>, NString<'_>)], metadata: bool) {
    w.raw(b"(");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            w.sp();
        }
        if metadata {
            w.astring(k);
            w.sp();
            value8(w, v);
        } else {
            w.string(k);
            w.sp();
            w.nstring(v);
        }
    }
    w.raw(b")");
}

/// A METADATA value: literal8 when it holds NUL, else an nstring.
fn value8(w: &mut Writer<'_>, v: &NString<'_>) {
    match v {
        Some(s) if s.as_bytes().contains(&0) => w.literal(s.as_bytes(), true),
        _ => w.nstring(v),
    }
}
