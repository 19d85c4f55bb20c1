//! POP3 maildrops on the store: a pop3-proto backend that serves each
//! user's INBOX, after Dovecot's pop3 service.
//!
//! [`Pop3Maildrops`] checks credentials against the [`Directory`] and,
//! once a user has logged in, opens their INBOX as an [`InboxMaildrop`]:
//!
//! * **Lock.** One POP3 session per account at a time: a second login
//!   while the first session's maildrop is alive gets `-ERR [IN-USE]`
//!   (RFC 2449). The lock is held in this process, per store and account
//!   (shared by every `Pop3Maildrops` on the same `Arc<dyn Store>`), and
//!   released when the maildrop is dropped — after QUIT, or when the
//!   connection is lost. There is no lock file: Dovecot takes none by
//!   default either (`pop3_lock_session = no`), and a POP3 session beside
//!   another process's (or an IMAP session) is safe for the mail, since
//!   deletes name UIDs, not positions.
//! * **Snapshot.** The messages of INBOX when the maildrop is opened, in
//!   UID order; messages delivered later are not seen before the next
//!   session and never touched by this one.
//! * **UIDL** is UID and UIDVALIDITY in hex, Dovecot's default format
//!   ([`unique_id`]): stable across sessions, never reused, and the same
//!   as Dovecot's for a Maildir taken over from it.
//! * **Sizes** are what RETR sends: the content with every bare LF (and
//!   bare CR) sent as CRLF, as pop3-proto's adapter puts it on the wire.
//!   Where the store knows that size without reading (it counts it as a
//!   message is stored; a Maildir file name carries it as `,W=`) it is
//!   listed as it is. Otherwise — a file another program dropped into a
//!   Maildir without sizes in its name — the message is read once and
//!   counted by the adapter's own rule ([`wire::CrlfLength`]), and the size
//!   is remembered per account for the life of the `Pop3Maildrops`. With
//!   [`Pop3Options::fast_size_lookups`] such messages are listed with their
//!   stored size instead, short by one octet per bare line end. Dovecot's
//!   `,W=` counts bare LFs and not bare CRs, so a message with bare CRs
//!   (which our SMTP server never stores) is listed one octet short per
//!   bare CR. Either way, a message whose last line has no line end is
//!   listed without the CRLF the protocol adds before the final `.`, as
//!   Dovecot does.
//! * **RETR and TOP** stream the content as stored (the adapter makes its
//!   line ends CRLF, byte-stuffs it and cuts it for TOP, reading no
//!   further than it needs). A message of up to 1 MiB is read whole at
//!   once; a larger one is read piece by piece.
//! * **QUIT** (the UPDATE state) expunges the messages marked deleted in
//!   one transaction, together with setting `\Seen` on the messages sent
//!   by RETR ([`Pop3Options::mark_seen`], as Dovecot does unless
//!   `pop3_no_flag_updates`). A message another session expunged
//!   meanwhile is no error. If INBOX got a new UIDVALIDITY meanwhile
//!   (recreated by another program), nothing is changed and the commit
//!   fails. A session that ends any other way changes nothing.
//! * **Errors** opening the maildrop become `-ERR [SYS/TEMP]` or
//!   `[SYS/PERM]` by their [`ErrorKind`]; their text
//!   goes to the log only.
//!
//! ```
//! use std::sync::Arc;
//! use mailstore::directory::{Directory, MemoryDirectory, User};
//! use mailstore::pop3::Pop3Maildrops;
//! use mailstore::store::memory::MemoryStore;
//! use mailstore::store::{Store, Transaction, AppendOptions};
//! use pop3_proto::adapter::{Backend, Maildrop, OpenError, RetrieveOptions};
//! use tokio::io::AsyncReadExt;
//! # futures_executor::block_on(async {
//! let users = MemoryDirectory::new();
//! users.add_user(User::new("alice@example.org"));
//! let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
//!
//! // A message arrives.
//! let account = store.account(&User::new("alice@example.org")).await?;
//! let mut writer = account.begin_append().await?;
//! writer.write(b"Subject: hi\n\nHello.\n").await?;
//! let staged = writer.finish().await?;
//! account.deliver("INBOX", staged, AppendOptions::default()).await?;
//!
//! let pop3 = Pop3Maildrops::new(Directory::new(users), store);
//! let alice = sasl::Identity {
//!     authentication_id: "alice@example.org".into(),
//!     requested_authorization_id: None,
//!     trace: None,
//! };
//! let mut maildrop = pop3.open(&alice).await.unwrap();
//! assert!(matches!(pop3.open(&alice).await, Err(OpenError::InUse)));
//!
//! let size = maildrop.messages()[0].size;
//! let mut sent = Vec::new();
//! maildrop
//!     .retrieve(0, &RetrieveOptions::default())
//!     .await
//!     .unwrap()
//!     .read_to_end(&mut sent)
//!     .await?;
//! // The content as stored; the adapter sends it with CRLF line ends,
//! // which is the size listed.
//! assert_eq!(sent, b"Subject: hi\n\nHello.\n");
//! assert_eq!(size, b"Subject: hi\r\n\r\nHello.\r\n".len() as u64);
//!
//! maildrop.commit(&[0]).await.unwrap();
//! drop(maildrop);
//! assert!(pop3.open(&alice).await.unwrap().messages().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod error;
mod lock;
mod maildrop;
mod sizes;
mod uidl;

use std::sync::Arc;

use async_trait::async_trait;
use pop3_proto::adapter::{Backend, OpenError};

pub use error::MaildropError;
pub use maildrop::InboxMaildrop;
pub use uidl::unique_id;

use crate::directory::Directory;
use crate::error::{Error, ErrorKind};
use crate::store::{INBOX, Store};
use lock::SessionLock;
use sizes::SizeCache;

/// How maildrops are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pop3Options {
    /// For messages whose CRLF size the store does not know, list the
    /// stored size instead of reading them to count bare line ends
    /// (Dovecot's `pop3_fast_size_lookups`); off by default.
    pub fast_size_lookups: bool,
    /// At QUIT, set `\Seen` on the messages RETR sent and that are not
    /// deleted (Dovecot's default; its `pop3_no_flag_updates` turns it
    /// off); on by default.
    pub mark_seen: bool,
}

impl Default for Pop3Options {
    fn default() -> Self {
        Pop3Options {
            fast_size_lookups: false,
            mark_seen: true,
        }
    }
}

/// The POP3 backend: give it to pop3-proto's adapter. Clones share their
/// size cache; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Pop3Maildrops {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    directory: Directory,
    store: Arc<dyn Store>,
    options: Pop3Options,
    sizes: SizeCache,
}

impl Pop3Maildrops {
    /// Serves the INBOXes of `directory`'s users, kept in `store`.
    pub fn new(directory: Directory, store: Arc<dyn Store>) -> Pop3Maildrops {
        Pop3Maildrops::with_options(directory, store, Pop3Options::default())
    }

    /// With other options.
    pub fn with_options(
        directory: Directory,
        store: Arc<dyn Store>,
        options: Pop3Options,
    ) -> Pop3Maildrops {
        Pop3Maildrops {
            shared: Arc::new(Shared {
                directory,
                store,
                options,
                sizes: SizeCache::default(),
            }),
        }
    }

    /// The options.
    pub fn options(&self) -> &Pop3Options {
        &self.shared.options
    }

    /// Opens the maildrop of the account `login` names, as
    /// [`Backend::open`] does for an authenticated identity.
    pub async fn open_login(&self, login: &str) -> Result<InboxMaildrop, OpenError> {
        let shared = &*self.shared;
        let user = match shared.directory.user(login).await {
            Ok(Some(user)) if user.enabled => user,
            Ok(_) => {
                return Err(OpenError::Permanent(
                    MaildropError::UnknownUser(login.to_owned()).into(),
                ));
            }
            Err(e) => return Err(open_error(e)),
        };
        let account = shared.store.account(&user).await.map_err(open_error)?;
        let Some(lock) = SessionLock::try_acquire(&shared.store, account.name()) else {
            tracing::debug!(user = %user.name, "POP3 maildrop already in use");
            return Err(OpenError::InUse);
        };
        let mailbox = account.open(INBOX).await.map_err(open_error)?;
        let opened = InboxMaildrop::snapshot(
            mailbox,
            lock,
            account.name(),
            &shared.sizes,
            &shared.options,
        )
        .await
        .map_err(|e| match e {
            MaildropError::Store(e) => open_error(e),
            other => OpenError::Temporary(other.into()),
        })?;
        tracing::info!(
            user = %user.name,
            messages = pop3_proto::adapter::Maildrop::messages(&opened).len(),
            "POP3 maildrop opened"
        );
        Ok(opened)
    }
}

#[async_trait]
impl Backend for Pop3Maildrops {
    type Maildrop = InboxMaildrop;

    fn credentials(&self) -> &dyn sasl::CredentialStore {
        &self.shared.directory
    }

    async fn open(&self, identity: &sasl::Identity) -> Result<InboxMaildrop, OpenError> {
        self.open_login(identity.authorization_id()).await
    }
}

/// The reply for a store or directory error: temporary unless retrying
/// cannot help.
fn open_error(error: Error) -> OpenError {
    match error.kind() {
        ErrorKind::InUse => {
            tracing::debug!(%error, "POP3 maildrop locked by the store");
            OpenError::InUse
        }
        ErrorKind::NotFound | ErrorKind::Permission | ErrorKind::Invalid | ErrorKind::Loop => {
            OpenError::Permanent(MaildropError::Store(error).into())
        }
        ErrorKind::AlreadyExists
        | ErrorKind::Expunged
        | ErrorKind::OverQuota
        | ErrorKind::TooBig
        | ErrorKind::Temporary => OpenError::Temporary(MaildropError::Store(error).into()),
    }
}
