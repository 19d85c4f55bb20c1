//! Every example exchange of the IMAP RFCs (tests/vectors/rfc/*.txt, format
//! in its README): each client command read by the server's reader and
//! each server response read by the parser, and each re-encoded and read
//! back to the same value.

use std::path::{Path, PathBuf};

use bytes::BytesMut;
use imap_proto::encode::{self, EncodeOptions};
use imap_proto::parse::{self, ParseLimits};
use imap_proto::stream::server::{CommandReader, ServerEvent};
use imap_proto::types::command::Command;
use imap_proto::types::response::Response;

/// One example: its header and its lines in order.
struct Block {
    file: String,
    title: String,
    lines: Vec<Line>,
}

enum Line {
    Client(Vec<u8>, bool),
    Server(Vec<u8>, bool),
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/rfc")
}

fn blocks() -> Vec<Block> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors/rfc")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no RFC vectors");
    let mut blocks = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("utf-8 vectors");
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for chunk in text.split("\n\n") {
            let mut block = Block {
                file: file.clone(),
                title: String::new(),
                lines: Vec::new(),
            };
            for line in chunk.lines() {
                if let Some(t) = line.strip_prefix("# ") {
                    if block.title.is_empty() {
                        block.title = t.to_owned();
                    }
                } else if let Some(c) = line.strip_prefix("C: ") {
                    block.lines.push(Line::Client(c.as_bytes().to_vec(), true));
                } else if let Some(c) = line.strip_prefix("C! ") {
                    block.lines.push(Line::Client(c.as_bytes().to_vec(), false));
                } else if let Some(s) = line.strip_prefix("S: ") {
                    block.lines.push(Line::Server(s.as_bytes().to_vec(), true));
                } else if let Some(s) = line.strip_prefix("S! ") {
                    block.lines.push(Line::Server(s.as_bytes().to_vec(), false));
                } else if !line.trim().is_empty() && !line.starts_with('#') {
                    panic!("{file}: a line of no known kind: {line:?}");
                }
            }
            if !block.lines.is_empty() {
                blocks.push(block);
            }
        }
    }
    blocks
}

fn command_round_trip(command: &Command<'_>, at: &str) {
    for options in encode_options() {
        let mut out = BytesMut::new();
        encode::command(command, options, &mut out);
        let (again, used) = parse::command(&out, ParseLimits::default())
            .unwrap_or_else(|e| panic!("{at}: re-encoded {out:?} does not parse: {e}"));
        assert_eq!(used, out.len(), "{at}: {out:?}");
        assert_eq!(&again, command, "{at}: {out:?}");
    }
}

fn response_round_trip(response: &Response<'_>, at: &str) {
    for options in encode_options() {
        let mut out = BytesMut::new();
        encode::response(response, options, &mut out);
        let (again, used) = parse::response(&out, ParseLimits::default())
            .unwrap_or_else(|e| panic!("{at}: re-encoded {out:?} does not parse: {e}"));
        assert_eq!(used, out.len(), "{at}: {out:?}");
        assert_eq!(&again, response, "{at}: {out:?}");
    }
}

fn encode_options() -> [EncodeOptions; 2] {
    [
        EncodeOptions::default(),
        EncodeOptions {
            utf8: true,
            ..EncodeOptions::default()
        },
    ]
}

/// Runs one block; returns the commands and responses it checked.
fn check(block: &Block) -> (usize, usize) {
    let at = |what: &str| format!("{} {}: {what}", block.file, block.title);
    let mut reader = CommandReader::default();
    let mut server = Vec::new();
    let mut commands = 0;
    // A `+` that answers no literal makes the next client line raw (a
    // SASL response, IDLE's DONE).
    let mut waiting_literal = false;
    let mut raw_next = false;
    for (i, line) in block.lines.iter().enumerate() {
        match line {
            Line::Client(bytes, valid) => {
                let mut wire = bytes.clone();
                wire.extend_from_slice(b"\r\n");
                if raw_next {
                    reader.expect_line();
                    raw_next = false;
                }
                waiting_literal = wire.ends_with(b"}\r\n");
                // A synchronising literal the server answers with anything
                // but "+" is refused: the client never sends it.
                let refused = wire.ends_with(b"}\r\n")
                    && !wire.ends_with(b"+}\r\n")
                    && !wire.ends_with(b"-}\r\n")
                    && matches!(block.lines.get(i + 1), Some(Line::Server(s, _)) if !s.starts_with(b"+"));
                reader.feed(&wire);
                while let Some(event) = reader.next() {
                    match event {
                        ServerEvent::Command(c) => {
                            assert!(
                                *valid,
                                "{}",
                                at(&format!("{c:?} parsed but is marked invalid"))
                            );
                            command_round_trip(&c, &at(&String::from_utf8_lossy(bytes)));
                            commands += 1;
                        }
                        ServerEvent::AppendMessage(_) if refused => reader.reject_append(),
                        ServerEvent::AppendMessage(_) => reader.accept_append(),
                        ServerEvent::AppendDone(_) => commands += 1,
                        ServerEvent::Error { error, .. } => {
                            assert!(
                                !*valid || refused,
                                "{}",
                                at(&format!("{:?}: {error}", String::from_utf8_lossy(bytes)))
                            );
                            commands += 1;
                        }
                        ServerEvent::Continue if refused => {
                            panic!("{}", at("a refused literal was accepted"))
                        }
                        ServerEvent::Continue
                        | ServerEvent::AppendData(_)
                        | ServerEvent::Line(_) => {}
                    }
                }
            }
            Line::Server(bytes, valid) => {
                if bytes.starts_with(b"+") && !waiting_literal {
                    raw_next = true;
                }
                if !waiting_literal || !bytes.starts_with(b"+") {
                    waiting_literal = false;
                }
                server.push((bytes.clone(), *valid));
            }
        }
    }
    let mut stream = Vec::new();
    for (bytes, _) in &server {
        stream.extend_from_slice(bytes);
        stream.extend_from_slice(b"\r\n");
    }
    let all_valid = server.iter().all(|(_, v)| *v);
    let mut rest = &stream[..];
    let mut responses = 0;
    while !rest.is_empty() {
        match parse::response(rest, ParseLimits::default()) {
            Ok((response, used)) => {
                response_round_trip(&response, &at(&String::from_utf8_lossy(&rest[..used])));
                rest = &rest[used..];
                responses += 1;
            }
            Err(e) => {
                assert!(
                    !all_valid,
                    "{}",
                    at(&format!(
                        "{:?} does not parse: {e}",
                        String::from_utf8_lossy(rest)
                    ))
                );
                break;
            }
        }
    }
    (commands, responses)
}

#[test]
fn every_rfc_example_parses_and_round_trips() {
    let blocks = blocks();
    let (mut commands, mut responses) = (0, 0);
    for block in &blocks {
        let (c, r) = check(block);
        commands += c;
        responses += r;
    }
    eprintln!(
        "{} examples: {commands} commands, {responses} responses",
        blocks.len()
    );
    assert!(
        commands > 100 && responses > 200,
        "{commands} commands, {responses} responses"
    );
}
