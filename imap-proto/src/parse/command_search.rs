//! SEARCH (with ESEARCH's and SEARCHRES's RETURN, CONDSTORE's MODSEQ),
//! SORT and THREAD: search keys nested to a bounded depth.

use crate::parse::cursor::{Cursor, PResult};
use crate::parse::primitives::{self, invalid};
use crate::types::command::{CommandBody, SortCriterion, SortKey};
use crate::types::core::is_atom_char;
use crate::types::search::{EntryType, SearchKey, SearchReturn};

use super::{kw, sp_astring, word};

/// After `[UID] SEARCH`: `[SP "RETURN" SP "(" [option *(SP option)] ")"]
/// [SP "CHARSET" SP charset] 1*(SP search-key)`.
pub(super) fn search<'a>(c: &mut Cursor<'a>, uid: bool) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let returns = search_returns(c)?;
    let mut charset = None;
    if c.keyword("CHARSET") {
        c.sp()?;
        charset = Some(primitives::astring(c)?);
        c.sp()?;
    }
    Ok(CommandBody::Search {
        uid,
        returns,
        charset,
        criteria: keys(c)?,
    })
}

/// `RETURN SP "(" [option *(SP option)] ")" SP`, if there.
fn search_returns(c: &mut Cursor<'_>) -> PResult<Option<Vec<SearchReturn>>> {
    if !c.keyword("RETURN") {
        return Ok(None);
    }
    c.sp()?;
    let returns = primitives::paren_list(c, 0, search_return)?;
    c.sp()?;
    Ok(Some(returns))
}

fn search_return(c: &mut Cursor<'_>) -> PResult<SearchReturn> {
    let (name, at) = word(c, is_atom_char, "a SEARCH return option")?;
    Ok(match name {
        kw::MIN => SearchReturn::Min,
        kw::MAX => SearchReturn::Max,
        kw::ALL => SearchReturn::All,
        kw::COUNT => SearchReturn::Count,
        kw::SAVE => SearchReturn::Save,
        kw::CONTEXT => SearchReturn::Context,
        kw::UPDATE => SearchReturn::Update,
        _ => return invalid(at, "MIN, MAX, ALL, COUNT, SAVE, CONTEXT or UPDATE"),
    })
}

/// `search-key *(SP search-key)`.
fn keys<'a>(c: &mut Cursor<'a>) -> PResult<Vec<SearchKey<'a>>> {
    primitives::space_separated(c, key)
}

/// After `[UID] SORT`: `SP [RETURN SP "(" [option *(SP option)] ")" SP]
/// "(" sort-criterion *(SP sort-criterion) ")" SP
/// charset 1*(SP search-key)` (RFC 5256, RFC 5957).
pub(super) fn sort<'a>(c: &mut Cursor<'a>, uid: bool) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let returns = search_returns(c)?;
    let criteria = primitives::paren_list(c, 1, sort_criterion)?;
    c.sp()?;
    let charset = primitives::astring(c)?;
    c.sp()?;
    Ok(CommandBody::Sort {
        uid,
        returns,
        criteria,
        charset,
        search: keys(c)?,
    })
}

fn sort_criterion(c: &mut Cursor<'_>) -> PResult<SortCriterion> {
    let reverse = c.keyword("REVERSE");
    if reverse {
        c.sp()?;
    }
    let (name, at) = word(c, is_atom_char, "a sort key")?;
    let key = match name {
        kw::ARRIVAL => SortKey::Arrival,
        kw::CC => SortKey::Cc,
        kw::DATE => SortKey::Date,
        kw::FROM => SortKey::From,
        kw::SIZE => SortKey::Size,
        kw::SUBJECT => SortKey::Subject,
        kw::TO => SortKey::To,
        kw::DISPLAYFROM => SortKey::DisplayFrom,
        kw::DISPLAYTO => SortKey::DisplayTo,
        _ => return invalid(at, "a sort key"),
    };
    Ok(SortCriterion { reverse, key })
}

/// After `[UID] THREAD`: `SP algorithm SP charset 1*(SP search-key)`.
pub(super) fn thread<'a>(c: &mut Cursor<'a>, uid: bool) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let algorithm = primitives::atom(c)?;
    c.sp()?;
    let charset = primitives::astring(c)?;
    c.sp()?;
    Ok(CommandBody::Thread {
        uid,
        algorithm,
        charset,
        search: keys(c)?,
    })
}

/// One search key; `NOT`, `OR` and parentheses nest within the depth
/// limit.
fn key<'a>(c: &mut Cursor<'a>) -> PResult<SearchKey<'a>> {
    match c.peek() {
        Some(b'(') => {
            return Ok(SearchKey::And(primitives::paren_list(c, 1, key)?));
        }
        Some(b'0'..=b'9' | b'*' | b'$') => {
            return primitives::sequence_set(c).map(SearchKey::SequenceSet);
        }
        _ => {}
    }
    let (name, at) = word(c, is_atom_char, "a search key")?;
    Ok(match name {
        kw::ALL => SearchKey::All,
        kw::ANSWERED => SearchKey::Answered,
        kw::DELETED => SearchKey::Deleted,
        kw::DRAFT => SearchKey::Draft,
        kw::FLAGGED => SearchKey::Flagged,
        kw::NEW => SearchKey::New,
        kw::OLD => SearchKey::Old,
        kw::RECENT => SearchKey::Recent,
        kw::SEEN => SearchKey::Seen,
        kw::UNANSWERED => SearchKey::Unanswered,
        kw::UNDELETED => SearchKey::Undeleted,
        kw::UNDRAFT => SearchKey::Undraft,
        kw::UNFLAGGED => SearchKey::Unflagged,
        kw::UNSEEN => SearchKey::Unseen,
        kw::BCC => SearchKey::Bcc(sp_astring(c)?),
        kw::BODY => SearchKey::Body(sp_astring(c)?),
        kw::CC => SearchKey::Cc(sp_astring(c)?),
        kw::FROM => SearchKey::From(sp_astring(c)?),
        kw::SUBJECT => SearchKey::Subject(sp_astring(c)?),
        kw::TEXT => SearchKey::Text(sp_astring(c)?),
        kw::TO => SearchKey::To(sp_astring(c)?),
        kw::HEADER => {
            let field = sp_astring(c)?;
            SearchKey::Header(field, sp_astring(c)?)
        }
        kw::KEYWORD => {
            c.sp()?;
            SearchKey::Keyword(primitives::atom(c)?)
        }
        kw::UNKEYWORD => {
            c.sp()?;
            SearchKey::Unkeyword(primitives::atom(c)?)
        }
        kw::BEFORE => SearchKey::Before(sp_date(c)?),
        kw::ON => SearchKey::On(sp_date(c)?),
        kw::SINCE => SearchKey::Since(sp_date(c)?),
        kw::SENTBEFORE => SearchKey::SentBefore(sp_date(c)?),
        kw::SENTON => SearchKey::SentOn(sp_date(c)?),
        kw::SENTSINCE => SearchKey::SentSince(sp_date(c)?),
        kw::LARGER => {
            c.sp()?;
            SearchKey::Larger(primitives::number64(c)?)
        }
        kw::SMALLER => {
            c.sp()?;
            SearchKey::Smaller(primitives::number64(c)?)
        }
        kw::UID => {
            c.sp()?;
            SearchKey::Uid(primitives::sequence_set(c)?)
        }
        kw::NOT => {
            c.sp()?;
            c.enter()?;
            let inner = key(c)?;
            c.leave();
            SearchKey::Not(Box::new(inner))
        }
        kw::OR => {
            c.sp()?;
            c.enter()?;
            let left = key(c)?;
            c.sp()?;
            let right = key(c)?;
            c.leave();
            SearchKey::Or(Box::new(left), Box::new(right))
        }
        kw::MODSEQ => modseq(c)?,
        kw::OLDER => {
            c.sp()?;
            SearchKey::Older(primitives::nz_number(c)?.get())
        }
        kw::YOUNGER => {
            c.sp()?;
            SearchKey::Younger(primitives::nz_number(c)?.get())
        }
        kw::SAVEDBEFORE => SearchKey::SavedBefore(sp_date(c)?),
        kw::SAVEDON => SearchKey::SavedOn(sp_date(c)?),
        kw::SAVEDSINCE => SearchKey::SavedSince(sp_date(c)?),
        _ if c.input[at..c.pos].eq_ignore_ascii_case(b"SAVEDATESUPPORTED") => {
            SearchKey::SaveDateSupported
        }
        _ => return invalid(at, "a search key"),
    })
}

fn sp_date(c: &mut Cursor<'_>) -> PResult<crate::types::datetime::Date> {
    c.sp()?;
    primitives::date(c)
}

/// `MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer`.
fn modseq<'a>(c: &mut Cursor<'a>) -> PResult<SearchKey<'a>> {
    c.sp()?;
    let mut entry = None;
    if matches!(c.peek(), Some(b'"' | b'{')) {
        let name = primitives::string(c)?;
        c.sp()?;
        let (kind, at) = word(c, is_atom_char, "priv, shared or all")?;
        let kind = match kind {
            kw::PRIV => EntryType::Private,
            kw::SHARED => EntryType::Shared,
            kw::ALL => EntryType::All,
            _ => return invalid(at, "priv, shared or all"),
        };
        c.sp()?;
        entry = Some((name, kind));
    }
    Ok(SearchKey::ModSeq {
        entry,
        modseq: primitives::number64(c)?,
    })
}
