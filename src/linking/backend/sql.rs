//! SQL text for the pushdown planner, in both dialects: identifiers, literals, the time in
//! microseconds, measures, and the selection's clauses as WHERE conditions. Every condition is
//! null-safe (`COALESCE(.., FALSE)`), so a negated clause keeps the rows whose field is null, as
//! the in-memory engine does (a null is the label "(null)", which equals no other value).
use super::Dialect;
use crate::linking::index::NULL_LABEL;
use crate::linking::selection::{Clause, Pred, Selection, ViewId};
use polars::prelude::{DataType, Schema};
use std::collections::HashMap;

pub fn ident(d: Dialect, name: &str) -> String {
    match d {
        Dialect::Polars => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Spark => format!("`{}`", name.replace('`', "``")),
    }
}

pub fn string_lit(d: Dialect, s: &str) -> String {
    let s = s.replace('\'', "''");
    match d {
        // Spark string literals treat the backslash as an escape.
        Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\")),
        Dialect::Polars => format!("'{s}'"),
    }
}

/// The record time as microseconds since the epoch (NULL when the record has none).
pub fn time_us(d: Dialect) -> String {
    match d {
        Dialect::Polars => format!("CAST({} AS BIGINT)", ident(d, "time")),
        Dialect::Spark => format!("unix_micros({})", ident(d, "time")),
    }
}

/// A record's time bin as its offset (µs) from `origin_us`, bins `width_us` wide. The origin must lie
/// at or before every time: offsets are then never negative, so SQL's truncating `%` floors.
pub fn time_bin(d: Dialect, origin_us: i64, width_us: i64) -> String {
    let off = format!("({} - {origin_us})", time_us(d));
    format!("{off} - ({off} % {width_us})")
}

/// A measure as a per-record weight: "count" is 1, "bytes" and "packets" add both directions,
/// any other numeric column is itself; nulls weigh 0. A missing column counts records, as the
/// in-memory index does.
pub fn weight(d: Dialect, schema: &Schema, measure: &str) -> String {
    let cols: Vec<&str> = match measure {
        "count" => vec![],
        "bytes" => vec!["bytes_sent", "bytes_received"],
        "packets" => vec!["packets_sent", "packets_received"],
        other => vec![other],
    };
    let present: Vec<String> = cols
        .iter()
        .filter(|c| schema.get(c).is_some())
        .map(|c| format!("COALESCE(CAST({} AS BIGINT), 0)", ident(d, c)))
        .collect();
    if present.is_empty() {
        "1".into()
    } else {
        format!("({})", present.join(" + "))
    }
}

/// Distinct labels of a field, for clauses that SQL cannot state portably (IP prefixes), with the
/// labels in each prefix stated so far. A request renders a clause a dozen times or more (each
/// view's query, the batch, the subset's columns, an exclusion's two queries); testing the 114 k
/// addresses of a 100 M-flow lake against a /16 each time took 0.3-0.5 s of a treemap click.
#[derive(Default)]
pub struct DistinctLabels {
    labels: HashMap<String, Vec<String>>,
    in_prefix: std::sync::Mutex<HashMap<(String, String), PrefixLabels>>,
}

/// The labels of one field in one prefix.
type PrefixLabels = std::sync::Arc<Vec<String>>;

impl DistinctLabels {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains_key(&self, field: &str) -> bool {
        self.labels.contains_key(field)
    }

    pub fn insert(&mut self, field: String, labels: Vec<String>) {
        if let Ok(m) = self.in_prefix.get_mut() {
            m.retain(|(f, _), _| *f != field);
        }
        self.labels.insert(field, labels);
    }

    /// The labels of `field` in `prefix` (what is no address for [`crate::data::net::NON_IP`]),
    /// in the labels' order; tested once per field and prefix.
    pub fn in_prefix(&self, field: &str, prefix: &str) -> PrefixLabels {
        let key = (field.to_string(), prefix.to_string());
        if let Some(hit) = self.in_prefix.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let labels = self.labels.get(field).map(Vec::as_slice).unwrap_or(&[]);
        let hits: Vec<String> = if prefix == crate::data::net::NON_IP {
            labels.iter().filter(|l| crate::data::net::parse_ip(l).is_none()).cloned().collect()
        } else {
            match crate::data::net::parse_prefix(prefix) {
                Some(net) => labels
                    .iter()
                    .filter(|l| {
                        crate::data::net::parse_ip(l)
                            .is_some_and(|a| crate::data::net::addr_in_prefix(a, net))
                    })
                    .cloned()
                    .collect(),
                None => Vec::new(),
            }
        };
        let hits = std::sync::Arc::new(hits);
        if let Ok(mut m) = self.in_prefix.lock() {
            m.insert(key, hits.clone());
        }
        hits
    }
}

/// Conditions over one table schema in one dialect.
pub struct Conditions<'a> {
    pub d: Dialect,
    pub schema: &'a Schema,
    /// Labels of the fields that prefix clauses name (see [`prefix_fields`]).
    pub distinct: &'a DistinctLabels,
}

impl Conditions<'_> {
    fn eq(&self, field: &str, value: &str) -> String {
        let f = ident(self.d, field);
        let dt = self.schema.get(field).cloned().unwrap_or(DataType::String);
        let is_null = value == NULL_LABEL;
        let cond = if dt.is_integer() {
            match value.parse::<i64>() {
                Ok(v) => format!("{f} = {v}"),
                Err(_) if is_null => format!("{f} IS NULL"),
                Err(_) => "FALSE".into(),
            }
        } else if matches!(dt, DataType::String) {
            let c = format!("{f} = {}", string_lit(self.d, value));
            if is_null {
                format!("({c} OR {f} IS NULL)")
            } else {
                c
            }
        } else {
            let c = format!("CAST({f} AS STRING) = {}", string_lit(self.d, value));
            if is_null {
                format!("({c} OR {f} IS NULL)")
            } else {
                c
            }
        };
        format!("COALESCE({cond}, FALSE)")
    }

    fn pred(&self, p: &Pred) -> String {
        match p {
            Pred::Eq { field, value } => self.eq(field, value),
            Pred::InPrefix { field, prefix } => {
                let hits = self.distinct.in_prefix(field, prefix);
                let text = matches!(self.schema.get(field), Some(DataType::String) | None);
                if hits.is_empty() {
                    "FALSE".into()
                } else if text && hits.len() > 1 {
                    // One set test, not an OR per address: a /16 of a 100 M-flow lake holds tens of
                    // thousands, and polars evaluated every branch of such a chain (it ran out of
                    // memory at 24 GB).
                    let (nulls, vals): (Vec<&String>, Vec<&String>) =
                        hits.iter().partition(|l| **l == NULL_LABEL);
                    let f = ident(self.d, field);
                    let mut alts = Vec::new();
                    if !vals.is_empty() {
                        let lits: Vec<String> = vals.iter().map(|l| string_lit(self.d, l)).collect();
                        alts.push(format!("COALESCE({f} IN ({}), FALSE)", lits.join(", ")));
                    }
                    if !nulls.is_empty() {
                        alts.push(self.eq(field, NULL_LABEL));
                    }
                    format!("({})", alts.join(" OR "))
                } else {
                    let eqs: Vec<String> = hits.iter().map(|l| self.eq(field, l)).collect();
                    format!("({})", eqs.join(" OR "))
                }
            }
            Pred::Range { field, min, max } => {
                let f = ident(self.d, field);
                let dt = self.schema.get(field).cloned().unwrap_or(DataType::String);
                let num = if dt.is_primitive_numeric() {
                    format!("CAST({f} AS DOUBLE)")
                } else {
                    format!("TRY_CAST({f} AS DOUBLE)")
                };
                format!("COALESCE({num} >= {min:?} AND {num} <= {max:?}, FALSE)")
            }
        }
    }

    pub fn clause(&self, c: &Clause) -> String {
        match c {
            Clause::Time { start_us, end_us } => self.time_window(*start_us, *end_us),
            Clause::Match { any_of, negate } => {
                let alts: Vec<String> = any_of
                    .iter()
                    .map(|conj| {
                        if conj.is_empty() {
                            "TRUE".to_string()
                        } else {
                            format!(
                                "({})",
                                conj.iter().map(|p| self.pred(p)).collect::<Vec<_>>().join(" AND ")
                            )
                        }
                    })
                    .collect();
                let hit =
                    if alts.is_empty() { "FALSE".to_string() } else { format!("({})", alts.join(" OR ")) };
                if *negate {
                    format!("(NOT {hit})")
                } else {
                    hit
                }
            }
        }
    }

    /// Records with a time in `[start, end)`; records without a time are in no window (the
    /// `IS NOT NULL` makes it null-safe without a `COALESCE`, which would hide the bounds from
    /// the engine's statistics).
    pub fn time_window(&self, start_us: i64, end_us: i64) -> String {
        format!(
            "({} IS NOT NULL AND {} AND {})",
            ident(self.d, "time"),
            self.time_cmp(">=", start_us),
            self.time_cmp("<", end_us)
        )
    }

    /// `time <op> t_us`. Over polars a UTC microsecond column is compared with a timestamp
    /// literal, not cast to a number per record: the engine can then skip Parquet row groups and
    /// files by their statistics (a day-partitioned lake read for a one-day brush reads one day).
    pub fn time_cmp(&self, op: &str, t_us: i64) -> String {
        let native = self.d == Dialect::Polars
            && matches!(
                self.schema.get("time"),
                Some(DataType::Datetime(polars::prelude::TimeUnit::Microseconds, tz))
                    if tz.as_ref().is_none_or(|z| *z == polars::prelude::TimeZone::UTC)
            );
        match chrono::DateTime::from_timestamp_micros(t_us).filter(|_| native) {
            Some(t) => format!("{} {op} '{}'", ident(self.d, "time"), t.format("%Y-%m-%d %H:%M:%S%.6f")),
            None => format!("{} {op} {t_us}", time_us(self.d)),
        }
    }

    /// The filter of `view`'s main histogram: every clause but its own (crossfilter).
    pub fn others(&self, sel: &Selection, view: ViewId) -> String {
        and_all(sel.others(view).map(|(_, c)| self.clause(c)))
    }

    /// The time brush among the clauses but the view's own: what a row the windowed prefilter
    /// lets through must still meet to count in the main histogram.
    pub fn others_time_only(&self, sel: &Selection, view: ViewId) -> String {
        and_all(
            sel.others(view).filter(|(_, c)| matches!(c, Clause::Time { .. })).map(|(_, c)| self.clause(c)),
        )
    }

    /// The filter of a comparison window: every clause but the view's own and the time brush,
    /// which the window replaces.
    pub fn others_but_time(&self, sel: &Selection, view: ViewId) -> String {
        and_all(
            sel.others(view).filter(|(_, c)| !matches!(c, Clause::Time { .. })).map(|(_, c)| self.clause(c)),
        )
    }
}

pub fn and_all(parts: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = parts.collect();
    if v.is_empty() {
        "TRUE".into()
    } else {
        v.join(" AND ")
    }
}

/// Fields named by prefix predicates in the selection (their labels must be known to state them).
pub fn prefix_fields(sel: &Selection) -> Vec<String> {
    let mut out = Vec::new();
    for c in sel.clauses.values() {
        if let Clause::Match { any_of, .. } = c {
            for p in any_of.iter().flatten() {
                if let Pred::InPrefix { field, .. } = p {
                    if !out.contains(field) {
                        out.push(field.clone());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_escaped_per_dialect() {
        assert_eq!(string_lit(Dialect::Polars, "it's"), "'it''s'");
        assert_eq!(string_lit(Dialect::Spark, r"a\b'"), r"'a\\b'''");
        assert_eq!(ident(Dialect::Spark, "dst_port"), "`dst_port`");
        assert_eq!(ident(Dialect::Polars, "dst_port"), "\"dst_port\"");
    }

    #[test]
    fn time_bounds_are_plain_comparisons_the_engine_can_use_on_statistics() {
        let distinct = DistinctLabels::new();
        let utc: Schema = [("time".into(), crate::data::table::time_dtype())].into_iter().collect();
        let c = Conditions { d: Dialect::Polars, schema: &utc, distinct: &distinct };
        assert_eq!(c.time_cmp("<", 1_365_379_199_969_835), "\"time\" < '2013-04-07 23:59:59.969835'");
        assert_eq!(c.time_cmp(">=", -1), "\"time\" >= '1969-12-31 23:59:59.999999'");
        assert_eq!(
            c.time_window(0, 1),
            "(\"time\" IS NOT NULL AND \"time\" >= '1970-01-01 00:00:00.000000' AND \"time\" < '1970-01-01 00:00:00.000001')"
        );
        // Another unit, and Spark: the time as a number of microseconds, as before.
        let ns: Schema = [("time".into(), DataType::Datetime(polars::prelude::TimeUnit::Nanoseconds, None))]
            .into_iter()
            .collect();
        let c = Conditions { d: Dialect::Polars, schema: &ns, distinct: &distinct };
        assert_eq!(c.time_cmp("<", 5), "CAST(\"time\" AS BIGINT) < 5");
        let c = Conditions { d: Dialect::Spark, schema: &utc, distinct: &distinct };
        assert_eq!(
            c.time_window(1, 2),
            "(`time` IS NOT NULL AND unix_micros(`time`) >= 1 AND unix_micros(`time`) < 2)"
        );
    }

    #[test]
    fn null_label_and_integer_fields_compare_as_the_engine_does() {
        let schema: Schema =
            [("dst_port".into(), DataType::Int32), ("proto".into(), DataType::String)].into_iter().collect();
        let distinct = DistinctLabels::new();
        let c = Conditions { d: Dialect::Polars, schema: &schema, distinct: &distinct };
        assert_eq!(c.eq("dst_port", "80"), "COALESCE(\"dst_port\" = 80, FALSE)");
        assert_eq!(c.eq("dst_port", "http"), "COALESCE(FALSE, FALSE)");
        assert_eq!(c.eq("dst_port", "(null)"), "COALESCE(\"dst_port\" IS NULL, FALSE)");
        assert!(c.eq("proto", "(null)").contains("IS NULL"));
    }

    #[test]
    fn a_prefix_is_one_set_test_over_its_addresses() {
        let schema: Schema = [("dst_ip".into(), DataType::String)].into_iter().collect();
        let mut distinct = DistinctLabels::new();
        let labels = ["10.0.0.1", "10.0.0.2", "10.1.0.1", "(null)", "o'brien"];
        distinct.insert("dst_ip".into(), labels.iter().map(|s| s.to_string()).collect());
        let c = Conditions { d: Dialect::Polars, schema: &schema, distinct: &distinct };
        let p = |prefix: &str| c.pred(&Pred::InPrefix { field: "dst_ip".into(), prefix: prefix.into() });
        assert_eq!(p("10.0.0.0/24"), "(COALESCE(\"dst_ip\" IN ('10.0.0.1', '10.0.0.2'), FALSE))");
        // One address: a plain comparison; none: false.
        assert_eq!(p("10.1.0.0/16"), "(COALESCE(\"dst_ip\" = '10.1.0.1', FALSE))");
        assert_eq!(p("192.168.0.0/16"), "FALSE");
        // Labels read again (another lake's) are tested again, not the ones remembered.
        let mut again = DistinctLabels::new();
        again.insert("dst_ip".into(), vec!["10.0.0.1".into()]);
        assert_eq!(again.in_prefix("dst_ip", "10.0.0.0/24").len(), 1);
        again.insert("dst_ip".into(), vec!["10.0.0.1".into(), "10.0.0.9".into()]);
        assert_eq!(*again.in_prefix("dst_ip", "10.0.0.0/24"), ["10.0.0.1", "10.0.0.9"]);
        // What is no address: the text (escaped), and the null label with the nulls.
        assert_eq!(
            p(crate::data::net::NON_IP),
            "(COALESCE(\"dst_ip\" IN ('o''brien'), FALSE) OR COALESCE((\"dst_ip\" = '(null)' OR \"dst_ip\" IS NULL), FALSE))"
        );
    }
}
