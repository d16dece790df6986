//! Falcon/Mosaic on the lake: when the pointer enters a top-N list, the treemap or the time series,
//! one grouped query per other list or time series (a part, kept when it fits) fetches that view's
//! cube: its values (a treemap's raw field values, or time bins) x each other view's bins, filtered
//! by every clause but the two views' own. While the analyst clicks values in that list or groups
//! in that treemap, or brushes the time series on the cube's bin grid, the other views are sums
//! over the cube's rows, computed here within a frame; only views the cube does not cover (the
//! treemap and graph of another view's cube, the records page) still go to the engine.
use super::chunks::{growth_exponent, read_bounded, Bounded};
use super::cube_builder::CubeBuilder;
use super::cube_part::Part;
use super::pushdown::{tree_fields, Grouped, LakeSession};
use super::sql;
use super::BackendError;
use crate::linking::engine::WEEK_US;
use crate::linking::needs::{time_cube_bucket_us, topn_output, Need, Output};
use crate::linking::selection::{Clause, Pred, Selection, ViewId};
use polars::prelude::{Column, DataFrame, DataType};
use std::collections::BTreeMap;

/// The view the pointer is in, whose values key the cube.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Active {
    /// A top-N list over this field.
    Values { field: String },
    /// Keys of these raw fields: a treemap's levels' fields (an address for its prefixes) or a
    /// link graph's node fields; its clauses are decided once per key ([`KeyTest`]).
    Fields { fields: Vec<String> },
    /// The time series: bins of `bucket_us` starting at multiples of it; "(null)" holds the records
    /// without a time.
    Time { origin_us: i64, bucket_us: i64 },
}

/// Most rows keyed by one field a cube may hold, over all its parts ([`row_weight`] for more
/// fields; about 70 bytes a row while it is read, 40 kept): entering a view must never take the
/// workstation's memory. A view whose cube would hold more (a treemap of addresses over 100 M
/// flows: 71 M rows) gets none, and its clicks go to the engine as other views' do.
pub const CUBE_MAX_ROWS: usize = 12_000_000;

/// What one row of a cube keyed by `n_keys` fields counts for against [`CUBE_MAX_ROWS`]. A list's
/// or the time series' rows share few keys; a treemap's or link graph's keyed by two or more text
/// fields hold about one row per key, each with its labels: at 10 M flows the graph's part of
/// 3.0 M rows keyed by two address fields took 1.1 GB while it was read, five times a list's row,
/// and took the bench to 2.8 GB.
pub(super) fn row_weight(n_keys: usize) -> usize {
    1 + 4 * n_keys.saturating_sub(1)
}

/// Part id of a time cube's unfiltered records per bin (whether a week-earlier window holds any).
pub(super) const ALL_BINS: i64 = -1;

/// Where the parts of the last cube built came from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CubeParts {
    /// Read back from the cube store.
    pub from_disk: usize,
    /// Read from the lake itself.
    pub from_lake: usize,
    /// Read from the subset of a click's records in memory.
    pub from_subset: usize,
}

pub struct LakeCube {
    pub view: ViewId,
    active: Active,
    /// What each of its rows counts for against the budget ([`row_weight`]).
    weight: usize,
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
    /// Views whose parts were over what room the budget left: they are answered by the engine.
    pub dropped: Vec<ViewId>,
    /// A treemap cube's keys in any part, sorted, and each key's labels read as addresses once,
    /// so a click tests each key once, not once per part (empty for other cubes).
    keys: Vec<Vec<String>>,
    key_addrs: Vec<Vec<Option<std::net::IpAddr>>>,
}

/// Whether the cube can answer `need` (its main histogram and windows, no split series).
fn covered(need: &Need) -> bool {
    matches!(need, Need::TopN { .. } | Need::Time { split: None, .. })
}

pub(super) fn without(sel: &Selection, view: ViewId) -> Selection {
    let mut s = sel.clone();
    s.clauses.remove(&view);
    s
}

/// One part of a cube: grouped on the keys' own types (cheap), and only the grouped rows turned
/// into text, so that every part reads the same way.
pub(super) fn part_sql(id: i64, g: &Grouped) -> String {
    keyed_part_sql(id, g, None)
}

/// [`part_sql`], with the bin copied from key `bin_key` of the active view when given
/// ([`SizedPart::bin_key`]): `g` then groups by the active view's keys alone.
fn keyed_part_sql(id: i64, g: &Grouped, bin_key: Option<usize>) -> String {
    let name = if id < 0 { "gall".to_string() } else { format!("g{id}") };
    let mut keys: Vec<String> = (0..g.keys.len()).map(|i| format!("CAST(k{i} AS STRING) AS k{i}")).collect();
    if let Some(j) = bin_key {
        keys.push(format!("CAST(k{j} AS STRING) AS k{}", g.keys.len()));
    }
    format!("SELECT {id} AS part, {}, v, c, p FROM ({}) AS {name}", keys.join(", "), g.sql())
}

/// What a view's cube is read as ([`LakeSession::plan_cube`]).
pub(super) struct CubePlan {
    active: Active,
    /// The active view's key expressions.
    pub(super) keys_v: Vec<String>,
    /// The selection without the active view's clause, and the one the cube answers.
    base: Selection,
    built_for: Selection,
    /// Its parts, smallest first (a time cube's records per bin before them).
    pub(super) sized: Vec<SizedPart>,
}

impl CubePlan {
    /// A builder for this cube's parts.
    pub(super) fn builder(&self) -> CubeBuilder<'_> {
        CubeBuilder { n: self.keys_v.len(), active: Some(&self.active), ..Default::default() }
    }
}

/// Keeps in `store` what was read from the lake for part `id` (its SQL, and the room it was read
/// with): the part, a time cube's records per bin, or, when `parts` lacks it, its refusal, so
/// that the next hover need not read a day of the lake to learn it again.
pub(super) fn keep_read_part(
    store: &super::cube_store::CubeStore,
    lake: &str,
    (id, sql, room): (i64, &str, usize),
    parts: &BTreeMap<ViewId, Part>,
    all_bins: &BTreeMap<i64, i64>,
    n_keys: usize,
) {
    match ViewId::try_from(id).ok().and_then(|w| parts.get(&w)) {
        Some(part) => store.save_part(lake, sql, part, n_keys),
        None if id == ALL_BINS => store.save_bins(lake, sql, all_bins),
        None => store.save_refusal(lake, sql, room),
    }
}

/// What the cube store holds for a part.
enum Stored {
    Part(Part),
    /// A time cube's records per bin.
    Bins(BTreeMap<i64, i64>),
    /// The part was refused at a room no smaller than the one left now.
    Over,
}

/// The part `p` (its SQL `sql`) kept in `store` for the lake `lake`, if any: as it was read, or
/// keyed the other way round ([`SizedPart::transposed`]).
fn stored_part(
    store: &super::cube_store::CubeStore,
    lake: &str,
    (p, sql): (&SizedPart, &str),
    n_keys: usize,
    room: usize,
) -> Option<Stored> {
    if p.id == ALL_BINS {
        return store.load_bins(lake, sql).map(Stored::Bins);
    }
    if let Some(part) = store.load_part(lake, sql, n_keys) {
        return Some(Stored::Part(part));
    }
    if let Some(part) = p.transposed.as_deref().and_then(|t| store.load_part(lake, t, n_keys)) {
        if let Some(part) = part.transposed() {
            return Some(Stored::Part(part));
        }
    }
    let refused = |sql: &str| store.refused_at(lake, sql).is_some_and(|r| r >= room);
    (refused(sql) || p.transposed.as_deref().is_some_and(refused)).then_some(Stored::Over)
}

/// A part of a cube to fetch, with what is known of its size before.
pub(super) struct SizedPart {
    /// Rows it holds at least.
    pub(super) lower: usize,
    pub(super) id: i64,
    pub(super) g: Grouped,
    /// Its query ([`part_sql`]): what it is kept under, and what the subset must hold columns for.
    pub(super) sql: String,
    /// Whether its keys hold a time bin: each bin is in one day's partition, so its rows grow
    /// with the days read.
    timed: bool,
    /// Whether the subset in memory holds its records ([`LakeSession::subset_answers`]): it is
    /// then read from there, in one chunk, never from the lake.
    pub(super) over_subset: bool,
    /// For a list's part for another list: the SQL of that list's part for this one. Both group
    /// the same records (filtered by every clause but the two lists') by the same two fields, so
    /// when their measures and windows agree the SQL is the same but for the keys' order, and
    /// either part kept on disk is the other one keyed the other way round: reading every list's
    /// cube ahead reads each pair of lists once.
    pub(super) transposed: Option<String>,
    /// For a treemap's part for the list over its one text field: that list's own query over the
    /// part's records (keyed by the field alone). Each row of the part pairs a value with itself,
    /// so the part is that query's rows, each value its own bin: one key to group by, not two, and,
    /// while the treemap has no clause, the very query the list's answer ran and the store kept
    /// (at 100 M flows the two-key part took 4 s, the treemap's cube 6.4 s).
    pub(super) diagonal: Option<Grouped>,
    /// For a part of a treemap's or graph's cube for the list over one of its fields: that
    /// field's key index. Each record's bin is then its own key, so `g` groups by the active
    /// view's keys alone and the bin is copied from that key: a link graph of (src_ip, dst_ip)
    /// grouped its part for the src_ip list by src_ip, dst_ip and src_ip again.
    pub(super) bin_key: Option<usize>,
}

/// Bins a view's last answer shows with records (a bound from below on the bins of a cube part
/// for it, whose filter leaves out the view's own clause too).
fn known_bins(o: &Output) -> usize {
    match o {
        Output::TopN { distinct, .. } => *distinct,
        Output::Tuples { tuples, .. } => tuples.len(),
        Output::Time { total, .. } => total.iter().filter(|x| **x != 0).count(),
        _ => 0,
    }
}

impl LakeSession {
    /// Reads part `p` of a cube into `cube`, a chunk of the lake at a time when `splits` are
    /// given (`chunks::read_bounded`). A key's rows from two chunks are summed. Returns the part's
    /// rows, or `None` when it holds more than `room` rows or the chunks read tell that it will
    /// (its rows, less those read, are then left in `cube`). [`BackendError::Cancelled`] once
    /// `stop` is set, between chunks.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fetch_part(
        &self,
        cube: &mut CubeBuilder,
        p: &SizedPart,
        splits: &[super::Split],
        room: usize,
        bytes: &mut usize,
        tag: &str,
        stop: Option<&std::sync::atomic::AtomicBool>,
    ) -> Result<Option<usize>, BackendError> {
        if let Some(one) = &p.diagonal {
            return self.fetch_diagonal(cube, (p.id, one, p.over_subset), room, bytes, tag);
        }
        let sql_of = |g: &Grouped| keyed_part_sql(p.id, g, p.bin_key);
        let how = Bounded { sql_of: &sql_of, room, growth: Some(growth_exponent(p.timed)) };
        let (engine, splits): (&dyn super::SqlEngine, &[super::Split]) = match &self.subset {
            Some(s) if p.over_subset => (&s.engine, &[]),
            _ => (&*self.engine, splits),
        };
        read_bounded(engine, &p.g, &how, splits, tag, &mut |df, single| {
            // A cube read ahead gives way between chunks to whatever the analyst asks next.
            if stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed)) {
                return Err(BackendError::Cancelled);
            }
            *bytes += df.estimated_size();
            cube.add(df)?;
            Ok(if single { df.height() } else { cube.fold_part(p.id) })
        })
    }

    /// Reads part `id` of a cube from its one-key query `one` ([`SizedPart::diagonal`]): each key's
    /// row, with the key as its bin. `None` when it holds more than `room` rows.
    fn fetch_diagonal(
        &self,
        cube: &mut CubeBuilder,
        (id, one, over_subset): (i64, &Grouped, bool),
        room: usize,
        bytes: &mut usize,
        tag: &str,
    ) -> Result<Option<usize>, BackendError> {
        let df = match &self.subset {
            Some(s) if over_subset => super::SqlEngine::query(&s.engine, &one.sql(), tag)?,
            _ => self.query_kept(&*self.engine, &one.sql(), tag)?,
        };
        *bytes += df.estimated_size();
        let n = df.height();
        if n > room {
            return Ok(None);
        }
        let key = df.column("k0")?.cast(&DataType::String)?;
        let sum = |name: &str| match df.column(name) {
            Ok(c) => c.cast(&DataType::Int64),
            Err(_) => Ok(Column::new(name.into(), vec![0i64; n])),
        };
        let rows = DataFrame::new_infer_height(vec![
            Column::new("part".into(), vec![id; n]),
            key.clone().with_name("k0".into()),
            key.with_name("k1".into()),
            sum("v")?.with_name("v".into()),
            sum("c")?.with_name("c".into()),
            sum("p")?.with_name("p".into()),
        ])?;
        cube.add(&rows)?;
        Ok(Some(n))
    }

    /// What the cube of view `view` (a top-N list, the treemap, the graph, or the time series
    /// without another time brush) is read as for this selection and these needs: its keys and
    /// its parts, smallest first. `None` when the view has no cube here.
    pub(super) fn plan_cube(
        &mut self,
        view: ViewId,
        sel: &Selection,
        needs: &BTreeMap<ViewId, Need>,
        tag: &str,
    ) -> Result<Option<CubePlan>, BackendError> {
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
                (Active::Fields { fields }, keys)
            }
            // A node or edge click is a condition on the graph's fields, as a treemap group is on
            // the treemap's: the same cube, keyed by each (source, target) seen.
            Some(Need::Tuples { fields }) => {
                // A graph over its bound of pairs drew nothing to click: its parts would each be
                // read only to be refused.
                if !matches!(self.last_output(view), Some(Output::Tuples { .. })) {
                    return Ok(None);
                }
                let mut distinct: Vec<String> = Vec::new();
                for f in fields.iter().take(3) {
                    if !distinct.contains(f) {
                        distinct.push(f.clone());
                    }
                }
                if distinct.is_empty() || distinct.iter().any(|f| self.schema().get(f).is_none()) {
                    return Ok(None);
                }
                let keys = distinct.iter().map(|f| sql::ident(d, f)).collect();
                (Active::Fields { fields: distinct }, keys)
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
        let built_for = if matches!(active, Active::Time { .. }) { base.clone() } else { sel.clone() };
        // What is kept is for the lake's files as they are now (`cube_store`).
        self.refresh_lake_print();
        self.prepare(&built_for, needs, tag)?;
        let mut parts = Vec::new();
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
            let bin_key = match (&active, need) {
                (Active::Fields { fields }, Need::TopN { field, .. }) => {
                    fields.iter().position(|f| f == field)
                }
                _ => None,
            };
            let two = Grouped {
                keys: keys_v.iter().chain(bin_key.is_none().then_some(&g.keys[0])).cloned().collect(),
                weight: g.weight.clone(),
                main: g.main.clone(),
                windows: Some((c, p)),
                prefilter: g.prefilter.clone(),
            };
            // A treemap over one text field, and a list over that same field: each of the part's
            // rows pairs a value with itself.
            let one_text_field = keys_v.len() == 1
                && matches!(need, Need::TopN { field, .. } if matches!(self.schema().get(field), Some(DataType::String)));
            let diagonal = (bin_key == Some(0) && one_text_field).then_some(g);
            parts.push((*w as i64, two, diagonal, bin_key));
        }
        if parts.is_empty() {
            return Ok(None);
        }
        // Every key with records is in every part, and so is every bin the covered view's last
        // answer shows: the larger of the two bounds a part from below before a row is fetched (a
        // graph of 2.6 M pairs is over the budget at once: at 10 M flows that fetch took 15 s and
        // 0.6 GB, only to be dropped).
        let is_time = matches!(active, Active::Time { .. });
        // (A time cube's keys are coarser bins than its series shows: no bound from it.)
        let known_keys = if is_time { 0 } else { self.last_output(view).map_or(0, known_bins) };
        let mut sized: Vec<SizedPart> = parts
            .into_iter()
            .map(|(id, g, diagonal, bin_key)| {
                let w = id as ViewId;
                let bins = self.last_output(w).map_or(0, known_bins);
                let timed = is_time || matches!(needs.get(&w), Some(Need::Time { .. }));
                let transposed = (matches!(active, Active::Values { .. })
                    && matches!(needs.get(&w), Some(Need::TopN { .. })))
                .then(|| {
                    let swapped = Grouped { keys: vec![g.keys[1].clone(), g.keys[0].clone()], ..g.clone() };
                    part_sql(view as i64, &swapped)
                });
                SizedPart {
                    lower: known_keys.max(bins),
                    id,
                    sql: keyed_part_sql(id, &g, bin_key),
                    g,
                    timed,
                    over_subset: false,
                    transposed,
                    diagonal,
                    bin_key,
                }
            })
            .collect();
        // Smallest first: a part too large for the room left is dropped without costing the
        // smaller ones (a time cube keeps its protocol and port parts when the addresses' parts
        // would be 15 M rows each at 100 M flows).
        sized.sort_by_key(|p| (p.lower, p.id));
        if is_time {
            let g = Grouped {
                keys: vec![keys_v[0].clone(), keys_v[0].clone()],
                weight: "1".into(),
                main: "TRUE".into(),
                windows: Some(("FALSE".into(), "FALSE".into())),
                prefilter: None,
            };
            let all = SizedPart {
                lower: 0,
                id: ALL_BINS,
                sql: part_sql(ALL_BINS, &g),
                g,
                timed: true,
                over_subset: false,
                transposed: None,
                diagonal: None,
                bin_key: None,
            };
            sized.insert(0, all);
        }
        // After a click whose records are held in memory, every part filtered by that click is
        // read from them: entering a view then costs a pass over those records, not the lake's
        // seconds per part (at 100 M flows the narrowed graph's four parts took 5.3 s).
        for p in &mut sized {
            p.over_subset = self.subset_answers(view, &base, p.id, &p.sql);
        }
        Ok(Some(CubePlan { active, keys_v, base, built_for, sized }))
    }

    /// Rows keyed by `n_keys` fields a cube may still hold when `spent` of the budget is taken
    /// (rows as [`row_weight`] counts them).
    pub(super) fn cube_rows_left(&self, n_keys: usize, spent: usize) -> usize {
        self.cube_max_rows.saturating_sub(spent) / row_weight(n_keys)
    }

    /// Fetches the cube of view `view` ([`Self::plan_cube`]) for this selection and these needs:
    /// its parts kept on disk, and the others read from the lake one at a time.
    pub fn build_cube(
        &mut self,
        view: ViewId,
        sel: &Selection,
        needs: &BTreeMap<ViewId, Need>,
        tag: &str,
    ) -> Result<Option<LakeCube>, BackendError> {
        let Some(plan) = self.plan_cube(view, sel, needs, tag)? else {
            return Ok(None);
        };
        let n_keys = plan.keys_v.len();
        let mut cube = plan.builder();
        let mut bytes = 0;
        let mut dropped = Vec::new();
        // One part at a time, on this machine or a cluster alike: parts run side by side would
        // hold every part's group-by table at once here, and every part's rows in flight from a
        // cluster, before any is known to fit (a UNION ALL of them made one part over the budget
        // sink the whole cube). Each result is read into the cube as it arrives and dropped.
        let splits = self.chunks_of(&*self.engine);
        let mut kept = 0;
        // Parts kept on disk over this lake's files as they are now (`cube_store`); a part read
        // from the lake is kept there as soon as it is read.
        let store = self.cube_store.clone().zip(self.lake_print.clone());
        let (mut from_disk, mut from_lake, mut from_subset) = (0, 0, 0);
        for p in &plan.sized {
            let room = self.cube_rows_left(n_keys, kept * row_weight(n_keys));
            let sql = &p.sql;
            let stored = store.as_ref().and_then(|(s, lake)| stored_part(s, lake, (p, sql), n_keys, room));
            from_disk += usize::from(stored.is_some());
            let rows = match stored {
                Some(Stored::Part(part)) if part.rows <= room => {
                    let r = part.rows;
                    cube.loaded.insert(p.id as ViewId, part);
                    Some(r)
                }
                Some(Stored::Bins(bins)) => {
                    let r = bins.len();
                    cube.all_bins = bins;
                    Some(r)
                }
                // Over the room: a part kept whole that is larger, or one refused at this room or a larger.
                Some(_) => None,
                None if p.lower > room => None,
                None => {
                    // Each part is read into a builder of its own and kept at once: a click that
                    // cancels the rest of a slow cube (`CUBE_WAIT_MS`) leaves the parts read so far
                    // on the disk, for the next hover or the read-ahead (at 100 M flows each is
                    // seconds of the lake), and no part's key index outlives its reading.
                    let mut one = plan.builder();
                    let rows = self.fetch_part(&mut one, p, &splits, room, &mut bytes, tag, None)?;
                    let (mut read, bins) = one.finish();
                    if rows.is_none() {
                        // Rows read before it was found over the room: never a part.
                        read.remove(&(p.id as ViewId));
                    }
                    // A part read from the subset in memory is not kept: reading it again costs
                    // less than the disk would.
                    if p.over_subset {
                        from_subset += 1;
                    } else {
                        from_lake += 1;
                        if let Some((s, lake)) = &store {
                            if rows.is_some() || p.id != ALL_BINS {
                                keep_read_part(s, lake, (p.id, sql, room), &read, &bins, n_keys);
                            }
                        }
                    }
                    if rows.is_some() {
                        if let Some(part) = read.remove(&(p.id as ViewId)) {
                            cube.loaded.insert(p.id as ViewId, part);
                        }
                        if p.id == ALL_BINS {
                            cube.all_bins = bins;
                        }
                    }
                    // The part's group-by state, freed on polars' threads, goes back to the system
                    // before the next is read: glibc kept it resident, and at 100 M flows the next
                    // part (a graph's address pairs) came on top of it. Per part, not per chunk: each
                    // page returned is faulted in again by the next query. (`hover` did so for the
                    // cube it dropped before the first.)
                    crate::alloc::release_free_memory();
                    rows
                }
            };
            match rows {
                Some(r) => kept += r,
                // Without the records per bin, a time cube cannot tell the windows apart.
                None if p.id == ALL_BINS => return Ok(None),
                None => {
                    cube.parts.remove(&(p.id as ViewId));
                    cube.loaded.remove(&(p.id as ViewId));
                    dropped.push(p.id as ViewId);
                }
            }
        }
        let (mut parts, all_bins) = cube.finish();
        let CubePlan { active, base, built_for, .. } = plan;
        self.last_cube_parts = CubeParts { from_disk, from_lake, from_subset };
        if parts.is_empty() {
            return Ok(None);
        }
        // A treemap's or graph's clicks are decided once per key over every part's keys; a list's and a
        // time series' by their own values.
        let (mut keys, mut key_addrs) = (Vec::new(), Vec::new());
        if matches!(active, Active::Fields { .. }) {
            keys = parts.values().flat_map(|p| p.by_value.keys().cloned()).collect();
            keys.sort_unstable();
            keys.dedup();
            for part in parts.values_mut() {
                part.key_ids =
                    part.by_value.keys().map(|k| keys.binary_search(k).unwrap_or(0) as u32).collect();
            }
            key_addrs =
                keys.iter().map(|k| k.iter().map(|l| crate::data::net::parse_ip(l)).collect()).collect();
        }
        parts.values_mut().for_each(Part::sum_totals);
        let prev_has_rows = self.prev_window_has_rows(&built_for);
        Ok(Some(LakeCube {
            view,
            active,
            weight: row_weight(n_keys),
            base,
            needs: needs.clone(),
            parts,
            all_bins,
            prev_has_rows,
            own: self.last_output(view).cloned(),
            bytes,
            dropped,
            keys,
            key_addrs,
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
    /// The rows of the cube's keys (`LakeCube::keys`) marked here, or of every other key when
    /// `negate`, each whole (a treemap's groups, decided once per key).
    Marked { hits: Vec<bool>, negate: bool },
    /// Time bins under a brush on the cube's grid.
    Bins(TakeFn<'a>),
}

/// A treemap condition on one key field, compiled once per click.
enum KeyTest<'a> {
    /// The label equals the value ("(null)" for a null).
    Label(usize, &'a str),
    /// The label reads as an address inside the prefix (`None`: a prefix that is none).
    Prefix(usize, Option<(std::net::IpAddr, u8)>),
    /// The label is no address (`data::net::NON_IP`).
    NotIp(usize),
}

impl<'a> KeyTest<'a> {
    /// `p` over a cube keyed on `fields`; `None` when the labels cannot decide it (a range, or
    /// another field).
    fn of(fields: &[String], p: &'a Pred) -> Option<Self> {
        let at = |f: &str| fields.iter().position(|x| x == f);
        match p {
            Pred::Eq { field, value } => Some(KeyTest::Label(at(field)?, value)),
            Pred::InPrefix { field, prefix } if prefix == crate::data::net::NON_IP => {
                Some(KeyTest::NotIp(at(field)?))
            }
            Pred::InPrefix { field, prefix } => {
                Some(KeyTest::Prefix(at(field)?, crate::data::net::parse_prefix(prefix)))
            }
            Pred::Range { .. } => None,
        }
    }

    /// As the engines decide it: a value by its label, a prefix by the address the label reads
    /// as (`addrs`: each field's label parsed once when the cube was built).
    fn meets(&self, key: &[String], addrs: &[Option<std::net::IpAddr>]) -> bool {
        match *self {
            KeyTest::Label(i, v) => key.get(i).is_some_and(|l| l == v),
            KeyTest::Prefix(i, net) => match (addrs.get(i).copied().flatten(), net) {
                (Some(a), Some(net)) => crate::data::net::addr_in_prefix(a, net),
                _ => false,
            },
            KeyTest::NotIp(i) => addrs.get(i).is_some_and(Option::is_none),
        }
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
            (Active::Fields { fields }, Some(Clause::Match { any_of, negate })) => {
                // Only conditions a key's labels decide: values and prefixes of the cube's fields.
                let tests = any_of
                    .iter()
                    .map(|conj| conj.iter().map(|p| KeyTest::of(fields, p)).collect::<Option<Vec<_>>>())
                    .collect::<Option<Vec<_>>>()?;
                let hits = self
                    .keys
                    .iter()
                    .zip(&self.key_addrs)
                    .map(|(k, a)| tests.iter().any(|conj| conj.iter().all(|t| t.meets(k, a))))
                    .collect();
                Some(Passing {
                    counting: Counting::Marked { hits, negate: *negate },
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
                Counting::Values { keys, negate } => {
                    part.sums_where(&|_, k| keys.binary_search(k).is_ok(), Some(keys), *negate)
                }
                Counting::Marked { hits, negate } => {
                    part.sums_where(&|i, _| hits[part.key_ids[i] as usize], None, *negate)
                }
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

    /// Whether `sel` differs from the selection the cube was built for in its own view's clause
    /// only: the cube can answer nothing else.
    pub fn fits(&self, sel: &Selection) -> bool {
        without(sel, self.view) == self.base
    }

    /// The views the cube answers besides its own.
    pub fn views(&self) -> Vec<ViewId> {
        self.parts.keys().copied().collect()
    }

    /// Its rows as they count against the budget ([`row_weight`]).
    pub fn cost(&self) -> usize {
        self.rows() * self.weight
    }

    pub fn rows(&self) -> usize {
        self.parts.values().flat_map(|p| p.by_value.values()).map(Vec::len).sum::<usize>()
            + self.all_bins.len()
    }

    /// The bin width time brushes must snap to for this cube to answer them (time cubes only).
    pub fn time_bucket_us(&self) -> Option<i64> {
        match self.active {
            Active::Time { bucket_us, .. } => Some(bucket_us),
            Active::Values { .. } | Active::Fields { .. } => None,
        }
    }
}
