//! The SQL directory against real PostgreSQL and MariaDB servers (feature
//! `interop`), so that the three backends agree with the SQLite tests
//! (`tests/sql_directory.rs`).
//!
//! Each test starts its own server as an unprivileged user (`nobody`, via
//! `setpriv`, when run as root), in a scratch directory under
//! `CARGO_TARGET_TMPDIR`, listening only on 127.0.0.1 on a port picked
//! here, and stops it (and removes the directory) when done, panic or not.
//! It creates a database user as the seeds' tutorials do (`post_user`,
//! password `1234`), then, one database per scenario:
//!
//! * our own schema (`create_schema`) and the Postfixadmin admin API, then
//!   lookups, [`Directory::resolve`] and `verify_password` with the same
//!   expectations as over SQLite; what we write is read back with the
//!   client tool (`psql`, `mariadb`) as Postfix and Dovecot would;
//! * an operator's existing Postfixadmin database, loaded as a dump through
//!   the client tool, read unchanged with `SqlQueries::postfixadmin()`;
//! * the queries of the seeds' `mysql_virtual_*_maps.cf` (Postfix) and
//!   `dovecot-sql.conf.ext` (Dovecot) as custom `SqlQueries`;
//! * key columns that compare without case (`citext`, `_ci` collations):
//!   the directory must find what Postfix's pasted-in literal finds.
//!
//! A missing server is a failed test, never a skipped one: `scripts/test`
//! installs Debian's `postgresql` and `mariadb-server`.

#[path = "support/sql_servers.rs"]
mod sql_servers;

use std::sync::Arc;
use std::time::Instant;

use mailstore::ErrorKind;
use mailstore::directory::{
    Directory, DirectorySource, Recipients, Resolution, ResolveOptions, SqlDirectory, SqlQueries,
};
use sasl::{CredentialStore, PasswordHash, Scheme, Secret};
use sql_servers::{DB_PASSWORD, DB_USER, Kind, MYSQL_DUMP, POSTGRES_DUMP, Server, free_port};

// --- Helpers as in tests/sql_directory.rs ---------------------------------

/// example.org with alice (SHA512-CRYPT), bob (BLF-CRYPT), carol
/// (disabled); aliases; other.example empty. In a new database `name`.
async fn populated(server: &Server, name: &str) -> SqlDirectory {
    let url = server.create_database(name);
    let sql = SqlDirectory::connect(&url, SqlQueries::postfixadmin())
        .await
        .unwrap();
    assert_eq!(sql.create_schema().await.unwrap(), 1);
    sql.add_domain("example.org", "test").await.unwrap();
    sql.add_domain("other.example", "").await.unwrap();
    sql.add_user("alice@example.org", "alice-pw", Scheme::Sha512Crypt)
        .await
        .unwrap();
    sql.add_user("bob@example.org", "bob-pw", Scheme::BlfCrypt)
        .await
        .unwrap();
    sql.add_user("carol@example.org", "carol-pw", Scheme::Ssha512)
        .await
        .unwrap();
    sql.disable_user("carol@example.org").await.unwrap();
    sql.add_alias("postmaster@example.org", ["alice@example.org"])
        .await
        .unwrap();
    sql.add_alias(
        "team@example.org",
        [
            "alice@example.org",
            "bob@example.org",
            "friend@elsewhere.net",
        ],
    )
    .await
    .unwrap();
    sql
}

fn accepted(resolution: Resolution) -> Recipients {
    match resolution {
        Resolution::Accepted(to) => to,
        other => panic!("not accepted: {other:?}"),
    }
}

fn names(to: &Recipients) -> Vec<(String, Option<String>)> {
    to.local
        .iter()
        .map(|r| (r.user.name.clone(), r.detail.clone()))
        .collect()
}

fn kind(result: mailstore::Result<()>) -> ErrorKind {
    result.unwrap_err().kind()
}

fn full_text(e: &mailstore::Error) -> String {
    let mut text = format!("{e} / {e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(" / {s}"));
        source = s.source();
    }
    text
}

async fn verify(directory: &Directory, user: &str, password: &str) -> bool {
    directory
        .verify_password(user, &Secret::from(password))
        .await
        .unwrap()
}

// --- Scenarios ---------------------------------------------------------------

/// `create_schema` on an empty database, run twice, reopened; what it
/// writes is what Postfix's and Dovecot's own queries read.
async fn schema(server: Arc<Server>) {
    let url = server.create_database("schema_test");
    let sql = SqlDirectory::connect(&url, SqlQueries::postfixadmin())
        .await
        .unwrap();
    assert_eq!(sql.schema_version().await.unwrap(), None);
    let err = sql.has_domain("example.org").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary, "no tables yet");
    assert_eq!(sql.create_schema().await.unwrap(), 1);
    assert_eq!(sql.create_schema().await.unwrap(), 1);
    assert_eq!(sql.schema_version().await.unwrap(), Some(1));
    sql.add_domain("example.org", "").await.unwrap();
    sql.add_user("alice@example.org", "pw", Scheme::Sha512Crypt)
        .await
        .unwrap();
    sql.close().await;
    drop(sql);

    // The other URL spelling of each database.
    let other = match server.kind {
        Kind::Postgres => url.replacen("postgres://", "postgresql://", 1),
        Kind::MariaDb => url.replacen("mysql://", "mariadb://", 1),
    };
    let again = SqlDirectory::connect(&other, SqlQueries::postfixadmin())
        .await
        .unwrap();
    assert_eq!(again.schema_version().await.unwrap(), Some(1));
    assert_eq!(again.create_schema().await.unwrap(), 1);
    assert!(again.user("alice@example.org").await.unwrap().is_some());
    again.close().await;

    let db = "schema_test";
    assert_eq!(
        server.sql(db, "SELECT COUNT(*) FROM mailwright_schema"),
        "1"
    );
    // Postfixadmin's columns, by name.
    for (table, columns) in [
        (
            "domain",
            "domain, description, aliases, mailboxes, maxquota, quota, transport, backupmx, created, modified, active",
        ),
        (
            "mailbox",
            "username, password, name, maildir, quota, local_part, domain, created, modified, active",
        ),
        ("alias", "address, goto, domain, created, modified, active"),
    ] {
        server.sql(db, &format!("SELECT {columns} FROM {table}"));
    }
    // The seeds' Postfix maps and Dovecot password query, run by the
    // client tool as those programs run them.
    assert_eq!(
        server.sql(
            db,
            "SELECT domain FROM domain WHERE domain='example.org' AND active='1'"
        ),
        "example.org"
    );
    assert_eq!(
        server.sql(
            db,
            "SELECT maildir FROM mailbox WHERE username='alice@example.org' AND active='1'"
        ),
        "example.org/alice/"
    );
    assert_eq!(
        server.sql(
            db,
            "SELECT goto FROM alias WHERE address='alice@example.org' AND active='1'"
        ),
        "alice@example.org"
    );
    let password = server.sql(
        db,
        "SELECT password FROM mailbox WHERE username = 'alice@example.org' AND domain = 'example.org'",
    );
    assert!(password.starts_with("{SHA512-CRYPT}$6$"), "{password}");
    assert!(PasswordHash::parse(&password).unwrap().verify(b"pw"));
}

/// The Postfixadmin operations, as over SQLite.
async fn admin(server: Arc<Server>) {
    let sql = populated(&server, "admin_test").await;
    let db = "admin_test";

    // Domains.
    assert_eq!(
        kind(sql.add_domain("Example.ORG", "").await),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(sql.add_domain("bad domain", "").await),
        ErrorKind::Invalid
    );
    let domains = sql.list_domains().await.unwrap();
    let listed: Vec<_> = domains
        .iter()
        .map(|d| (d.domain.as_str(), d.active))
        .collect();
    assert_eq!(listed, [("example.org", true), ("other.example", true)]);
    assert_eq!(domains[0].description, "test");
    sql.disable_domain("other.example").await.unwrap();
    assert!(!sql.has_domain("other.example").await.unwrap());
    assert!(!sql.list_domains().await.unwrap()[1].active);
    sql.enable_domain("other.example").await.unwrap();
    assert!(sql.has_domain("other.example").await.unwrap());
    assert_eq!(
        kind(sql.disable_domain("nowhere.net").await),
        ErrorKind::NotFound
    );

    // Users.
    assert_eq!(
        kind(sql.add_user("Alice@example.org", "x", Scheme::Plain).await),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(
            sql.add_user("postmaster@example.org", "x", Scheme::Plain)
                .await
        ),
        ErrorKind::AlreadyExists,
        "an alias holds the address"
    );
    assert_eq!(
        kind(sql.add_user("dave@nowhere.net", "x", Scheme::Plain).await),
        ErrorKind::NotFound
    );
    for bad in [
        "dave",
        "../dave@example.org",
        "da ve@example.org",
        "@example.org",
    ] {
        assert_eq!(
            kind(sql.add_user(bad, "x", Scheme::Plain).await),
            ErrorKind::Invalid,
            "{bad}"
        );
    }
    let users = sql.list_users(Some("example.org")).await.unwrap();
    let listed: Vec<_> = users
        .iter()
        .map(|u| (u.address.as_str(), u.active))
        .collect();
    assert_eq!(
        listed,
        [
            ("alice@example.org", true),
            ("bob@example.org", true),
            ("carol@example.org", false)
        ]
    );
    assert_eq!(users[0].maildir, "example.org/alice/");
    assert_eq!(users[0].quota, None);
    assert!(
        sql.list_users(Some("other.example"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(sql.list_users(None).await.unwrap().len(), 3);

    // Dovecot's {SCHEME}hash, Postfixadmin's self-alias and row layout.
    let stored = server.sql(
        db,
        "SELECT password FROM mailbox WHERE username = 'alice@example.org'",
    );
    assert!(stored.starts_with("{SHA512-CRYPT}$6$"), "{stored}");
    let stored = server.sql(
        db,
        "SELECT password FROM mailbox WHERE username = 'bob@example.org'",
    );
    assert!(stored.starts_with("{BLF-CRYPT}$2"), "{stored}");
    assert_eq!(
        server.sql(
            db,
            "SELECT goto FROM alias WHERE address = 'bob@example.org'"
        ),
        "bob@example.org"
    );
    assert_eq!(
        server.sql(
            db,
            "SELECT local_part, domain, maildir, quota FROM mailbox WHERE username = 'bob@example.org'"
        )
        .replace('\t', "|"),
        "bob|example.org|example.org/bob/|0"
    );
    // Disabled as Postfix's `active='1'` sees it, self-alias included.
    assert_eq!(
        server.sql(
            db,
            "SELECT COUNT(*) FROM mailbox WHERE username = 'carol@example.org' AND active = '1'"
        ),
        "0"
    );
    assert_eq!(
        server.sql(
            db,
            "SELECT COUNT(*) FROM alias WHERE address = 'carol@example.org' AND active = '0'"
        ),
        "1"
    );

    sql.set_quota("alice@example.org", Some(5_000_000))
        .await
        .unwrap();
    let alice = sql.user("alice@example.org").await.unwrap().unwrap();
    assert_eq!(alice.quota.bytes, Some(5_000_000));
    assert_eq!(
        sql.list_users(None).await.unwrap()[0].quota,
        Some(5_000_000)
    );
    assert_eq!(
        server.sql(
            db,
            "SELECT quota FROM mailbox WHERE username = 'alice@example.org'"
        ),
        "5000000"
    );
    sql.set_quota("alice@example.org", None).await.unwrap();
    assert_eq!(
        sql.user("alice@example.org")
            .await
            .unwrap()
            .unwrap()
            .quota
            .bytes,
        None
    );
    assert_eq!(
        kind(sql.set_quota("zed@example.org", None).await),
        ErrorKind::NotFound
    );

    sql.set_password("alice@example.org", "new-pw", Scheme::BlfCrypt)
        .await
        .unwrap();
    let hash = sql
        .user("alice@example.org")
        .await
        .unwrap()
        .unwrap()
        .password
        .unwrap();
    assert_eq!(hash.scheme(), Scheme::BlfCrypt);
    assert!(hash.verify(b"new-pw") && !hash.verify(b"alice-pw"));
    assert_eq!(
        kind(
            sql.set_password("zed@example.org", "x", Scheme::Plain)
                .await
        ),
        ErrorKind::NotFound
    );

    assert!(sql.user("carol@example.org").await.unwrap().is_none());
    sql.enable_user("carol@example.org").await.unwrap();
    assert!(
        sql.user("carol@example.org")
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    sql.disable_user("carol@example.org").await.unwrap();
    assert!(sql.user("carol@example.org").await.unwrap().is_none());
    assert!(
        sql.alias("carol@example.org").await.unwrap().is_none(),
        "self-alias off too"
    );

    // Aliases.
    let aliases = sql.list_aliases(Some("example.org")).await.unwrap();
    let listed: Vec<_> = aliases
        .iter()
        .map(|a| (a.address.as_str(), a.targets.join(","), a.active))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "postmaster@example.org",
                "alice@example.org".to_owned(),
                true
            ),
            (
                "team@example.org",
                "alice@example.org,bob@example.org,friend@elsewhere.net".to_owned(),
                true
            ),
        ]
    );
    assert_eq!(
        server.sql(
            db,
            "SELECT goto FROM alias WHERE address='team@example.org' AND active='1'"
        ),
        "alice@example.org,bob@example.org,friend@elsewhere.net"
    );
    assert_eq!(
        kind(sql.add_alias("team@example.org", ["x@y.org"]).await),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(sql.add_alias("bob@example.org", ["x@y.org"]).await),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(sql.add_alias("x@nowhere.net", ["x@y.org"]).await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(sql.add_alias("x@example.org", ["not-an-address"]).await),
        ErrorKind::Invalid
    );
    assert_eq!(
        kind(sql.add_alias("x@example.org", Vec::<&str>::new()).await),
        ErrorKind::Invalid
    );
    sql.add_alias("@other.example", ["bob@example.org"])
        .await
        .unwrap();
    assert_eq!(
        sql.alias("@other.example").await.unwrap().unwrap(),
        ["bob@example.org"]
    );
    sql.set_alias("team@example.org", ["bob@example.org"])
        .await
        .unwrap();
    assert_eq!(
        sql.alias("team@example.org").await.unwrap().unwrap(),
        ["bob@example.org"]
    );
    assert_eq!(
        kind(sql.set_alias("none@example.org", ["a@b.org"]).await),
        ErrorKind::NotFound
    );
    // A mailbox's forwarding, keeping a copy.
    sql.set_alias("bob@example.org", ["bob@example.org", "bob@elsewhere.net"])
        .await
        .unwrap();
    assert!(
        sql.list_aliases(None)
            .await
            .unwrap()
            .iter()
            .any(|a| a.address == "bob@example.org")
    );
    assert_eq!(
        kind(sql.remove_alias("bob@example.org").await),
        ErrorKind::Invalid
    );
    sql.remove_alias("team@example.org").await.unwrap();
    assert_eq!(
        kind(sql.remove_alias("team@example.org").await),
        ErrorKind::NotFound
    );
    assert!(sql.alias("team@example.org").await.unwrap().is_none());

    // Removing users and domains.
    sql.remove_user("bob@example.org").await.unwrap();
    assert!(sql.user("bob@example.org").await.unwrap().is_none());
    assert!(sql.alias("bob@example.org").await.unwrap().is_none());
    assert_eq!(
        kind(sql.remove_user("bob@example.org").await),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(sql.remove_domain("example.org", false).await),
        ErrorKind::Invalid
    );
    assert_eq!(
        kind(sql.remove_domain("other.example", false).await),
        ErrorKind::Invalid,
        "still has its catch-all"
    );
    sql.remove_alias("@other.example").await.unwrap();
    sql.remove_domain("other.example", false).await.unwrap();
    sql.remove_domain("example.org", true).await.unwrap();
    assert_eq!(
        kind(sql.remove_domain("example.org", true).await),
        ErrorKind::NotFound
    );
    assert!(sql.list_domains().await.unwrap().is_empty());
    assert!(sql.list_users(None).await.unwrap().is_empty());
    assert!(sql.list_aliases(None).await.unwrap().is_empty());
    for table in ["domain", "mailbox", "alias"] {
        assert_eq!(
            server.sql(db, &format!("SELECT COUNT(*) FROM {table}")),
            "0",
            "{table}"
        );
    }
}

/// The three lookups, as over SQLite.
async fn lookups(server: Arc<Server>) {
    let sql = populated(&server, "lookups_test").await;
    assert!(sql.has_domain("example.org").await.unwrap());
    assert!(!sql.has_domain("elsewhere.net").await.unwrap());

    let alice = sql.user("alice@example.org").await.unwrap().unwrap();
    assert_eq!(alice.name, "alice@example.org");
    assert!(alice.enabled);
    assert_eq!(
        alice.password.as_ref().unwrap().scheme(),
        Scheme::Sha512Crypt
    );
    assert_eq!(alice.mail, None, "no base: the store's layout");
    assert_eq!(alice.extra("maildir"), Some("example.org/alice/"));
    assert_eq!(alice.extra("name"), Some(""));
    assert!(alice.quota.is_unlimited());
    assert!(sql.user("nobody@example.org").await.unwrap().is_none());
    assert!(sql.user("@example.org").await.unwrap().is_none());
    assert!(sql.user("alice").await.unwrap().is_none());

    assert_eq!(
        sql.alias("team@example.org").await.unwrap().unwrap(),
        [
            "alice@example.org",
            "bob@example.org",
            "friend@elsewhere.net"
        ]
    );
    assert_eq!(
        sql.alias("alice@example.org").await.unwrap().unwrap(),
        ["alice@example.org"]
    );
    assert!(sql.alias("nobody@example.org").await.unwrap().is_none());
    assert!(sql.alias("@example.org").await.unwrap().is_none());
    sql.add_alias("@example.org", ["alice@example.org"])
        .await
        .unwrap();
    assert_eq!(
        sql.alias("@example.org").await.unwrap().unwrap(),
        ["alice@example.org"]
    );

    // With Postfix's virtual_mailbox_base.
    let sql = sql.with_maildir_base("/var/vmail");
    let alice = sql.user("alice@example.org").await.unwrap().unwrap();
    assert_eq!(
        alice.mail.as_deref(),
        Some("maildir:/var/vmail/example.org/alice")
    );
    assert_eq!(alice.extra("maildir"), None);
}

/// `Directory::resolve`, as over SQLite.
async fn resolve(server: Arc<Server>) {
    let sql = Arc::new(populated(&server, "resolve_test").await);
    let directory = Directory::from_arc(sql.clone());

    let to = accepted(directory.resolve("Alice+Urgent@Example.ORG").await.unwrap());
    assert_eq!(
        names(&to),
        [("alice@example.org".to_owned(), Some("Urgent".to_owned()))]
    );
    let to = accepted(directory.resolve("postmaster+x@example.org").await.unwrap());
    assert_eq!(
        names(&to),
        [("alice@example.org".to_owned(), Some("x".to_owned()))]
    );
    let to = accepted(directory.resolve("team@example.org").await.unwrap());
    assert_eq!(
        names(&to),
        [
            ("alice@example.org".to_owned(), None),
            ("bob@example.org".to_owned(), None)
        ]
    );
    assert_eq!(to.forward, ["friend@elsewhere.net"]);

    assert!(matches!(
        directory.resolve("nobody@example.org").await.unwrap(),
        Resolution::UnknownUser
    ));
    assert!(matches!(
        directory.resolve("carol@example.org").await.unwrap(),
        Resolution::UnknownUser
    ));
    assert!(matches!(
        directory.resolve("alice@elsewhere.net").await.unwrap(),
        Resolution::UnknownDomain
    ));

    // A catch-all takes unknown and disabled addresses, not accounts.
    sql.add_alias("@example.org", ["bob@example.org"])
        .await
        .unwrap();
    for address in ["nobody@example.org", "carol@example.org"] {
        let to = accepted(directory.resolve(address).await.unwrap());
        assert_eq!(
            names(&to),
            [("bob@example.org".to_owned(), None)],
            "{address}"
        );
    }
    let to = accepted(directory.resolve("alice@example.org").await.unwrap());
    assert_eq!(names(&to), [("alice@example.org".to_owned(), None)]);

    // Postfix's order (catch-all alias first) keeps accounts through
    // their self-aliases.
    let mut options = ResolveOptions::default();
    options.catch_all_before_accounts = true;
    let postfix = Directory::from_arc(sql.clone()).with_options(options);
    let to = accepted(postfix.resolve("alice+x@example.org").await.unwrap());
    assert_eq!(
        names(&to),
        [("alice@example.org".to_owned(), Some("x".to_owned()))]
    );
    let to = accepted(postfix.resolve("nobody@example.org").await.unwrap());
    assert_eq!(names(&to), [("bob@example.org".to_owned(), None)]);

    // A disabled domain is no longer ours.
    sql.disable_domain("example.org").await.unwrap();
    assert!(matches!(
        directory.resolve("alice@example.org").await.unwrap(),
        Resolution::UnknownDomain
    ));
    assert!(directory.user("alice@example.org").await.unwrap().is_none());
}

/// `verify_password` through the directory, as over SQLite.
async fn passwords(server: Arc<Server>) {
    let directory = Directory::new(populated(&server, "passwords_test").await);
    assert!(verify(&directory, "alice@example.org", "alice-pw").await);
    assert!(verify(&directory, "Alice@Example.org", "alice-pw").await);
    assert!(!verify(&directory, "alice@example.org", "bob-pw").await);
    assert!(verify(&directory, "bob@example.org", "bob-pw").await);
    assert!(!verify(&directory, "bob@example.org", "").await);
    assert!(
        !verify(&directory, "carol@example.org", "carol-pw").await,
        "disabled"
    );
    assert!(!verify(&directory, "nobody@example.org", "x").await);
}

/// Keys full of quotes are data, as over SQLite (MySQL's backslash
/// escapes included).
async fn injection(server: Arc<Server>) {
    let sql = populated(&server, "injection_test").await;
    sql.add_user("o'brien@example.org", "pw", Scheme::Sha512Crypt)
        .await
        .unwrap();
    assert!(sql.user("o'brien@example.org").await.unwrap().is_some());
    assert_eq!(
        sql.alias("o'brien@example.org").await.unwrap().unwrap(),
        ["o'brien@example.org"]
    );

    for key in [
        "' OR '1'='1",
        "x' OR '1'='1@example.org",
        "x@example.org' OR '1'='1",
        "alice@example.org' --",
        "alice@example.org'#",
        "x\\' OR 1=1 -- @example.org",
        "' UNION SELECT username, password, name, maildir, quota FROM mailbox --@example.org",
        "@example.org' OR active = '1",
        "%s@example.org",
        "%@example.org",
        "_lice@example.org",
    ] {
        assert!(sql.user(key).await.unwrap().is_none(), "{key}");
        assert!(sql.alias(key).await.unwrap().is_none(), "{key}");
        assert!(!sql.has_domain(key).await.unwrap(), "{key}");
    }
    assert!(!sql.has_domain("example.org' OR '1'='1").await.unwrap());
    let directory = Directory::new(sql);
    assert!(matches!(
        directory.resolve("x' OR '1'='1@example.org").await.unwrap(),
        Resolution::UnknownUser
    ));
    assert!(
        !directory
            .verify_password("' OR '1'='1", &Secret::from("alice-pw"))
            .await
            .unwrap()
    );
    assert!(directory.user("alice@example.org").await.unwrap().is_some());
    assert_eq!(
        server.sql("injection_test", "SELECT COUNT(*) FROM mailbox"),
        "4",
        "tables intact"
    );
}

/// Failures are temporary and keep passwords (ours and the database's)
/// out of the error text.
async fn failures(server: Arc<Server>) {
    let sql = populated(&server, "failures_test").await;
    let url = server.url("failures_test");
    let secret_hash = sql
        .user("alice@example.org")
        .await
        .unwrap()
        .unwrap()
        .password
        .unwrap()
        .to_string();

    // A broken query.
    let mut queries = sql.queries().clone();
    queries.user = "SELECT password FROM no_such_table WHERE username = '%s'".into();
    let broken = SqlDirectory::connect(&url, queries).await.unwrap();
    let err = broken.user("alice@example.org").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
    assert!(
        full_text(&err).contains("no_such_table"),
        "{}",
        full_text(&err)
    );
    broken.close().await;

    // Admin errors never show the password.
    let err = sql
        .add_user("alice@example.org", "hunter2-secret", Scheme::Plain)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(!full_text(&err).contains("hunter2"));

    // A closed pool.
    sql.close().await;
    for err in [
        sql.user("alice@example.org").await.unwrap_err(),
        sql.alias("team@example.org").await.unwrap_err(),
        sql.has_domain("example.org").await.map(drop).unwrap_err(),
        sql.add_user("dave@example.org", "hunter2-secret", Scheme::Plain)
            .await
            .unwrap_err(),
        sql.set_password("alice@example.org", "hunter2-secret", Scheme::Plain)
            .await
            .unwrap_err(),
        sql.list_users(None).await.map(drop).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Temporary, "{err}");
        let text = full_text(&err);
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains(&secret_hash), "{text}");
        assert!(!text.contains("alice-pw"), "{text}");
    }

    // A wrong database password, a closed port: the URL stays out.
    let wrong = url.replacen(&format!(":{DB_PASSWORD}@"), ":wrong-db-secret-77@", 1);
    let closed = format!(
        "{}://{DB_USER}:closed-db-secret-77@127.0.0.1:{}/failures_test",
        url.split_once(':').unwrap().0,
        free_port()
    );
    for url in [wrong, closed] {
        let err = SqlDirectory::connect(&url, SqlQueries::postfixadmin())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Temporary, "{}", full_text(&err));
        let text = full_text(&err);
        assert!(!text.contains("db-secret-77"), "{text}");
    }
}

// --- An operator's existing database ------------------------------------------

/// Passwords of the dump: Postfixadmin's default `md5crypt` (bare
/// `$1$…`, as `$CONF['encrypt'] = 'md5crypt'` stores them), and a
/// Dovecot `{SHA512-CRYPT}` one.
fn dump_passwords() -> (String, String) {
    let md5 = PasswordHash::generate(Scheme::Md5Crypt, b"legacy")
        .unwrap()
        .to_string();
    let bare = md5.strip_prefix("{MD5-CRYPT}").unwrap().to_owned();
    let sha = PasswordHash::generate(Scheme::Sha512Crypt, b"sha-pw")
        .unwrap()
        .to_string();
    (bare, sha)
}

/// Rows of the dump, in both dialects: `ACTIVE`/`INACTIVE` become the
/// database's flags.
const DUMP_ROWS: &str = "
INSERT INTO domain (domain, description, aliases, mailboxes, maxquota, quota, transport, backupmx, created, modified, active) VALUES
 ('example.org', 'Example', 10, 10, 0, 0, 'virtual', INACTIVE, '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('disabled.example', '', 10, 10, 0, 0, 'virtual', INACTIVE, '2020-01-01 00:00:00', '2020-01-01 00:00:00', INACTIVE);
INSERT INTO mailbox (username, password, name, maildir, quota, local_part, domain, created, modified, active) VALUES
 ('old@example.org', 'MD5', 'Old Timer', 'example.org/old/', 1048576, 'old', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('sha@example.org', 'SHA', '', 'example.org/sha/', 0, 'sha', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('off@example.org', 'MD5', '', 'example.org/off/', 0, 'off', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', INACTIVE),
 ('u@disabled.example', 'MD5', '', 'disabled.example/u/', 0, 'u', 'disabled.example', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE);
INSERT INTO alias (address, goto, domain, created, modified, active) VALUES
 ('old@example.org', 'old@example.org', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('sha@example.org', 'sha@example.org', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('off@example.org', 'off@example.org', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', INACTIVE),
 ('u@disabled.example', 'u@disabled.example', 'disabled.example', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('postmaster@example.org', 'old@example.org', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('team@example.org', 'old@example.org,sha@example.org,friend@elsewhere.net', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE),
 ('gone@example.org', 'old@example.org', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', INACTIVE),
 ('@example.org', 'sha@example.org', 'example.org', '2020-01-01 00:00:00', '2020-01-01 00:00:00', ACTIVE);
";

/// A new database `name` holding the operator's dump, loaded as the
/// operator's account with the client tool; its URL.
fn load_dump(server: &Server, name: &str) -> String {
    let url = server.create_database(name);
    let (md5, sha) = dump_passwords();
    let (schema, active, inactive) = match server.kind {
        Kind::Postgres => (POSTGRES_DUMP, "true", "false"),
        Kind::MariaDb => (MYSQL_DUMP, "1", "0"),
    };
    let rows = DUMP_ROWS
        .replace("INACTIVE", inactive)
        .replace("ACTIVE", active)
        .replace("'MD5'", &format!("'{md5}'"))
        .replace("'SHA'", &format!("'{sha}'"));
    server.sql(name, &format!("{schema}{rows}"));
    url
}

/// What the dump holds, seen with `SqlQueries::postfixadmin()`.
async fn adopts_operator_database(server: Arc<Server>) {
    let db = "postfix_db";
    let url = load_dump(&server, db);
    let sql = Arc::new(
        SqlDirectory::connect(&url, SqlQueries::postfixadmin())
            .await
            .unwrap(),
    );
    assert_eq!(sql.schema_version().await.unwrap(), None, "nothing created");

    assert!(sql.has_domain("example.org").await.unwrap());
    assert!(!sql.has_domain("disabled.example").await.unwrap());
    let old = sql.user("old@example.org").await.unwrap().unwrap();
    assert_eq!(old.name, "old@example.org");
    assert!(old.enabled);
    assert_eq!(old.quota.bytes, Some(1_048_576));
    assert_eq!(old.extra("name"), Some("Old Timer"));
    assert_eq!(old.extra("maildir"), Some("example.org/old/"));
    let hash = old.password.unwrap();
    assert_eq!(hash.scheme(), Scheme::Md5Crypt, "bare $1$ is MD5-CRYPT");
    assert!(hash.verify(b"legacy"));
    assert!(sql.user("off@example.org").await.unwrap().is_none());
    assert!(
        sql.user("u@disabled.example").await.unwrap().is_none(),
        "its domain is disabled"
    );
    assert!(sql.alias("gone@example.org").await.unwrap().is_none());
    assert_eq!(
        sql.alias("team@example.org").await.unwrap().unwrap(),
        ["old@example.org", "sha@example.org", "friend@elsewhere.net"]
    );

    let directory = Directory::from_arc(sql.clone());
    let to = accepted(directory.resolve("Team+x@Example.org").await.unwrap());
    assert_eq!(
        names(&to),
        [
            ("old@example.org".to_owned(), Some("x".to_owned())),
            ("sha@example.org".to_owned(), Some("x".to_owned()))
        ]
    );
    assert_eq!(to.forward, ["friend+x@elsewhere.net"]);
    let to = accepted(directory.resolve("postmaster@example.org").await.unwrap());
    assert_eq!(names(&to), [("old@example.org".to_owned(), None)]);
    // The catch-all takes unknown, disabled and inactive-alias addresses.
    for address in ["nobody@example.org", "off@example.org", "gone@example.org"] {
        let to = accepted(directory.resolve(address).await.unwrap());
        assert_eq!(
            names(&to),
            [("sha@example.org".to_owned(), None)],
            "{address}"
        );
    }
    assert!(matches!(
        directory.resolve("u@disabled.example").await.unwrap(),
        Resolution::UnknownDomain
    ));
    let mut options = ResolveOptions::default();
    options.catch_all_before_accounts = true;
    let postfix = Directory::from_arc(sql.clone()).with_options(options);
    let to = accepted(postfix.resolve("old@example.org").await.unwrap());
    assert_eq!(names(&to), [("old@example.org".to_owned(), None)]);

    assert!(verify(&directory, "old@example.org", "legacy").await);
    assert!(verify(&directory, "OLD@example.org", "legacy").await);
    assert!(!verify(&directory, "old@example.org", "sha-pw").await);
    assert!(verify(&directory, "sha@example.org", "sha-pw").await);
    assert!(!verify(&directory, "off@example.org", "legacy").await);
    assert!(!verify(&directory, "u@disabled.example", "legacy").await);

    // Adopting it: the version table appears, the tables stay as they are.
    assert_eq!(sql.create_schema().await.unwrap(), 1);
    assert_eq!(sql.schema_version().await.unwrap(), Some(1));
    assert_eq!(server.sql(db, "SELECT COUNT(*) FROM mailbox"), "4");
    assert_eq!(server.sql(db, "SELECT COUNT(*) FROM alias"), "8");
    assert_eq!(
        server.sql(
            db,
            "SELECT phone FROM mailbox WHERE username = 'old@example.org'"
        ),
        "",
        "Postfixadmin's later columns kept"
    );

    // And administering it, with the operator's column types.
    sql.add_user("new@example.org", "new-pw", Scheme::Sha512Crypt)
        .await
        .unwrap();
    sql.set_quota("new@example.org", Some(2048)).await.unwrap();
    sql.disable_user("off@example.org").await.unwrap();
    sql.enable_user("off@example.org").await.unwrap();
    sql.add_alias("sales@example.org", ["new@example.org", "old@example.org"])
        .await
        .unwrap();
    let users = sql.list_users(Some("example.org")).await.unwrap();
    let listed: Vec<_> = users
        .iter()
        .map(|u| (u.address.as_str(), u.active, u.quota))
        .collect();
    assert_eq!(
        listed,
        [
            ("new@example.org", true, Some(2048)),
            ("off@example.org", true, None),
            ("old@example.org", true, Some(1_048_576)),
            ("sha@example.org", true, None),
        ]
    );
    let domains = sql.list_domains().await.unwrap();
    let listed: Vec<_> = domains
        .iter()
        .map(|d| (d.domain.as_str(), d.active))
        .collect();
    assert_eq!(listed, [("disabled.example", false), ("example.org", true)]);
    assert!(verify(&directory, "new@example.org", "new-pw").await);
    assert!(verify(&directory, "off@example.org", "legacy").await);
    let to = accepted(directory.resolve("sales@example.org").await.unwrap());
    assert_eq!(
        names(&to),
        [
            ("new@example.org".to_owned(), None),
            ("old@example.org".to_owned(), None)
        ]
    );
    // As Postfix's maps see the new rows.
    assert_eq!(
        server.sql(
            db,
            "SELECT maildir FROM mailbox WHERE username='new@example.org' AND active='1'"
        ),
        "example.org/new/"
    );
    assert_eq!(
        server.sql(
            db,
            "SELECT goto FROM alias WHERE address='sales@example.org' AND active='1'"
        ),
        "new@example.org,old@example.org"
    );
    // Removing a domain with rows referring to it (foreign keys on
    // PostgreSQL).
    sql.remove_domain("disabled.example", true).await.unwrap();
    assert_eq!(
        server.sql(
            db,
            "SELECT COUNT(*) FROM mailbox WHERE domain = 'disabled.example'"
        ),
        "0"
    );
}

/// The seeds' own Postfix and Dovecot queries, as custom `SqlQueries`
/// (Dovecot's `%u`, the whole user name, written `%s`).
async fn seed_queries(server: Arc<Server>) {
    let db = "seed_queries_db";
    let url = load_dump(&server, db);

    // Postfix: mysql_virtual_domains_maps.cf, mysql_virtual_mailbox_maps.cf,
    // mysql_virtual_alias_maps.cf, with virtual_mailbox_base = /var/mail/vmail.
    let postfix = SqlQueries {
        domain: "SELECT domain FROM domain WHERE domain='%s' AND active='1'".into(),
        user: "SELECT maildir FROM mailbox WHERE username='%s' AND active='1'".into(),
        alias: "SELECT goto FROM alias WHERE address='%s' AND active='1'".into(),
    };
    let sql = SqlDirectory::connect(&url, postfix)
        .await
        .unwrap()
        .with_maildir_base("/var/mail/vmail");
    assert!(sql.has_domain("example.org").await.unwrap());
    assert!(!sql.has_domain("disabled.example").await.unwrap());
    let old = sql.user("old@example.org").await.unwrap().unwrap();
    assert_eq!(old.name, "old@example.org");
    assert_eq!(
        old.mail.as_deref(),
        Some("maildir:/var/mail/vmail/example.org/old")
    );
    assert!(old.password.is_none(), "a map of mailboxes, no passwords");
    assert!(sql.user("off@example.org").await.unwrap().is_none());
    assert_eq!(
        sql.alias("@example.org").await.unwrap().unwrap(),
        ["sha@example.org"]
    );
    let directory = Directory::new(sql);
    let to = accepted(directory.resolve("team@example.org").await.unwrap());
    assert_eq!(
        names(&to),
        [
            ("old@example.org".to_owned(), None),
            ("sha@example.org".to_owned(), None)
        ]
    );
    assert_eq!(to.forward, ["friend@elsewhere.net"]);
    assert!(!verify(&directory, "old@example.org", "legacy").await);

    // Dovecot: dovecot-sql.conf.ext's password_query and user_query (extmail
    // tutorial), one query here, with default_pass_scheme = MD5-CRYPT
    // (Postfixadmin tutorial).
    let dovecot = SqlQueries {
        domain: "SELECT domain FROM domain WHERE domain='%s' AND active='1'".into(),
        user: "SELECT username, domain, password, maildir, 600 AS uid, 600 AS gid \
               FROM mailbox WHERE username = '%s' AND domain = '%d'"
            .into(),
        alias: String::new(),
    };
    let sql = SqlDirectory::connect(&url, dovecot)
        .await
        .unwrap()
        .with_default_scheme(Scheme::Md5Crypt)
        .with_maildir_base("/home/vmail");
    let old = sql.user("old@example.org").await.unwrap().unwrap();
    assert_eq!(old.name, "old@example.org");
    assert_eq!((old.uid, old.gid), (Some(600), Some(600)));
    assert_eq!(old.extra("domain"), Some("example.org"));
    assert_eq!(
        old.mail.as_deref(),
        Some("maildir:/home/vmail/example.org/old")
    );
    assert!(sql.user("old@elsewhere.net").await.unwrap().is_none());
    assert!(sql.alias("team@example.org").await.unwrap().is_none());
    let directory = Directory::new(sql);
    assert!(verify(&directory, "old@example.org", "legacy").await);
    assert!(verify(&directory, "sha@example.org", "sha-pw").await);
    assert!(!verify(&directory, "sha@example.org", "legacy").await);
    // The tutorial's query has no `active` test: like Dovecot with it,
    // the inactive account logs in.
    assert!(verify(&directory, "off@example.org", "legacy").await);

    // Dovecot's `%u` kept as written means our local part: nothing found.
    let literal = SqlQueries {
        domain: String::new(),
        user: "SELECT username, domain, password FROM mailbox \
               WHERE username = '%u' AND domain = '%d'"
            .into(),
        alias: String::new(),
    };
    let sql = SqlDirectory::connect(&url, literal).await.unwrap();
    assert!(sql.user("old@example.org").await.unwrap().is_none());
    // Dovecot's own spellings for the same query.
    let spelled = SqlQueries {
        domain: String::new(),
        user: "SELECT username AS user, password FROM mailbox \
               WHERE local_part = '%n' AND domain = '%{domain}' AND username = '%{user}'"
            .into(),
        alias: String::new(),
    };
    let sql = SqlDirectory::connect(&url, spelled)
        .await
        .unwrap()
        .with_default_scheme(Scheme::Md5Crypt);
    let old = sql.user("old@example.org").await.unwrap().unwrap();
    assert!(old.password.unwrap().verify(b"legacy"));
}

/// Key columns that compare without case, as operators declare them for
/// addresses typed in mixed case: PostgreSQL's `citext`, MySQL's default
/// `_ci` collations. Postfix pastes `'%s'` into the query, so the column's
/// comparison applies; our bound parameter must find the same rows.
async fn case_insensitive_columns(server: Arc<Server>) {
    let db = "citext_db";
    let url = server.create_database(db);
    let schema = match server.kind {
        // A trusted extension: the database owner may create it.
        Kind::Postgres => {
            "CREATE EXTENSION IF NOT EXISTS citext;
             CREATE TABLE users (email citext PRIMARY KEY, password text NOT NULL,
                                 maildir text NOT NULL, active boolean NOT NULL DEFAULT true);
             CREATE TABLE forwardings (source citext NOT NULL, destination text NOT NULL);
             CREATE TABLE domains (name citext PRIMARY KEY);"
        }
        Kind::MariaDb => {
            "CREATE TABLE users (email varchar(255) PRIMARY KEY, password varchar(255) NOT NULL,
                                 maildir varchar(255) NOT NULL, active tinyint(1) NOT NULL DEFAULT 1)
                                 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
             CREATE TABLE forwardings (source varchar(255) NOT NULL, destination varchar(255) NOT NULL)
                                 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
             CREATE TABLE domains (name varchar(255) PRIMARY KEY)
                                 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;"
        }
    };
    let sha = PasswordHash::generate(Scheme::Sha512Crypt, b"mixed-pw")
        .unwrap()
        .to_string();
    server.sql(
        db,
        &format!(
            "{schema}
             INSERT INTO domains VALUES ('Example.ORG');
             INSERT INTO users (email, password, maildir) VALUES
                 ('Alice@Example.ORG', '{sha}', 'Example.ORG/Alice/');
             INSERT INTO forwardings VALUES ('Sales@Example.ORG', 'Alice@Example.ORG');"
        ),
    );
    let queries = SqlQueries {
        domain: "SELECT name FROM domains WHERE name = '%s'".into(),
        user: "SELECT email AS username, password, maildir FROM users \
               WHERE email = '%s' AND active = '1'"
            .into(),
        alias: "SELECT destination FROM forwardings WHERE source = '%s'".into(),
    };
    // The queries as Postfix runs them, the key pasted in (folded, as
    // Postfix folds table keys).
    for (sql, found) in [
        (
            "SELECT name FROM domains WHERE name = 'example.org'",
            "Example.ORG",
        ),
        (
            "SELECT maildir FROM users WHERE email = 'alice@example.org' AND active = '1'",
            "Example.ORG/Alice/",
        ),
        (
            "SELECT destination FROM forwardings WHERE source = 'sales@example.org'",
            "Alice@Example.ORG",
        ),
    ] {
        assert_eq!(server.sql(db, sql), found, "{sql}");
    }
    // The same answers through the directory; every mismatch listed.
    let sql = SqlDirectory::connect(&url, queries).await.unwrap();
    let mut wrong = Vec::new();
    let domain = sql.has_domain("example.org").await;
    if !matches!(domain, Ok(true)) {
        wrong.push(format!("has_domain(example.org) = {domain:?}"));
    }
    let alias = sql.alias("sales@example.org").await;
    if !matches!(&alias, Ok(Some(t)) if t == &["Alice@Example.ORG"]) {
        wrong.push(format!("alias(sales@example.org) = {alias:?}"));
    }
    let user = sql
        .user("alice@example.org")
        .await
        .map(|u| u.map(|u| u.name));
    if !matches!(&user, Ok(Some(name)) if name == "Alice@Example.ORG") {
        wrong.push(format!("user(alice@example.org) = {user:?}"));
    }
    let directory = Directory::new(sql);
    if !verify(&directory, "Alice@Example.ORG", "mixed-pw").await {
        wrong.push("verify_password(Alice@Example.ORG) = false".into());
    }
    match directory.resolve("sales@example.org").await {
        Ok(Resolution::Accepted(to)) if names(&to) == [("Alice@Example.ORG".to_owned(), None)] => {}
        other => wrong.push(format!("resolve(sales@example.org) = {other:?}")),
    }
    assert!(
        wrong.is_empty(),
        "the client tool's literal queries find the rows, the directory's bound \
         parameters do not: {wrong:#?}"
    );
}

// --- The tests -----------------------------------------------------------------

/// Runs each scenario against `server` in its own task (and database),
/// and fails with the list of those that failed.
macro_rules! run_scenarios {
    ($server:expr, [$($name:ident),* $(,)?]) => {{
        let server: Arc<Server> = $server;
        let mut failed = Vec::new();
        $(
            let started = Instant::now();
            let result = tokio::spawn($name(server.clone())).await;
            eprintln!(
                "{:?} {}: {} in {:?}",
                server.kind,
                stringify!($name),
                if result.is_ok() { "ok" } else { "FAILED" },
                started.elapsed()
            );
            if let Err(e) = result {
                failed.push(format!("{}: {e}", stringify!($name)));
            }
        )*
        let kind = server.kind;
        drop(server);
        assert!(failed.is_empty(), "{kind:?}: failed {failed:#?}");
    }};
}

async fn run_all(server: Server) {
    run_scenarios!(
        Arc::new(server),
        [
            schema,
            admin,
            lookups,
            resolve,
            passwords,
            injection,
            failures,
            adopts_operator_database,
            seed_queries,
            case_insensitive_columns,
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql() {
    run_all(Server::postgres()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb() {
    run_all(Server::mariadb()).await;
}
