//! The CLI over a lake: `--parquet DIR` on `inspect`, `query`, `graph`, `clean` and `bench lake`,
//! and `export-parquet` to write logs as a hive-partitioned dataset. Every command asks the
//! engine that holds the data; only results come back.
use crate::data::{self, export::ExportFormat, timeparse::format_rfc3339};
use crate::linking::backend::parquet::ParquetEngine;
use crate::linking::backend::pushdown::LakeSession;
use crate::linking::backend::SqlEngine;
use anyhow::{bail, Context, Result};
use clap::Args;
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the data lives, when it is not in files to load.
#[derive(Args, Debug, Clone, Default)]
pub struct LakeArgs {
    /// A lake: a Parquet file or a hive-partitioned directory (e.g. from `export-parquet`),
    /// queried where it lies with polars streaming scans.
    #[arg(long, value_name = "DIR")]
    pub parquet: Option<PathBuf>,
    /// Or a table on a Spark Connect server (Apache Spark or Sail).
    #[command(flatten)]
    pub spark: super::spark_args::SparkArgs,
}

impl LakeArgs {
    pub fn is_set(&self) -> bool {
        self.parquet.is_some() || self.spark.spark.is_some()
    }
}

/// The engine the arguments name, or None when they name none (then the command loads files).
/// Each kind of lake is one arm here (Spark Connect: `--spark URL --table NAME`).
pub fn engine_from_args(a: &LakeArgs) -> Result<Option<Arc<dyn SqlEngine>>> {
    if let Some(dir) = &a.parquet {
        let e = ParquetEngine::open(dir)?;
        return Ok(Some(Arc::new(e)));
    }
    Ok(super::spark_args::spark_engine_from_args(&a.spark)?.map(Arc::from))
}

pub fn query(engine: &dyn SqlEngine, sql: &str, format: ExportFormat, out: Option<&Path>) -> Result<()> {
    let mut df = engine.query(&crate::linking::backend::engine_sql(engine, sql), "cli-query")?;
    match out {
        Some(p) => data::export::export_atomic(&mut df, format, p, &[])?,
        None => {
            if format == ExportFormat::Parquet {
                bail!("--format parquet needs --out PATH");
            }
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            data::export::write_to(&mut df, format, &mut lock)?;
        }
    }
    Ok(())
}

pub fn inspect(engine: Arc<dyn SqlEngine>, json: bool) -> Result<()> {
    let lake = LakeSession::new(engine.clone())?;
    let stats = lake.stats();
    let cols: Vec<(String, String)> =
        lake.schema().iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let (tmin, tmax) = match stats.time_bounds_us {
        Some((a, b)) => (Some(format_rfc3339(a)), Some(format_rfc3339(b))),
        None => (None, None),
    };
    if json {
        let v = serde_json::json!({
            "lake": engine.describe(),
            "format": "parquet lake",
            "rows": stats.rows,
            "columns": cols.iter().map(|(n, t)| serde_json::json!({"name": n, "type": t})).collect::<Vec<_>>(),
            "time_min": tmin,
            "time_max": tmax,
            "rejected_lines": 0,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!("lake:     {}", engine.describe());
        outln!("rows:     {}", stats.rows);
        if let (Some(a), Some(b)) = (tmin, tmax) {
            outln!("time:     {a} .. {b}");
        }
        outln!("columns:");
        for (n, t) in cols {
            outln!("  {n:<28} {t}");
        }
    }
    Ok(())
}

/// The rows AfterGlow reads, from a lake: the engine counts each distinct tuple of the fields and
/// the tuples are replayed here as many times as they occur, so only the aggregate crosses over.
/// Nulls are empty strings, as from a loaded table.
pub fn graph_rows(engine: &dyn SqlEngine, fields: &[String]) -> Result<Vec<(u32, Vec<String>)>> {
    let d = engine.dialect();
    let keys: Vec<String> = fields.iter().map(|f| crate::linking::backend::sql::ident(d, f)).collect();
    let sql = format!(
        "SELECT {}, COUNT(*) AS n FROM logs GROUP BY {}",
        keys.iter().enumerate().map(|(i, k)| format!("{k} AS k{i}")).collect::<Vec<_>>().join(", "),
        keys.join(", ")
    );
    let df = engine.query(&sql, "cli-graph")?;
    let cols: Vec<StringChunked> = (0..fields.len())
        .map(|i| -> Result<StringChunked> {
            Ok(df.column(&format!("k{i}"))?.cast(&DataType::String)?.str()?.clone())
        })
        .collect::<Result<_>>()?;
    let n = df.column("n")?.cast(&DataType::Int64)?;
    let n = n.i64()?;
    let mut tuples: Vec<(Vec<String>, i64)> = (0..df.height())
        .map(|r| (cols.iter().map(|c| c.get(r).unwrap_or("").to_string()).collect(), n.get(r).unwrap_or(0)))
        .collect();
    tuples.sort();
    let mut rows = Vec::new();
    for (i, (t, c)) in tuples.into_iter().enumerate() {
        for _ in 0..c {
            rows.push((i as u32, t.clone()));
        }
    }
    Ok(rows)
}

/// `export-parquet`: logs (or the bundled sample) as a new hive-partitioned dataset by day.
pub fn export_parquet(files: &[PathBuf], load: &super::LoadArgs, out_dir: &Path) -> Result<()> {
    let files = if files.is_empty() {
        vec![crate::app::bundled_sample().context("no files given and the bundled sample is not found")?]
    } else {
        files.to_vec()
    };
    let t = super::load(&files, load)?;
    let n = crate::linking::backend::parquet::export_dataset(&t.df, out_dir)?;
    eprintln!("wrote {n} records to {} (hive-partitioned by day)", out_dir.display());
    Ok(())
}
