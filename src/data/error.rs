//! Errors of the data layer. Every message names the file (and line where there is one).
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{path}:{line}: {reason}")]
    Line { path: PathBuf, line: u64, reason: String },
    #[error("{0}")]
    Polars(#[from] polars::prelude::PolarsError),
    #[error("SQL: {0}")]
    Sql(String),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Other(String),
}

impl DataError {
    pub fn format(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        DataError::Format { path: path.into(), reason: reason.into() }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io { path: path.into(), source }
    }
}

pub type Result<T> = std::result::Result<T, DataError>;
