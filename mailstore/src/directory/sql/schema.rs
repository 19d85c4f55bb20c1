//! The Postfixadmin-compatible schema and its versioned migrations.
//!
//! Applied migrations are recorded in `mailwright_schema`, one row per
//! version (`version`, `description`, `applied`); opening a database runs
//! those not recorded yet, each in a transaction, in order. Migration 1
//! creates Postfixadmin's `domain`, `mailbox` and `alias` tables (the
//! columns Postfix, Dovecot and Postfixadmin's own pages use, with its
//! names, types and defaults) with `CREATE TABLE IF NOT EXISTS`, so a
//! database that Postfixadmin already set up is adopted as it is.

use super::backend::{Param, Pool};
use super::query::Dialect;
use crate::error::{Error, Result};

/// The version the migrations below bring a database to.
pub(crate) const CURRENT_VERSION: i64 = 1;

struct Migration {
    version: i64,
    description: &'static str,
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
    mysql: &'static [&'static str],
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "Postfixadmin domain, mailbox and alias tables",
    sqlite: &[
        "CREATE TABLE IF NOT EXISTS domain (
            domain varchar(255) NOT NULL PRIMARY KEY,
            description varchar(255) NOT NULL DEFAULT '',
            aliases int(10) NOT NULL DEFAULT 0,
            mailboxes int(10) NOT NULL DEFAULT 0,
            maxquota bigint(20) NOT NULL DEFAULT 0,
            quota bigint(20) NOT NULL DEFAULT 0,
            transport varchar(255) NOT NULL DEFAULT 'virtual',
            backupmx tinyint(1) NOT NULL DEFAULT 0,
            created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            active tinyint(1) NOT NULL DEFAULT 1
        )",
        "CREATE TABLE IF NOT EXISTS mailbox (
            username varchar(255) NOT NULL PRIMARY KEY,
            password varchar(255) NOT NULL,
            name varchar(255) NOT NULL DEFAULT '',
            maildir varchar(255) NOT NULL,
            quota bigint(20) NOT NULL DEFAULT 0,
            local_part varchar(255) NOT NULL,
            domain varchar(255) NOT NULL,
            created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            active tinyint(1) NOT NULL DEFAULT 1
        )",
        "CREATE INDEX IF NOT EXISTS mailbox_domain ON mailbox (domain)",
        "CREATE TABLE IF NOT EXISTS alias (
            address varchar(255) NOT NULL PRIMARY KEY,
            goto text NOT NULL,
            domain varchar(255) NOT NULL,
            created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            active tinyint(1) NOT NULL DEFAULT 1
        )",
        "CREATE INDEX IF NOT EXISTS alias_domain ON alias (domain)",
    ],
    postgres: &[
        "CREATE TABLE IF NOT EXISTS domain (
            domain character varying(255) NOT NULL PRIMARY KEY,
            description character varying(255) NOT NULL DEFAULT '',
            aliases integer NOT NULL DEFAULT 0,
            mailboxes integer NOT NULL DEFAULT 0,
            maxquota bigint NOT NULL DEFAULT 0,
            quota bigint NOT NULL DEFAULT 0,
            transport character varying(255) NOT NULL DEFAULT 'virtual',
            backupmx boolean NOT NULL DEFAULT false,
            created timestamp with time zone NOT NULL DEFAULT now(),
            modified timestamp with time zone NOT NULL DEFAULT now(),
            active boolean NOT NULL DEFAULT true
        )",
        "CREATE TABLE IF NOT EXISTS mailbox (
            username character varying(255) NOT NULL PRIMARY KEY,
            password character varying(255) NOT NULL,
            name character varying(255) NOT NULL DEFAULT '',
            maildir character varying(255) NOT NULL,
            quota bigint NOT NULL DEFAULT 0,
            local_part character varying(255) NOT NULL,
            domain character varying(255) NOT NULL,
            created timestamp with time zone NOT NULL DEFAULT now(),
            modified timestamp with time zone NOT NULL DEFAULT now(),
            active boolean NOT NULL DEFAULT true
        )",
        "CREATE INDEX IF NOT EXISTS mailbox_domain_index ON mailbox (domain)",
        "CREATE TABLE IF NOT EXISTS alias (
            address character varying(255) NOT NULL PRIMARY KEY,
            goto text NOT NULL,
            domain character varying(255) NOT NULL,
            created timestamp with time zone NOT NULL DEFAULT now(),
            modified timestamp with time zone NOT NULL DEFAULT now(),
            active boolean NOT NULL DEFAULT true
        )",
        "CREATE INDEX IF NOT EXISTS alias_domain_index ON alias (domain)",
    ],
    mysql: &[
        "CREATE TABLE IF NOT EXISTS domain (
            domain varchar(255) NOT NULL,
            description varchar(255) NOT NULL DEFAULT '',
            aliases int(10) NOT NULL DEFAULT 0,
            mailboxes int(10) NOT NULL DEFAULT 0,
            maxquota bigint(20) NOT NULL DEFAULT 0,
            quota bigint(20) NOT NULL DEFAULT 0,
            transport varchar(255) NOT NULL DEFAULT 'virtual',
            backupmx tinyint(1) NOT NULL DEFAULT 0,
            created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            active tinyint(1) NOT NULL DEFAULT 1,
            PRIMARY KEY (domain)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Postfix Admin - Virtual Domains'",
        "CREATE TABLE IF NOT EXISTS mailbox (
            username varchar(255) NOT NULL,
            password varchar(255) NOT NULL,
            name varchar(255) NOT NULL DEFAULT '',
            maildir varchar(255) NOT NULL,
            quota bigint(20) NOT NULL DEFAULT 0,
            local_part varchar(255) NOT NULL,
            domain varchar(255) NOT NULL,
            created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            active tinyint(1) NOT NULL DEFAULT 1,
            PRIMARY KEY (username),
            KEY domain (domain)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Postfix Admin - Virtual Mailboxes'",
        "CREATE TABLE IF NOT EXISTS alias (
            address varchar(255) NOT NULL,
            goto text NOT NULL,
            domain varchar(255) NOT NULL,
            created datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            modified datetime NOT NULL DEFAULT '2000-01-01 00:00:00',
            active tinyint(1) NOT NULL DEFAULT 1,
            PRIMARY KEY (address),
            KEY domain (domain)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Postfix Admin - Virtual Aliases'",
    ],
}];

fn version_table(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "CREATE TABLE IF NOT EXISTS mailwright_schema (
                version integer NOT NULL PRIMARY KEY,
                description varchar(255) NOT NULL,
                applied datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
            )"
        }
        Dialect::Postgres => {
            "CREATE TABLE IF NOT EXISTS mailwright_schema (
                version integer NOT NULL PRIMARY KEY,
                description character varying(255) NOT NULL,
                applied timestamp with time zone NOT NULL DEFAULT now()
            )"
        }
        Dialect::MySql => {
            "CREATE TABLE IF NOT EXISTS mailwright_schema (
                version int NOT NULL PRIMARY KEY,
                description varchar(255) NOT NULL,
                applied datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        }
    }
}

fn failed(context: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| Error::temporary(context, e)
}

/// The recorded schema version; `None` without a version table.
pub(crate) async fn version(pool: &Pool) -> Result<Option<i64>> {
    let probe = "SELECT MAX(version) AS version FROM mailwright_schema";
    match pool.fetch(probe, &[]).await {
        Ok(rows) => Ok(Some(
            rows.first()
                .and_then(|row| row.first())
                .and_then(|(_, v)| v.to_i64())
                .unwrap_or(0),
        )),
        Err(sqlx::Error::Database(_)) => Ok(None),
        Err(e) => Err(Error::temporary(
            "reading the SQL directory schema version",
            e,
        )),
    }
}

/// Applies the migrations the database lacks; returns the version it is
/// at afterwards.
pub(crate) async fn migrate(pool: &Pool) -> Result<i64> {
    let dialect = pool.dialect();
    pool.execute_raw(version_table(dialect))
        .await
        .map_err(failed("creating the SQL directory schema version table"))?;
    let mut current = version(pool).await?.unwrap_or(0);
    let start = current;
    for migration in MIGRATIONS.iter().filter(|m| m.version > start) {
        let statements = match dialect {
            Dialect::Sqlite => migration.sqlite,
            Dialect::Postgres => migration.postgres,
            Dialect::MySql => migration.mysql,
        };
        let mut tx = pool
            .begin()
            .await
            .map_err(failed("migrating the SQL directory schema"))?;
        for statement in statements {
            tx.execute(statement, &[])
                .await
                .map_err(failed("migrating the SQL directory schema"))?;
        }
        let record = super::backend::markers(
            "INSERT INTO mailwright_schema (version, description) VALUES (?, ?)",
            dialect,
        );
        let recorded = tx
            .execute(
                &record,
                &[Param::Int(migration.version), migration.description.into()],
            )
            .await;
        match recorded {
            Ok(_) => tx
                .commit()
                .await
                .map_err(failed("migrating the SQL directory schema"))?,
            // Another process applied it first.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                drop(tx);
            }
            Err(e) => return Err(Error::temporary("migrating the SQL directory schema", e)),
        }
        tracing::info!(
            version = migration.version,
            "SQL directory schema migrated: {}",
            migration.description
        );
        current = migration.version;
    }
    if current > CURRENT_VERSION {
        tracing::warn!(
            version = current,
            known = CURRENT_VERSION,
            "SQL directory schema is newer than this program"
        );
    }
    Ok(current)
}
