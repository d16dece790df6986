//! Writing tables: CSV, Parquet, NDJSON. Always to a temporary file beside the target, renamed
//! into place at the end, so a reader never sees half a file and a cancelled export leaves nothing.
use super::error::{DataError, Result};
use super::text_column::as_logical_frame;
use polars::prelude::*;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Parquet,
    Ndjson,
}

impl ExportFormat {
    pub fn from_path(p: &Path) -> Option<Self> {
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "parquet" | "pq" => Some(Self::Parquet),
            "ndjson" | "jsonl" | "json" => Some(Self::Ndjson),
            _ => None,
        }
    }
    pub fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "parquet" => Some(Self::Parquet),
            "ndjson" | "json" | "jsonl" => Some(Self::Ndjson),
            _ => None,
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Parquet => "parquet",
            Self::Ndjson => "ndjson",
        }
    }
}

/// Writes `df` to any writer in the given format.
pub fn write_to(df: &mut DataFrame, format: ExportFormat, w: impl std::io::Write) -> PolarsResult<()> {
    let df = &mut as_logical_frame(df)?;
    match format {
        ExportFormat::Csv => CsvWriter::new(w).include_header(true).finish(df),
        ExportFormat::Parquet => ParquetWriter::new(w).finish(df).map(|_| ()),
        ExportFormat::Ndjson => JsonWriter::new(w).with_json_format(JsonFormat::JsonLines).finish(df),
    }
}

/// Atomic export. `inputs` are the files the table came from: they are never overwritten.
pub fn export_atomic(
    df: &mut DataFrame,
    format: ExportFormat,
    target: &Path,
    inputs: &[PathBuf],
) -> Result<()> {
    let done = std::sync::atomic::AtomicU64::new(0);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    export_atomic_chunked(df, format, target, inputs, &done, &cancel)
}

/// Rows per written chunk: progress and cancel are checked between chunks.
const CHUNK_ROWS: usize = 100_000;

/// Atomic export in chunks, with progress (rows written) and cancel. A cancelled export leaves no
/// file behind.
pub fn export_atomic_chunked(
    df: &DataFrame,
    format: ExportFormat,
    target: &Path,
    inputs: &[PathBuf],
    rows_done: &std::sync::atomic::AtomicU64,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<()> {
    use std::sync::atomic::Ordering;
    super::atomic::write_atomic(target, inputs, |w| {
        let n = df.height();
        let perr = |e: PolarsError| DataError::format(target, e.to_string());
        match format {
            ExportFormat::Parquet => {
                let schema = as_logical_frame(&df.head(Some(0))).map_err(perr)?.schema().clone();
                let mut bw = ParquetWriter::new(&mut *w).batched(&schema).map_err(perr)?;
                let mut off = 0;
                while off < n || off == 0 {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(DataError::Cancelled);
                    }
                    // The batched writer needs every column cut at the same rows; a loaded table's
                    // derived columns (one chunk) and parsed ones (a chunk per block) are not.
                    let mut chunk = as_logical_frame(&df.slice(off as i64, CHUNK_ROWS)).map_err(perr)?;
                    chunk.align_chunks();
                    bw.write_batch(&chunk).map_err(perr)?;
                    off += CHUNK_ROWS;
                    rows_done.store(off.min(n) as u64, Ordering::Relaxed);
                    if n == 0 {
                        break;
                    }
                }
                bw.finish().map_err(perr)?;
            }
            ExportFormat::Csv | ExportFormat::Ndjson => {
                let mut off = 0;
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(DataError::Cancelled);
                    }
                    let mut chunk = as_logical_frame(&df.slice(off as i64, CHUNK_ROWS)).map_err(perr)?;
                    match format {
                        ExportFormat::Csv => CsvWriter::new(&mut *w)
                            .include_header(off == 0)
                            .finish(&mut chunk)
                            .map_err(perr)?,
                        _ => JsonWriter::new(&mut *w)
                            .with_json_format(JsonFormat::JsonLines)
                            .finish(&mut chunk)
                            .map_err(perr)?,
                    }
                    off += CHUNK_ROWS;
                    rows_done.store(off.min(n) as u64, Ordering::Relaxed);
                    if off >= n {
                        break;
                    }
                }
            }
        }
        Ok(())
    })
}
