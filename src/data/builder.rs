//! Turns records (line formats) into one typed polars table, column by column.
//!
//! Records go into typed column builders as soon as they are parsed, one [`ColumnChunk`] per block
//! of lines (each block on its own core, see `data::load::parse_lines`); the chunks are joined in
//! order at the end. A parsed record is never held longer than it takes to write its values, so
//! memory follows the typed columns, not the records (a `Value` costs 32 bytes plus its text).
//!
//! Column types follow from every value seen in any chunk, so a field that is a number on one
//! line and text on another becomes text without losing either value:
//! only times: Datetime; only booleans: Boolean; only integers: Int64 (Int32 for `src_port`,
//! `dst_port`, `ip_proto`); integers and floats: Float64; no value at all: an all-null String;
//! anything else: text, with other values written as text (times as RFC 3339). Text whose values
//! repeat is kept as dictionary codes (a polars `Categorical`), other text as `String`
//! (`data::text_column`).
//! A builder widens while it fills (integer to integer-and-float to text), so what it holds is
//! always the narrowest form that keeps every value exactly.
use super::record::{LineFields, Record, ValRef, Value};
use super::table::time_dtype;
use super::text_column::{finish_text, TextBuilder, TextPart};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::HashMap;

const TIME: u8 = 1;
const BOOL: u8 = 2;
const INT: u8 = 4;
const FLOAT: u8 = 8;
const STR: u8 = 16;

fn kind_of(v: ValRef) -> u8 {
    match v {
        ValRef::Null => 0,
        ValRef::TimeUs(_) => TIME,
        ValRef::Bool(_) => BOOL,
        ValRef::Int(_) => INT,
        ValRef::Float(_) => FLOAT,
        ValRef::Str(_) => STR,
    }
}

/// How a column with the given kinds of values is stored (and typed in the frame).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Repr {
    Null,
    Time,
    Bool,
    Int,
    Float,
    /// Integers and floats: kept apart so that text made of them later is exact.
    Num,
    Str,
}

fn repr_of(kinds: u8) -> Repr {
    match kinds {
        0 => Repr::Null,
        TIME => Repr::Time,
        BOOL => Repr::Bool,
        INT => Repr::Int,
        FLOAT => Repr::Float,
        k if k == INT | FLOAT => Repr::Num,
        _ => Repr::Str,
    }
}

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

/// Values of one column within one chunk. Non-text forms keep a filler value at null rows (the
/// validity says which); text keeps its nulls itself.
enum Data {
    Null,
    Time(Vec<i64>),
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Float(Vec<f64>),
    Num(Vec<Num>),
    Str(TextBuilder),
}

impl Data {
    fn new(repr: Repr, capacity: usize) -> Self {
        match repr {
            Repr::Null => Data::Null,
            Repr::Time => Data::Time(Vec::with_capacity(capacity)),
            Repr::Bool => Data::Bool(Vec::with_capacity(capacity)),
            Repr::Int => Data::Int(Vec::with_capacity(capacity)),
            Repr::Float => Data::Float(Vec::with_capacity(capacity)),
            Repr::Num => Data::Num(Vec::with_capacity(capacity)),
            Repr::Str => Data::Str(TextBuilder::with_capacity(capacity)),
        }
    }
}

/// The text a non-text value takes in a text column.
fn text_of(v: ValRef) -> String {
    match v {
        ValRef::Null => String::new(),
        ValRef::Str(s) => s.to_owned(),
        ValRef::Int(i) => i.to_string(),
        ValRef::Float(f) => f.to_string(),
        ValRef::Bool(b) => if b { "true" } else { "false" }.to_string(),
        ValRef::TimeUs(t) => super::timeparse::format_rfc3339(t),
    }
}

/// One column of one chunk.
struct ColBuilder {
    kinds: u8,
    data: Data,
    /// Per row: has a value. Unused (empty) once the column is text.
    valid: Vec<bool>,
    len: usize,
}

impl ColBuilder {
    fn new() -> Self {
        Self { kinds: 0, data: Data::Null, valid: Vec::new(), len: 0 }
    }

    fn push_null(&mut self) {
        match &mut self.data {
            Data::Null => {}
            Data::Time(d) | Data::Int(d) => d.push(0),
            Data::Bool(d) => d.push(false),
            Data::Float(d) => d.push(0.0),
            Data::Num(d) => d.push(Num::I(0)),
            Data::Str(b) => b.push_null(),
        }
        if !matches!(self.data, Data::Str(_)) {
            self.valid.push(false);
        }
        self.len += 1;
    }

    /// Nulls up to `len` rows, in one step: a sparse column (most of Suricata's hundred keys) is
    /// padded on almost every row.
    fn pad_to(&mut self, len: usize) {
        let Some(n) = len.checked_sub(self.len).filter(|&n| n > 0) else { return };
        match &mut self.data {
            Data::Null => {}
            Data::Time(d) | Data::Int(d) => d.resize(d.len() + n, 0),
            Data::Bool(d) => d.resize(d.len() + n, false),
            Data::Float(d) => d.resize(d.len() + n, 0.0),
            Data::Num(d) => d.resize(d.len() + n, Num::I(0)),
            Data::Str(b) => b.push_nulls(n),
        }
        if !matches!(self.data, Data::Str(_)) {
            self.valid.resize(self.valid.len() + n, false);
        }
        self.len = len;
    }

    fn push(&mut self, v: ValRef) {
        let kinds = self.kinds | kind_of(v);
        if repr_of(kinds) != repr_of(self.kinds) {
            self.widen(repr_of(kinds));
        }
        self.kinds = kinds;
        self.push_fitting(v);
    }

    /// Writes a value the storage already fits (see [`ColBuilder::widen`]).
    fn push_fitting(&mut self, v: ValRef) {
        match (&mut self.data, v) {
            (_, ValRef::Null) => return self.push_null(),
            (Data::Time(d), ValRef::TimeUs(t)) => d.push(t),
            (Data::Bool(d), ValRef::Bool(b)) => d.push(b),
            (Data::Int(d), ValRef::Int(i)) => d.push(i),
            (Data::Float(d), ValRef::Float(f)) => d.push(f),
            (Data::Num(d), ValRef::Int(i)) => d.push(Num::I(i)),
            (Data::Num(d), ValRef::Float(f)) => d.push(Num::F(f)),
            (Data::Str(b), ValRef::Str(s)) => b.push(s),
            (Data::Str(b), v) => b.push(text_of(v).as_str()),
            // `push` widened the storage to fit every kind seen, this one included.
            (_, v) => unreachable!("column storage does not fit {v:?}"),
        }
        if !matches!(self.data, Data::Str(_)) {
            self.valid.push(true);
        }
        self.len += 1;
    }

    /// Value of row `i` of a non-text column (text columns never widen again).
    fn get(&self, i: usize) -> Value {
        if !self.valid.get(i).copied().unwrap_or(false) {
            return Value::Null;
        }
        match &self.data {
            Data::Null | Data::Str(_) => Value::Null,
            Data::Time(d) => Value::TimeUs(d[i]),
            Data::Bool(d) => Value::Bool(d[i]),
            Data::Int(d) => Value::Int(d[i]),
            Data::Float(d) => Value::Float(d[i]),
            Data::Num(d) => match d[i] {
                Num::I(x) => Value::Int(x),
                Num::F(x) => Value::Float(x),
            },
        }
    }

    /// Rewrites the values seen so far into the storage `repr` (rare: a few times per column).
    fn widen(&mut self, repr: Repr) {
        let old = std::mem::replace(self, ColBuilder::new());
        self.data = Data::new(repr, old.len.max(16));
        self.kinds = old.kinds;
        for i in 0..old.len {
            self.push_fitting(old.get(i).as_ref());
        }
    }
}

/// The fields a table is built with when not all are wanted (a query's projection): names in
/// lower case, compared case-insensitively.
pub type FieldSet = std::sync::Arc<std::collections::HashSet<String>>;

/// Typed columns of one block of records, in the order their fields were first seen.
#[derive(Default)]
pub struct ColumnChunk {
    names: Vec<String>,
    index: PlHashMap<String, usize>,
    cols: Vec<ColBuilder>,
    /// Only these fields get values (None: all). Others keep a column slot that stays empty and
    /// is left out of the frame, so each name is looked up once per chunk, not once per row.
    only: Option<FieldSet>,
    /// Per column: whether it is built (see `only`).
    built: Vec<bool>,
    rows: usize,
    /// Column of each field position in the previous record: lines of one log repeat their field
    /// order, so a name compare usually finds the column without hashing.
    last_order: Vec<usize>,
}

impl ColumnChunk {
    pub fn new() -> Self {
        Self::default()
    }

    /// A chunk that builds only the fields in `only` (and `time`, which every table has).
    pub fn only(only: Option<FieldSet>) -> Self {
        Self { only, ..Self::default() }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn push(&mut self, rec: Record) {
        self.push_fields(rec.fields.iter().map(|(n, v)| (n.as_str(), v.as_ref())));
    }

    /// [`ColumnChunk::push`] for a line parsed without allocating.
    pub fn push_line(&mut self, line: &LineFields) {
        self.push_fields(line.iter());
    }

    fn push_fields<'a>(&mut self, fields: impl Iterator<Item = (&'a str, ValRef<'a>)>) {
        let row = self.rows;
        for (pos, (name, v)) in fields.enumerate() {
            let hinted = self.last_order.get(pos).copied().filter(|&i| same_name(&self.names[i], name));
            let idx = match hinted.or_else(|| self.index.get(name).copied()) {
                Some(i) => i,
                None => {
                    let i = self.names.len();
                    self.index.insert(name.to_owned(), i);
                    self.names.push(name.to_owned());
                    self.cols.push(ColBuilder::new());
                    let wanted =
                        |only: &FieldSet| name == "time" || only.contains(&name.to_ascii_lowercase());
                    self.built.push(self.only.as_ref().is_none_or(wanted));
                    i
                }
            };
            match self.last_order.get_mut(pos) {
                Some(o) => *o = idx,
                None => self.last_order.push(idx),
            }
            if !self.built[idx] {
                continue;
            }
            let col = &mut self.cols[idx];
            col.pad_to(row);
            // A repeated key within one record keeps its first value (the later one is usually a
            // sub-header, e.g. iptables' second LEN=).
            if col.len == row {
                col.push(v);
            }
        }
        self.rows += 1;
    }
}

/// `a == b` for field names, eight bytes at a time in line: the compare runs for every field of
/// every line, and a call into the C library's `memcmp` for each was 5% of a JSON query's time.
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
    let mut i = 0;
    while i + 8 <= n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    // The last eight bytes, overlapping the words already compared.
    word(a, n - 8) == word(b, n - 8)
}

/// Rows a [`RecordTable`] fills one chunk with before starting the next.
const CHUNK_ROWS: usize = 1 << 16;

/// Records in arrival order, as typed column chunks; [`RecordTable::into_frame`] joins them.
#[derive(Default)]
pub struct RecordTable {
    chunks: Vec<ColumnChunk>,
    current: ColumnChunk,
    rows: usize,
}

impl RecordTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn push(&mut self, rec: Record) {
        self.current.push(rec);
        self.rows += 1;
        if self.current.rows >= CHUNK_ROWS {
            self.chunks.push(std::mem::take(&mut self.current));
        }
    }

    /// Adds a chunk built elsewhere (on another core) after the rows already here.
    pub fn append(&mut self, chunk: ColumnChunk) {
        if self.current.rows > 0 {
            self.chunks.push(std::mem::take(&mut self.current));
        }
        self.rows += chunk.rows;
        if chunk.rows > 0 {
            self.chunks.push(chunk);
        }
    }

    pub fn into_frame(self) -> PolarsResult<DataFrame> {
        self.into_frame_with(true)
    }

    /// [`RecordTable::into_frame`] with every text column as `String`: for a followed file's few
    /// new lines, whose distinct values (messages, ids) must not enter the process-wide string map
    /// that dictionary columns share and never shrink (`Table::append` codes what the table keeps
    /// as codes).
    pub fn into_frame_plain(self) -> PolarsResult<DataFrame> {
        self.into_frame_with(false)
    }

    fn into_frame_with(self, dictionary: bool) -> PolarsResult<DataFrame> {
        let mut chunks = self.chunks;
        if self.current.rows > 0 {
            chunks.push(self.current);
        }
        let height = self.rows;
        let rows: Vec<usize> = chunks.iter().map(|c| c.rows).collect();
        // Each column's part of every chunk (None: the chunk never saw the field), names in the
        // order first seen over all chunks.
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut parts: Vec<Vec<Option<ColBuilder>>> = Vec::new();
        for (ci, chunk) in chunks.into_iter().enumerate() {
            let built = chunk.built;
            for ((name, mut col), _) in chunk.names.into_iter().zip(chunk.cols).zip(built).filter(|(_, b)| *b)
            {
                col.pad_to(chunk.rows);
                let j = match index.get(name.as_str()) {
                    Some(&j) => j,
                    None => {
                        index.insert(name.clone(), names.len());
                        names.push(name);
                        parts.push(Vec::new());
                        names.len() - 1
                    }
                };
                parts[j].resize_with(ci, || None);
                parts[j].push(Some(col));
            }
        }
        for p in &mut parts {
            p.resize_with(rows.len(), || None);
        }
        let has_time = index.contains_key("time");
        let mut columns = names
            .into_par_iter()
            .zip(parts)
            .map(|(name, parts)| {
                let column = finish_column(&name, parts, &rows, height, dictionary);
                // This column's builders are freed now; give their pages back before the next
                // column is allocated, so the builders and the table are not resident together.
                crate::alloc::release_free_memory();
                column
            })
            .collect::<PolarsResult<Vec<Column>>>()?;
        if !has_time {
            columns.insert(0, Column::full_null("time".into(), height, &time_dtype()));
        }
        // `time` first: it is what every view keys on.
        if let Some(p) = columns.iter().position(|c| c.name() == "time") {
            let c = columns.remove(p);
            columns.insert(0, c);
        }
        DataFrame::new(height, columns)
    }
}

/// Every row of a column's parts, nulls where a chunk lacks the column.
fn values<'a>(parts: &'a [Option<ColBuilder>], rows: &'a [usize]) -> impl Iterator<Item = Value> + 'a {
    parts
        .iter()
        .zip(rows)
        .flat_map(|(p, &r)| (0..r).map(move |i| p.as_ref().map_or(Value::Null, |c| c.get(i))))
}

fn finish_column(
    name: &str,
    parts: Vec<Option<ColBuilder>>,
    rows: &[usize],
    height: usize,
    dictionary: bool,
) -> PolarsResult<Column> {
    let kinds = parts.iter().flatten().fold(0, |k, c| k | c.kinds);
    let n = PlSmallStr::from(name);
    let s: Series = match repr_of(kinds) {
        Repr::Null => Series::full_null(n, height, &DataType::String),
        Repr::Time => {
            let ca: Int64Chunked =
                values(&parts, rows).map(|v| if let Value::TimeUs(t) = v { Some(t) } else { None }).collect();
            ca.with_name(n).into_series().cast(&time_dtype())?
        }
        Repr::Bool => {
            let ca: BooleanChunked =
                values(&parts, rows).map(|v| if let Value::Bool(b) = v { Some(b) } else { None }).collect();
            ca.with_name(n).into_series()
        }
        Repr::Int => {
            let ca: Int64Chunked =
                values(&parts, rows).map(|v| if let Value::Int(i) = v { Some(i) } else { None }).collect();
            let s = ca.with_name(n).into_series();
            if matches!(name, "src_port" | "dst_port" | "ip_proto") {
                s.cast(&DataType::Int32)?
            } else {
                s
            }
        }
        Repr::Float | Repr::Num => {
            let ca: Float64Chunked = values(&parts, rows)
                .map(|v| match v {
                    Value::Int(i) => Some(i as f64),
                    Value::Float(f) => Some(f),
                    _ => None,
                })
                .collect();
            ca.with_name(n).into_series()
        }
        Repr::Str => {
            let parts = parts
                .into_iter()
                .zip(rows)
                .map(|(part, &r)| match part {
                    Some(ColBuilder { data: Data::Str(b), .. }) => TextPart::Text(b),
                    other => TextPart::Other(
                        (0..r)
                            .map(|i| match other.as_ref().map_or(Value::Null, |c| c.get(i)) {
                                Value::Null => None,
                                v => Some(text_of(v.as_ref())),
                            })
                            .collect(),
                    ),
                })
                .collect();
            finish_text(n, parts, height, dictionary)?
        }
    };
    Ok(s.into_column())
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mixed_types_become_text_and_missing_fields_null() {
        let mut t = RecordTable::new();
        let mut r = Record::new();
        r.push("time", Value::TimeUs(1_000_000));
        r.push("x", Value::Int(1));
        r.push("src_port", Value::Int(80));
        t.push(r);
        let mut r = Record::new();
        r.push("x", Value::Str("a".into()));
        r.push("y", Value::Float(1.5));
        t.push(r);
        let df = t.into_frame().unwrap();
        assert_eq!(df.height(), 2);
        // Text: two rows of few distinct values are dictionary codes.
        assert!(matches!(df.column("x").unwrap().dtype(), DataType::Categorical(..)));
        assert_eq!(df.column("y").unwrap().null_count(), 1);
        assert_eq!(df.column("src_port").unwrap().dtype(), &DataType::Int32);
        assert_eq!(df.column("time").unwrap().dtype(), &time_dtype());
        assert_eq!(df.get_column_names()[0].as_str(), "time");
    }

    /// Today's rule written plainly over whole columns of values: the model the chunked,
    /// widening builders must match exactly.
    fn model_frame(records: &[Record]) -> DataFrame {
        let mut names: Vec<String> = Vec::new();
        let mut cols: Vec<Vec<Value>> = Vec::new();
        for (row, rec) in records.iter().enumerate() {
            for (name, v) in &rec.fields {
                let j = match names.iter().position(|n| n == name) {
                    Some(j) => j,
                    None => {
                        names.push(name.clone());
                        cols.push(vec![Value::Null; row]);
                        names.len() - 1
                    }
                };
                if cols[j].len() == row {
                    cols[j].push(v.clone());
                }
            }
            for c in &mut cols {
                c.resize(row + 1, Value::Null);
            }
        }
        let mut columns = Vec::new();
        for (name, vals) in names.iter().zip(cols) {
            let kinds = vals.iter().fold(0, |k, v| k | kind_of(v.as_ref()));
            let n = PlSmallStr::from(name.as_str());
            let s = match kinds {
                0 => Series::full_null(n, vals.len(), &DataType::String),
                TIME => vals
                    .iter()
                    .map(|v| if let Value::TimeUs(t) = v { Some(*t) } else { None })
                    .collect::<Int64Chunked>()
                    .with_name(n)
                    .into_series()
                    .cast(&time_dtype())
                    .unwrap(),
                BOOL => vals
                    .iter()
                    .map(|v| if let Value::Bool(b) = v { Some(*b) } else { None })
                    .collect::<BooleanChunked>()
                    .with_name(n)
                    .into_series(),
                INT => {
                    let s = vals
                        .iter()
                        .map(|v| if let Value::Int(i) = v { Some(*i) } else { None })
                        .collect::<Int64Chunked>()
                        .with_name(n)
                        .into_series();
                    if matches!(name.as_str(), "src_port" | "dst_port" | "ip_proto") {
                        s.cast(&DataType::Int32).unwrap()
                    } else {
                        s
                    }
                }
                k if k & (STR | TIME | BOOL) == 0 => vals
                    .iter()
                    .map(|v| match v {
                        Value::Int(i) => Some(*i as f64),
                        Value::Float(f) => Some(*f),
                        _ => None,
                    })
                    .collect::<Float64Chunked>()
                    .with_name(n)
                    .into_series(),
                _ => vals
                    .iter()
                    .map(|v| (!matches!(v, Value::Null)).then(|| text_of(v.as_ref())))
                    .collect::<StringChunked>()
                    .with_name(n)
                    .into_series(),
            };
            columns.push(s.into_column());
        }
        let h = records.len();
        if !names.iter().any(|n| n == "time") {
            columns.insert(0, Column::full_null("time".into(), h, &time_dtype()));
        }
        if let Some(p) = columns.iter().position(|c| c.name() == "time") {
            let c = columns.remove(p);
            columns.insert(0, c);
        }
        DataFrame::new(h, columns).unwrap()
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            prop_oneof![any::<i64>(), -5i64..5].prop_map(Value::Int),
            prop_oneof![any::<f64>().prop_filter("NaN never equals itself", |f| !f.is_nan()), Just(2.5)]
                .prop_map(Value::Float),
            "[a-c]{0,14}".prop_map(Value::Str),
            (-10_000_000_000_000_000i64..10_000_000_000_000_000).prop_map(Value::TimeUs),
        ]
    }

    fn records() -> impl Strategy<Value = Vec<Record>> {
        let field = (prop::sample::select(vec!["time", "x", "y", "src_port", "msg"]), value());
        prop::collection::vec(prop::collection::vec(field, 0..5), 0..60).prop_map(|rows| {
            rows.into_iter()
                .map(|f| Record { fields: f.into_iter().map(|(n, v)| (n.to_string(), v)).collect() })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn same_name_is_string_equality(a in "[a-c.]{0,40}", b in "[a-c.]{0,40}", copy in any::<bool>()) {
            let b = if copy { a.clone() } else { b };
            prop_assert_eq!(same_name(&a, &b), a == b);
        }
    }

    proptest! {
        /// However the records are cut into chunks (one core each), the table is the one the
        /// whole-column rule gives: same names, order, types and values.
        #[test]
        fn chunked_widening_builders_match_the_whole_column_rule(
            recs in records(),
            cuts in prop::collection::vec(0usize..60, 0..6),
        ) {
            let want = model_frame(&recs);
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= recs.len()).collect();
            cuts.push(0);
            cuts.push(recs.len());
            cuts.sort_unstable();
            let mut t = RecordTable::new();
            for w in cuts.windows(2) {
                let mut chunk = ColumnChunk::new();
                for r in &recs[w[0]..w[1]] {
                    chunk.push(r.clone());
                }
                t.append(chunk);
            }
            let got = t.into_frame().unwrap();
            prop_assert_eq!(got.get_column_names(), want.get_column_names());
            for (g, w) in got.columns().iter().zip(want.columns()) {
                // Text of a few repeated values is kept as dictionary codes (`text_column`): the
                // same text, read back.
                let g = if matches!(g.dtype(), DataType::Categorical(..)) && w.dtype() == &DataType::String {
                    &g.cast(&DataType::String).unwrap()
                } else {
                    g
                };
                prop_assert_eq!(g.dtype(), w.dtype(), "{}", g.name());
                prop_assert!(g.as_materialized_series().equals_missing(w.as_materialized_series()), "{}: {:?} vs {:?}", g.name(), g, w);
            }
        }
    }
}
