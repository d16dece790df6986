//! The seam between the linked views and whatever holds the data (issue #12).
//!
//! The in-memory engine (`linking::engine`) answers needs from one table in RAM. A lake backend
//! instead sends each need, plus the other views' clauses, to a SQL engine that already holds the
//! data (polars lazy scans over Parquet, Apache Spark via Spark Connect), and only aggregates come
//! back. [`SqlEngine`] is what such an engine must offer; the pushdown planner writes the SQL.

pub mod chunks;
pub mod clean_sql;
mod complement;
mod cube_builder;
mod cube_part;
pub mod cube_store;
pub mod cube_warm;
pub mod export;
pub mod lake_cube;
pub mod parquet;
pub mod pushdown;
pub mod sql;
pub mod subset;
pub mod testing;

use polars::prelude::{DataFrame, Schema};
use std::path::Path;

pub mod spark;

/// The few places where the SQL the planner writes differs between engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// polars' SQL (`polars::sql::SQLContext`).
    Polars,
    /// Spark SQL, as spoken by Apache Spark and by Sail over Spark Connect.
    Spark,
}

/// Why a backend could not answer.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("query failed on {engine}: {reason}\n  query: {sql}")]
    Query { engine: String, sql: String, reason: String },
    #[error("cancelled")]
    Cancelled,
    /// A result over the bound its view can use (a link graph's pairs): nothing of it is kept.
    #[error(
        "more than {} distinct {what} pass the other views' filters, too many to draw: click a \
         value or brush a time range in another view to narrow them",
        crate::data::numbers::thousands(*.bound as i64)
    )]
    TooMany { what: String, bound: usize },
    #[error(transparent)]
    Polars(#[from] polars::prelude::PolarsError),
    #[error("{0}")]
    Other(String),
}

/// A SQL engine holding the table `logs`. Implementations must be callable from plain worker
/// threads (never the UI thread) and answer with small tables: the planner only sends aggregates
/// and bounded record pages.
pub trait SqlEngine: Send + Sync {
    /// For messages and the status line, e.g. `parquet /data/flows` or `spark sc://127.0.0.1:15002`.
    fn describe(&self) -> String;
    fn dialect(&self) -> Dialect;
    /// Column names and types of `logs`.
    fn schema(&self) -> Result<Schema, BackendError>;
    /// Runs one query over `logs`. `tag` names the operation so that [`SqlEngine::cancel`] from
    /// another thread can stop it (Spark Connect operation tags); the call then returns
    /// [`BackendError::Cancelled`].
    fn query(&self, sql: &str, tag: &str) -> Result<DataFrame, BackendError>;
    /// Runs several queries over `logs`, answering each as [`SqlEngine::query`] would, in order.
    /// An engine on this machine runs them as one plan: each file is read once for all of them
    /// (after a treemap click over 100 M flows, the time series' and a list's queries took 3.4 s
    /// one after the other, 2.4 s as one plan).
    fn query_many(&self, sqls: &[String], tag: &str) -> Result<Vec<DataFrame>, BackendError> {
        sqls.iter().map(|sql| self.query(sql, tag)).collect()
    }
    /// Stops every running query with this tag; a no-op when none runs.
    fn cancel(&self, tag: &str);
    /// Writes the result of `sql` as a new Parquet dataset at `out_dir`, hive-partitioned by the
    /// given columns, where the data lives (never over the source). Returns the rows written.
    fn write_parquet(&self, sql: &str, out_dir: &Path, partition_by: &[&str]) -> Result<u64, BackendError>;
    /// Whether the views' queries should run side by side. A remote engine overlaps their waits;
    /// an engine on this machine already uses every core for one query, and running several at once
    /// only adds their memory together.
    fn concurrent_queries(&self) -> bool {
        true
    }
    /// Conditions that split `logs` into chunks, each read from its own files (whole partitions of
    /// a hive-partitioned lake), so that a large group-by can run a chunk at a time and hold one
    /// chunk's table. Empty when the engine has no such split.
    fn splits(&self) -> Vec<Split> {
        Vec::new()
    }
    /// What identifies the data `logs` holds right now, for results kept between sessions
    /// (`cube_store`): for files, every file's path, size and modification time. `None` when the
    /// engine cannot tell (a cluster's table may change at any time): nothing is kept then.
    fn fingerprint(&self) -> Option<String> {
        None
    }
}

/// One chunk of `logs` ([`SqlEngine::splits`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The condition that selects the chunk's records (and reads only its files).
    pub cond: String,
    /// The chunk's part of the lake's bytes (0..=1): what a group-by over the chunks read so far
    /// tells of the whole.
    pub share: f64,
}

/// SQL as typed by a person (CLI `query`, the SQL console), made ready for the engine: polars gets
/// Brushfire's usual case-insensitive identifiers; Spark SQL is already case-insensitive and keeps
/// its backticks.
pub fn engine_sql(engine: &dyn SqlEngine, sql: &str) -> String {
    match engine.dialect() {
        Dialect::Polars => crate::data::sql::normalize_sql(sql),
        Dialect::Spark => sql.trim().trim_end_matches(';').to_string(),
    }
}

/// Runs `sql` on a worker thread of the caller's, stopping it on the engine (by `tag`) as soon as
/// `cancel` is set: the caller's job stays cancellable even while a slow engine works.
pub fn query_cancellable(
    engine: &dyn SqlEngine,
    sql: &str,
    tag: &str,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<DataFrame, BackendError> {
    std::thread::scope(|s| {
        let h = s.spawn(|| engine.query(sql, tag));
        let mut sent = false;
        while !h.is_finished() {
            if !sent && cancel.load(std::sync::atomic::Ordering::Relaxed) {
                engine.cancel(tag);
                sent = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        h.join().unwrap_or_else(|_| Err(BackendError::Other("the query thread panicked".into())))
    })
}
