//! Lean `brushfire query`: SQL planned over a polars lazy scan of the file, so only the columns
//! the query names are built and its filter runs on each parsed chunk (projection and predicate
//! pushdown), instead of loading every column first.
//!
//! The scan is Brushfire's own reader behind polars' `AnonymousScan`: every line is still split
//! and every field checked (same rejected lines, same reasons, same line numbers), values go
//! through the same parsers and `load`'s derived fields, so the answer is the eager one exactly.
//! Inputs the scan cannot answer for exactly (line formats, Zeek's per-log enrichment, layouts
//! whose types are inferred from the whole file, several files stacked) take the eager path, and
//! the outcome says which path each input took and why.
use super::error::{DataError, Result};
use super::formats::{delimited, Detected};
use super::load::{self, LoadControl, LoadOptions};
use super::table::{Alias, Rejected};
use polars::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How one input is read for a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Delimited text with a fixed layout: lazy scan over Brushfire's delimited reader.
    Delimited,
    /// Parquet (a file, or a hive-partitioned folder): lazy scan of the projected columns.
    Parquet,
    /// Loaded whole by `load_paths`, for this reason.
    Eager(String),
}

/// The route for one detected file. `spec` is the delimited layout when there is one.
pub fn route(det: &Detected, spec: Option<&delimited::DelimSpec>) -> Route {
    match det {
        Detected::Vast(_) | Detected::Argus(_) | Detected::NfdumpCsv | Detected::GenericDelimited(_) => {
            match spec {
                Some(s) if s.strict => Route::Delimited,
                // Types that widen as values are seen are only known after the whole file.
                Some(_) => {
                    Route::Eager(format!("{}: column types are inferred from the whole file", det.name()))
                }
                None => Route::Eager(format!("{}: no column layout", det.name())),
            }
        }
        Detected::ZeekTsv => {
            Route::Eager("zeek-tsv: enriched per log type (syslog messages, event_type)".into())
        }
        Detected::Parquet => Route::Parquet,
        Detected::Lines(p) => Route::Eager(format!("{}: a line format, parsed record by record", p.name())),
        Detected::Native(k) => Route::Eager(format!("{}: a binary file read whole", k.name())),
    }
}

/// What a query answered and how each input was read.
pub struct QueryOutcome {
    pub df: DataFrame,
    pub rejected: Rejected,
    pub files: Vec<PathBuf>,
    /// One line per input: the path taken, and the columns read or why it was loaded whole.
    pub how: Vec<String>,
    /// Whether the lazy scan answered (false: the eager path).
    pub lazy: bool,
}

/// Runs `sql` over the files (table `logs`), lazily where that gives the exact eager answer.
/// `eager` forces today's path (load every column, then SQL), for comparisons.
pub fn query_paths(
    paths: &[PathBuf],
    opts: &LoadOptions,
    sql: &str,
    eager: bool,
    ctl: &LoadControl,
) -> Result<QueryOutcome> {
    let why = if eager {
        "eager path requested".to_string()
    } else {
        match plan(paths, opts) {
            Ok(scan) => match scan.run(sql, opts)? {
                Ok(outcome) => return Ok(outcome),
                Err(why) => why,
            },
            Err(why) => why,
        }
    };
    // Line files still build only the fields the query can mean (projection pushdown): every
    // line is parsed and checked as always, but the other fields are never stored.
    let lines =
        paths.iter().all(|p| p.is_file() && matches!(load::format_of(p, opts), Ok(Detected::Lines(_))));
    let only = if eager || !lines { None } else { sql_names(sql).map(with_derivation_sources) };
    let projected = LoadOptions { only_fields: only.clone().map(Arc::new), ..opts.clone() };
    let t = load::load_paths(paths, &projected, ctl)?;
    let df = super::sql::run_sql(&t, None, sql)?;
    let built = match &only {
        Some(_) => {
            format!("; a line format builds only the fields the query names ({} columns)", t.df.width())
        }
        None => String::new(),
    };
    let how = vec![format!("eager load of {} ({}): {why}{built}", shown(&t.files), t.format)];
    Ok(QueryOutcome { df, rejected: t.rejected, files: t.files, how, lazy: false })
}

/// Every name the SQL could mean a column by, in lower case: a superset (words, dotted words,
/// quoted text). None when it may use columns without naming them: `*` other than `count(*)`,
/// `COLUMNS(...)`, a natural join, or quotes doubled inside a quoted name.
pub(crate) fn sql_names(sql: &str) -> Option<HashSet<String>> {
    let lower = sql.to_ascii_lowercase();
    let counts = regex::Regex::new(r"count\s*\(\s*\*\s*\)").ok()?;
    let rest = counts.replace_all(&lower, "count(1)");
    if rest.contains('*') || rest.contains("columns") || rest.contains("natural") {
        return None;
    }
    if ["\"\"", "``"].iter().any(|q| rest.contains(q)) {
        return None;
    }
    let mut names = HashSet::new();
    for (open, close) in [('"', '"'), ('`', '`'), ('[', ']'), ('\'', '\'')] {
        let mut parts = rest.split(open);
        parts.next();
        for p in parts.step_by(if open == close { 2 } else { 1 }) {
            names.insert(p.split(close).next().unwrap_or(p).to_owned());
        }
    }
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '$';
    for run in rest.split(|c: char| !is_name(c)).filter(|r| !r.is_empty()) {
        names.insert(run.to_owned());
        names.extend(run.split('.').map(str::to_owned));
    }
    Some(names)
}

/// `names` and what any derived field among them is made from (see `load::DERIVED_FROM`).
fn with_derivation_sources(mut names: HashSet<String>) -> HashSet<String> {
    for (derived, from) in load::DERIVED_FROM {
        if names.contains(*derived) {
            names.extend(from.iter().map(|f| f.to_ascii_lowercase()));
        }
    }
    names
}

fn shown(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// A planned lazy scan of one input.
struct LeanScan {
    path: PathBuf,
    format: String,
    source: Arc<dyn ScanSource>,
    aliases: Vec<Alias>,
    log: Arc<Mutex<ScanLog>>,
}

/// What the scan did, read back after the query ran.
#[derive(Default)]
struct ScanLog {
    scans: u32,
    rejected: Rejected,
    /// Lines read as rows before the filter.
    rows_read: u64,
    columns_read: Vec<String>,
    filtered_in_scan: bool,
    /// The filter's own columns decided the rows before the others were built.
    prefiltered: bool,
    /// The scan's own error, kept whole (polars only carries a message through the plan).
    error: Option<DataError>,
    /// A filter the scan cannot apply: the query goes the eager way, for this reason.
    unsupported: Option<String>,
}

/// The lazy scan for a single input, or why the input goes the eager way.
fn plan(paths: &[PathBuf], opts: &LoadOptions) -> std::result::Result<LeanScan, String> {
    let [path] = paths else {
        return Err("several inputs are stacked into one table by the loader".into());
    };
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let log = Arc::new(Mutex::new(ScanLog::default()));
    if meta.is_dir() {
        let listed = load::list_dir(path).map_err(|e| e.to_string())?;
        if listed.is_empty() || !listed.iter().all(|f| f.extension().is_some_and(|e| e == "parquet")) {
            return Err("a folder of logs is listed and detected file by file by the loader".into());
        }
        return parquet_scan(path, true, log);
    }
    let det = load::format_of(path, opts).map_err(|e| e.to_string())?;
    if let Detected::Parquet = det {
        return parquet_scan(path, false, log);
    }
    let spec = match det {
        Detected::Vast(_) | Detected::Argus(_) | Detected::NfdumpCsv | Detected::GenericDelimited(_) => {
            let head = load::head_of(path).map_err(|e| e.to_string())?;
            let (lines, infer_n) = load::sniffed_lines(&head);
            let mut notes = Vec::new();
            Some(
                load::delim_spec(path, &det, &lines, &lines[..infer_n], opts, &mut notes)
                    .map_err(|e| e.to_string())?,
            )
        }
        _ => None,
    };
    match (route(&det, spec.as_ref().map(|s| &s.0)), spec) {
        (Route::Delimited, Some((spec, aliases))) => {
            let mut empty = delimited::empty_frame(&spec);
            load::postprocess_only(&mut empty, &mut Vec::new(), &|_| true).map_err(|e| e.to_string())?;
            let source = DelimSource { path: path.clone(), spec, schema: empty.schema().clone() };
            Ok(LeanScan { path: path.clone(), format: det.name(), source: Arc::new(source), aliases, log })
        }
        (Route::Eager(why), _) => Err(why),
        _ => Err(format!("{}: no lazy reader", det.name())),
    }
}

fn parquet_scan(path: &Path, hive: bool, log: Arc<Mutex<ScanLog>>) -> std::result::Result<LeanScan, String> {
    let mut src = ParquetSource {
        path: path.to_path_buf(),
        hive,
        renames: Vec::new(),
        schema: Default::default(),
        passthrough: false,
    };
    // A file polars cannot plan goes the eager way, which names the problem as `load` does.
    let file_schema =
        src.lazy(None).and_then(|mut lf| Ok(lf.collect_schema()?)).map_err(|e| e.to_string())?;
    let names: Vec<String> = file_schema.iter_names().map(|n| n.to_string()).collect();
    src.renames = load::parquet_renames(&names);
    let mut empty = DataFrame::empty_with_schema(&file_schema);
    for (o, d) in &src.renames {
        empty.rename(o, d.as_str().into()).map_err(|e| e.to_string())?;
    }
    let renamed = empty.schema().clone();
    load::postprocess_only(&mut empty, &mut Vec::new(), &|_| true).map_err(|e| e.to_string())?;
    src.schema = empty.schema().clone();
    src.passthrough = renamed == src.schema;
    let aliases =
        src.renames.iter().map(|(o, d)| Alias::Same { original: o.clone(), column: d.clone() }).collect();
    let format = if hive { "parquet (hive partitioned)" } else { "parquet" };
    Ok(LeanScan { path: path.to_path_buf(), format: format.into(), source: Arc::new(src), aliases, log })
}

impl LeanScan {
    /// The answer, or (inner `Err`) why this query must go the eager way after all.
    fn run(self, sql: &str, opts: &LoadOptions) -> Result<std::result::Result<QueryOutcome, String>> {
        let schema = self.source.schema().clone();
        let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        if let Some(lf) = self.source.native()? {
            return self.run_streaming(lf, &names, sql).map(Ok);
        }
        let scan = Arc::new(Scan { source: self.source.clone(), log: self.log.clone() });
        let args = ScanArgsAnonymous { schema: Some(schema), name: "brushfire scan", ..Default::default() };
        let lf = LazyFrame::anonymous_scan(scan, args)?;
        let view = super::sql::sql_view_of(lf, &names, &self.aliases);
        let result = super::sql::run_sql_view(view, None, sql);
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(why) = log.unsupported.take() {
            return Ok(Err(why));
        }
        if let Some(e) = log.error.take() {
            return Err(e);
        }
        let df = result?;
        if opts.format.is_some() {
            load::forced_fits(&self.path, &self.format, log.rows_read, &log.rejected)?;
        }
        let how = format!(
            "lazy scan of {} ({}): read {}{}",
            self.path.display(),
            self.format,
            if log.columns_read.is_empty() {
                "no column (rows counted)".into()
            } else {
                log.columns_read.join(", ")
            },
            match (log.filtered_in_scan, log.prefiltered) {
                (true, true) =>
                    "; filtered while reading, on the filter's columns before the others were built",
                (true, false) => "; filtered while reading",
                _ => "",
            }
        );
        Ok(Ok(QueryOutcome {
            df,
            rejected: std::mem::take(&mut log.rejected),
            files: vec![self.path.clone()],
            how: vec![how],
            lazy: true,
        }))
    }
}

impl LeanScan {
    /// The query over the file's own scan (projection, filter and row-group skipping in polars'
    /// reader), streamed when it reads the file once (`sql::collect_plan`).
    fn run_streaming(&self, lf: LazyFrame, names: &[String], sql: &str) -> Result<QueryOutcome> {
        let plan = super::sql::plan_sql(super::sql::sql_view_of(lf, names, &self.aliases), None, sql)?;
        let (df, engine) = super::sql::collect_plan(plan, &self.path.display().to_string())
            .map_err(|e| DataError::Sql(e.to_string()))?;
        let how = format!(
            "lazy scan of {} ({}): polars {engine} engine on the file's own scan (projection and filter in the Parquet reader)",
            self.path.display(),
            self.format
        );
        Ok(QueryOutcome {
            df,
            rejected: Rejected::default(),
            files: vec![self.path.clone()],
            how: vec![how],
            lazy: true,
        })
    }
}

/// What the scan reads: the projected columns, derived fields and the pushed-down filter applied.
trait ScanSource: Send + Sync {
    fn schema(&self) -> &SchemaRef;
    /// A polars scan that is the table itself (nothing derived or converted): the whole query
    /// then runs on polars' streaming engine, group-bys included.
    fn native(&self) -> Result<Option<LazyFrame>> {
        Ok(None)
    }
    /// Returns the columns `out` (in that order), rows kept by `filter`, and what was read.
    fn read(&self, out: &[String], filter: Option<&Expr>, log: &Mutex<ScanLog>) -> Result<DataFrame>;
}

/// Stored columns to read for the output columns `need`: themselves, and what derived ones come from.
fn stored_needed(stored: &[String], need: &HashSet<&str>) -> Vec<String> {
    stored
        .iter()
        .filter(|c| {
            need.contains(c.as_str())
                || load::DERIVED_FROM.iter().any(|(d, from)| {
                    need.contains(d) && !stored.iter().any(|s| s == d) && from.contains(&c.as_str())
                })
        })
        .cloned()
        .collect()
}

/// A chunk of stored columns to the output: derived fields, the filter, the output columns.
fn finish_chunk(
    mut df: DataFrame,
    need: &HashSet<&str>,
    out: &[String],
    filter: Option<&Expr>,
) -> Result<DataFrame> {
    load::postprocess_only(&mut df, &mut Vec::new(), &|n| need.contains(n))?;
    if let Some(f) = filter {
        df = df.lazy().filter(f.clone()).collect_with_engine(Engine::InMemory)?.unwrap_single();
    }
    if out.is_empty() {
        return Ok(DataFrame::new(df.height(), Vec::new())?);
    }
    Ok(df.select(out.iter().map(|s| s.as_str()))?)
}

/// The columns a filter reads, or None when it may read columns it does not name.
fn filter_columns(f: &Expr) -> Option<HashSet<String>> {
    let mut names = HashSet::new();
    for e in f {
        match e {
            Expr::Column(n) => {
                names.insert(n.to_string());
            }
            Expr::Selector(_) | Expr::Element => return None,
            _ => {}
        }
    }
    Some(names)
}

struct DelimSource {
    path: PathBuf,
    spec: delimited::DelimSpec,
    schema: SchemaRef,
}

impl ScanSource for DelimSource {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn read(&self, out: &[String], filter: Option<&Expr>, log: &Mutex<ScanLog>) -> Result<DataFrame> {
        let need: HashSet<&str> = out.iter().map(|s| s.as_str()).collect();
        let stored: Vec<String> = self
            .spec
            .columns
            .iter()
            .filter(|c| c.kind != delimited::Kind::Skip)
            .map(|c| c.name.clone())
            .collect();
        let read = stored_needed(&stored, &need);
        let keep: Vec<bool> = self.spec.columns.iter().map(|c| read.contains(&c.name)).collect();
        let rows = AtomicU64::new(0);
        let on_chunk = |df: DataFrame| finish_chunk(df, &need, out, filter);
        // The filter's own columns decide each part's rows before the others are built.
        let by_filter = filter.and_then(|f| {
            let names = filter_columns(f)?;
            let names: HashSet<&str> = names.iter().map(String::as_str).collect();
            let first = stored_needed(&stored, &names);
            let cols: Vec<bool> = self.spec.columns.iter().map(|c| first.contains(&c.name)).collect();
            // Only when it leaves columns to skip, and reads nothing the projection does not.
            let later = keep.iter().zip(&cols).any(|(k, c)| *k && !*c);
            let within = first.iter().all(|c| read.contains(c));
            (later && within).then_some((
                f,
                names.into_iter().map(str::to_string).collect::<HashSet<_>>(),
                cols,
            ))
        });
        let passes = by_filter.as_ref().map(|(f, names, _)| {
            move |mut df: DataFrame| -> Result<BooleanChunked> {
                load::postprocess_only(&mut df, &mut Vec::new(), &|n| names.contains(n))?;
                let verdict =
                    df.lazy().select([(*f).clone().alias("pass")]).collect_with_engine(Engine::InMemory)?;
                Ok(verdict.unwrap_single().column("pass")?.bool()?.clone())
            }
        });
        let prefilter = by_filter
            .as_ref()
            .zip(passes.as_ref())
            .map(|((_, _, cols), passes)| delimited::Prefilter { cols, passes });
        let proj = delimited::Projection { keep: &keep, on_chunk: &on_chunk, prefilter, rows_read: &rows };
        let label = self.path.display().to_string();
        let cancel = AtomicBool::new(false);
        let reader = load::open_reader(&self.path)?;
        let (df, rejected) =
            delimited::read_delimited_projected(reader, &self.spec, &label, &cancel, &|_| {}, Some(&proj))?;
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        // A plan may scan twice (a subquery on `logs`): the file's lines are counted once.
        if log.scans == 0 {
            log.rejected = rejected;
            log.rows_read = rows.load(Ordering::Relaxed);
        }
        log.scans += 1;
        log.columns_read = read;
        log.filtered_in_scan |= filter.is_some();
        log.prefiltered |= by_filter.is_some();
        Ok(df)
    }
}

struct ParquetSource {
    path: PathBuf,
    hive: bool,
    /// (name in the file, dictionary name), as `load` renames them.
    renames: Vec<(String, String)>,
    schema: SchemaRef,
    /// `load` derives and converts nothing for this file (it holds what `load` would build): the
    /// query runs on polars' own scan of it (see `ScanSource::native`).
    passthrough: bool,
}

impl ParquetSource {
    fn lazy(&self, columns: Option<&[String]>) -> Result<LazyFrame> {
        let lf = if self.hive {
            let args = ScanArgsParquet {
                hive_options: HiveOptions { enabled: Some(true), ..Default::default() },
                ..Default::default()
            };
            let glob = format!("{}/**/*.parquet", self.path.display().to_string().trim_end_matches('/'));
            LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args)?
        } else {
            let p = self.path.display().to_string();
            LazyFrame::scan_parquet(PlRefPath::new(p.as_str()), ScanArgsParquet::default())?
        };
        Ok(match columns {
            Some(c) => lf.select(c.iter().map(|n| col(n.as_str())).collect::<Vec<_>>()),
            None => lf,
        })
    }

    fn original(&self, name: &str) -> String {
        self.renames.iter().find(|(_, d)| d == name).map_or_else(|| name.to_string(), |(o, _)| o.clone())
    }
}

impl ScanSource for ParquetSource {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn native(&self) -> Result<Option<LazyFrame>> {
        if !self.passthrough {
            return Ok(None);
        }
        let lf = self.lazy(None)?;
        let (from, to): (Vec<&String>, Vec<&String>) = self.renames.iter().map(|(o, d)| (o, d)).unzip();
        Ok(Some(lf.rename(from, to, true)))
    }

    fn read(&self, out: &[String], filter: Option<&Expr>, log: &Mutex<ScanLog>) -> Result<DataFrame> {
        let need: HashSet<&str> = out.iter().map(|s| s.as_str()).collect();
        let file_names: Vec<String> =
            self.lazy(None)?.collect_schema()?.iter_names().map(|n| n.to_string()).collect();
        let stored: Vec<String> = file_names
            .iter()
            .map(|n| self.renames.iter().find(|(o, _)| o == n).map_or_else(|| n.clone(), |(_, d)| d.clone()))
            .collect();
        let read = stored_needed(&stored, &need);
        let originals: Vec<String> = read.iter().map(|n| self.original(n)).collect();
        let mut df = if originals.is_empty() {
            // Only the row count is asked for: polars reads it from the metadata.
            let n = self.lazy(None)?.select([len().alias("n")]).collect()?;
            let h = n.column("n")?.cast(&DataType::UInt64)?.u64()?.get(0).unwrap_or(0) as usize;
            DataFrame::new(h, Vec::new())?
        } else {
            self.lazy(Some(&originals))?.collect_with_engine(Engine::Streaming)?.unwrap_single()
        };
        for (o, d) in &self.renames {
            if df.column(o).is_ok() {
                df.rename(o, d.as_str().into())?;
            }
        }
        let rows = df.height() as u64;
        let df = finish_chunk(df, &need, out, filter)?;
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        if log.scans == 0 {
            log.rows_read = rows;
        }
        log.scans += 1;
        log.columns_read = read;
        log.filtered_in_scan |= filter.is_some();
        Ok(df)
    }
}

/// The polars side of a scan: projection and filter handed down by the optimizer.
struct Scan {
    source: Arc<dyn ScanSource>,
    log: Arc<Mutex<ScanLog>>,
}

impl AnonymousScan for Scan {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn scan(&self, args: AnonymousScanArgs) -> PolarsResult<DataFrame> {
        let out: Vec<String> = match &args.with_columns {
            Some(c) => c.iter().map(|n| n.to_string()).collect(),
            None => self.source.schema().iter_names().map(|n| n.to_string()).collect(),
        };
        let filter = match args.predicate.map(applicable_filter).transpose() {
            Ok(f) => f.flatten(),
            Err(why) => {
                self.log.lock().unwrap_or_else(|e| e.into_inner()).unsupported = Some(why.clone());
                return Err(PolarsError::ComputeError(why.into()));
            }
        };
        match self.source.read(&out, filter.as_ref(), &self.log) {
            Ok(df) => Ok(match args.n_rows {
                Some(n) => df.head(Some(n)),
                None => df,
            }),
            Err(e) => {
                let msg = e.to_string();
                self.log.lock().unwrap_or_else(|e| e.into_inner()).error = Some(e);
                Err(PolarsError::ComputeError(msg.into()))
            }
        }
    }

    fn schema(&self, _infer_schema_length: Option<usize>) -> PolarsResult<SchemaRef> {
        Ok(self.source.schema().clone())
    }

    fn allows_predicate_pushdown(&self) -> bool {
        true
    }

    fn allows_projection_pushdown(&self) -> bool {
        true
    }
}

/// The part of a pushed-down filter the scan can evaluate. Polars hands over its plan-only parts
/// (the dynamic bound of an `order by .. limit`) as `Expr::Display`, which cannot be evaluated
/// again: such a conjunct only narrows what the sort above sees and is left out (the sort still
/// answers exactly); anywhere else it is a reason for the eager path.
fn applicable_filter(pred: Expr) -> std::result::Result<Option<Expr>, String> {
    fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
        match e {
            Expr::BinaryExpr { left, op: Operator::And | Operator::LogicalAnd, right } => {
                conjuncts(Arc::unwrap_or_clone(left), out);
                conjuncts(Arc::unwrap_or_clone(right), out);
            }
            e => out.push(e),
        }
    }
    let is_display = |e: &Expr| matches!(e, Expr::Display { .. });
    let mut parts = Vec::new();
    conjuncts(pred, &mut parts);
    let mut kept: Option<Expr> = None;
    for p in parts {
        if is_display(&p) {
            continue;
        }
        if (&p).into_iter().any(is_display) {
            return Err(format!("the filter {p:?} cannot be evaluated while reading"));
        }
        kept = Some(match kept {
            Some(k) => k.and(p),
            None => p,
        });
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::{argus, native::NativeKind, text::syslog::SyslogParser, vast};

    #[test]
    fn fixed_layouts_and_parquet_scan_lazily_the_rest_loads_whole() {
        for v in [vast::Variant::Header, vast::Variant::NoHeader, vast::Variant::LabelledNoHeader] {
            assert_eq!(route(&Detected::Vast(v), Some(&vast::spec(v))), Route::Delimited);
        }
        assert_eq!(route(&Detected::Parquet, None), Route::Parquet);
        // Argus widens columns whose values do not fit the guessed type: known after the whole file.
        let a = argus::spec(b"StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State", b',', 0);
        assert!(matches!(route(&Detected::Argus(b','), Some(&a)), Route::Eager(w) if w.contains("inferred")));
        let mut strict = a.clone();
        strict.strict = true;
        assert_eq!(route(&Detected::Argus(b','), Some(&strict)), Route::Delimited);
        assert!(matches!(route(&Detected::Vast(vast::Variant::Header), None), Route::Eager(_)));
        assert!(matches!(route(&Detected::ZeekTsv, None), Route::Eager(w) if w.contains("zeek")));
        let lines = route(&Detected::Lines(Box::new(SyslogParser)), None);
        assert!(matches!(lines, Route::Eager(w) if w.contains("line format")));
        assert!(
            matches!(route(&Detected::Native(NativeKind::Evtx), None), Route::Eager(w) if w.contains("binary"))
        );
    }

    #[test]
    fn several_inputs_and_log_folders_take_the_eager_path() {
        let s = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_data/vast-netflow-2weeks.csv.gz");
        let why = plan(&[s.clone(), s.clone()], &LoadOptions::default()).err().unwrap();
        assert!(why.contains("several inputs"), "{why}");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_data");
        let why = plan(&[dir], &LoadOptions::default()).err().unwrap();
        assert!(why.contains("folder"), "{why}");
        // The bundled sample is gzip: still scanned lazily (the reader streams it).
        let scan = plan(&[s], &LoadOptions::default()).unwrap();
        assert_eq!(scan.format, "vast-netflow");
        assert!(scan.source.schema().contains("proto"), "derived fields are part of the scan's schema");
    }

    #[test]
    fn sql_names_are_a_superset_of_the_columns_a_query_can_mean() {
        let n = sql_names(
            r#"SELECT "id.resp_p", Src_IP, count(*) c FROM logs WHERE `weird key` = 'x' GROUP BY 1"#,
        )
        .expect("names");
        for want in ["id.resp_p", "src_ip", "weird key", "logs", "c", "x"] {
            assert!(n.contains(want), "{want} in {n:?}");
        }
        let dotted = sql_names("select l.dst_port from logs l").expect("names");
        assert!(dotted.contains("dst_port") && dotted.contains("l.dst_port"));
        for all in [
            "select * from logs",
            "select logs.* from logs",
            "select a * 2 from logs",
            "select columns('^d') from logs",
            "select 1 from logs natural join logs",
            r#"select "a""b" from logs"#,
        ] {
            assert_eq!(sql_names(all), None, "{all} may use every column");
        }
        let proto = with_derivation_sources(sql_names("select proto from logs").expect("names"));
        assert!(proto.contains("ip_proto") && proto.contains("iplayerprotocolcode"), "{proto:?}");
    }

    #[test]
    fn derived_fields_read_what_they_come_from() {
        let stored: Vec<String> =
            ["time", "ip_proto", "ipLayerProtocolCode", "src_ip", "bytes_sent"].map(String::from).to_vec();
        let need: HashSet<&str> = ["proto", "time"].into();
        assert_eq!(stored_needed(&stored, &need), ["time", "ip_proto", "ipLayerProtocolCode"]);
        let need: HashSet<&str> = ["ip_proto"].into();
        assert_eq!(stored_needed(&stored, &need), ["ip_proto"], "a stored field is read as it is");
        // Argus: the received side is the total minus the sent side.
        let stored: Vec<String> = ["total_bytes", "bytes_sent", "proto"].map(String::from).to_vec();
        let need: HashSet<&str> = ["bytes_received"].into();
        assert_eq!(stored_needed(&stored, &need), ["total_bytes", "bytes_sent"]);
    }

    #[test]
    fn plan_only_filters_are_left_to_the_sort_or_sent_eager() {
        let bound = Expr::Display { inputs: vec![col("time")], fmt_str: Box::new("dynamic".into()) };
        let f = applicable_filter(col("dst_port").eq(lit(22)).and(bound.clone())).unwrap();
        assert_eq!(f, Some(col("dst_port").eq(lit(22))));
        assert_eq!(applicable_filter(bound.clone()).unwrap(), None);
        let either = col("dst_port").eq(lit(22)).or(bound);
        assert!(applicable_filter(either).is_err(), "a bound inside OR cannot be dropped");
    }
}
