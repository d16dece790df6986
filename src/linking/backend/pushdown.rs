//! The pushdown planner: each view's need, filtered by the other views' clauses (crossfilter),
//! becomes one aggregate SQL query for a [`SqlEngine`]; the small result is turned into the same
//! [`Output`] the in-memory engine gives, so the views do not change.
//!
//! A grouped query computes the main histogram and both week-over-week windows at once with
//! conditional sums. Labels follow the in-memory index exactly (integers as decimal text, nulls as
//! "(null)", IP prefixes through `data::net`): prefixes and split series are derived here from
//! the grouped raw values, which keeps the SQL portable between polars and Spark.
use super::chunks::{read_bounded, Bounded};
use super::lake_cube::{without, LakeCube};
use super::sql::{self, and_all, Conditions, DistinctLabels};
use super::{BackendError, SqlEngine};
use crate::linking::coordinator::{Answer, Request};
use crate::linking::engine::WEEK_US;
use crate::linking::index::NULL_LABEL;
use crate::linking::needs::{base_bucket_us, topn_output, Need, Output, TreeLeaf};
use crate::linking::selection::{Clause, Selection, ViewId};
use crate::linking::tuples::TupleSet;
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// Bytes of earlier view outputs a lake session keeps (`LakeSession::history`): the lists, series
/// and pages of an investigation's last few hundred steps (a list of 20 values is about 3 KB, a
/// series of 10 080 bins 80 KB), small beside what each cost to answer. 32 outputs were kept
/// before: at 100 M flows, five clicks in a list and three drill-downs pushed out the unfiltered
/// answer, so clearing the selection read the whole lake again.
const HISTORY_BYTES: usize = 64 << 20;

/// Most distinct tuples a link graph asks of a lake. The graph lays out 50,000 edges interactively
/// (`views::graph::model::MAX_EDGES_INTERACTIVE`); cluster rules fold many tuples into one edge,
/// hence four times that and more. 250,000 pairs build in about 2 s and hold about 30 MB; over
/// them the view says so and asks the analyst to narrow it, instead of holding gigabytes.
pub const MAX_TUPLES: usize = 250_000;

/// A view's output when its query failed; a refusal over its bound (`BackendError::TooMany`) is
/// noted in `refused`, as the answer to keep while the view's inputs stay the same.
fn error_output(view: ViewId, e: &BackendError, refused: &mut std::collections::BTreeSet<ViewId>) -> Output {
    if matches!(e, BackendError::TooMany { .. }) {
        refused.insert(view);
    }
    Output::Error(e.to_string())
}

/// About the bytes an output holds (its text and numbers; a shared treemap path counted in full).
fn output_bytes(o: &Output) -> usize {
    let text = |s: &str| s.len() + 24;
    128 + match o {
        Output::TopN { entries, .. } => entries.iter().map(|e| text(&e.label) + 40).sum(),
        Output::Time { total, series, .. } => {
            8 * total.len() + series.iter().map(|(n, v)| text(n) + 8 * v.len()).sum::<usize>()
        }
        Output::Table { rows, .. } => 4 * rows.len(),
        Output::Tree { leaves, .. } => {
            leaves.iter().map(|l| 48 + l.path.iter().map(|p| text(p)).sum::<usize>()).sum()
        }
        Output::Records { page, .. } => page.estimated_size(),
        Output::Tuples { tuples, .. } => 16 * tuples.len(),
        Output::Error(e) => text(e),
    }
}

/// Queries to a lake on this machine run together as one plan ([`SqlEngine::query_many`]): two,
/// so that each view still shows as soon as its pair is read (five at once held the 100 M
/// bench's first answer for 11 s, its peak at 1.54 GB against 0.98).
const QUERIES_PER_PLAN: usize = 2;

/// Count of records and the time bounds (µs) of the records that have a time.
#[derive(Debug, Clone, Copy)]
pub struct LakeStats {
    pub rows: i64,
    pub time_bounds_us: Option<(i64, i64)>,
}

/// Per field: (label, records, records with a time), for the time series' split.
type SplitCounts = Vec<(String, i64, i64)>;

/// The lake's answer to the views: caches the few whole-table facts needs depend on.
pub struct LakeSession {
    pub engine: Arc<dyn SqlEngine>,
    schema: Schema,
    stats: LakeStats,
    split_counts: HashMap<String, SplitCounts>,
    distinct: DistinctLabels,
    window_rows: HashMap<(i64, i64), bool>,
    /// The cube of the list the pointer is in, and the last request (what a cube is built for).
    cube: Option<LakeCube>,
    pub(super) last: Option<(Selection, BTreeMap<ViewId, Need>)>,
    /// The outputs of the last request answered in full (a cube keeps its list's own).
    last_out: BTreeMap<ViewId, Output>,
    /// Earlier outputs with what they depend on (view, need, the other views' clauses), newest
    /// last: a clause removed again, or a click back, finds its views' outputs here.
    history: std::collections::VecDeque<(ViewId, Need, Selection, Output)>,
    /// The history's bytes (`output_bytes`, counted once as each output goes in or out).
    history_bytes: usize,
    /// Views answered from the cube in the last request, and the time that took.
    pub last_local: (usize, f64),
    /// Views of the last request that kept their previous output (their inputs were unchanged).
    pub last_reused: usize,
    /// Views whose last output says their result is over its bound (`BackendError::TooMany`): not
    /// a failure to retry, but the answer while their inputs stay the same (paging the records
    /// with an unfiltered graph open re-read a day of a 100 M lake per page).
    refused: std::collections::BTreeSet<ViewId>,
    /// Most rows a view's cube may hold (`lake_cube::CUBE_MAX_ROWS`; smaller in tests).
    pub cube_max_rows: usize,
    /// Records from which a lake without partitions to split by has its cube parts read in two
    /// chunks by time (`LakeSession::time_splits`; smaller in tests).
    pub time_split_min_rows: i64,
    /// The records of one view's clause, held for the other views' queries (`subset`).
    pub(super) subset: Option<super::subset::Subset>,
    /// Clauses (as SQL) found to hold more records than this budget allowed, and that budget.
    pub(super) subset_too_big: HashMap<String, usize>,
    /// How long the last cube took to build (set by `hover` when it built one, whether or not it
    /// kept any part), for the coordinator to judge whether a click should wait for the next.
    pub last_cube_ms: Option<f64>,
    /// Most distinct tuples a link graph's need brings back ([`MAX_TUPLES`]; smaller in tests).
    pub max_tuples: usize,
    /// Most records a subset may hold (`subset::SUBSET_MAX_ROWS`; 0 turns subsets off).
    pub subset_max_rows: usize,
    /// Views of the last request answered over a subset in memory.
    pub last_from_subset: usize,
    /// Where cube parts read from a Parquet lake are kept between hovers and sessions (none by
    /// default; the app and the bench set it).
    pub cube_store: Option<Arc<super::cube_store::CubeStore>>,
    /// Where the last cube's parts were read from.
    pub last_cube_parts: super::lake_cube::CubeParts,
    /// The lake's fingerprint as of the last request, when parts and answers are kept.
    pub(super) lake_print: Option<String>,
    /// A query over the lake that took this long is kept in the store (`cube_store::KEEP_MIN_MS`; 0 in
    /// tests).
    pub keep_min_ms: u128,
    /// Queries of the last request read from the store instead of the lake.
    pub last_kept_reads: u64,
    /// Whether the views' cubes are read ahead into the store while idle (`cube_warm`).
    pub read_ahead: bool,
    /// The request the views in it have had their cubes read ahead for.
    pub(super) warmed: super::cube_warm::ReadAheadDone,
    /// Answers of this request's queries to the lake, run together (`SqlEngine::query_many`),
    /// each with how long they took together (ms): each view's answer takes its own from here.
    pub(super) prefetched: std::sync::Mutex<HashMap<String, (DataFrame, u128)>>,
}

/// Labels of a result column, exactly as the in-memory index writes them (integers in decimal,
/// nulls as "(null)").
pub fn labels_of(c: &Column) -> PolarsResult<Vec<String>> {
    Ok(label_column(c)?.iter().map(|v| v.unwrap_or(NULL_LABEL).to_string()).collect())
}

/// [`labels_of`] as text in one chunk (a null is "(null)" when read), so that a row is read in
/// constant time and no `String` is made per row.
pub(super) fn label_column(c: &Column) -> PolarsResult<StringChunked> {
    let s = c.as_materialized_series();
    let s = if s.dtype().is_integer() { s.cast(&DataType::Int64)? } else { s.clone() };
    Ok(s.cast(&DataType::String)?.str()?.rechunk().into_owned())
}

/// An integer result column as i64 (nulls as 0: sums over no row).
pub(super) fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    Ok(int_column(df, name)?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// An integer result column as i64 in one chunk (nulls stay null).
pub(super) fn int_column(df: &DataFrame, name: &str) -> PolarsResult<Int64Chunked> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::Int64)?;
    Ok(s.i64()?.rechunk().into_owned())
}

/// The comparison windows for a selection (see `Engine::cmp_windows`): the time brush and a week
/// earlier, or without a brush the last 7 days of data and the 7 before (data spanning two weeks).
pub fn cmp_windows(sel: &Selection, bounds: Option<(i64, i64)>) -> Option<((i64, i64), (i64, i64))> {
    let brush = sel.clauses.values().find_map(|c| match c {
        Clause::Time { start_us, end_us } => Some((*start_us, *end_us)),
        _ => None,
    });
    let (a, b) = match brush {
        Some(t) => t,
        None => match bounds {
            Some((lo, hi)) if hi - lo >= 2 * WEEK_US - 86_400_000_000 => (hi + 1 - WEEK_US, hi + 1),
            _ => return None,
        },
    };
    Some(((a, b), (a - WEEK_US, b - WEEK_US)))
}

/// One grouped query's parts: group keys (SQL expressions), the weight, and the conditions of the
/// main histogram and of the two windows, each over the rows `prefilter` lets through (so they
/// need not state again what it states).
#[derive(Clone)]
pub(super) struct Grouped {
    pub keys: Vec<String>,
    pub weight: String,
    pub main: String,
    pub windows: Option<(String, String)>,
    /// A condition every row of the main histogram or a window meets, put straight on the scan
    /// so the engine can skip files and row groups (time bounds) and decode fewer rows; the
    /// conditions above, computed per row as columns, hide that from it.
    pub prefilter: Option<String>,
}

impl Grouped {
    pub(super) fn sql(&self) -> String {
        let n = self.keys.len();
        let key_names: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
        let mut inner: Vec<String> =
            self.keys.iter().zip(&key_names).map(|(k, a)| format!("{k} AS {a}")).collect();
        inner.push(format!("{} AS w", self.weight));
        inner.push(format!("{} AS m", self.main));
        let mut outer = key_names.clone();
        outer.push("SUM(CASE WHEN m THEN w ELSE 0 END) AS v".into());
        let mut wher = "m".to_string();
        if let Some((c, p)) = &self.windows {
            inner.push(format!("{c} AS wc"));
            inner.push(format!("{p} AS wp"));
            outer.push("SUM(CASE WHEN wc THEN w ELSE 0 END) AS c".into());
            outer.push("SUM(CASE WHEN wp THEN w ELSE 0 END) AS p".into());
            wher = "m OR wc OR wp".into();
        }
        let scan = match &self.prefilter {
            Some(p) => format!("logs WHERE {p}"),
            None => "logs".into(),
        };
        format!(
            "SELECT {} FROM (SELECT {} FROM {scan}) AS q WHERE {wher} GROUP BY {}",
            outer.join(", "),
            inner.join(", "),
            key_names.join(", ")
        )
    }
}

/// Rows of a grouped result: key labels per row, and v, c, p per row (c, p zero without windows).
pub(super) struct GroupRows {
    pub(super) keys: Vec<Vec<String>>,
    pub(super) v: Vec<i64>,
    pub(super) c: Vec<i64>,
    pub(super) p: Vec<i64>,
}

pub(super) fn group_rows(df: &DataFrame, n_keys: usize) -> PolarsResult<GroupRows> {
    let cols: Vec<Vec<String>> =
        (0..n_keys).map(|i| labels_of(df.column(&format!("k{i}"))?)).collect::<PolarsResult<_>>()?;
    let h = df.height();
    let keys = (0..h).map(|r| cols.iter().map(|c| c[r].clone()).collect()).collect();
    let v = ints(df, "v")?;
    let (c, p) =
        if df.column("c").is_ok() { (ints(df, "c")?, ints(df, "p")?) } else { (vec![0; h], vec![0; h]) };
    Ok(GroupRows { keys, v, c, p })
}

impl LakeSession {
    pub fn new(engine: Arc<dyn SqlEngine>) -> Result<Self, BackendError> {
        Self::open(engine, None)
    }

    /// [`Self::new`] with a store for cube parts and slow answers (`cube_store`), so that a lake
    /// opened again answers from it, its stats included.
    pub fn open(
        engine: Arc<dyn SqlEngine>,
        store: Option<Arc<super::cube_store::CubeStore>>,
    ) -> Result<Self, BackendError> {
        let schema = engine.schema()?;
        let lake_print = store.as_ref().and_then(|_| engine.fingerprint());
        let mut s = Self {
            engine,
            schema,
            stats: LakeStats { rows: 0, time_bounds_us: None },
            split_counts: HashMap::new(),
            distinct: DistinctLabels::new(),
            window_rows: HashMap::new(),
            cube: None,
            last: None,
            last_out: BTreeMap::new(),
            history: std::collections::VecDeque::new(),
            history_bytes: 0,
            last_reused: 0,
            refused: Default::default(),
            last_local: (0, 0.0),
            cube_max_rows: super::lake_cube::CUBE_MAX_ROWS,
            time_split_min_rows: super::lake_cube::CUBE_MAX_ROWS as i64,
            subset: None,
            subset_too_big: HashMap::new(),
            subset_max_rows: super::subset::SUBSET_MAX_ROWS,
            max_tuples: MAX_TUPLES,
            last_cube_ms: None,
            last_from_subset: 0,
            cube_store: store,
            last_cube_parts: Default::default(),
            lake_print,
            keep_min_ms: super::cube_store::KEEP_MIN_MS,
            last_kept_reads: 0,
            read_ahead: true,
            warmed: Default::default(),
            prefetched: Default::default(),
        };
        s.stats = s.fetch_stats()?;
        Ok(s)
    }

    pub fn stats(&self) -> LakeStats {
        self.stats
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub(super) fn has_time(&self) -> bool {
        self.schema.get("time").is_some()
    }

    fn fetch_stats(&self) -> Result<LakeStats, BackendError> {
        let d = self.engine.dialect();
        let sql = if self.has_time() {
            let t = sql::time_us(d);
            format!("SELECT COUNT(*) AS n, MIN({t}) AS lo, MAX({t}) AS hi FROM logs")
        } else {
            "SELECT COUNT(*) AS n FROM logs".to_string()
        };
        let df = self.query_kept(&*self.engine, &sql, "stats")?;
        let rows = ints(&df, "n")?.first().copied().unwrap_or(0);
        let bound = |c: &str| -> PolarsResult<Option<i64>> {
            Ok(match df.column(c) {
                Ok(col) => col.as_materialized_series().cast(&DataType::Int64)?.i64()?.get(0),
                Err(_) => None,
            })
        };
        let time_bounds_us = match (bound("lo")?, bound("hi")?) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        Ok(LakeStats { rows, time_bounds_us })
    }

    pub(super) fn conditions(&self) -> Conditions<'_> {
        Conditions { d: self.engine.dialect(), schema: &self.schema, distinct: &self.distinct }
    }

    /// Fetches what the needs of `req` depend on beyond their own query (once per table).
    pub(super) fn prepare(
        &mut self,
        sel: &Selection,
        needs: &BTreeMap<ViewId, Need>,
        tag: &str,
    ) -> Result<(), BackendError> {
        let d = self.engine.dialect();
        for f in sql::prefix_fields(sel) {
            if self.distinct.contains_key(&f) || self.schema.get(&f).is_none() {
                continue;
            }
            // A kept answer of the unfiltered list over the field groups every record by it: its
            // keys are the field's distinct labels (at 100 M flows the first treemap click on a
            // /16 spent 2.3 s of its 5.1 s reading them again).
            let list = Need::TopN { field: f.clone(), offset: 0, limit: 1, measure: "count".into() };
            let kept =
                match (&self.cube_store, &self.lake_print, self.grouped(&Selection::default(), 0, &list)) {
                    (Some(s), Some(lake), Some(g)) => s.load_frame(lake, &g.sql()),
                    _ => None,
                };
            let df = match kept {
                Some(df) => df,
                None => {
                    let q = format!("SELECT DISTINCT {} AS k0 FROM logs", sql::ident(d, &f));
                    self.query_kept(&*self.engine, &q, tag)?
                }
            };
            self.distinct.insert(f, labels_of(df.column("k0")?)?);
        }
        for need in needs.values() {
            if let Need::Time { split: Some((field, _)), .. } = need {
                if self.split_counts.contains_key(field) || self.schema.get(field).is_none() {
                    continue;
                }
                let timed =
                    if self.has_time() { format!("{} IS NOT NULL", sql::time_us(d)) } else { "FALSE".into() };
                let q = format!(
                    "SELECT {} AS k0, COUNT(*) AS n, SUM(CASE WHEN {timed} THEN 1 ELSE 0 END) AS nt FROM logs GROUP BY {}",
                    sql::ident(d, field),
                    sql::ident(d, field)
                );
                let df = self.query_kept(&*self.engine, &q, tag)?;
                let labels = labels_of(df.column("k0")?)?;
                let (n, nt) = (ints(&df, "n")?, ints(&df, "nt")?);
                let counts = labels.into_iter().zip(n).zip(nt).map(|((l, a), b)| (l, a, b)).collect();
                self.split_counts.insert(field.clone(), counts);
            }
        }
        // Only lists and the treemap compare weeks; a records page alone needs no window count.
        let compares = needs.values().any(|n| matches!(n, Need::TopN { .. } | Need::Tree { .. }));
        if let (Some((_, prev)), true) = (cmp_windows(sel, self.stats.time_bounds_us), compares) {
            if !self.window_rows.contains_key(&prev) && self.has_time() {
                let q = format!(
                    "SELECT COUNT(*) AS n FROM logs WHERE {}",
                    self.conditions().time_window(prev.0, prev.1)
                );
                let df = self.query_kept(&*self.engine, &q, tag)?;
                let n = ints(&df, "n")?.first().copied().unwrap_or(0);
                self.window_rows.insert(prev, n > 0);
            }
        }
        Ok(())
    }

    /// The SQL of one need (for the bench, tests and the curious); `None` for the records page,
    /// which takes two queries.
    pub fn need_sql(&self, sel: &Selection, view: ViewId, need: &Need) -> Option<String> {
        self.grouped(sel, view, need).map(|g| g.sql())
    }

    /// The two comparison windows of `view`, over the rows its windowed prefilter
    /// ([`Self::prefilter`]) lets through: those already meet every clause but time, so the
    /// windows test time alone.
    fn window_conds(&self, sel: &Selection) -> Option<(String, String)> {
        let c = self.conditions();
        let ((a, b), (pa, pb)) = cmp_windows(sel, self.stats.time_bounds_us)?;
        if !self.has_time() {
            return None;
        }
        Some((c.time_window(a, b), c.time_window(pa, pb)))
    }

    /// What every row of `view`'s main histogram (every clause but its own) and of its windows
    /// meets: the clauses but time, and when another view brushes time, the span from the
    /// week-earlier window to the brush's end. `None` when that is every row.
    fn prefilter(&self, sel: &Selection, view: ViewId, windowed: bool) -> Option<String> {
        let c = self.conditions();
        let p = if windowed {
            let brush = sel.others(view).find_map(|(_, c)| match c {
                Clause::Time { start_us, end_us } => Some((*start_us, *end_us)),
                _ => None,
            });
            // The windows are those of `cmp_windows`: a brush and the week before it.
            let span = brush.map(|(a, b)| match cmp_windows(sel, self.stats.time_bounds_us) {
                Some(((wa, wb), (pa, pb))) => (a.min(wa).min(pa), b.max(wb).max(pb)),
                None => (a, b),
            });
            let parts =
                [c.others_but_time(sel, view)].into_iter().chain(span.map(|(a, b)| c.time_window(a, b)));
            and_all(parts.filter(|x| x != "TRUE"))
        } else {
            c.others(sel, view)
        };
        (p != "TRUE").then_some(p)
    }

    pub(super) fn grouped(&self, sel: &Selection, view: ViewId, need: &Need) -> Option<Grouped> {
        let d = self.engine.dialect();
        let c = self.conditions();
        // The conditions per row are stated over the rows the prefilter lets through, which
        // already meet every other view's clause (and, windowed, all but a time brush): stated
        // again per row, polars tested each clause once per column. After a treemap click on a
        // /16 (an IN list of 4,064 addresses) a list's query over 100 M flows took 3.3 s with
        // the list tested four times per row, 2.6 s with it tested once.
        let main = c.others_time_only(sel, view);
        match need {
            Need::TopN { field, measure, .. } => Some(Grouped {
                keys: vec![sql::ident(d, field)],
                weight: sql::weight(d, &self.schema, measure),
                main,
                windows: self.window_conds(sel),
                prefilter: self.prefilter(sel, view, true),
            }),
            Need::Time { measure, split } => {
                let (origin, bucket) = self.time_grid();
                let t = sql::time_us(d);
                let mut keys = vec![sql::time_bin(d, origin, bucket)];
                if let Some((field, _)) = split {
                    keys.push(sql::ident(d, field));
                }
                Some(Grouped {
                    keys,
                    weight: sql::weight(d, &self.schema, measure),
                    main: format!("{t} IS NOT NULL"),
                    windows: None,
                    prefilter: self.prefilter(sel, view, false),
                })
            }
            Need::Tree { levels, measure } => Some(Grouped {
                keys: tree_fields(levels).iter().map(|f| sql::ident(d, f)).collect(),
                weight: sql::weight(d, &self.schema, measure),
                main,
                windows: self.window_conds(sel),
                prefilter: self.prefilter(sel, view, true),
            }),
            Need::Tuples { fields } => Some(Grouped {
                keys: fields.iter().take(3).map(|f| sql::ident(d, f)).collect(),
                weight: "1".into(),
                main: "TRUE".into(),
                windows: None,
                prefilter: self.prefilter(sel, view, false),
            }),
            Need::Table { .. } => None,
        }
    }

    /// Whether the week-earlier window of `sel` holds any record (known after `prepare`).
    pub(super) fn prev_window_has_rows(&self, sel: &Selection) -> bool {
        cmp_windows(sel, self.stats.time_bounds_us)
            .is_some_and(|(_, p)| self.window_rows.get(&p).copied().unwrap_or(false))
    }

    /// Origin, bucket and bucket count of the base time series.
    pub(super) fn time_grid_n(&self) -> (i64, i64, usize) {
        let (origin, bucket) = self.time_grid();
        let nb = match self.stats.time_bounds_us {
            Some((_, hi)) => ((hi - origin) / bucket + 1) as usize,
            None => 1,
        };
        (origin, bucket, nb)
    }

    /// The pointer entered list `view`: fetch its cube for the last request (one query), unless
    /// the one held is already for it. Returns whether a cube for `view` is ready.
    pub fn hover(&mut self, view: ViewId, tag: &str) -> Result<bool, BackendError> {
        let Some((sel, needs)) = self.last.clone() else { return Ok(false) };
        if let Some(c) = &self.cube {
            if c.view == view && !c.answer(&sel, &needs, self.time_grid_n()).is_empty() {
                return Ok(true);
            }
        }
        // The cube held goes before the new one is read: both at once were the session's peak
        // memory (a list's cube of 8 M rows beside a time cube's 12 M at 100 M flows).
        self.cube = None;
        self.forget_prefetched();
        crate::alloc::release_free_memory();
        let t0 = Instant::now();
        self.last_cube_parts = Default::default();
        self.cube = self.build_cube(view, &sel, &needs, tag)?;
        // A cube read from the disk or from a subset in memory says nothing of how long the lake
        // takes: a click would wait for the next cube on the strength of it, and that one may be
        // a lake's 20 s.
        let parts = self.last_cube_parts;
        if parts.from_lake > 0 || parts.from_disk + parts.from_subset == 0 {
            self.last_cube_ms = Some(t0.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(self.cube.is_some())
    }

    /// Whether `view`'s last output is a refusal over its bound (`BackendError::TooMany`), not a
    /// failure.
    pub fn refused(&self, view: ViewId) -> bool {
        self.refused.contains(&view)
    }

    pub(super) fn last_output(&self, view: ViewId) -> Option<&Output> {
        self.last_out.get(&view)
    }

    /// The cube held, if any (bench: its size).
    pub fn cube(&self) -> Option<&LakeCube> {
        self.cube.as_ref()
    }

    /// Origin and bucket of the base time series, as the in-memory planner picks them.
    fn time_grid(&self) -> (i64, i64) {
        let (lo, hi) = self.stats.time_bounds_us.unwrap_or((0, 0));
        let b = base_bucket_us(hi - lo);
        (lo.div_euclid(b) * b, b)
    }

    fn check_fields(&self, need: &Need) -> Result<(), BackendError> {
        let fields: Vec<String> = match need {
            Need::TopN { field, .. } => vec![field.clone()],
            Need::Time { split: Some((f, _)), .. } => vec![f.clone()],
            Need::Tree { levels, .. } => tree_fields(levels),
            Need::Tuples { fields } => fields.clone(),
            _ => vec![],
        };
        for f in fields {
            if self.schema.get(&f).is_none() {
                return Err(BackendError::Other(format!("not found: {f}")));
            }
        }
        Ok(())
    }

    /// The query of `view`'s need when it may run with others over the lake ([`Self::prefetch`]):
    /// a list's, the time series' or a treemap's, each one aggregate, unless the store keeps it.
    /// A graph's pairs are read a chunk at a time, bounded, and a records page reads rows: those
    /// go on their own.
    fn batchable_sql(&self, sel: &Selection, view: ViewId, need: &Need) -> Option<String> {
        if !matches!(need, Need::TopN { .. } | Need::Time { .. } | Need::Tree { .. })
            || self.check_fields(need).is_err()
        {
            return None;
        }
        let sql = match self.complement(&*self.engine, sel, view, need) {
            // What is read of an exclusion answered by subtraction: what it excludes.
            Some(c) => c.pos,
            None => self.grouped(sel, view, need)?.sql(),
        };
        let kept = match (&self.cube_store, &self.lake_print) {
            (Some(s), Some(lake)) => s.has_frame(lake, &sql),
            _ => false,
        };
        (!kept).then_some(sql)
    }

    /// Drops the answers run together for a request: they are for that request's lake files
    /// (a cancelled request leaves them; the next request or hover drops them).
    fn forget_prefetched(&self) {
        if let Ok(mut p) = self.prefetched.lock() {
            p.clear();
        }
    }

    /// Runs `sqls` (distinct) over the lake as one plan (`query_many`), for the views' answers to
    /// take from `prefetched`. A failure here is left to each view's own query to report.
    fn prefetch(&self, sqls: Vec<String>, tag: &str) -> Result<(), BackendError> {
        if sqls.len() < 2 {
            return Ok(());
        }
        let t0 = Instant::now();
        match self.engine.query_many(&sqls, tag) {
            Ok(dfs) => {
                let ms = t0.elapsed().as_millis();
                if let Ok(mut p) = self.prefetched.lock() {
                    p.extend(sqls.into_iter().zip(dfs.into_iter().map(|df| (df, ms))));
                }
                Ok(())
            }
            Err(BackendError::Cancelled) => Err(BackendError::Cancelled),
            Err(_) => Ok(()),
        }
    }

    /// Answers one need (the records page takes a count and a page query).
    pub fn answer(
        &self,
        sel: &Selection,
        view: ViewId,
        need: &Need,
        tag: &str,
    ) -> Result<Output, BackendError> {
        self.answer_on(&*self.engine, sel, view, need, tag)
    }

    /// [`Self::answer`] with the queries sent to `eng`: the lake, or a subset of it that holds
    /// every record they count (`subset`); a records page's rows are always read from the lake.
    fn answer_on(
        &self,
        eng: &dyn SqlEngine,
        sel: &Selection,
        view: ViewId,
        need: &Need,
        tag: &str,
    ) -> Result<Output, BackendError> {
        self.check_fields(need)?;
        if let Need::Table { offset, limit, sort } = need {
            return self.records(eng, sel, view, *offset, *limit, sort.as_ref(), tag);
        }
        let Some(g) = self.grouped(sel, view, need) else {
            return Err(BackendError::Other("no query for this need".into()));
        };
        if let Need::Tuples { fields } = need {
            return self.tuples(eng, &g, fields, tag);
        }
        // An exclusion is the answer without it less the answer for what it excludes, when
        // those are kept or cheaper to read (`complement`).
        let subtracted = match self.complement(eng, sel, view, need) {
            Some(c) => self.subtracted(eng, &c, g.keys.len(), tag)?,
            None => None,
        };
        let rows = match subtracted {
            Some(rows) => rows,
            None => group_rows(&self.query_kept(eng, &g.sql(), tag)?, g.keys.len())?,
        };
        let prev_has_rows = cmp_windows(sel, self.stats.time_bounds_us)
            .is_some_and(|(_, p)| self.window_rows.get(&p).copied().unwrap_or(false));
        let has_cmp = prev_has_rows && (rows.c.iter().any(|&x| x != 0) || rows.p.iter().any(|&x| x != 0));
        Ok(match need {
            Need::TopN { field, offset, limit, measure } => {
                // Two raw values with one label (rare: "(null)" text and a null) are one entry.
                let mut by: BTreeMap<String, [i64; 3]> = BTreeMap::new();
                for (i, k) in rows.keys.iter().enumerate() {
                    let e = by.entry(k[0].clone()).or_default();
                    e[0] += rows.v[i];
                    e[1] += rows.c[i];
                    e[2] += rows.p[i];
                }
                let labels: Vec<String> = by.keys().cloned().collect();
                let col = |j: usize| by.values().map(|x| x[j]).collect::<Vec<i64>>();
                let (m, c, p) = (col(0), col(1), col(2));
                topn_output(field, measure, *offset, *limit, &labels, [&m, &c, &p], has_cmp)
            }
            Need::Time { measure, split } => self.time_output(measure, split.as_ref(), &rows),
            Need::Tree { levels, measure } => {
                let fields = tree_fields(levels);
                let mut by: BTreeMap<Vec<String>, [i64; 3]> = BTreeMap::new();
                for (i, k) in rows.keys.iter().enumerate() {
                    let path: Vec<String> = levels
                        .iter()
                        .take(3)
                        .map(|l| {
                            let (field, bits) = split_level(l);
                            let raw = &k[fields.iter().position(|f| f == field).unwrap_or(0)];
                            match bits {
                                Some(b) => crate::data::net::prefix_key(raw, b)
                                    .unwrap_or_else(|| crate::data::net::NON_IP.to_string()),
                                None => raw.clone(),
                            }
                        })
                        .collect();
                    let e = by.entry(path).or_default();
                    e[0] += rows.v[i];
                    e[1] += rows.c[i];
                    e[2] += rows.p[i];
                }
                let leaves = by
                    .into_iter()
                    .filter(|(_, x)| x[0] != 0)
                    .map(|(path, x)| TreeLeaf {
                        path: path.into(),
                        value: x[0],
                        cur: has_cmp.then_some(x[1]),
                        prev: has_cmp.then_some(x[2]),
                    })
                    .collect();
                Output::Tree { levels: levels.clone(), measure: measure.clone(), leaves, has_cmp }
            }
            Need::Tuples { .. } | Need::Table { .. } => unreachable!("answered above"),
        })
    }

    /// A link graph's tuples with their records, read a chunk of the lake at a time and given up
    /// once more than [`Self::max_tuples`] are seen: a graph of millions of pairs cannot be drawn,
    /// and reading them all took 28 s and 8.5 GB at 100 M flows. No estimate: a graph within its
    /// bound is never refused on a guess.
    fn tuples(
        &self,
        eng: &dyn SqlEngine,
        g: &Grouped,
        fields: &[String],
        tag: &str,
    ) -> Result<Output, BackendError> {
        let n = g.keys.len();
        let mut by: BTreeMap<Vec<String>, i64> = BTreeMap::new();
        let sql_of = |g: &Grouped| g.sql();
        let how = Bounded { sql_of: &sql_of, room: self.max_tuples, growth: None };
        let fits = read_bounded(eng, g, &how, &self.chunks_of(eng), tag, &mut |df, _| {
            let rows = group_rows(df, n)?;
            for (k, v) in rows.keys.into_iter().zip(rows.v) {
                *by.entry(k).or_default() += v;
            }
            Ok(by.len())
        })?;
        if fits.is_none() {
            return Err(BackendError::TooMany {
                what: format!("({}) tuples", fields.iter().take(n).cloned().collect::<Vec<_>>().join(", ")),
                bound: self.max_tuples,
            });
        }
        Ok(Output::Tuples {
            fields: fields.to_vec(),
            tuples: TupleSet::from_strings(fields.len(), by.into_iter().filter(|(_, v)| *v != 0)),
        })
    }

    fn time_output(&self, measure: &str, split: Option<&(String, usize)>, rows: &GroupRows) -> Output {
        let (origin, bucket) = self.time_grid();
        let nb = match self.stats.time_bounds_us {
            Some((_, hi)) => ((hi - origin) / bucket + 1) as usize,
            None => 1,
        };
        let bin = |k: &str| k.parse::<i64>().ok().map(|off| (off / bucket) as usize).filter(|&b| b < nb);
        let mut total = vec![0i64; nb];
        for (i, k) in rows.keys.iter().enumerate() {
            if let Some(b) = bin(&k[0]) {
                total[b] += rows.v[i];
            }
        }
        let mut series = Vec::new();
        if let Some((field, k)) = split {
            let counts = self.split_counts.get(field).map(Vec::as_slice).unwrap_or(&[]);
            // The field's top k values over the whole table (stable while brushing), as in memory.
            let mut order: Vec<&(String, i64, i64)> = counts.iter().collect();
            order.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let top: Vec<&str> = order.iter().take(*k).map(|x| x.0.as_str()).collect();
            let name = |l: &str| if top.contains(&l) { l.to_string() } else { "other".to_string() };
            // A series exists when its values occur with a time anywhere, even if filtered out now.
            let mut by: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for (l, _, nt) in counts {
                if *nt > 0 {
                    by.entry(name(l)).or_insert_with(|| vec![0; nb]);
                }
            }
            for (i, key) in rows.keys.iter().enumerate() {
                if let (Some(b), Some(v)) = (bin(&key[0]), by.get_mut(&name(&key[1]))) {
                    v[b] += rows.v[i];
                }
            }
            series = by.into_iter().collect();
            series.sort_by_key(|(_, v)| -v.iter().sum::<i64>());
        }
        Output::Time { measure: measure.to_string(), origin_us: origin, bucket_us: bucket, total, series }
    }

    #[allow(clippy::too_many_arguments)]
    fn records(
        &self,
        eng: &dyn SqlEngine,
        sel: &Selection,
        view: ViewId,
        offset: usize,
        limit: usize,
        sort: Option<&(String, bool)>,
        tag: &str,
    ) -> Result<Output, BackendError> {
        let d = self.engine.dialect();
        let filter = self.conditions().others(sel, view);
        // In time order the records per time bin give both the count and the page's bound: one
        // scan of the lake, not two (and none for an exclusion whose counts are kept, `complement`).
        let by_time = match sort {
            None if self.has_time() => Some(self.passing_per_bin(eng, sel, view, tag)?),
            _ => None,
        };
        let passing = match &by_time {
            Some((bins, nulls)) => nulls + bins.iter().map(|(_, n)| n).sum::<i64>(),
            None => {
                let n =
                    self.query_kept(eng, &format!("SELECT COUNT(*) AS n FROM logs WHERE {filter}"), tag)?;
                ints(&n, "n")?.first().copied().unwrap_or(0)
            }
        };
        let order = match sort {
            Some((c, desc)) => {
                format!("{} {} NULLS LAST", sql::ident(d, c), if *desc { "DESC" } else { "ASC" })
            }
            None if self.has_time() => format!("{} ASC NULLS FIRST", sql::ident(d, "time")),
            None => "1".into(),
        };
        // In time order, only the records up to the page's last bin are sorted: sorting every
        // column of every passing record took 2 GB per 10 M rows.
        let upto = match by_time {
            Some((bins, nulls)) if passing > 0 => self.page_time_bound(bins, nulls, offset + limit),
            _ => None,
        };
        let page = match upto {
            // No record passes: nothing to read (a sorted page of none scanned the whole lake).
            _ if passing == 0 => DataFrame::empty_with_schema(&self.schema),
            // The few records up to the page's last bin come back unsorted and are ordered here: an
            // engine sorting under a filter may sort every record first (polars did: 1.6 GB at 10 M).
            Some(upto) => {
                let rows =
                    self.engine.query(&format!("SELECT * FROM logs WHERE {filter} AND {upto}"), tag)?;
                let opts = SortMultipleOptions::default().with_nulls_last(false).with_maintain_order(true);
                rows.sort(["time"], opts)?.slice(offset as i64, limit)
            }
            None => self.engine.query(
                &format!("SELECT * FROM logs WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"),
                tag,
            )?,
        };
        Ok(Output::Records { passing, offset, page: Arc::new(page) })
    }

    /// The records passing every clause but `view`'s per time bin (bin offsets from the grid's
    /// origin), and those without a time.
    fn passing_per_bin(
        &self,
        eng: &dyn SqlEngine,
        sel: &Selection,
        view: ViewId,
        tag: &str,
    ) -> Result<(Vec<(i64, i64)>, i64), BackendError> {
        let d = self.engine.dialect();
        let (origin, bucket) = self.time_grid();
        let bin = sql::time_bin(d, origin, bucket);
        let sql_of = |s: &Selection| {
            let filter = self.conditions().others(s, view);
            Some(format!("SELECT k0, COUNT(*) AS n FROM (SELECT {bin} AS k0 FROM logs WHERE {filter}) AS q GROUP BY k0"))
        };
        // Records per bin (its offset from the grid's origin; None: without a time).
        type PerBin = BTreeMap<Option<i64>, [i64; 1]>;
        let per_bin = |df: &DataFrame| -> Result<PerBin, BackendError> {
            let keys = df.column("k0")?.as_materialized_series().cast(&DataType::Int64)?;
            let mut by = PerBin::new();
            for (k, n) in keys.i64()?.iter().zip(ints(df, "n")?) {
                by.entry(k).or_insert([0])[0] += n;
            }
            Ok(by)
        };
        let mut by = None;
        if let Some(c) = self.complement_of(eng, sel, view, &sql_of) {
            let base = per_bin(&self.query_kept(eng, &c.base, tag)?)?;
            by = super::complement::less(base, per_bin(&self.query_kept(eng, &c.pos, tag)?)?);
        }
        let by = match by {
            Some(by) => by,
            None => per_bin(&self.query_kept(eng, &sql_of(sel).unwrap_or_default(), tag)?)?,
        };
        let nulls = by.get(&None).map_or(0, |n| n[0]);
        let bins = by.into_iter().filter_map(|(k, [n])| Some((k?, n))).collect();
        Ok((bins, nulls))
    }

    /// A condition that keeps the first `need` records in time order (nulls first) among those
    /// counted per bin in `bins` and `nulls` ([`Self::passing_per_bin`]): None when every record
    /// is needed.
    fn page_time_bound(&self, mut bins: Vec<(i64, i64)>, nulls: i64, need: usize) -> Option<String> {
        let (origin, bucket) = self.time_grid();
        let need = need as i64;
        let t = sql::ident(self.engine.dialect(), "time");
        if nulls >= need {
            return Some(format!("{t} IS NULL"));
        }
        bins.sort_unstable();
        let mut seen = nulls;
        for (k, n) in bins {
            seen += n;
            if seen >= need {
                // Without such records, no `IS NULL` alternative: the bound alone lets the
                // engine skip the files after the page.
                let before = self.conditions().time_cmp("<", origin + k + bucket);
                return Some(if nulls > 0 { format!("({t} IS NULL OR {before})") } else { before });
            }
        }
        None
    }

    /// Answers every need of a request; the queries run side by side. Each carries `tag`, so a
    /// newer request can cancel them all.
    pub fn run(&mut self, req: &Request, tag: &str) -> Answer {
        self.run_with(req, tag, &|_, _| {}).unwrap_or_else(|| Answer {
            seq: req.seq,
            outputs: req.needs.keys().map(|v| (*v, Output::Error("cancelled".into()))).collect(),
            total_rows: self.stats.rows.max(0) as usize,
            compute_ms: 0.0,
            strategy: "pushdown",
            all_rows: None,
        })
    }

    /// [`Self::run`], calling `on_view` as each view's output arrives; `None` when cancelled.
    pub fn run_with(
        &mut self,
        req: &Request,
        tag: &str,
        on_view: &(dyn Fn(ViewId, &Output) + Sync),
    ) -> Option<Answer> {
        let t0 = Instant::now();
        let mut outputs = BTreeMap::new();
        let mut cancelled = false;
        self.forget_prefetched();
        self.refresh_lake_print();
        let hits_before = self.store_hits();
        // A cube answers only the selection it was built for, bar its own view's clause: once
        // another view's clause changes it is dropped, not held beside what the new selection
        // reads (at 100 M flows, a treemap's cube beside the 3.3 M records of a source click).
        // So is the cube of a view no longer shown: the treemap's 3.3 M rows were still held while
        // the link graph that replaced it read its first day of pairs, the 100 M bench's peak.
        if self.cube.as_ref().is_some_and(|c| !c.fits(&req.selection) || !req.needs.contains_key(&c.view)) {
            self.cube = None;
            crate::alloc::release_free_memory();
        }
        // Views the active list's cube covers are sums over it: no query, within a frame.
        let local = match &self.cube {
            Some(c) => c.answer(&req.selection, &req.needs, self.time_grid_n()),
            None => BTreeMap::new(),
        };
        self.last_local = (local.len(), t0.elapsed().as_secs_f64() * 1000.0);
        let local_n = local.len();
        for (v, o) in local {
            on_view(v, &o);
            outputs.insert(v, o);
        }
        // A view's output depends on its need and the other views' clauses only (crossfilter), so
        // the view just clicked, or any view whose inputs did not change, keeps its last output:
        // without a cube, a click in a graph of millions of pairs re-read them all (11 s at 10 M).
        let mut reused = 0;
        let mut refused = std::collections::BTreeSet::new();
        if let Some((last_sel, last_needs)) = &self.last {
            for (v, need) in &req.needs {
                let same = !outputs.contains_key(v)
                    && last_needs.get(v) == Some(need)
                    && without(last_sel, *v) == without(&req.selection, *v);
                match self.last_out.get(v) {
                    Some(o) if same && (!matches!(o, Output::Error(_)) || self.refused.contains(v)) => {
                        if matches!(o, Output::Error(_)) {
                            refused.insert(*v);
                        }
                        on_view(*v, o);
                        outputs.insert(*v, o.clone());
                        reused += 1;
                    }
                    _ => {}
                }
            }
        }
        // An analyst drills down and back: an output answered for the same need and the same other
        // clauses a few requests ago is still the answer (over 100 M flows a list is a 4 s scan).
        for (v, need) in &req.needs {
            if outputs.contains_key(v) {
                continue;
            }
            let others = without(&req.selection, *v);
            let hit =
                self.history.iter().rev().find(|(hv, hn, hs, _)| hv == v && hn == need && *hs == others);
            if let Some((_, _, _, o)) = hit {
                on_view(*v, o);
                outputs.insert(*v, o.clone());
                reused += 1;
            }
        }
        self.last_reused = reused;
        self.last_from_subset = 0;
        // What the cube did not answer goes to the engine (nothing at all while brushing in it).
        let remote: BTreeMap<ViewId, Need> = req
            .needs
            .iter()
            .filter(|(v, _)| !outputs.contains_key(v))
            .map(|(v, n)| (*v, n.clone()))
            .collect();
        let prepared = if remote.is_empty() { Ok(()) } else { self.prepare(&req.selection, &remote, tag) };
        match prepared {
            Err(BackendError::Cancelled) => return None,
            Err(e) => {
                for v in remote.keys() {
                    outputs.insert(*v, Output::Error(e.to_string()));
                }
            }
            Ok(()) if !self.engine.concurrent_queries() => {
                // Every view but the subset's owner counts only records of its clause.
                let owner = match self.choose_subset(&req.selection, &remote, &req.needs, tag) {
                    Ok(o) => o,
                    Err(BackendError::Cancelled) => return None,
                    // The views' own queries will say what failed.
                    Err(_) => None,
                };
                // The queries to the lake that run together, two at a time (`prefetch`).
                // A query two views share (a treemap's by address and the list of that address)
                // runs once, for both.
                let mut batched: Vec<(ViewId, String)> = remote
                    .iter()
                    .filter(|(v, _)| self.subset.is_none() || owner == Some(**v))
                    .filter_map(|(v, need)| self.batchable_sql(&req.selection, *v, need).map(|q| (*v, q)))
                    .collect();
                let mut seen = std::collections::HashSet::new();
                batched.retain(|(_, q)| seen.insert(q.clone()));
                // Each pair is run when its first view's turn comes.
                let mut pairs: BTreeMap<ViewId, Vec<String>> = batched
                    .chunks(QUERIES_PER_PLAN)
                    .map(|pair| (pair[0].0, pair.iter().map(|(_, q)| q.clone()).collect()))
                    .collect();
                let mut from_subset = 0;
                for (v, need) in &remote {
                    if let Some(sqls) = pairs.remove(v) {
                        if let Err(BackendError::Cancelled) = self.prefetch(sqls, tag) {
                            return None;
                        }
                    }
                    let eng: &dyn SqlEngine = match (&self.subset, owner) {
                        (Some(s), Some(o)) if o != *v => {
                            from_subset += 1;
                            &s.engine
                        }
                        _ => &*self.engine,
                    };
                    match self.answer_on(eng, &req.selection, *v, need, tag) {
                        Ok(o) => {
                            on_view(*v, &o);
                            outputs.insert(*v, o);
                        }
                        Err(BackendError::Cancelled) => return None,
                        Err(e) => {
                            outputs.insert(*v, error_output(*v, &e, &mut refused));
                        }
                    }
                }
                self.last_from_subset = from_subset;
                self.forget_prefetched();
            }
            Ok(()) => {
                let this = &*self;
                std::thread::scope(|s| {
                    let handles: Vec<_> = remote
                        .iter()
                        .map(|(v, need)| {
                            (
                                *v,
                                s.spawn(move || {
                                    let r = this.answer(&req.selection, *v, need, tag);
                                    if let Ok(o) = &r {
                                        on_view(*v, o);
                                    }
                                    r
                                }),
                            )
                        })
                        .collect();
                    for (v, h) in handles {
                        let out = match h.join() {
                            Ok(Ok(o)) => o,
                            Ok(Err(BackendError::Cancelled)) => {
                                cancelled = true;
                                continue;
                            }
                            Ok(Err(e)) => error_output(v, &e, &mut refused),
                            Err(_) => Output::Error("the query thread panicked".into()),
                        };
                        outputs.insert(v, out);
                    }
                });
            }
        }
        if cancelled {
            return None;
        }
        // Every view's output, whether queried, summed from a cube or kept: all are exact answers.
        for (v, need) in &req.needs {
            match outputs.get(v) {
                // A graph's pairs may be millions: only the last answer keeps them.
                Some(Output::Error(_) | Output::Tuples { .. }) | None => {}
                Some(o) => {
                    let others = without(&req.selection, *v);
                    let same = |(hv, hn, hs, _): &(ViewId, Need, Selection, Output)| {
                        hv == v && hn == need && *hs == others
                    };
                    if let Some(at) = self.history.iter().position(same) {
                        if let Some(old) = self.history.remove(at) {
                            self.history_bytes -= output_bytes(&old.3);
                        }
                    }
                    self.history_bytes += output_bytes(o);
                    self.history.push_back((*v, need.clone(), others, o.clone()));
                }
            }
        }
        // The oldest go first once the outputs are over their bytes.
        while self.history_bytes > HISTORY_BYTES {
            match self.history.pop_front() {
                Some(h) => self.history_bytes -= output_bytes(&h.3),
                None => break,
            }
        }
        self.last_out.clone_from(&outputs);
        self.refused = refused;
        self.last = Some((req.selection.clone(), req.needs.clone()));
        self.last_kept_reads = self.store_hits() - hits_before;
        Some(Answer {
            seq: req.seq,
            outputs,
            total_rows: self.stats.rows.max(0) as usize,
            compute_ms: t0.elapsed().as_secs_f64() * 1000.0,
            strategy: match (local_n, remote.is_empty(), self.last_from_subset > 0) {
                (0, _, false) => "pushdown",
                (0, _, true) => "pushdown + subset in memory",
                (_, true, _) => "lake cube",
                (_, false, false) => "lake cube + pushdown",
                (_, false, true) => "lake cube + subset in memory",
            },
            all_rows: None,
        })
    }
}

/// "dst_ip/16" is the /16 prefixes of dst_ip; anything else is a field.
pub(super) fn split_level(level: &str) -> (&str, Option<u8>) {
    if let Some((field, bits)) = level.rsplit_once('/') {
        if let Ok(b) = bits.parse::<u8>() {
            return (field, Some(b));
        }
    }
    (level, None)
}

/// The distinct raw fields a treemap's levels group by.
pub(super) fn tree_fields(levels: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in levels.iter().take(3) {
        let f = split_level(l).0.to_string();
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}
