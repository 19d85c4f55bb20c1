//! The SQL directory over SQLite: migrations, the Postfixadmin admin
//! operations, lookups, resolution and authentication through
//! [`Directory`], custom queries on a foreign schema, injection attempts
//! and failures.

use std::path::PathBuf;

use mailstore::ErrorKind;
use mailstore::directory::{Directory, DirectorySource, Resolution, ResolveOptions, SqlDirectory};
use sasl::{CredentialStore, PasswordHash, Scheme, Secret};

/// A fresh database file for one test.
fn db_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sql_directory");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.sqlite", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    path
}

/// A raw connection to the same file, for what the admin API does not do.
async fn raw(path: &std::path::Path) -> sqlx::SqlitePool {
    sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}

async fn exec(pool: &sqlx::SqlitePool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
}

async fn count(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    use sqlx::Row as _;
    sqlx::query(sql).fetch_one(pool).await.unwrap().get(0)
}

/// example.org with alice (SHA512-CRYPT), bob (BLF-CRYPT), carol
/// (disabled); aliases and a catch-all.
async fn populated(name: &str) -> (PathBuf, SqlDirectory) {
    let path = db_path(name);
    let sql = SqlDirectory::sqlite(&path).await.unwrap();
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
    (path, sql)
}

fn accepted(resolution: Resolution) -> mailstore::directory::Recipients {
    match resolution {
        Resolution::Accepted(to) => to,
        other => panic!("not accepted: {other:?}"),
    }
}

fn names(to: &mailstore::directory::Recipients) -> Vec<(String, Option<String>)> {
    to.local
        .iter()
        .map(|r| (r.user.name.clone(), r.detail.clone()))
        .collect()
}

#[tokio::test]
async fn migrations_run_once_and_reopen_keeps_data() {
    let path = db_path("migrations");
    let sql = SqlDirectory::sqlite(&path).await.unwrap();
    assert_eq!(sql.schema_version().await.unwrap(), Some(1));
    sql.add_domain("example.org", "").await.unwrap();
    sql.add_user("alice@example.org", "pw", Scheme::Sha512Crypt)
        .await
        .unwrap();
    sql.close().await;
    drop(sql);

    let again = SqlDirectory::sqlite(&path).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), Some(1));
    assert_eq!(again.create_schema().await.unwrap(), 1);
    assert!(again.user("alice@example.org").await.unwrap().is_some());

    let pool = raw(&path).await;
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM mailwright_schema").await,
        1
    );
    for table in ["domain", "mailbox", "alias"] {
        let n = count(
            &pool,
            &format!(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            ),
        )
        .await;
        assert_eq!(n, 1, "{table}");
    }
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
        exec(&pool, &format!("SELECT {columns} FROM {table}")).await;
    }
}

#[tokio::test]
async fn memory_database_needs_create_schema() {
    let sql = SqlDirectory::connect("sqlite::memory:", Default::default())
        .await
        .unwrap();
    assert_eq!(sql.schema_version().await.unwrap(), None);
    // The default queries need the tables.
    let err = sql.has_domain("example.org").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
    assert_eq!(sql.create_schema().await.unwrap(), 1);
    assert_eq!(sql.create_schema().await.unwrap(), 1);
    sql.add_domain("example.org", "").await.unwrap();
    assert!(sql.has_domain("example.org").await.unwrap());
}

#[tokio::test]
async fn adopts_an_existing_postfixadmin_database() {
    // As Postfixadmin (MySQL dump loaded into SQLite) leaves it: bare
    // MD5-CRYPT passwords, no version table.
    let path = db_path("adopt");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
    exec(&pool, "CREATE TABLE domain (domain varchar(255) PRIMARY KEY, description varchar(255), aliases int, mailboxes int, maxquota bigint, quota bigint, transport varchar(255), backupmx tinyint(1), created datetime, modified datetime, active tinyint(1))").await;
    exec(&pool, "CREATE TABLE mailbox (username varchar(255) PRIMARY KEY, password varchar(255), name varchar(255), maildir varchar(255), quota bigint, local_part varchar(255), domain varchar(255), created datetime, modified datetime, active tinyint(1), phone varchar(30))").await;
    exec(&pool, "CREATE TABLE alias (address varchar(255) PRIMARY KEY, goto text, domain varchar(255), created datetime, modified datetime, active tinyint(1))").await;
    exec(&pool, "INSERT INTO domain VALUES ('example.org', '', 10, 10, 0, 0, 'virtual', 0, '2020-01-01', '2020-01-01', 1)").await;
    let md5 = PasswordHash::generate(Scheme::Md5Crypt, b"legacy")
        .unwrap()
        .to_string();
    let bare = md5.strip_prefix("{MD5-CRYPT}").unwrap();
    exec(&pool, &format!("INSERT INTO mailbox VALUES ('old@example.org', '{bare}', 'Old', 'example.org/old/', 1048576, 'old', 'example.org', '2020-01-01', '2020-01-01', 1, '')")).await;
    exec(&pool, "INSERT INTO alias VALUES ('old@example.org', 'old@example.org', 'example.org', '2020-01-01', '2020-01-01', 1)").await;

    let sql = SqlDirectory::sqlite(&path).await.unwrap();
    assert_eq!(sql.schema_version().await.unwrap(), Some(1));
    let user = sql.user("old@example.org").await.unwrap().unwrap();
    assert_eq!(user.quota.bytes, Some(1_048_576));
    assert_eq!(user.extra("name"), Some("Old"));
    assert!(user.password.unwrap().verify(b"legacy"));
    let directory = Directory::new(sql);
    assert!(
        directory
            .verify_password("old@example.org", &Secret::from("legacy"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn admin_round_trips() {
    let (path, sql) = populated("admin").await;
    let kind = |r: mailstore::Result<()>| r.unwrap_err().kind();

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

    // The stored password is Dovecot's {SCHEME}hash.
    let pool = raw(&path).await;
    let stored: String =
        sqlx::query_scalar("SELECT password FROM mailbox WHERE username = 'alice@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(stored.starts_with("{SHA512-CRYPT}$6$"), "{stored}");
    // And the self-alias Postfixadmin keeps.
    let goto: String =
        sqlx::query_scalar("SELECT goto FROM alias WHERE address = 'bob@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(goto, "bob@example.org");

    sql.set_quota("alice@example.org", Some(5_000_000))
        .await
        .unwrap();
    let alice = sql.user("alice@example.org").await.unwrap().unwrap();
    assert_eq!(alice.quota.bytes, Some(5_000_000));
    assert_eq!(
        sql.list_users(None).await.unwrap()[0].quota,
        Some(5_000_000)
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
        .map(|a| (a.address.as_str(), a.targets.join(",")))
        .collect();
    assert_eq!(
        listed,
        [
            ("postmaster@example.org", "alice@example.org".to_owned()),
            (
                "team@example.org",
                "alice@example.org,bob@example.org,friend@elsewhere.net".to_owned()
            ),
        ]
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
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM alias").await, 0);
}

#[tokio::test]
async fn lookups() {
    let (_path, sql) = populated("lookups").await;
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

#[tokio::test]
async fn resolve_end_to_end() {
    let (_path, sql) = populated("resolve").await;
    let sql = std::sync::Arc::new(sql);
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

    // Postfix's order (catch-all alias first) still keeps accounts, thanks
    // to their self-aliases.
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

#[tokio::test]
async fn passwords_verify_through_the_directory() {
    let (_path, sql) = populated("passwords").await;
    let directory = Directory::new(sql);
    let check = |user: &'static str, pw: &'static str| {
        let directory = directory.clone();
        async move {
            directory
                .verify_password(user, &Secret::from(pw))
                .await
                .unwrap()
        }
    };
    assert!(check("alice@example.org", "alice-pw").await);
    assert!(check("Alice@Example.org", "alice-pw").await);
    assert!(!check("alice@example.org", "bob-pw").await);
    assert!(check("bob@example.org", "bob-pw").await);
    assert!(!check("bob@example.org", "").await);
    assert!(!check("carol@example.org", "carol-pw").await, "disabled");
    assert!(!check("nobody@example.org", "x").await);
}

#[tokio::test]
async fn custom_queries_on_a_foreign_schema() {
    // An extmail-like schema with other names: one table of accounts keyed
    // by local part and domain, one row per forwarding target.
    let path = db_path("foreign");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
    exec(
        &pool,
        "CREATE TABLE vdomains (name TEXT PRIMARY KEY, disabled INTEGER NOT NULL DEFAULT 0)",
    )
    .await;
    exec(&pool, "CREATE TABLE accounts (login TEXT, realm TEXT, crypt TEXT, uidnumber INTEGER, gidnumber INTEGER, homedir TEXT, maildir TEXT, quota TEXT, status TEXT, mailhost TEXT)").await;
    exec(
        &pool,
        "CREATE TABLE forwardings (source TEXT, destination TEXT)",
    )
    .await;
    exec(
        &pool,
        "INSERT INTO vdomains VALUES ('extmail.org', 0), ('gone.org', 1)",
    )
    .await;
    let md5 = PasswordHash::generate(Scheme::Md5Crypt, b"extmail")
        .unwrap()
        .to_string();
    let bare = md5.strip_prefix("{MD5-CRYPT}").unwrap();
    exec(&pool, &format!("INSERT INTO accounts VALUES ('postmaster', 'extmail.org', '{bare}', 600, 600, '/home/vmail/extmail.org/postmaster', '/home/vmail/extmail.org/postmaster/Maildir/', '104857600S,1000C', 'Y', 'mx1')")).await;
    exec(&pool, "INSERT INTO accounts VALUES ('plain', 'extmail.org', 'clear-text', 600, 600, NULL, 'extmail.org/plain/Maildir/', '0', 'N', NULL)").await;
    exec(&pool, "INSERT INTO forwardings VALUES ('support@extmail.org', 'postmaster@extmail.org'), ('support@extmail.org', 'helper@elsewhere.net'), ('@extmail.org', 'postmaster@extmail.org')").await;

    let url = format!("sqlite://{}", path.display());
    let mut queries = SqlDirectory::connect(&url, Default::default())
        .await
        .unwrap()
        .queries()
        .clone();
    queries.domain = "SELECT 1 FROM vdomains WHERE name = %d AND disabled = 0".into();
    queries.user = "SELECT login || '@' || realm AS user, crypt AS password, uidnumber AS uid, \
                    gidnumber AS gid, homedir AS home, maildir, quota, status = 'Y' AS active, mailhost \
                    FROM accounts WHERE login = '%u' AND realm = '%d' AND login || '@' || realm = '%u@%d'"
        .into();
    queries.alias = "SELECT destination FROM forwardings WHERE source = '%s'".into();
    let sql = SqlDirectory::connect(&url, queries)
        .await
        .unwrap()
        .with_default_scheme(Scheme::Plain)
        .with_maildir_base("/home/vmail");
    assert_eq!(sql.schema_version().await.unwrap(), None, "nothing created");

    assert!(sql.has_domain("extmail.org").await.unwrap());
    assert!(!sql.has_domain("gone.org").await.unwrap());
    let user = sql.user("postmaster@extmail.org").await.unwrap().unwrap();
    assert_eq!(user.name, "postmaster@extmail.org");
    assert_eq!((user.uid, user.gid), (Some(600), Some(600)));
    assert_eq!(
        user.home.as_deref(),
        Some(std::path::Path::new("/home/vmail/extmail.org/postmaster"))
    );
    assert_eq!(
        user.mail.as_deref(),
        Some("maildir:/home/vmail/extmail.org/postmaster/Maildir")
    );
    assert_eq!(user.quota.bytes, Some(104_857_600));
    assert_eq!(user.quota.messages, Some(1000));
    assert!(user.enabled);
    assert_eq!(user.extra("mailhost"), Some("mx1"));
    assert!(user.password.unwrap().verify(b"extmail"));

    let plain = sql.user("plain@extmail.org").await.unwrap().unwrap();
    assert!(!plain.enabled);
    assert_eq!(
        plain.mail.as_deref(),
        Some("maildir:/home/vmail/extmail.org/plain/Maildir")
    );
    assert!(plain.quota.is_unlimited());
    assert_eq!(plain.password.as_ref().unwrap().scheme(), Scheme::Plain);
    assert!(plain.password.unwrap().verify(b"clear-text"));
    // %u of a catch-all key: the query is not run.
    assert!(sql.user("@extmail.org").await.unwrap().is_none());

    assert_eq!(
        sql.alias("support@extmail.org").await.unwrap().unwrap(),
        ["postmaster@extmail.org", "helper@elsewhere.net"]
    );
    assert_eq!(
        sql.alias("@extmail.org").await.unwrap().unwrap(),
        ["postmaster@extmail.org"]
    );

    let directory = Directory::new(sql);
    let to = accepted(directory.resolve("support+x@extmail.org").await.unwrap());
    assert_eq!(
        names(&to),
        [("postmaster@extmail.org".to_owned(), Some("x".to_owned()))]
    );
    assert_eq!(to.forward, ["helper+x@elsewhere.net"]);
    // The disabled account's mail goes to the catch-all.
    let to = accepted(directory.resolve("plain@extmail.org").await.unwrap());
    assert_eq!(names(&to), [("postmaster@extmail.org".to_owned(), None)]);
    assert!(
        directory
            .verify_password("postmaster@extmail.org", &Secret::from("extmail"))
            .await
            .unwrap()
    );
    assert!(
        !directory
            .verify_password("plain@extmail.org", &Secret::from("clear-text"))
            .await
            .unwrap(),
        "disabled"
    );
}

#[tokio::test]
async fn injection_finds_nothing() {
    let (_path, sql) = populated("injection").await;
    // A legitimate quote in an address works.
    sql.add_user("o'brien@example.org", "pw", Scheme::Sha512Crypt)
        .await
        .unwrap();
    assert!(sql.user("o'brien@example.org").await.unwrap().is_some());

    for key in [
        "' OR '1'='1",
        "x' OR '1'='1@example.org",
        "x@example.org' OR '1'='1",
        "alice@example.org' --",
        "' UNION SELECT username, password, name, maildir, quota FROM mailbox --@example.org",
        "@example.org' OR active = '1",
        "%s@example.org",
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
    // The tables are intact.
    assert!(directory.user("alice@example.org").await.unwrap().is_some());
}

#[tokio::test]
async fn failures_are_temporary_and_keep_passwords_out() {
    let (_path, sql) = populated("failures").await;
    let secret_hash = sql
        .user("alice@example.org")
        .await
        .unwrap()
        .unwrap()
        .password
        .unwrap()
        .to_string();
    let full_text = |e: &mailstore::Error| {
        let mut text = format!("{e} / {e:?}");
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(&format!(" / {s}"));
            source = s.source();
        }
        text
    };

    // A broken query.
    let mut queries = sql.queries().clone();
    queries.user = "SELECT password FROM no_such_table WHERE username = '%s'".into();
    let broken = SqlDirectory::sqlite(_path.as_path())
        .await
        .unwrap()
        .with_queries(queries)
        .unwrap();
    let err = broken.user("alice@example.org").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Temporary);
    assert!(
        full_text(&err).contains("no_such_table"),
        "{}",
        full_text(&err)
    );

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
    let directory = Directory::new(sql);
    let err = directory
        .verify_password("alice@example.org", &Secret::from("alice-pw"))
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("alice-pw"));

    // Configuration errors.
    let err = SqlDirectory::connect("oracle://u:pw-in-url@db/x", Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(!full_text(&err).contains("pw-in-url"));
    let mut queries = SqlDirectory::connect("sqlite::memory:", Default::default())
        .await
        .unwrap()
        .queries()
        .clone();
    queries.alias = "SELECT goto FROM alias WHERE address = '%x'".into();
    let err = SqlDirectory::connect("sqlite::memory:", queries)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
}
