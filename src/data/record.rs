//! Row-oriented intermediate form for line-based formats (text logs, JSON lines, Zeek TSV, ...).
//!
//! Fast columnar formats (VAST netflow CSV, Parquet) bypass this. Everything else parses one line
//! into a [`Record`] whose field names are already the normalized field-dictionary names where a
//! mapping exists (see `docs/FIELDS.md`), keeping other fields under their original names.
//! The loader turns a stream of records into one typed polars table (see `data::builder`).

/// One parsed field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Microseconds since the Unix epoch, UTC.
    TimeUs(i64),
}

/// One parsed line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Field name (normalized where a mapping exists) and value, in source order.
    pub fields: Vec<(String, Value)>,
}

impl Record {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, name: impl Into<String>, value: Value) {
        self.fields.push((name.into(), value));
    }
    pub fn push_str(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields.push((name.into(), Value::Str(value.into())));
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// Settings a parser may need for ambiguous inputs (syslog without year or zone, ...).
#[derive(Debug, Clone)]
pub struct ParseContext {
    /// Year assumed when the timestamp has none (from a setting or the file's modification time).
    pub default_year: i32,
    /// Offset east of UTC, in seconds, assumed when the timestamp has no zone.
    pub default_tz_offset_secs: i32,
    /// Name of the file being parsed, for messages.
    pub file_name: String,
    /// When the year is assumed: timestamps later than this (µs; the file's modification time)
    /// belong to the year before (a log written in January holds December's lines).
    pub latest_us: Option<i64>,
}

impl Default for ParseContext {
    fn default() -> Self {
        Self { default_year: 1970, default_tz_offset_secs: 0, file_name: String::new(), latest_us: None }
    }
}

/// What a line parser says about one line.
pub type LineResult = Result<Option<Record>, String>;

/// A parser for a line-oriented format. `Ok(None)` skips a line that is not data (comment,
/// blank, header); `Err(reason)` rejects it (counted and shown to the user with file and line).
pub trait LineParser: Send + Sync {
    /// Short format name shown to the user, e.g. "syslog-rfc3164".
    fn name(&self) -> &'static str;
    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult;
    /// For formats whose records may span lines (stack traces, wrapped messages): what a line
    /// that `parse_line` rejected adds to an earlier record. Default: nothing, the line stays rejected.
    fn continuation(&self, _line: &[u8]) -> Option<Continuation> {
        None
    }
    /// True when [`LineParser::continuation`] may return something: the loader then keeps every
    /// parsed line until the whole file is read, since a continuation may belong to any earlier
    /// record of its stream. Other formats are parsed and stored batch by batch.
    fn spans_lines(&self) -> bool {
        false
    }
}

/// A line that continues an earlier record's message instead of being a record of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Continuation {
    /// The `service` of the record it belongs to, when streams interleave (container output);
    /// None: the previous record.
    pub stream: Option<String>,
    /// Text appended to that record's `msg` after a newline.
    pub text: String,
}

// The calendar lives with the rest of time parsing; these names stay for the format parsers.
pub use crate::data::timeparse::{civil_to_us, days_from_civil, month_from_abbrev};

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn civil_roundtrip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_to_us(2013, 4, 1, 0, 0, 0, 0, 0), 1_364_774_400_000_000);
        assert_eq!(civil_to_us(2021, 6, 6, 15, 59, 46, 0, 7200), civil_to_us(2021, 6, 6, 13, 59, 46, 0, 0));
        assert_eq!(month_from_abbrev("Dec"), Some(12));
    }
}
