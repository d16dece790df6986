//! A step's check: a condition on a plain-data snapshot of the app's state.
use crate::data::clean::recipe::Step as CleanStep;
use crate::data::Table;
use crate::linking::selection::{Clause, Pred, Selection};
use polars::prelude::*;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;

/// What a step asks of the app's state. Checks look at what the student did, never at which
/// view did it: a value selected in a top-N list, a treemap tile or a graph node counts the same.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// A filter selects exactly these values of `field` (or excludes them, when `exclude`).
    /// A treemap tile or graph edge that also names other fields counts too.
    Selection {
        field: String,
        values: Vec<String>,
        #[serde(default)]
        exclude: bool,
    },
    /// A time brush covers `from_hour`:00 to `to_hour`:00 UTC of one day (a weekday when
    /// `weekday`, on or after `not_before` when given) and is at most `max_hours` long.
    Time {
        from_hour: u32,
        to_hour: u32,
        max_hours: f64,
        #[serde(default)]
        weekday: bool,
        #[serde(default)]
        not_before: Option<String>,
    },
    /// The lesson's own query over `logs` (the current, cleaned table) or `selection` gives
    /// exactly these rows (cells as text).
    Sql { query: String, expect: Vec<Vec<String>> },
    /// The student's last result in the SQL console starts with these rows (first columns, as
    /// text); with `exact`, it is exactly these rows and columns.
    SqlResult {
        expect: Vec<Vec<String>>,
        #[serde(default)]
        exact: bool,
    },
    /// The cleaning recipe holds a step of this kind.
    Cleaned { step: String },
    /// The link graph shows these fields (source, [event,] target), with a property file whose
    /// name ends with `properties` when given.
    Graph {
        fields: Vec<String>,
        #[serde(default)]
        properties: Option<String>,
    },
    /// The treemap's levels.
    Treemap { levels: Vec<String> },
    /// A top-N list shows `field` from position `offset` + 1.
    TopN {
        field: String,
        #[serde(default)]
        offset: usize,
    },
    /// Every one of these.
    All { of: Vec<Check> },
}

impl Check {
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Check::Selection { field, values, .. } if field.is_empty() || values.is_empty() => {
                Err("selection needs a field and at least one value".into())
            }
            Check::Time { from_hour, to_hour, max_hours, .. }
                if *from_hour >= *to_hour || *to_hour > 24 || max_hours.is_nan() || *max_hours <= 0.0 =>
            {
                Err("time needs from_hour < to_hour <= 24 and max_hours > 0".into())
            }
            Check::Time { not_before: Some(t), .. } => parse_time_us(t).map(|_| ()),
            Check::Sql { query, expect } if query.trim().is_empty() || expect.is_empty() => {
                Err("sql needs a query and its expected rows".into())
            }
            Check::SqlResult { expect, .. } if expect.is_empty() => {
                Err("sql_result needs expected rows".into())
            }
            Check::Cleaned { step } if !super::CLEAN_STEPS.contains(&step.as_str()) => {
                Err(format!("unknown cleaning step {step:?} (one of {})", super::CLEAN_STEPS.join(", ")))
            }
            Check::All { of } if of.is_empty() => Err("all needs at least one check".into()),
            Check::All { of } => of.iter().try_for_each(|c| c.validate()),
            _ => Ok(()),
        }
    }

    /// The check reads the rows of the current selection (the app must ask the engine for them).
    pub fn needs_selection_rows(&self) -> bool {
        match self {
            Check::Sql { query, .. } => query.to_lowercase().contains("selection"),
            Check::All { of } => of.iter().any(|c| c.needs_selection_rows()),
            _ => false,
        }
    }

    /// Whether `s` satisfies the check. `Err` when a query of the lesson fails; `Ok(false)` when
    /// the selection's rows are needed but not known yet.
    pub fn satisfied(&self, s: &Snapshot) -> Result<bool, String> {
        Ok(match self {
            Check::Selection { field, values, exclude } => {
                s.selection.clauses.values().any(|c| clause_selects(c, field, values, *exclude))
            }
            Check::Time { from_hour, to_hour, max_hours, weekday, not_before } => {
                let from_us = match not_before {
                    Some(t) => parse_time_us(t)?,
                    None => i64::MIN,
                };
                s.selection.clauses.values().any(|c| {
                    matches!(c, Clause::Time { start_us, end_us } if *start_us >= from_us
                        && brush_covers(*start_us, *end_us, *from_hour, *to_hour, *max_hours, *weekday))
                })
            }
            Check::Sql { query, expect } => {
                let sel = if self.needs_selection_rows() {
                    match s.selection_frame() {
                        Some(df) => Some(df),
                        None => return Ok(false),
                    }
                } else {
                    None
                };
                let df = crate::data::sql::run_sql(&s.table, sel.as_ref(), query)
                    .map_err(|e| format!("the check's query failed: {e}"))?;
                let got = rows_text(&df, usize::MAX);
                got == *expect
            }
            Check::SqlResult { expect, exact } => match &s.sql_result {
                Some(df) if *exact => rows_text(df, usize::MAX) == *expect,
                Some(df) => starts_with_rows(&rows_text(df, expect.len()), expect),
                None => false,
            },
            Check::Cleaned { step } => s.cleaning.iter().any(|c| c.kind() == step),
            Check::Graph { fields, properties } => {
                s.graph_fields == *fields
                    && properties.as_ref().is_none_or(|want| {
                        s.graph_properties
                            .as_ref()
                            .is_some_and(|p| p.to_string_lossy().ends_with(want.as_str()))
                    })
            }
            Check::Treemap { levels } => s.treemap_levels == *levels,
            Check::TopN { field, offset } => s.topn.iter().any(|(f, o)| f == field && o == offset),
            Check::All { of } => {
                for c in of {
                    if !c.satisfied(s)? {
                        return Ok(false);
                    }
                }
                true
            }
        })
    }
}

/// The app's state as far as checks look at it. Cheap to clone (tables and results are shared).
#[derive(Clone)]
pub struct Snapshot {
    /// The current table (after cleaning): SQL `logs`.
    pub table: Arc<Table>,
    pub selection: Selection,
    /// Table rows of the current selection, when known.
    pub selection_rows: Option<Arc<Vec<u32>>>,
    /// The student's last SQL console result.
    pub sql_result: Option<Arc<DataFrame>>,
    pub cleaning: Vec<CleanStep>,
    pub graph_fields: Vec<String>,
    pub graph_properties: Option<PathBuf>,
    pub treemap_levels: Vec<String>,
    /// Field and offset of every top-N list.
    pub topn: Vec<(String, usize)>,
}

impl Snapshot {
    /// The rows of the selection as a frame (SQL `selection`).
    pub fn selection_frame(&self) -> Option<DataFrame> {
        if self.selection.clauses.is_empty() {
            return Some(self.table.df.clone());
        }
        let rows = self.selection_rows.as_ref()?;
        let idx = IdxCa::from_vec("idx".into(), rows.iter().map(|&x| x as IdxSize).collect());
        self.table.df.take(&idx).ok()
    }
}

/// Whether a clause selects exactly `values` of `field`: every alternative of the clause pins
/// `field` to one value, and those values are the wanted set.
fn clause_selects(c: &Clause, field: &str, values: &[String], exclude: bool) -> bool {
    let Clause::Match { any_of, negate } = c else {
        return false;
    };
    if *negate != exclude || any_of.is_empty() {
        return false;
    }
    let mut got: Vec<&str> = Vec::new();
    for conj in any_of {
        let eqs: Vec<&str> = conj
            .iter()
            .filter_map(|p| match p {
                Pred::Eq { field: f, value } if f == field => Some(value.as_str()),
                _ => None,
            })
            .collect();
        let [v] = eqs.as_slice() else {
            return false;
        };
        got.push(v);
    }
    got.sort_unstable();
    got.dedup();
    let mut want: Vec<&str> = values.iter().map(|s| s.as_str()).collect();
    want.sort_unstable();
    want.dedup();
    got == want
}

fn brush_covers(start_us: i64, end_us: i64, from_h: u32, to_h: u32, max_h: f64, weekday: bool) -> bool {
    const HOUR_US: i64 = 3_600_000_000;
    if (end_us - start_us) as f64 > max_h * HOUR_US as f64 {
        return false;
    }
    // Days the brush touches: does one of them have from..to inside the brush?
    let day_us = 24 * HOUR_US;
    let mut day = start_us.div_euclid(day_us);
    while day * day_us <= end_us {
        let (a, b) = (day * day_us + from_h as i64 * HOUR_US, day * day_us + to_h as i64 * HOUR_US);
        // 1970-01-01 was a Thursday: day 0 -> Thursday.
        let dow = (day + 3).rem_euclid(7); // 0 = Monday
        if start_us <= a && b <= end_us && (!weekday || dow < 5) {
            return true;
        }
        day += 1;
    }
    false
}

/// RFC 3339 (or "YYYY-MM-DD HH:MM:SS", UTC) to epoch µs.
pub fn parse_time_us(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(d.timestamp_micros());
    }
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .map(|d| d.and_utc().timestamp_micros())
        .map_err(|_| format!("{s:?} is not a time like 2013-04-02T12:00:00Z"))
}

/// The first `limit` rows of a frame, every cell as text (strings unquoted, nulls empty).
pub fn rows_text(df: &DataFrame, limit: usize) -> Vec<Vec<String>> {
    let n = df.height().min(limit);
    (0..n)
        .map(|r| {
            df.columns()
                .iter()
                .map(|c| match c.get(r) {
                    Ok(AnyValue::Null) | Err(_) => String::new(),
                    Ok(v) if v.get_str().is_some() => v.get_str().unwrap_or_default().to_string(),
                    Ok(v) => {
                        let t = v.to_string();
                        t.trim_matches('"').to_string()
                    }
                })
                .collect()
        })
        .collect()
}

/// `got` starts with the rows of `want`, comparing each wanted row with as many leading cells.
fn starts_with_rows(got: &[Vec<String>], want: &[Vec<String>]) -> bool {
    got.len() >= want.len()
        && got.iter().zip(want).all(|(g, w)| g.len() >= w.len() && g.iter().zip(w).all(|(a, b)| a == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        parse_time_us(s).unwrap()
    }

    #[test]
    fn a_brush_covers_the_noon_hour_of_a_weekday() {
        // 2013-04-02 is a Tuesday, 2013-04-06 a Saturday.
        let ok = |a, b, wd| brush_covers(t(a), t(b), 12, 13, 3.0, wd);
        assert!(ok("2013-04-02T11:30:00Z", "2013-04-02T13:10:00Z", true));
        assert!(!ok("2013-04-02T12:10:00Z", "2013-04-02T13:10:00Z", true), "misses 12:00-12:10");
        assert!(!ok("2013-04-02T09:00:00Z", "2013-04-02T14:00:00Z", true), "five hours is too long");
        assert!(!ok("2013-04-06T11:30:00Z", "2013-04-06T13:10:00Z", true), "a Saturday");
        assert!(ok("2013-04-06T11:30:00Z", "2013-04-06T13:10:00Z", false));
    }

    #[test]
    fn a_selection_of_values_matches_in_any_order_and_from_any_view() {
        let c = Clause::values("dst_port", ["80".to_string(), "443".to_string()], false);
        assert!(clause_selects(&c, "dst_port", &["443".into(), "80".into()], false));
        assert!(!clause_selects(&c, "dst_port", &["443".into()], false));
        assert!(!clause_selects(&c, "dst_port", &["443".into(), "80".into()], true));
        // A treemap tile proto=udp > dst_port=53 selects dst_port 53.
        let tile = Clause::Match {
            any_of: vec![vec![
                Pred::Eq { field: "proto".into(), value: "udp".into() },
                Pred::Eq { field: "dst_port".into(), value: "53".into() },
            ]],
            negate: false,
        };
        assert!(clause_selects(&tile, "dst_port", &["53".into()], false));
        assert!(!clause_selects(&tile, "src_ip", &["53".into()], false));
    }

    #[test]
    fn result_rows_compare_by_leading_cells() {
        let got = vec![vec!["443".to_string(), "9".into()], vec!["80".into(), "3".into()]];
        assert!(starts_with_rows(&got, &[vec!["443".into()], vec!["80".into()]]));
        assert!(starts_with_rows(&got, &[vec!["443".into(), "9".into()]]));
        assert!(!starts_with_rows(&got, &[vec!["80".into()]]));
        assert!(!starts_with_rows(&got, &[vec!["443".into()], vec!["80".into()], vec!["53".into()]]));
    }
}
