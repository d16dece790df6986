//! Cleaning where the data lives: a recipe (`data::clean::recipe`) compiled to one SQL query in
//! either dialect, whose result the engine writes as a new dataset partitioned by day beside the
//! source. Each step is a derived table over the previous one; the semantics are those of
//! `data::clean::apply` (the equivalence is tested on the sample).
use super::sql::{ident, string_lit};
use super::{BackendError, Dialect, SqlEngine};
use crate::data::clean::apply::PAIRS;
use crate::data::clean::recipe::{Recipe, Step};
use polars::prelude::{DataType, Schema};
use std::path::Path;

/// The partition column written by cleaning and `export-parquet`.
pub const DAY: &str = "day";

fn need(schema: &Schema, c: &str) -> Result<(), BackendError> {
    match schema.get(c) {
        Some(_) => Ok(()),
        None => Err(BackendError::Other(format!("this data has no '{c}' column"))),
    }
}

/// Text of a column, as `apply` compares values ("compared as text").
fn as_text(d: Dialect, schema: &Schema, c: &str) -> String {
    match schema.get(c) {
        Some(DataType::String) => ident(d, c),
        _ => format!("CAST({} AS STRING)", ident(d, c)),
    }
}

fn in_list(d: Dialect, values: &[String]) -> String {
    values.iter().map(|v| string_lit(d, v)).collect::<Vec<_>>().join(", ")
}

/// One SQL query giving the cleaned records (without the day partition column).
pub fn recipe_sql(recipe: &Recipe, schema: &Schema, d: Dialect) -> Result<String, BackendError> {
    recipe.validate().map_err(|e| BackendError::Other(e.to_string()))?;
    let columns: Vec<String> = schema.iter_names().map(|n| n.to_string()).filter(|n| n != DAY).collect();
    let all = || columns.iter().map(|c| ident(d, c)).collect::<Vec<_>>();
    let mut sql = format!("SELECT {} FROM logs", all().join(", "));
    for (i, step) in recipe.steps.iter().enumerate() {
        let from = format!("({sql}) AS s{i}");
        sql = match step {
            Step::RepairInverted { service_ports, min_dst_port_exclusive, .. } => {
                need(schema, "src_port")?;
                need(schema, "dst_port")?;
                let ports = service_ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
                let flip = format!(
                    "COALESCE(CAST({} AS INT) IN ({ports}) AND CAST({} AS INT) > {min_dst_port_exclusive}, FALSE)",
                    ident(d, "src_port"),
                    ident(d, "dst_port")
                );
                let cols: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let pair = PAIRS.iter().find_map(|(a, b)| {
                            let other = if c == a {
                                Some(*b)
                            } else if c == b {
                                Some(*a)
                            } else {
                                None
                            }?;
                            schema.get(other).is_some().then_some(other)
                        });
                        match pair {
                            Some(other) => {
                                let same = schema.get(c) == schema.get(other);
                                let (x, y) = if same {
                                    (ident(d, other), ident(d, c))
                                } else {
                                    (as_text(d, schema, other), as_text(d, schema, c))
                                };
                                format!("CASE WHEN {flip} THEN {x} ELSE {y} END AS {}", ident(d, c))
                            }
                            None => ident(d, c),
                        }
                    })
                    .collect();
                format!("SELECT {} FROM {from}", cols.join(", "))
            }
            Step::NullPortsNonTcpUdp => {
                for c in ["src_port", "dst_port", "proto"] {
                    need(schema, c)?;
                }
                let p = as_text(d, schema, "proto");
                let null = format!(
                    "({p} IS NOT NULL AND LOWER({p}) NOT IN ('tcp', 'udp') AND ({} IS NOT NULL OR {} IS NOT NULL))",
                    ident(d, "src_port"),
                    ident(d, "dst_port")
                );
                let cols: Vec<String> = columns
                    .iter()
                    .map(|c| match c.as_str() {
                        "src_port" | "dst_port" => format!(
                            "CASE WHEN {null} THEN CAST(NULL AS INT) ELSE CAST({} AS INT) END AS {}",
                            ident(d, c),
                            ident(d, c)
                        ),
                        _ => ident(d, c),
                    })
                    .collect();
                format!("SELECT {} FROM {from}", cols.join(", "))
            }
            Step::ExcludeScanners { src_ips } => {
                need(schema, "src_ip")?;
                format!(
                    "SELECT * FROM {from} WHERE NOT COALESCE({} IN ({}), FALSE)",
                    as_text(d, schema, "src_ip"),
                    in_list(d, src_ips)
                )
            }
            Step::ExcludeValues { field, values } => {
                need(schema, field)?;
                format!(
                    "SELECT * FROM {from} WHERE NOT COALESCE({} IN ({}), FALSE)",
                    as_text(d, schema, field),
                    in_list(d, values)
                )
            }
            Step::Filter { sql_where } => format!("SELECT * FROM {from} WHERE {sql_where}"),
        };
    }
    Ok(sql)
}

/// The day of a record's time (UTC), the partition key.
pub fn day_expr(d: Dialect) -> String {
    match d {
        Dialect::Polars => format!("STRFTIME({}, '%Y-%m-%d')", ident(d, "time")),
        Dialect::Spark => format!("date_format({}, 'yyyy-MM-dd')", ident(d, "time")),
    }
}

/// Applies `recipe` where the data lives and writes the result as a new dataset at `out_dir`,
/// partitioned by day when the records have a time. Returns the records written.
pub fn clean_lake(engine: &dyn SqlEngine, recipe: &Recipe, out_dir: &Path) -> Result<u64, BackendError> {
    let schema = engine.schema()?;
    let d = engine.dialect();
    let body = recipe_sql(recipe, &schema, d)?;
    if schema.get("time").is_some() {
        let sql = format!("SELECT *, {} AS {} FROM ({body}) AS cleaned", day_expr(d), ident(d, DAY));
        engine.write_parquet(&sql, out_dir, &[DAY])
    } else {
        engine.write_parquet(&body, out_dir, &[])
    }
}
