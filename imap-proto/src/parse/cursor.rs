//! The cursor every parser reads through, and its errors.

use thiserror::Error;

/// Why input does not parse (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The input ends before the item does; more bytes may complete it.
    #[error("incomplete: {0:?}")]
    Incomplete(Needed),
    /// The input cannot be this item, whatever follows.
    #[error("invalid at byte {at}: expected {expected}")]
    Invalid {
        /// Where in the input.
        at: usize,
        /// What the grammar wanted there.
        expected: &'static str,
    },
    /// Parentheses or search keys nest deeper than the limit.
    #[error("nested deeper than the limit")]
    TooDeep,
    /// More list items than the limit.
    #[error("more items than the limit")]
    TooManyItems,
}

/// What an incomplete parse waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// More of the line.
    Line,
    /// The data of a literal announced at `at` (the offset of its first
    /// data byte), `size` octets long.
    Literal {
        /// Where its data starts.
        at: usize,
        /// Its length.
        size: u64,
        /// A synchronising literal (`{n}`): the sender waits for a
        /// continuation request.
        sync: bool,
        /// A `literal8` (`~{n}`).
        binary: bool,
    },
}

/// The limits of one parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// How deeply parenthesised lists and search keys may nest.
    pub max_depth: u32,
    /// How many items a list may hold (sequence-set elements, fetch
    /// attributes, flags, search keys...).
    pub max_items: usize,
}

impl Default for ParseLimits {
    fn default() -> ParseLimits {
        ParseLimits {
            max_depth: 32,
            max_items: 10_000,
        }
    }
}

/// A position in the input.
pub(crate) struct Cursor<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) depth: u32,
    pub(crate) limits: ParseLimits,
}

pub(crate) type PResult<T> = Result<T, ParseError>;

impl<'a> Cursor<'a> {
    pub(crate) fn new(input: &'a [u8], limits: ParseLimits) -> Cursor<'a> {
        Cursor {
            input,
            pos: 0,
            depth: 0,
            limits,
        }
    }

    /// The next byte, not consumed.
    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// What is left.
    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.input[self.pos..]
    }

    /// An error at the current position: incomplete when the line has
    /// not ended yet (what follows may still make it valid: `BODY[H` may
    /// become `BODY[HEADER]`), invalid otherwise.
    #[inline]
    pub(crate) fn fail<T>(&self, expected: &'static str) -> PResult<T> {
        if memchr::memchr(b'\n', self.rest()).is_none() {
            Err(ParseError::Incomplete(Needed::Line))
        } else {
            Err(ParseError::Invalid {
                at: self.pos,
                expected,
            })
        }
    }

    /// Consumes `b` or fails.
    #[inline]
    pub(crate) fn byte(&mut self, b: u8, expected: &'static str) -> PResult<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(expected)
        }
    }

    /// Consumes `b` if it is next.
    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `SP`.
    #[inline]
    pub(crate) fn sp(&mut self) -> PResult<()> {
        self.byte(b' ', "SP")
    }

    /// `CRLF`.
    #[inline]
    pub(crate) fn crlf(&mut self) -> PResult<()> {
        self.byte(b'\r', "CRLF")?;
        self.byte(b'\n', "CRLF")
    }

    /// The longest run of bytes satisfying `f` (possibly empty); fails as
    /// incomplete when the run reaches the end of the input, since more
    /// of it may follow.
    #[inline]
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> PResult<&'a [u8]> {
        let rest = self.rest();
        let n = rest.iter().position(|&b| !f(b));
        match n {
            Some(n) => {
                self.pos += n;
                Ok(&rest[..n])
            }
            None => Err(ParseError::Incomplete(Needed::Line)),
        }
    }

    /// Like [`Cursor::take_while`], but at least one byte.
    #[inline]
    pub(crate) fn take_while1(
        &mut self,
        f: impl Fn(u8) -> bool,
        expected: &'static str,
    ) -> PResult<&'a [u8]> {
        let start = self.pos;
        let run = self.take_while(f)?;
        if run.is_empty() {
            self.pos = start;
            return self.fail(expected);
        }
        Ok(run)
    }

    /// Consumes `word` (ASCII, any case) if the input continues with it
    /// and then with a byte that cannot continue an atom (`]` can end a
    /// word: `HEADER]`).
    #[inline]
    pub(crate) fn keyword(&mut self, word: &str) -> bool {
        let rest = self.rest();
        let n = word.len();
        if rest.len() > n
            && rest[..n].eq_ignore_ascii_case(word.as_bytes())
            && !crate::types::core::is_atom_char(rest[n])
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    /// Enters a nested list; fails beyond the depth limit.
    #[inline]
    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            Err(ParseError::TooDeep)
        } else {
            Ok(())
        }
    }

    /// Leaves a nested list.
    #[inline]
    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Checks a list's length against the limit.
    #[inline]
    pub(crate) fn check_items(&self, count: usize) -> PResult<()> {
        if count > self.limits.max_items {
            Err(ParseError::TooManyItems)
        } else {
            Ok(())
        }
    }
}
