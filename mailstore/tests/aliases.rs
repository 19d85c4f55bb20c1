//! aliases(5) files: continuation lines, comments, quoting, the three kinds
//! of names and their precedence, qualified targets, unsupported targets,
//! duplicates, reloading, and resolution over a passwd-file with aliases.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_executor::block_on;
use mailstore::ErrorKind;
use mailstore::directory::{
    AliasFile, Directory, DirectorySource, Layered, PasswdFile, Recipients, Resolution,
};

mod support;

use support::Scratch;

fn open(name: &str, contents: &str) -> (Scratch, AliasFile) {
    let file = Scratch::new("aliases", name, contents);
    let aliases = AliasFile::open(&file.0).unwrap();
    (file, aliases)
}

fn alias(source: &AliasFile, address: &str) -> Option<Vec<String>> {
    block_on(source.alias(address)).unwrap()
}

#[test]
fn syntax() {
    let (_f, aliases) = open(
        "syntax",
        "# comment\n\
         \n\
         team@example.org: alice@example.org,\n\
         \x20 # an indented comment inside the entry\n\
         \n\
         \tbob@example.org ,\n\
         \x20 carol@example.org,\n\
         \"sales team\"@example.org: dave@example.org\n\
         \"quoted name\" : \"first last\"@example.org, \"x,y\"@example.org ,, Mixed@Example.ORG,\n\
         Upper@Example.Org: u@example.org\r\n\
         spaced   :   s@example.org\n",
    );
    assert_eq!(
        alias(&aliases, "team@example.org").unwrap(),
        ["alice@example.org", "bob@example.org", "carol@example.org"]
    );
    // An unquoted name ends at the first colon, quotes and all.
    assert_eq!(
        alias(&aliases, "\"sales team\"@example.org").unwrap(),
        ["dave@example.org"]
    );
    assert_eq!(
        alias(&aliases, "quoted name").unwrap(),
        [
            "\"first last\"@example.org",
            "\"x,y\"@example.org",
            "Mixed@Example.ORG"
        ]
    );
    assert_eq!(
        alias(&aliases, "upper@example.org").unwrap(),
        ["u@example.org"]
    );
    assert_eq!(alias(&aliases, "spaced").unwrap(), ["s@example.org"]);
    let entries = aliases.entries().unwrap();
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "team@example.org",
            "\"sales team\"@example.org",
            "quoted name",
            "upper@example.org",
            "spaced"
        ]
    );
}

#[test]
fn names_precedence_and_qualified_targets() {
    let (_f, aliases) = open(
        "precedence",
        "postmaster: root, admin@elsewhere.net\n\
         postmaster@example.org: alice\n\
         @example.org: catch\n\
         @example.net: net-catch@example.org\n\
         info: info-team\n",
    );
    // Full address first.
    assert_eq!(
        alias(&aliases, "postmaster@example.org").unwrap(),
        ["alice@example.org"]
    );
    // Then the bare name, qualified with the domain looked up.
    assert_eq!(
        alias(&aliases, "postmaster@example.com").unwrap(),
        ["root@example.com", "admin@elsewhere.net"]
    );
    assert_eq!(
        alias(&aliases, "info@example.org").unwrap(),
        ["info-team@example.org"]
    );
    // Catch-alls only for `@domain`.
    assert_eq!(
        alias(&aliases, "@example.org").unwrap(),
        ["catch@example.org"]
    );
    assert_eq!(
        alias(&aliases, "@example.net").unwrap(),
        ["net-catch@example.org"]
    );
    assert_eq!(alias(&aliases, "nobody@example.org"), None);
    assert_eq!(alias(&aliases, "@example.com"), None);
    // A bare name asked for directly: as written.
    assert_eq!(
        alias(&aliases, "postmaster").unwrap(),
        ["root", "admin@elsewhere.net"]
    );
    assert_eq!(alias(&aliases, "nobody"), None);
    // Degenerate addresses find nothing through bare names.
    assert_eq!(alias(&aliases, "postmaster@"), None);
    assert_eq!(alias(&aliases, "@"), None);

    assert!(block_on(aliases.has_domain("example.org")).unwrap());
    assert!(block_on(aliases.has_domain("example.net")).unwrap());
    assert!(!block_on(aliases.has_domain("example.com")).unwrap());
}

#[test]
fn bare_names_limited_to_local_domains() {
    let file = Scratch::new(
        "aliases",
        "local-domains",
        "info: alice\nsales@example.net: bob@example.net\n",
    );
    let users = Scratch::new("aliases", "local-domains-users", "x@example.org:{PLAIN}x\n");
    let passwd: Arc<dyn DirectorySource> = Arc::new(PasswdFile::open(&users.0).unwrap());
    let aliases = AliasFile::open(&file.0).unwrap().with_local_domains(passwd);
    assert_eq!(
        alias(&aliases, "info@example.org").unwrap(),
        ["alice@example.org"]
    );
    // A domain of this file's own entries counts as local.
    assert_eq!(
        alias(&aliases, "info@example.net").unwrap(),
        ["alice@example.net"]
    );
    assert_eq!(alias(&aliases, "info@partner.example"), None);
}

#[test]
fn errors_name_file_line_and_kind() {
    let cases: &[(&str, &str, usize, &str)] = &[
        (
            "pipe",
            "a: b\nlist: x, |/usr/bin/prog\n",
            2,
            "alias list: |command targets",
        ),
        (
            "quoted-pipe",
            "list: \"|/usr/bin/prog arg\"\n",
            1,
            "|command targets",
        ),
        (
            "file",
            "# c\n\nlog: /var/log/mail.copy\n",
            3,
            "alias log: /file targets",
        ),
        (
            "include",
            "list: x,\n  y,\n  :INCLUDE:/etc/list\n",
            3,
            ":include: targets",
        ),
        ("colon", "a: b\nno colon here\n", 2, "need name: value pair"),
        (
            "control",
            "a: b\nlist: x, y\u{0}z\n",
            2,
            "alias list: a target has a control character",
        ),
        (
            "control-cr",
            "list: x\ry\n",
            1,
            "a target has a control character",
        ),
        ("empty", "a:\n", 1, "alias a has no targets"),
        ("commas", "a: , ,\n", 1, "alias a has no targets"),
        (
            "continuation",
            "# c\n  a: b\n",
            2,
            "continuation line without an entry",
        ),
        ("quote", "\"open: b\n", 1, "unterminated quoted name"),
        ("quoted-empty", "\"\": b\n", 1, "empty alias name"),
        ("noname", ": c\n", 1, "empty alias name"),
        ("badname", "a@: c\n", 1, "invalid alias name 'a@'"),
    ];
    for &(name, contents, line, what) in cases {
        let file = Scratch::new("aliases", name, contents);
        let err = AliasFile::open(&file.0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{name}: {err}");
        let prefix = format!("aliases file {}:{line}: ", file.0.display());
        assert!(
            err.context().starts_with(&prefix),
            "{name}: {}",
            err.context()
        );
        assert!(err.context().contains(what), "{name}: {}", err.context());
    }
    let file = Scratch::new("aliases", "utf8", b"a: b\nc: \xff\n");
    let err = AliasFile::open(&file.0).unwrap_err();
    assert_eq!(
        err.context(),
        format!("aliases file {}:2: not UTF-8", file.0.display())
    );
}

#[test]
fn duplicates_first_wins() {
    let (_f, aliases) = open("dup", "dup: first\nDUP: second\ndup: third\n");
    assert_eq!(alias(&aliases, "dup").unwrap(), ["first"]);
    assert_eq!(aliases.entries().unwrap().len(), 1);
}

#[test]
fn reload_when_the_file_changes() {
    let file = Scratch::new("aliases", "reload", "");
    file.rewrite("a@example.org: old@example.org\n", 1_000_000);
    let aliases = AliasFile::open(&file.0)
        .unwrap()
        .with_check_interval(Duration::ZERO);
    assert_eq!(
        alias(&aliases, "a@example.org").unwrap(),
        ["old@example.org"]
    );
    file.rewrite("a@example.org: new@example.org\n", 1_000_100);
    assert_eq!(
        alias(&aliases, "a@example.org").unwrap(),
        ["new@example.org"]
    );

    // Broken: a temporary failure, not the old contents.
    file.rewrite("a@example.org: new@example.org\nb: |cmd\n", 1_000_200);
    let err = block_on(aliases.alias("a@example.org")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
    assert!(err.context().contains(":2: alias b: |command"), "{err}");
    assert_eq!(aliases.reload().unwrap_err().kind(), ErrorKind::Temporary);

    file.rewrite("a@example.org: fixed@example.org\n", 1_000_300);
    assert_eq!(
        alias(&aliases, "a@example.org").unwrap(),
        ["fixed@example.org"]
    );
    assert!(!aliases.reload().unwrap());
}

// Resolution over a passwd-file with an aliases file.

struct Setup {
    _users: Scratch,
    _aliases: Scratch,
    directory: Directory,
}

fn setup() -> Setup {
    let users = Scratch::new(
        "aliases",
        "resolve-users",
        "alice@example.org:{PLAIN}a:65534:65534::/srv/alice\n\
         bob@example.org:{PLAIN}b:65534:65534::/srv/bob\n\
         carol@example.net:{PLAIN}c:65534:65534::/srv/carol\n",
    );
    let aliases = Scratch::new(
        "aliases",
        "resolve-aliases",
        "# bare names: every local domain\n\
         postmaster: alice@example.org\n\
         abuse: postmaster\n\
         team@example.org: alice, bob,\n\
         \x20 carol@example.net, friend@elsewhere.example\n\
         info: info@partner.example\n\
         sales@example.net: carol\n\
         @aliasonly.example: bob@example.org\n",
    );
    let passwd = Arc::new(PasswdFile::open(&users.0).unwrap());
    let alias_file = AliasFile::open(&aliases.0)
        .unwrap()
        .with_local_domains(passwd.clone());
    let directory = Directory::new(Layered::new().with_arc(passwd).with(alias_file));
    Setup {
        _users: users,
        _aliases: aliases,
        directory,
    }
}

fn accepted(d: &Directory, address: &str) -> Recipients {
    match block_on(d.resolve(address)).unwrap() {
        Resolution::Accepted(r) => r,
        other => panic!("{address}: {other:?}"),
    }
}

/// `user(detail)` for each local recipient, and the forwards.
fn summary(r: &Recipients) -> (Vec<String>, Vec<String>) {
    let local = r
        .local
        .iter()
        .map(|l| match &l.detail {
            Some(d) => format!("{}({d})", l.user.name),
            None => l.user.name.clone(),
        })
        .collect();
    (local, r.forward.clone())
}

#[test]
fn resolution_through_passwd_file_and_aliases() {
    let s = setup();
    let d = &s.directory;

    // Accounts, with details.
    assert_eq!(
        summary(&accepted(d, "Alice@Example.ORG")).0,
        ["alice@example.org"]
    );
    let r = accepted(d, "bob+lists@example.org");
    assert_eq!(summary(&r).0, ["bob@example.org(lists)"]);
    assert_eq!(r.local[0].user.home, Some(PathBuf::from("/srv/bob")));

    // Fan-out to accounts in two domains and a forward.
    let (local, forward) = summary(&accepted(d, "team@example.org"));
    assert_eq!(
        local,
        ["alice@example.org", "bob@example.org", "carol@example.net"]
    );
    assert_eq!(forward, ["friend@elsewhere.example"]);
    // The unmatched extension is carried over to the targets.
    let (local, forward) = summary(&accepted(d, "team+x@example.org"));
    assert_eq!(
        local,
        [
            "alice@example.org(x)",
            "bob@example.org(x)",
            "carol@example.net(x)"
        ]
    );
    assert_eq!(forward, ["friend+x@elsewhere.example"]);

    // A bare name in both domains, through another bare name.
    for domain in ["example.org", "example.net"] {
        assert_eq!(
            summary(&accepted(d, &format!("postmaster@{domain}"))).0,
            ["alice@example.org"]
        );
        assert_eq!(
            summary(&accepted(d, &format!("abuse+spam@{domain}"))).0,
            ["alice@example.org(spam)"]
        );
    }
    // A bare target is qualified with the alias's domain.
    assert_eq!(
        summary(&accepted(d, "sales@example.net")).0,
        ["carol@example.net"]
    );
    // A bare name forwarding outside: the target is not caught by `info`
    // again, since partner.example is not ours.
    let (local, forward) = summary(&accepted(d, "info@example.org"));
    assert!(local.is_empty());
    assert_eq!(forward, ["info@partner.example"]);

    // A domain known only from the aliases file, with a catch-all.
    assert_eq!(
        summary(&accepted(d, "anyone@aliasonly.example")).0,
        ["bob@example.org"]
    );

    // Unknown users and domains.
    assert!(matches!(
        block_on(d.resolve("dave@example.org")).unwrap(),
        Resolution::UnknownUser
    ));
    assert!(matches!(
        block_on(d.resolve("alice@example.com")).unwrap(),
        Resolution::UnknownDomain
    ));
    assert!(matches!(
        block_on(d.resolve("postmaster@example.com")).unwrap(),
        Resolution::UnknownDomain
    ));
}
