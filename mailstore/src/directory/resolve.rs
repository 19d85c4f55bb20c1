//! Address resolution: the rules are on [`Directory::resolve`].

use std::collections::HashSet;

use super::{Directory, DirectorySource, User, fold};
use crate::error::Result;

/// How addresses are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolveOptions {
    /// Characters that separate a local part from its extension
    /// (Postfix's `recipient_delimiter`; each character is a delimiter,
    /// the first one found counts). Empty: no extensions.
    pub recipient_delimiter: String,
    /// Carry an extension matched by no alias over to the alias's targets.
    pub propagate_extension: bool,
    /// Try the domain's catch-all alias before accounts, as Postfix's
    /// virtual_alias_maps does (so a catch-all swallows mail for existing
    /// accounts unless each account also has an alias to itself, as
    /// Postfixadmin's schema keeps). Off by default: accounts win.
    pub catch_all_before_accounts: bool,
    /// Most addresses one recipient may expand to (Postfix's
    /// `virtual_alias_expansion_limit`).
    pub expansion_limit: usize,
    /// Most alias levels (Postfix's `virtual_alias_recursion_limit`).
    pub recursion_limit: usize,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        ResolveOptions {
            recipient_delimiter: "+".to_owned(),
            propagate_extension: true,
            catch_all_before_accounts: false,
            expansion_limit: 1000,
            recursion_limit: 1000,
        }
    }
}

/// What a recipient address resolved to.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// The mail is taken (SMTP 250): see the recipients.
    Accepted(Recipients),
    /// The domain is ours but nobody there has this address (550 5.1.1).
    UnknownUser,
    /// The domain is not ours (550 5.1.2 over LMTP; relay policy in SMTP).
    UnknownDomain,
    /// Aliases that lead back to an address on their own path (554 5.4.6).
    Loop,
    /// The aliases expand to too many addresses or too deep (550 5.5.3).
    TooManyRecipients,
}

/// Where the mail for one accepted address goes.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Recipients {
    /// Accounts of ours, each once.
    pub local: Vec<LocalRecipient>,
    /// Addresses outside our domains that aliases point to, each once.
    pub forward: Vec<String>,
    /// Addresses in our domains that aliases point to and nobody has (the
    /// rest is still delivered; these deserve a bounce or a log line).
    pub unknown: Vec<String>,
}

/// One account that receives the mail.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LocalRecipient {
    /// The address the account was found under (case-folded, without the
    /// extension).
    pub address: String,
    /// The account.
    pub user: User,
    /// The extension (`urgent` of `alice+urgent@…`), as written, which
    /// LMTP servers use to pick a folder.
    pub detail: Option<String>,
}

/// An address split for lookups.
struct Parts<'a> {
    /// Folded `local+ext@domain`.
    full: String,
    /// Folded `local@domain` when there is an extension.
    base: Option<String>,
    /// Folded domain.
    domain: String,
    /// The extension as written.
    ext: Option<&'a str>,
}

impl<'a> Parts<'a> {
    fn new(address: &'a str, delimiters: &str) -> Option<Parts<'a>> {
        let (local, domain) = address.rsplit_once('@')?;
        if local.is_empty() || domain.is_empty() {
            return None;
        }
        let domain = fold(domain);
        let split = local
            .char_indices()
            .find(|(_, c)| delimiters.contains(*c))
            .filter(|&(i, _)| i > 0);
        let (base, ext) = match split {
            Some((i, c)) => (Some(&local[..i]), Some(&local[i + c.len_utf8()..])),
            None => (None, None),
        };
        Some(Parts {
            full: fold(&format!("{local}@{domain}")),
            base: base.map(|b| fold(&format!("{b}@{domain}"))),
            domain,
            ext,
        })
    }
}

/// An address waiting to be resolved.
struct Pending {
    address: String,
    /// The folded addresses of the aliases that led here.
    path: Vec<String>,
    /// Deliver to the account of this address without looking for an
    /// alias again (an alias that names itself).
    no_alias: bool,
}

impl Directory {
    /// Resolves a recipient address. Errors only when the source fails.
    ///
    /// For an address `local+ext@domain` (with `+` the recipient delimiter):
    ///
    /// 1. `domain` must be ours ([`DirectorySource::has_domain`]), or the
    ///    address is [`Resolution::UnknownDomain`].
    /// 2. An alias for `local+ext@domain`, or else for `local@domain` (then the
    ///    unmatched `+ext` is carried over to each target that has no
    ///    extension of its own, as Postfix's `propagate_unmatched_extensions`
    ///    does), replaces the address by its targets, which are resolved in
    ///    turn. A target equal to the address itself means "and deliver here
    ///    too" and is not expanded again.
    /// 3. Otherwise an account named `local+ext@domain`, or else
    ///    `local@domain` (the extension becomes the
    ///    [`detail`](LocalRecipient::detail)), receives it.
    /// 4. Otherwise the domain's catch-all alias `@domain`, then its catch-all
    ///    account `@domain`, take it. (With
    ///    [`ResolveOptions::catch_all_before_accounts`], the catch-all alias is
    ///    tried before step 3, as Postfix does.)
    /// 5. Otherwise, for one of our domains the address is unknown; a target
    ///    outside our domains is forwarded.
    ///
    /// Lookups are case-folded. An alias chain that comes back to an address
    /// on its own path is a [`Resolution::Loop`]; more than
    /// [`ResolveOptions::expansion_limit`] addresses, or deeper than
    /// [`ResolveOptions::recursion_limit`], is [`Resolution::TooManyRecipients`].
    pub async fn resolve(&self, address: &str) -> Result<Resolution> {
        let opts = &self.options;
        let Some(first) = Parts::new(address, &opts.recipient_delimiter) else {
            return Ok(Resolution::UnknownUser);
        };
        if !self.source.has_domain(&first.domain).await? {
            return Ok(Resolution::UnknownDomain);
        }
        let mut out = Recipients::default();
        let mut delivered: HashSet<(String, Option<String>)> = HashSet::new();
        let mut forwarded: HashSet<String> = HashSet::new();
        let mut stack = vec![Pending {
            address: address.to_owned(),
            path: Vec::new(),
            no_alias: false,
        }];
        let mut expanded = 0usize;
        while let Some(item) = stack.pop() {
            expanded += 1;
            if expanded > opts.expansion_limit || item.path.len() > opts.recursion_limit {
                return Ok(Resolution::TooManyRecipients);
            }
            let Some(parts) = Parts::new(&item.address, &opts.recipient_delimiter) else {
                out.unknown.push(item.address);
                continue;
            };
            let source = &*self.source;

            let alias = if item.no_alias {
                None
            } else {
                self.alias_of(&parts, opts.catch_all_before_accounts)
                    .await?
            };
            if let Some((targets, ext)) = alias {
                if self.push_targets(&item, &parts, targets, ext, &mut stack) {
                    return Ok(Resolution::Loop);
                }
                continue;
            }
            if let Some((user, found_as, detail)) = account_of(source, &parts).await? {
                if delivered.insert((user.name.clone(), detail.clone())) {
                    out.local.push(LocalRecipient {
                        address: found_as,
                        user,
                        detail,
                    });
                }
                continue;
            }
            if !item.no_alias && !opts.catch_all_before_accounts {
                let catch_all = format!("@{}", parts.domain);
                if let Some(targets) = source.alias(&catch_all).await? {
                    if self.push_targets(&item, &parts, targets, None, &mut stack) {
                        return Ok(Resolution::Loop);
                    }
                    continue;
                }
            }
            let catch_all = source.user(&format!("@{}", parts.domain)).await?;
            if let Some(user) = catch_all.filter(|u| u.enabled) {
                if delivered.insert((user.name.clone(), None)) {
                    out.local.push(LocalRecipient {
                        address: parts.full,
                        user,
                        detail: None,
                    });
                }
                continue;
            }
            if source.has_domain(&parts.domain).await? {
                out.unknown.push(item.address);
            } else if forwarded.insert(parts.full) {
                out.forward.push(item.address);
            }
        }
        if out.local.is_empty() && out.forward.is_empty() {
            return Ok(Resolution::UnknownUser);
        }
        Ok(Resolution::Accepted(out))
    }

    /// The alias that applies to an address, with the extension to carry
    /// over to its targets.
    async fn alias_of<'a>(
        &self,
        parts: &Parts<'a>,
        catch_all_first: bool,
    ) -> Result<Option<(Vec<String>, Option<&'a str>)>> {
        let source = &*self.source;
        if let Some(targets) = source.alias(&parts.full).await? {
            return Ok(Some((targets, None)));
        }
        if let Some(base) = &parts.base
            && let Some(targets) = source.alias(base).await?
        {
            let ext = parts.ext.filter(|_| self.options.propagate_extension);
            return Ok(Some((targets, ext)));
        }
        if catch_all_first
            && let Some(targets) = source.alias(&format!("@{}", parts.domain)).await?
        {
            return Ok(Some((targets, None)));
        }
        Ok(None)
    }

    /// Queues an alias's targets (first target resolved first). Returns
    /// true on a loop.
    fn push_targets(
        &self,
        item: &Pending,
        parts: &Parts<'_>,
        targets: Vec<String>,
        ext: Option<&str>,
        stack: &mut Vec<Pending>,
    ) -> bool {
        let delimiters = &self.options.recipient_delimiter;
        let mut path = item.path.clone();
        path.push(parts.full.clone());
        for target in targets.into_iter().rev() {
            let target = match ext {
                Some(ext) => with_extension(&target, ext, delimiters),
                None => target,
            };
            let folded = fold(&target);
            if folded == parts.full || parts.base.as_ref() == Some(&folded) {
                stack.push(Pending {
                    address: target,
                    path: path.clone(),
                    no_alias: true,
                });
            } else if path.contains(&folded) {
                return true;
            } else {
                stack.push(Pending {
                    address: target,
                    path: path.clone(),
                    no_alias: false,
                });
            }
        }
        false
    }
}

/// The account for an address: by its full name, then without the
/// extension; disabled accounts count as none. Returns the account, the
/// address it was found under and the detail.
async fn account_of(
    source: &dyn DirectorySource,
    parts: &Parts<'_>,
) -> Result<Option<(User, String, Option<String>)>> {
    if let Some(user) = source.user(&parts.full).await?.filter(|u| u.enabled) {
        return Ok(Some((user, parts.full.clone(), None)));
    }
    if let Some(base) = &parts.base
        && let Some(user) = source.user(base).await?.filter(|u| u.enabled)
    {
        return Ok(Some((user, base.clone(), parts.ext.map(str::to_owned))));
    }
    Ok(None)
}

/// `local@domain` with `+ext` added to the local part, unless it already
/// has an extension.
fn with_extension(target: &str, ext: &str, delimiters: &str) -> String {
    let Some(delimiter) = delimiters.chars().next() else {
        return target.to_owned();
    };
    match target.rsplit_once('@') {
        Some((local, domain)) if !local.contains(|c| delimiters.contains(c)) => {
            format!("{local}{delimiter}{ext}@{domain}")
        }
        _ => target.to_owned(),
    }
}
