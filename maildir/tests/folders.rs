//! Maildir++ folders: names, list, create, rename, delete, subscriptions.

use maildir::Error;
use maildir::dotlock::lock_path_for;
use maildir::folders::{FolderInfo, MaildirPlusPlus, is_inbox, validate_name};
use std::fs;
use std::io::ErrorKind;

mod support;

use support::TempDir;

fn setup(tag: &str) -> (TempDir, MaildirPlusPlus) {
    let t = TempDir::new(tag);
    let mpp = MaildirPlusPlus::create_root(&t.0).unwrap();
    (t, mpp)
}

fn info(name: &str, exists: bool, has_children: bool) -> FolderInfo {
    FolderInfo {
        name: name.to_owned(),
        exists,
        has_children,
    }
}

fn io_kind(e: Error) -> ErrorKind {
    match e {
        Error::Io { source, .. } => source.kind(),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn name_validation() {
    for good in ["Sent", "Lists/rust", "Entwürfe", "a b/c-d", "INBOX/x", "~x"] {
        validate_name(good).unwrap();
    }
    for bad in [
        "",
        "/",
        "a/",
        "/a",
        "a//b",
        "..",
        "a/../b",
        ".hidden",
        "a/.b",
        "a.b",
        "x\ny",
        "x\0",
        "tab\there",
    ] {
        assert!(
            matches!(validate_name(bad), Err(Error::InvalidArgument { .. })),
            "{bad:?}"
        );
    }
    assert!(is_inbox("INBOX") && is_inbox("inbox") && is_inbox("InBoX"));
    assert!(!is_inbox("INBOX/x"));
}

#[test]
fn paths_follow_maildirplusplus() {
    let (t, mpp) = setup("paths");
    assert_eq!(mpp.root(), t.0);
    assert_eq!(mpp.folder_path("inbox").unwrap(), t.0);
    assert_eq!(mpp.folder_path("Sent").unwrap(), t.0.join(".Sent"));
    assert_eq!(
        mpp.folder_path("Lists/rust").unwrap(),
        t.0.join(".Lists.rust")
    );
    assert!(mpp.folder_path("a.b").is_err());
}

#[test]
fn create_makes_maildir_with_marker() {
    let (t, mpp) = setup("create");
    let md = mpp.create("Sent").unwrap();
    assert_eq!(md.path(), t.0.join(".Sent"));
    for sub in ["tmp", "new", "cur"] {
        assert!(t.0.join(".Sent").join(sub).is_dir());
    }
    let marker = t.0.join(".Sent/maildirfolder");
    assert!(marker.is_file());
    assert_eq!(fs::metadata(marker).unwrap().len(), 0);
    // Delivery works in it.
    md.deliver(b"x\n").unwrap();
    // Twice, or INBOX: AlreadyExists.
    assert_eq!(
        io_kind(mpp.create("Sent").unwrap_err()),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        io_kind(mpp.create("INBOX").unwrap_err()),
        ErrorKind::AlreadyExists
    );
    assert!(matches!(
        mpp.create("a/../b"),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn create_does_not_make_parents() {
    let (t, mpp) = setup("parents");
    mpp.create("Lists/rust").unwrap();
    assert!(!t.0.join(".Lists").exists());
    assert_eq!(
        mpp.list().unwrap(),
        [
            info("INBOX", true, false),
            info("Lists", false, true),
            info("Lists/rust", true, false),
        ]
    );
    assert!(matches!(mpp.open("Lists"), Err(Error::NotFound { .. })));
}

#[test]
fn create_in_missing_root_fails() {
    let t = TempDir::new("noroot");
    let mpp = MaildirPlusPlus::new(&t.0);
    assert_eq!(
        io_kind(mpp.create("Sent").unwrap_err()),
        ErrorKind::NotFound
    );
    assert!(MaildirPlusPlus::open_root(&t.0).is_err());
    assert!(mpp.list().is_err());
}

#[test]
fn list_reports_children_and_skips_junk() {
    let (t, mpp) = setup("list");
    for name in [
        "Sent",
        "Lists",
        "Lists/rust",
        "Lists/rust/users",
        "INBOX/sub",
    ] {
        mpp.create(name).unwrap();
    }
    // Not folders: a file, Maildir's own dirs, invalid names, trash.
    fs::write(t.0.join(".notadir"), b"").unwrap();
    fs::create_dir(t.0.join("..mailwright-trash-x")).unwrap();
    fs::create_dir(t.0.join(".a..b")).unwrap();
    fs::create_dir(t.0.join("plain")).unwrap();
    assert_eq!(
        mpp.list().unwrap(),
        [
            info("INBOX", true, true),
            info("INBOX/sub", true, false),
            info("Lists", true, true),
            info("Lists/rust", true, true),
            info("Lists/rust/users", true, false),
            info("Sent", true, false),
        ]
    );
    assert_eq!(MaildirPlusPlus::open_root(&t.0).unwrap().root(), t.0);
}

#[test]
fn open_folders() {
    let (t, mpp) = setup("open");
    mpp.create("Sent").unwrap();
    assert_eq!(mpp.open("Sent").unwrap().path(), t.0.join(".Sent"));
    assert_eq!(mpp.open("INBOX").unwrap().path(), t.0);
    assert!(matches!(mpp.open("Nope"), Err(Error::NotFound { .. })));
    assert!(matches!(mpp.open(".x"), Err(Error::InvalidArgument { .. })));
    // A directory that is not a Maildir.
    fs::create_dir(t.0.join(".Broken")).unwrap();
    assert!(matches!(mpp.open("Broken"), Err(Error::Io { .. })));
}

#[test]
fn rename_moves_children() {
    let (t, mpp) = setup("rename");
    let md = mpp.create("Lists").unwrap();
    md.deliver(b"kept\n").unwrap();
    mpp.create("Lists/rust").unwrap();
    mpp.create("Lists/rust/users").unwrap();
    mpp.create("Listsx").unwrap();
    mpp.rename("Lists", "Archive/Lists").unwrap();
    assert!(
        t.0.join(".Archive.Lists.rust.users/maildirfolder")
            .is_file()
    );
    assert!(!t.0.join(".Lists").exists());
    assert!(!t.0.join(".Lists.rust").exists());
    let names: Vec<_> = mpp.list().unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "INBOX",
            "Archive",
            "Archive/Lists",
            "Archive/Lists/rust",
            "Archive/Lists/rust/users",
            "Listsx",
        ]
    );
    let md = mpp.open("Archive/Lists").unwrap();
    assert_eq!(fs::read_dir(md.new_dir()).unwrap().count(), 1);
}

#[test]
fn rename_moves_children_of_nonexistent_parent_only_with_parent() {
    let (_t, mpp) = setup("rename-np");
    mpp.create("A/b").unwrap();
    // "A" does not exist on disk: nothing to rename.
    assert!(matches!(mpp.rename("A", "B"), Err(Error::NotFound { .. })));
    mpp.rename("A/b", "C").unwrap();
    let names: Vec<_> = mpp.list().unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(names, ["INBOX", "C"]);
}

#[test]
fn rename_errors() {
    let (t, mpp) = setup("rename-err");
    mpp.create("A").unwrap();
    mpp.create("A/x").unwrap();
    mpp.create("B").unwrap();
    mpp.create("C/x").unwrap();
    assert!(matches!(
        mpp.rename("Nope", "D"),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        io_kind(mpp.rename("A", "B").unwrap_err()),
        ErrorKind::AlreadyExists
    );
    // A child's target exists: nothing at all is renamed.
    assert_eq!(
        io_kind(mpp.rename("A", "C").unwrap_err()),
        ErrorKind::AlreadyExists
    );
    assert!(t.0.join(".A").is_dir() && t.0.join(".A.x").is_dir());
    for (old, new) in [
        ("INBOX", "X"),
        ("A", "inbox"),
        ("A", "A"),
        ("A", "A/y"),
        ("A", "a.b"),
        ("a..b", "X"),
    ] {
        assert!(
            matches!(mpp.rename(old, new), Err(Error::InvalidArgument { .. })),
            "{old} -> {new}"
        );
    }
    // "AB" is not below "A".
    mpp.rename("A", "AB").unwrap();
    assert!(t.0.join(".AB.x").is_dir());
}

#[test]
fn delete_keeps_children() {
    let (t, mpp) = setup("delete");
    let md = mpp.create("Lists").unwrap();
    md.deliver(b"gone\n").unwrap();
    mpp.create("Lists/rust").unwrap();
    mpp.delete("Lists").unwrap();
    assert!(!t.0.join(".Lists").exists());
    assert!(t.0.join(".Lists.rust").is_dir());
    assert_eq!(
        mpp.list().unwrap(),
        [
            info("INBOX", true, false),
            info("Lists", false, true),
            info("Lists/rust", true, false),
        ]
    );
    // No trash directory is left behind.
    let leftovers = fs::read_dir(&t.0)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("..")
        })
        .count();
    assert_eq!(leftovers, 0);
    assert!(matches!(mpp.delete("Lists"), Err(Error::NotFound { .. })));
    assert!(matches!(
        mpp.delete("INBOX"),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        mpp.delete("a//b"),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn subscriptions_round_trip() {
    let (t, mpp) = setup("subs");
    assert!(mpp.subscriptions().unwrap().is_empty());
    mpp.subscribe("INBOX").unwrap();
    mpp.subscribe("Lists/rust").unwrap();
    mpp.subscribe("Sent").unwrap();
    mpp.subscribe("Sent").unwrap();
    mpp.subscribe("inbox").unwrap();
    assert_eq!(
        fs::read_to_string(t.0.join("subscriptions")).unwrap(),
        "V\t2\n\nINBOX\nLists\trust\nSent\n"
    );
    mpp.unsubscribe("Lists/rust").unwrap();
    mpp.unsubscribe("Never").unwrap();
    assert_eq!(mpp.subscriptions().unwrap(), ["INBOX", "Sent"]);
    assert!(!lock_path_for(&t.0.join("subscriptions")).exists());
    assert!(matches!(
        mpp.subscribe("bad\nname"),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        mpp.unsubscribe("/x"),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn subscriptions_read_dovecot_v2_and_tolerate_blanks() {
    let (t, mpp) = setup("subs-v2");
    fs::write(t.0.join("subscriptions"), "V\t2\n\nINBOX\nLists\trust\n").unwrap();
    assert_eq!(mpp.subscriptions().unwrap(), ["INBOX", "Lists/rust"]);
    mpp.subscribe("Sent").unwrap();
    assert_eq!(
        fs::read_to_string(t.0.join("subscriptions")).unwrap(),
        "V\t2\n\nINBOX\nLists\trust\nSent\n"
    );
    // Version 1: `.` between levels; blanks and repeats tolerated.
    fs::write(t.0.join("subscriptions"), "a\n\nb.c\na\n").unwrap();
    assert_eq!(mpp.subscriptions().unwrap(), ["a", "b/c"]);
    mpp.subscribe("d").unwrap();
    assert_eq!(
        fs::read_to_string(t.0.join("subscriptions")).unwrap(),
        "V\t2\n\na\nb\tc\nd\n"
    );
    fs::write(t.0.join("subscriptions"), b"\xff\n").unwrap();
    assert!(matches!(mpp.subscriptions(), Err(Error::Format { .. })));
    assert!(matches!(mpp.subscribe("x"), Err(Error::Format { .. })));
    assert!(!lock_path_for(&t.0.join("subscriptions")).exists());
}

#[test]
fn subscriptions_fail_without_root() {
    let t = TempDir::new("subs-noroot");
    let mpp = MaildirPlusPlus::new(t.0.join("missing"));
    assert!(mpp.subscriptions().unwrap().is_empty());
    assert!(matches!(mpp.subscribe("x"), Err(Error::Io { .. })));
}

#[test]
fn subscriptions_are_serialised_by_the_lock() {
    let (_t, mpp) = setup("subs-threads");
    std::thread::scope(|s| {
        for i in 0..4 {
            let mpp = mpp.clone();
            s.spawn(move || {
                for j in 0..10 {
                    mpp.subscribe(&format!("F{i}-{j}")).unwrap();
                }
            });
        }
    });
    assert_eq!(mpp.subscriptions().unwrap().len(), 40);
}
