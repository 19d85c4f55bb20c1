//! Maildir file names: parsing, formatting, flags and unique names.

use maildir::Error;
use maildir::name::{Flag, Flags, MessageName, escape_hostname, unique_name};
use proptest::prelude::*;
use std::collections::HashSet;

fn parse(s: &str) -> MessageName {
    MessageName::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn dovecot_name_with_fields_and_flags() {
    let n = parse("1700000000.M123P45Q6.mail.example,S=1024,W=1050:2,FRS");
    assert_eq!(n.base(), "1700000000.M123P45Q6.mail.example");
    assert_eq!(n.size(), Some(1024));
    assert_eq!(n.vsize(), Some(1050));
    let f = n.flags().unwrap();
    assert!(f.contains(Flag::Flagged) && f.contains(Flag::Replied) && f.contains(Flag::Seen));
    assert!(!f.contains(Flag::Draft));
    assert_eq!(
        n.to_string(),
        "1700000000.M123P45Q6.mail.example,S=1024,W=1050:2,FRS"
    );
}

#[test]
fn canonical_names_round_trip() {
    for s in [
        "1.M2P3Q4.host",
        "1.M2P3Q4.host:2,",
        "1.M2P3Q4.host,S=0:2,",
        "1.M2P3Q4.host,S=5,W=6",
        "1.M2P3Q4.host,S=5,X=abc,W=6:2,DFPRSTaz",
        "1.M2P3Q4.host,W=6,S=5:2,S",
        "1.M2P3Q4.host:1,whatever:and,more",
        "legacy-unique-name:2,abc",
        "1.M2P3Q4.h\\057st\\072x:2,T",
    ] {
        assert_eq!(parse(s).to_string(), s);
        assert_eq!(s.parse::<MessageName>().unwrap(), parse(s));
    }
}

#[test]
fn other_fields_are_preserved() {
    let n = parse("u,S=10,Z=x=y,W=12:2,S");
    assert_eq!(n.field("Z"), Some("x=y"));
    assert_eq!(n.field("S"), Some("10"));
    assert_eq!(n.field("Q"), None);
    assert_eq!(
        n.fields().collect::<Vec<_>>(),
        [("S", "10"), ("Z", "x=y"), ("W", "12")]
    );
    assert_eq!(n.without_info(), "u,S=10,Z=x=y,W=12");
    assert_eq!(n.with_flags(&Flags::new()), "u,S=10,Z=x=y,W=12:2,");
}

#[test]
fn no_info_and_raw_info() {
    let n = parse("u,S=3");
    assert_eq!(n.flags(), None);
    assert_eq!(n.raw_info(), None);
    assert_eq!(n.vsize(), None);
    let n = parse("u:1,experimental");
    assert_eq!(n.flags(), None);
    assert_eq!(n.raw_info(), Some("1,experimental"));
    assert_eq!(n.size(), None);
}

#[test]
fn flags_are_written_sorted_and_deduplicated() {
    let n = parse("u:2,zSaTSDaR");
    assert_eq!(n.to_string(), "u:2,DRSTaz");
    let f: Flags = "ssSSbaD".parse().unwrap();
    assert_eq!(f.to_string(), "DSabs");
    assert_eq!(f.keywords().collect::<String>(), "abs");
    assert_eq!(f.standard().collect::<Vec<_>>(), [Flag::Draft, Flag::Seen]);
}

#[test]
fn with_flags_replaces_info() {
    let n = parse("u,S=1,W=2:2,S");
    let mut f = Flags::new();
    assert!(f.is_empty());
    f.insert(Flag::Trashed);
    f.insert(Flag::Draft);
    assert!(f.insert_keyword('c'));
    assert!(!f.insert_keyword('C'));
    assert_eq!(n.with_flags(&f), "u,S=1,W=2:2,DTc");
    f.remove(Flag::Draft);
    f.remove_keyword('c');
    assert_eq!(n.with_flags(&f), "u,S=1,W=2:2,T");
    assert_eq!(parse("u:1,raw").with_flags(&f), "u:2,T");
    assert_eq!(parse("u").with_flags(&f), "u:2,T");
}

#[test]
fn flag_letters() {
    for f in Flag::ALL {
        assert_eq!(Flag::from_letter(f.letter()), Some(f));
    }
    assert_eq!(Flag::from_letter('X'), None);
    let all: Flags = Flag::ALL.into_iter().collect();
    assert_eq!(all.to_string(), "DFPRST");
    let mut f = Flags::new();
    assert!(!f.insert_letter('1'));
    assert!(f.is_empty());
}

#[test]
fn every_parse_error() {
    let cases = [
        ("", "empty name"),
        ("a/b", "contains '/' or NUL"),
        ("a\0b", "contains '/' or NUL"),
        (".hidden", "starts with '.'"),
        (",S=1", "empty unique part"),
        (":2,S", "empty unique part"),
        ("u,S", "field without '='"),
        ("u,=1", "field key is empty or not alphanumeric"),
        ("u,S-x=1", "field key is empty or not alphanumeric"),
        ("u,S=x", "S= or W= is not a number"),
        ("u,W=", "S= or W= is not a number"),
        ("u,S=-1", "S= or W= is not a number"),
        ("u,S=99999999999999999999999", "S= or W= is not a number"),
        ("u,S=1,S=1", "repeated S= or W= field"),
        ("u,W=1,W=2", "repeated S= or W= field"),
        ("u:", "info does not start with a version digit and ','"),
        ("u:2", "info does not start with a version digit and ','"),
        ("u:x,S", "info does not start with a version digit and ','"),
        ("u:2,S1", "unknown flag letter after ':2,'"),
        ("u:2,SX", "unknown flag letter after ':2,'"),
        ("u:2,S:2,S", "unknown flag letter after ':2,'"),
    ];
    for (name, want) in cases {
        match MessageName::parse(name) {
            Err(Error::InvalidName { name: n, reason }) => {
                assert_eq!(n, name);
                assert_eq!(reason, want, "{name:?}");
            }
            other => panic!("{name:?}: {other:?}"),
        }
    }
    assert!(matches!(Flags::parse("SQ"), Err(Error::InvalidName { .. })));
}

#[test]
fn hostname_escaping() {
    assert_eq!(escape_hostname("a/b:c,d.e"), "a\\057b\\072c\\054d.e");
    assert_eq!(escape_hostname("plain"), "plain");
}

#[test]
fn unique_names_are_unique_and_parse() {
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let u = unique_name();
        let n = parse(&u);
        assert_eq!(n.base(), u);
        let (secs, rest) = u.split_once(".M").unwrap();
        assert!(secs.bytes().all(|b| b.is_ascii_digit()));
        assert!(rest.contains(&format!("P{}Q", std::process::id())));
        assert!(seen.insert(u));
    }
}

fn base_strategy() -> impl Strategy<Value = String> {
    "[0-9A-Za-z_.\\-\\\\]{1,30}".prop_filter("no leading dot", |s| !s.starts_with('.'))
}

fn flags_strategy() -> impl Strategy<Value = Flags> {
    (any::<u8>(), any::<u32>()).prop_map(|(std, kw)| {
        let mut f = Flags::new();
        for (i, flag) in Flag::ALL.into_iter().enumerate() {
            if std & (1 << i) != 0 {
                f.insert(flag);
            }
        }
        for i in 0..26u8 {
            if kw & (1 << i) != 0 {
                f.insert_keyword(char::from(b'a' + i));
            }
        }
        f
    })
}

proptest! {
    #[test]
    fn parse_format_round_trip(
        base in base_strategy(),
        size in proptest::option::of(any::<u64>()),
        vsize in proptest::option::of(any::<u64>()),
        extra in proptest::option::of(("[A-RT-VX-Z]", "[a-z0-9=]{0,8}")),
        flags in proptest::option::of(flags_strategy()),
    ) {
        let mut name = base.clone();
        if let Some(s) = size { name.push_str(&format!(",S={s}")); }
        if let Some((k, v)) = &extra { name.push_str(&format!(",{k}={v}")); }
        if let Some(w) = vsize { name.push_str(&format!(",W={w}")); }
        if let Some(f) = &flags { name.push_str(&format!(":2,{f}")); }
        let parsed = MessageName::parse(&name).unwrap();
        prop_assert_eq!(parsed.to_string(), name.clone());
        prop_assert_eq!(parsed.base(), base.as_str());
        prop_assert_eq!(parsed.size(), size);
        prop_assert_eq!(parsed.vsize(), vsize);
        prop_assert_eq!(parsed.flags(), flags);
        if let Some((k, v)) = &extra { prop_assert_eq!(parsed.field(k), Some(v.as_str())); }
        let f = flags.unwrap_or_default();
        prop_assert_eq!(MessageName::parse(&parsed.with_flags(&f)).unwrap().flags(), Some(f));
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        if let Ok(n) = MessageName::parse(&s) {
            // Whatever parses re-parses to the same thing.
            prop_assert_eq!(MessageName::parse(&n.to_string()).unwrap(), n);
        }
    }

    #[test]
    fn flags_display_is_sorted_unique(letters in "[DFPRSTa-z]{0,40}") {
        let f = Flags::parse(&letters).unwrap();
        let s = f.to_string();
        let mut want: Vec<char> = letters.chars().collect();
        want.sort_unstable();
        want.dedup();
        prop_assert_eq!(s, want.into_iter().collect::<String>());
    }
}
