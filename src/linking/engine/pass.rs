//! Which categories of a dim pass a clause, for lookups (see `cube.rs`). Besides the pass of
//! every category, a clause on a few values (a graph node, an edge, one top-N value) also gives
//! the short list of categories that differ from all the others, so that a click on one of
//! millions of (source, destination) pairs costs its pairs, not passes over all of them.
use super::{Compiled, Engine};
use crate::linking::index::{Dim, SKIP};
use rayon::prelude::*;

/// The pass of each category of one dim under one clause.
pub(super) struct CatPass {
    pub pass: Vec<bool>,
    /// Every category not in `exceptions` passes exactly when this is true.
    pub default: bool,
    /// The categories whose pass is not `default` (sorted, distinct), when they are few.
    pub exceptions: Option<Vec<usize>>,
}

/// A clause's conjunctions, each predicate as (the part of the dim it reads, None for the dim
/// itself; its code set).
type Parts<'a> = Vec<Vec<(Option<usize>, &'a Vec<bool>)>>;

/// CSR lists (offsets, members), as [`Dim::part_postings`] gives them.
type Csr<'a> = (&'a [u32], &'a [u32]);

impl Engine {
    /// Which categories of `dim` pass a compiled clause, if the clause is a function of them.
    pub(super) fn category_pass(&self, comp: Option<&Compiled>, dim: usize) -> Option<CatPass> {
        let d = &self.idx.dims[dim];
        let card = d.cardinality();
        let eval = |conjs: &[Vec<(usize, Vec<bool>)>], negate: bool| -> Option<CatPass> {
            let parts: Parts = conjs
                .iter()
                .map(|conj| {
                    conj.iter().map(|(pd, set)| d.part_of(dim, *pd).map(|part| (part, set))).collect()
                })
                .collect::<Option<Vec<Vec<_>>>>()?;
            let hit = |c: usize| {
                parts.iter().any(|conj| {
                    conj.iter().all(|(part, set)| {
                        let pc = match part {
                            None => c as u32,
                            Some(i) => d.part_codes[c][*i],
                        };
                        pc != SKIP && set[pc as usize]
                    })
                })
            };
            if let Some(candidates) = sparse_candidates(d, &parts, card / 16) {
                let mut pass = vec![negate; card];
                let mut exceptions: Vec<usize> = candidates.into_iter().filter(|&c| hit(c)).collect();
                exceptions.sort_unstable();
                exceptions.dedup();
                for &c in &exceptions {
                    pass[c] = !negate;
                }
                return Some(CatPass { pass, default: negate, exceptions: Some(exceptions) });
            }
            // Plain indexing, on every core.
            let pass = (0..card).into_par_iter().map(|c| hit(c) != negate).collect();
            Some(CatPass { pass, default: negate, exceptions: None })
        };
        match comp {
            None => Some(CatPass { pass: vec![true; card], default: true, exceptions: Some(Vec::new()) }),
            Some(Compiled::Time { .. }) => None,
            Some(Compiled::Codes { dim: cd, set, negate }) => eval(&[vec![(*cd, set.clone())]], *negate),
            Some(Compiled::General { any_of, negate }) => eval(any_of, *negate),
        }
    }
}

/// The categories of `d` that may satisfy a disjunction of conjunctions: per conjunction, those
/// of its most selective predicate (the dim's own codes, or a part's values through
/// [`Dim::part_postings`]). None when a conjunction has no such predicate, or there would be
/// more than `max` candidates (a pass over all categories is then as cheap). May repeat one.
fn sparse_candidates(d: &Dim, conjs: &Parts, max: usize) -> Option<Vec<usize>> {
    // Per conjunction: its chosen predicate's values, and the categories' lists when on a part.
    let mut picks: Vec<(&Vec<bool>, Option<Csr>)> = Vec::with_capacity(conjs.len());
    let mut total = 0usize;
    for conj in conjs {
        let (set, lists, count) = conj
            .iter()
            .filter_map(|&(part, set)| match part {
                None => Some((set, None, set.iter().filter(|&&b| b).count())),
                Some(i) => {
                    let (offs, members) = d.part_postings(i)?;
                    let count: usize = (0..set.len().min(offs.len().saturating_sub(1)))
                        .filter(|&v| set[v])
                        .map(|v| (offs[v + 1] - offs[v]) as usize)
                        .sum();
                    Some((set, Some((offs, members)), count))
                }
            })
            .min_by_key(|x| x.2)?;
        total += count;
        if total > max {
            return None;
        }
        picks.push((set, lists));
    }
    let mut out = Vec::with_capacity(total);
    for (set, lists) in picks {
        match lists {
            None => out.extend((0..set.len()).filter(|&v| set[v])),
            Some((offs, members)) => {
                for v in (0..set.len().min(offs.len() - 1)).filter(|&v| set[v]) {
                    out.extend(members[offs[v] as usize..offs[v + 1] as usize].iter().map(|&c| c as usize));
                }
            }
        }
    }
    Some(out)
}

/// What summing from the current histograms (the changed categories) and from zero (the passing
/// ones) cost, and the rows whose view bit flips; from per-category `cost` and `rows`.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Sums {
    pub zero: usize,
    /// Unknown (0) without the old pass.
    pub current: usize,
    pub flipped_rows: usize,
    /// The categories either clause lists as exceptions (sorted, distinct), when both list them.
    either: Option<Vec<usize>>,
}

impl Sums {
    /// From the clauses' exceptions when both have them: every unlisted category passes as its
    /// clause's default says. Otherwise one pass over the categories (millions for the graph's
    /// pairs), on every core. `cost` and `rows` give a category's; `totals` are their sums.
    pub fn of(
        cost: impl Fn(usize) -> usize + Sync,
        rows: impl Fn(usize) -> usize + Sync,
        totals: (usize, usize),
        old: Option<&CatPass>,
        new: &CatPass,
    ) -> Sums {
        let (total_cost, total_rows) = totals;
        match (old.map(|o| (o, o.exceptions.as_deref())), new.exceptions.as_deref()) {
            (Some((old, Some(eo))), Some(en)) => {
                let mut either: Vec<usize> = eo.iter().chain(en).copied().collect();
                either.sort_unstable();
                either.dedup();
                // Over the listed ones: the cost of those not passing by default, and of those
                // that keep their pass.
                let (mut odd_cost, mut agree_cost, mut agree_rows) = (0, 0, 0);
                let mut s = Sums::default();
                for &c in &either {
                    if new.pass[c] != new.default {
                        odd_cost += cost(c);
                    }
                    if old.pass[c] != new.pass[c] {
                        s.current += cost(c);
                        s.flipped_rows += rows(c);
                    } else {
                        agree_cost += cost(c);
                        agree_rows += rows(c);
                    }
                }
                s.zero = if new.default { total_cost - odd_cost } else { odd_cost };
                if old.default != new.default {
                    // Every unlisted category changed.
                    s.current = total_cost - agree_cost;
                    s.flipped_rows = total_rows - agree_rows;
                }
                s.either = Some(either);
                s
            }
            (None, Some(en)) if !new.default => {
                Sums { zero: en.iter().map(|&c| cost(c)).sum(), ..Sums::default() }
            }
            _ => (0..new.pass.len())
                .into_par_iter()
                .fold(Sums::default, |mut s, c| {
                    if new.pass[c] {
                        s.zero += cost(c);
                    }
                    if old.is_some_and(|o| o.pass[c] != new.pass[c]) {
                        s.current += cost(c);
                        s.flipped_rows += rows(c);
                    }
                    s
                })
                .reduce(Sums::default, |a, b| Sums {
                    zero: a.zero + b.zero,
                    current: a.current + b.current,
                    flipped_rows: a.flipped_rows + b.flipped_rows,
                    either: None,
                }),
        }
    }
}

/// Which category lists a lookup reads.
#[derive(Debug, Clone, Copy)]
pub(super) struct Wanted {
    pub flipped: bool,
    pub passing: bool,
    pub failing: bool,
}

/// The categories whose pass changed, those passing, those failing (each empty unless wanted),
/// in increasing order.
#[derive(Debug, PartialEq)]
pub(super) struct Lists {
    pub flipped: Vec<usize>,
    pub passing: Vec<usize>,
    pub failing: Vec<usize>,
}

impl Lists {
    /// From the clauses' exceptions where they hold the list, else one pass over the categories
    /// on every core.
    pub fn of(want: Wanted, old: Option<&CatPass>, new: &CatPass, sums: &Sums) -> Lists {
        let card = new.pass.len();
        let list = |wanted: bool, keep: &(dyn Fn(usize) -> bool + Sync), within: Option<&[usize]>| match (
            wanted, within,
        ) {
            (false, _) => Vec::new(),
            (true, Some(few)) => few.iter().copied().filter(|&c| keep(c)).collect(),
            (true, None) => (0..card).into_par_iter().filter(|&c| keep(c)).collect(),
        };
        // With equal defaults, only listed categories can change.
        let same_default = old.is_some_and(|o| o.default == new.default);
        let either = sums.either.as_deref().filter(|_| same_default);
        let changed = |c: usize| old.is_some_and(|o| o.pass[c] != new.pass[c]);
        let few = new.exceptions.as_deref();
        Lists {
            flipped: list(want.flipped, &changed, either),
            passing: list(want.passing, &|c| new.pass[c], few.filter(|_| !new.default)),
            failing: list(want.failing, &|c| !new.pass[c], few.filter(|_| new.default)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random pass over `card` categories, with its exceptions listed or not.
    fn random_pass(seed: &mut u64, card: usize) -> CatPass {
        let mut next = || {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (*seed >> 33) as usize
        };
        let default = next() % 2 == 0;
        let odd = next() % 4;
        let pass: Vec<bool> = (0..card).map(|_| if next() % 8 < odd { !default } else { default }).collect();
        let exceptions = (next() % 3 != 0).then(|| (0..card).filter(|&c| pass[c] != default).collect());
        CatPass { pass, default, exceptions }
    }

    #[test]
    fn sums_and_lists_from_exceptions_equal_a_pass_over_every_category() {
        let mut seed = 11u64;
        for round in 0..400 {
            let card = 1 + round % 37;
            let cost: Vec<usize> = (0..card).map(|c| (c * 7 + round) % 13).collect();
            let rows: Vec<usize> = (0..card).map(|c| 1 + (c * 5 + round) % 11).collect();
            let old = (round % 5 != 0).then(|| random_pass(&mut seed, card));
            let new = random_pass(&mut seed, card);
            let totals = (cost.iter().sum(), rows.iter().sum());
            let sums = Sums::of(|c| cost[c], |c| rows[c], totals, old.as_ref(), &new);
            let changed: Vec<usize> =
                (0..card).filter(|&c| old.as_ref().is_some_and(|o| o.pass[c] != new.pass[c])).collect();
            let passing: Vec<usize> = (0..card).filter(|&c| new.pass[c]).collect();
            let failing: Vec<usize> = (0..card).filter(|&c| !new.pass[c]).collect();
            assert_eq!(sums.zero, passing.iter().map(|&c| cost[c]).sum::<usize>(), "round {round}");
            if old.is_some() {
                assert_eq!(sums.current, changed.iter().map(|&c| cost[c]).sum::<usize>(), "round {round}");
                assert_eq!(
                    sums.flipped_rows,
                    changed.iter().map(|&c| rows[c]).sum::<usize>(),
                    "round {round}"
                );
            }
            let all = Wanted { flipped: true, passing: true, failing: true };
            let lists = Lists::of(all, old.as_ref(), &new, &sums);
            assert_eq!(lists, Lists { flipped: changed, passing, failing }, "round {round}");
            let none = Wanted { flipped: false, passing: false, failing: false };
            let empty = Lists::of(none, old.as_ref(), &new, &sums);
            assert!(empty.flipped.is_empty() && empty.passing.is_empty() && empty.failing.is_empty());
        }
    }
}
