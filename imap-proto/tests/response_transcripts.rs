//! Responses as servers send them: each parses to the expected value and
//! encodes to the exact bytes (or, for what real servers send but the
//! encoder never writes, parses only); errors; the streaming reader.

use std::borrow::Cow;
use std::num::NonZeroU32;

use bytes::BytesMut;
use imap_proto::encode::{self, EncodeOptions, FetchWriter};
use imap_proto::parse::{self, Needed, ParseError, ParseLimits};
use imap_proto::stream::client::{ReadError, ResponseLimits, ResponseReader};
use imap_proto::types::body::{
    Address, BodyExtension, BodyStructure, Envelope, ExtensionTail, LanguageTail, LocationTail,
    MultiPartExtension, SingleKind, SinglePart, SinglePartExtension,
};
use imap_proto::types::capability::Capability;
use imap_proto::types::code::{Code, SimpleCode};
use imap_proto::types::fetch::{Section, SectionText};
use imap_proto::types::flag::{Flag, FlagPerm};
use imap_proto::types::list::{
    ListData, ListExtended, MailboxAttribute, StatusData, TaggedExtValue,
};
use imap_proto::types::response::{
    Continue, Data, ESearch, ESearchResult, FetchItem, MetadataEntries, NamespaceDesc,
    QuotaResource, Response, StatusKind, StatusResponse, Thread,
};
use imap_proto::types::status::StatusValue;
use imap_proto::{Atom, Date, DateTime, Mailbox, SeqBound, SeqRange, SequenceSet, Str, Tag};

// ---- helpers ---------------------------------------------------------

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn s(text: &'static str) -> Str<'static> {
    Str::from(text)
}

fn ns(text: &'static str) -> Option<Str<'static>> {
    Some(Str::from(text))
}

fn atom(a: &'static str) -> Atom<'static> {
    Atom::new(a).unwrap()
}

fn set(text: &str) -> SequenceSet {
    parse::sequence_set(text.as_bytes()).unwrap()
}

fn mailbox(name: &'static str) -> Mailbox<'static> {
    Mailbox::from_wire(name.as_bytes())
}

fn status(
    tag: Option<&'static str>,
    kind: StatusKind,
    code: Option<Code<'static>>,
    text: &'static str,
) -> Response<'static> {
    Response::Status(StatusResponse {
        tag: tag.map(|t| Tag::new(t).unwrap()),
        kind,
        code,
        text: Cow::Borrowed(text),
    })
}

fn ok_code(code: Code<'static>, text: &'static str) -> Response<'static> {
    status(None, StatusKind::Ok, Some(code), text)
}

fn fetch(seq: u32, items: Vec<FetchItem<'static>>) -> Response<'static> {
    Response::Data(Data::Fetch {
        seq: nz(seq),
        items,
    })
}

fn encoded(r: &Response<'_>) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode::response(r, EncodeOptions::default(), &mut out);
    out.to_vec()
}

/// `wire` parses to `expected`, all of it, and `expected` encodes to
/// `wire` exactly.
#[track_caller]
fn check(wire: &[u8], expected: Response<'static>) {
    parses(wire, expected.clone());
    assert_eq!(
        String::from_utf8_lossy(&encoded(&expected)),
        String::from_utf8_lossy(wire),
        "encoding"
    );
}

/// `wire` parses to `expected`, all of it (the encoder writes another
/// form).
#[track_caller]
fn parses(wire: &[u8], expected: Response<'static>) {
    let (r, n) = parse::response(wire, ParseLimits::default())
        .unwrap_or_else(|e| panic!("{e:?} for {:?}", String::from_utf8_lossy(wire)));
    assert_eq!(r, expected, "parsing {:?}", String::from_utf8_lossy(wire));
    assert_eq!(n, wire.len());
}

#[track_caller]
fn invalid(wire: &[u8]) {
    match parse::response(wire, ParseLimits::default()) {
        Err(ParseError::Invalid { .. }) => {}
        other => panic!(
            "{:?} for {:?}, not Invalid",
            other,
            String::from_utf8_lossy(wire)
        ),
    }
}

fn text_part(subtype: &'static str, size: u32, lines: u32) -> BodyStructure<'static> {
    BodyStructure::Single {
        body: SinglePart {
            kind: SingleKind::Text {
                subtype: s(subtype),
                lines,
            },
            params: vec![(s("CHARSET"), s("US-ASCII"))],
            id: None,
            description: None,
            encoding: s("7BIT"),
            size,
        },
        extension: None,
    }
}

fn addr(name: Option<&'static str>, mailbox: &'static str, host: &'static str) -> Address<'static> {
    Address {
        name: name.map(Str::from),
        adl: None,
        mailbox: ns(mailbox),
        host: ns(host),
    }
}

// ---- status responses and codes -----------------------------------------

#[test]
fn greetings_and_bye() {
    check(
        b"* OK IMAP4rev2 Service Ready\r\n",
        status(None, StatusKind::Ok, None, "IMAP4rev2 Service Ready"),
    );
    check(
        b"* PREAUTH IMAP4rev2 server logged in as Smith\r\n",
        status(
            None,
            StatusKind::PreAuth,
            None,
            "IMAP4rev2 server logged in as Smith",
        ),
    );
    check(
        b"* BYE Autologout; idle for too long\r\n",
        status(None, StatusKind::Bye, None, "Autologout; idle for too long"),
    );
    check(
        b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE STARTTLS AUTH=PLAIN] Dovecot ready.\r\n",
        ok_code(
            Code::Capability(vec![
                Capability::Imap4Rev1,
                Capability::LiteralPlus,
                Capability::SaslIr,
                Capability::Other(atom("LOGIN-REFERRALS")),
                Capability::Id,
                Capability::Enable,
                Capability::Idle,
                Capability::StartTls,
                Capability::Auth(atom("PLAIN")),
            ]),
            "Dovecot ready.",
        ),
    );
}

#[test]
fn tagged_status() {
    check(
        b"A142 OK [READ-WRITE] SELECT completed\r\n",
        status(
            Some("A142"),
            StatusKind::Ok,
            Some(Code::ReadWrite),
            "SELECT completed",
        ),
    );
    check(
        b"A1 NO [TRYCREATE] Mailbox doesn't exist: foo\r\n",
        status(
            Some("A1"),
            StatusKind::No,
            Some(Code::TryCreate),
            "Mailbox doesn't exist: foo",
        ),
    );
    check(
        b"a.2 BAD Command unrecognized\r\n",
        status(Some("a.2"), StatusKind::Bad, None, "Command unrecognized"),
    );
}

#[test]
fn empty_texts() {
    // RFC 9051 makes text optional: the encoder writes nothing after SP.
    check(b"* OK [READ-WRITE] \r\n", ok_code(Code::ReadWrite, ""));
    check(b"A1 OK \r\n", status(Some("A1"), StatusKind::Ok, None, ""));
    // What servers send: no SP at all.
    parses(b"* OK [READ-WRITE]\r\n", ok_code(Code::ReadWrite, ""));
    parses(b"A1 OK\r\n", status(Some("A1"), StatusKind::Ok, None, ""));
    parses(b"* OK [UIDNEXT 7]\r\n", ok_code(Code::UidNext(nz(7)), ""));
}

#[test]
fn text_holds_anything_but_cr_lf() {
    check(
        b"* OK text with {5} and [brackets] too\r\n",
        status(
            None,
            StatusKind::Ok,
            None,
            "text with {5} and [brackets] too",
        ),
    );
    check(
        b"* NO [ALERT] [not a code] {12}\r\n",
        status(None, StatusKind::No, Some(Code::Alert), "[not a code] {12}"),
    );
    // A `[` that opens no code is text.
    parses(
        b"* OK [not a code\r\n",
        status(None, StatusKind::Ok, None, "[not a code"),
    );
    parses(
        b"* OK [ALERT]no space\r\n",
        status(None, StatusKind::Ok, None, "[ALERT]no space"),
    );
    // The encoder keeps CR and LF out of the line.
    assert_eq!(
        encoded(&status(None, StatusKind::Ok, None, "a\r\n* 1 EXISTS")),
        b"* OK a  * 1 EXISTS\r\n"
    );
    // Non-UTF-8 text is kept, with replacement characters.
    let (r, _) = parse::response(b"* OK caf\xe9\r\n", ParseLimits::default()).unwrap();
    assert_eq!(
        r,
        status(None, StatusKind::Ok, None, "caf\u{fffd}").into_owned()
    );
}

#[test]
fn rfc_codes() {
    check(
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n",
        ok_code(
            Code::PermanentFlags(vec![
                FlagPerm::Flag(Flag::Answered),
                FlagPerm::Flag(Flag::Flagged),
                FlagPerm::Flag(Flag::Deleted),
                FlagPerm::Flag(Flag::Seen),
                FlagPerm::Flag(Flag::Draft),
                FlagPerm::Wildcard,
            ]),
            "Flags permitted.",
        ),
    );
    check(
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        ok_code(Code::UidValidity(nz(3857529045)), "UIDs valid"),
    );
    check(
        b"* OK [UIDNEXT 4392] Predicted next UID\r\n",
        ok_code(Code::UidNext(nz(4392)), "Predicted next UID"),
    );
    check(
        b"* OK [UNSEEN 12] Message 12 is first unseen\r\n",
        ok_code(Code::Unseen(nz(12)), "Message 12 is first unseen"),
    );
    check(
        b"* OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
        ok_code(
            Code::CopyUid {
                uid_validity: nz(38505),
                source: set("304,319:320"),
                destination: set("3956:3958"),
            },
            "Done",
        ),
    );
    check(
        b"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n",
        status(
            Some("A003"),
            StatusKind::Ok,
            Some(Code::AppendUid {
                uid_validity: nz(38505),
                uids: set("3955"),
            }),
            "APPEND completed",
        ),
    );
    check(
        b"* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
        ok_code(Code::HighestModSeq(715194045007), "Highest"),
    );
    check(
        b"d105 OK [MODIFIED 7,9] Conditional STORE failed\r\n",
        status(
            Some("d105"),
            StatusKind::Ok,
            Some(Code::Modified(set("7,9"))),
            "Conditional STORE failed",
        ),
    );
    check(
        b"A1 NO [BADCHARSET (UTF-8 \"ISO 8859-1\")] Unsupported\r\n",
        status(
            Some("A1"),
            StatusKind::No,
            Some(Code::BadCharset(vec![s("UTF-8"), s("ISO 8859-1")])),
            "Unsupported",
        ),
    );
    check(
        b"A1 NO [BADCHARSET] x\r\n",
        status(
            Some("A1"),
            StatusKind::No,
            Some(Code::BadCharset(vec![])),
            "x",
        ),
    );
    check(
        b"A1 OK [METADATA LONGENTRIES 2199] done\r\n",
        status(
            Some("A1"),
            StatusKind::Ok,
            Some(Code::MetadataLongEntries(2199)),
            "done",
        ),
    );
    check(
        b"A1 NO [METADATA MAXSIZE 1024] too big\r\n",
        status(
            Some("A1"),
            StatusKind::No,
            Some(Code::MetadataMaxSize(1024)),
            "too big",
        ),
    );
    check(
        b"A1 NO [METADATA TOOMANY] x\r\n",
        status(Some("A1"), StatusKind::No, Some(Code::MetadataTooMany), "x"),
    );
    check(
        b"A1 NO [METADATA NOPRIVATE] x\r\n",
        status(
            Some("A1"),
            StatusKind::No,
            Some(Code::MetadataNoPrivate),
            "x",
        ),
    );
    let simple: &[(&[u8], Code<'static>)] = &[
        (b"ALERT", Code::Alert),
        (b"PARSE", Code::Parse),
        (b"READ-ONLY", Code::ReadOnly),
        (b"UIDNOTSTICKY", Code::UidNotSticky),
        (b"CLOSED", Code::Closed),
        (b"NOMODSEQ", Code::NoModSeq),
        (b"COMPRESSIONACTIVE", Code::CompressionActive),
        (b"TOOBIG", Code::TooBig),
        (b"UNKNOWN-CTE", Code::UnknownCte),
        (
            b"AUTHENTICATIONFAILED",
            Code::Simple(SimpleCode::AuthenticationFailed),
        ),
        (b"OVERQUOTA", Code::Simple(SimpleCode::OverQuota)),
        (b"NONEXISTENT", Code::Simple(SimpleCode::NonExistent)),
        (b"SERVERBUG", Code::Simple(SimpleCode::ServerBug)),
    ];
    for (name, code) in simple {
        let mut wire = b"A1 NO [".to_vec();
        wire.extend_from_slice(name);
        wire.extend_from_slice(b"] text\r\n");
        check(
            &wire,
            status(Some("A1"), StatusKind::No, Some(code.clone()), "text"),
        );
    }
}

#[test]
fn unknown_and_malformed_codes_are_kept() {
    check(
        b"* OK [X-GM-THRID 1278455344230334865] ok\r\n",
        ok_code(
            Code::Other(atom("X-GM-THRID"), Some(s("1278455344230334865"))),
            "ok",
        ),
    );
    check(
        b"* NO [WEBALERT https://x.invalid/a?b=c] Web login required\r\n",
        status(
            None,
            StatusKind::No,
            Some(Code::Other(
                atom("WEBALERT"),
                Some(s("https://x.invalid/a?b=c")),
            )),
            "Web login required",
        ),
    );
    check(
        b"* OK [X-BAR] x\r\n",
        ok_code(Code::Other(atom("X-BAR"), None), "x"),
    );
    // A known name whose data does not parse.
    parses(
        b"* OK [UIDNEXT abc] x\r\n",
        ok_code(Code::Other(atom("UIDNEXT"), Some(s("abc"))), "x"),
    );
    parses(
        b"* ok [uidnext 5] lower case\r\n",
        ok_code(Code::UidNext(nz(5)), "lower case"),
    );
}

// ---- continuation requests -----------------------------------------------

#[test]
fn continuation_requests() {
    check(
        b"+ Ready for additional command text\r\n",
        Response::Continue(Continue::Text {
            code: None,
            text: Cow::Borrowed("Ready for additional command text"),
        }),
    );
    check(
        b"+ [ALERT] idling\r\n",
        Response::Continue(Continue::Text {
            code: Some(Code::Alert),
            text: Cow::Borrowed("idling"),
        }),
    );
    check(
        b"+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n",
        Response::Continue(Continue::Base64(Cow::Borrowed(
            b"YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=",
        ))),
    );
    // Empty: an empty challenge (and what a literal's go-ahead often is).
    let empty = Response::Continue(Continue::Base64(Cow::Borrowed(b"")));
    check(b"+ \r\n", empty.clone());
    parses(b"+\r\n", empty);
}

// ---- untagged data ---------------------------------------------------------

#[test]
fn capability_and_enabled() {
    check(
        b"* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED QUOTA=RES-STORAGE COMPRESS=DEFLATE THREAD=REFERENCES APPENDLIMIT=35651584 APPENDLIMIT X-UNKNOWN\r\n",
        Response::Data(Data::Capability(vec![
            Capability::Imap4Rev2,
            Capability::StartTls,
            Capability::Auth(atom("GSSAPI")),
            Capability::LoginDisabled,
            Capability::QuotaRes(atom("STORAGE")),
            Capability::Compress(atom("DEFLATE")),
            Capability::Thread(atom("REFERENCES")),
            Capability::AppendLimit(Some(35651584)),
            Capability::AppendLimit(None),
            Capability::Other(atom("X-UNKNOWN")),
        ])),
    );
    parses(
        b"* capability imap4REV1 Idle\r\n",
        Response::Data(Data::Capability(vec![
            Capability::Imap4Rev1,
            Capability::Idle,
        ])),
    );
    check(
        b"* ENABLED CONDSTORE QRESYNC\r\n",
        Response::Data(Data::Enabled(vec![atom("CONDSTORE"), atom("QRESYNC")])),
    );
    check(b"* ENABLED\r\n", Response::Data(Data::Enabled(vec![])));
}

fn list(
    attributes: Vec<MailboxAttribute<'static>>,
    delimiter: Option<u8>,
    name: &'static str,
    extended: Vec<ListExtended<'static>>,
) -> ListData<'static> {
    ListData {
        attributes,
        delimiter,
        mailbox: mailbox(name),
        extended,
    }
}

#[test]
fn list_and_lsub() {
    check(
        b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n",
        Response::Data(Data::List(list(
            vec![MailboxAttribute::NoSelect],
            Some(b'/'),
            "~/Mail/foo",
            vec![],
        ))),
    );
    check(
        b"* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
        Response::Data(Data::List(list(
            vec![MailboxAttribute::HasNoChildren],
            Some(b'/'),
            "INBOX",
            vec![],
        ))),
    );
    check(
        b"* LIST (\\HasNoChildren \\Sent \\X-Custom) \".\" \"Sent Items\"\r\n",
        Response::Data(Data::List(list(
            vec![
                MailboxAttribute::HasNoChildren,
                MailboxAttribute::Sent,
                MailboxAttribute::Extension(atom("X-Custom")),
            ],
            Some(b'.'),
            "Sent Items",
            vec![],
        ))),
    );
    check(
        b"* LIST (\\Noselect) NIL \"\"\r\n",
        Response::Data(Data::List(list(
            vec![MailboxAttribute::NoSelect],
            None,
            "",
            vec![],
        ))),
    );
    let quote = Response::Data(Data::List(list(vec![], Some(b'\\'), "a\"b", vec![])));
    parses(b"* LIST () \"\\\\\" {3}\r\na\"b\r\n", quote.clone());
    check(b"* LIST () \"\\\\\" \"a\\\"b\"\r\n", quote);
    check(
        b"* LSUB () \".\" #news.comp.mail.misc\r\n",
        Response::Data(Data::Lsub(list(
            vec![],
            Some(b'.'),
            "#news.comp.mail.misc",
            vec![],
        ))),
    );
    // RFC 5258 and RFC 9051 write the name quoted; the encoder as an atom.
    let childinfo = Response::Data(Data::List(list(
        vec![],
        Some(b'/'),
        "Foo",
        vec![ListExtended::ChildInfo(vec![s("SUBSCRIBED")])],
    )));
    parses(
        b"* LIST () \"/\" \"Foo\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
        childinfo.clone(),
    );
    check(
        b"* LIST () \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
        childinfo,
    );
    let oldname = Response::Data(Data::List(list(
        vec![MailboxAttribute::Subscribed],
        Some(b'/'),
        "NewMailbox",
        vec![ListExtended::OldName(mailbox("OldMailbox"))],
    )));
    parses(
        b"* LIST (\\Subscribed) \"/\" \"NewMailbox\" (\"OLDNAME\" (\"OldMailbox\"))\r\n",
        oldname.clone(),
    );
    check(
        b"* LIST (\\Subscribed) \"/\" NewMailbox (\"OLDNAME\" (\"OldMailbox\"))\r\n",
        oldname,
    );
    check(
        b"* LIST () \"/\" x (\"X-EXT\" (1:* (a \"b c\")))\r\n",
        Response::Data(Data::List(list(
            vec![],
            Some(b'/'),
            "x",
            vec![ListExtended::Other(
                s("X-EXT"),
                TaggedExtValue::List(vec![
                    TaggedExtValue::Simple(s("1:*")),
                    TaggedExtValue::List(vec![
                        TaggedExtValue::Simple(s("a")),
                        TaggedExtValue::Simple(s("b c")),
                    ]),
                ]),
            )],
        ))),
    );
    // Lenient: any case, wildcards in a bare name.
    parses(
        b"* list (\\noselect \\HASCHILDREN) \"/\" foo*\r\n",
        Response::Data(Data::List(list(
            vec![MailboxAttribute::NoSelect, MailboxAttribute::HasChildren],
            Some(b'/'),
            "foo*",
            vec![],
        ))),
    );
}

#[test]
fn status_data() {
    check(
        b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
        Response::Data(Data::Status(StatusData {
            mailbox: mailbox("blurdybloop"),
            items: vec![StatusValue::Messages(231), StatusValue::UidNext(44292)],
        })),
    );
    check(
        b"* STATUS INBOX (MESSAGES 17 RECENT 0 UIDVALIDITY 1 UNSEEN 2 DELETED 0 SIZE 12345678901 HIGHESTMODSEQ 7011231777 APPENDLIMIT NIL)\r\n",
        Response::Data(Data::Status(StatusData {
            mailbox: Mailbox::Inbox,
            items: vec![
                StatusValue::Messages(17),
                StatusValue::Recent(0),
                StatusValue::UidValidity(1),
                StatusValue::Unseen(2),
                StatusValue::Deleted(0),
                StatusValue::Size(12345678901),
                StatusValue::HighestModSeq(7011231777),
                StatusValue::AppendLimit(None),
            ],
        })),
    );
    check(
        b"* STATUS \"a b\" (APPENDLIMIT 1000)\r\n",
        Response::Data(Data::Status(StatusData {
            mailbox: mailbox("a b"),
            items: vec![StatusValue::AppendLimit(Some(1000))],
        })),
    );
}

#[test]
fn searches() {
    check(
        b"* SEARCH 2 3 6\r\n",
        Response::Data(Data::Search {
            numbers: vec![nz(2), nz(3), nz(6)],
            modseq: None,
        }),
    );
    check(
        b"* SEARCH\r\n",
        Response::Data(Data::Search {
            numbers: vec![],
            modseq: None,
        }),
    );
    check(
        b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n",
        Response::Data(Data::Search {
            numbers: [2, 5, 6, 7, 11, 12, 18, 19, 20, 23].map(nz).to_vec(),
            modseq: Some(917162500),
        }),
    );
    check(
        b"* SORT 2 84 882\r\n",
        Response::Data(Data::Sort {
            numbers: vec![nz(2), nz(84), nz(882)],
            modseq: None,
        }),
    );
    check(
        b"* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: Tag::new("A285"),
            uid: true,
            results: vec![ESearchResult::Min(nz(7)), ESearchResult::Max(nz(3800))],
        })),
    );
    check(
        b"* ESEARCH (TAG \"A282\") UID MIN 2 COUNT 3\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: Tag::new("A282"),
            uid: true,
            results: vec![ESearchResult::Min(nz(2)), ESearchResult::Count(3)],
        })),
    );
    check(
        b"* ESEARCH (TAG \"A284\") ALL 1:3,5 MODSEQ 1236\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: Tag::new("A284"),
            uid: false,
            results: vec![
                ESearchResult::All(set("1:3,5")),
                ESearchResult::ModSeq(1236),
            ],
        })),
    );
    check(
        b"* ESEARCH (TAG \"A283\")\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: Tag::new("A283"),
            uid: false,
            results: vec![],
        })),
    );
    check(
        b"* ESEARCH COUNT 0\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: None,
            uid: false,
            results: vec![ESearchResult::Count(0)],
        })),
    );
}

#[test]
fn threads() {
    let t = |chain: &[u32], branches: Vec<Thread>| Thread {
        chain: chain.iter().map(|&n| nz(n)).collect(),
        branches,
    };
    check(
        b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n",
        Response::Data(Data::Thread(vec![
            t(&[2], vec![]),
            t(&[3, 6], vec![t(&[4, 23], vec![]), t(&[44, 7, 96], vec![])]),
        ])),
    );
    check(
        b"* THREAD ((3)(5))\r\n",
        Response::Data(Data::Thread(vec![t(
            &[],
            vec![t(&[3], vec![]), t(&[5], vec![])],
        )])),
    );
    check(b"* THREAD\r\n", Response::Data(Data::Thread(vec![])));
}

#[test]
fn mailbox_sizes_and_flags() {
    check(
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        Response::Data(Data::Flags(vec![
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft,
        ])),
    );
    check(
        b"* FLAGS (\\Seen $Forwarded \\Recent)\r\n",
        Response::Data(Data::Flags(vec![
            Flag::Seen,
            Flag::Keyword(atom("$Forwarded")),
            Flag::Recent,
        ])),
    );
    check(b"* 23 EXISTS\r\n", Response::Data(Data::Exists(23)));
    check(b"* 0 EXISTS\r\n", Response::Data(Data::Exists(0)));
    check(b"* 5 RECENT\r\n", Response::Data(Data::Recent(5)));
    check(b"* 44 EXPUNGE\r\n", Response::Data(Data::Expunge(nz(44))));
    parses(b"* 23 exists\r\n", Response::Data(Data::Exists(23)));
    check(
        b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n",
        Response::Data(Data::Vanished {
            earlier: true,
            uids: set("41,43:116,118,120:211,214:540"),
        }),
    );
    check(
        b"* VANISHED 405,407,410,425\r\n",
        Response::Data(Data::Vanished {
            earlier: false,
            uids: set("405,407,410,425"),
        }),
    );
}

// ---- FETCH -------------------------------------------------------------

#[test]
fn fetch_simple_items() {
    check(
        b"* 12 FETCH (FLAGS (\\Seen) UID 4)\r\n",
        fetch(
            12,
            vec![FetchItem::Flags(vec![Flag::Seen]), FetchItem::Uid(nz(4))],
        ),
    );
    check(
        b"* 1 FETCH (UID 4 MODSEQ (65402) FLAGS (\\Seen))\r\n",
        fetch(
            1,
            vec![
                FetchItem::Uid(nz(4)),
                FetchItem::ModSeq(65402),
                FetchItem::Flags(vec![Flag::Seen]),
            ],
        ),
    );
    check(
        b"* 7 FETCH (FLAGS ())\r\n",
        fetch(7, vec![FetchItem::Flags(vec![])]),
    );
    check(
        b"* 2 FETCH (INTERNALDATE \" 7-Feb-2024 09:05:01 +0100\" RFC822.SIZE 44827)\r\n",
        fetch(
            2,
            vec![
                FetchItem::InternalDate(
                    DateTime::new(Date::new(2024, 2, 7).unwrap(), 9, 5, 1, 60).unwrap(),
                ),
                FetchItem::Rfc822Size(44827),
            ],
        ),
    );
    parses(
        b"* 12 fetch (flags (\\seen) uid 4)\r\n",
        fetch(
            12,
            vec![FetchItem::Flags(vec![Flag::Seen]), FetchItem::Uid(nz(4))],
        ),
    );
}

#[test]
fn fetch_sections() {
    let header = b"Subject: hi\r\nFrom: a@b\r\n\r\n";
    let mut wire = b"* 12 FETCH (BODY[HEADER] {26}\r\n".to_vec();
    wire.extend_from_slice(header);
    wire.extend_from_slice(b" UID 9)\r\n");
    check(
        &wire,
        fetch(
            12,
            vec![
                FetchItem::BodySection {
                    section: Section {
                        part: vec![],
                        text: Some(SectionText::Header),
                    },
                    origin: None,
                    data: Some(Str::from(&header[..])),
                },
                FetchItem::Uid(nz(9)),
            ],
        ),
    );
    check(
        b"* 2 FETCH (BODY[1.2.TEXT]<0> \"hello\")\r\n",
        fetch(
            2,
            vec![FetchItem::BodySection {
                section: Section {
                    part: vec![nz(1), nz(2)],
                    text: Some(SectionText::Text),
                },
                origin: Some(0),
                data: ns("hello"),
            }],
        ),
    );
    check(
        b"* 3 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] \"Subject: x\")\r\n",
        fetch(
            3,
            vec![FetchItem::BodySection {
                section: Section {
                    part: vec![],
                    text: Some(SectionText::HeaderFields(vec![s("SUBJECT"), s("FROM")])),
                },
                origin: None,
                data: ns("Subject: x"),
            }],
        ),
    );
    check(
        b"* 4 FETCH (BODY[2.MIME] NIL BODY[] NIL)\r\n",
        fetch(
            4,
            vec![
                FetchItem::BodySection {
                    section: Section {
                        part: vec![nz(2)],
                        text: Some(SectionText::Mime),
                    },
                    origin: None,
                    data: None,
                },
                FetchItem::BodySection {
                    section: Section::default(),
                    origin: None,
                    data: None,
                },
            ],
        ),
    );
    check(
        b"* 5 FETCH (BINARY[1] ~{5}\r\nab\0cd BINARY.SIZE[1.2] 2837 BINARY[] \"text\")\r\n",
        fetch(
            5,
            vec![
                FetchItem::Binary {
                    part: vec![nz(1)],
                    origin: None,
                    data: Some(Str::from(&b"ab\0cd"[..])),
                },
                FetchItem::BinarySize {
                    part: vec![nz(1), nz(2)],
                    size: 2837,
                },
                FetchItem::Binary {
                    part: vec![],
                    origin: None,
                    data: ns("text"),
                },
            ],
        ),
    );
    check(
        b"* 6 FETCH (RFC822 {5}\r\nab\r\nc RFC822.HEADER \"h\" RFC822.TEXT NIL)\r\n",
        fetch(
            6,
            vec![
                FetchItem::Rfc822(ns("ab\r\nc")),
                FetchItem::Rfc822Header(ns("h")),
                FetchItem::Rfc822Text(None),
            ],
        ),
    );
}

/// RFC 3501's example (section 8), which RFC 9051 repeats.
#[test]
fn rfc_fetch_example() {
    let gray = || vec![addr(Some("Terry Gray"), "gray", "cac.washington.edu")];
    let envelope = Envelope {
        date: ns("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"),
        subject: ns("IMAP4rev1 WG mtg summary and minutes"),
        from: gray(),
        sender: gray(),
        reply_to: gray(),
        to: vec![addr(None, "imap", "cac.washington.edu")],
        cc: vec![
            addr(None, "minutes", "CNRI.Reston.VA.US"),
            addr(Some("John Klensin"), "KLENSIN", "MIT.EDU"),
        ],
        bcc: vec![],
        in_reply_to: None,
        message_id: ns("<B27397-0100000@cac.washington.edu>"),
    };
    check(
        b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n",
        fetch(
            12,
            vec![
                FetchItem::Flags(vec![Flag::Seen]),
                FetchItem::InternalDate(
                    DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -7 * 60).unwrap(),
                ),
                FetchItem::Rfc822Size(4286),
                FetchItem::Envelope(Box::new(envelope)),
                FetchItem::Body(Box::new(text_part("PLAIN", 3028, 92))),
            ],
        ),
    );
}

fn alternative() -> BodyStructure<'static> {
    let part = |subtype: &'static str, size, lines| BodyStructure::Single {
        body: SinglePart {
            kind: SingleKind::Text {
                subtype: s(subtype),
                lines,
            },
            params: vec![(s("CHARSET"), s("UTF-8"))],
            id: None,
            description: None,
            encoding: s("QUOTED-PRINTABLE"),
            size,
        },
        extension: Some(SinglePartExtension {
            md5: None,
            tail: Some(ExtensionTail {
                disposition: None,
                language: Some(LanguageTail {
                    languages: vec![],
                    location: Some(LocationTail {
                        location: None,
                        extensions: vec![],
                    }),
                }),
            }),
        }),
    };
    BodyStructure::Multi {
        parts: vec![part("PLAIN", 1315, 42), part("HTML", 5831, 120)],
        subtype: s("ALTERNATIVE"),
        extension: Some(MultiPartExtension {
            params: vec![(s("BOUNDARY"), s("000000000000abcd"))],
            tail: Some(ExtensionTail {
                disposition: None,
                language: Some(LanguageTail {
                    languages: vec![],
                    location: Some(LocationTail {
                        location: None,
                        extensions: vec![],
                    }),
                }),
            }),
        }),
    }
}

const ALTERNATIVE: &[u8] = b"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 1315 42 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 5831 120 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"000000000000abcd\") NIL NIL NIL)";

#[test]
fn bodystructure_multipart_alternative() {
    let mut wire = b"* 1 FETCH (UID 10 BODYSTRUCTURE ".to_vec();
    wire.extend_from_slice(ALTERNATIVE);
    wire.extend_from_slice(b")\r\n");
    check(
        &wire,
        fetch(
            1,
            vec![
                FetchItem::Uid(nz(10)),
                FetchItem::BodyStructure(Box::new(alternative())),
            ],
        ),
    );
}

#[test]
fn bodystructure_with_attached_message_and_every_extension() {
    let inner_envelope = Envelope {
        date: ns("Mon, 1 Jan 2024 10:00:00 +0000"),
        subject: ns("fwd"),
        from: vec![addr(Some("A"), "a", "example.org")],
        ..Envelope::default()
    };
    let message = BodyStructure::Single {
        body: SinglePart {
            kind: SingleKind::Message {
                subtype: s("RFC822"),
                envelope: Box::new(inner_envelope),
                body: Box::new(text_part("PLAIN", 20, 1)),
                lines: 30,
            },
            params: vec![],
            id: ns("<id@x>"),
            description: ns("forwarded"),
            encoding: s("7BIT"),
            size: 1234,
        },
        extension: Some(SinglePartExtension {
            md5: ns("Q2hlY2sgSW50ZWdyaXR5IQ=="),
            tail: Some(ExtensionTail {
                disposition: Some((s("ATTACHMENT"), vec![(s("FILENAME"), s("fwd.eml"))])),
                language: Some(LanguageTail {
                    languages: vec![s("EN"), s("DE")],
                    location: Some(LocationTail {
                        location: ns("http://x.invalid/"),
                        extensions: vec![
                            BodyExtension::Number(7),
                            BodyExtension::List(vec![
                                BodyExtension::String(ns("a")),
                                BodyExtension::Number(8),
                                BodyExtension::List(vec![BodyExtension::String(None)]),
                            ]),
                        ],
                    }),
                }),
            }),
        }),
    };
    let image = BodyStructure::Single {
        body: SinglePart {
            kind: SingleKind::Basic {
                media_type: s("IMAGE"),
                subtype: s("PNG"),
            },
            params: vec![(s("NAME"), s("a.png"))],
            id: None,
            description: None,
            encoding: s("BASE64"),
            size: 8192,
        },
        extension: Some(SinglePartExtension {
            md5: None,
            tail: Some(ExtensionTail {
                disposition: Some((s("INLINE"), vec![])),
                language: Some(LanguageTail {
                    languages: vec![s("EN")],
                    location: None,
                }),
            }),
        }),
    };
    let mixed = BodyStructure::Multi {
        parts: vec![alternative(), message, image],
        subtype: s("MIXED"),
        extension: Some(MultiPartExtension {
            params: vec![],
            tail: None,
        }),
    };
    let mut wire = b"* 3 FETCH (BODYSTRUCTURE (".to_vec();
    wire.extend_from_slice(ALTERNATIVE);
    wire.extend_from_slice(b"(\"MESSAGE\" \"RFC822\" NIL \"<id@x>\" \"forwarded\" \"7BIT\" 1234 (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"fwd\" ((\"A\" NIL \"a\" \"example.org\")) NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 20 1) 30 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"ATTACHMENT\" (\"FILENAME\" \"fwd.eml\")) (\"EN\" \"DE\") \"http://x.invalid/\" 7 (\"a\" 8 (NIL)))");
    wire.extend_from_slice(b"(\"IMAGE\" \"PNG\" (\"NAME\" \"a.png\") NIL NIL \"BASE64\" 8192 NIL (\"INLINE\" NIL) \"EN\")");
    wire.extend_from_slice(b" \"MIXED\" NIL))\r\n");
    check(
        &wire,
        fetch(3, vec![FetchItem::BodyStructure(Box::new(mixed))]),
    );
}

#[test]
fn bodystructure_leniency() {
    // TEXT without its line count, MESSAGE/RFC822 without its envelope:
    // basic parts. Lower case types.
    let basic = |media_type: &'static str, subtype: &'static str| BodyStructure::Single {
        body: SinglePart {
            kind: SingleKind::Basic {
                media_type: s(media_type),
                subtype: s(subtype),
            },
            params: vec![],
            id: None,
            description: None,
            encoding: s("7bit"),
            size: 10,
        },
        extension: None,
    };
    check(
        b"* 1 FETCH (BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 10))\r\n",
        fetch(1, vec![FetchItem::Body(Box::new(basic("text", "plain")))]),
    );
    check(
        b"* 1 FETCH (BODY (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7bit\" 10))\r\n",
        fetch(
            1,
            vec![FetchItem::Body(Box::new(basic("MESSAGE", "RFC822")))],
        ),
    );
    let mut text = text_part("plain", 10, 2);
    if let BodyStructure::Single { body, .. } = &mut text {
        body.params = vec![];
    }
    parses(
        b"* 1 FETCH (BODY (\"text\" \"plain\" () NIL NIL \"7BIT\" 10 2))\r\n",
        fetch(1, vec![FetchItem::Body(Box::new(text))]),
    );
    // An empty address list, read as NIL.
    parses(
        b"* 1 FETCH (ENVELOPE (NIL NIL () NIL NIL NIL NIL NIL NIL NIL))\r\n",
        fetch(1, vec![FetchItem::Envelope(Box::new(Envelope::default()))]),
    );
}

// ---- other data ----------------------------------------------------------

#[test]
fn namespace_id_quota_metadata() {
    let ns_desc = |prefix: &'static str, delimiter| NamespaceDesc {
        prefix: s(prefix),
        delimiter,
        extensions: vec![],
    };
    check(
        b"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n",
        Response::Data(Data::Namespace {
            personal: vec![ns_desc("", Some(b'/'))],
            other: vec![ns_desc("~", Some(b'/'))],
            shared: vec![
                ns_desc("#shared/", Some(b'/')),
                ns_desc("#public/", Some(b'/')),
                ns_desc("#ftp/", Some(b'/')),
                ns_desc("#news.", Some(b'.')),
            ],
        }),
    );
    check(
        b"* NAMESPACE ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL ((\"\" NIL))\r\n",
        Response::Data(Data::Namespace {
            personal: vec![NamespaceDesc {
                prefix: s(""),
                delimiter: Some(b'/'),
                extensions: vec![(s("X-PARAM"), vec![s("FLAG1"), s("FLAG2")])],
            }],
            other: vec![],
            shared: vec![ns_desc("", None)],
        }),
    );
    check(
        b"* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\" \"os-version\" \"5.5\" \"support-url\" \"mailto:cyrus-bugs+@andrew.cmu.edu\")\r\n",
        Response::Data(Data::Id(Some(vec![
            (s("name"), ns("Cyrus")),
            (s("version"), ns("1.5")),
            (s("os"), ns("sunos")),
            (s("os-version"), ns("5.5")),
            (s("support-url"), ns("mailto:cyrus-bugs+@andrew.cmu.edu")),
        ]))),
    );
    check(b"* ID NIL\r\n", Response::Data(Data::Id(None)));
    check(
        b"* ID (\"name\" NIL)\r\n",
        Response::Data(Data::Id(Some(vec![(s("name"), None)]))),
    );
    check(
        b"* QUOTA \"\" (STORAGE 10 512 MESSAGE 3 1000)\r\n",
        Response::Data(Data::Quota {
            root: s(""),
            resources: vec![
                QuotaResource {
                    name: atom("STORAGE"),
                    usage: 10,
                    limit: 512,
                },
                QuotaResource {
                    name: atom("MESSAGE"),
                    usage: 3,
                    limit: 1000,
                },
            ],
        }),
    );
    check(
        b"* QUOTAROOT INBOX \"\"\r\n",
        Response::Data(Data::QuotaRoot {
            mailbox: Mailbox::Inbox,
            roots: vec![s("")],
        }),
    );
    check(
        b"* QUOTAROOT comp.mail.mime\r\n",
        Response::Data(Data::QuotaRoot {
            mailbox: mailbox("comp.mail.mime"),
            roots: vec![],
        }),
    );
    check(
        b"* METADATA \"\" (/shared/comment \"Shared comment\")\r\n",
        Response::Data(Data::Metadata {
            mailbox: mailbox(""),
            entries: MetadataEntries::Values(vec![(s("/shared/comment"), ns("Shared comment"))]),
        }),
    );
    check(
        b"* METADATA INBOX (/private/comment NIL /shared/x ~{3}\r\na\0b)\r\n",
        Response::Data(Data::Metadata {
            mailbox: Mailbox::Inbox,
            entries: MetadataEntries::Values(vec![
                (s("/private/comment"), None),
                (s("/shared/x"), Some(Str::from(&b"a\0b"[..]))),
            ]),
        }),
    );
    check(
        b"* METADATA INBOX /shared/comment /private/comment\r\n",
        Response::Data(Data::Metadata {
            mailbox: Mailbox::Inbox,
            entries: MetadataEntries::Names(vec![s("/shared/comment"), s("/private/comment")]),
        }),
    );
}

// ---- errors ---------------------------------------------------------------

#[test]
fn malformed_is_invalid() {
    invalid(b"* 1 FETCH (FLAGS  (\\Seen))\r\n");
    invalid(b"* 1 FETCH (FLAGS (\\Seen) )\r\n");
    invalid(b"* 1 FETCH ()\r\n");
    invalid(b"* 1 FETCH (X-UNKNOWN)\r\n");
    invalid(b"* 0 EXPUNGE\r\n");
    invalid(b"* 0 FETCH (UID 1)\r\n");
    invalid(b"* 5 EXISTED\r\n");
    // (An unknown keyword is Data::Other; see unknown_data_is_kept_raw.)
    invalid(b"* NAMESPACE x\r\n");
    invalid(b"A1 BYE bye\r\n");
    invalid(b"A1 PREAUTH x\r\n");
    invalid(b"* SEARCH 1 0\r\n");
    invalid(b"* SEARCH 1 \r\n");
    invalid(b"* LIST (\\Noselect) \"//\" foo\r\n");
    invalid(b"* LIST (Noselect) \"/\" foo\r\n");
    invalid(b"* STATUS INBOX (BOGUS 1)\r\n");
    invalid(b"* THREAD ()\r\n");
    invalid(b"* OK done\n");
    invalid(b"* OK done\r\r\n");
    invalid(b"* 1 FETCH (BODY[] \"a\nb\")\r\n");
    invalid(b"* 1 FETCH (BODY[] {3}\r\na\0b)\r\n");
    invalid(b"* 1 FETCH (BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\"))\r\n");
}

#[test]
fn incomplete_input() {
    let limits = ParseLimits::default();
    assert_eq!(
        parse::response(b"* 1 FETCH (BODY[] {10}\r\nabc", limits),
        Err(ParseError::Incomplete(Needed::Literal {
            at: 24,
            size: 10,
            sync: true,
            binary: false,
        }))
    );
    assert_eq!(
        parse::response(b"* 1 FETCH (BINARY[] ~{4}\r\n", limits),
        Err(ParseError::Incomplete(Needed::Literal {
            at: 26,
            size: 4,
            sync: true,
            binary: true,
        }))
    );
    for cut in [
        &b"* 1 FETCH (FLAGS"[..],
        b"* OK [UIDNEXT 5",
        b"A1 OK done",
        b"+ ",
        b"*",
    ] {
        assert_eq!(
            parse::response(cut, limits),
            Err(ParseError::Incomplete(Needed::Line)),
            "{:?}",
            String::from_utf8_lossy(cut)
        );
    }
}

#[test]
fn nesting_is_bounded() {
    let mut wire = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    let depth = 40;
    wire.extend(std::iter::repeat_n(b'(', depth));
    wire.extend_from_slice(b"\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
    for _ in 1..depth {
        wire.extend_from_slice(b" \"MIXED\")");
    }
    wire.extend_from_slice(b")\r\n");
    assert_eq!(
        parse::response(&wire, ParseLimits::default()),
        Err(ParseError::TooDeep)
    );
    let roomy = ParseLimits {
        max_depth: 64,
        ..ParseLimits::default()
    };
    assert!(parse::response(&wire, roomy).is_ok());
    assert_eq!(
        parse::response(
            b"* THREAD (1 (2 (3 (4))))\r\n",
            ParseLimits {
                max_depth: 3,
                ..roomy
            }
        ),
        Err(ParseError::TooDeep)
    );
    let few = ParseLimits {
        max_items: 3,
        ..ParseLimits::default()
    };
    assert_eq!(
        parse::response(b"* SEARCH 1 2 3 4\r\n", few),
        Err(ParseError::TooManyItems)
    );
}

// ---- FetchWriter -------------------------------------------------------

#[test]
fn fetch_writer_streams_literals() {
    let mut out = BytesMut::new();
    let mut f = FetchWriter::begin(nz(3), EncodeOptions::default(), &mut out);
    f.item(&FetchItem::Flags(vec![Flag::Seen]), &mut out);
    f.binary_literal(&[nz(2)], Some(100), 4, &mut out);
    out.extend_from_slice(b"\0\x01\x02\x03");
    f.body_literal(
        &Section {
            part: vec![nz(1)],
            text: Some(SectionText::Header),
        },
        None,
        3,
        &mut out,
    );
    out.extend_from_slice(b"a\r\n");
    f.item(&FetchItem::Uid(nz(77)), &mut out);
    f.finish(&mut out);
    assert_eq!(
        &out[..],
        b"* 3 FETCH (FLAGS (\\Seen) BINARY[2]<100> ~{4}\r\n\0\x01\x02\x03 BODY[1.HEADER] {3}\r\na\r\n UID 77)\r\n"
    );
    let (r, n) = parse::response(&out, ParseLimits::default()).unwrap();
    assert_eq!(n, out.len());
    assert_eq!(
        r,
        fetch(
            3,
            vec![
                FetchItem::Flags(vec![Flag::Seen]),
                FetchItem::Binary {
                    part: vec![nz(2)],
                    origin: Some(100),
                    data: Some(Str::from(&b"\0\x01\x02\x03"[..])),
                },
                FetchItem::BodySection {
                    section: Section {
                        part: vec![nz(1)],
                        text: Some(SectionText::Header),
                    },
                    origin: None,
                    data: ns("a\r\n"),
                },
                FetchItem::Uid(nz(77)),
            ],
        )
    );
}

#[test]
fn long_and_unquotable_strings_become_literals() {
    let long = "x".repeat(2000);
    let r = fetch(
        1,
        vec![FetchItem::BodySection {
            section: Section::default(),
            origin: None,
            data: Some(Str::from(long.clone())),
        }],
    );
    let wire = encoded(&r);
    assert!(wire.starts_with(b"* 1 FETCH (BODY[] {2000}\r\nxxx"));
    parses(&wire, r.into_owned());
    let r = Response::Data(Data::List(list(vec![], Some(b'/'), "caf\u{e9}", vec![])));
    assert_eq!(encoded(&r), b"* LIST () \"/\" {5}\r\ncaf\xc3\xa9\r\n");
    let mut out = BytesMut::new();
    encode::response(
        &r,
        EncodeOptions {
            utf8: true,
            ..EncodeOptions::default()
        },
        &mut out,
    );
    assert_eq!(&out[..], "* LIST () \"/\" \"caf\u{e9}\"\r\n".as_bytes());
}

// ---- the streaming reader ------------------------------------------------

/// A server's side of a session: literals (several in one response, one
/// of them literal8), texts that look like literals, a continuation.
fn transcript() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"* OK [CAPABILITY IMAP4rev2 IDLE] ready {5}\r\n");
    t.extend_from_slice(b"A1 OK [READ-WRITE]\r\n");
    t.extend_from_slice(b"* 1 FETCH (BODY[HEADER] {12}\r\nSubject: x\r\n BODY[TEXT] {0}\r\n BINARY[1] ~{3}\r\n\0}\n UID 5)\r\n");
    t.extend_from_slice(b"+ \r\n");
    t.extend_from_slice(b"+ Ready for literal {3}\r\n");
    t.extend_from_slice(b"* LIST () \"/\" {4}\r\n{1}\n\r\n");
    t.extend_from_slice(b"* 2 FETCH (BODY[] {7}\r\n{2}\r\nab)\r\n");
    t.extend_from_slice(b"A2 NO [BADCHARSET ({5}\r\nUTF-8)] no\r\n");
    t.extend_from_slice(b"* 3 EXISTS\r\n");
    t.extend_from_slice(b"A3 OK done {1}\r\n");
    t
}

fn parse_all(wire: &[u8]) -> Vec<Response<'static>> {
    let mut rest = wire;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (r, n) = parse::response(rest, ParseLimits::default()).unwrap();
        out.push(r.into_owned());
        rest = &rest[n..];
    }
    out
}

/// Feeds `wire` in the chunks `sizes` gives (cycled), collecting what the
/// reader returns.
fn read_in_chunks(
    wire: &[u8],
    limits: ResponseLimits,
    mut size: impl FnMut() -> usize,
) -> Vec<Result<Response<'static>, ReadError>> {
    let mut reader = ResponseReader::new(limits);
    let mut out = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        let n = size().clamp(1, rest.len());
        reader.feed(&rest[..n]);
        rest = &rest[n..];
        loop {
            match reader.next_owned() {
                Ok(Some(r)) => out.push(Ok(r)),
                Ok(None) => break,
                Err(e) => out.push(Err(e)),
            }
        }
    }
    assert_eq!(reader.buffered(), 0, "everything read");
    out
}

/// A small deterministic generator (xorshift) for random splits.
fn rng(seed: u64) -> impl FnMut() -> usize {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 23) as usize + 1
    }
}

#[test]
fn reader_gives_what_the_parser_gives_however_split() {
    let wire = transcript();
    let expected: Vec<_> = parse_all(&wire).into_iter().map(Ok).collect();
    assert_eq!(expected.len(), 10);
    let limits = ResponseLimits::default();
    assert_eq!(read_in_chunks(&wire, limits, || wire.len()), expected);
    assert_eq!(read_in_chunks(&wire, limits, || 1), expected);
    for seed in 1..200 {
        assert_eq!(
            read_in_chunks(&wire, limits, rng(seed)),
            expected,
            "seed {seed}"
        );
    }
}

#[test]
fn reader_borrows_until_the_next_call() {
    let mut reader = ResponseReader::new(ResponseLimits::default());
    reader.feed(b"* 1 EXISTS\r\n* 2 EXISTS\r\n* 3 EX");
    assert_eq!(
        reader.next().unwrap(),
        Some(Response::Data(Data::Exists(1)))
    );
    assert_eq!(
        reader.next().unwrap(),
        Some(Response::Data(Data::Exists(2)))
    );
    assert_eq!(reader.next().unwrap(), None);
    reader.feed(b"ISTS\r\n");
    assert_eq!(
        reader.next().unwrap(),
        Some(Response::Data(Data::Exists(3)))
    );
    assert_eq!(reader.next().unwrap(), None);
    assert_eq!(reader.buffered(), 0);
}

#[test]
fn reader_reports_a_malformed_response_and_goes_on() {
    let wire =
        b"* 1 FETCH (FLAGS  (\\Seen))\r\n* 1 FETCH (BODY[] {3}\r\nabc FROB)\r\n* 2 EXISTS\r\n";
    for chunk in [1, 5, wire.len()] {
        let got = read_in_chunks(wire, ResponseLimits::default(), || chunk);
        assert!(matches!(
            got[0],
            Err(ReadError::Parse(ParseError::Invalid { .. }))
        ));
        assert!(matches!(
            got[1],
            Err(ReadError::Parse(ParseError::Invalid { .. }))
        ));
        assert_eq!(got[2], Ok(Response::Data(Data::Exists(2))));
        assert_eq!(got.len(), 3);
    }
}

#[test]
fn reader_limits_lines() {
    let limits = ResponseLimits {
        max_line: 64,
        ..ResponseLimits::default()
    };
    let mut wire = b"* SEARCH".to_vec();
    for i in 1..200 {
        wire.extend_from_slice(format!(" {i}").as_bytes());
    }
    wire.extend_from_slice(b"\r\n* 4 EXISTS\r\n");
    for chunk in [1, 7, 50, wire.len()] {
        let got = read_in_chunks(&wire, limits, || chunk);
        assert_eq!(
            got,
            vec![
                Err(ReadError::LineTooLong { limit: 64 }),
                Ok(Response::Data(Data::Exists(4)))
            ],
            "chunk {chunk}"
        );
    }
    // Fed little by little, the long line is never held whole.
    let mut reader = ResponseReader::new(limits);
    let mut errors = 0;
    for b in wire.chunks(3) {
        reader.feed(b);
        assert!(reader.buffered() <= 64 + 32, "{}", reader.buffered());
        while let Err(_) | Ok(Some(_)) = reader.next() {
            errors += 1;
        }
    }
    assert_eq!(errors, 2);
}

#[test]
fn reader_limits_literals_and_skips_them() {
    let limits = ResponseLimits {
        max_literal: 100,
        ..ResponseLimits::default()
    };
    // Data with lines that look like responses and announcements.
    let data = b"* 9 EXISTS {3}\r\n\r\n\r\n".repeat(250);
    assert_eq!(data.len(), 5000);
    let mut wire = b"* 1 FETCH (BODY[] {5000}\r\n".to_vec();
    wire.extend_from_slice(&data);
    wire.extend_from_slice(b" BODY[TEXT] {2}\r\nab)\r\n* 4 EXISTS\r\n");
    for chunk in [1, 13, 4096, wire.len()] {
        let got = read_in_chunks(&wire, limits, || chunk);
        assert_eq!(
            got,
            vec![
                Err(ReadError::LiteralTooLarge { size: 5000 }),
                Ok(Response::Data(Data::Exists(4)))
            ],
            "chunk {chunk}"
        );
    }
    let mut reader = ResponseReader::new(limits);
    for b in wire.chunks(1000) {
        reader.feed(b);
        while let Err(_) | Ok(Some(_)) = reader.next() {}
        assert!(reader.buffered() <= 1100, "{}", reader.buffered());
    }
}

#[test]
fn reader_limits_responses() {
    let limits = ResponseLimits {
        max_response: 100,
        ..ResponseLimits::default()
    };
    let wire = b"* 1 FETCH (BODY[] {50}\r\n01234567890123456789012345678901234567890123456789 BODY[1] {50}\r\n01234567890123456789012345678901234567890123456789)\r\n* 4 EXISTS\r\n";
    let got = read_in_chunks(wire, limits, || 1);
    assert_eq!(
        got,
        vec![
            Err(ReadError::ResponseTooLarge { limit: 100 }),
            Ok(Response::Data(Data::Exists(4)))
        ]
    );
}

#[test]
fn reader_doc_flow_with_owned_responses() {
    let mut reader = ResponseReader::new(ResponseLimits::default());
    let mut kept = Vec::new();
    for b in transcript().chunks(10) {
        reader.feed(b);
        while let Some(r) = reader.next_owned().unwrap() {
            kept.push(r);
        }
    }
    assert_eq!(kept, parse_all(&transcript()));
    assert_eq!(
        kept[2],
        fetch(
            1,
            vec![
                FetchItem::BodySection {
                    section: Section {
                        part: vec![],
                        text: Some(SectionText::Header),
                    },
                    origin: None,
                    data: ns("Subject: x\r\n"),
                },
                FetchItem::BodySection {
                    section: Section {
                        part: vec![],
                        text: Some(SectionText::Text),
                    },
                    origin: None,
                    data: ns(""),
                },
                FetchItem::Binary {
                    part: vec![nz(1)],
                    origin: None,
                    data: Some(Str::from(&b"\0}\n"[..])),
                },
                FetchItem::Uid(nz(5)),
            ],
        )
    );
    assert_eq!(
        kept[7],
        status(
            Some("A2"),
            StatusKind::No,
            Some(Code::BadCharset(vec![s("UTF-8")])),
            "no"
        )
    );
    let _ = SeqRange::single(nz(1));
    let _ = SeqBound::Largest;
}

#[test]
fn long_quoted_strings_cross_the_staging_buffer() {
    let subject = format!("{}\"quoted\" \\ {}", "s".repeat(300), "t".repeat(500));
    let envelope = Envelope {
        subject: Some(Str::from(subject.clone())),
        from: vec![addr(Some("A"), "a", "example.org"); 20],
        ..Envelope::default()
    };
    let r = fetch(
        1,
        vec![
            FetchItem::Envelope(Box::new(envelope)),
            FetchItem::Uid(nz(2)),
        ],
    );
    let wire = encoded(&r);
    let escaped = subject.replace('\\', "\\\\").replace('"', "\\\"");
    let expected_start =
        format!("* 1 FETCH (ENVELOPE (NIL \"{escaped}\" ((\"A\" NIL \"a\" \"example.org\")(");
    assert!(wire.starts_with(expected_start.as_bytes()));
    assert!(wire.ends_with(b" NIL NIL NIL NIL NIL NIL NIL) UID 2)\r\n"));
    parses(&wire, r);
}

// ---- ACL, CONTEXT=SEARCH, SAVEDATE, PREVIEW, unknown data -------------

#[test]
fn acl_responses_of_rfc_4314() {
    check(
        b"* ACL INBOX/Drafts Fred rwipslxetad Chris lrswi\r\n",
        Response::Data(Data::Acl {
            mailbox: mailbox("INBOX/Drafts"),
            entries: vec![(s("Fred"), s("rwipslxetad")), (s("Chris"), s("lrswi"))],
        }),
    );
    check(
        b"* ACL Projects\r\n",
        Response::Data(Data::Acl {
            mailbox: mailbox("Projects"),
            entries: vec![],
        }),
    );
    check(
        b"* LISTRIGHTS ~/Mail/saved smith la r swicdkxte\r\n",
        Response::Data(Data::ListRights {
            mailbox: mailbox("~/Mail/saved"),
            identifier: s("smith"),
            required: s("la"),
            optional: vec![s("r"), s("swicdkxte")],
        }),
    );
    // Dovecot's: no rights always granted.
    check(
        b"* LISTRIGHTS INBOX anyone \"\" l r w\r\n",
        Response::Data(Data::ListRights {
            mailbox: Mailbox::Inbox,
            identifier: s("anyone"),
            required: s(""),
            optional: vec![s("l"), s("r"), s("w")],
        }),
    );
    check(
        b"* MYRIGHTS INBOX rwiptsldaex\r\n",
        Response::Data(Data::MyRights {
            mailbox: Mailbox::Inbox,
            rights: s("rwiptsldaex"),
        }),
    );
    invalid(b"* MYRIGHTS INBOX\r\n");
    invalid(b"* ACL INBOX fred\r\n");
}

#[test]
fn esearch_updates_of_rfc_5267() {
    check(
        b"* ESEARCH (TAG \"B01\") UID ADDTO (1 2733) ADDTO (0 2731:2732)\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: Some(Tag::new("B01").unwrap()),
            uid: true,
            results: vec![
                ESearchResult::AddTo(vec![(1, set("2733"))]),
                ESearchResult::AddTo(vec![(0, set("2731:2732"))]),
            ],
        })),
    );
    check(
        b"* ESEARCH (TAG \"C01\") UID REMOVEFROM (0 32768 1 5)\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: Some(Tag::new("C01").unwrap()),
            uid: true,
            results: vec![ESearchResult::RemoveFrom(vec![
                (0, set("32768")),
                (1, set("5")),
            ])],
        })),
    );
    invalid(b"* ESEARCH ADDTO ()\r\n");
    // Return data of other extensions (PARTIAL, RFC 9394) keeps its value.
    parses(
        b"* ESEARCH (TAG \"A1\") UID PARTIAL (1:5 200:210) COUNT 9\r\n",
        Response::Data(Data::ESearch(ESearch {
            tag: Some(Tag::new("A1").unwrap()),
            uid: true,
            results: vec![
                ESearchResult::Other(
                    atom("PARTIAL"),
                    TaggedExtValue::List(vec![
                        TaggedExtValue::Simple(s("1:5")),
                        TaggedExtValue::Simple(s("200:210")),
                    ]),
                ),
                ESearchResult::Count(9),
            ],
        })),
    );
}

#[test]
fn fetch_items_of_extensions() {
    let date = DateTime::new(Date::new(2026, 11, 22).unwrap(), 13, 29, 35, 0).unwrap();
    check(
        b"* 1 FETCH (SAVEDATE \"22-Nov-2026 13:29:35 +0000\")\r\n",
        fetch(1, vec![FetchItem::SaveDate(Some(date))]),
    );
    check(
        b"* 2 FETCH (SAVEDATE NIL)\r\n",
        fetch(2, vec![FetchItem::SaveDate(None)]),
    );
    check(
        b"* 2 FETCH (PREVIEW \"Thanks Ann, see you on Friday.\")\r\n",
        fetch(
            2,
            vec![FetchItem::Preview(ns("Thanks Ann, see you on Friday."))],
        ),
    );
    check(
        b"* 3 FETCH (PREVIEW NIL)\r\n",
        fetch(3, vec![FetchItem::Preview(None)]),
    );
    // Items of other servers' extensions keep their values.
    parses(
        b"* 1 FETCH (SNIPPET (FUZZY {5}\r\nhello) X-GM-LABELS (\\Inbox \"a b\") X-GM-MSGID 1278455344230334865)\r\n",
        fetch(
            1,
            vec![
                FetchItem::Other {
                    name: atom("SNIPPET"),
                    value: TaggedExtValue::List(vec![
                        TaggedExtValue::Simple(s("FUZZY")),
                        TaggedExtValue::Simple(s("hello")),
                    ]),
                },
                FetchItem::Other {
                    name: atom("X-GM-LABELS"),
                    value: TaggedExtValue::List(vec![
                        TaggedExtValue::Simple(s("\\Inbox")),
                        TaggedExtValue::Simple(s("a b")),
                    ]),
                },
                FetchItem::Other {
                    name: atom("X-GM-MSGID"),
                    value: TaggedExtValue::Simple(s("1278455344230334865")),
                },
            ],
        ),
    );
    // A known item with a malformed value is no unknown item.
    invalid(b"* 1 FETCH (UID x)\r\n");
    invalid(b"* 1 FETCH (BODY[HEADER x)\r\n");
}

#[test]
fn status_deleted_storage_of_rfc_9208() {
    check(
        b"* STATUS INBOX (MESSAGES 12 DELETED 4 DELETED-STORAGE 8)\r\n",
        Response::Data(Data::Status(StatusData {
            mailbox: Mailbox::Inbox,
            items: vec![
                StatusValue::Messages(12),
                StatusValue::Deleted(4),
                StatusValue::DeletedStorage(8),
            ],
        })),
    );
}

#[test]
fn unknown_data_is_kept_raw() {
    check(
        b"* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay\r\n",
        Response::Data(Data::Other {
            name: atom("XPIG-LATIN"),
            text: Cow::Borrowed(b"ow-nay eaking-spay ig-pay atin-lay"),
        }),
    );
    check(
        b"* XNOTHING\r\n",
        Response::Data(Data::Other {
            name: atom("XNOTHING"),
            text: Cow::Borrowed(b""),
        }),
    );
    // Known keywords stay strict; a literal cannot hide in raw text.
    invalid(b"* LIST x\r\n");
    invalid(b"* EXISTS\r\n");
    invalid(b"* XFOO {3}\r\nabc\r\n");
}
