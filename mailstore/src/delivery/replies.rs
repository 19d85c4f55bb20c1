//! The replies of final delivery, by outcome.

use smtp_proto::{EnhancedCode, Reply};

use crate::error::ErrorKind;

fn reply(code: u16, class: u8, subject: u16, detail: u16, text: String) -> Reply {
    Reply::new(code, Some(EnhancedCode::new(class, subject, detail)), text)
}

/// `250 2.1.5` for an accepted recipient.
pub(super) fn recipient_ok(address: &str) -> Reply {
    reply(250, 2, 1, 5, format!("<{address}> OK"))
}

/// `550 5.1.1`: nobody has this address.
pub(super) fn unknown_user(address: &str) -> Reply {
    reply(550, 5, 1, 1, format!("<{address}> User doesn't exist"))
}

/// `550 5.1.2`: not one of our domains.
pub(super) fn unknown_domain(address: &str) -> Reply {
    reply(
        550,
        5,
        1,
        2,
        format!("<{address}> Domain is not served here"),
    )
}

/// `554 5.4.6`: aliases that loop.
pub(super) fn alias_loop(address: &str) -> Reply {
    reply(554, 5, 4, 6, format!("<{address}> Alias loop"))
}

/// `550 5.5.3`: an alias with too many members.
pub(super) fn too_many(address: &str) -> Reply {
    reply(
        550,
        5,
        5,
        3,
        format!("<{address}> Alias expands to too many recipients"),
    )
}

/// `550 5.7.1`: forwarding outside is not available.
pub(super) fn no_forwarding(address: &str) -> Reply {
    reply(
        550,
        5,
        7,
        1,
        format!("<{address}> Forwarding to other domains is not available"),
    )
}

/// `250 2.0.0`: stored.
pub(super) fn saved(address: &str) -> Reply {
    reply(250, 2, 0, 0, format!("<{address}> Saved"))
}

/// `250 2.0.0` for a message stored for every recipient (SMTP).
pub(super) fn all_saved() -> Reply {
    reply(250, 2, 0, 0, "Saved".to_owned())
}

/// `451 4.3.0`: storage trouble; nothing kept.
pub(super) fn temporary(address: Option<&str>) -> Reply {
    let text = match address {
        Some(a) => format!("<{a}> Temporary storage failure"),
        None => "Temporary storage failure".to_owned(),
    };
    reply(451, 4, 3, 0, text)
}

/// The reply for a store error while delivering to `address`.
pub(super) fn for_error(kind: ErrorKind, address: Option<&str>, tempfail: bool) -> Reply {
    let who = address.map_or_else(String::new, |a| format!("<{a}> "));
    match kind {
        ErrorKind::OverQuota => {
            let text = format!("{who}Mailbox is full");
            if tempfail {
                reply(452, 4, 2, 2, text)
            } else {
                reply(552, 5, 2, 2, text)
            }
        }
        ErrorKind::TooBig => reply(552, 5, 3, 4, format!("{who}Message too big")),
        _ => temporary(address),
    }
}
