//! The fuzz harness of the imap-proto crate, shared by the cargo-fuzz
//! targets `fuzz/fuzz_targets/imap_*.rs` and by the corpus replay test
//! `imap-proto/tests/fuzz_corpus.rs` (which includes this file as a
//! module), so a corpus file means the same thing in both places. It needs
//! only the `imap_proto` and `bytes` crates.
//!
//! # Targets, input formats and checks
//!
//! Besides "no panic":
//!
//! * `imap_command`: the input is one command (CRLF appended when it does
//!   not end with LF). A command that parses encodes (sync and
//!   non-sync literals, ASCII and UTF-8 quoting) to bytes that parse back
//!   to the same command, consuming them all, and encode the same again.
//! * `imap_response`: the same for one response.
//! * `imap_roundtrip`: the input is a response stream for the client's
//!   reader, split into pieces by its first byte: every response read
//!   re-encodes to bytes that read back the same through a fresh reader.
//! * `imap_literal_stream`: the input is a client's byte stream for the
//!   server's `CommandReader`, with limits from its first bytes, fed in
//!   pieces: the reader's buffer stays within its line limit plus a piece
//!   (APPEND data never accumulates), an APPEND message's data adds up to
//!   its announced size, events per byte are bounded, and the events
//!   (Continue aside) are the same as when the input is fed whole.
//! * `imap_utf7`: bytes that decode as modified UTF-7 encode back to the
//!   same bytes; any UTF-8 text in the input encodes to modified UTF-7
//!   that decodes back to it.

use bytes::BytesMut;
use imap_proto::encode::{self, EncodeOptions, LiteralMode};
use imap_proto::parse::{self, ParseLimits};
use imap_proto::stream::client::{ResponseLimits, ResponseReader};
use imap_proto::stream::server::{CommandLimits, CommandReader, NonSyncLiterals, ServerEvent};
use imap_proto::types::command::Command;
use imap_proto::types::response::Response;
use imap_proto::utf7;

/// One fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `imap_command`.
    Command,
    /// `imap_response`.
    Response,
    /// `imap_roundtrip`.
    RoundTrip,
    /// `imap_literal_stream`.
    LiteralStream,
    /// `imap_utf7`.
    Utf7,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 5] = [
        Target::Command,
        Target::Response,
        Target::RoundTrip,
        Target::LiteralStream,
        Target::Utf7,
    ];

    /// The cargo-fuzz target name, which is also its corpus directory name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Command => "imap_command",
            Target::Response => "imap_response",
            Target::RoundTrip => "imap_roundtrip",
            Target::LiteralStream => "imap_literal_stream",
            Target::Utf7 => "imap_utf7",
        }
    }

    /// Runs one input; panics when a check fails.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::Command => command(data),
            Target::Response => response(data),
            Target::RoundTrip => round_trip(data),
            Target::LiteralStream => literal_stream(data),
            Target::Utf7 => utf7_both_ways(data),
        }
    }
}

/// Small limits, so that the fuzzer reaches them.
fn limits() -> ParseLimits {
    ParseLimits {
        max_depth: 8,
        max_items: 64,
    }
}

fn with_crlf(data: &[u8]) -> Vec<u8> {
    let mut line = data.to_vec();
    if !line.ends_with(b"\n") {
        line.extend_from_slice(b"\r\n");
    }
    line
}

fn every_option() -> [EncodeOptions; 3] {
    [
        EncodeOptions::default(),
        EncodeOptions {
            literals: LiteralMode::NonSync,
            ..EncodeOptions::default()
        },
        EncodeOptions {
            utf8: true,
            ..EncodeOptions::default()
        },
    ]
}

fn command(data: &[u8]) {
    let line = with_crlf(data);
    if let Ok((parsed, used)) = parse::command(&line, limits()) {
        assert!(used <= line.len());
        check_command(&parsed);
    }
}

/// Encodes under every option; each encoding parses back to the command
/// and encodes the same again.
fn check_command(command: &Command<'_>) {
    for options in every_option() {
        let mut out = BytesMut::new();
        let breaks = encode::command(command, options, &mut out);
        assert!(breaks.iter().all(|&b| b <= out.len()));
        let (again, used) = parse::command(&out, ParseLimits::default())
            .unwrap_or_else(|e| panic!("{command:?} encodes to {out:?}, which fails: {e}"));
        assert_eq!(used, out.len(), "{out:?}");
        assert_eq!(&again, command, "{out:?}");
        let mut twice = BytesMut::new();
        encode::command(&again, options, &mut twice);
        assert_eq!(out, twice);
    }
}

fn response(data: &[u8]) {
    let line = with_crlf(data);
    if let Ok((parsed, used)) = parse::response(&line, limits()) {
        assert!(used <= line.len());
        check_response(&parsed);
    }
}

fn check_response(response: &Response<'_>) {
    for options in every_option() {
        let mut out = BytesMut::new();
        encode::response(response, options, &mut out);
        let (again, used) = parse::response(&out, ParseLimits::default())
            .unwrap_or_else(|e| panic!("{response:?} encodes to {out:?}, which fails: {e}"));
        assert_eq!(used, out.len(), "{out:?}");
        assert_eq!(&again, response, "{out:?}");
        let mut twice = BytesMut::new();
        encode::response(&again, options, &mut twice);
        assert_eq!(out, twice);
    }
}

/// Sizes of the pieces a stream is fed in, from a seed byte.
fn piece_size(seed: u8) -> usize {
    usize::from(seed % 17) + 1
}

fn round_trip(data: &[u8]) {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let limits = ResponseLimits {
        max_line: 512,
        max_literal: 512,
        max_response: 2048,
        parse: limits(),
    };
    let mut reader = ResponseReader::new(limits);
    let mut count = 0usize;
    for piece in stream.chunks(piece_size(seed)) {
        reader.feed(piece);
        assert!(
            reader.buffered() <= 2048 + 512 + piece.len(),
            "{}",
            reader.buffered()
        );
        loop {
            match reader.next() {
                Ok(Some(response)) => {
                    count += 1;
                    let mut out = BytesMut::new();
                    encode::response(&response, EncodeOptions::default(), &mut out);
                    let mut fresh = ResponseReader::new(ResponseLimits::default());
                    fresh.feed(&out);
                    let again = fresh
                        .next()
                        .unwrap_or_else(|e| panic!("{out:?} does not read: {e}"))
                        .unwrap_or_else(|| panic!("{out:?} is not whole"));
                    assert_eq!(again, response, "{out:?}");
                }
                Ok(None) => break,
                Err(_) => count += 1,
            }
            assert!(count <= stream.len() + 1, "more responses than bytes");
        }
    }
}

/// What a test keeps of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Command(String),
    Append(u64),
    Data(usize),
    Done,
    Error(String),
}

fn literal_stream(data: &[u8]) {
    let [a, b, c, stream @ ..] = data else {
        return;
    };
    let limits = CommandLimits {
        max_line: 64 + usize::from(*a),
        max_command: 256 + usize::from(*b) * 4,
        max_literal: u64::from(*b),
        max_append: u64::from(*a) * 16,
        non_sync: match c % 3 {
            0 => NonSyncLiterals::Plus,
            1 => NonSyncLiterals::Minus,
            _ => NonSyncLiterals::Refused,
        },
        parse: limits(),
    };
    let whole = feed_commands(limits, stream, stream.len().max(1), *c);
    let split = feed_commands(limits, stream, piece_size(*c), *c);
    assert_eq!(whole, split);
}

/// Feeds `stream` in pieces, accepting or refusing APPEND messages by
/// `seed`; checks the bounds and returns the events (data merged).
fn feed_commands(limits: CommandLimits, stream: &[u8], piece: usize, seed: u8) -> Vec<Seen> {
    let mut reader = CommandReader::new(limits);
    let mut seen = Vec::new();
    let mut expected_data: Option<u64> = None;
    let mut appends = 0u32;
    for chunk in stream.chunks(piece) {
        reader.feed(chunk);
        // The line limit (plus a literal announcement kept while skipping)
        // and the command limit bound what a reader holds between pieces.
        let bound = limits.max_command.max(limits.max_line) + 64 + chunk.len();
        loop {
            let event = match reader.next() {
                None => break,
                Some(ServerEvent::Command(c)) => {
                    check_command(&c);
                    Seen::Command(format!("{c:?}"))
                }
                Some(ServerEvent::Continue) => continue,
                Some(ServerEvent::AppendMessage(m)) => {
                    assert!(m.size <= limits.max_append);
                    appends += 1;
                    if (seed >> (appends % 8)) & 1 == 0 {
                        reader.accept_append();
                        expected_data = Some(m.size);
                    } else {
                        reader.reject_append();
                    }
                    Seen::Append(m.size)
                }
                Some(ServerEvent::AppendData(d)) => {
                    let left = expected_data.as_mut().expect("data of an accepted message");
                    assert!(d.len() as u64 <= *left);
                    *left -= d.len() as u64;
                    if let Some(Seen::Data(n)) = seen.last_mut() {
                        *n += d.len();
                        continue;
                    }
                    Seen::Data(d.len())
                }
                Some(ServerEvent::AppendDone(_)) => {
                    assert_eq!(expected_data.take().unwrap_or(0), 0, "all data came");
                    Seen::Done
                }
                Some(ServerEvent::Line(_)) => unreachable!("no raw line was asked for"),
                Some(ServerEvent::Error { error, .. }) => Seen::Error(error.to_string()),
            };
            seen.push(event);
            assert!(seen.len() <= stream.len() + 1, "more events than bytes");
        }
        assert!(
            reader.buffered() <= bound,
            "{} > {bound}",
            reader.buffered()
        );
    }
    seen
}

fn utf7_both_ways(data: &[u8]) {
    if let Ok(text) = utf7::decode(data) {
        assert_eq!(utf7::encode(&text).as_bytes(), data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let encoded = utf7::encode(text);
        assert_eq!(utf7::decode(encoded.as_bytes()).as_deref(), Ok(text));
    }
}
