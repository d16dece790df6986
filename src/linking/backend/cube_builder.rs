//! A lake cube being read (`lake_cube`): the rows of its parts' query results folded into
//! [`Part`]s a row at a time, a key seen in two chunks of the lake summed once.
use super::cube_part::{Part, Row};
use super::lake_cube::{Active, ALL_BINS};
use super::pushdown::{int_column, label_column};
use crate::linking::index::NULL_LABEL;
use crate::linking::selection::ViewId;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A part being read: the part, and its active keys (by their encoded labels) with their rows.
pub(super) type PartBuilder = (Part, PlHashMap<String, usize>, Vec<(Vec<String>, Vec<Row>)>);

/// A cube being read from its query results, a row at a time, with no text per row kept: a
/// part's bins and the active view's keys are looked up by their labels.
#[derive(Default)]
pub(super) struct CubeBuilder<'a> {
    /// Key columns of the active view (`k0`..), before the covered view's bin.
    pub(super) n: usize,
    pub(super) active: Option<&'a Active>,
    pub(super) parts: BTreeMap<ViewId, PartBuilder>,
    pub(super) all_bins: BTreeMap<i64, i64>,
    /// Parts read whole from the disk (`cube_store`).
    pub(super) loaded: BTreeMap<ViewId, Part>,
}

impl CubeBuilder<'_> {
    pub(super) fn add(&mut self, df: &DataFrame) -> PolarsResult<()> {
        let n = self.n;
        let part_ids = int_column(df, "part")?;
        let k = (0..=n)
            .map(|i| label_column(df.column(format!("k{i}").as_str())?))
            .collect::<PolarsResult<Vec<_>>>()?;
        let (v, c, p) = (int_column(df, "v")?, int_column(df, "c")?, int_column(df, "p")?);
        let label = |i: usize, r: usize| k[i].get(r).unwrap_or(NULL_LABEL);
        let mut key_text = String::new();
        for r in 0..df.height() {
            let id = part_ids.get(r).unwrap_or(ALL_BINS - 1);
            let vr = v.get(r).unwrap_or(0);
            if id == ALL_BINS {
                if let (Some(Active::Time { origin_us, .. }), Ok(off)) =
                    (self.active, label(0, r).parse::<i64>())
                {
                    *self.all_bins.entry(origin_us + off).or_insert(0) += vr;
                }
                continue;
            }
            let Ok(w) = ViewId::try_from(id) else { continue };
            let (part, key_index, keyed) = self.parts.entry(w).or_default();
            let bin = label(n, r);
            let code = match part.codes.get(bin) {
                Some(c) => *c,
                None => {
                    part.labels.push(bin.to_string());
                    part.codes.insert(bin.to_string(), (part.labels.len() - 1) as u32);
                    (part.labels.len() - 1) as u32
                }
            };
            // The key's labels, each after its length, so no label can run into the next (one
            // label as it is: this loop runs once per row of the lake's answer, 11 M at 100 M flows).
            key_text.clear();
            if n == 1 {
                key_text.push_str(label(0, r));
            } else {
                for i in 0..n {
                    let l = label(i, r);
                    let _ = write!(key_text, "{}:{l}", l.len());
                }
            }
            let at = match key_index.get(key_text.as_str()) {
                Some(at) => *at,
                None => {
                    keyed.push(((0..n).map(|i| label(i, r).to_string()).collect(), Vec::new()));
                    key_index.insert(key_text.clone(), keyed.len() - 1);
                    keyed.len() - 1
                }
            };
            keyed[at].1.push((code, vr, c.get(r).unwrap_or(0), p.get(r).unwrap_or(0)));
        }
        Ok(())
    }

    /// Sums the rows a key of part `id` got twice (from two chunks of the lake) into one; returns
    /// the part's rows (the records per bin's bins for [`ALL_BINS`]).
    pub(super) fn fold_part(&mut self, id: i64) -> usize {
        if id == ALL_BINS {
            return self.all_bins.len();
        }
        let Some((_, _, keyed)) = ViewId::try_from(id).ok().and_then(|w| self.parts.get_mut(&w)) else {
            return 0;
        };
        let mut n = 0;
        for (_, rows) in keyed.iter_mut() {
            if rows.len() > 1 {
                rows.sort_unstable_by_key(|r| r.0);
                let mut at = 0;
                for i in 1..rows.len() {
                    if rows[i].0 == rows[at].0 {
                        rows[at].1 += rows[i].1;
                        rows[at].2 += rows[i].2;
                        rows[at].3 += rows[i].3;
                    } else {
                        at += 1;
                        rows[at] = rows[i];
                    }
                }
                rows.truncate(at + 1);
            }
            n += rows.len();
        }
        n
    }

    pub(super) fn finish(self) -> (BTreeMap<ViewId, Part>, BTreeMap<i64, i64>) {
        let mut parts: BTreeMap<ViewId, Part> = self
            .parts
            .into_iter()
            .map(|(w, (mut part, _, keyed))| {
                // Rows folded from two chunks leave room behind; the cube is held for a while.
                part.by_value = keyed
                    .into_iter()
                    .map(|(k, mut rows)| {
                        rows.shrink_to_fit();
                        (k, rows)
                    })
                    .collect();
                (w, part)
            })
            .collect();
        parts.extend(self.loaded);
        (parts, self.all_bins)
    }
}
