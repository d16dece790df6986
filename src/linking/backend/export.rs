//! The selection of a lake, exported: to the workstation (a bounded number of records, written
//! atomically with progress and cancel) or as a new Parquet dataset where the data lives.
use super::pushdown::labels_of;
use super::sql::{self, and_all, Conditions, DistinctLabels};
use super::{BackendError, SqlEngine};
use crate::linking::selection::Selection;

/// The records passing every clause of `sel`, as one query (exports). Prefix clauses are stated
/// through the field's distinct values, fetched here.
pub fn selection_sql(engine: &dyn SqlEngine, sel: &Selection) -> Result<String, BackendError> {
    let d = engine.dialect();
    let schema = engine.schema()?;
    let mut distinct = DistinctLabels::new();
    for f in sql::prefix_fields(sel) {
        let df =
            engine.query(&format!("SELECT DISTINCT {} AS k0 FROM logs", sql::ident(d, &f)), "selection")?;
        distinct.insert(f, labels_of(df.column("k0")?)?);
    }
    let c = Conditions { d, schema: &schema, distinct: &distinct };
    Ok(format!("SELECT * FROM logs WHERE {}", and_all(sel.clauses.values().map(|cl| c.clause(cl)))))
}

/// Exports the selection of a lake to the workstation: at most `row_bound` records, written
/// atomically in chunks with progress and cancel. Returns the records written and whether the
/// bound cut the selection short.
pub fn export_selection(
    engine: &dyn SqlEngine,
    sel: &Selection,
    format: crate::data::export::ExportFormat,
    target: &std::path::Path,
    row_bound: u64,
    done: &std::sync::atomic::AtomicU64,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<(u64, bool), BackendError> {
    let sql = format!("{} LIMIT {}", selection_sql(engine, sel)?, row_bound.saturating_add(1));
    let mut df = engine.query(&sql, "export")?;
    let cut = df.height() as u64 > row_bound;
    if cut {
        df = df.slice(0, row_bound as usize);
    }
    // A lake's partition column is not part of the records.
    if df.column(super::clean_sql::DAY).is_ok() {
        df = df.drop(super::clean_sql::DAY)?;
    }
    crate::data::export::export_atomic_chunked(&df, format, target, &[], done, cancel)
        .map_err(|e| BackendError::Other(e.to_string()))?;
    Ok((df.height() as u64, cut))
}

/// Exports the selection where the data lives: a new Parquet dataset at `out_dir`, by day.
pub fn export_selection_parquet(
    engine: &dyn SqlEngine,
    sel: &Selection,
    out_dir: &std::path::Path,
) -> Result<u64, BackendError> {
    let body = selection_sql(engine, sel)?;
    let schema = engine.schema()?;
    let d = engine.dialect();
    let cols: Vec<String> = schema
        .iter_names()
        .filter(|n| n.as_str() != super::clean_sql::DAY)
        .map(|n| sql::ident(d, n))
        .collect();
    if schema.get("time").is_some() {
        let sql = format!(
            "SELECT {}, {} AS {} FROM ({body}) AS s",
            cols.join(", "),
            super::clean_sql::day_expr(d),
            sql::ident(d, super::clean_sql::DAY)
        );
        engine.write_parquet(&sql, out_dir, &[super::clean_sql::DAY])
    } else {
        engine.write_parquet(&format!("SELECT {} FROM ({body}) AS s", cols.join(", ")), out_dir, &[])
    }
}
