//! UIDL unique-ids: UID and UIDVALIDITY, as Dovecot spells them.

use pop3_proto::maildrop::UniqueId;

/// The UIDL unique-id of message `uid` of a mailbox whose UIDVALIDITY is
/// `uid_validity`: both in eight lowercase hex digits, UID first —
/// Dovecot's default `pop3_uidl_format = %08Xu%08Xv`, so a user moved
/// from Dovecot with their Maildir (`dovecot-uidlist` keeps UIDs and
/// UIDVALIDITY) keeps their UIDLs, and their client does not download
/// everything again.
///
/// A UID is never reused within one UIDVALIDITY and a new UIDVALIDITY
/// differs from every earlier one, so an id never names two messages.
///
/// ```
/// use mailstore::pop3::unique_id;
/// assert_eq!(unique_id(1_700_000_000, 42).as_str(), "0000002a6553f100");
/// ```
pub fn unique_id(uid_validity: u32, uid: u32) -> UniqueId {
    UniqueId::new(&format!("{uid:08x}{uid_validity:08x}"))
        .expect("16 hex digits are a valid unique-id")
}
