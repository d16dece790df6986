//! A grouped query read a chunk of the lake at a time and stopped as soon as its rows are known to
//! exceed a bound. polars' streaming group-by holds state in proportion to the records it groups,
//! not to the groups (2.6 GB for 1.8 M groups of 100 M flows), and a result over its bound is of
//! no use to the one who asked: a cube part over the cube's budget, or a link graph's millions of
//! address pairs (28 s and 8.5 GB at 100 M flows, to draw nothing).
use super::pushdown::{Grouped, LakeSession};
use super::{BackendError, Split, SqlEngine};
use polars::prelude::DataFrame;

/// How a result's rows grow with the share of the lake read: in proportion for one keyed by time
/// bins (each bin lies in one day's partition), as the square root for others, whose pairs recur
/// from day to day (at 100 M flows, port x source pairs: 0.31 M in one day of 14, 1.78 M in all).
/// Only an estimate, to stop early what will not fit; the bound itself is checked on rows read.
pub(super) const fn growth_exponent(timed: bool) -> f64 {
    if timed {
        1.0
    } else {
        0.5
    }
}

impl LakeSession {
    /// Without partitions to split by (one Parquet file, a cluster's table), a lake of more records
    /// than a cube may hold is read in two chunks by time: the first sixteenth of its time range,
    /// then the rest with the records without a time. A result too large is then known from the
    /// first, as from a hive lake's first day: on Sail at 100 M flows a treemap cube's two parts of
    /// 30-36 M pairs were computed whole only to be dropped (50 s), and polars' group-by of one
    /// file grows with its records. Shares assume records spread evenly over time.
    pub(super) fn time_splits(&self) -> Vec<Split> {
        let Some((lo, hi)) = self.stats().time_bounds_us else { return Vec::new() };
        if !self.has_time() || self.stats().rows < self.time_split_min_rows || hi <= lo {
            return Vec::new();
        }
        let first = self.conditions().time_window(lo, lo + (hi - lo) / 16);
        vec![
            Split { cond: first.clone(), share: 1.0 / 16.0 },
            // `first` is never null (a null time fails its first test), so its negation is exact.
            Split { cond: format!("(NOT {first})"), share: 15.0 / 16.0 },
        ]
    }

    /// The chunks a large group-by over `eng` is read in: its partitions, or for the lake itself
    /// without any, [`Self::time_splits`]. Records held in memory (a subset) are one chunk.
    pub(super) fn chunks_of(&self, eng: &dyn SqlEngine) -> Vec<Split> {
        let splits = eng.splits();
        if splits.is_empty() && std::ptr::addr_eq(eng, &*self.engine) {
            self.time_splits()
        } else {
            splits
        }
    }
}

/// How [`read_bounded`] reads one grouped query.
pub(super) struct Bounded<'a> {
    /// The query's SQL for a chunk (its `Grouped` with the chunk's condition on the scan).
    pub sql_of: &'a dyn Fn(&Grouped) -> String,
    /// Most rows the result may hold.
    pub room: usize,
    /// [`growth_exponent`] to give up on a result whose chunks read so far tell it will not fit;
    /// `None` to give up only once its rows are over `room` (a result that must not be refused
    /// on a guess).
    pub growth: Option<f64>,
}

/// Reads `g` over `eng` a chunk (`splits`; without any, the whole of `logs`) at a time. Each
/// chunk's result goes to `fold`, which returns the rows of the result so far (a key seen in two
/// chunks counted once). Returns those rows, or `None` as soon as they are over the room, or
/// the growth estimate says they will be. Each query asks for one row more than it may hold:
/// one more means it does not fit, and no more than that is fetched.
pub(super) fn read_bounded(
    eng: &dyn SqlEngine,
    g: &Grouped,
    how: &Bounded,
    splits: &[Split],
    tag: &str,
    fold: &mut dyn FnMut(&DataFrame, bool) -> Result<usize, BackendError>,
) -> Result<Option<usize>, BackendError> {
    let chunks: Vec<Option<&Split>> =
        if splits.is_empty() { vec![None] } else { splits.iter().map(Some).collect() };
    let room = how.room;
    let (mut read, mut rows) = (0.0, 0);
    for split in &chunks {
        let mut g = g.clone();
        if let Some(split) = split {
            g.prefilter = Some(match &g.prefilter {
                Some(f) => format!("({f}) AND {}", split.cond),
                None => split.cond.clone(),
            });
        }
        // A chunk's rows are distinct keys, each in the final rows: more than the room scaled
        // down to the share read by then means an estimate over the room, and they are neither
        // fetched whole nor folded in.
        read += split.map_or(1.0, |s| s.share);
        let grown = how.growth.map_or(1.0, |e| read.clamp(1e-6, 1.0).powf(e));
        let limit = room.min((room as f64 * grown).ceil() as usize);
        let df = eng.query(&format!("{} LIMIT {}", (how.sql_of)(&g), limit + 1), tag)?;
        if df.height() > limit {
            return Ok(None);
        }
        // One chunk's keys are distinct: only rows from two chunks need summing.
        rows = fold(&df, chunks.len() == 1)?;
        if rows > room || rows as f64 / grown > room as f64 {
            return Ok(None);
        }
    }
    Ok(Some(rows))
}
