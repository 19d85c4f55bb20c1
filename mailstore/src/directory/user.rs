//! An account, as a userdb and passdb entry together.

use std::fmt;
use std::path::PathBuf;

use sasl::PasswordHash;

/// The limits of a user's storage; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaLimit {
    /// Most bytes of mail.
    pub bytes: Option<u64>,
    /// Most messages.
    pub messages: Option<u64>,
}

impl QuotaLimit {
    /// No limit at all.
    pub fn is_unlimited(&self) -> bool {
        self.bytes.is_none() && self.messages.is_none()
    }
}

/// An account: its login, password and where and how its mail is kept.
#[derive(Clone)]
#[non_exhaustive]
pub struct User {
    /// The login name, normally the primary address (`alice@example.org`).
    pub name: String,
    /// The stored password; `None` for an account that cannot log in.
    pub password: Option<PasswordHash>,
    /// The system user id mail is stored under, if the source says.
    pub uid: Option<u32>,
    /// The system group id, if the source says.
    pub gid: Option<u32>,
    /// The home directory.
    pub home: Option<PathBuf>,
    /// Where the mail lives, in Dovecot's `mail_location` form
    /// (`maildir:~/Maildir`), when it is not the store's default.
    pub mail: Option<String>,
    /// Storage limits.
    pub quota: QuotaLimit,
    /// Whether the account may log in and receive mail.
    pub enabled: bool,
    /// Fields the source keeps that have no place above, in order.
    pub extra: Vec<(String, String)>,
}

impl User {
    /// An enabled account named `name` with nothing else set.
    pub fn new(name: impl Into<String>) -> User {
        User {
            name: name.into(),
            password: None,
            uid: None,
            gid: None,
            home: None,
            mail: None,
            quota: QuotaLimit::default(),
            enabled: true,
            extra: Vec::new(),
        }
    }

    /// Sets the password.
    pub fn with_password(mut self, password: PasswordHash) -> User {
        self.password = Some(password);
        self
    }

    /// Sets the quota.
    pub fn with_quota(mut self, quota: QuotaLimit) -> User {
        self.quota = quota;
        self
    }

    /// Sets the home directory.
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> User {
        self.home = Some(home.into());
        self
    }

    /// The value of an extra field.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for User {
    // The password hash stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|p| p.scheme()))
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("home", &self.home)
            .field("mail", &self.mail)
            .field("quota", &self.quota)
            .field("enabled", &self.enabled)
            .field("extra", &self.extra)
            .finish()
    }
}
