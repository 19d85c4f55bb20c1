//! The folder index: open, new/ → cur/, UIDs, refresh, flag changes,
//! expunge, races with other processes, Dovecot fixtures.

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, SystemTime};

use maildir::Error;
use maildir::delivery::Maildir;
use maildir::folder::Folder;
use maildir::name::{Flag, Flags};
use maildir::uidlist::UidList;

/// A scratch Maildir, removed on drop.
mod support;

use support::TempDir;

/// A new Maildir in its own scratch directory.
fn scratch(name: &str) -> (TempDir, Maildir) {
    let dir = TempDir::new(&format!("folder-{name}"));
    let md = Maildir::create(&dir.0).unwrap();
    (dir, md)
}

fn flags(letters: &str) -> Flags {
    Flags::parse(letters).unwrap()
}

fn list_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn uids(f: &Folder) -> Vec<u32> {
    f.uids().collect()
}

fn saved_list(md: &Maildir) -> UidList {
    UidList::load(md.path().join("dovecot-uidlist"))
        .unwrap()
        .unwrap()
}

/// Sets a directory's mtime to an hour ago, so that it counts as settled.
fn age_dir(dir: &Path) {
    File::open(dir)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

#[test]
fn fresh_folder_gets_a_uidlist() {
    let (_s, md) = scratch("fresh");
    let f = Folder::open(&md).unwrap();
    assert!(f.is_empty());
    assert_eq!(f.next_uid(), 1);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    assert!(f.uid_validity() <= now && f.uid_validity() + 60 > now);
    let list = saved_list(&md);
    assert_eq!(list.uid_validity(), f.uid_validity());
    assert!(list.guid().is_some_and(|g| g != [0; 16]));
    assert!(!md.path().join("dovecot-uidlist.lock").exists());
}

#[test]
fn new_moves_to_cur_with_info_and_uids_in_name_order() {
    let (_s, md) = scratch("newcur");
    fs::write(md.new_dir().join("200.M1P1.host,S=3"), b"abc").unwrap();
    fs::write(md.new_dir().join("100.M1P1.host"), b"x").unwrap();
    fs::write(md.new_dir().join("300.M1P1.host:2,S"), b"y").unwrap();
    let f = Folder::open(&md).unwrap();
    assert!(list_dir(md.new_dir()).is_empty());
    assert_eq!(
        list_dir(md.cur_dir()),
        [
            "100.M1P1.host:2,",
            "200.M1P1.host,S=3:2,",
            "300.M1P1.host:2,S"
        ]
    );
    assert_eq!(uids(&f), [1, 2, 3]);
    assert_eq!(f.get(1).unwrap().file_name(), "100.M1P1.host:2,");
    assert_eq!(f.get(2).unwrap().size(), Some(3));
    assert_eq!(f.get(3).unwrap().flags(), Some(flags("S")));
    assert_eq!(f.uid_of("200.M1P1.host,S=3:2,RS"), Some(2));
    assert_eq!(
        f.path_of(3).unwrap(),
        md.cur_dir().join("300.M1P1.host:2,S")
    );
    assert_eq!(f.len(), 3);
    assert_eq!(saved_list(&md).len(), 3);
}

#[test]
fn new_files_get_uids_in_arrival_order_not_text_order() {
    // Microseconds are not zero-padded: as text, M100000 sorts before M99
    // and 1000 before 999, yet they arrived later.
    let (_s, md) = scratch("arrival");
    for name in [
        "1000.M5P1Q4.host",
        "999.M7P1Q1.host",
        "1000.M100000P1Q3.host",
        "1000.M99P1Q10.host",
        "1000.M99P1Q9.host",
    ] {
        fs::write(md.new_dir().join(name), b"x").unwrap();
    }
    let f = Folder::open(&md).unwrap();
    let names: Vec<String> = (1..=5)
        .map(|uid| f.get(uid).unwrap().file_name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "999.M7P1Q1.host:2,",
            "1000.M5P1Q4.host:2,",
            "1000.M99P1Q9.host:2,",
            "1000.M99P1Q10.host:2,",
            "1000.M100000P1Q3.host:2,"
        ]
    );
}

#[test]
fn deliver_flag_expunge_and_uids_stable_across_reopen() {
    let (_s, md) = scratch("lifecycle");
    let mut f = Folder::open(&md).unwrap();
    let validity = f.uid_validity();
    let a = f
        .deliver_flagged(b"Subject: a\n\na\n", &flags("S"))
        .unwrap();
    let b = f
        .deliver_flagged(b"Subject: b\n\nb\n", &Flags::new())
        .unwrap();
    let c = f
        .deliver_flagged(b"Subject: c\n\nc\n", &flags("Fa"))
        .unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
    assert_eq!(f.get(a).unwrap().flags(), Some(flags("S")));
    assert_eq!(f.get(a).unwrap().vsize(), Some(17));
    assert!(list_dir(md.new_dir()).is_empty());

    f.set_flags(b, &flags("RS")).unwrap();
    let path = f.path_of(b).unwrap();
    assert!(path.to_str().unwrap().ends_with(":2,RS"));
    assert!(path.exists());
    assert_eq!(f.get(b).unwrap().flags(), Some(flags("RS")));

    f.expunge(a).unwrap();
    assert_eq!(uids(&f), [2, 3]);
    assert!(matches!(f.expunge(a), Err(Error::NotFound { .. })));
    assert!(matches!(
        f.set_flags(a, &flags("S")),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(list_dir(md.cur_dir()).len(), 2);

    // Reopen: same UIDs, same flags, UIDVALIDITY kept.
    let names: Vec<String> = f.messages().iter().map(|m| m.file_name().into()).collect();
    drop(f);
    let mut f = Folder::open(&md).unwrap();
    assert_eq!(f.uid_validity(), validity);
    assert_eq!(uids(&f), [2, 3]);
    let reopened: Vec<String> = f.messages().iter().map(|m| m.file_name().into()).collect();
    assert_eq!(reopened, names);
    assert_eq!(f.get(b).unwrap().flags(), Some(flags("RS")));

    // Expunge everything: the UIDs are never reused.
    assert_eq!(f.expunge_many(&[3, 2, 99, 3]).unwrap(), [2, 3]);
    assert!(f.is_empty());
    assert_eq!(f.next_uid(), 4);
    let d = f.deliver_flagged(b"d\n", &Flags::new()).unwrap();
    assert_eq!(d, 4);
    drop(f);
    let f = Folder::open(&md).unwrap();
    assert_eq!(uids(&f), [4]);
    assert_eq!(saved_list(&md).next_uid(), 5);
}

#[test]
fn refresh_picks_up_external_changes() {
    let (_s, md) = scratch("refresh");
    let mut f = Folder::open(&md).unwrap();
    let a = f.deliver_flagged(b"a\n", &Flags::new()).unwrap();
    let b = f.deliver_flagged(b"b\n", &Flags::new()).unwrap();

    // Another process: delivers to new/, renames a's flags, deletes b.
    let delivered = md.deliver(b"external\n").unwrap();
    let a_path = f.path_of(a).unwrap();
    let a_new = a_path.with_file_name(format!("{}:2,ST", f.get(a).unwrap().base_name()));
    fs::rename(&a_path, &a_new).unwrap();
    fs::remove_file(f.path_of(b).unwrap()).unwrap();

    let changes = f.refresh().unwrap();
    assert!(changes.rescanned);
    assert!(!changes.uid_validity_changed);
    assert_eq!(changes.added, [3]);
    assert_eq!(changes.expunged, [b]);
    assert_eq!(changes.flags_changed, [a]);
    assert_eq!(uids(&f), [a, 3]);
    assert_eq!(f.get(a).unwrap().flags(), Some(flags("ST")));
    assert_eq!(
        f.get(3).unwrap().file_name(),
        format!("{}:2,", delivered.name)
    );
    assert!(list_dir(md.new_dir()).is_empty());
    let list = saved_list(&md);
    assert_eq!(list.entries().map(|e| e.uid()).collect::<Vec<_>>(), [1, 3]);
}

#[test]
fn refresh_skips_settled_directories() {
    let (_s, md) = scratch("settled");
    md.deliver(b"a\n").unwrap();
    let mut f = Folder::open(&md).unwrap();
    // Within the same second as the last change: always rescans.
    assert!(f.refresh().unwrap().rescanned);
    // Make both directories look old, rescan once to record that...
    age_dir(md.new_dir());
    age_dir(md.cur_dir());
    assert!(f.refresh().unwrap().rescanned);
    // ...then nothing to do until a directory changes.
    let c = f.refresh().unwrap();
    assert!(!c.rescanned && c.is_empty());
    md.deliver(b"b\n").unwrap();
    let c = f.refresh().unwrap();
    assert!(c.rescanned);
    assert_eq!(c.added, [2]);
}

#[test]
fn set_flags_follows_a_concurrent_rename() {
    let (_s, md) = scratch("race");
    let mut f = Folder::open(&md).unwrap();
    let uid = f.deliver_flagged(b"race\n", &Flags::new()).unwrap();
    let old = f.path_of(uid).unwrap();
    // Another "process" marks it seen behind our back.
    let other = old.with_file_name(format!("{}:2,S", f.get(uid).unwrap().base_name()));
    fs::rename(&old, &other).unwrap();

    f.set_flags(uid, &flags("FS")).unwrap();
    let expected = format!("{}:2,FS", f.get(uid).unwrap().base_name());
    assert_eq!(list_dir(md.cur_dir()), std::slice::from_ref(&expected));
    assert_eq!(f.get(uid).unwrap().file_name(), expected);

    // Gone altogether: NotFound, nothing else touched.
    let keep = f.deliver_flagged(b"keep\n", &Flags::new()).unwrap();
    fs::remove_file(f.path_of(uid).unwrap()).unwrap();
    assert!(matches!(
        f.set_flags(uid, &flags("S")),
        Err(Error::NotFound { .. })
    ));
    assert!(f.path_of(keep).unwrap().exists());
    let c = f.refresh().unwrap();
    assert_eq!(c.expunged, [uid]);
    assert_eq!(uids(&f), [keep]);
}

#[test]
fn expunge_follows_a_concurrent_rename() {
    let (_s, md) = scratch("expunge-race");
    let mut f = Folder::open(&md).unwrap();
    let uid = f.deliver_flagged(b"x\n", &Flags::new()).unwrap();
    let old = f.path_of(uid).unwrap();
    fs::rename(
        &old,
        old.with_file_name(format!("{}:2,T", f.get(uid).unwrap().base_name())),
    )
    .unwrap();
    f.expunge(uid).unwrap();
    assert!(list_dir(md.cur_dir()).is_empty());
    assert!(saved_list(&md).is_empty());
}

#[test]
fn unparsable_names_are_kept() {
    let (_s, md) = scratch("unparsable");
    fs::write(md.cur_dir().join("1.M1P1.h:2,S!X"), b"a").unwrap();
    fs::write(md.cur_dir().join("2.M1P1.h,S=zz:2,S"), b"b").unwrap();
    fs::write(md.new_dir().join("3.M1P1.h:1,odd"), b"c").unwrap();
    fs::write(md.cur_dir().join(".hidden"), b"d").unwrap();
    let mut f = Folder::open(&md).unwrap();
    assert_eq!(uids(&f), [1, 2, 3]);
    assert_eq!(f.get(1).unwrap().file_name(), "1.M1P1.h:2,S!X");
    assert_eq!(f.get(1).unwrap().flags(), None);
    assert_eq!(f.get(2).unwrap().flags(), None);
    assert_eq!(f.get(3).unwrap().file_name(), "3.M1P1.h:1,odd");
    assert_eq!(f.get(3).unwrap().flags(), None);
    assert!(md.cur_dir().join(".hidden").exists());

    // Flags can still be set: the unknown info is replaced.
    f.set_flags(1, &flags("S")).unwrap();
    assert_eq!(f.get(1).unwrap().file_name(), "1.M1P1.h:2,S");
    drop(f);
    let f = Folder::open(&md).unwrap();
    assert_eq!(uids(&f), [1, 2, 3]);
    assert_eq!(list_dir(md.cur_dir()).len(), 4);
}

#[test]
fn replaced_uidlist_changes_uid_validity() {
    let (_s, md) = scratch("validity");
    let mut f = Folder::open(&md).unwrap();
    f.deliver_flagged(b"a\n", &Flags::new()).unwrap();
    let old = f.uid_validity();
    // A UIDVALIDITY one lower than the current time shows the change.
    let mut list = saved_list(&md);
    assert_eq!(list.uid_validity(), old);
    list = UidList::new(old - 1, [7; 16]).unwrap();
    list.raise_next_uid(10);
    list.append(f.messages()[0].file_name()).unwrap();
    let bytes = list.to_bytes();
    fs::write(md.path().join("dovecot-uidlist"), bytes).unwrap();
    md.deliver(b"b\n").unwrap();
    let c = f.refresh().unwrap();
    assert!(c.uid_validity_changed);
    assert_eq!(f.uid_validity(), old - 1);
    assert_eq!(uids(&f), [10, 11]);
    assert_eq!(c.expunged, [1]);
    assert_eq!(c.added, [10, 11]);
}

fn dovecot_fixture(name: &str) -> (TempDir, Maildir) {
    let (s, md) = scratch(&format!("dovecot-{name}"));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dovecot")
        .join(name);
    fs::copy(
        fixture.join("dovecot-uidlist"),
        md.path().join("dovecot-uidlist"),
    )
    .unwrap();
    let listing = fs::read_to_string(fixture.join("filenames.txt")).unwrap();
    let mut dir = None;
    for line in listing.lines() {
        match line {
            "" => {}
            "cur:" => dir = Some(md.cur_dir()),
            "new:" => dir = Some(md.new_dir()),
            name => fs::write(dir.unwrap().join(name), b"Subject: x\n\nx\n").unwrap(),
        }
    }
    (s, md)
}

#[test]
fn dovecot_basic_fixture() {
    let (_s, md) = dovecot_fixture("basic");
    let f = Folder::open(&md).unwrap();
    assert_eq!(f.uid_validity(), 1795313747);
    assert_eq!(f.next_uid(), 5);
    assert_eq!(uids(&f), [2, 3, 4]);
    assert_eq!(
        f.get(2).unwrap().file_name(),
        "1795313747.M622991P16441.vm,S=30,W=34:2,Fab"
    );
    assert_eq!(f.get(2).unwrap().flags(), Some(flags("Fab")));
    assert_eq!(f.get(2).unwrap().vsize(), Some(34));
    assert_eq!(f.get(3).unwrap().flags(), Some(flags("bc")));
    assert_eq!(f.get(4).unwrap().flags(), Some(flags("d")));
    assert!(list_dir(md.new_dir()).is_empty());
    // Nothing new or vanished: the uidlist is byte-for-byte Dovecot's.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dovecot/basic/dovecot-uidlist");
    assert_eq!(
        fs::read(md.path().join("dovecot-uidlist")).unwrap(),
        fs::read(fixture).unwrap()
    );
}

#[test]
fn dovecot_extended_fixture() {
    let (_s, md) = dovecot_fixture("extended");
    let mut f = Folder::open(&md).unwrap();
    assert_eq!(f.uid_validity(), 1795313747);
    assert_eq!(uids(&f), [2, 3, 4, 5, 6]);
    assert_eq!(
        f.get(5).unwrap().file_name(),
        "1700000000.M1P1.otherhost:2,"
    );
    assert_eq!(f.get(5).unwrap().vsize(), Some(34));
    assert_eq!(f.get(6).unwrap().flags(), Some(flags("S")));
    assert_eq!(f.get(6).unwrap().vsize(), Some(37));
    let uid = f.deliver_flagged(b"new\n", &Flags::new()).unwrap();
    assert_eq!(uid, 7);
    let list = saved_list(&md);
    assert_eq!(list.get(5).unwrap().extension(b'W'), Some("34"));
    assert_eq!(list.next_uid(), 8);
}

#[test]
fn held_lock_is_reported() {
    let (_s, md) = scratch("locked");
    let lock = md.path().join("dovecot-uidlist.lock");
    fs::write(&lock, b"").unwrap();
    let opts =
        maildir::dotlock::DotLockOptions::new(Duration::from_millis(50), Duration::from_secs(120));
    assert!(matches!(
        Folder::open_with(&md, opts),
        Err(Error::Locked { .. })
    ));
    fs::remove_file(lock).unwrap();
    assert!(Folder::open_path(md.path()).is_ok());
}

#[test]
fn flag_sets_round_trip() {
    let (_s, md) = scratch("flagset");
    let mut f = Folder::open(&md).unwrap();
    let uid = f.deliver_flagged(b"m\n", &Flags::new()).unwrap();
    let mut fl = Flags::new();
    for flag in Flag::ALL {
        fl.insert(flag);
        f.set_flags(uid, &fl).unwrap();
        assert_eq!(f.get(uid).unwrap().flags(), Some(fl));
    }
    fl.insert_keyword('z');
    f.set_flags(uid, &fl).unwrap();
    f.set_flags(uid, &fl).unwrap(); // unchanged: no-op
    assert!(
        f.path_of(uid)
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(":2,DFPRSTz")
    );
    drop(f);
    let f = Folder::open(&md).unwrap();
    assert_eq!(f.get(uid).unwrap().flags(), Some(fl));
}
