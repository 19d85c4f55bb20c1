//! Staged files that own their tmp/ file, `Folder::import` (rename,
//! hard link, all or nothing) and `StagedFile::deliver_into`.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use maildir::delivery::Maildir;
use maildir::folder::Folder;
use maildir::name::{Flag, Flags};
use maildir::quota::{Limits, Quota};
use maildir::staged::{Import, StagedFile};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("mw-staged-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        Dir(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn staged(md: &Maildir, bytes: &[u8]) -> StagedFile {
    let mut s = StagedFile::create(md).unwrap();
    s.write_all(bytes).unwrap();
    s.finish().unwrap();
    s
}

#[test]
fn dropping_a_staged_file_removes_it() {
    let dir = Dir::new("drop");
    let md = Maildir::create(&dir.0).unwrap();
    let s = staged(&md, b"a\nb\r\n");
    assert_eq!((s.size(), s.vsize()), (5, 6));
    assert!(s.tmp_path().is_file());
    assert_eq!(names(md.tmp_dir()).len(), 1);
    drop(s);
    assert!(names(md.tmp_dir()).is_empty());
}

#[test]
fn import_renames_links_and_lists_in_order() {
    let dir = Dir::new("import");
    let md = Maildir::create(&dir.0).unwrap();
    let other = Maildir::create(dir.0.join(".Other")).unwrap();
    let mut folder = Folder::open(&md).unwrap();
    let mut s = staged(&md, b"Subject: one\n\n1\n");
    let when = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    s.set_modified(when).unwrap();
    let seen: Flags = [Flag::Seen].into_iter().collect();
    let placed = folder.import(vec![Import::staged(s, seen)]).unwrap();
    assert_eq!(placed[0].0, 1);
    assert!(placed[0].1.ends_with(",S=16,W=19:2,S"), "{placed:?}");
    let path = md.cur_dir().join(&placed[0].1);
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), when);
    assert!(names(md.tmp_dir()).is_empty());

    // Copies into another folder: hard links with new names and flags.
    let mut target = Folder::open(&other).unwrap();
    let mut flagged = Flags::new();
    flagged.insert(Flag::Flagged);
    flagged.insert_keyword('a');
    let copies = target
        .import(vec![
            Import::link(&path, flagged),
            Import::staged(staged(&md, b"two\n"), Flags::new()),
        ])
        .unwrap();
    assert_eq!(copies.iter().map(|c| c.0).collect::<Vec<_>>(), [1, 2]);
    assert!(copies[0].1.ends_with(",S=16,W=19:2,Fa"), "{copies:?}");
    let copy = other.cur_dir().join(&copies[0].1);
    assert_eq!(fs::read(&copy).unwrap(), b"Subject: one\n\n1\n");
    assert_eq!(fs::metadata(&copy).unwrap().modified().unwrap(), when);
    // The index agrees with a fresh scan and with the uidlist.
    let fresh = Folder::open(&other).unwrap();
    assert_eq!(fresh.messages(), target.messages());
}

#[test]
fn failed_import_leaves_nothing() {
    let dir = Dir::new("undo");
    let md = Maildir::create(&dir.0).unwrap();
    let mut folder = Folder::open(&md).unwrap();
    let result = folder.import(vec![
        Import::staged(staged(&md, b"one\n"), Flags::new()),
        Import::link(dir.0.join("cur/missing"), Flags::new()),
    ]);
    assert!(result.is_err());
    assert!(names(md.cur_dir()).is_empty());
    assert!(names(md.tmp_dir()).is_empty());
    assert!(folder.is_empty());
    assert_eq!(folder.next_uid(), 1);
    let placed = folder
        .import(vec![Import::staged(staged(&md, b"two\n"), Flags::new())])
        .unwrap();
    assert_eq!(placed[0].0, 1);
}

#[test]
fn import_keeps_the_quota_and_deliver_into_checks_it() {
    let dir = Dir::new("quota");
    let md = Maildir::create(&dir.0).unwrap();
    let quota = Quota::new(&dir.0);
    quota
        .recalculate(Limits {
            bytes: Some(10),
            count: None,
        })
        .unwrap();
    let md = md.with_quota(quota.clone());
    let mut folder = Folder::open(&md).unwrap();
    folder
        .import(vec![Import::staged(staged(&md, b"12345\n"), Flags::new())])
        .unwrap();
    assert_eq!(quota.read().unwrap().unwrap().usage.bytes, 6);

    let d = staged(&md, b"123\n").deliver_into(&md, None).unwrap();
    assert!(d.path.starts_with(md.new_dir()));
    assert_eq!(quota.read().unwrap().unwrap().usage.bytes, 10);
    let err = staged(&md, b"x").deliver_into(&md, Some(&Flags::new()));
    assert!(matches!(err, Err(maildir::Error::OverQuota { .. })));
    assert!(names(md.tmp_dir()).is_empty());

    let seen: Flags = [Flag::Seen].into_iter().collect();
    let md2 = Maildir::create(dir.0.join(".B")).unwrap();
    let d = staged(&md, b"x").deliver_into(&md2, Some(&seen)).unwrap();
    assert!(d.path.starts_with(md2.cur_dir()));
    assert!(d.name.to_string().ends_with(":2,S"));
}
