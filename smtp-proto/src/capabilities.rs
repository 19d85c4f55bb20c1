//! EHLO keywords (RFC 5321 §4.1.1.1): what a server advertises and what a
//! client learns from it.

use crate::reply::Reply;

/// The service extensions of an EHLO reply.
///
/// A server builds its EHLO reply with [`Capabilities::ehlo_reply`]; a
/// client reads the server's with [`Capabilities::from_ehlo`].
///
/// ```
/// use smtp_proto::Capabilities;
/// let caps = Capabilities {
///     pipelining: true,
///     size: Some(10_240_000),
///     auth: vec!["PLAIN".into()],
///     ..Capabilities::default()
/// };
/// let reply = caps.ehlo_reply("mail.example.com", "Hello");
/// assert_eq!(
///     reply.to_string(),
///     "250-mail.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 AUTH PLAIN"
/// );
/// assert_eq!(Capabilities::from_ehlo(&reply), caps);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// SIZE (RFC 1870) and its limit in bytes; `Some(0)` is SIZE without a
    /// fixed limit.
    pub size: Option<u64>,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// CHUNKING: the BDAT command (RFC 3030).
    pub chunking: bool,
    /// BINARYMIME (RFC 3030).
    pub binary_mime: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH (RFC 4954): the SASL mechanism names; empty when AUTH is not
    /// offered.
    pub auth: Vec<String>,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// REQUIRETLS (RFC 8689).
    pub require_tls: bool,
    /// ETRN (RFC 1985).
    pub etrn: bool,
    /// HELP.
    pub help: bool,
    /// Every other keyword, upper-cased, with its parameters, in the order
    /// received.
    pub other: Vec<(String, Vec<String>)>,
}

impl Capabilities {
    /// Reads an EHLO reply. The first line (`domain [greeting]`) is skipped;
    /// keywords are case-insensitive. Both `AUTH PLAIN LOGIN` and the legacy
    /// `AUTH=PLAIN LOGIN` (still sent by servers for old Outlook clients)
    /// add mechanisms, merged without duplicates. A SIZE value that is not a
    /// number counts as SIZE without a limit. A reply that is not 2xx
    /// advertises nothing.
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        if !reply.is_success() {
            return caps;
        }
        for line in reply.lines().iter().skip(1) {
            let mut words = line.split_ascii_whitespace();
            let Some(word) = words.next() else {
                continue;
            };
            let keyword = word.to_ascii_uppercase();
            if keyword.starts_with("AUTH=") {
                // The mechanism comes from `word`, not the upper-cased copy,
                // so that both spellings of AUTH give the same names.
                let first = word.get("AUTH=".len()..).unwrap_or_default();
                caps.add_auth(std::iter::once(first).chain(words));
                continue;
            }
            match keyword.as_str() {
                "SIZE" => caps.size = Some(words.next().and_then(parse_size).unwrap_or(0)),
                "PIPELINING" => caps.pipelining = true,
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "CHUNKING" => caps.chunking = true,
                "BINARYMIME" => caps.binary_mime = true,
                "STARTTLS" => caps.starttls = true,
                "AUTH" => caps.add_auth(words),
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                "DSN" => caps.dsn = true,
                "REQUIRETLS" => caps.require_tls = true,
                "ETRN" => caps.etrn = true,
                "HELP" => caps.help = true,
                _ => caps
                    .other
                    .push((keyword, words.map(str::to_owned).collect())),
            }
        }
        caps
    }

    /// The EHLO reply advertising these capabilities: `250-domain greeting`,
    /// then one line per keyword in a fixed order (PIPELINING, SIZE,
    /// 8BITMIME, SMTPUTF8, CHUNKING, BINARYMIME, STARTTLS, AUTH,
    /// ENHANCEDSTATUSCODES, DSN, REQUIRETLS, ETRN, HELP, then `other`).
    /// SIZE without a limit is a bare `SIZE`, AUTH with no mechanisms is
    /// left out, and there is no enhanced status code (RFC 2034 §3 leaves
    /// EHLO replies without one).
    ///
    /// [`Capabilities::from_ehlo`] reads back the same capabilities when
    /// they are canonical: mechanism names and parameters are non-empty
    /// words without whitespace, mechanisms are distinct ignoring case, and
    /// `other` holds only upper-case keywords that are not among the fields.
    pub fn ehlo_reply(&self, domain: &str, greeting: &str) -> Reply {
        let mut lines = vec![if greeting.is_empty() {
            domain.to_owned()
        } else {
            format!("{domain} {greeting}")
        }];
        let flag = |on: bool, keyword: &str| on.then(|| keyword.to_owned());
        let size = self.size.map(|limit| match limit {
            0 => "SIZE".to_owned(),
            _ => format!("SIZE {limit}"),
        });
        let auth = (!self.auth.is_empty()).then(|| format!("AUTH {}", self.auth.join(" ")));
        let keywords = [
            flag(self.pipelining, "PIPELINING"),
            size,
            flag(self.eight_bit_mime, "8BITMIME"),
            flag(self.smtputf8, "SMTPUTF8"),
            flag(self.chunking, "CHUNKING"),
            flag(self.binary_mime, "BINARYMIME"),
            flag(self.starttls, "STARTTLS"),
            auth,
            flag(self.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            flag(self.dsn, "DSN"),
            flag(self.require_tls, "REQUIRETLS"),
            flag(self.etrn, "ETRN"),
            flag(self.help, "HELP"),
        ];
        lines.extend(keywords.into_iter().flatten());
        lines.extend(self.other.iter().map(|(keyword, params)| {
            let mut line = keyword.clone();
            for param in params {
                line.push(' ');
                line.push_str(param);
            }
            line
        }));
        Reply::with_lines(250, None, lines)
    }

    /// The parameters of an extension kept in [`Capabilities::other`],
    /// looked up case-insensitively.
    ///
    /// ```
    /// use smtp_proto::{Capabilities, Reply};
    /// let reply = Reply::new(250, None, "mx.example.com").line("X-EXPS GSSAPI NTLM");
    /// let caps = Capabilities::from_ehlo(&reply);
    /// assert_eq!(caps.extension("x-exps"), Some(&["GSSAPI".to_string(), "NTLM".to_string()][..]));
    /// assert_eq!(caps.extension("VRFY"), None);
    /// ```
    pub fn extension(&self, keyword: &str) -> Option<&[String]> {
        self.other
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(keyword))
            .map(|(_, params)| &params[..])
    }

    fn add_auth<'a>(&mut self, mechanisms: impl Iterator<Item = &'a str>) {
        for mechanism in mechanisms {
            let known = self
                .auth
                .iter()
                .any(|have| have.eq_ignore_ascii_case(mechanism));
            if !mechanism.is_empty() && !known {
                self.auth.push(mechanism.to_owned());
            }
        }
    }
}

/// `1*DIGIT` (RFC 1870 §4); `str::parse` alone would also take `+5`.
fn parse_size(value: &str) -> Option<u64> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        value.parse().ok()
    } else {
        None
    }
}
