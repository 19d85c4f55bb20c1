//! The fast path through dot-stuffed text, shared by the stuffer and the
//! protocols' unstuffing decoders.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// Finds dot-stuffed lines (and the terminator): after a real CRLF, a dot
/// is always at the start of a line.
static DOT_LINE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\r\n."));

/// The fast path of stuffing and unstuffing: most content is lines of
/// text ending in CRLF, with a dot at the start of a line now and then.
///
/// Takes `input[pos..]`, where `input[pos]` does not start a line with a
/// dot and is not the LF of a CRLF, up to just after the next CRLF that is
/// followed by a dot (or to the end of input, leaving a final CR for the
/// caller). Returns `Ok(end)` if all of `input[pos..end]` can be copied
/// as it is because it holds no bare CR or LF, else `Err(end)`: the caller
/// must go through it byte by byte.
pub fn plain_text(input: &[u8], pos: usize) -> Result<usize, usize> {
    let end = match DOT_LINE.find(&input[pos..]) {
        Some(found) => pos + found + 2,
        None if input.last() == Some(&b'\r') => input.len() - 1,
        None => input.len(),
    };
    // One byte past `end`, if there is one, so that the pair across `end`
    // is checked too.
    let text = &input[pos..input.len().min(end + 1)];
    if text.first() != Some(&b'\n') && crlf_only(text) {
        Ok(end)
    } else {
        Err(end)
    }
}

/// Whether, inside `text`, every CR is followed by an LF and every LF
/// preceded by a CR.
fn crlf_only(text: &[u8]) -> bool {
    let Some(next) = text.get(1..) else {
        return true;
    };
    let this = &text[..next.len()];
    // Fixed-size blocks the compiler turns into vector code, with an early
    // exit between blocks for bad input.
    let (this_blocks, this_rest) = this.as_chunks::<64>();
    let (next_blocks, next_rest) = next.as_chunks::<64>();
    this_blocks
        .iter()
        .zip(next_blocks)
        .all(|(this, next)| pairs_match(this, next))
        && pairs_match(this_rest, next_rest)
}

#[inline(always)]
fn pairs_match(this: &[u8], next: &[u8]) -> bool {
    let bad = this
        .iter()
        .zip(next)
        .fold(false, |bad, (&a, &b)| bad | ((a == b'\r') != (b == b'\n')));
    !bad
}
