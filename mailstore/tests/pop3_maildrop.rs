//! POP3 maildrops on the store: every scenario runs on the memory store
//! and on the Maildir store, then a few that only Maildir has (Dovecot's
//! files, messages dropped in by other programs).

#[path = "../../pop3-proto/tests/support/content_model.rs"]
mod content_model;
use content_model::canonical;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mailstore::directory::{Directory, MemoryDirectory, User};
use mailstore::pop3::{InboxMaildrop, Pop3Maildrops, Pop3Options, unique_id};
use mailstore::store::maildir_store::MaildirStore;
use mailstore::store::memory::MemoryStore;
use mailstore::store::{AppendOptions, Flags, Mailbox, Store, Transaction};
use pop3_proto::adapter::{Backend, Maildrop, OpenError, RetrieveOptions};
use tokio::io::AsyncReadExt;

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";

/// A temporary directory under the target's tmp dir, removed on drop.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "pop3-maildrop-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Memory,
    Maildir,
}

/// A store with alice and bob (and carol, disabled) in a directory.
struct Env {
    store: Arc<dyn Store>,
    directory: Directory,
    dir: Option<TempDir>,
}

impl Env {
    fn new(kind: Kind) -> Env {
        let users = MemoryDirectory::new();
        users.add_domain("example.org");
        users.add_user(User::new(ALICE));
        users.add_user(User::new(BOB));
        let mut carol = User::new(CAROL);
        carol.enabled = false;
        users.add_user(carol);
        let (store, dir): (Arc<dyn Store>, _) = match kind {
            Kind::Memory => (Arc::new(MemoryStore::new()), None),
            Kind::Maildir => {
                let dir = TempDir::new();
                (Arc::new(MaildirStore::new(&dir.0)), Some(dir))
            }
        };
        Env {
            store,
            directory: Directory::new(users),
            dir,
        }
    }

    fn pop3(&self) -> Pop3Maildrops {
        Pop3Maildrops::new(self.directory.clone(), self.store.clone())
    }

    fn pop3_with(&self, options: Pop3Options) -> Pop3Maildrops {
        Pop3Maildrops::with_options(self.directory.clone(), self.store.clone(), options)
    }

    /// Delivers `bytes` to `user`'s INBOX, as LMTP does.
    async fn deliver(&self, user: &str, bytes: &[u8]) {
        let account = self.store.account(&User::new(user)).await.unwrap();
        let mut writer = account.begin_append().await.unwrap();
        writer.write(bytes).await.unwrap();
        let staged = writer.finish().await.unwrap();
        account
            .deliver("INBOX", staged, AppendOptions::default())
            .await
            .unwrap();
    }

    /// An IMAP-like view of `user`'s INBOX.
    async fn inbox(&self, user: &str) -> Box<dyn Mailbox> {
        let account = self.store.account(&User::new(user)).await.unwrap();
        account.open("INBOX").await.unwrap()
    }

    /// The UIDs in `user`'s INBOX now.
    async fn uids(&self, user: &str) -> Vec<u32> {
        let inbox = self.inbox(user).await;
        inbox.messages().iter().map(|m| m.uid).collect()
    }
}

fn identity(login: &str) -> sasl::Identity {
    sasl::Identity {
        authentication_id: login.to_owned(),
        requested_authorization_id: None,
        trace: None,
    }
}

async fn open(pop3: &Pop3Maildrops, login: &str) -> InboxMaildrop {
    match pop3.open(&identity(login)).await {
        Ok(maildrop) => maildrop,
        Err(e) => panic!("opening {login}: {e:?}"),
    }
}

async fn retrieve(maildrop: &mut InboxMaildrop, index: usize, top: Option<u64>) -> Vec<u8> {
    let mut options = RetrieveOptions::default();
    options.top_lines = top;
    let mut stream = maildrop.retrieve(index, &options).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    bytes
}

fn uidls(maildrop: &InboxMaildrop) -> Vec<String> {
    maildrop
        .messages()
        .iter()
        .map(|m| m.unique_id.as_str().to_owned())
        .collect()
}

/// Runs `case` on a fresh store of `kind`, on a current-thread runtime
/// with a time limit.
fn run<C, F>(kind: Kind, case: C)
where
    C: FnOnce(Env) -> F,
    F: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), case(Env::new(kind)))
            .await
            .expect("the case hung");
    });
}

macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(#[test]
            fn $case() {
                super::run(super::Kind::Memory, super::$case);
            })*
        }
        mod maildir {
            $(#[test]
            fn $case() {
                super::run(super::Kind::Maildir, super::$case);
            })*
        }
    };
}

on_both_stores!(
    lists_every_message_with_its_exact_size,
    fast_size_lookups_list_what_the_store_knows,
    uidls_are_stable_across_sessions_and_deliveries,
    retrieve_returns_the_bytes_exactly,
    lines_beginning_with_a_dot_are_unchanged,
    commit_expunges_only_the_chosen_messages_at_once,
    commit_tolerates_messages_expunged_meanwhile,
    dropping_without_commit_deletes_nothing,
    a_second_session_is_refused_until_the_first_is_dropped,
    a_lost_connection_releases_the_lock,
    unknown_and_disabled_users_cannot_open,
    retrieved_messages_are_marked_seen_at_quit,
    an_empty_maildrop,
);

const CRLF_1: &[u8] = b"From: a@example.org\r\nSubject: one\r\n\r\nFirst.\r\n";
const CRLF_2: &[u8] = b"From: b@example.org\r\nSubject: two\r\n\r\nSecond,\r\nlonger.\r\n";
const BARE_LF: &[u8] = b"From: c@example.org\nSubject: lf\n\nbare\nline ends\n";
const MIXED: &[u8] = b"Subject: mixed\r\n\nhalf\r\nand half\n";

async fn lists_every_message_with_its_exact_size(env: Env) {
    for message in [CRLF_1, BARE_LF, CRLF_2, MIXED] {
        env.deliver(ALICE, message).await;
    }
    env.deliver(BOB, CRLF_2).await;
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, ALICE).await;
    let sizes: Vec<u64> = maildrop.messages().iter().map(|m| m.size).collect();
    assert_eq!(
        sizes,
        [
            CRLF_1.len() as u64,
            BARE_LF.len() as u64 + 5,
            CRLF_2.len() as u64,
            MIXED.len() as u64 + 2,
        ]
    );
    for (index, message) in [CRLF_1, BARE_LF, CRLF_2, MIXED].into_iter().enumerate() {
        // The content as stored; the adapter sends it in its CRLF form,
        // which is as long as listed.
        let sent = retrieve(&mut maildrop, index, None).await;
        assert_eq!(sent, message);
        assert_eq!(
            canonical(&sent).len() as u64,
            sizes[index],
            "message {}",
            index + 1
        );
    }
    drop(maildrop);

    // Again, from the sizes remembered by the first session.
    let again = open(&pop3, ALICE).await;
    let listed: Vec<u64> = again.messages().iter().map(|m| m.size).collect();
    assert_eq!(listed, sizes);
    // Each user sees their own INBOX.
    let bob = open(&pop3, BOB).await;
    assert_eq!(bob.messages().len(), 1);
    assert_eq!(bob.messages()[0].size, CRLF_2.len() as u64);
}

async fn fast_size_lookups_list_what_the_store_knows(env: Env) {
    env.deliver(ALICE, CRLF_1).await;
    env.deliver(ALICE, BARE_LF).await;
    let mut options = Pop3Options::default();
    options.fast_size_lookups = true;
    let pop3 = env.pop3_with(options);
    assert!(pop3.options().fast_size_lookups);
    let mut maildrop = open(&pop3, ALICE).await;
    let sizes: Vec<u64> = maildrop.messages().iter().map(|m| m.size).collect();
    // Both stores count the CRLF size as messages are stored.
    assert_eq!(sizes, [CRLF_1.len() as u64, BARE_LF.len() as u64 + 5]);
    // RETR still gives the content (which the adapter sends as CRLF).
    assert_eq!(retrieve(&mut maildrop, 1, None).await, BARE_LF);
}

async fn uidls_are_stable_across_sessions_and_deliveries(env: Env) {
    env.deliver(ALICE, CRLF_1).await;
    env.deliver(ALICE, CRLF_2).await;
    env.deliver(ALICE, BARE_LF).await;
    let pop3 = env.pop3();
    let first = open(&pop3, ALICE).await;
    let before = uidls(&first);
    let validity = first.uid_validity();
    assert_eq!(validity, env.inbox(ALICE).await.status().uid_validity);
    for (index, id) in before.iter().enumerate() {
        let uid = first.uid(index).unwrap();
        assert_eq!(*id, format!("{uid:08x}{validity:08x}"));
        assert_eq!(first.messages()[index].unique_id, unique_id(validity, uid));
    }
    assert!(first.uid(before.len()).is_none());
    let distinct: std::collections::HashSet<&String> = before.iter().collect();
    assert_eq!(distinct.len(), 3, "unique ids differ");
    drop(first);

    // The same next time.
    assert_eq!(uidls(&open(&pop3, ALICE).await), before);

    // Another delivery adds an id; an IMAP expunge removes one; the rest
    // keep theirs although their message numbers change.
    env.deliver(ALICE, MIXED).await;
    let mut imap = env.inbox(ALICE).await;
    let first_uid = imap.messages()[0].uid;
    imap.commit(Transaction::new().expunge(vec![first_uid]))
        .await
        .unwrap();
    let after = uidls(&open(&pop3, ALICE).await);
    assert_eq!(after.len(), 3);
    assert_eq!(after[..2], before[1..]);
    assert!(!before.contains(&after[2]), "a new message gets a new id");

    // A backend made later (a restart, for the Maildir) agrees.
    assert_eq!(uidls(&open(&env.pop3(), ALICE).await), after);
}

async fn retrieve_returns_the_bytes_exactly(env: Env) {
    // 8-bit, a NUL, trailing spaces, and a body larger than one read.
    let mut message = b"Subject: caf\xc3\xa9  \r\nX-Bin: \x00\x01\xff\r\n\r\n".to_vec();
    for i in 0..5000 {
        message.extend_from_slice(format!("line {i} of a long body\r\n").as_bytes());
    }
    env.deliver(ALICE, &message).await;
    env.deliver(ALICE, b"no final line end").await;
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, ALICE).await;
    assert_eq!(maildrop.messages()[0].size, message.len() as u64);
    assert_eq!(retrieve(&mut maildrop, 0, None).await, message);
    // Twice in a session.
    assert_eq!(retrieve(&mut maildrop, 0, None).await, message);
    // TOP gets the content too (the adapter cuts it).
    let top = retrieve(&mut maildrop, 0, Some(2)).await;
    assert!(
        message.starts_with(&top) && top.len() >= 40,
        "{}",
        top.len()
    );
    assert_eq!(retrieve(&mut maildrop, 1, None).await, b"no final line end");
    assert_eq!(maildrop.messages()[1].size, 17);
    // A number the session does not have.
    assert!(
        maildrop
            .retrieve(2, &RetrieveOptions::default())
            .await
            .is_err()
    );
}

async fn lines_beginning_with_a_dot_are_unchanged(env: Env) {
    let message: &[u8] =
        b"Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\n...three\r\nend.\r\n. \r\n.\r\n";
    env.deliver(ALICE, message).await;
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, ALICE).await;
    assert_eq!(maildrop.messages()[0].size, message.len() as u64);
    assert_eq!(retrieve(&mut maildrop, 0, None).await, message);
}

async fn commit_expunges_only_the_chosen_messages_at_once(env: Env) {
    for message in [CRLF_1, CRLF_2, BARE_LF, MIXED] {
        env.deliver(ALICE, message).await;
    }
    let all = env.uids(ALICE).await;
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, ALICE).await;
    let mut imap = env.inbox(ALICE).await;
    let modseq = imap.status().highest_modseq;

    // A message arrives during the session: not listed, not touched.
    env.deliver(ALICE, CRLF_1).await;
    assert_eq!(imap.sync().await.unwrap().added.len(), 1);
    let arrived = imap.messages().last().unwrap().uid;
    let modseq_after_arrival = imap.status().highest_modseq;
    assert!(modseq_after_arrival > modseq);
    assert_eq!(maildrop.messages().len(), 4);

    maildrop.commit(&[0, 2]).await.unwrap();
    let changes = imap.sync().await.unwrap();
    assert_eq!(changes.expunged, vec![all[0], all[2]]);
    assert!(changes.added.is_empty() && changes.updated.is_empty());
    // One expunge: one MODSEQ for both.
    assert_eq!(imap.status().highest_modseq, modseq_after_arrival + 1);
    assert_eq!(env.uids(ALICE).await, vec![all[1], all[3], arrived]);
    drop(maildrop);

    let next = open(&pop3, ALICE).await;
    assert_eq!(next.messages().len(), 3);
}

async fn commit_tolerates_messages_expunged_meanwhile(env: Env) {
    for message in [CRLF_1, CRLF_2, MIXED] {
        env.deliver(ALICE, message).await;
    }
    let all = env.uids(ALICE).await;
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, ALICE).await;
    // An IMAP session expunges message 2 while POP3 has it listed.
    let mut imap = env.inbox(ALICE).await;
    imap.commit(Transaction::new().expunge(vec![all[1]]))
        .await
        .unwrap();
    // Retrieving it fails; deleting it with another is fine.
    assert!(
        maildrop
            .retrieve(1, &RetrieveOptions::default())
            .await
            .is_err()
    );
    maildrop.commit(&[0, 1]).await.unwrap();
    assert_eq!(env.uids(ALICE).await, vec![all[2]]);
}

async fn dropping_without_commit_deletes_nothing(env: Env) {
    env.deliver(ALICE, CRLF_1).await;
    env.deliver(ALICE, CRLF_2).await;
    let all = env.uids(ALICE).await;
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, ALICE).await;
    retrieve(&mut maildrop, 0, None).await;
    // DELE was given but the connection ended before QUIT: the adapter
    // drops the maildrop without a commit.
    drop(maildrop);
    let inbox = env.inbox(ALICE).await;
    assert_eq!(
        inbox.messages().iter().map(|m| m.uid).collect::<Vec<_>>(),
        all
    );
    assert!(inbox.messages().iter().all(|m| m.flags.is_empty()));
    assert_eq!(open(&pop3, ALICE).await.messages().len(), 2);
}

async fn a_second_session_is_refused_until_the_first_is_dropped(env: Env) {
    env.deliver(ALICE, CRLF_1).await;
    let pop3 = env.pop3();
    let first = open(&pop3, ALICE).await;
    assert!(matches!(
        pop3.open(&identity(ALICE)).await,
        Err(OpenError::InUse)
    ));
    // Also through another backend on the same store, and by another
    // spelling of the login.
    assert!(matches!(
        env.pop3().open(&identity("Alice@Example.ORG")).await,
        Err(OpenError::InUse)
    ));
    // Other users are not held up.
    let bob = open(&pop3, BOB).await;
    drop(first);
    let second = open(&pop3, ALICE).await;
    assert_eq!(second.messages().len(), 1);
    drop((second, bob));
}

async fn a_lost_connection_releases_the_lock(env: Env) {
    let pop3 = env.pop3();
    let maildrop = open(&pop3, ALICE).await;
    // A session task holding the maildrop, killed mid-session.
    let session = tokio::spawn(async move {
        let _held = maildrop;
        std::future::pending::<()>().await;
    });
    tokio::task::yield_now().await;
    assert!(matches!(
        pop3.open(&identity(ALICE)).await,
        Err(OpenError::InUse)
    ));
    session.abort();
    assert!(session.await.unwrap_err().is_cancelled());
    open(&pop3, ALICE).await;
}

async fn unknown_and_disabled_users_cannot_open(env: Env) {
    let pop3 = env.pop3();
    for login in ["nobody@example.org", CAROL, "alice@elsewhere.net"] {
        match pop3.open(&identity(login)).await {
            Err(OpenError::Permanent(error)) => {
                let error = error.to_string();
                assert!(error.contains(login), "{error}");
            }
            other => panic!("{login}: {other:?}"),
        }
    }
    // The authorization identity is the one opened.
    env.deliver(BOB, CRLF_1).await;
    let mut as_bob = identity(ALICE);
    as_bob.requested_authorization_id = Some(BOB.to_owned());
    let maildrop = pop3.open(&as_bob).await.unwrap();
    assert_eq!(maildrop.messages().len(), 1);
}

async fn retrieved_messages_are_marked_seen_at_quit(env: Env) {
    for message in [CRLF_1, CRLF_2, MIXED, BARE_LF] {
        env.deliver(ALICE, message).await;
    }
    let all = env.uids(ALICE).await;
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, ALICE).await;
    retrieve(&mut maildrop, 0, None).await; // RETR: seen
    retrieve(&mut maildrop, 1, Some(0)).await; // TOP: not seen
    retrieve(&mut maildrop, 2, None).await; // RETR, then DELE
    maildrop.commit(&[2]).await.unwrap();
    drop(maildrop);
    let inbox = env.inbox(ALICE).await;
    let flags: Vec<(u32, Flags)> = inbox.messages().iter().map(|m| (m.uid, m.flags)).collect();
    assert_eq!(
        flags,
        [
            (all[0], Flags::SEEN),
            (all[1], Flags::empty()),
            (all[3], Flags::empty())
        ]
    );

    // Not with mark_seen off.
    let mut options = Pop3Options::default();
    options.mark_seen = false;
    let pop3 = env.pop3_with(options);
    let mut maildrop = open(&pop3, ALICE).await;
    retrieve(&mut maildrop, 1, None).await;
    maildrop.commit(&[]).await.unwrap();
    drop(maildrop);
    let inbox = env.inbox(ALICE).await;
    assert_eq!(inbox.get(all[1]).unwrap().flags, Flags::empty());
}

async fn an_empty_maildrop(env: Env) {
    let pop3 = env.pop3();
    let mut maildrop = open(&pop3, BOB).await;
    assert!(maildrop.messages().is_empty());
    maildrop.commit(&[]).await.unwrap();
    assert!(
        maildrop
            .retrieve(0, &RetrieveOptions::default())
            .await
            .is_err()
    );
}

// ---- Maildir only ------------------------------------------------------

/// The root of alice's Maildir.
fn alice_root(env: &Env) -> PathBuf {
    env.dir
        .as_ref()
        .unwrap()
        .0
        .join("example.org/alice/Maildir")
}

#[test]
fn uidls_match_dovecots_default_format_from_its_uidlist() {
    run(Kind::Maildir, |env| async move {
        env.deliver(ALICE, CRLF_1).await;
        env.deliver(ALICE, CRLF_2).await;
        let pop3 = env.pop3();
        let maildrop = open(&pop3, ALICE).await;
        // dovecot-uidlist: "3 V<uidvalidity> N<next> ...", then
        // "<uid> <fields> :<file name>" per message.
        let list = std::fs::read_to_string(alice_root(&env).join("dovecot-uidlist")).unwrap();
        let mut lines = list.lines();
        let header = lines.next().unwrap();
        let validity: u32 = header
            .split(' ')
            .find_map(|f| f.strip_prefix('V'))
            .unwrap()
            .parse()
            .unwrap();
        let uids: Vec<u32> = lines
            .map(|l| l.split(' ').next().unwrap().parse().unwrap())
            .collect();
        let expected: Vec<String> = uids
            .iter()
            .map(|uid| format!("{uid:08x}{validity:08x}"))
            .collect();
        assert_eq!(uidls(&maildrop), expected);
    });
}

#[test]
fn messages_dropped_in_by_other_programs_are_listed_exactly() {
    run(Kind::Maildir, |env| async move {
        env.deliver(ALICE, CRLF_1).await;
        // An MDA writing bare LF, straight into new/.
        let md = ::maildir::delivery::Maildir::open(alice_root(&env)).unwrap();
        let dropped = md.deliver(BARE_LF).unwrap();
        assert_eq!(dropped.vsize, BARE_LF.len() as u64 + 5);
        // A program that names its files without sizes: only the content
        // tells, so it is read and counted.
        std::fs::write(
            alice_root(&env).join("new/1700000000.M1P1.elsewhere"),
            MIXED,
        )
        .unwrap();
        let pop3 = env.pop3();
        let mut maildrop = open(&pop3, ALICE).await;
        // All three get their UIDs in one scan, in name order.
        let sizes: Vec<u64> = maildrop.messages().iter().map(|m| m.size).collect();
        let index_of = |size: u64| sizes.iter().position(|&s| s == size).unwrap();
        let (lf, mixed) = (
            index_of(dropped.vsize),
            index_of(canonical(MIXED).len() as u64),
        );
        let mut sorted = sizes.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [
                canonical(MIXED).len() as u64,
                CRLF_1.len() as u64,
                dropped.vsize
            ]
        );
        assert_eq!(retrieve(&mut maildrop, lf, None).await, BARE_LF);
        assert_eq!(retrieve(&mut maildrop, mixed, None).await, MIXED);
        // Deleting them unlinks the files.
        let mut deleted = [lf, mixed];
        deleted.sort_unstable();
        maildrop.commit(&deleted).await.unwrap();
        drop(maildrop);
        let cur = std::fs::read_dir(alice_root(&env).join("cur")).unwrap();
        let new = std::fs::read_dir(alice_root(&env).join("new")).unwrap();
        assert_eq!(cur.count() + new.count(), 1);
        // The next session lists what is left.
        let maildrop = open(&pop3, ALICE).await;
        assert_eq!(maildrop.messages().len(), 1);
    });
}

#[test]
fn nothing_is_deleted_when_inbox_was_recreated_meanwhile() {
    run(Kind::Maildir, |env| async move {
        env.deliver(ALICE, CRLF_1).await;
        env.deliver(ALICE, CRLF_2).await;
        let pop3 = env.pop3();
        let mut maildrop = open(&pop3, ALICE).await;
        let validity = maildrop.uid_validity();
        // Another program gives INBOX a new UIDVALIDITY (as when it is
        // deleted and created again) and delivers to it: the session's
        // UIDs mean nothing now.
        let root = alice_root(&env);
        let list = std::fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
        let renumbered = list.replacen(
            &format!(" V{validity} "),
            &format!(" V{} ", validity + 1000),
            1,
        );
        assert_ne!(renumbered, list);
        std::fs::write(root.join("uidlist.tmp"), renumbered).unwrap();
        std::fs::rename(root.join("uidlist.tmp"), root.join("dovecot-uidlist")).unwrap();
        ::maildir::delivery::Maildir::open(&root)
            .unwrap()
            .deliver(CRLF_1)
            .unwrap();

        let error = maildrop.commit(&[0]).await.unwrap_err();
        assert!(error.to_string().contains("UIDVALIDITY"), "{error}");
        let inbox = env.inbox(ALICE).await;
        assert_eq!(inbox.status().uid_validity, validity + 1000);
        assert_eq!(inbox.messages().len(), 3, "nothing expunged");
    });
}
