//! One clause change: gather the counts, let [`strategy`](super::strategy) choose, carry it out.
use super::strategy::{self, MatchInputs, NewClause, OldClause, ScanOutcome, Strategy, TimeInputs};
use super::upkeep::{time_mask, PendingMask};
use super::{range_len, Compiled, Ctx, Engine};
use crate::linking::selection::{Clause, Selection, ViewId};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::BTreeMap;

impl Engine {
    pub(super) fn set_clause(
        &mut self,
        view: ViewId,
        clause: Option<Clause>,
        final_sel: &Selection,
    ) -> PolarsResult<()> {
        self.settle();
        self.lap("settle");
        let old_time = matches!(self.clauses.get(&view), Some((Clause::Time { .. }, _)));
        let new_time = matches!(clause, Some(Clause::Time { .. }));
        if clause.is_some() && !self.slots.contains_key(&view) {
            let used: Vec<u8> = self.slots.values().copied().collect();
            let Some(free) = (0..30u8).find(|s| !used.contains(s)) else {
                return Err(PolarsError::ComputeError("too many clauses (30 at most)".into()));
            };
            self.slots.insert(view, free);
        }
        let compiled = match &clause {
            Some(c) => Some(self.compile(c)?),
            None => None,
        };
        // Whether this change ends in the requested selection (then a cached result may serve).
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
        let cache_hit = is_final && self.cache.iter().any(|(k, _)| *k == sig);
        self.lap("compile");
        if old_time || new_time {
            self.set_time_clause(view, clause, compiled, cache_hit, &sig);
        } else {
            self.set_match_clause(view, clause, compiled, cache_hit, &sig);
        }
        if is_final {
            // Snapshot when idle (see `upkeep.rs`), or before the next change.
            self.pending_cache = Some(sig);
        }
        Ok(())
    }

    /// Keeps the view's new clause (or drops it) and, for a new clause, refreshes the row checks;
    /// true when the clause was removed.
    fn store_clause(&mut self, view: ViewId, clause: Option<Clause>, compiled: Option<Compiled>) -> bool {
        match (clause, compiled) {
            (Some(c), Some(comp)) => {
                self.clauses.insert(view, (c, comp));
                self.refresh_checks();
                false
            }
            _ => {
                self.clauses.remove(&view);
                true
            }
        }
    }

    /// Time clause: the bit of this view and both comparison-window bits move together.
    fn set_time_clause(
        &mut self,
        view: ViewId,
        clause: Option<Clause>,
        compiled: Option<Compiled>,
        cache_hit: bool,
        sig: &str,
    ) {
        let n = self.idx.n;
        let bit = self.bit_of(view);
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
        // candidate range.
        let new_main = if clause.is_some() { range_len((lo, hi)) } else { n };
        let rebuild_cost = new_main * self.targets.len().max(1) / 2
            + range_len(cw.unwrap_or((0, 0)))
            + range_len(pw.unwrap_or((0, 0)));
        let choice = strategy::choose_time(&TimeInputs {
            changed_rows: changed,
            rebuild_cost,
            targets: self.targets.len(),
            cache_hit,
        });
        self.lap("ranges");
        self.cur_win = cw;
        self.prev_win = pw;
        // On removal the old checks stay until the rows are updated: they judge the old mask.
        let removed = self.store_clause(view, clause, compiled);
        let keep = (!removed).then_some((lo, hi));
        match choice {
            Strategy::TimeIncremental => {
                let mut changes = Vec::with_capacity(changed);
                for &(a, b) in &changed_ranges {
                    for p in a..b {
                        changes.push((p as u32, time_mask(p, self.mask[p], bit, keep, (cw, pw))));
                    }
                }
                self.lap("changes");
                self.apply_changes(&changes);
            }
            Strategy::TimeCache => {
                // The answer is the cached histograms; the ranges' rewrite waits (see `upkeep.rs`).
                self.defer_mask(PendingMask::Time { bit, keep, windows: (cw, pw), ranges: changed_ranges });
                self.restore_cache(sig);
            }
            _ => {
                self.rewrite_time_ranges(bit, keep, (cw, pw), &changed_ranges);
                self.lap("mask");
                // The time view's own main targets do not depend on its clause.
                self.rebuild_where(|k| !(k.view == view && k.ctx == Ctx::Main));
            }
        }
        self.last_stats.strategy = choice.name();
        self.lap(choice.name());
        if removed {
            self.slots.remove(&view);
            self.refresh_checks();
        }
    }

    /// Value clauses (top-N values, treemap paths, graph nodes and edges).
    fn set_match_clause(
        &mut self,
        view: ViewId,
        clause: Option<Clause>,
        compiled: Option<Compiled>,
        cache_hit: bool,
        sig: &str,
    ) {
        let n = self.idx.n;
        let bit = self.bit_of(view);
        let old_codes = match self.clauses.get(&view) {
            Some((_, Compiled::Codes { dim, set, negate })) => Some((*dim, set.clone(), *negate)),
            _ => None,
        };
        let new_codes = match &compiled {
            Some(Compiled::Codes { dim, set, negate }) => Some((*dim, set.clone(), *negate)),
            _ => None,
        };
        let old = match (&old_codes, self.clauses.contains_key(&view)) {
            (Some((d0, _, negate)), _) => OldClause::Codes {
                same_dim: new_codes.as_ref().is_some_and(|(d1, _, _)| d1 == d0),
                negate: *negate,
            },
            (None, true) => OldClause::General,
            (None, false) => OldClause::None,
        };
        let new = match (&compiled, &new_codes) {
            (None, _) => None,
            (Some(_), Some((d, set, negate))) => {
                Some(NewClause::Codes { negate: *negate, rows: self.rows_of(*d, &set_codes(set)) })
            }
            (Some(_), None) => Some(NewClause::General),
        };
        // Rows of the codes whose membership differs, and of the exclusion set (old or new).
        let differing: Vec<usize> = match (&old_codes, &new_codes) {
            (Some((d0, s0, _)), Some((d1, s1, _))) if d0 == d1 => {
                (0..s0.len()).filter(|&i| s0[i] != s1[i]).collect()
            }
            _ => Vec::new(),
        };
        let excluded: Option<(usize, Vec<usize>)> = match (&old_codes, &new_codes, &compiled) {
            (_, Some((d, s, true)), Some(_)) => Some((*d, set_codes(s))),
            (Some((d, s, true)), _, None) => Some((*d, set_codes(s))),
            _ => None,
        };
        let changed_rows = new_codes.as_ref().map_or(0, |(d, _, _)| self.rows_of(*d, &differing));
        let excluded_rows = excluded.as_ref().map_or(0, |(d, c)| self.rows_of(*d, c));
        let lookup = self.lookup_plan(view, self.clauses.get(&view).map(|(_, c)| c), compiled.as_ref());
        self.lap("plan");
        let inputs = MatchInputs { n, old, new, cache_hit, lookup: lookup.is_some() };
        let choice = strategy::choose_match(&inputs, changed_rows, excluded_rows);

        let removed = self.store_clause(view, clause, compiled);
        let mut name = choice.name();
        match choice {
            Strategy::IncrementalComplement => {
                // Most rows stay: only the rows of the other values lose this view's bit.
                let (d, set, _) = new_codes.as_ref().expect("complement needs a code set");
                let others: Vec<usize> = (0..set.len()).filter(|&i| !set[i]).collect();
                let pos = self.positions_of(*d, &others);
                let changes: Vec<(u32, u32)> =
                    pos.iter().map(|&p| (p, self.mask[p as usize] | bit)).collect();
                self.apply_changes(&changes);
            }
            Strategy::Postings { cached } => {
                // The bit is "not in the set": set it everywhere and clear it on the set's postings,
                // then rebuild the other views from those rows only.
                let (d, set, _) = new_codes.as_ref().expect("postings need a code set");
                if cached {
                    // The answer is the cached histograms; the bit's rewrite waits.
                    self.defer_mask(PendingMask::Bit { bit, dim: *d, pass: set.clone() });
                    self.restore_cache(sig);
                } else {
                    let pos = self.positions_of(*d, &set_codes(set));
                    self.mask.par_iter_mut().for_each(|m| *m |= bit);
                    for &p in &pos {
                        self.mask[p as usize] &= !bit;
                    }
                    self.rebuild_from_positions(&pos, view);
                }
            }
            Strategy::RemovalCache => {
                self.defer_mask(PendingMask::Cleared { bit });
                self.restore_cache(sig);
            }
            Strategy::IncrementalPostings => {
                // Same field on both sides: the rows of the values that changed; otherwise the
                // rows of the exclusion being added or removed.
                let pos = match (old, &new_codes, &excluded) {
                    (OldClause::Codes { same_dim: true, .. }, Some((d, _, _)), _) => {
                        self.positions_of(*d, &differing)
                    }
                    (_, _, Some((d, codes))) => self.positions_of(*d, codes),
                    _ => unreachable!("incremental postings without postings"),
                };
                let comp = self.clauses.get(&view).map(|(_, c)| c);
                let idx = &self.idx;
                let changes: Vec<(u32, u32)> = pos
                    .iter()
                    .map(|&p| {
                        let m = self.mask[p as usize] & !bit;
                        (p, if comp.is_some_and(|c| c.rejects(idx, p as usize)) { m | bit } else { m })
                    })
                    .collect();
                self.apply_changes(&changes);
            }
            Strategy::Scan => {
                let flipped = self.flipped_rows(view, bit);
                let include = new_codes.as_ref().filter(|(_, _, negate)| !negate);
                let outcome =
                    strategy::after_scan(flipped.len(), self.targets.len(), n, cache_hit, include.is_some());
                name = outcome.name();
                match outcome {
                    ScanOutcome::Incremental => {
                        let changes: Vec<(u32, u32)> =
                            flipped.iter().map(|&p| (p, self.mask[p as usize] ^ bit)).collect();
                        self.apply_changes(&changes);
                    }
                    _ => {
                        for &p in &flipped {
                            self.mask[p as usize] ^= bit;
                        }
                        match (outcome, include) {
                            (ScanOutcome::Cache, _) => {
                                self.restore_cache(sig);
                            }
                            (ScanOutcome::RebuildPostings, Some((d, s, _))) => {
                                let pos = self.positions_of(*d, &set_codes(s));
                                self.rebuild_from_positions(&pos, view);
                            }
                            _ => self.rebuild_where(|k| k.view != view),
                        }
                    }
                }
            }
            Strategy::Lookup => {
                let (ci, pass_old, pass_new) = lookup.expect("lookup chosen without a cube");
                name = self.apply_lookup(ci, pass_old, pass_new, bit);
            }
            Strategy::TimeCache | Strategy::TimeIncremental | Strategy::TimeRebuild => {
                unreachable!("not chosen for a value clause")
            }
        }
        self.last_stats.strategy = name;
        if removed {
            self.slots.remove(&view);
            self.refresh_checks();
        }
    }

    /// Positions whose bit for `view` differs from what the view's (new) clause says; the mask
    /// is left as it was, since incremental updates need the old value.
    fn flipped_rows(&mut self, view: ViewId, bit: u32) -> Vec<u32> {
        let idx = &self.idx;
        let comp = self.clauses.get(&view).map(|(_, c)| c);
        let chunks: Vec<Vec<u32>> = self
            .mask
            .par_chunks(1 << 16)
            .enumerate()
            .map(|(ci, ch)| {
                let base = ci << 16;
                let mut f = Vec::new();
                for (i, m) in ch.iter().enumerate() {
                    let p = base + i;
                    let rej = comp.is_some_and(|c| c.rejects(idx, p));
                    if rej != (m & bit != 0) {
                        f.push(p as u32);
                    }
                }
                f
            })
            .collect();
        self.last_stats.rows_visited += idx.n as u64;
        chunks.concat()
    }

    /// Rows holding any of `codes` in `dim` (from the posting offsets, without listing them).
    fn rows_of(&mut self, dim: usize, codes: &[usize]) -> usize {
        let post = self.idx.dims[dim].postings();
        codes.iter().map(|&c| post.rows(c)).sum()
    }
}

fn set_codes(set: &[bool]) -> Vec<usize> {
    (0..set.len()).filter(|&i| set[i]).collect()
}
