//! `brushfire bench ...`: performance figures printed, never asserted (speed targets live here,
//! not in timed tests).
use crate::data::{self, LoadControl, LoadOptions};
use crate::linking::coordinator::{Request, Session};
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{Clause, Selection};
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// CSV to table on generated netflow: MB/s, rows/s, peak memory.
    Ingest {
        #[arg(long, default_value_t = 10_000_000)]
        rows: u64,
        /// Keep the generated file here (default: a temporary file, removed afterwards).
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Linked-brushing latency: a fixed random sequence of brushes, clicks and clears.
    Brush {
        #[arg(long, default_value_t = 10_000_000)]
        rows: u64,
        #[arg(long, default_value_t = 400)]
        interactions: usize,
        /// Brush this log, loaded as the app loads it, instead of generated flows (`--rows` is
        /// then ignored). It needs the fields the bench's views show: src_ip, dst_ip, dst_port and
        /// proto (netflow, Zeek conn or dns, Suricata eve, firewall logs).
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Treemap layout of 100 k leaves and force layout steps at 10 k nodes / 50 k edges.
    Layout {
        #[arg(long)]
        json: bool,
    },
    /// Parse throughput (lines/s) of every real file under a folder (e.g. ../shared/real_data).
    Parse {
        folder: PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        load: super::LoadArgs,
    },
    /// Hostile inputs (the property tests' generators, longer) against every parser and detection:
    /// cases/s and failures per parser. Seed lines come from the logs under DIR.
    Fuzz {
        dir: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        cases: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Length the "1 MB line" mutation grows a line to.
        #[arg(long, default_value_t = 1 << 20)]
        long_line_bytes: usize,
        #[arg(long)]
        json: bool,
    },
    /// Generates N syslog or JSON lines (one in 1000 broken) and loads them: exact counts,
    /// lines/s, peak memory.
    Volume {
        #[arg(long, default_value = "syslog", value_parser = ["syslog", "json"])]
        kind: String,
        #[arg(long, default_value_t = 10_000_000)]
        lines: u64,
        /// Keep the generated file here (default: a temporary file, removed afterwards).
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Records/s of the native readers (.evtx, nfdump capture files) under a folder, reader only.
    Native {
        folder: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Line formats at scale: real Zeek JSON, Suricata eve, syslog, Apache access and Windows JSON
    /// lines repeated to N; load and group-by time and peak memory, beside DuckDB and lnav.
    Lines {
        #[arg(long, default_value_t = 1_000_000)]
        scale: u64,
        /// The real-data folder the lines come from.
        #[arg(long, default_value = "../shared/real_data")]
        data: PathBuf,
        /// Only these families (zeek-json, suricata-eve, windows-json, syslog, apache-access).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Keep the scaled files here (default: a temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The duckdb CLI, or a python that imports duckdb (default: found on PATH).
        #[arg(long)]
        duckdb: Option<String>,
        /// Runs of the grouped query and its peer, alternating; the median of each is reported.
        #[arg(long, default_value_t = 1)]
        runs: usize,
        #[arg(long)]
        json: bool,
    },
    /// Cold start of the window on the bundled sample: time to the first frame and to every view's
    /// first answer, from spawning the process (needs a display; under Xvfb on a server).
    Startup {
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long)]
        json: bool,
    },
    /// The linked views over a lake: cube fetch, in-cube brushing p50/p95, click round trip,
    /// bytes transferred, peak memory. `--parquet DIR` is generated (N rows) when it does not
    /// exist; `--spark URL --table T` asks a Spark Connect server (e.g. T = parquet.`DIR`).
    Lake {
        #[arg(long, default_value_t = 10_000_000)]
        rows: u64,
        #[arg(long, value_name = "DIR", required_unless_present = "spark")]
        parquet: Option<PathBuf>,
        #[command(flatten)]
        spark: super::spark_args::SparkArgs,
        #[arg(long, default_value_t = 60)]
        clicks: usize,
        /// Leave out the link graph: over 100 M generated flows its need alone is 30 M address
        /// pairs (28 s and 8.5 GB), which the other figures would wait behind.
        #[arg(long)]
        no_graph: bool,
        /// Keep cube parts in this folder (as the app keeps them in its cache folder), so that a
        /// second run, and the pointer's return to the port list, read them from disk.
        #[arg(long, value_name = "DIR")]
        cube_store: Option<PathBuf>,
        /// After the first answer, read every view's cube ahead into --cube-store DIR, as the
        /// app's idle worker does while the analyst reads that answer; the hovers then read them
        /// from disk.
        #[arg(long, requires = "cube_store")]
        read_ahead: bool,
        #[arg(long)]
        json: bool,
    },
    /// `query` on a generated VAST CSV and its Parquet copy: lazy scan vs eager load vs DuckDB on
    /// the same files in the same run (wall time and peak memory of each child process).
    Query {
        #[arg(long, default_value_t = 10_000_000)]
        rows: u64,
        /// Keep the CSV and Parquet files here (default: a temporary folder, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The duckdb CLI, or a python that imports duckdb (default: found on PATH).
        #[arg(long)]
        duckdb: Option<String>,
        /// Leave out the eager runs (they load every column: slow at 50 M rows).
        #[arg(long)]
        no_eager: bool,
        #[arg(long)]
        json: bool,
    },
}

/// Peak resident memory of this process, in bytes (Linux VmHWM).
pub fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn current_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak so a phase can be measured alone.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(crate) fn gen_file(rows: u64, file: Option<PathBuf>) -> Result<(PathBuf, bool)> {
    let (path, temp) = match file {
        Some(p) => (p, false),
        None => {
            (std::env::temp_dir().join(format!("brushfire-bench-{rows}-{}.csv", std::process::id())), true)
        }
    };
    if !path.exists() {
        let t0 = Instant::now();
        let f = std::fs::File::create(&path).with_context(|| format!("{}: cannot create", path.display()))?;
        data::generate::generate(&data::generate::GenOptions { rows, seed: 42, ..Default::default() }, f)?;
        eprintln!("generated {rows} rows in {:.1} s -> {}", t0.elapsed().as_secs_f64(), path.display());
    }
    Ok((path, temp))
}

pub(crate) fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

pub fn run(cmd: BenchCmd) -> Result<()> {
    match cmd {
        BenchCmd::Ingest { rows, file, json } => {
            let (path, temp) = gen_file(rows, file)?;
            let bytes = std::fs::metadata(&path)?.len();
            reset_peak();
            let base = current_rss_bytes().unwrap_or(0);
            let t0 = Instant::now();
            let t = data::load_paths(
                std::slice::from_ref(&path),
                &LoadOptions::default(),
                &LoadControl::default(),
            )?;
            let secs = t0.elapsed().as_secs_f64();
            let peak = peak_rss_bytes().unwrap_or(0);
            let resident = current_rss_bytes().unwrap_or(0);
            let table_bytes = crate::data::text_column::frame_heap_bytes(&t.df) as u64;
            let out = serde_json::json!({
                    "rows": t.rows(),
                    "file_bytes": bytes,
                    "seconds": secs,
                    "mb_per_s": bytes as f64 / 1e6 / secs,
                    "rows_per_s": t.rows() as f64 / secs,
            "peak_rss_bytes": peak,
                    "rss_after_bytes": resident,
                    "rss_before_bytes": base,
                    "table_estimated_bytes": table_bytes,
                    "rejected": t.rejected.total,
                });
            if temp {
                let _ = std::fs::remove_file(&path);
            }
            if json {
                outln!("{out}");
            } else {
                outln!(
                    "ingest {} rows, {:.0} MB: {:.2} s, {:.0} MB/s, {:.2} M rows/s; peak RSS {:.0} MB, table {:.0} MB (file {:.0} MB)",
                    t.rows(),
                    bytes as f64 / 1e6,
                    secs,
                    bytes as f64 / 1e6 / secs,
                    t.rows() as f64 / secs / 1e6,
                    peak as f64 / 1e6,
                    table_bytes as f64 / 1e6,
                    bytes as f64 / 1e6
                );
            }
        }
        BenchCmd::Brush { rows, interactions, file, json } => brush(rows, interactions, file, json)?,
        BenchCmd::Layout { json } => layout(json)?,
        BenchCmd::Parse { folder, json, load } => parse(&folder, json, &load.options()?)?,
        BenchCmd::Fuzz { dir, cases, seed, long_line_bytes, json } => {
            super::fuzz_cmd::fuzz(&dir, cases, seed, long_line_bytes, json)?
        }
        BenchCmd::Volume { kind, lines, file, json } => super::fuzz_cmd::volume(&kind, lines, file, json)?,
        BenchCmd::Native { folder, json } => super::bench_native::run(&folder, json)?,
        BenchCmd::Lines { scale, data, only, dir, duckdb, runs, json } => {
            super::bench_lines::run(super::bench_lines::LinesArgs {
                scale,
                data,
                only,
                dir,
                duckdb,
                runs,
                json,
            })?
        }
        BenchCmd::Startup { runs, json } => super::bench_startup::run(runs, json)?,
        BenchCmd::Lake { rows, parquet, spark, clicks, no_graph, cube_store, read_ahead, json } => {
            let phases = super::bench_lake::Phases { graph: !no_graph, cube_store, read_ahead };
            super::bench_lake::run(rows, parquet.as_deref(), &spark, clicks, &phases, json)?
        }
        BenchCmd::Query { rows, dir, duckdb, no_eager, json } => {
            super::bench_query::run(rows, dir, duckdb, no_eager, json)?
        }
    }
    Ok(())
}

/// Views of the brush benchmark: a tiled workbench with every linked view visible.
const V_TIME: u32 = 1;
const V_TOPN: [u32; 4] = [10, 11, 12, 13];
const V_TABLE: u32 = 20;
const V_TREEMAP: u32 = 30;
const V_GRAPH: u32 = 40;
const TREE_LEVELS: [&str; 2] = ["proto", "dst_port"];
const GRAPH_FIELDS: [&str; 2] = ["src_ip", "dst_ip"];

fn needs() -> BTreeMap<u32, Need> {
    let mut n = BTreeMap::new();
    n.insert(V_TIME, Need::Time { measure: "count".into(), split: None });
    for (v, f) in V_TOPN.iter().zip(["src_ip", "dst_ip", "dst_port", "proto"]) {
        n.insert(*v, Need::TopN { field: f.to_string(), offset: 0, limit: 10, measure: "count".into() });
    }
    n.insert(V_TABLE, Need::Table { offset: 0, limit: 100, sort: None });
    n.insert(
        V_TREEMAP,
        Need::Tree { levels: TREE_LEVELS.iter().map(|s| s.to_string()).collect(), measure: "count".into() },
    );
    n.insert(V_GRAPH, Need::Tuples { fields: GRAPH_FIELDS.iter().map(|s| s.to_string()).collect() });
    n
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The `n` largest items by value (ties by position), for picking what a person would click.
fn largest<T>(items: &[T], n: usize, value: impl Fn(&T) -> i64) -> Vec<&T> {
    let mut v: Vec<&T> = items.iter().collect();
    v.sort_by_key(|x| -value(x));
    v.truncate(n);
    v
}

/// One answer for `BRUSHFIRE_BENCH_VERBOSE`: its time, strategy, engine and output parts.
fn answer_line(ms: f64, strategy: &str, st: &crate::linking::engine::UpdateStats) -> String {
    let phases: Vec<String> = st.phases.iter().map(|(n, ms)| format!("{n} {ms:.1}")).collect();
    format!(
        "{ms:.1} ms ({strategy}; engine {:.1} ms [{}], outputs {:.1} ms, slowest {:?})",
        st.sync_ms,
        phases.join(", "),
        st.output_ms,
        st.slowest_output
    )
}

fn brush(rows: u64, interactions: usize, file: Option<PathBuf>, json: bool) -> Result<()> {
    use crate::linking::selection::Pred;
    use crate::views::treemap::model as tm;
    let given = file.is_some();
    let (path, temp) = match file {
        Some(f) => (f, false),
        None => gen_file(rows, None)?,
    };
    let csv_bytes = std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?.len();
    let t0 = Instant::now();
    let t = data::load_paths(std::slice::from_ref(&path), &LoadOptions::default(), &LoadControl::default())?;
    let load_ms = t0.elapsed().as_secs_f64() * 1000.0;
    if temp {
        let _ = std::fs::remove_file(&path);
    }
    let rows = t.rows() as u64;
    let missing: Vec<&str> = ["time", "src_ip", "dst_ip", "dst_port", "proto"]
        .into_iter()
        .filter(|f| t.df.column(f).is_err())
        .collect();
    if !missing.is_empty() {
        bail!("{} has no {} field: the brush bench's views need them", path.display(), missing.join(", "));
    }
    let df = Arc::new(t.df.clone());
    drop(t);
    // Where the peak is reached: loading, the first answer (dims, postings, histograms), or
    // brushing (cubes, caches).
    let peak_after_load = peak_rss_bytes().unwrap_or(0);
    let table_bytes = crate::data::text_column::frame_heap_bytes(&df);
    let t0 = Instant::now();
    let mut s = Session::new(df)?;
    let index_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let needs = needs();
    let mut sel = Selection::default();
    let mut seq = 0u64;
    let verbose = std::env::var_os("BRUSHFIRE_BENCH_VERBOSE").is_some();
    // The worker settles what an answer left for idle time (see `Engine::settle`) before the
    // next input; timed on its own, as `idle_upkeep`.
    let mut upkeep_ms: Vec<f64> = Vec::new();
    let mut run = |s: &mut Session, sel: &Selection| {
        seq += 1;
        let t0 = Instant::now();
        let a = s.run(&Request { seq, selection: sel.clone(), needs: needs.clone(), want_all_rows: false });
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        let idle = s.settle();
        if idle > 0.5 {
            upkeep_ms.push(idle);
        }
        (ms, a)
    };
    // First answer builds the dims and histograms of every view.
    let (first_ms, mut last) = run(&mut s, &sel);
    let peak_after_first = peak_rss_bytes().unwrap_or(0);
    let (lo, hi) = s.engine.idx.time_bounds_us().unwrap_or((0, 1));
    let mut rng = Rng(7);
    let mut lat: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    // The engine's part of each answer (histograms brought to the selection), without the outputs.
    let mut engine_lat: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut strategies: BTreeMap<String, usize> = BTreeMap::new();
    let mut done = 0;
    let never = std::sync::atomic::AtomicBool::new(false);
    while done < interactions {
        // (kind, what) of a click-like edit, measured below, and the view the pointer is over.
        let mut edit: Option<(&str, String)> = None;
        let mut hovered: Option<u32> = None;
        match rng.below(20) {
            0..=6 => {
                // A drag: press somewhere, then 12 pointer moves, each a new brush.
                let span = (hi - lo) as f64;
                let a = lo + (rng.below(1000) as f64 / 1000.0 * span * 0.8) as i64;
                let mut b = a + (span * 0.01) as i64;
                let step = (span * (0.002 + rng.below(10) as f64 / 1000.0)) as i64;
                for _ in 0..12 {
                    b += step;
                    sel.clauses.insert(V_TIME, Clause::Time { start_us: a, end_us: b });
                    let (ms, ans) = run(&mut s, &sel);
                    if verbose {
                        eprintln!("time_brush_drag: {}", answer_line(ms, ans.strategy, &s.engine.last_stats));
                    }
                    lat.entry("time_brush_drag").or_default().push(ms);
                    engine_lat.entry("time_brush_drag").or_default().push(s.engine.last_stats.sync_ms);
                    last = ans;
                    done += 1;
                }
            }
            7..=11 => {
                let view = V_TOPN[rng.below(4) as usize];
                let pick = match last.outputs.get(&view) {
                    Some(Output::TopN { entries, field, .. }) if !entries.is_empty() => Some((
                        field.clone(),
                        entries[rng.below(entries.len().min(10) as u64) as usize].label.clone(),
                    )),
                    _ => None,
                };
                if let Some((field, value)) = pick {
                    let add = rng.below(3) == 0;
                    let own = sel.clauses.get(&view).cloned();
                    let selected = own
                        .as_ref()
                        .and_then(|c| c.as_values())
                        .is_some_and(|(f, vals, neg)| f == field && !neg && vals.contains(&value.as_str()));
                    let kind = if add && selected { "ctrl_click_removal" } else { "topn_click" };
                    hovered = Some(view);
                    match crate::views::topn::click(&field, own.as_ref(), &value, add) {
                        Some(c) => sel.clauses.insert(view, c),
                        None => sel.clauses.remove(&view),
                    };
                    edit = Some((kind, format!("{field}={value} add={add}")));
                }
            }
            12..=14 => {
                // A treemap tile: a leaf (proto > port) or a whole top-level group (proto=tcp).
                let levels: Vec<String> = TREE_LEVELS.iter().map(|s| s.to_string()).collect();
                let pick = match last.outputs.get(&V_TREEMAP) {
                    Some(Output::Tree { leaves, .. }) if !leaves.is_empty() => {
                        let top = largest(leaves, 10, |l| l.value);
                        let leaf = top[rng.below(top.len() as u64) as usize];
                        let depth = if rng.below(2) == 0 { 1 } else { leaf.path.len() };
                        Some(leaf.path[..depth.min(leaf.path.len())].to_vec())
                    }
                    _ => None,
                };
                if let Some(path) = pick {
                    let add = rng.below(4) == 0;
                    let conj = tm::conjunction(&levels, &path);
                    match tm::click_clause(sel.clauses.get(&V_TREEMAP), conj, add) {
                        Some(c) => sel.clauses.insert(V_TREEMAP, c),
                        None => sel.clauses.remove(&V_TREEMAP),
                    };
                    edit = Some(("treemap_click", format!("{} add={add}", path.join(" > "))));
                    hovered = Some(V_TREEMAP);
                }
            }
            15..=16 => {
                // Link graph: a node (one address) or an edge (source and destination).
                let pick = match last.outputs.get(&V_GRAPH) {
                    Some(Output::Tuples { tuples, .. }) if !tuples.is_empty() => {
                        let all: Vec<usize> = (0..tuples.len()).collect();
                        let top = largest(&all, 20, |&i| tuples.count(i));
                        Some(tuples.tuple(*top[rng.below(top.len() as u64) as usize]))
                    }
                    _ => None,
                };
                if let Some(tuple) = pick {
                    let eq =
                        |i: usize| Pred::Eq { field: GRAPH_FIELDS[i].to_string(), value: tuple[i].clone() };
                    let conj = match rng.below(3) {
                        0 => vec![eq(0)],
                        1 => vec![eq(1)],
                        _ => vec![eq(0), eq(1)],
                    };
                    let what = format!("{conj:?}");
                    sel.clauses.insert(V_GRAPH, Clause::Match { any_of: vec![conj], negate: false });
                    edit = Some(("graph_selection", what));
                    hovered = Some(V_GRAPH);
                }
            }
            17..=18 => {
                // The x on one chip of the selection bar.
                let keys: Vec<u32> = sel.clauses.keys().copied().collect();
                if !keys.is_empty() {
                    let v = keys[rng.below(keys.len() as u64) as usize];
                    sel.clauses.remove(&v);
                    edit = Some(("clause_removal", format!("view {v}")));
                    hovered = Some(v);
                }
            }
            _ => {
                sel = Selection::default();
                edit = Some(("clear_all", String::new()));
            }
        }
        if let Some((kind, what)) = edit {
            // The pointer entered the view (or the chip) before the click: its cube is built
            // then, off the UI thread; timed on its own.
            if let Some(v) = hovered {
                let (ok, ms) = s.prefetch(v, &never);
                if ms > 0.5 {
                    lat.entry("hover_prefetch").or_default().push(ms);
                }
                if verbose {
                    let rss_mb = current_rss_bytes().unwrap_or(0) as f64 / 1e6;
                    let peak_mb = peak_rss_bytes().unwrap_or(0) as f64 / 1e6;
                    eprintln!(
                        "hover view {v}: cube {ok} in {ms:.1} ms (rss {rss_mb:.0} MB, peak {peak_mb:.0} MB)"
                    );
                }
            }
            let (ms, ans) = run(&mut s, &sel);
            let st = s.engine.last_stats;
            if verbose {
                let rss_mb = current_rss_bytes().unwrap_or(0) as f64 / 1e6;
                eprintln!("{kind} {what}: {} (rss {rss_mb:.0} MB)", answer_line(ms, ans.strategy, &st));
            }
            engine_lat.entry(kind).or_default().push(st.sync_ms);
            *strategies.entry(format!("{kind}:{}", ans.strategy)).or_default() += 1;
            lat.entry(kind).or_default().push(ms);
            last = ans;
            done += 1;
        }
    }
    if !upkeep_ms.is_empty() {
        lat.insert("idle_upkeep", upkeep_ms);
    }
    let peak = peak_rss_bytes().unwrap_or(0);
    let rss_at_end = current_rss_bytes().unwrap_or(0);
    // How much of that is freed memory the allocator kept (see `alloc.rs`).
    crate::alloc::release_free_memory();
    let rss_after_trim = current_rss_bytes().unwrap_or(0);
    let index_bytes = s.engine.idx.heap_bytes();
    if verbose {
        for d in &s.engine.idx.dims {
            let postings = d.postings_form();
            eprintln!(
                "dim {}: {} values, {:.1} MB {postings}",
                d.name,
                d.cardinality(),
                d.heap_bytes() as f64 / 1e6
            );
        }
        for (name, c) in s.engine.idx.df.columns().iter().map(|c| (c.name(), c)) {
            eprintln!(
                "column {name}: {} {:.1} MB",
                c.dtype(),
                crate::data::text_column::column_heap_bytes(c) as f64 / 1e6
            );
        }
    }
    let engine_bytes = s.engine.heap_bytes();
    let per_row = |b: usize| b as f64 / rows.max(1) as f64;
    let summary = |lat: &mut BTreeMap<&str, Vec<f64>>| {
        let mut kinds = serde_json::Map::new();
        for (k, v) in lat.iter_mut() {
            let n = v.len();
            let p50 = percentile(v, 0.5);
            let p95 = percentile(v, 0.95);
            let max = v.iter().copied().fold(0.0, f64::max);
            kinds.insert(
                k.to_string(),
                serde_json::json!({"n": n, "p50_ms": p50, "p95_ms": p95, "max_ms": max}),
            );
        }
        kinds
    };
    let kinds = summary(&mut lat);
    let engine_kinds = summary(&mut engine_lat);
    let out = serde_json::json!({
        "rows": rows,
        "file": given.then(|| path.display().to_string()),
        "csv_bytes": csv_bytes,
        "load_ms": load_ms,
        "index_build_ms": index_ms,
        "first_answer_ms": first_ms,
        "interactions": kinds,
        "engine_only": engine_kinds,
        "strategies": strategies,
        "peak_rss_bytes": peak,
        "peak_rss_over_csv": peak as f64 / csv_bytes.max(1) as f64,
        "peak_rss_after_load_bytes": peak_after_load,
        "peak_rss_after_first_answer_bytes": peak_after_first,
        "rss_at_end_bytes": rss_at_end,
        "rss_at_end_after_trim_bytes": rss_after_trim,
        "table_bytes": table_bytes,
        "table_bytes_per_row": per_row(table_bytes),
        "index_bytes": index_bytes,
        "index_bytes_per_row": per_row(index_bytes),
        "engine_bytes": engine_bytes,
        "engine_bytes_per_row": per_row(engine_bytes),
        "cube_bytes_per_row": per_row(s.engine.cube_bytes()),
        "threads": rayon::current_num_threads(),
    });
    if json {
        outln!("{out}");
    } else {
        outln!(
            "brush bench, {rows} rows ({:.0} MB {}), {} threads: load {:.0} ms, index {:.0} ms, first answer {:.0} ms",
            csv_bytes as f64 / 1e6,
            if given { path.display().to_string() } else { "CSV".into() },
            rayon::current_num_threads(),
            load_ms,
            index_ms,
            first_ms,
        );
        outln!(
            "  peak RSS {:.0} MB ({:.2}x the file); bytes/row: table {:.1}, index {:.1}, engine {:.1}",
            peak as f64 / 1e6,
            peak as f64 / csv_bytes.max(1) as f64,
            per_row(table_bytes),
            per_row(index_bytes),
            per_row(engine_bytes)
        );
        for (k, v) in &kinds {
            outln!(
                "  {k:<20} n={:<4} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms",
                v["n"],
                v["p50_ms"].as_f64().unwrap_or(0.0),
                v["p95_ms"].as_f64().unwrap_or(0.0),
                v["max_ms"].as_f64().unwrap_or(0.0)
            );
        }
        outln!("  engine part only (without building the views' outputs):");
        for (k, v) in &engine_kinds {
            outln!(
                "  {k:<20} n={:<4} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms",
                v["n"],
                v["p50_ms"].as_f64().unwrap_or(0.0),
                v["p95_ms"].as_f64().unwrap_or(0.0),
                v["max_ms"].as_f64().unwrap_or(0.0)
            );
        }
        for (k, n) in &strategies {
            outln!("  strategy {k}: {n}");
        }
    }
    Ok(())
}

fn layout(json: bool) -> Result<()> {
    use crate::views::treemap::layout::{squarify, LayoutOptions, Rect, TreeNode};
    // 100 k leaves: 20 x 50 x 100, skewed values.
    let mut rng = Rng(3);
    let root: Vec<TreeNode> = (0..20)
        .map(|a| TreeNode {
            key: format!("a{a}"),
            value: 0.0,
            children: (0..50)
                .map(|b| TreeNode {
                    key: format!("b{b}"),
                    value: 0.0,
                    children: (0..100)
                        .map(|c| TreeNode {
                            key: format!("c{c}"),
                            value: 1.0 + (rng.below(1000) as f64).powi(2),
                            children: vec![],
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let root: Vec<TreeNode> = root
        .into_iter()
        .map(|mut a| {
            for b in a.children.iter_mut() {
                b.value = b.children.iter().map(|c| c.value).sum();
            }
            a.value = a.children.iter().map(|b| b.value).sum();
            a
        })
        .collect();
    let mut times = Vec::new();
    let mut tiles = 0;
    for _ in 0..20 {
        let t0 = Instant::now();
        let t = squarify(&root, Rect { x: 0.0, y: 0.0, w: 1600.0, h: 1000.0 }, &LayoutOptions::default());
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        tiles = t.len();
    }
    let tm_p50 = percentile(&mut times, 0.5);
    // Force layout: 10 k nodes, 50 k edges.
    let n = 10_000usize;
    let edges: Vec<(u32, u32, f32)> =
        (0..50_000).map(|_| (rng.below(n as u64) as u32, rng.below(n as u64) as u32, 1.0)).collect();
    let mut fl = crate::views::graph::force::ForceLayout::new(n, &edges, 1);
    for _ in 0..5 {
        fl.step();
    }
    let t0 = Instant::now();
    let steps = 60;
    for _ in 0..steps {
        fl.step();
    }
    let sps = steps as f64 / t0.elapsed().as_secs_f64();
    let out = serde_json::json!({"treemap_100k_leaves_ms_p50": tm_p50, "treemap_tiles": tiles, "force_10k_50k_steps_per_s": sps});
    if json {
        outln!("{out}");
    } else {
        outln!("treemap layout, 100 k leaves: {tm_p50:.1} ms (p50 of 20), {tiles} tiles drawn");
        outln!("force layout, 10 k nodes / 50 k edges: {sps:.0} steps/s");
    }
    Ok(())
}

fn parse(folder: &std::path::Path, json: bool, opts: &LoadOptions) -> Result<()> {
    let mut files = Vec::new();
    fn walk(d: &std::path::Path, out: &mut Vec<PathBuf>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    walk(folder, &mut files);
    files.sort();
    let mut rows = Vec::new();
    for f in files {
        let name = match &opts.format {
            Some(forced) => forced.clone(),
            None => match data::load::detect_file(&f) {
                Ok(det) => det.name(),
                Err(_) => continue,
            },
        };
        let bytes = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..3 {
            let t0 = Instant::now();
            let Ok(t) = data::load_paths(std::slice::from_ref(&f), opts, &LoadControl::default()) else {
                break;
            };
            best = best.min(t0.elapsed().as_secs_f64());
            n = t.rows() + t.rejected.total as usize;
        }
        if n == 0 {
            continue;
        }
        rows.push(serde_json::json!({"file": f.display().to_string(), "format": name, "lines": n, "bytes": bytes, "lines_per_s": n as f64 / best, "mb_per_s": bytes as f64 / 1e6 / best}));
    }
    if json {
        outln!("{}", serde_json::Value::Array(rows));
    } else {
        for r in rows {
            outln!(
                "{:<60} {:<24} {:>8} lines {:>10.0} lines/s {:>6.1} MB/s",
                r["file"].as_str().unwrap_or(""),
                r["format"].as_str().unwrap_or(""),
                r["lines"],
                r["lines_per_s"].as_f64().unwrap_or(0.0),
                r["mb_per_s"].as_f64().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}
