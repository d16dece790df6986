//! A Spark Connect client (issue #12): SQL to Apache Spark or Sail over gRPC, results back as
//! Arrow IPC streams decoded by polars. Usable from plain worker threads: the client owns one
//! small tokio runtime and blocks on it, so nothing async leaks into the rest of the program.
pub mod client;
pub mod proto;
pub mod url;

pub use client::{SparkClient, INTERRUPT_WAIT};
pub use url::ConnectUrl;

/// What a Spark Connect server could not do, or why we could not ask.
#[derive(Debug, thiserror::Error)]
pub enum SparkError {
    #[error("bad Spark Connect URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("bad table {table:?}: {reason}")]
    Table { table: String, reason: String },
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("{target} refused: {message}")]
    Server { target: String, message: String },
    #[error("cannot decode the Arrow result from {target}: {reason}")]
    Decode { target: String, reason: String },
    #[error("cancelled")]
    Cancelled,
}

/// Where `logs` comes from on the server: a catalog table or a Parquet path the server can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableSource {
    /// `db.table` or `` `odd name` ``: a (possibly qualified) name in the server's catalog.
    Named(String),
    /// ``parquet.`/data/flows` ``: a Parquet file or hive-partitioned directory, read by the server.
    Parquet(String),
}

impl TableSource {
    /// Parses what the user typed after `--table`. Only names and ``parquet.`PATH` `` pass: the
    /// text never reaches the server as SQL, so a hostile name is refused here, not injected.
    pub fn parse(text: &str) -> Result<Self, SparkError> {
        let bad = |reason: &str| SparkError::Table { table: text.to_string(), reason: reason.to_string() };
        let t = text.trim();
        if t.is_empty() {
            return Err(bad("empty; give a table name or parquet.`PATH`"));
        }
        if t.chars().any(char::is_control) {
            return Err(bad("contains control characters"));
        }
        if let Some(rest) = t.strip_prefix("parquet.`").or_else(|| t.strip_prefix("PARQUET.`")) {
            let path =
                rest.strip_suffix('`').ok_or_else(|| bad("parquet.`PATH` needs a closing backtick"))?;
            if path.is_empty() || path.contains('`') {
                return Err(bad("a Parquet path must be non-empty and without backticks"));
            }
            return Ok(TableSource::Parquet(path.to_string()));
        }
        for part in split_identifier(t).ok_or_else(|| bad("unbalanced backticks"))? {
            let plain = part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let quoted = part.len() > 2 && part.starts_with('`') && part.ends_with('`');
            if part.is_empty() || !(plain || quoted) {
                return Err(bad(
                    "expected a name like db.table (letters, digits, _; `quote` others) or parquet.`PATH`",
                ));
            }
        }
        Ok(TableSource::Named(t.to_string()))
    }
}

/// Splits `a.`b.c`.d` at the dots outside backticks; `None` when a backtick is left open.
fn split_identifier(s: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in s.char_indices() {
        match c {
            '`' => quoted = !quoted,
            '.' if !quoted => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    (!quoted).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sources_parse_and_hostile_ones_are_refused() {
        assert_eq!(TableSource::parse("flows").unwrap(), TableSource::Named("flows".into()));
        assert_eq!(
            TableSource::parse("lake.`vast 2013`").unwrap(),
            TableSource::Named("lake.`vast 2013`".into())
        );
        assert_eq!(
            TableSource::parse("parquet.`/data/flows`").unwrap(),
            TableSource::Parquet("/data/flows".into())
        );
        for bad in [
            "",
            "flows; drop table x",
            "flows --",
            "a..b",
            "`open",
            "parquet.`/x",
            "parquet.``",
            "parquet.`/a`b`",
            "x\ny",
            "(select 1)",
        ] {
            let e = TableSource::parse(bad).unwrap_err();
            assert!(matches!(e, SparkError::Table { .. }), "{bad:?}: {e}");
        }
    }
}
