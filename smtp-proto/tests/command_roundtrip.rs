//! Property tests: any command the parser can produce survives
//! encode → parse unchanged, and no input makes the parser panic.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::{
    AuthParam, Body, Command, Domain, ForwardPath, MailParams, Mailbox, Notify, Orcpt, Param,
    RcptParams, Ret, ReversePath,
};

/// Printable characters outside ASCII, a few from each plane and script,
/// all of them allowed unquoted in local parts and domain labels.
const NON_ASCII: &str = "\u{a0}-\u{2ff}\u{370}-\u{3ff}\u{4e00}-\u{4e80}\u{1f600}-\u{1f64f}";

fn atom() -> impl Strategy<Value = String> {
    string(&format!(
        "[-a-zA-Z0-9!#$%&'*+/=?^_`{{|}}~{NON_ASCII}]{{1,8}}"
    ))
}

fn string(regex: &str) -> BoxedStrategy<String> {
    proptest::string::string_regex(regex)
        .expect("valid regex")
        .boxed()
}

fn local_part() -> impl Strategy<Value = String> {
    prop_oneof![
        // Dot-strings, sent as they are.
        prop::collection::vec(atom(), 1..4).prop_map(|atoms| atoms.join(".")),
        // Anything a Quoted-string can carry: printable ASCII including the
        // quote and backslash, space, UTF-8, and the empty string.
        string(&format!("[ -~{NON_ASCII}]{{0,12}}")),
    ]
}

fn label() -> impl Strategy<Value = String> {
    string(&format!(
        "[a-zA-Z0-9{NON_ASCII}]([a-zA-Z0-9{NON_ASCII}-]{{0,8}}[a-zA-Z0-9{NON_ASCII}])?"
    ))
}

fn domain() -> impl Strategy<Value = Domain> {
    prop_oneof![
        4 => prop::collection::vec(label(), 1..4).prop_map(|labels| Domain::Name(labels.join("."))),
        1 => any::<u32>().prop_map(|a| Domain::Ipv4(Ipv4Addr::from(a))),
        1 => any::<u128>().prop_map(|a| Domain::Ipv6(Ipv6Addr::from(a))),
        1 => (
            string("[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?")
                .prop_filter("IPv6 is not a general tag", |t| !t.eq_ignore_ascii_case("IPv6")),
            string("[!-Z^-~]{1,12}"),
        )
            .prop_map(|(tag, content)| Domain::General { tag, content }),
    ]
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    (local_part(), domain()).prop_map(|(local_part, domain)| Mailbox { local_part, domain })
}

/// Free text as EHLO, VRFY or NOOP carry it: no surrounding whitespace.
fn text() -> impl Strategy<Value = String> {
    let c = format!("!-~{NON_ASCII}");
    string(&format!("[{c}]([ \t{c}]{{0,20}}[{c}])?"))
}

/// Any non-empty string: xtext can carry every character, controls included.
fn xtext_value(max_chars: usize) -> impl Strategy<Value = String> {
    any::<String>().prop_filter_map("non-empty, within the limit", move |s| {
        let s: String = s.chars().take(max_chars).collect();
        (!s.is_empty()).then_some(s)
    })
}

fn other_params(known: &'static [&'static str]) -> impl Strategy<Value = Vec<Param>> {
    let param = (
        string("[a-zA-Z0-9][a-zA-Z0-9-]{0,10}").prop_filter("not a typed parameter", move |k| {
            !known.iter().any(|n| n.eq_ignore_ascii_case(k))
        }),
        prop::option::of(string(&format!("[!-<>-~{NON_ASCII}]{{1,10}}"))),
    )
        .prop_map(|(keyword, value)| Param { keyword, value });
    prop::collection::vec(param, 0..3)
}

fn mail_params() -> impl Strategy<Value = MailParams> {
    const KNOWN: &[&str] = &[
        "SIZE",
        "BODY",
        "SMTPUTF8",
        "RET",
        "ENVID",
        "AUTH",
        "REQUIRETLS",
    ];
    (
        prop::option::of(any::<u64>()),
        prop::option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Headers)]),
        prop::option::of(xtext_value(100)),
        prop::option::of(prop_oneof![
            Just(AuthParam::Unknown),
            Just(AuthParam::Identity("<>".into())),
            xtext_value(40).prop_map(AuthParam::Identity),
        ]),
        any::<bool>(),
        other_params(KNOWN),
    )
        .prop_map(
            |(size, body, smtputf8, ret, envid, auth, require_tls, other)| MailParams {
                size,
                body,
                smtputf8,
                ret,
                envid,
                auth,
                require_tls,
                other,
            },
        )
}

fn rcpt_params() -> impl Strategy<Value = RcptParams> {
    const KNOWN: &[&str] = &["NOTIFY", "ORCPT"];
    let notify = prop_oneof![
        Just(Notify::Never),
        (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_filter("at least one", |&(s, f, d)| s || f || d)
            .prop_map(|(success, failure, delay)| Notify::On {
                success,
                failure,
                delay
            }),
    ];
    let orcpt = (
        string("[-a-zA-Z0-9!#$%&'*+/=?^_`{|}~]{1,10}"),
        xtext_value(40),
    )
        .prop_map(|(addr_type, address)| Orcpt { addr_type, address });
    (
        prop::option::of(notify),
        prop::option::of(orcpt),
        other_params(KNOWN),
    )
        .prop_map(|(notify, orcpt, other)| RcptParams {
            notify,
            orcpt,
            other,
        })
}

fn command() -> impl Strategy<Value = Command> {
    let base64 = string("[A-Za-z0-9+/]{1,40}={0,2}");
    prop_oneof![
        text().prop_map(Command::Ehlo),
        text().prop_map(Command::Helo),
        text().prop_map(Command::Lhlo),
        (
            prop_oneof![
                1 => Just(ReversePath::Null),
                4 => mailbox().prop_map(ReversePath::Mailbox),
            ],
            mail_params()
        )
            .prop_map(|(from, params)| Command::Mail { from, params }),
        (
            prop_oneof![
                1 => Just(ForwardPath::Postmaster),
                4 => mailbox().prop_map(ForwardPath::Mailbox),
            ],
            rcpt_params()
        )
            .prop_map(|(to, params)| Command::Rcpt { to, params }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        text().prop_map(Command::Vrfy),
        text().prop_map(Command::Expn),
        prop::option::of(text()).prop_map(Command::Help),
        prop::option::of(text()).prop_map(Command::Noop),
        Just(Command::Quit),
        Just(Command::StartTls),
        (
            string("[A-Z0-9_-]{1,20}"),
            prop::option::of(prop_oneof![Just("=".to_owned()), base64]),
        )
            .prop_map(|(mechanism, initial_response)| Command::Auth {
                mechanism,
                initial_response
            }),
        text().prop_map(Command::Etrn),
    ]
}

/// Pieces of command lines, so that random lines get past the verb often.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "MAIL FROM:",
            "RCPT TO:",
            "EHLO ",
            "BDAT ",
            "AUTH ",
            "<",
            ">",
            "@",
            "\"",
            "\\",
            "[",
            "]",
            "IPv6:",
            ":",
            ",",
            ".",
            " ",
            "\t",
            "=",
            "+",
            ";",
            "SIZE=",
            "NOTIFY=",
            "ORCPT=",
            "ENVID=",
            "AUTH=",
            "BODY=",
            "a",
            "é",
            "1",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..4),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_parse_gives_the_same_command(command in command()) {
        let mut out = BytesMut::new();
        command.encode(&mut out);
        let line = out.strip_suffix(b"\r\n").expect("encode ends the line with CRLF");
        prop_assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
        prop_assert_eq!(Command::parse(line), Ok(command));
    }

    #[test]
    fn arbitrary_bytes_never_panic(line in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Command::parse(&line);
    }

    #[test]
    fn near_valid_lines_never_panic(parts in prop::collection::vec(fragment(), 0..20)) {
        let line = parts.concat();
        if let Ok(command) = Command::parse(&line) {
            // What was accepted encodes to a line that parses to the same thing.
            let mut out = BytesMut::new();
            command.encode(&mut out);
            let encoded = out.strip_suffix(b"\r\n").expect("CRLF");
            prop_assert_eq!(Command::parse(encoded), Ok(command));
        }
    }
}
