//! Applies cleaning steps to a polars table. Used by the GUI workbench and `brushfire clean`, so a
//! recipe saved in one replays exactly in the other.
use super::flow_repair::{
    flag_inverted, port0_non_tcp_udp, port_evidence, FlowCols, PortEvidence, RepairRule,
};
use super::recipe::{Recipe, Step};
use super::scanners::{detect_scanners, ScanCols, ScanParams, ScannerEvidence};
use crate::data::error::{DataError, Result};
use polars::prelude::*;

/// Fields swapped together when a flow is turned around.
pub const PAIRS: [(&str, &str); 5] = [
    ("src_ip", "dst_ip"),
    ("src_port", "dst_port"),
    ("src_payload_bytes", "dst_payload_bytes"),
    ("bytes_sent", "bytes_received"),
    ("packets_sent", "packets_received"),
];

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    pub step: String,
    pub rows_changed: usize,
    pub rows_before: usize,
    pub rows_after: usize,
}

impl std::fmt::Display for StepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.rows_before != self.rows_after {
            write!(
                f,
                "{}: removed {} of {} records",
                self.step,
                self.rows_before - self.rows_after,
                self.rows_before
            )
        } else {
            write!(f, "{}: {} records changed", self.step, self.rows_changed)
        }
    }
}

fn ports(df: &DataFrame, name: &str) -> Result<Vec<Option<i32>>> {
    let c = df.column(name).map_err(|_| DataError::Other(format!("this data has no '{name}' column")))?;
    let s = c.as_materialized_series().cast(&DataType::Int32)?;
    Ok(s.i32()?.iter().collect())
}

fn strings(df: &DataFrame, name: &str) -> Result<StringChunked> {
    let c = df.column(name).map_err(|_| DataError::Other(format!("this data has no '{name}' column")))?;
    Ok(c.as_materialized_series().cast(&DataType::String)?.str()?.clone())
}

/// Mask of rows the rule flags as inverted.
pub fn inverted_mask(df: &DataFrame, rule: &RepairRule) -> Result<Vec<bool>> {
    let sp = ports(df, "src_port")?;
    let dp = ports(df, "dst_port")?;
    let proto: Vec<Option<&str>> = vec![None; sp.len()];
    Ok(flag_inverted(&FlowCols { src_port: &sp, dst_port: &dp, proto: &proto, excluded: None }, rule))
}

/// Port usage evidence (scanner rows left out when given).
pub fn evidence(df: &DataFrame, scanners: &[String], top: usize) -> Result<Vec<PortEvidence>> {
    let sp = ports(df, "src_port")?;
    let dp = ports(df, "dst_port")?;
    let proto_ca = strings(df, "proto").ok();
    let proto: Vec<Option<&str>> = match &proto_ca {
        Some(ca) => ca.iter().collect(),
        None => vec![None; sp.len()],
    };
    let excluded: Option<Vec<bool>> = if scanners.is_empty() {
        None
    } else {
        let src = strings(df, "src_ip")?;
        Some(src.iter().map(|s| s.is_some_and(|s| scanners.iter().any(|x| x == s))).collect())
    };
    Ok(port_evidence(
        &FlowCols { src_port: &sp, dst_port: &dp, proto: &proto, excluded: excluded.as_deref() },
        top,
    ))
}

pub fn scanners(df: &DataFrame, params: &ScanParams) -> Result<Vec<ScannerEvidence>> {
    let t = df.column("time")?.as_materialized_series().cast(&DataType::Int64)?;
    let time: Vec<i64> = t.i64()?.iter().map(|v| v.unwrap_or(i64::MIN)).collect();
    let src = strings(df, "src_ip")?;
    let dst = strings(df, "dst_ip")?;
    let src: Vec<&str> = src.iter().map(|s| s.unwrap_or("")).collect();
    let dst: Vec<&str> = dst.iter().map(|s| s.unwrap_or("")).collect();
    let dp = ports(df, "dst_port")?;
    Ok(detect_scanners(&ScanCols { time_us: &time, src_ip: &src, dst_ip: &dst, dst_port: &dp }, params))
}

/// The type two columns share when their values trade places: their own when equal; integers
/// stored in different narrow types (`data::compact`) their logical type; else text.
fn common_dtype(ta: &DataType, tb: &DataType) -> DataType {
    use crate::data::compact::logical_or_same;
    if ta == tb {
        return ta.clone();
    }
    match (logical_or_same(ta), logical_or_same(tb)) {
        (la, lb) if la == lb => la,
        (DataType::Int32 | DataType::Int64, DataType::Int32 | DataType::Int64) => DataType::Int64,
        _ => DataType::String,
    }
}

fn swap_rows(df: &DataFrame, mask: &[bool]) -> Result<DataFrame> {
    let flag = BooleanChunked::from_slice("__flip".into(), mask).into_series();
    let mut lf = df.clone().lazy().with_column(lit(flag).alias("__flip"));
    let mut exprs = Vec::new();
    for (a, b) in PAIRS {
        if df.column(a).is_ok() && df.column(b).is_ok() {
            let common = common_dtype(df.column(a)?.dtype(), df.column(b)?.dtype());
            exprs.push(
                when(col("__flip"))
                    .then(col(b).cast(common.clone()))
                    .otherwise(col(a).cast(common.clone()))
                    .alias(a),
            );
            exprs.push(
                when(col("__flip")).then(col(a).cast(common.clone())).otherwise(col(b).cast(common)).alias(b),
            );
        }
    }
    lf = lf.with_columns(exprs).drop(cols(["__flip"]));
    Ok(lf.collect()?)
}

/// Applies one step; returns the new table and a report.
pub fn apply_step(df: &DataFrame, step: &Step) -> Result<(DataFrame, StepReport)> {
    let before = df.height();
    let (out, changed, name) = match step {
        Step::RepairInverted { service_ports, min_dst_port_exclusive, preset } => {
            let rule = RepairRule {
                service_ports: service_ports.iter().copied().collect(),
                min_dst_port_exclusive: *min_dst_port_exclusive,
            };
            let mask = inverted_mask(df, &rule)?;
            let n = mask.iter().filter(|m| **m).count();
            let name = match preset {
                Some(p) => format!("repair inverted flows ({p})"),
                None => format!("repair inverted flows ({} service ports)", service_ports.len()),
            };
            (swap_rows(df, &mask)?, n, name)
        }
        Step::NullPortsNonTcpUdp => {
            let sp = ports(df, "src_port")?;
            let dp = ports(df, "dst_port")?;
            let pc = strings(df, "proto")?;
            let proto: Vec<Option<&str>> = pc.iter().collect();
            let mask =
                port0_non_tcp_udp(&FlowCols { src_port: &sp, dst_port: &dp, proto: &proto, excluded: None });
            let n = mask.iter().filter(|m| **m).count();
            let flag = BooleanChunked::from_slice("__null".into(), &mask).into_series();
            let out = df
                .clone()
                .lazy()
                .with_column(lit(flag).alias("__null"))
                .with_columns([
                    when(col("__null"))
                        .then(lit(NULL).cast(DataType::Int32))
                        .otherwise(col("src_port").cast(DataType::Int32))
                        .alias("src_port"),
                    when(col("__null"))
                        .then(lit(NULL).cast(DataType::Int32))
                        .otherwise(col("dst_port").cast(DataType::Int32))
                        .alias("dst_port"),
                ])
                .drop(cols(["__null"]))
                .collect()?;
            (out, n, "null ports of non-TCP/UDP records".to_string())
        }
        Step::ExcludeScanners { src_ips } => {
            let src = strings(df, "src_ip")?;
            let keep: BooleanChunked =
                src.iter().map(|s| !s.is_some_and(|s| src_ips.iter().any(|x| x == s))).collect();
            let out = df.filter(&keep)?;
            let n = before - out.height();
            (out, n, format!("exclude {} scanner(s)", src_ips.len()))
        }
        Step::ExcludeValues { field, values } => {
            let v = strings(df, field)?;
            let keep: BooleanChunked =
                v.iter().map(|s| !s.is_some_and(|s| values.iter().any(|x| x == s))).collect();
            let out = df.filter(&keep)?;
            let n = before - out.height();
            (out, n, format!("exclude {field} in {{{}}}", values.join(", ")))
        }
        Step::Filter { sql_where } => {
            let mut ctx = polars::sql::SQLContext::new();
            ctx.register("logs", df.clone().lazy());
            let q = format!("select * from logs where {sql_where}");
            let out =
                ctx.execute(&q).and_then(|lf| lf.collect()).map_err(|e| DataError::Sql(e.to_string()))?;
            let n = before - out.height();
            (out, n, format!("keep where {sql_where}"))
        }
    };
    let after = out.height();
    Ok((out, StepReport { step: name, rows_changed: changed, rows_before: before, rows_after: after }))
}

pub fn apply_recipe(df: &DataFrame, recipe: &Recipe) -> Result<(DataFrame, Vec<StepReport>)> {
    recipe.validate().map_err(|e| DataError::Other(e.to_string()))?;
    let mut cur = df.clone();
    let mut reports = Vec::new();
    for (i, s) in recipe.steps.iter().enumerate() {
        let (next, r) = apply_step(&cur, s).map_err(|e| DataError::Other(format!("step {}: {e}", i + 1)))?;
        cur = next;
        reports.push(r);
    }
    Ok((cur, reports))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn df() -> DataFrame {
        df!(
            "src_ip" => ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
            "dst_ip" => ["1.1.1.1", "2.2.2.2", "3.3.3.3"],
            "src_port" => [80i32, 5555, 0],
            "dst_port" => [40000i32, 443, 0],
            "proto" => ["tcp", "tcp", "icmp"],
            "bytes_sent" => [10i64, 20, 30],
            "bytes_received" => [1000i64, 2000, 3000]
        )
        .unwrap()
    }

    #[test]
    fn swapping_narrowed_ports_and_dictionary_addresses_keeps_numbers_and_text_codes() {
        use crate::data::text_column::{finish_text, TextPart};
        let text = |name: &str, v: &[&str]| {
            let parts = vec![TextPart::Other(v.iter().map(|s| Some(s.to_string())).collect())];
            finish_text(name.into(), parts, v.len(), true).unwrap().into_column()
        };
        let mut df = DataFrame::new(
            2,
            vec![
                text("src_ip", &["10.0.0.1", "10.0.0.2"]),
                text("dst_ip", &["8.8.8.8", "9.9.9.9"]),
                Column::new("src_port".into(), [4000i32, 53]),
                Column::new("dst_port".into(), [80i32, 41000]),
            ],
        )
        .unwrap();
        crate::data::compact::compact_integers(&mut df).unwrap();
        // As a loaded table keeps them: addresses in the table's own 2-byte dictionary.
        crate::data::table_dict::narrow_text(&mut df).unwrap();
        let addr_dtype = df.column("src_ip").unwrap().dtype().clone();
        assert!(crate::data::table_dict::is_table_dict(&addr_dtype));
        // One port column fits i16, the other needs u16.
        assert_ne!(df.column("src_port").unwrap().dtype(), df.column("dst_port").unwrap().dtype());
        let out = swap_rows(&df, &[false, true]).unwrap();
        for c in ["src_port", "dst_port"] {
            assert!(out.column(c).unwrap().dtype().is_integer(), "{c}: {:?}", out.column(c).unwrap().dtype());
        }
        for c in ["src_ip", "dst_ip"] {
            assert_eq!(out.column(c).unwrap().dtype(), &addr_dtype, "{c}");
        }
        let port =
            |c: &str, i: usize| out.column(c).unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().get(i);
        assert_eq!((port("src_port", 1), port("dst_port", 1)), (Some(41000), Some(53)));
        assert_eq!((port("src_port", 0), port("dst_port", 0)), (Some(4000), Some(80)));
        let ip = |c: &str, i: usize| {
            out.column(c).unwrap().cast(&DataType::String).unwrap().str().unwrap().get(i).map(str::to_string)
        };
        assert_eq!(
            (ip("src_ip", 1).as_deref(), ip("dst_ip", 1).as_deref()),
            (Some("9.9.9.9"), Some("10.0.0.2"))
        );
    }

    #[test]
    fn repair_swaps_every_pair_of_flagged_rows_only() {
        let r = super::super::recipe::preset("marty-vast2013").unwrap();
        let (out, reports) = apply_recipe(&df(), &r).unwrap();
        assert_eq!(reports[0].rows_changed, 1);
        let s = out.column("src_ip").unwrap().str().unwrap().clone();
        assert_eq!(s.get(0), Some("1.1.1.1"));
        assert_eq!(s.get(1), Some("10.0.0.2"));
        assert_eq!(out.column("src_port").unwrap().i32().unwrap().get(0), Some(40000));
        assert_eq!(out.column("bytes_sent").unwrap().i64().unwrap().get(0), Some(1000));
        // The ICMP row's ports are nulled by the second step.
        assert_eq!(reports[1].rows_changed, 1);
        assert_eq!(out.column("dst_port").unwrap().i32().unwrap().get(2), None);
    }

    #[test]
    fn exclude_and_filter() {
        let (out, r) =
            apply_step(&df(), &Step::ExcludeScanners { src_ips: vec!["10.0.0.2".into()] }).unwrap();
        assert_eq!(out.height(), 2);
        assert_eq!(r.rows_before - r.rows_after, 1);
        let (out, _) = apply_step(&df(), &Step::Filter { sql_where: "bytes_sent > 15".into() }).unwrap();
        assert_eq!(out.height(), 2);
    }
}
