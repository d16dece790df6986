//! Work an answer does not wait for. A lookup (see `cube.rs`) answers from cube rows, a cache hit
//! or "clear all" from stored histograms; the row mask must still follow the new clauses, and
//! when most rows change that is a pass over every row, which cost more than the rest of the
//! answer at 10 M rows. So the rewrite is left pending: the records table reads a row's pass from
//! the pending rewrite meanwhile, and [`Engine::settle`] carries it out when the worker is idle,
//! or first thing when anything else needs the mask. The snapshots kept for a later cache hit or
//! "clear all" wait likewise.
use super::{Engine, Windows, CLAUSE_BITS, CUR_BIT, PREV_BIT};
use crate::linking::index::SKIP;
use rayon::prelude::*;
use std::sync::Arc;

/// Bytes of cache snapshots after which `settle` hands freed memory back.
const CACHE_CHURN_TRIM_BYTES: usize = 24 << 20;

/// A rewrite of the row mask the mask does not hold yet. At most one is pending: every change
/// settles first.
pub(super) enum PendingMask {
    /// A view's bit: row `p` is rejected by the view when `pass[codes of dim at p]` is false, or
    /// when the row has no code in `dim`.
    Bit { bit: u32, dim: usize, pass: Vec<bool> },
    /// A removed clause's bit, clear everywhere.
    Cleared { bit: u32 },
    /// No clause at all (clear all): every row passes; the window bits follow `windows`.
    Reset { windows: Windows },
    /// A time clause: its bit is set outside `keep` (clear everywhere when `None`, a removal) and
    /// the window bits follow `windows`, on the position ranges where either changes.
    Time { bit: u32, keep: Option<(usize, usize)>, windows: Windows, ranges: Vec<(usize, usize)> },
}

impl PendingMask {
    /// Whether position `p`, whose mask is `m` before the rewrite, passes every clause after it.
    fn passes(&self, engine: &Engine, p: usize, m: u32) -> bool {
        match self {
            PendingMask::Bit { bit, dim, pass } => {
                let c = engine.idx.dims[*dim].codes.get(p);
                m & CLAUSE_BITS & !bit == 0 && c != SKIP && pass[c as usize]
            }
            PendingMask::Cleared { bit } => m & CLAUSE_BITS & !bit == 0,
            PendingMask::Reset { .. } => true,
            PendingMask::Time { bit, keep, .. } => {
                m & CLAUSE_BITS & !bit == 0 && keep.is_none_or(|(lo, hi)| p >= lo && p < hi)
            }
        }
    }
}

/// Row `p`'s mask `m` after a time clause's rewrite (see [`PendingMask::Time`]).
pub(super) fn time_mask(p: usize, m: u32, bit: u32, keep: Option<(usize, usize)>, windows: Windows) -> u32 {
    let mut m = m & !(bit | CUR_BIT | PREV_BIT);
    if keep.is_some_and(|(lo, hi)| p < lo || p >= hi) {
        m |= bit;
    }
    m | Engine::win_bits(p, windows.0, windows.1)
}

impl Engine {
    /// A time clause's rewrite (see [`PendingMask::Time`]) over `ranges`, on every core. Cut at
    /// the brush's and the windows' edges, each piece's rows all get the same bits: a masked
    /// store the compiler vectorizes, not a [`time_mask`] per row (a press of the time brush
    /// after "clear all" moves both windows, so every row).
    pub(super) fn rewrite_time_ranges(
        &mut self,
        bit: u32,
        keep: Option<(usize, usize)>,
        windows: Windows,
        ranges: &[(usize, usize)],
    ) {
        let edges: Vec<usize> =
            [keep, windows.0, windows.1].into_iter().flatten().flat_map(|(a, b)| [a, b]).collect();
        let clear = !(bit | CUR_BIT | PREV_BIT);
        for &(a, b) in ranges {
            let mut cuts: Vec<usize> = edges.iter().copied().filter(|&e| e > a && e < b).collect();
            cuts.extend([a, b]);
            cuts.sort_unstable();
            cuts.dedup();
            for w in cuts.windows(2) {
                let (s, e) = (w[0], w[1]);
                let set = time_mask(s, 0, bit, keep, windows);
                const CHUNK: usize = 1 << 16;
                self.mask[s..e].par_chunks_mut(CHUNK).for_each(|ms| {
                    for m in ms {
                        *m = (*m & clear) | set;
                    }
                });
            }
        }
    }

    /// Carries out the work left pending by the last answer: histograms lent to it come back, the
    /// row mask's rewrite, the histograms' snapshots for the cache and for "clear all". Cheap when
    /// nothing is pending.
    pub fn settle(&mut self) {
        for t in self.targets.iter_mut() {
            if let Some(lent) = t.lent.take() {
                t.hist = Arc::try_unwrap(lent).unwrap_or_else(|shared| shared.to_vec());
            }
        }
        match self.pending_mask.take() {
            None => {}
            Some(PendingMask::Bit { bit, dim, pass }) => {
                let n = self.idx.n;
                let post = self.idx.dims[dim].postings();
                let card = pass.len();
                let passing: usize = (0..card).filter(|&c| pass[c]).map(|c| post.rows(c)).sum();
                // Write the bit one way everywhere (no codes read), then the other way on the
                // smaller side's posting lists. Rows without a code are on no list and are
                // rejected: then the bit is set everywhere first. (A single field codes every
                // row, nulls included; a combined dim may not.)
                let uncoded = post.total() < n;
                let few_pass = passing <= n / 2 || uncoded;
                if few_pass {
                    self.mask.par_iter_mut().for_each(|m| *m |= bit);
                } else {
                    self.mask.par_iter_mut().for_each(|m| *m &= !bit);
                }
                let mask = &mut self.mask;
                for c in (0..card).filter(|&c| pass[c] == few_pass) {
                    post.for_each(c, |q| mask[q] ^= bit);
                }
            }
            Some(PendingMask::Cleared { bit }) => self.mask.par_iter_mut().for_each(|m| *m &= !bit),
            Some(PendingMask::Reset { windows: (cw, pw) }) => {
                self.mask.par_iter_mut().enumerate().for_each(|(p, m)| *m = Self::win_bits(p, cw, pw));
            }
            Some(PendingMask::Time { bit, keep, windows, ranges }) => {
                self.rewrite_time_ranges(bit, keep, windows, &ranges);
            }
        }
        if let Some(sig) = self.pending_cache.take() {
            self.store_cache(sig);
            // A snapshot copies every histogram and pushes the oldest out: freed blocks that
            // glibc keeps per thread arena, so a long drag grew the process by 100 MB of them at
            // 10 M rows (`crate::alloc`). They go back once snapshots of 24 MB (2.4 bytes a row past
            // 10 M rows) were made since: a hand-back takes about 10 ms at 10 M rows and 40 ms at
            // 50 M, too long for every idle moment of a drag.
            self.cache_churn_bytes += self.targets.iter().map(|t| t.hist.len() * 8).sum::<usize>();
            if self.cache_churn_bytes >= CACHE_CHURN_TRIM_BYTES.max(self.idx.n * 12 / 5) {
                self.cache_churn_bytes = 0;
                crate::alloc::release_free_memory();
            }
        }
        if self.clauses.is_empty() && self.base.is_none() {
            self.base = Some(self.targets.iter().map(|t| (t.key.clone(), t.hist.clone())).collect());
        }
    }

    /// Leaves a mask rewrite for [`Engine::settle`].
    pub(super) fn defer_mask(&mut self, rewrite: PendingMask) {
        debug_assert!(self.pending_mask.is_none(), "settled before every change");
        self.pending_mask = Some(rewrite);
    }

    /// Whether position `p` passes every clause (the records table's filter).
    pub fn passes_all(&self, p: usize) -> bool {
        match &self.pending_mask {
            None => self.mask[p] & CLAUSE_BITS == 0,
            Some(r) => r.passes(self, p, self.mask[p]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linking::engine::Engine;
    use crate::linking::index::Index;
    use polars::prelude::*;

    fn below(seed: &mut u64, k: usize) -> usize {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 33) as usize % k
    }

    /// Positions `a..b` within `0..n`.
    fn span(seed: &mut u64, n: usize) -> (usize, usize) {
        let a = below(seed, n);
        (a, a + below(seed, n - a + 1))
    }

    #[test]
    fn a_time_rewrite_over_any_ranges_equals_the_per_row_rule() {
        let n = 1000;
        let df = DataFrame::new_infer_height(vec![Column::new("x".into(), vec![0i32; n])]).unwrap();
        let mut engine = Engine::new(Index::build(Arc::new(df)).unwrap());
        let seed = &mut 5u64;
        for round in 0..200 {
            let before: Vec<u32> = (0..n).map(|_| below(seed, 1 << 20) as u32).collect();
            let bit = 1u32 << below(seed, 20);
            let keep = (round % 4 != 0).then(|| span(seed, n));
            let windows = (
                Some(span(seed, n)).filter(|_| round % 3 != 0),
                Some(span(seed, n)).filter(|_| round % 5 != 0),
            );
            // Disjoint ranges that cross the brush's and the windows' edges.
            let (r0, r1) = (span(seed, n), span(seed, n));
            let ranges = if r0.1 <= r1.0 { vec![r0, r1] } else { vec![(r0.0.min(r1.0), r0.1.max(r1.1))] };
            let mut expected = before.clone();
            for &(a, b) in &ranges {
                for p in a..b {
                    expected[p] = time_mask(p, before[p], bit, keep, windows);
                }
            }
            engine.mask = before;
            engine.rewrite_time_ranges(bit, keep, windows, &ranges);
            assert_eq!(engine.mask, expected, "round {round}");
        }
    }
}
