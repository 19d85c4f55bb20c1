//! The user directory the configuration names: the embedded SQLite
//! database, or an operator's SQL database with their queries.

use mailstore::directory::{Directory, ResolveOptions, SqlDirectory, SqlQueries};

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

/// The directory with Postfix's resolution rules and our delimiter.
pub(crate) fn resolver(sql: SqlDirectory, loaded: &Loaded) -> Directory {
    let mut options = ResolveOptions::default();
    options
        .recipient_delimiter
        .clone_from(&loaded.config.directory.recipient_delimiter);
    Directory::new(sql).with_options(options)
}
