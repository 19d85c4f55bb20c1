//! The fuzz harness of the smtp-proto crate, shared by the cargo-fuzz
//! targets `fuzz/fuzz_targets/smtp_*.rs` and by the corpus replay test
//! `smtp-proto/tests/fuzz_corpus.rs` (which includes this file as a module),
//! so a corpus file means the same thing in both places. It needs only the
//! `smtp_proto`, `sasl`, `bytes` and `futures_executor` crates.
//!
//! # Input formats
//!
//! * `smtp_command`: the whole input is one command line (without CRLF).
//! * `smtp_data`: `size seed stream…`. `size` picks the decoder's maximum
//!   message size ([`data_max_size`]), `seed` how the stream is cut into
//!   pieces ([`pieces`]); the stream is what follows `DATA`'s 354.
//! * `smtp_reply`: `limits seed stream…`. `limits` picks the parser's line
//!   length and line count limits ([`reply_limits`]), `seed` how the stream
//!   (server output) is cut into pieces.
//! * `smtp_session`: `config split script stream…`. `config` holds the
//!   [`session_flags`], `split` is the [`pieces`] seed of the client's
//!   stream, `script` the [`script_flags`] of the backend.
//!
//! [`session_input`] builds a session input, for seeds.
//!
//! # What is checked
//!
//! Besides "no panic":
//!
//! * commands: what parses encodes to one line that parses back to the
//!   same command, and encodes the same again; whitespace around the line
//!   changes nothing; errors map to 500/501 replies.
//! * DATA: the streaming decoder agrees with a simple byte-at-a-time model
//!   of its documented rules (end only at `CRLF . CRLF`, unstuffing only
//!   after a real CRLF, bare CR/LF refused or normalised, size limit), for
//!   both policies, however the stream is cut; consumption, output growth
//!   and the behaviour after the end follow the documentation; dot-stuffed
//!   content (decoded content and the raw stream alike) is CRLF-only, ends
//!   only at its terminator and decodes back to the canonical content.
//! * replies: the parser returns the same replies and errors however the
//!   stream is cut, keeps at most one partial line; each reply re-encodes
//!   and re-parses to itself; capabilities read from it survive
//!   `ehlo_reply` and back.
//! * session: a scripted backend answers every question at once and checks
//!   the event order (MAIL, RCPT, body, end, abort, reset), the number of
//!   answers LMTP wants, the size and shape of bodies and chunks, that AUTH
//!   succeeds only over TLS when required and only for users the store
//!   vouched for, that MAIL comes after AUTH when required, that MAIL and
//!   RCPT parameters are ones the configuration supports, that nothing
//!   pipelined before a TLS handshake is read after it, that nothing is
//!   answered in the middle of a DATA message, and that answers nobody asked
//!   for are refused and change nothing (the conversation is the same
//!   without them, [`script_flags::STRAY`]); the output is
//!   always whole replies (CRLF lines with a reply code, ending at a reply
//!   boundary at every flush), the greeting a 220, and nothing happens after
//!   `Close`; the session's buffers stay within a bound proportional to its
//!   limits and the piece size, and it never stalls (`poll` gives `None`
//!   only when it wants input, is closed, or waits for the handshake).

use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use sasl::memory::MemoryStore;
use sasl::{Mechanism, PasswordHash};
use smtp_proto::dot_stuff::DotStuffer;
use smtp_proto::reply_parser::ReplyError;
use smtp_proto::server::{Event, ServerConfig, ServerSession, SessionError, TlsInfo};
use smtp_proto::{
    Body, Capabilities, Command, DataDecoder, DataEvent, Domain, EnhancedCode, ForwardPath,
    LineEndingPolicy, MailParams, Mailbox, Param, RcptParams, Reply, ReplyParser, ReversePath,
};

/// One fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `smtp_command`: the command parser and encoder.
    Command,
    /// `smtp_data`: the DATA decoder and the dot-stuffer.
    Data,
    /// `smtp_reply`: the client's reply parser and EHLO capabilities.
    Reply,
    /// `smtp_session`: a whole server session with a scripted backend.
    Session,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [
        Target::Command,
        Target::Data,
        Target::Reply,
        Target::Session,
    ];

    /// The cargo-fuzz target name, which is also its corpus directory name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Command => "smtp_command",
            Target::Data => "smtp_data",
            Target::Reply => "smtp_reply",
            Target::Session => "smtp_session",
        }
    }

    /// Runs one input; panics if a check fails.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::Command => run_command(data),
            Target::Data => run_data(data),
            Target::Reply => run_reply(data),
            Target::Session => run_session(data),
        }
    }
}

/// Cuts `data` into consecutive pieces, deterministically from `seed`: seed
/// 0 gives the whole of `data` as one piece; otherwise pieces of 0 to
/// `seed % 64 + 1` bytes (never two empty ones in a row), their lengths
/// drawn from a generator seeded with `seed`.
pub fn pieces(data: &[u8], seed: u8) -> Vec<&[u8]> {
    if seed == 0 {
        return vec![data];
    }
    let max = usize::from(seed & 0x3f) + 1;
    let mut state = u32::from(seed).wrapping_mul(0x9e37_79b9) | 1;
    let mut pieces = Vec::new();
    let mut pos = 0;
    let mut last_empty = false;
    while pos < data.len() {
        // xorshift32: never zero, so it never gets stuck.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let mut len = (state as usize) % (max + 1);
        if last_empty {
            len = len.max(1);
        }
        let len = len.min(data.len() - pos);
        last_empty = len == 0;
        pieces.push(&data[pos..pos + len]);
        pos += len;
    }
    pieces
}

/// Whether every CR in `bytes` is followed by an LF and every LF preceded
/// by a CR.
pub fn crlf_only(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, &byte)| match byte {
        b'\r' => bytes.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && bytes[i - 1] == b'\r',
        _ => true,
    })
}

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// Panics with both shown if `found` is not `expected`.
#[track_caller]
fn same_bytes(found: &[u8], expected: &[u8], what: std::fmt::Arguments<'_>) {
    assert!(
        found == expected,
        "{what}:\n found    {}\n expected {}\n (bytes {found:?} / {expected:?})",
        show(found),
        show(expected)
    );
}

// ---------------------------------------------------------------------------
// smtp_command

fn run_command(line: &[u8]) {
    let parsed = Command::parse(line);
    // Spaces and tabs around the line change nothing.
    let mut padded = Vec::with_capacity(line.len() + 2);
    padded.push(b' ');
    padded.extend_from_slice(line);
    padded.push(b'\t');
    assert_eq!(
        Command::parse(&padded),
        parsed,
        "whitespace around {} changed the result",
        show(line)
    );
    let command = match parsed {
        Ok(command) => command,
        Err(error) => {
            let reply = error.reply();
            assert!(
                matches!(reply.code(), 500 | 501),
                "{error:?} answered with {reply}"
            );
            assert!(reply.enhanced().is_some_and(|code| code.class == 5));
            return;
        }
    };
    check_command(&command);
    let mut wire = BytesMut::new();
    command.encode(&mut wire);
    let encoded = wire
        .strip_suffix(b"\r\n")
        .unwrap_or_else(|| panic!("{command:?} encoded without CRLF: {}", show(&wire)));
    assert!(
        !encoded.iter().any(|&byte| byte == b'\r' || byte == b'\n'),
        "{command:?} encoded with a line break inside: {}",
        show(&wire)
    );
    let again = Command::parse(encoded).unwrap_or_else(|error| {
        panic!(
            "{command:?} (from {}) encoded as {}, which does not parse: {error:?}",
            show(line),
            show(encoded)
        )
    });
    assert_eq!(
        again,
        command,
        "{} parsed, encoded as {}, parsed differently",
        show(line),
        show(encoded)
    );
    let mut rewire = BytesMut::new();
    again.encode(&mut rewire);
    assert_eq!(rewire, wire, "encoding is not canonical");
}

/// What any parsed command must look like.
fn check_command(command: &Command) {
    let trimmed = |text: &str| {
        !text.is_empty()
            && !text.starts_with([' ', '\t'])
            && !text.ends_with([' ', '\t'])
            && !text.chars().any(|c| c.is_control() && c != '\t')
    };
    match command {
        Command::Ehlo(arg)
        | Command::Helo(arg)
        | Command::Lhlo(arg)
        | Command::Vrfy(arg)
        | Command::Expn(arg)
        | Command::Etrn(arg)
        | Command::Help(Some(arg))
        | Command::Noop(Some(arg)) => {
            assert!(trimmed(arg), "{command:?}: untrimmed argument")
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            assert!((1..=20).contains(&mechanism.len()), "{command:?}");
            assert!(
                mechanism.bytes().all(|c| c.is_ascii_uppercase()
                    || c.is_ascii_digit()
                    || c == b'-'
                    || c == b'_'),
                "{command:?}: mechanism not folded to upper case"
            );
            if let Some(response) = initial_response {
                assert!(trimmed(response), "{command:?}");
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// smtp_data

/// The maximum message size `smtp_data` gives its decoders for the first
/// input byte: `4 * size`, or unlimited for 0xFF.
pub fn data_max_size(size: u8) -> u64 {
    match size {
        0xff => u64::MAX,
        size => u64::from(size) * 4,
    }
}

const POLICIES: [LineEndingPolicy; 2] = [LineEndingPolicy::Reject, LineEndingPolicy::Normalize];

fn run_data(data: &[u8]) {
    let [size, seed, ref stream @ ..] = *data else {
        return;
    };
    let max_size = data_max_size(size);
    let split = pieces(stream, seed);
    for policy in POLICIES {
        let model = data_model(stream, policy);
        let whole = decode_pieces(&[stream], max_size, policy);
        whole.check_against(&model, max_size, policy);
        let pieced = decode_pieces(&split, max_size, policy);
        pieced.check_against(&model, max_size, policy);
        if policy == LineEndingPolicy::Normalize {
            check_stuffing(&whole.out, seed);
        }
    }
    check_stuffing(stream, seed);
}

/// What the DATA decoder must produce for a whole stream, computed one byte
/// at a time from the rules in its documentation.
#[derive(Debug)]
struct DataModel {
    /// Bytes up to and including the terminator, or all of them.
    consumed: usize,
    ended: bool,
    /// The content without the size limit and without stopping at a bare
    /// line ending (written raw under `Reject`, as CRLF under `Normalize`).
    content: Vec<u8>,
    /// The content's length just after the first bare CR or LF.
    first_bare_end: Option<usize>,
}

fn data_model(input: &[u8], policy: LineEndingPolicy) -> DataModel {
    let normalize = policy == LineEndingPolicy::Normalize;
    let mut content = Vec::new();
    let mut first_bare_end = None;
    let mut i = 0;
    let mut line_start = true;
    while i < input.len() {
        if line_start {
            line_start = false;
            let rest = &input[i..];
            if rest.starts_with(b".\r\n") {
                return DataModel {
                    consumed: i + 3,
                    ended: true,
                    content,
                    first_bare_end,
                };
            }
            // Perhaps the start of the terminator: nothing written yet.
            if rest == b"." || rest == b".\r" {
                break;
            }
            if rest[0] == b'.' {
                // Dot-stuffing: the first dot of a line is dropped.
                i += 1;
                continue;
            }
        }
        match (input[i], input.get(i + 1)) {
            (b'\r', Some(b'\n')) => {
                content.extend_from_slice(b"\r\n");
                i += 2;
                line_start = true;
            }
            // Undecided until more input comes; written as it is.
            (b'\r', None) => {
                content.push(b'\r');
                i += 1;
            }
            (bare @ (b'\r' | b'\n'), _) => {
                if normalize {
                    content.extend_from_slice(b"\r\n");
                } else {
                    content.push(bare);
                }
                first_bare_end.get_or_insert(content.len());
                i += 1;
            }
            (byte, _) => {
                content.push(byte);
                i += 1;
            }
        }
    }
    DataModel {
        consumed: input.len(),
        ended: false,
        content,
        first_bare_end,
    }
}

/// One decoder run over a cut stream.
#[derive(Debug)]
struct Decoded {
    consumed: usize,
    ended: bool,
    out: Vec<u8>,
    size: u64,
    bare: bool,
    exceeded: bool,
    rejected: bool,
}

impl Decoded {
    fn check_against(&self, model: &DataModel, max_size: u64, policy: LineEndingPolicy) {
        assert_eq!(
            (self.consumed, self.ended),
            (model.consumed, model.ended),
            "{policy:?}: consumed/ended differ from the model"
        );
        let mut cut = model
            .content
            .len()
            .min(usize::try_from(max_size).unwrap_or(usize::MAX));
        if policy == LineEndingPolicy::Reject
            && let Some(bare_end) = model.first_bare_end
        {
            cut = cut.min(bare_end);
        }
        same_bytes(
            &self.out,
            &model.content[..cut],
            format_args!("{policy:?}: output differs from the model"),
        );
        assert_eq!(self.size, model.content.len() as u64, "{policy:?}: size()");
        assert_eq!(
            self.bare,
            model.first_bare_end.is_some(),
            "{policy:?}: bare"
        );
        assert_eq!(
            self.exceeded,
            self.size > max_size,
            "{policy:?}: exceeded()"
        );
        assert_eq!(
            self.rejected,
            self.exceeded || (policy == LineEndingPolicy::Reject && self.bare),
            "{policy:?}: rejected()"
        );
    }
}

fn decode_pieces(pieces: &[&[u8]], max_size: u64, policy: LineEndingPolicy) -> Decoded {
    let mut decoder = DataDecoder::new(max_size, policy);
    let mut out = BytesMut::new();
    let mut consumed = 0;
    let mut ended = false;
    for piece in pieces {
        let before = out.len();
        let (n, event) = decoder.decode(piece, &mut out);
        let growth = out.len() - before;
        assert!(n <= piece.len(), "consumed {n} of {} bytes", piece.len());
        if ended {
            assert_eq!(
                (n, event, growth),
                (0, DataEvent::End, 0),
                "{policy:?}: a call after the end did something"
            );
            continue;
        }
        match policy {
            LineEndingPolicy::Reject => assert!(
                growth <= n,
                "{policy:?}: wrote {growth} bytes for {n} consumed"
            ),
            // A bare CR or LF becomes two bytes, and a CR held back from
            // the previous call (`.` CR at a line start) comes out now.
            _ => assert!(
                growth <= 2 * n + 2 && (n > 0 || growth == 0),
                "{policy:?}: wrote {growth} bytes for {n} consumed"
            ),
        }
        match event {
            DataEvent::NeedMore => assert_eq!(n, piece.len(), "NeedMore left input"),
            DataEvent::End => ended = true,
        }
        consumed += n;
        assert!(
            out.len() as u64 <= max_size,
            "{policy:?}: {} bytes written over a limit of {max_size}",
            out.len()
        );
    }
    if ended {
        let before = out.len();
        assert_eq!(
            decoder.decode(b"QUIT\r\n", &mut out),
            (0, DataEvent::End),
            "{policy:?}: input taken after the end"
        );
        assert_eq!(out.len(), before);
    } else {
        // An empty call changes nothing.
        let before = out.len();
        assert_eq!(decoder.decode(b"", &mut out), (0, DataEvent::NeedMore));
        assert_eq!(out.len(), before);
    }
    Decoded {
        consumed,
        ended,
        out: out.to_vec(),
        size: decoder.size(),
        bare: decoder.bare_line_ending(),
        exceeded: decoder.exceeded(),
        rejected: decoder.rejected(),
    }
}

/// `content` with every CRLF, bare CR and bare LF as CRLF.
fn canonical(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + content.len() / 8);
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'\r' if content.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

fn stuff(stuffer: &mut DotStuffer, pieces: &[&[u8]]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for piece in pieces {
        let before = out.len();
        stuffer.encode(piece, &mut out);
        let growth = out.len() - before;
        assert!(
            growth <= 2 * piece.len(),
            "DotStuffer wrote {growth} bytes for {}",
            piece.len()
        );
    }
    stuffer.finish(&mut out);
    out.to_vec()
}

/// Dot-stuffs `content` whole and in pieces; the wire form must be the
/// same, CRLF-only, end only at its terminator, and decode to `content`
/// in canonical form.
fn check_stuffing(content: &[u8], seed: u8) {
    let mut stuffer = DotStuffer::new();
    let whole = stuff(&mut stuffer, &[content]);
    // `finish` readies the stuffer for the next message.
    let again = stuff(&mut stuffer, &pieces(content, seed));
    same_bytes(
        &again,
        &whole,
        format_args!("cut content stuffed differently"),
    );
    assert!(
        crlf_only(&whole),
        "stuffed {} as {}",
        show(content),
        show(&whole)
    );
    let mut expected = canonical(content);
    if !expected.is_empty() && !expected.ends_with(b"\r\n") {
        expected.extend_from_slice(b"\r\n");
    }
    for policy in POLICIES {
        let mut decoder = DataDecoder::new(u64::MAX, policy);
        let mut out = BytesMut::new();
        let (consumed, event) = decoder.decode(&whole, &mut out);
        assert_eq!(
            (consumed, event),
            (whole.len(), DataEvent::End),
            "{policy:?}: stuffed {} as {}, which ends elsewhere",
            show(content),
            show(&whole)
        );
        same_bytes(
            &out,
            &expected,
            format_args!("{policy:?}: stuffed content decodes differently"),
        );
        assert!(!decoder.bare_line_ending() && !decoder.rejected());
    }
}

// ---------------------------------------------------------------------------
// smtp_reply

/// The `(max_line_len, max_lines)` of `smtp_reply`'s parser for the first
/// input byte: with the high bit the usual 512 and 100, otherwise small
/// limits (4 to 128 bytes, 1 to 10 lines) from the other bits.
pub fn reply_limits(limits: u8) -> (usize, usize) {
    if limits & 0x80 != 0 {
        (512, 100)
    } else {
        (
            4 + usize::from(limits & 0x1f) * 4,
            1 + usize::from((limits >> 5) & 3) * 3,
        )
    }
}

fn run_reply(data: &[u8]) {
    let [limits, seed, ref stream @ ..] = *data else {
        return;
    };
    let (max_line, max_lines) = reply_limits(limits);
    let whole = parse_replies(&[stream], max_line, max_lines);
    let split = parse_replies(&pieces(stream, seed), max_line, max_lines);
    assert_eq!(split, whole, "cutting the stream changed what was parsed");
    for reply in whole.results.iter().flatten() {
        check_reply(reply, max_lines);
    }
}

/// What a client read from a server's stream.
#[derive(Debug, PartialEq)]
struct ParsedReplies {
    results: Vec<Result<Reply, ReplyError>>,
    leftover: Vec<u8>,
    in_reply: bool,
}

fn parse_replies(pieces: &[&[u8]], max_line: usize, max_lines: usize) -> ParsedReplies {
    let mut parser = ReplyParser::new(max_line, max_lines);
    let mut buf = Vec::new();
    let mut results = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        let mut errors_in_a_row = 0;
        loop {
            match parser.feed(&buf) {
                Ok((consumed, reply)) => {
                    assert!(consumed <= buf.len());
                    buf.drain(..consumed);
                    if consumed > 0 {
                        errors_in_a_row = 0;
                    }
                    match reply {
                        Some(reply) => results.push(Ok(reply)),
                        None if consumed == 0 => break,
                        None => {}
                    }
                }
                Err(error) => {
                    // Nothing consumed; the next call skips the broken reply.
                    errors_in_a_row += 1;
                    assert!(
                        errors_in_a_row < 2,
                        "{error:?} reported again without progress"
                    );
                    results.push(Err(error));
                }
            }
        }
        // Only a partial line is left, shorter than the limit.
        assert!(
            buf.len() < max_line.max(2) && !buf.contains(&b'\n'),
            "{} bytes left unread: {}",
            buf.len(),
            show(&buf)
        );
    }
    ParsedReplies {
        results,
        leftover: buf,
        in_reply: parser.is_in_reply(),
    }
}

fn check_reply(reply: &Reply, max_lines: usize) {
    assert!((200..=599).contains(&reply.code()), "{reply:?}");
    assert!(!reply.lines().is_empty() && reply.lines().len() <= max_lines);
    assert!(
        reply
            .lines()
            .iter()
            .all(|line| !line.contains(['\r', '\n'])),
        "{reply:?}: line break in a line"
    );
    if let Some(enhanced) = reply.enhanced() {
        assert_eq!(u16::from(enhanced.class), reply.code() / 100, "{reply:?}");
    }
    check_reply_round_trip(reply);
    // What a client learns from it as an EHLO reply survives advertising.
    let caps = Capabilities::from_ehlo(reply);
    let advertised = caps.ehlo_reply("mx.example.com", "Hello");
    assert_eq!(
        Capabilities::from_ehlo(&advertised),
        caps,
        "capabilities of {reply:?} advertised as {advertised:?}"
    );
    check_reply_round_trip(&advertised);
}

/// `reply` encodes as its `Display` plus CRLF and parses back to itself.
fn check_reply_round_trip(reply: &Reply) {
    let mut wire = BytesMut::new();
    reply.encode(&mut wire);
    assert_eq!(wire, format!("{reply}\r\n").as_bytes());
    let mut parser = ReplyParser::new(wire.len() + 2, reply.lines().len());
    assert_eq!(
        parser.feed(&wire),
        Ok((wire.len(), Some(reply.clone()))),
        "{reply:?} encoded as {}",
        show(&wire)
    );
}

// ---------------------------------------------------------------------------
// smtp_session

/// Bits of the first byte of a `smtp_session` input: the configuration.
pub mod session_flags {
    /// Mask of the two bits that pick the kind of server: 0 an MTA
    /// (`ServerConfig::new`), 1 submission with AUTH ([`SUBMISSION`]), 2 an
    /// LMTP server ([`LMTP`]), 3 an MTA offering AUTH without TLS ([`MTA_AUTH`]).
    pub const KIND: u8 = 0x03;
    /// See [`KIND`].
    pub const MTA: u8 = 0x00;
    /// See [`KIND`]: AUTH PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256, only
    /// over TLS, required before MAIL.
    pub const SUBMISSION: u8 = 0x01;
    /// See [`KIND`].
    pub const LMTP: u8 = 0x02;
    /// See [`KIND`]: the submission mechanisms, allowed in the clear and
    /// not required.
    pub const MTA_AUTH: u8 = 0x03;
    /// Tiny limits: 64-byte lines, 2 recipients, 100-byte messages, 5
    /// errors, 2 AUTH failures, 8-byte chunks, 48-byte SASL messages.
    pub const TINY: u8 = 0x04;
    /// The connection starts with TLS (implicit TLS).
    pub const IMPLICIT_TLS: u8 = 0x08;
    /// `LineEndingPolicy::Normalize` instead of `Reject`.
    pub const NORMALIZE: u8 = 0x10;
    /// Offer STARTTLS.
    pub const STARTTLS: u8 = 0x20;
    /// VRFY, EXPN and ETRN are passed to the backend, the MAIL/RCPT
    /// parameter `XFOO` is known, and HELO is not required before MAIL.
    pub const OPEN: u8 = 0x40;
    /// After the last piece the client closes its side (`end_of_input`).
    pub const EOF: u8 = 0x80;
}

/// Bits of the third byte of a `smtp_session` input: the backend's script.
pub mod script_flags {
    /// Mask of the five bits that decide, in turn, each MAIL, RCPT, message
    /// (each LMTP recipient's) and VRFY/EXPN/ETRN answer: the n-th decision
    /// uses bit `n % 5`, and a set bit refuses (alternately 4xx and 5xx).
    pub const DECISIONS: u8 = 0x1f;
    /// Whenever the session wants input (so waits for no answer), the
    /// backend also makes a stray `answer` and `auth_answer`, which must be
    /// refused and change nothing.
    pub const STRAY: u8 = 0x20;
    /// The TLS handshake completes only after the next piece of input
    /// has arrived (which the session must discard).
    pub const SLOW_HANDSHAKE: u8 = 0x40;
    /// The backend fails every message at `DataStart` (`abort_data`).
    pub const FAIL_DATA: u8 = 0x80;
}

/// The server's host name.
pub const HOSTNAME: &str = "mx.example.org";

/// The SCRAM server nonce and CRAM-MD5 challenge (fuzzing must be
/// deterministic): RFC 7677's server nonce, so its exchange replays.
pub const FIXED_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

/// Users of the session's store stored in plaintext: `(user, password)`.
pub const PLAIN_USERS: &[(&str, &str)] = &[("tim", "tanstaaftanstaaf"), ("alice", "secret")];

/// RFC 7677's user, stored as SCRAM-SHA-256 keys (password `pencil`, RFC
/// 7677's salt and 4096 iterations).
pub const SCRAM_USER: (&str, &str) = (
    "user",
    "{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,\
     WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,\
     wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
);

/// Proxy grants of the store: `(user, authzid)`.
pub const SESSION_PROXIES: &[(&str, &str)] = &[("tim", "admin")];

/// The mechanisms of [`session_flags::SUBMISSION`] and [`session_flags::MTA_AUTH`].
pub const SESSION_MECHANISMS: [Mechanism; 4] = [
    Mechanism::Plain,
    Mechanism::Login,
    Mechanism::CramMd5,
    Mechanism::ScramSha256,
];

/// The session's credential store, built once.
pub fn session_store() -> &'static MemoryStore {
    static STORE: OnceLock<MemoryStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut store = MemoryStore::new();
        for &(user, password) in PLAIN_USERS {
            store.add_plaintext(user, password);
        }
        let hash = PasswordHash::parse(SCRAM_USER.1).expect("valid stored SCRAM keys");
        store.add_user(SCRAM_USER.0, hash);
        for &(user, authzid) in SESSION_PROXIES {
            store.allow_proxy(user, authzid);
        }
        store
    })
}

/// The configuration [`session_flags`] `bits` describe.
pub fn session_config(bits: u8) -> ServerConfig {
    use session_flags::*;
    let mut config = match bits & KIND {
        MTA => ServerConfig::new(HOSTNAME),
        SUBMISSION => ServerConfig::submission(HOSTNAME, SESSION_MECHANISMS.to_vec()),
        LMTP => ServerConfig::lmtp(HOSTNAME),
        _ => {
            let mut config = ServerConfig::new(HOSTNAME);
            config.auth_mechanisms = SESSION_MECHANISMS.to_vec();
            config.require_tls_for_auth = false;
            config
        }
    };
    config.sasl.fixed_nonce = Some(FIXED_NONCE.to_string());
    if bits & TINY != 0 {
        config.max_line_length = 64;
        config.max_recipients = 2;
        config.max_message_size = 100;
        config.max_errors = 5;
        config.max_auth_failures = 2;
        config.chunk_size = 8;
        config.sasl.max_message_len = 48;
    }
    if bits & NORMALIZE != 0 {
        config.line_endings = LineEndingPolicy::Normalize;
    }
    if bits & STARTTLS != 0 {
        config.starttls = true;
    }
    if bits & OPEN != 0 {
        config.vrfy = true;
        config.expn = true;
        config.etrn = true;
        config.extra_parameters = vec!["XFOO".to_string()];
        config.require_helo = false;
    }
    config
}

/// A `smtp_session` input: the three header bytes, then the client's stream.
pub fn session_input(config: u8, split: u8, script: u8, stream: &[u8]) -> Vec<u8> {
    let mut input = vec![config, split, script];
    input.extend_from_slice(stream);
    input
}

/// The session's buffers may hold at most this many times the sum of the
/// line limit, the largest piece of input and the chunk size...
pub const MEMORY_FACTOR: usize = 8;
/// ...plus this much.
pub const MEMORY_SLACK: usize = 1024;

fn run_session(data: &[u8]) {
    let [bits, split, script, ref stream @ ..] = *data else {
        return;
    };
    let transcript = run_session_once(bits, split, script, stream);
    if script & script_flags::STRAY != 0 {
        // Refused answers change nothing: the same conversation without them.
        let without = run_session_once(bits, split, script & !script_flags::STRAY, stream);
        assert!(
            transcript == without,
            "stray answers changed the conversation:\n{}\nwithout them:\n{}",
            show(&transcript.0),
            show(&without.0)
        );
    }
}

/// Runs one session; returns its output and the events it gave.
fn run_session_once(bits: u8, split: u8, script: u8, stream: &[u8]) -> (Vec<u8>, Vec<String>) {
    let config = Arc::new(session_config(bits));
    let tls = (bits & session_flags::IMPLICIT_TLS != 0).then(TlsInfo::default);
    let mut backend = Backend::new(config, tls, script);
    backend.drive();
    for piece in pieces(stream, split) {
        backend.receive(piece);
    }
    if bits & session_flags::EOF != 0 {
        backend.session.end_of_input();
        backend.drive();
        assert!(backend.closed, "no Close after the end of input");
    }
    if backend.closed {
        // Nothing more happens, whatever arrives.
        backend.receive(b"NOOP\r\nQUIT\r\n");
        assert!(backend.session.is_closed());
    }
    (backend.transcript, backend.log)
}

/// MAIL's parameters are all supported by the configuration (what
/// [`Event::Mail`] promises), and a non-ASCII sender comes with SMTPUTF8.
fn check_mail_params(config: &ServerConfig, tls: bool, from: &ReversePath, params: &MailParams) {
    let supported = match params.body {
        Some(Body::EightBitMime) => config.eight_bit_mime,
        Some(Body::BinaryMime) => config.chunking && config.binary_mime,
        _ => true,
    } && (!params.smtputf8 || config.smtputf8)
        && ((params.ret.is_none() && params.envid.is_none()) || config.dsn)
        && (params.auth.is_none() || !config.auth_mechanisms.is_empty())
        && (!params.require_tls || (config.require_tls_extension && tls))
        && params
            .size
            .is_none_or(|size| size <= config.max_message_size)
        && known_parameters(config, &params.other);
    assert!(supported, "MAIL with unsupported parameters {params:?}");
    if let ReversePath::Mailbox(mailbox) = from {
        assert!(
            params.smtputf8 || is_ascii(mailbox),
            "non-ASCII sender without SMTPUTF8"
        );
    }
}

/// RCPT's parameters are all supported, and a non-ASCII recipient comes
/// in a transaction with SMTPUTF8.
fn check_rcpt_params(config: &ServerConfig, smtputf8: bool, to: &ForwardPath, params: &RcptParams) {
    assert!(
        ((params.notify.is_none() && params.orcpt.is_none()) || config.dsn)
            && known_parameters(config, &params.other),
        "RCPT with unsupported parameters {params:?}"
    );
    if let ForwardPath::Mailbox(mailbox) = to {
        assert!(
            smtputf8 || is_ascii(mailbox),
            "non-ASCII recipient without SMTPUTF8"
        );
    }
}

fn known_parameters(config: &ServerConfig, params: &[Param]) -> bool {
    params.iter().all(|param| {
        config
            .extra_parameters
            .iter()
            .any(|known| known.eq_ignore_ascii_case(&param.keyword))
    })
}

fn is_ascii(mailbox: &Mailbox) -> bool {
    mailbox.local_part.is_ascii()
        && match &mailbox.domain {
            Domain::Name(name) => name.is_ascii(),
            _ => true,
        }
}

/// The message being received, as the backend sees it.
#[derive(Debug)]
struct Message {
    /// After DATA (dot-stuffed, CRLF lines), not BDAT (raw octets).
    data: bool,
    content: Vec<u8>,
}

/// The scripted backend, with its model of the session's transaction.
struct Backend {
    session: ServerSession,
    config: Arc<ServerConfig>,
    script: u8,
    decisions: usize,
    // The transaction as the events told it.
    mail: bool,
    /// The accepted MAIL had SMTPUTF8.
    mail_smtputf8: bool,
    recipients: usize,
    message: Option<Message>,
    // Output.
    replies: ReplyParser,
    replies_seen: usize,
    last_code: u16,
    /// The last flush ended with DATA's 354: a DataStart must follow.
    data_start_due: bool,
    /// A DATA message is being received and its fate (DataEnd or
    /// DataAbort) is not known yet: the session must not reply.
    receiving_data: bool,
    // What happened, for comparisons.
    transcript: Vec<u8>,
    log: Vec<String>,
    // Bookkeeping.
    closed: bool,
    tls_pending: bool,
    lookups: usize,
    received: usize,
    events: usize,
    largest_piece: usize,
}

impl Backend {
    fn new(config: Arc<ServerConfig>, tls: Option<TlsInfo>, script: u8) -> Self {
        let longest_reply_line = 4 * config.max_line_length.max(config.sasl.max_message_len) + 1024;
        Self {
            session: ServerSession::new(Arc::clone(&config), tls),
            config,
            script,
            decisions: 0,
            mail: false,
            mail_smtputf8: false,
            recipients: 0,
            message: None,
            replies: ReplyParser::new(longest_reply_line, 1000),
            replies_seen: 0,
            last_code: 0,
            data_start_due: false,
            receiving_data: false,
            transcript: Vec::new(),
            log: Vec::new(),
            closed: false,
            tls_pending: false,
            lookups: 0,
            received: 0,
            events: 0,
            largest_piece: 0,
        }
    }

    /// The next scripted decision: `true` to refuse.
    fn refuse(&mut self) -> bool {
        let bit = self.decisions % 5;
        self.decisions += 1;
        self.script & script_flags::DECISIONS & (1 << bit) != 0
    }

    /// A refusal, alternately transient and permanent.
    fn refusal(&self, text: &'static str) -> Reply {
        if self.decisions.is_multiple_of(2) {
            Reply::new(450, Some(EnhancedCode::new(4, 2, 0)), text)
        } else {
            Reply::new(550, Some(EnhancedCode::new(5, 7, 1)), text)
        }
    }

    fn receive(&mut self, piece: &[u8]) {
        self.received += piece.len();
        self.largest_piece = self.largest_piece.max(piece.len());
        if self.tls_pending {
            // Arrives during the handshake: must be discarded.
            self.session.receive(piece);
            self.start_tls();
            self.drive();
            return;
        }
        self.session.receive(piece);
        self.check_memory();
        self.drive();
    }

    fn drive(&mut self) {
        while let Some(event) = self.session.poll() {
            assert!(!self.closed, "{event:?} after Close");
            self.events += 1;
            assert!(
                self.events <= 64 + 8 * self.received,
                "{} events for {} bytes of input",
                self.events,
                self.received
            );
            self.log.push(format!("{event:?}"));
            let data_start_due = std::mem::take(&mut self.data_start_due);
            if data_start_due {
                assert_eq!(event, Event::DataStart, "354 not followed by DataStart");
            }
            self.handle(event, data_start_due);
            self.check_memory();
        }
        assert!(!self.data_start_due, "354 not followed by DataStart");
        // The caller sends what is queued before it reads.
        self.take_output();
        self.check_memory();
        assert!(
            self.closed || self.tls_pending || self.session.wants_input(),
            "the session stalled: no event, no input wanted"
        );
        if self.script & script_flags::STRAY != 0 && !self.tls_pending {
            self.stray_answers();
        }
    }

    /// Answers nobody asked for: refused, and nothing changes.
    fn stray_answers(&mut self) {
        let closed = self.session.is_closed();
        let wants_input = self.session.wants_input();
        assert_eq!(
            self.session.answer(Reply::new(250, None, "OK")),
            Err(SessionError::NotWaiting),
            "an answer nobody asked for was taken"
        );
        assert_eq!(
            self.session.auth_answer(sasl::Answer::Verified(true)),
            Err(SessionError::NotWaiting),
            "an AUTH answer nobody asked for was taken"
        );
        assert_eq!(
            (self.session.is_closed(), self.session.wants_input()),
            (closed, wants_input),
            "a refused answer changed the session (closed, wants input)"
        );
    }

    fn check_memory(&self) {
        let config = &self.config;
        let bound = MEMORY_FACTOR
            * (config.max_line_length + self.largest_piece + config.chunk_size)
            + MEMORY_SLACK;
        let held = self.session.buffered_capacity();
        assert!(
            held <= bound,
            "the session holds {held} bytes (bound {bound}: line {}, piece {}, chunk {})",
            config.max_line_length,
            self.largest_piece,
            config.chunk_size
        );
    }

    /// Takes the output and checks that it is whole replies; `false` if
    /// there was none.
    fn take_output(&mut self) -> bool {
        let output = self.session.take_output();
        if output.is_empty() {
            return false;
        }
        assert!(!self.closed, "output after Close: {}", show(&output));
        self.transcript.extend_from_slice(&output);
        assert!(
            output.ends_with(b"\r\n"),
            "output ends inside a line: {}",
            show(&output)
        );
        for line in output[..output.len() - 1].split(|&b| b == b'\n') {
            let line = line
                .strip_suffix(b"\r")
                .unwrap_or_else(|| panic!("bare LF in the output: {}", show(&output)));
            let code_ok = matches!(line, [b'2'..=b'5', b'0'..=b'9', b'0'..=b'9', ..])
                && matches!(line.get(3), None | Some(b' ' | b'-'));
            assert!(
                code_ok && !line.contains(&b'\r'),
                "malformed output line {}",
                show(line)
            );
        }
        let mut rest = &output[..];
        loop {
            match self.replies.feed(rest) {
                Ok((consumed, reply)) => {
                    rest = &rest[consumed..];
                    match reply {
                        Some(reply) => {
                            assert!(
                                !self.receiving_data,
                                "reply {reply:?} in the middle of a DATA message"
                            );
                            if self.replies_seen == 0 {
                                assert_eq!(reply.code(), 220, "greeting {reply:?}");
                            }
                            self.replies_seen += 1;
                            self.last_code = reply.code();
                        }
                        None if consumed == 0 => break,
                        None => {}
                    }
                }
                Err(error) => panic!("output {} does not parse: {error:?}", show(&output)),
            }
        }
        assert!(
            rest.is_empty() && !self.replies.is_in_reply(),
            "output does not end at a reply boundary: {}",
            show(&output)
        );
        true
    }

    fn handle(&mut self, event: Event, data_start_due: bool) {
        let config = Arc::clone(&self.config);
        match event {
            Event::Flush => {
                let took = self.take_output();
                self.data_start_due = took && self.last_code == 354;
            }
            Event::Mail { from, params } => {
                assert!(!self.mail, "MAIL inside a transaction");
                check_mail_params(&config, self.session.is_tls(), &from, &params);
                assert!(
                    !config.require_auth || self.session.identity().is_some(),
                    "MAIL before AUTH"
                );
                assert!(!config.require_tls_for_mail || self.session.is_tls());
                let refused = self.refuse();
                let reply = if refused {
                    self.refusal("Sender refused")
                } else {
                    Reply::new(250, Some(EnhancedCode::new(2, 1, 0)), "Sender OK")
                };
                self.session
                    .answer(reply)
                    .expect("MAIL waits for an answer");
                if !refused {
                    self.mail = true;
                    self.mail_smtputf8 = params.smtputf8;
                    self.recipients = 0;
                }
            }
            Event::Rcpt { to, params } => {
                assert!(self.mail, "RCPT outside a transaction");
                check_rcpt_params(&config, self.mail_smtputf8, &to, &params);
                assert!(self.message.is_none(), "RCPT during a message");
                assert!(self.recipients < config.max_recipients, "too many RCPT");
                let refused = self.refuse();
                let reply = if refused {
                    self.refusal("Recipient refused")
                } else {
                    Reply::new(250, Some(EnhancedCode::new(2, 1, 5)), "Recipient OK")
                };
                self.session
                    .answer(reply)
                    .expect("RCPT waits for an answer");
                if !refused {
                    self.recipients += 1;
                }
            }
            Event::DataStart => {
                assert!(
                    self.mail && self.recipients > 0,
                    "message without sender or recipients"
                );
                assert!(self.message.is_none(), "DataStart during a message");
                self.message = Some(Message {
                    data: data_start_due,
                    content: Vec::new(),
                });
                self.receiving_data = data_start_due;
                if self.script & script_flags::FAIL_DATA != 0 {
                    self.session.abort_data(Reply::new(
                        452,
                        Some(EnhancedCode::new(4, 3, 1)),
                        "Disk full",
                    ));
                }
            }
            Event::DataChunk(bytes) => {
                let message = self.message.as_mut().expect("DataChunk outside a message");
                assert!(!bytes.is_empty(), "empty DataChunk");
                assert!(
                    bytes.len() <= config.chunk_size,
                    "DataChunk of {} bytes, chunk_size {}",
                    bytes.len(),
                    config.chunk_size
                );
                message.content.extend_from_slice(&bytes);
            }
            Event::DataEnd => self.data_end(),
            Event::DataAbort(_) => {
                assert!(self.message.take().is_some(), "DataAbort outside a message");
                self.receiving_data = false;
                self.mail = false;
                self.recipients = 0;
            }
            Event::Reset => {
                assert!(
                    !self.receiving_data,
                    "Reset in the middle of a DATA message"
                );
                self.mail = false;
                self.recipients = 0;
                self.message = None;
            }
            Event::StartTls => {
                assert!(
                    config.starttls && !self.session.is_tls(),
                    "unasked STARTTLS"
                );
                assert!(!self.mail, "STARTTLS inside a transaction");
                assert_eq!(self.last_code, 220, "STARTTLS without its 220 sent first");
                if self.script & script_flags::SLOW_HANDSHAKE != 0 {
                    self.tls_pending = true;
                } else {
                    self.start_tls();
                }
            }
            Event::AuthLookup(request) => {
                self.lookups += 1;
                let answer = futures_executor::block_on(sasl::answer(session_store(), &request));
                self.session
                    .auth_answer(answer)
                    .expect("AuthLookup waits for an answer");
            }
            Event::Authenticated(identity) => {
                assert!(
                    self.session.is_tls() || !config.require_tls_for_auth,
                    "authenticated without TLS"
                );
                assert!(self.lookups > 0, "authenticated without asking the store");
                let user = identity.authentication_id.as_str();
                assert!(
                    PLAIN_USERS.iter().any(|(known, _)| *known == user) || user == SCRAM_USER.0,
                    "authenticated as unknown {user:?}"
                );
                if let Some(authzid) = &identity.requested_authorization_id {
                    assert!(
                        SESSION_PROXIES.contains(&(user, authzid.as_str())),
                        "{user} acts as {authzid} unallowed"
                    );
                }
                assert_eq!(self.session.identity(), Some(&identity));
            }
            Event::Vrfy(_) | Event::Expn(_) | Event::Etrn(_) => {
                let asked = match event {
                    Event::Vrfy(_) => config.vrfy,
                    Event::Expn(_) => config.expn,
                    _ => config.etrn,
                };
                assert!(asked, "{event:?} not configured");
                let reply = if self.refuse() {
                    self.refusal("No")
                } else {
                    Reply::new(250, Some(EnhancedCode::new(2, 1, 5)), "OK")
                };
                self.session.answer(reply).expect("waits for an answer");
            }
            Event::Close => {
                assert!(self.session.is_closed(), "Close but not closed");
                self.take_output();
                self.closed = true;
                // A pending handshake is abandoned with the connection.
                self.tls_pending = false;
                if self.script & script_flags::STRAY != 0 {
                    self.stray_answers();
                }
            }
            other => panic!("unknown event {other:?}"),
        }
    }

    fn data_end(&mut self) {
        let config = Arc::clone(&self.config);
        let message = self.message.take().expect("DataEnd outside a message");
        self.receiving_data = false;
        assert!(
            message.content.len() as u64 <= config.max_message_size,
            "a message of {} bytes over the limit of {}",
            message.content.len(),
            config.max_message_size
        );
        if message.data {
            assert!(
                crlf_only(&message.content)
                    && (message.content.is_empty() || message.content.ends_with(b"\r\n")),
                "DATA message with bare line endings: {}",
                show(&message.content)
            );
        }
        assert_eq!(
            self.session.accepted_recipients(),
            self.recipients,
            "recipients counted differently"
        );
        let answers = if config.lmtp {
            self.recipients.max(1)
        } else {
            1
        };
        for answer in 0..answers {
            let reply = if self.refuse() {
                self.refusal("Not delivered")
            } else {
                Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "Queued")
            };
            self.session.answer(reply).unwrap_or_else(|error| {
                panic!(
                    "DataEnd answer {} of {answers} refused: {error:?}",
                    answer + 1
                )
            });
        }
        assert_eq!(
            self.session.answer(Reply::new(250, None, "OK")),
            Err(SessionError::NotWaiting),
            "DataEnd took more than {answers} answers"
        );
        self.mail = false;
        self.recipients = 0;
    }

    /// The TLS handshake succeeded.
    fn start_tls(&mut self) {
        self.tls_pending = false;
        self.session.tls_started(TlsInfo::default());
        assert!(self.session.is_tls());
        let next = self.session.poll();
        assert!(
            next.is_none(),
            "input from before the TLS handshake was read after it: {next:?}"
        );
        assert!(self.session.take_output().is_empty());
        self.mail = false;
        self.recipients = 0;
        self.message = None;
    }
}
