//! The `Received:` trace field (RFC 5321 §4.4), and the queue ids that
//! name a transaction in it and in the log.

use std::fmt::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a `Received:` field says about one transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trace<'a> {
    /// The EHLO/HELO/LHLO name.
    pub(crate) hello: Option<&'a str>,
    /// The client's address.
    pub(crate) peer: Option<IpAddr>,
    /// Our name.
    pub(crate) hostname: &'a str,
    /// RFC 3848's `with` keyword (ESMTPSA, LMTP, …).
    pub(crate) protocol: &'a str,
    /// The TLS version and cipher, when protected.
    pub(crate) tls: Option<(&'a str, &'a str)>,
    /// The queue id.
    pub(crate) id: &'a str,
    /// The recipient, given only when there is exactly one (so that a
    /// Bcc recipient is not shown to the others).
    pub(crate) recipient: Option<&'a str>,
    /// When the message arrived.
    pub(crate) time: SystemTime,
}

impl Trace<'_> {
    /// The whole field, folded, ending in CRLF.
    pub(crate) fn field(&self) -> String {
        let mut field = String::with_capacity(256);
        let hello = self.hello.map_or_else(|| "unknown".to_owned(), printable);
        let _ = write!(field, "Received: from {hello}");
        match self.peer {
            Some(IpAddr::V4(ip)) => {
                let _ = write!(field, " ([{ip}])");
            }
            Some(IpAddr::V6(ip)) => {
                let _ = write!(field, " ([IPv6:{ip}])");
            }
            None => {}
        }
        if let Some((version, cipher)) = self.tls {
            let _ = write!(field, "\r\n\t(using {version} with cipher {cipher})");
        }
        let _ = write!(
            field,
            "\r\n\tby {} (Mailwright) with {} id {}",
            self.hostname, self.protocol, self.id
        );
        if let Some(recipient) = self.recipient {
            let _ = write!(field, "\r\n\tfor <{}>", printable(recipient));
        }
        let seconds = self
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let date = mail_parser::DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(0));
        let _ = write!(field, "; {}\r\n", date.to_rfc822());
        field
    }
}

/// `text` with anything that could break the field's syntax (controls,
/// parentheses, backslashes, non-ASCII) replaced by `?`.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '(' | ')' | '\\' | ';') {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Queue ids: upper-case hex, growing, unique across restarts (they
/// start from the clock in microseconds).
#[derive(Debug)]
pub(crate) struct QueueIds {
    next: AtomicU64,
}

impl QueueIds {
    pub(crate) fn new() -> QueueIds {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        QueueIds {
            next: AtomicU64::new(micros),
        }
    }

    pub(crate) fn next(&self) -> String {
        format!("{:X}", self.next.fetch_add(1, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_field_with_everything() {
        let trace = Trace {
            hello: Some("client.example"),
            peer: Some("192.0.2.7".parse().unwrap()),
            hostname: "mx.example.org",
            protocol: "ESMTPSA",
            tls: Some(("TLSv1.3", "TLS13_AES_256_GCM_SHA384")),
            id: "5F3A2B",
            recipient: Some("alice@example.org"),
            time: UNIX_EPOCH + Duration::from_secs(1_000_000_000),
        };
        assert_eq!(
            trace.field(),
            "Received: from client.example ([192.0.2.7])\r\n\
             \t(using TLSv1.3 with cipher TLS13_AES_256_GCM_SHA384)\r\n\
             \tby mx.example.org (Mailwright) with ESMTPSA id 5F3A2B\r\n\
             \tfor <alice@example.org>; Sun, 9 Sep 2001 01:46:40 +0000\r\n"
        );
    }

    #[test]
    fn hostile_names_cannot_break_the_field() {
        let trace = Trace {
            hello: Some("x)\r\nBcc: y"),
            peer: Some("::1".parse().unwrap()),
            hostname: "h",
            protocol: "SMTP",
            tls: None,
            id: "1",
            recipient: None,
            time: UNIX_EPOCH,
        };
        let field = trace.field();
        assert!(
            field.starts_with("Received: from x???Bcc:?y ([IPv6:::1])\r\n\tby h"),
            "{field}"
        );
        assert_eq!(field.matches("\r\n").count(), 2);
    }

    #[test]
    fn ids_grow() {
        let ids = QueueIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert!(u64::from_str_radix(&b, 16).unwrap() > u64::from_str_radix(&a, 16).unwrap());
    }
}
