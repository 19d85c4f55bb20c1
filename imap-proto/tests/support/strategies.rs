//! proptest strategies for the shared types of the grammar, used by the
//! command and response round-trip tests (each test file includes this
//! module with `#[path = "support/strategies.rs"] mod strategies;`).
#![allow(dead_code)]

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_proto::types::flag::{Flag, FlagPerm};
use imap_proto::{Atom, Date, DateTime, Mailbox, SeqBound, SeqRange, SequenceSet, Str, Tag};
use proptest::collection::vec;
use proptest::prelude::*;

/// Atom characters (no atom-specials).
pub const ATOM_CHARS: &str = "[A-Za-z0-9!#$&'+,./:;<=>?@^_`|~-]";

pub fn tag() -> impl Strategy<Value = Tag<'static>> {
    "[A-Za-z0-9.]{1,8}".prop_map(|t| Tag::new(t).expect("tag chars"))
}

pub fn atom() -> impl Strategy<Value = Atom<'static>> {
    proptest::string::string_regex(&format!("{ATOM_CHARS}{{1,12}}"))
        .expect("regex")
        .prop_map(|a| Atom::new(a).expect("atom chars"))
}

/// Atoms that are not a word the grammar gives a meaning in the place
/// where a keyword or extension name goes: a prefix keeps them apart.
pub fn keyword_atom() -> impl Strategy<Value = Atom<'static>> {
    atom().prop_map(|a| Atom::new(format!("K{}", a.as_str())).expect("atom"))
}

/// Any bytes a string can carry outside literal8 (no NUL): mostly text,
/// sometimes with quotes, backslashes, CR, LF or 8-bit bytes, so that
/// every form (atom, quoted, literal) is produced.
pub fn str_value() -> impl Strategy<Value = Str<'static>> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ]{0,16}".prop_map(Str::from),
        2 => "[ -~]{0,24}".prop_map(Str::from),
        1 => vec(1u8..=255, 0..40).prop_map(Str::from),
    ]
}

/// Non-empty values (where the grammar needs one character at least, or
/// an empty string would be ambiguous).
pub fn nonempty_str() -> impl Strategy<Value = Str<'static>> {
    str_value().prop_filter("non-empty", |s| !s.as_bytes().is_empty())
}

pub fn nstring() -> impl Strategy<Value = Option<Str<'static>>> {
    proptest::option::of(str_value())
}

pub fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    prop_oneof![
        1 => Just(Mailbox::Inbox),
        4 => str_value().prop_map(|s| Mailbox::from_wire(Cow::Owned(s.as_bytes().to_vec()))),
    ]
}

pub fn nz() -> impl Strategy<Value = NonZeroU32> {
    prop_oneof![
        3 => 1u32..100,
        1 => 1u32..=u32::MAX,
    ]
    .prop_map(|n| NonZeroU32::new(n).expect("non-zero"))
}

pub fn sequence_set() -> impl Strategy<Value = SequenceSet> {
    let bound = prop_oneof![
        4 => nz().prop_map(SeqBound::Value),
        1 => Just(SeqBound::Largest),
    ];
    let range = (bound.clone(), bound).prop_map(|(start, end)| SeqRange { start, end });
    prop_oneof![
        8 => vec(range, 1..5).prop_map(SequenceSet::Ranges),
        1 => Just(SequenceSet::Saved),
    ]
}

/// Sets without `$` (where the grammar has no saved result).
pub fn plain_sequence_set() -> impl Strategy<Value = SequenceSet> {
    sequence_set().prop_filter("no $", |s| *s != SequenceSet::Saved)
}

pub fn flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        keyword_atom().prop_map(Flag::Keyword),
        keyword_atom().prop_map(Flag::Extension),
    ]
}

/// Flags of FETCH and FLAGS responses, where `\Recent` may appear.
pub fn fetch_flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![9 => flag(), 1 => Just(Flag::Recent)]
}

pub fn flag_perm() -> impl Strategy<Value = FlagPerm<'static>> {
    prop_oneof![6 => flag().prop_map(FlagPerm::Flag), 1 => Just(FlagPerm::Wildcard)]
}

pub fn date() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).expect("valid"))
}

pub fn date_time() -> impl Strategy<Value = DateTime> {
    (
        date(),
        0u8..24,
        0u8..60,
        0u8..60,
        -(99 * 60 + 59)..=(99 * 60 + 59i16),
    )
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, h, m, s, z).expect("valid"))
}
