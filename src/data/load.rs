//! Opening files: expand directories, detect formats, decompress gzip, parse in the background
//! (cancellable, with progress), stack several files of one kind into one table with `source_file`.
use super::builder::{ColumnChunk, FieldSet, RecordTable};
use super::error::{DataError, Result};
use super::formats::{self, delimited, Detected};
use super::record::{LineFields, LineParser, ParseContext};
use super::table::{time_dtype, Alias, Rejected, Table};
use super::text_column::{finish_text, TextBuilder, TextPart};
use polars::prelude::*;
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Offset east of UTC for timestamps without a zone (syslog, Argus, nfdump). Default UTC.
    pub tz_offset_secs: i32,
    /// Year for timestamps without one (RFC 3164 syslog). Default: the file's modification year.
    pub default_year: Option<i32>,
    /// A format name from `formats::FORMATS` to read every file as, instead of detecting it.
    pub format: Option<String>,
    /// Build only these fields of line formats (a query's projection, see `lean_query`); None:
    /// every field. Other formats ignore it. Lines are parsed and rejected exactly as always.
    pub only_fields: Option<FieldSet>,
}

/// Shared between the loader thread and the UI: progress and cancel.
#[derive(Debug, Default)]
pub struct LoadControl {
    pub cancel: AtomicBool,
    pub bytes_done: AtomicU64,
    pub bytes_total: AtomicU64,
}

impl LoadControl {
    pub fn fraction(&self) -> f32 {
        let t = self.bytes_total.load(Ordering::Relaxed);
        if t == 0 {
            0.0
        } else {
            (self.bytes_done.load(Ordering::Relaxed) as f64 / t as f64).min(1.0) as f32
        }
    }
}

const SNIFF_BYTES: usize = 64 * 1024;

fn is_gzip(path: &Path) -> std::io::Result<bool> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// Opens a file for reading, decompressing gzip transparently. Only the bytes present when it is
/// opened are read: a log that is still being written gives a consistent snapshot (what follows
/// is left for the next load), never a mix of old and new lines.
pub fn open_reader(path: &Path) -> Result<Box<dyn Read + Send>> {
    let gz = is_gzip(path).map_err(|e| DataError::io(path, e))?;
    let f = File::open(path).map_err(|e| DataError::io(path, e))?;
    let meta = f.metadata().map_err(|e| DataError::io(path, e))?;
    // Pipes and devices report no size: read them to the end.
    let limit = if meta.is_file() { meta.len() } else { u64::MAX };
    let r = BufReader::with_capacity(1 << 20, f.take(limit));
    Ok(if gz { Box::new(flate2::read::MultiGzDecoder::new(r)) } else { Box::new(r) })
}

/// The first non-empty lines of a file's sniffed head (BOM and CR removed, at most 1000), and how
/// many of them type inference may use: the sniff window may cut the last line, so it is left out.
pub(crate) fn sniffed_lines(head: &[u8]) -> (Vec<&[u8]>, usize) {
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let lines: Vec<&[u8]> = body
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(1000)
        .collect();
    let infer_n = if head.len() >= SNIFF_BYTES && lines.len() > 2 { lines.len() - 1 } else { lines.len() };
    (lines, infer_n)
}

pub(crate) fn head_of(path: &Path) -> Result<Vec<u8>> {
    let mut r = open_reader(path)?;
    let mut buf = vec![0u8; SNIFF_BYTES];
    let mut n = 0;
    while n < buf.len() {
        let k = r.read(&mut buf[n..]).map_err(|e| DataError::io(path, e))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    buf.truncate(n);
    Ok(buf)
}

/// Detects the format of one file.
pub fn detect_file(path: &Path) -> Result<Detected> {
    let head = head_of(path)?;
    formats::detect(&head).map_err(|reason| DataError::format(path, reason))
}

/// The format of one file: the forced one of `opts.format`, else detected.
pub(crate) fn format_of(path: &Path, opts: &LoadOptions) -> Result<Detected> {
    match &opts.format {
        Some(name) => {
            let head = head_of(path)?;
            formats::forced(name, &head).map_err(|reason| DataError::format(path, reason))
        }
        None => detect_file(path),
    }
}

pub(crate) fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    for e in rd {
        let e = e.map_err(|e| DataError::io(dir, e))?;
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            out.extend(list_dir(&p)?);
        } else {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Wraps a Read and counts bytes into the progress counter.
struct Counting<'a, R> {
    inner: R,
    ctl: &'a LoadControl,
    /// Count half of each byte: line formats count the other half as lines are parsed.
    half: bool,
    read: u64,
}

impl<'a, R> Counting<'a, R> {
    fn new(inner: R, ctl: &'a LoadControl) -> Self {
        Self { inner, ctl, half: false, read: 0 }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let before = self.read;
        self.read += n as u64;
        let add = if self.half { self.read / 2 - before / 2 } else { n as u64 };
        self.ctl.bytes_done.fetch_add(add, Ordering::Relaxed);
        Ok(n)
    }
}

/// One file's part of the table.
struct Part {
    df: DataFrame,
    rejected: Rejected,
    aliases: Vec<Alias>,
    notes: Vec<String>,
}

/// Loads the given files and directories into one table.
pub fn load_paths(paths: &[PathBuf], opts: &LoadOptions, ctl: &LoadControl) -> Result<Table> {
    if paths.is_empty() {
        return Err(DataError::Other("no input files given".into()));
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let mut notes = Vec::new();
    let mut parquet_dirs = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| DataError::io(p, e))?;
        if meta.is_dir() {
            let listed = list_dir(p)?;
            if !listed.is_empty() && listed.iter().all(|f| f.extension().is_some_and(|e| e == "parquet")) {
                parquet_dirs.push(p.clone());
                continue;
            }
            // In a directory, files that are clearly not logs (READMEs, licences) are skipped and said so.
            for f in listed {
                match format_of(&f, opts) {
                    Ok(_) => files.push(f),
                    Err(e) => notes.push(format!("skipped {}: {e}", f.display())),
                }
            }
        } else {
            files.push(p.clone());
        }
    }
    // A collector's files (nfcapd.YYYYMMDDhhmm) stack in time order whatever order they were given in.
    files.sort_by_key(|f| {
        f.file_name().and_then(|n| formats::nfcapd::name_time(&n.to_string_lossy()).map(str::to_owned))
    });
    let mut total = 0u64;
    for f in &files {
        total += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
    }
    ctl.bytes_total.store(total.max(1), Ordering::Relaxed);

    let mut detected = Vec::new();
    for f in &files {
        detected.push((f.clone(), format_of(f, opts)?));
    }
    let families: std::collections::BTreeSet<String> = detected.iter().map(|(_, d)| d.family()).collect();
    if families.len() > 1 || (!parquet_dirs.is_empty() && !detected.is_empty()) {
        let listing: Vec<String> =
            detected.iter().map(|(f, d)| format!("{} ({})", f.display(), d.name())).collect();
        return Err(DataError::Other(format!(
            "the inputs mix formats: {}; open files of one kind together",
            listing.join(", ")
        )));
    }
    let mut parts = Vec::new();
    let mut format_name = String::new();
    let mut input_bytes = total;
    for dir in &parquet_dirs {
        parts.push(load_parquet(dir, true)?);
        format_name = "parquet (hive partitioned)".into();
        input_bytes += dir_size(dir);
    }
    for (f, det) in detected {
        if format_name.is_empty() {
            format_name = det.name();
        } else if format_name != det.name() && !format_name.contains(&det.name()) {
            format_name = det.family();
        }
        let part = load_one(&f, det, opts, ctl)?;
        parts.push(part);
    }
    let multi = parts.len() > 1;
    let mut all_rejected = Rejected::default();
    let mut aliases: Vec<Alias> = Vec::new();
    let mut frames = Vec::new();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        .chain(parquet_dirs.iter().map(|d| d.display().to_string()))
        .collect();
    for (i, mut part) in parts.into_iter().enumerate() {
        if multi {
            let name = names.get(i).cloned().unwrap_or_default();
            let h = part.df.height();
            part.df.with_column(Column::new_scalar(
                "source_file".into(),
                Scalar::from(PlSmallStr::from(name)),
                h,
            ))?;
        }
        all_rejected.merge(part.rejected);
        for a in part.aliases {
            if !aliases.iter().any(|b| b.original() == a.original()) {
                aliases.push(a);
            }
        }
        notes.extend(part.notes);
        frames.push(part.df);
    }
    // Files narrowed apart (`data::compact`) stack in one storage type per column.
    super::compact::unify_storage(&mut frames)?;
    let mut df = concat_diagonal(frames)?;
    postprocess(&mut df, &mut notes)?;
    // `time` in one piece, so the linking index borrows it instead of keeping a copy
    // (`linking::index`): 8 bytes a row.
    if let Ok(time) = df.column("time") {
        let time = time.as_materialized_series();
        if time.n_chunks() > 1 {
            let whole = time.rechunk().into_column();
            df.with_column(whole)?;
        }
    }
    if multi {
        // Keep `source_file` materialized: scalar columns are cheap but must survive filters.
        let _ = df.column("source_file");
    }
    // Flags, ports and counters in the fewest bytes that hold them; SQL and exports read them back
    // in their logical types (`data::compact`).
    super::compact::compact_integers(&mut df)?;
    // Its text in a dictionary of its own, 2-byte codes (`data::table_dict`).
    super::table_dict::narrow_text(&mut df)?;
    let mut files_out = files;
    files_out.extend(parquet_dirs);
    Ok(Table {
        df,
        format: format_name,
        files: files_out,
        aliases,
        rejected: all_rejected,
        notes,
        input_bytes,
    })
}

/// New rows of a followed file (`data::live`): `bytes` are complete lines, read from the start
/// of the file when `from_start` (a header is then skipped as in a whole-file load) or appended
/// after what was read before. Same parsers and derived fields as [`load_paths`]; rejected lines
/// are numbered from `first_line` (1-based line of the file where `bytes` begin).
pub fn parse_appended(
    path: &Path,
    bytes: &[u8],
    from_start: bool,
    first_line: u64,
    opts: &LoadOptions,
) -> Result<(DataFrame, Rejected, Vec<String>)> {
    let label = path.display().to_string();
    let det = format_of(path, opts)?;
    let cancel = AtomicBool::new(false);
    let mut notes = Vec::new();
    let (mut df, mut rejected) = match &det {
        Detected::Lines(parser) => {
            let ctx = ParseContext {
                default_year: opts.default_year.unwrap_or_else(|| file_year(path)),
                default_tz_offset_secs: opts.tz_offset_secs,
                file_name: label.clone(),
                latest_us: if opts.default_year.is_none() { file_mtime_us(path) } else { None },
                source_keys: None,
            };
            let parsed = parse_lines(bytes, parser.as_ref(), &ctx, &cancel)?;
            (parsed.table.into_frame_plain()?, parsed.rejected)
        }
        Detected::Parquet | Detected::Native(_) => {
            return Err(DataError::format(
                path,
                format!("{} files cannot be followed as they grow", det.name()),
            ))
        }
        _ => {
            let head = head_of(path)?;
            let (head_lines, infer_n) = sniffed_lines(&head);
            let infer_lines = &head_lines[..infer_n];
            let (mut spec, _) = delim_spec(path, &det, &head_lines, infer_lines, opts, &mut notes)?;
            if !from_start {
                spec.skip_lines = 0;
            }
            delimited::read_delimited(bytes, &spec, &label, &cancel, &|_| {})?
        }
    };
    for r in &mut rejected.samples {
        r.line += first_line.saturating_sub(1);
    }
    postprocess(&mut df, &mut notes)?;
    Ok((df, rejected, notes))
}

fn dir_size(dir: &Path) -> u64 {
    list_dir(dir)
        .map(|v| v.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

fn file_mtime_us(path: &Path) -> Option<i64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(d.as_micros() as i64)
}

fn file_year(path: &Path) -> i32 {
    use chrono::Datelike;
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).year())
        .unwrap_or(1970)
}

fn load_one(path: &Path, det: Detected, opts: &LoadOptions, ctl: &LoadControl) -> Result<Part> {
    let label = path.display().to_string();
    let mut notes = Vec::new();
    if let Detected::Parquet = det {
        let p = load_parquet(path, false)?;
        ctl.bytes_done.fetch_add(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0), Ordering::Relaxed);
        return Ok(p);
    }
    if let Detected::Lines(parser) = det {
        let part = load_lines(path, parser.as_ref(), opts, ctl)?;
        if opts.format.is_some() {
            forced_fits(path, parser.name(), part.df.height() as u64, &part.rejected)?;
        }
        return Ok(part);
    }
    if let Detected::Native(kind) = det {
        return load_native(path, kind, ctl);
    }
    let head = head_of(path)?;
    let (head_lines, infer_n) = sniffed_lines(&head);
    let infer_lines = &head_lines[..infer_n];
    if let Detected::ZeekTsv = det {
        let h = formats::zeek_tsv::parse_header(&head_lines).map_err(|r| DataError::format(path, r))?;
        let aliases = formats::zeek_tsv::aliases(&h)
            .into_iter()
            .map(|(original, column)| Alias::Same { original, column })
            .collect();
        if let Some(p) = &h.path {
            notes.push(format!("{}: Zeek log type '{p}'", file_name(path)));
        }
        let mut s = formats::zeek_tsv::spec(&h);
        s.default_tz_offset_secs = opts.tz_offset_secs;
        let mut part = read_spec(path, &s, &label, ctl)?;
        if h.path.as_deref() == Some("syslog") {
            enrich_syslog_messages(&mut part.0, opts)?;
            notes.push(format!("{}: syslog messages parsed into msg_* / dictionary fields", file_name(path)));
        }
        if let Some(p) = h.path {
            let height = part.0.height();
            if part.0.column("event_type").is_err() {
                part.0.with_column(Column::new_scalar(
                    "event_type".into(),
                    Scalar::from(PlSmallStr::from(p)),
                    height,
                ))?;
            }
        }
        return Ok(Part { df: part.0, rejected: part.1, aliases, notes });
    }
    let (spec, aliases) = delim_spec(path, &det, &head_lines, infer_lines, opts, &mut notes)?;
    let (df, rejected) = read_spec(path, &spec, &label, ctl)?;
    let part = Part { df, rejected, aliases, notes };
    if opts.format.is_some() {
        forced_fits(path, &det.name(), part.df.height() as u64, &part.rejected)?;
    }
    Ok(part)
}

/// The column layout of a delimited file, from its first lines (shared by whole-file loads and
/// by `parse_appended`).
pub(crate) fn delim_spec(
    path: &Path,
    det: &Detected,
    head_lines: &[&[u8]],
    infer_lines: &[&[u8]],
    opts: &LoadOptions,
    notes: &mut Vec<String>,
) -> Result<(delimited::DelimSpec, Vec<Alias>)> {
    if head_lines.is_empty() {
        return Err(DataError::format(path, "no header line"));
    }
    let aliases;
    let spec = match det {
        Detected::Vast(v) => {
            aliases = formats::vast::aliases(*v);
            formats::vast::spec(*v)
        }
        Detected::Argus(d) => {
            notes.push(tz_note("Argus StartTime", opts.tz_offset_secs));
            let s = formats::argus::spec(head_lines[0], *d, opts.tz_offset_secs);
            aliases = header_aliases(head_lines[0], *d, &s);
            s
        }
        Detected::NfdumpCsv => {
            notes.push(tz_note("nfdump ts/te", opts.tz_offset_secs));
            let s = formats::nfdump_csv::spec(head_lines[0], opts.tz_offset_secs);
            aliases = header_aliases(head_lines[0], b',', &s);
            s
        }
        Detected::ZeekTsv => {
            let h = formats::zeek_tsv::parse_header(head_lines).map_err(|r| DataError::format(path, r))?;
            aliases = Vec::new();
            let mut s = formats::zeek_tsv::spec(&h);
            s.default_tz_offset_secs = opts.tz_offset_secs;
            s
        }
        Detected::GenericDelimited(d) => {
            let s = formats::generic_csv::spec(infer_lines, *d, opts.tz_offset_secs);
            aliases = header_aliases(head_lines[0], *d, &s);
            if head_lines.len() <= 1 {
                notes.push(format!("{}: header only, no data rows", file_name(path)));
            }
            s
        }
        Detected::Parquet | Detected::Lines(_) | Detected::Native(_) => {
            return Err(DataError::format(path, format!("{} is not a delimited format", det.name())))
        }
    };
    Ok((spec, aliases))
}

/// A forced format that does not fit (more lines refused than read) is an error that says how
/// many lines failed and shows the first ones, not a table of a few stray rows.
pub(crate) fn forced_fits(path: &Path, format: &str, rows: u64, rejected: &Rejected) -> Result<()> {
    let failed = rejected.total;
    if failed == 0 || failed <= rows {
        return Ok(());
    }
    let shown: Vec<String> = rejected
        .samples
        .iter()
        .take(3)
        .map(|r| {
            let text: String = r.text.chars().take(60).collect();
            format!("line {}: {}: {text:?}", r.line, r.reason)
        })
        .collect();
    Err(DataError::format(
        path,
        format!(
            "does not read as {format}: {failed} of {} lines failed ({})",
            failed + rows,
            shown.join("; ")
        ),
    ))
}

/// Zeek's syslog.log carries whole syslog messages (RFC 5424 with CEE JSON from Windows, RFC 3164):
/// parse each with the syslog parser and add what it finds. Fields the table already has keep
/// theirs and the message's version is added as `msg_<name>`.
fn enrich_syslog_messages(df: &mut DataFrame, opts: &LoadOptions) -> Result<()> {
    let Ok(msgs) = df.column("msg") else { return Ok(()) };
    let msgs = msgs.as_materialized_series().cast(&DataType::String)?;
    let msgs = msgs.str()?.clone();
    let ctx = ParseContext {
        default_year: opts.default_year.unwrap_or(1970),
        default_tz_offset_secs: opts.tz_offset_secs,
        ..Default::default()
    };
    let mut rt = RecordTable::new();
    for m in msgs.iter() {
        let rec = m.and_then(|m| formats::text::parse_syslog_message(m, &ctx)).unwrap_or_default();
        let mut out = super::record::Record::new();
        for (k, v) in rec.fields {
            let name =
                if df.column(&k).is_ok() || k == "time" || k == "msg" { format!("msg_{k}") } else { k };
            out.push(name, v);
        }
        rt.push(out);
    }
    let extra = rt.into_frame()?;
    for c in extra.columns() {
        // The builder always adds a `time`; message times are kept as `msg_time` only.
        if c.name().as_str() == "time" || df.column(c.name().as_str()).is_ok() || c.null_count() == c.len() {
            continue;
        }
        df.with_column(c.clone())?;
    }
    Ok(())
}

fn tz_note(what: &str, off: i32) -> String {
    format!("{what} has no time zone: read as UTC{:+}:{:02}", off / 3600, (off.abs() % 3600) / 60)
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string())
}

fn header_aliases(header: &[u8], d: u8, spec: &delimited::DelimSpec) -> Vec<Alias> {
    let header = String::from_utf8_lossy(header);
    header
        .trim_start_matches('\u{feff}')
        .split(d as char)
        .zip(spec.columns.iter())
        .filter(|(h, c)| h.trim().trim_matches('"') != c.name && c.kind != delimited::Kind::Skip)
        .map(|(h, c)| Alias::Same {
            original: h.trim().trim_matches('"').to_string(),
            column: c.name.clone(),
        })
        .collect()
}

fn read_spec(
    path: &Path,
    spec: &delimited::DelimSpec,
    label: &str,
    ctl: &LoadControl,
) -> Result<(DataFrame, Rejected)> {
    let r = open_reader(path)?;
    let counting = Counting::new(r, ctl);
    // Progress is counted on decompressed bytes for gzip; close enough for a progress bar.
    delimited::read_delimited(counting, spec, label, &ctl.cancel, &|_| {})
}

/// Line formats: the whole (decompressed) file is split into lines and parsed on all cores.
fn load_lines(path: &Path, parser: &dyn LineParser, opts: &LoadOptions, ctl: &LoadControl) -> Result<Part> {
    let label = path.display().to_string();
    let year = opts.default_year.unwrap_or_else(|| file_year(path));
    let latest_us = if opts.default_year.is_none() { file_mtime_us(path) } else { None };
    let ctx = ParseContext {
        default_year: year,
        default_tz_offset_secs: opts.tz_offset_secs,
        file_name: label.clone(),
        latest_us,
        source_keys: opts
            .only_fields
            .as_ref()
            .and_then(|only| parser.source_keys(only))
            .map(std::sync::Arc::new),
    };
    // Reading is half the work shown, parsing the other half (see `parse_lines_counted`).
    let mut reader = Counting { half: true, ..Counting::new(open_reader(path)?, ctl) };
    let parsed = if parser.spans_lines() {
        // A continuation may belong to any earlier record: the whole file is one piece. The size
        // on disk is the size read for a plain file: one allocation, no doubling.
        let mut data = Vec::with_capacity(if is_gzip(path).unwrap_or(true) {
            0
        } else {
            std::fs::metadata(path).map_or(0, |m| m.len() as usize)
        });
        reader.read_to_end(&mut data).map_err(|e| DataError::io(path, e))?;
        parse_lines_counted(&data, parser, &ctx, &ctl.cancel, &ctl.bytes_done)?
    } else {
        parse_stream(&mut reader, PIECE_BYTES, parser, &ctx, ctl, opts.only_fields.clone()).map_err(|e| {
            match e {
                StreamError::Io(e) => DataError::io(path, e),
                StreamError::Data(e) => e,
            }
        })?
    };
    let (table, rejected) = (parsed.table, parsed.rejected);
    let df = table.into_frame()?;
    let mut notes = Vec::new();
    if df.column("year_assumed").is_ok()
        || parser.name().starts_with("syslog")
        || parser.name() == "iptables"
        || parser.name() == "netlogon"
    {
        notes.push(format!(
            "{}: timestamps without a year were read as {year} ({}; dates after the file's modification time as the year before); zone UTC{:+}:{:02}",
            file_name(path),
            if opts.default_year.is_some() { "setting" } else { "file modification time" },
            opts.tz_offset_secs / 3600,
            (opts.tz_offset_secs.abs() % 3600) / 60
        ));
    }
    Ok(Part { df, rejected, aliases: Vec::new(), notes })
}

/// Bytes of text read at a time. One piece is parsed while the next is read, so two are held:
/// the file's text is never held whole, only its columns.
const PIECE_BYTES: usize = 16 << 20;

enum StreamError {
    Io(std::io::Error),
    Data(DataError),
}

/// Text read for one piece: `bytes[..len]`. The rest of `bytes` was zeroed when an earlier piece
/// grew it, so a reused buffer is read into directly: reading through `read_to_end` cleared and
/// page-faulted a fresh buffer for every piece, a fifth of the CPU of a projected JSON query.
#[derive(Default)]
struct PieceBuf {
    bytes: Vec<u8>,
    len: usize,
}

impl PieceBuf {
    fn text(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Starts the buffer over with `tail`, the unfinished last line of the previous piece.
    fn start_with(&mut self, tail: &[u8]) {
        if self.bytes.len() < tail.len() {
            self.bytes.resize(tail.len(), 0);
        }
        self.bytes[..tail.len()].copy_from_slice(tail);
        self.len = tail.len();
    }
}

/// Reads on to `piece_bytes` more bytes in `buf` (fewer at the end); true at the end of input.
fn fill(reader: &mut (dyn Read + Send), buf: &mut PieceBuf, piece_bytes: usize) -> std::io::Result<bool> {
    let target = buf.len + piece_bytes;
    while buf.len < target {
        if buf.len == buf.bytes.len() {
            // Grown as text arrives, so a small file does not zero (and keep) a whole piece.
            let room = (2 * buf.len).max(1 << 20).min(target);
            buf.bytes.resize(room, 0);
        }
        let end = buf.bytes.len().min(target);
        match reader.read(&mut buf.bytes[buf.len..end]) {
            Ok(0) => return Ok(true),
            Ok(n) => buf.len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Line formats whose records are one line each: the text is read and parsed piece by piece
/// (whole lines; a line longer than a piece makes its piece longer), numbering lines over the file.
/// The next piece is read on its own thread while the cores parse this one.
fn parse_stream(
    reader: &mut (dyn Read + Send),
    piece_bytes: usize,
    parser: &dyn LineParser,
    ctx: &ParseContext,
    ctl: &LoadControl,
    only: Option<FieldSet>,
) -> std::result::Result<ParsedLines, StreamError> {
    let mut out = ParsedLines { only, ..ParsedLines::default() };
    // Two buffers take turns: one is parsed while the next piece is read into the other.
    let mut buf = PieceBuf::default();
    let mut spare = PieceBuf::default();
    let mut eof = fill(reader, &mut buf, piece_bytes).map_err(StreamError::Io)?;
    let mut line_offset = 0;
    let mut first = true;
    loop {
        let cut = match memchr::memrchr(b'\n', buf.text()) {
            _ if eof => buf.len,
            Some(p) => p + 1,
            // One line longer than the piece so far: read on.
            None => {
                eof = fill(reader, &mut buf, piece_bytes).map_err(StreamError::Io)?;
                continue;
            }
        };
        // The unfinished last line starts the next piece.
        let (mut body, tail) = buf.text().split_at(cut);
        if first {
            body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
            first = false;
        }
        if eof {
            // The last piece: the other buffer is not read into again.
            spare = PieceBuf::default();
        }
        let reader = &mut *reader;
        let next = &mut spare;
        let (parsed, read) = std::thread::scope(|scope| {
            let reading = (!eof).then(|| {
                scope.spawn(move || {
                    next.start_with(tail);
                    fill(reader, next, piece_bytes)
                })
            });
            let parsed = parse_piece(body, line_offset, parser, ctx, &ctl.cancel, &ctl.bytes_done, &mut out);
            (parsed, reading.map(|h| h.join()))
        });
        line_offset += parsed.map_err(StreamError::Data)?;
        match read {
            None => return Ok(out),
            Some(Ok(r)) => {
                std::mem::swap(&mut buf, &mut spare);
                eof = r.map_err(StreamError::Io)?;
            }
            Some(Err(_)) => return Err(StreamError::Io(std::io::Error::other("the reading thread failed"))),
        }
    }
}

/// What [`parse_lines`] made of a buffer: every non-blank line is a record, a skipped line (a
/// comment or header the parser recognises) or a rejected line.
#[derive(Default)]
pub struct ParsedLines {
    pub table: RecordTable,
    pub records: u64,
    pub skipped: u64,
    pub rejected: Rejected,
    /// The fields built (None: all), see [`LoadOptions::only_fields`].
    pub only: Option<FieldSet>,
}

/// Parses a whole buffer of lines with `parser` on all cores (a leading BOM and CR of CRLF are
/// dropped, blank lines ignored). Line numbers in rejects are 1-based lines of the buffer.
pub fn parse_lines(
    data: &[u8],
    parser: &dyn LineParser,
    ctx: &ParseContext,
    cancel: &AtomicBool,
) -> Result<ParsedLines> {
    parse_lines_counted(data, parser, ctx, cancel, &AtomicU64::new(0))
}

/// [`parse_lines`], adding half the bytes of each block of lines to `progress` once it is parsed
/// (the other half is counted as the file is read), so a progress bar moves during parsing too.
pub fn parse_lines_counted(
    data: &[u8],
    parser: &dyn LineParser,
    ctx: &ParseContext,
    cancel: &AtomicBool,
    progress: &AtomicU64,
) -> Result<ParsedLines> {
    let mut out = ParsedLines::default();
    let body = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    parse_piece(body, 0, parser, ctx, cancel, progress, &mut out)?;
    Ok(out)
}

/// Parses the lines of `body`, lines `line_offset + 1 ..` of the file, into `out`; returns how
/// many lines it held (a last line without its newline included).
fn parse_piece(
    body: &[u8],
    line_offset: usize,
    parser: &dyn LineParser,
    ctx: &ParseContext,
    cancel: &AtomicBool,
    progress: &AtomicU64,
    out: &mut ParsedLines,
) -> Result<usize> {
    let label = ctx.file_name.as_str();
    let lines = split_lines(body);
    let n_lines = if body.ends_with(b"\n") { lines.len() - 1 } else { lines.len() };
    // Lines per block: one core parses a block into its own typed columns. At most 16 Ki lines,
    // in a number of blocks that the cores share evenly: a 32 MB piece of Suricata eve holds 57 Ki
    // lines, which in 16 Ki blocks left one of two cores idle for the last half block of every
    // piece. A whole table's blocks stay large: each costs its own builders (a hundred columns for
    // Suricata), and blocks of 7 Ki lines made that load a tenth slower. A query's blocks build a
    // few columns: four per core share the work more evenly (a grouped query over 10 M Suricata
    // lines took 11.2-12.3 s in 14 Ki blocks, 10.4-11.1 s in 7 Ki ones).
    let cores = rayon::current_num_threads().max(1);
    let per_core = if out.only.is_some() { 4 } else { 1 };
    let blocks = n_lines.div_ceil(16 * 1024).next_multiple_of(cores * per_core).max(1);
    let chunk = n_lines.div_ceil(blocks).max(1024);
    // A parsed record costs far more than its column values (10 M syslog lines held as records at
    // once need over 20 GB), so records never outlive their block. Formats whose records span lines
    // keep the whole file in one batch of records: a continuation may belong to any earlier record.
    let batch_lines = if parser.spans_lines() { n_lines.max(1) } else { 16 * chunk };
    for (bi, batch) in lines[..n_lines].chunks(batch_lines).enumerate() {
        let first_line = line_offset + bi * batch_lines;
        let line_no = |ci: usize, i: usize| (first_line + ci * chunk + i + 1) as u64;
        let parsed = |chunk: &[&[u8]]| {
            let bytes: usize = chunk.iter().map(|l| l.len() + 1).sum();
            progress.fetch_add(bytes as u64 / 2, Ordering::Relaxed);
        };
        let blocks: Vec<Block> = if parser.spans_lines() {
            let mut results: Vec<Vec<(u64, super::record::LineResult)>> = batch
                .par_chunks(chunk)
                .enumerate()
                .map(|(ci, chunk)| {
                    if cancel.load(Ordering::Relaxed) {
                        return Vec::new();
                    }
                    let results = chunk
                        .iter()
                        .enumerate()
                        .filter_map(|(i, l)| Some((line_no(ci, i), parser.parse_line(data_line(l)?, ctx))))
                        .collect();
                    parsed(chunk);
                    results
                })
                .collect();
            if cancel.load(Ordering::Relaxed) {
                return Err(DataError::Cancelled);
            }
            let raw = |line_no: u64| lines[line_no as usize - line_offset - 1];
            join_continuations(parser, &mut results, &raw);
            results
                .into_par_iter()
                .map(|chunk| {
                    let mut block = Block::only(out.only.clone());
                    for (no, r) in chunk {
                        block.take(no, r, label, raw(no));
                    }
                    block
                })
                .collect()
        } else {
            // Each block of lines is parsed straight into its own typed columns: a record lives
            // only until its values are written.
            batch
                .par_chunks(chunk)
                .enumerate()
                .map(|(ci, chunk)| {
                    let mut block = Block::only(out.only.clone());
                    if cancel.load(Ordering::Relaxed) {
                        return block;
                    }
                    // Reused for every line of the block, by parsers that can fill it.
                    let mut fields = LineFields::default();
                    for (i, l) in chunk.iter().enumerate() {
                        // Cancel answers within a thousand lines, whatever the block size.
                        if i % 1024 == 0 && cancel.load(Ordering::Relaxed) {
                            return block;
                        }
                        if let Some(d) = data_line(l) {
                            let no = line_no(ci, i);
                            match parser.parse_fields(d, ctx, &mut fields) {
                                Some(r) => block.take_fields(no, r, &fields, label, l),
                                None => block.take(no, parser.parse_line(d, ctx), label, l),
                            }
                        }
                    }
                    parsed(chunk);
                    block
                })
                .collect()
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(DataError::Cancelled);
        }
        for b in blocks {
            out.records += b.columns.rows() as u64;
            out.skipped += b.skipped;
            out.rejected.merge(b.rejected);
            out.table.append(b.columns);
        }
    }
    Ok(n_lines)
}

/// The lines of `body` in order: the text between newlines, then what follows the last one (empty
/// when `body` ends with a newline). Found on all cores, a stretch of the text each: one core
/// finding the lines of a 32 MB piece while the other waited was 3% of a JSON query.
fn split_lines(body: &[u8]) -> Vec<&[u8]> {
    let parts = 2 * rayon::current_num_threads().max(1);
    let step = body.len() / parts + 1;
    // Stretches end just after a newline, the last at the end of the text.
    let mut ends = Vec::with_capacity(parts);
    let mut from = 0;
    while from < body.len() {
        let at = (from + step).min(body.len());
        let end = memchr::memchr(b'\n', &body[at..]).map_or(body.len(), |p| at + p + 1);
        ends.push(end);
        from = end;
    }
    if ends.is_empty() {
        return vec![body];
    }
    let stretches: Vec<Vec<&[u8]>> = (0..ends.len())
        .into_par_iter()
        .map(|k| {
            let start = if k == 0 { 0 } else { ends[k - 1] };
            let text = &body[start..ends[k]];
            // Room for as many lines as the first 64 KiB promise, with an eighth to spare.
            let sample = &text[..text.len().min(1 << 16)];
            let per_sample = memchr::memchr_iter(b'\n', sample).count() + 1;
            let mut lines = Vec::with_capacity(text.len() / sample.len().max(1) * per_sample * 9 / 8 + 1);
            let mut at = 0;
            for nl in memchr::memchr_iter(b'\n', text) {
                lines.push(&text[at..nl]);
                at = nl + 1;
            }
            // Every stretch but the last ends with a newline; the last keeps what follows its
            // last newline (empty when the text ends with one).
            if k + 1 == ends.len() {
                lines.push(&text[at..]);
            }
            lines
        })
        .collect();
    stretches.concat()
}

#[cfg(test)]
mod split_tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lines_found_on_all_cores_are_the_lines_of_a_plain_split(
            text in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'a'), Just(b'\r')], 0..300)
        ) {
            let plain: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
            prop_assert_eq!(super::split_lines(&text), plain);
        }
    }
}

/// A line without its CR (of CRLF); None for a blank line, which is no data at all.
fn data_line(l: &[u8]) -> Option<&[u8]> {
    let l = l.strip_suffix(b"\r").unwrap_or(l);
    (!l.iter().all(u8::is_ascii_whitespace)).then_some(l)
}

/// What one block of lines became, in line order.
#[derive(Default)]
struct Block {
    columns: ColumnChunk,
    skipped: u64,
    rejected: Rejected,
}

impl Block {
    fn only(only: Option<FieldSet>) -> Self {
        Block { columns: ColumnChunk::only(only), ..Block::default() }
    }

    fn take(&mut self, line_no: u64, r: super::record::LineResult, label: &str, raw: &[u8]) {
        match r {
            Ok(Some(rec)) => self.columns.push(rec),
            Ok(None) => self.skipped += 1,
            Err(reason) => self.rejected.push(label, line_no, reason, raw),
        }
    }

    fn take_fields(
        &mut self,
        line_no: u64,
        r: std::result::Result<bool, String>,
        fields: &LineFields,
        label: &str,
        raw: &[u8],
    ) {
        match r {
            Ok(true) => self.columns.push_line(fields),
            Ok(false) => self.skipped += 1,
            Err(reason) => self.rejected.push(label, line_no, reason, raw),
        }
    }
}

/// Binary formats (evtx, nfcapd) are read whole by their own reader; damage is counted per
/// chunk / block / record with the reason naming which.
fn load_native(path: &Path, kind: formats::native::NativeKind, ctl: &LoadControl) -> Result<Part> {
    let label = path.display().to_string();
    let mut data = Vec::new();
    Counting::new(open_reader(path)?, ctl).read_to_end(&mut data).map_err(|e| DataError::io(path, e))?;
    let read = formats::native::read(kind, data, &file_name(path), &ctl.cancel)
        .map_err(|reason| DataError::format(path, reason))?;
    if ctl.cancel.load(Ordering::Relaxed) {
        return Err(DataError::Cancelled);
    }
    let mut table = RecordTable::new();
    for rec in read.records {
        table.push(rec);
    }
    let mut rejected = Rejected::default();
    for (at, reason) in read.rejected {
        rejected.push(&label, at, reason, b"");
    }
    Ok(Part { df: table.into_frame()?, rejected, aliases: Vec::new(), notes: read.notes })
}

/// Longest message continuation lines may grow a record to; later lines stay rejected.
const MAX_JOINED_MSG_BYTES: usize = 1 << 20;

/// Multi-line records (stack traces, wrapped text): a line the parser refused but calls a
/// continuation is appended to the message of the previous record of its stream instead of
/// being rejected. Lines before any record stay rejected.
fn join_continuations<'a>(
    parser: &dyn LineParser,
    results: &mut [Vec<(u64, super::record::LineResult)>],
    raw: &dyn Fn(u64) -> &'a [u8],
) {
    use super::record::Value;
    let mut last: Option<(usize, usize)> = None;
    let mut last_by_stream: std::collections::HashMap<String, (usize, usize)> = Default::default();
    for ci in 0..results.len() {
        for ii in 0..results[ci].len() {
            let (line_no, r) = &results[ci][ii];
            match r {
                Ok(Some(rec)) => {
                    last = Some((ci, ii));
                    if let Some(Value::Str(s)) = rec.get("service") {
                        last_by_stream.insert(s.clone(), (ci, ii));
                    }
                }
                Err(_) => {
                    let raw = raw(*line_no);
                    let Some(c) = parser.continuation(raw.strip_suffix(b"\r").unwrap_or(raw)) else {
                        continue;
                    };
                    let target = match &c.stream {
                        Some(s) => last_by_stream.get(s).copied(),
                        None => last,
                    };
                    let Some((tc, ti)) = target else { continue };
                    let Ok(Some(rec)) = &mut results[tc][ti].1 else { continue };
                    match rec.fields.iter_mut().find(|(n, _)| n == "msg") {
                        Some((_, Value::Str(m))) if m.len() + c.text.len() < MAX_JOINED_MSG_BYTES => {
                            m.push('\n');
                            m.push_str(&c.text);
                        }
                        Some(_) => continue,
                        None => rec.push_str("msg", c.text),
                    }
                    results[ci][ii].1 = Ok(None);
                }
                Ok(None) => {}
            }
        }
    }
}

fn load_parquet(path: &Path, hive: bool) -> Result<Part> {
    let label = path.display().to_string();
    let df = if hive {
        let args = ScanArgsParquet {
            hive_options: HiveOptions { enabled: Some(true), ..Default::default() },
            ..Default::default()
        };
        let glob = format!("{}/**/*.parquet", label.trim_end_matches('/'));
        LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args)?.collect()?
    } else {
        let f = File::open(path).map_err(|e| DataError::io(path, e))?;
        ParquetReader::new(f)
            .finish()
            .map_err(|e| DataError::format(path, format!("not readable as Parquet: {e}")))?
    };
    let mut aliases = Vec::new();
    let mut df = df;
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    for (n, d) in parquet_renames(&names) {
        df.rename(&n, d.as_str().into())?;
        aliases.push(Alias::Same { original: n, column: d });
    }
    Ok(Part { df, rejected: Rejected::default(), aliases, notes: Vec::new() })
}

/// Parquet columns with a well-known name are mapped onto the field dictionary (original, new);
/// the originals stay queryable as aliases.
pub(crate) fn parquet_renames(names: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for n in names {
        if let Some(d) = formats::generic_csv::dictionary_name(n) {
            // As renames happen one after another: a name taken by an earlier rename is taken.
            let taken = names.iter().any(|m| m == d) && !out.iter().any(|(o, _)| o == d)
                || out.iter().any(|(_, m)| m == d);
            if d != n && !taken {
                out.push((n.clone(), d.to_string()));
            }
        }
    }
    out
}

/// Stacks frames with different column sets: missing columns are null; a column whose types
/// disagree between files becomes text so no value is lost.
pub fn concat_diagonal(frames: Vec<DataFrame>) -> Result<DataFrame> {
    if frames.len() == 1 {
        return Ok(frames.into_iter().next().unwrap_or_default());
    }
    let mut order: Vec<(String, DataType)> = Vec::new();
    for f in &frames {
        for c in f.columns() {
            match order.iter_mut().find(|(n, _)| n == c.name().as_str()) {
                Some((_, t)) if t != c.dtype() => {
                    *t = match (&*t, c.dtype()) {
                        (DataType::Null, other) => other.clone(),
                        (a, DataType::Null) => a.clone(),
                        (a, b) if a.is_primitive_numeric() && b.is_primitive_numeric() => DataType::Float64,
                        _ => DataType::String,
                    }
                }
                Some(_) => {}
                None => order.push((c.name().to_string(), c.dtype().clone())),
            }
        }
    }
    let mut out: Option<DataFrame> = None;
    for f in frames {
        let h = f.height();
        let mut cols = Vec::with_capacity(order.len());
        for (n, t) in &order {
            let c = match f.column(n) {
                Ok(c) if c.dtype() == t => c.clone(),
                Ok(c) => c.cast(t)?,
                Err(_) => Column::full_null(n.as_str().into(), h, t),
            };
            cols.push(c);
        }
        let df = DataFrame::new(h, cols)?;
        match &mut out {
            None => out = Some(df),
            Some(o) => {
                o.vstack_mut_owned(df)?;
            }
        }
    }
    Ok(out.unwrap_or_default())
}

/// Fields [`postprocess`] derives, each with the stored fields it is derived from (when it is not
/// stored itself): what a lean query must read to answer for a derived field.
pub(crate) const DERIVED_FROM: &[(&str, &[&str])] = &[
    ("proto", &["ip_proto", "ipLayerProtocolCode"]),
    ("ip_proto", &["proto"]),
    ("bytes_received", &["total_bytes", "bytes_sent"]),
    ("packets_received", &["total_packets", "packets_sent"]),
];

/// Derived dictionary fields every view can rely on.
fn postprocess(df: &mut DataFrame, notes: &mut Vec<String>) -> Result<()> {
    postprocess_only(df, notes, &|_| true)
}

/// [`postprocess`] deriving only the fields `derive` names (a lean query's projection); stored
/// fields are converted as always. Every step is row by row, so a file's chunks may go one by one.
pub(crate) fn postprocess_only(
    df: &mut DataFrame,
    notes: &mut Vec<String>,
    derive: &dyn Fn(&str) -> bool,
) -> Result<()> {
    let h = df.height();
    if df.column("time").is_err() {
        df.with_column(Column::full_null("time".into(), h, &time_dtype()))?;
        notes.push("no time field found: time views are empty".into());
    } else if df.column("time")?.dtype() != &time_dtype() {
        use super::timeparse;
        let c = df.column("time")?.clone();
        let before_nulls = c.null_count();
        let t = match c.dtype() {
            DataType::Datetime(_, _) => c.cast(&time_dtype())?,
            DataType::String | DataType::Categorical(..) => {
                let ca = c.as_materialized_series().cast(&DataType::String)?.str()?.clone();
                let us: Int64Chunked =
                    ca.iter().map(|v| v.and_then(|v| timeparse::datetime_to_us(v.as_bytes(), 0))).collect();
                us.with_name("time".into()).into_series().cast(&time_dtype())?.into_column()
            }
            dt if dt.is_float() => {
                let f = c.as_materialized_series().cast(&DataType::Float64)?;
                let us: Int64Chunked = f
                    .f64()?
                    .iter()
                    .map(|v| v.and_then(|x| timeparse::epoch_secs_f64_to_us(x).ok()))
                    .collect();
                us.with_name("time".into()).into_series().cast(&time_dtype())?.into_column()
            }
            _ => {
                // Integer epochs: the unit follows from the magnitude (s, ms, µs, ns).
                let i = c.as_materialized_series().cast(&DataType::Int64)?;
                let us: Int64Chunked = i
                    .i64()?
                    .iter()
                    .map(|v| v.and_then(|v| timeparse::epoch_auto_int_to_us(v).ok()))
                    .collect();
                us.with_name("time".into()).into_series().cast(&time_dtype())?.into_column()
            }
        };
        // Values that are no valid time become null, and say so: never a wrapped or clamped time.
        let lost = t.null_count().saturating_sub(before_nulls);
        if lost > 0 {
            notes.push(format!(
                "{lost} time values are not valid times (years 1..=9999) and are shown as empty"
            ));
        }
        df.with_column(t)?;
    }
    if (df.column("ip_proto").is_ok() && df.column("proto").is_err() || needs_proto_names(df))
        && derive("proto")
    {
        let ip = df.column("ip_proto")?.cast(&DataType::Int32)?;
        let code = match df.column("ipLayerProtocolCode") {
            Ok(c) => Some(c.cast(&DataType::String)?),
            Err(_) => None,
        };
        let code_ca = code.as_ref().map(|c| c.str().cloned()).transpose()?;
        let codes: Box<dyn Iterator<Item = Option<&str>>> = match &code_ca {
            Some(ca) => Box::new(ca.iter()),
            None => Box::new(std::iter::repeat(None)),
        };
        // Few distinct (number, code) pairs: name each once (a per-row lookup is 10 M lookups).
        let mut memo: std::collections::HashMap<(Option<i32>, Option<&str>), Option<String>> =
            Default::default();
        // A few names over every row: dictionary codes, as a loaded text column that repeats.
        let mut names = TextBuilder::for_block(ip.len());
        for (p, c) in ip.i32()?.iter().zip(codes) {
            let name = memo.entry((p, c)).or_insert_with(|| {
                let from_code = c.map(str::to_ascii_lowercase);
                match (p.and_then(proto_name), from_code) {
                    (Some(n), _) => Some(n.to_string()),
                    (None, Some(c)) if c != "todo" && c != "other" => Some(c),
                    (None, Some(c)) => Some(p.map(|x| x.to_string()).unwrap_or(c)),
                    (None, None) => p.map(|x| x.to_string()),
                }
            });
            match name {
                Some(n) => names.push(n),
                None => names.push_null(),
            }
        }
        let names = finish_text("proto".into(), vec![TextPart::Text(names)], ip.len(), true)?;
        df.with_column(names.into_column())?;
    }
    if df.column("proto").is_ok() && df.column("ip_proto").is_err() && derive("ip_proto") {
        let p = df.column("proto")?.cast(&DataType::String)?;
        let nums: Int32Chunked = p.str()?.iter().map(|s| s.and_then(proto_number)).collect();
        df.with_column(nums.with_name("ip_proto".into()).into_series().into_column())?;
    }
    // Argus gives totals and the source side; the other side is the difference.
    for (total, sent, recv) in [
        ("total_bytes", "bytes_sent", "bytes_received"),
        ("total_packets", "packets_sent", "packets_received"),
    ] {
        if df.column(recv).is_err() && derive(recv) {
            if let (Ok(t), Ok(s)) = (df.column(total), df.column(sent)) {
                let t = t.as_materialized_series().cast(&DataType::Int64)?;
                let s = s.as_materialized_series().cast(&DataType::Int64)?;
                let r = (&t - &s)?;
                df.with_column(r.with_name(recv.into()).into_column())?;
            }
        }
    }
    if let Ok(t) = df.column("time") {
        if let Ok(ti) = t.cast(&DataType::Int64) {
            if let Ok(ca) = ti.i64() {
                if let Some(max) = ca.max() {
                    if (0..946_684_800_000_000).contains(&max) {
                        notes.push(
                            "time values look relative (seconds from capture start, before 2000-01-01): \
                             shown as offsets from 1970-01-01 UTC"
                                .into(),
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

fn needs_proto_names(df: &DataFrame) -> bool {
    // VAST stores the original code; `proto` (lower-case name) is derived from it.
    df.column("ipLayerProtocolCode").is_ok() && df.column("proto").is_err()
}

/// Lower-case protocol name for an IANA protocol number (one table for every format).
pub fn proto_name(n: i32) -> Option<&'static str> {
    formats::jsonl::proto_name_from_number(n as i64)
}

/// IANA protocol number for a name.
pub fn proto_number(name: &str) -> Option<i32> {
    formats::jsonl::ip_proto_from_name(name).map(|n| n as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_growing_after_open_reads_as_the_size_seen_at_open() {
        let dir = std::env::temp_dir().join(format!("brushfire-grow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("growing.log");
        let first = b"Jun 14 15:16:01 combo sshd[1]: one\nJun 14 15:16:02 combo sshd[2]: two\n";
        std::fs::write(&p, first).unwrap();
        let mut r = open_reader(&p).unwrap();
        // Written after the open, before (and while) reading: not part of this load.
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"Jun 14 15:16:03 combo sshd[3]: thr").unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            f.write_all(b"ee\n").unwrap();
        }
        assert_eq!(got, first);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Syslog that notes the progress counter at every line and can cancel the load at a line.
    struct Watching {
        ctl: std::sync::Arc<LoadControl>,
        seen: std::sync::Mutex<Vec<u64>>,
        cancel_at: Option<usize>,
    }

    impl LineParser for Watching {
        fn name(&self) -> &'static str {
            "syslog"
        }
        fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> super::super::record::LineResult {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.push(self.ctl.bytes_done.load(Ordering::Relaxed));
            if Some(seen.len()) == self.cancel_at {
                self.ctl.cancel.store(true, Ordering::Relaxed);
            }
            drop(seen);
            formats::text::syslog::SyslogParser.parse_line(line, ctx)
        }
    }

    fn syslog_file(lines: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("auth.log");
        let mut text = String::new();
        for i in 0..lines {
            text.push_str(&format!(
                "Jun 14 15:16:{:02} combo sshd[{i}]: Accepted password for u{}\n",
                i % 60,
                i % 7
            ));
        }
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn progress_moves_while_lines_are_parsed_and_ends_at_the_file_size() {
        let (_dir, p) = syslog_file(100_000);
        let size = std::fs::metadata(&p).unwrap().len();
        let ctl = std::sync::Arc::new(LoadControl::default());
        ctl.bytes_total.store(size, Ordering::Relaxed);
        let parser = Watching { ctl: ctl.clone(), seen: Default::default(), cancel_at: None };
        let part = load_lines(&p, &parser, &LoadOptions::default(), &ctl).unwrap();
        assert_eq!(part.df.height(), 100_000);
        let seen = parser.seen.into_inner().unwrap();
        // Reading shows half, each parsed block adds to the other half.
        assert!(seen.iter().all(|&b| b >= size / 2 - 1), "parsing starts once the file is read");
        let (first, last) = (seen.iter().min().copied().unwrap(), seen.iter().max().copied().unwrap());
        assert!(last > first, "progress moved while parsing: {first}..{last} of {size}");
        let done = ctl.bytes_done.load(Ordering::Relaxed);
        assert!(done <= size && done + 16 >= size, "ends at the file size: {done} of {size}");
        assert!(ctl.fraction() > 0.99);
    }

    #[test]
    fn cancel_during_parsing_stops_the_load() {
        let (_dir, p) = syslog_file(100_000);
        let ctl = std::sync::Arc::new(LoadControl::default());
        let parser = Watching { ctl: ctl.clone(), seen: Default::default(), cancel_at: Some(10) };
        let r = load_lines(&p, &parser, &LoadOptions::default(), &ctl);
        assert!(matches!(r, Err(DataError::Cancelled)), "cancelled load: {:?}", r.err());
        let parsed = parser.seen.into_inner().unwrap().len();
        assert!(parsed < 100_000, "parsing stopped early ({parsed} lines parsed)");
    }

    #[test]
    fn reading_in_pieces_numbers_and_types_lines_as_the_whole_file() {
        let mut text =
            b"\xef\xbb\xbfJun 14 15:16:01 combo sshd[1]: one\r\n\n   \nnot syslog at all\n".to_vec();
        for i in 0..300 {
            text.extend_from_slice(
                format!("Jun 14 15:16:{:02} combo sshd[{i}]: Failed password for u{i}\n", i % 60).as_bytes(),
            );
            if i % 37 == 0 {
                text.extend_from_slice(b"\x90\x90\x90 broken\n");
            }
        }
        // One line longer than a piece, and a last line without its newline.
        text.extend_from_slice(format!("Jun 14 15:17:00 combo app[9]: {}\n", "x".repeat(700)).as_bytes());
        text.extend_from_slice(b"Jun 14 15:17:01 combo sshd[2]: last");
        let ctx = ParseContext { default_year: 2020, file_name: "t.log".into(), ..Default::default() };
        let parser = formats::text::syslog::SyslogParser;
        let whole = parse_lines(&text, &parser, &ctx, &AtomicBool::new(false)).unwrap();
        let ctl = LoadControl::default();
        let pieces = parse_stream(&mut &text[..], 256, &parser, &ctx, &ctl, None).ok().unwrap();
        assert_eq!((pieces.records, pieces.skipped), (whole.records, whole.skipped));
        assert_eq!(pieces.records, 303);
        assert_eq!(pieces.rejected.total, whole.rejected.total);
        assert!(pieces.rejected.total >= 9, "{}", pieces.rejected.total);
        let at = |r: &Rejected| r.samples.iter().map(|s| (s.line, s.text.clone())).collect::<Vec<_>>();
        assert_eq!(at(&pieces.rejected), at(&whole.rejected));
        assert_eq!(pieces.rejected.samples[0].line, 4);
        // A reader that hands out a few bytes at a time (a gzip stream does) fills the reused
        // piece buffers in many reads; no byte of an earlier piece may survive in them.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.1 += 1;
                let n = (self.1 % 7 + 1).min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let trickled =
            parse_stream(&mut Trickle(&text, 0), 256, &parser, &ctx, &LoadControl::default(), None)
                .ok()
                .unwrap();
        assert_eq!(at(&trickled.rejected), at(&whole.rejected));
        let (a, b) = (pieces.table.into_frame().unwrap(), whole.table.into_frame().unwrap());
        assert!(a.equals_missing(&b), "{a:?} vs {b:?}");
        assert!(trickled.table.into_frame().unwrap().equals_missing(&b));
        // Parsing adds about half the bytes (rounded down per block; the BOM is not a line's).
        let done = ctl.bytes_done.load(Ordering::Relaxed) as f64;
        assert!((done / (text.len() as f64 / 2.0) - 1.0).abs() < 0.01, "{done} of {}", text.len());
    }
}
