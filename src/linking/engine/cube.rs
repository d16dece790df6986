//! Clicks as lookups (after Falcon): when the pointer enters a list, treemap or graph, the view's
//! cube is built off the UI thread - for each of its categories, every other view's histogram
//! over the rows of that category, under all the other clauses. A click, Ctrl-click or removal on
//! that view then sets each other histogram to a sum of cube rows instead of visiting records.
//!
//! Exact by construction: a cube row is the category's contribution to a histogram with the
//! view's own clause ignored, so any clause that is a function of the view's category (top-N
//! values, treemap paths over its levels, graph nodes and edges over its fields) is a sum of rows.
//! Categories too small to be worth a row are summed from their posting lists at click time.
//! A view over combined fields also gets a cube per field (see [`Engine::prefetch`]); a click
//! uses the cube with the fewest categories that decides it.
//! A cube serves only while the other clauses, the targets and the comparison windows are those it
//! was built under.
use super::pass::{CatPass, Lists, Sums, Wanted};
use super::upkeep::PendingMask;
use super::{Compiled, Ctx, Engine, TargetKey, CLAUSE_BITS, CUR_BIT, PREV_BIT};
use crate::linking::index::{Codes, Postings, SKIP};
use crate::linking::selection::{Selection, ViewId};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Categories with fewer rows than this (or past the budget) are summed from postings on a click.
/// Tests over a few thousand rows need both kinds.
const MIN_CUBED_ROWS: usize = if cfg!(test) { 64 } else { 2048 };
/// Cube entries (bin, value) kept at most, summed over targets: 12 bytes each.
const MAX_ENTRIES: usize = 12_000_000;

/// Cells of a cube over a scanned dim are summed in one pass into a dense (category x bin) table
/// when it has at most this many entries (8 bytes each, per worker thread).
const DENSE_MAX_CELLS: usize = 1 << 20;

/// One pass over every row for the cells of all cubed categories of a scanned dim.
struct DenseScan<'a> {
    /// Cube row of each category (u32::MAX: not cubed).
    row_of: &'a [u32],
    rows: usize,
    dim_codes: &'a Codes,
}

impl DenseScan<'_> {
    /// The cells of one target (`codes`, `bins` of them); None when stopped.
    fn cells(
        &self,
        codes: &Codes,
        mask: &[u32],
        check: u32,
        w: Option<&[i64]>,
        bins: usize,
        stop: &AtomicBool,
    ) -> Option<Vec<Cell>> {
        let mut sums = vec![0i64; self.rows * bins];
        let mut seen = vec![false; self.rows * bins];
        for p in 0..self.dim_codes.len() {
            if p % (1 << 20) == 0 && stop.load(Ordering::Relaxed) {
                return None;
            }
            let c = self.dim_codes.get(p);
            if c == SKIP || mask[p] & check != 0 {
                continue;
            }
            let r = self.row_of[c as usize];
            let b = codes.get(p);
            if r != u32::MAX && b != SKIP {
                let i = r as usize * bins + b as usize;
                sums[i] += w.map_or(1, |w| w[p]);
                seen[i] = true;
            }
        }
        let cells = (0..self.rows)
            .map(|r| {
                let at = r * bins;
                let bins: Vec<u32> = (0..bins as u32).filter(|&b| seen[at + b as usize]).collect();
                let values = match w {
                    None => Values::Counts(bins.iter().map(|&b| sums[at + b as usize] as u32).collect()),
                    Some(_) => Values::Sums(bins.iter().map(|&b| sums[at + b as usize]).collect()),
                };
                Cell { bins, values }
            })
            .collect();
        Some(cells)
    }
}

/// One category's contribution to one target: sparse bins and values.
struct Cell {
    bins: Vec<u32>,
    values: Values,
}

/// A cell's values: record counts fit 4 bytes (a table has fewer than 2^32 rows), so a target
/// that counts keeps half the bytes of one that sums a measure.
enum Values {
    Counts(Vec<u32>),
    Sums(Vec<i64>),
}

impl Values {
    /// `hist` as values: counts when `counts` (every value a record count), else sums.
    fn of(hist: Vec<i64>, counts: bool) -> Self {
        if counts {
            Values::Counts(hist.iter().map(|&v| v as u32).collect())
        } else {
            Values::Sums(hist)
        }
    }

    /// Makes `hist` these values.
    fn copy_into(&self, hist: &mut Vec<i64>) {
        hist.clear();
        match self {
            Values::Counts(v) => hist.extend(v.iter().map(|&x| x as i64)),
            Values::Sums(v) => hist.extend_from_slice(v),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Values::Counts(v) => v.capacity() * 4,
            Values::Sums(v) => v.capacity() * 8,
        }
    }
}

pub(super) struct Cube {
    pub view: ViewId,
    pub dim: usize,
    key: String,
    /// Per category of `dim`: index of its cube row, or `u32::MAX` when summed from postings.
    /// A category's rows are its posting list's length (the dim's offsets).
    row_of: Vec<u32>,
    /// Targets of the other views, in the engine's order at build time.
    keys: Vec<TargetKey>,
    /// Per target: its histogram with this view's clause ignored (shared by the view's cubes).
    base: Arc<Vec<Values>>,
    /// Per target, per cube row.
    cells: Vec<Vec<Cell>>,
    /// Per cube row: the work to add or take away its category's contribution (its entries).
    /// A category without a row costs its records once per target ([`Cube::cost`]). With the sum
    /// over all, a lookup weighs its ways with sums over short lists, not passes over millions of
    /// categories (the graph's pairs). Kept per cube row, not per category: the graph's 2.6 M
    /// pairs at 10 M rows took 42 MB of per-category rows and costs, most of its cube.
    row_cost: Vec<usize>,
    /// The sum of every category's cost.
    total_cost: usize,
}

impl Cube {
    /// Categories of the cube's dim.
    fn card(&self) -> usize {
        self.row_of.len()
    }

    /// Category `c`'s cost (see `row_cost`), with `offs` the dim's posting offsets.
    fn cost(&self, c: usize, offs: &[u32]) -> usize {
        match self.row_of[c] {
            u32::MAX => (offs[c + 1] - offs[c]) as usize * self.keys.len(),
            r => self.row_cost[r as usize],
        }
    }

    pub fn heap_bytes(&self) -> usize {
        let cells: usize =
            self.cells.iter().flatten().map(|c| c.bins.capacity() * 4 + c.values.heap_bytes()).sum();
        // A shared base is counted once, split between its holders.
        let base: usize =
            self.base.iter().map(Values::heap_bytes).sum::<usize>() / Arc::strong_count(&self.base);
        cells + base + self.row_of.capacity() * 4 + self.row_cost.capacity() * 8
    }
}

/// How the new histograms are summed: from the current ones plus the categories that changed,
/// from zero plus the passing categories, or from the base minus the rejected ones.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SumFrom {
    Current,
    Zero,
    Base,
}

impl Engine {
    /// What a cube of `view` depends on besides its own clause.
    fn cube_key(&self, view: ViewId) -> String {
        let mut keys: Vec<&TargetKey> = self.targets.iter().map(|t| &t.key).collect();
        keys.sort();
        let others: Vec<String> = self
            .clauses
            .iter()
            .filter(|(v, _)| **v != view)
            .map(|(v, (c, _))| format!("{v}:{c:?}"))
            .collect();
        format!("{others:?}#{keys:?}#{:?}#{:?}", self.cur_win, self.prev_win)
    }

    /// The dim a view's categories live in (its main histogram's), if it may have a cube.
    fn category_dim(&self, view: ViewId) -> Option<usize> {
        let dim = self.targets.iter().find(|t| t.key.view == view && t.key.ctx == Ctx::Main)?.key.dim;
        if matches!(self.clauses.get(&view), Some((_, Compiled::Time { .. }))) {
            return None;
        }
        self.cubable(dim).then_some(dim)
    }

    /// Builds (or keeps) the cubes of `view` under the current state: called when the pointer enters
    /// the view. Returns whether a valid cube is there; `stop` abandons the build (a newer request).
    ///
    /// A view whose categories combine fields (a treemap's levels, the graph's source and
    /// destination) gets a cube over the combination and one over each field: a click on a
    /// whole group (`proto=tcp`) or on a node (one address) is a function of one field, and most
    /// of its rows sit in combinations too small to be cubed, but in a few large categories of
    /// that field.
    pub fn prefetch(&mut self, view: ViewId, stop: &AtomicBool) -> bool {
        self.settle();
        // What the answers since the last prefetch freed stays resident with glibc (see
        // `crate::alloc`), and a cube or a cached selection allocates as much again: hand it back
        // first (once, after the cubes this build replaces are gone). Off the UI thread.
        if matches!(self.clauses.get(&view), Some((_, Compiled::Time { .. }))) {
            crate::alloc::release_free_memory();
            return self.prefetch_time_removal(view, stop);
        }
        let Some(dim) = self.category_dim(view) else { return false };
        let key = self.cube_key(view);
        // Cubes built under another state are of no use again.
        self.cubes.retain(|c| c.view != view || c.key == key);
        // The cubes of at most three views (the last ones entered) are kept. The oldest goes
        // before the new ones are built, not after: both at once were the brushing peak.
        self.evict_cubes_for(view);
        crate::alloc::release_free_memory();
        let family: Vec<usize> = std::iter::once(dim)
            .chain(self.idx.dims[dim].parts.iter().copied().filter(|&p| self.cubable(p)))
            .collect();
        let mut any = false;
        for d in family {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if self.cubes.iter().any(|c| c.view == view && c.dim == d) {
                any = true;
                continue;
            }
            if let Some(cube) = self.build_cube(view, d, &key, stop) {
                self.cubes.push(cube);
                // Building it freed per-target scratch and per-category lists, and replaced cubes
                // went: give the pages back (`crate::alloc`) so they do not add to the next build.
                crate::alloc::release_free_memory();
                any = true;
            }
        }
        any
    }

    /// Makes room for a cube of `view`: drops the cubes of the view entered longest ago when three
    /// other views hold cubes.
    fn evict_cubes_for(&mut self, view: ViewId) {
        let mut views: Vec<ViewId> = Vec::new();
        for c in self.cubes.iter().rev() {
            if !views.contains(&c.view) {
                views.push(c.view);
            }
        }
        if !views.contains(&view) && views.len() >= 3 {
            let oldest = views[views.len() - 1];
            self.cubes.retain(|c| c.view != oldest);
        }
    }

    /// Whether a dim's categories may index a cube (not time bins or address blocks).
    fn cubable(&self, dim: usize) -> bool {
        let name = &self.idx.dims[dim].name;
        !name.starts_with("time:") && !name.starts_with("block:")
    }

    /// The cube of `view` over the categories of `dim` (its own or one part of it).
    fn build_cube(&mut self, view: ViewId, dim: usize, key: &str, stop: &AtomicBool) -> Option<Cube> {
        let n = self.idx.n;
        let card = self.idx.dims[dim].cardinality();
        {
            // Rows without a category cannot be told apart by the clause: no cube.
            if self.idx.dims[dim].postings().total() != n {
                return None;
            }
        }
        self.idx.dims[dim].ensure_part_postings();
        // The base (every other target with this view's clause ignored) is the same for every cube
        // of the view under one state: computed by the first, shared by the others. Computing it
        // needs the view's clause to be a function of the categories.
        let shared = self.cubes.iter().find(|c| c.view == view && c.key == key).map(|c| Arc::clone(&c.base));
        let pass_old = match shared {
            Some(_) => None,
            None => Some(self.category_pass(self.clauses.get(&view).map(|(_, c)| c), dim)?.pass),
        };
        let others: Vec<usize> =
            (0..self.targets.len()).filter(|&i| self.targets[i].key.view != view).collect();
        let post = self.idx.dims[dim].postings_built().expect("postings built above");
        let rows = |c: usize| post.rows(c);
        // Heaviest categories first, while the budget lasts.
        let mut order: Vec<usize> = (0..card).filter(|&c| rows(c) >= MIN_CUBED_ROWS).collect();
        order.sort_by_key(|&c| std::cmp::Reverse(rows(c)));
        let mut row_of = vec![u32::MAX; card];
        let mut cubed = Vec::new();
        let mut entries = 0usize;
        for c in order {
            let e: usize = others.iter().map(|&i| rows(c).min(self.targets[i].hist.len())).sum();
            if entries + e > MAX_ENTRIES {
                continue;
            }
            entries += e;
            row_of[c] = cubed.len() as u32;
            cubed.push(c);
        }
        let bit = self.bit_of(view);
        let mask = &self.mask;
        let idx = &self.idx;
        let targets = &self.targets;
        // Per target: its base (when this cube computes it) and its cells; None when stopped.
        type Built = Option<(Option<Values>, Vec<Cell>)>;
        let built: Vec<Built> = others
            .par_iter()
            .map(|&ti| {
                let t = &targets[ti];
                let codes = &idx.dims[t.key.dim].codes;
                let check = t.check & !bit;
                let w = t.weight.as_deref().map(|v| v.as_slice());
                // A scanned dim (a protocol): one pass over the rows for all its categories into a
                // small dense table, not one scan of every row per category.
                let cells = if post.is_scanned() && cubed.len() * t.hist.len() <= DENSE_MAX_CELLS {
                    let scan =
                        DenseScan { row_of: &row_of, rows: cubed.len(), dim_codes: &idx.dims[dim].codes };
                    scan.cells(codes, mask, check, w, t.hist.len(), stop)?
                } else {
                    let mut scratch = vec![0i64; t.hist.len()];
                    let mut seen = vec![false; t.hist.len()];
                    let mut cells = Vec::with_capacity(cubed.len());
                    for &c in &cubed {
                        if stop.load(Ordering::Relaxed) {
                            return None;
                        }
                        let mut bins = Vec::new();
                        post.for_each(c, |p| {
                            if mask[p] & check == 0 {
                                let b = codes.get(p);
                                if b != SKIP {
                                    if !seen[b as usize] {
                                        seen[b as usize] = true;
                                        bins.push(b);
                                    }
                                    scratch[b as usize] += w.map_or(1, |w| w[p]);
                                }
                            }
                        });
                        bins.sort_unstable();
                        // Grown by doubling: up to twice what the cube keeps.
                        bins.shrink_to_fit();
                        let mut take = |b: u32| {
                            seen[b as usize] = false;
                            std::mem::take(&mut scratch[b as usize])
                        };
                        let values = match w {
                            // A count is at most the rows of the table, below 2^32.
                            None => Values::Counts(bins.iter().map(|&b| take(b) as u32).collect()),
                            Some(_) => Values::Sums(bins.iter().map(|&b| take(b)).collect()),
                        };
                        cells.push(Cell { bins, values });
                    }
                    // Gone before the base is made: for the graph's pairs each is as large as a
                    // histogram, and both at once were the peak of a list's cube.
                    drop(scratch);
                    drop(seen);
                    cells
                };
                // Base: the current histogram plus what the view's clause rejects now.
                let base = pass_old.as_ref().map(|pass_old| {
                    let mut base = t.hist.clone();
                    for c in (0..card).filter(|&c| !pass_old[c]) {
                        add_category(&mut base, c, 1, &row_of, &cells, post, codes, mask, check, w);
                    }
                    // A histogram of records counts at most the table's rows, below 2^32: 4 bytes
                    // a bin (the graph's 2.6 M pairs at 10 M rows: 10 MB, not 21, per view's base).
                    Values::of(base, w.is_none())
                });
                Some((base, cells))
            })
            .collect();
        let mut bases = Vec::with_capacity(others.len());
        let mut cells = Vec::with_capacity(others.len());
        for b in built {
            let (b, c) = b?;
            bases.extend(b);
            cells.push(c);
        }
        let base = shared.unwrap_or_else(|| Arc::new(bases));
        self.last_stats.rows_visited += (n * others.len()) as u64;
        let keys = others.iter().map(|&i| self.targets[i].key.clone()).collect();
        let row_cost: Vec<usize> =
            (0..cubed.len()).map(|r| cells.iter().map(|t| t[r].bins.len()).sum()).collect();
        let cube =
            Cube { view, dim, key: key.to_string(), row_of, keys, base, cells, row_cost, total_cost: 0 };
        let total_cost = (0..card).map(|c| cube.cost(c, post.offs)).sum();
        Some(Cube { total_cost, ..cube })
    }

    /// The pointer is on the time brush's chip: compute the histograms of the selection without
    /// it into the cache, so removing it is a copy. The comparison windows go back to the last
    /// week of data, so this is one pass per target with the new window bits computed on the fly.
    fn prefetch_time_removal(&mut self, view: ViewId, stop: &AtomicBool) -> bool {
        let mut sel = Selection::default();
        for (v, (c, _)) in &self.clauses {
            if *v != view {
                if matches!(c, crate::linking::selection::Clause::Time { .. }) {
                    return false;
                }
                sel.clauses.insert(*v, c.clone());
            }
        }
        let sig = self.cache_key(&sel.signature());
        if self.cache.iter().any(|(k, _)| *k == sig) {
            return true;
        }
        let n = self.idx.n;
        let (cw, pw) = self.cmp_windows(None);
        let tbit = self.bit_of(view);
        let plans: Vec<(u32, (usize, usize))> = self
            .targets
            .iter()
            .map(|t| {
                let own = self.bit_of(t.key.view);
                let clauses = CLAUSE_BITS & !own & !tbit;
                match t.key.ctx {
                    Ctx::Main => (clauses, (0, n)),
                    Ctx::CmpCur => (clauses | CUR_BIT, cw.unwrap_or((0, 0))),
                    Ctx::CmpPrev => (clauses | PREV_BIT, pw.unwrap_or((0, 0))),
                }
            })
            .collect();
        let mask = &self.mask;
        let idx = &self.idx;
        const CHUNK: usize = 1 << 18;
        // One histogram per target, each counted on one core, the cores sharing the targets: a
        // histogram per piece of work (the graph's pairs: 21 MB each at 10 M rows) held 150 MB
        // at once for a cache entry of 25 MB.
        let snap: Vec<Option<(TargetKey, Vec<i64>)>> = self
            .targets
            .par_iter()
            .zip(&plans)
            .map(|(t, &(check, (a, b)))| {
                let codes = &idx.dims[t.key.dim].codes;
                let w = t.weight.as_deref().map(|v| v.as_slice());
                let mut h = vec![0i64; t.hist.len()];
                for s in (a..b).step_by(CHUNK) {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    for p in s..(s + CHUNK).min(b) {
                        let m = (mask[p] & !(tbit | CUR_BIT | PREV_BIT)) | Engine::win_bits(p, cw, pw);
                        if m & check == 0 {
                            let c = codes.get(p);
                            if c != SKIP {
                                h[c as usize] += w.map_or(1, |w| w[p]);
                            }
                        }
                    }
                }
                Some((t.key.clone(), h))
            })
            .collect();
        let Some(snap) = snap.into_iter().collect::<Option<Vec<_>>>() else { return false };
        self.last_stats.rows_visited += (n * self.targets.len()) as u64;
        self.push_cache(sig, snap);
        true
    }

    /// A cube of `view` that is valid now and whose categories decide the new clause: (cube index,
    /// old pass if they decide the old clause too, new pass).
    pub(super) fn lookup_plan(
        &self,
        view: ViewId,
        old: Option<&Compiled>,
        new: Option<&Compiled>,
    ) -> Option<(usize, Option<CatPass>, CatPass)> {
        let key = self.cube_key(view);
        // The one with the fewest categories: a field's categories are unions of the
        // combination's, so its rows are at least as large and as often cubed. When it cannot
        // tell which rows the old clause held, the view's bit is rewritten in one pass, which
        // costs less than summing the combination's small categories from their postings.
        let mut fitting: Vec<usize> = (0..self.cubes.len())
            .filter(|&i| self.cubes[i].view == view && self.cubes[i].key == key)
            .collect();
        fitting.sort_by_key(|&i| self.cubes[i].card());
        fitting.into_iter().find_map(|ci| {
            let dim = self.cubes[ci].dim;
            let new = self.category_pass(new, dim)?;
            Some((ci, self.category_pass(old, dim), new))
        })
    }

    /// Applies a lookup: the view's bit follows `pass_new`, every other target becomes a sum of
    /// cube rows (and posting lists of small categories). `bit` is the view's (new) slot bit.
    /// Returns the strategy's name: `lookup-by-field` when the cube is over one field of the
    /// view's combination.
    pub(super) fn apply_lookup(
        &mut self,
        ci: usize,
        old: Option<CatPass>,
        new: CatPass,
        bit: u32,
    ) -> &'static str {
        let n = self.idx.n;
        let cube = &self.cubes[ci];
        let dim = cube.dim;
        let pass_new = new.pass.as_slice();
        // A cube's categories hold every row (see `build_cube`).
        let post = self.idx.dims[dim].postings_built().expect("a cube's dim has postings");
        let offs = post.offs;
        let sums = Sums::of(
            |c| cube.cost(c, offs),
            |c| (offs[c + 1] - offs[c]) as usize,
            (cube.total_cost, n),
            old.as_ref(),
            &new,
        );
        let costs = [
            (if old.is_some() { sums.current } else { usize::MAX }, SumFrom::Current),
            (sums.zero, SumFrom::Zero),
            (cube.total_cost.saturating_sub(sums.zero), SumFrom::Base),
        ];
        let from = costs.iter().min_by_key(|x| x.0).map(|x| x.1).unwrap_or(SumFrom::Base);
        let flipped_rows = sums.flipped_rows;
        let flip_now = old.is_some() && flipped_rows <= n / 16;
        let want = Wanted {
            flipped: from == SumFrom::Current || flip_now,
            passing: from == SumFrom::Zero,
            failing: from == SumFrom::Base,
        };
        let Lists { flipped, passing, failing } = Lists::of(want, old.as_ref(), &new, &sums);
        self.last_stats.phases.lap("lists", &mut self.clock);
        // The view's bit: flip the categories that changed (their posting lists) now, or leave
        // the rewrite pending for when the worker is idle (see `upkeep.rs`), below.
        let post = self.idx.dims[dim].postings_built().expect("a cube's dim has postings");
        if flip_now {
            let mask = &mut self.mask;
            for &c in &flipped {
                post.for_each(c, |p| mask[p] ^= bit);
            }
        }
        self.last_stats.phases.lap("mask", &mut self.clock);
        let mask = &self.mask;
        let idx = &self.idx;
        let cube = &self.cubes[ci];
        let mut visited = 0usize;
        self.targets.par_iter_mut().filter(|t| t.key.view != cube.view).for_each(|t| {
            let Some(ti) = cube.keys.iter().position(|k| *k == t.key) else { return };
            let cells = &cube.cells[ti];
            let codes = &idx.dims[t.key.dim].codes;
            let check = t.check & !bit;
            let w = t.weight.as_deref().map(|v| v.as_slice());
            match from {
                SumFrom::Current => {
                    for &c in &flipped {
                        let sign = if pass_new[c] { 1 } else { -1 };
                        add_category(&mut t.hist, c, sign, &cube.row_of, cells, post, codes, mask, check, w);
                    }
                }
                SumFrom::Zero => {
                    t.hist.iter_mut().for_each(|h| *h = 0);
                    for &c in &passing {
                        add_category(&mut t.hist, c, 1, &cube.row_of, cells, post, codes, mask, check, w);
                    }
                }
                SumFrom::Base => {
                    cube.base[ti].copy_into(&mut t.hist);
                    for &c in &failing {
                        add_category(&mut t.hist, c, -1, &cube.row_of, cells, post, codes, mask, check, w);
                    }
                }
            }
        });
        visited += flipped_rows;
        self.last_stats.rows_visited += visited as u64;
        if !flip_now {
            // The bit's rewrite waits for idle time (the sums above do not read it).
            self.defer_mask(PendingMask::Bit { bit, dim, pass: new.pass });
        }
        self.lap("sums");
        let cube = &self.cubes[ci];
        if self.category_dim(cube.view) == Some(cube.dim) {
            "lookup"
        } else {
            "lookup-by-field"
        }
    }
}

/// Adds (`sign` 1) or subtracts (-1) category `c`'s contribution to a target's histogram: its cube
/// row, or its records that pass `check`.
#[allow(clippy::too_many_arguments)]
fn add_category(
    hist: &mut [i64],
    c: usize,
    sign: i64,
    row_of: &[u32],
    cells: &[Cell],
    post: Postings,
    codes: &Codes,
    mask: &[u32],
    check: u32,
    w: Option<&[i64]>,
) {
    match row_of[c] {
        u32::MAX => {
            post.for_each(c, |p| {
                if mask[p] & check == 0 {
                    let b = codes.get(p);
                    if b != SKIP {
                        hist[b as usize] += sign * w.map_or(1, |w| w[p]);
                    }
                }
            });
        }
        r => {
            let cell = &cells[r as usize];
            match &cell.values {
                Values::Counts(vals) => {
                    for (&b, &v) in cell.bins.iter().zip(vals) {
                        hist[b as usize] += sign * v as i64;
                    }
                }
                Values::Sums(vals) => {
                    for (&b, &v) in cell.bins.iter().zip(vals) {
                        hist[b as usize] += sign * v;
                    }
                }
            }
        }
    }
}
