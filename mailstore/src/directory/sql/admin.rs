//! The administration Postfixadmin offers, on its schema: domains,
//! mailboxes and aliases.
//!
//! The operations keep the tables the way Postfixadmin does, so Postfix,
//! Dovecot and Postfixadmin itself can share the database:
//!
//! * names are stored case-folded;
//! * a mailbox `alice@example.org` gets `maildir` `example.org/alice/`,
//!   `local_part` and `domain` filled in, and an alias row to itself
//!   (`alice@example.org → alice@example.org`), which is what keeps a
//!   catch-all from swallowing its mail under Postfix's lookup order
//!   ([`ResolveOptions::catch_all_before_accounts`]);
//! * an alias is one row whose `goto` holds its targets joined with
//!   commas; `@example.org` is the domain's catch-all;
//! * passwords are stored as `{SCHEME}hash`, which Dovecot reads whatever
//!   its `default_pass_scheme`.
//!
//! Errors: [`ErrorKind::Invalid`] for a malformed address, domain or
//! target list, [`ErrorKind::NotFound`] for a missing domain, mailbox or
//! alias, [`ErrorKind::AlreadyExists`] for a name taken (a mailbox's
//! address is taken by its own alias row too), [`ErrorKind::Temporary`]
//! when the database fails. No error text holds a password.
//!
//! [`ResolveOptions::catch_all_before_accounts`]: crate::directory::ResolveOptions::catch_all_before_accounts

use sasl::{PasswordHash, Scheme};

use super::SqlDirectory;
use super::backend::{Param, Row, Tx, markers};
use crate::blocking::blocking;
use crate::directory::fold;
use crate::error::{Error, ErrorKind, Result};

/// A domain, as [`SqlDirectory::list_domains`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DomainEntry {
    /// The domain name.
    pub domain: String,
    /// Its description.
    pub description: String,
    /// Whether mail for it is accepted.
    pub active: bool,
}

/// A mailbox, as [`SqlDirectory::list_users`] shows it (no password).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailboxEntry {
    /// The address, which is also the login.
    pub address: String,
    /// The full name.
    pub name: String,
    /// The maildir, relative to the mail base (`example.org/alice/`).
    pub maildir: String,
    /// The quota in bytes; `None` for no limit.
    pub quota: Option<u64>,
    /// Whether the account may log in and receive mail.
    pub active: bool,
}

/// An alias, as [`SqlDirectory::list_aliases`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AliasEntry {
    /// The address, or `@domain` for a catch-all.
    pub address: String,
    /// Where its mail goes.
    pub targets: Vec<String>,
    /// Whether it is in use.
    pub active: bool,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Invalid, message)
}

fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
    let context = context.into();
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::new(ErrorKind::AlreadyExists, context).with_source(e)
        }
        _ => Error::temporary(context, e),
    }
}

/// A domain name: labels of letters, digits, `-` and `_`, joined by dots.
fn check_domain(domain: &str) -> Result<String> {
    let domain = fold(domain.trim_end_matches('.'));
    let ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
    if ok {
        Ok(domain)
    } else {
        Err(invalid(format!("not a domain name: {domain:?}")))
    }
}

/// A local part that is also safe as a directory name.
fn check_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && local != "."
        && local != ".."
        && !local.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '@' | ',' | '/' | '\\' | '"')
        })
}

/// `local@domain`, folded; returns it with its parts.
fn check_address(address: &str) -> Result<(String, String, String)> {
    let bad = || invalid(format!("not an address: {address:?}"));
    let (local, domain) = address.rsplit_once('@').ok_or_else(bad)?;
    if !check_local(local) {
        return Err(bad());
    }
    let domain = check_domain(domain).map_err(|_| bad())?;
    let local = fold(local);
    Ok((format!("{local}@{domain}"), local, domain))
}

/// An alias address: `local@domain` or `@domain`; returns it and its
/// domain.
fn check_alias_address(address: &str) -> Result<(String, String)> {
    match address.strip_prefix('@') {
        Some(domain) => {
            let domain = check_domain(domain)
                .map_err(|_| invalid(format!("not an address: {address:?}")))?;
            Ok((format!("@{domain}"), domain))
        }
        None => check_address(address).map(|(full, _, domain)| (full, domain)),
    }
}

/// Alias targets: at least one, each an address (ours or elsewhere).
fn check_targets<I, T>(targets: I) -> Result<Vec<String>>
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let mut out: Vec<String> = Vec::new();
    for target in targets {
        let (full, _, _) = check_address(target.as_ref().trim())?;
        if !out.contains(&full) {
            out.push(full);
        }
    }
    if out.is_empty() {
        return Err(invalid("an alias needs at least one target"));
    }
    Ok(out)
}

fn text(row: &Row, column: &str) -> String {
    row.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(column))
        .and_then(|(_, v)| v.to_text())
        .unwrap_or_default()
}

fn flag(row: &Row, column: &str) -> bool {
    row.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(column))
        .and_then(|(_, v)| v.to_bool())
        .unwrap_or(true)
}

/// Hashes on a thread that may block: a strong scheme takes tens of
/// milliseconds.
fn hash(password: &str, scheme: Scheme) -> Result<String> {
    blocking(|| PasswordHash::generate(scheme, password.as_bytes()))
        .map(|h| h.to_string())
        .map_err(|e| invalid(format!("cannot hash the password: {e}")))
}

impl SqlDirectory {
    fn sql(&self, sql: &str) -> String {
        markers(sql, self.pool.dialect())
    }

    async fn begin(&self, context: &str) -> Result<Tx> {
        self.pool.begin().await.map_err(db(context))
    }

    async fn exists(
        &self,
        tx: &mut Tx,
        sql: &str,
        params: &[Param],
        context: &str,
    ) -> Result<bool> {
        let rows = tx
            .fetch(&self.sql(sql), params)
            .await
            .map_err(db(context))?;
        Ok(!rows.is_empty())
    }

    async fn run(&self, tx: &mut Tx, sql: &str, params: &[Param], context: &str) -> Result<u64> {
        tx.execute(&self.sql(sql), params)
            .await
            .map_err(db(context))
    }

    async fn commit(tx: Tx, context: &str) -> Result<()> {
        tx.commit().await.map_err(db(context))
    }

    async fn require_domain(&self, tx: &mut Tx, domain: &str, context: &str) -> Result<()> {
        let sql = "SELECT domain FROM domain WHERE domain = ?";
        if self.exists(tx, sql, &[domain.into()], context).await? {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::NotFound,
                format!("no domain {domain}"),
            ))
        }
    }

    async fn require_mailbox(&self, tx: &mut Tx, address: &str, context: &str) -> Result<()> {
        let sql = "SELECT username FROM mailbox WHERE username = ?";
        if self.exists(tx, sql, &[address.into()], context).await? {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::NotFound,
                format!("no user {address}"),
            ))
        }
    }

    // Domains.

    /// Adds a domain we receive mail for (active, no limits).
    pub async fn add_domain(&self, domain: &str, description: &str) -> Result<()> {
        let domain = check_domain(domain)?;
        let context = format!("adding domain {domain}");
        let mut tx = self.begin(&context).await?;
        let sql = "SELECT domain FROM domain WHERE domain = ?";
        if self
            .exists(&mut tx, sql, &[domain.as_str().into()], &context)
            .await?
        {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("domain {domain} exists"),
            ));
        }
        let sql = "INSERT INTO domain (domain, description, aliases, mailboxes, maxquota, quota, \
                   transport, backupmx, created, modified, active) \
                   VALUES (?, ?, 0, 0, 0, 0, 'virtual', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, ?)";
        let params = [
            domain.as_str().into(),
            description.into(),
            false.into(),
            true.into(),
        ];
        self.run(&mut tx, sql, &params, &context).await?;
        Self::commit(tx, &context).await
    }

    /// Removes a domain. A domain that still has mailboxes or aliases is
    /// [`ErrorKind::Invalid`] to remove unless `force`, which removes
    /// them too, as Postfixadmin's domain deletion does. Mail on disk is
    /// left alone.
    pub async fn remove_domain(&self, domain: &str, force: bool) -> Result<()> {
        let domain = check_domain(domain)?;
        let context = format!("removing domain {domain}");
        let mut tx = self.begin(&context).await?;
        self.require_domain(&mut tx, &domain, &context).await?;
        let param = [Param::from(domain.as_str())];
        if !force {
            let mailboxes = "SELECT username FROM mailbox WHERE domain = ?";
            // Aliases other than the mailboxes' own.
            let aliases = "SELECT address FROM alias WHERE domain = ? AND address NOT IN \
                           (SELECT username FROM mailbox WHERE domain = ?)";
            let two = [param[0].clone(), param[0].clone()];
            if self.exists(&mut tx, mailboxes, &param, &context).await?
                || self.exists(&mut tx, aliases, &two, &context).await?
            {
                return Err(invalid(format!(
                    "domain {domain} still has users or aliases (remove them, or force)"
                )));
            }
        }
        for sql in [
            "DELETE FROM alias WHERE domain = ?",
            "DELETE FROM mailbox WHERE domain = ?",
            "DELETE FROM domain WHERE domain = ?",
        ] {
            self.run(&mut tx, sql, &param, &context).await?;
        }
        Self::commit(tx, &context).await
    }

    /// Accepts mail for a domain again.
    pub async fn enable_domain(&self, domain: &str) -> Result<()> {
        self.set_domain_active(domain, true).await
    }

    /// Stops accepting mail for a domain (its users cannot log in either,
    /// with the default queries); its data stays.
    pub async fn disable_domain(&self, domain: &str) -> Result<()> {
        self.set_domain_active(domain, false).await
    }

    async fn set_domain_active(&self, domain: &str, active: bool) -> Result<()> {
        let domain = check_domain(domain)?;
        let context = format!("changing domain {domain}");
        let mut tx = self.begin(&context).await?;
        self.require_domain(&mut tx, &domain, &context).await?;
        let sql = "UPDATE domain SET active = ?, modified = CURRENT_TIMESTAMP WHERE domain = ?";
        self.run(
            &mut tx,
            sql,
            &[active.into(), domain.as_str().into()],
            &context,
        )
        .await?;
        Self::commit(tx, &context).await
    }

    /// The domains, in order (without Postfixadmin's pseudo-domain `ALL`).
    pub async fn list_domains(&self) -> Result<Vec<DomainEntry>> {
        let sql =
            "SELECT domain, description, active FROM domain WHERE domain <> 'ALL' ORDER BY domain";
        let rows = self
            .pool
            .fetch(sql, &[])
            .await
            .map_err(db("listing domains"))?;
        Ok(rows
            .iter()
            .map(|row| DomainEntry {
                domain: text(row, "domain"),
                description: text(row, "description"),
                active: flag(row, "active"),
            })
            .collect())
    }

    // Mailboxes.

    /// Adds a mailbox in an existing domain, with `password` hashed with
    /// `scheme`, no quota, and its alias to itself.
    pub async fn add_user(&self, address: &str, password: &str, scheme: Scheme) -> Result<()> {
        let (address, local, domain) = check_address(address)?;
        let hashed = hash(password, scheme)?;
        let context = format!("adding user {address}");
        let mut tx = self.begin(&context).await?;
        self.require_domain(&mut tx, &domain, &context).await?;
        let taken = "SELECT address FROM alias WHERE address = ? \
                     UNION SELECT username FROM mailbox WHERE username = ?";
        let two = [address.as_str().into(), address.as_str().into()];
        if self.exists(&mut tx, taken, &two, &context).await? {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{address} is already a user or an alias"),
            ));
        }
        let maildir = format!("{domain}/{local}/");
        let sql = "INSERT INTO mailbox (username, password, name, maildir, quota, local_part, \
                   domain, created, modified, active) \
                   VALUES (?, ?, '', ?, 0, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, ?)";
        let params = [
            address.as_str().into(),
            hashed.into(),
            maildir.into(),
            local.into(),
            domain.as_str().into(),
            true.into(),
        ];
        self.run(&mut tx, sql, &params, &context).await?;
        let sql = "INSERT INTO alias (address, goto, domain, created, modified, active) \
                   VALUES (?, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, ?)";
        let params = [
            address.as_str().into(),
            address.as_str().into(),
            domain.as_str().into(),
            true.into(),
        ];
        self.run(&mut tx, sql, &params, &context).await?;
        Self::commit(tx, &context).await
    }

    /// Sets a user's password, hashed with `scheme`.
    pub async fn set_password(&self, address: &str, password: &str, scheme: Scheme) -> Result<()> {
        let (address, _, _) = check_address(address)?;
        let hashed = hash(password, scheme)?;
        let context = format!("setting the password of {address}");
        let mut tx = self.begin(&context).await?;
        self.require_mailbox(&mut tx, &address, &context).await?;
        let sql =
            "UPDATE mailbox SET password = ?, modified = CURRENT_TIMESTAMP WHERE username = ?";
        self.run(
            &mut tx,
            sql,
            &[hashed.into(), address.as_str().into()],
            &context,
        )
        .await?;
        Self::commit(tx, &context).await
    }

    /// Sets a user's quota in bytes; `None` (stored as 0) for no limit.
    pub async fn set_quota(&self, address: &str, bytes: Option<u64>) -> Result<()> {
        let (address, _, _) = check_address(address)?;
        let bytes = match bytes {
            None => 0,
            Some(0) => return Err(invalid("a quota of 0 bytes; use None for no limit")),
            Some(n) => i64::try_from(n).map_err(|_| invalid("quota too large"))?,
        };
        let context = format!("setting the quota of {address}");
        let mut tx = self.begin(&context).await?;
        self.require_mailbox(&mut tx, &address, &context).await?;
        let sql = "UPDATE mailbox SET quota = ?, modified = CURRENT_TIMESTAMP WHERE username = ?";
        self.run(
            &mut tx,
            sql,
            &[bytes.into(), address.as_str().into()],
            &context,
        )
        .await?;
        Self::commit(tx, &context).await
    }

    /// Lets a user log in and receive mail again.
    pub async fn enable_user(&self, address: &str) -> Result<()> {
        self.set_user_active(address, true).await
    }

    /// Stops a user from logging in and receiving mail (a catch-all then
    /// takes the mail); the mailbox and its data stay.
    pub async fn disable_user(&self, address: &str) -> Result<()> {
        self.set_user_active(address, false).await
    }

    async fn set_user_active(&self, address: &str, active: bool) -> Result<()> {
        let (address, _, _) = check_address(address)?;
        let context = format!("changing user {address}");
        let mut tx = self.begin(&context).await?;
        self.require_mailbox(&mut tx, &address, &context).await?;
        // Postfixadmin switches the mailbox's own alias with it.
        for sql in [
            "UPDATE mailbox SET active = ?, modified = CURRENT_TIMESTAMP WHERE username = ?",
            "UPDATE alias SET active = ?, modified = CURRENT_TIMESTAMP WHERE address = ?",
        ] {
            self.run(
                &mut tx,
                sql,
                &[active.into(), address.as_str().into()],
                &context,
            )
            .await?;
        }
        Self::commit(tx, &context).await
    }

    /// Removes a mailbox and its own alias row (with any forwarding it
    /// held). Mail on disk is left alone.
    pub async fn remove_user(&self, address: &str) -> Result<()> {
        let (address, _, _) = check_address(address)?;
        let context = format!("removing user {address}");
        let mut tx = self.begin(&context).await?;
        self.require_mailbox(&mut tx, &address, &context).await?;
        for sql in [
            "DELETE FROM mailbox WHERE username = ?",
            "DELETE FROM alias WHERE address = ?",
        ] {
            self.run(&mut tx, sql, &[address.as_str().into()], &context)
                .await?;
        }
        Self::commit(tx, &context).await
    }

    /// The rows of `select`, of one domain or of all, ordered by `key`.
    async fn rows_of_domain(
        &self,
        select: &str,
        key: &str,
        domain: Option<&str>,
        what: &str,
    ) -> Result<Vec<Row>> {
        match domain {
            Some(domain) => {
                let domain = check_domain(domain)?;
                let sql = self.sql(&format!("{select} WHERE domain = ? ORDER BY {key}"));
                self.pool.fetch(&sql, &[domain.into()]).await
            }
            None => {
                self.pool
                    .fetch(&format!("{select} ORDER BY {key}"), &[])
                    .await
            }
        }
        .map_err(db(what))
    }

    /// The mailboxes, of one domain or of all, in order.
    pub async fn list_users(&self, domain: Option<&str>) -> Result<Vec<MailboxEntry>> {
        let rows = self
            .rows_of_domain(
                "SELECT username, name, maildir, quota, active FROM mailbox",
                "username",
                domain,
                "listing users",
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| MailboxEntry {
                address: text(row, "username"),
                name: text(row, "name"),
                maildir: text(row, "maildir"),
                quota: text(row, "quota").parse::<u64>().ok().filter(|&q| q > 0),
                active: flag(row, "active"),
            })
            .collect())
    }

    // Aliases.

    /// Makes `address` (or `@domain`, the domain's catch-all) an alias for
    /// `targets`, addresses of ours or elsewhere. The domain must exist;
    /// an address already used by an alias or a mailbox is
    /// [`ErrorKind::AlreadyExists`] (see [`set_alias`](Self::set_alias)
    /// for a mailbox's forwarding).
    pub async fn add_alias<I, T>(&self, address: &str, targets: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let (address, domain) = check_alias_address(address)?;
        let targets = check_targets(targets)?;
        let context = format!("adding alias {address}");
        let mut tx = self.begin(&context).await?;
        self.require_domain(&mut tx, &domain, &context).await?;
        let taken = "SELECT address FROM alias WHERE address = ? \
                     UNION SELECT username FROM mailbox WHERE username = ?";
        let two = [address.as_str().into(), address.as_str().into()];
        if self.exists(&mut tx, taken, &two, &context).await? {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{address} is already a user or an alias"),
            ));
        }
        let sql = "INSERT INTO alias (address, goto, domain, created, modified, active) \
                   VALUES (?, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, ?)";
        let params = [
            address.as_str().into(),
            targets.join(",").into(),
            domain.into(),
            true.into(),
        ];
        self.run(&mut tx, sql, &params, &context).await?;
        Self::commit(tx, &context).await
    }

    /// Replaces the targets of an existing alias. For a mailbox's own
    /// alias this is its forwarding: include the address itself to keep
    /// a copy in the mailbox, as Postfixadmin does.
    pub async fn set_alias<I, T>(&self, address: &str, targets: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let (address, _) = check_alias_address(address)?;
        let targets = check_targets(targets)?;
        let context = format!("changing alias {address}");
        let mut tx = self.begin(&context).await?;
        let sql = "SELECT address FROM alias WHERE address = ?";
        if !self
            .exists(&mut tx, sql, &[address.as_str().into()], &context)
            .await?
        {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no alias {address}"),
            ));
        }
        let sql = "UPDATE alias SET goto = ?, modified = CURRENT_TIMESTAMP WHERE address = ?";
        self.run(
            &mut tx,
            sql,
            &[targets.join(",").into(), address.as_str().into()],
            &context,
        )
        .await?;
        Self::commit(tx, &context).await
    }

    /// Removes an alias. A mailbox's own alias is not removed this way
    /// ([`ErrorKind::Invalid`]): remove the user, or
    /// [`set_alias`](Self::set_alias) it back to itself.
    pub async fn remove_alias(&self, address: &str) -> Result<()> {
        let (address, _) = check_alias_address(address)?;
        let context = format!("removing alias {address}");
        let mut tx = self.begin(&context).await?;
        let sql = "SELECT username FROM mailbox WHERE username = ?";
        if self
            .exists(&mut tx, sql, &[address.as_str().into()], &context)
            .await?
        {
            return Err(invalid(format!("{address} is a user's own alias")));
        }
        let sql = "DELETE FROM alias WHERE address = ?";
        if self
            .run(&mut tx, sql, &[address.as_str().into()], &context)
            .await?
            == 0
        {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no alias {address}"),
            ));
        }
        Self::commit(tx, &context).await
    }

    /// The aliases, of one domain or of all, in order; a mailbox's alias
    /// is listed only when it does more than deliver to the mailbox.
    pub async fn list_aliases(&self, domain: Option<&str>) -> Result<Vec<AliasEntry>> {
        let rows = self
            .rows_of_domain(
                "SELECT address, goto, active FROM alias",
                "address",
                domain,
                "listing aliases",
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let address = text(row, "address");
                let targets: Vec<String> = text(row, "goto")
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect();
                if targets.len() == 1 && targets[0] == address {
                    return None;
                }
                Some(AliasEntry {
                    address,
                    targets,
                    active: flag(row, "active"),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_folded() {
        assert_eq!(
            check_address("Alice@Example.ORG").unwrap(),
            (
                "alice@example.org".into(),
                "alice".into(),
                "example.org".into()
            )
        );
        for bad in [
            "alice",
            "@example.org",
            "../x@example.org",
            "a/b@example.org",
            "a b@example.org",
            "a,b@example.org",
            "alice@",
            "alice@exa mple.org",
            "alice@-x.org",
            "alice@x..org",
        ] {
            assert_eq!(
                check_address(bad).unwrap_err().kind(),
                ErrorKind::Invalid,
                "{bad}"
            );
        }
        assert_eq!(
            check_alias_address("@Example.org").unwrap(),
            ("@example.org".into(), "example.org".into())
        );
        assert!(check_targets(Vec::<String>::new()).is_err());
        assert!(check_targets(["@elsewhere.net"]).is_err());
        assert_eq!(check_targets(["B@x.org", "b@x.org"]).unwrap(), ["b@x.org"]);
    }
}
