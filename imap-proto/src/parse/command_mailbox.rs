//! Commands about mailboxes: SELECT and EXAMINE (with CONDSTORE and
//! QRESYNC), CREATE (with USE), DELETE, RENAME, (UN)SUBSCRIBE, LIST (with
//! LIST-EXTENDED and LIST-STATUS), LSUB, STATUS, APPEND (MULTIAPPEND,
//! BINARY), QUOTA, METADATA and ACL.

use std::borrow::Cow;

use crate::parse::cursor::{Cursor, PResult};
use crate::parse::primitives::{self, invalid};
use crate::types::command::{
    AppendMessage, CatenatePart, CommandBody, MetadataDepth, MetadataOptions, QResync, SelectParams,
};
use crate::types::core::{Atom, is_atom_char};
use crate::types::list::{ListReturn, ListSelect};
use crate::types::mailbox::Mailbox;

use super::{kw, sp_astring, word};

/// The mailbox command `name` (upper case) and its arguments; `None` when
/// `name` is none of them.
pub(super) fn command<'a>(c: &mut Cursor<'a>, name: u128) -> PResult<Option<CommandBody<'a>>> {
    Ok(Some(match name {
        kw::SELECT => {
            let (mailbox, params) = select(c)?;
            CommandBody::Select { mailbox, params }
        }
        kw::EXAMINE => {
            let (mailbox, params) = select(c)?;
            CommandBody::Examine { mailbox, params }
        }
        kw::CREATE => create(c)?,
        kw::DELETE => CommandBody::Delete(sp_mailbox(c)?),
        kw::RENAME => {
            let from = sp_mailbox(c)?;
            let to = sp_mailbox(c)?;
            CommandBody::Rename { from, to }
        }
        kw::SUBSCRIBE => CommandBody::Subscribe(sp_mailbox(c)?),
        kw::UNSUBSCRIBE => CommandBody::Unsubscribe(sp_mailbox(c)?),
        kw::LIST => list(c)?,
        kw::LSUB => {
            let reference = sp_mailbox(c)?;
            c.sp()?;
            let pattern = primitives::list_mailbox(c)?;
            CommandBody::Lsub { reference, pattern }
        }
        kw::STATUS => {
            let mailbox = sp_mailbox(c)?;
            c.sp()?;
            let items = primitives::paren_list(c, 1, primitives::status_item)?;
            CommandBody::Status { mailbox, items }
        }
        kw::APPEND => append(c)?,
        kw::GETQUOTA => {
            c.sp()?;
            CommandBody::GetQuota(primitives::astring(c)?)
        }
        kw::GETQUOTAROOT => CommandBody::GetQuotaRoot(sp_mailbox(c)?),
        kw::SETQUOTA => {
            c.sp()?;
            let root = primitives::astring(c)?;
            c.sp()?;
            CommandBody::SetQuota {
                root,
                limits: quota_limits(c)?,
            }
        }
        kw::GETMETADATA => get_metadata(c)?,
        kw::SETMETADATA => {
            let mailbox = sp_mailbox(c)?;
            c.sp()?;
            let at = c.pos;
            let entries = primitives::pairs(c)?;
            if entries.is_empty() {
                return invalid(at, "at least one entry");
            }
            CommandBody::SetMetadata { mailbox, entries }
        }
        kw::SETACL => {
            let mailbox = sp_mailbox(c)?;
            let identifier = sp_astring(c)?;
            let rights = sp_astring(c)?;
            CommandBody::SetAcl {
                mailbox,
                identifier,
                rights,
            }
        }
        kw::DELETEACL => {
            let mailbox = sp_mailbox(c)?;
            let identifier = sp_astring(c)?;
            CommandBody::DeleteAcl {
                mailbox,
                identifier,
            }
        }
        kw::GETACL => CommandBody::GetAcl(sp_mailbox(c)?),
        kw::LISTRIGHTS => {
            let mailbox = sp_mailbox(c)?;
            let identifier = sp_astring(c)?;
            CommandBody::ListRights {
                mailbox,
                identifier,
            }
        }
        kw::MYRIGHTS => CommandBody::MyRights(sp_mailbox(c)?),
        kw::NOTIFY => {
            c.sp()?;
            CommandBody::Notify(super::notify::notify(c)?)
        }
        kw::CANCELUPDATE => {
            c.sp()?;
            CommandBody::CancelUpdate(primitives::space_separated(c, primitives::string)?)
        }
        _ => return Ok(None),
    }))
}

fn sp_mailbox<'a>(c: &mut Cursor<'a>) -> PResult<Mailbox<'a>> {
    c.sp()?;
    primitives::mailbox(c)
}

/// `SP mailbox [SP "(" select-param *(SP select-param) ")"]`.
fn select<'a>(c: &mut Cursor<'a>) -> PResult<(Mailbox<'a>, SelectParams)> {
    let mailbox = sp_mailbox(c)?;
    let mut params = SelectParams::default();
    if c.peek() == Some(b' ') {
        c.pos += 1;
        c.byte(b'(', "( of SELECT parameters")?;
        c.enter()?;
        loop {
            let (name, at) = word(c, is_atom_char, "a SELECT parameter")?;
            match name {
                kw::CONDSTORE => params.condstore = true,
                kw::QRESYNC => {
                    c.sp()?;
                    params.qresync = Some(Box::new(qresync(c)?));
                }
                _ => return invalid(at, "CONDSTORE or QRESYNC"),
            }
            if c.eat(b')') {
                break;
            }
            c.sp()?;
        }
        c.leave();
    }
    Ok((mailbox, params))
}

/// `"(" uidvalidity SP mod-sequence-value [SP known-uids]
/// [SP seq-match-data] ")"` (RFC 7162 §3.2.5).
fn qresync(c: &mut Cursor<'_>) -> PResult<QResync> {
    c.byte(b'(', "( of QRESYNC")?;
    c.enter()?;
    let at = c.pos;
    let uid_validity = primitives::number(c)?;
    if uid_validity == 0 {
        return invalid(at, "a non-zero UIDVALIDITY");
    }
    c.sp()?;
    let mod_seq = primitives::number64(c)?;
    let mut known_uids = None;
    let mut seq_match = None;
    if c.eat(b' ') {
        if c.peek() != Some(b'(') {
            known_uids = Some(primitives::sequence_set(c)?);
            if c.eat(b' ') {
                seq_match = Some(seq_match_data(c)?);
            }
        } else {
            seq_match = Some(seq_match_data(c)?);
        }
    }
    c.byte(b')', ") of QRESYNC")?;
    c.leave();
    Ok(QResync {
        uid_validity,
        mod_seq,
        known_uids,
        seq_match,
    })
}

fn seq_match_data(
    c: &mut Cursor<'_>,
) -> PResult<(
    crate::types::sequence::SequenceSet,
    crate::types::sequence::SequenceSet,
)> {
    c.byte(b'(', "( of sequence match data")?;
    let seqs = primitives::sequence_set(c)?;
    c.sp()?;
    let uids = primitives::sequence_set(c)?;
    c.byte(b')', ") of sequence match data")?;
    Ok((seqs, uids))
}

/// `CREATE SP mailbox [SP "(" "USE" SP "(" use-attr *(SP use-attr) ")" ")"]`.
fn create<'a>(c: &mut Cursor<'a>) -> PResult<CommandBody<'a>> {
    let mailbox = sp_mailbox(c)?;
    let mut special_use = Vec::new();
    if c.eat(b' ') {
        c.byte(b'(', "( of CREATE parameters")?;
        c.enter()?;
        let (name, at) = word(c, is_atom_char, "USE")?;
        if name != kw::USE {
            return invalid(at, "USE");
        }
        c.sp()?;
        special_use = primitives::paren_list(c, 1, |c| {
            c.byte(b'\\', "a \\ use attribute")?;
            primitives::atom(c)
        })?;
        c.byte(b')', ") of CREATE parameters")?;
        c.leave();
    }
    Ok(CommandBody::Create {
        mailbox,
        special_use,
    })
}

/// `LIST SP [list-select-opts SP] mailbox SP mbox-or-pat
/// [SP list-return-opts]` (RFC 5258, RFC 5819).
fn list<'a>(c: &mut Cursor<'a>) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let mut select = Vec::new();
    if c.peek() == Some(b'(') {
        select = primitives::paren_list(c, 0, list_select)?;
        c.sp()?;
    }
    let reference = primitives::mailbox(c)?;
    c.sp()?;
    let patterns = if c.peek() == Some(b'(') {
        primitives::paren_list(c, 1, primitives::list_mailbox)?
    } else {
        vec![primitives::list_mailbox(c)?]
    };
    let mut returns = None;
    if c.eat(b' ') {
        let (name, at) = word(c, is_atom_char, "RETURN")?;
        if name != kw::RETURN {
            return invalid(at, "RETURN");
        }
        c.sp()?;
        returns = Some(primitives::paren_list(c, 0, list_return)?);
    }
    Ok(CommandBody::List {
        select,
        reference,
        patterns,
        returns,
    })
}

fn list_select<'a>(c: &mut Cursor<'a>) -> PResult<ListSelect<'a>> {
    let start = c.pos;
    let (name, _) = word(c, is_atom_char, "a LIST selection option")?;
    Ok(match name {
        kw::SUBSCRIBED => ListSelect::Subscribed,
        kw::REMOTE => ListSelect::Remote,
        kw::RECURSIVEMATCH => ListSelect::RecursiveMatch,
        kw::SPECIAL_USE => ListSelect::SpecialUse,
        _ => {
            c.pos = start;
            ListSelect::Other(primitives::atom(c)?)
        }
    })
}

fn list_return<'a>(c: &mut Cursor<'a>) -> PResult<ListReturn<'a>> {
    let start = c.pos;
    let (name, _) = word(c, is_atom_char, "a LIST return option")?;
    Ok(match name {
        kw::SUBSCRIBED => ListReturn::Subscribed,
        kw::CHILDREN => ListReturn::Children,
        kw::SPECIAL_USE => ListReturn::SpecialUse,
        kw::STATUS => {
            c.sp()?;
            ListReturn::Status(primitives::paren_list(c, 1, primitives::status_item)?)
        }
        _ => {
            c.pos = start;
            ListReturn::Other(primitives::atom(c)?)
        }
    })
}

/// `APPEND SP mailbox 1*append-message` (RFC 3502): each message `[SP
/// flag-list] [SP date-time] SP` then `literal / literal8`, `UTF8 SP "("
/// literal8 ")"` (RFC 6855) or `CATENATE SP "(" part *(SP part) ")"`
/// (RFC 4469).
fn append<'a>(c: &mut Cursor<'a>) -> PResult<CommandBody<'a>> {
    let mailbox = sp_mailbox(c)?;
    let mut messages = Vec::new();
    while c.peek() == Some(b' ') {
        c.pos += 1;
        let mut flags = Vec::new();
        if c.peek() == Some(b'(') {
            flags = primitives::paren_list(c, 0, primitives::flag)?;
            c.sp()?;
        }
        let mut date = None;
        if c.peek() == Some(b'"') {
            date = Some(primitives::date_time(c)?);
            c.sp()?;
        }
        if c.keyword("CATENATE") {
            c.sp()?;
            messages.push(AppendMessage {
                flags,
                date,
                data: Cow::Borrowed(&[]),
                binary: false,
                utf8: false,
                catenate: primitives::paren_list(c, 1, catenate_part)?,
            });
        } else if c.keyword("UTF8") {
            c.sp()?;
            c.byte(b'(', "( of UTF8")?;
            if c.peek() != Some(b'~') {
                return c.fail("a literal8");
            }
            let (data, _) = primitives::literal(c, true)?;
            c.byte(b')', ") of UTF8")?;
            messages.push(AppendMessage {
                flags,
                date,
                data,
                binary: true,
                utf8: true,
                catenate: Vec::new(),
            });
        } else {
            let (data, binary) = primitives::literal(c, true)?;
            messages.push(AppendMessage {
                flags,
                date,
                data,
                binary,
                utf8: false,
                catenate: Vec::new(),
            });
        }
        c.check_items(messages.len())?;
    }
    if messages.is_empty() {
        return c.fail("a message to append");
    }
    Ok(CommandBody::Append { mailbox, messages })
}

/// `URL SP astring` or `TEXT SP (literal / literal8)` (RFC 4469).
fn catenate_part<'a>(c: &mut Cursor<'a>) -> PResult<CatenatePart<'a>> {
    let (name, at) = word(c, is_atom_char, "URL or TEXT")?;
    c.sp()?;
    match name {
        kw::URL => Ok(CatenatePart::Url(primitives::astring(c)?)),
        kw::TEXT => {
            let (data, binary) = primitives::literal(c, true)?;
            Ok(CatenatePart::Text { data, binary })
        }
        _ => invalid(at, "URL or TEXT"),
    }
}

/// `"(" [resource SP number64 *(SP resource SP number64)] ")"`.
fn quota_limits<'a>(c: &mut Cursor<'a>) -> PResult<Vec<(Atom<'a>, u64)>> {
    c.byte(b'(', "( of quota limits")?;
    c.enter()?;
    let mut limits = Vec::new();
    if !c.eat(b')') {
        loop {
            let name = primitives::atom(c)?;
            c.sp()?;
            limits.push((name, primitives::number64(c)?));
            c.check_items(limits.len())?;
            if c.eat(b')') {
                break;
            }
            c.sp()?;
        }
    }
    c.leave();
    Ok(limits)
}

/// `GETMETADATA [SP "(" option *(SP option) ")"] SP mailbox SP (entry /
/// "(" entry *(SP entry) ")")` (RFC 5464 §4.2), the options also after
/// the mailbox.
fn get_metadata<'a>(c: &mut Cursor<'a>) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let mut options = MetadataOptions::default();
    let options_first = c.peek() == Some(b'(');
    if options_first {
        primitives::paren_list(c, 1, |c| metadata_option(c, &mut options))?;
        c.sp()?;
    }
    let mailbox = primitives::mailbox(c)?;
    c.sp()?;
    // RFC 5464's own examples put the options after the mailbox, and
    // clients copied them; entry names start with "/", so MAXSIZE or
    // DEPTH after "(" says which it is.
    let rest = c.rest();
    let option_follows = |word: &[u8]| {
        rest.len() > word.len() + 2
            && rest[1..=word.len()].eq_ignore_ascii_case(word)
            && rest[word.len() + 1] == b' '
    };
    if !options_first
        && rest.starts_with(b"(")
        && (option_follows(b"MAXSIZE") || option_follows(b"DEPTH"))
    {
        primitives::paren_list(c, 1, |c| metadata_option(c, &mut options))?;
        c.sp()?;
    }
    let entries = if c.peek() == Some(b'(') {
        primitives::paren_list(c, 1, primitives::astring)?
    } else {
        vec![primitives::astring(c)?]
    };
    Ok(CommandBody::GetMetadata {
        options,
        mailbox,
        entries,
    })
}

fn metadata_option(c: &mut Cursor<'_>, options: &mut MetadataOptions) -> PResult<()> {
    let (name, at) = word(c, is_atom_char, "MAXSIZE or DEPTH")?;
    match name {
        kw::MAXSIZE => {
            c.sp()?;
            options.max_size = Some(primitives::number(c)?);
        }
        kw::DEPTH => {
            c.sp()?;
            let (depth, at) = word(c, is_atom_char, "0, 1 or infinity")?;
            options.depth = Some(match depth {
                kw::N0 => MetadataDepth::Zero,
                kw::N1 => MetadataDepth::One,
                kw::INFINITY => MetadataDepth::Infinity,
                _ => return invalid(at, "0, 1 or infinity"),
            });
        }
        _ => return invalid(at, "MAXSIZE or DEPTH"),
    }
    Ok(())
}
