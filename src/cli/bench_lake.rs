//! `brushfire bench lake`: the linked views over a lake. Cube fetch when the pointer enters a list,
//! clicks inside it answered from the cube (p50/p95), a click's full round trip to the engine,
//! bytes that crossed the seam, peak resident memory.
use super::bench::{peak_rss_bytes, percentile};
use crate::linking::backend::parquet::{export_dataset, ParquetEngine};
use crate::linking::backend::pushdown::LakeSession;
use crate::linking::backend::{BackendError, Dialect, SqlEngine};
use crate::linking::coordinator::Request;
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{Clause, Selection, ViewId};
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
        let df = self.inner.query(sql, tag)?;
        self.bytes.fetch_add(df.estimated_size() as u64, Ordering::Relaxed);
        self.queries.fetch_add(1, Ordering::Relaxed);
        Ok(df)
    }
    fn cancel(&self, tag: &str) {
        self.inner.cancel(tag)
    }
    fn write_parquet(&self, sql: &str, out_dir: &Path, partition_by: &[&str]) -> Result<u64, BackendError> {
        self.inner.write_parquet(sql, out_dir, partition_by)
    }
}

/// Writes `rows` generated flows as a day-partitioned lake at `dir` (generated and loaded in
/// chunks of days would need a streaming generator: this loads one table, so it is bounded by RAM).
fn generate_lake(rows: u64, dir: &Path) -> Result<()> {
    let csv = std::env::temp_dir().join(format!("brushfire-bench-lake-{rows}-{}.csv", std::process::id()));
    let t0 = Instant::now();
    let f = std::fs::File::create(&csv).with_context(|| format!("{}: cannot create", csv.display()))?;
    crate::data::generate::generate(
        &crate::data::generate::GenOptions { rows, seed: 42, ..Default::default() },
        f,
    )?;
    let t = crate::data::load_paths(std::slice::from_ref(&csv), &Default::default(), &Default::default());
    let _ = std::fs::remove_file(&csv);
    let t = t?;
    export_dataset(&t.df, dir)?;
    eprintln!("wrote a {rows}-row lake in {:.1} s -> {}", t0.elapsed().as_secs_f64(), dir.display());
    Ok(())
}

fn needs() -> BTreeMap<ViewId, Need> {
    let mut n = BTreeMap::new();
    n.insert(1, Need::Time { measure: "count".into(), split: None });
    for (i, f) in ["src_ip", "dst_ip", "dst_port", "proto"].iter().enumerate() {
        n.insert(
            10 + i as ViewId,
            Need::TopN { field: f.to_string(), offset: 0, limit: 20, measure: "count".into() },
        );
    }
    n.insert(20, Need::Table { offset: 0, limit: 50, sort: None });
    n
}

pub fn run(rows: u64, dir: &Path, clicks: usize, json: bool) -> Result<()> {
    if !dir.exists() {
        generate_lake(rows, dir)?;
    }
    let engine = Arc::new(Metered {
        inner: Arc::new(ParquetEngine::open(dir)?),
        bytes: AtomicU64::new(0),
        queries: AtomicU64::new(0),
    });
    let t0 = Instant::now();
    let mut lake = LakeSession::new(engine.clone())?;
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
    let values = |out: &BTreeMap<ViewId, Output>, v: ViewId| -> Vec<String> {
        match out.get(&v) {
            Some(Output::TopN { entries, .. }) => entries.iter().map(|e| e.label.clone()).collect(),
            _ => Vec::new(),
        }
    };
    // The pointer enters the port list: its cube.
    let active: ViewId = 12;
    let ports = values(&first.outputs, active);
    let b0 = engine.bytes.load(Ordering::Relaxed);
    let t = Instant::now();
    lake.hover(active, "bench-cube")?;
    let cube_ms = t.elapsed().as_secs_f64() * 1000.0;
    let cube_bytes = engine.bytes.load(Ordering::Relaxed) - b0;
    let cube_rows = lake.cube().map_or(0, |c| c.rows());
    // Clicks in the port list: every view but the records page is answered from the cube.
    let covered: BTreeMap<ViewId, Need> =
        all.iter().filter(|(v, _)| **v != 20).map(|(v, n)| (*v, n.clone())).collect();
    let mut in_cube = Vec::new();
    let q0 = engine.queries.load(Ordering::Relaxed);
    for i in 0..clicks.max(1) {
        let n = 1 + i % 3;
        let vals: Vec<String> = ports.iter().cycle().skip(i).take(n.min(ports.len())).cloned().collect();
        sel.clauses.insert(active, Clause::values("dst_port", vals, i % 5 == 4));
        let t = Instant::now();
        let a = lake.run(&req(&sel, &covered), "bench");
        in_cube.push(t.elapsed().as_secs_f64() * 1000.0);
        if a.outputs.values().any(|o| matches!(o, Output::Error(_))) {
            anyhow::bail!("a view failed while brushing in the cube");
        }
    }
    let in_cube_queries = engine.queries.load(Ordering::Relaxed) - q0;
    // A click in another list: the full round trip to the engine, every view.
    let srcs = values(&first.outputs, 10);
    let mut round = Vec::new();
    for (i, s) in srcs.iter().take(3).enumerate() {
        sel.clauses.insert(10, Clause::values("src_ip", [s.clone()], false));
        let t = Instant::now();
        let _ = lake.run(&req(&sel, &all), &format!("bench-click-{i}"));
        round.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p95) = (percentile(&mut in_cube.clone(), 0.5), percentile(&mut in_cube, 0.95));
    let click_ms = percentile(&mut round, 0.5);
    let out = serde_json::json!({
        "lake": engine.describe(),
        "rows": lake_rows,
        "open_and_stats_ms": open_ms,
        "first_answer_all_views_ms": first_ms,
        "cube_fetch_ms": cube_ms,
        "cube_rows": cube_rows,
        "cube_bytes": cube_bytes,
        "in_cube_clicks": in_cube.len(),
        "in_cube_queries": in_cube_queries,
        "in_cube_brush_p50_ms": p50,
        "in_cube_brush_p95_ms": p95,
        "click_round_trip_p50_ms": click_ms,
        "bytes_transferred_total": engine.bytes.load(Ordering::Relaxed),
        "queries_total": engine.queries.load(Ordering::Relaxed),
        "peak_rss_bytes": peak_rss_bytes(),
    });
    if json {
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        outln!("lake {} rows: {}", out["lake"], lake_rows);
        outln!("cube fetch {cube_ms:.0} ms ({cube_rows} rows, {cube_bytes} bytes)");
        outln!("in-cube brush p50 {p50:.2} ms p95 {p95:.2} ms ({in_cube_queries} queries)");
        outln!("click round trip {click_ms:.0} ms");
        outln!("peak resident {:?} bytes", peak_rss_bytes());
    }
    Ok(())
}
