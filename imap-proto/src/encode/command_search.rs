//! Search keys, SEARCH/SORT return options and sort criteria.

use crate::encode::writer::Writer;
use crate::types::command::{SortCriterion, SortKey};
use crate::types::search::{EntryType, SearchKey, SearchReturn};

/// ` RETURN (...)` when there are return options (`Some(&[])` is
/// `RETURN ()`).
pub(super) fn returns(w: &mut Writer<'_>, returns: Option<&[SearchReturn]>) {
    if let Some(returns) = returns {
        w.raw(b" RETURN ");
        w.paren_list(returns, |w, r| {
            w.raw(match r {
                SearchReturn::Min => b"MIN",
                SearchReturn::Max => b"MAX",
                SearchReturn::All => b"ALL",
                SearchReturn::Count => b"COUNT",
                SearchReturn::Save => b"SAVE",
                SearchReturn::Context => b"CONTEXT",
                SearchReturn::Update => b"UPDATE",
            })
        });
    }
}

/// `(criterion ...)` of SORT.
pub(super) fn sort_criteria(w: &mut Writer<'_>, criteria: &[SortCriterion]) {
    w.paren_list(criteria, |w, c| {
        if c.reverse {
            w.raw(b"REVERSE ");
        }
        w.raw(match c.key {
            SortKey::Arrival => &b"ARRIVAL"[..],
            SortKey::Cc => b"CC",
            SortKey::Date => b"DATE",
            SortKey::From => b"FROM",
            SortKey::Size => b"SIZE",
            SortKey::Subject => b"SUBJECT",
            SortKey::To => b"TO",
            SortKey::DisplayFrom => b"DISPLAYFROM",
            SortKey::DisplayTo => b"DISPLAYTO",
        });
    });
}

/// Keys separated by spaces.
pub(super) fn keys(w: &mut Writer<'_>, keys: &[SearchKey<'_>]) {
    w.list(keys, key);
}

fn key(w: &mut Writer<'_>, key: &SearchKey<'_>) {
    let (word, rest): (&[u8], _) = match key {
        SearchKey::All => (b"ALL", None),
        SearchKey::Answered => (b"ANSWERED", None),
        SearchKey::Deleted => (b"DELETED", None),
        SearchKey::Draft => (b"DRAFT", None),
        SearchKey::Flagged => (b"FLAGGED", None),
        SearchKey::New => (b"NEW", None),
        SearchKey::Old => (b"OLD", None),
        SearchKey::Recent => (b"RECENT", None),
        SearchKey::Seen => (b"SEEN", None),
        SearchKey::Unanswered => (b"UNANSWERED", None),
        SearchKey::Undeleted => (b"UNDELETED", None),
        SearchKey::Undraft => (b"UNDRAFT", None),
        SearchKey::Unflagged => (b"UNFLAGGED", None),
        SearchKey::Unseen => (b"UNSEEN", None),
        SearchKey::SaveDateSupported => (b"SAVEDATESUPPORTED", None),
        SearchKey::Bcc(s) => (b"BCC", Some(s)),
        SearchKey::Body(s) => (b"BODY", Some(s)),
        SearchKey::Cc(s) => (b"CC", Some(s)),
        SearchKey::From(s) => (b"FROM", Some(s)),
        SearchKey::Subject(s) => (b"SUBJECT", Some(s)),
        SearchKey::Text(s) => (b"TEXT", Some(s)),
        SearchKey::To(s) => (b"TO", Some(s)),
        SearchKey::Header(field, value) => {
            w.raw(b"HEADER ");
            w.astring(field);
            w.sp();
            w.astring(value);
            return;
        }
        SearchKey::Keyword(k) | SearchKey::Unkeyword(k) => {
            w.raw(if matches!(key, SearchKey::Keyword(_)) {
                &b"KEYWORD "[..]
            } else {
                b"UNKEYWORD "
            });
            w.atom(k);
            return;
        }
        SearchKey::Before(d)
        | SearchKey::On(d)
        | SearchKey::Since(d)
        | SearchKey::SentBefore(d)
        | SearchKey::SentOn(d)
        | SearchKey::SentSince(d)
        | SearchKey::SavedBefore(d)
        | SearchKey::SavedOn(d)
        | SearchKey::SavedSince(d) => {
            w.raw(match key {
                SearchKey::Before(_) => &b"BEFORE "[..],
                SearchKey::On(_) => b"ON ",
                SearchKey::Since(_) => b"SINCE ",
                SearchKey::SentBefore(_) => b"SENTBEFORE ",
                SearchKey::SentOn(_) => b"SENTON ",
                SearchKey::SentSince(_) => b"SENTSINCE ",
                SearchKey::SavedBefore(_) => b"SAVEDBEFORE ",
                SearchKey::SavedOn(_) => b"SAVEDON ",
                _ => b"SAVEDSINCE ",
            });
            w.date(*d);
            return;
        }
        SearchKey::Larger(n) | SearchKey::Smaller(n) => {
            w.raw(if matches!(key, SearchKey::Larger(_)) {
                &b"LARGER "[..]
            } else {
                b"SMALLER "
            });
            w.number(*n);
            return;
        }
        SearchKey::Older(n) | SearchKey::Younger(n) => {
            w.raw(if matches!(key, SearchKey::Older(_)) {
                &b"OLDER "[..]
            } else {
                b"YOUNGER "
            });
            w.number(u64::from(*n));
            return;
        }
        SearchKey::Uid(set) => {
            w.raw(b"UID ");
            w.sequence_set(set);
            return;
        }
        SearchKey::SequenceSet(set) => {
            w.sequence_set(set);
            return;
        }
        SearchKey::Not(inner) => {
            w.raw(b"NOT ");
            self::key(w, inner);
            return;
        }
        SearchKey::Or(left, right) => {
            w.raw(b"OR ");
            self::key(w, left);
            w.sp();
            self::key(w, right);
            return;
        }
        SearchKey::And(keys) => {
            w.paren_list(keys, self::key);
            return;
        }
        SearchKey::ModSeq { entry, modseq } => {
            w.raw(b"MODSEQ ");
            if let Some((name, kind)) = entry {
                w.string(name);
                w.raw(match kind {
                    EntryType::Private => b" priv ",
                    EntryType::Shared => b" shared ",
                    EntryType::All => &b" all "[..],
                });
            }
            w.number(*modseq);
            return;
        }
    };
    w.raw(word);
    if let Some(s) = rest {
        w.sp();
        w.astring(s);
    }
}
