//! Falcon/Mosaic on the lake: when the pointer enters a top-N list, one query (a UNION ALL of one
//! grouped part per other list or time series) fetches that list's cube: its values x each other
//! view's bins, filtered by every clause but the two views' own. While the analyst clicks values
//! in that list, the other views are sums over the cube's rows, computed here within a frame; only
//! views the cube does not cover (treemap, graph, the records page) still go to the engine.
use super::pushdown::{labels_of, Grouped, LakeSession};
use super::sql;
use super::BackendError;
use crate::linking::needs::{topn_output, Need, Output};
use crate::linking::selection::{Clause, Selection, ViewId};
use polars::prelude::*;
use std::collections::BTreeMap;

/// One covered view's part: its bin labels, and per value of the active list the rows
/// (bin code, main, window, week earlier). Codes keep a click's sums to dense array adds.
#[derive(Default)]
struct Part {
    labels: Vec<String>,
    codes: std::collections::HashMap<String, u32>,
    by_value: BTreeMap<String, Vec<(u32, i64, i64, i64)>>,
}

/// Whether a value of the active list passes its clause.
type ValueFilter<'a> = Box<dyn Fn(&str) -> bool + 'a>;

pub struct LakeCube {
    pub view: ViewId,
    field: String,
    /// The selection without the active list's clause, and the needs, it was built for.
    base: Selection,
    needs: BTreeMap<ViewId, Need>,
    parts: BTreeMap<ViewId, Part>,
    prev_has_rows: bool,
    /// The active list's own output: its own clause does not filter it, so a click leaves it as is.
    own: Option<Output>,
    /// Bytes of the cube's query result.
    pub bytes: usize,
}

/// Whether the cube can answer `need` (its main histogram and windows, no split series).
fn covered(need: &Need) -> bool {
    matches!(need, Need::TopN { .. } | Need::Time { split: None, .. })
}

fn without(sel: &Selection, view: ViewId) -> Selection {
    let mut s = sel.clone();
    s.clauses.remove(&view);
    s
}

impl LakeSession {
    /// Fetches the cube of top-N list `view` for this selection and these needs (one query).
    pub fn build_cube(
        &mut self,
        view: ViewId,
        sel: &Selection,
        needs: &BTreeMap<ViewId, Need>,
        tag: &str,
    ) -> Result<Option<LakeCube>, BackendError> {
        let Some(Need::TopN { field, .. }) = needs.get(&view) else { return Ok(None) };
        if self.schema().get(field).is_none() {
            return Ok(None);
        }
        self.prepare(sel, needs, tag)?;
        let d = self.engine.dialect();
        let base = without(sel, view);
        let key_v = format!("CAST({} AS STRING)", sql::ident(d, field));
        let mut parts_sql = Vec::new();
        for (w, need) in needs {
            if *w == view || !covered(need) {
                continue;
            }
            // Each part: filtered by every clause but the active list's and its own.
            let g = match self.grouped(&base, *w, need) {
                Some(g) => g,
                None => continue,
            };
            let (c, p) = g.windows.clone().unwrap_or(("FALSE".into(), "FALSE".into()));
            let g = Grouped {
                keys: vec![key_v.clone(), format!("CAST({} AS STRING)", g.keys[0])],
                weight: g.weight.clone(),
                main: g.main.clone(),
                windows: Some((c, p)),
            };
            parts_sql.push(format!("SELECT {w} AS part, k0, k1, v, c, p FROM ({}) AS g{w}", g.sql()));
        }
        if parts_sql.is_empty() {
            return Ok(None);
        }
        let df = self.engine.query(&parts_sql.join(" UNION ALL "), tag)?;
        let part = df.column("part")?.as_materialized_series().cast(&DataType::Int64)?;
        let part = part.i64()?;
        let (k0, k1) = (labels_of(df.column("k0")?)?, labels_of(df.column("k1")?)?);
        let ints = |n: &str| -> PolarsResult<Vec<i64>> {
            let s = df.column(n)?.as_materialized_series().cast(&DataType::Int64)?;
            Ok(s.i64()?.iter().map(|x| x.unwrap_or(0)).collect())
        };
        let (v, c, p) = (ints("v")?, ints("c")?, ints("p")?);
        let mut parts: BTreeMap<ViewId, Part> = BTreeMap::new();
        for r in 0..df.height() {
            let w = part.get(r).unwrap_or(-1) as ViewId;
            let part = parts.entry(w).or_default();
            let code = match part.codes.get(&k1[r]) {
                Some(c) => *c,
                None => {
                    part.labels.push(k1[r].clone());
                    part.codes.insert(k1[r].clone(), (part.labels.len() - 1) as u32);
                    (part.labels.len() - 1) as u32
                }
            };
            part.by_value.entry(k0[r].clone()).or_default().push((code, v[r], c[r], p[r]));
        }
        let prev_has_rows = self.prev_window_has_rows(sel);
        Ok(Some(LakeCube {
            view,
            field: field.clone(),
            base,
            needs: needs.clone(),
            parts,
            prev_has_rows,
            own: self.last_output(view).cloned(),
            bytes: df.estimated_size(),
        }))
    }
}

impl LakeCube {
    /// Which values of the active list pass its clause in `sel`; None when the cube cannot say
    /// (another selection elsewhere, other needs, or a clause that is not a set of its values).
    fn passing(&self, sel: &Selection, needs: &BTreeMap<ViewId, Need>) -> Option<ValueFilter<'_>> {
        if without(sel, self.view) != self.base || needs.get(&self.view) != self.needs.get(&self.view) {
            return None;
        }
        match sel.clauses.get(&self.view) {
            None => Some(Box::new(|_| true)),
            Some(c) => {
                let (field, vals, negate) = c.as_values()?;
                if field != self.field {
                    return None;
                }
                let vals: Vec<String> = vals.into_iter().map(str::to_string).collect();
                Some(Box::new(move |l| vals.iter().any(|v| v == l) != negate))
            }
        }
    }

    /// The outputs of the views the cube covers at `sel`, summed locally; empty when it cannot.
    pub fn answer(
        &self,
        sel: &Selection,
        needs: &BTreeMap<ViewId, Need>,
        time_grid: (i64, i64, usize),
    ) -> BTreeMap<ViewId, Output> {
        let mut out = BTreeMap::new();
        let Some(pass) = self.passing(sel, needs) else { return out };
        // A time brush held by the active list itself would move the windows: not the case for a list.
        debug_assert!(!matches!(sel.clauses.get(&self.view), Some(Clause::Time { .. })));
        if let Some(o) = &self.own {
            out.insert(self.view, o.clone());
        }
        for (w, part) in &self.parts {
            let (Some(need), Some(built)) = (needs.get(w), self.needs.get(w)) else { continue };
            if need != built {
                continue;
            }
            let n = part.labels.len();
            let (mut m, mut c, mut p) = (vec![0i64; n], vec![0i64; n], vec![0i64; n]);
            for (vk, rows) in &part.by_value {
                if !pass(vk) {
                    continue;
                }
                for &(k, v, cv, pv) in rows {
                    m[k as usize] += v;
                    c[k as usize] += cv;
                    p[k as usize] += pv;
                }
            }
            let has_cmp = self.prev_has_rows && (c.iter().any(|&x| x != 0) || p.iter().any(|&x| x != 0));
            let o = match need {
                Need::TopN { field, offset, limit, measure } => {
                    topn_output(field, measure, *offset, *limit, &part.labels, [&m, &c, &p], has_cmp)
                }
                Need::Time { measure, .. } => {
                    let (origin, bucket, nb) = time_grid;
                    let mut total = vec![0i64; nb];
                    for (k, x) in part.labels.iter().zip(&m) {
                        if let Some(b) =
                            k.parse::<i64>().ok().map(|off| (off / bucket) as usize).filter(|&b| b < nb)
                        {
                            total[b] += x;
                        }
                    }
                    Output::Time {
                        measure: measure.clone(),
                        origin_us: origin,
                        bucket_us: bucket,
                        total,
                        series: Vec::new(),
                    }
                }
                _ => continue,
            };
            out.insert(*w, o);
        }
        out
    }

    pub fn rows(&self) -> usize {
        self.parts.values().flat_map(|p| p.by_value.values()).map(Vec::len).sum()
    }
}
