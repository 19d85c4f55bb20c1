//! Commands as clients send them: each parses to the expected value (and
//! the whole input is taken); the error of every refusal path; the limits.

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_proto::parse::{self, Needed, ParseError, ParseLimits};
use imap_proto::types::command::{
    AppendMessage, CatenatePart, Command, CommandBody, MetadataDepth, MetadataOptions, NotifyEvent,
    NotifyGroup, NotifyMailboxes, NotifySet, QResync, SelectParams, SortCriterion, SortKey,
};
use imap_proto::types::fetch::{
    FetchAttribute, FetchAttributes, FetchModifiers, Partial, Section, SectionText,
};
use imap_proto::types::flag::{Flag, StoreMode};
use imap_proto::types::list::{ListReturn, ListSelect};
use imap_proto::types::search::{EntryType, SearchKey, SearchReturn};
use imap_proto::types::status::StatusItem;
use imap_proto::{Atom, Date, DateTime, Mailbox, SequenceSet, Str};

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn s(text: &'static str) -> Str<'static> {
    Str::from(text)
}

fn atom(text: &'static str) -> Atom<'static> {
    Atom::new(text).unwrap()
}

fn mbox(name: &'static str) -> Mailbox<'static> {
    Mailbox::from_wire(name.as_bytes())
}

fn set(text: &str) -> SequenceSet {
    parse::sequence_set(text.as_bytes()).unwrap()
}

/// Parses a whole command; checks the tag and that all input was taken.
fn body(wire: &[u8]) -> CommandBody<'_> {
    let (Command { tag, body }, used) = parse::command(wire, ParseLimits::default())
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(wire)));
    assert_eq!(used, wire.len(), "{:?}", String::from_utf8_lossy(wire));
    assert!(!tag.as_str().is_empty());
    body
}

fn error(wire: &[u8]) -> ParseError {
    match parse::command(wire, ParseLimits::default()) {
        Ok((c, _)) => panic!("{:?} parsed: {c:?}", String::from_utf8_lossy(wire)),
        Err(e) => e,
    }
}

fn invalid_at(wire: &[u8]) -> usize {
    match error(wire) {
        ParseError::Invalid { at, .. } => at,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(wire)),
    }
}

#[test]
fn commands_without_arguments() {
    for (wire, expected) in [
        (&b"a CAPABILITY\r\n"[..], CommandBody::Capability),
        (b"a noop\r\n", CommandBody::Noop),
        (b"a LOGOUT\r\n", CommandBody::Logout),
        (b"a STARTTLS\r\n", CommandBody::StartTls),
        (b"a IDLE\r\n", CommandBody::Idle),
        (b"a CHECK\r\n", CommandBody::Check),
        (b"a Close\r\n", CommandBody::Close),
        (b"a UNSELECT\r\n", CommandBody::Unselect),
        (b"a EXPUNGE\r\n", CommandBody::Expunge),
        (b"a NAMESPACE\r\n", CommandBody::Namespace),
        (b"a UNAUTHENTICATE\r\n", CommandBody::Unauthenticate),
    ] {
        assert_eq!(body(wire), expected);
    }
    // Nothing may follow them.
    assert_eq!(invalid_at(b"a NOOP x\r\n"), 6);
}

#[test]
fn login_in_every_string_form() {
    let expected = CommandBody::Login {
        username: s("fred"),
        password: s("foo bar"),
    };
    assert_eq!(body(b"a001 LOGIN fred \"foo bar\"\r\n"), expected);
    assert_eq!(body(b"a001 LOGIN \"fred\" {7}\r\nfoo bar\r\n"), expected);
    assert_eq!(
        body(b"a001 login {4+}\r\nfred {7+}\r\nfoo bar\r\n"),
        expected
    );
    assert_eq!(
        body(b"a LOGIN \"a\\\"b\\\\c\" x\r\n"),
        CommandBody::Login {
            username: s("a\"b\\c"),
            password: s("x"),
        }
    );
    // A literal whose data has not come yet says where and how long.
    assert_eq!(
        error(b"a001 LOGIN {4}\r\nfr"),
        ParseError::Incomplete(Needed::Literal {
            at: 16,
            size: 4,
            sync: true,
            binary: false
        })
    );
    assert_eq!(
        error(b"a001 LOGIN fred"),
        ParseError::Incomplete(Needed::Line)
    );
    assert_eq!(invalid_at(b"a001 LOGIN fred\r\n"), 15);
    assert_eq!(invalid_at(b"a001 LOGIN fred \"x\ny\"\r\n"), 18);
    // NUL is allowed in no literal but literal8.
    assert_eq!(invalid_at(b"a LOGIN {3}\r\na\0b x\r\n"), 13);
}

#[test]
fn authenticate_with_and_without_initial_response() {
    assert_eq!(
        body(b"a AUTHENTICATE GSSAPI\r\n"),
        CommandBody::Authenticate {
            mechanism: atom("GSSAPI"),
            initial_response: None,
        }
    );
    assert_eq!(
        body(b"a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n"),
        CommandBody::Authenticate {
            mechanism: atom("PLAIN"),
            initial_response: Some(Cow::Borrowed(b"dGVzdAB0ZXN0AHRlc3Q=")),
        }
    );
    assert_eq!(
        body(b"a AUTHENTICATE EXTERNAL =\r\n"),
        CommandBody::Authenticate {
            mechanism: atom("EXTERNAL"),
            initial_response: Some(Cow::Borrowed(b"=")),
        }
    );
    assert_eq!(invalid_at(b"a AUTHENTICATE PLAIN a=bc\r\n"), 21);
    assert_eq!(invalid_at(b"a AUTHENTICATE PLAIN *\r\n"), 21);
}

#[test]
fn id_enable_compress() {
    assert_eq!(body(b"a ID NIL\r\n"), CommandBody::Id(None));
    assert_eq!(
        body(b"a023 ID (\"name\" \"sodr\" \"version\" NIL)\r\n"),
        CommandBody::Id(Some(vec![
            (s("name"), Some(s("sodr"))),
            (s("version"), None)
        ]))
    );
    assert_eq!(
        body(b"t2 ENABLE CONDSTORE QRESYNC\r\n"),
        CommandBody::Enable(vec![atom("CONDSTORE"), atom("QRESYNC")])
    );
    assert_eq!(
        body(b"a COMPRESS DEFLATE\r\n"),
        CommandBody::Compress(atom("DEFLATE"))
    );
    assert_eq!(invalid_at(b"a ENABLE\r\n"), 8);
}

#[test]
fn select_and_examine_with_condstore_and_qresync() {
    assert_eq!(
        body(b"A142 SELECT INBOX\r\n"),
        CommandBody::Select {
            mailbox: Mailbox::Inbox,
            params: SelectParams::default(),
        }
    );
    assert_eq!(
        body(b"a EXAMINE \"inbox\" (CONDSTORE)\r\n"),
        CommandBody::Examine {
            mailbox: Mailbox::Inbox,
            params: SelectParams {
                condstore: true,
                qresync: None,
            },
        }
    );
    assert_eq!(
        body(b"A02 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))\r\n"),
        CommandBody::Select {
            mailbox: Mailbox::Inbox,
            params: SelectParams {
                condstore: false,
                qresync: Some(Box::new(QResync {
                    uid_validity: 67890007,
                    mod_seq: 90060115194045000,
                    known_uids: Some(set("41:211,214:541")),
                    seq_match: None,
                })),
            },
        }
    );
    assert_eq!(
        body(b"B04 SELECT INBOX (CONDSTORE QRESYNC (67890007 9006 1:* (1:5 2:6)))\r\n"),
        CommandBody::Select {
            mailbox: Mailbox::Inbox,
            params: SelectParams {
                condstore: true,
                qresync: Some(Box::new(QResync {
                    uid_validity: 67890007,
                    mod_seq: 9006,
                    known_uids: Some(set("1:*")),
                    seq_match: Some((set("1:5"), set("2:6"))),
                })),
            },
        }
    );
    let Some(CommandBody::Select { params, .. }) = parse::command(
        b"a SELECT x (QRESYNC (1 2 (3 4)))\r\n",
        ParseLimits::default(),
    )
    .ok()
    .map(|(c, _)| c.body) else {
        panic!("seq-match-data without known UIDs")
    };
    assert_eq!(
        params.qresync.unwrap().seq_match,
        Some((set("3"), set("4")))
    );
    assert_eq!(invalid_at(b"a SELECT x (QRESYNC (0 2))\r\n"), 21);
    assert_eq!(invalid_at(b"a SELECT x (FOO)\r\n"), 12);
}

#[test]
fn mailbox_management() {
    assert_eq!(
        body(b"A003 CREATE owatagusiam/\r\n"),
        CommandBody::Create {
            mailbox: mbox("owatagusiam/"),
            special_use: vec![],
        }
    );
    assert_eq!(
        body(b"t1 CREATE \"Important Messages\" (USE (\\Important \\Flagged))\r\n"),
        CommandBody::Create {
            mailbox: mbox("Important Messages"),
            special_use: vec![atom("Important"), atom("Flagged")],
        }
    );
    assert_eq!(
        body(b"a DELETE blurdybloop\r\n"),
        CommandBody::Delete(mbox("blurdybloop"))
    );
    assert_eq!(
        body(b"A683 RENAME blurdybloop sarasoop\r\n"),
        CommandBody::Rename {
            from: mbox("blurdybloop"),
            to: mbox("sarasoop"),
        }
    );
    assert_eq!(
        body(b"a SUBSCRIBE #news.x\r\n"),
        CommandBody::Subscribe(mbox("#news.x"))
    );
    assert_eq!(
        body(b"a UNSUBSCRIBE x\r\n"),
        CommandBody::Unsubscribe(mbox("x"))
    );
    assert_eq!(
        body(b"A042 STATUS blurdybloop (UIDNEXT MESSAGES SIZE DELETED APPENDLIMIT)\r\n"),
        CommandBody::Status {
            mailbox: mbox("blurdybloop"),
            items: vec![
                StatusItem::UidNext,
                StatusItem::Messages,
                StatusItem::Size,
                StatusItem::Deleted,
                StatusItem::AppendLimit,
            ],
        }
    );
    assert_eq!(invalid_at(b"a STATUS x (FOO)\r\n"), 12);
    assert_eq!(invalid_at(b"a STATUS x ()\r\n"), 12);
    assert_eq!(invalid_at(b"a CREATE x (FOO (\\Sent))\r\n"), 12);
    assert_eq!(invalid_at(b"a CREATE x (USE (Sent))\r\n"), 17);
}

#[test]
fn list_basic_and_extended() {
    assert_eq!(
        body(b"A101 LIST \"\" %\r\n"),
        CommandBody::List {
            select: vec![],
            reference: mbox(""),
            patterns: vec![s("%")],
            returns: None,
        }
    );
    assert_eq!(
        body(b"A02 LIST (SUBSCRIBED RECURSIVEMATCH REMOTE) \"\" (\"INBOX\" \"Drafts\" *) RETURN (CHILDREN STATUS (MESSAGES UNSEEN) SPECIAL-USE)\r\n"),
        CommandBody::List {
            select: vec![ListSelect::Subscribed, ListSelect::RecursiveMatch, ListSelect::Remote],
            reference: mbox(""),
            patterns: vec![s("INBOX"), s("Drafts"), s("*")],
            returns: Some(vec![
                ListReturn::Children,
                ListReturn::Status(vec![StatusItem::Messages, StatusItem::Unseen]),
                ListReturn::SpecialUse,
            ]),
        }
    );
    assert_eq!(
        body(b"a LIST (SPECIAL-USE X-FOO) ~/Mail/ foo%bar] RETURN ()\r\n"),
        CommandBody::List {
            select: vec![ListSelect::SpecialUse, ListSelect::Other(atom("X-FOO"))],
            reference: mbox("~/Mail/"),
            patterns: vec![s("foo%bar]")],
            returns: Some(vec![]),
        }
    );
    assert_eq!(
        body(b"A002 LSUB \"#news.\" \"comp.mail.*\"\r\n"),
        CommandBody::Lsub {
            reference: mbox("#news."),
            pattern: s("comp.mail.*"),
        }
    );
    assert_eq!(invalid_at(b"a LIST \"\" * FOO ()\r\n"), 12);
    assert_eq!(invalid_at(b"a LIST \"\" ()\r\n"), 11);
}

#[test]
fn append_single_multi_and_binary() {
    assert_eq!(
        body(b"A003 APPEND saved-messages (\\Seen) {7}\r\nhello\r\n\r\n"),
        CommandBody::Append {
            mailbox: mbox("saved-messages"),
            messages: vec![AppendMessage {
                flags: vec![Flag::Seen],
                date: None,
                data: Cow::Borrowed(b"hello\r\n"),
                binary: false,
                utf8: false,
                catenate: vec![],
            }],
        }
    );
    let date = DateTime::new(Date::new(1994, 2, 7).unwrap(), 21, 52, 25, -8 * 60).unwrap();
    assert_eq!(
        body(b"A1 APPEND x \"07-Feb-1994 21:52:25 -0800\" {1+}\r\na () ~{2+}\r\n\0b\r\n"),
        CommandBody::Append {
            mailbox: mbox("x"),
            messages: vec![
                AppendMessage {
                    flags: vec![],
                    date: Some(date),
                    data: Cow::Borrowed(b"a"),
                    binary: false,
                    utf8: false,
                    catenate: vec![],
                },
                AppendMessage {
                    flags: vec![],
                    date: None,
                    data: Cow::Borrowed(b"\0b"),
                    binary: true,
                    utf8: false,
                    catenate: vec![],
                },
            ],
        }
    );
    assert_eq!(invalid_at(b"a APPEND x\r\n"), 10);
    assert_eq!(invalid_at(b"a APPEND x \"7-Feb-1994\" {1}\r\na\r\n"), 12);
}

#[test]
fn fetch_macros_attributes_and_modifiers() {
    assert_eq!(
        body(b"a FETCH 1:* ALL\r\n"),
        CommandBody::Fetch {
            uid: false,
            set: set("1:*"),
            attributes: FetchAttributes::All,
            modifiers: FetchModifiers::default(),
        }
    );
    assert_eq!(
        body(b"a fetch 2 fast\r\n"),
        CommandBody::Fetch {
            uid: false,
            set: set("2"),
            attributes: FetchAttributes::Fast,
            modifiers: FetchModifiers::default(),
        }
    );
    assert_eq!(
        body(b"a FETCH 2 BODY[]\r\n"),
        CommandBody::Fetch {
            uid: false,
            set: set("2"),
            attributes: FetchAttributes::List(vec![FetchAttribute::BodySection {
                peek: false,
                section: Section::default(),
                partial: None,
            }]),
            modifiers: FetchModifiers::default(),
        }
    );
    let CommandBody::Fetch { attributes, .. } = body(
        b"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)] BODY.PEEK[1.2.MIME]<0.100> BODY BODYSTRUCTURE ENVELOPE INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT UID MODSEQ BINARY[1] BINARY.PEEK[]<5.10> BINARY.SIZE[2.3] BODY[3.TEXT] BODY[HEADER.FIELDS.NOT (X)])\r\n",
    ) else {
        panic!("a FETCH")
    };
    use FetchAttribute as A;
    assert_eq!(
        attributes,
        FetchAttributes::List(vec![
            A::Flags,
            A::BodySection {
                peek: false,
                section: Section {
                    part: vec![],
                    text: Some(SectionText::HeaderFields(vec![s("DATE"), s("FROM")])),
                },
                partial: None,
            },
            A::BodySection {
                peek: true,
                section: Section {
                    part: vec![nz(1), nz(2)],
                    text: Some(SectionText::Mime),
                },
                partial: Some(Partial {
                    offset: 0,
                    length: nz(100),
                }),
            },
            A::Body,
            A::BodyStructure,
            A::Envelope,
            A::InternalDate,
            A::Rfc822,
            A::Rfc822Header,
            A::Rfc822Size,
            A::Rfc822Text,
            A::Uid,
            A::ModSeq,
            A::Binary {
                peek: false,
                part: vec![nz(1)],
                partial: None,
            },
            A::Binary {
                peek: true,
                part: vec![],
                partial: Some(Partial {
                    offset: 5,
                    length: nz(10),
                }),
            },
            A::BinarySize {
                part: vec![nz(2), nz(3)],
            },
            A::BodySection {
                peek: false,
                section: Section {
                    part: vec![nz(3)],
                    text: Some(SectionText::Text),
                },
                partial: None,
            },
            A::BodySection {
                peek: false,
                section: Section {
                    part: vec![],
                    text: Some(SectionText::HeaderFieldsNot(vec![s("X")])),
                },
                partial: None,
            },
        ])
    );
    assert_eq!(
        body(b"s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n"),
        CommandBody::Fetch {
            uid: true,
            set: set("300:500"),
            attributes: FetchAttributes::List(vec![FetchAttribute::Flags]),
            modifiers: FetchModifiers {
                changed_since: Some(12345),
                vanished: true,
            },
        }
    );
    assert_eq!(invalid_at(b"a FETCH 1 (FLAGS BINARY)\r\n"), 23);
    assert_eq!(invalid_at(b"a FETCH 1 ()\r\n"), 11);
    assert_eq!(invalid_at(b"a FETCH 0 FLAGS\r\n"), 8);
    assert_eq!(invalid_at(b"a FETCH 1 BODY[1.HEADER.FIELDS ()]\r\n"), 32);
    assert_eq!(invalid_at(b"a FETCH 1 BODY[]<0.0>\r\n"), 19);
    assert_eq!(invalid_at(b"a FETCH 1 FLAGS (FOO 1)\r\n"), 17);
}

#[test]
fn store_every_mode() {
    assert_eq!(
        body(b"A003 STORE 2:4 +FLAGS (\\Deleted)\r\n"),
        CommandBody::Store {
            uid: false,
            set: set("2:4"),
            unchanged_since: None,
            mode: StoreMode::Add,
            silent: false,
            flags: vec![Flag::Deleted],
        }
    );
    assert_eq!(
        body(b"a UID STORE 1:100,200 -FLAGS.SILENT \\Seen $Junk\r\n"),
        CommandBody::Store {
            uid: true,
            set: set("1:100,200"),
            unchanged_since: None,
            mode: StoreMode::Remove,
            silent: true,
            flags: vec![Flag::Seen, Flag::Keyword(atom("$Junk"))],
        }
    );
    assert_eq!(
        body(b"d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) FLAGS ()\r\n"),
        CommandBody::Store {
            uid: false,
            set: set("7,5,9"),
            unchanged_since: Some(320162338),
            mode: StoreMode::Replace,
            silent: false,
            flags: vec![],
        }
    );
    assert_eq!(invalid_at(b"a STORE 1 *FLAGS (\\Seen)\r\n"), 10);
    assert_eq!(invalid_at(b"a STORE 1 (FOO 1) FLAGS ()\r\n"), 11);
}

#[test]
fn copy_move_expunge_with_and_without_uid() {
    assert_eq!(
        body(b"A003 COPY 2:4 MEETING\r\n"),
        CommandBody::Copy {
            uid: false,
            set: set("2:4"),
            mailbox: mbox("MEETING"),
        }
    );
    assert_eq!(
        body(b"a UID MOVE 42:69 foo\r\n"),
        CommandBody::Move {
            uid: true,
            set: set("42:69"),
            mailbox: mbox("foo"),
        }
    );
    assert_eq!(
        body(b"a UID EXPUNGE 3000:3002\r\n"),
        CommandBody::UidExpunge(set("3000:3002"))
    );
    assert_eq!(
        body(b"a MOVE $ Trash\r\n"),
        CommandBody::Move {
            uid: false,
            set: SequenceSet::Saved,
            mailbox: mbox("Trash"),
        }
    );
    assert_eq!(invalid_at(b"a UID NOOP\r\n"), 6);
    assert_eq!(invalid_at(b"a COPY 1:2: x\r\n"), 10);
}

#[test]
fn search_keys_nested_returned_and_charset() {
    let since = Date::new(1994, 2, 1).unwrap();
    assert_eq!(
        body(b"A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"),
        CommandBody::Search {
            uid: false,
            returns: Some(vec![SearchReturn::Min, SearchReturn::Count]),
            charset: None,
            criteria: vec![
                SearchKey::Flagged,
                SearchKey::Since(since),
                SearchKey::Not(Box::new(SearchKey::From(s("Smith")))),
            ],
        }
    );
    assert_eq!(
        body(b"a UID SEARCH CHARSET UTF-8 OR (FROM alice SINCE \"1-Feb-1994\") (NOT SEEN LARGER 10000) 1:5 $ UID 2:*\r\n"),
        CommandBody::Search {
            uid: true,
            returns: None,
            charset: Some(s("UTF-8")),
            criteria: vec![
                SearchKey::Or(
                    Box::new(SearchKey::And(vec![
                        SearchKey::From(s("alice")),
                        SearchKey::Since(since),
                    ])),
                    Box::new(SearchKey::And(vec![
                        SearchKey::Not(Box::new(SearchKey::Seen)),
                        SearchKey::Larger(10000),
                    ])),
                ),
                SearchKey::SequenceSet(set("1:5")),
                SearchKey::SequenceSet(SequenceSet::Saved),
                SearchKey::Uid(set("2:*")),
            ],
        }
    );
    let every = b"a SEARCH ALL ANSWERED BCC b BEFORE 1-Feb-1994 BODY b CC c DELETED DRAFT FLAGGED FROM f HEADER X-A v KEYWORD $k LARGER 1 NEW OLD ON 1-Feb-1994 RECENT SEEN SENTBEFORE 1-Feb-1994 SENTON 1-Feb-1994 SENTSINCE 1-Feb-1994 SINCE 1-Feb-1994 SMALLER 2 SUBJECT s TEXT t TO t UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $k UNSEEN MODSEQ 5 MODSEQ \"/flags/\\\\draft\" all 620162338 * RETURN\r\n";
    assert_eq!(invalid_at(every), every.len() - 8);
    let every = &[&every[..every.len() - 9], b"\r\n"].concat();
    let CommandBody::Search { criteria, .. } = body(every) else {
        panic!("a SEARCH")
    };
    assert_eq!(criteria.len(), 35);
    assert_eq!(
        criteria[33],
        SearchKey::ModSeq {
            entry: Some((s("/flags/\\draft"), EntryType::All)),
            modseq: 620162338,
        }
    );
    assert_eq!(invalid_at(b"a SEARCH FOO\r\n"), 9);
    assert_eq!(invalid_at(b"a SEARCH\r\n"), 8);
    assert_eq!(invalid_at(b"a SEARCH ()\r\n"), 10);
    assert_eq!(invalid_at(b"a SEARCH RETURN (FOO) ALL\r\n"), 17);
    assert_eq!(invalid_at(b"a SEARCH SINCE 31-Feb-1994\r\n"), 15);
    assert_eq!(invalid_at(b"a SEARCH MODSEQ \"/flags/x\" mine 5\r\n"), 27);
}

#[test]
fn sort_and_thread() {
    assert_eq!(
        body(b"A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n"),
        CommandBody::Sort {
            uid: false,
            returns: None,
            criteria: vec![
                SortCriterion {
                    reverse: false,
                    key: SortKey::Subject,
                },
                SortCriterion {
                    reverse: true,
                    key: SortKey::Date,
                },
            ],
            charset: s("UTF-8"),
            search: vec![SearchKey::All],
        }
    );
    assert_eq!(
        body(b"a UID SORT RETURN (ALL) (DISPLAYFROM) US-ASCII MODSEQ 1234\r\n"),
        CommandBody::Sort {
            uid: true,
            returns: Some(vec![SearchReturn::All]),
            criteria: vec![SortCriterion {
                reverse: false,
                key: SortKey::DisplayFrom,
            }],
            charset: s("US-ASCII"),
            search: vec![SearchKey::ModSeq {
                entry: None,
                modseq: 1234,
            }],
        }
    );
    assert_eq!(
        body(b"A284 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n"),
        CommandBody::Thread {
            uid: false,
            algorithm: atom("ORDEREDSUBJECT"),
            charset: s("UTF-8"),
            search: vec![SearchKey::Since(Date::new(2000, 3, 5).unwrap())],
        }
    );
    assert_eq!(invalid_at(b"a SORT () UTF-8 ALL\r\n"), 8);
    assert_eq!(invalid_at(b"a SORT (WEIGHT) UTF-8 ALL\r\n"), 8);
}

#[test]
fn quota_metadata_and_acl() {
    assert_eq!(
        body(b"G0001 GETQUOTA \"!partition/sda4\"\r\n"),
        CommandBody::GetQuota(s("!partition/sda4"))
    );
    assert_eq!(
        body(b"a GETQUOTAROOT INBOX\r\n"),
        CommandBody::GetQuotaRoot(Mailbox::Inbox)
    );
    assert_eq!(
        body(b"S0000 SETQUOTA \"#user/alice\" (STORAGE 510 MESSAGE 100)\r\n"),
        CommandBody::SetQuota {
            root: s("#user/alice"),
            limits: vec![(atom("STORAGE"), 510), (atom("MESSAGE"), 100)],
        }
    );
    assert_eq!(
        body(b"a SETQUOTA \"\" ()\r\n"),
        CommandBody::SetQuota {
            root: s(""),
            limits: vec![],
        }
    );
    let expected = CommandBody::GetMetadata {
        options: MetadataOptions {
            max_size: Some(1024),
            depth: Some(MetadataDepth::Infinity),
        },
        mailbox: Mailbox::Inbox,
        entries: vec![s("/shared/comment"), s("/private/comment")],
    };
    assert_eq!(
        body(b"a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX (/shared/comment /private/comment)\r\n"),
        expected
    );
    // RFC 5464's own examples put the options after the mailbox.
    assert_eq!(
        body(b"a GETMETADATA INBOX (MAXSIZE 1024 DEPTH INFINITY) (/shared/comment /private/comment)\r\n"),
        expected
    );
    assert_eq!(
        body(b"a GETMETADATA \"\" /shared/comment\r\n"),
        CommandBody::GetMetadata {
            options: MetadataOptions::default(),
            mailbox: mbox(""),
            entries: vec![s("/shared/comment")],
        }
    );
    assert_eq!(
        body(b"a SETMETADATA INBOX (/private/comment {4+}\r\nMy c /shared/x NIL)\r\n"),
        CommandBody::SetMetadata {
            mailbox: Mailbox::Inbox,
            entries: vec![
                (s("/private/comment"), Some(s("My c"))),
                (s("/shared/x"), None)
            ],
        }
    );
    assert_eq!(invalid_at(b"a SETMETADATA INBOX ()\r\n"), 20);
    assert_eq!(invalid_at(b"a GETMETADATA (DEPTH 2) INBOX /x\r\n"), 21);
    assert_eq!(
        body(b"A123 SETACL INBOX/Drafts John lrQswicda\r\n"),
        CommandBody::SetAcl {
            mailbox: mbox("INBOX/Drafts"),
            identifier: s("John"),
            rights: s("lrQswicda"),
        }
    );
    assert_eq!(
        body(b"A002 SETACL INBOX/Drafts Chris +cda\r\n"),
        CommandBody::SetAcl {
            mailbox: mbox("INBOX/Drafts"),
            identifier: s("Chris"),
            rights: s("+cda"),
        }
    );
    assert_eq!(
        body(b"A035 DELETEACL INBOX/Drafts John\r\n"),
        CommandBody::DeleteAcl {
            mailbox: mbox("INBOX/Drafts"),
            identifier: s("John"),
        }
    );
    assert_eq!(
        body(b"A37 GETACL INBOX\r\n"),
        CommandBody::GetAcl(Mailbox::Inbox)
    );
    assert_eq!(
        body(b"a001 LISTRIGHTS ~/Mail/saved smith\r\n"),
        CommandBody::ListRights {
            mailbox: mbox("~/Mail/saved"),
            identifier: s("smith"),
        }
    );
    assert_eq!(
        body(b"A003 MYRIGHTS INBOX\r\n"),
        CommandBody::MyRights(Mailbox::Inbox)
    );
}

#[test]
fn experimental_and_unknown_commands() {
    assert_eq!(
        body(b"A442 XPIG-LATIN\r\n"),
        CommandBody::Experimental {
            name: atom("XPIG-LATIN"),
            arguments: Cow::Borrowed(b""),
        }
    );
    assert_eq!(
        body(b"a1 xlist \"\" (*)\r\n"),
        CommandBody::Experimental {
            name: atom("xlist"),
            arguments: Cow::Borrowed(b"\"\" (*)"),
        }
    );
    assert_eq!(invalid_at(b"A044 BLURDYBLOOP {102856}\r\n"), 5);
    assert_eq!(invalid_at(b"a1 SELECTX INBOX\r\n"), 3);
    assert_eq!(invalid_at(b"a1 \r\n"), 3);
    assert_eq!(invalid_at(b"+1 NOOP\r\n"), 0);
    assert_eq!(invalid_at(b"a1  NOOP\r\n"), 3);
    assert_eq!(invalid_at(b"a1 NOOP\n"), 7);
}

#[test]
fn limits_hold_whatever_the_input() {
    let limits = ParseLimits {
        max_depth: 4,
        max_items: 8,
    };
    let nested = |n: usize| {
        let mut w = b"a SEARCH ".to_vec();
        w.extend(std::iter::repeat_n(b'(', n));
        w.extend_from_slice(b"ALL");
        w.extend(std::iter::repeat_n(b')', n));
        w.extend_from_slice(b"\r\n");
        w
    };
    assert!(parse::command(&nested(4), limits).is_ok());
    assert_eq!(
        parse::command(&nested(5), limits).unwrap_err(),
        ParseError::TooDeep
    );
    let nots = [&b"a SEARCH "[..], &b"NOT ".repeat(5), b"ALL\r\n"].concat();
    assert_eq!(
        parse::command(&nots, limits).unwrap_err(),
        ParseError::TooDeep
    );
    let ors = [&b"a SEARCH "[..], &b"OR ALL ".repeat(5), b"ALL\r\n"].concat();
    assert_eq!(
        parse::command(&ors, limits).unwrap_err(),
        ParseError::TooDeep
    );
    // A deep nesting far beyond the default limit fails without overflowing
    // the stack.
    let deep = [&b"a SEARCH "[..], &b"NOT ".repeat(100_000), b"ALL\r\n"].concat();
    assert_eq!(
        parse::command(&deep, ParseLimits::default()).unwrap_err(),
        ParseError::TooDeep
    );
    let many = b"a FETCH 1,2,3,4,5,6,7,8,9 FLAGS\r\n";
    assert_eq!(
        parse::command(many, limits).unwrap_err(),
        ParseError::TooManyItems
    );
    let keys = [&b"a SEARCH"[..], &b" ALL".repeat(9), b"\r\n"].concat();
    assert_eq!(
        parse::command(&keys, limits).unwrap_err(),
        ParseError::TooManyItems
    );
}

#[test]
fn every_prefix_of_a_command_is_incomplete_never_invalid() {
    for wire in [
        &b"a1 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)]<0.512>) (CHANGEDSINCE 5)\r\n"[..],
        b"a2 APPEND \"x y\" (\\Seen) \"07-Feb-1994 21:52:25 -0800\" {3+}\r\nabc\r\n",
        b"a3 UID SEARCH RETURN (MIN) CHARSET UTF-8 OR (FROM \"a\" SINCE 1-Feb-1994) NOT UID 1:5\r\n",
        b"a4 SELECT INBOX (QRESYNC (1 2 1:5 (1 2)))\r\n",
        b"a5 LIST (SUBSCRIBED) \"\" (a b) RETURN (STATUS (MESSAGES))\r\n",
    ] {
        for end in 0..wire.len() {
            match parse::command(&wire[..end], ParseLimits::default()) {
                Err(ParseError::Incomplete(_)) => {}
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(&wire[..end])),
            }
        }
        body(wire);
    }
}

#[test]
fn extensions_real_clients_send() {
    // WITHIN, SAVEDATE, CONTEXT=SEARCH (RFC 5032, 8514, 5267).
    assert_eq!(
        body(b"a SEARCH RETURN (COUNT UPDATE CONTEXT) YOUNGER 3600 OLDER 60 SAVEDBEFORE 1-Jan-2000 SAVEDON 2-Jan-2000 SAVEDSINCE 3-Jan-2000 SAVEDATESUPPORTED\r\n"),
        CommandBody::Search {
            uid: false,
            returns: Some(vec![SearchReturn::Count, SearchReturn::Update, SearchReturn::Context]),
            charset: None,
            criteria: vec![
                SearchKey::Younger(3600),
                SearchKey::Older(60),
                SearchKey::SavedBefore(Date::new(2000, 1, 1).unwrap()),
                SearchKey::SavedOn(Date::new(2000, 1, 2).unwrap()),
                SearchKey::SavedSince(Date::new(2000, 1, 3).unwrap()),
                SearchKey::SaveDateSupported,
            ],
        }
    );
    assert_eq!(invalid_at(b"a SEARCH YOUNGER 0\r\n"), 17);
    assert_eq!(
        body(b"a CANCELUPDATE \"A1\" \"A2\"\r\n"),
        CommandBody::CancelUpdate(vec![s("A1"), s("A2")])
    );
    // SAVEDATE, PREVIEW, and attributes of other servers' extensions.
    let CommandBody::Fetch { attributes, .. } =
        body(b"a FETCH 1 (SAVEDATE PREVIEW PREVIEW (LAZY) SNIPPET (FUZZY) X-GM-LABELS)\r\n")
    else {
        panic!("a FETCH")
    };
    assert_eq!(
        attributes,
        FetchAttributes::List(vec![
            FetchAttribute::SaveDate,
            FetchAttribute::Preview { lazy: false },
            FetchAttribute::Preview { lazy: true },
            FetchAttribute::Other {
                name: atom("SNIPPET"),
                modifiers: vec![atom("FUZZY")],
            },
            FetchAttribute::Other {
                name: atom("X-GM-LABELS"),
                modifiers: vec![],
            },
        ])
    );
    // A bare attribute's parentheses are FETCH's modifiers, but PREVIEW's
    // (LAZY), which is no FETCH modifier.
    assert_eq!(
        body(b"a FETCH 2 PREVIEW (LAZY)\r\n"),
        CommandBody::Fetch {
            uid: false,
            set: set("2"),
            attributes: FetchAttributes::List(vec![FetchAttribute::Preview { lazy: true }]),
            modifiers: FetchModifiers::default(),
        }
    );
    assert_eq!(invalid_at(b"a FETCH 2 X-FOO (BAR)\r\n"), 17);
    // CATENATE (RFC 4469).
    assert_eq!(
        body(b"a APPEND Drafts (\\Draft) CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=1/;SECTION=HEADER\" TEXT {4+}\r\nbody URL x)\r\n"),
        CommandBody::Append {
            mailbox: mbox("Drafts"),
            messages: vec![AppendMessage {
                flags: vec![Flag::Draft],
                date: None,
                data: Cow::Borrowed(b""),
                binary: false,
                utf8: false,
                catenate: vec![
                    CatenatePart::Url(s("/INBOX;UIDVALIDITY=1/;UID=1/;SECTION=HEADER")),
                    CatenatePart::Text {
                        data: Cow::Borrowed(b"body"),
                        binary: false,
                    },
                    CatenatePart::Url(s("x")),
                ],
            }],
        }
    );
    assert_eq!(invalid_at(b"a APPEND x CATENATE (FILE x)\r\n"), 21);
    // UTF8=ACCEPT's form (RFC 6855).
    assert_eq!(
        body(b"a APPEND INBOX UTF8 (~{3+}\r\n\xc3\xa9!)\r\n"),
        CommandBody::Append {
            mailbox: Mailbox::Inbox,
            messages: vec![AppendMessage {
                flags: vec![],
                date: None,
                data: Cow::Borrowed(b"\xc3\xa9!"),
                binary: true,
                utf8: true,
                catenate: vec![],
            }],
        }
    );
    assert_eq!(invalid_at(b"a APPEND INBOX UTF8 ({1+}\r\nx)\r\n"), 21);
    // NOTIFY (RFC 5465).
    assert_eq!(body(b"a NOTIFY NONE\r\n"), CommandBody::Notify(None));
    assert_eq!(
        body(b"a NOTIFY SET STATUS (SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange)) (SUBTREE (INBOX Lists) (MailboxName SubscriptionChange X-Event)) (MAILBOXES foo NONE)\r\n"),
        CommandBody::Notify(Some(NotifySet {
            status: true,
            groups: vec![
                NotifyGroup {
                    mailboxes: NotifyMailboxes::Selected,
                    events: Some(vec![
                        NotifyEvent::MessageNew(vec![FetchAttribute::Uid, FetchAttribute::Flags]),
                        NotifyEvent::MessageExpunge,
                        NotifyEvent::FlagChange,
                    ]),
                },
                NotifyGroup {
                    mailboxes: NotifyMailboxes::Subtree(vec![Mailbox::Inbox, mbox("Lists")]),
                    events: Some(vec![
                        NotifyEvent::MailboxName,
                        NotifyEvent::SubscriptionChange,
                        NotifyEvent::Other(atom("X-Event")),
                    ]),
                },
                NotifyGroup {
                    mailboxes: NotifyMailboxes::Mailboxes(vec![mbox("foo")]),
                    events: None,
                },
            ],
        }))
    );
    assert_eq!(invalid_at(b"a NOTIFY SET (NOWHERE NONE)\r\n"), 14);
    assert_eq!(invalid_at(b"a NOTIFY ALL\r\n"), 9);
}
