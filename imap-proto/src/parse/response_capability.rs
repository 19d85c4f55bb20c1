//! Capabilities, in CAPABILITY data and the CAPABILITY code.

use std::borrow::Cow;

use crate::parse::cursor::{Cursor, PResult};
use crate::types::capability::{
    APPENDLIMIT_PREFIX, AUTH_PREFIX, COMPRESS_PREFIX, Capability, QUOTA_RES_PREFIX, SIMPLE,
    THREAD_PREFIX,
};
use crate::types::core::{Atom, is_atom_char};

/// One capability: its atom, recognised without regard to case.
pub(crate) fn capability<'a>(c: &mut Cursor<'a>) -> PResult<Capability<'a>> {
    let bytes = c.take_while1(is_atom_char, "a capability")?;
    // Atom characters are ASCII.
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    Ok(classify(text))
}

/// The value after `prefix` (any case), if `text` starts with it and has
/// one.
fn after<'a>(text: &'a str, prefix: &str) -> Option<Atom<'a>> {
    let head = text.get(..prefix.len())?;
    let rest = &text[prefix.len()..];
    (head.eq_ignore_ascii_case(prefix) && !rest.is_empty())
        .then(|| Atom::unchecked(Cow::Borrowed(rest)))
}

fn classify(text: &str) -> Capability<'_> {
    if let Some((_, cap)) = SIMPLE.iter().find(|(n, _)| n.eq_ignore_ascii_case(text)) {
        return cap.clone();
    }
    let value = |prefix: &str| after(text, prefix);
    if let Some(a) = value(AUTH_PREFIX) {
        Capability::Auth(a)
    } else if let Some(a) = value(QUOTA_RES_PREFIX) {
        Capability::QuotaRes(a)
    } else if let Some(a) = value(COMPRESS_PREFIX) {
        Capability::Compress(a)
    } else if let Some(a) = value(THREAD_PREFIX) {
        Capability::Thread(a)
    } else if let Some(n) = value(APPENDLIMIT_PREFIX).and_then(|a| limit(a.as_str())) {
        Capability::AppendLimit(Some(n))
    } else {
        Capability::Other(Atom::unchecked(Cow::Borrowed(text)))
    }
}

/// APPENDLIMIT's value: digits within 63 bits, else the capability is
/// kept as an unknown one.
fn limit(digits: &str) -> Option<u64> {
    if digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().filter(|&n| n <= i64::MAX as u64)
}
