//! Real traffic (tests/vectors/traffic, captured by tests/traffic/capture.py
//! between Python imaplib, curl, mbsync and Dovecot 2.3): every byte the
//! clients sent reads as commands through the server's `CommandReader`,
//! every byte Dovecot sent reads as responses through the client's
//! `ResponseReader`, fed whole and in small pieces, and every command and
//! response re-encodes to bytes that read back to the same value.

use std::path::{Path, PathBuf};

use bytes::BytesMut;
use imap_proto::encode::{self, EncodeOptions};
use imap_proto::parse::{self, ParseLimits};
use imap_proto::stream::client::{ResponseLimits, ResponseReader};
use imap_proto::stream::server::{CommandReader, ServerEvent};
use imap_proto::types::command::CommandBody;
use imap_proto::types::response::{Response, StatusKind, StatusResponse};

fn traffic_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/traffic")
}

/// The captured connections: (name, client bytes, server bytes).
fn captures() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(traffic_dir())
        .expect("tests/vectors/traffic")
        .filter_map(|e| {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            name.strip_suffix(".c2s").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 14, "captures missing: {names:?}");
    names
        .into_iter()
        .map(|name| {
            let read = |ext: &str| std::fs::read(traffic_dir().join(format!("{name}.{ext}")));
            (
                name.clone(),
                read("c2s").expect("c2s"),
                read("s2c").expect("s2c"),
            )
        })
        .collect()
}

/// Every response of a server stream, owned, read in pieces of `step`.
fn responses(name: &str, stream: &[u8], step: usize) -> Vec<Response<'static>> {
    let mut reader = ResponseReader::new(ResponseLimits::default());
    let mut out = Vec::new();
    for piece in stream.chunks(step) {
        reader.feed(piece);
        while let Some(r) = reader
            .next_owned()
            .unwrap_or_else(|e| panic!("{name}: response {} does not read: {e}", out.len()))
        {
            out.push(r);
        }
    }
    assert_eq!(reader.buffered(), 0, "{name}: a response cut short");
    out
}

fn is_continuation(r: &Response<'_>) -> bool {
    matches!(r, Response::Continue(_))
}

/// Reads the client stream as the server would: it needs the server's side
/// to know which lines are raw (SASL responses after AUTHENTICATE's
/// challenges, DONE after IDLE's "+"). Returns the commands read.
fn commands(name: &str, client: &[u8], server: &[Response<'static>], step: usize) -> usize {
    let mut reader = CommandReader::default();
    // The server's continuation requests, in order, and the tags it
    // completed: each AUTHENTICATE takes the "+" sent before its tag ends.
    let mut at = 0;
    let mut count = 0;
    let mut raw_lines = 0;
    let next_plus = |at: &mut usize| {
        while *at < server.len() && !is_continuation(&server[*at]) {
            *at += 1;
        }
        assert!(*at < server.len(), "{name}: no \"+\" left for the client");
        *at += 1;
    };
    for piece in client.chunks(step) {
        reader.feed(piece);
        loop {
            if raw_lines > 0 {
                reader.expect_line();
            }
            let Some(event) = reader.next() else { break };
            match event {
                ServerEvent::Command(c) => {
                    command_round_trip(name, &c.body, &c);
                    count += 1;
                    match &c.body {
                        CommandBody::Idle => {
                            next_plus(&mut at);
                            raw_lines = 1;
                        }
                        CommandBody::Authenticate { .. } => {
                            raw_lines = challenges(server, &mut at, c.tag.as_str());
                        }
                        _ => {}
                    }
                }
                ServerEvent::Continue => next_plus(&mut at),
                ServerEvent::AppendMessage(m) => {
                    // A synchronising message the server answered with its
                    // tagged NO (TRYCREATE, OVERQUOTA) was never sent.
                    if !m.sync || continued(server, &mut at, m.tag.as_str()) {
                        reader.accept_append();
                    } else {
                        reader.reject_append();
                    }
                }
                ServerEvent::AppendData(_) => {}
                ServerEvent::AppendDone(_) => count += 1,
                ServerEvent::Line(_) => raw_lines -= 1,
                ServerEvent::Error { tag, error } => {
                    // Only what Dovecot refused as malformed too (the
                    // captures send a few broken commands on purpose).
                    let tag = tag.unwrap_or_else(|| panic!("{name}: untagged refusal: {error}"));
                    assert!(
                        answered_bad(server, tag.as_str()),
                        "{name}: {tag:?} refused ({error}), which Dovecot accepted"
                    );
                    count += 1;
                }
            }
        }
    }
    assert_eq!(reader.buffered(), 0, "{name}: a command cut short");
    count
}

/// Whether the server's next answer to `tag` is "+" (consumed) rather
/// than its tagged status.
fn continued(server: &[Response<'static>], at: &mut usize, tag: &str) -> bool {
    while let Some(r) = server.get(*at) {
        match r {
            Response::Continue(_) => {
                *at += 1;
                return true;
            }
            Response::Status(StatusResponse { tag: Some(t), .. }) if t.as_str() == tag => {
                return false;
            }
            _ => *at += 1,
        }
    }
    panic!("the server never answered {tag}")
}

/// Whether the server answered `tag` with BAD.
fn answered_bad(server: &[Response<'static>], tag: &str) -> bool {
    server.iter().any(|r| {
        matches!(r, Response::Status(StatusResponse { tag: Some(t), kind: StatusKind::Bad, .. })
            if t.as_str() == tag)
    })
}

/// The "+" challenges the server sent before completing `tag`, consumed.
fn challenges(server: &[Response<'static>], at: &mut usize, tag: &str) -> usize {
    let mut n = 0;
    while let Some(r) = server.get(*at) {
        *at += 1;
        match r {
            Response::Continue(_) => n += 1,
            Response::Status(StatusResponse { tag: Some(t), .. }) if t.as_str() == tag => break,
            _ => {}
        }
    }
    n
}

fn command_round_trip(
    name: &str,
    body: &CommandBody<'_>,
    c: &imap_proto::types::command::Command<'_>,
) {
    let mut out = BytesMut::new();
    encode::command(c, EncodeOptions::default(), &mut out);
    let (again, used) = parse::command(&out, ParseLimits::default())
        .unwrap_or_else(|e| panic!("{name}: re-encoded {out:?} does not parse: {e}"));
    assert_eq!(used, out.len());
    assert_eq!(&again.body, body, "{name}: {out:?}");
}

fn response_round_trip(name: &str, r: &Response<'_>) {
    let mut out = BytesMut::new();
    encode::response(r, EncodeOptions::default(), &mut out);
    let (again, used) = parse::response(&out, ParseLimits::default())
        .unwrap_or_else(|e| panic!("{name}: re-encoded {out:?} does not parse: {e}"));
    assert_eq!(used, out.len());
    assert_eq!(&again, r, "{name}: {out:?}");
}

#[test]
fn every_captured_byte_reads_and_round_trips() {
    let (mut total_commands, mut total_responses) = (0, 0);
    for (name, client, server) in captures() {
        let whole = responses(&name, &server, server.len().max(1));
        for step in [1, 7, 4096] {
            assert_eq!(
                responses(&name, &server, step),
                whole,
                "{name}: pieces of {step}"
            );
        }
        for r in &whole {
            response_round_trip(&name, r);
        }
        let n = commands(&name, &client, &whole, client.len().max(1));
        for step in [1, 5, 4096] {
            assert_eq!(
                commands(&name, &client, &whole, step),
                n,
                "{name}: pieces of {step}"
            );
        }
        assert!(n > 0, "{name}: no command");
        total_commands += n;
        total_responses += whole.len();
    }
    eprintln!("{total_commands} commands, {total_responses} responses");
    assert!(total_commands > 200 && total_responses > 900);
}
