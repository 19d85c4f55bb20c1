//! Replies: a three-digit code, an optional enhanced status code (RFC 3463)
//! and one or more lines of text.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use bytes::BytesMut;

/// An enhanced mail system status code, `class.subject.detail` (RFC 3463).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    pub class: u8,
    /// The subject, 0–999.
    pub subject: u16,
    /// The detail, 0–999.
    pub detail: u16,
}

impl EnhancedCode {
    /// `class.subject.detail`.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        Self {
            class,
            subject,
            detail,
        }
    }

    /// Parses `class.subject.detail` by the grammar of RFC 3463 §2: class
    /// 2, 4 or 5; subject and detail 0–999 without leading zeros.
    ///
    /// ```
    /// use smtp_proto::EnhancedCode;
    /// assert_eq!(EnhancedCode::parse("5.1.1"), Some(EnhancedCode::new(5, 1, 1)));
    /// assert_eq!(EnhancedCode::parse("2.01.0"), None);
    /// assert_eq!(EnhancedCode::parse("3.0.0"), None);
    /// ```
    pub fn parse(text: &str) -> Option<EnhancedCode> {
        let mut parts = text.split('.');
        let class = match parts.next()? {
            "2" => 2,
            "4" => 4,
            "5" => 5,
            _ => return None,
        };
        let subject = code_number(parts.next()?)?;
        let detail = code_number(parts.next()?)?;
        match parts.next() {
            Some(_) => None,
            None => Some(Self::new(class, subject, detail)),
        }
    }
}

/// `"0" / (%x31-39 0*2DIGIT)`: the digit check comes first because
/// `str::parse` would also take `+1` and `007`.
fn code_number(text: &str) -> Option<u16> {
    let valid = match text.as_bytes() {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.len() <= 2 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if valid { text.parse().ok() } else { None }
}

impl fmt::Display for EnhancedCode {
    /// `class.subject.detail`, as on the wire: `5.1.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A server reply.
///
/// Text lines never contain CR or LF: [`Reply::new`], [`Reply::line`] and
/// [`Reply::with_lines`] replace them with spaces, so reply text cannot
/// inject lines. [`Reply::encode`] writes the wire form; `Display` shows the
/// same without the final CRLF.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: u16,
    enhanced: Option<EnhancedCode>,
    lines: Vec<Cow<'static, str>>,
}

fn clean(text: Cow<'static, str>) -> Cow<'static, str> {
    if text.bytes().any(|b| b == b'\r' || b == b'\n') {
        Cow::Owned(text.replace(['\r', '\n'], " "))
    } else {
        text
    }
}

impl Reply {
    /// A one-line reply. `code` is clamped into 200–599.
    pub fn new(
        code: u16,
        enhanced: Option<EnhancedCode>,
        text: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            code: code.clamp(200, 599),
            enhanced,
            lines: vec![clean(text.into())],
        }
    }

    /// A reply of several lines; no lines at all gives one empty line.
    /// `code` is clamped into 200–599.
    ///
    /// ```
    /// use smtp_proto::Reply;
    /// let reply = Reply::with_lines(250, None, ["mail.example.com", "PIPELINING"]);
    /// assert_eq!(reply.to_string(), "250-mail.example.com\r\n250 PIPELINING");
    /// ```
    pub fn with_lines<I, T>(code: u16, enhanced: Option<EnhancedCode>, lines: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<Cow<'static, str>>,
    {
        let mut lines: Vec<_> = lines.into_iter().map(|text| clean(text.into())).collect();
        if lines.is_empty() {
            lines.push(Cow::Borrowed(""));
        }
        Self {
            code: code.clamp(200, 599),
            enhanced,
            lines,
        }
    }

    /// Adds a line of text (the reply becomes multi-line).
    pub fn line(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.lines.push(clean(text.into()));
        self
    }

    /// The reply code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The enhanced status code, if any.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The text lines (at least one, possibly empty).
    pub fn lines(&self) -> &[Cow<'static, str>] {
        &self.lines
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        self.code / 100 == 2
    }

    /// 3xx: the server waits for more (354 after DATA, 334 during AUTH).
    pub fn is_intermediate(&self) -> bool {
        self.code / 100 == 3
    }

    /// 4xx.
    pub fn is_transient(&self) -> bool {
        self.code / 100 == 4
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        self.code / 100 == 5
    }

    /// Appends the reply in its wire form (RFC 5321 §4.2): `CODE-text` for
    /// every line but the last, `CODE text` for the last, each ending in
    /// CRLF. With an enhanced code every line carries it (RFC 2034):
    /// `CODE-X.Y.Z text`. A line with no text is just the code (and the
    /// enhanced code), with no trailing space.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use smtp_proto::{EnhancedCode, Reply};
    /// let mut out = BytesMut::new();
    /// Reply::new(550, Some(EnhancedCode::new(5, 1, 1)), "No such user")
    ///     .line("Try again later")
    ///     .encode(&mut out);
    /// assert_eq!(&out[..], b"550-5.1.1 No such user\r\n550 5.1.1 Try again later\r\n");
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        // Writing into a BytesMut cannot fail: it grows as needed.
        let _ = write!(out, "{self}\r\n");
    }
}

impl fmt::Display for Reply {
    /// The wire form of [`Reply::encode`] without the final CRLF: lines are
    /// separated by CRLF, so `format!("{reply}\r\n")` is exactly what
    /// `encode` writes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.lines.len().saturating_sub(1);
        for (i, text) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str("\r\n")?;
            }
            let separator = if i == last { ' ' } else { '-' };
            write!(f, "{}", self.code)?;
            match self.enhanced {
                Some(enhanced) if text.is_empty() => write!(f, "{separator}{enhanced}")?,
                Some(enhanced) => write!(f, "{separator}{enhanced} {text}")?,
                // The last line needs no separator, and RFC 5321 §4.2 shows
                // a bare code for a reply without text.
                None if text.is_empty() && i == last => {}
                None => write!(f, "{separator}{text}")?,
            }
        }
        Ok(())
    }
}
