//! Parsers: commands (server side), responses (client side) and the
//! productions they share. Each takes complete input (the streaming
//! layers, [`crate::stream`], decide when a command or response is
//! complete) and borrows from it.

mod command;
pub(crate) mod cursor;
pub(crate) mod primitives;
mod response;
pub use command::command;
pub use response::response;

pub use cursor::{Needed, ParseError, ParseLimits};

use crate::types::sequence::SequenceSet;
use cursor::Cursor;

/// A sequence set from its text (`1:5,7,*`, or `$`), the whole input.
///
/// ```
/// use imap_proto::parse::sequence_set;
/// assert!(sequence_set(b"1:5,7,*").is_some());
/// assert!(sequence_set(b"0").is_none());
/// ```
pub fn sequence_set(text: &[u8]) -> Option<SequenceSet> {
    // A delimiter after the text, so that a number at its end is complete.
    let mut input = Vec::with_capacity(text.len() + 1);
    input.extend_from_slice(text);
    input.push(b' ');
    let mut c = Cursor::new(&input, ParseLimits::default());
    let set = primitives::sequence_set(&mut c).ok()?;
    (c.pos == text.len()).then_some(set)
}
