//! Engine against a brute-force crossfilter on random data and random interaction sequences.
use super::coordinator::{Request, Session};
use super::needs::{Need, Output};
use super::selection::{Clause, Pred, Selection};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn frame(n: usize, seed: u64) -> DataFrame {
    let mut r = Rng(seed);
    let day = 86_400_000_000i64;
    let t0 = 1_364_774_400_000_000i64;
    // Unsorted times over 16 days so the week comparison windows exist.
    let time: Vec<i64> = (0..n).map(|_| t0 + (r.below(16 * day as u64)) as i64).collect();
    let src: Vec<String> = (0..n).map(|_| format!("10.0.{}.{}", r.below(3), r.below(5))).collect();
    let port: Vec<i32> = (0..n).map(|_| [80, 443, 53, 22, 8080][r.below(5) as usize]).collect();
    let proto: Vec<Option<&str>> =
        (0..n).map(|_| [Some("tcp"), Some("udp"), None][r.below(3) as usize]).collect();
    let bytes: Vec<i64> = (0..n).map(|_| r.below(1000) as i64).collect();
    let t = Series::new("time".into(), time).cast(&crate::data::table::time_dtype()).unwrap();
    DataFrame::new_infer_height(vec![
        t.into_column(),
        Column::new("src_ip".into(), src),
        Column::new("dst_port".into(), port),
        Column::new("proto".into(), proto),
        Column::new("bytes_sent".into(), bytes),
    ])
    .unwrap()
}

fn passes(df: &DataFrame, row: usize, c: &Clause) -> bool {
    let val = |f: &str| -> String {
        let v = df.column(f).unwrap().get(row).unwrap();
        match v {
            AnyValue::Null => "(null)".to_string(),
            v if v.get_str().is_some() => v.get_str().unwrap_or_default().to_string(),
            other => other.to_string(),
        }
    };
    match c {
        Clause::Time { start_us, end_us } => {
            let t =
                df.column("time").unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().get(row).unwrap();
            t >= *start_us && t < *end_us
        }
        Clause::Match { any_of, negate } => {
            let hit = any_of.iter().any(|conj| {
                conj.iter().all(|p| match p {
                    Pred::Eq { field, value } => val(field) == *value,
                    Pred::InPrefix { field, prefix } => crate::data::net::ip_in_prefix(&val(field), prefix),
                    Pred::Range { .. } => unreachable!(),
                })
            });
            hit != *negate
        }
    }
}

fn brute_topn(df: &DataFrame, sel: &Selection, view: u32, field: &str) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for row in 0..df.height() {
        if sel.others(view).all(|(_, c)| passes(df, row, c)) {
            let v = df.column(field).unwrap().get(row).unwrap();
            let k = match v {
                AnyValue::Null => "(null)".to_string(),
                v if v.get_str().is_some() => v.get_str().unwrap_or_default().to_string(),
                o => o.to_string(),
            };
            *m.entry(k).or_insert(0) += 1;
        }
    }
    m
}

/// The answer to `sel` with every row passing it. Idle time between inputs, or none (at random):
/// what an answer leaves pending (see `Engine::settle`) is done then, or first thing in the next
/// change.
fn answer(
    session: &mut Session,
    step: u64,
    sel: &Selection,
    needs: &BTreeMap<u32, Need>,
    idle: &mut Rng,
) -> super::coordinator::Answer {
    if idle.below(2) == 0 {
        session.settle();
    }
    session.run(&Request { seq: step, selection: sel.clone(), needs: needs.clone(), want_all_rows: true })
}

#[test]
fn engine_matches_brute_force_over_random_interactions() {
    random_interactions_match_brute_force(frame(3000, 7));
}

/// A table already in time order: the index keeps no order of its own and borrows the table's
/// time column (`Index::row`, `Index::time_us`), so positions are rows.
#[test]
fn engine_matches_brute_force_over_a_time_sorted_table() {
    let df = frame(3000, 8).sort(["time"], Default::default()).unwrap();
    let session = Session::new(Arc::new(df.clone())).unwrap();
    assert!(session.engine.idx.order().is_none(), "a sorted table needs no order");
    random_interactions_match_brute_force(df);
}

fn random_interactions_match_brute_force(df: DataFrame) {
    let mut session = Session::new(Arc::new(df.clone())).unwrap();
    let mut r = Rng(99);
    let mut sel = Selection::default();
    let needs: BTreeMap<u32, Need> = [
        (1, Need::TopN { field: "src_ip".into(), offset: 0, limit: 100, measure: "count".into() }),
        (2, Need::TopN { field: "dst_port".into(), offset: 0, limit: 100, measure: "count".into() }),
        (3, Need::TopN { field: "proto".into(), offset: 0, limit: 100, measure: "count".into() }),
        (4, Need::Time { measure: "count".into(), split: None }),
        (5, Need::Table { offset: 0, limit: 10, sort: None }),
        // The records table sorted by a column, descending: rows found through their positions.
        (8, Need::Table { offset: 0, limit: 10, sort: Some(("bytes_sent".into(), true)) }),
    ]
    .into_iter()
    .collect();
    let t0 = 1_364_774_400_000_000i64;
    let hour = 3_600_000_000i64;
    let never = std::sync::atomic::AtomicBool::new(false);
    let mut strategies = std::collections::BTreeSet::new();
    let mut idle = Rng(3);
    let mut history: Vec<Selection> = Vec::new();
    for step in 0..240 {
        // The pointer enters a view before most clicks: its cube makes them lookups.
        if r.below(3) != 0 {
            session.prefetch([1, 2, 3, 4][r.below(4) as usize], &never);
        }
        // Back to a selection of a few steps ago (undo, a bookmark): answered from the cache,
        // with the mask's rewrite left pending.
        if r.below(6) == 0 && !history.is_empty() {
            sel = history[history.len() - 1 - r.below(history.len() as u64) as usize].clone();
        } else {
            random_edit(&mut r, &mut sel, t0, hour);
        }
        history.push(sel.clone());
        if history.len() > 4 {
            history.remove(0);
        }
        let ans = answer(&mut session, step, &sel, &needs, &mut idle);
        strategies.insert(ans.strategy);
        check_answer(&df, &sel, &ans, step);
    }
    // The sequence must have exercised the strategies it is the safety net of.
    for s in [
        "lookup",
        "incremental-complement",
        "incremental-postings",
        "rebuild-postings",
        "rebuild-ranges",
        "base",
        "cache",
    ] {
        assert!(strategies.contains(s), "strategy {s} never used: {strategies:?}");
    }
}

/// One random edit of the selection, as a person would make it in the views.
fn random_edit(r: &mut Rng, sel: &mut Selection, t0: i64, hour: i64) {
    match r.below(10) {
        0 | 1 => {
            let a = t0 + r.below(300) as i64 * hour;
            let b = a + (1 + r.below(100)) as i64 * hour;
            sel.clauses.insert(4, Clause::Time { start_us: a, end_us: b });
        }
        2 => {
            let v = ["80", "443", "53", "22", "8080"][r.below(5) as usize].to_string();
            let mut vals = vec![v];
            if r.below(2) == 0 {
                vals.push("22".into());
            }
            sel.clauses.insert(2, Clause::values("dst_port", vals, r.below(3) == 0));
        }
        3 => {
            let v = ["tcp", "udp", "(null)"][r.below(3) as usize].to_string();
            // Two of three values: most rows stay selected (the complement path).
            let vals = if r.below(2) == 0 { vec![v] } else { vec!["tcp".to_string(), "udp".to_string()] };
            sel.clauses.insert(3, Clause::values("proto", vals, false));
        }
        6 => sel.clauses.clear(),
        4 => {
            let keys: Vec<u32> = sel.clauses.keys().copied().collect();
            if !keys.is_empty() {
                sel.clauses.remove(&keys[r.below(keys.len() as u64) as usize]);
            }
        }
        7 => {
            // Top-N style clicks on view 1 (same view that also holds treemap-like paths):
            // include or exclude addresses, and Ctrl-click removal of one value.
            let v = format!("10.0.{}.{}", r.below(3), r.below(5));
            let c = match (sel.clauses.get(&1).and_then(|c| c.as_values()), r.below(3)) {
                (Some((_, vals, neg)), 0) if vals.len() > 1 => {
                    let keep: Vec<String> = vals.iter().skip(1).map(|s| s.to_string()).collect();
                    Clause::values("src_ip", keep, neg)
                }
                (Some((_, vals, neg)), 1) => {
                    let mut vals: Vec<String> = vals.iter().map(|s| s.to_string()).collect();
                    vals.push(v);
                    Clause::values("src_ip", vals, neg)
                }
                _ => Clause::values("src_ip", [v], r.below(2) == 0),
            };
            sel.clauses.insert(1, c);
        }
        8 => {
            // Link-graph style: several conjunctions over two fields, or a treemap prefix.
            let c = if r.below(2) == 0 {
                Clause::Match {
                    any_of: (0..1 + r.below(3))
                        .map(|_| {
                            vec![
                                Pred::Eq {
                                    field: "src_ip".into(),
                                    value: format!("10.0.{}.{}", r.below(3), r.below(5)),
                                },
                                Pred::Eq {
                                    field: "dst_port".into(),
                                    value: ["80", "443", "53"][r.below(3) as usize].into(),
                                },
                            ]
                        })
                        .collect(),
                    negate: false,
                }
            } else {
                Clause::Match {
                    any_of: vec![vec![Pred::InPrefix {
                        field: "src_ip".into(),
                        prefix: format!("10.0.{}.0/24", r.below(3)),
                    }]],
                    negate: r.below(4) == 0,
                }
            };
            sel.clauses.insert(1 + 2 * r.below(2) as u32, c);
        }
        9 => {
            // Exclusion added and removed on the port list (Ctrl-click removal of the last value).
            match sel.clauses.get(&2).and_then(|c| c.as_values()) {
                Some((_, vals, true)) if vals.len() == 1 => {
                    sel.clauses.remove(&2);
                }
                _ => {
                    let v = ["80", "443", "53", "22", "8080"][r.below(5) as usize].to_string();
                    sel.clauses.insert(2, Clause::values("dst_port", [v], true));
                }
            }
        }
        _ => {
            // A two-field conjunction (treemap-like) from view 1.
            sel.clauses.insert(
                1,
                Clause::Match {
                    any_of: vec![vec![
                        Pred::Eq { field: "src_ip".into(), value: format!("10.0.{}.1", r.below(3)) },
                        Pred::Eq { field: "proto".into(), value: "tcp".into() },
                    ]],
                    negate: false,
                },
            );
        }
    }
}

/// Every view of the brute-force test's answer against a count over the rows.
fn check_answer(df: &DataFrame, sel: &Selection, ans: &super::coordinator::Answer, step: u64) {
    for (view, field) in [(1u32, "src_ip"), (2, "dst_port"), (3, "proto")] {
        let expect = brute_topn(df, sel, view, field);
        let Output::TopN { entries, total, .. } = &ans.outputs[&view] else { panic!("not top-n") };
        let got: BTreeMap<String, i64> = entries.iter().map(|e| (e.label.clone(), e.value)).collect();
        assert_eq!(got, expect, "step {step} view {view} strategy {} sel {:?}", ans.strategy, sel);
        assert_eq!(*total, expect.values().sum::<i64>());
        // Week-over-week windows: the brush (or the last 7 days) and a week earlier, other
        // non-time clauses applied.
        let times = df.column("time").unwrap().cast(&DataType::Int64).unwrap();
        let times = times.i64().unwrap();
        let week = 7 * 86_400_000_000i64;
        let (wa, wb) = match sel.clauses.get(&4) {
            Some(Clause::Time { start_us, end_us }) => (*start_us, *end_us),
            _ => {
                let mx = times.max().unwrap();
                (mx + 1 - week, mx + 1)
            }
        };
        let mut cur = BTreeMap::new();
        let mut prev = BTreeMap::new();
        for row in 0..df.height() {
            if !sel.others(view).filter(|(v, _)| **v != 4).all(|(_, c)| passes(df, row, c)) {
                continue;
            }
            let t = times.get(row).unwrap();
            let k = match df.column(field).unwrap().get(row).unwrap() {
                AnyValue::Null => "(null)".to_string(),
                v if v.get_str().is_some() => v.get_str().unwrap_or_default().to_string(),
                o => o.to_string(),
            };
            if t >= wa && t < wb {
                *cur.entry(k.clone()).or_insert(0i64) += 1;
            }
            if t >= wa - week && t < wb - week {
                *prev.entry(k).or_insert(0i64) += 1;
            }
        }
        // The time window a week earlier (ignoring other clauses) holding no row means no comparison.
        let has_prev = (0..df.height()).any(|r| {
            let t = times.get(r).unwrap();
            t >= wa - week && t < wb - week
        });
        for e in entries {
            match (e.cur, e.prev) {
                (Some(c), Some(p)) => {
                    assert!(has_prev, "comparison without rows a week earlier, step {step}");
                    assert_eq!(c, cur.get(&e.label).copied().unwrap_or(0), "cur step {step} view {view}");
                    assert_eq!(p, prev.get(&e.label).copied().unwrap_or(0), "prev step {step} view {view}");
                }
                _ => assert!(
                    !has_prev || (cur.is_empty() && prev.is_empty()),
                    "missing comparison, step {step}"
                ),
            }
        }
    }
    let passing: Vec<u32> = (0..df.height())
        .filter(|&row| sel.clauses.values().all(|c| passes(df, row, c)))
        .map(|r| r as u32)
        .collect();
    let Output::Table { passing: p, rows, .. } = &ans.outputs[&5] else { panic!() };
    assert_eq!(*p as usize, passing.len(), "step {step}");
    // The very rows, not only as many: a position taken for a table row gives other rows.
    let mut all_rows = ans.all_rows.as_deref().cloned().unwrap_or_default();
    all_rows.sort_unstable();
    assert_eq!(all_rows, passing, "step {step}");
    assert!(rows.iter().all(|&row| sel.clauses.values().all(|c| passes(df, row as usize, c))));
    if let Some(Output::Table { rows: sorted, .. }) = ans.outputs.get(&8) {
        // The largest values among the passing rows, in descending order.
        let bytes = df.column("bytes_sent").unwrap().i64().unwrap().clone();
        let value = |r: u32| bytes.get(r as usize).unwrap();
        assert_eq!(sorted.len(), passing.len().min(10), "step {step}");
        assert!(sorted.iter().all(|r| passing.binary_search(r).is_ok()), "step {step}");
        assert!(sorted.windows(2).all(|w| value(w[0]) >= value(w[1])), "step {step}");
        let shown: std::collections::BTreeSet<u32> = sorted.iter().copied().collect();
        let least = sorted.iter().map(|&r| value(r)).min();
        assert!(
            passing.iter().filter(|r| !shown.contains(r)).all(|&r| least.is_some_and(|l| value(r) <= l)),
            "a larger value left out, step {step}"
        );
    }
    let Output::Time { total: bins, .. } = &ans.outputs[&4] else { panic!() };
    let expect_time: i64 =
        (0..df.height()).filter(|&row| sel.others(4).all(|(_, c)| passes(df, row, c))).count() as i64;
    assert_eq!(bins.iter().sum::<i64>(), expect_time, "step {step}");
}

#[test]
fn prefix_clauses_and_the_non_ip_group() {
    let t = Series::new("time".into(), vec![1i64, 2, 3, 4]).cast(&crate::data::table::time_dtype()).unwrap();
    let df = DataFrame::new_infer_height(vec![
        t.into_column(),
        Column::new("dst_ip".into(), vec!["10.1.2.3", "10.1.9.9", "10.2.0.1", "printer"]),
    ])
    .unwrap();
    let mut s = Session::new(Arc::new(df)).unwrap();
    let needs: BTreeMap<u32, Need> =
        [(5, Need::Table { offset: 0, limit: 10, sort: None })].into_iter().collect();
    let count = |s: &mut Session, prefix: &str| {
        let mut sel = Selection::default();
        sel.clauses.insert(
            1,
            Clause::Match {
                any_of: vec![vec![Pred::InPrefix { field: "dst_ip".into(), prefix: prefix.into() }]],
                negate: false,
            },
        );
        match &s.run(&Request { seq: 1, selection: sel, needs: needs.clone(), want_all_rows: false }).outputs
            [&5]
        {
            Output::Table { passing, .. } => *passing,
            _ => -1,
        }
    };
    assert_eq!(count(&mut s, "10.1.0.0/16"), 2);
    assert_eq!(count(&mut s, "10.0.0.0/8"), 3);
    assert_eq!(count(&mut s, "non-IP"), 1);
}

/// Counts per value combination of `fields` over the rows that pass every clause but `view`'s.
fn brute_groups(df: &DataFrame, sel: &Selection, view: u32, fields: &[&str]) -> BTreeMap<Vec<String>, i64> {
    let label = |f: &str, row: usize| match df.column(f).unwrap().get(row).unwrap() {
        AnyValue::Null => "(null)".to_string(),
        v if v.get_str().is_some() => v.get_str().unwrap_or_default().to_string(),
        o => o.to_string(),
    };
    let mut m = BTreeMap::new();
    for row in 0..df.height() {
        if sel.others(view).all(|(_, c)| passes(df, row, c)) {
            *m.entry(fields.iter().map(|f| label(f, row)).collect()).or_insert(0) += 1;
        }
    }
    m.retain(|_, n| *n != 0);
    m
}

/// A treemap (proto > dst_port) and a link graph (src_ip - dst_port) have a cube over their
/// combination and one per field: group clicks, node clicks, edges, Ctrl-click additions and
/// removals, after other views' clicks and brushes, must give the brute-force answer whichever
/// cube answers.
#[test]
fn lookups_on_combined_views_match_brute_force() {
    let df = frame(4000, 11);
    let mut session = Session::new(Arc::new(df.clone())).unwrap();
    let mut r = Rng(5);
    let mut sel = Selection::default();
    let (tree, graph) = (6u32, 7u32);
    let needs: BTreeMap<u32, Need> = [
        (1, Need::TopN { field: "src_ip".into(), offset: 0, limit: 100, measure: "count".into() }),
        (2, Need::TopN { field: "dst_port".into(), offset: 0, limit: 100, measure: "count".into() }),
        // A measure, not a count: cubes keep its sums in 8 bytes, counts in 4.
        (3, Need::TopN { field: "proto".into(), offset: 0, limit: 100, measure: "bytes_sent".into() }),
        (4, Need::Time { measure: "count".into(), split: None }),
        (5, Need::Table { offset: 0, limit: 10, sort: None }),
        (tree, Need::Tree { levels: vec!["proto".into(), "dst_port".into()], measure: "count".into() }),
        (graph, Need::Tuples { fields: vec!["src_ip".into(), "dst_port".into()] }),
    ]
    .into_iter()
    .collect();
    let t0 = 1_364_774_400_000_000i64;
    let hour = 3_600_000_000i64;
    let never = std::sync::atomic::AtomicBool::new(false);
    let mut strategies = std::collections::BTreeSet::new();
    let eq = |f: &str, v: String| Pred::Eq { field: f.into(), value: v };
    let mut idle = Rng(17);
    for step in 0..160 {
        let pick_proto = |r: &mut Rng| ["tcp", "udp", "(null)"][r.below(3) as usize].to_string();
        let pick_port = |r: &mut Rng| ["80", "443", "53", "22", "8080"][r.below(5) as usize].to_string();
        let pick_src = |r: &mut Rng| format!("10.0.{}.{}", r.below(3), r.below(5));
        let (view, conj) = match r.below(8) {
            0 => (tree, vec![eq("proto", pick_proto(&mut r))]),
            1 => (tree, vec![eq("proto", pick_proto(&mut r)), eq("dst_port", pick_port(&mut r))]),
            2 => (graph, vec![eq("src_ip", pick_src(&mut r))]),
            3 => (graph, vec![eq("dst_port", pick_port(&mut r))]),
            4 => (graph, vec![eq("src_ip", pick_src(&mut r)), eq("dst_port", pick_port(&mut r))]),
            5 => {
                let a = t0 + r.below(300) as i64 * hour;
                sel.clauses
                    .insert(4, Clause::Time { start_us: a, end_us: a + (1 + r.below(100)) as i64 * hour });
                (0, vec![])
            }
            6 => {
                sel.clauses.insert(1, Clause::values("src_ip", [pick_src(&mut r)], r.below(3) == 0));
                (0, vec![])
            }
            _ => {
                // The x on a chip, now and then on the tree's or the graph's.
                let keys: Vec<u32> = sel.clauses.keys().copied().collect();
                let v = if keys.is_empty() { tree } else { keys[r.below(keys.len() as u64) as usize] };
                session.prefetch(v, &never);
                sel.clauses.remove(&v);
                (0, vec![])
            }
        };
        if view != 0 {
            // The pointer enters the view first (most of the time), then clicks; Ctrl adds.
            if r.below(4) != 0 {
                session.prefetch(view, &never);
            }
            let mut any_of = match sel.clauses.get(&view) {
                Some(Clause::Match { any_of, negate: false }) if r.below(3) == 0 => any_of.clone(),
                _ => Vec::new(),
            };
            any_of.push(conj);
            sel.clauses.insert(view, Clause::Match { any_of, negate: false });
        }
        let ans = answer(&mut session, step, &sel, &needs, &mut idle);
        strategies.insert(ans.strategy);
        let ctx = format!("step {step} strategy {} sel {:?}", ans.strategy, sel);
        for (v, field) in [(1u32, "src_ip"), (2, "dst_port")] {
            let expect: BTreeMap<String, i64> =
                brute_groups(&df, &sel, v, &[field]).into_iter().map(|(k, n)| (k[0].clone(), n)).collect();
            let Output::TopN { entries, .. } = &ans.outputs[&v] else { panic!("not top-n") };
            let got: BTreeMap<String, i64> =
                entries.iter().filter(|e| e.value != 0).map(|e| (e.label.clone(), e.value)).collect();
            assert_eq!(got, expect, "view {v} {ctx}");
        }
        let mut bytes: BTreeMap<String, i64> = BTreeMap::new();
        let sent = df.column("bytes_sent").unwrap().i64().unwrap().clone();
        for row in (0..df.height()).filter(|&row| sel.others(3).all(|(_, c)| passes(&df, row, c))) {
            let proto = df.column("proto").unwrap().str().unwrap().get(row).unwrap_or("(null)").to_string();
            *bytes.entry(proto).or_insert(0) += sent.get(row).unwrap_or(0);
        }
        bytes.retain(|_, b| *b != 0);
        let Output::TopN { entries, .. } = &ans.outputs[&3] else { panic!("not top-n") };
        let got: BTreeMap<String, i64> =
            entries.iter().filter(|e| e.value != 0).map(|e| (e.label.clone(), e.value)).collect();
        assert_eq!(got, bytes, "bytes by proto {ctx}");
        let Output::Tree { leaves, .. } = &ans.outputs[&tree] else { panic!("not a tree") };
        let got: BTreeMap<Vec<String>, i64> =
            leaves.iter().filter(|l| l.value != 0).map(|l| (l.path.to_vec(), l.value)).collect();
        assert_eq!(got, brute_groups(&df, &sel, tree, &["proto", "dst_port"]), "tree {ctx}");
        let Output::Tuples { tuples, .. } = &ans.outputs[&graph] else { panic!("not tuples") };
        let got: BTreeMap<Vec<String>, i64> =
            (0..tuples.len()).map(|i| (tuples.tuple(i), tuples.count(i))).collect();
        assert_eq!(got, brute_groups(&df, &sel, graph, &["src_ip", "dst_port"]), "graph {ctx}");
        let passing =
            (0..df.height()).filter(|&row| sel.clauses.values().all(|c| passes(&df, row, c))).count();
        let Output::Table { passing: p, rows, .. } = &ans.outputs[&5] else { panic!() };
        assert_eq!(*p as usize, passing, "{ctx}");
        assert!(rows.iter().all(|&row| sel.clauses.values().all(|c| passes(&df, row as usize, c))), "{ctx}");
        assert_eq!(ans.all_rows.as_ref().map(|r| r.len()), Some(passing), "{ctx}");
    }
    for s in ["lookup", "lookup-by-field"] {
        assert!(strategies.contains(s), "strategy {s} never used: {strategies:?}");
    }
}
