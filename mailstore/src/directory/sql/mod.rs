//! The SQL directory: [`SqlDirectory`] (lookups and setup, here),
//! `query` (placeholders to bound parameters), `backend` (the three
//! sqlx drivers behind one enum), `schema` (versioned migrations) and
//! `admin` (Postfixadmin's operations).
mod admin;
mod backend;
mod query;
mod schema;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sasl::{PasswordHash, Scheme};

use self::backend::{Param, Pool, Row, Value};
use self::query::{Dialect, Key, Template};
use super::{DirectorySource, User};
use crate::error::{Error, ErrorKind, Result};

// For `directory/mod.rs` to re-export next to `SqlDirectory`.
pub use self::admin::{AliasEntry, DomainEntry, MailboxEntry};

/// The three lookup queries of an [`SqlDirectory`], with `%s`, `%u`, `%d`
/// placeholders (see [`SqlDirectory`]). An empty query
/// finds nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlQueries {
    /// Whether a domain is ours (Postfix's `virtual_mailbox_domains`).
    pub domain: String,
    /// The account of a name (Dovecot's `user_query` and
    /// `password_query` together; Postfix's `virtual_mailbox_maps`).
    pub user: String,
    /// The targets of an alias (Postfix's `virtual_alias_maps`).
    pub alias: String,
}

impl SqlQueries {
    /// The queries for Postfixadmin's schema, as the Postfix and Dovecot
    /// configurations that go with it write them (only active rows; a
    /// user also needs an active domain, so disabling a domain also
    /// stops its logins).
    pub fn postfixadmin() -> SqlQueries {
        SqlQueries {
            domain: "SELECT domain FROM domain WHERE domain = '%s' AND active = '1'".into(),
            user: "SELECT username, password, name, maildir, quota FROM mailbox \
                   WHERE username = '%s' AND active = '1' \
                   AND domain IN (SELECT domain FROM domain WHERE active = '1')"
                .into(),
            alias: "SELECT goto FROM alias WHERE address = '%s' AND active = '1'".into(),
        }
    }
}

impl Default for SqlQueries {
    fn default() -> Self {
        SqlQueries::postfixadmin()
    }
}

/// The compiled queries.
#[derive(Debug, Clone)]
struct Compiled {
    domain: Option<Template>,
    user: Option<Template>,
    alias: Option<Template>,
}

impl Compiled {
    fn new(queries: &SqlQueries, dialect: Dialect) -> Result<Compiled> {
        let one = |what: &str, sql: &str| -> Result<Option<Template>> {
            if sql.trim().is_empty() {
                return Ok(None);
            }
            Template::compile(sql, dialect)
                .map(Some)
                .map_err(|e| Error::new(ErrorKind::Invalid, format!("SQL {what} query: {e}")))
        };
        Ok(Compiled {
            domain: one("domain", &queries.domain)?,
            user: one("user", &queries.user)?,
            alias: one("alias", &queries.alias)?,
        })
    }
}

/// A directory in an SQL database: SQLite, PostgreSQL, MySQL or MariaDB.
///
/// It answers the three lookups of a [`DirectorySource`]
/// with three configurable queries (`SqlQueries`), written as for
/// Postfix's `mysql_table(5)`/`pgsql_table(5)` maps and Dovecot's
/// `dovecot-sql.conf.ext`:
///
/// | placeholder | value |
/// |---|---|
/// | `%s` (Dovecot: `%{user}`) | the whole key: `alice@example.org`, `@example.org`, `example.org` |
/// | `%u` (Dovecot: `%n`, `%{username}`) | the local part (`alice`); for a key without `@`, the whole key |
/// | `%d` (Dovecot: `%{domain}`) | the domain (`example.org`) |
/// | `%%` | a `%` |
///
/// As in Postfix, a query that needs `%u` of a catch-all (`@example.org`)
/// or `%d` of a key without `@` is not run and finds nothing. Note that
/// Dovecot's own `%u` is the whole user name: write it `%s` here.
/// Keys arrive case-folded, so `%S`/`%U`/`%D` are the same as lower case.
///
/// Placeholders become bound parameters (`?`, or `$1`… for PostgreSQL),
/// never text pasted into the SQL: `'%s'` as Postfix writes it is one
/// parameter, and so is a literal like `'%u@%d'`, whose value is built
/// first. A key full of quotes is only ever data.
///
/// # What the queries return
///
/// * **domain**: any row means the domain is ours.
/// * **alias**: the `goto` column (or else the first column) of every
///   row, each a comma-separated list of targets as Postfixadmin keeps
///   them; several rows of one target each work as well.
/// * **user**: the first row, read by column name (case-insensitive, a
///   Dovecot `userdb_` prefix ignored):
///   - `username` or `user`: the name (else the key looked up);
///   - `password`: `{SCHEME}hash` as Dovecot stores it, or bare data of
///     the [default scheme](SqlDirectory::with_default_scheme) (Dovecot's
///     `MD5` unless set; bare `$1$…` is always MD5-CRYPT); empty or NULL
///     is an account that cannot log in;
///   - `uid`, `gid` (numeric), `home`;
///   - `mail`: a Dovecot mail location, taken as is;
///   - `maildir`: Postfix's `virtual_mailbox_maps` result. An absolute
///     path becomes `maildir:<path>`; a relative one, as Postfixadmin
///     writes (`example.org/alice/`), is relative to Postfix's
///     `virtual_mailbox_base`: with a
///     [base](SqlDirectory::with_maildir_base) it becomes
///     `maildir:<base>/<value>`, without one [`User::mail`] stays `None`
///     (the store's own layout applies) and the value is kept in `extra`
///     as `maildir`. A `mail` column wins over `maildir`;
///   - `quota`: bytes, 0 (or less) for no limit as in Postfixadmin; text
///     in Maildir++ form (`104857600S,1000C`, as extmail keeps it) gives
///     bytes and messages;
///   - `messages`: most messages, 0 for no limit;
///   - `active` or `enabled`: [`User::enabled`] (NULL or unreadable:
///     disabled, so that an account is never enabled by accident);
///   - every other non-NULL column goes to [`User::extra`] as text
///     (dates and decimals, which we do not decode, are left out).
///
/// # The embedded default
///
/// [`sqlite`](SqlDirectory::sqlite) opens (or creates) an SQLite file with
/// Postfixadmin's `domain`, `mailbox` and `alias` tables, created and
/// upgraded by versioned migrations recorded in a `mailwright_schema`
/// table, and the Postfixadmin queries (`SqlQueries::postfixadmin()`). The
/// admin operations (`add_domain`, `add_user`, `add_alias`…) keep those
/// tables the way Postfixadmin does.
///
/// [`connect`](SqlDirectory::connect) uses an operator's database as it is; it
/// creates nothing unless [`create_schema`](SqlDirectory::create_schema)
/// is called.
///
/// # Administration
///
/// On the Postfixadmin schema (whatever the database), the operations
/// Postfixadmin offers keep the tables as it does, so Postfix, Dovecot and
/// Postfixadmin itself can share them: names are stored case-folded; a
/// mailbox `alice@example.org` gets `maildir` `example.org/alice/`, its
/// `local_part` and `domain`, and an alias row to itself, which keeps a
/// catch-all from swallowing its mail under Postfix's lookup order
/// ([`ResolveOptions::catch_all_before_accounts`]); an alias is one row
/// whose `goto` holds its targets joined with commas, `@example.org`
/// being the domain's catch-all; passwords are stored as `{SCHEME}hash`.
/// Disabling a user also disables its own alias row, as Postfixadmin
/// does. Removing a domain that still has mailboxes or aliases needs
/// `force`, which removes them too; mail on disk is never touched.
///
/// Errors: [`ErrorKind::Invalid`] for a malformed address, domain or
/// target list, [`ErrorKind::NotFound`] for a missing domain, mailbox or
/// alias, [`ErrorKind::AlreadyExists`] for a name taken (a mailbox's
/// address is taken by its own alias row too), [`ErrorKind::Temporary`]
/// when the database fails. No error text holds a password or the
/// database URL.
///
/// [`ResolveOptions::catch_all_before_accounts`]: crate::directory::ResolveOptions::catch_all_before_accounts
pub struct SqlDirectory {
    pool: Pool,
    sources: SqlQueries,
    queries: Compiled,
    maildir_base: Option<PathBuf>,
    default_scheme: Scheme,
}

impl fmt::Debug for SqlDirectory {
    // The pool's connect options hold the database password: left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlDirectory")
            .field("dialect", &self.pool.dialect())
            .field("queries", &self.sources)
            .field("maildir_base", &self.maildir_base)
            .field("default_scheme", &self.default_scheme)
            .finish_non_exhaustive()
    }
}

/// How long to wait for a connection from the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl SqlDirectory {
    /// Opens the SQLite database at `path`, creating the file and the
    /// Postfixadmin schema if need be and applying pending migrations,
    /// with the Postfixadmin queries (`SqlQueries::postfixadmin()`).
    pub async fn sqlite(path: impl AsRef<Path>) -> Result<SqlDirectory> {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| Error::temporary("opening the SQLite directory", e))?;
        let directory = SqlDirectory::from_pool(Pool::Sqlite(pool), &SqlQueries::postfixadmin())?;
        directory.create_schema().await?;
        Ok(directory)
    }

    /// Connects to the database at `url` — `sqlite:…`, `postgres://…`
    /// (`postgresql://`), `mysql://…` or `mariadb://…`, in sqlx's URL
    /// syntax — and looks things up with `queries`. Creates no table
    /// (see [`create_schema`](Self::create_schema)). Errors are
    /// [`ErrorKind::Invalid`] for an unknown URL scheme or a bad query,
    /// [`ErrorKind::Temporary`] when the database cannot be reached; the
    /// URL (and its password) appears in neither.
    pub async fn connect(url: &str, queries: SqlQueries) -> Result<SqlDirectory> {
        let scheme = url
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        let failed = |e| Error::temporary(format!("connecting to the {scheme} directory"), e);
        let pool = match scheme.as_str() {
            "sqlite" => {
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                    .map_err(failed)?
                    .busy_timeout(Duration::from_secs(5));
                // An in-memory database lives as long as a connection to
                // it: keep them.
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .min_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(failed)?;
                Pool::Sqlite(pool)
            }
            "postgres" | "postgresql" => Pool::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect(url)
                    .await
                    .map_err(failed)?,
            ),
            "mysql" | "mariadb" => {
                let url = match url.get(..8) {
                    Some(prefix) if prefix.eq_ignore_ascii_case("mariadb:") => {
                        format!("mysql:{}", &url[8..])
                    }
                    _ => url.to_owned(),
                };
                Pool::MySql(
                    sqlx::mysql::MySqlPoolOptions::new()
                        .acquire_timeout(ACQUIRE_TIMEOUT)
                        .connect(&url)
                        .await
                        .map_err(failed)?,
                )
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    "unsupported SQL directory URL (use sqlite:, postgres:, mysql: or mariadb:)",
                ));
            }
        };
        SqlDirectory::from_pool(pool, &queries)
    }

    fn from_pool(pool: Pool, queries: &SqlQueries) -> Result<SqlDirectory> {
        Ok(SqlDirectory {
            queries: Compiled::new(queries, pool.dialect())?,
            sources: queries.clone(),
            pool,
            maildir_base: None,
            default_scheme: Scheme::Md5,
        })
    }

    /// Looks things up with `queries` instead.
    pub fn with_queries(mut self, queries: SqlQueries) -> Result<SqlDirectory> {
        self.queries = Compiled::new(&queries, self.pool.dialect())?;
        self.sources = queries;
        Ok(self)
    }

    /// The lookup queries, as given.
    pub fn queries(&self) -> &SqlQueries {
        &self.sources
    }

    /// Relative `maildir` values are relative to `base` (Postfix's
    /// `virtual_mailbox_base`); see [`SqlDirectory`].
    pub fn with_maildir_base(mut self, base: impl Into<PathBuf>) -> SqlDirectory {
        self.maildir_base = Some(base.into());
        self
    }

    /// The scheme of passwords stored without a `{SCHEME}` prefix
    /// (Dovecot's `default_pass_scheme`; `MD5` unless set, as Dovecot).
    pub fn with_default_scheme(mut self, scheme: Scheme) -> SqlDirectory {
        self.default_scheme = scheme;
        self
    }

    /// Creates the Postfixadmin tables where they do not exist and applies
    /// pending migrations; returns the schema version. Tables that exist
    /// are left as they are.
    pub async fn create_schema(&self) -> Result<u32> {
        let version = schema::migrate(&self.pool).await?;
        Ok(u32::try_from(version).unwrap_or(0))
    }

    /// The schema version recorded in the database, `None` for a database
    /// this crate never migrated.
    pub async fn schema_version(&self) -> Result<Option<u32>> {
        Ok(schema::version(&self.pool)
            .await?
            .map(|v| u32::try_from(v).unwrap_or(0)))
    }

    /// Closes the connections; every later lookup fails with
    /// [`ErrorKind::Temporary`].
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs a lookup query for `key`; `None` when the query is empty or
    /// cannot apply to the key.
    async fn lookup(
        &self,
        what: &'static str,
        template: Option<&Template>,
        key: &Key<'_>,
    ) -> Result<Vec<Row>> {
        let Some(template) = template else {
            return Ok(Vec::new());
        };
        let Some(params) = template.bind(key) else {
            return Ok(Vec::new());
        };
        let params: Vec<Param> = params.into_iter().map(Param::Text).collect();
        self.pool
            .fetch(template.sql(), &params)
            .await
            .map_err(|e| Error::temporary(format!("SQL {what} lookup"), e))
    }

    fn user_from_row(&self, key: &str, row: Row) -> User {
        let mut user = User::new(key);
        let mut maildir = None;
        let mut has_mail = false;
        for (column, value) in row {
            let lower = column.to_ascii_lowercase();
            let field = lower.strip_prefix("userdb_").unwrap_or(&lower);
            match field {
                "username" | "user" => {
                    if let Some(name) = value.to_text() {
                        user.name = name;
                    }
                }
                "password" => {
                    user.password = value.to_text().filter(|p| !p.is_empty()).and_then(|p| {
                        PasswordHash::parse_with_default(&p, self.default_scheme)
                            .map_err(|e| {
                                tracing::warn!(
                                    user = key,
                                    "unreadable password in SQL directory: {e}"
                                );
                            })
                            .ok()
                    });
                }
                "uid" | "gid" => match value.to_i64().and_then(|n| u32::try_from(n).ok()) {
                    Some(id) if field == "uid" => user.uid = Some(id),
                    Some(id) => user.gid = Some(id),
                    None => push_extra(&mut user, column, &value),
                },
                "home" => user.home = value.to_text().map(PathBuf::from),
                "mail" => {
                    user.mail = value.to_text().filter(|m| !m.is_empty());
                    has_mail = user.mail.is_some();
                }
                "maildir" => maildir = value.to_text().filter(|m| !m.is_empty()),
                "quota" => {
                    let (bytes, messages) = quota(&value);
                    user.quota.bytes = bytes;
                    if messages.is_some() {
                        user.quota.messages = messages;
                    }
                }
                "messages" => {
                    user.quota.messages = value.to_i64().and_then(positive);
                }
                // A value that is NULL or cannot be read as a boolean (a
                // PostgreSQL bit(1), say) disables: fail closed.
                "active" | "enabled" => user.enabled = value.to_bool().unwrap_or(false),
                _ => push_extra(&mut user, column, &value),
            }
        }
        if let Some(dir) = maildir {
            let trimmed = dir.trim_end_matches('/');
            let location = if Path::new(trimmed).is_absolute() {
                Some(format!("maildir:{trimmed}"))
            } else {
                self.maildir_base
                    .as_ref()
                    .map(|base| format!("maildir:{}", base.join(trimmed).display()))
            };
            match location {
                Some(location) if !has_mail => user.mail = Some(location),
                _ => user.extra.push(("maildir".to_owned(), dir)),
            }
        }
        user
    }
}

fn push_extra(user: &mut User, column: String, value: &Value) {
    if let Some(text) = value.to_text() {
        user.extra.push((column, text));
    }
}

fn positive(n: i64) -> Option<u64> {
    u64::try_from(n).ok().filter(|&n| n > 0)
}

/// A quota column: bytes, or Maildir++ `<bytes>S,<count>C`.
fn quota(value: &Value) -> (Option<u64>, Option<u64>) {
    if let Some(n) = value.to_i64() {
        return (positive(n), None);
    }
    let Some(text) = value.to_text() else {
        return (None, None);
    };
    let (mut bytes, mut messages) = (None, None);
    for part in text.split(',') {
        let part = part.trim();
        if let Some(n) = part.strip_suffix(['S', 's']) {
            bytes = n.trim().parse::<u64>().ok().filter(|&n| n > 0);
        } else if let Some(n) = part.strip_suffix(['C', 'c']) {
            messages = n.trim().parse::<u64>().ok().filter(|&n| n > 0);
        }
    }
    (bytes, messages)
}

/// Targets of alias rows: the `goto` column or else the first one, split
/// at commas.
fn alias_targets(rows: Vec<Row>) -> Vec<String> {
    let mut targets = Vec::new();
    for row in rows {
        let index = row
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case("goto"))
            .unwrap_or(0);
        let Some(text) = row.get(index).and_then(|(_, v)| v.to_text()) else {
            continue;
        };
        for target in text.split(',') {
            let target = target.trim();
            if !target.is_empty() && !targets.iter().any(|t| t == target) {
                targets.push(target.to_owned());
            }
        }
    }
    targets
}

#[async_trait]
impl DirectorySource for SqlDirectory {
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        let rows = self
            .lookup("domain", self.queries.domain.as_ref(), &Key::domain(domain))
            .await?;
        Ok(!rows.is_empty())
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let rows = self
            .lookup("user", self.queries.user.as_ref(), &Key::address(name))
            .await?;
        if rows.len() > 1 {
            tracing::warn!(
                user = name,
                "SQL user query returned several rows; using the first"
            );
        }
        Ok(rows
            .into_iter()
            .next()
            .map(|row| self.user_from_row(name, row)))
    }

    async fn alias(&self, address: &str) -> Result<Option<Vec<String>>> {
        let rows = self
            .lookup("alias", self.queries.alias.as_ref(), &Key::address(address))
            .await?;
        let targets = alias_targets(rows);
        Ok(Some(targets).filter(|t| !t.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_forms() {
        assert_eq!(quota(&Value::Int(0)), (None, None));
        assert_eq!(quota(&Value::Int(-1)), (None, None));
        assert_eq!(quota(&Value::Int(1024)), (Some(1024), None));
        assert_eq!(quota(&Value::Text("2048".into())), (Some(2048), None));
        assert_eq!(
            quota(&Value::Text("104857600S,1000C".into())),
            (Some(104_857_600), Some(1000))
        );
        assert_eq!(quota(&Value::Null), (None, None));
    }

    #[test]
    fn alias_rows_and_lists() {
        let row = |s: &str| vec![("goto".to_owned(), Value::Text(s.to_owned()))];
        assert_eq!(
            alias_targets(vec![row("a@x, b@y,"), row("c@z"), row("a@x")]),
            ["a@x", "b@y", "c@z"]
        );
        let other = vec![
            ("address".to_owned(), Value::Text("q@x".into())),
            ("destination".to_owned(), Value::Text("d@y".into())),
        ];
        assert_eq!(alias_targets(vec![other]), ["q@x"]);
    }

    #[test]
    fn postfixadmin_queries_compile_for_every_dialect() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            let compiled = Compiled::new(&SqlQueries::postfixadmin(), dialect).unwrap();
            let user = compiled.user.unwrap();
            let marker = if dialect == Dialect::Postgres {
                "$1"
            } else {
                "?"
            };
            assert!(
                user.sql().contains(&format!("username = {marker} ")),
                "{}",
                user.sql()
            );
        }
    }
}
