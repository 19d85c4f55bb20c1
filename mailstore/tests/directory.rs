//! Address resolution with Postfix's virtual(5) rules, over the in-memory
//! source: delimiters, case, catch-alls, alias fan-out, extensions carried
//! over, self-aliases, loops, limits, disabled accounts, authentication.

use futures_executor::block_on;
use mailstore::ErrorKind;
use mailstore::directory::{
    Directory, Layered, MemoryDirectory, QuotaLimit, Recipients, Resolution, ResolveOptions, User,
};
use sasl::{CredentialStore, PasswordHash, Secret};

fn directory() -> (std::sync::Arc<MemoryDirectory>, Directory) {
    let source = std::sync::Arc::new(MemoryDirectory::new());
    source.add_domain("example.org");
    source.add_domain("lists.example.org");
    for name in ["alice@example.org", "bob@example.org", "carol@example.org"] {
        source.add_user(User::new(name));
    }
    let directory = Directory::from_arc(source.clone());
    (source, directory)
}

/// The default options with one change.
fn opts(change: impl FnOnce(&mut ResolveOptions)) -> ResolveOptions {
    let mut o = ResolveOptions::default();
    change(&mut o);
    o
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

fn locals(d: &Directory, address: &str) -> Vec<String> {
    summary(&accepted(d, address)).0
}

fn outcome(d: &Directory, address: &str) -> &'static str {
    match block_on(d.resolve(address)).unwrap() {
        Resolution::Accepted(_) => "accepted",
        Resolution::UnknownUser => "unknown user",
        Resolution::UnknownDomain => "unknown domain",
        Resolution::Loop => "loop",
        Resolution::TooManyRecipients => "too many",
    }
}

#[test]
fn accounts_by_address_in_any_case() {
    let (_, d) = directory();
    assert_eq!(locals(&d, "alice@example.org"), ["alice@example.org"]);
    assert_eq!(locals(&d, "ALICE@Example.Org"), ["alice@example.org"]);
    let r = accepted(&d, "Bob@EXAMPLE.org");
    assert_eq!(r.local[0].address, "bob@example.org");
}

#[test]
fn unknown_users_domains_and_malformed_addresses() {
    let (_, d) = directory();
    assert_eq!(outcome(&d, "dave@example.org"), "unknown user");
    assert_eq!(outcome(&d, "alice@example.net"), "unknown domain");
    assert_eq!(outcome(&d, "alice"), "unknown user");
    assert_eq!(outcome(&d, "@example.org"), "unknown user");
    assert_eq!(outcome(&d, "alice@"), "unknown user");
}

#[test]
fn the_extension_becomes_the_detail_as_written() {
    let (_, d) = directory();
    assert_eq!(
        locals(&d, "alice+Lists@example.org"),
        ["alice@example.org(Lists)"]
    );
    // Only the first delimiter splits; an empty extension is still one.
    assert_eq!(
        locals(&d, "alice+a+b@example.org"),
        ["alice@example.org(a+b)"]
    );
    assert_eq!(locals(&d, "alice+@example.org"), ["alice@example.org()"]);
    // A leading delimiter is part of the name.
    assert_eq!(outcome(&d, "+alice@example.org"), "unknown user");
    // An account whose name has the delimiter wins over the split.
    let (source, d) = directory();
    source.add_user(User::new("alice+shop@example.org"));
    assert_eq!(
        locals(&d, "alice+shop@example.org"),
        ["alice+shop@example.org"]
    );
}

#[test]
fn several_delimiters_or_none() {
    let (_, d) = directory();
    let d = d.with_options(opts(|o| o.recipient_delimiter = "+-".into()));
    assert_eq!(
        locals(&d, "alice-news@example.org"),
        ["alice@example.org(news)"]
    );
    assert_eq!(locals(&d, "bob+x@example.org"), ["bob@example.org(x)"]);
    let (_, d) = directory();
    let d = d.with_options(opts(|o| o.recipient_delimiter = String::new()));
    assert_eq!(outcome(&d, "alice+x@example.org"), "unknown user");
}

#[test]
fn aliases_fan_out_in_order_each_account_once() {
    let (source, d) = directory();
    source.add_alias(
        "team@example.org",
        ["bob@example.org", "alice@example.org", "BOB@example.org"],
    );
    assert_eq!(
        locals(&d, "team@example.org"),
        ["bob@example.org", "alice@example.org"]
    );
    // Nested aliases.
    source.add_alias("all@example.org", ["team@example.org", "carol@example.org"]);
    assert_eq!(
        locals(&d, "all@example.org"),
        ["bob@example.org", "alice@example.org", "carol@example.org"]
    );
}

#[test]
fn an_alias_wins_over_an_account_and_may_name_itself() {
    let (source, d) = directory();
    // A vacation-style copy: deliver to alice and also to bob.
    source.add_alias(
        "alice@example.org",
        ["alice@example.org", "bob@example.org"],
    );
    assert_eq!(
        locals(&d, "alice@example.org"),
        ["alice@example.org", "bob@example.org"]
    );
    // Redirect: alice's mail goes to carol only.
    source.add_alias("alice@example.org", ["carol@example.org"]);
    assert_eq!(locals(&d, "alice@example.org"), ["carol@example.org"]);
}

#[test]
fn unmatched_extensions_carry_over_to_alias_targets() {
    let (source, d) = directory();
    source.add_alias(
        "sales@example.org",
        ["alice@example.org", "bob+fixed@example.org"],
    );
    assert_eq!(
        locals(&d, "sales+eu@example.org"),
        ["alice@example.org(eu)", "bob@example.org(fixed)"]
    );
    // An alias for the full address with its extension matches first.
    source.add_alias("sales+eu@example.org", ["carol@example.org"]);
    assert_eq!(locals(&d, "sales+eu@example.org"), ["carol@example.org"]);
    let (source, d) = directory();
    let d = d.with_options(opts(|o| o.propagate_extension = false));
    source.add_alias("sales@example.org", ["alice@example.org"]);
    assert_eq!(locals(&d, "sales+eu@example.org"), ["alice@example.org"]);
}

#[test]
fn catch_alls_take_what_nobody_else_has() {
    let (source, d) = directory();
    source.add_alias("@example.org", ["carol@example.org"]);
    assert_eq!(locals(&d, "anything@example.org"), ["carol@example.org"]);
    assert_eq!(locals(&d, "alice@example.org"), ["alice@example.org"]);
    // Postfix's order: the catch-all alias swallows accounts too, unless
    // they have an alias to themselves (as Postfixadmin keeps them).
    let postfix = d
        .clone()
        .with_options(opts(|o| o.catch_all_before_accounts = true));
    assert_eq!(locals(&postfix, "alice@example.org"), ["carol@example.org"]);
    source.add_alias("alice@example.org", ["alice@example.org"]);
    assert_eq!(locals(&postfix, "alice@example.org"), ["alice@example.org"]);
    // A catch-all account (virtual_mailbox_maps `@domain`).
    let (source, d) = directory();
    source.add_user(User::new("@lists.example.org").with_home("/srv/lists"));
    let r = accepted(&d, "rust-users@lists.example.org");
    assert_eq!(r.local[0].user.name, "@lists.example.org");
    assert_eq!(r.local[0].address, "rust-users@lists.example.org");
}

#[test]
fn forwards_outside_and_unknowns_inside_our_domains() {
    let (source, d) = directory();
    source.add_alias(
        "fwd@example.org",
        [
            "someone@Elsewhere.net",
            "ghost@example.org",
            "alice@example.org",
            "someone@elsewhere.NET",
        ],
    );
    let r = accepted(&d, "fwd@example.org");
    assert_eq!(
        summary(&r),
        (
            vec!["alice@example.org".into()],
            vec!["someone@Elsewhere.net".into()]
        )
    );
    assert_eq!(r.unknown, ["ghost@example.org"]);
    // Nothing deliverable at all: unknown.
    source.add_alias("void@example.org", ["ghost@example.org"]);
    assert_eq!(outcome(&d, "void@example.org"), "unknown user");
    // Only forwards: accepted.
    source.add_alias("out@example.org", ["x@elsewhere.net"]);
    assert_eq!(
        summary(&accepted(&d, "out@example.org")).1,
        ["x@elsewhere.net"]
    );
}

#[test]
fn alias_loops_are_found_not_followed() {
    let (source, d) = directory();
    source.add_alias("a@example.org", ["b@example.org"]);
    source.add_alias("b@example.org", ["c@example.org"]);
    source.add_alias("c@example.org", ["A@example.org"]);
    assert_eq!(outcome(&d, "a@example.org"), "loop");
    assert_eq!(outcome(&d, "b@example.org"), "loop");
    // The same address twice on different branches is no loop.
    source.add_alias("c@example.org", ["alice@example.org"]);
    source.add_alias("d@example.org", ["a@example.org", "b@example.org"]);
    assert_eq!(locals(&d, "d@example.org"), ["alice@example.org"]);
    // A catch-all pointing at an unknown address of its own domain: that
    // address maps to itself, and nobody has it.
    let (source, d) = directory();
    source.add_alias("@example.org", ["nobody-here@example.org"]);
    assert_eq!(outcome(&d, "x@example.org"), "unknown user");
    // Two catch-alls pointing at each other's domains.
    source.add_alias("@lists.example.org", ["z@example.org"]);
    source.add_alias("@example.org", ["y@lists.example.org"]);
    assert_eq!(outcome(&d, "x@example.org"), "loop");
}

#[test]
fn expansion_and_recursion_limits() {
    let (source, d) = directory();
    let many: Vec<String> = (0..20).map(|i| format!("u{i}@elsewhere.net")).collect();
    source.add_alias("big@example.org", many);
    let small = d.clone().with_options(opts(|o| o.expansion_limit = 10));
    assert_eq!(outcome(&small, "big@example.org"), "too many");
    assert_eq!(accepted(&d, "big@example.org").forward.len(), 20);
    for i in 0..5 {
        source.add_alias(
            &format!("l{i}@example.org"),
            [format!("l{}@example.org", i + 1)],
        );
    }
    source.add_alias("l5@example.org", ["alice@example.org"]);
    let shallow = d.clone().with_options(opts(|o| o.recursion_limit = 3));
    assert_eq!(outcome(&shallow, "l0@example.org"), "too many");
    assert_eq!(locals(&d, "l0@example.org"), ["alice@example.org"]);
}

#[test]
fn disabled_accounts_receive_nothing_and_cannot_log_in() {
    let (source, d) = directory();
    let mut user = User::new("dora@example.org").with_password(PasswordHash::plain("pw"));
    user.enabled = false;
    source.add_user(user);
    assert_eq!(outcome(&d, "dora@example.org"), "unknown user");
    let secret = Secret::from("pw");
    assert!(!block_on(d.verify_password("dora@example.org", &secret)).unwrap());
}

#[test]
fn every_sasl_mechanism_checks_passwords_through_the_directory() {
    let (source, d) = directory();
    let hash = PasswordHash::generate(sasl::Scheme::Sha512Crypt, b"s3cret").unwrap();
    source.add_user(User::new("erin@example.org").with_password(hash));
    source.add_user(User::new("fred@example.org").with_password(PasswordHash::plain("plain")));
    let ok = |user: &str, pw: &str| block_on(d.verify_password(user, &Secret::from(pw))).unwrap();
    assert!(ok("erin@example.org", "s3cret"));
    assert!(ok("ERIN@example.org", "s3cret"), "logins are case-folded");
    assert!(!ok("erin@example.org", "wrong"));
    assert!(!ok("nobody@example.org", "s3cret"));
    // CRAM-MD5 needs the plaintext; SCRAM derives keys from it.
    let plain = block_on(d.plaintext_password("fred@example.org")).unwrap();
    assert_eq!(plain.unwrap().as_bytes(), b"plain");
    assert!(
        block_on(d.scram_credentials("fred@example.org", sasl::ScramHash::Sha256))
            .unwrap()
            .is_some()
    );
    assert!(
        block_on(d.plaintext_password("erin@example.org"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn layered_sources_combine_domains_accounts_and_aliases() {
    let accounts = MemoryDirectory::new();
    accounts.add_domain("example.org");
    accounts.add_user(User::new("alice@example.org").with_quota(QuotaLimit {
        bytes: Some(1 << 30),
        messages: None,
    }));
    let aliases = MemoryDirectory::new();
    aliases.add_domain("alias.example");
    aliases.add_alias("info@alias.example", ["alice@example.org"]);
    aliases.add_alias(
        "alice@example.org",
        ["alice@example.org", "x@elsewhere.net"],
    );
    let d = Directory::new(Layered::new().with(accounts).with(aliases));
    let r = accepted(&d, "info@alias.example");
    assert_eq!(
        summary(&r),
        (
            vec!["alice@example.org".into()],
            vec!["x@elsewhere.net".into()]
        )
    );
    assert_eq!(r.local[0].user.quota.bytes, Some(1 << 30));
    assert!(block_on(d.has_domain("ALIAS.example")).unwrap());
    assert!(block_on(d.user("Alice@Example.org")).unwrap().is_some());
}

#[test]
fn source_failures_are_errors_not_answers() {
    use async_trait::async_trait;
    #[derive(Debug)]
    struct Down;
    #[async_trait]
    impl mailstore::directory::DirectorySource for Down {
        async fn has_domain(&self, _: &str) -> mailstore::Result<bool> {
            Err(mailstore::Error::temporary(
                "query",
                std::io::Error::other("db down"),
            ))
        }
        async fn user(&self, _: &str) -> mailstore::Result<Option<User>> {
            Err(mailstore::Error::temporary(
                "query",
                std::io::Error::other("db down"),
            ))
        }
    }
    let d = Directory::new(Down);
    let err = block_on(d.resolve("a@example.org")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
    assert!(err.to_string().contains("db down") || err.context() == "query");
    // SASL turns it into a temporary failure, not a wrong password.
    assert!(block_on(d.verify_password("a@example.org", &Secret::from("x"))).is_err());
}
