//! The in-memory store: the backend-independent suite, then what only
//! this backend promises (size limit, starting numbers, sessions on a
//! renamed mailbox, name folding).

#[macro_use]
mod store_suite;

use std::sync::Arc;
use std::time::Duration;

use futures_executor::block_on;
use mailstore::ErrorKind;
use mailstore::directory::User;
use mailstore::store::memory::MemoryStore;
use mailstore::store::{AppendOptions, FlagChange, FlagOp, Flags, Outcome, Store, Transaction};

store_suite!(Arc::new(MemoryStore::new()));

fn kind<T>(result: mailstore::Result<T>) -> ErrorKind {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.kind(),
    }
}

#[test]
fn too_big_as_soon_as_the_limit_is_passed() {
    block_on(async {
        let store = MemoryStore::with_max_message_size(100);
        assert_eq!(store.max_message_size(), Some(100));
        let account = store.account(&User::new("a")).await.unwrap();

        let mut writer = account.begin_append().await.unwrap();
        writer.write(&[b'x'; 60]).await.unwrap();
        writer.write(&[b'x'; 40]).await.unwrap(); // exactly the limit
        let exact = writer.finish().await.unwrap();
        assert_eq!(exact.size(), 100);

        let mut writer = account.begin_append().await.unwrap();
        writer.write(&[b'x'; 60]).await.unwrap();
        assert_eq!(kind(writer.write(&[b'x'; 41]).await), ErrorKind::TooBig);
        // The writer stays refused: no truncated message can come out.
        assert_eq!(kind(writer.write(b"").await), ErrorKind::TooBig);
        assert_eq!(kind(writer.finish().await), ErrorKind::TooBig);

        let mut inbox = account.open("INBOX").await.unwrap();
        inbox
            .commit(Transaction::new().append(exact, AppendOptions::default()))
            .await
            .unwrap();
        assert_eq!(account.status("INBOX").await.unwrap().messages, 1);
    });
}

#[test]
fn too_big_comes_before_over_quota() {
    block_on(async {
        let store = MemoryStore::with_max_message_size(10);
        let user = User::new("a").with_quota(mailstore::directory::QuotaLimit {
            bytes: Some(5),
            messages: None,
        });
        let account = store.account(&user).await.unwrap();
        let mut writer = account.begin_append().await.unwrap();
        assert_eq!(kind(writer.write(&[0; 11]).await), ErrorKind::TooBig);
        let mut writer = account.begin_append().await.unwrap();
        assert_eq!(kind(writer.write(&[0; 6]).await), ErrorKind::OverQuota);
        assert_eq!(kind(writer.finish().await), ErrorKind::OverQuota);
    });
}

#[test]
fn quota_follows_the_latest_user_record() {
    block_on(async {
        let store = MemoryStore::new();
        let account = store.account(&User::new("a")).await.unwrap();
        assert!(account.quota().await.unwrap().limit.is_unlimited());
        let limited = User::new("a").with_quota(mailstore::directory::QuotaLimit {
            bytes: None,
            messages: Some(0),
        });
        let again = store.account(&limited).await.unwrap();
        assert_eq!(account.quota().await.unwrap().limit.messages, Some(0));
        let mut writer = again.begin_append().await.unwrap();
        writer.write(b"x").await.unwrap();
        let staged = writer.finish().await.unwrap();
        let mut inbox = again.open("INBOX").await.unwrap();
        assert_eq!(
            kind(
                inbox
                    .commit(Transaction::new().append(staged, AppendOptions::default()))
                    .await
            ),
            ErrorKind::OverQuota
        );
    });
}

#[test]
fn numbers_of_a_new_mailbox() {
    block_on(async {
        let store = MemoryStore::new();
        let account = store.account(&User::new("a")).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        let status = inbox.status();
        assert_eq!((status.highest_modseq, status.uid_next), (1, 1));

        let mut writer = account.begin_append().await.unwrap();
        writer.write(b"hello").await.unwrap();
        let staged = writer.finish().await.unwrap();
        let done = inbox
            .commit(Transaction::new().append(staged, AppendOptions::default()))
            .await
            .unwrap();
        assert_eq!(done.modseq, 2);

        // UIDVALIDITY comes from one store-wide counter.
        account.create_mailbox("A", None).await.unwrap();
        account.create_mailbox("B", None).await.unwrap();
        let a = account.status("A").await.unwrap().uid_validity;
        let b = account.status("B").await.unwrap().uid_validity;
        assert_eq!(b, a.wrapping_add(1).max(1));
        let other = store.account(&User::new("b")).await.unwrap();
        // (The new account's INBOX took the one after B's.)
        other.create_mailbox("C", None).await.unwrap();
        assert_eq!(
            other.status("C").await.unwrap().uid_validity,
            b.wrapping_add(2).max(1)
        );
    });
}

#[test]
fn one_store_operation_shares_one_modseq() {
    block_on(async {
        let store = MemoryStore::new();
        let account = store.account(&User::new("a")).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        let mut tx = Transaction::new();
        for _ in 0..3 {
            let mut writer = account.begin_append().await.unwrap();
            writer.write(b"m").await.unwrap();
            tx = tx.append(writer.finish().await.unwrap(), AppendOptions::default());
        }
        inbox.commit(tx).await.unwrap();
        let done = inbox
            .commit(
                Transaction::new()
                    .store([1, 2, 3], FlagChange::new(FlagOp::Add, Flags::SEEN, vec![])),
            )
            .await
            .unwrap();
        inbox.sync().await.unwrap();
        assert!(inbox.messages().iter().all(|m| m.modseq == done.modseq));
        assert_eq!(done.modseq, 5);
    });
}

#[test]
fn session_follows_a_renamed_mailbox() {
    block_on(async {
        let store = MemoryStore::new();
        let account = store.account(&User::new("a")).await.unwrap();
        account.create_mailbox("Old", None).await.unwrap();
        let mut session = account.open("Old").await.unwrap();
        account.rename_mailbox("Old", "New").await.unwrap();
        let mut writer = account.begin_append().await.unwrap();
        writer.write(b"m").await.unwrap();
        let staged = writer.finish().await.unwrap();
        let done = session
            .commit(Transaction::new().append(staged, AppendOptions::default()))
            .await
            .unwrap();
        assert_eq!(done.outcomes, vec![Outcome::Appended(1)]);
        assert_eq!(session.name(), "Old");
        assert_eq!(session.sync().await.unwrap().added, vec![1]);
        assert_eq!(account.status("New").await.unwrap().messages, 1);
    });
}

#[test]
fn inbox_children_are_folded() {
    block_on(async {
        let store = MemoryStore::new();
        let account = store.account(&User::new("a")).await.unwrap();
        account.create_mailbox("inbox/Lists", None).await.unwrap();
        assert_eq!(
            kind(account.create_mailbox("INBOX/Lists", None).await),
            ErrorKind::AlreadyExists
        );
        let names: Vec<String> = account
            .mailboxes()
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["INBOX", "INBOX/Lists"]);
        let inbox = account
            .mailboxes()
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        assert!(inbox.has_children);
    });
}

#[test]
fn watcher_of_a_deleted_mailbox_wakes_once() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = MemoryStore::new();
        let account = store.account(&User::new("a")).await.unwrap();
        account.create_mailbox("X", None).await.unwrap();
        let session = account.open("X").await.unwrap();
        let mut watcher = session.watch();
        account.delete_mailbox("X").await.unwrap();
        tokio::time::timeout(Duration::from_secs(1), watcher.changed())
            .await
            .unwrap()
            .unwrap();
        let again = tokio::time::timeout(Duration::from_secs(1), watcher.changed())
            .await
            .unwrap();
        assert_eq!(kind(again), ErrorKind::NotFound);
        // A watcher made after the deletion wakes at once, too.
        let mut late = session.watch();
        tokio::time::timeout(Duration::from_secs(1), late.changed())
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn stores_are_independent() {
    block_on(async {
        let one = MemoryStore::new();
        let two = MemoryStore::default();
        let a1 = one.account(&User::new("a")).await.unwrap();
        let a2 = two.account(&User::new("a")).await.unwrap();
        a1.create_mailbox("X", None).await.unwrap();
        assert_eq!(kind(a2.status("X").await), ErrorKind::NotFound);
        // A message staged in one store is foreign to the other.
        let mut writer = a1.begin_append().await.unwrap();
        writer.write(b"m").await.unwrap();
        let staged = writer.finish().await.unwrap();
        let mut inbox = a2.open("INBOX").await.unwrap();
        assert_eq!(
            kind(
                inbox
                    .commit(Transaction::new().append(staged, AppendOptions::default()))
                    .await
            ),
            ErrorKind::Invalid
        );
    });
}

/// One step of the random walk below.
#[derive(Debug, Clone)]
enum Step {
    Append(u8, usize),
    Store(u32, u8, u8),
    Expunge(u32),
    Copy(u32),
    Sync,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (0u8..32, 0usize..64).prop_map(|(f, n)| Step::Append(f, n)),
        (1u32..12, 0u8..3, 0u8..32).prop_map(|(u, op, f)| Step::Store(u, op, f)),
        (1u32..12).prop_map(Step::Expunge),
        (1u32..12).prop_map(Step::Copy),
        Just(Step::Sync),
    ]
}

fn flags(bits: u8) -> Flags {
    Flags::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .fold(Flags::empty(), |acc, (_, (f, _))| acc | *f)
}

proptest::proptest! {
    /// Whatever session A does, session B's syncs keep the rules: UIDs
    /// ascend below UIDNEXT, MODSEQs stay at or under HIGHESTMODSEQ, which
    /// never falls, and each `Changes` turns the old view into the new.
    #[test]
    fn random_walk_keeps_the_rules(steps in proptest::collection::vec(step(), 1..40)) {
        block_on(async {
            let store = MemoryStore::new();
            let account = store.account(&User::new("walker")).await.unwrap();
            let mut a = account.open("INBOX").await.unwrap();
            let mut b = account.open("INBOX").await.unwrap();
            let mut highest = b.status().highest_modseq;
            let mut last_commit = highest;
            for step in steps.into_iter().chain([Step::Sync]) {
                let tx = match step {
                    Step::Append(f, n) => {
                        let mut writer = account.begin_append().await.unwrap();
                        writer.write(&vec![b'm'; n]).await.unwrap();
                        let staged = writer.finish().await.unwrap();
                        Transaction::new().append(staged, AppendOptions::new(flags(f), vec![]))
                    }
                    Step::Store(uid, op, f) => {
                        let op = [FlagOp::Add, FlagOp::Remove, FlagOp::Replace][usize::from(op)];
                        Transaction::new().store([uid], FlagChange::new(op, flags(f), vec![]))
                    }
                    Step::Expunge(uid) => Transaction::new().expunge([uid]),
                    Step::Copy(uid) => Transaction::new().copy([uid], "INBOX"),
                    Step::Sync => {
                        let old: Vec<u32> = b.messages().iter().map(|m| m.uid).collect();
                        let changes = b.sync().await.unwrap();
                        let new: Vec<u32> = b.messages().iter().map(|m| m.uid).collect();
                        let mut expected: Vec<u32> = old
                            .iter()
                            .copied()
                            .filter(|u| !changes.expunged.contains(u))
                            .chain(changes.added.iter().copied())
                            .collect();
                        expected.sort_unstable();
                        assert_eq!(new, expected);
                        assert!(changes.expunged.iter().all(|u| old.contains(u)));
                        assert!(changes.added.iter().all(|u| !old.contains(u)));
                        assert!(changes.updated.iter().all(|u| old.contains(u) && new.contains(u)));
                        let status = b.status();
                        assert!(new.windows(2).all(|w| w[0] < w[1]));
                        assert!(new.iter().all(|u| *u < status.uid_next));
                        assert!(b.messages().iter().all(|m| m.modseq <= status.highest_modseq));
                        assert!(status.highest_modseq >= highest);
                        highest = status.highest_modseq;
                        assert_eq!(status, account.status("INBOX").await.unwrap());
                        let fresh = account.open("INBOX").await.unwrap();
                        assert_eq!(fresh.messages(), b.messages());
                        continue;
                    }
                };
                let done = a.commit(tx).await.unwrap();
                assert!(done.modseq >= last_commit);
                last_commit = done.modseq;
            }
        });
    }
}
