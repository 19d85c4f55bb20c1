//! Property tests: what the encoders write, the parsers read back; the
//! streaming encoders give the same bytes however their input is cut.

#[path = "support/content_model.rs"]
mod content_model;
use bytes::BytesMut;
use content_model::{canonical, top_model};
use pop3_proto::capabilities::{Expire, LoginDelay};
use pop3_proto::{
    BodyDecoder, BodyProgress, Capabilities, Command, CommandLimits, DotStuffer, RespCode,
    Response, Status, TopFilter,
};
use proptest::prelude::*;

/// A USER/APOP name: printable, no leading or trailing blanks.
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9@.äö]([a-zA-Z0-9@._ äö-]{0,30}[a-zA-Z0-9@.äö])?"
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        name().prop_map(Command::User),
        proptest::collection::vec(
            any::<u8>().prop_filter("no NUL CR LF", |b| !matches!(b, 0 | b'\r' | b'\n')),
            0..60
        )
        .prop_map(|bytes| Command::Pass(bytes.into())),
        (name(), "[0-9a-f]{32}").prop_map(|(user, digest)| Command::Apop { user, digest }),
        (
            proptest::option::of("[A-Z0-9_-]{1,20}"),
            "[A-Za-z0-9+/]{0,100}={0,2}"
        )
            .prop_map(|(mechanism, ir)| Command::Auth {
                initial_response: mechanism
                    .as_ref()
                    .and_then(|_| (!ir.is_empty()).then_some(ir)),
                mechanism,
            }),
        Just(Command::Stat),
        proptest::option::of(any::<u32>()).prop_map(Command::List),
        any::<u32>().prop_map(Command::Retr),
        any::<u32>().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (any::<u32>(), any::<u64>()).prop_map(|(message, lines)| Command::Top { message, lines }),
        proptest::option::of(any::<u32>()).prop_map(Command::Uidl),
        Just(Command::Capa),
        Just(Command::Stls),
        Just(Command::Utf8),
    ]
}

fn resp_code() -> impl Strategy<Value = RespCode> {
    prop_oneof![
        Just(RespCode::LoginDelay),
        Just(RespCode::InUse),
        Just(RespCode::SysTemp),
        Just(RespCode::SysPerm),
        Just(RespCode::Auth),
        Just(RespCode::Utf8),
        "X-[A-Z]{1,8}(/[A-Z0-9-]{1,8}){0,3}".prop_map(RespCode::Other),
    ]
}

fn capabilities() -> impl Strategy<Value = Capabilities> {
    (
        any::<[bool; 9]>(),
        proptest::option::of((proptest::option::of(0u64..10_000), any::<bool>())),
        proptest::option::of((any::<u64>(), any::<bool>())),
        proptest::collection::vec("[A-Z0-9-]{1,20}", 0..5),
        proptest::option::of("[ -~]{1,40}"),
        proptest::collection::vec("X-[A-Z]{1,10}( [a-z0-9]{1,5}){0,2}", 0..3),
    )
        .prop_map(|(flags, expire, delay, sasl, implementation, other)| {
            let mut caps = Capabilities::default();
            caps.top = flags[0];
            caps.uidl = flags[1];
            caps.resp_codes = flags[2];
            caps.auth_resp_code = flags[3];
            caps.pipelining = flags[4];
            caps.utf8 = flags[5] || flags[6];
            caps.utf8_user = flags[6];
            caps.stls = flags[7];
            caps.user = flags[8];
            caps.expire = expire.map(|(days, per_user)| Expire { days, per_user });
            caps.login_delay = delay.map(|(seconds, per_user)| LoginDelay { seconds, per_user });
            caps.sasl = sasl;
            caps.implementation = implementation;
            caps.other = other;
            caps
        })
}

/// Cuts `data` at the given (sorted, deduplicated) positions.
fn cut<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut positions: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    positions.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for pos in positions {
        pieces.push(&data[start..pos]);
        start = pos;
    }
    pieces.push(&data[start..]);
    pieces
}

fn content() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(b"ab .:".to_vec()),
            1 => Just(b'\r'),
            1 => Just(b'\n'),
        ],
        0..200,
    )
}

proptest! {
    #[test]
    fn commands_round_trip(command in command()) {
        let mut out = BytesMut::new();
        command.encode(&mut out);
        prop_assert!(out.ends_with(b"\r\n"));
        prop_assert_eq!(Command::parse(&out, &CommandLimits::default()), Ok(command.clone()));
        prop_assert_eq!(Command::parse(&out[..out.len() - 2], &CommandLimits::default()), Ok(command));
    }

    #[test]
    fn responses_round_trip(ok in any::<bool>(), code in proptest::option::of(resp_code()), text in "([^\\[\r\n][^\r\n]{0,60})?") {
        let status = if ok { Status::Ok } else { Status::Err };
        let response = Response::new(status, code, text);
        let mut out = BytesMut::new();
        response.encode(&mut out);
        prop_assert_eq!(memchr::memchr_iter(b'\n', &out).count(), 1);
        prop_assert_eq!(Response::parse(&out), Ok(response));
    }

    #[test]
    fn capabilities_round_trip(caps in capabilities()) {
        let mut out = BytesMut::new();
        caps.encode(&mut out);
        let first = out.iter().position(|&b| b == b'\n').unwrap() + 1;
        prop_assert_eq!(&out[..first], b"+OK Capability list follows\r\n");
        let mut decoder = BodyDecoder::new();
        let mut body = Vec::new();
        prop_assert_eq!(decoder.decode(&out[first..], &mut body), BodyProgress::Done { consumed: out.len() - first });
        let text = String::from_utf8(body).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        prop_assert_eq!(Capabilities::parse_lines(lines), caps);
    }

    #[test]
    fn stuffing_decodes_to_the_canonical_content(content in content(), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut whole = BytesMut::new();
        DotStuffer::encode_all(&content, &mut whole);
        let mut stuffer = DotStuffer::new();
        let mut pieces = BytesMut::new();
        for piece in cut(&content, &cuts) {
            let before = pieces.len();
            stuffer.encode(piece, &mut pieces);
            prop_assert!(pieces.len() - before <= 2 * piece.len());
        }
        stuffer.finish(&mut pieces);
        prop_assert_eq!(&pieces[..], &whole[..]);
        // CRLF only; the terminator only at the end.
        for (i, &byte) in whole.iter().enumerate() {
            match byte {
                b'\r' => prop_assert_eq!(whole.get(i + 1), Some(&b'\n')),
                b'\n' => prop_assert!(i > 0 && whole[i - 1] == b'\r'),
                _ => {}
            }
        }
        let mut decoder = BodyDecoder::new();
        let mut decoded = Vec::new();
        prop_assert_eq!(decoder.decode(&whole, &mut decoded), BodyProgress::Done { consumed: whole.len() });
        let mut expected = canonical(&content);
        if !expected.is_empty() && !expected.ends_with(b"\r\n") {
            expected.extend_from_slice(b"\r\n");
        }
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn top_matches_its_line_model(content in content(), lines in 0u64..6, cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut filter = TopFilter::new(lines);
        let mut stuffer = DotStuffer::new();
        let mut out = BytesMut::new();
        for piece in cut(&content, &cuts) {
            let passed = filter.filter(piece);
            prop_assert!(piece.starts_with(passed));
            stuffer.encode(passed, &mut out);
        }
        stuffer.finish(&mut out);
        let mut decoder = BodyDecoder::new();
        let mut decoded = Vec::new();
        decoder.decode(&out, &mut decoded);
        let mut expected = top_model(&content, lines);
        if !expected.is_empty() && !expected.ends_with(b"\r\n") {
            expected.extend_from_slice(b"\r\n");
        }
        prop_assert_eq!(decoded, expected);
    }
}
