//! The CAPA response (RFC 2449 §5): one capability per line.
//!
//! ```
//! use bytes::BytesMut;
//! use pop3_proto::Capabilities;
//!
//! let mut caps = Capabilities::default();
//! caps.top = true;
//! caps.uidl = true;
//! caps.sasl = vec!["SCRAM-SHA-256".to_string(), "PLAIN".to_string()];
//! caps.stls = true;
//! let mut out = BytesMut::new();
//! caps.encode(&mut out);
//! assert_eq!(
//!     &out[..],
//!     &b"+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\nSASL SCRAM-SHA-256 PLAIN\r\n.\r\n"[..]
//! );
//! let lines = ["TOP", "UIDL", "STLS", "SASL SCRAM-SHA-256 PLAIN"];
//! assert_eq!(Capabilities::parse_lines(lines), caps);
//! ```

use bytes::BytesMut;

/// `EXPIRE` (RFC 2449 §6.7): how long the server keeps messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Expire {
    /// Days a retrieved message is kept; `None` is `NEVER` (kept until
    /// deleted), `Some(0)` means messages are deleted when retrieved.
    pub days: Option<u64>,
    /// `USER`: the value varies by user (only in the AUTHORIZATION state).
    pub per_user: bool,
}

/// `LOGIN-DELAY` (RFC 2449 §6.5): the shortest time between logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoginDelay {
    /// Seconds.
    pub seconds: u64,
    /// `USER`: the value varies by user (only in the AUTHORIZATION state).
    pub per_user: bool,
}

/// What a server offers in one state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// `TOP`
    pub top: bool,
    /// `UIDL`
    pub uidl: bool,
    /// `RESP-CODES` (RFC 2449 §6.4)
    pub resp_codes: bool,
    /// `AUTH-RESP-CODE` (RFC 3206)
    pub auth_resp_code: bool,
    /// `PIPELINING` (RFC 2449 §6.6)
    pub pipelining: bool,
    /// `EXPIRE`
    pub expire: Option<Expire>,
    /// `LOGIN-DELAY`
    pub login_delay: Option<LoginDelay>,
    /// `UTF8` (RFC 6856 §2)
    pub utf8: bool,
    /// `UTF8 USER`: user names and passwords may be UTF-8 (implies `utf8`).
    pub utf8_user: bool,
    /// `STLS` (RFC 2595)
    pub stls: bool,
    /// `USER`: USER/PASS is available.
    pub user: bool,
    /// `SASL` mechanisms (RFC 5034), in the order offered. Empty: no `SASL` line.
    pub sasl: Vec<String>,
    /// `IMPLEMENTATION` text (RFC 2449 §6.9).
    pub implementation: Option<String>,
    /// Any other capability lines, verbatim.
    pub other: Vec<String>,
}

impl Capabilities {
    /// The capability lines, without line ends, in a fixed order.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut flag = |on: bool, name: &str| {
            if on {
                lines.push(name.to_string());
            }
        };
        flag(self.top, "TOP");
        flag(self.uidl, "UIDL");
        flag(self.resp_codes, "RESP-CODES");
        flag(self.auth_resp_code, "AUTH-RESP-CODE");
        flag(self.pipelining, "PIPELINING");
        if let Some(expire) = self.expire {
            let days = expire
                .days
                .map_or_else(|| "NEVER".to_string(), |days| days.to_string());
            lines.push(with_user(format!("EXPIRE {days}"), expire.per_user));
        }
        if let Some(delay) = self.login_delay {
            lines.push(with_user(
                format!("LOGIN-DELAY {}", delay.seconds),
                delay.per_user,
            ));
        }
        if self.utf8_user {
            lines.push("UTF8 USER".to_string());
        } else if self.utf8 {
            lines.push("UTF8".to_string());
        }
        if self.stls {
            lines.push("STLS".to_string());
        }
        if self.user {
            lines.push("USER".to_string());
        }
        if !self.sasl.is_empty() {
            lines.push(format!("SASL {}", self.sasl.join(" ")));
        }
        if let Some(implementation) = &self.implementation {
            lines.push(format!("IMPLEMENTATION {implementation}"));
        }
        lines.extend(self.other.iter().cloned());
        lines
    }

    /// Appends the whole CAPA response: `+OK`, the lines (dot-stuffed, with
    /// CR and LF inside a line replaced by spaces) and the terminating `.`.
    pub fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(b"+OK Capability list follows\r\n");
        for line in self.lines() {
            if line.starts_with('.') {
                out.extend_from_slice(b".");
            }
            out.extend_from_slice(line.replace(['\r', '\n'], " ").as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }

    /// Reads capability lines (already unstuffed, without line ends, without
    /// the `+OK` line and the terminator). Names are case-insensitive;
    /// malformed lines of known capabilities and unknown ones land in
    /// [`other`](Self::other).
    pub fn parse_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Self {
        let mut caps = Self::default();
        for line in lines {
            if !caps.parse_line(line) {
                caps.other.push(line.to_string());
            }
        }
        caps
    }

    fn parse_line(&mut self, line: &str) -> bool {
        let mut words = line.split(' ');
        let name = words.next().unwrap_or_default().to_ascii_uppercase();
        let args: Vec<&str> = words.collect();
        match (name.as_str(), args.as_slice()) {
            ("TOP", []) => self.top = true,
            ("UIDL", []) => self.uidl = true,
            ("RESP-CODES", []) => self.resp_codes = true,
            ("AUTH-RESP-CODE", []) => self.auth_resp_code = true,
            ("PIPELINING", []) => self.pipelining = true,
            ("STLS", []) => self.stls = true,
            ("USER", []) => self.user = true,
            ("UTF8", []) => self.utf8 = true,
            ("UTF8", [user]) if user.eq_ignore_ascii_case("USER") => {
                self.utf8 = true;
                self.utf8_user = true;
            }
            ("SASL", mechs) if !mechs.is_empty() && mechs.iter().all(|m| !m.is_empty()) => {
                self.sasl.extend(mechs.iter().map(|m| (*m).to_string()));
            }
            ("IMPLEMENTATION", _) if line.len() > "IMPLEMENTATION ".len() => {
                self.implementation = Some(line["IMPLEMENTATION ".len()..].to_string());
            }
            ("EXPIRE", [days, rest @ ..]) => {
                let Some(per_user) = user_suffix(rest) else {
                    return false;
                };
                let days = if days.eq_ignore_ascii_case("NEVER") {
                    None
                } else {
                    match decimal(days) {
                        Some(days) => Some(days),
                        None => return false,
                    }
                };
                self.expire = Some(Expire { days, per_user });
            }
            ("LOGIN-DELAY", [seconds, rest @ ..]) => {
                let (Some(per_user), Some(seconds)) = (user_suffix(rest), decimal(seconds)) else {
                    return false;
                };
                self.login_delay = Some(LoginDelay { seconds, per_user });
            }
            _ => return false,
        }
        true
    }
}

fn with_user(line: String, per_user: bool) -> String {
    if per_user { line + " USER" } else { line }
}

/// `[]` → not per user, `["USER"]` → per user, anything else is malformed.
fn user_suffix(rest: &[&str]) -> Option<bool> {
    match rest {
        [] => Some(false),
        [user] if user.eq_ignore_ascii_case("USER") => Some(true),
        _ => None,
    }
}

fn decimal(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}
