//! `--spark URL --table NAME [--token T]`: the command line's way to a Spark Connect engine.
use crate::linking::backend::{spark::SparkEngine, SqlEngine};
use anyhow::{Context, Result};
use clap::Args;

#[derive(Args, Debug, Clone, Default)]
pub struct SparkArgs {
    /// Spark Connect server holding the data, e.g. sc://127.0.0.1:15002 (Apache Spark or Sail).
    #[arg(long, value_name = "sc://HOST:PORT", requires = "table")]
    pub spark: Option<String>,
    /// The server's table to call `logs`: a catalog name or parquet.`PATH` (a path the server reads).
    #[arg(long, value_name = "NAME", requires = "spark")]
    pub table: Option<String>,
    /// Bearer token for the server; sent over TLS to any machine but this one (see `use_ssl` in the URL).
    #[arg(long, requires = "spark")]
    pub token: Option<String>,
}

/// The engine `--spark` names, connected with `--table` as `logs`; `None` without `--spark`.
pub fn spark_engine_from_args(args: &SparkArgs) -> Result<Option<Box<dyn SqlEngine>>> {
    let (Some(url), Some(table)) = (&args.spark, &args.table) else { return Ok(None) };
    let engine = SparkEngine::connect(url, table, args.token.as_deref())
        // The URL as typed may hold `;token=`: never echo it.
        .with_context(|| format!("--spark {} --table {table}", crate::data::spark::url::redact(url)))?;
    Ok(Some(Box::new(engine)))
}
