//! The replies the session sends on its own, with their RFC 3463 codes.

use crate::reply::{EnhancedCode, Reply};

fn reply(code: u16, class: u8, subject: u16, detail: u16, text: &'static str) -> Reply {
    Reply::new(code, Some(EnhancedCode::new(class, subject, detail)), text)
}

pub(crate) fn ok() -> Reply {
    reply(250, 2, 0, 0, "OK")
}
pub(crate) fn reset_ok() -> Reply {
    reply(250, 2, 0, 0, "Reset state")
}
pub(crate) fn bye(hostname: &str) -> Reply {
    Reply::new(
        221,
        Some(EnhancedCode::new(2, 0, 0)),
        format!("{hostname} closing connection"),
    )
}
pub(crate) fn help() -> Reply {
    Reply::new(
        214,
        Some(EnhancedCode::new(2, 0, 0)),
        "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP STARTTLS AUTH",
    )
    .line("See RFC 5321")
}
pub(crate) fn cannot_vrfy() -> Reply {
    reply(
        252,
        2,
        5,
        0,
        "Cannot VRFY user, but will accept message and attempt delivery",
    )
}
pub(crate) fn cannot_expn() -> Reply {
    reply(
        252,
        2,
        5,
        0,
        "Cannot EXPN list, but will accept message and attempt delivery",
    )
}
pub(crate) fn start_data() -> Reply {
    Reply::new(354, None, "End data with <CR><LF>.<CR><LF>")
}
pub(crate) fn chunk_received(size: u64) -> Reply {
    Reply::new(
        250,
        Some(EnhancedCode::new(2, 0, 0)),
        format!("{size} octets received"),
    )
}
pub(crate) fn ready_for_tls() -> Reply {
    reply(220, 2, 0, 0, "Ready to start TLS")
}
pub(crate) fn auth_success() -> Reply {
    reply(235, 2, 7, 0, "Authentication successful")
}

pub(crate) fn not_implemented() -> Reply {
    reply(502, 5, 5, 1, "Command not implemented")
}
pub(crate) fn unrecognized() -> Reply {
    reply(500, 5, 5, 1, "Command unrecognized")
}
pub(crate) fn line_too_long() -> Reply {
    reply(500, 5, 5, 0, "Line too long")
}
pub(crate) fn auth_line_too_long() -> Reply {
    reply(500, 5, 5, 6, "Authentication exchange line is too long")
}
pub(crate) fn send_helo_first() -> Reply {
    reply(503, 5, 5, 1, "Send HELO/EHLO first")
}
pub(crate) fn send_lhlo_first() -> Reply {
    reply(503, 5, 5, 1, "Send LHLO first")
}
pub(crate) fn send_ehlo_first() -> Reply {
    reply(503, 5, 5, 1, "Send EHLO first")
}
pub(crate) fn nested_mail() -> Reply {
    reply(503, 5, 5, 1, "Sender already specified")
}
pub(crate) fn need_mail() -> Reply {
    reply(503, 5, 5, 1, "Need MAIL command")
}
pub(crate) fn need_rcpt() -> Reply {
    reply(554, 5, 5, 1, "No valid recipients")
}
pub(crate) fn bdat_in_progress() -> Reply {
    reply(503, 5, 5, 1, "BDAT transfer in progress")
}
pub(crate) fn binarymime_needs_bdat() -> Reply {
    reply(503, 5, 5, 1, "BODY=BINARYMIME requires BDAT")
}
pub(crate) fn tls_already_active() -> Reply {
    reply(503, 5, 5, 1, "TLS already active")
}
pub(crate) fn not_in_transaction() -> Reply {
    reply(503, 5, 5, 1, "Not permitted during a mail transaction")
}
pub(crate) fn must_starttls() -> Reply {
    reply(530, 5, 7, 0, "Must issue a STARTTLS command first")
}
pub(crate) fn auth_required() -> Reply {
    reply(530, 5, 7, 0, "Authentication required")
}
pub(crate) fn too_many_recipients() -> Reply {
    reply(452, 4, 5, 3, "Too many recipients")
}
pub(crate) fn message_too_big() -> Reply {
    reply(
        552,
        5,
        3,
        4,
        "Message size exceeds fixed maximum message size",
    )
}
pub(crate) fn bare_line_ending() -> Reply {
    reply(
        550,
        5,
        6,
        0,
        "Message contains bare CR or LF; lines must end with CRLF",
    )
}
pub(crate) fn unsupported_parameter() -> Reply {
    reply(555, 5, 5, 4, "Unsupported parameter")
}
pub(crate) fn utf8_needs_smtputf8() -> Reply {
    reply(
        553,
        5,
        6,
        7,
        "Non-ASCII addresses require the SMTPUTF8 parameter",
    )
}
pub(crate) fn too_many_errors(hostname: &str) -> Reply {
    Reply::new(
        421,
        Some(EnhancedCode::new(4, 7, 0)),
        format!("{hostname} Too many errors, closing connection"),
    )
}
pub(crate) fn timeout(hostname: &str) -> Reply {
    Reply::new(
        421,
        Some(EnhancedCode::new(4, 4, 2)),
        format!("{hostname} Timeout, closing connection"),
    )
}
pub(crate) fn shutting_down(hostname: &str) -> Reply {
    Reply::new(
        421,
        Some(EnhancedCode::new(4, 3, 2)),
        format!("{hostname} Service shutting down, closing connection"),
    )
}
pub(crate) fn local_error() -> Reply {
    reply(
        451,
        4,
        3,
        0,
        "Requested action aborted: local error in processing",
    )
}

pub(crate) fn auth_not_enabled() -> Reply {
    reply(503, 5, 5, 1, "Authentication not enabled")
}
pub(crate) fn already_authenticated() -> Reply {
    reply(503, 5, 5, 1, "Already authenticated")
}
pub(crate) fn auth_needs_tls() -> Reply {
    reply(
        538,
        5,
        7,
        11,
        "Encryption required for requested authentication mechanism",
    )
}
pub(crate) fn unknown_mechanism() -> Reply {
    reply(504, 5, 5, 4, "Unrecognized authentication type")
}
pub(crate) fn auth_cancelled() -> Reply {
    reply(501, 5, 0, 0, "Authentication cancelled")
}
pub(crate) fn auth_malformed() -> Reply {
    reply(501, 5, 5, 2, "Invalid authentication response")
}
pub(crate) fn auth_failed() -> Reply {
    reply(535, 5, 7, 8, "Authentication credentials invalid")
}
pub(crate) fn auth_temporary() -> Reply {
    reply(454, 4, 7, 0, "Temporary authentication failure")
}
