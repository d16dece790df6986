//! Equivalence check for any [`SqlEngine`]: a random sequence of view interactions (clicks on
//! top-N rows, exclusions, time brushes, treemap prefixes, graph conjunctions, clears) answered by
//! the pushdown planner over the engine and by the in-memory engine over the same rows must give
//! the same outputs. Public (not test-only) so the integration tests and every backend (local
//! Parquet, Spark Connect) run through the one function.
use super::pushdown::LakeSession;
use super::SqlEngine;
use crate::linking::coordinator::{Request, Session};
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{Clause, Pred, Selection, ViewId};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the random interactions look at: top-N lists over these fields, a treemap over the /16
/// and /24 prefixes of `ip_field`, a link graph over the first two top fields.
pub struct Scenario<'a> {
    pub top_fields: &'a [&'a str],
    pub ip_field: &'a str,
    /// A numeric measure the treemap and one list sum ("bytes", or a column).
    pub measure: &'a str,
    pub steps: usize,
    pub seed: u64,
    /// The lake session's subset budget (`LakeSession::subset_max_rows`); `None` keeps its default.
    pub subset_max_rows: Option<usize>,
    /// Where the session keeps its cube parts (`LakeSession::cube_store`); `None` keeps none.
    pub cube_store: Option<Arc<super::cube_store::CubeStore>>,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

const VIEW_TIME: ViewId = 1;
const VIEW_TABLE: ViewId = 20;
const VIEW_TREE: ViewId = 30;
const VIEW_GRAPH: ViewId = 40;
const VIEW_SPLIT: ViewId = 2;

fn needs_of(sc: &Scenario) -> BTreeMap<ViewId, Need> {
    let mut needs = BTreeMap::new();
    needs.insert(VIEW_TIME, Need::Time { measure: "count".into(), split: None });
    if let Some(f) = sc.top_fields.first() {
        needs.insert(VIEW_SPLIT, Need::Time { measure: sc.measure.into(), split: Some((f.to_string(), 3)) });
    }
    for (i, f) in sc.top_fields.iter().enumerate() {
        let measure = if i == 1 { sc.measure } else { "count" };
        needs.insert(
            10 + i as ViewId,
            Need::TopN { field: f.to_string(), offset: 0, limit: 20, measure: measure.into() },
        );
    }
    needs.insert(VIEW_TABLE, Need::Table { offset: 0, limit: 25, sort: None });
    needs.insert(
        VIEW_TREE,
        Need::Tree {
            levels: vec![format!("{}/16", sc.ip_field), format!("{}/24", sc.ip_field)],
            measure: sc.measure.into(),
        },
    );
    if sc.top_fields.len() >= 2 {
        needs.insert(
            VIEW_GRAPH,
            Need::Tuples { fields: vec![sc.top_fields[0].to_string(), sc.top_fields[1].to_string()] },
        );
    }
    needs
}

/// Outputs in a canonical form: leaves and tuples sorted, records as their times in order (rows
/// with equal times may come in another order from a lake), the in-memory `Table` turned into the
/// lake's `Records` shape.
pub fn canonical(out: &Output, memory: &DataFrame) -> String {
    match out {
        Output::Tree { levels, measure, leaves, has_cmp } => {
            let mut l = leaves.clone();
            l.sort_by(|a, b| a.path.cmp(&b.path));
            format!(
                "{:?}",
                Output::Tree {
                    levels: levels.clone(),
                    measure: measure.clone(),
                    leaves: l,
                    has_cmp: *has_cmp
                }
            )
        }
        Output::Tuples { fields, tuples } => {
            let mut t = tuples.to_strings();
            t.sort();
            format!("Tuples {{ fields: {fields:?}, tuples: {t:?} }}")
        }
        Output::Table { passing, offset, rows } => {
            let idx = IdxCa::from_vec("i".into(), rows.to_vec());
            let times = memory.column("time").and_then(|c| c.take(&idx)).map(|c| times_of(&c));
            format!("records {passing} @{offset} {:?}", times.ok())
        }
        Output::Records { passing, offset, page } => {
            let times = page.column("time").map(times_of);
            format!("records {passing} @{offset} {:?}", times.ok())
        }
        other => format!("{other:?}"),
    }
}

fn times_of(c: &Column) -> Vec<Option<i64>> {
    c.as_materialized_series()
        .cast(&DataType::Int64)
        .ok()
        .and_then(|s| s.i64().ok().map(|ca| ca.iter().collect()))
        .unwrap_or_default()
}

/// Runs `sc.steps` random interactions; panics naming the step, view and selection at the first
/// output that differs between `engine` (through the pushdown planner) and the in-memory engine
/// over `memory` (the same rows). Returns how many view outputs were compared.
pub fn assert_backend_matches_memory(engine: Arc<dyn SqlEngine>, memory: &DataFrame, sc: &Scenario) -> usize {
    let mut lake = LakeSession::new(engine.clone()).unwrap_or_else(|e| panic!("{}: {e}", engine.describe()));
    let mut mem = Session::new(Arc::new(memory.clone())).expect("in-memory engine");
    assert_eq!(lake.stats().rows as usize, memory.height(), "row count of {}", engine.describe());
    if let Some(n) = sc.subset_max_rows {
        lake.subset_max_rows = n;
    }
    lake.cube_store = sc.cube_store.clone();
    let needs = needs_of(sc);
    let mut r = Rng(sc.seed | 1);
    let mut sel = Selection::default();
    let mut compared = 0;
    let (mut with_cmp, mut filtered, mut from_cube, mut from_time_cube) = (0, 0, 0, 0);
    let (mut from_tree_cube, mut from_graph_cube, mut reused, mut from_subset) = (0, 0, 0, 0);
    let mut cube_parts_from_subset = 0;
    let bounds = lake.stats().time_bounds_us;
    for step in 0..sc.steps {
        let req = Request {
            seq: step as u64 + 1,
            selection: sel.clone(),
            needs: needs.clone(),
            want_all_rows: false,
        };
        let want = mem.run(&req);
        let time_cube = lake.cube().is_some_and(|c| c.time_bucket_us().is_some());
        let tree_cube = lake.cube().is_some_and(|c| c.view == VIEW_TREE);
        let graph_cube = lake.cube().is_some_and(|c| c.view == VIEW_GRAPH);
        let got = lake.run(&req, &format!("check-{step}"));
        from_cube += lake.last_local.0;
        reused += lake.last_reused;
        from_subset += lake.last_from_subset;
        if time_cube {
            from_time_cube += lake.last_local.0;
        }
        if tree_cube && sel.clauses.contains_key(&VIEW_TREE) {
            from_tree_cube += lake.last_local.0;
        }
        if graph_cube && sel.clauses.contains_key(&VIEW_GRAPH) {
            from_graph_cube += lake.last_local.0;
        }
        for (view, w) in &want.outputs {
            let g = got.outputs.get(view).unwrap_or_else(|| panic!("step {step}: no output for view {view}"));
            assert!(!matches!(g, Output::Error(_)), "step {step}, view {view}: {g:?}");
            let (cw, cg) = (canonical(w, memory), canonical(g, memory));
            if matches!(w, Output::TopN { has_cmp: true, .. }) {
                with_cmp += 1;
            }
            if !sel.is_empty() {
                filtered += 1;
            }
            assert!(
                cw == cg,
                "step {step}, view {view}, selection {sel:?}\n  memory: {}\n  {}: {}",
                cw.chars().take(1500).collect::<String>(),
                engine.describe(),
                cg.chars().take(1500).collect::<String>()
            );
            compared += 1;
        }
        // The next interaction, picked from what the views now show (as a person clicks).
        match r.below(8) {
            0 | 1 => {
                if let Some((lo, hi)) = bounds {
                    let span = (hi - lo).max(1) as u64;
                    let mut a = lo + r.below(span) as i64;
                    let mut b = a + 1 + r.below(span / 3 + 1) as i64;
                    // Mostly the pointer enters the time series first (its cube) and the brush
                    // lands on the cube's grid, as the lake's time series draws it; otherwise the
                    // brush is as drawn and the cube must decline it.
                    if r.below(3) != 0 {
                        lake.hover(VIEW_TIME, "check-cube").unwrap_or_else(|e| panic!("time cube: {e}"));
                        if r.below(4) != 0 {
                            let grid = lake.cube().and_then(|c| c.time_bucket_us());
                            (a, b) = crate::linking::needs::snap_brush_us((a, b), grid);
                        }
                    }
                    sel.clauses.insert(VIEW_TIME, Clause::Time { start_us: a, end_us: b });
                }
            }
            2 | 3 => {
                let i = r.below(sc.top_fields.len() as u64) as usize;
                let v = 10 + i as ViewId;
                if let Some(Output::TopN { entries, field, .. }) = want.outputs.get(&v) {
                    if !entries.is_empty() {
                        let mut vals = vec![entries[r.below(entries.len() as u64) as usize].label.clone()];
                        if r.below(2) == 0 {
                            vals.push(entries[r.below(entries.len() as u64) as usize].label.clone());
                        }
                        // The pointer enters the list first: its cube answers the other views.
                        if r.below(3) != 0 {
                            lake.hover(v, "check-cube").unwrap_or_else(|e| panic!("cube of {v}: {e}"));
                        }
                        sel.clauses.insert(v, Clause::values(field, vals, r.below(3) == 0));
                    }
                }
            }
            4 => {
                if let Some(Output::Tree { leaves, .. }) = want.outputs.get(&VIEW_TREE) {
                    if !leaves.is_empty() {
                        let leaf = &leaves[r.below(leaves.len() as u64) as usize];
                        let depth = 1 + r.below(leaf.path.len() as u64) as usize;
                        // The pointer enters the treemap first: its cube answers the other views.
                        if r.below(3) != 0 {
                            lake.hover(VIEW_TREE, "check-cube")
                                .unwrap_or_else(|e| panic!("treemap cube: {e}"));
                        }
                        sel.clauses.insert(
                            VIEW_TREE,
                            Clause::Match {
                                any_of: vec![leaf.path[..depth]
                                    .iter()
                                    .map(|p| Pred::InPrefix {
                                        field: sc.ip_field.to_string(),
                                        prefix: p.clone(),
                                    })
                                    .collect()],
                                negate: r.below(2) == 0,
                            },
                        );
                    }
                }
            }
            5 => {
                if let Some(Output::Tuples { fields, tuples }) = want.outputs.get(&VIEW_GRAPH) {
                    if !tuples.is_empty() {
                        // The pointer enters the graph first: its cube answers the other views.
                        if r.below(3) != 0 {
                            lake.hover(VIEW_GRAPH, "check-cube")
                                .unwrap_or_else(|e| panic!("graph cube: {e}"));
                        }
                        // Edges (every field's value) and nodes (one field's).
                        let any_of = (0..1 + r.below(3))
                            .map(|_| {
                                let vals = tuples.tuple(r.below(tuples.len() as u64) as usize);
                                let node = r.below(3) == 0;
                                let one = r.below(fields.len() as u64) as usize;
                                fields
                                    .iter()
                                    .zip(vals)
                                    .enumerate()
                                    .filter(|(i, _)| !node || *i == one)
                                    .map(|(_, (f, v))| Pred::Eq { field: f.clone(), value: v })
                                    .collect()
                            })
                            .collect();
                        sel.clauses.insert(VIEW_GRAPH, Clause::Match { any_of, negate: false });
                    }
                }
            }
            6 => {
                let keys: Vec<ViewId> = sel.clauses.keys().copied().collect();
                if !keys.is_empty() {
                    sel.clauses.remove(&keys[r.below(keys.len() as u64) as usize]);
                }
            }
            _ => sel.clauses.clear(),
        }
        // (Counted once per cube built: a hover over the cube held builds none.)
        cube_parts_from_subset += lake.last_cube_parts.from_subset;
        lake.last_cube_parts = Default::default();
    }
    // A sequence that never filtered or never compared weeks would prove little.
    assert!(from_cube > 0, "no view was ever answered from a cube");
    assert!(from_time_cube > 0, "no view was ever answered from the time series' cube");
    assert!(from_tree_cube > 0, "no treemap click was ever answered from the treemap's cube");
    assert!(from_graph_cube > 0, "no graph click was ever answered from the graph's cube");
    assert!(reused > 0, "no view ever kept its output when only its own clause changed");
    // An engine on this machine answers the views of a selective clause from its records in memory.
    if !engine.concurrent_queries() && lake.subset_max_rows > 0 {
        assert!(from_subset > 0, "no view was ever answered from a subset in memory");
        assert!(cube_parts_from_subset > 0, "no cube part was ever read from a subset in memory");
    }
    // Only data with records in the unbrushed week-earlier window has a week to compare with (a
    // real capture of minutes has none, and its lists rightly show no change).
    let weeks_to_compare =
        super::pushdown::cmp_windows(&Selection::default(), bounds).is_some_and(|(_, (a, b))| {
            let times = memory.column("time").map(times_of).unwrap_or_default();
            times.iter().flatten().any(|&t| t >= a && t < b)
        });
    assert!(
        (with_cmp > 0 || !weeks_to_compare) && filtered > compared / 3,
        "weak sequence: {with_cmp} week comparisons, {filtered} filtered of {compared}"
    );
    compared
}
