//! proptest strategies for responses: every variant of
//! `imap_proto::types::response`, within what the grammar can carry
//! unambiguously (the round-trip test documents the exclusions).
#![allow(dead_code)]

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_proto::types::body::{
    Address, BodyExtension, BodyStructure, Envelope, ExtensionTail, LanguageTail, LocationTail,
    MultiPartExtension, SingleKind, SinglePart, SinglePartExtension,
};
use imap_proto::types::capability::Capability;
use imap_proto::types::code::{Code, SimpleCode};
use imap_proto::types::fetch::{Section, SectionText};
use imap_proto::types::list::{
    ListData, ListExtended, MailboxAttribute, StatusData, TaggedExtValue,
};
use imap_proto::types::response::{
    Continue, Data, ESearch, ESearchResult, FetchItem, MetadataEntries, NamespaceDesc,
    QuotaResource, Response, StatusKind, StatusResponse, Thread,
};
use imap_proto::types::status::StatusValue;
use imap_proto::{Atom, Str};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::strategies as s;

/// `number64`: 63 bits.
pub(crate) fn n64() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..100_000, 1 => 0..=i64::MAX as u64]
}

/// Text of a status response: printable, some UTF-8, no CR or LF.
pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ -~]{0,30}",
        1 => "[ -~é€]{0,10}",
    ]
}

/// A text that cannot be read as opening with a code.
pub(crate) fn text_no_code() -> impl Strategy<Value = String> {
    text().prop_filter("[ would open a code", |t| !t.starts_with('['))
}

pub(crate) fn is_base64(t: &str) -> bool {
    let b = t.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&x| x == b'=').count();
    pad <= 2
        && b[..b.len() - pad]
            .iter()
            .all(|&x| x.is_ascii_alphanumeric() || x == b'+' || x == b'/')
}

pub(crate) fn simple_capability() -> impl Strategy<Value = Capability<'static>> {
    prop::sample::select(vec![
        Capability::Imap4Rev1,
        Capability::Imap4Rev2,
        Capability::StartTls,
        Capability::LoginDisabled,
        Capability::Idle,
        Capability::UidPlus,
        Capability::Move,
        Capability::LiteralPlus,
        Capability::LiteralMinus,
        Capability::Enable,
        Capability::Namespace,
        Capability::Id,
        Capability::SpecialUse,
        Capability::CreateSpecialUse,
        Capability::ListExtended,
        Capability::ListStatus,
        Capability::Children,
        Capability::Unselect,
        Capability::SaslIr,
        Capability::ESearch,
        Capability::SearchRes,
        Capability::CondStore,
        Capability::QResync,
        Capability::Quota,
        Capability::QuotaSet,
        Capability::StatusSize,
        Capability::Binary,
        Capability::Utf8Accept,
        Capability::Utf8Only,
        Capability::MultiAppend,
        Capability::AppendLimit(None),
        Capability::Sort,
        Capability::SortDisplay,
        Capability::Unauthenticate,
        Capability::Metadata,
        Capability::MetadataServer,
    ])
}

pub(crate) fn capability() -> BoxedStrategy<Capability<'static>> {
    prop_oneof![
        4 => simple_capability(),
        1 => s::atom().prop_map(Capability::Auth),
        1 => s::atom().prop_map(Capability::QuotaRes),
        1 => s::atom().prop_map(Capability::Compress),
        1 => s::atom().prop_map(Capability::Thread),
        1 => n64().prop_map(|n| Capability::AppendLimit(Some(n))),
        1 => s::keyword_atom().prop_map(Capability::Other),
    ]
    .boxed()
}

pub(crate) fn simple_code() -> impl Strategy<Value = SimpleCode> {
    prop::sample::select(vec![
        SimpleCode::Unavailable,
        SimpleCode::AuthenticationFailed,
        SimpleCode::AuthorizationFailed,
        SimpleCode::Expired,
        SimpleCode::PrivacyRequired,
        SimpleCode::ContactAdmin,
        SimpleCode::NoPerm,
        SimpleCode::InUse,
        SimpleCode::ExpungeIssued,
        SimpleCode::Corruption,
        SimpleCode::ServerBug,
        SimpleCode::ClientBug,
        SimpleCode::Cannot,
        SimpleCode::Limit,
        SimpleCode::OverQuota,
        SimpleCode::AlreadyExists,
        SimpleCode::NonExistent,
        SimpleCode::HasChildren,
        SimpleCode::NotSaved,
    ])
}

pub(crate) fn code() -> BoxedStrategy<Code<'static>> {
    prop_oneof![
        Just(Code::Alert),
        vec(s::str_value(), 0..3).prop_map(Code::BadCharset),
        vec(capability(), 0..4).prop_map(Code::Capability),
        Just(Code::Parse),
        vec(s::flag_perm(), 0..4).prop_map(Code::PermanentFlags),
        Just(Code::ReadOnly),
        Just(Code::ReadWrite),
        Just(Code::TryCreate),
        s::nz().prop_map(Code::UidNext),
        s::nz().prop_map(Code::UidValidity),
        s::nz().prop_map(Code::Unseen),
        (s::nz(), s::sequence_set())
            .prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (s::nz(), s::sequence_set(), s::sequence_set()).prop_map(
            |(uid_validity, source, destination)| Code::CopyUid {
                uid_validity,
                source,
                destination
            }
        ),
        Just(Code::UidNotSticky),
        Just(Code::Closed),
        n64().prop_map(Code::HighestModSeq),
        Just(Code::NoModSeq),
        s::sequence_set().prop_map(Code::Modified),
        Just(Code::CompressionActive),
        any::<u32>().prop_map(Code::MetadataLongEntries),
        any::<u32>().prop_map(Code::MetadataMaxSize),
        Just(Code::MetadataTooMany),
        Just(Code::MetadataNoPrivate),
        Just(Code::TooBig),
        Just(Code::UnknownCte),
        simple_code().prop_map(Code::Simple),
        (
            s::keyword_atom(),
            option::of("[ -\\\\^-~]{0,12}".prop_map(Str::from))
        )
            .prop_map(|(a, t)| Code::Other(a, t)),
    ]
    .boxed()
}

pub(crate) fn status_response() -> BoxedStrategy<StatusResponse<'static>> {
    let kind = prop::sample::select(vec![
        StatusKind::Ok,
        StatusKind::No,
        StatusKind::Bad,
        StatusKind::PreAuth,
        StatusKind::Bye,
    ]);
    (
        kind,
        option::of(s::tag()),
        option::of(code()),
        text(),
        text_no_code(),
    )
        .prop_map(|(kind, tag, code, text, plain)| {
            let tagged = matches!(kind, StatusKind::Ok | StatusKind::No | StatusKind::Bad);
            let text = if code.is_some() { text } else { plain };
            StatusResponse {
                tag: tag.filter(|_| tagged),
                kind,
                code,
                text: Cow::Owned(text),
            }
        })
        .boxed()
}

pub(crate) fn continuation() -> BoxedStrategy<Continue<'static>> {
    prop_oneof![
        (code(), text()).prop_map(|(c, t)| Continue::Text {
            code: Some(c),
            text: Cow::Owned(t)
        }),
        text_no_code()
            .prop_filter("base64 reads back as base64", |t| !is_base64(t))
            .prop_map(|t| Continue::Text {
                code: None,
                text: Cow::Owned(t)
            }),
        "([A-Za-z0-9+/]{4}){0,6}([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
            .prop_map(|b| Continue::Base64(Cow::Owned(b.into_bytes()))),
    ]
    .boxed()
}

pub(crate) fn mailbox_attribute() -> impl Strategy<Value = MailboxAttribute<'static>> {
    prop_oneof![
        4 => prop::sample::select(vec![
            MailboxAttribute::NoInferiors,
            MailboxAttribute::NoSelect,
            MailboxAttribute::Marked,
            MailboxAttribute::Unmarked,
            MailboxAttribute::NonExistent,
            MailboxAttribute::Subscribed,
            MailboxAttribute::Remote,
            MailboxAttribute::HasChildren,
            MailboxAttribute::HasNoChildren,
            MailboxAttribute::All,
            MailboxAttribute::Archive,
            MailboxAttribute::Drafts,
            MailboxAttribute::Flagged,
            MailboxAttribute::Junk,
            MailboxAttribute::Sent,
            MailboxAttribute::Trash,
        ]),
        1 => s::keyword_atom().prop_map(MailboxAttribute::Extension),
    ]
}

pub(crate) fn delimiter() -> impl Strategy<Value = Option<u8>> {
    option::of(0x20u8..=0x7e)
}

pub(crate) fn tagged_ext_val() -> BoxedStrategy<TaggedExtValue<'static>> {
    let leaf = prop_oneof![
        s::str_value().prop_map(TaggedExtValue::Simple),
        s::sequence_set().prop_map(|set| {
            let mut out = bytes::BytesMut::new();
            let mut w = imap_proto::encode::Writer::new(
                &mut out,
                imap_proto::encode::EncodeOptions::default(),
                false,
            );
            w.sequence_set(&set);
            TaggedExtValue::Simple(Str::from(out.to_vec()))
        }),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        vec(inner, 0..4).prop_map(TaggedExtValue::List)
    })
    .boxed()
}

pub(crate) fn list_extended() -> BoxedStrategy<ListExtended<'static>> {
    prop_oneof![
        vec(s::str_value(), 0..3).prop_map(ListExtended::ChildInfo),
        s::mailbox().prop_map(ListExtended::OldName),
        (s::keyword_atom(), tagged_ext_val())
            .prop_map(|(t, v)| ListExtended::Other(Str::from(t.as_str().to_owned()), v)),
    ]
    .boxed()
}

pub(crate) fn list_data() -> BoxedStrategy<ListData<'static>> {
    (
        vec(mailbox_attribute(), 0..4),
        delimiter(),
        s::mailbox(),
        vec(list_extended(), 0..3),
    )
        .prop_map(|(attributes, delimiter, mailbox, extended)| ListData {
            attributes,
            delimiter,
            mailbox,
            extended,
        })
        .boxed()
}

pub(crate) fn status_value() -> BoxedStrategy<StatusValue> {
    prop_oneof![
        any::<u32>().prop_map(StatusValue::Messages),
        any::<u32>().prop_map(StatusValue::Recent),
        any::<u32>().prop_map(StatusValue::UidNext),
        any::<u32>().prop_map(StatusValue::UidValidity),
        any::<u32>().prop_map(StatusValue::Unseen),
        any::<u32>().prop_map(StatusValue::Deleted),
        n64().prop_map(StatusValue::Size),
        n64().prop_map(StatusValue::HighestModSeq),
        option::of(n64()).prop_map(StatusValue::AppendLimit),
        n64().prop_map(StatusValue::DeletedStorage),
    ]
    .boxed()
}

pub(crate) fn esearch_result() -> BoxedStrategy<ESearchResult<'static>> {
    prop_oneof![
        s::nz().prop_map(ESearchResult::Min),
        s::nz().prop_map(ESearchResult::Max),
        s::plain_sequence_set().prop_map(ESearchResult::All),
        any::<u32>().prop_map(ESearchResult::Count),
        n64().prop_map(ESearchResult::ModSeq),
        vec((any::<u32>(), s::plain_sequence_set()), 1..3).prop_map(ESearchResult::AddTo),
        vec((any::<u32>(), s::plain_sequence_set()), 1..3).prop_map(ESearchResult::RemoveFrom),
        (s::keyword_atom(), tagged_ext_val()).prop_map(|(n, v)| ESearchResult::Other(n, v)),
    ]
    .boxed()
}

pub(crate) fn thread() -> BoxedStrategy<Thread> {
    let leaf = vec(s::nz(), 1..4).prop_map(|chain| Thread {
        chain,
        branches: Vec::new(),
    });
    leaf.prop_recursive(4, 16, 3, |inner| {
        (vec(s::nz(), 0..3), vec(inner, 1..3))
            .prop_map(|(chain, branches)| Thread { chain, branches })
    })
    .boxed()
}

pub(crate) fn address() -> impl Strategy<Value = Address<'static>> {
    (s::nstring(), s::nstring(), s::nstring(), s::nstring()).prop_map(
        |(name, adl, mailbox, host)| Address {
            name,
            adl,
            mailbox,
            host,
        },
    )
}

pub(crate) fn envelope() -> BoxedStrategy<Envelope<'static>> {
    let addrs = || vec(address(), 0..3);
    (
        (s::nstring(), s::nstring(), addrs(), addrs(), addrs()),
        (addrs(), addrs(), addrs(), s::nstring(), s::nstring()),
    )
        .prop_map(
            |((date, subject, from, sender, reply_to), (to, cc, bcc, in_reply_to, message_id))| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
        .boxed()
}

pub(crate) fn params() -> impl Strategy<Value = Vec<(Str<'static>, Str<'static>)>> {
    vec((s::str_value(), s::str_value()), 0..3)
}

pub(crate) fn body_extension() -> BoxedStrategy<BodyExtension<'static>> {
    let leaf = prop_oneof![
        s::nstring().prop_map(BodyExtension::String),
        any::<u32>().prop_map(BodyExtension::Number),
    ];
    leaf.prop_recursive(3, 10, 3, |inner| {
        vec(inner, 1..4).prop_map(BodyExtension::List)
    })
    .boxed()
}

pub(crate) fn extension_tail() -> BoxedStrategy<Option<ExtensionTail<'static>>> {
    let location = option::of((s::nstring(), vec(body_extension(), 0..3)).prop_map(
        |(location, extensions)| LocationTail {
            location,
            extensions,
        },
    ));
    let language = option::of((vec(s::str_value(), 0..3), location).prop_map(
        |(languages, location)| LanguageTail {
            languages,
            location,
        },
    ));
    option::of((option::of((s::str_value(), params())), language).prop_map(
        |(disposition, language)| ExtensionTail {
            disposition,
            language,
        },
    ))
    .boxed()
}

fn basic_media_type() -> impl Strategy<Value = Str<'static>> {
    prop_oneof![
        3 => prop::sample::select(vec!["APPLICATION", "IMAGE", "AUDIO", "VIDEO", "MESSAGE", "application"])
            .prop_map(Str::from),
        1 => s::str_value().prop_filter("TEXT has lines", |t| !t.as_bytes().eq_ignore_ascii_case(b"TEXT")),
    ]
}

/// params, id, description, encoding, size.
type Fields = (
    Vec<(Str<'static>, Str<'static>)>,
    Option<Str<'static>>,
    Option<Str<'static>>,
    Str<'static>,
    u32,
);

fn single_fields() -> impl Strategy<Value = Fields> {
    (
        params(),
        s::nstring(),
        s::nstring(),
        prop_oneof![
            Just(Str::from("7BIT")),
            Just(Str::from("BASE64")),
            s::str_value()
        ],
        any::<u32>(),
    )
}

fn single_extension() -> impl Strategy<Value = Option<SinglePartExtension<'static>>> {
    option::of(
        (s::nstring(), extension_tail()).prop_map(|(md5, tail)| SinglePartExtension { md5, tail }),
    )
}

fn single(
    kind: SingleKind<'static>,
    fields: Fields,
    extension: Option<SinglePartExtension<'static>>,
) -> BodyStructure<'static> {
    let (params, id, description, encoding, size) = fields;
    BodyStructure::Single {
        body: SinglePart {
            kind,
            params,
            id,
            description,
            encoding,
            size,
        },
        extension,
    }
}

pub(crate) fn body_structure() -> BoxedStrategy<BodyStructure<'static>> {
    let basic = (
        basic_media_type(),
        s::str_value(),
        single_fields(),
        single_extension(),
    )
        .prop_map(|(media_type, subtype, fields, ext)| {
            single(
                SingleKind::Basic {
                    media_type,
                    subtype,
                },
                fields,
                ext,
            )
        });
    let text = (
        s::str_value(),
        any::<u32>(),
        single_fields(),
        single_extension(),
    )
        .prop_map(|(subtype, lines, fields, ext)| {
            single(SingleKind::Text { subtype, lines }, fields, ext)
        });
    let leaf = prop_oneof![basic, text];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let multi = (
            vec(inner.clone(), 1..4),
            s::str_value(),
            option::of(
                (params(), extension_tail())
                    .prop_map(|(params, tail)| MultiPartExtension { params, tail }),
            ),
        )
            .prop_map(|(parts, subtype, extension)| BodyStructure::Multi {
                parts,
                subtype,
                extension,
            });
        let message = (
            prop::sample::select(vec!["RFC822", "GLOBAL", "rfc822"]),
            envelope(),
            inner,
            any::<u32>(),
            single_fields(),
            single_extension(),
        )
            .prop_map(|(subtype, envelope, body, lines, fields, ext)| {
                single(
                    SingleKind::Message {
                        subtype: Str::from(subtype),
                        envelope: Box::new(envelope),
                        body: Box::new(body),
                        lines,
                    },
                    fields,
                    ext,
                )
            });
        prop_oneof![2 => multi, 1 => message]
    })
    .boxed()
}

pub(crate) fn section() -> BoxedStrategy<Section<'static>> {
    let names = || vec(s::str_value(), 1..3);
    (
        vec(s::nz(), 0..3),
        option::of(prop_oneof![
            Just(SectionText::Header),
            names().prop_map(SectionText::HeaderFields),
            names().prop_map(SectionText::HeaderFieldsNot),
            Just(SectionText::Text),
            Just(SectionText::Mime),
        ]),
    )
        .prop_map(|(part, text)| {
            // MIME names a part's header: only after part numbers.
            let text = text.filter(|t| *t != SectionText::Mime || !part.is_empty());
            Section { part, text }
        })
        .boxed()
}

/// Data that may hold NUL (BINARY, METADATA: literal8).
pub(crate) fn binary_nstring() -> impl Strategy<Value = Option<Str<'static>>> {
    prop_oneof![
        3 => s::nstring(),
        1 => vec(any::<u8>(), 0..40).prop_map(|b| Some(Str::from(b))),
    ]
}

pub(crate) fn fetch_item() -> BoxedStrategy<FetchItem<'static>> {
    prop_oneof![
        vec(s::fetch_flag(), 0..4).prop_map(FetchItem::Flags),
        envelope().prop_map(|e| FetchItem::Envelope(Box::new(e))),
        s::date_time().prop_map(FetchItem::InternalDate),
        n64().prop_map(FetchItem::Rfc822Size),
        s::nz().prop_map(FetchItem::Uid),
        n64().prop_map(FetchItem::ModSeq),
        body_structure().prop_map(|b| FetchItem::Body(Box::new(b))),
        body_structure().prop_map(|b| FetchItem::BodyStructure(Box::new(b))),
        (section(), option::of(any::<u32>()), s::nstring()).prop_map(|(section, origin, data)| {
            FetchItem::BodySection {
                section,
                origin,
                data,
            }
        }),
        (
            vec(s::nz(), 0..3),
            option::of(any::<u32>()),
            binary_nstring()
        )
            .prop_map(|(part, origin, data)| FetchItem::Binary { part, origin, data }),
        (vec(s::nz(), 0..3), n64()).prop_map(|(part, size)| FetchItem::BinarySize { part, size }),
        s::nstring().prop_map(FetchItem::Rfc822),
        s::nstring().prop_map(FetchItem::Rfc822Header),
        s::nstring().prop_map(FetchItem::Rfc822Text),
        option::of(s::date_time()).prop_map(FetchItem::SaveDate),
        s::nstring().prop_map(FetchItem::Preview),
        (s::keyword_atom(), tagged_ext_val())
            .prop_map(|(name, value)| FetchItem::Other { name, value }),
    ]
    .boxed()
}

pub(crate) fn namespace_desc() -> BoxedStrategy<NamespaceDesc<'static>> {
    (
        s::str_value(),
        delimiter(),
        vec((s::str_value(), vec(s::str_value(), 0..3)), 0..2),
    )
        .prop_map(|(prefix, delimiter, extensions)| NamespaceDesc {
            prefix,
            delimiter,
            extensions,
        })
        .boxed()
}

pub(crate) fn data() -> BoxedStrategy<Data<'static>> {
    let numbers = || (vec(s::nz(), 0..6), option::of(n64()));
    prop_oneof![
        vec(capability(), 0..6).prop_map(Data::Capability),
        vec(s::atom(), 0..4).prop_map(Data::Enabled),
        list_data().prop_map(Data::List),
        list_data().prop_map(Data::Lsub),
        (s::mailbox(), vec(status_value(), 0..5))
            .prop_map(|(mailbox, items)| Data::Status(StatusData { mailbox, items })),
        numbers().prop_map(|(numbers, modseq)| Data::Search { numbers, modseq }),
        (
            option::of(s::tag()),
            any::<bool>(),
            vec(esearch_result(), 0..4)
        )
            .prop_map(|(tag, uid, results)| Data::ESearch(ESearch { tag, uid, results })),
        numbers().prop_map(|(numbers, modseq)| Data::Sort { numbers, modseq }),
        vec(thread(), 0..4).prop_map(Data::Thread),
        vec(s::fetch_flag(), 0..5).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        s::nz().prop_map(Data::Expunge),
        (any::<bool>(), s::plain_sequence_set())
            .prop_map(|(earlier, uids)| Data::Vanished { earlier, uids }),
        (s::nz(), vec(fetch_item(), 1..5)).prop_map(|(seq, items)| Data::Fetch { seq, items }),
        (
            vec(namespace_desc(), 0..3),
            vec(namespace_desc(), 0..2),
            vec(namespace_desc(), 0..2)
        )
            .prop_map(|(personal, other, shared)| Data::Namespace {
                personal,
                other,
                shared
            }),
        option::of(vec((s::str_value(), s::nstring()), 0..4)).prop_map(Data::Id),
        (
            s::str_value(),
            vec(
                (s::atom(), n64(), n64()).prop_map(|(name, usage, limit)| QuotaResource {
                    name,
                    usage,
                    limit
                }),
                0..3
            )
        )
            .prop_map(|(root, resources)| Data::Quota { root, resources }),
        (s::mailbox(), vec(s::str_value(), 0..3))
            .prop_map(|(mailbox, roots)| Data::QuotaRoot { mailbox, roots }),
        (
            s::mailbox(),
            prop_oneof![
                vec((s::str_value(), binary_nstring()), 0..3).prop_map(MetadataEntries::Values),
                vec(s::str_value(), 1..3).prop_map(MetadataEntries::Names),
            ]
        )
            .prop_map(|(mailbox, entries)| Data::Metadata { mailbox, entries }),
        (s::mailbox(), vec((s::str_value(), s::str_value()), 0..3))
            .prop_map(|(mailbox, entries)| Data::Acl { mailbox, entries }),
        (
            s::mailbox(),
            s::str_value(),
            s::str_value(),
            vec(s::str_value(), 0..3)
        )
            .prop_map(
                |(mailbox, identifier, required, optional)| Data::ListRights {
                    mailbox,
                    identifier,
                    required,
                    optional,
                }
            ),
        (s::mailbox(), s::str_value())
            .prop_map(|(mailbox, rights)| Data::MyRights { mailbox, rights }),
        (s::keyword_atom(), vec(any::<u8>(), 0..30)).prop_map(|(name, mut text)| {
            // The rest of a line, which no literal ends.
            text.retain(|&b| b != b'\r' && b != b'\n');
            while text.last() == Some(&b'}') {
                text.pop();
            }
            Data::Other {
                name,
                text: std::borrow::Cow::Owned(text),
            }
        }),
    ]
    .boxed()
}

pub(crate) fn response() -> BoxedStrategy<Response<'static>> {
    prop_oneof![
        2 => status_response().prop_map(Response::Status),
        1 => continuation().prop_map(Response::Continue),
        4 => data().prop_map(Response::Data),
    ]
    .boxed()
}

/// A non-zero number (for tests that build values by hand).
pub(crate) fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("non-zero")
}

/// An atom (for tests that build values by hand).
pub(crate) fn atom(a: &'static str) -> Atom<'static> {
    Atom::new(a).expect("atom")
}
