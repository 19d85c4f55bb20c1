//! The user directory the configuration names: the embedded SQLite
//! database, or an operator's SQL database with their queries.

use std::time::Duration;

use mailstore::directory::{Cached, Directory, ResolveOptions, SqlDirectory, SqlQueries};

use super::config::Loaded;
use super::failure::Failure;

/// Opens the SQL directory (creating the embedded database and its
/// schema on first use).
pub(crate) async fn open(loaded: &Loaded) -> Result<SqlDirectory, Failure> {
    let settings = &loaded.config.directory;
    let opened = match loaded.embedded_database() {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Failure::Unavailable(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            SqlDirectory::sqlite(&path).await
        }
        None => {
            let mut queries = SqlQueries::postfixadmin();
            let chosen = [
                (&mut queries.domain, &settings.domain_query),
                (&mut queries.user, &settings.user_query),
                (&mut queries.alias, &settings.alias_query),
            ];
            for (query, configured) in chosen {
                if let Some(configured) = configured {
                    query.clone_from(configured);
                }
            }
            SqlDirectory::connect(&settings.url, queries).await
        }
    };
    let mut sql = opened
        .map_err(|e| Failure::from_store(&e))?
        .with_default_scheme(loaded.default_pass_scheme);
    if let Some(base) = &settings.maildir_column_base {
        sql = sql.with_maildir_base(base);
    }
    Ok(sql)
}

/// The directory with Postfix's resolution rules and our delimiter,
/// behind a cache unless `cache_ttl` is 0. The embedded database's files
/// are watched, so that the admin commands' changes count at once.
pub(crate) fn resolver(sql: SqlDirectory, loaded: &Loaded) -> Directory {
    let settings = &loaded.config.directory;
    let mut options = ResolveOptions::default();
    options
        .recipient_delimiter
        .clone_from(&settings.recipient_delimiter);
    let directory = if settings.cache_ttl == 0 {
        Directory::new(sql)
    } else {
        let mut cached = Cached::new(sql, Duration::from_secs(settings.cache_ttl));
        if let Some(database) = loaded.embedded_database() {
            let mut wal = database.clone().into_os_string();
            wal.push("-wal");
            cached = cached.watching([database, wal.into()]);
        }
        Directory::new(cached)
    };
    directory.with_options(options)
}
