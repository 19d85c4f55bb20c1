//! Untagged data other than FETCH's items: mailbox data, capabilities,
//! searches, threads, namespaces, ID, quotas, metadata.

use std::borrow::Cow;
use std::num::NonZeroU32;

use crate::parse::cursor::{Cursor, PResult, ParseError};
use crate::parse::primitives::{self, invalid};
use crate::types::core::{Atom, Str, Tag, is_astring_char, is_atom_char};
use crate::types::list::{
    ListData, ListExtended, MAILBOX_ATTRIBUTES, MailboxAttribute, StatusData, TaggedExtValue,
};
use crate::types::mailbox::Mailbox;
use crate::types::response::{
    Data, ESearch, ESearchResult, MetadataEntries, NamespaceDesc, QuotaResource, Thread,
};
use crate::types::sequence::SequenceSet;
use crate::types::status::{StatusItem, StatusValue};

use super::{capability, fetch};

/// `number SP ("EXISTS" / "RECENT" / "EXPUNGE" / "FETCH" SP msg-att)`
/// CRLF.
pub(super) fn numbered<'a>(c: &mut Cursor<'a>) -> PResult<Data<'a>> {
    let at = c.pos;
    let n = primitives::number(c)?;
    c.sp()?;
    let word_at = c.pos;
    let data = if c.keyword("EXISTS") {
        Data::Exists(n)
    } else if c.keyword("RECENT") {
        Data::Recent(n)
    } else if c.keyword("EXPUNGE") {
        Data::Expunge(nonzero(n, at)?)
    } else if c.keyword("FETCH") {
        let seq = nonzero(n, at)?;
        c.sp()?;
        Data::Fetch {
            seq,
            items: fetch::msg_att(c)?,
        }
    } else {
        return c.fail_at(word_at, "EXISTS, RECENT, EXPUNGE or FETCH");
    };
    c.crlf()?;
    Ok(data)
}

fn nonzero(n: u32, at: usize) -> PResult<NonZeroU32> {
    NonZeroU32::new(n).map_or_else(|| invalid(at, "a non-zero number"), Ok)
}

/// Failing at an earlier position (where the word started).
trait FailAt {
    fn fail_at<T>(&self, at: usize, expected: &'static str) -> PResult<T>;
}

impl FailAt for Cursor<'_> {
    fn fail_at<T>(&self, at: usize, expected: &'static str) -> PResult<T> {
        if self.pos >= self.input.len() {
            self.fail(expected)
        } else {
            invalid(at, expected)
        }
    }
}

/// Data introduced by a keyword (`* KEYWORD ...`), without the CRLF.
pub(super) fn keyword_data<'a>(c: &mut Cursor<'a>) -> PResult<Data<'a>> {
    let at = c.pos;
    let word = c.take_while1(is_atom_char, "a response")?;
    let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
    Ok(if is("CAPABILITY") {
        let mut caps = Vec::new();
        while c.eat(b' ') {
            caps.push(capability::capability(c)?);
            c.check_items(caps.len())?;
        }
        Data::Capability(caps)
    } else if is("ENABLED") {
        let mut atoms = Vec::new();
        while c.eat(b' ') {
            atoms.push(primitives::atom(c)?);
            c.check_items(atoms.len())?;
        }
        Data::Enabled(atoms)
    } else if is("LIST") {
        c.sp()?;
        Data::List(list(c)?)
    } else if is("LSUB") {
        c.sp()?;
        Data::Lsub(list(c)?)
    } else if is("STATUS") {
        c.sp()?;
        Data::Status(status(c)?)
    } else if is("SEARCH") {
        let (numbers, modseq) = numbers(c)?;
        Data::Search { numbers, modseq }
    } else if is("SORT") {
        let (numbers, modseq) = numbers(c)?;
        Data::Sort { numbers, modseq }
    } else if is("ESEARCH") {
        Data::ESearch(esearch(c)?)
    } else if is("THREAD") {
        let mut threads = Vec::new();
        if c.eat(b' ') {
            loop {
                threads.push(thread(c)?);
                c.check_items(threads.len())?;
                if c.peek() != Some(b'(') {
                    break;
                }
            }
        }
        Data::Thread(threads)
    } else if is("FLAGS") {
        c.sp()?;
        Data::Flags(primitives::paren_list(c, 0, primitives::flag)?)
    } else if is("VANISHED") {
        c.sp()?;
        let earlier = c.peek() == Some(b'(');
        if earlier {
            c.pos += 1;
            if !c.keyword("EARLIER") {
                return c.fail("EARLIER");
            }
            c.byte(b')', ") after EARLIER")?;
            c.sp()?;
        }
        Data::Vanished {
            earlier,
            uids: primitives::sequence_set(c)?,
        }
    } else if is("NAMESPACE") {
        c.sp()?;
        let personal = namespaces(c)?;
        c.sp()?;
        let other = namespaces(c)?;
        c.sp()?;
        let shared = namespaces(c)?;
        Data::Namespace {
            personal,
            other,
            shared,
        }
    } else if is("ID") {
        c.sp()?;
        Data::Id(primitives::id(c)?)
    } else if is("QUOTA") {
        c.sp()?;
        let root = primitives::astring(c)?;
        c.sp()?;
        Data::Quota {
            root,
            resources: primitives::paren_list(c, 0, quota_resource)?,
        }
    } else if is("QUOTAROOT") {
        c.sp()?;
        let mailbox = primitives::mailbox(c)?;
        let mut roots = Vec::new();
        while c.eat(b' ') {
            roots.push(primitives::astring(c)?);
            c.check_items(roots.len())?;
        }
        Data::QuotaRoot { mailbox, roots }
    } else if is("METADATA") {
        c.sp()?;
        let mailbox = primitives::mailbox(c)?;
        c.sp()?;
        Data::Metadata {
            mailbox,
            entries: metadata_entries(c)?,
        }
    } else if is("ACL") {
        let mailbox = sp_mailbox(c)?;
        let mut entries = Vec::new();
        while c.eat(b' ') {
            let identifier = primitives::astring(c)?;
            c.sp()?;
            entries.push((identifier, primitives::astring(c)?));
            c.check_items(entries.len())?;
        }
        Data::Acl { mailbox, entries }
    } else if is("LISTRIGHTS") {
        let mailbox = sp_mailbox(c)?;
        c.sp()?;
        let identifier = primitives::astring(c)?;
        c.sp()?;
        let required = primitives::astring(c)?;
        let mut optional = Vec::new();
        while c.eat(b' ') {
            optional.push(primitives::astring(c)?);
            c.check_items(optional.len())?;
        }
        Data::ListRights {
            mailbox,
            identifier,
            required,
            optional,
        }
    } else if is("MYRIGHTS") {
        let mailbox = sp_mailbox(c)?;
        c.sp()?;
        Data::MyRights {
            mailbox,
            rights: primitives::astring(c)?,
        }
    } else if KNOWN.iter().any(|k| is(k)) {
        // A keyword the parser knows in another place (a status word,
        // `* n FETCH`): malformed here, never an unknown kind of data.
        return invalid(at, "a response keyword");
    } else {
        let name = Atom::new(Cow::Borrowed(std::str::from_utf8(word).unwrap_or_default())).ok_or(
            ParseError::Invalid {
                at,
                expected: "a response keyword",
            },
        )?;
        let mut text: &[u8] = &[];
        if c.eat(b' ') {
            text = c.take_while(|b| b != b'\r' && b != b'\n')?;
        }
        if text.ends_with(b"}") {
            // It may announce a literal, which the raw text cannot hold.
            return invalid(at, "unknown data without a literal");
        }
        Data::Other {
            name,
            text: Cow::Borrowed(text),
        }
    })
}

/// Keywords that never start unknown data.
const KNOWN: [&str; 8] = [
    "EXISTS", "RECENT", "EXPUNGE", "FETCH", "OK", "NO", "BAD", "BYE",
];

fn sp_mailbox<'a>(c: &mut Cursor<'a>) -> PResult<Mailbox<'a>> {
    c.sp()?;
    primitives::mailbox(c)
}

/// `"(" [mbx-list-flags] ")" SP delimiter SP mailbox [SP
/// mbox-list-extended]`. The name may hold list wildcards (some servers
/// send them bare).
fn list<'a>(c: &mut Cursor<'a>) -> PResult<ListData<'a>> {
    let attributes = primitives::paren_list(c, 0, mailbox_attribute)?;
    c.sp()?;
    let delimiter = if c.keyword("NIL") {
        None
    } else {
        Some(quoted_char(c)?)
    };
    c.sp()?;
    let mailbox = Mailbox::from(primitives::list_mailbox(c)?);
    let extended = if c.eat(b' ') {
        primitives::paren_list(c, 0, list_extended)?
    } else {
        Vec::new()
    };
    Ok(ListData {
        attributes,
        delimiter,
        mailbox,
        extended,
    })
}

fn mailbox_attribute<'a>(c: &mut Cursor<'a>) -> PResult<MailboxAttribute<'a>> {
    c.byte(b'\\', "\\ of a mailbox attribute")?;
    let name = primitives::atom(c)?;
    let known = MAILBOX_ATTRIBUTES
        .iter()
        .find(|(n, _)| n[1..].eq_ignore_ascii_case(name.as_str()));
    Ok(match known {
        Some((_, attr)) => attr.clone(),
        None => MailboxAttribute::Extension(name),
    })
}

/// `DQUOTE QUOTED-CHAR DQUOTE`: one byte.
fn quoted_char(c: &mut Cursor<'_>) -> PResult<u8> {
    let at = c.pos;
    match primitives::quoted(c)?.as_ref() {
        [b] => Ok(*b),
        _ => invalid(at, "a one-character delimiter"),
    }
}

/// `mbox-list-extended-item-tag SP tagged-ext-val`, recognising
/// CHILDINFO and OLDNAME when their values have the expected shape.
fn list_extended<'a>(c: &mut Cursor<'a>) -> PResult<ListExtended<'a>> {
    let tag = primitives::astring(c)?;
    c.sp()?;
    let value = tagged_ext_val(c)?;
    let name = tag.as_bytes();
    if name.eq_ignore_ascii_case(b"CHILDINFO")
        && let TaggedExtValue::List(items) = &value
        && items.iter().all(|v| matches!(v, TaggedExtValue::Simple(_)))
    {
        let TaggedExtValue::List(items) = value else {
            unreachable!("matched above")
        };
        let names = items
            .into_iter()
            .filter_map(|v| match v {
                TaggedExtValue::Simple(s) => Some(s),
                TaggedExtValue::List(_) => None,
            })
            .collect();
        return Ok(ListExtended::ChildInfo(names));
    }
    if name.eq_ignore_ascii_case(b"OLDNAME")
        && let TaggedExtValue::List(items) = &value
        && let [TaggedExtValue::Simple(name)] = items.as_slice()
    {
        return Ok(ListExtended::OldName(Mailbox::from(name.clone())));
    }
    Ok(ListExtended::Other(tag, value))
}

/// `tagged-ext-val`: a simple value (string, number, sequence set) or a
/// parenthesised list of values.
pub(super) fn tagged_ext_val<'a>(c: &mut Cursor<'a>) -> PResult<TaggedExtValue<'a>> {
    match c.peek() {
        Some(b'(') => primitives::paren_list(c, 0, tagged_ext_val).map(TaggedExtValue::List),
        Some(b'"' | b'{') => primitives::string(c).map(TaggedExtValue::Simple),
        _ => Ok(TaggedExtValue::Simple(Str::new(c.take_while1(
            // `\` too: FETCH extensions send flags bare (`X-GM-LABELS
            // (\Inbox)`).
            |b| is_astring_char(b) || b == b'*' || b == b'\\',
            "a tagged-ext value",
        )?))),
    }
}

/// `mailbox SP "(" [status-att-val *(SP status-att-val)] ")"`.
fn status<'a>(c: &mut Cursor<'a>) -> PResult<StatusData<'a>> {
    let mailbox = primitives::mailbox(c)?;
    c.sp()?;
    let items = primitives::paren_list(c, 0, status_value)?;
    Ok(StatusData { mailbox, items })
}

fn status_value(c: &mut Cursor<'_>) -> PResult<StatusValue> {
    let item = primitives::status_item(c)?;
    c.sp()?;
    Ok(match item {
        StatusItem::Messages => StatusValue::Messages(primitives::number(c)?),
        StatusItem::Recent => StatusValue::Recent(primitives::number(c)?),
        StatusItem::UidNext => StatusValue::UidNext(primitives::number(c)?),
        StatusItem::UidValidity => StatusValue::UidValidity(primitives::number(c)?),
        StatusItem::Unseen => StatusValue::Unseen(primitives::number(c)?),
        StatusItem::Deleted => StatusValue::Deleted(primitives::number(c)?),
        StatusItem::Size => StatusValue::Size(primitives::number64(c)?),
        StatusItem::HighestModSeq => StatusValue::HighestModSeq(primitives::number64(c)?),
        StatusItem::DeletedStorage => StatusValue::DeletedStorage(primitives::number64(c)?),
        StatusItem::AppendLimit => StatusValue::AppendLimit(if c.keyword("NIL") {
            None
        } else {
            Some(primitives::number64(c)?)
        }),
    })
}

/// `*(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]` of
/// SEARCH and SORT.
fn numbers(c: &mut Cursor<'_>) -> PResult<(Vec<NonZeroU32>, Option<u64>)> {
    let mut numbers = Vec::new();
    let mut modseq = None;
    while c.eat(b' ') {
        if c.eat(b'(') {
            if !c.keyword("MODSEQ") {
                return c.fail("MODSEQ");
            }
            c.sp()?;
            modseq = Some(primitives::number64(c)?);
            c.byte(b')', ") after MODSEQ")?;
            break;
        }
        numbers.push(primitives::nz_number(c)?);
        c.check_items(numbers.len())?;
    }
    Ok((numbers, modseq))
}

/// `[SP "(" "TAG" SP tag-string ")"] [SP "UID"] *(SP search-return-data)`.
fn esearch<'a>(c: &mut Cursor<'a>) -> PResult<ESearch<'a>> {
    let mut tag = None;
    if c.rest().starts_with(b" (") {
        c.pos += 2;
        if !c.keyword("TAG") {
            return c.fail("TAG");
        }
        c.sp()?;
        let at = c.pos;
        let text = match primitives::astring(c)?.into_bytes() {
            Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
            Cow::Owned(v) => String::from_utf8(v).ok().map(Cow::Owned),
        };
        tag = Some(
            text.and_then(Tag::new)
                .map_or_else(|| invalid(at, "a tag"), Ok)?,
        );
        c.byte(b')', ") after the tag")?;
    }
    let mut uid = false;
    let mut results = Vec::new();
    while c.peek() == Some(b' ') {
        c.pos += 1;
        let at = c.pos;
        if !uid && results.is_empty() && c.keyword("UID") {
            uid = true;
            continue;
        }
        let name = c.take_while1(is_atom_char, "a search return item")?;
        let is = |w: &str| name.eq_ignore_ascii_case(w.as_bytes());
        c.sp()?;
        results.push(if is("MIN") {
            ESearchResult::Min(primitives::nz_number(c)?)
        } else if is("MAX") {
            ESearchResult::Max(primitives::nz_number(c)?)
        } else if is("ALL") {
            ESearchResult::All(primitives::sequence_set(c)?)
        } else if is("COUNT") {
            ESearchResult::Count(primitives::number(c)?)
        } else if is("MODSEQ") {
            ESearchResult::ModSeq(primitives::number64(c)?)
        } else if is("ADDTO") {
            ESearchResult::AddTo(context_updates(c)?)
        } else if is("REMOVEFROM") {
            ESearchResult::RemoveFrom(context_updates(c)?)
        } else if KNOWN_RETURNS.iter().any(|k| is(k)) {
            return invalid(at, "MIN, MAX, ALL, COUNT, MODSEQ, ADDTO or REMOVEFROM");
        } else {
            let name = Atom::new(Cow::Borrowed(std::str::from_utf8(name).unwrap_or_default()))
                .ok_or(ParseError::Invalid {
                    at,
                    expected: "a search return item",
                })?;
            ESearchResult::Other(name, tagged_ext_val(c)?)
        });
        c.check_items(results.len())?;
    }
    Ok(ESearch { tag, uid, results })
}

/// ESEARCH return data the parser knows (a malformed one is no unknown
/// one).
const KNOWN_RETURNS: [&str; 7] = [
    "MIN",
    "MAX",
    "ALL",
    "COUNT",
    "MODSEQ",
    "ADDTO",
    "REMOVEFROM",
];

/// `"(" position SP sequence-set *(SP position SP sequence-set) ")"` of
/// ADDTO and REMOVEFROM (RFC 5267 §4.3).
fn context_updates(c: &mut Cursor<'_>) -> PResult<Vec<(u32, SequenceSet)>> {
    primitives::paren_list(c, 1, |c| {
        let position = primitives::number(c)?;
        c.sp()?;
        Ok((position, primitives::sequence_set(c)?))
    })
}

/// `thread-list`: `(` members [SP nested] `)` or `(` nested `)`; a
/// single nested thread is accepted too.
fn thread(c: &mut Cursor<'_>) -> PResult<Thread> {
    let at = c.pos;
    c.byte(b'(', "( of a thread")?;
    c.enter()?;
    let mut chain = Vec::new();
    let mut branches = Vec::new();
    loop {
        if c.peek() == Some(b'(') {
            while c.peek() == Some(b'(') {
                branches.push(thread(c)?);
                c.check_items(branches.len())?;
            }
            break;
        }
        chain.push(primitives::nz_number(c)?);
        c.check_items(chain.len())?;
        if !c.eat(b' ') {
            break;
        }
    }
    c.byte(b')', ") of a thread")?;
    c.leave();
    if chain.is_empty() && branches.is_empty() {
        return invalid(at, "a non-empty thread");
    }
    Ok(Thread { chain, branches })
}

/// `namespace`: NIL or `(` 1*namespace-descr `)`.
fn namespaces<'a>(c: &mut Cursor<'a>) -> PResult<Vec<NamespaceDesc<'a>>> {
    if c.keyword("NIL") {
        return Ok(Vec::new());
    }
    c.byte(b'(', "( of a namespace list")?;
    c.enter()?;
    let mut list = Vec::new();
    while c.peek() == Some(b'(') {
        list.push(namespace_descr(c)?);
        c.check_items(list.len())?;
    }
    c.byte(b')', ") of a namespace list")?;
    c.leave();
    Ok(list)
}

fn namespace_descr<'a>(c: &mut Cursor<'a>) -> PResult<NamespaceDesc<'a>> {
    c.byte(b'(', "( of a namespace")?;
    c.enter()?;
    let prefix = primitives::string(c)?;
    c.sp()?;
    let delimiter = if c.keyword("NIL") {
        None
    } else {
        Some(quoted_char(c)?)
    };
    let mut extensions = Vec::new();
    while c.eat(b' ') {
        let name = primitives::string(c)?;
        c.sp()?;
        let values = primitives::paren_list(c, 0, primitives::string)?;
        extensions.push((name, values));
        c.check_items(extensions.len())?;
    }
    c.byte(b')', ") of a namespace")?;
    c.leave();
    Ok(NamespaceDesc {
        prefix,
        delimiter,
        extensions,
    })
}

fn quota_resource<'a>(c: &mut Cursor<'a>) -> PResult<QuotaResource<'a>> {
    let name = primitives::atom(c)?;
    c.sp()?;
    let usage = primitives::number64(c)?;
    c.sp()?;
    let limit = primitives::number64(c)?;
    Ok(QuotaResource { name, usage, limit })
}

/// `entry-values` in parentheses, or a bare `entry-list`.
fn metadata_entries<'a>(c: &mut Cursor<'a>) -> PResult<MetadataEntries<'a>> {
    if c.peek() == Some(b'(') {
        return primitives::pairs(c).map(MetadataEntries::Values);
    }
    let mut names = vec![primitives::astring(c)?];
    while c.eat(b' ') {
        names.push(primitives::astring(c)?);
        c.check_items(names.len())?;
    }
    Ok(MetadataEntries::Names(names))
}
