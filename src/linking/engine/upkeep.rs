//! Work a click's answer does not wait for. A lookup (see `cube.rs`) answers from cube rows; the
//! row mask must still follow the view's new clause, and when most rows change that is a pass
//! over every row, which cost more than the rest of the click at 10 M rows. So the rewrite is
//! left pending: the records table reads a row's pass for that view from its category meanwhile,
//! and [`Engine::settle`] carries the rewrite out when the worker is idle, or first thing when
//! anything else needs the mask. The snapshot of the histograms kept for a later cache hit waits
//! likewise.
use super::{Engine, CLAUSE_BITS};
use rayon::prelude::*;

/// A view bit the mask does not hold yet: row `p` is rejected by the view when
/// `pass[codes of dim at p]` is false.
pub(super) struct PendingBit {
    pub bit: u32,
    pub dim: usize,
    pub pass: Vec<bool>,
}

impl Engine {
    /// Carries out the work left pending by the last answer: the row mask's bit of a looked-up
    /// view, the histograms' snapshot for the cache. Cheap when nothing is pending.
    pub fn settle(&mut self) {
        if let Some(p) = self.pending_bit.take() {
            let (offs, pos) = self.idx.dims[p.dim].postings_built().expect("a cube's dim has postings");
            let card = p.pass.len();
            let passing: usize =
                (0..card).filter(|&c| p.pass[c]).map(|c| (offs[c + 1] - offs[c]) as usize).sum();
            // Write the bit one way everywhere (no codes read), then the other way on the
            // smaller side's posting lists.
            let few_pass = passing <= self.idx.n / 2;
            let bit = p.bit;
            if few_pass {
                self.mask.par_iter_mut().for_each(|m| *m |= bit);
            } else {
                self.mask.par_iter_mut().for_each(|m| *m &= !bit);
            }
            for c in (0..card).filter(|&c| p.pass[c] == few_pass) {
                for &q in &pos[offs[c] as usize..offs[c + 1] as usize] {
                    self.mask[q as usize] ^= bit;
                }
            }
        }
        if let Some(sig) = self.pending_cache.take() {
            self.store_cache(sig);
        }
    }

    /// Whether position `p` passes every clause (the records table's filter).
    pub fn passes_all(&self, p: usize) -> bool {
        match &self.pending_bit {
            None => self.mask[p] & CLAUSE_BITS == 0,
            Some(pb) => {
                self.mask[p] & CLAUSE_BITS & !pb.bit == 0 && pb.pass[self.idx.dims[pb.dim].codes[p] as usize]
            }
        }
    }
}
