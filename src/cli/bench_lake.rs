//! `brushfire bench lake`: the linked views over a lake. Cube fetch when the pointer enters a list,
//! clicks inside it answered from the cube (p50/p95), a click's full round trip to the engine,
//! bytes that crossed the seam, peak resident memory.
use super::bench::{peak_rss_bytes, percentile};
use super::spark_args::{spark_engine_from_args, SparkArgs};
use crate::linking::backend::parquet::{export_dataset, ParquetEngine};
use crate::linking::backend::pushdown::LakeSession;
use crate::linking::backend::{BackendError, Dialect, SqlEngine};
use crate::linking::coordinator::Request;
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{Clause, Pred, Selection, ViewId};
use anyhow::{Context, Result};
use polars::prelude::{DataFrame, Schema};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Counts what comes back from the engine (result tables' in-memory size) and how many queries.
struct Metered {
    inner: Arc<dyn SqlEngine>,
    bytes: AtomicU64,
    queries: AtomicU64,
    /// `BRUSHFIRE_BENCH_VERBOSE`: print each query with its time and rows.
    verbose: bool,
}

impl SqlEngine for Metered {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn schema(&self) -> Result<Schema, BackendError> {
        self.inner.schema()
    }
    fn query(&self, sql: &str, tag: &str) -> Result<DataFrame, BackendError> {
        let t = Instant::now();
        let df = self.inner.query(sql, tag)?;
        self.bytes.fetch_add(df.estimated_size() as u64, Ordering::Relaxed);
        self.queries.fetch_add(1, Ordering::Relaxed);
        if self.verbose {
            eprintln!(
                "query {:.0} ms, {} rows, peak RSS {:.2} GB: {sql}",
                t.elapsed().as_secs_f64() * 1000.0,
                df.height(),
                peak_rss_bytes().unwrap_or(0) as f64 / 1e9
            );
        }
        Ok(df)
    }
    fn query_many(&self, sqls: &[String], tag: &str) -> Result<Vec<DataFrame>, BackendError> {
        let t = Instant::now();
        let dfs = self.inner.query_many(sqls, tag)?;
        for (df, sql) in dfs.iter().zip(sqls) {
            self.bytes.fetch_add(df.estimated_size() as u64, Ordering::Relaxed);
            self.queries.fetch_add(1, Ordering::Relaxed);
            if self.verbose {
                eprintln!(
                    "query (one of {} run as one plan in {:.0} ms), {} rows, peak RSS {:.2} GB: {sql}",
                    sqls.len(),
                    t.elapsed().as_secs_f64() * 1000.0,
                    df.height(),
                    peak_rss_bytes().unwrap_or(0) as f64 / 1e9
                );
            }
        }
        Ok(dfs)
    }
    fn cancel(&self, tag: &str) {
        self.inner.cancel(tag)
    }
    fn write_parquet(&self, sql: &str, out_dir: &Path, partition_by: &[&str]) -> Result<u64, BackendError> {
        self.inner.write_parquet(sql, out_dir, partition_by)
    }
    fn concurrent_queries(&self) -> bool {
        self.inner.concurrent_queries()
    }
    fn fingerprint(&self) -> Option<String> {
        self.inner.fingerprint()
    }
    fn splits(&self) -> Vec<crate::linking::backend::Split> {
        self.inner.splits()
    }
}

/// Rows generated and loaded at a time: memory holds one chunk, so the lake can be larger than RAM.
const CHUNK_ROWS: u64 = 5_000_000;

/// Writes `rows` generated flows as a day-partitioned lake at `dir`, a chunk at a time: each chunk
/// (its own seed, the same two weeks) is generated, loaded and written as one more file in each day
/// partition. The lake appears at `dir` only when complete (a sibling directory is renamed).
fn generate_lake(rows: u64, dir: &Path) -> Result<()> {
    let t0 = Instant::now();
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "lake".into());
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let partial = parent.join(format!(".{name}.generating-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).with_context(|| format!("{}: cannot create", partial.display()))?;
    let result = (|| -> Result<()> {
        let chunks = rows.div_ceil(CHUNK_ROWS).max(1);
        for i in 0..chunks {
            let n = CHUNK_ROWS.min(rows - i * CHUNK_ROWS);
            let csv = partial.join(format!("chunk-{i}.csv"));
            let f =
                std::fs::File::create(&csv).with_context(|| format!("{}: cannot create", csv.display()))?;
            let opts = crate::data::generate::GenOptions { rows: n, seed: 42 + i, ..Default::default() };
            crate::data::generate::generate(&opts, f)?;
            let t =
                crate::data::load_paths(std::slice::from_ref(&csv), &Default::default(), &Default::default());
            std::fs::remove_file(&csv)?;
            let chunk_dir = partial.join(format!("chunk-{i}"));
            export_dataset(&t?.df, &chunk_dir)?;
            // Each day's file joins that day's partition under its chunk's name.
            for day in std::fs::read_dir(&chunk_dir)? {
                let day = day?.path();
                let to = partial.join(day.file_name().context("a partition without a name")?);
                std::fs::create_dir_all(&to)?;
                std::fs::rename(day.join("part-0.parquet"), to.join(format!("part-{i}.parquet")))?;
            }
            std::fs::remove_dir_all(&chunk_dir)?;
            eprintln!(
                "lake: {} of {rows} rows written ({:.0} s)",
                i * CHUNK_ROWS + n,
                t0.elapsed().as_secs_f64()
            );
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, dir).with_context(|| format!("{}: cannot rename into place", dir.display()))?;
    eprintln!("wrote a {rows}-row lake in {:.1} s -> {}", t0.elapsed().as_secs_f64(), dir.display());
    Ok(())
}

const VIEW_TIME: ViewId = 1;
const VIEW_TREE: ViewId = 30;
const VIEW_GRAPH: ViewId = 40;
/// The records page: always a query, never in a cube.
const VIEW_RECORDS: ViewId = 20;

/// A view's cube in use: fetched when the pointer enters the view, then clicks in the view.
struct CubeRun {
    fetch_ms: f64,
    /// 0 when the cube was over its budget (every click is then a round trip).
    rows: usize,
    /// The other views it answers (those whose parts fit in the budget).
    views: Vec<ViewId>,
    bytes: u64,
    click_ms: Vec<f64>,
    /// Queries the clicks sent (every view's, when there is no cube).
    queries: u64,
    peak_rss: Option<u64>,
    /// Where its parts were read from.
    parts: crate::linking::backend::lake_cube::CubeParts,
}

impl CubeRun {
    fn p50(&self) -> f64 {
        percentile(&mut self.click_ms.clone(), 0.5)
    }
    fn p95(&self) -> f64 {
        percentile(&mut self.click_ms.clone(), 0.95)
    }
}

/// The pointer enters `view` (its cube is fetched), then each click of `clicks.1` becomes its
/// clause in turn, over the other views' clauses `clicks.0`; the records page is left out, so what
/// is timed is what the cube answers.
fn clicks_in_cube(
    lake: &mut LakeSession,
    engine: &Metered,
    view: ViewId,
    needs: &BTreeMap<ViewId, Need>,
    (base, clicks): (&Selection, &[Clause]),
    req: &mut dyn FnMut(&Selection, &BTreeMap<ViewId, Need>) -> Request,
    what: &str,
) -> Result<CubeRun> {
    let b0 = engine.bytes.load(Ordering::Relaxed);
    let t = Instant::now();
    lake.hover(view, &format!("bench-{what}-cube"))?;
    let fetch_ms = t.elapsed().as_secs_f64() * 1000.0;
    let bytes = engine.bytes.load(Ordering::Relaxed) - b0;
    let rows = lake.cube().filter(|c| c.view == view).map_or(0, |c| c.rows());
    let views = lake.cube().filter(|c| c.view == view).map_or(Vec::new(), |c| c.views());
    let parts = lake.last_cube_parts;
    let peak_rss = peak_rss_bytes();
    let covered: BTreeMap<ViewId, Need> =
        needs.iter().filter(|(v, _)| **v != VIEW_RECORDS).map(|(v, n)| (*v, n.clone())).collect();
    let q0 = engine.queries.load(Ordering::Relaxed);
    let mut sel = base.clone();
    let mut click_ms = Vec::new();
    for c in clicks {
        sel.clauses.insert(view, c.clone());
        let t = Instant::now();
        let a = lake.run(&req(&sel, &covered), "bench");
        click_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if engine.verbose {
            // Which click a percentile is: a round trip's queries are printed above it.
            eprintln!(
                "{what} click {}: {:.0} ms ({})",
                click_ms.len(),
                click_ms[click_ms.len() - 1],
                a.strategy
            );
        }
        if a.outputs.values().any(|o| matches!(o, Output::Error(_))) {
            anyhow::bail!("a view failed while clicking in the {what}");
        }
    }
    let queries = engine.queries.load(Ordering::Relaxed) - q0;
    Ok(CubeRun { fetch_ms, rows, views, bytes, click_ms, queries, peak_rss, parts })
}

fn needs() -> BTreeMap<ViewId, Need> {
    let mut n = BTreeMap::new();
    n.insert(VIEW_TIME, Need::Time { measure: "count".into(), split: None });
    for (i, f) in ["src_ip", "dst_ip", "dst_port", "proto"].iter().enumerate() {
        n.insert(
            10 + i as ViewId,
            Need::TopN { field: f.to_string(), offset: 0, limit: 20, measure: "count".into() },
        );
    }
    n.insert(VIEW_RECORDS, Need::Table { offset: 0, limit: 50, sort: None });
    n
}

/// What the bench runs besides its fixed phases.
pub struct Phases {
    /// The link graph's phase.
    pub graph: bool,
    /// Where cube parts are kept between hovers and runs (`cube_store`), if anywhere.
    pub cube_store: Option<std::path::PathBuf>,
    /// Read every view's cube ahead into that store after the first answer, as the app's idle
    /// worker does while the analyst reads it (`cube_warm`).
    pub read_ahead: bool,
}

/// The bench over `--parquet DIR` (generated with `rows` rows when missing) or, when given,
/// `--spark URL --table T` (which may name that same directory as parquet.`DIR`).
pub fn run(
    rows: u64,
    parquet: Option<&Path>,
    spark: &SparkArgs,
    clicks: usize,
    phases: &Phases,
    json: bool,
) -> Result<()> {
    let with_graph_phase = phases.graph;
    if let Some(dir) = parquet.filter(|d| !d.exists()) {
        generate_lake(rows, dir)?;
    }
    let inner: Arc<dyn SqlEngine> = match (spark_engine_from_args(spark)?, parquet) {
        (Some(e), _) => Arc::from(e),
        (None, Some(dir)) => Arc::new(ParquetEngine::open(dir)?),
        (None, None) => anyhow::bail!("give --parquet DIR or --spark URL --table NAME"),
    };
    let engine = Arc::new(Metered {
        inner,
        bytes: AtomicU64::new(0),
        queries: AtomicU64::new(0),
        verbose: std::env::var_os("BRUSHFIRE_BENCH_VERBOSE").is_some(),
    });
    let t0 = Instant::now();
    let store = phases.cube_store.as_ref().map(|d| {
        Arc::new(crate::linking::backend::cube_store::CubeStore::new(
            d.clone(),
            crate::linking::backend::cube_store::DEFAULT_MAX_BYTES,
        ))
    });
    let mut lake = LakeSession::open(engine.clone(), store.clone())?;
    let open_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let lake_rows = lake.stats().rows;
    let all = needs();
    let mut seq = 0u64;
    let mut req = |sel: &Selection, needs: &BTreeMap<ViewId, Need>| {
        seq += 1;
        Request { seq, selection: sel.clone(), needs: needs.clone(), want_all_rows: false }
    };
    let mut sel = Selection::default();
    let t = Instant::now();
    let first = lake.run(&req(&sel, &all), "bench");
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let rss_first = peak_rss_bytes();
    // While the analyst reads the first answer, the idle worker reads the views' cubes ahead.
    let mut ahead: Vec<(ViewId, crate::linking::backend::cube_warm::Warmed, f64)> = Vec::new();
    let t = Instant::now();
    if phases.read_ahead {
        anyhow::ensure!(store.is_some(), "--read-ahead keeps the cubes in --cube-store DIR: give it");
        let never = std::sync::atomic::AtomicBool::new(false);
        while let Some(v) = lake.next_to_warm() {
            let tv = Instant::now();
            let w = lake.warm(v, "bench-read-ahead", &never)?;
            ahead.push((v, w, tv.elapsed().as_secs_f64() * 1000.0));
            if engine.verbose {
                eprintln!("read ahead: view {v} {w:?} in {:.0} ms", tv.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let read_ahead_ms = t.elapsed().as_secs_f64() * 1000.0;
    let rss_read_ahead = peak_rss_bytes();
    let values = |out: &BTreeMap<ViewId, Output>, v: ViewId| -> Vec<String> {
        match out.get(&v) {
            Some(Output::TopN { entries, .. }) => entries.iter().map(|e| e.label.clone()).collect(),
            _ => Vec::new(),
        }
    };
    // The pointer enters the port list: its cube.
    let active: ViewId = 12;
    let ports = values(&first.outputs, active);
    // Clicks in the port list: every view but the records page is answered from the cube.
    let port_clicks: Vec<Clause> = (0..clicks.max(1))
        .map(|i| {
            let n = 1 + i % 3;
            let vals: Vec<String> = ports.iter().cycle().skip(i).take(n.min(ports.len())).cloned().collect();
            Clause::values("dst_port", vals, i % 5 == 4)
        })
        .collect();
    let list = clicks_in_cube(
        &mut lake,
        &engine,
        active,
        &all,
        (&Selection::default(), &port_clicks),
        &mut req,
        "port list",
    )?;
    // The last port click stays selected while another list is clicked below.
    if let Some(last) = port_clicks.last() {
        sel.clauses.insert(active, last.clone());
    }
    // A click in another list: the full round trip to the engine, every view. Then a drill-down:
    // a protocol clicked while that source stays selected (its records may be held in memory).
    let srcs = values(&first.outputs, 10);
    let protos = values(&first.outputs, 13);
    let (mut round, mut drill, mut subset_rows, mut from_subset) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, s) in srcs.iter().take(3).enumerate() {
        sel.clauses.remove(&13);
        sel.clauses.insert(10, Clause::values("src_ip", [s.clone()], false));
        let t = Instant::now();
        let _ = lake.run(&req(&sel, &all), &format!("bench-click-{i}"));
        round.push(t.elapsed().as_secs_f64() * 1000.0);
        subset_rows.push(lake.subset_rows().unwrap_or(0));
        from_subset.push(lake.last_from_subset);
        if let Some(p) = protos.get(i % protos.len().max(1)) {
            sel.clauses.insert(13, Clause::values("proto", [p.clone()], false));
            let t = Instant::now();
            let _ = lake.run(&req(&sel, &all), &format!("bench-drill-{i}"));
            drill.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    // The analyst clears the selection (a round trip), then moves to the time series: its cube.
    sel.clauses.clear();
    let t = Instant::now();
    let _ = lake.run(&req(&sel, &all), "bench-clear");
    let clear_ms = t.elapsed().as_secs_f64() * 1000.0;
    let b0 = engine.bytes.load(Ordering::Relaxed);
    let t = Instant::now();
    lake.hover(VIEW_TIME, "bench-time-cube")?;
    let time_cube_ms = t.elapsed().as_secs_f64() * 1000.0;
    let time_cube_bytes = engine.bytes.load(Ordering::Relaxed) - b0;
    let time_cube_rows = lake.cube().filter(|c| c.time_bucket_us().is_some()).map_or(0, |c| c.rows());
    let time_cube_views =
        lake.cube().filter(|c| c.time_bucket_us().is_some()).map_or(Vec::new(), |c| c.views());
    let rss_time_cube = peak_rss_bytes();
    // Over its budget the time series has no cube: the brushes below are then round trips, on the
    // series' own bins, and fewer of them.
    let grid_us = match (lake.cube().and_then(|c| c.time_bucket_us()), first.outputs.get(&VIEW_TIME)) {
        (Some(g), _) => g,
        (None, Some(Output::Time { bucket_us, .. })) => *bucket_us,
        _ => anyhow::bail!("the lake has no time series"),
    };
    let brushes = if time_cube_rows > 0 { clicks.max(2) } else { clicks.clamp(2, 4) };
    // A drag as the time series draws it over a lake: anchored on a bin a quarter into the data,
    // the other edge moving a bin per frame out to two days and back, then the brush cleared.
    let (lo, hi) = lake.stats().time_bounds_us.context("the lake has no time")?;
    let anchor =
        crate::linking::needs::snap_brush_us((lo + (hi - lo) / 4, lo + (hi - lo) / 4), Some(grid_us)).0;
    let covered: BTreeMap<ViewId, Need> =
        all.iter().filter(|(v, _)| **v != VIEW_RECORDS).map(|(v, n)| (*v, n.clone())).collect();
    let mut in_time_cube = Vec::new();
    let q0 = engine.queries.load(Ordering::Relaxed);
    let reach = (2 * 86_400_000_000 / grid_us).max(2);
    for i in 0..brushes as i64 {
        let k = 1 + (i % (2 * reach)).min(2 * reach - 1 - i % (2 * reach));
        if i + 1 == brushes as i64 {
            sel.clauses.remove(&VIEW_TIME);
        } else {
            sel.clauses.insert(VIEW_TIME, Clause::Time { start_us: anchor, end_us: anchor + k * grid_us });
        }
        let t = Instant::now();
        let a = lake.run(&req(&sel, &covered), "bench");
        in_time_cube.push(t.elapsed().as_secs_f64() * 1000.0);
        if a.outputs.values().any(|o| matches!(o, Output::Error(_))) {
            anyhow::bail!("a view failed while brushing the time series");
        }
    }
    let in_time_cube_queries = engine.queries.load(Ordering::Relaxed) - q0;
    // The treemap joins the views (a round trip), the pointer enters it (its cube), and the analyst
    // clicks and excludes its groups: /16 and /24 prefixes of the destination.
    sel.clauses.clear();
    let mut with_tree = all.clone();
    with_tree.insert(
        VIEW_TREE,
        Need::Tree { levels: vec!["dst_ip/16".into(), "dst_ip/24".into()], measure: "count".into() },
    );
    let tree_out = lake.run(&req(&sel, &with_tree), "bench-tree");
    let groups: Vec<String> = match tree_out.outputs.get(&VIEW_TREE) {
        Some(Output::Tree { leaves, .. }) => {
            let mut by_size: Vec<&crate::linking::needs::TreeLeaf> = leaves.iter().collect();
            by_size.sort_by_key(|l| std::cmp::Reverse(l.value));
            by_size.iter().take(20).flat_map(|l| l.path.iter().cloned()).collect()
        }
        _ => Vec::new(),
    };
    let tree_clicks: Vec<Clause> = groups
        .iter()
        .cycle()
        .take(if groups.is_empty() { 0 } else { clicks.max(1) })
        .enumerate()
        .map(|(i, g)| {
            let pred = Pred::InPrefix { field: "dst_ip".into(), prefix: g.clone() };
            Clause::Match { any_of: vec![vec![pred]], negate: i % 5 == 4 }
        })
        .collect();
    let tree = clicks_in_cube(
        &mut lake,
        &engine,
        VIEW_TREE,
        &with_tree,
        (&Selection::default(), &tree_clicks),
        &mut req,
        "treemap",
    )?;
    // The link graph joins instead (a round trip). Over more address pairs than a graph can draw
    // it says so; the analyst then clicks the busiest source, the pointer enters the graph, and
    // they click its busiest edges and nodes.
    let mut with_graph = all.clone();
    with_graph.insert(VIEW_GRAPH, Need::Tuples { fields: vec!["src_ip".into(), "dst_ip".into()] });
    let mut graph_base = Selection::default();
    let (mut graph_answer_ms, mut graph_over_bound, mut graph_narrowed_ms, mut graph_pairs) =
        (f64::NAN, false, f64::NAN, 0);
    let mut rss_graph_answer = None;
    let graph = if !with_graph_phase {
        CubeRun {
            fetch_ms: f64::NAN,
            rows: 0,
            views: Vec::new(),
            bytes: 0,
            click_ms: Vec::new(),
            queries: 0,
            peak_rss: None,
            parts: Default::default(),
        }
    } else {
        let t = Instant::now();
        let mut graph_out = lake.run(&req(&graph_base, &with_graph), "bench-graph");
        graph_answer_ms = t.elapsed().as_secs_f64() * 1000.0;
        if let Some(Output::Error(e)) = graph_out.outputs.get(&VIEW_GRAPH) {
            graph_over_bound = lake.refused(VIEW_GRAPH);
            if !graph_over_bound {
                anyhow::bail!("the link graph failed: {e}");
            }
            if let Some(s) = srcs.first() {
                graph_base.clauses.insert(10, Clause::values("src_ip", [s.clone()], false));
                let t = Instant::now();
                graph_out = lake.run(&req(&graph_base, &with_graph), "bench-graph-narrowed");
                graph_narrowed_ms = t.elapsed().as_secs_f64() * 1000.0;
            }
        }
        if let Some(Output::Tuples { tuples, .. }) = graph_out.outputs.get(&VIEW_GRAPH) {
            graph_pairs = tuples.len();
        }
        rss_graph_answer = peak_rss_bytes();
        let graph_clicks: Vec<Clause> = match graph_out.outputs.get(&VIEW_GRAPH) {
            Some(Output::Tuples { fields, tuples }) if !tuples.is_empty() => {
                let mut order: Vec<usize> = (0..tuples.len()).collect();
                order.sort_by_key(|&i| std::cmp::Reverse(tuples.count(i)));
                order
                    .iter()
                    .take(20)
                    .cycle()
                    .take(clicks.max(1))
                    .enumerate()
                    .map(|(k, &i)| {
                        // Every third click a node (the source), else an edge.
                        let preds = fields
                            .iter()
                            .zip(tuples.tuple(i))
                            .take(if k % 3 == 2 { 1 } else { fields.len() })
                            .map(|(f, v)| Pred::Eq { field: f.clone(), value: v })
                            .collect();
                        Clause::Match { any_of: vec![preds], negate: false }
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        clicks_in_cube(
            &mut lake,
            &engine,
            VIEW_GRAPH,
            &with_graph,
            (&graph_base, &graph_clicks),
            &mut req,
            "graph",
        )?
    };
    // The analyst clears the selection and the pointer returns to the port list: its cube again,
    // from the lake, or from the disk when parts are kept there.
    let _ = lake.run(&req(&Selection::default(), &all), "bench-back");
    let back = clicks_in_cube(
        &mut lake,
        &engine,
        active,
        &all,
        (&Selection::default(), &port_clicks),
        &mut req,
        "port list again",
    )?;
    let back_parts = lake.last_cube_parts;
    let (tp50, tp95) = (percentile(&mut in_time_cube.clone(), 0.5), percentile(&mut in_time_cube, 0.95));
    let (p50, p95) = (list.p50(), list.p95());
    let click_ms = percentile(&mut round, 0.5);
    let mut out = serde_json::json!({
        "lake": engine.describe(),
        "rows": lake_rows,
        "open_and_stats_ms": open_ms,
        "first_answer_all_views_ms": first_ms,
        "read_ahead_ms": phases.read_ahead.then_some(read_ahead_ms),
        "read_ahead_views": ahead.iter().map(|(v, w, ms)| serde_json::json!({
            "view": v, "parts_read": w.read, "parts_kept_before": w.kept_before, "parts_refused": w.refused, "ms": ms,
        })).collect::<Vec<_>>(),
        "peak_rss_after_read_ahead_bytes": phases.read_ahead.then_some(rss_read_ahead),
        "cube_fetch_ms": list.fetch_ms,
        "cube_rows": list.rows,
        "cube_bytes": list.bytes,
        "in_cube_clicks": list.click_ms.len(),
        "in_cube_queries": list.queries,
        "in_cube_brush_p50_ms": p50,
        "in_cube_brush_p95_ms": p95,
        "click_round_trip_p50_ms": click_ms,
        "click_round_trip_max_ms": round.iter().copied().fold(0.0, f64::max),
        "clear_round_trip_ms": clear_ms,
        "time_cube_fetch_ms": time_cube_ms,
        "time_cube_rows": time_cube_rows,
        "time_cube_bytes": time_cube_bytes,
        "time_cube_bin_us": grid_us,
        "in_time_cube_brushes": in_time_cube.len(),
        "in_time_cube_queries": in_time_cube_queries,
        "in_time_cube_brush_p50_ms": tp50,
        "in_time_cube_brush_p95_ms": tp95,
        "tree_cube_fetch_ms": tree.fetch_ms,
        "tree_cube_rows": tree.rows,
        "tree_cube_bytes": tree.bytes,
        "in_tree_cube_clicks": tree.click_ms.len(),
        "in_tree_cube_queries": tree.queries,
        "in_tree_cube_click_p50_ms": tree.p50(),
        "in_tree_cube_click_p95_ms": tree.p95(),
        "bytes_transferred_total": engine.bytes.load(Ordering::Relaxed),
        "queries_total": engine.queries.load(Ordering::Relaxed),
        "peak_rss_bytes": peak_rss_bytes(),
        "peak_rss_after_first_answer_bytes": rss_first,
        "peak_rss_after_list_cube_bytes": list.peak_rss,
        "peak_rss_after_time_cube_bytes": rss_time_cube,
        "peak_rss_after_tree_cube_bytes": tree.peak_rss,
    });
    // A second object: one json! of every figure passes serde_json's macro recursion limit.
    let graph_figures = serde_json::json!({
        "cube_views": list.views,
        "time_cube_views": time_cube_views,
        "tree_cube_views": tree.views,
        "graph_cube_views": graph.views,
        "click_round_trip_subset_rows": subset_rows,
        "click_round_trip_views_from_subset": from_subset,
        "drill_round_trip_p50_ms": percentile(&mut drill.clone(), 0.5),
        "drill_round_trip_max_ms": drill.iter().copied().fold(0.0, f64::max),
        "graph_answer_ms": graph_answer_ms,
        "graph_over_bound": graph_over_bound,
        "graph_narrowed_to_source": graph_base.clauses.contains_key(&10),
        "graph_narrowed_answer_ms": graph_narrowed_ms,
        "graph_pairs": graph_pairs,
        "peak_rss_after_graph_answer_bytes": rss_graph_answer,
        "graph_cube_fetch_ms": graph.fetch_ms,
        "graph_cube_rows": graph.rows,
        "graph_cube_bytes": graph.bytes,
        "graph_cube_parts": [graph.parts.from_disk, graph.parts.from_lake, graph.parts.from_subset],
        "cube_parts_from_disk_lake_subset": {
            "port list": [list.parts.from_disk, list.parts.from_lake, list.parts.from_subset],
            "treemap": [tree.parts.from_disk, tree.parts.from_lake, tree.parts.from_subset],
        },
        "in_graph_cube_clicks": graph.click_ms.len(),
        "in_graph_cube_queries": graph.queries,
        "in_graph_cube_click_p50_ms": graph.p50(),
        "in_graph_cube_click_p95_ms": graph.p95(),
        "peak_rss_after_graph_cube_bytes": graph.peak_rss,
    });
    // The cube again (the pointer's return to the port list), and the parts kept on disk.
    let again_figures = serde_json::json!({
        "cube_store": phases.cube_store.as_ref().map(|d| d.display().to_string()),
        "cube_store_hits": store.as_ref().map(|s| s.hits.load(Ordering::Relaxed)),
        "cube_store_saved": store.as_ref().map(|s| s.saved.load(Ordering::Relaxed)),
        "cube_store_bytes": store.as_ref().map(|s| s.bytes()),
        "cube_again_fetch_ms": back.fetch_ms,
        "cube_again_rows": back.rows,
        "cube_again_parts_from_disk": back_parts.from_disk,
        "cube_again_parts_from_lake": back_parts.from_lake,
        "in_cube_again_click_p95_ms": back.p95(),
    });
    for more in [graph_figures, again_figures] {
        if let (Some(all), serde_json::Value::Object(g)) = (out.as_object_mut(), more) {
            all.extend(g);
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        outln!("lake {} rows: {}", out["lake"], lake_rows);
        if phases.read_ahead {
            outln!("cubes read ahead in {read_ahead_ms:.0} ms ({} views)", ahead.len());
        }
        outln!(
            "cube fetch {:.0} ms ({} rows, {} bytes, views {:?})",
            list.fetch_ms,
            list.rows,
            list.bytes,
            list.views
        );
        outln!("in-cube brush p50 {p50:.2} ms p95 {p95:.2} ms ({} queries)", list.queries);
        outln!("click round trip {click_ms:.0} ms (records held in memory: {subset_rows:?})");
        outln!("drill-down round trip p50 {:.0} ms", percentile(&mut drill.clone(), 0.5));
        outln!(
            "time cube fetch {time_cube_ms:.0} ms ({time_cube_rows} rows, {time_cube_bytes} bytes, views \
             {time_cube_views:?})"
        );
        outln!("in-time-cube brush p50 {tp50:.2} ms p95 {tp95:.2} ms ({in_time_cube_queries} queries)");
        for (what, c) in [("treemap", &tree), ("graph", &graph)] {
            outln!(
                "{what} cube fetch {:.0} ms ({} rows, {} bytes, views {:?}; parts from disk {}, the lake {}, \
                 records in memory {})",
                c.fetch_ms,
                c.rows,
                c.bytes,
                c.views,
                c.parts.from_disk,
                c.parts.from_lake,
                c.parts.from_subset
            );
            outln!(
                "in-{what}-cube click p50 {:.2} ms p95 {:.2} ms ({} queries)",
                c.p50(),
                c.p95(),
                c.queries
            );
        }
        outln!(
            "port list cube again {:.0} ms ({} rows; parts from disk {}, from the lake {})",
            back.fetch_ms,
            back.rows,
            back_parts.from_disk,
            back_parts.from_lake
        );
        outln!("peak resident {:?} bytes", peak_rss_bytes());
    }
    Ok(())
}
