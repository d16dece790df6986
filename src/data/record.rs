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

/// A [`Value`] borrowed: what the column builders read, from a [`Record`] or from [`LineFields`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValRef<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    TimeUs(i64),
}

impl Value {
    pub fn as_ref(&self) -> ValRef<'_> {
        match self {
            Value::Null => ValRef::Null,
            Value::Bool(b) => ValRef::Bool(*b),
            Value::Int(i) => ValRef::Int(*i),
            Value::Float(f) => ValRef::Float(*f),
            Value::Str(s) => ValRef::Str(s),
            Value::TimeUs(t) => ValRef::TimeUs(*t),
        }
    }
}

impl ValRef<'_> {
    pub fn to_owned_value(self) -> Value {
        match self {
            ValRef::Null => Value::Null,
            ValRef::Bool(b) => Value::Bool(b),
            ValRef::Int(i) => Value::Int(i),
            ValRef::Float(f) => Value::Float(f),
            ValRef::Str(s) => Value::Str(s.to_owned()),
            ValRef::TimeUs(t) => Value::TimeUs(t),
        }
    }
}

/// Where a piece of text sits in [`LineFields::text`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }
    /// Bytes `from..to` of this span (a key without its prefix, a value without its padding);
    /// the caller keeps them on character boundaries.
    pub fn sub(self, from: usize, to: usize) -> Span {
        debug_assert!(from <= to && self.start as usize + to <= self.end as usize);
        Span { start: self.start + from as u32, end: self.start + to as u32 }
    }
}

/// A field name of [`LineFields`]: a normalized name, or a source key kept in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldName {
    Static(&'static str),
    Text(Span),
}

/// A field value of [`LineFields`]; text lives in its text buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Span),
    TimeUs(i64),
}

/// One parsed line whose names and text live in one buffer that is reused line after line: the
/// allocation-free way from a line to the column builders (JSON lines, where a [`Record`] cost a
/// key and a value allocation per field, a quarter of the parse time in malloc and free).
/// [`LineFields::to_record`] gives the same line as a [`Record`].
#[derive(Debug, Default)]
pub struct LineFields {
    text: String,
    /// The fields as the line gave them, before a format maps them to `fields` (JSON's flattened
    /// keys), when a format needs the two apart.
    pub source: Vec<(Span, FieldValue)>,
    pub fields: Vec<(FieldName, FieldValue)>,
    /// Scratch for a parser (the JSON scanner's dotted key path), kept so that a line does not
    /// allocate it again.
    pub(crate) scratch: String,
    /// A projected read skipped a key its [`SourceKeys`] marks: the key was in the line, though
    /// not in `source` (Windows events tell their shape by such keys).
    pub skipped_marked: bool,
    /// A projected JSON read's verdicts on the keys of the lines before, kept for the next line.
    pub(crate) key_memo: crate::data::formats::json_key_memo::KeyMemo,
}

impl LineFields {
    /// Empties it for the next line, keeping its buffers.
    pub fn clear(&mut self) {
        self.skipped_marked = false;
        self.text.clear();
        self.source.clear();
        self.fields.clear();
    }
    /// Copies `s` into the text buffer.
    pub fn add_text(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        Span { start, end: self.text.len() as u32 }
    }
    /// Text written with `write` into the buffer (a dotted key, a number as text).
    pub fn add_with(&mut self, write: impl FnOnce(&mut String)) -> Span {
        let start = self.text.len() as u32;
        write(&mut self.text);
        Span { start, end: self.text.len() as u32 }
    }
    /// [`LineFields::add_with`] for a writer that may give up (returns false): then nothing it
    /// wrote is kept.
    pub fn try_add_with(&mut self, write: impl FnOnce(&mut String) -> bool) -> Option<Span> {
        let start = self.text.len();
        if write(&mut self.text) {
            Some(Span { start: start as u32, end: self.text.len() as u32 })
        } else {
            self.text.truncate(start);
            None
        }
    }
    pub fn str(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }
    pub fn name(&self, n: FieldName) -> &str {
        match n {
            FieldName::Static(s) => s,
            FieldName::Text(span) => self.str(span),
        }
    }
    pub fn value(&self, v: FieldValue) -> ValRef<'_> {
        match v {
            FieldValue::Null => ValRef::Null,
            FieldValue::Bool(b) => ValRef::Bool(b),
            FieldValue::Int(i) => ValRef::Int(i),
            FieldValue::Float(f) => ValRef::Float(f),
            FieldValue::Text(s) => ValRef::Str(self.str(s)),
            FieldValue::TimeUs(t) => ValRef::TimeUs(t),
        }
    }
    /// Names and values in order, borrowed.
    pub fn iter(&self) -> impl Iterator<Item = (&str, ValRef<'_>)> + '_ {
        self.fields.iter().map(|&(n, v)| (self.name(n), self.value(v)))
    }
    pub fn has(&self, name: &str) -> bool {
        // Lengths first: most names differ in length, and a span's text is then never sliced.
        self.fields.iter().any(|&(n, _)| match n {
            FieldName::Static(s) => s == name,
            FieldName::Text(span) => span.len() == name.len() && self.str(span) == name,
        })
    }
    pub fn to_record(&self) -> Record {
        Record { fields: self.iter().map(|(n, v)| (n.to_owned(), v.to_owned_value())).collect() }
    }
}

/// [`LineParser::parse_line`] for a parser that implements [`LineParser::parse_fields`]: the same
/// line as an owned [`Record`].
pub fn record_via_fields(parser: &dyn LineParser, line: &[u8], ctx: &ParseContext) -> LineResult {
    let mut out = LineFields::default();
    match parser.parse_fields(line, ctx, &mut out) {
        Some(Ok(true)) => Ok(Some(out.to_record())),
        Some(Ok(false)) | None => Ok(None),
        Some(Err(e)) => Err(e),
    }
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
    /// A projected read (a query naming a few fields): the source keys the parser must store;
    /// None reads every key. See [`LineParser::source_keys`].
    pub source_keys: Option<std::sync::Arc<SourceKeys>>,
}

impl Default for ParseContext {
    fn default() -> Self {
        Self {
            default_year: 1970,
            default_tz_offset_secs: 0,
            file_name: String::new(),
            latest_us: None,
            source_keys: None,
        }
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
    /// The allocation-free form of [`LineParser::parse_line`] for formats that have one: the line's
    /// fields into `out` (cleared first); `Some(Ok(false))` skips the line like `Ok(None)`.
    /// None: this format has only `parse_line`.
    fn parse_fields(
        &self,
        _line: &[u8],
        _ctx: &ParseContext,
        _out: &mut LineFields,
    ) -> Option<Result<bool, String>> {
        None
    }
    /// For a read that builds only the fields `only` (lower case): the source keys this parser
    /// must read to give those fields exactly as a full read would. None: it reads every key.
    fn source_keys(&self, _only: &std::collections::HashSet<String>) -> Option<SourceKeys> {
        None
    }
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

pub use crate::data::formats::json_projection::SourceKeys;

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
