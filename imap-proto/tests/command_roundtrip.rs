//! Every command the types can hold, encoded then parsed, is the same
//! command, whatever the encoder's options; parsing stops exactly at its
//! end; and the server's `CommandReader` reads the same command (APPEND
//! rebuilt from its streamed messages) when the bytes arrive in two
//! pieces split at any byte.

#[allow(unreachable_pub)]
#[path = "support/command_strategies.rs"]
mod command_strategies;
#[allow(unreachable_pub)]
#[path = "support/strategies.rs"]
mod strategies;

use std::borrow::Cow;

use bytes::BytesMut;
use imap_proto::encode::{self, EncodeOptions, LiteralMode};
use imap_proto::parse::{self, ParseLimits};
use imap_proto::stream::server::{CommandReader, ServerEvent};
use imap_proto::types::command::{AppendMessage, Command, CommandBody};
use proptest::prelude::*;

fn options() -> [EncodeOptions; 3] {
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

/// The canonical bytes of a command (what this test compares: the reader
/// lends its commands from its buffer, so they are compared encoded).
fn canonical(command: &Command<'_>) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode::command(command, EncodeOptions::default(), &mut out);
    out.to_vec()
}

/// What the reader makes of `wire` fed as `wire[..split]` then the rest:
/// the command, with an APPEND put together from its events, encoded.
fn read(wire: &[u8], split: usize) -> Vec<u8> {
    let mut reader = CommandReader::default();
    let mut append: Option<Command<'static>> = None;
    for piece in [&wire[..split], &wire[split..]] {
        reader.feed(piece);
        while let Some(event) = reader.next() {
            match event {
                ServerEvent::Command(c) => return canonical(&c),
                ServerEvent::Continue => {}
                ServerEvent::AppendMessage(m) => {
                    reader.accept_append();
                    let command = append.get_or_insert_with(|| Command {
                        tag: m.tag.clone(),
                        body: CommandBody::Append {
                            mailbox: m.mailbox.clone(),
                            messages: Vec::new(),
                        },
                    });
                    if let CommandBody::Append { messages, .. } = &mut command.body {
                        messages.push(AppendMessage {
                            flags: m.flags,
                            date: m.date,
                            data: Cow::Owned(Vec::new()),
                            binary: m.binary,
                            utf8: false,
                            catenate: vec![],
                        });
                    }
                }
                ServerEvent::AppendData(d) => {
                    let command = append.as_mut().expect("announced");
                    if let CommandBody::Append { messages, .. } = &mut command.body {
                        let last = messages.last_mut().expect("a message");
                        last.data.to_mut().extend_from_slice(d);
                    }
                }
                ServerEvent::AppendDone(_) => return canonical(&append.take().expect("announced")),
                other => panic!("{other:?} for {:?}", String::from_utf8_lossy(wire)),
            }
        }
    }
    panic!("no command in {:?}", String::from_utf8_lossy(wire))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn encode_then_parse_is_identity(c in command_strategies::command()) {
        for options in options() {
            let mut out = BytesMut::new();
            let breaks = encode::command(&c, options, &mut out);
            if options.literals == LiteralMode::NonSync {
                prop_assert!(breaks.is_empty());
            }
            for &b in &breaks {
                prop_assert!(out[..b].ends_with(b"}\r\n"), "{:?} at {}", out, b);
            }
            // A following command must not be read into this one.
            let len = out.len();
            out.extend_from_slice(b"a NOOP\r\n");
            let (back, n) = parse::command(&out, ParseLimits::default()).unwrap_or_else(|e| {
                panic!("{e:?} for {:?}", String::from_utf8_lossy(&out[..len]))
            });
            prop_assert_eq!(n, len, "{:?}", String::from_utf8_lossy(&out[..len]));
            prop_assert_eq!(&back, &c, "{:?}", String::from_utf8_lossy(&out[..len]));
            prop_assert_eq!(back.into_owned(), c.clone());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_reader_reads_it_split_at_every_byte(c in command_strategies::command()) {
        // The reader streams plain messages and buffers a CATENATE or UTF8
        // APPEND whole; a MULTIAPPEND mixing the two it refuses
        // (documented on `CommandReader`).
        if let CommandBody::Append { messages, .. } = &c.body {
            prop_assume!(
                messages.len() == 1 || messages.iter().all(|m| m.catenate.is_empty() && !m.utf8)
            );
        }
        let out = canonical(&c);
        for split in 0..=out.len() {
            prop_assert_eq!(read(&out, split), out.clone(), "split at {}", split);
        }
    }
}
