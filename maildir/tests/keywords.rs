//! `dovecot-keywords`: Dovecot fixtures, round trips, errors, the 26 letters.

use std::path::Path;

use maildir::Error;
use maildir::dotlock::DotLockOptions;
use maildir::keywords::{Keywords, MAX_KEYWORDS, is_valid_keyword};
use proptest::prelude::*;

fn p() -> &'static Path {
    Path::new("dovecot-keywords")
}

#[test]
fn dovecot_fixtures() {
    for dir in ["basic", "extended"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/dovecot")
            .join(dir)
            .join("dovecot-keywords");
        let bytes = std::fs::read(&path).unwrap();
        let kw = Keywords::parse(&bytes, &path).unwrap();
        assert_eq!(kw.len(), 4);
        assert_eq!(kw.keyword('a'), Some("$Junk"));
        assert_eq!(kw.letter("work"), Some('b'));
        assert_eq!(kw.letter("personal"), Some('c'));
        assert_eq!(kw.letter("NonJunk"), Some('d'));
        assert_eq!(kw.to_bytes(), bytes);
        // The flags Dovecot wrote into the file names use these letters:
        // uid 2 had \Flagged $Junk work -> "Fab".
        let names = std::fs::read_to_string(path.with_file_name("filenames.txt")).unwrap();
        assert!(names.contains(":2,Fab\n"));
    }
}

#[test]
fn add_takes_first_free_index_until_full() {
    let mut kw = Keywords::parse(b"0 a0\n2 a2\n", p()).unwrap();
    assert_eq!(kw.add("new"), Some('b'));
    assert_eq!(kw.add("a2"), Some('c'), "existing keyword keeps its letter");
    assert_eq!(kw.add("next"), Some('d'));
    assert_eq!(kw.remove("new"), Some('b'));
    assert_eq!(kw.add("again"), Some('b'));
    for i in kw.len()..MAX_KEYWORDS {
        assert!(kw.add(&format!("k{i}")).is_some());
    }
    assert!(kw.is_full());
    assert_eq!(kw.add("one-too-many"), None);
    assert_eq!(kw.keyword('z'), Some("k25"));
    assert_eq!(kw.keyword('A'), None);
    assert_eq!(Keywords::parse(&kw.to_bytes(), p()).unwrap(), kw);
}

#[test]
fn add_rejects_unstorable_keywords() {
    let mut kw = Keywords::new();
    for bad in ["", "a b", "a\nb", "(x", "x]", "\u{7f}"] {
        assert!(!is_valid_keyword(bad));
        assert_eq!(kw.add(bad), None, "{bad:?}");
    }
    assert!(kw.is_empty());
    assert!(is_valid_keyword("$Label1"));
}

#[test]
fn format_errors_carry_line_numbers() {
    let cases: &[(&[u8], usize, &str)] = &[
        (b"0 a\nfoo\n", 2, "expected"),
        (b"x a\n", 1, "invalid index"),
        (b" a\n", 1, "invalid index"),
        (b"26 a\n", 1, "out of range"),
        (b"99999999999999999999 a\n", 1, "out of range"),
        (b"0 \n", 1, "invalid keyword"),
        (b"0 a b\n", 1, "invalid keyword"),
        (b"0 a\n0 b\n", 2, "used twice"),
        (b"0 a\n1 a\n", 2, "listed twice"),
        (b"0 a\n1 b", 2, "missing newline"),
        (b"0 \xff\n", 1, "not UTF-8"),
    ];
    for (text, want_line, want) in cases {
        match Keywords::parse(text, p()) {
            Err(Error::Format { path, line, reason }) => {
                assert_eq!(path, p());
                assert_eq!(line, *want_line, "{text:?}: {reason}");
                assert!(reason.contains(want), "{text:?}: {reason:?} lacks {want:?}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    assert!(Keywords::parse(b"", p()).unwrap().is_empty());
}

#[test]
fn save_and_load() {
    let dir = std::env::temp_dir().join(format!("mailwright-keywords-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dovecot-keywords");
    assert!(Keywords::load(&path).unwrap().is_empty());
    let mut kw = Keywords::new();
    kw.add("$Junk");
    kw.add("work");
    kw.save(&path, &DotLockOptions::default()).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"0 $Junk\n1 work\n");
    assert!(!dir.join("dovecot-keywords.lock").exists());
    assert_eq!(Keywords::load(&path).unwrap(), kw);
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #[test]
    fn round_trip(slots in proptest::collection::btree_map(0usize..26, "[A-Za-z0-9$_.-]{1,12}", 0..26)) {
        let mut text = String::new();
        let mut seen = std::collections::HashSet::new();
        for (i, k) in &slots {
            if seen.insert(k.clone()) {
                text.push_str(&format!("{i} {k}\n"));
            }
        }
        let kw = Keywords::parse(text.as_bytes(), p()).unwrap();
        prop_assert_eq!(kw.to_bytes(), text.as_bytes());
        prop_assert_eq!(Keywords::parse(&kw.to_bytes(), p()).unwrap(), kw.clone());
        for (i, k) in kw.iter() {
            prop_assert_eq!(kw.letter(k), Some(char::from(b'a' + i as u8)));
        }
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Keywords::parse(&bytes, p());
    }
}
