//! The mailstore crate's fuzz harness: the directory files an operator
//! writes by hand and the crate reads from disk.
//!
//! * `mailstore_passwd_file`: the input is a Dovecot passwd-file;
//! * `mailstore_aliases`: the input is an aliases(5) file.
//!
//! Inputs that are not UTF-8 are refused by the readers before parsing
//! (and so are skipped here).
//!
//! # What is checked
//!
//! Besides "no panic": a refusal is an `Invalid` error that names the
//! line (`<fuzz>:N:`) and never quotes a password field; what parses keeps
//! its promises:
//!
//! * passwd-file: every user's name is non-empty, without `:` or a line
//!   break, and unique case-insensitively; the users are the file's
//!   non-comment lines in order, minus later duplicates; a user parsed
//!   from a line alone parses the same;
//! * aliases: names are folded (lower case), non-empty and unique; every
//!   target is non-empty and free of control characters; a file made of
//!   the parsed entries written back (`name: t1, t2`) parses to the same
//!   entries.

use mailstore::ErrorKind;
use mailstore::directory::{AliasFile, PasswdFile};

/// One fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `mailstore_passwd_file`: Dovecot passwd-files.
    PasswdFile,
    /// `mailstore_aliases`: aliases(5) files.
    Aliases,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 2] = [Target::PasswdFile, Target::Aliases];

    /// The cargo-fuzz target name, which is also its corpus directory name.
    pub fn name(self) -> &'static str {
        match self {
            Target::PasswdFile => "mailstore_passwd_file",
            Target::Aliases => "mailstore_aliases",
        }
    }

    /// Runs one input; panics if a check fails.
    pub fn run(self, data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        match self {
            Target::PasswdFile => run_passwd_file(text),
            Target::Aliases => run_aliases(text),
        }
    }
}

/// Checks a refusal: `Invalid`, naming a line of the input, which is
/// returned.
fn check_refusal<'t>(error: &mailstore::Error, text: &'t str) -> &'t str {
    assert_eq!(error.kind(), ErrorKind::Invalid, "{error}");
    let context = error.context();
    let line: usize = context
        .split_once("<fuzz>:")
        .and_then(|(_, rest)| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no <fuzz>:LINE: in {context:?}"));
    text.split('\n')
        .nth(line.wrapping_sub(1))
        .unwrap_or_else(|| panic!("line {line} of {context:?} is not in the input"))
}

fn run_passwd_file(text: &str) {
    let users = match PasswdFile::parse("<fuzz>", text) {
        Ok(users) => users,
        Err(error) => {
            // The password of the line named, unless it is also part of
            // another field of that line, must not appear in the error.
            let line = check_refusal(&error, text);
            {
                let fields: Vec<&str> = line.split(':').collect();
                // Stored passwords start with `{SCHEME}` or a crypt `$`,
                // which no message text of ours contains.
                if let Some(password) = fields.get(1).copied()
                    && password.len() >= 8
                    && password.starts_with(['{', '$'])
                    && !fields
                        .iter()
                        .enumerate()
                        .any(|(i, f)| i != 1 && f.contains(password))
                {
                    assert!(
                        !error.context().contains(password),
                        "the error quotes a password: {error}"
                    );
                }
            }
            return;
        }
    };
    let mut seen = std::collections::HashSet::new();
    for user in &users {
        assert!(!user.name.is_empty(), "empty user name");
        assert!(
            !user.name.contains([':', '\n', '\r']),
            "name {:?}",
            user.name
        );
        assert!(seen.insert(user.name.to_lowercase()), "{} twice", user.name);
    }
    // Each user parses the same from its line alone.
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(':'));
    let mut found = std::collections::HashSet::new();
    for user in &users {
        let line = lines
            .by_ref()
            .find(|l| {
                PasswdFile::parse("<fuzz>", l)
                    .ok()
                    .and_then(|u| u.into_iter().next())
                    .is_some_and(|u| {
                        u.name.to_lowercase() == user.name.to_lowercase()
                            && !found.contains(&u.name.to_lowercase())
                    })
            })
            .unwrap_or_else(|| panic!("{} is not on a line of its own", user.name));
        let alone = PasswdFile::parse("<fuzz>", line).expect("a line that parsed");
        assert_eq!(format!("{:?}", alone[0]), format!("{user:?}"));
        found.insert(user.name.to_lowercase());
    }
}

fn run_aliases(text: &str) {
    let entries = match AliasFile::parse("<fuzz>", text) {
        Ok(entries) => entries,
        Err(error) => {
            check_refusal(&error, text);
            return;
        }
    };
    let mut seen = std::collections::HashSet::new();
    for (name, targets) in &entries {
        assert!(!name.is_empty(), "empty alias name");
        assert_eq!(*name, name.to_lowercase(), "name not folded");
        assert!(seen.insert(name.clone()), "{name} twice");
        for target in targets {
            assert!(!target.is_empty(), "{name}: empty target");
            assert!(
                !target.chars().any(char::is_control),
                "{name}: target {target:?}"
            );
        }
    }
    // Written back plainly, the entries read the same, when every name and
    // target can be written without quotes.
    let plain = |s: &str| {
        !s.is_empty()
            && !s.contains([',', ':', '"', '#', ' ', '\t', '|', '/'])
            && !s.starts_with(['|', '/'])
    };
    if entries.iter().all(|(name, targets)| {
        plain(name) && !targets.is_empty() && targets.iter().all(|t| plain(t))
    }) {
        let written: String = entries
            .iter()
            .map(|(name, targets)| format!("{name}: {}\n", targets.join(", ")))
            .collect();
        let again = AliasFile::parse("<fuzz>", &written)
            .unwrap_or_else(|e| panic!("{written:?} does not parse: {e}"));
        assert_eq!(again, entries, "{written:?}");
    }
}
