//! proptest strategies for commands: every `CommandBody` variant, with
//! the values the parser reads back (canonical forms: non-empty lists
//! where the grammar wants one item, `VANISHED` only with `CHANGEDSINCE`
//! and UID, `\` extension flags that are no system flag...).
#![allow(dead_code)]

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_proto::types::command::{
    AppendMessage, CatenatePart, Command, CommandBody, MetadataDepth, MetadataOptions, NotifyEvent,
    NotifyGroup, NotifyMailboxes, NotifySet, QResync, SelectParams, SortCriterion, SortKey,
};
use imap_proto::types::fetch::{
    FetchAttribute, FetchAttributes, FetchModifiers, Partial, Section, SectionText,
};
use imap_proto::types::flag::StoreMode;
use imap_proto::types::list::{ListReturn, ListSelect};
use imap_proto::types::search::{EntryType, SearchKey, SearchReturn};
use imap_proto::types::status::StatusItem;
use imap_proto::{Atom, Str};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::strategies::{
    atom, date, date_time, flag, keyword_atom, mailbox, nonempty_str, nstring, nz,
    plain_sequence_set, sequence_set, str_value, tag,
};

pub fn command() -> BoxedStrategy<Command<'static>> {
    (tag(), body())
        .prop_map(|(tag, body)| Command { tag, body })
        .boxed()
}

fn uid() -> BoxedStrategy<bool> {
    any::<bool>().boxed()
}

/// A mod-sequence: up to 63 bits.
fn modseq() -> BoxedStrategy<u64> {
    prop_oneof![3 => 0u64..1000, 1 => 0u64..=i64::MAX as u64].boxed()
}

pub fn body() -> BoxedStrategy<CommandBody<'static>> {
    prop_oneof![
        simple(),
        session(),
        mailboxes(),
        messages(),
        search_commands(),
        quota_metadata_acl(),
    ]
    .boxed()
}

fn simple() -> BoxedStrategy<CommandBody<'static>> {
    prop_oneof![
        Just(CommandBody::Capability),
        Just(CommandBody::Noop),
        Just(CommandBody::Logout),
        Just(CommandBody::StartTls),
        Just(CommandBody::Idle),
        Just(CommandBody::Check),
        Just(CommandBody::Close),
        Just(CommandBody::Unselect),
        Just(CommandBody::Expunge),
        Just(CommandBody::Namespace),
        Just(CommandBody::Unauthenticate),
        ("X[A-Z0-9-]{1,10}", "[ -~]{0,20}").prop_map(|(name, args)| {
            // An argument text is the rest of the line, as it is.
            // (Not ending in `}`, which would announce a literal.)
            let args = args.trim_end_matches('}').to_owned();
            CommandBody::Experimental {
                name: Atom::new(name).expect("atom"),
                arguments: Cow::Owned(args.into_bytes()),
            }
        }),
    ]
    .boxed()
}

fn session() -> BoxedStrategy<CommandBody<'static>> {
    prop_oneof![
        proptest::option::of(vec((str_value(), nstring()), 1..4)).prop_map(CommandBody::Id),
        vec(atom(), 1..4).prop_map(CommandBody::Enable),
        atom().prop_map(CommandBody::Compress),
        (
            atom(),
            proptest::option::of(prop_oneof![
                "([A-Za-z0-9+/]{4}){1,8}",
                "([A-Za-z0-9+/]{4}){0,4}[A-Za-z0-9+/]{2}==",
                Just("=".to_owned()),
            ])
        )
            .prop_map(|(mechanism, initial)| CommandBody::Authenticate {
                mechanism,
                initial_response: initial.map(|i| Cow::Owned(i.into_bytes())),
            }),
        (str_value(), str_value())
            .prop_map(|(username, password)| CommandBody::Login { username, password }),
    ]
    .boxed()
}

fn select_params() -> BoxedStrategy<SelectParams> {
    let qresync = (
        1u32..=u32::MAX,
        modseq(),
        proptest::option::of(plain_sequence_set()),
        proptest::option::of((plain_sequence_set(), plain_sequence_set())),
    )
        .prop_map(|(uid_validity, mod_seq, known_uids, seq_match)| {
            Box::new(QResync {
                uid_validity,
                mod_seq,
                known_uids,
                seq_match,
            })
        });
    (any::<bool>(), proptest::option::of(qresync))
        .prop_map(|(condstore, qresync)| SelectParams { condstore, qresync })
        .boxed()
}

fn status_items() -> BoxedStrategy<Vec<StatusItem>> {
    vec(
        prop_oneof![
            Just(StatusItem::Messages),
            Just(StatusItem::Recent),
            Just(StatusItem::UidNext),
            Just(StatusItem::UidValidity),
            Just(StatusItem::Unseen),
            Just(StatusItem::Deleted),
            Just(StatusItem::Size),
            Just(StatusItem::HighestModSeq),
            Just(StatusItem::AppendLimit),
        ],
        1..5,
    )
    .boxed()
}

fn mailboxes() -> BoxedStrategy<CommandBody<'static>> {
    let list_select = prop_oneof![
        Just(ListSelect::Subscribed),
        Just(ListSelect::Remote),
        Just(ListSelect::RecursiveMatch),
        Just(ListSelect::SpecialUse),
        keyword_atom().prop_map(ListSelect::Other),
    ];
    let list_return = prop_oneof![
        Just(ListReturn::Subscribed),
        Just(ListReturn::Children),
        Just(ListReturn::SpecialUse),
        status_items().prop_map(ListReturn::Status),
        keyword_atom().prop_map(ListReturn::Other),
    ];
    let pattern = prop_oneof!["[A-Za-z0-9%*/.]{1,10}".prop_map(Str::from), str_value(),];
    prop_oneof![
        (mailbox(), select_params())
            .prop_map(|(mailbox, params)| CommandBody::Select { mailbox, params }),
        (mailbox(), select_params())
            .prop_map(|(mailbox, params)| CommandBody::Examine { mailbox, params }),
        (mailbox(), vec(atom(), 0..3)).prop_map(|(mailbox, special_use)| {
            CommandBody::Create {
                mailbox,
                special_use,
            }
        }),
        mailbox().prop_map(CommandBody::Delete),
        (mailbox(), mailbox()).prop_map(|(from, to)| CommandBody::Rename { from, to }),
        mailbox().prop_map(CommandBody::Subscribe),
        mailbox().prop_map(CommandBody::Unsubscribe),
        (
            vec(list_select, 0..3),
            mailbox(),
            vec(pattern.clone(), 1..3),
            proptest::option::of(vec(list_return, 0..3)),
        )
            .prop_map(|(select, reference, patterns, returns)| CommandBody::List {
                select,
                reference,
                patterns,
                returns,
            }),
        (mailbox(), pattern)
            .prop_map(|(reference, pattern)| CommandBody::Lsub { reference, pattern }),
        (mailbox(), status_items())
            .prop_map(|(mailbox, items)| CommandBody::Status { mailbox, items }),
    ]
    .boxed()
}

fn literal_data() -> BoxedStrategy<(Vec<u8>, bool)> {
    (any::<bool>(), vec(any::<u8>(), 0..64))
        .prop_map(|(binary, mut data)| {
            if !binary {
                // Only literal8 carries NUL.
                data.retain(|&b| b != 0);
            }
            (data, binary)
        })
        .boxed()
}

fn append_message() -> BoxedStrategy<AppendMessage<'static>> {
    let part = prop_oneof![
        str_value().prop_map(CatenatePart::Url),
        literal_data().prop_map(|(data, binary)| CatenatePart::Text {
            data: Cow::Owned(data),
            binary
        }),
    ];
    let content = prop_oneof![
        3 => literal_data().prop_map(|d| (d, false, Vec::new())),
        1 => vec(any::<u8>(), 0..64).prop_map(|data| ((data, true), true, Vec::new())),
        1 => vec(part, 1..3).prop_map(|parts| ((Vec::new(), false), false, parts)),
    ];
    (
        vec(flag(), 0..3),
        proptest::option::of(date_time()),
        content,
    )
        .prop_map(
            |(flags, date, ((data, binary), utf8, catenate))| AppendMessage {
                flags,
                date,
                data: Cow::Owned(data),
                binary,
                utf8,
                catenate,
            },
        )
        .boxed()
}

fn partial() -> BoxedStrategy<Option<Partial>> {
    proptest::option::of(
        (any::<u32>(), nz()).prop_map(|(offset, length)| Partial { offset, length }),
    )
    .boxed()
}

fn part() -> BoxedStrategy<Vec<NonZeroU32>> {
    vec(nz(), 0..4).boxed()
}

fn section() -> BoxedStrategy<Section<'static>> {
    let names = || vec(nonempty_str(), 1..4);
    let text = prop_oneof![
        Just(None),
        Just(Some(SectionText::Header)),
        Just(Some(SectionText::Text)),
        Just(Some(SectionText::Mime)),
        names().prop_map(|n| Some(SectionText::HeaderFields(n))),
        names().prop_map(|n| Some(SectionText::HeaderFieldsNot(n))),
    ];
    (part(), text)
        .prop_map(|(part, text)| {
            // MIME names a part's header: only after part numbers.
            let text = match text {
                Some(SectionText::Mime) if part.is_empty() => None,
                other => other,
            };
            Section { part, text }
        })
        .boxed()
}

fn fetch_attribute() -> BoxedStrategy<FetchAttribute<'static>> {
    prop_oneof![
        Just(FetchAttribute::Envelope),
        Just(FetchAttribute::Flags),
        Just(FetchAttribute::InternalDate),
        Just(FetchAttribute::Rfc822),
        Just(FetchAttribute::Rfc822Header),
        Just(FetchAttribute::Rfc822Size),
        Just(FetchAttribute::Rfc822Text),
        Just(FetchAttribute::Body),
        Just(FetchAttribute::BodyStructure),
        Just(FetchAttribute::Uid),
        Just(FetchAttribute::ModSeq),
        (any::<bool>(), section(), partial()).prop_map(|(peek, section, partial)| {
            FetchAttribute::BodySection {
                peek,
                section,
                partial,
            }
        }),
        (any::<bool>(), part(), partial()).prop_map(|(peek, part, partial)| {
            FetchAttribute::Binary {
                peek,
                part,
                partial,
            }
        }),
        part().prop_map(|part| FetchAttribute::BinarySize { part }),
        Just(FetchAttribute::SaveDate),
        any::<bool>().prop_map(|lazy| FetchAttribute::Preview { lazy }),
        (keyword_atom(), vec(atom(), 0..2))
            .prop_map(|(name, modifiers)| FetchAttribute::Other { name, modifiers }),
    ]
    .boxed()
}

fn messages() -> BoxedStrategy<CommandBody<'static>> {
    let attributes = prop_oneof![
        Just(FetchAttributes::All),
        Just(FetchAttributes::Fast),
        Just(FetchAttributes::Full),
        vec(fetch_attribute(), 1..5).prop_map(FetchAttributes::List),
    ];
    let mode = prop_oneof![
        Just(StoreMode::Replace),
        Just(StoreMode::Add),
        Just(StoreMode::Remove),
    ];
    prop_oneof![
        (mailbox(), vec(append_message(), 1..3))
            .prop_map(|(mailbox, messages)| CommandBody::Append { mailbox, messages }),
        plain_sequence_set().prop_map(CommandBody::UidExpunge),
        (
            uid(),
            sequence_set(),
            attributes,
            proptest::option::of(modseq()),
            any::<bool>()
        )
            .prop_map(|(uid, set, attributes, changed_since, vanished)| {
                CommandBody::Fetch {
                    uid,
                    set,
                    attributes,
                    modifiers: FetchModifiers {
                        changed_since,
                        // QRESYNC: only with UID FETCH and CHANGEDSINCE.
                        vanished: vanished && uid && changed_since.is_some(),
                    },
                }
            }),
        (
            uid(),
            sequence_set(),
            proptest::option::of(modseq()),
            mode,
            any::<bool>(),
            vec(flag(), 0..4)
        )
            .prop_map(|(uid, set, unchanged_since, mode, silent, flags)| {
                CommandBody::Store {
                    uid,
                    set,
                    unchanged_since,
                    mode,
                    silent,
                    flags,
                }
            }),
        (uid(), sequence_set(), mailbox()).prop_map(|(uid, set, mailbox)| CommandBody::Copy {
            uid,
            set,
            mailbox
        }),
        (uid(), sequence_set(), mailbox()).prop_map(|(uid, set, mailbox)| CommandBody::Move {
            uid,
            set,
            mailbox
        }),
    ]
    .boxed()
}

/// A search key nested at most `depth` levels.
pub fn search_key() -> BoxedStrategy<SearchKey<'static>> {
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Answered),
        Just(SearchKey::Deleted),
        Just(SearchKey::Draft),
        Just(SearchKey::Flagged),
        Just(SearchKey::New),
        Just(SearchKey::Old),
        Just(SearchKey::Recent),
        Just(SearchKey::Seen),
        Just(SearchKey::Unanswered),
        Just(SearchKey::Undeleted),
        Just(SearchKey::Undraft),
        Just(SearchKey::Unflagged),
        Just(SearchKey::Unseen),
        str_value().prop_map(SearchKey::Bcc),
        str_value().prop_map(SearchKey::Body),
        str_value().prop_map(SearchKey::Cc),
        str_value().prop_map(SearchKey::From),
        str_value().prop_map(SearchKey::Subject),
        str_value().prop_map(SearchKey::Text),
        str_value().prop_map(SearchKey::To),
        (str_value(), str_value()).prop_map(|(f, v)| SearchKey::Header(f, v)),
        keyword_atom().prop_map(SearchKey::Keyword),
        keyword_atom().prop_map(SearchKey::Unkeyword),
        date().prop_map(SearchKey::Before),
        date().prop_map(SearchKey::On),
        date().prop_map(SearchKey::Since),
        date().prop_map(SearchKey::SentBefore),
        date().prop_map(SearchKey::SentOn),
        date().prop_map(SearchKey::SentSince),
        modseq().prop_map(SearchKey::Larger),
        modseq().prop_map(SearchKey::Smaller),
        nz().prop_map(|n| SearchKey::Older(n.get())),
        nz().prop_map(|n| SearchKey::Younger(n.get())),
        date().prop_map(SearchKey::SavedBefore),
        date().prop_map(SearchKey::SavedOn),
        date().prop_map(SearchKey::SavedSince),
        Just(SearchKey::SaveDateSupported),
        sequence_set().prop_map(SearchKey::Uid),
        sequence_set().prop_map(SearchKey::SequenceSet),
        (
            proptest::option::of((
                str_value(),
                prop_oneof![
                    Just(EntryType::Private),
                    Just(EntryType::Shared),
                    Just(EntryType::All)
                ]
            )),
            modseq()
        )
            .prop_map(|(entry, modseq)| SearchKey::ModSeq { entry, modseq }),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..4).prop_map(SearchKey::And),
        ]
    })
    .boxed()
}

fn search_returns() -> BoxedStrategy<Option<Vec<SearchReturn>>> {
    proptest::option::of(vec(
        prop_oneof![
            Just(SearchReturn::Min),
            Just(SearchReturn::Max),
            Just(SearchReturn::All),
            Just(SearchReturn::Count),
            Just(SearchReturn::Save),
            Just(SearchReturn::Context),
            Just(SearchReturn::Update),
        ],
        0..4,
    ))
    .boxed()
}

fn search_commands() -> BoxedStrategy<CommandBody<'static>> {
    let criterion = (
        any::<bool>(),
        prop_oneof![
            Just(SortKey::Arrival),
            Just(SortKey::Cc),
            Just(SortKey::Date),
            Just(SortKey::From),
            Just(SortKey::Size),
            Just(SortKey::Subject),
            Just(SortKey::To),
            Just(SortKey::DisplayFrom),
            Just(SortKey::DisplayTo),
        ],
    )
        .prop_map(|(reverse, key)| SortCriterion { reverse, key });
    prop_oneof![
        (
            uid(),
            search_returns(),
            proptest::option::of(nonempty_str()),
            vec(search_key(), 1..4)
        )
            .prop_map(|(uid, returns, charset, criteria)| CommandBody::Search {
                uid,
                returns,
                charset,
                criteria,
            }),
        (
            uid(),
            search_returns(),
            vec(criterion, 1..4),
            str_value(),
            vec(search_key(), 1..3)
        )
            .prop_map(|(uid, returns, criteria, charset, search)| {
                CommandBody::Sort {
                    uid,
                    returns,
                    criteria,
                    charset,
                    search,
                }
            }),
        (uid(), atom(), str_value(), vec(search_key(), 1..3)).prop_map(
            |(uid, algorithm, charset, search)| CommandBody::Thread {
                uid,
                algorithm,
                charset,
                search,
            }
        ),
    ]
    .boxed()
}

fn quota_metadata_acl() -> BoxedStrategy<CommandBody<'static>> {
    let options = (
        proptest::option::of(any::<u32>()),
        proptest::option::of(prop_oneof![
            Just(MetadataDepth::Zero),
            Just(MetadataDepth::One),
            Just(MetadataDepth::Infinity),
        ]),
    )
        .prop_map(|(max_size, depth)| MetadataOptions { max_size, depth });
    prop_oneof![
        str_value().prop_map(CommandBody::GetQuota),
        mailbox().prop_map(CommandBody::GetQuotaRoot),
        (str_value(), vec((atom(), modseq()), 0..3))
            .prop_map(|(root, limits)| CommandBody::SetQuota { root, limits }),
        (options, mailbox(), vec(str_value(), 1..3)).prop_map(|(options, mailbox, entries)| {
            CommandBody::GetMetadata {
                options,
                mailbox,
                entries,
            }
        }),
        (
            mailbox(),
            vec(
                (
                    str_value(),
                    proptest::option::of(prop_oneof![
                        str_value(),
                        vec(any::<u8>(), 0..20).prop_map(Str::from),
                    ])
                ),
                1..3
            )
        )
            .prop_map(|(mailbox, entries)| CommandBody::SetMetadata { mailbox, entries }),
        (mailbox(), str_value(), str_value()).prop_map(|(mailbox, identifier, rights)| {
            CommandBody::SetAcl {
                mailbox,
                identifier,
                rights,
            }
        }),
        (mailbox(), str_value()).prop_map(|(mailbox, identifier)| CommandBody::DeleteAcl {
            mailbox,
            identifier
        }),
        mailbox().prop_map(CommandBody::GetAcl),
        (mailbox(), str_value()).prop_map(|(mailbox, identifier)| CommandBody::ListRights {
            mailbox,
            identifier
        }),
        mailbox().prop_map(CommandBody::MyRights),
        proptest::option::of(notify_set()).prop_map(CommandBody::Notify),
        vec(nonempty_str(), 1..3).prop_map(CommandBody::CancelUpdate),
    ]
    .boxed()
}

fn notify_set() -> BoxedStrategy<NotifySet<'static>> {
    let mailboxes = prop_oneof![
        Just(NotifyMailboxes::Selected),
        Just(NotifyMailboxes::SelectedDelayed),
        Just(NotifyMailboxes::Inboxes),
        Just(NotifyMailboxes::Personal),
        Just(NotifyMailboxes::Subscribed),
        vec(mailbox(), 1..3).prop_map(NotifyMailboxes::Subtree),
        vec(mailbox(), 1..3).prop_map(NotifyMailboxes::Mailboxes),
    ];
    let event = prop_oneof![
        vec(fetch_attribute(), 0..3).prop_map(NotifyEvent::MessageNew),
        Just(NotifyEvent::MessageExpunge),
        Just(NotifyEvent::FlagChange),
        Just(NotifyEvent::AnnotationChange),
        Just(NotifyEvent::MailboxName),
        Just(NotifyEvent::SubscriptionChange),
        Just(NotifyEvent::MailboxMetadataChange),
        Just(NotifyEvent::ServerMetadataChange),
        keyword_atom().prop_map(NotifyEvent::Other),
    ];
    let group = (mailboxes, proptest::option::of(vec(event, 1..3)))
        .prop_map(|(mailboxes, events)| NotifyGroup { mailboxes, events });
    (any::<bool>(), vec(group, 1..3))
        .prop_map(|(status, groups)| NotifySet { status, groups })
        .boxed()
}
