//! Sequence sets: message numbers or UIDs, ranges, `*` and `$`.

use std::num::NonZeroU32;

/// One end of a range: a number, or `*` (the largest number in use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeqBound {
    /// A message sequence number or UID.
    Value(NonZeroU32),
    /// `*`: the last message (or the largest UID) of the mailbox.
    Largest,
}

impl SeqBound {
    /// The number this bound stands for when `largest` is the mailbox's
    /// largest number.
    pub fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqBound::Value(n) => n.get(),
            SeqBound::Largest => largest,
        }
    }
}

/// One element of a sequence set: a number (`start == end`) or a range
/// `start:end` (either order: `5:3` is `3:5`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeqRange {
    /// The first bound as written.
    pub start: SeqBound,
    /// The second bound as written (the same as `start` for one number).
    pub end: SeqBound,
}

impl SeqRange {
    /// A single number.
    pub fn single(value: NonZeroU32) -> SeqRange {
        SeqRange {
            start: SeqBound::Value(value),
            end: SeqBound::Value(value),
        }
    }

    /// The inclusive range of numbers, lowest first, when `largest` is the
    /// mailbox's largest number.
    pub fn resolve(self, largest: u32) -> (u32, u32) {
        let a = self.start.resolve(largest);
        let b = self.end.resolve(largest);
        (a.min(b), a.max(b))
    }
}

/// A `sequence-set`, or `$` (the saved search result of RFC 5182).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SequenceSet {
    /// Comma-separated numbers and ranges, never empty.
    Ranges(Vec<SeqRange>),
    /// `$`: the result saved by `SEARCH RETURN (SAVE)`.
    Saved,
}

impl SequenceSet {
    /// A set of one number.
    pub fn single(value: NonZeroU32) -> SequenceSet {
        SequenceSet::Ranges(vec![SeqRange::single(value)])
    }

    /// `1:*`: every message.
    pub fn all() -> SequenceSet {
        SequenceSet::Ranges(vec![SeqRange {
            start: SeqBound::Value(NonZeroU32::MIN),
            end: SeqBound::Largest,
        }])
    }

    /// Whether `n` is in the set when `largest` is the mailbox's largest
    /// number; always false for `$`, which the caller resolves.
    ///
    /// ```
    /// use imap_proto::SequenceSet;
    /// let set = imap_proto::parse::sequence_set(b"2,4:*").unwrap();
    /// assert!(set.contains(5, 9));
    /// assert!(!set.contains(3, 9));
    /// ```
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        match self {
            SequenceSet::Ranges(ranges) => ranges.iter().any(|r| {
                let (lo, hi) = r.resolve(largest);
                (lo..=hi).contains(&n)
            }),
            SequenceSet::Saved => false,
        }
    }
}
