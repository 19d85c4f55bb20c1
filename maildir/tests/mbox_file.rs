//! mbox files on disk: locked append, reading, expunge by rewrite, lock
//! exclusion and waiting.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use maildir::Error;
use maildir::dotlock::DotLockOptions;
use maildir::mbox::{Envelope, Format, Locking, Mbox};

mod support;

use proptest::prelude::*;
use support::TempDir;
use support::mbox_strategy::{message as arbitrary_message, normalised};

fn envelope(n: usize) -> Envelope {
    Envelope::new(format!("sender{n}@example.org"), "Sat Nov 21 10:00:00 2026")
}

fn message(n: usize) -> Vec<u8> {
    format!("Subject: message {n}\n\nFrom line {n}\n>From quoted {n}\nend\n").into_bytes()
}

fn mailbox(tag: &str, format: Format) -> (TempDir, Mbox) {
    let dir = TempDir::new(&format!("mbox-file-{tag}"));
    fs::create_dir_all(&dir.0).unwrap();
    let mbox = Mbox::new(dir.0.join("inbox"), format);
    (dir, mbox)
}

fn fill(mbox: &Mbox, count: usize) {
    for n in 0..count {
        mbox.append(&envelope(n), &message(n)).unwrap();
    }
}

fn bodies(mbox: &Mbox) -> Vec<Vec<u8>> {
    mbox.read_all()
        .unwrap()
        .into_iter()
        .map(|m| m.data)
        .collect()
}

fn quick() -> Locking {
    Locking::with_timeout(Duration::from_millis(100))
}

#[test]
fn append_creates_the_file_private_and_reads_back() {
    let (_d, mbox) = mailbox("append", Format::Mboxrd);
    assert!(mbox.read_all().unwrap().is_empty(), "missing file = empty");
    fill(&mbox, 3);
    let mode = fs::metadata(mbox.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let messages = mbox.read_all().unwrap();
    assert_eq!(messages.len(), 3);
    for (n, m) in messages.iter().enumerate() {
        assert_eq!(m.data, message(n));
        assert_eq!(m.envelope, envelope(n));
    }
    assert!(
        !mbox.path().with_extension("lock").exists()
            && !fs::read_dir(mbox.path().parent().unwrap())
                .unwrap()
                .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".lock")),
        "the dotlock is released"
    );
}

#[test]
fn append_writes_the_exact_mboxrd_bytes() {
    let (_d, mbox) = mailbox("bytes", Format::Mboxrd);
    mbox.append(&envelope(0), b"A: b\n\nFrom x\n").unwrap();
    mbox.append(&envelope(1), b"C: d\n\n>From y").unwrap();
    assert_eq!(
        fs::read(mbox.path()).unwrap(),
        b"From sender0@example.org Sat Nov 21 10:00:00 2026\nA: b\n\n>From x\n\n\
          From sender1@example.org Sat Nov 21 10:00:00 2026\nC: d\n\n>>From y\n\n"
    );
}

#[test]
fn append_after_a_file_without_trailing_empty_line_keeps_messages_apart() {
    for (existing, gap) in [
        (
            &b"From a@b Thu Jan  1 00:00:00 1970\nX: 1\n\nbody\n"[..],
            "\n",
        ),
        (b"From a@b Thu Jan  1 00:00:00 1970\nX: 1\n\nbody", "\n\n"),
    ] {
        let (_d, mbox) = mailbox("gap", Format::Mboxrd);
        fs::write(mbox.path(), existing).unwrap();
        mbox.append(&envelope(1), &message(1)).unwrap();
        let bytes = fs::read(mbox.path()).unwrap();
        let mut expected = existing.to_vec();
        expected.extend_from_slice(gap.as_bytes());
        assert!(bytes.starts_with(&expected), "{gap:?}");
        let messages = mbox.read_all().unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].data, b"X: 1\n\nbody\n");
        assert_eq!(messages[1].data, message(1));
    }
}

#[test]
fn streaming_append_commits_or_leaves_nothing() {
    let (_d, mbox) = mailbox("stream", Format::Mboxrd);
    fill(&mbox, 1);
    let before = fs::read(mbox.path()).unwrap();
    let mut locked = mbox.lock().unwrap();

    let mut append = locked.begin_append(&envelope(9)).unwrap();
    append.write_all(b"Subject: dropped\n\nFr").unwrap();
    append.abort().unwrap();
    assert_eq!(fs::read(mbox.path()).unwrap(), before, "abort cuts back");

    {
        let mut append = locked.begin_append(&envelope(9)).unwrap();
        append.write_all(b"Subject: half\n").unwrap();
    }
    assert_eq!(fs::read(mbox.path()).unwrap(), before, "drop cuts back");

    let mut append = locked.begin_append(&envelope(1)).unwrap();
    for chunk in message(1).chunks(3) {
        append.write_all(chunk).unwrap();
    }
    append.commit().unwrap();
    drop(locked);
    assert_eq!(bodies(&mbox), [message(0), message(1)]);
}

#[test]
fn expunge_removes_exactly_the_chosen_messages() {
    for remove in [
        vec![],
        vec![0],
        vec![2],
        vec![4],
        vec![1, 3],
        vec![3, 1, 1],
        vec![0, 1, 2, 3, 4],
    ] {
        let (_d, mbox) = mailbox("expunge", Format::Mboxrd);
        fill(&mbox, 5);
        let mut locked = mbox.lock().unwrap();
        let infos = locked.messages().unwrap();
        assert_eq!(infos.len(), 5);
        assert_eq!(infos[0].offset, 0);
        let mut unique = remove.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(locked.expunge(&remove).unwrap(), unique.len());
        // Still locked and usable: append after the rewrite.
        locked.append(&envelope(5), &message(5)).unwrap();
        drop(locked);
        let expected: Vec<Vec<u8>> = (0..6)
            .filter(|n| !unique.contains(n))
            .map(message)
            .collect();
        assert_eq!(bodies(&mbox), expected, "removing {remove:?}");
        let leftovers: Vec<_> = fs::read_dir(mbox.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["inbox"], "no temporary or lock file left");
    }
}

#[test]
fn expunge_copies_kept_messages_byte_for_byte() {
    let (_d, mbox) = mailbox("verbatim", Format::Mboxo);
    // Odd but readable: Content-Length, CRLF lines, a leading blank line
    // dropped on rewrite only when its message goes.
    let first =
        b"From a@b Thu Jan  1 00:00:00 1970\r\nContent-Length: 12\r\nX: 1\r\n\r\nFrom inside\n\n";
    let second = b"From c@d Thu Jan  1 00:00:00 1970\nX: 2\n\n>From quoted, mboxo\n\n";
    let third = b"From e@f Thu Jan  1 00:00:00 1970\nX: 3\n\nlast, no blank line\n";
    fs::write(mbox.path(), [&first[..], second, third].concat()).unwrap();
    let mut locked = mbox.lock().unwrap();
    assert_eq!(locked.messages().unwrap().len(), 3);
    locked.expunge(&[1]).unwrap();
    drop(locked);
    assert_eq!(fs::read(mbox.path()).unwrap(), [&first[..], third].concat());
}

#[test]
fn expunge_keeps_owner_and_mode() {
    let (_d, mbox) = mailbox("mode", Format::Mboxrd);
    fill(&mbox, 2);
    fs::set_permissions(mbox.path(), fs::Permissions::from_mode(0o640)).unwrap();
    mbox.lock().unwrap().expunge(&[0]).unwrap();
    let mode = fs::metadata(mbox.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o640);
}

#[test]
fn expunge_of_an_unknown_index_changes_nothing() {
    let (_d, mbox) = mailbox("unknown", Format::Mboxrd);
    fill(&mbox, 2);
    let before = fs::read(mbox.path()).unwrap();
    let err = mbox.lock().unwrap().expunge(&[0, 2]).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(fs::read(mbox.path()).unwrap(), before);
}

#[test]
fn a_held_lock_excludes_a_second_locker_until_released() {
    let (_d, mbox) = mailbox("exclusive", Format::Mboxrd);
    let mbox = mbox.with_locking(quick());
    let held = mbox.lock().unwrap();
    match mbox.lock() {
        Err(Error::Locked { .. }) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(held);
    mbox.lock().unwrap();
}

#[test]
fn flock_alone_excludes_a_second_handle() {
    let (_d, mbox) = mailbox("flock", Format::Mboxrd);
    let mut locking = Locking::none();
    locking.flock = true;
    locking.timeout = Duration::from_millis(50);
    let mbox = mbox.with_locking(locking);
    let held = mbox.lock().unwrap();
    assert!(matches!(mbox.lock(), Err(Error::Locked { .. })));
    drop(held);
    mbox.lock().unwrap();
}

#[test]
fn dotlock_alone_excludes_and_a_stale_one_is_broken() {
    let (_d, mbox) = mailbox("dotlock", Format::Mboxrd);
    let mut locking = Locking::none();
    locking.dotlock = Some(DotLockOptions::new(
        Duration::from_millis(100),
        Duration::from_secs(120),
    ));
    let mbox = mbox.with_locking(locking.clone());
    let lock_file = mbox.path().with_file_name("inbox.lock");
    fs::write(&lock_file, b"").unwrap();
    assert!(matches!(mbox.lock(), Err(Error::Locked { .. })));
    // A lock file two minutes old is abandoned.
    fs::File::options()
        .write(true)
        .open(&lock_file)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(180))
        .unwrap();
    mbox.append(&envelope(0), &message(0)).unwrap();
    assert!(!lock_file.exists());
}

#[test]
fn a_waiting_locker_follows_an_expunge_to_the_new_file() {
    let (_d, mbox) = mailbox("follow", Format::Mboxrd);
    fill(&mbox, 3);
    // No dotlock, so the waiter opens the old file before the rename and
    // must notice it was replaced.
    let mut locking = Locking::none();
    locking.flock = true;
    locking.timeout = Duration::from_secs(10);
    let mbox = mbox.with_locking(locking);
    let mut held = mbox.lock().unwrap();
    let waiter = {
        let mbox = mbox.clone();
        std::thread::spawn(move || {
            mbox.append(&envelope(3), &message(3)).unwrap();
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    held.expunge(&[0]).unwrap();
    drop(held);
    waiter.join().unwrap();
    assert_eq!(bodies(&mbox), [message(1), message(2), message(3)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Append, expunge a subset, append again: exactly the expected
    /// messages come back, whatever `From ` lines they hold.
    #[test]
    fn append_and_expunge_keep_every_other_message_exact(
        messages in proptest::collection::vec(arbitrary_message(), 0..6),
        remove in proptest::collection::vec(any::<bool>(), 6),
        late in arbitrary_message(),
    ) {
        let (_d, mbox) = mailbox("prop", Format::Mboxrd);
        for (n, m) in messages.iter().enumerate() {
            mbox.append(&envelope(n), m).unwrap();
        }
        let mut locked = mbox.lock().unwrap();
        let gone: Vec<usize> = (0..messages.len()).filter(|&i| remove[i]).collect();
        prop_assert_eq!(locked.expunge(&gone).unwrap(), gone.len());
        locked.append(&envelope(9), &late).unwrap();
        drop(locked);
        let mut expected: Vec<Vec<u8>> = messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !remove[*i])
            .map(|(_, m)| normalised(m))
            .collect();
        expected.push(normalised(&late));
        prop_assert_eq!(bodies(&mbox), expected);
    }
}
