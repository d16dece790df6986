//! The choice of how to bring the histograms up to date after one clause changes: a pure function
//! of a few counts, so it can be read and tested on its own. `apply.rs` gathers the counts and
//! carries the choice out; every strategy gives the same exact histograms, they differ only in cost.

/// How one clause change is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Time clause: the histograms of this selection are cached; only the changed ranges' bits move.
    TimeCache,
    /// Time clause: visit only the rows between the old and new edges (a brush drag).
    TimeIncremental,
    /// Time clause: too many rows changed; rescan every target over its candidate range.
    TimeRebuild,
    /// A click (Falcon-style lookup): the view's cube built on hover holds, per category, every
    /// other target's histogram; the new histograms are sums of cube rows.
    Lookup,
    /// A fresh include of most rows of one field: only the rows of the other values gain the bit.
    IncrementalComplement,
    /// An include of one field's values: the bit is set everywhere and cleared on their posting
    /// lists; the other views are rebuilt from those rows (or come from the cache).
    Postings { cached: bool },
    /// The clause is removed and the resulting selection is cached.
    RemovalCache,
    /// Both sides are code sets of one field: only the rows of the values that changed flip.
    IncrementalPostings,
    /// Nothing cheaper is known: evaluate the clause on every row, then see [`after_scan`].
    Scan,
}

/// What happens after [`Strategy::Scan`] has found the rows whose bit flips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOutcome {
    Cache,
    Incremental,
    RebuildPostings,
    RebuildRanges,
}

impl Strategy {
    /// Name shown by the benchmark and the status line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::TimeCache | Strategy::Postings { cached: true } | Strategy::RemovalCache => "cache",
            Strategy::TimeIncremental => "incremental",
            Strategy::TimeRebuild => "rebuild-ranges",
            Strategy::Lookup => "lookup",
            Strategy::IncrementalComplement => "incremental-complement",
            Strategy::Postings { cached: false } => "rebuild-postings",
            Strategy::IncrementalPostings => "incremental-postings",
            Strategy::Scan => "scan",
        }
    }
}

impl ScanOutcome {
    pub fn name(self) -> &'static str {
        match self {
            ScanOutcome::Cache => "cache",
            ScanOutcome::Incremental => "incremental-scan",
            ScanOutcome::RebuildPostings => "rebuild-postings",
            ScanOutcome::RebuildRanges => "rebuild-ranges",
        }
    }
}

/// Below this many changed rows a time change is cheaper to apply than a cache copy. Small in
/// tests, so that the brute-force tests' few thousand rows reach the cached path.
#[cfg(not(test))]
const CACHE_MIN_CHANGED: usize = 4096;
#[cfg(test)]
const CACHE_MIN_CHANGED: usize = 64;

/// Counts describing a change of a time clause.
#[derive(Debug, Clone, Copy)]
pub struct TimeInputs {
    /// Rows whose clause or window bits change.
    pub changed_rows: usize,
    /// Rows a rebuild visits, summed over targets.
    pub rebuild_cost: usize,
    pub targets: usize,
    /// The selection after this change is the requested one and its histograms are cached.
    pub cache_hit: bool,
}

pub fn choose_time(i: &TimeInputs) -> Strategy {
    if i.cache_hit && i.changed_rows > CACHE_MIN_CHANGED {
        Strategy::TimeCache
    } else if i.changed_rows * i.targets.max(1) <= i.rebuild_cost {
        Strategy::TimeIncremental
    } else {
        Strategy::TimeRebuild
    }
}

/// The shape of the view's clause before the change, as far as the choice cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldClause {
    None,
    /// A code set of one field (values of a top-N list, a single-field node set).
    Codes {
        same_dim: bool,
        negate: bool,
    },
    /// Anything else (treemap paths, graph edges, prefixes on several fields).
    General,
}

/// Counts describing a change of a value clause (a click, a Ctrl-click, a removal).
#[derive(Debug, Clone, Copy)]
pub struct MatchInputs {
    /// Rows of the table.
    pub n: usize,
    pub old: OldClause,
    /// `None` when the clause is removed.
    pub new: Option<NewClause>,
    /// The selection after this change is the requested one and its histograms are cached.
    pub cache_hit: bool,
    /// The view's cube (built on hover) answers this change.
    pub lookup: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewClause {
    /// A code set of one field: rows holding one of its codes.
    Codes {
        negate: bool,
        rows: usize,
    },
    General,
}

impl MatchInputs {
    /// Rows whose bit can flip when both sides are code sets of one field, counted from postings:
    /// `changed_rows` are the rows of the codes whose membership differs, `excluded_rows` the rows
    /// of the old or new exclusion set.
    fn posting_flips(&self, changed_rows: usize, excluded_rows: usize) -> Option<usize> {
        match (self.old, self.new) {
            (OldClause::Codes { same_dim: true, negate: a }, Some(NewClause::Codes { negate: b, .. }))
                if a == b =>
            {
                Some(changed_rows)
            }
            // A new exclusion flips exactly the excluded rows; removing one flips them back.
            (OldClause::None, Some(NewClause::Codes { negate: true, .. })) => Some(excluded_rows),
            (OldClause::Codes { negate: true, .. }, None) => Some(excluded_rows),
            _ => None,
        }
    }
}

/// `changed_rows` and `excluded_rows`: see [`MatchInputs::posting_flips`]; only read when it applies.
pub fn choose_match(i: &MatchInputs, changed_rows: usize, excluded_rows: usize) -> Strategy {
    let n = i.n;
    if i.lookup {
        return Strategy::Lookup;
    }
    if let Some(NewClause::Codes { negate: false, rows }) = i.new {
        if rows > n / 2 && i.old == OldClause::None {
            return Strategy::IncrementalComplement;
        }
        let same_field_include = i.old == OldClause::Codes { same_dim: true, negate: false };
        if rows <= n / 2 || same_field_include && rows <= n * 2 / 3 {
            return Strategy::Postings { cached: i.cache_hit };
        }
    }
    if i.new.is_none() && i.cache_hit {
        return Strategy::RemovalCache;
    }
    match i.posting_flips(changed_rows, excluded_rows) {
        Some(k) if k <= n / 3 => Strategy::IncrementalPostings,
        _ => Strategy::Scan,
    }
}

/// After a scan found `flipped` rows: a cached result, an incremental update when the flipped rows
/// visited once per target cost less than one pass, else a rebuild (from the postings of a single
/// field's included values when there are some).
pub fn after_scan(
    flipped: usize,
    targets: usize,
    n: usize,
    cache_hit: bool,
    include_codes: bool,
) -> ScanOutcome {
    if cache_hit {
        ScanOutcome::Cache
    } else if flipped * targets.max(1) <= n {
        ScanOutcome::Incremental
    } else if include_codes {
        ScanOutcome::RebuildPostings
    } else {
        ScanOutcome::RebuildRanges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(old: OldClause, new: Option<NewClause>) -> MatchInputs {
        MatchInputs { n: 1000, old, new, cache_hit: false, lookup: false }
    }

    #[test]
    fn a_brush_drag_is_incremental_and_a_jump_rebuilds() {
        let drag = TimeInputs { changed_rows: 10, rebuild_cost: 5000, targets: 14, cache_hit: false };
        assert_eq!(choose_time(&drag), Strategy::TimeIncremental);
        let jump = TimeInputs { changed_rows: 900, ..drag };
        assert_eq!(choose_time(&jump), Strategy::TimeRebuild);
        // A small change is cheaper to apply than a copy of every histogram, even when cached.
        assert_eq!(choose_time(&TimeInputs { cache_hit: true, ..drag }), Strategy::TimeIncremental);
        let big =
            TimeInputs { changed_rows: CACHE_MIN_CHANGED + 1, rebuild_cost: 10, targets: 3, cache_hit: true };
        assert_eq!(choose_time(&big), Strategy::TimeCache);
    }

    #[test]
    fn clicks_pick_complement_postings_or_cache() {
        let most = m(OldClause::None, Some(NewClause::Codes { negate: false, rows: 770 }));
        assert_eq!(choose_match(&most, 0, 0), Strategy::IncrementalComplement);
        let few = m(OldClause::None, Some(NewClause::Codes { negate: false, rows: 50 }));
        assert_eq!(choose_match(&few, 0, 0), Strategy::Postings { cached: false });
        assert_eq!(
            choose_match(&MatchInputs { cache_hit: true, ..few }, 0, 0),
            Strategy::Postings { cached: true }
        );
        // Most rows again after a click on the same field: postings up to two thirds.
        let again = m(
            OldClause::Codes { same_dim: true, negate: false },
            Some(NewClause::Codes { negate: false, rows: 600 }),
        );
        assert_eq!(choose_match(&again, 0, 0), Strategy::Postings { cached: false });
        // A lookup wins whenever the cube answers.
        assert_eq!(choose_match(&MatchInputs { lookup: true, ..most }, 0, 0), Strategy::Lookup);
    }

    #[test]
    fn exclusions_and_removals_flip_only_their_rows() {
        let excl = m(OldClause::None, Some(NewClause::Codes { negate: true, rows: 100 }));
        assert_eq!(choose_match(&excl, 0, 100), Strategy::IncrementalPostings);
        assert_eq!(choose_match(&excl, 0, 400), Strategy::Scan);
        let unexclude = m(OldClause::Codes { same_dim: true, negate: true }, None);
        assert_eq!(choose_match(&unexclude, 0, 100), Strategy::IncrementalPostings);
        assert_eq!(
            choose_match(&MatchInputs { cache_hit: true, ..unexclude }, 0, 100),
            Strategy::RemovalCache
        );
        // Removing a big include: the changed codes' rows decide.
        let big = m(
            OldClause::Codes { same_dim: true, negate: false },
            Some(NewClause::Codes { negate: false, rows: 900 }),
        );
        assert_eq!(choose_match(&big, 100, 0), Strategy::IncrementalPostings);
    }

    #[test]
    fn general_clauses_never_take_a_postings_shortcut() {
        // An exclusion replacing a treemap path, or a path replacing an exclusion: the old
        // clause rejected rows outside the postings, so only a scan is exact.
        let a = m(OldClause::General, Some(NewClause::Codes { negate: true, rows: 10 }));
        assert_eq!(choose_match(&a, 0, 10), Strategy::Scan);
        let b = m(OldClause::Codes { same_dim: true, negate: true }, Some(NewClause::General));
        assert_eq!(choose_match(&b, 0, 10), Strategy::Scan);
        let c = m(
            OldClause::Codes { same_dim: false, negate: false },
            Some(NewClause::Codes { negate: false, rows: 900 }),
        );
        assert_eq!(choose_match(&c, 0, 0), Strategy::Scan);
    }

    #[test]
    fn after_a_scan() {
        assert_eq!(after_scan(10, 5, 1000, true, false), ScanOutcome::Cache);
        assert_eq!(after_scan(10, 5, 1000, false, false), ScanOutcome::Incremental);
        assert_eq!(after_scan(500, 5, 1000, false, true), ScanOutcome::RebuildPostings);
        assert_eq!(after_scan(500, 5, 1000, false, false), ScanOutcome::RebuildRanges);
    }
}
