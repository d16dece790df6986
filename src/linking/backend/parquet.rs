//! [`SqlEngine`] over a Parquet file or a hive-partitioned directory of Parquet files, with polars
//! lazy scans run by the streaming engine: a query reads only the columns and row groups it needs
//! and never holds the whole dataset, so the lake can be larger than memory.
use super::{BackendError, Dialect, Split, SqlEngine};
use polars::prelude::*;
use polars::sql::SQLContext;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct ParquetEngine {
    root: PathBuf,
    scan: LazyFrame,
    schema: Schema,
    /// Cancel flags of the running queries, by tag.
    running: Mutex<HashMap<String, Vec<Arc<AtomicBool>>>>,
    /// Bytes of every result returned (the bench reports what crossed the seam).
    pub bytes_out: AtomicU64,
    /// Chunks of whole hive partitions (`hive_splits`).
    splits: Vec<Split>,
}

/// Parquet bytes a chunk of partitions holds before the next begins (about 25 M flows of the VAST
/// layout): a streaming group-by over 100 M flows held 2.6 GB, over one such chunk about a quarter.
const SPLIT_BYTES: u64 = 256 << 20;

/// Conditions on the first-level hive partition column of the lake at `root` (`day=2013-04-01/`)
/// that cut it into chunks of whole partitions of about [`SPLIT_BYTES`] each (the first smaller), in
/// name order. Empty
/// when there would be one chunk, or when the directory is not partitioned alike throughout (a
/// file beside the partitions, two partition columns, a value that is escaped or not of its
/// column's type): a split must cover every record exactly once.
fn hive_splits(root: &Path, schema: &Schema, chunk_bytes: u64) -> Vec<Split> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut column: Option<String> = None;
    let mut parts: Vec<(String, u64)> = Vec::new();
    for e in entries {
        let Ok(e) = e else { return Vec::new() };
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if !path.is_dir() {
            if name.ends_with(".parquet") {
                return Vec::new();
            }
            continue;
        }
        let Some((k, v)) = name.split_once('=') else { return Vec::new() };
        if column.get_or_insert_with(|| k.to_string()) != k || v.contains('%') {
            return Vec::new();
        }
        let Ok(files) = walk_parquet(&path) else { return Vec::new() };
        let bytes = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        parts.push((v.to_string(), bytes));
    }
    let Some(column) = column else { return Vec::new() };
    let d = Dialect::Polars;
    let id = super::sql::ident(d, &column);
    let literal = |v: &str| -> Option<String> {
        if v == "__HIVE_DEFAULT_PARTITION__" {
            return Some(format!("{id} IS NULL"));
        }
        let dtype = schema.get(column.as_str())?;
        let lit = if dtype.is_integer() {
            v.parse::<i64>().ok()?.to_string()
        } else if dtype.is_string() || dtype.is_temporal() {
            super::sql::string_lit(d, v)
        } else {
            return None;
        };
        Some(format!("{id} = {lit}"))
    };
    parts.sort();
    let total: u64 = parts.iter().map(|(_, b)| b).sum();
    if total < chunk_bytes {
        return Vec::new();
    }
    // The first chunk is a sample of about a sixteenth of the lake (one day of two weeks): a cube
    // part that cannot fit is known from it, after a small group-by instead of a full chunk's.
    let first_bytes = chunk_bytes.min(total / 16);
    let mut chunks: Vec<(Vec<String>, u64)> = Vec::new();
    for (v, bytes) in parts {
        let Some(cond) = literal(&v) else { return Vec::new() };
        let limit = if chunks.len() == 1 { first_bytes } else { chunk_bytes };
        match chunks.last_mut() {
            Some((conds, b)) if *b < limit => {
                conds.push(cond);
                *b += bytes;
            }
            _ => chunks.push((vec![cond], bytes)),
        }
    }
    if chunks.len() < 2 {
        return Vec::new();
    }
    chunks
        .into_iter()
        .map(|(conds, b)| Split {
            cond: format!("({})", conds.join(" OR ")),
            share: b as f64 / total.max(1) as f64,
        })
        .collect()
}

impl ParquetEngine {
    /// Opens `path`: one `.parquet` file, or a directory (hive partitions such as `day=2013-04-01/`
    /// become columns).
    pub fn open(path: &Path) -> Result<Self, BackendError> {
        let connect = |reason: String| BackendError::Connect { target: path.display().to_string(), reason };
        let meta = std::fs::metadata(path).map_err(|e| connect(e.to_string()))?;
        let target = if meta.is_dir() {
            let mut has_parquet = false;
            for e in walk_parquet(path).map_err(|e| connect(e.to_string()))? {
                has_parquet |= e.extension().is_some_and(|x| x == "parquet");
            }
            if !has_parquet {
                return Err(connect("no .parquet file in this directory".into()));
            }
            format!("{}/**/*.parquet", path.display())
        } else {
            path.display().to_string()
        };
        let args = ScanArgsParquet {
            hive_options: HiveOptions { enabled: Some(meta.is_dir()), ..HiveOptions::new_enabled() },
            glob: meta.is_dir(),
            ..Default::default()
        };
        let scan = LazyFrame::scan_parquet(PlRefPath::from(target.as_str()), args)
            .map_err(|e| connect(e.to_string()))?;
        let schema = scan.clone().collect_schema().map_err(|e| connect(e.to_string()))?.as_ref().clone();
        let splits = if meta.is_dir() { hive_splits(path, &schema, SPLIT_BYTES) } else { Vec::new() };
        Ok(Self {
            root: path.to_path_buf(),
            scan,
            schema,
            running: Mutex::new(HashMap::new()),
            bytes_out: AtomicU64::new(0),
            splits,
        })
    }

    /// Chunks of at most about `bytes` of Parquet each, in place of the default (tests split a
    /// small lake).
    pub fn with_split_bytes(mut self, bytes: u64) -> Self {
        self.splits =
            if self.root.is_dir() { hive_splits(&self.root, &self.schema, bytes) } else { Vec::new() };
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The lazy plan of `sql` over `logs`.
    pub fn plan(&self, sql: &str) -> Result<LazyFrame, BackendError> {
        let mut ctx = SQLContext::new();
        ctx.register("logs", self.scan.clone());
        ctx.execute(sql).map_err(|e| self.query_error(sql, e))
    }

    fn query_error(&self, sql: &str, e: impl ToString) -> BackendError {
        BackendError::Query { engine: self.describe(), sql: sql.to_string(), reason: e.to_string() }
    }

    /// Runs a lazy plan with the streaming engine on its own thread; returns early with
    /// [`BackendError::Cancelled`] when the tag is cancelled (the abandoned work finishes in the
    /// background and is dropped).
    fn collect_tagged(&self, lf: LazyFrame, sql: &str, tag: &str) -> Result<DataFrame, BackendError> {
        let df = self.run_tagged(sql, tag, move || collect_streaming(lf))?;
        self.bytes_out.fetch_add(df.estimated_size() as u64, Ordering::Relaxed);
        Ok(df)
    }

    /// Runs `job` (collecting polars plans) on its own thread; returns early with
    /// [`BackendError::Cancelled`] when the tag is cancelled. `sql` names it in errors.
    fn run_tagged<T: Send + 'static>(
        &self,
        sql: &str,
        tag: &str,
        job: impl FnOnce() -> PolarsResult<T> + Send + 'static,
    ) -> Result<T, BackendError> {
        let flag = Arc::new(AtomicBool::new(false));
        if let Ok(mut r) = self.running.lock() {
            r.entry(tag.to_string()).or_default().push(flag.clone());
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new().name("brushfire-parquet-query".into()).spawn(move || {
            let res = crate::guard::contain("parquet query", "the lake", job);
            let _ = tx.send(res);
        });
        let result = match spawned {
            Err(e) => Err(BackendError::Other(format!("cannot start a query thread: {e}"))),
            Ok(_) => loop {
                if flag.load(Ordering::Relaxed) {
                    break Err(BackendError::Cancelled);
                }
                match rx.recv_timeout(Duration::from_millis(20)) {
                    Ok(Ok(Ok(df))) => break Ok(df),
                    Ok(Ok(Err(e))) => break Err(self.query_error(sql, e)),
                    Ok(Err(panic)) => break Err(self.query_error(sql, panic)),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                        break Err(self.query_error(sql, "the query thread stopped"))
                    }
                }
            },
        };
        if let Ok(mut r) = self.running.lock() {
            if let Some(v) = r.get_mut(tag) {
                v.retain(|f| !Arc::ptr_eq(f, &flag));
                if v.is_empty() {
                    r.remove(tag);
                }
            }
        }
        result
    }
}

/// `collect_plan`: streamed when the plan reads the lake once (a join runs in memory).
fn collect_streaming(lf: LazyFrame) -> PolarsResult<DataFrame> {
    crate::data::sql::collect_plan(lf, "the lake").map(|(df, _)| df)
}

/// Every file under `dir`, recursively (hive partitions nest).
fn walk_parquet(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    Ok(out)
}

impl SqlEngine for ParquetEngine {
    fn describe(&self) -> String {
        format!("parquet {}", self.root.display())
    }

    fn dialect(&self) -> Dialect {
        Dialect::Polars
    }

    fn concurrent_queries(&self) -> bool {
        // Each streaming scan takes both cores; six at once held six group-by tables (4 GB at 10 M rows).
        false
    }

    fn splits(&self) -> Vec<Split> {
        self.splits.clone()
    }

    fn fingerprint(&self) -> Option<String> {
        let root = std::path::absolute(&self.root).ok()?;
        let mut files =
            if self.root.is_dir() { walk_parquet(&self.root).ok()? } else { vec![self.root.clone()] };
        files.sort();
        let mut text = root.display().to_string();
        for f in files {
            let m = std::fs::metadata(&f).ok()?;
            let since = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
            let _ = write!(text, "\n{}\t{}\t{}", f.display(), m.len(), since.as_nanos());
        }
        Some(super::cube_store::hash_hex(&text))
    }

    fn schema(&self) -> Result<Schema, BackendError> {
        Ok(self.schema.clone())
    }

    fn query(&self, sql: &str, tag: &str) -> Result<DataFrame, BackendError> {
        let lf = self.plan(sql)?;
        self.collect_tagged(lf, sql, tag)
    }

    fn query_many(&self, sqls: &[String], tag: &str) -> Result<Vec<DataFrame>, BackendError> {
        let plans = sqls.iter().map(|sql| self.plan(sql)).collect::<Result<Vec<_>, _>>()?;
        // One streaming plan for all: only plans that each scan the lake once, as `query` streams.
        if plans.len() < 2 || !plans.iter().all(crate::data::sql::streams_in_one_pass) {
            return sqls.iter().map(|sql| self.query(sql, tag)).collect();
        }
        let opt = plans[0].get_current_optimizations();
        let dsl: Vec<_> = plans.into_iter().map(|lf| lf.logical_plan).collect();
        let what = format!("{} queries run as one plan, the first: {}", sqls.len(), sqls[0]);
        let dfs = match self
            .run_tagged(&what, tag, move || LazyFrame::collect_all_with_engine(dsl, Engine::Streaming, opt))
        {
            Err(BackendError::Cancelled) => return Err(BackendError::Cancelled),
            // What the streaming engine cannot run as one plan, each query runs as `query` does
            // (which falls back to the in-memory engine), and says its own error.
            Err(_) => return sqls.iter().map(|sql| self.query(sql, tag)).collect(),
            Ok(dfs) => dfs,
        };
        for df in &dfs {
            self.bytes_out.fetch_add(df.estimated_size() as u64, Ordering::Relaxed);
        }
        Ok(dfs)
    }

    fn cancel(&self, tag: &str) {
        if let Ok(r) = self.running.lock() {
            for f in r.get(tag).into_iter().flatten() {
                f.store(true, Ordering::Relaxed);
            }
        }
    }

    fn write_parquet(&self, sql: &str, out_dir: &Path, partition_by: &[&str]) -> Result<u64, BackendError> {
        let lf = self.plan(sql)?;
        let out_abs = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
        let src_abs = std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone());
        if out_abs.starts_with(&src_abs) || src_abs.starts_with(&out_abs) {
            return Err(BackendError::Other(format!(
                "{}: the output must lie beside the source {}, not over or inside it",
                out_dir.display(),
                self.root.display()
            )));
        }
        write_partitioned(lf, out_dir, partition_by, &|df| {
            self.bytes_out.fetch_add(df.estimated_size() as u64, Ordering::Relaxed);
        })
        .map_err(|e| self.query_error(sql, e))
    }
}

/// Writes the rows of `lf` as a hive-partitioned Parquet dataset: each partition is collected and
/// written on its own (memory holds one partition), into a temporary sibling directory that is
/// renamed to `out_dir` once complete. An existing `out_dir` is refused, never replaced.
pub fn write_partitioned(
    lf: LazyFrame,
    out_dir: &Path,
    partition_by: &[&str],
    on_part: &dyn Fn(&DataFrame),
) -> Result<u64, BackendError> {
    if out_dir.exists() {
        return Err(BackendError::Other(format!(
            "{}: already exists; choose a new directory",
            out_dir.display()
        )));
    }
    let parent = out_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| BackendError::Other(format!("{}: {e}", parent.display())))?;
    let name = out_dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "lake".into());
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let io = |p: &Path, e: std::io::Error| BackendError::Other(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    let result = (|| {
        let keys: Vec<Expr> = partition_by.iter().map(|c| col(*c)).collect();
        let combos = if keys.is_empty() {
            DataFrame::empty()
        } else {
            collect_streaming(lf.clone().select(keys).unique_stable(None, UniqueKeepStrategy::First))?
        };
        let mut total = 0u64;
        let n_parts = if keys_empty(partition_by) { 1 } else { combos.height() };
        for i in 0..n_parts {
            let mut dir = tmp.clone();
            let mut part = lf.clone();
            for c in partition_by {
                let v = combos.column(c)?.get(i)?;
                let text = match &v {
                    AnyValue::Null => "__HIVE_DEFAULT_PARTITION__".to_string(),
                    v if v.get_str().is_some() => v.get_str().unwrap_or_default().to_string(),
                    other => other.to_string(),
                };
                dir = dir.join(format!("{c}={text}"));
                part = match v {
                    AnyValue::Null => part.filter(col(*c).is_null()),
                    _ => part.filter(col(*c).eq(lit(Scalar::new(v.dtype(), v.into_static())))),
                };
            }
            let mut df = collect_streaming(part.drop(Selector::ByName {
                names: partition_by.iter().map(|s| PlSmallStr::from(*s)).collect(),
                strict: false,
            }))?;
            on_part(&df);
            std::fs::create_dir_all(&dir).map_err(|e| polars_err!(ComputeError: "{}: {e}", dir.display()))?;
            let file = dir.join("part-0.parquet");
            let f = std::fs::File::create(&file)
                .map_err(|e| polars_err!(ComputeError: "{}: {e}", file.display()))?;
            ParquetWriter::new(f).finish(&mut df)?;
            total += df.height() as u64;
        }
        Ok::<u64, PolarsError>(total)
    })();
    match result {
        Ok(n) => {
            std::fs::rename(&tmp, out_dir).map_err(|e| io(out_dir, e))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(BackendError::Polars(e))
        }
    }
}

fn keys_empty(p: &[&str]) -> bool {
    p.is_empty()
}

/// Adds a `day` column (`YYYY-MM-DD` of `time`, UTC) for partitioning by day.
pub fn with_day(lf: LazyFrame) -> LazyFrame {
    lf.with_column(col("time").dt().strftime("%Y-%m-%d").alias("day"))
}

/// Writes a loaded table as a new hive-partitioned Parquet dataset, one directory per day
/// (`day=YYYY-MM-DD`; records without a time go to the default partition). Returns rows written.
pub fn export_dataset(df: &DataFrame, out_dir: &Path) -> Result<u64, BackendError> {
    // A lake holds plain text and the logical integer types: other engines read it, and dictionary
    // codes and narrowed storage types are this process's own.
    let lf = crate::data::text_column::logical_view(df.clone().lazy());
    let lf = if df.column("time").is_ok() { with_day(lf) } else { lf };
    let parts: &[&str] = if df.column("time").is_ok() { &["day"] } else { &[] };
    write_partitioned(lf, out_dir, parts, &|_| {})
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::linking::backend::testing::{assert_backend_matches_memory, Scenario};

    /// Random flows over 16 days (both comparison windows exist), with null protocols and times.
    pub(crate) fn frame(n: usize, seed: u64) -> DataFrame {
        let mut x = seed | 1;
        let mut below = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let day = 86_400_000_000i64;
        let t0 = 1_364_774_400_000_000i64;
        let time: Vec<Option<i64>> = (0..n)
            .map(|_| if below(50) == 0 { None } else { Some(t0 + below(16 * day as u64) as i64) })
            .collect();
        let src: Vec<String> = (0..n).map(|_| format!("10.{}.{}.{}", below(2), below(3), below(5))).collect();
        let port: Vec<i32> = (0..n).map(|_| [80, 443, 53, 22, 8080][below(5) as usize]).collect();
        let proto: Vec<Option<&str>> =
            (0..n).map(|_| [Some("tcp"), Some("udp"), None][below(3) as usize]).collect();
        let bytes: Vec<i64> = (0..n).map(|_| below(1000) as i64).collect();
        let t = Series::new("time".into(), time).cast(&crate::data::table::time_dtype()).unwrap();
        DataFrame::new_infer_height(vec![
            t.into_column(),
            Column::new("src_ip".into(), src),
            Column::new("dst_port".into(), port),
            Column::new("proto".into(), proto),
            Column::new("bytes_sent".into(), bytes),
        ])
        .unwrap()
    }

    #[test]
    fn parquet_lake_answers_as_the_in_memory_engine() {
        let df = frame(4000, 11);
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("flows");
        assert_eq!(export_dataset(&df, &lake).unwrap(), 4000);
        assert!(lake.join("day=2013-04-01").is_dir(), "partitioned by day");
        // The source is never written over.
        assert!(export_dataset(&df, &lake).is_err());
        // Rows come back from the partitions in another order than the frame's: the check must
        // not depend on row order. The same sequence runs with the default subset budget (every
        // clause of 4000 records fits), with 150 records (some clauses fit, others not) and with
        // none, and with cubes fetched whole or a day at a time (every partition its own chunk).
        // The last two run the sequence with cube parts kept on disk: the first run writes them,
        // the second reads them back, and both must answer as the in-memory engine.
        use std::sync::atomic::Ordering::Relaxed;
        let kept = tempfile::tempdir().unwrap();
        let store = Arc::new(super::super::cube_store::CubeStore::new(kept.path().to_path_buf(), 1 << 30));
        for (budget, split_bytes, keep) in [
            (None, None, false),
            (Some(150), None, false),
            (Some(0), Some(1), false),
            (None, None, true),
            (None, None, true),
        ] {
            let sc = Scenario {
                top_fields: &["src_ip", "dst_port", "proto"],
                ip_field: "src_ip",
                measure: "bytes",
                steps: 40,
                seed: 5,
                subset_max_rows: budget,
                cube_store: keep.then(|| store.clone()),
            };
            let mut engine = ParquetEngine::open(&lake).unwrap();
            assert!(engine.splits().is_empty(), "a small lake is one chunk");
            if let Some(b) = split_bytes {
                engine = engine.with_split_bytes(b);
                // 16 days and the records without a time.
                assert_eq!(engine.splits().len(), 17, "{:?}", engine.splits());
            }
            let (hits, saved) = (store.hits.load(Relaxed), store.saved.load(Relaxed));
            let n = assert_backend_matches_memory(Arc::new(engine), &df, &sc);
            assert!(n >= 40 * 8, "compared {n} outputs");
            if keep && saved == 0 {
                assert!(store.saved.load(Relaxed) > 0, "the first run keeps parts");
            } else if keep {
                // The second run hovers where the first did, over the same selections.
                let (read, kept) = (store.hits.load(Relaxed) - hits, store.saved.load(Relaxed) - saved);
                assert!(read > 10 && kept == 0, "the second run read {read} parts back and kept {kept}");
            }
        }
    }

    #[test]
    fn the_fingerprint_changes_with_any_file_of_the_lake_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("flows");
        export_dataset(&frame(300, 3), &lake).unwrap();
        let engine = ParquetEngine::open(&lake).unwrap();
        let first = engine.fingerprint().expect("files have a fingerprint");
        assert_eq!(engine.fingerprint().as_ref(), Some(&first), "the same files, the same fingerprint");
        // A file rewritten (its time changes), then one more file: each is another lake.
        let day = lake.join("day=2013-04-02");
        let file = walk_parquet(&day).unwrap().remove(0);
        let later = std::time::SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options().write(true).open(&file).unwrap().set_modified(later).unwrap();
        let touched = engine.fingerprint().unwrap();
        assert_ne!(touched, first);
        std::fs::copy(&file, day.join("more.parquet")).unwrap();
        let grown = engine.fingerprint().unwrap();
        assert!(grown != touched && grown != first);
    }

    #[test]
    fn hive_splits_cover_every_partition_once_or_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let schema = Schema::from_iter([
            Field::new("day".into(), DataType::String),
            Field::new("year".into(), DataType::Int64),
        ]);
        for (d, kb) in [("day=2013-04-02", 3), ("day=2013-04-01", 2), ("day=__HIVE_DEFAULT_PARTITION__", 1)] {
            std::fs::create_dir_all(root.join(d)).unwrap();
            std::fs::write(root.join(d).join("part-0.parquet"), vec![0u8; kb * 1024]).unwrap();
        }
        let conds = |splits: Vec<Split>| splits.into_iter().map(|s| s.cond).collect::<Vec<_>>();
        assert_eq!(
            conds(hive_splits(root, &schema, 1)),
            [r#"("day" = '2013-04-01')"#, r#"("day" = '2013-04-02')"#, r#"("day" IS NULL)"#]
        );
        // Whole partitions, in name order, until a chunk holds the bytes asked for; the first
        // chunk a sixteenth of the lake (here one partition), and each its share of the bytes.
        let splits = hive_splits(root, &schema, 4 * 1024);
        assert_eq!(
            splits.iter().map(|s| (s.cond.as_str(), (s.share * 6.0).round() as u32)).collect::<Vec<_>>(),
            [(r#"("day" = '2013-04-01')"#, 2), (r#"("day" = '2013-04-02' OR "day" IS NULL)"#, 4)]
        );
        assert!(hive_splits(root, &schema, 1 << 30).is_empty(), "one chunk is no split");
        // A file beside the partitions would be in no chunk.
        std::fs::write(root.join("stray.parquet"), b"x").unwrap();
        assert!(hive_splits(root, &schema, 1).is_empty());
        // An integer column compares with numbers; a value not of its type splits nothing.
        let years = tempfile::tempdir().unwrap();
        for y in ["year=2013", "year=2014"] {
            std::fs::create_dir_all(years.path().join(y)).unwrap();
        }
        assert_eq!(
            conds(hive_splits(years.path(), &schema, 0)),
            [r#"("year" = 2013)"#, r#"("year" = 2014)"#]
        );
        std::fs::create_dir_all(years.path().join("year=soon")).unwrap();
        assert!(hive_splits(years.path(), &schema, 0).is_empty());
    }

    #[test]
    fn after_a_click_the_other_views_read_its_records_once_from_the_lake() {
        use crate::linking::needs::{Need, Output};
        use crate::linking::selection::{Clause, Selection};
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(
            3000,
            5,
            vec![
                (1, Need::Time { measure: "count".into(), split: None }),
                (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
                (11, Need::TopN { field: "dst_port".into(), offset: 0, limit: 10, measure: "bytes".into() }),
                (12, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "count".into() }),
                (20, Need::Table { offset: 0, limit: 20, sort: None }),
            ],
        );
        let check = |got: &crate::linking::coordinator::Answer,
                     want: &crate::linking::coordinator::Answer| {
            for v in [1, 10, 11, 12] {
                assert_eq!(format!("{:?}", got.outputs[&v]), format!("{:?}", want.outputs[&v]), "view {v}");
            }
            let (Output::Records { passing, page, .. }, Output::Table { passing: p, rows, .. }) =
                (&got.outputs[&20], &want.outputs[&20])
            else {
                panic!("records: {:?}", got.outputs[&20]);
            };
            assert_eq!((passing, page.height()), (p, rows.len()));
        };
        let mut sel = Selection::default();
        let first = lake.run(&req(1, &sel), "t");
        assert_eq!(lake.last_from_subset, 0, "no clause: every view reads the lake");
        let Some(Output::TopN { entries, .. }) = first.outputs.get(&10) else { panic!() };
        let (src, src_rows) = (entries[0].label.clone(), entries[0].value as usize);
        // A click on a source: the time series, the other lists and the records count read its
        // records, fetched once; the source list itself keeps its output.
        sel.clauses.insert(10, Clause::values("src_ip", [src.clone()], false));
        let r = req(2, &sel);
        let (got, want) = (lake.run(&r, "t"), memory.run(&r));
        check(&got, &want);
        assert_eq!(lake.last_from_subset, 4, "time, two lists, records count");
        assert_eq!(lake.subset_rows(), Some(src_rows));
        assert_eq!(got.strategy, "pushdown + subset in memory");
        // A second click, in the port list: the source's records still serve every view but the
        // one of the smaller clause.
        let Some(Output::TopN { entries, .. }) = got.outputs.get(&11) else { panic!() };
        sel.clauses.insert(11, Clause::values("dst_port", [entries[0].label.clone()], false));
        let r = req(3, &sel);
        let (got, want) = (lake.run(&r, "t"), memory.run(&r));
        check(&got, &want);
        assert_eq!(lake.last_from_subset, 3, "every changed view but the subset's own");
        // An exclusion of that source holds most records: over the budget, every view reads the lake.
        lake.subset_max_rows = 3000 - src_rows - 1;
        sel.clauses.clear();
        sel.clauses.insert(10, Clause::values("src_ip", [src], true));
        let r = req(4, &sel);
        let (got, want) = (lake.run(&r, "t"), memory.run(&r));
        check(&got, &want);
        assert_eq!(lake.last_from_subset, 0);
        assert_eq!(lake.subset_rows(), None, "a subset of a clause no longer selected is dropped");
    }

    #[test]
    fn a_view_whose_other_clauses_come_back_is_answered_from_its_history() {
        use crate::linking::needs::{Need, Output};
        use crate::linking::selection::{Clause, Selection};
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(
            2000,
            3,
            vec![
                (1, Need::Time { measure: "count".into(), split: None }),
                (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
                (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "count".into() }),
            ],
        );
        let first = lake.run(&req(1, &Selection::default()), "t");
        let Some(Output::TopN { entries, .. }) = first.outputs.get(&10) else { panic!() };
        let (a, b) = (entries[0].label.clone(), entries[1].label.clone());
        let mut sel = Selection::default();
        // A source, then a protocol within it, then the protocol dropped and another source
        // clicked: the source list's other clauses are none again, as in the first two requests.
        for (seq, step) in [(2, 0), (3, 1), (4, 2)] {
            match step {
                0 => drop(sel.clauses.insert(10, Clause::values("src_ip", [a.clone()], false))),
                1 => drop(sel.clauses.insert(11, Clause::values("proto", ["tcp".to_string()], false))),
                _ => {
                    sel.clauses.remove(&11);
                    sel.clauses.insert(10, Clause::values("src_ip", [b.clone()], false));
                }
            }
            let r = req(seq, &sel);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            for v in [1, 10, 11] {
                assert_eq!(
                    format!("{:?}", got.outputs[&v]),
                    format!("{:?}", want.outputs[&v]),
                    "step {step}"
                );
            }
        }
        assert_eq!(lake.last_reused, 1, "the source list, from two requests back");
        // Twelve more sources (36 outputs, more than the 32 the history held when it counted
        // outputs, not bytes), then the selection cleared: every unfiltered answer is still kept.
        for i in 0..12u64 {
            sel.clauses.insert(10, Clause::values("src_ip", [format!("10.0.{}.{}", i % 3, i / 3)], false));
            lake.run(&req(5 + i, &sel), "t");
        }
        let cleared = lake.run(&req(20, &Selection::default()), "t");
        assert_eq!(lake.last_reused, 3);
        assert_eq!(format!("{:?}", cleared.outputs), format!("{:?}", first.outputs));
    }

    #[test]
    fn another_views_brush_bounds_the_scan_so_files_can_be_skipped() {
        use crate::linking::backend::pushdown::LakeSession;
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Selection};
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("flows");
        export_dataset(&frame(500, 4), &lake).unwrap();
        let session = LakeSession::new(Arc::new(ParquetEngine::open(&lake).unwrap())).unwrap();
        let (t0, day) = (1_364_774_400_000_000i64, 86_400_000_000i64);
        let mut sel = Selection::default();
        sel.clauses.insert(1, Clause::Time { start_us: t0 + 9 * day, end_us: t0 + 10 * day });
        let list = Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() };
        // The list's rows: the brushed day and the same day a week earlier (its windows).
        let q = session.need_sql(&sel, 2, &list).unwrap();
        assert!(
            q.contains("FROM logs WHERE (\"time\" IS NOT NULL AND \"time\" >= '2013-04-03 00:00:00.000000' AND \"time\" < '2013-04-11 00:00:00.000000')"),
            "{q}"
        );
        // The time series is not filtered by its own brush.
        let q = session.need_sql(&sel, 1, &Need::Time { measure: "count".into(), split: None }).unwrap();
        assert!(!q.contains("FROM logs WHERE"), "{q}");
    }

    #[test]
    fn another_views_clause_is_tested_once_per_row_on_the_scan() {
        use crate::linking::backend::pushdown::LakeSession;
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Selection};
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("flows");
        export_dataset(&frame(500, 4), &lake).unwrap();
        let session = LakeSession::new(Arc::new(ParquetEngine::open(&lake).unwrap())).unwrap();
        let (t0, day) = (1_364_774_400_000_000i64, 86_400_000_000i64);
        let mut sel = Selection::default();
        sel.clauses.insert(3, Clause::values("dst_port", ["445".to_string()], false));
        let port = "COALESCE(\"dst_port\" = 445, FALSE)";
        let list = Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() };
        let series = Need::Time { measure: "count".into(), split: None };
        let graph = Need::Tuples { fields: vec!["src_ip".into(), "dst_ip".into()] };
        for (view, need) in [(2, &list), (1, &series), (4, &graph)] {
            let q = session.need_sql(&sel, view, need).unwrap();
            assert_eq!(q.matches(port).count(), 1, "{q}");
            assert!(q.contains(&format!("FROM logs WHERE (({port}))")), "{q}");
        }
        // With a time brush too, the list's rows are bounded by the brush's span and its week
        // before, and only the brush is tested per row beside the windows.
        sel.clauses.insert(1, Clause::Time { start_us: t0 + 9 * day, end_us: t0 + 10 * day });
        let q = session.need_sql(&sel, 2, &list).unwrap();
        assert_eq!(q.matches(port).count(), 1, "{q}");
        assert_eq!(q.matches("'2013-04-10 00:00:00.000000'").count(), 2, "the brush and its window: {q}");
    }

    /// A top-10 list over `field` summing `measure`.
    pub(crate) fn list(field: &str, measure: &str) -> crate::linking::needs::Need {
        crate::linking::needs::Need::TopN {
            field: field.into(),
            offset: 0,
            limit: 10,
            measure: measure.into(),
        }
    }

    /// A lake of `frame(n, seed)` beside the in-memory engine over the same rows, and requests for
    /// these needs (the directory lives as long as the first value).
    pub(crate) fn lake_beside_memory(
        n: usize,
        seed: u64,
        needs: Vec<(crate::linking::selection::ViewId, crate::linking::needs::Need)>,
    ) -> (
        tempfile::TempDir,
        crate::linking::backend::pushdown::LakeSession,
        crate::linking::coordinator::Session,
        impl Fn(u64, &crate::linking::selection::Selection) -> crate::linking::coordinator::Request,
    ) {
        let df = frame(n, seed);
        let dir = tempfile::tempdir().unwrap();
        let lake_dir = dir.path().join("flows");
        export_dataset(&df, &lake_dir).unwrap();
        let engine = Arc::new(ParquetEngine::open(&lake_dir).unwrap());
        let lake = crate::linking::backend::pushdown::LakeSession::new(engine).unwrap();
        let memory = crate::linking::coordinator::Session::new(Arc::new(df)).unwrap();
        let needs: std::collections::BTreeMap<_, _> = needs.into_iter().collect();
        let req =
            move |seq, sel: &crate::linking::selection::Selection| crate::linking::coordinator::Request {
                seq,
                selection: sel.clone(),
                needs: needs.clone(),
                want_all_rows: false,
            };
        (dir, lake, memory, req)
    }

    #[test]
    fn the_views_queries_to_the_lake_run_as_one_plan_and_answer_as_each_alone() {
        use crate::linking::backend::testing::canonical;
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Selection};
        let needs = vec![
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, list("src_ip", "count")),
            (11, list("dst_port", "count")),
            (12, list("proto", "bytes")),
            (
                13,
                Need::Tree { levels: vec!["src_ip/16".into(), "src_ip/24".into()], measure: "count".into() },
            ),
            (20, Need::Table { offset: 0, limit: 20, sort: None }),
        ];
        let (dir, mut lake, mut memory, req) = lake_beside_memory(3000, 11, needs);
        let engine = Arc::new(Logged::new(ParquetEngine::open(&dir.path().join("flows")).unwrap()));
        lake.engine = engine.clone();
        lake.subset_max_rows = 0;
        let mut sel = Selection::default();
        for (seq, clause) in
            [(None, 1), (Some((11, Clause::values("dst_port", ["443".to_string()], true))), 2)]
        {
            if let Some((v, c)) = seq {
                sel.clauses.insert(v, c);
            }
            engine.2.lock().unwrap().clear();
            let r = req(clause, &sel);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            for v in [1, 10, 11, 12, 13] {
                let c = |o| canonical(o, &DataFrame::empty());
                assert_eq!(c(&got.outputs[&v]), c(&want.outputs[&v]), "view {v} of {sel:?}");
            }
            // The time series and the lists (the port list keeps its output after its own click)
            // two at a time, the treemap's query being the source list's (a count by address).
            let calls = engine.2.lock().unwrap().clone();
            let together: &[usize] = if clause == 1 { &[2, 2] } else { &[2] };
            assert_eq!(calls.iter().filter(|n| **n > 1).copied().collect::<Vec<_>>(), together, "{calls:?}");
        }
        // The engine answers each query of a batch as it answers it alone, and one it cannot run
        // in one pass (a join) or at all (an unknown column) as alone too.
        let eng = &engine.0;
        let sqls = [
            "SELECT proto, COUNT(*) AS n FROM logs GROUP BY proto ORDER BY proto".to_string(),
            "SELECT dst_port, SUM(bytes_sent) AS b FROM logs GROUP BY dst_port ORDER BY dst_port".to_string(),
        ];
        let alone: Vec<DataFrame> = sqls.iter().map(|q| eng.query(q, "t").unwrap()).collect();
        assert_eq!(eng.query_many(&sqls, "t").unwrap(), alone);
        let join = "SELECT a.proto, COUNT(*) AS n FROM logs a JOIN logs b ON a.src_ip = b.src_ip \
                    GROUP BY a.proto ORDER BY a.proto"
            .to_string();
        let with_join = [sqls[0].clone(), join.clone()];
        assert_eq!(eng.query_many(&with_join, "t").unwrap()[1], eng.query(&join, "t").unwrap());
        let bad = [sqls[0].clone(), "SELECT no_such_column FROM logs".to_string()];
        assert!(matches!(eng.query_many(&bad, "t"), Err(BackendError::Query { .. })));
    }

    #[test]
    fn a_graphs_part_for_the_list_of_one_of_its_fields_groups_by_the_graphs_keys_alone() {
        use crate::linking::backend::testing::canonical;
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Pred, Selection};
        let needs = vec![
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
            (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "count".into() }),
            (40, Need::Tuples { fields: vec!["src_ip".into(), "dst_port".into()] }),
        ];
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(2000, 31, needs.clone());
        let sel = Selection::default();
        lake.run(&req(1, &sel), "t");
        let plan = lake.plan_cube(40, &sel, &needs.into_iter().collect(), "t").unwrap().unwrap();
        let part = |id: i64| plan.sized.iter().find(|p| p.id == id).unwrap();
        // The source list's bins are the graph's own sources: two keys grouped, the bin copied.
        assert_eq!(part(10).bin_key, Some(0));
        assert!(
            part(10).sql.contains("GROUP BY k0, k1)") && part(10).sql.contains("CAST(k0 AS STRING) AS k2")
        );
        // The protocols are not a graph field: grouped by all three.
        assert_eq!(part(11).bin_key, None);
        assert!(part(11).sql.contains("GROUP BY k0, k1, k2)"), "{}", part(11).sql);
        // Clicks on a node and an edge answer from the cube as the in-memory engine does.
        assert!(lake.hover(40, "cube").unwrap());
        for conj in [
            vec![Pred::Eq { field: "src_ip".into(), value: "10.0.1.2".into() }],
            vec![
                Pred::Eq { field: "src_ip".into(), value: "10.1.0.3".into() },
                Pred::Eq { field: "dst_port".into(), value: "443".into() },
            ],
        ] {
            let mut clicked = sel.clone();
            clicked.clauses.insert(40, Clause::Match { any_of: vec![conj], negate: false });
            let r = req(2, &clicked);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            assert!(lake.last_local.0 >= 3, "answered from the cube");
            for v in [1, 10, 11] {
                let c = |o| canonical(o, &DataFrame::empty());
                assert_eq!(c(&got.outputs[&v]), c(&want.outputs[&v]), "view {v} of {clicked:?}");
            }
        }
    }

    #[test]
    fn treemap_clicks_and_exclusions_are_sums_over_its_cube() {
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Pred, Selection};
        let levels = vec!["src_ip/16".to_string(), "src_ip/24".to_string()];
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(
            3000,
            7,
            vec![
                (1, Need::Time { measure: "count".into(), split: None }),
                (10, Need::TopN { field: "dst_port".into(), offset: 0, limit: 10, measure: "count".into() }),
                (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "bytes".into() }),
                (30, Need::Tree { levels, measure: "count".into() }),
            ],
        );
        let mut sel = Selection::default();
        sel.clauses.insert(10, Clause::values("dst_port", ["80".to_string()], true));
        lake.run(&req(1, &sel), "t");
        assert!(lake.hover(30, "cube").unwrap(), "the treemap has a cube");
        let group = |prefix: &str| vec![Pred::InPrefix { field: "src_ip".into(), prefix: prefix.into() }];
        let clicks = [
            (vec![group("10.1.0.0/16")], false),
            (vec![group("10.1.0.0/16")], true),
            (vec![group("10.0.2.0/24"), group("10.1.0.0/24")], false),
            (vec![group("10.0.2.0/24"), group("10.1.0.0/24")], true),
            (vec![vec![Pred::Eq { field: "src_ip".into(), value: "10.1.2.3".into() }]], true),
        ];
        for (i, (any_of, negate)) in clicks.into_iter().enumerate() {
            sel.clauses.insert(30, Clause::Match { any_of, negate });
            let r = req(2 + i as u64, &sel);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            assert_eq!(lake.last_local.0, 4, "click {i}: every view but the records from the cube");
            for v in [1, 10, 11] {
                assert_eq!(
                    format!("{:?}", got.outputs[&v]),
                    format!("{:?}", want.outputs[&v]),
                    "click {i}, view {v}"
                );
            }
        }
    }

    #[test]
    fn a_cube_part_larger_than_the_room_left_is_not_built_and_its_view_goes_to_the_engine() {
        use crate::linking::backend::cube_store::CubeStore;
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Selection};
        use std::sync::atomic::Ordering::Relaxed;
        let (dir, _, mut memory, req) = lake_beside_memory(
            2000,
            11,
            vec![
                (1, Need::Time { measure: "count".into(), split: None }),
                (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
                (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "count".into() }),
            ],
        );
        // The same budgets three times: without a store, then with parts and refusals kept on
        // disk, then over what that kept (every part and refusal read back, none read again).
        let kept = tempfile::tempdir().unwrap();
        let store = Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30));
        for pass in 0..3 {
            let engine = Arc::new(ParquetEngine::open(&dir.path().join("flows")).unwrap());
            let mut lake = crate::linking::backend::pushdown::LakeSession::open(
                engine,
                (pass > 0).then(|| store.clone()),
            )
            .unwrap();
            let saved = store.saved.load(Relaxed);
            let mut sel = Selection::default();
            lake.run(&req(1, &sel), "t");
            // The src_ip list's cube: its 30 addresses x (time bins, 3 protocols) is more than 40 rows.
            lake.cube_max_rows = 40;
            assert!(!lake.hover(10, "cube").unwrap(), "over budget: no cube");
            sel.clauses.insert(10, Clause::values("src_ip", ["10.1.2.3".to_string()], false));
            let r = req(2, &sel);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            assert_eq!(lake.last_local.0, 0, "answered by the engine");
            for v in [1, 11] {
                assert_eq!(format!("{:?}", got.outputs[&v]), format!("{:?}", want.outputs[&v]));
            }
            // With room, the same list has its cube.
            lake.cube_max_rows = super::super::lake_cube::CUBE_MAX_ROWS;
            assert!(lake.hover(10, "cube").unwrap());
            // A part is fetched only when its lower bound (the list's 30 values, and the bins the
            // other view shows) fits in what room is left, smallest first: a budget of exactly the
            // cube's rows builds it whole; one row less leaves out the larger part (the time
            // series'), whose view then goes to the engine; under 30 rows, no part fits.
            let rows = lake.cube().unwrap().rows();
            assert_eq!(lake.cube().unwrap().views(), [1, 11]);
            assert!(rows >= 60, "{rows}");
            for (budget, views) in [(rows, vec![1, 11]), (rows - 1, vec![11]), (29, vec![])] {
                assert!(lake.hover(11, "other").unwrap(), "the proto list's cube replaces it");
                lake.cube_max_rows = budget;
                assert_eq!(lake.hover(10, "cube").unwrap(), !views.is_empty(), "budget {budget}");
                assert_eq!(lake.cube().map(|c| c.views()).unwrap_or_default(), views, "budget {budget}");
                if views == [11] {
                    assert_eq!(lake.cube().unwrap().dropped, [1]);
                    // A click: the protocols summed over the cube (with the list's own output), the
                    // time series from the engine, both as the in-memory engine answers.
                    sel.clauses.insert(10, Clause::values("src_ip", ["10.0.1.2".to_string()], true));
                    let r = req(3, &sel);
                    let (got, want) = (lake.run(&r, "t"), memory.run(&r));
                    assert_eq!(lake.last_local.0, 2, "the list and the protocols from the cube");
                    for v in [1, 11] {
                        assert_eq!(
                            format!("{:?}", got.outputs[&v]),
                            format!("{:?}", want.outputs[&v]),
                            "{v}"
                        );
                    }
                }
                lake.cube_max_rows = super::super::lake_cube::CUBE_MAX_ROWS;
            }
            if pass == 2 {
                assert_eq!(store.saved.load(Relaxed), saved, "nothing new to keep");
                assert!(store.hits.load(Relaxed) >= 5, "{:?}", store.hits);
            }
        }
    }

    /// A Parquet engine that keeps the queries sent to it, and how many each call ran.
    /// A query the engine gives up (as a cancelled one) when this says so.
    type GiveUp = Box<dyn Fn(&str) -> bool + Send + Sync>;

    pub(crate) struct Logged(ParquetEngine, pub(crate) Mutex<Vec<String>>, Mutex<Vec<usize>>, Option<GiveUp>);

    impl Logged {
        pub(crate) fn new(engine: ParquetEngine) -> Self {
            Self(engine, Mutex::default(), Mutex::default(), None)
        }

        /// Gives up each query `give_up` picks, as one cancelled by a newer request.
        fn giving_up(engine: ParquetEngine, give_up: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
            Self(engine, Mutex::default(), Mutex::default(), Some(Box::new(give_up)))
        }
    }

    impl SqlEngine for Logged {
        fn describe(&self) -> String {
            self.0.describe()
        }
        fn dialect(&self) -> Dialect {
            self.0.dialect()
        }
        fn schema(&self) -> Result<Schema, BackendError> {
            self.0.schema()
        }
        fn query(&self, sql: &str, tag: &str) -> Result<DataFrame, BackendError> {
            self.1.lock().unwrap().push(sql.to_string());
            self.2.lock().unwrap().push(1);
            if self.3.as_ref().is_some_and(|g| g(sql)) {
                return Err(BackendError::Cancelled);
            }
            self.0.query(sql, tag)
        }
        fn query_many(&self, sqls: &[String], tag: &str) -> Result<Vec<DataFrame>, BackendError> {
            self.1.lock().unwrap().extend(sqls.iter().cloned());
            self.2.lock().unwrap().push(sqls.len());
            self.0.query_many(sqls, tag)
        }
        fn cancel(&self, tag: &str) {
            self.0.cancel(tag)
        }
        fn write_parquet(&self, sql: &str, out_dir: &Path, by: &[&str]) -> Result<u64, BackendError> {
            self.0.write_parquet(sql, out_dir, by)
        }
        fn concurrent_queries(&self) -> bool {
            self.0.concurrent_queries()
        }
        fn splits(&self) -> Vec<Split> {
            self.0.splits()
        }
        fn fingerprint(&self) -> Option<String> {
            self.0.fingerprint()
        }
    }

    #[test]
    fn a_prefix_click_takes_its_addresses_from_the_kept_unfiltered_list_of_its_field() {
        use crate::linking::backend::cube_store::CubeStore;
        use crate::linking::backend::pushdown::LakeSession;
        use crate::linking::backend::testing::canonical;
        use crate::linking::needs::{Need, Output};
        use crate::linking::selection::{Clause, Pred, Selection};
        let (dir, _, mut memory, req) = lake_beside_memory(
            3000,
            29,
            vec![
                (1, Need::Time { measure: "count".into(), split: None }),
                (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
                (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "count".into() }),
                (12, Need::Tree { levels: vec!["src_ip/16".into()], measure: "bytes".into() }),
            ],
        );
        let root = dir.path().join("flows");
        let mut distinct_sent = |store: Option<Arc<CubeStore>>| {
            let engine = Arc::new(Logged::new(ParquetEngine::open(&root).unwrap()));
            let mut lake = LakeSession::open(engine.clone(), store).unwrap();
            lake.keep_min_ms = 0;
            let first = lake.run(&req(1, &Selection::default()), "t");
            let Some(Output::Tree { leaves, .. }) = first.outputs.get(&12) else { panic!() };
            let prefix = Pred::InPrefix { field: "src_ip".into(), prefix: leaves[0].path[0].clone() };
            let mut sel = Selection::default();
            sel.clauses.insert(12, Clause::Match { any_of: vec![vec![prefix]], negate: true });
            let r = req(2, &sel);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            for v in [1, 10, 11] {
                let c = |o| canonical(o, &DataFrame::empty());
                assert_eq!(c(&got.outputs[&v]), c(&want.outputs[&v]), "view {v}");
            }
            let sent = engine.1.lock().unwrap().clone();
            sent.iter().any(|q| q.starts_with("SELECT DISTINCT"))
        };
        // The source list's unfiltered answer was kept: its keys are every address.
        let kept = tempfile::tempdir().unwrap();
        assert!(!distinct_sent(Some(Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30)))));
        // Without a store they are read from the lake.
        assert!(distinct_sent(None));
    }

    #[test]
    fn a_lake_opened_again_answers_and_builds_its_cube_from_what_was_kept() {
        use crate::linking::backend::cube_store::CubeStore;
        use crate::linking::backend::pushdown::LakeSession;
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Selection};
        let (dir, _, mut memory, req) = lake_beside_memory(
            3000,
            21,
            vec![
                (1, Need::Time { measure: "count".into(), split: None }),
                (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
                (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "bytes".into() }),
                (20, Need::Table { offset: 0, limit: 20, sort: None }),
            ],
        );
        let kept = tempfile::tempdir().unwrap();
        let store = Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30));
        let root = dir.path().join("flows");
        let open = || {
            let engine = Arc::new(Logged::new(ParquetEngine::open(&root).unwrap()));
            let mut lake = LakeSession::open(engine.clone(), Some(store.clone())).unwrap();
            lake.keep_min_ms = 0;
            (engine, lake)
        };
        let mut sel = Selection::default();
        let click = Clause::values("src_ip", ["10.0.1.2".to_string(), "10.1.0.7".to_string()], false);
        let mut session = |sel: &Selection| {
            let (engine, mut lake) = open();
            let first = lake.run(&req(1, sel), "t");
            assert!(lake.hover(10, "cube").unwrap(), "the list has a cube");
            let mut clicked = sel.clone();
            clicked.clauses.insert(10, click.clone());
            let r = req(2, &clicked);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            for v in [1, 11] {
                assert_eq!(format!("{:?}", got.outputs[&v]), format!("{:?}", want.outputs[&v]), "view {v}");
            }
            let sent = engine.1.lock().unwrap().clone();
            let p = lake.last_cube_parts;
            (first, sent, (p.from_disk, p.from_lake, p.from_subset))
        };
        let (first, sent, parts) = session(&sel);
        assert!(sent.iter().any(|q| q.contains("AS part")) && parts == (0, 2, 0), "{parts:?}");
        // Opened again: every view's answer, the records page's counts and the cube's parts come
        // from the store; only the page's rows are read from the lake (and here the stats, read
        // before the test lowers the time a query must take to be kept).
        let views_asked = |sent: &[String]| sent.iter().any(|q| q.contains("SUM(CASE WHEN m"));
        assert!(views_asked(&sent));
        let (again, sent, parts) = session(&sel);
        assert_eq!(format!("{:?}", again.outputs), format!("{:?}", first.outputs));
        assert_eq!(parts, (2, 0, 0));
        assert!(
            sent.iter()
                .all(|q| q.starts_with("SELECT * FROM logs") || q.starts_with("SELECT COUNT(*) AS n, MIN(")),
            "{sent:#?}"
        );
        // Another clause is another question for the parts it filters: the time series' part is
        // read again (from the clause's records, held in memory for the other views), the
        // protocols' own part (never filtered by its own clause) is not. And a file of the lake
        // changed is another lake.
        sel.clauses.insert(11, Clause::values("proto", ["udp".to_string()], true));
        assert_eq!(session(&sel).2, (1, 0, 1));
        let file = walk_parquet(&root.join("day=2013-04-03")).unwrap().remove(0);
        let later = std::time::SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options().write(true).open(&file).unwrap().set_modified(later).unwrap();
        let (_, sent, parts) = session(&Selection::default());
        assert_eq!(parts, (0, 2, 0));
        assert!(views_asked(&sent), "the views asked again");
    }

    #[test]
    fn a_cube_given_up_midway_keeps_the_parts_it_read() {
        use crate::linking::backend::cube_store::CubeStore;
        use crate::linking::backend::pushdown::LakeSession;
        use crate::linking::needs::Need;
        use crate::linking::selection::Selection;
        let (dir, _, _, req) = lake_beside_memory(
            3000,
            19,
            vec![
                (1, Need::Time { measure: "count".into(), split: None }),
                (10, list("src_ip", "count")),
                (11, list("proto", "count")),
                (12, list("dst_port", "count")),
            ],
        );
        let kept = tempfile::tempdir().unwrap();
        let store = Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30));
        let files = || std::fs::read_dir(kept.path()).map(|d| d.count()).unwrap_or(0);
        // The first query of the second part read is given up, as a click gives up a slow cube.
        let first_part = Mutex::new(None::<String>);
        let given_up = Arc::new(AtomicBool::new(false));
        let once = given_up.clone();
        let engine = ParquetEngine::open(&dir.path().join("flows")).unwrap();
        let engine = Arc::new(Logged::giving_up(engine, move |sql| {
            let Some(id) = sql.split(" AS part,").next().filter(|_| sql.contains(" AS part,")) else {
                return false;
            };
            let mut first = first_part.lock().unwrap();
            let other = first.get_or_insert_with(|| id.to_string()) != id;
            other && !once.swap(true, Ordering::Relaxed)
        }));
        let mut lake = LakeSession::open(engine.clone(), Some(store)).unwrap();
        lake.keep_min_ms = u128::MAX;
        let _ = lake.run(&req(1, &Selection::default()), "t");
        let before = files();
        assert!(matches!(lake.hover(12, "t"), Err(BackendError::Cancelled)));
        assert!(given_up.load(Ordering::Relaxed));
        assert_eq!(files(), before + 1, "the part read before it was given up is kept");
        // Entered again: that part from the disk, the other two from the lake.
        assert!(lake.hover(12, "t").unwrap());
        let p = lake.last_cube_parts;
        assert_eq!((p.from_disk, p.from_lake), (1, 2));
    }

    #[test]
    fn a_cube_part_the_first_days_show_too_large_is_left_after_them() {
        use crate::linking::needs::Need;
        use crate::linking::selection::Selection;
        let dir = tempfile::tempdir().unwrap();
        let lake_dir = dir.path().join("flows");
        export_dataset(&frame(20_000, 13), &lake_dir).unwrap();
        // Every day its own chunk: 16 days and the records without a time.
        let engine = Arc::new(Logged::new(ParquetEngine::open(&lake_dir).unwrap().with_split_bytes(1)));
        assert_eq!(engine.splits().len(), 17);
        let mut lake = crate::linking::backend::pushdown::LakeSession::new(engine.clone()).unwrap();
        let needs = [
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
        ];
        let req = crate::linking::coordinator::Request {
            seq: 1,
            selection: Selection::default(),
            needs: needs.into_iter().collect(),
            want_all_rows: false,
        };
        lake.run(&req, "t");
        // The time series' cube: the records per bin, and one part, the address list's (time bin x
        // address), each read a day at a time.
        let part_queries =
            || engine.1.lock().unwrap().iter().filter(|q| q.starts_with("SELECT 10 AS part")).count();
        assert!(lake.hover(1, "cube").unwrap());
        assert_eq!(lake.cube().unwrap().views(), [10]);
        assert_eq!(part_queries(), 17, "a query per day");
        let rows = lake.cube().unwrap().rows();
        assert!(rows > 2000, "{rows}");
        // With room for half its rows, the first day's rows, grown with the days read (a bin is in
        // one day), are more than that: the part is left after that day, not after the eight that
        // would fill the budget, and without it there is no cube.
        assert!(lake.hover(10, "other").unwrap(), "the list's cube in between");
        lake.cube_max_rows = rows / 2;
        assert!(!lake.hover(1, "cube").unwrap());
        assert_eq!(part_queries(), 18);
    }

    #[test]
    fn a_link_graph_over_its_bound_of_pairs_is_refused_once_the_chunks_read_hold_more() {
        use crate::linking::backend::pushdown::LakeSession;
        use crate::linking::needs::{Need, Output};
        use crate::linking::selection::Selection;
        let df = frame(20_000, 19);
        let dir = tempfile::tempdir().unwrap();
        let lake_dir = dir.path().join("flows");
        export_dataset(&df, &lake_dir).unwrap();
        // Every day its own chunk: 16 days and the records without a time.
        let engine = Arc::new(Logged::new(ParquetEngine::open(&lake_dir).unwrap().with_split_bytes(1)));
        let chunks = engine.splits().len();
        assert_eq!(chunks, 17);
        let mut memory = crate::linking::coordinator::Session::new(Arc::new(df)).unwrap();
        let req = |seq| crate::linking::coordinator::Request {
            seq,
            selection: Selection::default(),
            needs: [(3, Need::Tuples { fields: vec!["src_ip".into(), "dst_port".into()] })].into(),
            want_all_rows: false,
        };
        let pair_queries =
            || engine.1.lock().unwrap().iter().filter(|q| q.starts_with("SELECT k0, k1, SUM")).count();
        let sorted = |o: &Output| match o {
            Output::Tuples { tuples, .. } => {
                let mut t = tuples.to_strings();
                t.sort();
                t
            }
            other => panic!("not tuples: {other:?}"),
        };
        let want = sorted(&memory.run(&req(1)).outputs[&3]);
        // 30 addresses x 5 ports, nearly all of them on every day.
        assert_eq!(want.len(), 150);
        for (seq, bound) in [(2, 1_000), (3, 150)] {
            // Exactly as many pairs as the bound still fit, though the first day alone holds
            // nearly all of them: no estimate refuses a graph that fits.
            let mut lake = LakeSession::new(engine.clone()).unwrap();
            lake.max_tuples = bound;
            let before = pair_queries();
            assert_eq!(sorted(&lake.run(&req(seq), "t").outputs[&3]), want, "bound {bound}");
            assert_eq!(pair_queries() - before, chunks, "a query per chunk");
        }
        // One pair fewer: refused, and said so, as soon as the days read hold more pairs.
        let mut lake = LakeSession::new(engine.clone()).unwrap();
        lake.max_tuples = 149;
        let before = pair_queries();
        match &lake.run(&req(4), "t").outputs[&3] {
            Output::Error(e) => {
                assert!(e.contains("more than 149 distinct (src_ip, dst_port) tuples"), "{e}")
            }
            other => panic!("not refused: {other:?}"),
        }
        let read = pair_queries() - before;
        assert!(read < chunks, "stopped after {read} of {chunks} chunks");
        // That is the answer while the graph's inputs stay the same (another page of records, say):
        // not asked again.
        let again = lake.run(&req(5), "t");
        assert!(matches!(&again.outputs[&3], Output::Error(e) if e.contains("more than 149")));
        assert_eq!(pair_queries() - before, read);
        // Nothing to click in it: the pointer entering the graph fetches no cube.
        assert!(!lake.hover(3, "graph").unwrap());
        assert_eq!(pair_queries() - before, read);
    }

    #[test]
    fn a_lake_without_partitions_reads_cube_parts_in_two_chunks_by_time() {
        use crate::linking::backend::pushdown::LakeSession;
        use crate::linking::needs::Need;
        use crate::linking::selection::{Clause, Selection};
        let df = frame(20_000, 17);
        let dir = tempfile::tempdir().unwrap();
        // One file: no hive partitions to split by.
        let file = dir.path().join("flows.parquet");
        ParquetWriter::new(std::fs::File::create(&file).unwrap()).finish(&mut df.clone()).unwrap();
        let engine = Arc::new(Logged::new(ParquetEngine::open(&file).unwrap()));
        assert!(engine.splits().is_empty());
        let mut lake = LakeSession::new(engine.clone()).unwrap();
        let mut memory = crate::linking::coordinator::Session::new(Arc::new(df)).unwrap();
        let needs: std::collections::BTreeMap<_, _> = [
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
            (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "bytes".into() }),
        ]
        .into();
        let req = |seq, selection: Selection| crate::linking::coordinator::Request {
            seq,
            selection,
            needs: needs.clone(),
            want_all_rows: false,
        };
        lake.run(&req(1, Selection::default()), "t");
        let part_queries =
            || engine.1.lock().unwrap().iter().filter(|q| q.starts_with("SELECT 10 AS part")).count();
        // Fewer records than a cube may hold: a query per part.
        assert!(lake.hover(1, "cube").unwrap());
        assert_eq!(part_queries(), 1);
        // Over `time_split_min_rows`: the first sixteenth of the time range, then the rest.
        lake.time_split_min_rows = 0;
        assert!(lake.hover(10, "other").unwrap());
        assert!(lake.hover(1, "cube").unwrap());
        assert_eq!(part_queries(), 3);
        assert_eq!(lake.cube().unwrap().views(), [10, 11]);
        // Brushes on the cube's grid, summed over rows from both chunks: the in-memory answers.
        let w = lake.cube().unwrap().time_bucket_us().unwrap();
        let day0 = 1_364_774_400_000_000i64.div_euclid(w) * w;
        for (i, (a, b)) in [(0, 30), (20, 200), (5, 6)].into_iter().enumerate() {
            let mut sel = Selection::default();
            sel.clauses.insert(1, Clause::Time { start_us: day0 + a * w, end_us: day0 + b * w });
            let r = req(2 + i as u64, sel);
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            assert_eq!(lake.last_local.0, 3, "brush {i}: the series itself and both lists from the cube");
            for v in [10, 11] {
                assert_eq!(format!("{:?}", got.outputs[&v]), format!("{:?}", want.outputs[&v]), "brush {i}");
            }
        }
        // Room for half the cube: the address part's first chunk, grown with the share read, is
        // over it, so it is left after that chunk; the protocols' part stays.
        let rows = lake.cube().unwrap().rows();
        lake.run(&req(9, Selection::default()), "t");
        assert!(lake.hover(10, "other").unwrap());
        lake.cube_max_rows = rows / 2;
        let q0 = part_queries();
        assert!(lake.hover(1, "cube").unwrap());
        assert_eq!(lake.cube().unwrap().views(), [11]);
        assert_eq!(part_queries(), q0 + 1);
        // A click in another view: the cube can no longer answer, and is not held beside what
        // that click reads.
        let mut sel = Selection::default();
        sel.clauses.insert(11, Clause::values("proto", ["tcp".to_string()], false));
        lake.run(&req(10, sel), "t");
        assert!(lake.cube().is_none());
        // Nor is the cube of a view no longer shown held beside what the views now read.
        lake.cube_max_rows = 1_000_000;
        lake.run(&req(11, Selection::default()), "t");
        assert!(lake.hover(10, "cube").unwrap());
        let mut without_list = req(12, Selection::default());
        without_list.needs.remove(&10);
        lake.run(&without_list, "t");
        assert!(lake.cube().is_none(), "the source list is gone, and its cube with it");
    }

    #[test]
    fn a_cube_keyed_by_more_fields_counts_each_row_for_more_of_the_budget() {
        use crate::linking::needs::Need;
        use crate::linking::selection::Selection;
        let fields = vec!["src_ip".into(), "dst_port".into()];
        let (_dir, mut lake, _, req) = lake_beside_memory(
            3000,
            23,
            vec![
                (3, Need::Tuples { fields }),
                (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
                (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "count".into() }),
            ],
        );
        lake.run(&req(1, &Selection::default()), "t");
        assert!(lake.hover(3, "cube").unwrap(), "the graph has a cube");
        let rows = lake.cube().unwrap().rows();
        assert_eq!(lake.cube().unwrap().views(), [10, 11]);
        assert_eq!(lake.cube().unwrap().cost(), 5 * rows, "two key fields: five times a list's row");
        // Room for three times its rows holds a list's cube of that size, not this one whole.
        for (budget, whole) in [(3 * rows, false), (5 * rows, true)] {
            assert!(lake.hover(10, "other").unwrap());
            lake.cube_max_rows = budget;
            lake.hover(3, "cube").unwrap();
            let views = lake.cube().map(|c| c.views()).unwrap_or_default();
            assert_eq!(views == [10, 11], whole, "budget {budget}: {views:?}");
            lake.cube_max_rows = super::super::lake_cube::CUBE_MAX_ROWS;
        }
    }

    #[test]
    fn a_cancelled_tag_returns_at_once() {
        let df = frame(200, 3);
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("flows");
        export_dataset(&df, &lake).unwrap();
        let engine = ParquetEngine::open(&lake).unwrap();
        // Cancelling a tag with nothing running is a no-op; a query under another tag still runs.
        engine.cancel("nothing");
        let out = engine.query("SELECT COUNT(*) AS n FROM logs", "t1").unwrap();
        assert_eq!(
            out.column("n")
                .unwrap()
                .as_materialized_series()
                .cast(&DataType::Int64)
                .unwrap()
                .i64()
                .unwrap()
                .get(0),
            Some(200)
        );
        let err = engine.query("SELECT nosuchcolumn FROM logs", "t2").unwrap_err();
        assert!(err.to_string().contains("nosuchcolumn"), "{err}");
    }

    #[test]
    fn a_selection_exports_to_the_workstation_and_beside_the_lake() {
        use crate::linking::selection::{Clause, Pred, Selection};
        let df = frame(3000, 9);
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("flows");
        export_dataset(&df, &lake).unwrap();
        let engine = ParquetEngine::open(&lake).unwrap();
        let mut sel = Selection::default();
        sel.clauses.insert(1, Clause::values("dst_port", ["80".to_string(), "53".to_string()], false));
        sel.clauses.insert(
            2,
            Clause::Match {
                any_of: vec![vec![Pred::InPrefix { field: "src_ip".into(), prefix: "10.1.0.0/16".into() }]],
                negate: false,
            },
        );
        let ports = df.column("dst_port").unwrap().i32().unwrap().clone();
        let src = df.column("src_ip").unwrap().str().unwrap().clone();
        let expect = (0..df.height())
            .filter(|&i| {
                matches!(ports.get(i), Some(80 | 53)) && src.get(i).is_some_and(|s| s.starts_with("10.1."))
            })
            .count() as u64;
        assert!(expect > 100);
        let (done, cancel) = (AtomicU64::new(0), AtomicBool::new(false));
        let csv = dir.path().join("sel.csv");
        let fmt = crate::data::export::ExportFormat::Csv;
        let (n, cut) =
            super::super::export::export_selection(&engine, &sel, fmt, &csv, 1_000_000, &done, &cancel)
                .unwrap();
        assert_eq!((n, cut), (expect, false));
        assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count() as u64, expect + 1);
        let small = dir.path().join("small.csv");
        let (n, cut) =
            super::super::export::export_selection(&engine, &sel, fmt, &small, 10, &done, &cancel).unwrap();
        assert_eq!((n, cut), (10, true));
        let out = dir.path().join("sel-lake");
        assert_eq!(super::super::export::export_selection_parquet(&engine, &sel, &out).unwrap(), expect);
        let again = ParquetEngine::open(&out).unwrap();
        let c = again.query("SELECT COUNT(*) AS n FROM logs", "t").unwrap();
        assert_eq!(
            c.column("n")
                .unwrap()
                .as_materialized_series()
                .cast(&DataType::Int64)
                .unwrap()
                .i64()
                .unwrap()
                .get(0),
            Some(expect as i64)
        );
    }
}
