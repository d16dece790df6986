//! What each view asks of the engine, and what it gets back. No egui: views turn these outputs
//! into drawings, the benchmark and tests read them directly.
use super::engine::{Ctx, Engine, TargetKey, TABLE_BLOCK, WEEK_US};
use super::index::NULL_LABEL;
use super::selection::ViewId;
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    /// Top values of a field, `offset..offset+limit`, by count or a summed measure.
    TopN { field: String, offset: usize, limit: usize, measure: String },
    /// Base-binned time series of a measure, optionally split by the top `k` values of a field.
    Time { measure: String, split: Option<(String, usize)> },
    /// Records table rows `offset..offset+limit` (table order, or sorted by a column).
    Table { offset: usize, limit: usize, sort: Option<(String, bool)> },
    /// Leaves of a hierarchy of 1-3 levels ("proto", "dst_port", "dst_ip/16", ...).
    Tree { levels: Vec<String>, measure: String },
    /// Distinct tuples of 2-3 fields with counts (link graph edges).
    Tuples { fields: Vec<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopEntry {
    pub label: String,
    pub value: i64,
    /// Week-over-week: value in the comparison window and a week earlier.
    pub cur: Option<i64>,
    pub prev: Option<i64>,
}

/// One treemap leaf: its path of values from the top level, its value, and week-over-week values.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeLeaf {
    /// Shared: the same leaf's path is in every answer, and an unfiltered treemap has tens of
    /// thousands of leaves.
    pub path: Arc<[String]>,
    pub value: i64,
    pub cur: Option<i64>,
    pub prev: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    TopN {
        field: String,
        measure: String,
        /// Sum over all values (the denominator: "of N").
        total: i64,
        distinct: usize,
        offset: usize,
        entries: Vec<TopEntry>,
        /// Whether a comparison window exists (a brush, or two weeks of data).
        has_cmp: bool,
    },
    Time {
        measure: String,
        origin_us: i64,
        bucket_us: i64,
        /// Total per bucket, and per split series (label, values).
        total: Vec<i64>,
        series: Vec<(String, Vec<i64>)>,
    },
    Table {
        passing: i64,
        offset: usize,
        rows: Vec<u32>,
    },
    Tree {
        levels: Vec<String>,
        measure: String,
        leaves: Vec<TreeLeaf>,
        has_cmp: bool,
    },
    Tuples {
        fields: Vec<String>,
        tuples: super::tuples::TupleSet,
    },
    Error(String),
    /// The records page of a lake backend: the rows themselves, since no table is in memory
    /// (the in-memory engine answers `Table` with row numbers instead).
    Records {
        passing: i64,
        offset: usize,
        page: std::sync::Arc<DataFrame>,
    },
}

/// Picks the base time bucket: the finest "nice" size giving at most ~20 000 buckets. Every size
/// divides a week, so the week-earlier series is an exact shift.
pub fn base_bucket_us(span_us: i64) -> i64 {
    const NICE_SECS: [i64; 18] =
        [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    for s in NICE_SECS {
        if span_us / (s * 1_000_000) <= 20_000 {
            return s * 1_000_000;
        }
    }
    86_400_000_000
}

/// Bins across the time axis of a lake's time-series cube (Falcon brushes at about pixel
/// resolution; a few hundred bins keep the cube small when it is crossed with other views).
pub const TIME_CUBE_BINS: i64 = 400;

/// Width of a time-series cube's bins for a series of `bins` bins of `bucket_us`: the smallest
/// nice width (at least the series' own) that gives at most [`TIME_CUBE_BINS`] bins. Every nice
/// width divides a week, so a brush on the grid has its week-earlier window on the grid too. Over
/// a lake, time brushes snap to multiples of this width (from the epoch) so the cube answers them.
pub fn time_cube_bucket_us(bucket_us: i64, bins: usize) -> i64 {
    const NICE_SECS: [i64; 18] =
        [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    let span_us = bucket_us.max(1).saturating_mul(bins.max(1) as i64);
    NICE_SECS
        .iter()
        .map(|s| s * 1_000_000)
        .find(|&w| w >= bucket_us && span_us / w <= TIME_CUBE_BINS)
        .unwrap_or(86_400_000_000)
}

/// A time brush widened to whole bins of `snap_us` (start down, end up), or as drawn without a
/// grid.
pub fn snap_brush_us((a, b): (i64, i64), snap_us: Option<i64>) -> (i64, i64) {
    match snap_us.filter(|w| *w > 0) {
        Some(w) => (a.div_euclid(w) * w, (b.div_euclid(w) + i64::from(b.rem_euclid(w) != 0)) * w),
        None => (a, b),
    }
}

/// The dims and targets a need uses.
struct Plan {
    dims: Vec<usize>,
    keys: Vec<TargetKey>,
}

pub struct Planner {
    /// Table sort permutations, cached per (column, descending).
    sorts: BTreeMap<(String, bool), Vec<u32>>,
    inverse_order: Option<Vec<u32>>,
    /// Each treemap dim's leaf paths by code, made once: making them for every answer took
    /// 15-35 ms of an unfiltered 10 M-row treemap's answer.
    leaf_paths: HashMap<usize, Vec<Arc<[String]>>>,
}

impl Default for Planner {
    fn default() -> Self {
        Self::new()
    }
}

impl Planner {
    pub fn new() -> Self {
        Self { sorts: BTreeMap::new(), inverse_order: None, leaf_paths: HashMap::new() }
    }

    fn level_dim(e: &mut Engine, level: &str) -> PolarsResult<usize> {
        if let Some((field, bits)) = level.rsplit_once('/') {
            if let Ok(bits) = bits.parse::<u8>() {
                let name = level.to_string();
                return e.idx.ensure_derived_dim(field, &name, |ip| {
                    crate::data::net::prefix_key(ip, bits)
                        .unwrap_or_else(|| crate::data::net::NON_IP.to_string())
                });
            }
        }
        e.idx.ensure_dim(level)
    }

    fn plan(&mut self, e: &mut Engine, view: ViewId, need: &Need) -> PolarsResult<Plan> {
        let main =
            |dim: usize, measure: &str| TargetKey { view, dim, measure: measure.to_string(), ctx: Ctx::Main };
        Ok(match need {
            Need::TopN { field, measure, .. } => {
                let d = e.idx.ensure_dim(field)?;
                let mut keys = vec![main(d, measure)];
                for ctx in [Ctx::CmpCur, Ctx::CmpPrev] {
                    keys.push(TargetKey { view, dim: d, measure: measure.clone(), ctx });
                }
                Plan { dims: vec![d], keys }
            }
            Need::Time { measure, split } => {
                let (lo, hi) = e.idx.time_bounds_us().unwrap_or((0, 0));
                let b = base_bucket_us(hi - lo);
                let origin = lo.div_euclid(b) * b;
                let td = e.idx.ensure_time_dim(origin, b);
                let mut dims = vec![td];
                let mut keys = vec![main(td, measure)];
                if let Some((field, k)) = split {
                    let fd = e.idx.ensure_dim(field)?;
                    // Series are the field's top k values over the whole table (stable while brushing).
                    let mut counts = vec![0i64; e.idx.dims[fd].cardinality()];
                    for c in e.idx.dims[fd].codes.iter() {
                        if c != super::index::SKIP {
                            counts[c as usize] += 1;
                        }
                    }
                    let mut order: Vec<usize> = (0..counts.len()).collect();
                    order.sort_by_key(|&i| (-counts[i], e.idx.dims[fd].labels[i].clone()));
                    let top: Vec<String> =
                        order.iter().take(*k).map(|&i| e.idx.dims[fd].labels[i].clone()).collect();
                    let name = format!("split:{field}:{k}");
                    let sd = e.idx.ensure_derived_dim(field, &name, |l| {
                        if top.iter().any(|t| t == l) {
                            l.to_string()
                        } else {
                            "other".to_string()
                        }
                    })?;
                    let cd = e.idx.ensure_combined_dim(&[td, sd]);
                    dims.push(cd);
                    keys.push(main(cd, measure));
                }
                Plan { dims, keys }
            }
            Need::Table { .. } => {
                let name = format!("block:{TABLE_BLOCK}");
                let d = match e.idx.dim_id(&name) {
                    Some(d) => d,
                    None => {
                        let n = e.idx.n;
                        let codes = (0..n).map(|p| (p / TABLE_BLOCK) as u32).collect();
                        let labels = (0..n.div_ceil(TABLE_BLOCK)).map(|b| b.to_string()).collect();
                        e.idx.add_dim(name, codes, labels)
                    }
                };
                Plan { dims: vec![d], keys: vec![main(d, "count")] }
            }
            Need::Tree { levels, measure } => {
                let mut parts = Vec::new();
                for l in levels.iter().take(3) {
                    parts.push(Self::level_dim(e, l)?);
                }
                let d = if parts.len() == 1 { parts[0] } else { e.idx.ensure_combined_dim(&parts) };
                let mut keys = vec![main(d, measure)];
                for ctx in [Ctx::CmpCur, Ctx::CmpPrev] {
                    keys.push(TargetKey { view, dim: d, measure: measure.clone(), ctx });
                }
                Plan { dims: vec![d], keys }
            }
            Need::Tuples { fields } => {
                let mut parts = Vec::new();
                for f in fields.iter().take(3) {
                    parts.push(e.idx.ensure_dim(f)?);
                }
                let d = e.idx.ensure_combined_dim(&parts);
                Plan { dims: vec![d], keys: vec![main(d, "count")] }
            }
        })
    }

    /// Registers targets for all needs, syncs the selection, and builds each view's output.
    pub fn run(
        &mut self,
        e: &mut Engine,
        sel: &super::selection::Selection,
        needs: &BTreeMap<ViewId, Need>,
    ) -> BTreeMap<ViewId, Output> {
        let mut plans = BTreeMap::new();
        let mut all_keys = Vec::new();
        let mut out = BTreeMap::new();
        for (v, need) in needs {
            match self.plan(e, *v, need) {
                Ok(p) => {
                    all_keys.extend(p.keys.iter().cloned());
                    plans.insert(*v, p);
                }
                Err(err) => {
                    out.insert(*v, Output::Error(err.to_string()));
                }
            }
        }
        let t0 = std::time::Instant::now();
        e.set_targets(&all_keys);
        if let Err(err) = e.sync(sel) {
            for v in needs.keys() {
                out.insert(*v, Output::Error(err.to_string()));
            }
            return out;
        }
        e.last_stats.sync_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let mut slowest: Option<(ViewId, f64)> = None;
        for (v, need) in needs {
            let Some(plan) = plans.get(v) else { continue };
            let t1 = std::time::Instant::now();
            out.insert(*v, self.output(e, need, plan));
            let ms = t1.elapsed().as_secs_f64() * 1000.0;
            e.last_stats.output_ms += ms;
            if slowest.is_none_or(|(_, m)| ms > m) {
                slowest = Some((*v, ms));
            }
        }
        e.last_stats.slowest_output = slowest;
        out
    }

    fn output(&mut self, e: &mut Engine, need: &Need, plan: &Plan) -> Output {
        // Borrowed, not copied: a list's three histograms are as long as its distinct values.
        let hist = |k: &TargetKey| e.hist(k).unwrap_or_default();
        match need {
            Need::TopN { field, offset, limit, measure } => {
                let d = plan.dims[0];
                let main = hist(&plan.keys[0]);
                let cur = hist(&plan.keys[1]);
                let prev = hist(&plan.keys[2]);
                let has_cmp =
                    e.prev_window_has_rows() && (cur.iter().any(|&x| x != 0) || prev.iter().any(|&x| x != 0));
                topn_output(
                    field,
                    measure,
                    *offset,
                    *limit,
                    &e.idx.dims[d].labels,
                    [main, cur, prev],
                    has_cmp,
                )
            }
            Need::Time { measure, split } => {
                let td = plan.dims[0];
                let total = hist(&plan.keys[0]).to_vec();
                let labels = &e.idx.dims[td].labels;
                let origin: i64 = labels.first().and_then(|l| l.parse().ok()).unwrap_or(0);
                let bucket: i64 = labels
                    .get(1)
                    .and_then(|l| l.parse::<i64>().ok())
                    .map(|x| x - origin)
                    .unwrap_or(1_000_000);
                let mut series = Vec::new();
                if split.is_some() && plan.dims.len() > 1 {
                    let cd = plan.dims[1];
                    let h = hist(&plan.keys[1]);
                    let mut by: BTreeMap<String, Vec<i64>> = BTreeMap::new();
                    for (i, &n) in h.iter().enumerate() {
                        let mut parts = e.idx.label_parts(cd, i);
                        let (Some(t), Some(s), None) = (parts.next(), parts.next(), parts.next()) else {
                            continue;
                        };
                        let Ok(t) = t.parse::<i64>() else { continue };
                        let bin = ((t - origin) / bucket.max(1)) as usize;
                        let v = by.entry(s.to_string()).or_insert_with(|| vec![0; total.len()]);
                        if bin < v.len() {
                            v[bin] += n;
                        }
                    }
                    series = by.into_iter().collect();
                    series.sort_by_key(|(_, v)| -v.iter().sum::<i64>());
                }
                Output::Time { measure: measure.clone(), origin_us: origin, bucket_us: bucket, total, series }
            }
            Need::Table { offset, limit, sort } => {
                let blocks = hist(&plan.keys[0]);
                let passing: i64 = blocks.iter().sum();
                let rows = match sort {
                    None => e.passing_rows(blocks, *offset, *limit),
                    Some((col, desc)) => {
                        if let Err(err) = self.sort_perm(e, col, *desc) {
                            return Output::Error(err.to_string());
                        }
                        // Only a table out of time order needs each row's position.
                        let inv = e.idx.order().map(|order| {
                            self.inverse_order
                                .get_or_insert_with(|| {
                                    let mut inv = vec![0u32; e.idx.n];
                                    for (p, &r) in order.iter().enumerate() {
                                        inv[r as usize] = p as u32;
                                    }
                                    inv
                                })
                                .as_slice()
                        });
                        let perm = self.sorts.get(&(col.clone(), *desc)).map(|v| v.as_slice()).unwrap_or(&[]);
                        e.passing_rows_sorted(perm, inv, *offset, *limit)
                    }
                };
                Output::Table { passing, offset: *offset, rows }
            }
            Need::Tree { levels, measure } => {
                let d = plan.dims[0];
                let h = hist(&plan.keys[0]);
                let cur = hist(&plan.keys[1]);
                let prev = hist(&plan.keys[2]);
                let has_cmp =
                    e.prev_window_has_rows() && (cur.iter().any(|&x| x != 0) || prev.iter().any(|&x| x != 0));
                let paths = self.leaf_paths.entry(d).or_default();
                if paths.len() != h.len() {
                    *paths = (0..h.len()).map(|i| e.idx.label_path(d, i).into()).collect();
                }
                let leaves = h
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0)
                    .map(|(i, v)| TreeLeaf {
                        path: Arc::clone(&paths[i]),
                        value: *v,
                        cur: has_cmp.then(|| cur[i]),
                        prev: has_cmp.then(|| prev[i]),
                    })
                    .collect();
                Output::Tree { levels: levels.clone(), measure: measure.clone(), leaves, has_cmp }
            }
            Need::Tuples { fields } => {
                // Codes into the fields' own dims, not text: no string per tuple (see `tuples`).
                // The engine's own histogram, lent (see `Engine::share_hist`): at 10 M rows it
                // holds millions of pairs, and copying it took 4-35 ms of every answer.
                let counts = e.share_hist(&plan.keys[0]).unwrap_or_default();
                let d = &e.idx.dims[plan.dims[0]];
                let values = d.parts.iter().map(|&p| e.idx.dims[p].labels.clone()).collect();
                let tuples = super::tuples::TupleSet::new(values, d.part_codes.clone(), counts);
                Output::Tuples { fields: fields.clone(), tuples }
            }
        }
    }

    fn sort_perm(&mut self, e: &Engine, col: &str, desc: bool) -> PolarsResult<&[u32]> {
        let key = (col.to_string(), desc);
        if !self.sorts.contains_key(&key) {
            let s = e.idx.df.column(col)?.as_materialized_series().clone();
            let opts = SortOptions {
                descending: desc,
                nulls_last: true,
                multithreaded: true,
                maintain_order: true,
                limit: None,
            };
            let idx = s.arg_sort(opts);
            self.sorts.insert(key.clone(), idx.into_no_null_iter().collect());
        }
        Ok(self.sorts.get(&key).map(|v| v.as_slice()).unwrap_or(&[]))
    }
}

/// A top-N output from per-label histograms (main, comparison window, week earlier): values
/// sorted by size then label, "of N" over all labels. Shared by the in-memory engine and the lake.
pub fn topn_output(
    field: &str,
    measure: &str,
    offset: usize,
    limit: usize,
    labels: &[String],
    [main, cur, prev]: [&[i64]; 3],
    has_cmp: bool,
) -> Output {
    let total: i64 = main.iter().sum();
    let mut nz: Vec<usize> = (0..main.len()).filter(|&i| main[i] != 0).collect();
    let distinct = nz.len();
    let want = (offset + limit).min(nz.len());
    // Partial selection: only the shown part is fully sorted.
    let cmp = |a: &usize, b: &usize| main[*b].cmp(&main[*a]).then_with(|| labels[*a].cmp(&labels[*b]));
    if want > 0 && want < nz.len() {
        nz.select_nth_unstable_by(want - 1, cmp);
        nz.truncate(want);
    }
    nz.sort_by(cmp);
    let entries = nz
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&i| TopEntry {
            label: labels[i].clone(),
            value: main[i],
            cur: has_cmp.then(|| cur[i]),
            prev: has_cmp.then(|| prev[i]),
        })
        .collect();
    Output::TopN {
        field: field.to_string(),
        measure: measure.to_string(),
        total,
        distinct,
        offset,
        entries,
        has_cmp,
    }
}

/// Percent change text for a top-N entry ("+12%", "new", "-100%").
pub fn change_text(cur: i64, prev: i64) -> String {
    match (cur, prev) {
        (0, 0) => "–".into(),
        (_, 0) => "new".into(),
        (c, p) => {
            let pct = (c - p) as f64 / p as f64 * 100.0;
            if pct.abs() < 0.5 {
                "±0%".into()
            } else if pct >= 1000.0 {
                // "+2621%" is hard to read and wide: say how many times as many.
                format!("×{:.0}", c as f64 / p as f64)
            } else {
                format!("{pct:+.0}%")
            }
        }
    }
}

/// The week shift in buckets of the base series.
pub fn week_shift_buckets(bucket_us: i64) -> usize {
    (WEEK_US / bucket_us.max(1)) as usize
}

pub fn is_null_label(l: &str) -> bool {
    l == NULL_LABEL
}

#[cfg(test)]
mod tests {
    #[test]
    fn change_texts() {
        assert_eq!(super::change_text(110, 100), "+10%");
        assert_eq!(super::change_text(100, 100), "±0%");
        assert_eq!(super::change_text(5, 0), "new");
        assert_eq!(super::change_text(0, 5), "-100%");
        assert_eq!(super::change_text(2721, 100), "×27");
    }

    #[test]
    fn time_cube_bins_are_nice_divide_a_week_and_stay_few() {
        use super::{snap_brush_us, time_cube_bucket_us, TIME_CUBE_BINS};
        let week = 7 * 86_400_000_000i64;
        // Two weeks in 120 s bins (the sample's series): hour bins, 336 of them.
        assert_eq!(time_cube_bucket_us(120_000_000, 10_080), 3_600_000_000);
        for (bucket, bins) in [(1_000_000, 10), (60_000_000, 20_000), (86_400_000_000, 5000), (5_000_000, 1)]
        {
            let w = time_cube_bucket_us(bucket, bins);
            assert!(w >= bucket && week % w == 0, "{bucket} x {bins}: {w}");
            assert!(bucket * bins as i64 / w <= TIME_CUBE_BINS || w == 86_400_000_000, "{bucket} x {bins}");
        }
        // Brushes widen to whole bins, on either side of the epoch; without a grid they stay.
        assert_eq!(snap_brush_us((3_700, 7_200), Some(3_600)), (3_600, 7_200));
        assert_eq!(snap_brush_us((3_700, 7_201), Some(3_600)), (3_600, 10_800));
        assert_eq!(snap_brush_us((-1, 1), Some(3_600)), (-3_600, 3_600));
        assert_eq!(snap_brush_us((5, 9), None), (5, 9));
    }
}
