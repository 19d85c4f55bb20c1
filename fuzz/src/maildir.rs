//! The fuzz harness of the maildir crate, shared by the cargo-fuzz targets
//! `fuzz/fuzz_targets/maildir_*.rs` and by the corpus replay test
//! `maildir/tests/fuzz_corpus.rs` (which includes this file as a module), so
//! a corpus file means the same thing in both places. It needs only the
//! `maildir` crate.
//!
//! # Input formats
//!
//! * `maildir_name`: the input, decoded as UTF-8 (lossily), is one Maildir
//!   file name.
//! * `maildir_uidlist`: the input is a `dovecot-uidlist` file.
//! * `maildir_keywords`: the input is a `dovecot-keywords` file.
//! * `maildir_mbox`: the input is an mbox file, read as mboxo and as mboxrd.
//!   How the streaming readers cut it is derived from the input itself
//!   ([`chunk_seed`]), so plain mbox files are seeds as they are.
//!
//! # What is checked
//!
//! Besides "no panic":
//!
//! * names: `MessageName::parse` accepts exactly the names a small model of
//!   its documented rules accepts; a parsed name displays as a name that
//!   parses back to it (and displays the same again), keeps its base and
//!   fields exactly, and displays as the input itself unless it has a `:2,`
//!   info; flags display sorted, each letter once, parse back to
//!   themselves and hold exactly the input's letters; `with_flags(flags())`
//!   is the display, and `with_flags` of any flags parses back to the same
//!   stem with those flags; `uidlist::base_name` agrees with `without_info`.
//! * uidlist: what parses has one line per entry plus the header, ascending
//!   UIDs in `1..next_uid`, unique names that look up to their UID, and
//!   extension fields and names as documented; `to_bytes` parses back to an
//!   equal list and serialises identically; so do the list after `append`
//!   (which follows its documentation: an existing name keeps its UID, a
//!   new one gets the next UID, a full UID space is refused) and after
//!   `remove` (which keeps the next UID).
//! * keywords: what parses has one line per keyword, indexes below 26,
//!   valid keywords whose letter and index look up both ways; `to_bytes`
//!   parses back to an equal table and serialises identically, also after
//!   `add` (first free letter, or the existing one, or `None` when full).
//! * mbox: for both formats, reading the input whole, through a one-byte
//!   `BufReader` and through a reader handing out pieces of varying odd
//!   sizes gives the same messages (or the same error); an error only when
//!   the input does not start with `From ` after its leading empty lines;
//!   streaming with `next_message` and small `read`s, skipping every other
//!   message unread, gives the same envelopes and data, and ascending
//!   offsets that point at `From ` line starts; a reported
//!   `Content-Length` is one of the message's header fields; envelopes are
//!   as `Envelope::parse` documents. Writing the messages read with
//!   `MboxWriter` and reading the output again gives the same messages (up
//!   to the documented normalisations: an empty sender is written as
//!   `MAILER-DAEMON`, a missing final newline is added, and for mboxo a line
//!   starting `>From ` comes back as `From `), except when a message has a
//!   `Content-Length` header, which the writer documents as not exact;
//!   envelopes the writer must refuse (white space in the sender, a line
//!   break in the date) are refused.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use maildir::Error;
use maildir::keywords::{Keywords, MAX_KEYWORDS, is_valid_keyword};
use maildir::mbox::{self, Envelope, Format, MboxReader, MboxWriter, Message};
use maildir::name::{Flag, Flags, MessageName};
use maildir::uidlist::{self, UidList};

/// One fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `maildir_name`: Maildir file names and flags.
    Name,
    /// `maildir_uidlist`: `dovecot-uidlist` files.
    Uidlist,
    /// `maildir_keywords`: `dovecot-keywords` files.
    Keywords,
    /// `maildir_mbox`: the mbox reader and writer.
    Mbox,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [
        Target::Name,
        Target::Uidlist,
        Target::Keywords,
        Target::Mbox,
    ];

    /// The cargo-fuzz target name, which is also its corpus directory name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Name => "maildir_name",
            Target::Uidlist => "maildir_uidlist",
            Target::Keywords => "maildir_keywords",
            Target::Mbox => "maildir_mbox",
        }
    }

    /// Runs one input; panics if a check fails.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::Name => run_name(data),
            Target::Uidlist => run_uidlist(data),
            Target::Keywords => run_keywords(data),
            Target::Mbox => run_mbox(data),
        }
    }
}

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

// ---------------------------------------------------------------------------
// maildir_name

fn run_name(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = MessageName::parse(&text);
    let model = name_model(&text);
    match (&parsed, model) {
        (Ok(_), Ok(())) | (Err(Error::InvalidName { .. }), Err(_)) => {}
        (Ok(name), Err(why)) => panic!("{text:?} parsed as {name:?}, but {why}"),
        (Err(error), Ok(())) => panic!("{text:?} refused ({error:?}), but the rules allow it"),
        (Err(error), Err(_)) => panic!("{text:?} refused with a wrong error {error:?}"),
    }
    if let Ok(name) = parsed {
        check_name(&text, &name);
    }
}

/// Whether the documented rules allow `name`; `Err` says why not.
fn name_model(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.chars().any(|c| c == '/' || c == '\0') {
        return Err("it has '/' or NUL");
    }
    if name.starts_with('.') {
        return Err("it starts with '.'");
    }
    let colon = name.find(':');
    let stem = &name[..colon.unwrap_or(name.len())];
    let mut fields = stem.split(',');
    if fields.next().is_none_or(str::is_empty) {
        return Err("its unique part is empty");
    }
    let (mut size, mut vsize) = (false, false);
    for field in fields {
        let Some(eq) = field.find('=') else {
            return Err("a field has no '='");
        };
        let (key, value) = (&field[..eq], &field[eq + 1..]);
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("a field key is empty or not alphanumeric");
        }
        let seen = match key {
            "S" => &mut size,
            "W" => &mut vsize,
            _ => continue,
        };
        if std::mem::replace(seen, true) {
            return Err("S= or W= is repeated");
        }
        let digits = value.trim_start_matches('0');
        if value.is_empty()
            || !value.chars().all(|c| c.is_ascii_digit())
            || digits.len() > 20
            || (digits.len() == 20 && digits > "18446744073709551615")
        {
            return Err("S= or W= is not a u64");
        }
    }
    let Some(colon) = colon else {
        return Ok(());
    };
    let info = &name[colon + 1..];
    let mut chars = info.chars();
    let version = chars.next();
    if !version.is_some_and(|c| c.is_ascii_digit()) || chars.next() != Some(',') {
        return Err("the info does not start with a digit and ','");
    }
    if version == Some('2') && !chars.all(|c| "DFPRST".contains(c) || c.is_ascii_lowercase()) {
        return Err("a flag letter is unknown");
    }
    Ok(())
}

fn check_name(text: &str, name: &MessageName) {
    let display = name.to_string();
    let again = MessageName::parse(&display)
        .unwrap_or_else(|error| panic!("{text:?} displays as {display:?}, refused: {error:?}"));
    assert_eq!(
        &again, name,
        "{text:?} displays as {display:?}, parsed differently"
    );
    assert_eq!(again.to_string(), display, "display is not canonical");

    // The stem is kept exactly; the base is the part before the fields.
    let stem = name.without_info();
    assert_eq!(Some(stem), text.split(':').next(), "stem of {text:?}");
    assert_eq!(
        uidlist::base_name(text),
        stem,
        "uidlist::base_name of {text:?}"
    );
    assert_eq!(uidlist::base_name(&display), stem);
    assert!(display.starts_with(stem));
    assert_eq!(
        Some(name.base()),
        stem.split(',').next(),
        "base of {text:?}"
    );
    assert!(!name.base().is_empty() && !name.base().starts_with('.'));
    for (key, value) in name.fields() {
        assert!(!key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(
            stem.contains(&format!(",{key}={value}")),
            "field {key}={value}"
        );
        assert!(name.field(key).is_some());
    }
    let number = |key| {
        name.field(key)
            .map(|v: &str| v.parse::<u64>().expect("checked"))
    };
    assert_eq!(name.size(), number("S"), "S= of {text:?}");
    assert_eq!(name.vsize(), number("W"), "W= of {text:?}");

    let info = text.find(':').map(|i| &text[i + 1..]);
    match name.flags() {
        Some(flags) => {
            assert_eq!(name.raw_info(), None);
            let letters = &info.expect("flags come from an info")[2..];
            check_flags(&flags);
            for c in letters.chars() {
                assert!(
                    flags.contains_keyword(c)
                        || Flag::from_letter(c).is_some_and(|f| flags.contains(f)),
                    "{text:?}: {c:?} lost from the flags {flags}"
                );
            }
            let shown = flags.to_string();
            assert!(
                shown.chars().all(|c| letters.contains(c)),
                "{text:?}: flags {shown} gained a letter"
            );
            assert_eq!(display, format!("{stem}:2,{shown}"));
            assert_eq!(
                name.with_flags(&flags),
                display,
                "with_flags(flags()) of {text:?}"
            );
        }
        None => {
            // Nothing is canonicalised without a `:2,` info.
            assert_eq!(display, text, "a name without flags changed");
            assert_eq!(name.raw_info(), info);
        }
    }

    // with_flags gives the same stem with exactly those flags.
    let mut flags = name.flags().unwrap_or_default();
    for other in [Flags::new(), flags, {
        flags.insert(Flag::Seen);
        flags.insert_keyword('z');
        flags.remove(Flag::Draft);
        flags
    }] {
        let renamed = name.with_flags(&other);
        let parsed = MessageName::parse(&renamed)
            .unwrap_or_else(|error| panic!("with_flags gave {renamed:?}, refused: {error:?}"));
        assert_eq!(parsed.without_info(), stem);
        assert_eq!(parsed.base(), name.base());
        assert_eq!((parsed.size(), parsed.vsize()), (name.size(), name.vsize()));
        assert_eq!(parsed.flags(), Some(other), "{renamed:?}");
        assert_eq!(parsed.to_string(), renamed, "with_flags is not canonical");
        assert_eq!(
            parsed.with_flags(&other),
            renamed,
            "with_flags is not stable"
        );
    }
}

/// Flags display sorted and without duplicates, with known letters only,
/// and parse back to themselves.
fn check_flags(flags: &Flags) {
    let shown = flags.to_string();
    let bytes = shown.as_bytes();
    assert!(
        bytes.windows(2).all(|pair| pair[0] < pair[1]),
        "flags {shown:?} not sorted or repeated"
    );
    assert!(
        shown
            .chars()
            .all(|c| Flag::from_letter(c).is_some() || c.is_ascii_lowercase()),
        "flags {shown:?}"
    );
    assert_eq!(
        Flags::parse(&shown).ok().as_ref(),
        Some(flags),
        "flags {shown:?}"
    );
    assert_eq!(flags.is_empty(), shown.is_empty());
    for flag in Flag::ALL {
        assert_eq!(flags.contains(flag), shown.contains(flag.letter()));
    }
    for c in 'a'..='z' {
        assert_eq!(flags.contains_keyword(c), shown.contains(c));
    }
}

// ---------------------------------------------------------------------------
// maildir_uidlist

/// The newlines in `data`.
fn line_count(data: &[u8]) -> usize {
    data.iter().filter(|&&b| b == b'\n').count()
}

/// A parsed file, or `None` after checking that the refusal is a format
/// error naming a line the input has.
fn accepted<T>(data: &[u8], parsed: maildir::Result<T>) -> Option<T> {
    match parsed {
        Ok(value) => Some(value),
        Err(Error::Format { line, .. }) => {
            let lines = line_count(data);
            assert!(
                (1..=lines + 1).contains(&line),
                "error on line {line} of {lines}"
            );
            None
        }
        Err(error) => panic!("{} refused with a wrong error {error:?}", show(data)),
    }
}

fn run_uidlist(data: &[u8]) {
    let path = Path::new(uidlist::UIDLIST_FILE);
    let Some(list) = accepted(data, UidList::parse(data, path)) else {
        return;
    };
    assert_eq!(
        line_count(data),
        list.len() + 1,
        "{}: not one line per entry",
        show(data)
    );
    assert!(data.ends_with(b"\n"));
    check_uidlist_round_trip(&list);

    // A new file gets the next UID; a listed one keeps its UID.
    let mut appended = list.clone();
    let file = "1700000000.M1P1Q1.fuzz,S=1:2,S";
    let base = uidlist::base_name(file);
    let known = list.uid_of(base);
    match appended.append(file) {
        Ok(uid) => {
            if let Some(known) = known {
                assert_eq!(uid, known);
                assert_eq!(appended, list);
            } else {
                assert_eq!(uid, list.next_uid());
                assert_eq!(appended.next_uid(), uid + 1);
                assert_eq!(appended.len(), list.len() + 1);
            }
            assert_eq!(appended.uid_of(file), Some(uid));
            assert_eq!(appended.get(uid).map(|entry| entry.name()), Some(base));
        }
        Err(Error::UidsExhausted { .. }) => {
            assert_eq!(known, None);
            assert_eq!(list.next_uid(), u32::MAX);
            assert_eq!(appended, list, "a refused append changed the list");
        }
        Err(error) => panic!("append refused: {error:?}"),
    }
    check_uidlist_round_trip(&appended);

    // Removing keeps the next UID.
    if let Some(first) = list.entries().next() {
        let mut removed = list.clone();
        let entry = removed.remove(first.uid()).expect("listed");
        assert_eq!(&entry, first);
        assert_eq!(removed.next_uid(), list.next_uid());
        assert_eq!(removed.uid_of(entry.name()), None);
        assert_eq!(removed.len(), list.len() - 1);
        check_uidlist_round_trip(&removed);
    }
}

fn check_uidlist_round_trip(list: &UidList) {
    check_uidlist(list);
    let path = Path::new(uidlist::UIDLIST_FILE);
    let bytes = list.to_bytes();
    let again = UidList::parse(&bytes, path)
        .unwrap_or_else(|error| panic!("{list:?} written as {}, refused: {error:?}", show(&bytes)));
    assert_eq!(
        &again,
        list,
        "written as {}, parsed differently",
        show(&bytes)
    );
    let rewritten = again.to_bytes();
    assert!(
        rewritten == bytes,
        "serialised {} then {}",
        show(&bytes),
        show(&rewritten)
    );
}

fn check_uidlist(list: &UidList) {
    assert_ne!(list.uid_validity(), 0);
    assert_ne!(list.next_uid(), 0);
    let mut prev = 0;
    let mut count = 0;
    for entry in list.entries() {
        let uid = entry.uid();
        assert!(uid > prev, "UID {uid} after {prev}");
        assert!(
            uid < list.next_uid(),
            "UID {uid}, next UID {}",
            list.next_uid()
        );
        prev = uid;
        count += 1;
        let name = entry.name();
        assert!(
            !name.is_empty() && !name.starts_with('.') && !name.contains(['/', ':', '\n', '\r']),
            "file name {name:?}"
        );
        assert_eq!(list.uid_of(name), Some(uid), "{name:?}");
        assert_eq!(list.get_by_name(name), Some(entry));
        assert_eq!(list.get(uid), Some(entry));
        for field in entry.extensions() {
            assert!(
                field.as_bytes()[0].is_ascii_uppercase() && !field.contains([' ', ':', '\n']),
                "extension field {field:?}"
            );
            assert!(entry.extension(field.as_bytes()[0]).is_some());
        }
    }
    assert_eq!(list.len(), count);
    assert_eq!(list.is_empty(), count == 0);
    for field in list.header_extra() {
        assert!(
            !field.is_empty() && !field.contains([' ', '\n']),
            "header field {field:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// maildir_keywords

fn run_keywords(data: &[u8]) {
    let path = Path::new(maildir::keywords::KEYWORDS_FILE);
    let Some(keywords) = accepted(data, Keywords::parse(data, path)) else {
        return;
    };
    assert_eq!(
        line_count(data),
        keywords.len(),
        "{}: not one line per keyword",
        show(data)
    );
    check_keywords_round_trip(&keywords);

    let mut added = keywords.clone();
    let keyword = "$FuzzLabel";
    let letter = added.add(keyword);
    match keywords.letter(keyword) {
        Some(known) => {
            assert_eq!(letter, Some(known));
            assert_eq!(added, keywords);
        }
        None if keywords.is_full() => {
            assert_eq!(letter, None);
            assert_eq!(added, keywords);
        }
        None => {
            let free = (0..MAX_KEYWORDS)
                .find(|&i| keywords.get(i).is_none())
                .expect("not full");
            assert_eq!(letter, Some(char::from(b'a' + free as u8)));
            assert_eq!(added.get(free), Some(keyword));
            assert_eq!(added.len(), keywords.len() + 1);
        }
    }
    check_keywords_round_trip(&added);
    // Invalid keywords are never added.
    let mut invalid = keywords.clone();
    assert_eq!(invalid.add("two words"), None);
    assert_eq!(invalid, keywords);
}

fn check_keywords_round_trip(keywords: &Keywords) {
    let mut count = 0;
    let mut prev = None;
    for (index, keyword) in keywords.iter() {
        assert!(index < MAX_KEYWORDS && prev.is_none_or(|p| p < index));
        prev = Some(index);
        count += 1;
        assert!(is_valid_keyword(keyword), "keyword {keyword:?}");
        let letter = char::from(b'a' + index as u8);
        assert_eq!(keywords.letter(keyword), Some(letter), "{keyword:?}");
        assert_eq!(keywords.keyword(letter), Some(keyword));
        assert_eq!(keywords.get(index), Some(keyword));
        assert_eq!(keywords.index_of(keyword), Some(index));
    }
    assert_eq!(keywords.len(), count);
    assert_eq!(keywords.is_empty(), count == 0);
    assert_eq!(keywords.is_full(), count == MAX_KEYWORDS);

    let path = Path::new(maildir::keywords::KEYWORDS_FILE);
    let bytes = keywords.to_bytes();
    let again = Keywords::parse(&bytes, path).unwrap_or_else(|error| {
        panic!(
            "{keywords:?} written as {}, refused: {error:?}",
            show(&bytes)
        )
    });
    assert_eq!(
        &again,
        keywords,
        "written as {}, parsed differently",
        show(&bytes)
    );
    assert!(again.to_bytes() == bytes, "serialised differently");
}

// ---------------------------------------------------------------------------
// maildir_mbox

const FORMATS: [Format; 2] = [Format::Mboxo, Format::Mboxrd];

/// The seed of the piece sizes [`Pieces`] hands out for `data`: an FNV-1a
/// hash of it.
pub fn chunk_seed(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5_u32, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// A `BufRead` over a slice that hands out pieces of odd sizes from 1 to
/// `2 * (seed % 16) + 1` bytes, drawn from a generator seeded with `seed`.
#[derive(Debug)]
pub struct Pieces<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
    state: u32,
    max_half: u32,
}

impl<'a> Pieces<'a> {
    /// Pieces of `data`, cut as `seed` says.
    pub fn new(data: &'a [u8], seed: u32) -> Self {
        Pieces {
            data,
            pos: 0,
            end: 0,
            state: seed | 1,
            max_half: seed % 16,
        }
    }
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Pieces<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end && self.end < self.data.len() {
            // xorshift32: never zero, so it never gets stuck.
            self.state ^= self.state << 13;
            self.state ^= self.state >> 17;
            self.state ^= self.state << 5;
            let len = 2 * (self.state % (self.max_half + 1)) as usize + 1;
            self.end = (self.pos + len).min(self.data.len());
        }
        Ok(&self.data[self.pos..self.end])
    }

    fn consume(&mut self, amount: usize) {
        assert!(
            self.pos + amount <= self.end,
            "consumed more than handed out"
        );
        self.pos += amount;
    }
}

fn run_mbox(data: &[u8]) {
    for format in FORMATS {
        let whole = mbox::read_all(data, format);
        let expected = describe(&whole);
        let one = mbox::read_all(BufReader::with_capacity(1, data), format);
        assert_eq!(
            describe(&one),
            expected,
            "{format:?}: 1-byte BufReader differs"
        );
        let pieces = mbox::read_all(Pieces::new(data, chunk_seed(data)), format);
        assert_eq!(describe(&pieces), expected, "{format:?}: odd pieces differ");

        let rest = &data[data.iter().position(|&b| b != b'\n').unwrap_or(data.len())..];
        let messages = match whole {
            Ok(messages) => {
                assert!(
                    rest.is_empty() || rest.starts_with(b"From "),
                    "{format:?}: {} read although it does not start with \"From \"",
                    show(data)
                );
                assert_eq!(messages.is_empty(), rest.is_empty());
                messages
            }
            Err(error) => {
                assert!(
                    !rest.is_empty() && !rest.starts_with(b"From "),
                    "{format:?}: {} refused: {error:?}",
                    show(data)
                );
                assert!(matches!(error, Error::Format { .. }), "{error:?}");
                continue;
            }
        };
        for message in &messages {
            check_envelope(&message.envelope);
        }
        check_streaming(data, format, &messages);
        check_rewrite(format, &messages);
    }
}

/// A comparable view of a read result.
fn describe(result: &maildir::Result<Vec<Message>>) -> Result<&[Message], String> {
    match result {
        Ok(messages) => Ok(messages),
        Err(error) => Err(error.to_string()),
    }
}

/// What `Envelope::parse` documents: the sender is one word, the date has
/// no leading blank and no trailing white space, neither a line break.
fn check_envelope(envelope: &Envelope) {
    assert!(
        !envelope
            .sender
            .iter()
            .any(|&b| b == b' ' || b == b'\t' || b == b'\n'),
        "{envelope:?}"
    );
    assert!(!envelope.date.contains(&b'\n'), "{envelope:?}");
    assert!(
        !envelope.date.starts_with(b" ")
            && !envelope.date.starts_with(b"\t")
            && !envelope.date.last().is_some_and(u8::is_ascii_whitespace),
        "{envelope:?}"
    );
}

/// Streams the messages: every other one is skipped unread, the others are
/// read in small pieces.
fn check_streaming(data: &[u8], format: Format, messages: &[Message]) {
    let mut reader = MboxReader::new(Pieces::new(data, chunk_seed(data).rotate_left(7)), format);
    let mut buf = [0u8; 5];
    let mut last_offset = None;
    for (i, message) in messages.iter().enumerate() {
        let info = reader
            .next_message()
            .unwrap_or_else(|error| panic!("{format:?}: message {i}: {error:?}"))
            .unwrap_or_else(|| panic!("{format:?}: message {i} missing when streaming"));
        assert_eq!(info.envelope, message.envelope, "{format:?}: message {i}");
        let at = usize::try_from(info.offset).expect("offset within the input");
        assert!(
            data[at..].starts_with(b"From ") && (at == 0 || data[at - 1] == b'\n'),
            "{format:?}: message {i}: offset {at} is not at a separator"
        );
        assert!(
            last_offset < Some(at),
            "{format:?}: message {i}: offsets not ascending"
        );
        last_offset = Some(at);
        if let Some(length) = info.content_length {
            assert!(
                header_lengths(&message.data).contains(&length),
                "{format:?}: message {i}: Content-Length {length} not in its header"
            );
        }
        if i % 2 == 1 {
            continue;
        }
        let mut read = Vec::new();
        let mut size = 1;
        loop {
            let n = reader.read(&mut buf[..size]).expect("reading from memory");
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buf[..n]);
            size = size % buf.len() + 1;
        }
        assert!(
            read == message.data,
            "{format:?}: message {i} streamed as {}, read whole as {}",
            show(&read),
            show(&message.data)
        );
        assert_eq!(reader.read(&mut buf).expect("at the end"), 0);
    }
    assert_eq!(
        reader.next_message().expect("after the last message"),
        None,
        "{format:?}: more messages streamed than read whole"
    );
}

/// The header section of message data: its lines up to the first empty
/// line (or `\r` line), as the reader delimits it.
fn header_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n')
        .take_while(|line| !line.is_empty() && *line != b"\r")
}

/// The values of the header's `Content-Length` fields that parse.
fn header_lengths(data: &[u8]) -> Vec<u64> {
    const NAME: &[u8] = b"content-length:";
    header_lines(data)
        .filter(|line| line.len() >= NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME))
        .filter_map(|line| {
            let value = std::str::from_utf8(&line[NAME.len()..]).ok()?.trim();
            value.parse().ok()
        })
        .collect()
}

/// Whether the message has a header field that might be a `Content-Length`.
fn has_content_length(data: &[u8]) -> bool {
    const NAME: &[u8] = b"content-length";
    header_lines(data)
        .any(|line| line.len() >= NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME))
}

/// Writes the messages and reads them back.
fn check_rewrite(format: Format, messages: &[Message]) {
    let mut writer = MboxWriter::new(Vec::new(), format);
    let mut expected = Vec::new();
    for message in messages {
        let envelope = &message.envelope;
        let refused = envelope.sender.iter().any(u8::is_ascii_whitespace)
            || envelope.date.iter().any(|&b| b == b'\r' || b == b'\n');
        let envelope = if refused {
            let result = writer.write_message(envelope, &message.data);
            assert!(
                matches!(&result, Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::InvalidInput),
                "{envelope:?} not refused: {result:?}"
            );
            Envelope::new("fuzz@example.org", "Thu Jan  1 00:00:00 1970")
        } else if envelope.sender.len() + envelope.date.len() > 1024 {
            // Keep the separator line far below the reader's cap.
            Envelope::new(&envelope.sender[..envelope.sender.len().min(64)], "")
        } else {
            envelope.clone()
        };
        writer
            .write_message(&envelope, &message.data)
            .unwrap_or_else(|error| panic!("{envelope:?} refused: {error:?}"));
        let mut data = match format {
            Format::Mboxrd => message.data.clone(),
            Format::Mboxo => mboxo_unquoted(&message.data),
        };
        if data.last().is_some_and(|&b| b != b'\n') {
            data.push(b'\n');
        }
        let sender = if envelope.sender.is_empty() {
            b"MAILER-DAEMON".to_vec()
        } else {
            envelope.sender
        };
        expected.push(Message {
            envelope: Envelope::new(sender, envelope.date),
            data,
        });
    }
    let file = writer.finish().expect("writing to memory");
    let back = mbox::read_all(&file[..], format)
        .unwrap_or_else(|error| panic!("{format:?}: written {}, refused {error:?}", show(&file)));
    if messages.iter().any(|m| has_content_length(&m.data)) {
        // The writer documents a Content-Length as a reason for a change.
        return;
    }
    if back != expected {
        let first = back
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(back.len().min(expected.len()));
        panic!(
            "{format:?}: {} messages written as {}, read back as {} messages; message {first}: {:?} expected {:?}",
            expected.len(),
            show(&file),
            back.len(),
            back.get(first)
                .map(|m| (String::from_utf8_lossy(&m.envelope.sender), show(&m.data))),
            expected
                .get(first)
                .map(|m| (String::from_utf8_lossy(&m.envelope.sender), show(&m.data))),
        );
    }
}

/// What an mboxo write and read does to message data: a line starting
/// `>From ` loses its `>`.
fn mboxo_unquoted(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for line in data.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(
            line.strip_prefix(b">")
                .filter(|rest| rest.starts_with(b"From "))
                .unwrap_or(line),
        );
    }
    out
}
