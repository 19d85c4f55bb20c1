//! IMAP4rev1 and IMAP4rev2 (RFC 3501, RFC 9051) with the extensions real
//! clients use: types, parsers and encoders in both directions, and a
//! streaming command parser for servers that passes APPEND data through in
//! constant memory.
//!
//! - [`types`]: the grammar as Rust types, borrowing from the input.
//! - [`parse`]: commands and responses from bytes.
//! - [`encode`]: responses and commands into bytes, choosing atom, quoted
//!   or literal forms.
//! - [`utf7`]: modified UTF-7 mailbox names.
//! - [`compress`]: COMPRESS=DEFLATE's stream transformation.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod compress;
pub mod encode;
pub mod parse;
/// Streaming readers: responses for clients, commands for servers.
pub mod stream;
pub mod types;
pub mod utf7;

pub use types::core::{Atom, NString, Str, Tag};
pub use types::datetime::{Date, DateTime};
pub use types::mailbox::Mailbox;
pub use types::sequence::{SeqBound, SeqRange, SequenceSet};
