//! Commands into bytes (client side).
//!
//! Each value is written in the form the parser reads back to the same
//! value: keywords in upper case, strings as atoms, quoted strings or
//! literals as their bytes allow, one FETCH attribute or LIST pattern
//! bare and several in parentheses, STORE's flags always parenthesised.

#[path = "command_fetch.rs"]
mod fetch;
#[path = "command_notify.rs"]
mod notify;
#[path = "command_search.rs"]
mod search;

use bytes::BytesMut;

use super::writer::{EncodeOptions, Writer};
use crate::types::command::{
    AppendMessage, CatenatePart, Command, CommandBody, MetadataDepth, MetadataOptions, SelectParams,
};
use crate::types::flag::StoreMode;
use crate::types::list::{ListReturn, ListSelect};
use crate::types::mailbox::Mailbox;
use crate::types::status::StatusItem;

/// Appends `command` to `out`, CRLF included, and returns the offsets in
/// `out` right after each synchronising literal's announcement: a client
/// sends up to there, then waits for the server's continuation request
/// (none with [`crate::encode::LiteralMode::NonSync`]).
///
/// ```
/// use bytes::BytesMut;
/// use imap_proto::encode::{EncodeOptions, command};
/// use imap_proto::types::command::{Command, CommandBody};
/// use imap_proto::{Str, Tag};
/// let login = Command {
///     tag: Tag::new("a1").unwrap(),
///     body: CommandBody::Login {
///         username: Str::from("alice"),
///         password: Str::from("line\r\nbreak"),
///     },
/// };
/// let mut out = BytesMut::new();
/// let breaks = command(&login, EncodeOptions::default(), &mut out);
/// assert_eq!(&out[..], b"a1 LOGIN alice {11}\r\nline\r\nbreak\r\n");
/// assert_eq!(breaks, [21]);
/// ```
pub fn command(command: &Command<'_>, options: EncodeOptions, out: &mut BytesMut) -> Vec<usize> {
    let mut w = Writer::new(out, options, true);
    w.tag(&command.tag);
    w.sp();
    body(&mut w, &command.body);
    w.crlf();
    w.literal_breaks().to_vec()
}

fn body(w: &mut Writer<'_>, body: &CommandBody<'_>) {
    match body {
        CommandBody::Capability => w.raw(b"CAPABILITY"),
        CommandBody::Noop => w.raw(b"NOOP"),
        CommandBody::Logout => w.raw(b"LOGOUT"),
        CommandBody::StartTls => w.raw(b"STARTTLS"),
        CommandBody::Idle => w.raw(b"IDLE"),
        CommandBody::Check => w.raw(b"CHECK"),
        CommandBody::Close => w.raw(b"CLOSE"),
        CommandBody::Unselect => w.raw(b"UNSELECT"),
        CommandBody::Expunge => w.raw(b"EXPUNGE"),
        CommandBody::Namespace => w.raw(b"NAMESPACE"),
        CommandBody::Unauthenticate => w.raw(b"UNAUTHENTICATE"),
        CommandBody::Id(params) => {
            w.raw(b"ID ");
            match params {
                None => w.raw(b"NIL"),
                Some(params) => w.paren_list(params, |w, (key, value)| {
                    w.string(key);
                    w.sp();
                    w.nstring(value);
                }),
            }
        }
        CommandBody::Enable(capabilities) => {
            w.raw(b"ENABLE ");
            w.list(capabilities, |w, a| w.atom(a));
        }
        CommandBody::Compress(mechanism) => {
            w.raw(b"COMPRESS ");
            w.atom(mechanism);
        }
        CommandBody::Authenticate {
            mechanism,
            initial_response,
        } => {
            w.raw(b"AUTHENTICATE ");
            w.atom(mechanism);
            if let Some(initial) = initial_response {
                w.sp();
                w.raw(initial);
            }
        }
        CommandBody::Login { username, password } => {
            w.raw(b"LOGIN ");
            w.astring(username);
            w.sp();
            w.astring(password);
        }
        CommandBody::Select { mailbox, params } => {
            w.raw(b"SELECT ");
            w.mailbox(mailbox);
            select_params(w, params);
        }
        CommandBody::Examine { mailbox, params } => {
            w.raw(b"EXAMINE ");
            w.mailbox(mailbox);
            select_params(w, params);
        }
        CommandBody::Create {
            mailbox,
            special_use,
        } => {
            w.raw(b"CREATE ");
            w.mailbox(mailbox);
            if !special_use.is_empty() {
                w.raw(b" (USE ");
                w.paren_list(special_use, |w, a| {
                    w.raw(b"\\");
                    w.atom(a);
                });
                w.raw(b")");
            }
        }
        CommandBody::Delete(mailbox) => named(w, b"DELETE", mailbox),
        CommandBody::Rename { from, to } => {
            w.raw(b"RENAME ");
            w.mailbox(from);
            w.sp();
            w.mailbox(to);
        }
        CommandBody::Subscribe(mailbox) => named(w, b"SUBSCRIBE", mailbox),
        CommandBody::Unsubscribe(mailbox) => named(w, b"UNSUBSCRIBE", mailbox),
        CommandBody::List {
            select,
            reference,
            patterns,
            returns,
        } => {
            w.raw(b"LIST ");
            if !select.is_empty() {
                w.paren_list(select, list_select);
                w.sp();
            }
            w.mailbox(reference);
            w.sp();
            match patterns.as_slice() {
                [one] => w.list_mailbox(one),
                several => w.paren_list(several, |w, p| w.list_mailbox(p)),
            }
            if let Some(returns) = returns {
                w.raw(b" RETURN ");
                w.paren_list(returns, list_return);
            }
        }
        CommandBody::Lsub { reference, pattern } => {
            w.raw(b"LSUB ");
            w.mailbox(reference);
            w.sp();
            w.list_mailbox(pattern);
        }
        CommandBody::Status { mailbox, items } => {
            w.raw(b"STATUS ");
            w.mailbox(mailbox);
            w.sp();
            status_items(w, items);
        }
        CommandBody::Append { mailbox, messages } => {
            w.raw(b"APPEND ");
            w.mailbox(mailbox);
            for message in messages {
                w.sp();
                append_message(w, message);
            }
        }
        CommandBody::UidExpunge(set) => {
            w.raw(b"UID EXPUNGE ");
            w.sequence_set(set);
        }
        CommandBody::Search {
            uid,
            returns,
            charset,
            criteria,
        } => {
            w.raw(if *uid { b"UID SEARCH" } else { b"SEARCH" });
            search::returns(w, returns.as_deref());
            if let Some(charset) = charset {
                w.raw(b" CHARSET ");
                w.astring(charset);
            }
            w.sp();
            search::keys(w, criteria);
        }
        CommandBody::Fetch {
            uid,
            set,
            attributes,
            modifiers,
        } => {
            w.raw(if *uid { b"UID FETCH " } else { b"FETCH " });
            w.sequence_set(set);
            w.sp();
            fetch::attributes(w, attributes);
            fetch::modifiers(w, modifiers);
        }
        CommandBody::Store {
            uid,
            set,
            unchanged_since,
            mode,
            silent,
            flags,
        } => {
            w.raw(if *uid { b"UID STORE " } else { b"STORE " });
            w.sequence_set(set);
            if let Some(modseq) = unchanged_since {
                w.raw(b" (UNCHANGEDSINCE ");
                w.number(*modseq);
                w.raw(b")");
            }
            w.raw(match mode {
                StoreMode::Replace => b" FLAGS",
                StoreMode::Add => b" +FLAGS",
                StoreMode::Remove => b" -FLAGS",
            });
            if *silent {
                w.raw(b".SILENT");
            }
            w.sp();
            w.paren_list(flags, |w, f| w.flag(f));
        }
        CommandBody::Copy { uid, set, mailbox } => {
            w.raw(if *uid { b"UID COPY " } else { b"COPY " });
            w.sequence_set(set);
            w.sp();
            w.mailbox(mailbox);
        }
        CommandBody::Move { uid, set, mailbox } => {
            w.raw(if *uid { b"UID MOVE " } else { b"MOVE " });
            w.sequence_set(set);
            w.sp();
            w.mailbox(mailbox);
        }
        CommandBody::Sort {
            uid,
            returns,
            criteria,
            charset,
            search,
        } => {
            w.raw(if *uid { b"UID SORT" } else { b"SORT" });
            search::returns(w, returns.as_deref());
            w.sp();
            search::sort_criteria(w, criteria);
            w.sp();
            w.astring(charset);
            w.sp();
            search::keys(w, search);
        }
        CommandBody::Thread {
            uid,
            algorithm,
            charset,
            search,
        } => {
            w.raw(if *uid { b"UID THREAD " } else { b"THREAD " });
            w.atom(algorithm);
            w.sp();
            w.astring(charset);
            w.sp();
            search::keys(w, search);
        }
        CommandBody::GetQuota(root) => {
            w.raw(b"GETQUOTA ");
            w.astring(root);
        }
        CommandBody::GetQuotaRoot(mailbox) => named(w, b"GETQUOTAROOT", mailbox),
        CommandBody::SetQuota { root, limits } => {
            w.raw(b"SETQUOTA ");
            w.astring(root);
            w.sp();
            w.paren_list(limits, |w, (resource, limit)| {
                w.atom(resource);
                w.sp();
                w.number(*limit);
            });
        }
        CommandBody::GetMetadata {
            options,
            mailbox,
            entries,
        } => {
            w.raw(b"GETMETADATA ");
            metadata_options(w, options);
            w.mailbox(mailbox);
            w.sp();
            match entries.as_slice() {
                [one] => w.astring(one),
                several => w.paren_list(several, |w, e| w.astring(e)),
            }
        }
        CommandBody::SetMetadata { mailbox, entries } => {
            w.raw(b"SETMETADATA ");
            w.mailbox(mailbox);
            w.sp();
            w.paren_list(entries, |w, (entry, value)| {
                w.astring(entry);
                w.sp();
                match value {
                    // Values may hold NUL: only literal8 carries it.
                    Some(v) if v.as_bytes().contains(&0) => w.literal(v.as_bytes(), true),
                    _ => w.nstring(value),
                }
            });
        }
        CommandBody::SetAcl {
            mailbox,
            identifier,
            rights,
        } => {
            w.raw(b"SETACL ");
            w.mailbox(mailbox);
            w.sp();
            w.astring(identifier);
            w.sp();
            w.astring(rights);
        }
        CommandBody::DeleteAcl {
            mailbox,
            identifier,
        } => {
            named(w, b"DELETEACL", mailbox);
            w.sp();
            w.astring(identifier);
        }
        CommandBody::GetAcl(mailbox) => named(w, b"GETACL", mailbox),
        CommandBody::ListRights {
            mailbox,
            identifier,
        } => {
            named(w, b"LISTRIGHTS", mailbox);
            w.sp();
            w.astring(identifier);
        }
        CommandBody::MyRights(mailbox) => named(w, b"MYRIGHTS", mailbox),
        CommandBody::Notify(set) => {
            w.raw(b"NOTIFY ");
            match set {
                None => w.raw(b"NONE"),
                Some(set) => notify::set(w, set),
            }
        }
        CommandBody::CancelUpdate(tags) => {
            w.raw(b"CANCELUPDATE ");
            w.list(tags, |w, t| w.string(t));
        }
        CommandBody::Experimental { name, arguments } => {
            w.atom(name);
            if !arguments.is_empty() {
                w.sp();
                w.raw(arguments);
            }
        }
    }
}

/// `word SP mailbox`.
fn named(w: &mut Writer<'_>, word: &[u8], mailbox: &Mailbox<'_>) {
    w.raw(word);
    w.sp();
    w.mailbox(mailbox);
}

fn select_params(w: &mut Writer<'_>, params: &SelectParams) {
    match (params.condstore, &params.qresync) {
        (false, None) => {}
        (true, None) => w.raw(b" (CONDSTORE)"),
        (condstore, Some(q)) => {
            w.raw(if condstore {
                b" (CONDSTORE QRESYNC ("
            } else {
                b" (QRESYNC ("
            });
            w.number(u64::from(q.uid_validity));
            w.sp();
            w.number(q.mod_seq);
            if let Some(known) = &q.known_uids {
                w.sp();
                w.sequence_set(known);
            }
            if let Some((seqs, uids)) = &q.seq_match {
                w.raw(b" (");
                w.sequence_set(seqs);
                w.sp();
                w.sequence_set(uids);
                w.raw(b")");
            }
            w.raw(b"))");
        }
    }
}

fn list_select(w: &mut Writer<'_>, option: &ListSelect<'_>) {
    match option {
        ListSelect::Subscribed => w.raw(b"SUBSCRIBED"),
        ListSelect::Remote => w.raw(b"REMOTE"),
        ListSelect::RecursiveMatch => w.raw(b"RECURSIVEMATCH"),
        ListSelect::SpecialUse => w.raw(b"SPECIAL-USE"),
        ListSelect::Other(a) => w.atom(a),
    }
}

fn list_return(w: &mut Writer<'_>, option: &ListReturn<'_>) {
    match option {
        ListReturn::Subscribed => w.raw(b"SUBSCRIBED"),
        ListReturn::Children => w.raw(b"CHILDREN"),
        ListReturn::SpecialUse => w.raw(b"SPECIAL-USE"),
        ListReturn::Status(items) => {
            w.raw(b"STATUS ");
            status_items(w, items);
        }
        ListReturn::Other(a) => w.atom(a),
    }
}

fn status_items(w: &mut Writer<'_>, items: &[StatusItem]) {
    w.paren_list(items, |w, item| w.raw(item.name().as_bytes()));
}

fn append_message(w: &mut Writer<'_>, message: &AppendMessage<'_>) {
    if !message.flags.is_empty() {
        w.paren_list(&message.flags, |w, f| w.flag(f));
        w.sp();
    }
    if let Some(date) = message.date {
        w.date_time(date);
        w.sp();
    }
    if message.utf8 {
        w.raw(b"UTF8 (");
        w.literal(&message.data, true);
        w.raw(b")");
        return;
    }
    if message.catenate.is_empty() {
        w.literal(&message.data, message.binary);
        return;
    }
    w.raw(b"CATENATE ");
    w.paren_list(&message.catenate, |w, part| match part {
        CatenatePart::Url(url) => {
            w.raw(b"URL ");
            w.astring(url);
        }
        CatenatePart::Text { data, binary } => {
            w.raw(b"TEXT ");
            w.literal(data, *binary);
        }
    });
}

fn metadata_options(w: &mut Writer<'_>, options: &MetadataOptions) {
    if options.max_size.is_none() && options.depth.is_none() {
        return;
    }
    w.raw(b"(");
    if let Some(max) = options.max_size {
        w.raw(b"MAXSIZE ");
        w.number(u64::from(max));
        if options.depth.is_some() {
            w.sp();
        }
    }
    if let Some(depth) = options.depth {
        w.raw(match depth {
            MetadataDepth::Zero => b"DEPTH 0",
            MetadataDepth::One => b"DEPTH 1",
            MetadataDepth::Infinity => b"DEPTH infinity",
        });
    }
    w.raw(b") ");
}
