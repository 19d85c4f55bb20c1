//! One pool per driver behind one enum, and rows turned into plain values.
//!
//! sqlx's `Any` driver needs its `any` feature and maps types through its
//! own lowest common denominator; the three concrete drivers behind an
//! enum keep each database's types (PostgreSQL's `boolean`, MySQL's
//! unsigned integers) and need nothing more than the features we have.

use sqlx::mysql::MySqlPool;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Column as _, Row as _, ValueRef as _};

use super::query::Dialect;

/// A column value, whatever the database.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// SQL NULL, or a type we do not read (dates, decimals).
    Null,
    /// Any integer.
    Int(i64),
    /// An unsigned integer too large for `i64` (MySQL).
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A boolean (PostgreSQL).
    Bool(bool),
    /// Text, or bytes that are UTF-8.
    Text(String),
}

impl Value {
    /// The value as text, for `extra` and for text-holding columns.
    pub(crate) fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Int(n) => Some(n.to_string()),
            Value::UInt(n) => Some(n.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
            Value::Text(s) => Some(s.clone()),
        }
    }

    /// The value as an integer, from any numeric or numeric text.
    pub(crate) fn to_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::UInt(n) => i64::try_from(*n).ok(),
            Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a flag: non-zero numbers, `true`, and the texts
    /// `1`, `t`, `true`, `y`, `yes`, `on` (any case).
    pub(crate) fn to_bool(&self) -> Option<bool> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::Text(s) => {
                let s = s.trim().to_ascii_lowercase();
                match s.as_str() {
                    "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
                    "0" | "f" | "false" | "n" | "no" | "off" | "" => Some(false),
                    _ => s.parse::<i64>().ok().map(|n| n != 0),
                }
            }
            other => other.to_i64().map(|n| n != 0),
        }
    }
}

/// A row: column names and values, in order.
pub(crate) type Row = Vec<(String, Value)>;

/// A parameter of an admin statement.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for Param {
    fn from(s: &str) -> Param {
        Param::Text(s.to_owned())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Param {
        Param::Text(s)
    }
}

impl From<i64> for Param {
    fn from(n: i64) -> Param {
        Param::Int(n)
    }
}

impl From<bool> for Param {
    fn from(b: bool) -> Param {
        Param::Bool(b)
    }
}

/// The pool of one of the drivers.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// A transaction of one of the drivers.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
}

macro_rules! bind_all {
    ($sql:expr, $params:expr) => {{
        let mut q = sqlx::query($sql);
        for p in $params {
            q = match p {
                Param::Text(s) => q.bind(s.clone()),
                Param::Int(n) => q.bind(*n),
                Param::Bool(b) => q.bind(*b),
            };
        }
        q
    }};
}

/// Like `bind_all!`, but for PostgreSQL lookups: text parameters go
/// without a declared type, so the server gives them the type their place
/// in the query asks for, as it does for a literal that Postfix pastes in
/// (`citext = $1` compares case-insensitively, not as `text`).
macro_rules! bind_inferred {
    ($sql:expr, $params:expr) => {{
        let mut q = sqlx::query($sql);
        for p in $params {
            q = match p {
                Param::Text(s) => q.bind(InferredText(s.clone())),
                Param::Int(n) => q.bind(*n),
                Param::Bool(b) => q.bind(*b),
            };
        }
        q
    }};
}

/// A text parameter whose PostgreSQL type the server infers (OID 0).
#[derive(Debug)]
struct InferredText(String);

impl sqlx::Type<sqlx::Postgres> for InferredText {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for InferredText {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.0.as_str(), buf)
    }
}

macro_rules! decode_row {
    ($row:expr, [$($ty:ty => $wrap:expr),* $(,)?]) => {{
        let row = $row;
        let mut out: Row = Vec::with_capacity(row.columns().len());
        for (i, column) in row.columns().iter().enumerate() {
            let is_null = row.try_get_raw(i).map_or(true, |v| v.is_null());
            let value = if is_null {
                Value::Null
            } else {
                None
                    $(.or_else(|| row.try_get::<$ty, _>(i).ok().map($wrap)))*
                    .or_else(|| {
                        row.try_get::<Vec<u8>, _>(i)
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok())
                            .map(Value::Text)
                    })
                    .unwrap_or(Value::Null)
            };
            out.push((column.name().to_owned(), value));
        }
        out
    }};
}

fn sqlite_row(row: &sqlx::sqlite::SqliteRow) -> Row {
    decode_row!(row, [
        i64 => Value::Int,
        f64 => Value::Float,
        String => Value::Text,
    ])
}

fn pg_row(row: &sqlx::postgres::PgRow) -> Row {
    decode_row!(row, [
        String => Value::Text,
        i64 => Value::Int,
        i32 => |n: i32| Value::Int(n.into()),
        i16 => |n: i16| Value::Int(n.into()),
        bool => Value::Bool,
        f64 => Value::Float,
        f32 => |f: f32| Value::Float(f.into()),
    ])
}

fn mysql_row(row: &sqlx::mysql::MySqlRow) -> Row {
    decode_row!(row, [
        i64 => Value::Int,
        u64 => Value::UInt,
        String => Value::Text,
        f64 => Value::Float,
        f32 => |f: f32| Value::Float(f.into()),
        bool => Value::Bool,
    ])
}

impl Pool {
    /// The dialect of the pool's database.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
            Pool::MySql(_) => Dialect::MySql,
        }
    }

    /// Runs a query with text parameters and reads all its rows.
    pub(crate) async fn fetch(&self, sql: &str, params: &[Param]) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => bind_all!(sql, params)
                .fetch_all(pool)
                .await?
                .iter()
                .map(sqlite_row)
                .collect(),
            Pool::Postgres(pool) => bind_inferred!(sql, params)
                .fetch_all(pool)
                .await?
                .iter()
                .map(pg_row)
                .collect(),
            Pool::MySql(pool) => bind_all!(sql, params)
                .fetch_all(pool)
                .await?
                .iter()
                .map(mysql_row)
                .collect(),
        })
    }

    /// Runs statements without parameters, one after the other.
    pub(crate) async fn execute_raw(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Pool::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Pool::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Pool::MySql(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
    }

    /// Starts a transaction.
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
            Pool::MySql(pool) => Tx::MySql(pool.begin().await?),
        })
    }

    /// Closes the pool: every later query fails.
    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
            Pool::MySql(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Runs a statement; returns the rows it affected.
    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        params: &[Param],
    ) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => bind_all!(sql, params)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => bind_all!(sql, params)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::MySql(tx) => bind_all!(sql, params)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a query and reads all its rows.
    pub(crate) async fn fetch(
        &mut self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => bind_all!(sql, params)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(sqlite_row)
                .collect(),
            Tx::Postgres(tx) => bind_all!(sql, params)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(pg_row)
                .collect(),
            Tx::MySql(tx) => bind_all!(sql, params)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(mysql_row)
                .collect(),
        })
    }

    /// Commits.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
            Tx::MySql(tx) => tx.commit().await,
        }
    }
}

/// Rewrites an admin statement written with `?` markers for `dialect`
/// (`$1`, `$2`… for PostgreSQL). Only for our own SQL, which has no `?`
/// in literals.
pub(crate) fn markers(sql: &str, dialect: Dialect) -> String {
    if dialect != Dialect::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_markers() {
        let sql = "UPDATE mailbox SET quota = ?, modified = CURRENT_TIMESTAMP WHERE username = ?";
        assert_eq!(markers(sql, Dialect::MySql), sql);
        assert_eq!(markers(sql, Dialect::Sqlite), sql);
        assert_eq!(
            markers(sql, Dialect::Postgres),
            "UPDATE mailbox SET quota = $1, modified = CURRENT_TIMESTAMP WHERE username = $2"
        );
    }

    #[test]
    fn flags_and_numbers() {
        assert_eq!(Value::Text("1".into()).to_bool(), Some(true));
        assert_eq!(Value::Text("f".into()).to_bool(), Some(false));
        assert_eq!(Value::Int(0).to_bool(), Some(false));
        assert_eq!(Value::Bool(true).to_bool(), Some(true));
        assert_eq!(Value::Null.to_bool(), None);
        assert_eq!(Value::Text(" 42 ".into()).to_i64(), Some(42));
        assert_eq!(Value::UInt(7).to_i64(), Some(7));
    }
}
