//! Where a command's lines end and its literals begin, read from the line
//! ends alone: in a command, a line that ends with `{n}`, `{n+}`, `{n-}`
//! or `~{n}` always announces a literal (no other production can end a
//! line with `}`), so the reader knows a command's extent without parsing
//! it — which is what lets it skip a malformed command whole.

use std::borrow::Cow;

use crate::parse::cursor::Cursor;
use crate::parse::{ParseLimits, primitives};
use crate::types::core::Tag;

/// A literal announced at the end of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Announced {
    /// Its length.
    pub(crate) size: u64,
    /// `{n}`: the client waits for a continuation request.
    pub(crate) sync: bool,
    /// `~{n}`.
    pub(crate) binary: bool,
}

/// The literal announced by `line` (which ends with LF), if any; `None`
/// also for a size beyond 63 bits, which the parser then refuses.
pub(crate) fn announced(line: &[u8]) -> Option<Announced> {
    let body = line.strip_suffix(b"\r\n")?;
    let body = body.strip_suffix(b"}")?;
    let (body, sync) = match body.last() {
        Some(b'+' | b'-') => (&body[..body.len() - 1], false),
        _ => (body, true),
    };
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = &body[open + 1..];
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let size = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    let binary = open > 0 && body[open - 1] == b'~';
    Some(Announced { size, sync, binary })
}

/// The tag at the start of a command, when there is a valid one (for the
/// tagged BAD that answers a broken command).
pub(crate) fn leading_tag(command: &[u8]) -> Option<Tag<'static>> {
    let mut c = Cursor::new(command, ParseLimits::default());
    let tag = primitives::tag(&mut c).ok()?;
    (c.peek() == Some(b' ')).then(|| Tag::unchecked(Cow::Owned(tag.as_str().to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_announcements() {
        let a = |l: &[u8]| announced(l);
        assert_eq!(
            a(b"A1 LOGIN {5}\r\n"),
            Some(Announced {
                size: 5,
                sync: true,
                binary: false
            })
        );
        assert_eq!(
            a(b"A1 APPEND x ~{12+}\r\n").map(|l| (l.sync, l.binary)),
            Some((false, true))
        );
        assert_eq!(a(b"A1 X {-}\r\n"), None);
        assert_eq!(a(b"A1 X {5}\n"), None);
        assert_eq!(a(b"A1 NOOP\r\n"), None);
        assert_eq!(a(b"{99999999999999999999}\r\n"), None);
    }

    #[test]
    fn tags() {
        assert_eq!(leading_tag(b"a1 NOOP\r\n").unwrap().as_str(), "a1");
        assert!(leading_tag(b"+1 NOOP\r\n").is_none());
        assert!(leading_tag(b"a1\r\n").is_none());
    }
}
