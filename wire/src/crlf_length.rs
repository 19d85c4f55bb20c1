//! The length of content in its CRLF form, before stuffing: what POP3
//! calls a message's exact size (RFC 1939 §5, LIST and STAT).

/// Counts the octets of content once every bare CR and bare LF is sent as
/// CRLF, the way [`DotStuffer`](crate::DotStuffer) sends them, not counting
/// the dots stuffing adds or the terminating line. Content may be fed in
/// pieces split anywhere.
///
/// ```
/// use wire::CrlfLength;
/// assert_eq!(CrlfLength::of(b"a\r\nb\nc\rd"), 10);
/// let mut length = CrlfLength::new();
/// length.feed(b"a\r");
/// length.feed(b"\nb");
/// assert_eq!(length.len(), 4);
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CrlfLength {
    len: u64,
    /// The last byte fed was a CR (counted with its LF already).
    after_cr: bool,
}

impl CrlfLength {
    /// A count at the start of the content.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next piece of the content.
    pub fn feed(&mut self, piece: &[u8]) {
        let mut after_cr = self.after_cr;
        let mut len = self.len;
        for &byte in piece {
            len += match byte {
                // The LF of a CRLF was counted with its CR.
                b'\n' if after_cr => 0,
                b'\r' | b'\n' => 2,
                _ => 1,
            };
            after_cr = byte == b'\r';
        }
        self.len = len;
        self.after_cr = after_cr;
    }

    /// The length of the content fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no content was fed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The length of whole content.
    pub fn of(content: &[u8]) -> u64 {
        let mut length = Self::new();
        length.feed(content);
        length.len()
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::CrlfLength;
    use crate::DotStuffer;

    /// Content from a few bytes that matter, pseudo-random.
    fn content(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                b"\r\nx.y"[(state >> 33) as usize % 5]
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_stuffer_at_every_split() {
        for seed in 0..300 {
            let text = content(seed, (seed % 40) as usize);
            // Without dots the stuffer adds only line ends and the terminator.
            let plain: Vec<u8> = text
                .iter()
                .map(|&b| if b == b'.' { b'x' } else { b })
                .collect();
            let mut out = BytesMut::new();
            DotStuffer::encode_all(&plain, &mut out);
            let ends_a_line = plain.is_empty() || matches!(plain.last(), Some(b'\r' | b'\n'));
            let terminator = if ends_a_line { 3 } else { 5 };
            let expected = out.len() as u64 - terminator;
            assert_eq!(CrlfLength::of(&plain), expected, "{plain:?}");
            assert_eq!(CrlfLength::of(&text), expected, "dots count once: {text:?}");
            for split in 0..=text.len() {
                let mut length = CrlfLength::new();
                length.feed(&text[..split]);
                length.feed(&text[split..]);
                assert_eq!(length.len(), expected, "{text:?} split at {split}");
            }
        }
    }
}
