//! The crossfilter engine. Every view output is a histogram ("target") over one dim, kept up to
//! date incrementally: each row carries a bit per active clause (set = the clause rejects the row),
//! and a target counts the rows whose bits are clear for every clause except its own view's.
//! A brush that moves a little flips few rows, so only those rows are visited (crossfilter);
//! a click on a value rebuilds from that value's posting list; a full rescan is the last resort.
mod apply;
mod cube;
mod pass;
mod stats;
pub mod strategy;
mod upkeep;

pub use stats::{Phases, UpdateStats};

use super::index::{Index, SKIP};
use super::selection::{Clause, Pred, Selection, ViewId};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Bits 0..30 are clause slots; the top two mark rows outside the week-over-week windows.
const CLAUSE_BITS: u32 = (1 << 30) - 1;
const CUR_BIT: u32 = 1 << 30;
const PREV_BIT: u32 = 1 << 31;
pub const WEEK_US: i64 = 7 * 86_400 * 1_000_000;
/// Rows per block of the records table's position index.
pub const TABLE_BLOCK: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ctx {
    /// Filtered by every clause but the view's own.
    Main,
    /// Same, but time restricted to the comparison window (brush, or the last 7 days).
    CmpCur,
    /// Same, one week earlier.
    CmpPrev,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetKey {
    pub view: ViewId,
    pub dim: usize,
    pub measure: String,
    pub ctx: Ctx,
}

struct Target {
    key: TargetKey,
    check: u32,
    hist: Vec<i64>,
    /// The histogram lent to an answer (`hist` is empty meanwhile), taken back by `settle`.
    lent: Option<Arc<Vec<i64>>>,
    weight: Option<Arc<Vec<i64>>>,
}

/// A clause compiled against the index.
enum Compiled {
    /// Positions [lo, hi) pass.
    Time { lo: usize, hi: usize },
    /// Single field, code set (fast path with postings).
    Codes { dim: usize, set: Vec<bool>, negate: bool },
    /// General: any conjunction of (dim, code set) passes.
    General { any_of: Vec<Vec<(usize, Vec<bool>)>>, negate: bool },
}

impl Compiled {
    fn rejects(&self, idx: &Index, p: usize) -> bool {
        match self {
            Compiled::Time { lo, hi } => p < *lo || p >= *hi,
            Compiled::Codes { dim, set, negate } => {
                let c = idx.dims[*dim].codes.get(p);
                let hit = c != SKIP && set[c as usize];
                hit == *negate
            }
            Compiled::General { any_of, negate } => {
                let hit = any_of.iter().any(|conj| {
                    conj.iter().all(|(d, set)| {
                        let c = idx.dims[*d].codes.get(p);
                        c != SKIP && set[c as usize]
                    })
                });
                hit == *negate
            }
        }
    }
}

/// Bytes of histograms the selection cache may hold (see [`Engine::push_cache`]): about one full
/// snapshot with the graph open at 10 M rows (its 2.6 M pairs are 21 MB a histogram), all six
/// for smaller tables. A miss costs a lookup in a cube, a few milliseconds; 64 MB was 5% of the
/// brushing peak.
const CACHE_MAX_BYTES: usize = 32 << 20;

/// All target histograms at one selection (cache entry).
type Snapshot = Vec<(TargetKey, Vec<i64>)>;

fn snapshot_bytes(s: &Snapshot) -> usize {
    s.iter().map(|(_, h)| h.capacity() * 8).sum()
}
/// Position ranges of the two comparison windows.
type Windows = (Option<(usize, usize)>, Option<(usize, usize)>);

pub struct Engine {
    pub idx: Index,
    mask: Vec<u32>,
    slots: BTreeMap<ViewId, u8>,
    clauses: BTreeMap<ViewId, (Clause, Compiled)>,
    targets: Vec<Target>,
    weights: HashMap<String, Arc<Vec<i64>>>,
    /// Comparison windows as position ranges (None = no window).
    cur_win: Option<(usize, usize)>,
    prev_win: Option<(usize, usize)>,
    cache: Vec<(String, Snapshot)>,
    /// Every target with no clause at all ("clear all" is a copy, not a rescan).
    base: Option<Snapshot>,
    /// Cubes of the views the pointer entered last (clicks as lookups).
    cubes: Vec<cube::Cube>,
    /// Left for [`Engine::settle`]: a rewrite of the row mask, and the cache snapshot of the last
    /// selection reached.
    pending_mask: Option<upkeep::PendingMask>,
    pending_cache: Option<String>,
    /// Bytes of cache snapshots made since freed memory was last handed back (see `settle`).
    cache_churn_bytes: usize,
    pub last_stats: UpdateStats,
    /// Start of the current phase of an update (see [`Phases`]).
    clock: std::time::Instant,
}

fn range_len(r: (usize, usize)) -> usize {
    r.1.saturating_sub(r.0)
}

/// Ranges up to this many rows are counted on one core (see [`count_range`]); small in tests, so
/// the brute-force tests' few thousand rows take both ways.
#[cfg(not(test))]
const SEQUENTIAL_MAX_ROWS: usize = 1 << 20;
#[cfg(test)]
const SEQUENTIAL_MAX_ROWS: usize = 1024;

/// Sets `t`'s histogram to the rows of positions `a..b` passing its check. A range is counted in
/// place on one core when it is short, or when the dim has many values for its rows: a per-core
/// histogram is as long as the dim's values (millions for the graph's pairs), and allocating,
/// zeroing and adding those cost more than the rows ([`Engine::rebuild_where`] keeps the cores
/// busy with the other targets). Otherwise each core counts one part of the range into its own
/// histogram: one per core, not one per piece of work (rayon's `fold` makes one per split).
fn count_range(t: &mut Target, (a, b): (usize, usize), idx: &Index, mask: &[u32]) {
    let codes = &idx.dims[t.key.dim].codes;
    let check = t.check;
    let card = t.hist.len();
    let w = t.weight.as_deref().map(|v| v.as_slice());
    let add = |h: &mut [i64], s: usize, e: usize| {
        for p in s..e {
            if mask[p] & check == 0 {
                let c = codes.get(p);
                if c != SKIP {
                    h[c as usize] += w.map_or(1, |w| w[p]);
                }
            }
        }
    };
    let rows = b.saturating_sub(a);
    if rows <= SEQUENTIAL_MAX_ROWS || card.saturating_mul(8) > rows {
        t.hist.fill(0);
        add(&mut t.hist, a, b.max(a));
        return;
    }
    let parts = rayon::current_num_threads().max(1);
    let step = rows.div_ceil(parts);
    let mut hists: Vec<Vec<i64>> = (0..parts)
        .into_par_iter()
        .map(|i| {
            let mut h = vec![0i64; card];
            add(&mut h, a + i * step, (a + (i + 1) * step).min(b));
            h
        })
        .collect();
    let mut total = hists.pop().unwrap_or_else(|| vec![0i64; card]);
    for h in hists {
        total.iter_mut().zip(h).for_each(|(x, y)| *x += y);
    }
    t.hist = total;
}

impl Engine {
    pub fn new(idx: Index) -> Self {
        let n = idx.n;
        let mut e = Self {
            idx,
            mask: vec![0; n],
            slots: BTreeMap::new(),
            clauses: BTreeMap::new(),
            targets: Vec::new(),
            weights: HashMap::new(),
            cur_win: None,
            prev_win: None,
            cache: Vec::new(),
            base: None,
            cubes: Vec::new(),
            pending_mask: None,
            pending_cache: None,
            cache_churn_bytes: 0,
            last_stats: UpdateStats::default(),
            clock: std::time::Instant::now(),
        };
        let (cw, pw) = e.cmp_windows(None);
        for p in 0..n {
            e.mask[p] = Self::win_bits(p, cw, pw);
        }
        e.cur_win = cw;
        e.prev_win = pw;
        e
    }

    pub fn n(&self) -> usize {
        self.idx.n
    }

    /// Heap bytes of the cubes (part of [`Engine::heap_bytes`]).
    pub fn cube_bytes(&self) -> usize {
        self.cubes.iter().map(cube::Cube::heap_bytes).sum()
    }

    /// Heap bytes of the engine's own state (row mask, histograms, caches, cubes); weights are the index's.
    pub fn heap_bytes(&self) -> usize {
        let hist: usize = self.targets.iter().map(|t| t.hist.capacity() * 8).sum();
        let cache: usize = self.cache.iter().map(|(_, s)| snapshot_bytes(s)).sum::<usize>()
            + self.base.as_ref().map_or(0, snapshot_bytes);
        let cubes: usize = self.cubes.iter().map(cube::Cube::heap_bytes).sum();
        self.mask.capacity() * 4 + hist + cache + cubes
    }

    fn win_bits(p: usize, cw: Option<(usize, usize)>, pw: Option<(usize, usize)>) -> u32 {
        let out = |w: Option<(usize, usize)>| w.is_none_or(|(a, b)| p < a || p >= b);
        (if out(cw) { CUR_BIT } else { 0 }) | (if out(pw) { PREV_BIT } else { 0 })
    }

    /// Week-over-week windows: the time brush and the same span a week earlier; without a brush,
    /// the last 7 days of data and the 7 days before (only if the data spans two weeks).
    fn cmp_windows(&self, time: Option<(i64, i64)>) -> Windows {
        let (a, b) = match time {
            Some(t) => t,
            None => match self.idx.time_bounds_us() {
                Some((lo, hi)) if hi - lo >= 2 * WEEK_US - 86_400_000_000 => (hi + 1 - WEEK_US, hi + 1),
                _ => return (None, None),
            },
        };
        let cur = (self.idx.lower_bound(a), self.idx.lower_bound(b));
        let prev = (self.idx.lower_bound(a - WEEK_US), self.idx.lower_bound(b - WEEK_US));
        (Some(cur), Some(prev))
    }

    fn bit_of(&self, view: ViewId) -> u32 {
        self.slots.get(&view).map(|s| 1u32 << s).unwrap_or(0)
    }

    fn time_view(&self) -> Option<ViewId> {
        self.clauses.iter().find(|(_, (c, _))| matches!(c, Clause::Time { .. })).map(|(v, _)| *v)
    }

    fn check_for(&self, key: &TargetKey) -> u32 {
        let own = self.bit_of(key.view);
        match key.ctx {
            Ctx::Main => CLAUSE_BITS & !own,
            Ctx::CmpCur | Ctx::CmpPrev => {
                let tv = self.time_view().map(|v| self.bit_of(v)).unwrap_or(0);
                let w = if key.ctx == Ctx::CmpCur { CUR_BIT } else { PREV_BIT };
                (CLAUSE_BITS & !own & !tv) | w
            }
        }
    }

    fn refresh_checks(&mut self) {
        for i in 0..self.targets.len() {
            let c = self.check_for(&self.targets[i].key);
            self.targets[i].check = c;
        }
    }

    fn weight(&mut self, measure: &str) -> Option<Arc<Vec<i64>>> {
        if measure == "count" {
            return None;
        }
        if let Some(w) = self.weights.get(measure) {
            return Some(w.clone());
        }
        let w = self.idx.weights(measure)?;
        self.weights.insert(measure.to_string(), w.clone());
        Some(w)
    }

    /// Registers the targets the views need now; targets no longer needed are dropped.
    pub fn set_targets(&mut self, keys: &[TargetKey]) {
        self.settle();
        let before = self.targets.len();
        self.targets.retain(|t| keys.contains(&t.key));
        if self.targets.len() != before || keys.len() != self.targets.len() {
            self.base = None;
        }
        for k in keys {
            if self.targets.iter().any(|t| &t.key == k) {
                continue;
            }
            let weight = self.weight(&k.measure);
            let card = self.idx.dims[k.dim].cardinality();
            let mut t = Target { key: k.clone(), check: 0, hist: vec![0; card], lent: None, weight };
            t.check = self.check_for(k);
            self.rebuild_target(&mut t);
            self.targets.push(t);
        }
    }

    pub fn hist(&self, key: &TargetKey) -> Option<&[i64]> {
        self.targets.iter().find(|t| &t.key == key).map(|t| t.lent.as_deref().unwrap_or(&t.hist).as_slice())
    }

    /// A target's histogram for an answer to keep, without a copy: it is lent until the next
    /// change or idle time, when [`Engine::settle`] takes it back (a copy only if the answer
    /// still holds it). For the graph's pair histogram, millions of entries at 10 M rows.
    pub fn share_hist(&mut self, key: &TargetKey) -> Option<Arc<Vec<i64>>> {
        let t = self.targets.iter_mut().find(|t| &t.key == key)?;
        let lent = t.lent.get_or_insert_with(|| Arc::new(std::mem::take(&mut t.hist)));
        Some(Arc::clone(lent))
    }

    /// Positions that can pass a target's check, as a range (time-sorted positions).
    fn candidate_range(&self, t: &Target) -> (usize, usize) {
        let all = (0, self.idx.n);
        let tv = self.time_view();
        match t.key.ctx {
            Ctx::CmpCur => self.cur_win.unwrap_or((0, 0)),
            Ctx::CmpPrev => self.prev_win.unwrap_or((0, 0)),
            Ctx::Main => match tv {
                Some(v) if v != t.key.view => match self.clauses.get(&v) {
                    Some((_, Compiled::Time { lo, hi })) => (*lo, *hi),
                    _ => all,
                },
                _ => all,
            },
        }
    }

    fn rebuild_target(&mut self, t: &mut Target) {
        let range = self.candidate_range(t);
        self.last_stats.rows_visited += range_len(range) as u64;
        count_range(t, range, &self.idx, &self.mask);
    }

    /// Rebuilds the chosen targets over their candidate ranges, side by side: after a time
    /// jump most ranges are short, and a target's cost is then its histogram, not its rows.
    fn rebuild_where(&mut self, pred: impl Fn(&TargetKey) -> bool + Sync) {
        let mut ts = std::mem::take(&mut self.targets);
        let ranges: Vec<(usize, usize)> = ts.iter().map(|t| self.candidate_range(t)).collect();
        self.last_stats.rows_visited += ts
            .iter()
            .zip(&ranges)
            .filter(|(t, _)| pred(&t.key))
            .map(|(_, r)| range_len(*r) as u64)
            .sum::<u64>();
        let (idx, mask) = (&self.idx, &self.mask);
        ts.par_iter_mut()
            .zip(ranges)
            .filter(|(t, _)| pred(&t.key))
            .for_each(|(t, r)| count_range(t, r, idx, mask));
        self.targets = ts;
    }

    /// Applies per-position mask changes incrementally: for each changed position, every target
    /// whose pass/fail flips gains or loses that row.
    fn apply_changes(&mut self, changes: &[(u32, u32)]) {
        // changes: (position, new mask), positions distinct. Targets are independent: one core each.
        self.last_stats.rows_visited += changes.len() as u64;
        let mask = &self.mask;
        let idx = &self.idx;
        let no_windows = self.cur_win.is_none() && self.prev_win.is_none();
        self.targets.par_iter_mut().for_each(|t| {
            if no_windows && t.key.ctx != Ctx::Main {
                return;
            }
            let codes = &idx.dims[t.key.dim].codes;
            let w = t.weight.as_deref();
            for &(p, m1) in changes {
                let p = p as usize;
                let m0 = mask[p];
                let before = m0 & t.check == 0;
                let after = m1 & t.check == 0;
                if before != after {
                    let c = codes.get(p);
                    if c != SKIP {
                        let wv = w.map_or(1, |w| w[p]);
                        t.hist[c as usize] += if after { wv } else { -wv };
                    }
                }
            }
        });
        for &(p, m1) in changes {
            self.mask[p as usize] = m1;
        }
    }

    fn compile(&mut self, clause: &Clause) -> PolarsResult<Compiled> {
        Ok(match clause {
            Clause::Time { start_us, end_us } => {
                let lo = self.idx.lower_bound(*start_us);
                let hi = self.idx.lower_bound(*end_us).max(lo);
                Compiled::Time { lo, hi }
            }
            Clause::Match { any_of, negate } => {
                let mut conjs = Vec::new();
                for conj in super::selection::without_implied(any_of) {
                    let mut c = Vec::new();
                    for pred in conj {
                        let d = self.idx.ensure_dim(pred.field())?;
                        let labels = &self.idx.dims[d].labels;
                        let set: Vec<bool> = match pred {
                            Pred::Eq { value, .. } => labels.iter().map(|l| l == value).collect(),
                            Pred::InPrefix { prefix, .. } if prefix == crate::data::net::NON_IP => {
                                // The treemap's "non-IP" group: values that are not addresses.
                                labels.iter().map(|l| crate::data::net::parse_ip(l).is_none()).collect()
                            }
                            Pred::InPrefix { prefix, .. } => {
                                labels.iter().map(|l| crate::data::net::ip_in_prefix(l, prefix)).collect()
                            }
                            Pred::Range { min, max, .. } => labels
                                .iter()
                                .map(|l| l.parse::<f64>().is_ok_and(|x| x >= *min && x <= *max))
                                .collect(),
                        };
                        c.push((d, set));
                    }
                    conjs.push(c);
                }
                // One field throughout, one predicate per conjunction: a plain code set.
                let single =
                    conjs.iter().all(|c| c.len() == 1) && conjs.windows(2).all(|w| w[0][0].0 == w[1][0].0);
                if single && !conjs.is_empty() {
                    let dim = conjs[0][0].0;
                    let mut set = vec![false; self.idx.dims[dim].cardinality()];
                    for c in &conjs {
                        for (i, b) in c[0].1.iter().enumerate() {
                            set[i] |= *b;
                        }
                    }
                    Compiled::Codes { dim, set, negate: *negate }
                } else {
                    Compiled::General { any_of: conjs, negate: *negate }
                }
            }
        })
    }

    fn cache_key(&self, sel_sig: &str) -> String {
        let mut keys: Vec<&TargetKey> = self.targets.iter().map(|t| &t.key).collect();
        keys.sort();
        format!("{sel_sig}#{keys:?}")
    }

    fn store_cache(&mut self, sig: String) {
        let snap = self.targets.iter().map(|t| (t.key.clone(), t.hist.clone())).collect();
        self.push_cache(sig, snap);
    }

    fn push_cache(&mut self, sig: String, snap: Snapshot) {
        self.push_cache_within(sig, snap, CACHE_MAX_BYTES);
    }

    fn push_cache_within(&mut self, sig: String, snap: Snapshot, max_bytes: usize) {
        self.cache.retain(|(k, _)| *k != sig);
        self.cache.push((sig, snap));
        // The oldest entries go first, past six or past the byte budget: with the graph open each
        // snapshot holds its pair histogram (21 MB at 10 M rows), and six of them were a tenth of
        // the process. The newest entry always stays.
        while self.cache.len() > 6
            || self.cache.len() > 1
                && self.cache.iter().map(|(_, s)| snapshot_bytes(s)).sum::<usize>() > max_bytes
        {
            self.cache.remove(0);
        }
    }

    /// Moves the histograms cached for `sig` into the targets. Moved, not copied: at 10 M rows a
    /// copy of every histogram is milliseconds the answer need not wait for; the entry is taken
    /// again from the targets when idle (every cache hit ends in the requested selection, so
    /// `pending_cache` is set).
    fn restore_cache(&mut self, sig: &str) -> bool {
        let Some(i) = self.cache.iter().position(|(k, _)| k == sig) else {
            return false;
        };
        let (_, snap) = self.cache.remove(i);
        for (k, h) in snap {
            if let Some(t) = self.targets.iter_mut().find(|t| t.key == k) {
                t.hist = h;
            }
        }
        true
    }

    /// Ends the current phase of an update under `name` (see [`Phases`]).
    fn lap(&mut self, name: &'static str) {
        self.last_stats.phases.lap(name, &mut self.clock);
    }

    /// Brings the engine to `sel`, clause by clause.
    pub fn sync(&mut self, sel: &Selection) -> PolarsResult<()> {
        self.last_stats = UpdateStats::default();
        self.clock = std::time::Instant::now();
        self.settle();
        if sel.clauses.is_empty() && !self.clauses.is_empty() && self.restore_base() {
            return Ok(());
        }
        // With no clause left, the base histograms are kept by `settle`.
        self.sync_clauses(sel)
    }

    /// Back to no clause at all from the stored base histograms; false if they are not for the
    /// current targets. They are moved into the targets and the mask's reset is left pending, so
    /// "clear all" waits for neither; `settle` keeps the base again.
    fn restore_base(&mut self) -> bool {
        let Some(base) = &self.base else { return false };
        if base.len() != self.targets.len()
            || !self.targets.iter().all(|t| base.iter().any(|(k, _)| *k == t.key))
        {
            return false;
        }
        for (k, h) in self.base.take().into_iter().flatten() {
            if let Some(t) = self.targets.iter_mut().find(|t| t.key == k) {
                t.hist = h;
            }
        }
        self.clauses.clear();
        self.slots.clear();
        let (cw, pw) = self.cmp_windows(None);
        self.cur_win = cw;
        self.prev_win = pw;
        self.defer_mask(upkeep::PendingMask::Reset { windows: (cw, pw) });
        self.refresh_checks();
        self.last_stats.strategy = "base";
        true
    }

    fn sync_clauses(&mut self, sel: &Selection) -> PolarsResult<()> {
        let current: Vec<ViewId> = self.clauses.keys().copied().collect();
        for v in current {
            if !sel.clauses.contains_key(&v) {
                self.set_clause(v, None, sel)?;
            }
        }
        for (v, c) in &sel.clauses {
            if self.clauses.get(v).map(|(old, _)| old) != Some(c) {
                self.set_clause(*v, Some(c.clone()), sel)?;
            }
        }
        Ok(())
    }

    /// Sorted positions of the rows having any of `codes` in `dim`.
    fn positions_of(&mut self, dim: usize, codes: &[usize]) -> Vec<u32> {
        let post = self.idx.dims[dim].postings();
        let mut out = Vec::with_capacity(codes.iter().map(|&c| post.rows(c)).sum());
        for &c in codes {
            post.for_each(c, |p| out.push(p as u32));
        }
        out
    }

    /// Rebuilds the targets of other views from the only rows that can pass them.
    fn rebuild_from_positions(&mut self, pos: &[u32], view: ViewId) {
        self.last_stats.rows_visited += (pos.len() * self.targets.len()) as u64;
        let mask = &self.mask;
        let idx = &self.idx;
        let no_windows = self.cur_win.is_none() && self.prev_win.is_none();
        self.targets.par_iter_mut().filter(|t| t.key.view != view).for_each(|t| {
            t.hist.iter_mut().for_each(|h| *h = 0);
            if no_windows && t.key.ctx != Ctx::Main {
                return;
            }
            let codes = &idx.dims[t.key.dim].codes;
            for &p in pos {
                let p = p as usize;
                if mask[p] & t.check == 0 {
                    let c = codes.get(p);
                    if c != SKIP {
                        t.hist[c as usize] += t.weight.as_ref().map_or(1, |w| w[p]);
                    }
                }
            }
        });
    }

    /// Whether the week-earlier window holds any record (if not, there is nothing to compare with).
    pub fn prev_window_has_rows(&self) -> bool {
        self.prev_win.is_some_and(|(a, b)| b > a)
    }

    /// Table rows (in table order) of the `offset..offset+limit` passing positions, using the
    /// block counts target to skip ahead.
    pub fn passing_rows(&self, block_hist: &[i64], offset: usize, limit: usize) -> Vec<u32> {
        let mut skip = offset as i64;
        let mut out = Vec::with_capacity(limit);
        for (b, &cnt) in block_hist.iter().enumerate() {
            if skip >= cnt {
                skip -= cnt;
                continue;
            }
            let start = b * TABLE_BLOCK;
            let end = ((b + 1) * TABLE_BLOCK).min(self.idx.n);
            for p in start..end {
                if self.passes_all(p) {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    out.push(self.idx.row(p));
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
        out
    }

    /// Table rows passing every clause, in the order of a precomputed permutation of table rows.
    /// `inverse_order` gives each table row's position; None when they are the same.
    pub fn passing_rows_sorted(
        &self,
        perm: &[u32],
        inverse_order: Option<&[u32]>,
        offset: usize,
        limit: usize,
    ) -> Vec<u32> {
        let mut out = Vec::with_capacity(limit);
        let mut skip = offset;
        for &r in perm {
            let p = inverse_order.map_or(r, |inv| inv[r as usize]) as usize;
            if self.passes_all(p) {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                out.push(r);
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }

    /// Table rows of every record passing every clause (exports, SQL `selection`).
    pub fn all_passing_rows(&self) -> Vec<u32> {
        let mut rows: Vec<u32> =
            (0..self.idx.n).filter(|&p| self.passes_all(p)).map(|p| self.idx.row(p)).collect();
        rows.sort_unstable();
        rows
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    #[test]
    fn the_selection_cache_drops_its_oldest_entries_past_six_or_past_its_bytes() {
        let df = DataFrame::new_infer_height(vec![Column::new("a".into(), [1i64, 2, 3])]).unwrap();
        let mut e = Engine::new(Index::build(Arc::new(df)).unwrap());
        let key = TargetKey { view: 1, dim: 0, measure: "count".into(), ctx: Ctx::Main };
        let snap = |bins: usize| vec![(key.clone(), vec![0i64; bins])];
        for i in 0..8 {
            e.push_cache_within(format!("s{i}"), snap(10), 1 << 20);
        }
        let sigs: Vec<&str> = e.cache.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(sigs, ["s2", "s3", "s4", "s5", "s6", "s7"]);
        // 1,000 bins are 8,000 bytes: two fit in 20,000, a third pushes the oldest out.
        e.cache.clear();
        for i in 0..3 {
            e.push_cache_within(format!("b{i}"), snap(1000), 20_000);
        }
        let sigs: Vec<&str> = e.cache.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(sigs, ["b1", "b2"]);
        // An entry larger than the budget is still kept alone: the latest selection is the one
        // undo returns to.
        e.push_cache_within("big".into(), snap(10_000), 20_000);
        assert_eq!(e.cache.len(), 1);
    }
}
