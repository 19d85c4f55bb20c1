//! What every backend does the same way: mailbox names, keyword sets,
//! flag changes.

use super::INBOX;
use super::transaction::{FlagChange, FlagOp};
use super::types::{Changes, Flags, MessageMeta};
use crate::error::{Error, ErrorKind, Result};

/// Checks a mailbox name and gives its canonical form: not empty, no
/// empty level (`a//b`, a leading or trailing `/`), no control character;
/// a first level of `INBOX` in any case is folded to `INBOX`, as Dovecot
/// does.
pub(crate) fn canonical_name(name: &str) -> Result<String> {
    let invalid = |why: &str| {
        Err(Error::new(
            ErrorKind::Invalid,
            format!("mailbox name {name:?}: {why}"),
        ))
    };
    if name.is_empty() {
        return invalid("empty");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return invalid("empty hierarchy level");
    }
    if name.chars().any(char::is_control) {
        return invalid("control character");
    }
    let (first, rest) = match name.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (name, None),
    };
    if first.eq_ignore_ascii_case(INBOX) {
        Ok(match rest {
            Some(rest) => format!("{INBOX}/{rest}"),
            None => INBOX.to_owned(),
        })
    } else {
        Ok(name.to_owned())
    }
}

/// Whether `name` is `parent` or below it.
pub(crate) fn is_within(name: &str, parent: &str) -> bool {
    name == parent
        || name
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// UIDs ascending, each once.
pub(crate) fn sorted(mut uids: Vec<u32>) -> Vec<u32> {
    uids.sort_unstable();
    uids.dedup();
    uids
}

/// Adds keywords not yet in `into` (case-insensitively), in order.
pub(crate) fn dedup_keywords<'a>(
    into: &mut Vec<String>,
    keywords: impl IntoIterator<Item = &'a String>,
) {
    for k in keywords {
        if !into.iter().any(|have| have.eq_ignore_ascii_case(k)) {
            into.push(k.clone());
        }
    }
}

/// Whether two keyword sets are equal, case-insensitively.
pub(crate) fn same_keywords(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|k| b.iter().any(|o| o.eq_ignore_ascii_case(k)))
}

/// The flags and keywords after `change`: keywords compare
/// case-insensitively, keep their first case and order, and new ones go
/// after the old.
pub(crate) fn apply(
    flags: Flags,
    keywords: &[String],
    change: &FlagChange,
) -> (Flags, Vec<String>) {
    let kept = |wanted: bool| -> Vec<String> {
        keywords
            .iter()
            .filter(|k| change.keywords.iter().any(|r| r.eq_ignore_ascii_case(k)) == wanted)
            .cloned()
            .collect()
    };
    match change.op {
        FlagOp::Add => {
            let mut kw = keywords.to_vec();
            dedup_keywords(&mut kw, &change.keywords);
            (flags | change.flags, kw)
        }
        FlagOp::Remove => (flags.difference(change.flags), kept(false)),
        FlagOp::Replace => {
            let mut kw = kept(true);
            dedup_keywords(&mut kw, &change.keywords);
            (change.flags, kw)
        }
    }
}

/// What changed from the view `old` to the messages `new` (both ascending
/// by UID): UIDs gone, UIDs new, and UIDs whose MODSEQ moved.
pub(crate) fn changes<'a>(
    old: &[MessageMeta],
    new: impl IntoIterator<Item = &'a MessageMeta>,
) -> Changes {
    let mut changes = Changes::default();
    let mut old = old.iter().peekable();
    for meta in new {
        while let Some(gone) = old.next_if(|m| m.uid < meta.uid) {
            changes.expunged.push(gone.uid);
        }
        match old.next_if(|m| m.uid == meta.uid) {
            Some(seen) if seen.modseq != meta.modseq => changes.updated.push(meta.uid),
            Some(_) => {}
            None => changes.added.push(meta.uid),
        }
    }
    changes.expunged.extend(old.map(|m| m.uid));
    changes
}
