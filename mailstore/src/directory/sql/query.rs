//! Lookup queries with Postfix's `%s`/`%u`/`%d` placeholders, turned into
//! bound parameters of the database's own syntax.
//!
//! A placeholder is never pasted into the SQL text. A placeholder outside a
//! string literal becomes a parameter (`?`, or `$n` for PostgreSQL); a
//! string literal that holds placeholders (`'%s'`, `'%u@%d'`) becomes as a
//! whole one parameter whose value is the literal with the placeholders
//! expanded. So the queries of Postfix's `mysql_table(5)` maps and of
//! Dovecot's `dovecot-sql.conf.ext`, quotes and all, work as written and a
//! key full of quotes is only ever data.

use std::fmt::Write as _;

/// The SQL dialect a query is written for: how parameters are spelled
/// and how string literals escape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?` parameters, `''` in literals.
    Sqlite,
    /// PostgreSQL: `$1`, `$2`… parameters, `''` in literals.
    Postgres,
    /// MySQL and MariaDB: `?` parameters, `''` and backslash escapes.
    MySql,
}

/// What a parameter is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text copied as is.
    Text(String),
    /// `%s`: the whole key.
    Key,
    /// `%u` (`%n`): the local part.
    Local,
    /// `%d`: the domain.
    Domain,
}

/// A lookup key split the way Postfix does for `%u` and `%d`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key<'a> {
    full: &'a str,
    local: Option<&'a str>,
    domain: Option<&'a str>,
}

impl<'a> Key<'a> {
    /// An address (`alice@example.org`), a catch-all (`@example.org`) or a
    /// bare name. As in Postfix, `%u` of a key without `@` is the whole
    /// key, and `%d` of it suppresses the query; an empty local part
    /// (a catch-all) suppresses a query that uses `%u`.
    pub(crate) fn address(full: &'a str) -> Key<'a> {
        match full.rsplit_once('@') {
            Some((local, domain)) => Key {
                full,
                local: Some(local).filter(|l| !l.is_empty()),
                domain: Some(domain).filter(|d| !d.is_empty()),
            },
            None => Key {
                full,
                local: Some(full).filter(|l| !l.is_empty()),
                domain: None,
            },
        }
    }

    /// A domain name: `%s` and `%d` are the domain, `%u` suppresses.
    pub(crate) fn domain(domain: &'a str) -> Key<'a> {
        Key {
            full: domain,
            local: None,
            domain: Some(domain),
        }
    }
}

/// A query compiled for one dialect: its SQL with parameter markers and,
/// for each marker, how to compute its value from a key.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    sql: String,
    params: Vec<Vec<Piece>>,
}

impl Template {
    /// Compiles `source`. The error says what is wrong with the query
    /// (an unknown `%` sequence, an unterminated literal, a `?` of its
    /// own); it holds no key, as there is none yet.
    pub(crate) fn compile(source: &str, dialect: Dialect) -> Result<Template, String> {
        let mut out = Template {
            sql: String::with_capacity(source.len()),
            params: Vec::new(),
        };
        let chars: Vec<char> = source.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\'' => {
                    let (end, raw) = literal(&chars, i, dialect)?;
                    let pieces = literal_pieces(&raw, dialect)?;
                    if pieces.iter().any(|p| !matches!(p, Piece::Text(_))) {
                        out.push_param(pieces, dialect);
                    } else {
                        out.sql.push('\'');
                        out.sql.push_str(&raw.replace("%%", "%"));
                        out.sql.push('\'');
                    }
                    i = end;
                }
                '"' | '`' => {
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&d| d == c)
                        .ok_or("unterminated quoted identifier")?
                        + i
                        + 2;
                    out.sql.extend(&chars[i..end]);
                    i = end;
                }
                '-' if chars.get(i + 1) == Some(&'-') => {
                    let end = chars[i..]
                        .iter()
                        .position(|&d| d == '\n')
                        .map_or(chars.len(), |p| p + i);
                    out.sql.extend(&chars[i..end]);
                    i = end;
                }
                '%' => {
                    let (piece, len) = placeholder(&chars[i..])?;
                    match piece {
                        Piece::Text(text) => out.sql.push_str(&text),
                        piece => out.push_param(vec![piece], dialect),
                    }
                    i += len;
                }
                '?' => return Err("write keys as %s, %u or %d, not as ?".into()),
                '$' if chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                    return Err("write keys as %s, %u or %d, not as $n".into());
                }
                c => {
                    out.sql.push(c);
                    i += 1;
                }
            }
        }
        Ok(out)
    }

    fn push_param(&mut self, pieces: Vec<Piece>, dialect: Dialect) {
        self.params.push(pieces);
        match dialect {
            Dialect::Postgres => {
                let _ = write!(self.sql, "${}", self.params.len());
            }
            Dialect::Sqlite | Dialect::MySql => self.sql.push('?'),
        }
    }

    /// The SQL text, with the dialect's parameter markers.
    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    /// The parameter values for `key`, in order; `None` when the key lacks
    /// a part the query needs (Postfix then skips the query: no result).
    pub(crate) fn bind(&self, key: &Key<'_>) -> Option<Vec<String>> {
        self.params
            .iter()
            .map(|pieces| {
                let mut value = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Text(text) => value.push_str(text),
                        Piece::Key => value.push_str(key.full),
                        Piece::Local => value.push_str(key.local?),
                        Piece::Domain => value.push_str(key.domain?),
                    }
                }
                Some(value)
            })
            .collect()
    }
}

/// The literal starting at `chars[start]` (a `'`): the index after its
/// closing quote and its raw text between the quotes.
fn literal(chars: &[char], start: usize, dialect: Dialect) -> Result<(usize, String), String> {
    let mut raw = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err("unterminated string literal".into()),
            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                raw.push_str("''");
                i += 2;
            }
            Some('\'') => return Ok((i + 1, raw)),
            Some('\\') if dialect == Dialect::MySql => {
                raw.push('\\');
                if let Some(&next) = chars.get(i + 1) {
                    raw.push(next);
                }
                i += 2;
            }
            Some(&c) => {
                raw.push(c);
                i += 1;
            }
        }
    }
}

/// The value of a literal's raw text, split into text and placeholders.
fn literal_pieces(raw: &str, dialect: Dialect) -> Result<Vec<Piece>, String> {
    let chars: Vec<char> = raw.chars().collect();
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\'' => {
                // Always doubled here (see `literal`).
                text.push('\'');
                i += 2;
            }
            '\\' if dialect == Dialect::MySql => {
                let next = chars.get(i + 1).copied().unwrap_or('\\');
                match next {
                    '0' => text.push('\0'),
                    'n' => text.push('\n'),
                    'r' => text.push('\r'),
                    't' => text.push('\t'),
                    'b' => text.push('\u{8}'),
                    'Z' => text.push('\u{1a}'),
                    // MySQL keeps these two escaped, for LIKE.
                    '%' | '_' => {
                        text.push('\\');
                        text.push(next);
                    }
                    other => text.push(other),
                }
                i += 2;
            }
            '%' => {
                let (piece, len) = placeholder(&chars[i..])?;
                match piece {
                    Piece::Text(t) => text.push_str(&t),
                    piece => {
                        if !text.is_empty() {
                            pieces.push(Piece::Text(std::mem::take(&mut text)));
                        }
                        pieces.push(piece);
                    }
                }
                i += len;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The placeholder at the start of `chars` (which starts with `%`) and
/// its length. Postfix's `%s %u %d` (and `%S %U %D`, the same here as keys
/// arrive folded), `%%`, Dovecot's `%n` and `%{user}`, `%{username}`,
/// `%{domain}`.
fn placeholder(chars: &[char]) -> Result<(Piece, usize), String> {
    let piece = match chars.get(1) {
        Some('%') => Piece::Text("%".into()),
        Some('s' | 'S') => Piece::Key,
        Some('u' | 'U' | 'n') => Piece::Local,
        Some('d' | 'D') => Piece::Domain,
        Some('{') => {
            let end = chars
                .iter()
                .position(|&c| c == '}')
                .ok_or("unterminated %{…} placeholder")?;
            let name: String = chars[2..end].iter().collect();
            let piece = match name.as_str() {
                "user" => Piece::Key,
                "username" => Piece::Local,
                "domain" => Piece::Domain,
                other => return Err(format!("unknown placeholder %{{{other}}}")),
            };
            return Ok((piece, end + 1));
        }
        Some(other) => {
            return Err(format!(
                "unknown placeholder %{other} (use %s, %u, %d or %% for a %)"
            ));
        }
        None => return Err("a lone % at the end of the query".into()),
    };
    Ok((piece, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(sql: &str, dialect: Dialect) -> Template {
        Template::compile(sql, dialect).unwrap()
    }

    fn bind(t: &Template, key: &str) -> Option<Vec<String>> {
        t.bind(&Key::address(key))
    }

    #[test]
    fn postfix_query_as_written() {
        let sql = "SELECT goto FROM alias WHERE address='%s' AND active='1'";
        let t = compile(sql, Dialect::MySql);
        assert_eq!(
            t.sql(),
            "SELECT goto FROM alias WHERE address=? AND active='1'"
        );
        assert_eq!(bind(&t, "a@b.org").unwrap(), ["a@b.org"]);
        let t = compile(sql, Dialect::Postgres);
        assert_eq!(
            t.sql(),
            "SELECT goto FROM alias WHERE address=$1 AND active='1'"
        );
        let t = compile(sql, Dialect::Sqlite);
        assert_eq!(
            t.sql(),
            "SELECT goto FROM alias WHERE address=? AND active='1'"
        );
    }

    #[test]
    fn postgres_numbers_each_parameter() {
        let t = compile(
            "SELECT 1 FROM m WHERE local_part = '%u' AND domain = %d OR username = '%u@%d'",
            Dialect::Postgres,
        );
        assert_eq!(
            t.sql(),
            "SELECT 1 FROM m WHERE local_part = $1 AND domain = $2 OR username = $3"
        );
        assert_eq!(
            bind(&t, "alice@example.org").unwrap(),
            ["alice", "example.org", "alice@example.org"]
        );
        let t = compile("SELECT 1 WHERE a = %s AND b = %s", Dialect::MySql);
        assert_eq!(t.sql(), "SELECT 1 WHERE a = ? AND b = ?");
    }

    #[test]
    fn missing_parts_suppress_the_query() {
        let t = compile("SELECT 1 WHERE l = '%u' AND d = '%d'", Dialect::Sqlite);
        assert_eq!(bind(&t, "@example.org"), None);
        assert_eq!(bind(&t, "alice"), None);
        let t = compile("SELECT 1 WHERE l = '%u'", Dialect::Sqlite);
        assert_eq!(bind(&t, "alice").unwrap(), ["alice"]);
        let t = compile("SELECT 1 WHERE d = '%d' AND s = %s", Dialect::Sqlite);
        assert_eq!(
            t.bind(&Key::domain("example.org")).unwrap(),
            ["example.org", "example.org"]
        );
    }

    #[test]
    fn quotes_in_keys_are_data() {
        let t = compile("SELECT 1 FROM t WHERE a = '%s'", Dialect::MySql);
        let key = "x' OR '1'='1@example.org";
        assert_eq!(t.sql(), "SELECT 1 FROM t WHERE a = ?");
        assert_eq!(bind(&t, key).unwrap(), [key]);
    }

    #[test]
    fn literals_and_escapes() {
        // Literals without placeholders stay, with %% unescaped.
        let t = compile(
            "SELECT 'it''s', '100%%' FROM t WHERE a LIKE '%%x' AND b = '%s'",
            Dialect::Sqlite,
        );
        assert_eq!(
            t.sql(),
            "SELECT 'it''s', '100%' FROM t WHERE a LIKE '%x' AND b = ?"
        );
        // Text around placeholders in a literal is unescaped into the value.
        let t = compile("SELECT 1 WHERE a = 'o''%u'", Dialect::Postgres);
        assert_eq!(bind(&t, "x@y").unwrap(), ["o'x"]);
        let t = compile(r"SELECT 1 WHERE a = 'o\'%u\\'", Dialect::MySql);
        assert_eq!(t.sql(), "SELECT 1 WHERE a = ?");
        assert_eq!(bind(&t, "x@y").unwrap(), [r"o'x\"]);
        // Placeholders in quoted identifiers and comments are left alone.
        let t = compile(
            "SELECT \"%s\" FROM t -- %s\n WHERE a = %s",
            Dialect::Postgres,
        );
        assert_eq!(t.sql(), "SELECT \"%s\" FROM t -- %s\n WHERE a = $1");
    }

    #[test]
    fn dovecot_spellings() {
        let t = compile(
            "SELECT 1 WHERE u = '%{user}' AND n = '%n' AND d = '%{domain}' AND l = '%{username}'",
            Dialect::Sqlite,
        );
        assert_eq!(bind(&t, "a@b").unwrap(), ["a@b", "a", "b", "a"]);
    }

    #[test]
    fn bad_queries_are_refused() {
        for sql in [
            "SELECT 1 WHERE a = '%x'",
            "SELECT 1 WHERE a = %",
            "SELECT 1 WHERE a = ?",
            "SELECT 1 WHERE a = $1",
            "SELECT 1 WHERE a = '%s",
            "SELECT 1 WHERE a = '%{nope}'",
        ] {
            assert!(Template::compile(sql, Dialect::Postgres).is_err(), "{sql}");
        }
    }
}
