//! The Maildir++ `maildirsize` quota file.

use maildir::Error;
use maildir::delivery::Maildir;
use maildir::folders::MaildirPlusPlus;
use maildir::quota::{Limits, MAX_AGE, MaildirSize, Quota, Usage};
use proptest::prelude::*;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod support;

use support::TempDir;

fn limits(bytes: Option<u64>, count: Option<u64>) -> Limits {
    Limits { bytes, count }
}

fn usage(bytes: i64, count: i64) -> Usage {
    Usage { bytes, count }
}

fn setup(tag: &str, l: Limits) -> (TempDir, Maildir, Quota) {
    let t = TempDir::new(tag);
    let md = Maildir::create(&t.0).unwrap();
    let q = Quota::new(&t.0);
    q.recalculate(l).unwrap();
    (t, md, q)
}

fn set_mtime(path: &Path, time: SystemTime) {
    fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

#[test]
fn limits_parse_and_display() {
    for (text, l) in [
        ("1000S,20C", limits(Some(1000), Some(20))),
        ("20C,1000S", limits(Some(1000), Some(20))),
        ("1000S", limits(Some(1000), None)),
        ("20C", limits(None, Some(20))),
        ("", limits(None, None)),
        (" 5S ", limits(Some(5), None)),
    ] {
        assert_eq!(Limits::parse(text), Some(l), "{text:?}");
    }
    for bad in ["S", "10", "10X", "1S,2S", "-1S", "1S,", "x1S", "1S 2C"] {
        assert_eq!(Limits::parse(bad), None, "{bad:?}");
    }
    assert_eq!(limits(Some(1), Some(2)).to_string(), "1S,2C");
    assert_eq!(limits(Some(1), None).to_string(), "1S");
    assert_eq!(limits(None, Some(2)).to_string(), "2C");
    assert_eq!(limits(None, None).to_string(), "");
}

#[test]
fn limits_exceeded() {
    let l = limits(Some(100), Some(2));
    assert!(!l.exceeded_by(usage(100, 2)));
    assert!(l.exceeded_by(usage(101, 0)));
    assert!(l.exceeded_by(usage(0, 3)));
    // 0 and absent mean no limit.
    assert!(!limits(Some(0), Some(0)).exceeded_by(usage(i64::MAX, i64::MAX)));
    assert!(!limits(None, None).exceeded_by(usage(i64::MAX, i64::MAX)));
}

#[test]
fn parse_file() {
    let p = Path::new("maildirsize");
    let s = MaildirSize::parse("100S,5C\n10 1\n  20   2\n-5 -1", p).unwrap();
    assert_eq!(s.limits, limits(Some(100), Some(5)));
    assert_eq!(s.usage, usage(25, 2));
    assert_eq!(s.lines, 3);
    for (text, line) in [
        ("", 1),
        ("bad\n", 1),
        ("1S\n1\n", 2),
        ("1S\n1 2 3\n", 2),
        ("1S\n1 2\nx 1\n", 3),
    ] {
        match MaildirSize::parse(text, p) {
            Err(Error::Format { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn recalculate_counts_root_and_folders() {
    let t = TempDir::new("recalc");
    let mpp = MaildirPlusPlus::create_root(&t.0).unwrap();
    let inbox = mpp.open("INBOX").unwrap();
    let sent = mpp.create("Sent").unwrap();
    let deep = mpp.create("Lists/rust").unwrap();
    inbox.deliver(b"12345").unwrap();
    sent.deliver(b"1234567890").unwrap();
    deep.deliver(b"abc").unwrap();
    // A name without S=: counted by file size.
    fs::write(deep.cur_dir().join("123.plain:2,S"), b"0123456789abcdef").unwrap();
    // S= wins over the file's actual size.
    fs::write(inbox.cur_dir().join("124.x,S=1000:2,"), b"tiny").unwrap();
    // Not counted: dot files, tmp/, folders being deleted.
    fs::write(inbox.new_dir().join(".hidden"), b"xxxx").unwrap();
    fs::write(inbox.tmp_dir().join("125.tmp"), b"xxxx").unwrap();
    let trash = Maildir::create(t.0.join("..mailwright-trash-1")).unwrap();
    trash.deliver(b"xxxx").unwrap();
    // A subdirectory in cur/ is not a message.
    fs::create_dir(inbox.cur_dir().join("subdir")).unwrap();

    let q = Quota::new(&t.0);
    assert_eq!(q.path(), t.0.join("maildirsize"));
    assert_eq!(q.read().unwrap(), None);
    let expected = usage(5 + 10 + 3 + 16 + 1000, 5);
    assert_eq!(q.scan().unwrap(), expected);
    let l = limits(Some(10_000), None);
    assert_eq!(q.recalculate(l).unwrap(), expected);
    assert_eq!(
        fs::read_to_string(q.path()).unwrap(),
        format!("10000S\n{} 5\n", expected.bytes)
    );
    let read = q.read().unwrap().unwrap();
    assert_eq!((read.limits, read.usage, read.lines), (l, expected, 1));
    // No temporary file left in tmp/ besides the one we put there.
    assert_eq!(fs::read_dir(inbox.tmp_dir()).unwrap().count(), 1);
}

#[test]
fn recalculate_fails_without_root() {
    let t = TempDir::new("noroot");
    let q = Quota::new(t.0.join("missing"));
    assert!(matches!(q.scan(), Err(Error::Io { .. })));
    assert!(matches!(
        q.recalculate(Limits::default()),
        Err(Error::Io { .. })
    ));
    // No file: no quota.
    q.check(u64::MAX, u64::MAX).unwrap();
    q.add(1, 1).unwrap();
    assert!(!q.path().exists());
}

#[test]
fn recalculate_fails_without_tmp() {
    let t = TempDir::new("notmp");
    fs::create_dir(&t.0).unwrap();
    let q = Quota::new(&t.0);
    assert!(matches!(
        q.recalculate(Limits::default()),
        Err(Error::Io { .. })
    ));
}

#[test]
fn deliver_expunge_recalculate() {
    let (_t, md, q) = setup("cycle", limits(Some(50), Some(3)));
    let mut delivered = Vec::new();
    for msg in [&b"0123456789"[..], b"01234567890123456789", b"abc"] {
        q.check(msg.len() as u64, 1).unwrap();
        let d = md.deliver(msg).unwrap();
        q.add(d.size as i64, 1).unwrap();
        delivered.push(d);
    }
    assert_eq!(q.read().unwrap().unwrap().usage, usage(33, 3));
    // Count limit reached; byte limit would be too.
    assert!(matches!(q.check(1, 1), Err(Error::OverQuota { .. })));
    assert!(matches!(q.check(18, 0), Err(Error::OverQuota { .. })));
    q.check(17, 0).unwrap();
    // Expunge one.
    let gone = delivered.remove(1);
    fs::remove_file(&gone.path).unwrap();
    q.add(-(gone.size as i64), -1).unwrap();
    let file = q.read().unwrap().unwrap();
    assert_eq!(file.usage, usage(13, 2));
    assert_eq!(file.lines, 5);
    assert_eq!(q.scan().unwrap(), file.usage);
    assert_eq!(q.recalculate(file.limits).unwrap(), file.usage);
    assert_eq!(q.read().unwrap().unwrap().lines, 1);
    q.check(37, 1).unwrap();
}

#[test]
fn add_appends_one_line_and_ignores_zero() {
    let (_t, _md, q) = setup("add", Limits::default());
    q.add(0, 0).unwrap();
    q.add(10, 1).unwrap();
    q.add(-4, -1).unwrap();
    assert_eq!(
        fs::read_to_string(q.path()).unwrap(),
        "\n0 0\n10 1\n-4 -1\n"
    );
}

#[test]
fn add_reports_unwritable_file() {
    let (_t, _md, q) = setup("add-dir", Limits::default());
    fs::remove_file(q.path()).unwrap();
    fs::create_dir(q.path()).unwrap();
    assert!(matches!(q.add(1, 1), Err(Error::Io { .. })));
    assert!(matches!(q.check(1, 1), Err(Error::Io { .. })));
}

#[test]
fn fresh_file_is_trusted_stale_file_is_recalculated() {
    let (_t, md, q) = setup("stale", limits(Some(100), None));
    md.deliver(b"0123456789").unwrap();
    // The file wrongly claims 95 bytes are used.
    q.add(95, 1).unwrap();
    assert!(matches!(q.check(10, 1), Err(Error::OverQuota { .. })));
    // Fresh and not over: not recalculated.
    q.check(5, 1).unwrap();
    assert_eq!(q.read().unwrap().unwrap().lines, 2);
    // Older than 15 minutes: recounted before refusing.
    set_mtime(
        q.path(),
        SystemTime::now() - MAX_AGE - Duration::from_secs(5),
    );
    q.check(10, 1).unwrap();
    let file = q.read().unwrap().unwrap();
    assert_eq!((file.usage, file.lines), (usage(10, 1), 1));
    // Stale but really over quota: still refused.
    set_mtime(
        q.path(),
        SystemTime::now() - MAX_AGE - Duration::from_secs(5),
    );
    assert!(matches!(q.check(91, 1), Err(Error::OverQuota { .. })));
    // `check_at` uses the time given.
    q.add(95, 0).unwrap();
    let later = SystemTime::now() + MAX_AGE + Duration::from_secs(5);
    q.check_at(10, 1, later).unwrap();
    assert_eq!(q.read().unwrap().unwrap().usage, usage(10, 1));
}

#[test]
fn large_file_is_recalculated() {
    let (_t, md, q) = setup("large", limits(None, Some(1000)));
    let d = md.deliver(b"hello").unwrap();
    for _ in 0..600 {
        q.add(d.size as i64, 1).unwrap();
        q.add(-(d.size as i64), -1).unwrap();
    }
    q.add(5, 1).unwrap();
    assert!(fs::metadata(q.path()).unwrap().len() > 5120);
    q.check(1, 1).unwrap();
    assert_eq!(
        fs::read_to_string(q.path()).unwrap(),
        "1000C\n5 1\n",
        "rewritten"
    );
}

#[test]
fn corrupt_delta_line_is_recalculated_bad_limits_are_an_error() {
    let (_t, md, q) = setup("corrupt", limits(Some(100), None));
    md.deliver(b"abc").unwrap();
    fs::write(q.path(), "100S\n3 1\ngarbage\n").unwrap();
    assert!(matches!(q.read(), Err(Error::Format { line: 3, .. })));
    q.check(1, 1).unwrap();
    assert_eq!(fs::read_to_string(q.path()).unwrap(), "100S\n3 1\n");
    fs::write(q.path(), "lots\n3 1\n").unwrap();
    assert!(matches!(q.check(1, 1), Err(Error::Format { line: 1, .. })));
    fs::write(q.path(), b"100S\n\xff\n").unwrap();
    assert!(matches!(q.check(1, 1), Err(Error::Format { line: 0, .. })));
    assert!(matches!(q.read(), Err(Error::Format { .. })));
}

#[test]
fn empty_limits_mean_unlimited() {
    let (_t, _md, q) = setup("unlimited", Limits::default());
    q.add(i64::MAX / 2, 1_000_000).unwrap();
    q.check(u64::MAX, u64::MAX).unwrap();
}

#[derive(Debug, Clone)]
enum Op {
    Deliver { folder: usize, size: usize },
    Expunge { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, 0usize..200).prop_map(|(folder, size)| Op::Deliver { folder, size }),
        any::<usize>().prop_map(|pick| Op::Expunge { pick }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn deltas_match_recalculation(ops in prop::collection::vec(op(), 0..40)) {
        let t = TempDir::new("prop");
        let mpp = MaildirPlusPlus::create_root(&t.0).unwrap();
        let folders = [
            mpp.open("INBOX").unwrap(),
            mpp.create("Sent").unwrap(),
            mpp.create("Lists/rust").unwrap(),
        ];
        let q = Quota::new(&t.0);
        q.recalculate(Limits::default()).unwrap();
        let mut live = Vec::new();
        for op in ops {
            match op {
                Op::Deliver { folder, size } => {
                    // The folders keep the root's quota themselves.
                    let d = folders[folder].deliver(&vec![b'x'; size]).unwrap();
                    live.push(d);
                }
                Op::Expunge { pick } if !live.is_empty() => {
                    // Removed behind the library's back: accounted by hand.
                    let d = live.swap_remove(pick % live.len());
                    fs::remove_file(&d.path).unwrap();
                    q.add(-(d.size as i64), -1).unwrap();
                }
                Op::Expunge { .. } => {}
            }
        }
        let from_file = q.read().unwrap().unwrap().usage;
        let expected = usage(live.iter().map(|d| d.size as i64).sum(), live.len() as i64);
        prop_assert_eq!(from_file, expected);
        prop_assert_eq!(q.scan().unwrap(), expected);
        prop_assert_eq!(q.recalculate(Limits::default()).unwrap(), expected);
        prop_assert_eq!(q.read().unwrap().unwrap().usage, expected);
    }
}

// ---- quota kept by delivery and expunge ----

fn dir_len(dir: &Path) -> usize {
    fs::read_dir(dir).unwrap().count()
}

fn current(q: &Quota) -> Usage {
    q.read().unwrap().unwrap().usage
}

#[test]
fn delivery_adds_to_the_quota_and_an_over_quota_one_writes_nothing() {
    let (_t, md, q) = setup("kept-deliver", limits(Some(100), None));
    let md = md.with_quota(q.clone());
    let first = md.deliver(&[b'x'; 60]).unwrap();
    assert_eq!(first.size, 60);
    assert_eq!(current(&q), usage(60, 1));
    let err = md.deliver(&[b'y'; 60]).unwrap_err();
    assert!(matches!(err, Error::OverQuota { .. }), "{err}");
    assert_eq!(dir_len(md.tmp_dir()), 0, "nothing written");
    assert_eq!(dir_len(md.new_dir()), 1);
    assert_eq!(current(&q), usage(60, 1));
    assert!(matches!(
        md.delivery_sized(41),
        Err(Error::OverQuota { .. })
    ));
    md.deliver(&[b'z'; 40]).unwrap();
    assert_eq!(current(&q), usage(100, 2));
}

#[test]
fn a_streamed_delivery_that_grows_over_quota_is_removed_at_commit() {
    use std::io::Write;
    let (_t, md, q) = setup("kept-stream", limits(Some(100), None));
    let md = md.with_quota(q.clone());
    md.deliver(&[b'x'; 60]).unwrap();
    let mut d = md.delivery().unwrap();
    d.write_all(&[b'y'; 50]).unwrap();
    let err = d.commit().unwrap_err();
    assert!(matches!(err, Error::OverQuota { .. }), "{err}");
    assert_eq!(dir_len(md.tmp_dir()), 0);
    assert_eq!(dir_len(md.new_dir()), 1);
    assert_eq!(current(&q), usage(60, 1));
}

#[test]
fn the_message_count_limit_refuses_before_writing() {
    let (_t, md, q) = setup("kept-count", limits(None, Some(2)));
    let md = md.with_quota(q.clone());
    md.deliver(b"a\n").unwrap();
    md.deliver(b"b\n").unwrap();
    assert!(matches!(md.delivery(), Err(Error::OverQuota { .. })));
    assert_eq!(dir_len(md.tmp_dir()), 0);
    assert_eq!(current(&q), usage(4, 2));
}

#[test]
fn expunge_gives_the_bytes_back() {
    use maildir::folder::Folder;
    use maildir::name::Flags;
    let (_t, md, q) = setup("kept-expunge", limits(Some(1000), Some(10)));
    let md = md.with_quota(q.clone());
    md.deliver(&[b'a'; 100]).unwrap();
    let mut folder = Folder::open(&md).unwrap();
    let uid = folder.deliver_flagged(&[b'b'; 200], &Flags::new()).unwrap();
    assert_eq!(current(&q), usage(300, 2));
    folder.expunge(uid).unwrap();
    assert_eq!(current(&q), usage(100, 1));
    // A file without `,S=` in its name is measured before it goes.
    fs::write(md.cur_dir().join("outside:2,S"), [b'c'; 50]).unwrap();
    folder.refresh().unwrap();
    let uid = folder.uid_of("outside").unwrap();
    folder.expunge(uid).unwrap();
    assert_eq!(current(&q), usage(50, 0));
    assert_eq!(
        q.recalculate(limits(Some(1000), Some(10))).unwrap(),
        usage(100, 1)
    );
}

#[test]
fn maildir_plus_plus_folders_share_the_root_quota() {
    let t = TempDir::new("kept-tree");
    let mpp = MaildirPlusPlus::create_root(&t.0).unwrap();
    mpp.quota().recalculate(limits(Some(150), None)).unwrap();
    let sent = mpp.create("Sent").unwrap();
    sent.deliver(&[b's'; 100]).unwrap();
    let inbox = mpp.open("INBOX").unwrap();
    assert!(matches!(
        inbox.deliver(&[b'i'; 100]),
        Err(Error::OverQuota { .. })
    ));
    mpp.open("Sent").unwrap().deliver(&[b's'; 50]).unwrap();
    assert_eq!(current(&mpp.quota()), usage(150, 2));
}

#[test]
fn without_a_maildirsize_file_there_is_no_limit_and_nothing_is_written() {
    let t = TempDir::new("kept-none");
    let mpp = MaildirPlusPlus::create_root(&t.0).unwrap();
    let inbox = mpp.open("INBOX").unwrap();
    inbox.deliver(&[b'x'; 10_000]).unwrap();
    assert!(mpp.quota().read().unwrap().is_none());
}
