//! Parallel reader for delimited text (VAST netflow, Argus, nfdump CSV, Zeek TSV, generic CSV/TSV).
//!
//! Stages, as in ripgrep: raw bytes -> validated lines (field count, types) -> typed polars columns.
//! The input is streamed in blocks so peak memory is the table plus one block, and each block is
//! split between the cores. Lines that do not fit the schema are counted with file, line and reason.
use crate::data::error::{DataError, Result};
use crate::data::table::Rejected;
use crate::data::text_column::{finish_text, TextBuilder, TextPart};
use crate::data::timeparse::{datetime_to_us, epoch_secs_to_us};
use polars::prelude::*;
use rayon::prelude::*;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How a source column becomes a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    I32,
    I64,
    F64,
    Str,
    /// Lower-cased string (protocol names).
    LowerStr,
    /// Zeek "T"/"F", also "true"/"false".
    Bool,
    /// Epoch seconds with fraction -> `time` (µs, UTC).
    EpochSecs,
    /// Date-time text; zone from the text or the spec's default offset.
    DateTime,
    /// Decimal port; anything else (Argus' hex ICMP type/code) becomes null rather than a fake port.
    Port,
    /// Not stored (re-derived from other columns, see `Alias::Derived`).
    Skip,
}

#[derive(Debug, Clone)]
pub struct ColSpec {
    pub name: String,
    pub kind: Kind,
}

impl ColSpec {
    pub fn new(name: impl Into<String>, kind: Kind) -> Self {
        Self { name: name.into(), kind }
    }
}

#[derive(Debug, Clone)]
pub struct DelimSpec {
    pub delimiter: u8,
    pub columns: Vec<ColSpec>,
    /// Number of leading lines that are not data (header).
    pub skip_lines: u64,
    /// Lines starting with this byte are not data (Zeek '#' directives).
    pub comment_prefix: Option<u8>,
    /// Honour double quotes around fields.
    pub quotes: bool,
    /// Token meaning "no value" besides the empty field (Zeek "-").
    pub unset_token: Option<Vec<u8>>,
    /// Token meaning "empty string" (Zeek "(empty)").
    pub empty_token: Option<Vec<u8>>,
    /// A line starting with this ends the data (nfdump's "Summary" trailer).
    pub stop_prefix: Option<Vec<u8>>,
    /// Offset east of UTC for `DateTime` values without a zone.
    pub default_tz_offset_secs: i32,
    /// Reject a line whose value does not parse as its column's type (known layouts). When false
    /// (inferred layouts) the column is widened instead and the file re-read.
    pub strict: bool,
    /// Strip surrounding spaces of string values (Argus pads `Dir`).
    pub trim_strings: bool,
}

impl DelimSpec {
    pub fn new(delimiter: u8, columns: Vec<ColSpec>) -> Self {
        Self {
            delimiter,
            columns,
            skip_lines: 0,
            comment_prefix: None,
            quotes: true,
            unset_token: None,
            empty_token: None,
            stop_prefix: None,
            default_tz_offset_secs: 0,
            strict: true,
            trim_strings: false,
        }
    }
}

/// Progress callback: bytes consumed so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

const BLOCK_BYTES: usize = 32 << 20;

/// What a lean query reads of a file (`data::lean_query`): every line is still split and every
/// field checked against its type, so the same lines are rejected for the same reasons, but only
/// the `keep` columns (by spec index) are built, and each parsed chunk goes through `on_chunk`
/// (derived fields, the pushed-down filter) before it is kept.
pub struct Projection<'a> {
    pub keep: &'a [bool],
    pub on_chunk: &'a (dyn Fn(DataFrame) -> Result<DataFrame> + Sync),
    /// The pushed-down filter decided while parsing, before the other columns are built.
    pub prefilter: Option<Prefilter<'a>>,
    /// Lines read as rows: valid lines, before any filter.
    pub rows_read: &'a AtomicU64,
}

/// A filter decided per parsed part: the columns it reads (`cols`, by spec index, within `keep`)
/// are built first, `passes` says which of those rows it keeps, and only they get the other
/// columns. Every field of every line is still parsed and checked (same rejects), but a one-day
/// filter over a fortnight no longer builds text for the thirteen other days. `passes` may keep
/// more rows than the filter does (`on_chunk` still applies it), never fewer.
pub struct Prefilter<'a> {
    pub cols: &'a [bool],
    pub passes: &'a (dyn Fn(DataFrame) -> Result<BooleanChunked> + Sync),
}

/// Reads the whole stream. Returns the table columns (in spec order, `Skip` left out) and the rejects.
pub fn read_delimited(
    input: impl Read,
    spec: &DelimSpec,
    file_label: &str,
    cancel: &AtomicBool,
    progress: Progress,
) -> Result<(DataFrame, Rejected)> {
    read_delimited_projected(input, spec, file_label, cancel, progress, None)
}

/// [`read_delimited`] building only the projected columns (all when `proj` is `None`).
pub fn read_delimited_projected(
    mut input: impl Read,
    spec: &DelimSpec,
    file_label: &str,
    cancel: &AtomicBool,
    progress: Progress,
    proj: Option<&Projection>,
) -> Result<(DataFrame, Rejected)> {
    let mut spec = spec.clone();
    // Widening needs a second pass over the data, so non-strict input is buffered whole. Those are
    // generic files whose types were guessed; known high-volume layouts are strict and stream.
    if !spec.strict {
        let mut all = Vec::new();
        input.read_to_end(&mut all).map_err(|e| DataError::io(file_label, e))?;
        loop {
            let mut widen = Vec::new();
            let out = read_blocks(&all[..], &spec, file_label, cancel, progress, Some(&mut widen), proj)?;
            if widen.is_empty() {
                return Ok(out);
            }
            for (i, k) in widen {
                spec.columns[i].kind = k;
            }
        }
    }
    read_blocks(input, &spec, file_label, cancel, progress, None, proj)
}

fn read_blocks(
    mut input: impl Read,
    spec: &DelimSpec,
    file_label: &str,
    cancel: &AtomicBool,
    progress: Progress,
    mut widen: Option<&mut Vec<(usize, Kind)>>,
    proj: Option<&Projection>,
) -> Result<(DataFrame, Rejected)> {
    let mut frames: Vec<DataFrame> = Vec::new();
    let mut rejected = Rejected::default();
    let mut carry: Vec<u8> = Vec::new();
    let mut line_no: u64 = 0; // lines before the current block
    let mut consumed: u64 = 0;
    let mut eof = false;
    let mut stopped = false;
    // One block buffer for the whole stream, read into directly: no second copy of the bytes and
    // no fresh pages to fault in per block.
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
    while !eof && !stopped {
        if cancel.load(Ordering::Relaxed) {
            return Err(DataError::Cancelled);
        }
        block.clear();
        block.extend_from_slice(&carry);
        carry.clear();
        // Fill up to one block; a short read is not the end of the stream.
        let filled = (&mut input)
            .take(BLOCK_BYTES as u64)
            .read_to_end(&mut block)
            .map_err(|e| DataError::io(file_label, e))?;
        eof = filled < BLOCK_BYTES;
        consumed += filled as u64;
        if !eof {
            // Keep the partial last line for the next block.
            match memchr::memrchr(b'\n', &block) {
                Some(p) => {
                    carry.extend_from_slice(&block[p + 1..]);
                    block.truncate(p + 1);
                }
                None => {
                    // A line longer than a block: all of it waits for the rest of the line.
                    std::mem::swap(&mut carry, &mut block);
                    continue;
                }
            }
        }
        if let Some(stop) = &spec.stop_prefix {
            if let Some(p) = find_line_start(&block, stop) {
                block.truncate(p);
                stopped = true;
            }
        }
        let parts = split_block(&block, rayon::current_num_threads().max(1) * 2);
        let mut starts = Vec::with_capacity(parts.len());
        let mut acc = line_no;
        for p in &parts {
            starts.push(acc);
            acc += memchr::memchr_iter(b'\n', p).count() as u64;
        }
        // Exact line counts size the builders: a guess from bytes over-allocates string views
        // by tens of percent, which polars keeps.
        let mut counts: Vec<usize> = starts.windows(2).map(|w| (w[1] - w[0]) as usize).collect();
        counts.push((acc - starts.last().copied().unwrap_or(acc)) as usize + 1);
        let lines_in_block =
            acc - line_no + u64::from(!block.is_empty() && *block.last().unwrap_or(&b'\n') != b'\n');
        let results: Vec<ChunkOut> = parts
            .par_iter()
            .zip(starts.par_iter().zip(counts.par_iter()))
            .map(|(part, (&start, &n))| {
                let mut out = parse_part(part, start, n, spec, file_label, widen.is_some(), proj)?;
                match proj {
                    Some(p) => Ok(ChunkOutInner { df: (p.on_chunk)(out.df)?, ..out }),
                    None => {
                        // A loaded table stores integers narrowed (`data::compact`); doing it
                        // per block keeps the wide block from ever existing for the whole file.
                        crate::data::compact::compact_block(&mut out.df)?;
                        Ok(out)
                    }
                }
            })
            .collect();
        for r in results {
            let r = r?;
            rejected.merge(r.rejected);
            if let Some(w) = widen.as_deref_mut() {
                for x in r.widen {
                    if !w.iter().any(|(i, _)| *i == x.0) {
                        w.push(x);
                    }
                }
            }
            if r.df.height() > 0 {
                frames.push(r.df);
            }
        }
        line_no += lines_in_block;
        progress(consumed);
    }
    let out = match frames.len() {
        0 => match proj {
            Some(p) => (p.on_chunk)(projected_empty_frame(spec, p.keep))?,
            None => empty_frame(spec),
        },
        _ => {
            // A block whose text stopped repeating kept views: that column is text in every block.
            crate::data::text_column::unify_text_columns(&mut frames)?;
            crate::data::compact::unify_storage(&mut frames)?;
            let mut it = frames.into_iter();
            let mut first = it.next().unwrap_or_default();
            for f in it {
                first.vstack_mut_owned(f)?;
            }
            first
        }
    };
    // Chunks stay as parsed: rechunking would copy the whole table once more (time and peak memory).
    Ok((out, rejected))
}

fn find_line_start(block: &[u8], prefix: &[u8]) -> Option<usize> {
    if block.starts_with(prefix) {
        return Some(0);
    }
    let mut needle = Vec::with_capacity(prefix.len() + 1);
    needle.push(b'\n');
    needle.extend_from_slice(prefix);
    memchr::memmem::find(block, &needle).map(|p| p + 1)
}

fn split_block(block: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts = Vec::with_capacity(n);
    let target = block.len() / n + 1;
    let mut start = 0;
    while start < block.len() {
        let mut end = (start + target).min(block.len());
        if end < block.len() {
            end = match memchr::memchr(b'\n', &block[end..]) {
                Some(p) => end + p + 1,
                None => block.len(),
            };
        }
        parts.push(&block[start..end]);
        start = end;
    }
    parts
}

enum Builder {
    I32(PrimitiveChunkedBuilder<Int32Type>),
    I64(PrimitiveChunkedBuilder<Int64Type>),
    F64(PrimitiveChunkedBuilder<Float64Type>),
    /// Dictionary codes while the values repeat, else views (`text_column`).
    Text(TextBuilder),
    Bool(BooleanChunkedBuilder),
}

impl Builder {
    fn new(spec: &ColSpec, cap: usize) -> Option<Self> {
        let name = PlSmallStr::from(spec.name.as_str());
        Some(match spec.kind {
            Kind::I32 | Kind::Port => Builder::I32(PrimitiveChunkedBuilder::new(name, cap)),
            Kind::I64 | Kind::EpochSecs | Kind::DateTime => {
                Builder::I64(PrimitiveChunkedBuilder::new(name, cap))
            }
            Kind::F64 => Builder::F64(PrimitiveChunkedBuilder::new(name, cap)),
            Kind::Str | Kind::LowerStr => Builder::Text(TextBuilder::for_block(cap)),
            Kind::Bool => Builder::Bool(BooleanChunkedBuilder::new(name, cap)),
            Kind::Skip => return None,
        })
    }
    fn null(&mut self) {
        match self {
            Builder::I32(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::Text(b) => b.push_null(),
            Builder::Bool(b) => b.append_null(),
        }
    }
    fn finish(self, name: &str, kind: Kind, height: usize) -> Result<Column> {
        Ok(match self {
            Builder::I32(b) => b.finish().into_series().into_column(),
            Builder::I64(b) => {
                let s = b.finish().into_series();
                if matches!(kind, Kind::EpochSecs | Kind::DateTime) {
                    s.cast(&crate::data::table::time_dtype()).unwrap_or(s).into_column()
                } else {
                    s.into_column()
                }
            }
            Builder::F64(b) => b.finish().into_series().into_column(),
            Builder::Text(b) => {
                finish_text(name.into(), vec![TextPart::Text(b)], height, true)?.into_column()
            }
            Builder::Bool(b) => b.finish().into_series().into_column(),
        })
    }
}

/// The table a spec gives with no rows: its columns and their types.
pub fn empty_frame(spec: &DelimSpec) -> DataFrame {
    projected_empty_frame(spec, &vec![true; spec.columns.len()])
}

fn projected_empty_frame(spec: &DelimSpec, keep: &[bool]) -> DataFrame {
    let cols: Vec<Column> = spec
        .columns
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .filter_map(|(c, _)| Builder::new(c, 0).map(|b| b.finish(&c.name, c.kind, 0)))
        .collect::<Result<Vec<_>>>()
        .unwrap_or_default();
    DataFrame::new(0, cols).unwrap_or_default()
}

struct ChunkOutInner {
    df: DataFrame,
    rejected: Rejected,
    widen: Vec<(usize, Kind)>,
}
type ChunkOut = Result<ChunkOutInner>;

/// Parsed value of one field, before it is appended (so a bad field rejects the whole line).
enum Parsed<'a> {
    Null,
    I(i64),
    F(f64),
    S(&'a [u8]),
    Owned(String),
    B(bool),
}

fn parse_part(
    part: &[u8],
    first_line: u64,
    est_rows: usize,
    spec: &DelimSpec,
    file: &str,
    may_widen: bool,
    proj: Option<&Projection>,
) -> ChunkOut {
    let keep = proj.map(|p| p.keep);
    // Widening reads the part again anyway; the filter is left to `on_chunk` there.
    let pre = proj.and_then(|p| p.prefilter.as_ref()).filter(|_| !may_widen);
    // Kept columns the filter does not read wait for its verdict, as parsed values.
    let deferred_col: Vec<bool> = spec
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| c.kind != Kind::Skip && keep.is_none_or(|k| k[i]) && pre.is_some_and(|p| !p.cols[i]))
        .collect();
    let mut deferred: Vec<Parsed> = Vec::new();
    // Columns left out of a projection are still parsed (a bad value rejects the line) but never built.
    let mut builders: Vec<Option<Builder>> = spec
        .columns
        .iter()
        .enumerate()
        .map(
            |(i, c)| {
                if keep.is_none_or(|k| k[i]) && !deferred_col[i] {
                    Builder::new(c, est_rows)
                } else {
                    None
                }
            },
        )
        .collect();
    let mut rows = 0usize;
    let mut rejected = Rejected::default();
    let mut widen: Vec<(usize, Kind)> = Vec::new();
    let ncols = spec.columns.len();
    let mut fields: Vec<(usize, usize)> = Vec::with_capacity(ncols + 4);
    let mut values: Vec<Parsed> = Vec::with_capacity(ncols);
    let mut unquoted: Vec<String> = Vec::new();
    let mut line_no = first_line;
    // Lines found with memchr (SIMD) rather than byte by byte: splitting was a fifth of the time.
    let mut next_line = 0;
    while next_line < part.len() {
        let end = memchr::memchr(b'\n', &part[next_line..]).map_or(part.len(), |p| next_line + p + 1);
        let raw_line = &part[next_line..end];
        next_line = end;
        line_no += 1;
        let mut line = raw_line;
        while let [rest @ .., b'\n' | b'\r'] = line {
            line = rest;
        }
        if line_no <= spec.skip_lines {
            continue;
        }
        if line.is_empty() || line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if let Some(c) = spec.comment_prefix {
            if line[0] == c {
                continue;
            }
        }
        fields.clear();
        unquoted.clear();
        if let Err(reason) = split_fields(line, spec, &mut fields, &mut unquoted) {
            rejected.push(file, line_no, reason, line);
            continue;
        }
        if fields.len() != ncols {
            let reason = format!("expected {} fields, found {}", ncols, fields.len());
            rejected.push(file, line_no, reason, line);
            continue;
        }
        values.clear();
        let mut bad: Option<String> = None;
        let mut uq = 0usize;
        for (i, &(a, b)) in fields.iter().enumerate() {
            // usize::MAX marks a field that had quotes removed and lives in `unquoted`.
            let owned;
            let f: &[u8] = if a == usize::MAX {
                owned = unquoted[uq].as_bytes();
                uq += 1;
                owned
            } else {
                &line[a..b]
            };
            let col = &spec.columns[i];
            // Text and ports never reject a line: a column left out of a projection needs no look.
            let never_rejects = matches!(col.kind, Kind::Str | Kind::LowerStr | Kind::Port);
            if col.kind == Kind::Skip || never_rejects && builders[i].is_none() && !deferred_col[i] {
                values.push(Parsed::Null);
                continue;
            }
            match parse_value(f, col.kind, spec) {
                // Values are re-tied to `line` (which outlives the loop) rather than to `f`, which
                // may point into the per-line `unquoted` scratch buffer.
                Ok(v) => values.push(match v {
                    Parsed::S(_) if a == usize::MAX => Parsed::Owned(String::from_utf8_lossy(f).into_owned()),
                    Parsed::S(s) => {
                        let off = a + (s.as_ptr() as usize - f.as_ptr() as usize);
                        Parsed::S(&line[off..off + s.len()])
                    }
                    Parsed::Owned(s) => Parsed::Owned(s),
                    Parsed::I(x) => Parsed::I(x),
                    Parsed::F(x) => Parsed::F(x),
                    Parsed::B(x) => Parsed::B(x),
                    Parsed::Null => Parsed::Null,
                }),
                Err(expected) => {
                    if may_widen {
                        let wider = match (col.kind, parse_value(f, Kind::F64, spec)) {
                            (Kind::I32 | Kind::I64, Ok(_)) => Kind::F64,
                            _ => Kind::Str,
                        };
                        if !widen.iter().any(|(j, _)| *j == i) {
                            widen.push((i, wider));
                        }
                        values.push(Parsed::Null);
                    } else {
                        let shown = String::from_utf8_lossy(&f[..f.len().min(40)]).into_owned();
                        bad = Some(format!(
                            "column {} ('{}'): expected {expected}, found '{shown}'",
                            i + 1,
                            col.name
                        ));
                        break;
                    }
                }
            }
        }
        if let Some(reason) = bad {
            rejected.push(file, line_no, reason, line);
            continue;
        }
        rows += 1;
        for (i, v) in values.drain(..).enumerate() {
            match &mut builders[i] {
                Some(b) => append(b, v),
                None if deferred_col[i] => deferred.push(v),
                None => {}
            }
        }
    }
    if let Some(p) = proj {
        p.rows_read.fetch_add(rows as u64, Ordering::Relaxed);
    }
    let cols: Vec<Column> = builders
        .into_iter()
        .zip(spec.columns.iter())
        .filter_map(|(b, c)| b.map(|b| b.finish(&c.name, c.kind, rows)))
        .collect::<Result<Vec<_>>>()?;
    // The height is counted, not inferred: a projection may keep no column at all (`count(*)`).
    let df = DataFrame::new(rows, cols)?;
    let df = match pre {
        Some(pre) => build_passing(df, pre, spec, &deferred_col, deferred)?,
        None => df,
    };
    Ok(ChunkOutInner { df, rejected, widen })
}

fn append(b: &mut Builder, v: Parsed) {
    match (b, v) {
        (b, Parsed::Null) => b.null(),
        (Builder::I32(b), Parsed::I(x)) => b.append_value(x as i32),
        (Builder::I64(b), Parsed::I(x)) => b.append_value(x),
        (Builder::F64(b), Parsed::F(x)) => b.append_value(x),
        (Builder::F64(b), Parsed::I(x)) => b.append_value(x as f64),
        (Builder::Text(b), Parsed::S(s)) => b.push(String::from_utf8_lossy(s).as_ref()),
        (Builder::Text(b), Parsed::Owned(s)) => b.push(s.as_str()),
        (Builder::Bool(b), Parsed::B(x)) => b.append_value(x),
        (b, _) => b.null(),
    }
}

/// The part's rows that `pre` passes: `first` (the filter's columns, every row) filtered, and the
/// `deferred` values (row by row, one per deferred column) built for those rows only. Columns
/// come in spec order.
fn build_passing(
    first: DataFrame,
    pre: &Prefilter,
    spec: &DelimSpec,
    deferred_col: &[bool],
    mut deferred: Vec<Parsed>,
) -> Result<DataFrame> {
    let rows = first.height();
    let mask = (pre.passes)(first.clone())?;
    // A verdict that is not one per row (a constant filter) decides nothing here.
    let mask = if mask.len() == rows { mask } else { BooleanChunked::full("pass".into(), true, rows) };
    let first = first.filter(&mask)?;
    let passing: Vec<usize> =
        mask.iter().enumerate().filter(|(_, m)| *m == Some(true)).map(|(r, _)| r).collect();
    let later: Vec<usize> = (0..spec.columns.len()).filter(|&i| deferred_col[i]).collect();
    let mut builders: Vec<Builder> =
        later.iter().filter_map(|&i| Builder::new(&spec.columns[i], passing.len())).collect();
    if !later.is_empty() {
        for &r in &passing {
            let row = &mut deferred[r * later.len()..(r + 1) * later.len()];
            for (b, v) in builders.iter_mut().zip(row) {
                append(b, std::mem::replace(v, Parsed::Null));
            }
        }
    }
    drop(deferred);
    let mut built = builders.into_iter();
    let mut cols = Vec::with_capacity(first.width() + later.len());
    for (i, c) in spec.columns.iter().enumerate() {
        if deferred_col[i] {
            if let Some(b) = built.next() {
                cols.push(b.finish(&c.name, c.kind, passing.len())?);
            }
        } else if let Ok(col) = first.column(&c.name) {
            cols.push(col.clone());
        }
    }
    Ok(DataFrame::new(passing.len(), cols)?)
}

/// Bit 7 of each byte of the result is set where `word` holds `byte`, and nothing else: no borrow
/// crosses bytes, so every set bit is a match.
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Splits a line into field byte ranges. Quoted fields (with "" escapes) are unquoted into `unquoted`
/// and marked with `usize::MAX` so the fast path (no quotes) never allocates.
fn split_fields(
    line: &[u8],
    spec: &DelimSpec,
    out: &mut Vec<(usize, usize)>,
    unquoted: &mut Vec<String>,
) -> std::result::Result<(), String> {
    let d = spec.delimiter;
    // Eight bytes at a time (SWAR): short fields make a memchr call per field cost more than it
    // saves, and a byte-by-byte scan was a quarter of the time. A quote anywhere sends the line to
    // the quote-aware path below.
    let mut start = 0;
    let mut quoted = false;
    let mut words = line.chunks_exact(8);
    let mut base = 0;
    for c in &mut words {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if spec.quotes && bytes_equal(w, b'"') != 0 {
            quoted = true;
            break;
        }
        let mut m = bytes_equal(w, d);
        while m != 0 {
            let p = base + (m.trailing_zeros() / 8) as usize;
            out.push((start, p));
            start = p + 1;
            m &= m - 1;
        }
        base += 8;
    }
    if !quoted {
        for (i, &b) in words.remainder().iter().enumerate() {
            if b == d {
                out.push((start, base + i));
                start = base + i + 1;
            } else if b == b'"' && spec.quotes {
                quoted = true;
                break;
            }
        }
    }
    if !quoted {
        out.push((start, line.len()));
        return Ok(());
    }
    out.clear();
    let mut i = 0;
    loop {
        if i < line.len() && line[i] == b'"' {
            let mut s = Vec::new();
            let mut j = i + 1;
            loop {
                match line.get(j) {
                    None => return Err(format!("unterminated quote starting at byte {}", i + 1)),
                    Some(b'"') if line.get(j + 1) == Some(&b'"') => {
                        s.push(b'"');
                        j += 2;
                    }
                    Some(b'"') => {
                        j += 1;
                        break;
                    }
                    Some(&c) => {
                        s.push(c);
                        j += 1;
                    }
                }
            }
            unquoted.push(String::from_utf8_lossy(&s).into_owned());
            out.push((usize::MAX, usize::MAX));
            match line.get(j) {
                None => return Ok(()),
                Some(&c) if c == d => i = j + 1,
                Some(_) => return Err(format!("unexpected character after closing quote at byte {}", j + 1)),
            }
            if i == line.len() {
                out.push((i, i));
                return Ok(());
            }
        } else {
            match memchr::memchr(d, &line[i..]) {
                Some(p) => {
                    out.push((i, i + p));
                    i += p + 1;
                    if i == line.len() {
                        out.push((i, i));
                        return Ok(());
                    }
                }
                None => {
                    out.push((i, line.len()));
                    return Ok(());
                }
            }
        }
    }
}

fn parse_value<'a>(
    f: &'a [u8],
    kind: Kind,
    spec: &DelimSpec,
) -> std::result::Result<Parsed<'a>, &'static str> {
    if f.is_empty() || spec.unset_token.as_deref() == Some(f) {
        return Ok(Parsed::Null);
    }
    if spec.empty_token.as_deref() == Some(f) {
        return Ok(match kind {
            Kind::Str | Kind::LowerStr => Parsed::S(&f[..0]),
            _ => Parsed::Null,
        });
    }
    match kind {
        Kind::I32 | Kind::I64 => {
            let t = trim_ascii(f);
            parse_int(t).map(Parsed::I).ok_or("an integer").and_then(|v| match (kind, v) {
                (Kind::I32, Parsed::I(x)) if x < i32::MIN as i64 || x > i32::MAX as i64 => {
                    Err("a 32-bit integer")
                }
                (_, v) => Ok(v),
            })
        }
        Kind::Port => {
            let t = trim_ascii(f);
            Ok(match parse_int(t) {
                Some(x) if (0..=65535).contains(&x) => Parsed::I(x),
                _ => Parsed::Null,
            })
        }
        Kind::F64 => {
            let t = trim_ascii(f);
            std::str::from_utf8(t).ok().and_then(|s| s.parse::<f64>().ok()).map(Parsed::F).ok_or("a number")
        }
        Kind::Str | Kind::LowerStr => Ok(Parsed::S(if spec.trim_strings { trim_ascii(f) } else { f })),
        Kind::Bool => match trim_ascii(f) {
            b"T" | b"t" | b"true" | b"True" | b"TRUE" | b"1" => Ok(Parsed::B(true)),
            b"F" | b"f" | b"false" | b"False" | b"FALSE" | b"0" => Ok(Parsed::B(false)),
            _ => Err("T or F"),
        },
        Kind::EpochSecs => epoch_secs_to_us(f).map(Parsed::I).ok_or("epoch seconds"),
        Kind::DateTime => {
            datetime_to_us(f, spec.default_tz_offset_secs).map(Parsed::I).ok_or("a date and time")
        }
        Kind::Skip => Ok(Parsed::Null),
    }
}

pub fn trim_ascii(f: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = f.len();
    while a < b && f[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && f[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    &f[a..b]
}

pub fn parse_int(t: &[u8]) -> Option<i64> {
    let (neg, digits) = match t {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as i64)?;
    }
    Some(if neg { -v } else { v })
}

/// Guesses a column kind from sample values (generic CSV): integer, number, date-time or text.
pub fn infer_kind(samples: &[&[u8]]) -> Kind {
    let vals: Vec<&[u8]> = samples.iter().map(|s| trim_ascii(s)).filter(|s| !s.is_empty()).collect();
    if vals.is_empty() {
        return Kind::Str;
    }
    if vals.iter().all(|v| parse_int(v).is_some()) {
        return Kind::I64;
    }
    if vals.iter().all(|v| std::str::from_utf8(v).ok().and_then(|s| s.parse::<f64>().ok()).is_some()) {
        return Kind::F64;
    }
    if vals.iter().all(|v| datetime_to_us(v, 0).is_some()) {
        return Kind::DateTime;
    }
    Kind::Str
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, spec: &DelimSpec) -> (DataFrame, Rejected) {
        let cancel = AtomicBool::new(false);
        read_delimited(text.as_bytes(), spec, "t.csv", &cancel, &|_| {}).unwrap()
    }

    fn spec3() -> DelimSpec {
        DelimSpec::new(
            b',',
            vec![
                ColSpec::new("a", Kind::I64),
                ColSpec::new("b", Kind::Str),
                ColSpec::new("t", Kind::EpochSecs),
            ],
        )
    }

    #[test]
    fn parses_and_rejects_with_line_numbers() {
        let (df, rej) = read("1,x,10.5\n2,y\nz,w,3\n4,\"q,\"\"r\",4\n", &spec3());
        assert_eq!(df.height(), 2);
        assert_eq!(rej.total, 2);
        assert_eq!(rej.samples[0].line, 2);
        assert!(rej.samples[0].reason.contains("expected 3 fields, found 2"));
        assert_eq!(rej.samples[1].line, 3);
        assert!(rej.samples[1].reason.contains("expected an integer"), "{}", rej.samples[1].reason);
        let b = crate::data::text_column::as_text(df.column("b").unwrap()).unwrap();
        assert_eq!(b.str().unwrap().get(1), Some("q,\"r"));
    }

    #[test]
    fn truncated_last_line_and_crlf() {
        let (df, rej) = read("1,x,1\r\n2,y,2\r\n3,z", &spec3());
        assert_eq!(df.height(), 2);
        assert_eq!(rej.total, 1);
        assert_eq!(rej.samples[0].line, 3);
    }

    #[test]
    fn widening_for_inferred_columns() {
        let mut s = spec3();
        s.strict = false;
        let (df, rej) = read("1,x,1\n2.5,y,2\n", &s);
        assert_eq!(rej.total, 0);
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::Float64);
        let (df, _) = read("1,x,1\nabc,y,2\n", &s);
        let a = df.column("a").unwrap();
        assert!(matches!(a.dtype(), DataType::String | DataType::Categorical(..)), "{:?}", a.dtype());
        let a = crate::data::text_column::as_text(a).unwrap();
        assert_eq!(a.str().unwrap().iter().collect::<Vec<_>>(), [Some("1"), Some("abc")]);
    }

    /// Repeating text (addresses, protocols) is kept as dictionary codes, 4 bytes a row instead of
    /// a 16-byte view; text that stops repeating in some block is text in every block, and either
    /// way every value reads back as written, in order.
    #[test]
    fn repeating_text_is_categorical_and_blocks_that_stop_repeating_make_it_text() {
        let repeating: String = (0..6000).map(|i| format!("{i},10.0.{}.{},1\n", i % 7, i % 3)).collect();
        let (df, rej) = read(&repeating, &spec3());
        assert_eq!(rej.total, 0);
        let b = df.column("b").unwrap();
        assert!(matches!(b.dtype(), DataType::Categorical(..)), "{:?}", b.dtype());
        let want: Vec<String> = (0..6000).map(|i| format!("10.0.{}.{}", i % 7, i % 3)).collect();
        let got = crate::data::text_column::as_text(b).unwrap();
        let got: Vec<&str> = got.str().unwrap().iter().map(|v| v.unwrap()).collect();
        assert_eq!(got, want);

        // The second half is all distinct: its blocks give their dictionaries up.
        let mixed: String = (0..6000)
            .map(|i| if i < 3000 { format!("{i},same,1\n") } else { format!("{i},distinct {i},1\n") })
            .collect();
        let (df, _) = read(&mixed, &spec3());
        assert!(df.column("b").unwrap().n_chunks() > 1, "the test needs several blocks");
        assert_eq!(df.column("b").unwrap().dtype(), &DataType::String);
        let got: Vec<String> =
            df.column("b").unwrap().str().unwrap().iter().map(|v| v.unwrap().to_string()).collect();
        let want: Vec<String> =
            (0..6000).map(|i| if i < 3000 { "same".to_string() } else { format!("distinct {i}") }).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn stop_prefix_and_comments() {
        let mut s = spec3();
        s.stop_prefix = Some(b"Summary".to_vec());
        s.comment_prefix = Some(b'#');
        let (df, rej) = read("#x\n1,x,1\nSummary\nflows,bytes\n1,2\n", &s);
        assert_eq!(df.height(), 1);
        assert_eq!(rej.total, 0);
    }

    #[test]
    fn a_line_longer_than_a_block_is_one_rejected_line_and_the_next_lines_keep_their_numbers() {
        let mut text = String::from("1,x,1\n");
        text.push_str(&"y".repeat(BLOCK_BYTES + 1000));
        text.push_str("\n2,z,2\n");
        let (df, rej) = read(&text, &spec3());
        assert_eq!(df.height(), 2);
        assert_eq!(rej.total, 1);
        assert_eq!(rej.samples[0].line, 2);
        let a = df.column("a").unwrap().cast(&DataType::Int64).unwrap();
        assert_eq!(a.i64().unwrap().get(1), Some(2));
    }

    #[test]
    fn word_at_a_time_matching_finds_every_byte_and_only_those() {
        for byte in [b',', b'\t', b'"', 0u8, 0x80, 0xff, 0x01] {
            for seed in 0..2000u64 {
                let mut bytes = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes();
                for (i, b) in bytes.iter_mut().enumerate() {
                    // Plant the byte and its neighbours (borrows would show there).
                    if (seed >> i) & 3 == 0 {
                        *b = byte;
                    } else if (seed >> i) & 7 == 1 {
                        *b = byte.wrapping_add(1);
                    }
                }
                let m = bytes_equal(u64::from_le_bytes(bytes), byte);
                for (i, b) in bytes.iter().enumerate() {
                    assert_eq!((m >> (i * 8 + 7)) & 1 == 1, *b == byte, "{bytes:?} byte {i}");
                }
                assert_eq!(m & !0x8080_8080_8080_8080, 0);
            }
        }
        // Fields split the same at every offset into a word.
        let spec = spec3();
        for pad in 0..10 {
            let line = format!("{}1,x,{}", "7".repeat(pad), "9".repeat(pad));
            let (mut out, mut uq) = (Vec::new(), Vec::new());
            split_fields(line.as_bytes(), &spec, &mut out, &mut uq).unwrap();
            assert_eq!(out, [(0, pad + 1), (pad + 2, pad + 3), (pad + 4, line.len())]);
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut bytes: Vec<u8> = (0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        bytes.extend_from_slice(b"\"\"\",,\n\"");
        let cancel = AtomicBool::new(false);
        let (df, rej) = read_delimited(&bytes[..], &spec3(), "g", &cancel, &|_| {}).unwrap();
        assert_eq!(df.height(), 0);
        assert!(rej.total > 0);
    }

    /// A line of `spec4`'s shape, or a hostile one: shellcode bytes, quotes, huge numbers, broken
    /// times, missing or extra fields.
    fn hostile_line() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let field = prop_oneof![
            (-50i64..50).prop_map(|v| v.to_string().into_bytes()),
            Just(b"99999999999999999999999".to_vec()),
            Just(b"1364774400.5".to_vec()),
            Just(b"13647x4400".to_vec()),
            Just(b"\"q,\"\"r\"".to_vec()),
            Just(b"\x90\x90\xeb\x1f\x5e".to_vec()),
            Just(Vec::new()),
            "[a-z.]{0,6}".prop_map(String::into_bytes),
        ];
        proptest::collection::vec(field, 2..6).prop_map(|fields| fields.join(&b','))
    }

    /// [`spec3`] and a second text column.
    fn spec4() -> DelimSpec {
        let mut spec = spec3();
        spec.columns.push(ColSpec::new("c", Kind::Str));
        spec
    }

    /// Reads `text` keeping `a`, `b` and `c`, with `a > k` applied to each chunk; with `prefilter`,
    /// also decided on `a` alone before `b` and `c` are built.
    fn read_filtered(text: &[u8], k: i64, prefilter: bool) -> (DataFrame, u64, u64) {
        let spec = spec4();
        let keep = [true, true, false, true];
        let cond = col("a").gt(lit(k));
        let on_chunk = |df: DataFrame| -> Result<DataFrame> {
            Ok(df.lazy().filter(cond.clone()).collect_with_engine(Engine::InMemory)?.unwrap_single())
        };
        let passes = |df: DataFrame| -> Result<BooleanChunked> {
            let v = df.lazy().select([cond.clone().alias("pass")]).collect_with_engine(Engine::InMemory)?;
            Ok(v.unwrap_single().column("pass")?.bool()?.clone())
        };
        let cols = [true, false, false, false];
        let rows = AtomicU64::new(0);
        let proj = Projection {
            keep: &keep,
            on_chunk: &on_chunk,
            prefilter: prefilter.then_some(Prefilter { cols: &cols, passes: &passes }),
            rows_read: &rows,
        };
        let cancel = AtomicBool::new(false);
        let (df, rej) =
            read_delimited_projected(text, &spec, "t.csv", &cancel, &|_| {}, Some(&proj)).unwrap();
        (df, rej.total, rows.load(Ordering::Relaxed))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]

        /// Deciding the filter before the other columns are built changes nothing: the same rows,
        /// values and nulls, the same rejected lines, the same count of rows read.
        #[test]
        fn a_prefilter_gives_what_filtering_afterwards_gives(
            lines in proptest::collection::vec(hostile_line(), 0..40),
            k in -60i64..60,
        ) {
            let text = lines.join(&b'\n');
            let (late, late_rej, late_rows) = read_filtered(&text, k, false);
            let (early, early_rej, early_rows) = read_filtered(&text, k, true);
            proptest::prop_assert!(early.equals_missing(&late), "early {early:?}\nlate {late:?}");
            proptest::prop_assert_eq!(early_rej, late_rej);
            proptest::prop_assert_eq!(early_rows, late_rows);
        }
    }
}
