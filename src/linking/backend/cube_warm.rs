//! Cubes read ahead while the analyst reads. A cube part over a 100 M-flow lake takes seconds to
//! read and a cube 18-28 s, however the query is written; read back from the cube store it takes
//! about one. So while the worker has nothing to answer, it reads the parts of the views' cubes for
//! the selection shown into the store, one view after another (lists first, the graph last),
//! without holding any of them: when the pointer then enters a view, its cube comes from the disk.
//! Every request and hover stops the reading at once (its query is cancelled by its tag, and the
//! next chunk is not read), so the analyst never waits for it.
use super::lake_cube::{keep_read_part, LakeCube};
use super::pushdown::LakeSession;
use super::BackendError;
use crate::linking::needs::Need;
use crate::linking::selection::{Selection, ViewId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;

/// The views whose cubes were read ahead, and the request (selection and needs) they were read for.
#[derive(Default)]
pub struct ReadAheadDone {
    request: Option<(Selection, BTreeMap<ViewId, Need>)>,
    views: BTreeSet<ViewId>,
}

/// What reading a view's cube ahead did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Warmed {
    /// Parts read from the lake and kept.
    pub read: usize,
    /// Parts already kept (or known to be over the room).
    pub kept_before: usize,
    /// Parts read only to be found over the room (their refusal is kept).
    pub refused: usize,
    /// Parts the subset of a click's records in memory holds: not read ahead, since entering the
    /// view reads them from memory in a fraction of what the lake takes.
    pub in_subset: usize,
}

/// The order views' cubes are read ahead in: the lists (clicked most), the time series, the
/// treemap, then the graph (its parts are the largest).
fn rank(need: &Need) -> Option<u8> {
    match need {
        Need::TopN { .. } => Some(0),
        Need::Time { split: None, .. } => Some(1),
        Need::Tree { .. } => Some(2),
        Need::Tuples { .. } => Some(3),
        _ => None,
    }
}

impl LakeSession {
    /// The next view whose cube for the last request is worth reading ahead: one with a cube, not
    /// the one held, not read ahead yet for this selection and needs. `None` on a lake whose parts
    /// are not kept (a cluster's), or when reading ahead is off.
    pub fn next_to_warm(&mut self) -> Option<ViewId> {
        if !self.read_ahead || self.cube_store.is_none() || self.lake_print.is_none() {
            return None;
        }
        let last = self.last.clone()?;
        if self.warmed.request.as_ref() != Some(&last) {
            self.warmed = ReadAheadDone { request: Some(last.clone()), views: BTreeSet::new() };
        }
        let held = self.cube().map(|c| c.view);
        last.1
            .iter()
            .filter(|(v, _)| Some(**v) != held && !self.warmed.views.contains(*v))
            .filter_map(|(v, n)| rank(n).map(|r| (r, *v)))
            .min()
            .map(|(_, v)| v)
    }

    /// Reads the parts of `view`'s cube for the last request that the store lacks into it, one at a
    /// time, none held after it is kept. The room is what the cube held leaves of the budget, so
    /// the two together stay within one cube's memory. Stops with [`BackendError::Cancelled`]
    /// once `stop` is set (or `tag` cancelled); the view is then read ahead again when idle, with
    /// the parts kept so far.
    pub fn warm(&mut self, view: ViewId, tag: &str, stop: &AtomicBool) -> Result<Warmed, BackendError> {
        let result = self.warm_parts(view, tag, stop);
        if !matches!(result, Err(BackendError::Cancelled)) {
            // Done, or failed: not tried again for this selection.
            self.warmed.views.insert(view);
        }
        result
    }

    /// Marks `view` as read ahead for this selection (its reading failed: not to be tried again).
    pub fn skip_warm(&mut self, view: ViewId) {
        self.warmed.views.insert(view);
    }

    fn warm_parts(&mut self, view: ViewId, tag: &str, stop: &AtomicBool) -> Result<Warmed, BackendError> {
        let mut done = Warmed::default();
        let Some((sel, needs)) = self.last.clone() else { return Ok(done) };
        let Some(plan) = self.plan_cube(view, &sel, &needs, tag)? else { return Ok(done) };
        let (Some(store), Some(lake)) = (self.cube_store.clone(), self.lake_print.clone()) else {
            return Ok(done);
        };
        let splits = self.chunks_of(&*self.engine);
        let n_keys = plan.keys_v.len();
        let room = self.cube_rows_left(n_keys, self.cube().map_or(0, LakeCube::cost));
        for p in &plan.sized {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(BackendError::Cancelled);
            }
            if p.over_subset {
                done.in_subset += 1;
                continue;
            }
            let sql = &p.sql;
            let refused = |sql: &str| store.refused_at(&lake, sql).is_some_and(|r| r >= room);
            if store.holds(&lake, sql) || refused(sql) {
                done.kept_before += 1;
                continue;
            }
            // Kept the other way round: turned and kept as this part too, while idle, so that
            // entering the view reads it as it is (turning a part of 1.8 M rows took about 0.3 s
            // of a hover), and a treemap whose part is this list's SQL finds it.
            if let Some(t) = p.transposed.as_deref() {
                if refused(t) {
                    store.save_refusal(&lake, sql, room);
                    done.kept_before += 1;
                    continue;
                }
                if let Some(part) = store.load_part(&lake, t, n_keys).and_then(|k| k.transposed()) {
                    store.save_part(&lake, sql, &part, n_keys);
                    done.kept_before += 1;
                    continue;
                }
            }
            // Known to be over the room before a row is read: the hover learns it the same way.
            if p.lower > room {
                continue;
            }
            let mut cube = plan.builder();
            let mut bytes = 0;
            let rows = self.fetch_part(&mut cube, p, &splits, room, &mut bytes, tag, Some(stop))?;
            let (parts, all_bins) = cube.finish();
            if rows.is_some() {
                keep_read_part(&store, &lake, (p.id, sql, room), &parts, &all_bins, n_keys);
                done.read += 1;
            } else {
                // Left half read: only its refusal is kept.
                store.save_refusal(&lake, sql, room);
                done.refused += 1;
            }
            drop((parts, all_bins));
            crate::alloc::release_free_memory();
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::super::cube_store::CubeStore;
    use super::super::parquet::tests::lake_beside_memory;
    use crate::linking::needs::Need;
    use crate::linking::selection::{Clause, Selection};
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    fn needs() -> Vec<(crate::linking::selection::ViewId, Need)> {
        let levels = vec!["src_ip/16".to_string(), "src_ip/24".to_string()];
        vec![
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
            (11, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "bytes".into() }),
            (20, Need::Table { offset: 0, limit: 20, sort: None }),
            (30, Need::Tree { levels, measure: "count".into() }),
        ]
    }

    #[test]
    fn cubes_read_ahead_make_every_hover_a_read_from_the_disk_with_the_same_answers() {
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(3000, 17, needs());
        let kept = tempfile::tempdir().unwrap();
        let store = Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30));
        lake.cube_store = Some(store.clone());
        // Every part from the lake or the disk: the protocol clause's records held in memory would
        // answer some (`subset::tests`).
        lake.subset_max_rows = 0;
        let mut sel = Selection::default();
        sel.clauses.insert(11, Clause::values("proto", ["tcp".to_string()], false));
        lake.run(&req(1, &sel), "t");
        // Lists first, then the time series, then the treemap; the records page has no cube.
        let stop = AtomicBool::new(false);
        let mut order = Vec::new();
        let mut read = 0;
        while let Some(v) = lake.next_to_warm() {
            order.push(v);
            let w = lake.warm(v, "ahead", &stop).unwrap();
            assert_eq!(w.refused, 0, "view {v}");
            read += w.read;
            // The treemap's cube is keyed by the addresses, as the address list's is, and neither
            // view has a clause: their parts are the same queries, read once.
            assert_eq!(w.kept_before, if v == 30 { 2 } else { 0 }, "view {v}");
        }
        assert_eq!(order, [10, 11, 1, 30]);
        // Each cube's parts: one per other list or time series, and a time cube's records per bin.
        assert_eq!(read, 2 + 2 + 3 + 1);
        assert_eq!(lake.warm(10, "ahead", &stop).unwrap().kept_before, 2, "kept already");
        // Entering any view now reads its cube from the disk only, and it answers as the
        // in-memory engine does.
        let mut seq = 2;
        for v in [10, 11, 1, 30] {
            assert!(lake.hover(v, "cube").unwrap(), "view {v} has its cube");
            let super::super::lake_cube::CubeParts { from_disk, from_lake, .. } = lake.last_cube_parts;
            assert_eq!(from_lake, 0, "view {v}: nothing read from the lake");
            assert!(from_disk >= 2, "view {v}: {from_disk}");
            let mut asked = sel.clone();
            if v == 10 {
                asked.clauses.insert(10, Clause::values("src_ip", ["10.0.1.2".to_string()], false));
            }
            let r = req(seq, &asked);
            seq += 1;
            let (got, want) = (lake.run(&r, "t"), memory.run(&r));
            assert!(lake.last_local.0 >= 2, "view {v}: answered from its cube");
            // (A treemap's leaves in a canonical order: the lake's come in another.)
            let canonical = |o| super::super::testing::canonical(o, &polars::prelude::DataFrame::empty());
            for w in [1, 10, 11, 30] {
                assert_eq!(canonical(&got.outputs[&w]), canonical(&want.outputs[&w]), "{v}: {w}");
            }
            lake.run(&req(seq, &sel), "t");
            seq += 1;
        }
        // Another selection is another question: its cubes are read ahead again, but for the one
        // held.
        assert!(lake.hover(10, "cube").unwrap());
        sel.clauses.insert(11, Clause::values("proto", ["udp".to_string()], false));
        lake.run(&req(seq, &sel), "t");
        assert_eq!(lake.next_to_warm(), Some(10), "the click dropped the list's cube");
        lake.hover(11, "cube").unwrap();
        assert_eq!(lake.next_to_warm(), Some(10));
        lake.read_ahead = false;
        assert_eq!(lake.next_to_warm(), None, "reading ahead turned off");
    }

    #[test]
    fn a_list_part_kept_for_another_list_serves_that_list_keyed_the_other_way_round() {
        let needs = vec![
            (1, Need::Time { measure: "count".into(), split: None }),
            (10, Need::TopN { field: "src_ip".into(), offset: 0, limit: 10, measure: "count".into() }),
            (11, Need::TopN { field: "dst_port".into(), offset: 0, limit: 10, measure: "count".into() }),
            (12, Need::TopN { field: "proto".into(), offset: 0, limit: 10, measure: "bytes".into() }),
        ];
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(3000, 29, needs);
        let kept = tempfile::tempdir().unwrap();
        lake.cube_store = Some(Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30)));
        lake.subset_max_rows = 0;
        let mut sel = Selection::default();
        sel.clauses.insert(12, Clause::values("proto", ["tcp".to_string()], false));
        lake.run(&req(1, &sel), "t");
        let stop = AtomicBool::new(false);
        let w = lake.warm(10, "ahead", &stop).unwrap();
        assert_eq!((w.read, w.kept_before), (3, 0));
        // Entering the port list: its part for the sources is the source list's part for the
        // ports, keyed the other way round, read from the disk; clicks answer as in memory.
        let mut seq = 2;
        let mut clicks_in = |lake: &mut super::LakeSession, v, field: &str, value: &str| {
            for negate in [false, true] {
                let mut clicked = sel.clone();
                clicked.clauses.insert(v, Clause::values(field, [value.to_string()], negate));
                let r = req(seq, &clicked);
                seq += 1;
                let (got, want) = (lake.run(&r, "t"), memory.run(&r));
                assert!(lake.last_local.0 >= 3, "view {v}: answered from its cube");
                for w in [1, 10, 11, 12] {
                    assert_eq!(
                        format!("{:?}", got.outputs[&w]),
                        format!("{:?}", want.outputs[&w]),
                        "{v}: {w}"
                    );
                }
            }
            lake.run(&req(seq, &sel), "t");
            seq += 1;
        };
        assert!(lake.hover(11, "cube").unwrap());
        let p = lake.last_cube_parts;
        assert_eq!((p.from_disk, p.from_lake), (1, 2));
        clicks_in(&mut lake, 11, "dst_port", "443");
        // Read ahead, the turned part is kept as the port list's own too.
        let w = lake.warm(11, "ahead", &stop).unwrap();
        assert_eq!((w.read, w.kept_before), (0, 3));
        // The protocols sum bytes where the other lists count: their parts for each other differ.
        let w = lake.warm(12, "ahead", &stop).unwrap();
        assert_eq!((w.read, w.kept_before), (3, 0));
        for (v, field, value) in [(10, "src_ip", "10.1.2.3"), (11, "dst_port", "80")] {
            assert!(lake.hover(v, "cube").unwrap());
            let p = lake.last_cube_parts;
            assert_eq!((p.from_disk, p.from_lake), (3, 0), "view {v}");
            clicks_in(&mut lake, v, field, value);
        }
    }

    #[test]
    fn a_treemap_part_for_the_list_of_its_field_is_that_lists_own_query() {
        let (_dir, mut lake, mut memory, req) = lake_beside_memory(3000, 31, needs());
        let kept = tempfile::tempdir().unwrap();
        lake.cube_store = Some(Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30)));
        lake.keep_min_ms = 0;
        lake.subset_max_rows = 0;
        let hits = |lake: &super::LakeSession| lake.store_hits();
        let mut sel = Selection::default();
        for round in 0..2 {
            lake.run(&req(10 * round + 1, &sel), "t");
            // The treemap over the sources: its part for the source list is the list's own query,
            // which the answer just ran and kept (while the treemap has no clause).
            let before = hits(&lake);
            assert!(lake.hover(30, "cube").unwrap());
            assert_eq!(lake.cube().unwrap().views(), [1, 10, 11], "round {round}");
            if round == 0 {
                assert!(hits(&lake) > before, "the list's query read back");
            }
            let leaf = match memory.run(&req(10 * round + 2, &sel)).outputs.remove(&30) {
                Some(crate::linking::needs::Output::Tree { leaves, .. }) => leaves[0].path.clone(),
                other => panic!("{other:?}"),
            };
            for (i, negate) in [false, true].into_iter().enumerate() {
                let mut clicked = sel.clone();
                let prefix = crate::linking::selection::Pred::InPrefix {
                    field: "src_ip".into(),
                    prefix: leaf.last().unwrap().clone(),
                };
                clicked.clauses.insert(30, Clause::Match { any_of: vec![vec![prefix]], negate });
                let r = req(10 * round + 3 + i as u64, &clicked);
                let (got, want) = (lake.run(&r, "t"), memory.run(&r));
                assert!(lake.last_local.0 >= 3, "answered from the treemap's cube");
                let canonical = |o| super::super::testing::canonical(o, &polars::prelude::DataFrame::empty());
                for w in [1, 10, 11, 30] {
                    assert_eq!(canonical(&got.outputs[&w]), canonical(&want.outputs[&w]), "{round}: {w}");
                }
            }
            // Then with a clause in another list: the part is read anew, keyed by one field.
            sel.clauses.insert(11, Clause::values("proto", ["udp".to_string()], true));
        }
    }

    #[test]
    fn a_cube_read_ahead_gives_way_at_once_and_keeps_nothing_half_read() {
        let (_dir, mut lake, _, req) = lake_beside_memory(2000, 3, needs());
        let kept = tempfile::tempdir().unwrap();
        let store = Arc::new(CubeStore::new(kept.path().to_path_buf(), 1 << 30));
        lake.cube_store = Some(store.clone());
        lake.run(&req(1, &Selection::default()), "t");
        let before = store.bytes();
        let stop = AtomicBool::new(true);
        assert!(matches!(lake.warm(10, "ahead", &stop), Err(super::BackendError::Cancelled)));
        assert_eq!(store.bytes(), before, "nothing kept");
        assert_eq!(lake.next_to_warm(), Some(10), "read again when next idle");
        // Without a store (a cluster's table) nothing is read ahead.
        lake.cube_store = None;
        assert_eq!(lake.next_to_warm(), None);
    }
}
