//! Delivery into a Maildir: tmp/ → new/ (or cur/), sizes, cleanup.

use maildir::Error;
use maildir::delivery::{Maildir, TMP_MAX_AGE};
use maildir::name::{Flag, Flags, MessageName};
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

mod support;

use support::TempDir;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn create_makes_private_dirs_and_open_checks_them() {
    let t = TempDir::new("create");
    let root = t.0.join("a/b/Maildir");
    let md = Maildir::create(&root).unwrap();
    assert_eq!(md.path(), root);
    for d in [md.tmp_dir(), md.new_dir(), md.cur_dir()] {
        let mode = fs::metadata(d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", d.display());
    }
    // Creating again is fine; opening works.
    Maildir::create(&root).unwrap();
    Maildir::open(&root).unwrap();

    // Missing cur/ → error naming cur.
    fs::remove_dir(md.cur_dir()).unwrap();
    match Maildir::open(&root) {
        Err(Error::Io { path, .. }) => assert_eq!(path, root.join("cur")),
        other => panic!("{other:?}"),
    }
    // cur is a file → error.
    fs::write(root.join("cur"), b"").unwrap();
    assert!(matches!(Maildir::open(&root), Err(Error::Io { .. })));
    assert!(matches!(Maildir::create(&root), Err(Error::Io { .. })));
}

#[test]
fn deliver_puts_one_file_in_new_with_sizes() {
    let t = TempDir::new("deliver");
    let md = Maildir::create(&t.0).unwrap();
    let msg = b"From: a@example.com\nSubject: x\r\n\nline1\nline2\r\n\n";
    let d = md.deliver(msg).unwrap();
    let lfs = 4; // bare LFs in msg
    assert_eq!(d.size, msg.len() as u64);
    assert_eq!(d.vsize, msg.len() as u64 + lfs);
    assert_eq!(names(md.new_dir()), [d.name.to_string()]);
    assert!(names(md.tmp_dir()).is_empty());
    assert!(names(md.cur_dir()).is_empty());
    assert_eq!(d.path, md.new_dir().join(d.name.to_string()));
    assert_eq!(fs::read(&d.path).unwrap(), msg);
    let parsed = MessageName::parse(&d.name.to_string()).unwrap();
    assert_eq!(parsed.size(), Some(d.size));
    assert_eq!(parsed.vsize(), Some(d.vsize));
    assert_eq!(parsed.flags(), None);
    assert!(
        d.name
            .to_string()
            .ends_with(&format!(",S={},W={}", d.size, d.vsize))
    );
    assert_eq!(
        fs::metadata(&d.path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn streaming_write_counts_crlf_split_across_writes() {
    let t = TempDir::new("stream");
    let md = Maildir::create(&t.0).unwrap();
    let mut d = md.delivery().unwrap();
    assert!(d.tmp_path().starts_with(md.tmp_dir()));
    assert!(d.tmp_path().exists());
    for chunk in [&b"a\r"[..], b"\nb\n", b"\r", b"\n", b"", b"\n\n"] {
        d.write_all(chunk).unwrap();
    }
    d.flush().unwrap();
    assert_eq!(d.size(), 9);
    assert_eq!(d.vsize(), 12); // "a\r\nb\n\r\n\n\n": 3 bare LFs
    let unique = d.unique().to_owned();
    let done = d.commit().unwrap();
    assert_eq!(done.name.base(), unique);
    assert_eq!(fs::read(&done.path).unwrap(), b"a\r\nb\n\r\n\n\n");
    assert!(names(md.tmp_dir()).is_empty());
}

#[test]
fn large_streamed_message() {
    let t = TempDir::new("large");
    let md = Maildir::create(&t.0).unwrap();
    let mut d = md.delivery().unwrap();
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\n";
    for _ in 0..10_000 {
        d.write_all(line).unwrap();
    }
    let done = d.commit().unwrap();
    assert_eq!(done.size, 710_000);
    assert_eq!(done.vsize, 720_000);
    assert_eq!(fs::metadata(&done.path).unwrap().len(), 710_000);
}

#[test]
fn commit_to_cur_with_flags() {
    let t = TempDir::new("cur");
    let md = Maildir::create(&t.0).unwrap();
    let mut d = md.delivery().unwrap();
    d.write_all(b"hi\n").unwrap();
    let mut flags = Flags::new();
    flags.insert(Flag::Seen);
    flags.insert_keyword('b');
    flags.insert(Flag::Draft);
    let done = d.commit_to_cur(&flags).unwrap();
    let name = done.name.to_string();
    assert!(name.ends_with(",S=3,W=4:2,DSb"), "{name}");
    assert_eq!(names(md.cur_dir()), [name]);
    assert!(names(md.new_dir()).is_empty());
    assert!(names(md.tmp_dir()).is_empty());
    assert_eq!(done.name.flags(), Some(flags));
}

#[test]
fn drop_and_abort_leave_nothing_behind() {
    let t = TempDir::new("abort");
    let md = Maildir::create(&t.0).unwrap();
    {
        let mut d = md.delivery().unwrap();
        d.write_all(b"partial").unwrap();
        assert_eq!(names(md.tmp_dir()).len(), 1);
    }
    assert!(names(md.tmp_dir()).is_empty());

    let mut d = md.delivery().unwrap();
    d.write_all(&[b'x'; 100_000]).unwrap();
    d.abort().unwrap();
    assert!(names(md.tmp_dir()).is_empty());
    assert!(names(md.new_dir()).is_empty());
    assert!(names(md.cur_dir()).is_empty());
}

#[test]
fn failed_commit_removes_tmp_file_and_names_the_file() {
    let t = TempDir::new("fail");
    let md = Maildir::create(&t.0).unwrap();
    let mut d = md.delivery().unwrap();
    d.write_all(b"x").unwrap();
    let tmp = d.tmp_path().to_owned();
    // Make the rename target impossible: new/ is gone.
    fs::remove_dir(md.new_dir()).unwrap();
    match d.commit() {
        Err(Error::Io { op, path, .. }) => {
            assert_eq!(op, "rename");
            assert_eq!(path, tmp);
        }
        other => panic!("{other:?}"),
    }
    assert!(names(md.tmp_dir()).is_empty());
    let err = Maildir::open(&t.0).unwrap_err().to_string();
    assert!(err.contains("new"), "{err}");
}

#[test]
fn concurrent_deliveries_get_distinct_files() {
    let t = TempDir::new("threads");
    let md = Maildir::create(&t.0).unwrap();
    let delivered: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let md = &md;
                s.spawn(move || {
                    (0..25)
                        .map(|j| {
                            let body = format!("thread {i} message {j}\n");
                            md.deliver(body.as_bytes()).unwrap().name.to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let distinct: HashSet<_> = delivered.iter().cloned().collect();
    assert_eq!(distinct.len(), 200);
    let on_disk = names(md.new_dir());
    assert_eq!(on_disk.len(), 200);
    assert_eq!(on_disk.into_iter().collect::<HashSet<_>>(), distinct);
    assert!(names(md.tmp_dir()).is_empty());
    // Every file holds its own body.
    let mut bodies: HashSet<Vec<u8>> = HashSet::new();
    for n in &distinct {
        bodies.insert(fs::read(md.new_dir().join(n)).unwrap());
    }
    assert_eq!(bodies.len(), 200);
}

#[test]
fn clean_tmp_removes_only_old_files() {
    let t = TempDir::new("clean");
    let md = Maildir::create(&t.0).unwrap();
    let now = SystemTime::now();
    let set_age = |name: &str, age: Duration| {
        let p = md.tmp_dir().join(name);
        let f = fs::File::create(&p).unwrap();
        f.set_modified(now - age).unwrap();
    };
    set_age("old", TMP_MAX_AGE + Duration::from_secs(60));
    set_age("older", Duration::from_secs(10 * 24 * 3600));
    set_age("young", TMP_MAX_AGE - Duration::from_secs(60));
    set_age("fresh", Duration::ZERO);
    fs::create_dir(md.tmp_dir().join("subdir")).unwrap();
    // An in-progress delivery is recent and must survive.
    let d = md.delivery().unwrap();

    assert_eq!(md.clean_tmp(now).unwrap(), 2);
    let mut left = names(md.tmp_dir());
    left.retain(|n| n != d.unique());
    assert_eq!(left, ["fresh", "subdir", "young"]);
    // Later on, everything but the directory is old.
    drop(d);
    assert_eq!(
        md.clean_tmp(now + Duration::from_secs(40 * 3600)).unwrap(),
        2
    );
    assert_eq!(names(md.tmp_dir()), ["subdir"]);
    // Files in new/ are never touched.
    md.deliver(b"keep\n").unwrap();
    assert_eq!(
        md.clean_tmp(now + Duration::from_secs(400 * 3600)).unwrap(),
        0
    );
    assert_eq!(names(md.new_dir()).len(), 1);
}
