//! Falcon/Mosaic on the lake: when the pointer enters a top-N list, the treemap or the time series,
//! one query (a UNION ALL of one grouped part per other list or time series) fetches that view's
//! cube: its values (a treemap's raw field values, or time bins) x each other view's bins, filtered
//! by every clause but the two views' own. While the analyst clicks values in that list or groups
//! in that treemap, or brushes the time series on the cube's bin grid, the other views are sums
//! over the cube's rows, computed here within a frame; only views the cube does not cover (the
//! treemap and graph of another view's cube, the records page) still go to the engine.
use super::pushdown::{ints, labels_of, tree_fields, Grouped, LakeSession};
use super::sql;
use super::BackendError;
use crate::linking::engine::WEEK_US;
use crate::linking::needs::{time_cube_bucket_us, topn_output, Need, Output};
use crate::linking::selection::{Clause, Pred, Selection, ViewId};
use polars::prelude::*;
use std::collections::BTreeMap;

/// A cube row under one key of the active view: the covered view's bin code, then the main,
/// window and week-earlier sums.
type Row = (u32, i64, i64, i64);

/// One covered view's part: its bin labels, and per key of the active view (its value, a
/// treemap's field values, a time bin) the rows (bin code, main, window, week earlier). Codes
/// keep a click's sums to dense array adds.
#[derive(Default)]
struct Part {
    labels: Vec<String>,
    codes: std::collections::HashMap<String, u32>,
    by_value: BTreeMap<Vec<String>, Vec<Row>>,
    /// Per bin: main, window and week-earlier sums over every value (the answer without the
    /// active view's clause), so that a click or an exclusion costs its own values' rows.
    totals: [Vec<i64>; 3],
}

impl Part {
    fn sum_totals(&mut self) {
        let n = self.labels.len();
        let mut t = [vec![0i64; n], vec![0i64; n], vec![0i64; n]];
        for &(k, v, c, p) in self.by_value.values().flatten() {
            let k = k as usize;
            t[0][k] += v;
            t[1][k] += c;
            t[2][k] += p;
        }
        self.totals = t;
    }

    /// Main, window and week-earlier sums over the rows of `keys` (distinct), or over every
    /// other row when `negate`.
    fn sums_of<'a>(&'a self, keys: impl Iterator<Item = &'a Vec<String>>, negate: bool) -> [Vec<i64>; 3] {
        let n = self.labels.len();
        let (mut s, sign) =
            if negate { (self.totals.clone(), -1) } else { ([vec![0; n], vec![0; n], vec![0; n]], 1) };
        for rows in keys.filter_map(|v| self.by_value.get(v)) {
            for &(k, v, c, p) in rows {
                let k = k as usize;
                s[0][k] += sign * v;
                s[1][k] += sign * c;
                s[2][k] += sign * p;
            }
        }
        s
    }
}

/// The view the pointer is in, whose values key the cube.
#[derive(Debug, Clone, PartialEq)]
enum Active {
    /// A top-N list over this field.
    Values { field: String },
    /// A treemap over these raw fields (its levels' fields: an address for its prefixes).
    Tree { fields: Vec<String> },
    /// The time series: bins of `bucket_us` starting at multiples of it; "(null)" holds the records
    /// without a time.
    Time { origin_us: i64, bucket_us: i64 },
}

/// Part id of a time cube's unfiltered records per bin (whether a week-earlier window holds any).
const ALL_BINS: i64 = -1;

pub struct LakeCube {
    pub view: ViewId,
    active: Active,
    /// The selection without the active view's clause, and the needs, it was built for.
    base: Selection,
    needs: BTreeMap<ViewId, Need>,
    parts: BTreeMap<ViewId, Part>,
    /// A time cube's records per bin start, unfiltered.
    all_bins: BTreeMap<i64, i64>,
    /// Whether the week-earlier window of the build's selection (of `base` for a time cube) holds
    /// records.
    prev_has_rows: bool,
    /// The active view's own output: its own clause does not filter it, so a click leaves it as is.
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

/// One part of a cube's UNION ALL: grouped on the keys' own types (cheap), and only the grouped
/// rows turned into text so that every part has the same columns.
fn part_sql(id: i64, g: &Grouped) -> String {
    let name = if id < 0 { "gall".to_string() } else { format!("g{id}") };
    let keys: Vec<String> = (0..g.keys.len()).map(|i| format!("CAST(k{i} AS STRING) AS k{i}")).collect();
    format!("SELECT {id} AS part, {}, v, c, p FROM ({}) AS {name}", keys.join(", "), g.sql())
}

impl LakeSession {
    /// Fetches the cube of view `view` (a top-N list, or the time series without another time
    /// brush) for this selection and these needs (one query).
    pub fn build_cube(
        &mut self,
        view: ViewId,
        sel: &Selection,
        needs: &BTreeMap<ViewId, Need>,
        tag: &str,
    ) -> Result<Option<LakeCube>, BackendError> {
        let d = self.engine.dialect();
        let base = without(sel, view);
        let (active, keys_v) = match needs.get(&view) {
            Some(Need::TopN { field, .. }) if self.schema().get(field).is_some() => {
                (Active::Values { field: field.clone() }, vec![sql::ident(d, field)])
            }
            Some(Need::Tree { levels, .. }) => {
                let fields = tree_fields(levels);
                if fields.is_empty() || fields.iter().any(|f| self.schema().get(f).is_none()) {
                    return Ok(None);
                }
                let keys = fields.iter().map(|f| sql::ident(d, f)).collect();
                (Active::Tree { fields }, keys)
            }
            Some(Need::Time { .. }) if self.schema().get("time").is_some() => {
                // Another view's time brush would fix the windows: no cube then.
                if base.clauses.values().any(|c| matches!(c, Clause::Time { .. })) {
                    return Ok(None);
                }
                let (Some((lo, _)), (_, bucket, nb)) = (self.stats().time_bounds_us, self.time_grid_n())
                else {
                    return Ok(None);
                };
                let width = time_cube_bucket_us(bucket, nb);
                let origin = lo.div_euclid(width) * width;
                (Active::Time { origin_us: origin, bucket_us: width }, vec![sql::time_bin(d, origin, width)])
            }
            _ => return Ok(None),
        };
        // A time cube's windows are the brush-free ones: the brush is applied per bin locally.
        let built_for = if matches!(active, Active::Time { .. }) { &base } else { sel };
        self.prepare(built_for, needs, tag)?;
        let mut parts_sql = Vec::new();
        for (w, need) in needs {
            if *w == view || !covered(need) {
                continue;
            }
            // Each part: filtered by every clause but the active view's and its own.
            let g = match self.grouped(&base, *w, need) {
                Some(g) => g,
                None => continue,
            };
            let (c, p) = g.windows.clone().unwrap_or(("FALSE".into(), "FALSE".into()));
            let g = Grouped {
                keys: keys_v.iter().chain([&g.keys[0]]).cloned().collect(),
                weight: g.weight.clone(),
                main: g.main.clone(),
                windows: Some((c, p)),
                prefilter: g.prefilter.clone(),
            };
            parts_sql.push(part_sql(*w as i64, &g));
        }
        if parts_sql.is_empty() {
            return Ok(None);
        }
        if matches!(active, Active::Time { .. }) {
            let g = Grouped {
                keys: vec![keys_v[0].clone(), keys_v[0].clone()],
                weight: "1".into(),
                main: "TRUE".into(),
                windows: Some(("FALSE".into(), "FALSE".into())),
                prefilter: None,
            };
            parts_sql.push(part_sql(ALL_BINS, &g));
        }
        // One round trip to a remote engine; one part at a time on this machine, where parts run
        // side by side would hold every part's group-by table at once.
        let frames = if self.engine.concurrent_queries() {
            vec![self.engine.query(&parts_sql.join(" UNION ALL "), tag)?]
        } else {
            parts_sql.iter().map(|q| self.engine.query(q, tag)).collect::<Result<Vec<_>, _>>()?
        };
        let mut parts: BTreeMap<ViewId, Part> = BTreeMap::new();
        let mut all_bins = BTreeMap::new();
        let mut bytes = 0;
        for df in &frames {
            bytes += df.estimated_size();
            let part = df.column("part")?.as_materialized_series().cast(&DataType::Int64)?;
            let part = part.i64()?;
            // The active view's key columns, then the covered view's bin.
            let n = keys_v.len();
            let k = (0..=n)
                .map(|i| labels_of(df.column(format!("k{i}").as_str())?))
                .collect::<PolarsResult<Vec<_>>>()?;
            let (v, c, p) = (ints(df, "v")?, ints(df, "c")?, ints(df, "p")?);
            for r in 0..df.height() {
                let id = part.get(r).unwrap_or(ALL_BINS - 1);
                if id == ALL_BINS {
                    if let (Active::Time { origin_us, .. }, Ok(off)) = (&active, k[0][r].parse::<i64>()) {
                        *all_bins.entry(origin_us + off).or_insert(0) += v[r];
                    }
                    continue;
                }
                let Ok(w) = ViewId::try_from(id) else { continue };
                let part = parts.entry(w).or_default();
                let bin = &k[n][r];
                let code = match part.codes.get(bin) {
                    Some(c) => *c,
                    None => {
                        part.labels.push(bin.clone());
                        part.codes.insert(bin.clone(), (part.labels.len() - 1) as u32);
                        (part.labels.len() - 1) as u32
                    }
                };
                let key: Vec<String> = k[..n].iter().map(|col| col[r].clone()).collect();
                part.by_value.entry(key).or_default().push((code, v[r], c[r], p[r]));
            }
        }
        parts.values_mut().for_each(Part::sum_totals);
        let prev_has_rows = self.prev_window_has_rows(built_for);
        Ok(Some(LakeCube {
            view,
            active,
            base,
            needs: needs.clone(),
            parts,
            all_bins,
            prev_has_rows,
            own: self.last_output(view).cloned(),
            bytes,
        }))
    }
}

/// How a time cube's row (a bin) adds to the covered views at a brush: to the main histogram,
/// the current window and the week-earlier window (a brush moves a bin's main sum into the
/// week-earlier window).
#[derive(Clone, Copy)]
struct Take {
    main: bool,
    cur: bool,
    prev: bool,
}

/// How each bin of a time cube (by its label) counts, if at all.
type TakeFn<'a> = Box<dyn Fn(&str) -> Option<Take> + 'a>;

/// Which rows of the active view count.
enum Counting<'a> {
    /// The rows of these keys (distinct), or of every key but them, each whole (main and both
    /// window columns).
    Values { keys: Vec<Vec<String>>, negate: bool },
    /// The rows whose key (a treemap's field values) meets one of these conjunctions, or none
    /// of them when `negate`, each whole.
    Match { fields: &'a [String], any_of: &'a [Vec<Pred>], negate: bool },
    /// Time bins under a brush on the cube's grid.
    Bins(TakeFn<'a>),
}

/// Whether a treemap cube's key (labels of `fields`, as the index writes them) meets `p`, as the
/// engines do: a value by its label ("(null)" for a null), a prefix by the address the label
/// reads as (`NON_IP`: a label that is no address).
fn key_meets(fields: &[String], key: &[String], p: &Pred) -> bool {
    let label = |f: &str| fields.iter().position(|x| x == f).and_then(|i| key.get(i));
    match p {
        Pred::Eq { field, value } => label(field).is_some_and(|l| l == value),
        Pred::InPrefix { field, prefix } => label(field).is_some_and(|l| {
            if prefix == crate::data::net::NON_IP {
                crate::data::net::parse_ip(l).is_none()
            } else {
                crate::data::net::ip_in_prefix(l, prefix)
            }
        }),
        Pred::Range { .. } => false,
    }
}

/// Which rows of the active view count, and whether the week-earlier window holds records.
struct Passing<'a> {
    counting: Counting<'a>,
    prev_has_rows: bool,
}

impl LakeCube {
    /// Which values of the active list pass its clause in `sel`; None when the cube cannot say
    /// (another selection elsewhere, other needs, or a clause that is not a set of its values).
    fn passing<'a>(&'a self, sel: &'a Selection, needs: &BTreeMap<ViewId, Need>) -> Option<Passing<'a>> {
        if without(sel, self.view) != self.base || needs.get(&self.view) != self.needs.get(&self.view) {
            return None;
        }
        match (&self.active, sel.clauses.get(&self.view)) {
            (_, None) => Some(Passing {
                counting: Counting::Values { keys: Vec::new(), negate: true },
                prev_has_rows: self.prev_has_rows,
            }),
            (Active::Values { field }, Some(c)) => {
                let (f, vals, negate) = c.as_values()?;
                if f != field {
                    return None;
                }
                let mut keys: Vec<Vec<String>> = vals.into_iter().map(|v| vec![v.to_string()]).collect();
                keys.sort_unstable();
                keys.dedup();
                Some(Passing {
                    counting: Counting::Values { keys, negate },
                    prev_has_rows: self.prev_has_rows,
                })
            }
            (Active::Tree { fields }, Some(Clause::Match { any_of, negate })) => {
                // Only conditions a key's labels decide: values and prefixes of the cube's fields.
                let decidable = any_of.iter().flatten().all(|p| match p {
                    Pred::Eq { field, .. } | Pred::InPrefix { field, .. } => fields.contains(field),
                    Pred::Range { .. } => false,
                });
                decidable.then(|| Passing {
                    counting: Counting::Match { fields, any_of, negate: *negate },
                    prev_has_rows: self.prev_has_rows,
                })
            }
            (Active::Time { origin_us, bucket_us }, Some(Clause::Time { start_us, end_us })) => {
                let (s, e, w) = (*start_us, *end_us, *bucket_us);
                // Only a brush on the bin grid is a sum of whole bins.
                if s.rem_euclid(w) != 0 || e.rem_euclid(w) != 0 {
                    return None;
                }
                let (ps, pe) = (s - WEEK_US, e - WEEK_US);
                let prev_has_rows = self.all_bins.range(ps..pe).any(|(_, n)| *n > 0);
                let origin = *origin_us;
                Some(Passing {
                    counting: Counting::Bins(Box::new(move |l| {
                        let b = origin + l.parse::<i64>().ok()?;
                        let cur = (s..e).contains(&b);
                        let prev = (ps..pe).contains(&b);
                        (cur || prev).then_some(Take { main: cur, cur, prev })
                    })),
                    prev_has_rows,
                })
            }
            _ => None,
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
        if let Some(o) = &self.own {
            out.insert(self.view, o.clone());
        }
        for (w, part) in &self.parts {
            let (Some(need), Some(built)) = (needs.get(w), self.needs.get(w)) else { continue };
            if need != built {
                continue;
            }
            let [m, c, p] = match &pass.counting {
                Counting::Values { keys, negate } => part.sums_of(keys.iter(), *negate),
                Counting::Match { fields, any_of, negate } => part.sums_of(
                    part.by_value
                        .keys()
                        .filter(|k| any_of.iter().any(|conj| conj.iter().all(|p| key_meets(fields, k, p)))),
                    *negate,
                ),
                Counting::Bins(take) => {
                    let n = part.labels.len();
                    let (mut m, mut c, mut p) = (vec![0i64; n], vec![0i64; n], vec![0i64; n]);
                    for (vk, rows) in &part.by_value {
                        let Some(t) = vk.first().and_then(|l| take(l)) else { continue };
                        for &(k, v, _, _) in rows {
                            let k = k as usize;
                            if t.main {
                                m[k] += v;
                            }
                            if t.cur {
                                c[k] += v;
                            }
                            if t.prev {
                                p[k] += v;
                            }
                        }
                    }
                    [m, c, p]
                }
            };
            let has_cmp = pass.prev_has_rows && (c.iter().any(|&x| x != 0) || p.iter().any(|&x| x != 0));
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
        self.parts.values().flat_map(|p| p.by_value.values()).map(Vec::len).sum::<usize>()
            + self.all_bins.len()
    }

    /// The bin width time brushes must snap to for this cube to answer them (time cubes only).
    pub fn time_bucket_us(&self) -> Option<i64> {
        match self.active {
            Active::Time { bucket_us, .. } => Some(bucket_us),
            Active::Values { .. } | Active::Tree { .. } => None,
        }
    }
}
