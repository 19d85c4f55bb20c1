//! The server's command reader: framing, literals, APPEND streaming,
//! limits and resynchronisation, fed whole and a byte at a time.

use imap_proto::stream::server::{
    AppendMessage, CommandError, CommandLimits, CommandReader, NonSyncLiterals, ServerEvent,
};
use imap_proto::types::command::CommandBody;
use imap_proto::types::flag::Flag;
use imap_proto::{Mailbox, Str};

/// What a test sees of an event, owned, so events can be collected.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Command(String),
    Continue,
    Append(AppendMessage),
    Data(Vec<u8>),
    Done(String),
    Line(Vec<u8>),
    Error(Option<String>, CommandError),
}

/// Feeds `input` in pieces of `step` bytes, accepting every APPEND
/// message, and collects what comes out (APPEND data joined per message).
fn run(limits: CommandLimits, input: &[u8], step: usize) -> Vec<Seen> {
    let mut reader = CommandReader::new(limits);
    let mut seen = Vec::new();
    for piece in input.chunks(step.max(1)) {
        reader.feed(piece);
        drain(&mut reader, &mut seen);
    }
    seen
}

fn drain(reader: &mut CommandReader, seen: &mut Vec<Seen>) {
    loop {
        let event = match reader.next() {
            None => return,
            Some(ServerEvent::Command(c)) => Seen::Command(format!("{c:?}")),
            Some(ServerEvent::Continue) => Seen::Continue,
            Some(ServerEvent::AppendMessage(m)) => {
                reader.accept_append();
                Seen::Append(m)
            }
            Some(ServerEvent::AppendData(d)) => {
                if let Some(Seen::Data(v)) = seen.last_mut() {
                    v.extend_from_slice(d);
                    continue;
                }
                Seen::Data(d.to_vec())
            }
            Some(ServerEvent::AppendDone(tag)) => Seen::Done(tag.as_str().to_owned()),
            Some(ServerEvent::Line(l)) => Seen::Line(l.to_vec()),
            Some(ServerEvent::Error { tag, error }) => {
                Seen::Error(tag.map(|t| t.as_str().to_owned()), error)
            }
        };
        seen.push(event);
    }
}

/// Every split gives the same events (the count of Continue aside: a
/// literal's data that arrives with its announcement needs none).
fn same_at_every_split(limits: CommandLimits, input: &[u8]) -> Vec<Seen> {
    let whole = run(limits, input, input.len());
    let strip =
        |v: Vec<Seen>| -> Vec<Seen> { v.into_iter().filter(|s| *s != Seen::Continue).collect() };
    for step in 1..input.len().min(40) {
        assert_eq!(
            strip(run(limits, input, step)),
            strip(whole.clone()),
            "pieces of {step}"
        );
    }
    whole
}

fn command_text(seen: &Seen) -> &str {
    match seen {
        Seen::Command(c) => c,
        other => panic!("not a command: {other:?}"),
    }
}

#[test]
fn pipelined_commands_come_out_in_order() {
    let seen = same_at_every_split(
        CommandLimits::default(),
        b"a1 NOOP\r\na2 CAPABILITY\r\na3 SELECT INBOX\r\n",
    );
    assert_eq!(seen.len(), 3);
    assert!(command_text(&seen[2]).contains("Select"));
}

#[test]
fn a_synchronising_literal_asks_for_a_continuation_once() {
    let mut reader = CommandReader::default();
    reader.feed(b"a1 LOGIN {5}\r\n");
    assert_eq!(reader.next(), Some(ServerEvent::Continue));
    assert_eq!(reader.next(), None);
    reader.feed(b"ali");
    assert_eq!(reader.next(), None);
    reader.feed(b"ce {5}\r\n");
    assert_eq!(reader.next(), Some(ServerEvent::Continue));
    reader.feed(b"sec\nt\r\n");
    let Some(ServerEvent::Command(c)) = reader.next() else {
        panic!("a command")
    };
    assert_eq!(
        c.body,
        CommandBody::Login {
            username: Str::from("alice"),
            password: Str::from("sec\nt"),
        }
    );
}

#[test]
fn non_synchronising_literals_need_no_continuation() {
    let seen = same_at_every_split(
        CommandLimits::default(),
        b"a1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n",
    );
    assert_eq!(seen.len(), 1);
    assert!(command_text(&seen[0]).contains("Login"));
}

#[test]
fn append_streams_each_message_of_a_multiappend() {
    let input = b"a1 APPEND Drafts (\\Seen) \" 1-Feb-2024 10:00:00 +0100\" {12}\r\nhello\r\nworld ~{3+}\r\nx\0y\r\na2 NOOP\r\n";
    let seen = same_at_every_split(CommandLimits::default(), input);
    let Seen::Append(first) = &seen[0] else {
        panic!("{seen:?}")
    };
    assert_eq!(first.tag.as_str(), "a1");
    assert_eq!(
        first.mailbox,
        Mailbox::from_wire(&b"Drafts"[..]).into_owned()
    );
    assert_eq!(first.flags, vec![Flag::Seen]);
    assert!(first.date.is_some());
    assert_eq!(
        (first.size, first.sync, first.binary, first.index),
        (12, true, false, 0)
    );
    assert_eq!(seen[1], Seen::Data(b"hello\r\nworld".to_vec()));
    let Seen::Append(second) = &seen[2] else {
        panic!("{seen:?}")
    };
    assert_eq!(
        (second.size, second.sync, second.binary, second.index),
        (3, false, true, 1)
    );
    assert_eq!(seen[3], Seen::Data(b"x\0y".to_vec()));
    assert_eq!(seen[4], Seen::Done("a1".into()));
    assert!(command_text(&seen[5]).contains("Noop"));
}

#[test]
fn an_append_with_a_literal_mailbox_name_still_streams() {
    let seen = same_at_every_split(
        CommandLimits::default(),
        b"a1 APPEND {5+}\r\nDraft {2+}\r\nhi\r\n",
    );
    let Seen::Append(m) = &seen[0] else {
        panic!("{seen:?}")
    };
    assert_eq!(m.mailbox, Mailbox::from_wire(&b"Draft"[..]).into_owned());
    assert_eq!(
        seen[1..],
        [Seen::Data(b"hi".to_vec()), Seen::Done("a1".into())]
    );
}

#[test]
fn a_rejected_synchronising_append_drops_the_command() {
    let mut reader = CommandReader::default();
    reader.feed(b"a1 APPEND INBOX {100}\r\n");
    assert!(matches!(reader.next(), Some(ServerEvent::AppendMessage(_))));
    reader.reject_append();
    reader.feed(b"a2 NOOP\r\n");
    assert!(matches!(reader.next(), Some(ServerEvent::Command(_))));
}

#[test]
fn a_rejected_non_synchronising_append_skips_its_data() {
    let mut reader = CommandReader::default();
    reader.feed(b"a1 APPEND INBOX {5+}\r\na3 NO {3+}\r\nxyz\r\na2 NOOP\r\n");
    assert!(matches!(reader.next(), Some(ServerEvent::AppendMessage(_))));
    reader.reject_append();
    let Some(ServerEvent::Command(c)) = reader.next() else {
        panic!("the next command")
    };
    assert_eq!(c.tag.as_str(), "a2");
}

#[test]
fn a_gigabyte_append_passes_with_bounded_memory() {
    let size: u64 = 1 << 30;
    let limits = CommandLimits {
        max_append: size,
        ..CommandLimits::default()
    };
    let mut reader = CommandReader::new(limits);
    reader.feed(format!("a1 APPEND INBOX {{{size}+}}\r\n").as_bytes());
    assert!(matches!(reader.next(), Some(ServerEvent::AppendMessage(_))));
    reader.accept_append();
    let chunk = vec![b'x'; 64 * 1024];
    let mut received = 0u64;
    while received < size {
        reader.feed(&chunk);
        while let Some(event) = reader.next() {
            let ServerEvent::AppendData(d) = event else {
                panic!("data")
            };
            received += d.len() as u64;
        }
        assert!(reader.buffered() <= chunk.len());
    }
    reader.feed(b"\r\n");
    assert!(matches!(reader.next(), Some(ServerEvent::AppendDone(_))));
}

#[test]
fn malformed_commands_are_skipped_and_the_next_one_is_read() {
    let seen = same_at_every_split(
        CommandLimits::default(),
        b"a1 FETCH 0 FLAGS\r\n+++\r\na2 LOGIN {3+}\r\nabc x y\r\na3 NOOP\r\n",
    );
    assert!(matches!(&seen[0], Seen::Error(Some(t), CommandError::Syntax(_)) if t == "a1"));
    assert!(matches!(
        &seen[1],
        Seen::Error(None, CommandError::Syntax(_))
    ));
    assert!(matches!(&seen[2], Seen::Error(Some(t), CommandError::Syntax(_)) if t == "a2"));
    assert!(command_text(&seen[3]).contains("Noop"));
    assert_eq!(seen.len(), 4);
}

#[test]
fn a_refused_literal_is_skipped_when_it_was_sent_anyway() {
    let limits = CommandLimits {
        max_literal: 4,
        ..CommandLimits::default()
    };
    let seen = same_at_every_split(
        limits,
        b"a1 LOGIN {10+}\r\n0123456789 {2+}\r\n\r\n\r\na2 NOOP\r\n",
    );
    assert_eq!(
        seen[0],
        Seen::Error(Some("a1".into()), CommandError::LiteralTooLarge(10))
    );
    assert!(command_text(&seen[1]).contains("Noop"));
}

#[test]
fn a_refused_synchronising_literal_ends_the_command() {
    let limits = CommandLimits {
        max_literal: 4,
        ..CommandLimits::default()
    };
    let seen = run(limits, b"a1 LOGIN {10}\r\na2 NOOP\r\n", 100);
    assert_eq!(
        seen[0],
        Seen::Error(Some("a1".into()), CommandError::LiteralTooLarge(10))
    );
    assert!(command_text(&seen[1]).contains("Noop"));
}

#[test]
fn literal_minus_allows_4096_octets_without_waiting() {
    let limits = CommandLimits {
        non_sync: NonSyncLiterals::Minus,
        ..CommandLimits::default()
    };
    let mut input = b"a1 APPEND INBOX {4097+}\r\n".to_vec();
    input.extend(vec![b'x'; 4097]);
    input.extend(b"\r\na2 NOOP\r\n");
    let seen = run(limits, &input, 1000);
    assert_eq!(
        seen[0],
        Seen::Error(Some("a1".into()), CommandError::LiteralTooLarge(4097))
    );
    assert!(command_text(&seen[1]).contains("Noop"));
    let refused = CommandLimits {
        non_sync: NonSyncLiterals::Refused,
        ..CommandLimits::default()
    };
    let seen = run(refused, b"a1 LOGIN {1+}\r\nx y\r\na2 NOOP\r\n", 100);
    assert_eq!(
        seen[0],
        Seen::Error(Some("a1".into()), CommandError::NonSyncRefused)
    );
    assert!(command_text(&seen[1]).contains("Noop"));
}

#[test]
fn over_long_lines_are_refused_as_they_arrive() {
    let limits = CommandLimits {
        max_line: 100,
        ..CommandLimits::default()
    };
    let mut reader = CommandReader::new(limits);
    reader.feed(b"a1 LOGIN ");
    for _ in 0..1000 {
        reader.feed(&[b'x'; 50]);
        if let Some(event) = reader.next() {
            assert_eq!(
                event,
                ServerEvent::Error {
                    tag: Some(imap_proto::Tag::new("a1").unwrap()),
                    error: CommandError::LineTooLong
                }
            );
            break;
        }
    }
    for _ in 0..1000 {
        reader.feed(&[b'x'; 50]);
        assert_eq!(reader.next(), None);
        assert!(reader.buffered() <= 100);
    }
    reader.feed(b"\r\na2 NOOP\r\n");
    assert!(matches!(reader.next(), Some(ServerEvent::Command(_))));
}

#[test]
fn raw_lines_for_authenticate_and_idle() {
    let mut reader = CommandReader::default();
    reader.feed(b"a1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\na2 NOOP\r\n");
    assert!(matches!(reader.next(), Some(ServerEvent::Command(_))));
    reader.expect_line();
    assert_eq!(
        reader.next(),
        Some(ServerEvent::Line(b"AGFsaWNlAHNlY3JldA=="))
    );
    assert!(matches!(reader.next(), Some(ServerEvent::Command(_))));
}

#[test]
fn depth_and_item_limits_refuse_the_command() {
    let deep = format!(
        "a1 SEARCH {}ALL{}\r\na2 NOOP\r\n",
        "(".repeat(100),
        ")".repeat(100)
    );
    let seen = run(CommandLimits::default(), deep.as_bytes(), 1000);
    assert_eq!(
        seen[0],
        Seen::Error(
            Some("a1".into()),
            CommandError::Syntax(imap_proto::parse::ParseError::TooDeep)
        )
    );
    assert!(command_text(&seen[1]).contains("Noop"));
}
