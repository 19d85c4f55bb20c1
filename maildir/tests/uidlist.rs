//! `dovecot-uidlist`: Dovecot fixtures, round trips, errors, UID monotonicity.

use std::path::{Path, PathBuf};

use maildir::Error;
use maildir::dotlock::DotLockOptions;
use maildir::uidlist::{UidList, base_name};
use proptest::prelude::*;

fn fixture(dir: &str, file: &str) -> (PathBuf, Vec<u8>) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dovecot")
        .join(dir)
        .join(file);
    let bytes = std::fs::read(&p).unwrap();
    (p, bytes)
}

fn p() -> &'static Path {
    Path::new("dovecot-uidlist")
}

#[test]
fn dovecot_basic_fixture() {
    let (path, bytes) = fixture("basic", "dovecot-uidlist");
    let list = UidList::parse(&bytes, &path).unwrap();
    assert_eq!(list.uid_validity(), 1795313747);
    assert_eq!(list.next_uid(), 5);
    assert_eq!(
        list.guid(),
        Some([
            0x1a, 0x09, 0x0c, 0x24, 0x53, 0x50, 0x02, 0x6b, 0x36, 0x40, 0x00, 0x00, 0x83, 0xec,
            0xc3, 0x75
        ])
    );
    assert_eq!(
        list.entries().map(|e| e.uid()).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(list.to_bytes(), bytes);
    // Every file Dovecot left in the Maildir maps to its UID by full name.
    let (_, names) = fixture("basic", "filenames.txt");
    let names = String::from_utf8(names).unwrap();
    let files: Vec<&str> = names.lines().filter(|l| l.contains(":2,")).collect();
    assert_eq!(files.len(), 3);
    for f in files {
        let uid = list.uid_of(f).unwrap();
        assert_eq!(list.get(uid).unwrap().name(), base_name(f));
    }
    assert!(list.get(1).is_none(), "UID 1 was expunged");
}

#[test]
fn dovecot_extended_fixture() {
    let (path, bytes) = fixture("extended", "dovecot-uidlist");
    let list = UidList::parse(&bytes, &path).unwrap();
    assert_eq!(list.next_uid(), 7);
    let e = list.get_by_name("1700000000.M1P1.otherhost").unwrap();
    assert_eq!(e.uid(), 5);
    assert_eq!(e.extensions(), ["W34"]);
    assert_eq!(e.virtual_size(), Some(34));
    assert_eq!(list.uid_of("1700000001.M2P2.otherhost:2,S"), Some(6));
    assert_eq!(list.to_bytes(), bytes);
}

#[test]
fn unknown_fields_round_trip() {
    let text = b"3 V42 N10 G00112233445566778899aabbccddeeff X1 Yfoo\n\
                 3 :a.b.c\n\
                 7 S100 W102 Gdeadbeef Kabc Zwhat :d.e.f\n";
    let list = UidList::parse(text, p()).unwrap();
    assert_eq!(list.header_extra(), ["X1", "Yfoo"]);
    let e = list.get(7).unwrap();
    assert_eq!(e.extension(b'S'), Some("100"));
    assert_eq!(e.extension(b'K'), Some("abc"));
    assert_eq!(list.to_bytes(), text);
}

#[test]
fn header_without_guid_round_trips() {
    let text = b"3 V1 N1\n";
    let list = UidList::parse(text, p()).unwrap();
    assert_eq!(list.guid(), None);
    assert!(list.is_empty());
    assert_eq!(list.to_bytes(), text);
}

#[test]
fn append_lookup_remove_never_reuses_uids() {
    let mut list = UidList::new(7, [0; 16]).unwrap();
    assert_eq!(list.append("1.M1P1.h,S=3:2,S").unwrap(), 1);
    assert_eq!(list.append("2.M1P1.h").unwrap(), 2);
    // Same base name: same UID, nothing new.
    assert_eq!(list.append("1.M1P1.h,S=3:2,RS").unwrap(), 1);
    assert_eq!(list.next_uid(), 3);
    assert_eq!(list.remove(2).unwrap().name(), "2.M1P1.h");
    assert_eq!(list.uid_of("2.M1P1.h"), None);
    assert_eq!(list.append("3.M1P1.h").unwrap(), 3, "UID 2 is not reused");
    list.retain(|e| e.uid() != 1);
    assert_eq!(list.uid_of("1.M1P1.h"), None);
    assert_eq!(list.next_uid(), 4);
    assert!(!list.raise_next_uid(2));
    assert_eq!(list.next_uid(), 4);
    assert!(list.raise_next_uid(10));
    assert_eq!(list.append("4.M1P1.h").unwrap(), 10);
    let again = UidList::parse(&list.to_bytes(), p()).unwrap();
    assert_eq!(again, list);
    assert_eq!(
        String::from_utf8(list.to_bytes()).unwrap(),
        "3 V7 N11 G00000000000000000000000000000000\n3 :3.M1P1.h\n10 :4.M1P1.h\n"
    );
}

#[test]
fn append_rejects_bad_names() {
    let mut list = UidList::new(7, [0; 16]).unwrap();
    for bad in ["", ":2,S", "a/b", "a\nb", "a\rb", ".hidden"] {
        assert!(
            matches!(list.append(bad), Err(Error::InvalidName { .. })),
            "{bad:?}"
        );
    }
    assert_eq!(list.next_uid(), 1);
    list.raise_next_uid(u32::MAX);
    assert!(matches!(list.append("x"), Err(Error::UidsExhausted { .. })));
    assert!(matches!(
        UidList::new(0, [0; 16]),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn extensions_can_be_set() {
    let mut list = UidList::new(7, [0; 16]).unwrap();
    let uid = list.append("x").unwrap();
    let e = list.get_mut(uid).unwrap();
    e.set_extension(b'W', "12").unwrap();
    e.set_extension(b'S', "10").unwrap();
    e.set_extension(b'W', "13").unwrap();
    assert!(e.set_extension(b'w', "1").is_err());
    assert!(e.set_extension(b'W', "1 2").is_err());
    assert_eq!(e.extensions(), ["W13", "S10"]);
    assert_eq!(e.remove_extension(b'S').as_deref(), Some("10"));
    assert!(list.to_bytes().ends_with(b"1 W13 :x\n"));
}

#[test]
fn format_errors_carry_line_numbers() {
    let h = "3 V1 N100 G00112233445566778899aabbccddeeff\n";
    let cases: &[(String, usize, &str)] = &[
        (String::new(), 1, "empty file"),
        ("1 1 5\n".into(), 1, "unsupported version"),
        ("x\n".into(), 1, "unsupported version"),
        ("3 N5\n".into(), 1, "no UIDVALIDITY"),
        ("3 V5\n".into(), 1, "no next UID"),
        ("3 V0 N5\n".into(), 1, "invalid V"),
        ("3 V1 N-5\n".into(), 1, "invalid N"),
        ("3 V1 N5 V2\n".into(), 1, "twice"),
        ("3 V1 N5 Gxyz\n".into(), 1, "invalid mailbox GUID"),
        ("3 V1  N5\n".into(), 1, "double space"),
        ("3 V1 N5".into(), 1, "missing newline"),
        (format!("{h}1 :a\n2 :b"), 3, "missing newline"),
        (format!("{h}1 :a\nabc :b\n"), 3, "invalid UID"),
        (format!("{h}0 :a\n"), 2, "invalid UID"),
        (format!("{h}01 :a\n"), 2, "invalid UID"),
        (format!("{h}99999999999 :a\n"), 2, "invalid UID"),
        (format!("{h}5 :a\n5 :b\n"), 3, "not ascending"),
        (format!("{h}5 :a\n4 :b\n"), 3, "not ascending"),
        (format!("{h}1 a\n"), 2, "no \" :<name>\""),
        (format!("{h}1\n"), 2, "expected"),
        (format!("{h}1 W3:a\n"), 2, "no \" :<name>\""),
        (format!("{h}1 W3  :a\n"), 2, "double space"),
        (format!("{h}1 w3 :a\n"), 2, "invalid extension field"),
        (format!("{h}1 :\n"), 2, "empty name"),
        (format!("{h}1 :a/b\n"), 2, "contains '/'"),
        (format!("{h}1 :a:2,S\n"), 2, "contains ':'"),
        (format!("{h}1 :a\r\n"), 2, "line break"),
        (format!("{h}1 :a\n2 :a\n"), 3, "listed twice"),
    ];
    for (text, want_line, want) in cases {
        match UidList::parse(text.as_bytes(), p()) {
            Err(Error::Format { path, line, reason }) => {
                assert_eq!(path, p());
                assert_eq!(line, *want_line, "{text:?}: {reason}");
                assert!(reason.contains(want), "{text:?}: {reason:?} lacks {want:?}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let mut bad = h.as_bytes().to_vec();
    bad.extend_from_slice(b"1 :\xff\n");
    assert!(matches!(
        UidList::parse(&bad, p()),
        Err(Error::Format { line: 2, .. })
    ));
}

#[test]
fn lines_appended_past_a_stale_header_raise_the_next_uid() {
    // Dovecot appends entries without rewriting the header's N.
    let text = "3 V1795316133 N1 G3992bd11a559026b811a000083ecc375\n\
                1 :1795316133.M299481P6785.vm,S=123,W=129\n\
                2 :1795316133.M302101P6785.vm,S=123,W=129\n";
    let mut list = UidList::parse(text.as_bytes(), p()).unwrap();
    assert_eq!(list.next_uid(), 3);
    assert_eq!(
        list.uid_of("1795316133.M302101P6785.vm,S=123,W=129"),
        Some(2)
    );
    assert_eq!(list.append("new").unwrap(), 3);
    assert!(
        String::from_utf8(list.to_bytes())
            .unwrap()
            .starts_with("3 V1795316133 N4 ")
    );
    // A header ahead of the lines keeps its N.
    let list = UidList::parse(b"3 V1 N50\n7 :a\n", p()).unwrap();
    assert_eq!(list.next_uid(), 50);
}

#[test]
fn save_and_load_through_dotlock() {
    let dir = std::env::temp_dir().join(format!("mailwright-uidlist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dovecot-uidlist");
    assert_eq!(UidList::load(&path).unwrap(), None);
    let mut list = UidList::new(99, [7; 16]).unwrap();
    list.append("a:2,").unwrap();
    list.save(&path, &DotLockOptions::default()).unwrap();
    assert!(!dir.join("dovecot-uidlist.lock").exists());
    assert_eq!(UidList::load(&path).unwrap().unwrap(), list);
    // A held lock makes save time out with Locked.
    let _held = maildir::dotlock::DotLock::acquire(&path, &DotLockOptions::default()).unwrap();
    let quick = DotLockOptions::new(
        std::time::Duration::from_millis(50),
        std::time::Duration::from_secs(120),
    );
    assert!(matches!(
        list.save(&path, &quick),
        Err(Error::Locked { .. })
    ));
    drop(_held);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn arb_list() -> impl Strategy<Value = UidList> {
    (
        1u32..,
        any::<[u8; 16]>(),
        proptest::collection::vec("[HIJKLMOPQRSTUWXYZ][a-z0-9=,.]{0,6}", 0..3),
        proptest::collection::vec(
            (
                1u32..1000,
                "[0-9]{1,10}\\.[A-Za-z0-9,=._-]{1,20}",
                proptest::collection::vec("[A-Z][A-Za-z0-9=,.]{0,8}", 0..4),
            ),
            0..20,
        ),
        0u32..5,
    )
        .prop_map(|(validity, guid, extra, files, bump)| {
            let mut text = format!("3 V{validity} N1 G");
            for b in guid {
                text.push_str(&format!("{b:02x}"));
            }
            for f in &extra {
                text.push(' ');
                text.push_str(f);
            }
            text.push('\n');
            let header_only = UidList::parse(text.as_bytes(), Path::new("x")).unwrap();
            let mut list = header_only;
            for (gap, name, exts) in files {
                list.raise_next_uid(list.next_uid() + gap - 1);
                if let Ok(uid) = list.append(&name) {
                    let e = list.get_mut(uid).unwrap();
                    for x in exts {
                        e.set_extension(x.as_bytes()[0], &x[1..]).unwrap();
                    }
                }
            }
            list.raise_next_uid(list.next_uid() + bump);
            list
        })
}

proptest! {
    #[test]
    fn round_trip(list in arb_list()) {
        let bytes = list.to_bytes();
        let again = UidList::parse(&bytes, p()).unwrap();
        prop_assert_eq!(&again, &list);
        prop_assert_eq!(again.to_bytes(), bytes);
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = UidList::parse(&bytes, p());
        let mut with_header = b"3 V1 N50\n".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = UidList::parse(&with_header, p());
    }

    #[test]
    fn uids_never_go_backwards(ops in proptest::collection::vec((any::<bool>(), 0usize..10), 0..60)) {
        let mut list = UidList::new(1, [0; 16]).unwrap();
        let mut last_next = list.next_uid();
        let mut max_assigned = 0;
        for (i, (add, pick)) in ops.into_iter().enumerate() {
            if add {
                let uid = list.append(&format!("{i}.M1P1.h")).unwrap();
                prop_assert!(uid > max_assigned);
                max_assigned = uid;
            } else {
                let uid = list.entries().nth(pick).map(|e| e.uid());
                if let Some(uid) = uid {
                    list.remove(uid);
                }
            }
            prop_assert!(list.next_uid() >= last_next);
            last_next = list.next_uid();
            let reparsed = UidList::parse(&list.to_bytes(), p()).unwrap();
            prop_assert_eq!(reparsed.next_uid(), list.next_uid());
        }
    }
}
