//! The crossfilter engine. Every view output is a histogram ("target") over one dim, kept up to
//! date incrementally: each row carries a bit per active clause (set = the clause rejects the row),
//! and a target counts the rows whose bits are clear for every clause except its own view's.
//! A brush that moves a little flips few rows, so only those rows are visited (crossfilter);
//! a click on a value rebuilds from that value's posting list; a full rescan is the last resort.
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
                let c = idx.dims[*dim].codes[p];
                let hit = c != SKIP && set[c as usize];
                hit == *negate
            }
            Compiled::General { any_of, negate } => {
                let hit = any_of.iter().any(|conj| {
                    conj.iter().all(|(d, set)| {
                        let c = idx.dims[*d].codes[p];
                        c != SKIP && set[c as usize]
                    })
                });
                hit == *negate
            }
        }
    }
}

/// Statistics of the last update, for the benchmark and the status line.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateStats {
    pub rows_visited: u64,
    pub strategy: &'static str,
}

/// All target histograms at one selection (cache entry).
type Snapshot = Vec<(TargetKey, Vec<i64>)>;
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
    pub last_stats: UpdateStats,
}

fn range_len(r: (usize, usize)) -> usize {
    r.1.saturating_sub(r.0)
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
            last_stats: UpdateStats::default(),
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
        let w = Arc::new(self.idx.weights(measure)?.to_vec());
        self.weights.insert(measure.to_string(), w.clone());
        Some(w)
    }

    /// Registers the targets the views need now; targets no longer needed are dropped.
    pub fn set_targets(&mut self, keys: &[TargetKey]) {
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
            let mut t = Target { key: k.clone(), check: 0, hist: vec![0; card], weight };
            t.check = self.check_for(k);
            self.rebuild_target(&mut t);
            self.targets.push(t);
        }
    }

    pub fn hist(&self, key: &TargetKey) -> Option<&[i64]> {
        self.targets.iter().find(|t| &t.key == key).map(|t| t.hist.as_slice())
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
        let (a, b) = self.candidate_range(t);
        self.last_stats.rows_visited += (b.saturating_sub(a)) as u64;
        let codes = &self.idx.dims[t.key.dim].codes;
        let mask = &self.mask;
        let check = t.check;
        let card = t.hist.len();
        let w = t.weight.as_deref().map(|v| v.as_slice());
        const CHUNK: usize = 1 << 18;
        let hist = (a..b)
            .into_par_iter()
            .step_by(CHUNK)
            .fold(
                || vec![0i64; card],
                |mut h, s| {
                    let e = (s + CHUNK).min(b);
                    for p in s..e {
                        if mask[p] & check == 0 {
                            let c = codes[p];
                            if c != SKIP {
                                h[c as usize] += w.map_or(1, |w| w[p]);
                            }
                        }
                    }
                    h
                },
            )
            .reduce(
                || vec![0i64; card],
                |mut x, y| {
                    for (a, b) in x.iter_mut().zip(y) {
                        *a += b;
                    }
                    x
                },
            );
        t.hist = hist;
    }

    fn rebuild_where(&mut self, pred: impl Fn(&TargetKey) -> bool) {
        let mut ts = std::mem::take(&mut self.targets);
        for t in ts.iter_mut() {
            if pred(&t.key) {
                self.rebuild_target(t);
            }
        }
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
                    let c = codes[p];
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
                for conj in any_of {
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
        self.cache.retain(|(k, _)| *k != sig);
        self.cache.push((sig, snap));
        if self.cache.len() > 6 {
            self.cache.remove(0);
        }
    }

    fn restore_cache(&mut self, sig: &str) -> bool {
        let Some((_, snap)) = self.cache.iter().find(|(k, _)| k == sig) else {
            return false;
        };
        let snap = snap.clone();
        for t in self.targets.iter_mut() {
            if let Some((_, h)) = snap.iter().find(|(k, _)| *k == t.key) {
                t.hist = h.clone();
            }
        }
        true
    }

    /// Brings the engine to `sel`, clause by clause.
    pub fn sync(&mut self, sel: &Selection) -> PolarsResult<()> {
        self.last_stats = UpdateStats::default();
        if sel.clauses.is_empty() && !self.clauses.is_empty() && self.restore_base() {
            return Ok(());
        }
        self.sync_clauses(sel)?;
        if self.clauses.is_empty() && self.base.is_none() {
            self.base = Some(self.targets.iter().map(|t| (t.key.clone(), t.hist.clone())).collect());
        }
        Ok(())
    }

    /// Back to no clause at all from the stored base histograms; false if they are not for the
    /// current targets.
    fn restore_base(&mut self) -> bool {
        let Some(base) = &self.base else { return false };
        if base.len() != self.targets.len()
            || !self.targets.iter().all(|t| base.iter().any(|(k, _)| *k == t.key))
        {
            return false;
        }
        for t in self.targets.iter_mut() {
            if let Some((_, h)) = base.iter().find(|(k, _)| *k == t.key) {
                t.hist.clone_from(h);
            }
        }
        self.clauses.clear();
        self.slots.clear();
        let (cw, pw) = self.cmp_windows(None);
        self.cur_win = cw;
        self.prev_win = pw;
        self.mask.par_iter_mut().enumerate().for_each(|(p, m)| *m = Self::win_bits(p, cw, pw));
        self.refresh_checks();
        self.last_stats.rows_visited += self.idx.n as u64;
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

    fn set_clause(
        &mut self,
        view: ViewId,
        clause: Option<Clause>,
        final_sel: &Selection,
    ) -> PolarsResult<()> {
        let n = self.idx.n;
        let old_time = matches!(self.clauses.get(&view), Some((Clause::Time { .. }, _)));
        let new_time = matches!(clause, Some(Clause::Time { .. }));
        if clause.is_some() && !self.slots.contains_key(&view) {
            let used: Vec<u8> = self.slots.values().copied().collect();
            let Some(free) = (0..30u8).find(|s| !used.contains(s)) else {
                return Err(PolarsError::ComputeError("too many clauses (30 at most)".into()));
            };
            self.slots.insert(view, free);
        }
        let bit = self.bit_of(view);
        let compiled = match &clause {
            Some(c) => Some(self.compile(c)?),
            None => None,
        };
        // Whether this change ends in a selection we have seen (e.g. a clear after a click).
        let sig = self.cache_key(&final_sel.signature());
        let is_final = {
            let mut after: BTreeMap<ViewId, &Clause> =
                self.clauses.iter().map(|(v, (c, _))| (*v, c)).collect();
            match &clause {
                Some(c) => {
                    after.insert(view, c);
                }
                None => {
                    after.remove(&view);
                }
            }
            after.len() == final_sel.clauses.len()
                && after.iter().all(|(v, c)| final_sel.clauses.get(v) == Some(*c))
        };

        if old_time || new_time {
            // Time clause: bit of this view plus both comparison-window bits move together.
            let (lo, hi) = match &compiled {
                Some(Compiled::Time { lo, hi }) => (*lo, *hi),
                _ => (0, n),
            };
            let (old_lo, old_hi) = match self.clauses.get(&view) {
                Some((_, Compiled::Time { lo, hi })) => (*lo, *hi),
                _ => (0, n),
            };
            let time_us = match &clause {
                Some(Clause::Time { start_us, end_us }) => Some((*start_us, *end_us)),
                _ => None,
            };
            let (cw, pw) = self.cmp_windows(time_us);
            let mut ranges = vec![(old_lo, old_hi), (lo, hi)];
            for w in [self.cur_win, cw, self.prev_win, pw] {
                ranges.push(w.unwrap_or((0, 0)));
            }
            // Positions whose membership may change: the symmetric differences, as sorted ranges.
            let mut cuts: Vec<usize> = ranges.iter().flat_map(|r| [r.0, r.1]).collect();
            cuts.push(0);
            cuts.push(n);
            cuts.sort_unstable();
            cuts.dedup();
            let inside = |r: (usize, usize), p: usize| p >= r.0 && p < r.1;
            let mut changed_ranges = Vec::new();
            for w in cuts.windows(2) {
                let p = w[0];
                if p >= n {
                    continue;
                }
                let differs = inside((old_lo, old_hi), p) != inside((lo, hi), p)
                    || inside(self.cur_win.unwrap_or((0, 0)), p) != inside(cw.unwrap_or((0, 0)), p)
                    || inside(self.prev_win.unwrap_or((0, 0)), p) != inside(pw.unwrap_or((0, 0)), p);
                if differs {
                    changed_ranges.push((w[0], w[1]));
                }
            }
            let changed: usize = changed_ranges.iter().map(|r| range_len(*r)).sum();
            // Incremental visits each changed row once per target; a rebuild visits each target's
            // candidate range. Pick the cheaper.
            let new_main = if clause.is_some() { range_len((lo, hi)) } else { n };
            let rebuild_cost = new_main * self.targets.len().max(1) / 2
                + range_len(cw.unwrap_or((0, 0)))
                + range_len(pw.unwrap_or((0, 0)));
            self.cur_win = cw;
            self.prev_win = pw;
            match (&clause, compiled) {
                (Some(c), Some(comp)) => {
                    self.clauses.insert(view, (c.clone(), comp));
                }
                _ => {
                    self.clauses.remove(&view);
                }
            }
            // On removal the old checks stay until the rows are updated: they judge the old mask.
            if clause.is_some() {
                self.refresh_checks();
            }
            let new_mask = |p: usize, m: u32| -> u32 {
                let mut m = m & !(bit | CUR_BIT | PREV_BIT);
                if clause.is_some() && !inside((lo, hi), p) {
                    m |= bit;
                }
                m | Self::win_bits(p, cw, pw)
            };
            if is_final && changed > 4096 && self.restore_cache(&sig) {
                for &(a, b) in &changed_ranges {
                    for p in a..b {
                        self.mask[p] = new_mask(p, self.mask[p]);
                    }
                }
                self.last_stats.strategy = "cache";
            } else if changed * self.targets.len().max(1) <= rebuild_cost {
                let mut changes = Vec::with_capacity(changed);
                for &(a, b) in &changed_ranges {
                    for p in a..b {
                        changes.push((p as u32, new_mask(p, self.mask[p])));
                    }
                }
                self.apply_changes(&changes);
                self.last_stats.strategy = "incremental";
            } else {
                for &(a, b) in &changed_ranges {
                    for p in a..b {
                        self.mask[p] = new_mask(p, self.mask[p]);
                    }
                }
                // The time view's own main targets do not depend on its clause.
                self.rebuild_where(|k| !(k.view == view && k.ctx == Ctx::Main));
                self.last_stats.strategy = "rebuild-ranges";
            }
            if clause.is_none() {
                self.slots.remove(&view);
                self.refresh_checks();
            }
            if is_final {
                self.store_cache(sig);
            }
            return Ok(());
        }

        // Match clauses.
        let had_clause = self.clauses.contains_key(&view);
        let old_codes = match self.clauses.get(&view) {
            Some((_, Compiled::Codes { dim, set, negate })) => Some((*dim, set.clone(), *negate)),
            _ => None,
        };
        let new_codes = match &compiled {
            Some(Compiled::Codes { dim, set, negate }) => Some((*dim, set.clone(), *negate)),
            _ => None,
        };
        match (&clause, compiled) {
            (Some(c), Some(comp)) => {
                self.clauses.insert(view, (c.clone(), comp));
            }
            _ => {
                self.clauses.remove(&view);
            }
        }
        if clause.is_some() {
            self.refresh_checks();
        }
        let rejects_new = |e: &Engine, p: usize| -> bool {
            match e.clauses.get(&view) {
                Some((_, comp)) => comp.rejects(&e.idx, p),
                None => false,
            }
        };
        // A set of included values of one field: the bit is "not in the set". Set it everywhere and
        // clear it on the set's postings, then rebuild the other views from those rows only -
        // no scan of every row, and the work is proportional to the selected records.
        if let Some((d, set, false)) = &new_codes {
            let codes: Vec<usize> = (0..set.len()).filter(|&i| set[i]).collect();
            let included: usize = {
                let (offs, _) = self.idx.dims[*d].postings();
                codes.iter().map(|&c| (offs[c + 1] - offs[c]) as usize).sum()
            };
            let same_field_include = matches!(&old_codes, Some((od, _, false)) if od == d);
            if included > n / 2 && old_codes.is_none() && self.clauses.contains_key(&view) && !had_clause {
                // Most rows stay: only the rows of the other values lose this view's bit.
                let others: Vec<usize> = (0..set.len()).filter(|&i| !set[i]).collect();
                let pos = self.positions_of(*d, &others);
                let changes: Vec<(u32, u32)> =
                    pos.iter().map(|&p| (p, self.mask[p as usize] | bit)).collect();
                self.apply_changes(&changes);
                self.last_stats.strategy = "incremental-complement";
                if is_final {
                    self.store_cache(sig);
                }
                return Ok(());
            }
            if included <= n / 2 || same_field_include && included <= n * 2 / 3 {
                let cached = is_final && self.restore_cache(&sig);
                let pos = self.positions_of(*d, &codes);
                self.mask.par_iter_mut().for_each(|m| *m |= bit);
                for &p in &pos {
                    self.mask[p as usize] &= !bit;
                }
                if cached {
                    self.last_stats.strategy = "cache";
                } else {
                    self.rebuild_from_positions(&pos, view);
                    self.last_stats.strategy = "rebuild-postings";
                }
                if is_final {
                    self.store_cache(sig);
                }
                return Ok(());
            }
        }
        // Removing a clause clears its bit everywhere (a parallel fill); when this selection was
        // seen recently its histograms come from the cache instead of a rescan.
        if clause.is_none() && is_final && self.cache.iter().any(|(k, _)| *k == sig) {
            self.mask.par_iter_mut().for_each(|m| *m &= !bit);
            self.restore_cache(&sig);
            self.slots.remove(&view);
            self.refresh_checks();
            self.store_cache(sig);
            self.last_stats.strategy = "cache";
            return Ok(());
        }
        // Rows whose bit may flip, from postings where both sides are code sets of one field.
        let posting_changes: Option<Vec<u32>> = match (&old_codes, &new_codes) {
            (Some((d0, s0, n0)), Some((d1, s1, n1))) if d0 == d1 && n0 == n1 => {
                let d = *d0;
                let codes: Vec<usize> = (0..s0.len()).filter(|&i| s0[i] != s1[i]).collect();
                Some(self.positions_of(d, &codes))
            }
            (None, Some((d, s, true))) if clause.is_some() => {
                // A new exclusion flips exactly the excluded rows.
                let codes: Vec<usize> = (0..s.len()).filter(|&i| s[i]).collect();
                Some(self.positions_of(*d, &codes))
            }
            (Some((d, s, true)), None) => {
                let codes: Vec<usize> = (0..s.len()).filter(|&i| s[i]).collect();
                Some(self.positions_of(*d, &codes))
            }
            _ => None,
        };
        match posting_changes {
            Some(pos) if pos.len() <= n / 3 => {
                let changes: Vec<(u32, u32)> = pos
                    .iter()
                    .map(|&p| {
                        let m = self.mask[p as usize] & !bit;
                        (p, if rejects_new(self, p as usize) { m | bit } else { m })
                    })
                    .collect();
                self.apply_changes(&changes);
                self.last_stats.strategy = "incremental-postings";
            }
            _ => {
                let cached = is_final && self.restore_cache(&sig);
                // New mask bit for every row (parallel), counting what flipped.
                let clauses = &self.clauses;
                let idx = &self.idx;
                let comp = clauses.get(&view).map(|(_, c)| c);
                let mut flipped = Vec::new();
                let chunks: Vec<Vec<u32>> = self
                    .mask
                    .par_chunks_mut(1 << 16)
                    .enumerate()
                    .map(|(ci, ch)| {
                        let mut f = Vec::new();
                        let base = ci << 16;
                        for (i, m) in ch.iter_mut().enumerate() {
                            let p = base + i;
                            let rej = comp.is_some_and(|c| c.rejects(idx, p));
                            let nm = if rej { *m | bit } else { *m & !bit };
                            if nm != *m {
                                f.push(p as u32);
                            }
                            // Leave the mask as it was: incremental updates need the old value.
                            let _ = nm;
                        }
                        f
                    })
                    .collect();
                for c in chunks {
                    flipped.extend(c);
                }
                self.last_stats.rows_visited += n as u64;
                if cached {
                    for &p in &flipped {
                        self.mask[p as usize] ^= bit;
                    }
                    self.last_stats.strategy = "cache";
                } else if flipped.len() * self.targets.len().max(1) <= n {
                    let changes: Vec<(u32, u32)> =
                        flipped.iter().map(|&p| (p, self.mask[p as usize] ^ bit)).collect();
                    self.apply_changes(&changes);
                    self.last_stats.strategy = "incremental-scan";
                } else {
                    for &p in &flipped {
                        self.mask[p as usize] ^= bit;
                    }
                    // Included set of a fresh single-field include is usually small: rebuild from it.
                    match &new_codes {
                        Some((d, s, false)) => {
                            let codes: Vec<usize> = (0..s.len()).filter(|&i| s[i]).collect();
                            let pos = self.positions_of(*d, &codes);
                            self.rebuild_from_positions(&pos, view);
                            self.last_stats.strategy = "rebuild-postings";
                        }
                        _ => {
                            self.rebuild_where(|k| k.view != view);
                            self.last_stats.strategy = "rebuild-ranges";
                        }
                    }
                }
            }
        }
        if clause.is_none() {
            self.slots.remove(&view);
            self.refresh_checks();
        }
        if is_final {
            self.store_cache(sig);
        }
        Ok(())
    }

    /// Sorted positions of the rows having any of `codes` in `dim`.
    fn positions_of(&mut self, dim: usize, codes: &[usize]) -> Vec<u32> {
        let (offs, pos) = self.idx.dims[dim].postings();
        let mut out = Vec::new();
        let total: usize = codes.iter().map(|&c| (offs[c + 1] - offs[c]) as usize).sum();
        out.reserve(total);
        for &c in codes {
            out.extend_from_slice(&pos[offs[c] as usize..offs[c + 1] as usize]);
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
                    let c = codes[p];
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

    /// Whether position `p` passes every clause (the records table's filter).
    pub fn passes_all(&self, p: usize) -> bool {
        self.mask[p] & CLAUSE_BITS == 0
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
                    out.push(self.idx.order[p]);
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
        out
    }

    /// Table rows passing every clause, in the order of a precomputed permutation of table rows.
    pub fn passing_rows_sorted(
        &self,
        perm: &[u32],
        inverse_order: &[u32],
        offset: usize,
        limit: usize,
    ) -> Vec<u32> {
        let mut out = Vec::with_capacity(limit);
        let mut skip = offset;
        for &r in perm {
            let p = inverse_order[r as usize] as usize;
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
            (0..self.idx.n).filter(|&p| self.passes_all(p)).map(|p| self.idx.order[p]).collect();
        rows.sort_unstable();
        rows
    }
}
