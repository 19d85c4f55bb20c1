//! The Maildir store: the backend-independent suite, then what only this
//! backend promises (the layout on disk, Dovecot's files, MODSEQs kept
//! across restarts, changes made by other processes, quota file).

#[macro_use]
mod store_suite;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use mailstore::store::Store;
use mailstore::store::maildir_store::MaildirStore;

/// A temporary directory under the target's tmp dir, removed on drop.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "store-maildir-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Maildir store in a temporary directory that lives as long as it.
struct MaildirFixture {
    store: Arc<MaildirStore>,
    _dir: TempDir,
}

impl MaildirFixture {
    fn new() -> MaildirFixture {
        let dir = TempDir::new("suite");
        MaildirFixture {
            store: Arc::new(MaildirStore::new(dir.path())),
            _dir: dir,
        }
    }
}

impl store_suite::Fixture for MaildirFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

store_suite!(MaildirFixture::new());

// ---- Maildir-specific ------------------------------------------------

use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_executor::block_on;
use mailstore::ErrorKind;
use mailstore::directory::{QuotaLimit, User};
use mailstore::store::{
    Account, AppendOptions, FlagChange, FlagOp, Flags, Mailbox, SpecialUse, Transaction,
};

fn kind<T>(result: mailstore::Result<T>) -> ErrorKind {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.kind(),
    }
}

async fn append(
    account: &dyn Account,
    mailbox: &mut dyn Mailbox,
    bytes: &[u8],
    options: AppendOptions,
) -> u32 {
    let mut writer = account.begin_append().await.unwrap();
    writer.write(bytes).await.unwrap();
    let staged = writer.finish().await.unwrap();
    let done = mailbox
        .commit(Transaction::new().append(staged, options))
        .await
        .unwrap();
    match done.outcomes[0] {
        mailstore::store::Outcome::Appended(uid) => uid,
        ref other => panic!("{other:?}"),
    }
}

/// The names of the files in a directory.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

const MESSAGE: &[u8] = b"From: a@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";

#[test]
fn account_roots_follow_mail_home_and_name() {
    block_on(async {
        let dir = TempDir::new("roots");
        let base = dir.path().join("vmail");
        let store = MaildirStore::new(&base);

        store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let alice = base.join("example.org/alice/Maildir");
        for sub in ["cur", "new", "tmp"] {
            assert!(alice.join(sub).is_dir(), "{sub}");
        }
        assert!(alice.join("dovecot-uidlist").is_file());
        assert!(alice.join("maildirsize").is_file());

        store.account(&User::new("bare")).await.unwrap();
        assert!(base.join("bare/Maildir/cur").is_dir());

        let home = dir.path().join("home/bob");
        store
            .account(&User::new("bob@example.org").with_home(&home))
            .await
            .unwrap();
        assert!(home.join("Maildir/cur").is_dir());

        let mut carol = User::new("carol@example.org").with_home(dir.path().join("home/carol"));
        carol.mail = Some("maildir:~/Mail/box:LAYOUT=fs".to_owned());
        store.account(&carol).await.unwrap();
        assert!(dir.path().join("home/carol/Mail/box/cur").is_dir());
        assert_eq!(
            store.root_of(&carol).unwrap(),
            dir.path().join("home/carol/Mail/box")
        );

        let mut dave = User::new("dave@example.net");
        dave.mail = Some(format!("maildir:{}/%d/%n", base.display()));
        assert_eq!(store.root_of(&dave).unwrap(), base.join("example.net/dave"));
        dave.mail = Some("maildir:~/Maildir".to_owned());
        assert_eq!(kind(store.root_of(&dave)), ErrorKind::Invalid);
        assert_eq!(
            kind(store.root_of(&User::new("../etc@example.org"))),
            ErrorKind::Invalid
        );
    });
}

#[test]
fn folders_are_maildir_plus_plus_directories() {
    block_on(async {
        let dir = TempDir::new("layout");
        let store = MaildirStore::new(dir.path());
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let root = dir.path().join("example.org/alice/Maildir");
        account
            .create_mailbox("Sent", Some(SpecialUse::Sent))
            .await
            .unwrap();
        account.create_mailbox("Lists/rust", None).await.unwrap();
        account.create_mailbox("Trash", None).await.unwrap();
        assert!(root.join(".Sent/maildirfolder").is_file());
        assert!(root.join(".Sent/dovecot-uidlist").is_file());
        assert!(root.join(".Lists.rust/cur").is_dir());
        assert!(!root.join(".Lists").exists());
        assert_eq!(
            fs::read_to_string(root.join("mailwright-special-use")).unwrap(),
            "Sent\t\\Sent\n"
        );
        let list = account.mailboxes().await.unwrap();
        let trash = list.iter().find(|m| m.name == "Trash").unwrap();
        assert_eq!(trash.special_use, None, "no entry, no attribute");

        account.set_subscribed("Lists/rust", true).await.unwrap();
        assert_eq!(
            fs::read_to_string(root.join("subscriptions")).unwrap(),
            "V\t2\n\nLists\trust\n"
        );
        // '.' is the separator on disk.
        assert_eq!(
            kind(account.create_mailbox("a.b", None).await),
            ErrorKind::Invalid
        );

        account.rename_mailbox("Sent", "Old/Sent").await.unwrap();
        assert!(root.join(".Old.Sent/maildirfolder").is_file());
        assert_eq!(
            fs::read_to_string(root.join("mailwright-special-use")).unwrap(),
            "Old/Sent\t\\Sent\n"
        );
        account.delete_mailbox("Old/Sent").await.unwrap();
        assert!(!root.join(".Old.Sent").exists());
    });
}

#[test]
fn flags_keywords_and_uids_are_in_dovecots_files() {
    block_on(async {
        let dir = TempDir::new("files");
        let store = MaildirStore::new(dir.path());
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let root = dir.path().join("example.org/alice/Maildir");
        let mut inbox = account.open("INBOX").await.unwrap();
        let options = AppendOptions::new(
            Flags::SEEN | Flags::FLAGGED,
            vec!["Work".to_owned(), "$Junk".to_owned()],
        );
        let uid = append(&*account, &mut *inbox, MESSAGE, options).await;
        assert_eq!(uid, 1);

        let names = files(&root.join("cur"));
        assert_eq!(names.len(), 1);
        let size = MESSAGE.len();
        assert!(
            names[0].ends_with(&format!(",S={size},W={size}:2,FSab")),
            "{names:?}"
        );
        assert_eq!(
            fs::read_to_string(root.join("dovecot-keywords")).unwrap(),
            "0 Work\n1 $Junk\n"
        );
        let uidlist = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
        let base = names[0].split(':').next().unwrap();
        assert!(uidlist.contains(&format!("\n1 :{base}")), "{uidlist}");

        inbox
            .commit(Transaction::new().store(
                [1],
                FlagChange::new(FlagOp::Replace, Flags::ANSWERED, vec!["$junk".into()]),
            ))
            .await
            .unwrap();
        let names = files(&root.join("cur"));
        assert!(names[0].ends_with(":2,Rb"), "{names:?}");

        // A 27th keyword does not fit; nothing changes.
        let many: Vec<String> = (0..24).map(|i| format!("k{i}")).collect();
        inbox
            .commit(
                Transaction::new().store([1], FlagChange::new(FlagOp::Add, Flags::empty(), many)),
            )
            .await
            .unwrap();
        let before = files(&root.join("cur"));
        assert_eq!(
            kind(
                inbox
                    .commit(Transaction::new().store(
                        [1],
                        FlagChange::new(FlagOp::Add, Flags::SEEN, vec!["one-too-many".into()]),
                    ))
                    .await
            ),
            ErrorKind::Invalid
        );
        assert_eq!(files(&root.join("cur")), before);
    });
}

#[test]
fn content_is_stored_with_its_own_line_ends() {
    block_on(async {
        let dir = TempDir::new("lf");
        let store = MaildirStore::new(dir.path());
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        let lf = b"Subject: lf\n\nbare\n";
        let uid = append(&*account, &mut *inbox, lf, AppendOptions::default()).await;
        inbox.sync().await.unwrap();
        assert_eq!(inbox.get(uid).unwrap().size, lf.len() as u64);
        let bytes = inbox.content(uid).await.unwrap().into_bytes().unwrap();
        assert_eq!(bytes, lf);
        let root = dir.path().join("example.org/alice/Maildir");
        let names = files(&root.join("cur"));
        assert!(names[0].contains(",S=18,W=21:2,"), "{names:?}");
        // Nothing left in tmp/.
        assert!(files(&root.join("tmp")).is_empty());
    });
}

#[test]
fn modseqs_survive_a_restart() {
    let dir = TempDir::new("restart");
    let user = User::new("alice@example.org");
    let (highest, metas, validity) = block_on(async {
        let store = MaildirStore::new(dir.path());
        let account = store.account(&user).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        for _ in 0..3 {
            append(&*account, &mut *inbox, MESSAGE, AppendOptions::default()).await;
        }
        inbox
            .commit(
                Transaction::new().store([2], FlagChange::new(FlagOp::Add, Flags::SEEN, vec![])),
            )
            .await
            .unwrap();
        inbox.commit(Transaction::new().expunge([3])).await.unwrap();
        inbox.sync().await.unwrap();
        let status = inbox.status();
        (
            status.highest_modseq,
            inbox.messages().to_vec(),
            status.uid_validity,
        )
    });
    let root = dir.path().join("example.org/alice/Maildir");
    let text = fs::read_to_string(root.join("mailwright-modseq")).unwrap();
    assert!(
        text.starts_with(&format!("mailwright-modseq 1 V{validity} H{highest}\n")),
        "{text}"
    );

    block_on(async {
        let store = MaildirStore::new(dir.path());
        let account = store.account(&user).await.unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        assert_eq!(inbox.status().highest_modseq, highest);
        assert_eq!(inbox.status().uid_validity, validity);
        assert_eq!(inbox.messages(), &metas[..]);
        let done = inbox
            .commit(
                Transaction::new().store([1], FlagChange::new(FlagOp::Add, Flags::FLAGGED, vec![])),
            )
            .await
            .unwrap();
        assert!(done.modseq > highest);
        assert_eq!(
            append(&*account, &mut *inbox, MESSAGE, AppendOptions::default()).await,
            4
        );
    });

    // The MODSEQ file is lost: the next process cannot know the MODSEQs a
    // client may remember, so it counts on from above all of them.
    fs::remove_file(root.join("mailwright-modseq")).unwrap();
    block_on(async {
        let store = MaildirStore::new(dir.path());
        let account = store.account(&user).await.unwrap();
        let inbox = account.open("INBOX").await.unwrap();
        let status = inbox.status();
        assert_eq!(status.uid_validity, validity);
        assert!(status.highest_modseq > highest + 1_000_000, "{status:?}");
        let uids: Vec<u32> = inbox.messages().iter().map(|m| m.uid).collect();
        assert_eq!(uids, [1, 2, 4]);
        assert!(
            inbox
                .messages()
                .iter()
                .all(|m| m.modseq > highest + 1_000_000)
        );
    });
}

#[test]
fn other_processes_deliveries_and_renames_get_new_modseqs() {
    block_on(async {
        let dir = TempDir::new("external");
        let store = MaildirStore::new(dir.path());
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let root = dir.path().join("example.org/alice/Maildir");
        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, MESSAGE, AppendOptions::default()).await;
        inbox.sync().await.unwrap();
        let highest = inbox.status().highest_modseq;

        // An MDA drops a message into new/, dated an hour ago.
        let md = maildir::delivery::Maildir::open(&root).unwrap();
        let delivered = md.deliver(b"Subject: from outside\n\nhi\n").unwrap();
        let hour_ago = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        fs::File::options()
            .write(true)
            .open(&delivered.path)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        let changes = inbox.sync().await.unwrap();
        assert_eq!(changes.added, vec![2]);
        let new = inbox.get(2).unwrap().clone();
        assert!(new.modseq > highest);
        assert_eq!(new.internal_date, hour_ago);
        assert_eq!(new.size, 26);
        assert_eq!(inbox.status().highest_modseq, new.modseq);
        assert!(files(&root.join("new")).is_empty(), "moved to cur/");

        // mutt marks message 1 seen by renaming its file.
        let cur = root.join("cur");
        let name = files(&cur)
            .into_iter()
            .find(|n| !n.contains(&delivered.name.base().to_string()))
            .unwrap();
        assert!(name.ends_with(":2,"));
        // Directory times are trusted only a second after a scan.
        std::thread::sleep(Duration::from_millis(1100));
        fs::rename(cur.join(&name), cur.join(format!("{name}S"))).unwrap();
        let changes = inbox.sync().await.unwrap();
        assert_eq!(changes.updated, vec![1]);
        assert!(changes.added.is_empty() && changes.expunged.is_empty());
        let one = inbox.get(1).unwrap();
        assert_eq!(one.flags, Flags::SEEN);
        assert!(one.modseq > new.modseq);

        // And an unlink by another process is an expunge.
        fs::remove_file(cur.join(format!("{name}S"))).unwrap();
        let before = inbox.status().highest_modseq;
        let changes = inbox.sync().await.unwrap();
        assert_eq!(changes.expunged, vec![1]);
        assert!(inbox.status().highest_modseq > before);
    });
}

#[test]
fn internal_date_is_the_files_mtime() {
    block_on(async {
        let dir = TempDir::new("mtime");
        let store = MaildirStore::new(dir.path());
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let root = dir.path().join("example.org/alice/Maildir");
        let mut inbox = account.open("INBOX").await.unwrap();
        let when = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        append(
            &*account,
            &mut *inbox,
            MESSAGE,
            AppendOptions::default().at(when),
        )
        .await;
        let name = files(&root.join("cur")).remove(0);
        let mtime = fs::metadata(root.join("cur").join(name))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(mtime, when);
        inbox.sync().await.unwrap();
        assert_eq!(inbox.get(1).unwrap().internal_date, when);
        assert!(inbox.get(1).unwrap().internal_date < SystemTime::now());
    });
}

#[test]
fn quota_is_kept_in_maildirsize() {
    block_on(async {
        let dir = TempDir::new("quota");
        let store = MaildirStore::new(dir.path());
        let user = User::new("alice@example.org").with_quota(QuotaLimit {
            bytes: Some(1000),
            messages: Some(10),
        });
        let account = store.account(&user).await.unwrap();
        let root = dir.path().join("example.org/alice/Maildir");
        let quota = maildir::quota::Quota::new(&root);
        let read = || quota.read().unwrap().unwrap();
        assert_eq!(read().limits.to_string(), "1000S,10C");

        // Delivery (into new/, no view) and append both count.
        let mut writer = account.begin_append().await.unwrap();
        writer.write(MESSAGE).await.unwrap();
        let staged = writer.finish().await.unwrap();
        account
            .deliver("INBOX", staged, AppendOptions::default())
            .await
            .unwrap();
        assert_eq!(files(&root.join("new")).len(), 1);
        let size = MESSAGE.len() as i64;
        assert_eq!((read().usage.bytes, read().usage.count), (size, 1));

        let mut inbox = account.open("INBOX").await.unwrap();
        append(&*account, &mut *inbox, MESSAGE, AppendOptions::default()).await;
        assert_eq!((read().usage.bytes, read().usage.count), (2 * size, 2));
        inbox.commit(Transaction::new().expunge([1])).await.unwrap();
        assert_eq!((read().usage.bytes, read().usage.count), (size, 1));
        let usage = account.quota().await.unwrap();
        assert_eq!((usage.bytes, usage.messages), (size as u64, 1));

        // New limits rewrite the first line, keeping the usage.
        let user = user.with_quota(QuotaLimit {
            bytes: Some(5000),
            messages: None,
        });
        store.account(&user).await.unwrap();
        assert_eq!(read().limits.to_string(), "5000S");
        assert_eq!((read().usage.bytes, read().usage.count), (size, 1));

        // A delivery that does not fit is refused and leaves nothing.
        let small = User::new("alice@example.org").with_quota(QuotaLimit {
            bytes: Some(60),
            messages: None,
        });
        let account = store.account(&small).await.unwrap();
        let mut writer = account.begin_append().await.unwrap();
        assert_eq!(kind(writer.write(MESSAGE).await), ErrorKind::OverQuota);
        drop(writer);
        assert!(files(&root.join("tmp")).is_empty());
    });
}

#[test]
fn deliver_with_flags_goes_to_cur_and_gets_a_uid_on_sync() {
    block_on(async {
        let dir = TempDir::new("deliver");
        let store = MaildirStore::new(dir.path());
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let root = dir.path().join("example.org/alice/Maildir");
        let mut inbox = account.open("INBOX").await.unwrap();
        let mut writer = account.begin_append().await.unwrap();
        writer.write(MESSAGE).await.unwrap();
        let staged = writer.finish().await.unwrap();
        account
            .deliver(
                "INBOX",
                staged,
                AppendOptions::new(Flags::SEEN, vec!["$Label1".into()]),
            )
            .await
            .unwrap();
        let names = files(&root.join("cur"));
        assert!(names[0].ends_with(":2,Sa"), "{names:?}");
        let changes = inbox.sync().await.unwrap();
        assert_eq!(changes.added, vec![1]);
        let m = inbox.get(1).unwrap();
        assert_eq!(m.flags, Flags::SEEN);
        assert_eq!(m.keywords, vec!["$Label1".to_owned()]);
    });
}

#[test]
fn recreated_mailbox_gets_a_higher_uid_validity_within_a_second() {
    block_on(async {
        let dir = TempDir::new("validity");
        let store = MaildirStore::new(dir.path());
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            account.create_mailbox("X", None).await.unwrap();
            seen.push(account.status("X").await.unwrap().uid_validity);
            account.delete_mailbox("X").await.unwrap();
        }
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    });
}

#[test]
fn watchers_wake_on_other_processes_changes() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = TempDir::new("watch-external");
        let store = MaildirStore::new(dir.path()).with_poll_interval(Duration::from_millis(40));
        let account = store
            .account(&User::new("alice@example.org"))
            .await
            .unwrap();
        let root = dir.path().join("example.org/alice/Maildir");
        let md = maildir::delivery::Maildir::open(&root).unwrap();
        let mut inbox = account.open("INBOX").await.unwrap();
        let quiet = Duration::from_millis(400);
        let woken = Duration::from_secs(5);

        // Quiet for longer than a coarse clock tick: nothing to wake for.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        inbox.sync().await.unwrap();
        let mut watcher = inbox.watch();
        assert!(
            tokio::time::timeout(quiet, watcher.changed())
                .await
                .is_err(),
            "woke with nothing changed"
        );

        // An MDA delivers: no in-process signal, only the disk changes.
        md.deliver(b"Subject: from outside\n\nhi\n").unwrap();
        tokio::time::timeout(woken, watcher.changed())
            .await
            .expect("a delivery by another process wakes the watcher")
            .unwrap();
        assert_eq!(inbox.sync().await.unwrap().added, vec![1]);

        // A change made between a session's sync and its watch() is not
        // lost: the watcher compares with what that sync saw.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        inbox.sync().await.unwrap();
        let cur = root.join("cur");
        let name = files(&cur).pop().unwrap();
        fs::rename(cur.join(&name), cur.join(format!("{name}S"))).unwrap();
        let mut watcher = inbox.watch();
        tokio::time::timeout(woken, watcher.changed())
            .await
            .expect("a rename before watch() wakes the watcher")
            .unwrap();
        // Directory times are trusted only a second after a scan.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(inbox.sync().await.unwrap().updated, vec![1]);

        // Once seen, quiet again.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        inbox.sync().await.unwrap();
        let mut watcher = inbox.watch();
        assert!(
            tokio::time::timeout(quiet, watcher.changed())
                .await
                .is_err(),
            "woke again with nothing changed"
        );

        // So does an unlink by another process.
        fs::remove_file(cur.join(format!("{name}S"))).unwrap();
        tokio::time::timeout(woken, watcher.changed())
            .await
            .expect("an unlink by another process wakes the watcher")
            .unwrap();
        assert_eq!(inbox.sync().await.unwrap().expunged, vec![1]);
    });
}
