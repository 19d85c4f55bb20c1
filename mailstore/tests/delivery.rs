//! Final delivery over LMTP and SMTP through smtp-proto's adapter, into
//! the memory store: exact replies per recipient, trace headers, aliases,
//! details, quota, and failures that leave nothing behind.

use std::sync::Arc;

use async_trait::async_trait;
use mailstore::delivery::{DeliveryOptions, LocalDelivery};
use mailstore::directory::{Directory, MemoryDirectory, QuotaLimit, User};
use mailstore::store::memory::MemoryStore;
use mailstore::store::{
    Account, AppendOptions, MailboxInfo, MailboxStatus, MessageWriter, QuotaUsage, SpecialUse,
    StagedMessage, Store,
};
use mailstore::{Error, Result};
use smtp_proto::adapter::{ConnectionInfo, ServerOptions, serve};
use smtp_proto::server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn directory() -> Directory {
    let source = MemoryDirectory::new();
    source.add_domain("example.org");
    source.add_domain("lmtp.example.org");
    source.add_user(User::new("alice@example.org"));
    source.add_user(User::new("bob@example.org"));
    source.add_user(User::new("full@example.org").with_quota(QuotaLimit {
        bytes: None,
        messages: Some(0),
    }));
    source.add_user(User::new("small@example.org").with_quota(QuotaLimit {
        bytes: Some(200),
        messages: None,
    }));
    source.add_alias("team@example.org", ["alice@example.org", "bob@example.org"]);
    source.add_alias("postmaster@lmtp.example.org", ["alice@example.org"]);
    source.add_alias("loop@example.org", ["loop2@example.org"]);
    source.add_alias("loop2@example.org", ["loop@example.org"]);
    source.add_alias("out@example.org", ["someone@elsewhere.net"]);
    Directory::new(source)
}

fn options() -> DeliveryOptions {
    let mut o = DeliveryOptions::default();
    o.hostname = "lmtp.example.org".into();
    o
}

/// Runs one LMTP (or SMTP) conversation; returns the server's output.
async fn converse(delivery: LocalDelivery, lmtp: bool, input: &[u8]) -> String {
    let config = if lmtp {
        ServerConfig::lmtp("lmtp.example.org")
    } else {
        ServerConfig::new("mx.example.org")
    };
    let options = ServerOptions::new(config);
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let task =
        tokio::spawn(
            async move { serve(&delivery, server, ConnectionInfo::default(), &options).await },
        );
    client.write_all(input).await.unwrap();
    let mut out = Vec::new();
    client.read_to_end(&mut out).await.unwrap();
    task.await.unwrap().unwrap();
    String::from_utf8(out).unwrap()
}

/// The replies after `354`, up to the QUIT reply.
fn data_replies(out: &str) -> Vec<&str> {
    let after = out.split("354 ").nth(1).expect("a DATA exchange");
    after
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("221"))
        .collect()
}

async fn inbox(store: &Arc<dyn Store>, user: &str, mailbox: &str) -> Vec<Vec<u8>> {
    let account = store.account(&User::new(user)).await.unwrap();
    let view = account.open(mailbox).await.unwrap();
    let mut out = Vec::new();
    for m in view.messages() {
        out.push(view.content(m.uid).await.unwrap().into_bytes().unwrap());
    }
    out
}

fn lmtp_input(from: &str, to: &[&str], body: &str) -> Vec<u8> {
    let mut s = format!("LHLO client\r\nMAIL FROM:<{from}>\r\n");
    for t in to {
        s.push_str(&format!("RCPT TO:<{t}>\r\n"));
    }
    s.push_str(&format!("DATA\r\n{body}.\r\nQUIT\r\n"));
    s.into_bytes()
}

const BODY: &str = "Subject: hello\r\n\r\nHi there.\r\n..dot-stuffed line\r\n";

#[tokio::test]
async fn lmtp_delivers_to_each_recipient_with_trace_headers() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options());
    let input = lmtp_input(
        "sender@elsewhere.net",
        &["alice@example.org", "Bob+News@EXAMPLE.org"],
        BODY,
    );
    let out = converse(delivery, true, &input).await;
    assert!(
        out.contains("250 2.1.5 <alice@example.org> OK\r\n"),
        "{out}"
    );
    assert!(
        out.contains("250 2.1.5 <Bob+News@EXAMPLE.org> OK\r\n"),
        "{out}"
    );
    assert_eq!(
        data_replies(&out),
        [
            "250 2.0.0 <alice@example.org> Saved",
            "250 2.0.0 <Bob+News@EXAMPLE.org> Saved"
        ]
    );
    let body = "Subject: hello\r\n\r\nHi there.\r\n.dot-stuffed line\r\n";
    assert_eq!(
        inbox(&store, "alice@example.org", "INBOX").await,
        [format!(
            "Return-Path: <sender@elsewhere.net>\r\nDelivered-To: alice@example.org\r\n{body}"
        )
        .into_bytes()]
    );
    assert_eq!(
        inbox(&store, "bob@example.org", "INBOX").await,
        [format!(
            "Return-Path: <sender@elsewhere.net>\r\nDelivered-To: bob+News@example.org\r\n{body}"
        )
        .into_bytes()]
    );
}

#[tokio::test]
async fn aliases_fan_out_and_postmaster_needs_no_domain() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options());
    let input = lmtp_input("", &["team@example.org", "Postmaster"], BODY);
    let out = converse(delivery, true, &input).await;
    assert_eq!(
        data_replies(&out),
        [
            "250 2.0.0 <team@example.org> Saved",
            "250 2.0.0 <postmaster@lmtp.example.org> Saved"
        ]
    );
    // alice gets one copy per recipient address, bob one.
    let alice = inbox(&store, "alice@example.org", "INBOX").await;
    assert_eq!(alice.len(), 2);
    assert!(alice[0].starts_with(b"Return-Path: <>\r\nDelivered-To: alice@example.org\r\n"));
    assert_eq!(inbox(&store, "bob@example.org", "INBOX").await.len(), 1);
}

#[tokio::test]
async fn refused_recipients_get_the_right_codes() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options());
    let input = b"LHLO c\r\nMAIL FROM:<s@elsewhere.net>\r\n\
RCPT TO:<nobody@example.org>\r\nRCPT TO:<alice@elsewhere.net>\r\nRCPT TO:<loop@example.org>\r\n\
RCPT TO:<out@example.org>\r\nRCPT TO:<full@example.org>\r\nQUIT\r\n";
    let out = converse(delivery, true, input).await;
    for expected in [
        "550 5.1.1 <nobody@example.org> User doesn't exist\r\n",
        "550 5.1.2 <alice@elsewhere.net> Domain is not served here\r\n",
        "554 5.4.6 <loop@example.org> Alias loop\r\n",
        "550 5.7.1 <out@example.org> Forwarding to other domains is not available\r\n",
        "452 4.2.2 <full@example.org> Mailbox is full\r\n",
    ] {
        assert!(out.contains(expected), "{expected} missing from\n{out}");
    }
}

#[tokio::test]
async fn a_message_over_quota_for_one_recipient_is_kept_for_the_other() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let mut options = options();
    options.quota_full_tempfail = false;
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options);
    let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(500));
    let input = lmtp_input(
        "s@elsewhere.net",
        &["small@example.org", "alice@example.org"],
        &big,
    );
    let out = converse(delivery, true, &input).await;
    assert_eq!(
        data_replies(&out),
        [
            "552 5.2.2 <small@example.org> Mailbox is full",
            "250 2.0.0 <alice@example.org> Saved"
        ]
    );
    assert!(inbox(&store, "small@example.org", "INBOX").await.is_empty());
    assert_eq!(inbox(&store, "alice@example.org", "INBOX").await.len(), 1);
}

#[tokio::test]
async fn details_pick_an_existing_folder() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let account = store
        .account(&User::new("alice@example.org"))
        .await
        .unwrap();
    account.create_mailbox("Lists", None).await.unwrap();
    let mut options = options();
    options.save_to_detail_mailbox = true;
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options);
    let input = lmtp_input(
        "s@elsewhere.net",
        &["alice+lists@example.org", "alice+nofolder@example.org"],
        BODY,
    );
    let out = converse(delivery, true, &input).await;
    assert_eq!(data_replies(&out).len(), 2, "{out}");
    assert_eq!(inbox(&store, "alice@example.org", "Lists").await.len(), 1);
    assert_eq!(inbox(&store, "alice@example.org", "INBOX").await.len(), 1);
}

#[tokio::test]
async fn smtp_gives_one_reply_for_all() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options());
    let input = format!(
        "EHLO c\r\nMAIL FROM:<s@elsewhere.net>\r\nRCPT TO:<alice@example.org>\r\n\
         RCPT TO:<bob@example.org>\r\nDATA\r\n{BODY}.\r\nQUIT\r\n"
    );
    let out = converse(delivery, false, input.as_bytes()).await;
    assert_eq!(data_replies(&out), ["250 2.0.0 Saved"]);
    assert_eq!(inbox(&store, "bob@example.org", "INBOX").await.len(), 1);
}

// ---- a store that fails while a message is written ----

/// The memory store, except that a message containing `FAIL` cannot be
/// written (a disk error halfway through).
#[derive(Debug)]
struct Failing(MemoryStore);

#[derive(Debug)]
struct FailingAccount(Arc<dyn Account>);

#[derive(Debug)]
struct FailingWriter(Box<dyn MessageWriter>);

#[async_trait]
impl Store for Failing {
    async fn account(&self, user: &User) -> Result<Arc<dyn Account>> {
        Ok(Arc::new(FailingAccount(self.0.account(user).await?)))
    }
}

#[async_trait]
impl MessageWriter for FailingWriter {
    async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if chunk.windows(4).any(|w| w == b"FAIL") {
            return Err(Error::temporary(
                "write",
                std::io::Error::other("disk on fire"),
            ));
        }
        self.0.write(chunk).await
    }

    async fn finish(self: Box<Self>) -> Result<Box<dyn StagedMessage>> {
        self.0.finish().await
    }
}

#[async_trait]
impl Account for FailingAccount {
    fn name(&self) -> &str {
        self.0.name()
    }
    async fn mailboxes(&self) -> Result<Vec<MailboxInfo>> {
        self.0.mailboxes().await
    }
    async fn create_mailbox(&self, name: &str, special_use: Option<SpecialUse>) -> Result<()> {
        self.0.create_mailbox(name, special_use).await
    }
    async fn rename_mailbox(&self, from: &str, to: &str) -> Result<()> {
        self.0.rename_mailbox(from, to).await
    }
    async fn delete_mailbox(&self, name: &str) -> Result<()> {
        self.0.delete_mailbox(name).await
    }
    async fn set_subscribed(&self, name: &str, subscribed: bool) -> Result<()> {
        self.0.set_subscribed(name, subscribed).await
    }
    async fn subscriptions(&self) -> Result<Vec<String>> {
        self.0.subscriptions().await
    }
    async fn status(&self, name: &str) -> Result<MailboxStatus> {
        self.0.status(name).await
    }
    async fn open(&self, name: &str) -> Result<Box<dyn mailstore::store::Mailbox>> {
        self.0.open(name).await
    }
    async fn begin_append(&self) -> Result<Box<dyn MessageWriter>> {
        Ok(Box::new(FailingWriter(self.0.begin_append().await?)))
    }
    async fn quota(&self) -> Result<QuotaUsage> {
        self.0.quota().await
    }
    async fn deliver(
        &self,
        mailbox: &str,
        message: Box<dyn StagedMessage>,
        options: AppendOptions,
    ) -> Result<()> {
        self.0.deliver(mailbox, message, options).await
    }
}

#[tokio::test]
async fn a_storage_failure_mid_message_answers_451_and_keeps_nothing() {
    let store: Arc<dyn Store> = Arc::new(Failing(MemoryStore::new()));
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options());
    let body = "Subject: x\r\n\r\nfirst line\r\nFAIL here\r\nlast line\r\n";
    let input = lmtp_input(
        "s@elsewhere.net",
        &["alice@example.org", "bob@example.org"],
        body,
    );
    let out = converse(delivery, true, &input).await;
    assert_eq!(
        data_replies(&out),
        [
            "451 4.3.0 <alice@example.org> Temporary storage failure",
            "451 4.3.0 <bob@example.org> Temporary storage failure"
        ]
    );
    assert!(!out.contains("fire"), "internal text leaked: {out}");
    assert!(inbox(&store, "alice@example.org", "INBOX").await.is_empty());
    assert!(inbox(&store, "bob@example.org", "INBOX").await.is_empty());
    // The connection stays usable for the next message.
    let delivery = LocalDelivery::with_options(directory(), store.clone(), options());
    let input = lmtp_input("s@elsewhere.net", &["alice@example.org"], BODY);
    let out = converse(delivery, true, &input).await;
    assert_eq!(data_replies(&out), ["250 2.0.0 <alice@example.org> Saved"]);
    assert_eq!(inbox(&store, "alice@example.org", "INBOX").await.len(), 1);
}
