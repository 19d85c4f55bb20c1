//! The behavioural suite every store backend runs: one `#[test]` per
//! rule of the [`mailstore::store`] traits, each on a fresh store.
//!
//! # Running it on a backend
//!
//! In an integration test file of the backend (`tests/store_<name>.rs`):
//!
//! ```ignore
//! #[macro_use]
//! mod store_suite;
//!
//! // An expression giving a fresh `Arc<S>` (S: Store) or anything that
//! // implements `store_suite::Fixture`; it is evaluated once per test.
//! store_suite!(std::sync::Arc::new(mailstore::store::memory::MemoryStore::new()));
//! ```
//!
//! A backend whose store needs something kept alive (a temporary
//! directory, a database) implements [`Fixture`] for a type of its own that
//! holds both; the fixture lives until the test ends:
//!
//! ```ignore
//! struct MaildirFixture { _dir: TempDir, store: Arc<MaildirStore> }
//! impl store_suite::Fixture for MaildirFixture {
//!     fn store(&self) -> Arc<dyn Store> { self.store.clone() }
//! }
//! store_suite!(MaildirFixture::new());
//! ```
//!
//! The suite only uses the traits (`dyn Store`, `dyn Account`,
//! `dyn Mailbox`), never a backend's own types. Each case runs on a
//! multi-threaded tokio runtime, as in a server (so a backend's blocking
//! work goes through `block_in_place`), with a time limit, so nothing can
//! hang.
//! Backend-specific rules (message size limits, what a new store's
//! numbers start at) belong in the backend's own test file.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mailstore::store::Store;

/// What a backend's test file gives the suite: a way to get a fresh,
/// empty store, kept alive (with whatever it needs) for one test.
pub(crate) trait Fixture {
    /// The store under test.
    fn store(&self) -> Arc<dyn Store>;
}

impl<S: Store + 'static> Fixture for Arc<S> {
    fn store(&self) -> Arc<dyn Store> {
        self.clone()
    }
}

/// How long one case may take before it counts as hung.
pub(crate) const CASE_LIMIT: Duration = Duration::from_secs(60);

/// Runs one case on a fresh store from `fixture`.
pub(crate) fn run<F, C, Fut>(fixture: F, case: C)
where
    F: Fixture,
    C: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("tokio runtime");
    let store = fixture.store();
    runtime.block_on(async {
        tokio::time::timeout(CASE_LIMIT, case(store))
            .await
            .expect("the case took too long (hung?)");
    });
    drop(fixture);
}

/// Expands to one `#[test]` per case of the suite, each on the fresh
/// store `$fresh` gives (an `Arc<impl Store>` or any [`Fixture`]).
#[macro_export]
macro_rules! store_suite {
    ($fresh:expr) => {
        $crate::store_suite!(@cases $fresh;
            append_assigns_ascending_uids_and_counts,
            append_options_round_trip,
            internal_date_defaults_to_now,
            content_round_trips_byte_exact,
            dropped_staged_message_leaves_nothing,
            flags_add_remove_replace,
            keywords_compare_case_insensitively,
            modseq_ascends_with_every_change,
            modseq_unchanged_by_store_that_changes_nothing,
            expunge_bumps_highest_modseq,
            unchanged_since_reports_conflicts,
            uids_never_reused_after_expunge,
            unknown_uids_are_skipped,
            copy_keeps_flags_and_maps_uids,
            copy_to_same_mailbox_gives_new_uids,
            move_removes_from_source,
            copy_or_move_to_missing_mailbox_is_not_found,
            failing_operation_rolls_back_transaction,
            commit_changes_view_only_at_sync,
            second_session_sees_changes_after_sync,
            content_of_message_expunged_elsewhere,
            watch_wakes_after_commit_elsewhere,
            watch_wakes_a_waiting_task,
            watch_stays_quiet_without_change,
            watch_wakes_when_mailbox_deleted,
            list_mailboxes,
            inbox_is_case_insensitive,
            create_existing_mailbox_fails,
            invalid_names_are_refused,
            missing_mailbox_is_not_found,
            rename_moves_children,
            rename_errors,
            rename_inbox_moves_messages,
            delete_and_recreate_gives_new_uid_validity,
            delete_inbox_is_refused,
            delete_keeps_children,
            subscriptions_need_not_exist,
            status_counts_unseen_and_size,
            quota_bytes,
            quota_messages,
            quota_counts_copies,
            quota_usage_spans_mailboxes,
            deliver_appends_without_a_view,
            same_user_shares_account,
            users_are_isolated,
            foreign_staged_message_is_invalid,
        );
    };
    (@cases $fresh:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::store_suite::run($fresh, $crate::store_suite::cases::$case);
            }
        )*
    };
}

/// The cases, one per rule, each an `async fn(Arc<dyn Store>)`.
pub(crate) mod cases {
    use std::any::Any;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use mailstore::directory::{QuotaLimit, User};
    use mailstore::store::{
        Account, AppendOptions, Committed, FlagChange, FlagOp, Flags, Mailbox, MessageMeta,
        Outcome, SpecialUse, StagedMessage, Store, Transaction,
    };
    use mailstore::{ErrorKind, Result};

    // ---- helpers -------------------------------------------------------

    async fn alice(store: &Arc<dyn Store>) -> Arc<dyn Account> {
        store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap()
    }

    async fn with_quota(
        store: &Arc<dyn Store>,
        bytes: Option<u64>,
        messages: Option<u64>,
    ) -> Arc<dyn Account> {
        let user = User::new("quota@example.org").with_quota(QuotaLimit { bytes, messages });
        store.account(&user).await.unwrap()
    }

    fn message(n: u32) -> Vec<u8> {
        format!("From: a@example.org\r\nSubject: message {n}\r\n\r\nBody of message {n}.\r\n")
            .into_bytes()
    }

    async fn stage(account: &dyn Account, bytes: &[u8]) -> Box<dyn StagedMessage> {
        try_stage(account, bytes).await.unwrap()
    }

    async fn try_stage(account: &dyn Account, bytes: &[u8]) -> Result<Box<dyn StagedMessage>> {
        let mut writer = account.begin_append().await?;
        writer.write(bytes).await?;
        writer.finish().await
    }

    /// Stages and commits one message (failure at write, finish or
    /// commit alike).
    async fn try_append(
        account: &dyn Account,
        mailbox: &mut dyn Mailbox,
        bytes: &[u8],
        options: AppendOptions,
    ) -> Result<u32> {
        let staged = try_stage(account, bytes).await?;
        let done = mailbox
            .commit(Transaction::new().append(staged, options))
            .await?;
        Ok(appended(&done)[0])
    }

    async fn append(account: &dyn Account, mailbox: &mut dyn Mailbox, bytes: &[u8]) -> u32 {
        try_append(account, mailbox, bytes, AppendOptions::default())
            .await
            .unwrap()
    }

    async fn append_with(
        account: &dyn Account,
        mailbox: &mut dyn Mailbox,
        bytes: &[u8],
        options: AppendOptions,
    ) -> u32 {
        try_append(account, mailbox, bytes, options).await.unwrap()
    }

    fn appended(done: &Committed) -> Vec<u32> {
        done.outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Appended(uid) => Some(*uid),
                _ => None,
            })
            .collect()
    }

    fn kind<T>(result: Result<T>) -> ErrorKind {
        match result {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.kind(),
        }
    }

    async fn bytes_of(mailbox: &dyn Mailbox, uid: u32) -> Vec<u8> {
        mailbox.content(uid).await.unwrap().into_bytes().unwrap()
    }

    fn meta(mailbox: &dyn Mailbox, uid: u32) -> MessageMeta {
        mailbox
            .get(uid)
            .unwrap_or_else(|| panic!("uid {uid} not in the view"))
            .clone()
    }

    fn uids(mailbox: &dyn Mailbox) -> Vec<u32> {
        mailbox.messages().iter().map(|m| m.uid).collect()
    }

    fn kw(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    fn change(op: FlagOp, flags: Flags, words: &[&str]) -> FlagChange {
        FlagChange::new(op, flags, kw(words))
    }

    async fn store_flags(mailbox: &mut dyn Mailbox, uids: &[u32], change: FlagChange) -> Committed {
        mailbox
            .commit(Transaction::new().store(uids.to_vec(), change))
            .await
            .unwrap()
    }

    async fn names(account: &dyn Account) -> Vec<String> {
        account
            .mailboxes()
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

    fn date(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    // ---- appending and content --------------------------------------

    /// Appends get UIDs 1, 2, 3… in order, across transactions, and the
    /// numbers follow.
    pub(crate) async fn append_assigns_ascending_uids_and_counts(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let empty = inbox.status();
        assert_eq!(
            (empty.messages, empty.unseen, empty.size, empty.uid_next),
            (0, 0, 0, 1)
        );
        assert!(empty.highest_modseq >= 1);
        assert_ne!(empty.uid_validity, 0);

        let mut tx = Transaction::new();
        for n in 1..=3 {
            tx = tx.append(
                stage(&*account, &message(n)).await,
                AppendOptions::default(),
            );
        }
        let done = inbox.commit(tx).await.unwrap();
        assert_eq!(
            done.outcomes,
            vec![
                Outcome::Appended(1),
                Outcome::Appended(2),
                Outcome::Appended(3)
            ]
        );
        assert_eq!(append(&*account, &mut *inbox, &message(4)).await, 4);

        inbox.sync().await.unwrap();
        assert_eq!(uids(&*inbox), vec![1, 2, 3, 4]);
        let status = inbox.status();
        let size: u64 = (1..=4).map(|n| message(n).len() as u64).sum();
        assert_eq!(
            (status.messages, status.unseen, status.size, status.uid_next),
            (4, 4, size, 5)
        );
        assert_eq!(status.uid_validity, empty.uid_validity);
        assert_eq!(account.status("INBOX").await.unwrap(), status);
    }

    /// Flags, keywords (once each, case-insensitively, first spelling and
    /// order kept) and the internal date are stored as given.
    pub(crate) async fn append_options_round_trip(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let when = date(1_700_000_000);
        let options = AppendOptions::new(
            Flags::SEEN | Flags::FLAGGED,
            kw(&["$Forwarded", "Work", "work", "$FORWARDED"]),
        )
        .at(when);
        let uid = append_with(&*account, &mut *inbox, &message(1), options).await;
        inbox.sync().await.unwrap();
        let m = meta(&*inbox, uid);
        assert_eq!(m.flags, Flags::SEEN | Flags::FLAGGED);
        assert_eq!(m.keywords, kw(&["$Forwarded", "Work"]));
        assert!(m.has_keyword("WORK") && m.has_keyword("$forwarded"));
        assert_eq!(m.internal_date, when);
        assert_eq!(m.size, message(1).len() as u64);
        assert_eq!(inbox.status().unseen, 0);
    }

    /// Without a date, INTERNALDATE is the time of the append.
    pub(crate) async fn internal_date_defaults_to_now(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let before = SystemTime::now() - Duration::from_secs(2);
        let uid = append(&*account, &mut *inbox, &message(1)).await;
        let after = SystemTime::now() + Duration::from_secs(2);
        inbox.sync().await.unwrap();
        let got = meta(&*inbox, uid).internal_date;
        assert!(before <= got && got <= after, "{got:?}");
    }

    /// Content comes back byte for byte: empty, every byte value, and
    /// 1 MiB written in odd-sized chunks.
    pub(crate) async fn content_round_trips_byte_exact(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();

        let every_byte: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        let big: Vec<u8> = (0..1024 * 1024u32)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 9)) as u8)
            .collect();

        let mut tx = Transaction::new();
        tx = tx.append(stage(&*account, b"").await, AppendOptions::default());
        tx = tx.append(
            stage(&*account, &every_byte).await,
            AppendOptions::default(),
        );
        let mut writer = account.begin_append().await.unwrap();
        let mut rest = &big[..];
        for size in [1usize, 7, 997, 4093, 65_537].iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
            writer.write(chunk).await.unwrap();
            rest = tail;
        }
        writer.write(b"").await.unwrap();
        let staged = writer.finish().await.unwrap();
        assert_eq!(staged.size(), big.len() as u64);
        tx = tx.append(staged, AppendOptions::default());
        let done = inbox.commit(tx).await.unwrap();
        let [empty, every, large] = appended(&done)[..] else {
            panic!("{done:?}")
        };

        inbox.sync().await.unwrap();
        for (uid, expected) in [
            (empty, &b""[..]),
            (every, &every_byte[..]),
            (large, &big[..]),
        ] {
            let content = inbox.content(uid).await.unwrap();
            assert_eq!(content.len(), expected.len() as u64);
            assert_eq!(content.is_empty(), expected.is_empty());
            assert!(
                content.into_bytes().unwrap() == expected,
                "content of uid {uid} differs"
            );
            assert_eq!(meta(&*inbox, uid).size, expected.len() as u64);
        }
        assert_eq!(inbox.status().size, (every_byte.len() + big.len()) as u64);
    }

    /// A staged message that is never committed is not stored.
    pub(crate) async fn dropped_staged_message_leaves_nothing(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let staged = stage(&*account, &message(1)).await;
        drop(staged);
        let mut writer = account.begin_append().await.unwrap();
        writer.write(&message(2)).await.unwrap();
        drop(writer);
        assert_eq!(account.status("INBOX").await.unwrap().messages, 0);
        let usage = account.quota().await.unwrap();
        assert_eq!((usage.bytes, usage.messages), (0, 0));
    }

    // ---- flags and MODSEQ ----------------------------------------------

    /// `+FLAGS`, `-FLAGS` and `FLAGS` on system flags.
    pub(crate) async fn flags_add_remove_replace(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let uid = append(&*account, &mut *inbox, &message(1)).await;
        let steps = [
            (FlagOp::Add, Flags::SEEN, Flags::SEEN),
            (
                FlagOp::Add,
                Flags::FLAGGED | Flags::DELETED,
                Flags::SEEN | Flags::FLAGGED | Flags::DELETED,
            ),
            (FlagOp::Remove, Flags::SEEN | Flags::DELETED, Flags::FLAGGED),
            (
                FlagOp::Replace,
                Flags::ANSWERED | Flags::DRAFT,
                Flags::ANSWERED | Flags::DRAFT,
            ),
            (FlagOp::Replace, Flags::empty(), Flags::empty()),
        ];
        for (op, flags, expected) in steps {
            let done = store_flags(&mut *inbox, &[uid], change(op, flags, &[])).await;
            assert_eq!(
                done.outcomes,
                vec![Outcome::Stored {
                    changed: vec![uid],
                    conflicts: vec![]
                }]
            );
            inbox.sync().await.unwrap();
            assert_eq!(meta(&*inbox, uid).flags, expected, "after {op:?} {flags}");
            assert_eq!(
                inbox.status().unseen,
                u32::from(!expected.contains(Flags::SEEN))
            );
        }
    }

    /// Keywords are added once, removed and replaced case-insensitively.
    pub(crate) async fn keywords_compare_case_insensitively(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let uid = append(&*account, &mut *inbox, &message(1)).await;

        store_flags(
            &mut *inbox,
            &[uid],
            change(FlagOp::Add, Flags::empty(), &["Work", "$Junk"]),
        )
        .await;
        store_flags(
            &mut *inbox,
            &[uid],
            change(FlagOp::Add, Flags::SEEN, &["work", "New", "NEW"]),
        )
        .await;
        inbox.sync().await.unwrap();
        let m = meta(&*inbox, uid);
        assert_eq!(m.keywords, kw(&["Work", "$Junk", "New"]));
        assert_eq!(m.flags, Flags::SEEN);

        store_flags(
            &mut *inbox,
            &[uid],
            change(FlagOp::Remove, Flags::empty(), &["$JUNK", "absent"]),
        )
        .await;
        inbox.sync().await.unwrap();
        assert_eq!(meta(&*inbox, uid).keywords, kw(&["Work", "New"]));
        assert_eq!(meta(&*inbox, uid).flags, Flags::SEEN);

        store_flags(
            &mut *inbox,
            &[uid],
            change(FlagOp::Replace, Flags::empty(), &["new", "Other", "other"]),
        )
        .await;
        inbox.sync().await.unwrap();
        let m = meta(&*inbox, uid);
        assert_eq!(m.keywords.len(), 2, "{:?}", m.keywords);
        assert!(m.has_keyword("NEW") && m.has_keyword("other") && !m.has_keyword("work"));
        assert!(m.flags.is_empty());
    }

    /// Every append and every real flag change gets a MODSEQ above all
    /// earlier ones; HIGHESTMODSEQ follows; `Committed::modseq` is it.
    pub(crate) async fn modseq_ascends_with_every_change(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let start = inbox.status().highest_modseq;
        let mut last = start;
        for n in 1..=3 {
            let staged = stage(&*account, &message(n)).await;
            let done = inbox
                .commit(Transaction::new().append(staged, AppendOptions::default()))
                .await
                .unwrap();
            assert!(done.modseq > last);
            last = done.modseq;
        }
        inbox.sync().await.unwrap();
        let modseqs: Vec<u64> = inbox.messages().iter().map(|m| m.modseq).collect();
        assert!(modseqs.windows(2).all(|w| w[0] < w[1]), "{modseqs:?}");
        assert!(modseqs[0] > start);
        assert_eq!(*modseqs.last().unwrap(), last);
        assert_eq!(inbox.status().highest_modseq, last);

        let done = store_flags(&mut *inbox, &[1], change(FlagOp::Add, Flags::SEEN, &[])).await;
        assert!(done.modseq > last);
        inbox.sync().await.unwrap();
        assert_eq!(meta(&*inbox, 1).modseq, done.modseq);
        assert_eq!(meta(&*inbox, 2).modseq, modseqs[1]);
        assert_eq!(inbox.status().highest_modseq, done.modseq);

        let done2 = store_flags(
            &mut *inbox,
            &[2, 3],
            change(FlagOp::Add, Flags::empty(), &["k"]),
        )
        .await;
        assert!(done2.modseq > done.modseq);
        inbox.sync().await.unwrap();
        assert!(meta(&*inbox, 2).modseq > done.modseq);
        assert!(meta(&*inbox, 3).modseq > done.modseq);
        assert_eq!(
            account.status("INBOX").await.unwrap().highest_modseq,
            done2.modseq
        );
    }

    /// A flag change that changes nothing leaves MODSEQs alone (RFC 7162
    /// section 3.1) and is no update for `sync`; the UID is still reported
    /// as stored.
    pub(crate) async fn modseq_unchanged_by_store_that_changes_nothing(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let options = AppendOptions::new(Flags::SEEN, kw(&["Work"]));
        let uid = append_with(&*account, &mut *inbox, &message(1), options).await;
        inbox.sync().await.unwrap();
        let before = meta(&*inbox, uid).modseq;
        let highest = inbox.status().highest_modseq;

        let noops = [
            change(FlagOp::Add, Flags::SEEN, &["work"]),
            change(FlagOp::Remove, Flags::FLAGGED, &["absent"]),
            change(FlagOp::Replace, Flags::SEEN, &["WORK"]),
        ];
        for noop in noops {
            let done = store_flags(&mut *inbox, &[uid], noop.clone()).await;
            assert_eq!(done.modseq, highest, "{noop:?}");
            assert_eq!(
                done.outcomes,
                vec![Outcome::Stored {
                    changed: vec![uid],
                    conflicts: vec![]
                }]
            );
            let changes = inbox.sync().await.unwrap();
            assert!(changes.is_empty(), "{noop:?}: {changes:?}");
            assert_eq!(meta(&*inbox, uid).modseq, before);
            assert_eq!(inbox.status().highest_modseq, highest);
        }
    }

    /// An expunge raises HIGHESTMODSEQ; expunging nothing does not.
    pub(crate) async fn expunge_bumps_highest_modseq(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &message(1)).await;
        append(&*account, &mut *inbox, &message(2)).await;
        inbox.sync().await.unwrap();
        let highest = inbox.status().highest_modseq;

        let done = inbox.commit(Transaction::new().expunge([1])).await.unwrap();
        assert_eq!(done.outcomes, vec![Outcome::Expunged(vec![1])]);
        assert!(done.modseq > highest);
        inbox.sync().await.unwrap();
        assert_eq!(inbox.status().highest_modseq, done.modseq);
        assert_eq!(inbox.status().messages, 1);

        let none = inbox
            .commit(Transaction::new().expunge([1, 77]))
            .await
            .unwrap();
        assert_eq!(none.outcomes, vec![Outcome::Expunged(vec![])]);
        assert_eq!(none.modseq, done.modseq);
    }

    /// `UNCHANGEDSINCE`: messages changed later are conflicts, untouched.
    pub(crate) async fn unchanged_since_reports_conflicts(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &message(1)).await;
        append(&*account, &mut *inbox, &message(2)).await;
        inbox.sync().await.unwrap();
        let (m1, m2) = (meta(&*inbox, 1).modseq, meta(&*inbox, 2).modseq);
        assert!(m1 < m2);

        let done = store_flags(
            &mut *inbox,
            &[1, 2],
            change(FlagOp::Add, Flags::SEEN, &[]).unchanged_since(m1),
        )
        .await;
        assert_eq!(
            done.outcomes,
            vec![Outcome::Stored {
                changed: vec![1],
                conflicts: vec![2]
            }]
        );
        inbox.sync().await.unwrap();
        assert!(meta(&*inbox, 1).flags.contains(Flags::SEEN));
        assert!(!meta(&*inbox, 2).flags.contains(Flags::SEEN));
        assert_eq!(meta(&*inbox, 2).modseq, m2);

        // At exactly its MODSEQ a message passes; at 0 nothing does.
        let highest = inbox.status().highest_modseq;
        let done = store_flags(
            &mut *inbox,
            &[2],
            change(FlagOp::Add, Flags::FLAGGED, &[]).unchanged_since(m2),
        )
        .await;
        assert_eq!(
            done.outcomes,
            vec![Outcome::Stored {
                changed: vec![2],
                conflicts: vec![]
            }]
        );
        assert!(done.modseq > highest);
        let done = store_flags(
            &mut *inbox,
            &[1, 2],
            change(FlagOp::Add, Flags::DRAFT, &[]).unchanged_since(0),
        )
        .await;
        assert_eq!(
            done.outcomes,
            vec![Outcome::Stored {
                changed: vec![],
                conflicts: vec![1, 2]
            }]
        );
        inbox.sync().await.unwrap();
        assert!(
            inbox
                .messages()
                .iter()
                .all(|m| !m.flags.contains(Flags::DRAFT))
        );
    }

    /// Expunged UIDs, the highest included, are never given again.
    pub(crate) async fn uids_never_reused_after_expunge(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        for n in 1..=3 {
            append(&*account, &mut *inbox, &message(n)).await;
        }
        inbox
            .commit(Transaction::new().expunge([3, 2]))
            .await
            .unwrap();
        assert_eq!(append(&*account, &mut *inbox, &message(4)).await, 4);
        inbox
            .commit(Transaction::new().expunge([1, 4]))
            .await
            .unwrap();
        inbox.sync().await.unwrap();
        assert!(inbox.messages().is_empty());
        assert_eq!(inbox.status().uid_next, 5);
        assert_eq!(append(&*account, &mut *inbox, &message(5)).await, 5);
    }

    /// UIDs the mailbox does not have are skipped by every operation.
    pub(crate) async fn unknown_uids_are_skipped(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Archive", None).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &message(1)).await;
        let done = inbox
            .commit(
                Transaction::new()
                    .store([42, 1, 43], change(FlagOp::Add, Flags::SEEN, &[]))
                    .copy([42], "Archive")
                    .move_to([43], "Archive")
                    .expunge([44]),
            )
            .await
            .unwrap();
        let archive_validity = account.status("Archive").await.unwrap().uid_validity;
        assert_eq!(
            done.outcomes,
            vec![
                Outcome::Stored {
                    changed: vec![1],
                    conflicts: vec![]
                },
                Outcome::Copied {
                    uid_validity: archive_validity,
                    uids: vec![]
                },
                Outcome::Copied {
                    uid_validity: archive_validity,
                    uids: vec![]
                },
                Outcome::Expunged(vec![]),
            ]
        );
        assert_eq!(account.status("Archive").await.unwrap().messages, 0);
        assert_eq!(account.status("INBOX").await.unwrap().messages, 1);
    }

    // ---- copy and move ------------------------------------------------

    /// Copies keep flags, keywords, date and content, get new UIDs in
    /// source-UID order, and are reported as RFC 4315 COPYUID.
    pub(crate) async fn copy_keeps_flags_and_maps_uids(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Archive", None).await.unwrap();
        let mut archive = account.open("Archive").await.unwrap();
        append(&*account, &mut *archive, &message(100)).await;
        archive.sync().await.unwrap();
        let archive_before = archive.status();

        let mut inbox = account.open("INBOX").await.unwrap();
        for n in 1..=3 {
            let options = AppendOptions::new(Flags::SEEN, kw(&[&format!("k{n}")]))
                .at(date(1_600_000_000 + u64::from(n)));
            append_with(&*account, &mut *inbox, &message(n), options).await;
        }
        let done = inbox
            .commit(Transaction::new().copy([3, 99, 1, 3], "Archive"))
            .await
            .unwrap();
        assert_eq!(
            done.outcomes,
            vec![Outcome::Copied {
                uid_validity: archive_before.uid_validity,
                uids: vec![(1, 2), (3, 3)]
            }]
        );

        inbox.sync().await.unwrap();
        assert_eq!(uids(&*inbox), vec![1, 2, 3]);
        let changes = archive.sync().await.unwrap();
        assert_eq!(changes.added, vec![2, 3]);
        for (source, target) in [(1, 2), (3, 3)] {
            let (s, t) = (meta(&*inbox, source), meta(&*archive, target));
            assert_eq!(
                (t.flags, &t.keywords, t.internal_date, t.size),
                (s.flags, &s.keywords, s.internal_date, s.size)
            );
            assert!(t.modseq > archive_before.highest_modseq);
            assert_eq!(
                bytes_of(&*archive, target).await,
                bytes_of(&*inbox, source).await
            );
        }
        assert_eq!(archive.status().uid_next, 4);
        assert_eq!(archive.status().unseen, 1);
    }

    /// Copying into the mailbox itself makes new messages.
    pub(crate) async fn copy_to_same_mailbox_gives_new_uids(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let options = AppendOptions::new(Flags::FLAGGED, vec![]);
        append_with(&*account, &mut *inbox, &message(1), options).await;
        let validity = inbox.status().uid_validity;
        let done = inbox
            .commit(Transaction::new().copy([1], "inbox"))
            .await
            .unwrap();
        assert_eq!(
            done.outcomes,
            vec![Outcome::Copied {
                uid_validity: validity,
                uids: vec![(1, 2)]
            }]
        );
        inbox.sync().await.unwrap();
        assert_eq!(uids(&*inbox), vec![1, 2]);
        assert_eq!(meta(&*inbox, 2).flags, Flags::FLAGGED);
        assert_eq!(bytes_of(&*inbox, 2).await, message(1));
    }

    /// A move is a copy plus an expunge in the source.
    pub(crate) async fn move_removes_from_source(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Archive", None).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        for n in 1..=3 {
            append_with(
                &*account,
                &mut *inbox,
                &message(n),
                AppendOptions::new(Flags::ANSWERED, kw(&["$Moved"])),
            )
            .await;
        }
        inbox.sync().await.unwrap();
        let highest = inbox.status().highest_modseq;
        let validity = account.status("Archive").await.unwrap().uid_validity;

        let done = inbox
            .commit(Transaction::new().move_to([3, 1], "Archive"))
            .await
            .unwrap();
        assert_eq!(
            done.outcomes,
            vec![Outcome::Copied {
                uid_validity: validity,
                uids: vec![(1, 1), (3, 2)]
            }]
        );
        assert!(done.modseq > highest);

        let changes = inbox.sync().await.unwrap();
        assert_eq!(changes.expunged, vec![1, 3]);
        assert_eq!(uids(&*inbox), vec![2]);
        let archive = account.open("Archive").await.unwrap();
        assert_eq!(uids(&*archive), vec![1, 2]);
        assert_eq!(meta(&*archive, 2).flags, Flags::ANSWERED);
        assert!(meta(&*archive, 2).has_keyword("$moved"));
        assert_eq!(bytes_of(&*archive, 2).await, message(3));
    }

    /// A missing target mailbox is NotFound (IMAP's TRYCREATE).
    pub(crate) async fn copy_or_move_to_missing_mailbox_is_not_found(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &message(1)).await;
        assert_eq!(
            kind(inbox.commit(Transaction::new().copy([1], "Nowhere")).await),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(
                inbox
                    .commit(Transaction::new().move_to([1], "Nowhere"))
                    .await
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(inbox.commit(Transaction::new().copy([1], "a//b")).await),
            ErrorKind::Invalid
        );
        inbox.sync().await.unwrap();
        assert_eq!(uids(&*inbox), vec![1]);
    }

    /// A failing operation undoes the whole transaction.
    pub(crate) async fn failing_operation_rolls_back_transaction(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Archive", None).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &message(1)).await;
        inbox.sync().await.unwrap();
        let before = inbox.status();
        let usage = account.quota().await.unwrap();

        let staged = stage(&*account, &message(2)).await;
        let tx = Transaction::new()
            .append(staged, AppendOptions::default())
            .store([1], change(FlagOp::Add, Flags::SEEN, &["kw"]))
            .copy([1], "Archive")
            .expunge([1])
            .copy([1], "Missing");
        assert_eq!(kind(inbox.commit(tx).await), ErrorKind::NotFound);

        let changes = inbox.sync().await.unwrap();
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(uids(&*inbox), vec![1]);
        assert_eq!(meta(&*inbox, 1).flags, Flags::empty());
        assert!(meta(&*inbox, 1).keywords.is_empty());
        assert_eq!(inbox.status().messages, before.messages);
        assert_eq!(account.status("Archive").await.unwrap().messages, 0);
        assert_eq!(account.quota().await.unwrap().bytes, usage.bytes);

        // The mailbox still works, and UIDs still ascend.
        let uid = append(&*account, &mut *inbox, &message(3)).await;
        assert!(uid > 1);
    }

    // ---- sessions ---------------------------------------------------

    /// A commit does not change the view; the next sync reports the
    /// session's own changes.
    pub(crate) async fn commit_changes_view_only_at_sync(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let before = inbox.status();
        append(&*account, &mut *inbox, &message(1)).await;
        append(&*account, &mut *inbox, &message(2)).await;
        assert!(inbox.messages().is_empty());
        assert_eq!(inbox.status(), before);
        assert!(inbox.get(1).is_none());

        let changes = inbox.sync().await.unwrap();
        assert_eq!(
            (
                changes.added.clone(),
                changes.expunged.clone(),
                changes.updated.clone()
            ),
            (vec![1, 2], vec![], vec![])
        );
        assert!(!changes.uid_validity_changed);
        assert_eq!(inbox.status().messages, 2);

        store_flags(&mut *inbox, &[2], change(FlagOp::Add, Flags::SEEN, &[])).await;
        inbox.commit(Transaction::new().expunge([1])).await.unwrap();
        assert_eq!(uids(&*inbox), vec![1, 2]);
        assert!(!meta(&*inbox, 2).flags.contains(Flags::SEEN));
        let changes = inbox.sync().await.unwrap();
        assert_eq!(
            (
                changes.added.clone(),
                changes.expunged.clone(),
                changes.updated.clone()
            ),
            (vec![], vec![1], vec![2])
        );
        assert!(inbox.sync().await.unwrap().is_empty());
    }

    /// Session B sees A's appends, flag changes and expunges at its next
    /// sync, not before.
    pub(crate) async fn second_session_sees_changes_after_sync(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut a = account.open("INBOX").await.unwrap();
        let mut b = account.open("INBOX").await.unwrap();

        append(&*account, &mut *a, &message(1)).await;
        append(&*account, &mut *a, &message(2)).await;
        append(&*account, &mut *a, &message(3)).await;
        assert!(b.messages().is_empty());
        assert_eq!(b.status().messages, 0);
        let changes = b.sync().await.unwrap();
        assert_eq!(changes.added, vec![1, 2, 3]);
        assert!(changes.expunged.is_empty() && changes.updated.is_empty());
        assert_eq!(b.status().messages, 3);

        store_flags(
            &mut *a,
            &[1, 3],
            change(FlagOp::Add, Flags::SEEN, &["Done"]),
        )
        .await;
        assert!(!meta(&*b, 1).flags.contains(Flags::SEEN));
        let changes = b.sync().await.unwrap();
        assert_eq!(changes.updated, vec![1, 3]);
        assert!(changes.added.is_empty() && changes.expunged.is_empty());
        assert!(meta(&*b, 3).flags.contains(Flags::SEEN) && meta(&*b, 3).has_keyword("done"));
        assert_eq!(b.status().unseen, 1);

        a.commit(Transaction::new().expunge([2])).await.unwrap();
        append(&*account, &mut *a, &message(4)).await;
        assert_eq!(uids(&*b), vec![1, 2, 3]);
        let changes = b.sync().await.unwrap();
        assert_eq!(
            (
                changes.expunged.clone(),
                changes.added.clone(),
                changes.updated.clone()
            ),
            (vec![2], vec![4], vec![])
        );
        assert_eq!(uids(&*b), vec![1, 3, 4]);

        a.sync().await.unwrap();
        assert_eq!(a.messages(), b.messages());
        assert_eq!(a.status(), b.status());
        assert_eq!(account.status("INBOX").await.unwrap(), b.status());
    }

    /// `content` of a UID in the view that another session expunged is
    /// Expunged; of a UID never there, NotFound.
    pub(crate) async fn content_of_message_expunged_elsewhere(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut a = account.open("INBOX").await.unwrap();
        let mut b = account.open("INBOX").await.unwrap();
        append(&*account, &mut *a, &message(1)).await;
        append(&*account, &mut *a, &message(2)).await;
        b.sync().await.unwrap();
        a.commit(Transaction::new().expunge([1])).await.unwrap();

        assert_eq!(kind(b.content(1).await), ErrorKind::Expunged);
        assert_eq!(kind(b.content(999).await), ErrorKind::NotFound);
        assert_eq!(bytes_of(&*b, 2).await, message(2));
        assert_eq!(b.get(1).map(|m| m.uid), Some(1));

        b.sync().await.unwrap();
        assert!(b.get(1).is_none());
        assert!(matches!(
            kind(b.content(1).await),
            ErrorKind::NotFound | ErrorKind::Expunged
        ));
    }

    /// A watcher wakes after another session commits to its mailbox.
    pub(crate) async fn watch_wakes_after_commit_elsewhere(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Other", None).await.unwrap();
        let mut a = account.open("INBOX").await.unwrap();
        let mut b = account.open("INBOX").await.unwrap();
        let mut watcher = b.watch();

        // A commit elsewhere is not a change here.
        let mut other = account.open("Other").await.unwrap();
        append(&*account, &mut *other, &message(9)).await;
        assert!(
            tokio::time::timeout(Duration::from_millis(100), watcher.changed())
                .await
                .is_err()
        );

        append(&*account, &mut *a, &message(1)).await;
        tokio::time::timeout(Duration::from_secs(5), watcher.changed())
            .await
            .expect("watcher did not wake")
            .unwrap();
        assert_eq!(b.sync().await.unwrap().added, vec![1]);

        // It wakes again for the next change, flags included.
        store_flags(&mut *a, &[1], change(FlagOp::Add, Flags::SEEN, &[])).await;
        tokio::time::timeout(Duration::from_secs(5), watcher.changed())
            .await
            .expect("watcher did not wake")
            .unwrap();
        assert_eq!(b.sync().await.unwrap().updated, vec![1]);
    }

    /// A task waiting on a watcher is woken by a commit made meanwhile.
    pub(crate) async fn watch_wakes_a_waiting_task(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut a = account.open("INBOX").await.unwrap();
        let b = account.open("INBOX").await.unwrap();
        let mut watcher = b.watch();
        let waiting = tokio::spawn(async move {
            tokio::time::timeout(Duration::from_secs(5), watcher.changed()).await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        append(&*account, &mut *a, &message(1)).await;
        let woke = waiting.await.unwrap();
        woke.expect("watcher did not wake").unwrap();
    }

    /// Without a change, a watcher does not wake; changes before it was
    /// made do not wake it either.
    pub(crate) async fn watch_stays_quiet_without_change(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut a = account.open("INBOX").await.unwrap();
        append(&*account, &mut *a, &message(1)).await;
        let b = account.open("INBOX").await.unwrap();
        append(&*account, &mut *a, &message(2)).await;
        let mut watcher = b.watch();
        assert!(
            tokio::time::timeout(Duration::from_millis(100), watcher.changed())
                .await
                .is_err()
        );
        // Nor does a read-only access or a status.
        a.sync().await.unwrap();
        a.content(1).await.unwrap();
        account.status("INBOX").await.unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(100), watcher.changed())
                .await
                .is_err()
        );
    }

    /// Deleting a mailbox wakes its watchers; a later sync is NotFound.
    pub(crate) async fn watch_wakes_when_mailbox_deleted(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Doomed", None).await.unwrap();
        let mut b = account.open("Doomed").await.unwrap();
        let mut watcher = b.watch();
        account.delete_mailbox("Doomed").await.unwrap();
        // Waking with an error is waking too.
        let _ = tokio::time::timeout(Duration::from_secs(5), watcher.changed())
            .await
            .expect("watcher did not wake");
        assert_eq!(kind(b.sync().await), ErrorKind::NotFound);
        let staged = stage(&*account, &message(1)).await;
        assert_eq!(
            kind(
                b.commit(Transaction::new().append(staged, AppendOptions::default()))
                    .await
            ),
            ErrorKind::NotFound
        );
    }

    // ---- mailboxes ----------------------------------------------------

    /// INBOX first, then by name; missing parents listed as not existing;
    /// special use and subscriptions shown.
    pub(crate) async fn list_mailboxes(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let fresh = account.mailboxes().await.unwrap();
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].name, "INBOX");
        assert!(fresh[0].exists && !fresh[0].has_children && fresh[0].special_use.is_none());

        account
            .create_mailbox("Sent", Some(SpecialUse::Sent))
            .await
            .unwrap();
        account.create_mailbox("Lists/rust", None).await.unwrap();
        account
            .create_mailbox("Archive", Some(SpecialUse::Archive))
            .await
            .unwrap();
        account
            .create_mailbox("Lists/rust/announce", None)
            .await
            .unwrap();
        account.set_subscribed("Sent", true).await.unwrap();
        account.set_subscribed("INBOX", true).await.unwrap();

        let list = account.mailboxes().await.unwrap();
        let summary: Vec<(&str, bool, bool, bool, Option<SpecialUse>)> = list
            .iter()
            .map(|m| {
                (
                    m.name.as_str(),
                    m.exists,
                    m.has_children,
                    m.subscribed,
                    m.special_use,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("INBOX", true, false, true, None),
                ("Archive", true, false, false, Some(SpecialUse::Archive)),
                ("Lists", false, true, false, None),
                ("Lists/rust", true, true, false, None),
                ("Lists/rust/announce", true, false, false, None),
                ("Sent", true, false, true, Some(SpecialUse::Sent)),
            ]
        );

        account.set_subscribed("Sent", false).await.unwrap();
        account
            .create_mailbox("Lists", Some(SpecialUse::Junk))
            .await
            .unwrap();
        let list = account.mailboxes().await.unwrap();
        let lists = list.iter().find(|m| m.name == "Lists").unwrap();
        assert!(lists.exists && lists.has_children);
        assert_eq!(lists.special_use, Some(SpecialUse::Junk));
        assert!(!list.iter().find(|m| m.name == "Sent").unwrap().subscribed);
    }

    /// `INBOX` in any case is the inbox.
    pub(crate) async fn inbox_is_case_insensitive(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut lower = account.open("inbox").await.unwrap();
        append(&*account, &mut *lower, &message(1)).await;
        assert_eq!(account.status("InBoX").await.unwrap().messages, 1);
        let upper = account.open("INBOX").await.unwrap();
        assert_eq!(uids(&*upper), vec![1]);
        assert_eq!(names(&*account).await, vec!["INBOX"]);
    }

    /// Creating what exists (INBOX included) is AlreadyExists; a parent
    /// that is only listed can be created.
    pub(crate) async fn create_existing_mailbox_fails(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Work", None).await.unwrap();
        assert_eq!(
            kind(account.create_mailbox("Work", None).await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind(account.create_mailbox("INBOX", None).await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind(account.create_mailbox("inbox", None).await),
            ErrorKind::AlreadyExists
        );
        account.create_mailbox("work", None).await.unwrap(); // other names are case-sensitive
        account.create_mailbox("Work/2024", None).await.unwrap();
        assert_eq!(
            names(&*account).await,
            vec!["INBOX", "Work", "Work/2024", "work"]
        );
    }

    /// Empty names or levels, separators at the ends and control
    /// characters are Invalid everywhere a name is taken.
    pub(crate) async fn invalid_names_are_refused(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("ok", None).await.unwrap();
        for bad in [
            "",
            "/",
            "/a",
            "a/",
            "a//b",
            "a\0b",
            "a\nb",
            "a\rb",
            "tab\there",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert_eq!(
                kind(account.create_mailbox(bad, None).await),
                ErrorKind::Invalid,
                "create {bad:?}"
            );
            assert_eq!(
                kind(account.open(bad).await),
                ErrorKind::Invalid,
                "open {bad:?}"
            );
            assert_eq!(
                kind(account.status(bad).await),
                ErrorKind::Invalid,
                "status {bad:?}"
            );
            assert_eq!(
                kind(account.delete_mailbox(bad).await),
                ErrorKind::Invalid,
                "delete {bad:?}"
            );
            assert_eq!(
                kind(account.rename_mailbox("ok", bad).await),
                ErrorKind::Invalid,
                "rename to {bad:?}"
            );
            assert_eq!(
                kind(account.set_subscribed(bad, true).await),
                ErrorKind::Invalid,
                "subscribe {bad:?}"
            );
        }
        assert_eq!(names(&*account).await, vec!["INBOX", "ok"]);
        // Non-ASCII printable names are fine.
        account.create_mailbox("Entwürfe/été", None).await.unwrap();
    }

    /// Mailboxes that do not exist are NotFound.
    pub(crate) async fn missing_mailbox_is_not_found(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Parent/child", None).await.unwrap();
        for missing in ["Nope", "Parent"] {
            assert_eq!(kind(account.open(missing).await), ErrorKind::NotFound);
            assert_eq!(kind(account.status(missing).await), ErrorKind::NotFound);
            assert_eq!(
                kind(account.delete_mailbox(missing).await),
                ErrorKind::NotFound
            );
            assert_eq!(
                kind(account.rename_mailbox(missing, "Elsewhere").await),
                ErrorKind::NotFound
            );
        }
    }

    /// Renaming moves the mailbox with its children, messages and
    /// special use.
    pub(crate) async fn rename_moves_children(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account
            .create_mailbox("a", Some(SpecialUse::Archive))
            .await
            .unwrap();
        account.create_mailbox("a/x", None).await.unwrap();
        account.create_mailbox("a/x/y", None).await.unwrap();
        account.create_mailbox("ab", None).await.unwrap();
        let mut ax = account.open("a/x").await.unwrap();
        append_with(
            &*account,
            &mut *ax,
            &message(1),
            AppendOptions::new(Flags::SEEN, vec![]),
        )
        .await;
        drop(ax);

        account.rename_mailbox("a", "b").await.unwrap();
        assert_eq!(
            names(&*account).await,
            vec!["INBOX", "ab", "b", "b/x", "b/x/y"]
        );
        let list = account.mailboxes().await.unwrap();
        assert_eq!(
            list.iter().find(|m| m.name == "b").unwrap().special_use,
            Some(SpecialUse::Archive)
        );
        let bx = account.open("b/x").await.unwrap();
        assert_eq!(uids(&*bx), vec![1]);
        assert_eq!(meta(&*bx, 1).flags, Flags::SEEN);
        assert_eq!(bytes_of(&*bx, 1).await, message(1));
        assert_eq!(kind(account.open("a/x").await), ErrorKind::NotFound);

        // Into a new hierarchy whose parent does not exist.
        account.rename_mailbox("b/x", "c/d").await.unwrap();
        assert_eq!(
            names(&*account).await,
            vec!["INBOX", "ab", "b", "c", "c/d", "c/d/y"]
        );
        assert_eq!(account.status("c/d").await.unwrap().messages, 1);
    }

    /// Rename refuses existing targets, missing sources and moves into
    /// the mailbox's own children.
    pub(crate) async fn rename_errors(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        for name in ["a", "a/x", "b", "c/x"] {
            account.create_mailbox(name, None).await.unwrap();
        }
        assert_eq!(
            kind(account.rename_mailbox("a", "b").await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind(account.rename_mailbox("a", "a").await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind(account.rename_mailbox("a", "INBOX").await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind(account.rename_mailbox("a", "inbox").await),
            ErrorKind::AlreadyExists
        );
        // A child's new name is taken.
        assert_eq!(
            kind(account.rename_mailbox("a", "c").await),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind(account.rename_mailbox("missing", "z").await),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(account.rename_mailbox("a", "a/x/sub").await),
            ErrorKind::Invalid
        );
        assert_eq!(
            names(&*account).await,
            vec!["INBOX", "a", "a/x", "b", "c", "c/x"]
        );
    }

    /// Renaming INBOX moves its messages into a new mailbox with a new
    /// UIDVALIDITY and leaves INBOX empty, its UIDs still unused.
    pub(crate) async fn rename_inbox_moves_messages(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("INBOX/child", None).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        append_with(
            &*account,
            &mut *inbox,
            &message(1),
            AppendOptions::new(Flags::FLAGGED, kw(&["k"])),
        )
        .await;
        append(&*account, &mut *inbox, &message(2)).await;
        inbox.sync().await.unwrap();
        let inbox_validity = inbox.status().uid_validity;

        account.rename_mailbox("inbox", "Old").await.unwrap();
        assert_eq!(names(&*account).await, vec!["INBOX", "INBOX/child", "Old"]);
        let old = account.open("Old").await.unwrap();
        assert_eq!(old.messages().len(), 2);
        assert_ne!(old.status().uid_validity, inbox_validity);
        let flagged = old
            .messages()
            .iter()
            .find(|m| m.flags.contains(Flags::FLAGGED))
            .unwrap();
        assert!(flagged.has_keyword("k"));
        assert_eq!(bytes_of(&*old, flagged.uid).await, message(1));

        let status = account.status("INBOX").await.unwrap();
        assert_eq!(status.messages, 0);
        assert_eq!(status.uid_validity, inbox_validity);
        let changes = inbox.sync().await.unwrap();
        assert_eq!(changes.expunged, vec![1, 2]);
        assert!(append(&*account, &mut *inbox, &message(3)).await > 2);
        assert_eq!(account.status("INBOX/child").await.unwrap().messages, 0);
    }

    /// A mailbox deleted and created again has a new UIDVALIDITY and none
    /// of the old messages.
    pub(crate) async fn delete_and_recreate_gives_new_uid_validity(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("X", None).await.unwrap();
        let mut x = account.open("X").await.unwrap();
        append(&*account, &mut *x, &message(1)).await;
        let first = account.status("X").await.unwrap().uid_validity;
        account.delete_mailbox("X").await.unwrap();
        assert_eq!(kind(account.status("X").await), ErrorKind::NotFound);
        assert_eq!(names(&*account).await, vec!["INBOX"]);
        assert_eq!(account.quota().await.unwrap().messages, 0);

        account.create_mailbox("X", None).await.unwrap();
        let status = account.status("X").await.unwrap();
        assert_ne!(status.uid_validity, first);
        assert_ne!(status.uid_validity, 0);
        assert_eq!((status.messages, status.uid_next), (0, 1));
        assert_eq!(kind(x.sync().await), ErrorKind::NotFound);
    }

    /// INBOX cannot be deleted (Invalid: IMAP `NO [CANNOT]`).
    pub(crate) async fn delete_inbox_is_refused(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        assert_eq!(
            kind(account.delete_mailbox("INBOX").await),
            ErrorKind::Invalid
        );
        assert_eq!(
            kind(account.delete_mailbox("Inbox").await),
            ErrorKind::Invalid
        );
        assert!(account.open("INBOX").await.is_ok());
    }

    /// Deleting a parent leaves its children, and the parent is listed
    /// as not existing.
    pub(crate) async fn delete_keeps_children(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("p", None).await.unwrap();
        account.create_mailbox("p/c", None).await.unwrap();
        account.delete_mailbox("p").await.unwrap();
        let list = account.mailboxes().await.unwrap();
        let p = list.iter().find(|m| m.name == "p").unwrap();
        assert!(!p.exists && p.has_children);
        assert!(list.iter().find(|m| m.name == "p/c").unwrap().exists);
        assert!(account.open("p/c").await.is_ok());
        account.delete_mailbox("p/c").await.unwrap();
        assert_eq!(names(&*account).await, vec!["INBOX"]);
    }

    /// Subscriptions are names, which need not exist.
    pub(crate) async fn subscriptions_need_not_exist(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.set_subscribed("Later", true).await.unwrap();
        account.set_subscribed("Later", true).await.unwrap();
        account.set_subscribed("Gone/Child", true).await.unwrap();
        assert_eq!(
            account.subscriptions().await.unwrap(),
            ["Gone/Child", "Later"],
            "subscriptions to mailboxes that do not exist are listed"
        );
        account.create_mailbox("Later", None).await.unwrap();
        let list = account.mailboxes().await.unwrap();
        assert!(list.iter().find(|m| m.name == "Later").unwrap().subscribed);
        account.set_subscribed("Later", false).await.unwrap();
        account.set_subscribed("Never", false).await.unwrap();
        let list = account.mailboxes().await.unwrap();
        assert!(!list.iter().find(|m| m.name == "Later").unwrap().subscribed);
        // A subscription outlives its mailbox.
        account.set_subscribed("Later", true).await.unwrap();
        account.delete_mailbox("Later").await.unwrap();
        account.create_mailbox("Later", None).await.unwrap();
        let list = account.mailboxes().await.unwrap();
        assert!(list.iter().find(|m| m.name == "Later").unwrap().subscribed);
    }

    /// Status counts messages, unseen ones, and bytes.
    pub(crate) async fn status_counts_unseen_and_size(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        append_with(
            &*account,
            &mut *inbox,
            b"12345",
            AppendOptions::new(Flags::SEEN, vec![]),
        )
        .await;
        append(&*account, &mut *inbox, b"123").await;
        append_with(
            &*account,
            &mut *inbox,
            b"1",
            AppendOptions::new(Flags::FLAGGED, vec![]),
        )
        .await;
        let status = account.status("INBOX").await.unwrap();
        assert_eq!(
            (status.messages, status.unseen, status.size, status.uid_next),
            (3, 2, 9, 4)
        );
        store_flags(&mut *inbox, &[2, 3], change(FlagOp::Add, Flags::SEEN, &[])).await;
        assert_eq!(account.status("INBOX").await.unwrap().unseen, 0);
        inbox.sync().await.unwrap();
        assert_eq!(inbox.status(), account.status("INBOX").await.unwrap());
    }

    // ---- quota ----------------------------------------------------------

    /// A byte quota stops a writer as soon as it cannot fit, and a commit
    /// that would exceed it; nothing is left behind.
    pub(crate) async fn quota_bytes(store: Arc<dyn Store>) {
        let account = with_quota(&store, Some(100), None).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &[b'a'; 60]).await;
        let usage = account.quota().await.unwrap();
        assert_eq!((usage.bytes, usage.messages), (60, 1));
        assert_eq!(
            usage.limit,
            QuotaLimit {
                bytes: Some(100),
                messages: None
            }
        );
        assert!(usage.allows(40, 1) && !usage.allows(41, 1));

        // Alone too big for what is left: refused while writing.
        let mut writer = account.begin_append().await.unwrap();
        writer.write(&[b'b'; 30]).await.unwrap();
        assert_eq!(kind(writer.write(&[b'b'; 20]).await), ErrorKind::OverQuota);
        drop(writer);

        // Each fits, both do not: refused at commit, neither stored.
        let tx = Transaction::new()
            .append(
                stage(&*account, &[b'c'; 25]).await,
                AppendOptions::default(),
            )
            .append(
                stage(&*account, &[b'd'; 25]).await,
                AppendOptions::default(),
            );
        assert_eq!(kind(inbox.commit(tx).await), ErrorKind::OverQuota);
        let usage = account.quota().await.unwrap();
        assert_eq!((usage.bytes, usage.messages), (60, 1));
        inbox.sync().await.unwrap();
        assert_eq!(uids(&*inbox), vec![1]);

        // Exactly up to the limit is fine; removing frees room.
        append(&*account, &mut *inbox, &[b'e'; 40]).await;
        assert_eq!(account.quota().await.unwrap().bytes, 100);
        inbox.commit(Transaction::new().expunge([1])).await.unwrap();
        append(&*account, &mut *inbox, &[b'f'; 60]).await;
        assert_eq!(account.quota().await.unwrap().bytes, 100);
    }

    /// A message-count quota is enforced at commit (or earlier).
    pub(crate) async fn quota_messages(store: Arc<dyn Store>) {
        let account = with_quota(&store, None, Some(2)).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &message(1)).await;
        append(&*account, &mut *inbox, &message(2)).await;
        let third = try_append(
            &*account,
            &mut *inbox,
            &message(3),
            AppendOptions::default(),
        )
        .await;
        assert_eq!(kind(third), ErrorKind::OverQuota);
        let usage = account.quota().await.unwrap();
        assert_eq!(usage.messages, 2);
        assert_eq!(usage.limit.messages, Some(2));
        assert_eq!(account.status("INBOX").await.unwrap().messages, 2);

        // Flag changes and expunges still work at the limit.
        store_flags(&mut *inbox, &[1], change(FlagOp::Add, Flags::SEEN, &[])).await;
        inbox.commit(Transaction::new().expunge([1])).await.unwrap();
        assert!(append(&*account, &mut *inbox, &message(4)).await > 2);
    }

    /// Copies count against the quota; a move does not add.
    pub(crate) async fn quota_counts_copies(store: Arc<dyn Store>) {
        let account = with_quota(&store, None, Some(2)).await;
        account.create_mailbox("Archive", None).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, &message(1)).await;
        append(&*account, &mut *inbox, &message(2)).await;
        assert_eq!(
            kind(inbox.commit(Transaction::new().copy([1], "Archive")).await),
            ErrorKind::OverQuota
        );
        assert_eq!(account.status("Archive").await.unwrap().messages, 0);
        inbox
            .commit(Transaction::new().move_to([1, 2], "Archive"))
            .await
            .unwrap();
        let usage = account.quota().await.unwrap();
        assert_eq!(usage.messages, 2);
        assert_eq!(account.status("Archive").await.unwrap().messages, 2);
        assert_eq!(account.status("INBOX").await.unwrap().messages, 0);
    }

    /// Usage is the sum over every mailbox, and deleting a mailbox frees it.
    pub(crate) async fn quota_usage_spans_mailboxes(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Archive", None).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        let mut archive = account.open("Archive").await.unwrap();
        append(&*account, &mut *inbox, &[1; 10]).await;
        append(&*account, &mut *archive, &[2; 20]).await;
        append(&*account, &mut *archive, &[3; 30]).await;
        let usage = account.quota().await.unwrap();
        assert_eq!((usage.bytes, usage.messages), (60, 3));
        assert!(usage.limit.is_unlimited());
        account.delete_mailbox("Archive").await.unwrap();
        let usage = account.quota().await.unwrap();
        assert_eq!((usage.bytes, usage.messages), (10, 1));
    }

    // ---- accounts ---------------------------------------------------

    /// Delivery appends a staged message without a view.
    pub(crate) async fn deliver_appends_without_a_view(store: Arc<dyn Store>) {
        let account = alice(&store).await;
        account.create_mailbox("Lists/rust", None).await.unwrap();
        let staged = stage(&*account, &message(1)).await;
        account
            .deliver(
                "Lists/rust",
                staged,
                AppendOptions::new(Flags::empty(), kw(&["$Delivered"])),
            )
            .await
            .unwrap();
        let list = account.open("Lists/rust").await.unwrap();
        assert_eq!(uids(&*list), vec![1]);
        assert!(meta(&*list, 1).has_keyword("$delivered"));
        assert_eq!(bytes_of(&*list, 1).await, message(1));
        let staged = stage(&*account, &message(2)).await;
        assert_eq!(
            kind(
                account
                    .deliver("Missing", staged, AppendOptions::default())
                    .await
            ),
            ErrorKind::NotFound
        );
    }

    /// Two `account` calls for one user give handles on the same mail.
    pub(crate) async fn same_user_shares_account(store: Arc<dyn Store>) {
        let one = alice(&store).await;
        let two = alice(&store).await;
        assert_eq!(one.name(), "alice@example.org");
        assert_eq!(two.name(), "alice@example.org");
        one.create_mailbox("Shared", None).await.unwrap();
        assert_eq!(names(&*two).await, vec!["INBOX", "Shared"]);

        let mut a = one.open("INBOX").await.unwrap();
        let mut b = two.open("INBOX").await.unwrap();
        append(&*one, &mut *a, &message(1)).await;
        assert_eq!(b.sync().await.unwrap().added, vec![1]);
        // A message staged through one handle commits through the other.
        let staged = stage(&*two, &message(2)).await;
        a.commit(Transaction::new().append(staged, AppendOptions::default()))
            .await
            .unwrap();
        assert_eq!(two.status("INBOX").await.unwrap().messages, 2);
    }

    /// Different users see nothing of each other's mail.
    pub(crate) async fn users_are_isolated(store: Arc<dyn Store>) {
        let alice = alice(&store).await;
        let bob = store.account(&User::new("bob@example.org")).await.unwrap();
        assert_eq!(bob.name(), "bob@example.org");
        alice.create_mailbox("Private", None).await.unwrap();
        let mut inbox = alice.open("INBOX").await.unwrap();
        append(&*alice, &mut *inbox, &message(1)).await;

        assert_eq!(names(&*bob).await, vec!["INBOX"]);
        assert_eq!(kind(bob.open("Private").await), ErrorKind::NotFound);
        assert_eq!(bob.status("INBOX").await.unwrap().messages, 0);
        assert_eq!(bob.quota().await.unwrap().messages, 0);

        // A message staged by alice cannot be committed to bob's mailbox.
        let staged = stage(&*alice, &message(2)).await;
        let mut bobs = bob.open("INBOX").await.unwrap();
        assert_eq!(
            kind(
                bobs.commit(Transaction::new().append(staged, AppendOptions::default()))
                    .await
            ),
            ErrorKind::Invalid
        );
        assert_eq!(bob.status("INBOX").await.unwrap().messages, 0);
        assert_eq!(alice.status("INBOX").await.unwrap().messages, 1);
    }

    /// A staged message of a type the backend did not make is Invalid,
    /// and the transaction it is in does nothing.
    pub(crate) async fn foreign_staged_message_is_invalid(store: Arc<dyn Store>) {
        #[derive(Debug)]
        struct Foreign;
        impl StagedMessage for Foreign {
            fn size(&self) -> u64 {
                0
            }
            fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
                self
            }
        }
        let account = alice(&store).await;
        let mut inbox = account.open("INBOX").await.unwrap();
        let tx = Transaction::new()
            .append(
                stage(&*account, &message(1)).await,
                AppendOptions::default(),
            )
            .append(Box::new(Foreign), AppendOptions::default());
        assert_eq!(kind(inbox.commit(tx).await), ErrorKind::Invalid);
        assert_eq!(account.status("INBOX").await.unwrap().messages, 0);
    }
}
