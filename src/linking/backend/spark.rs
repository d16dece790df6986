//! [`SqlEngine`] over Spark Connect: Apache Spark or Sail hold the data, only aggregates come back.
//!
//! `logs` is a session-local temporary view over the user's table (a catalog name or
//! ``parquet.`PATH` ``), created once when the engine connects. The planner's SQL then runs
//! unchanged; the alternative, rewriting `logs` inside every query, would mean parsing SQL.
use super::{BackendError, Dialect, SqlEngine};
use crate::data::spark::{ConnectUrl, SparkClient, SparkError, TableSource};
use polars::prelude::{DataFrame, Schema};
use std::path::Path;

/// The view name the planner's SQL reads.
pub const LOGS_VIEW: &str = "logs";

pub struct SparkEngine {
    client: SparkClient,
    source: TableSource,
    table: String,
}

impl SparkEngine {
    /// Connects to `url` (`sc://host:port[/;token=T]`) and makes `table` the session's `logs`.
    /// Blocks: call it on a worker thread.
    pub fn connect(url: &str, table: &str, token: Option<&str>) -> Result<Self, BackendError> {
        let mut url = ConnectUrl::parse(url).map_err(from_spark)?;
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            url.token = Some(token.to_string());
        }
        let source = TableSource::parse(table).map_err(from_spark)?;
        let client = SparkClient::connect(&url).map_err(from_spark)?;
        client.create_view(LOGS_VIEW, &source).map_err(|e| match e {
            SparkError::Server { target, message } => {
                BackendError::Other(format!("{target} cannot read table {table:?}: {message}"))
            }
            other => from_spark(other),
        })?;
        Ok(SparkEngine { client, source, table: table.to_string() })
    }

    /// Tables in the server's catalog, for a picker (connects without choosing a table).
    pub fn list_tables(url: &str, token: Option<&str>) -> Result<Vec<String>, BackendError> {
        let mut url = ConnectUrl::parse(url).map_err(from_spark)?;
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            url.token = Some(token.to_string());
        }
        SparkClient::connect(&url).and_then(|c| c.list_tables()).map_err(from_spark)
    }

    pub fn source(&self) -> &TableSource {
        &self.source
    }
}

impl SqlEngine for SparkEngine {
    fn describe(&self) -> String {
        format!("spark {} {}", self.client.target(), self.table)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Spark
    }

    fn schema(&self) -> Result<Schema, BackendError> {
        let sql = format!("SELECT * FROM {LOGS_VIEW} LIMIT 0");
        let df = self.query(&sql, "schema")?;
        Ok(df.schema().as_ref().clone())
    }

    fn query(&self, sql: &str, tag: &str) -> Result<DataFrame, BackendError> {
        self.client.sql(sql, tag).map_err(|e| match e {
            SparkError::Server { target, message } => BackendError::Query {
                engine: format!("spark {target}"),
                sql: sql.to_string(),
                reason: message,
            },
            other => from_spark(other),
        })
    }

    fn cancel(&self, tag: &str) {
        // Fire and forget: the coordinator cancels from the UI thread.
        drop(self.client.interrupt_tag(tag));
    }

    fn write_parquet(&self, sql: &str, out_dir: &Path, partition_by: &[&str]) -> Result<u64, BackendError> {
        let path = out_dir.to_str().ok_or_else(|| {
            BackendError::Other(format!("{} is not UTF-8; Spark paths are strings", out_dir.display()))
        })?;
        let write_err = |e: SparkError| match e {
            SparkError::Server { target, message } => BackendError::Query {
                engine: format!("spark {target}"),
                sql: sql.to_string(),
                reason: format!("writing Parquet to {path}: {message}"),
            },
            other => from_spark(other),
        };
        self.client.write_parquet(sql, path, partition_by, "write").map_err(write_err)?;
        // Rows written, counted where they now are (the write command itself reports none).
        let written = "brushfire_written";
        self.client.create_view(written, &TableSource::Parquet(path.to_string())).map_err(write_err)?;
        let df =
            self.client.sql(&format!("SELECT count(*) AS n FROM {written}"), "write").map_err(write_err)?;
        let n = df
            .column("n")
            .ok()
            .and_then(|c| c.cast(&polars::prelude::DataType::UInt64).ok())
            .and_then(|c| c.u64().ok().and_then(|c| c.get(0)))
            .ok_or_else(|| {
                BackendError::Other(format!("{path} was written but its rows could not be counted"))
            })?;
        Ok(n)
    }
}

fn from_spark(e: SparkError) -> BackendError {
    match e {
        SparkError::Cancelled => BackendError::Cancelled,
        SparkError::Connect { target, reason } => BackendError::Connect { target, reason },
        other => BackendError::Other(other.to_string()),
    }
}
