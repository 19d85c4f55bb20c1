//! The responses the session writes, with their RFC 2449/3206 codes. None
//! carries internal error text.

use crate::resp_code::RespCode;
use crate::response::Response;

pub(crate) fn ok() -> Response {
    Response::ok("")
}
pub(crate) fn mechanism_list() -> Response {
    Response::ok("Supported SASL mechanisms follow")
}
pub(crate) fn begin_tls() -> Response {
    Response::ok("Begin TLS negotiation now")
}
pub(crate) fn utf8_enabled() -> Response {
    Response::ok("UTF8 enabled")
}
pub(crate) fn user_accepted() -> Response {
    Response::ok("Send your password")
}
pub(crate) fn logged_in(count: usize, octets: u64) -> Response {
    Response::ok(format!("Logged in, {count} messages ({octets} octets)"))
}
pub(crate) fn stat(count: usize, octets: u64) -> Response {
    // RFC 1939 §5: exactly "+OK nn mm", clients parse it.
    Response::ok(format!("{count} {octets}"))
}
pub(crate) fn listing(count: usize, octets: u64) -> Response {
    Response::ok(format!("{count} messages ({octets} octets)"))
}
pub(crate) fn unique_ids() -> Response {
    Response::ok("Unique-ID listing follows")
}
pub(crate) fn retrieving(size: u64) -> Response {
    Response::ok(format!("{size} octets"))
}
pub(crate) fn top() -> Response {
    Response::ok("Top of message follows")
}
pub(crate) fn deleted(number: usize) -> Response {
    Response::ok(format!("message {number} deleted"))
}
pub(crate) fn reset(count: usize, octets: u64) -> Response {
    Response::ok(format!("maildrop has {count} messages ({octets} octets)"))
}
pub(crate) fn signing_off(hostname: &str) -> Response {
    Response::ok(format!("{hostname} POP3 server signing off"))
}
pub(crate) fn signing_off_after_update(hostname: &str, left: usize) -> Response {
    if left == 0 {
        Response::ok(format!(
            "{hostname} POP3 server signing off (maildrop empty)"
        ))
    } else {
        Response::ok(format!(
            "{hostname} POP3 server signing off ({left} messages left)"
        ))
    }
}

pub(crate) fn unknown_command() -> Response {
    Response::err(None, "Unknown command")
}
pub(crate) fn syntax_error() -> Response {
    Response::err(None, "Syntax error in arguments")
}
pub(crate) fn argument_too_long() -> Response {
    Response::err(None, "Argument too long")
}
pub(crate) fn line_too_long() -> Response {
    Response::err(None, "Line too long")
}
pub(crate) fn not_utf8() -> Response {
    Response::err(Some(RespCode::Utf8), "Argument is not valid UTF-8")
}
pub(crate) fn not_authenticated() -> Response {
    Response::err(None, "Not valid before login")
}
pub(crate) fn already_authenticated() -> Response {
    Response::err(None, "Not valid after login")
}
pub(crate) fn not_available() -> Response {
    Response::err(None, "Command not available")
}
pub(crate) fn tls_active() -> Response {
    Response::err(None, "TLS is already active")
}
pub(crate) fn too_many_errors() -> Response {
    Response::err(None, "Too many bad commands, closing connection")
}
pub(crate) fn no_user() -> Response {
    Response::err(None, "No username given")
}
pub(crate) fn plaintext_disallowed() -> Response {
    Response::err(
        Some(RespCode::Auth),
        "Plaintext authentication disallowed on non-secure (SSL/TLS) connections",
    )
}
pub(crate) fn auth_failed() -> Response {
    Response::err(Some(RespCode::Auth), "Authentication failed")
}
pub(crate) fn auth_temporary() -> Response {
    Response::err(Some(RespCode::SysTemp), "Temporary authentication failure")
}
pub(crate) fn auth_cancelled() -> Response {
    Response::err(None, "Authentication cancelled")
}
pub(crate) fn auth_malformed() -> Response {
    Response::err(None, "Invalid authentication response")
}
pub(crate) fn auth_line_too_long() -> Response {
    Response::err(None, "Authentication response too long")
}
pub(crate) fn unknown_mechanism() -> Response {
    Response::err(None, "Unsupported authentication mechanism")
}
pub(crate) fn in_use() -> Response {
    Response::err(
        Some(RespCode::InUse),
        "Maildrop is locked by another session",
    )
}
pub(crate) fn login_delay() -> Response {
    Response::err(Some(RespCode::LoginDelay), "Logged in too recently")
}
pub(crate) fn open_temporary() -> Response {
    Response::err(
        Some(RespCode::SysTemp),
        "Unable to open maildrop, try again later",
    )
}
pub(crate) fn open_permanent() -> Response {
    Response::err(Some(RespCode::SysPerm), "Unable to open maildrop")
}
pub(crate) fn no_such_message(count: usize) -> Response {
    Response::err(
        None,
        format!("no such message, only {count} messages in maildrop"),
    )
}
pub(crate) fn already_deleted(number: usize) -> Response {
    Response::err(None, format!("message {number} already deleted"))
}
pub(crate) fn retrieve_failed() -> Response {
    Response::err(Some(RespCode::SysTemp), "Unable to read message")
}
pub(crate) fn commit_failed() -> Response {
    Response::err(
        Some(RespCode::SysTemp),
        "Some deleted messages were not removed",
    )
}
pub(crate) fn shutting_down() -> Response {
    Response::err(Some(RespCode::SysTemp), "Server shutting down")
}
