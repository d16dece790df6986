//! One part of a lake cube (`lake_cube`): the rows of one covered view's bins under each key of
//! the active view, with the sums a click needs; and its form on disk (`cube_store`), a polars
//! frame, so that a part read once from the lake is read again in a fraction of the time.
use polars::prelude::*;
use std::collections::BTreeMap;

/// A cube row under one key of the active view: the covered view's bin code, then the main,
/// window and week-earlier sums.
pub(super) type Row = (u32, i64, i64, i64);

/// One covered view's part: its bin labels, and per key of the active view (its value, a
/// treemap's field values, a time bin) the rows (bin code, main, window, week earlier). Codes
/// keep a click's sums to dense array adds.
#[derive(Default)]
pub(super) struct Part {
    pub(super) labels: Vec<String>,
    pub(super) codes: PlHashMap<String, u32>,
    pub(super) by_value: BTreeMap<Vec<String>, Vec<Row>>,
    /// Per bin: main, window and week-earlier sums over every value (the answer without the
    /// active view's clause), so that a click or an exclusion costs its own values' rows.
    pub(super) totals: [Vec<i64>; 3],
    /// Rows under every key.
    pub(super) rows: usize,
    /// Per key, in `by_value`'s order: its place in the cube's `keys` (a treemap cube's).
    pub(super) key_ids: Vec<u32>,
}

impl Part {
    pub(super) fn sum_totals(&mut self) {
        let n = self.labels.len();
        let mut t = [vec![0i64; n], vec![0i64; n], vec![0i64; n]];
        for &(k, v, c, p) in self.by_value.values().flatten() {
            let k = k as usize;
            t[0][k] += v;
            t[1][k] += c;
            t[2][k] += p;
        }
        self.totals = t;
        self.rows = self.by_value.values().map(Vec::len).sum();
    }

    /// Main, window and week-earlier sums over the rows of the keys `hit` picks, or over every
    /// other key's rows when `negate`. Whichever side has fewer rows is read (the other side is
    /// the totals less it): a click on a group that holds most rows costs the rest. `listed`,
    /// when given, are the picked keys themselves (distinct): read at once when they are few.
    pub(super) fn sums_where(
        &self,
        hit: &dyn Fn(usize, &Vec<String>) -> bool,
        listed: Option<&[Vec<String>]>,
        negate: bool,
    ) -> [Vec<i64>; 3] {
        let total_rows = self.rows;
        let listed_rows =
            listed.map(|l| l.iter().filter_map(|k| self.by_value.get(k)).map(Vec::len).sum::<usize>());
        let (flags, hit_rows) = match listed_rows {
            // A few listed keys: no pass over every key.
            Some(r) if 2 * r <= total_rows => (None, r),
            _ => {
                let mut hit_rows = 0;
                let flags: Vec<bool> = self
                    .by_value
                    .iter()
                    .enumerate()
                    .map(|(i, (k, rows))| {
                        let h = hit(i, k);
                        hit_rows += if h { rows.len() } else { 0 };
                        h
                    })
                    .collect();
                (Some(flags), hit_rows)
            }
        };
        // The rows asked for are the hits (or the misses when negated); read them, or the others.
        let wanted_rows = if negate { total_rows - hit_rows } else { hit_rows };
        let read_wanted = 2 * wanted_rows <= total_rows;
        let read_hits = read_wanted != negate;
        let n = self.labels.len();
        let (mut s, sign) =
            if read_wanted { ([vec![0; n], vec![0; n], vec![0; n]], 1) } else { (self.totals.clone(), -1) };
        let mut add = |rows: &Vec<Row>| {
            for &(k, v, c, p) in rows {
                let k = k as usize;
                s[0][k] += sign * v;
                s[1][k] += sign * c;
                s[2][k] += sign * p;
            }
        };
        match (&flags, listed) {
            (None, Some(keys)) if read_hits => {
                keys.iter().filter_map(|k| self.by_value.get(k)).for_each(&mut add)
            }
            (None, _) => self
                .by_value
                .iter()
                .enumerate()
                .filter(|(i, (k, _))| hit(*i, k) == read_hits)
                .for_each(|(_, (_, r))| add(r)),
            (Some(f), _) => {
                self.by_value.values().zip(f).filter(|(_, h)| **h == read_hits).for_each(|(r, _)| add(r))
            }
        }
        s
    }
}

impl Part {
    /// The same rows keyed the other way round: list A's part for list B, from B's part for A
    /// (keyed by one field; `None` for a part keyed by more). Its bins are the keys, its keys
    /// the bins; totals are left to `sum_totals`.
    pub(super) fn transposed(&self) -> Option<Part> {
        let labels = self
            .by_value
            .keys()
            .map(|k| match k.as_slice() {
                [l] => Some(l.clone()),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()?;
        let mut per_bin: Vec<Vec<Row>> = vec![Vec::new(); self.labels.len()];
        for (i, rows) in self.by_value.values().enumerate() {
            for &(b, v, c, p) in rows {
                per_bin[b as usize].push((i as u32, v, c, p));
            }
        }
        let by_value = per_bin
            .into_iter()
            .zip(&self.labels)
            .filter(|(rows, _)| !rows.is_empty())
            .map(|(rows, l)| (vec![l.clone()], rows))
            .collect();
        Some(Part { labels, by_value, rows: self.rows, ..Default::default() })
    }

    /// The part as a frame for the disk (`cube_store`): a row per cube row, keys in order; a
    /// key's columns `k0`.. hold its labels on its first row and null on the rest (no label is
    /// null: a null value's label is "(null)"), then the bin code `b` and the sums `v`, `c`, `p`.
    pub(super) fn to_frame(&self, n_keys: usize) -> PolarsResult<DataFrame> {
        let rows: usize = self.by_value.values().map(Vec::len).sum();
        let mut keys: Vec<Vec<Option<&str>>> = vec![Vec::with_capacity(rows); n_keys];
        let (mut b, mut v, mut c, mut p) = (
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
        );
        for (k, rs) in &self.by_value {
            if k.len() != n_keys || rs.is_empty() {
                polars_bail!(ComputeError: "a cube key of {} labels and {} rows, expected {n_keys} labels", k.len(), rs.len());
            }
            for (i, r) in rs.iter().enumerate() {
                for (col, l) in keys.iter_mut().zip(k) {
                    col.push((i == 0).then_some(l.as_str()));
                }
                b.push(r.0);
                v.push(r.1);
                c.push(r.2);
                p.push(r.3);
            }
        }
        let mut cols: Vec<Column> =
            keys.into_iter().enumerate().map(|(j, ks)| Column::new(format!("k{j}").into(), ks)).collect();
        cols.push(Column::new("b".into(), b));
        cols.push(Column::new("v".into(), v));
        cols.push(Column::new("c".into(), c));
        cols.push(Column::new("p".into(), p));
        DataFrame::new_infer_height(cols)
    }

    /// Reads back [`Self::to_frame`] with the part's bin labels; `None` when the frame is not one
    /// (a damaged file is a miss, never a wrong cube). Totals are left to `sum_totals`.
    pub(super) fn from_frame(df: &DataFrame, n_keys: usize, labels: Vec<String>) -> Option<Part> {
        let mut df = df.clone();
        df.rechunk_mut();
        let keys = (0..n_keys)
            .map(|j| df.column(&format!("k{j}")).ok()?.str().ok().cloned())
            .collect::<Option<Vec<StringChunked>>>()?;
        let int = |name: &str| df.column(name).ok()?.i64().ok().cloned();
        let (b, v, c, p) = (df.column("b").ok()?.u32().ok()?.clone(), int("v")?, int("c")?, int("p")?);
        if n_keys == 0
            || [b.null_count(), v.null_count(), c.null_count(), p.null_count()].iter().any(|n| *n > 0)
        {
            return None;
        }
        let mut entries: Vec<(Vec<String>, Vec<Row>)> = Vec::new();
        let rows = b
            .into_no_null_iter()
            .zip(v.into_no_null_iter())
            .zip(c.into_no_null_iter())
            .zip(p.into_no_null_iter());
        for (r, (((b, v), c), p)) in rows.enumerate() {
            if keys[0].get(r).is_some() {
                let k = keys.iter().map(|col| col.get(r).map(str::to_string)).collect::<Option<Vec<_>>>()?;
                entries.push((k, Vec::new()));
            }
            if b as usize >= labels.len() {
                return None;
            }
            entries.last_mut()?.1.push((b, v, c, p));
        }
        // Keys were written in order, each once: anything else is not a part.
        if entries.windows(2).any(|w| w[0].0 >= w[1].0) {
            return None;
        }
        let rows = entries.iter().map(|(_, r)| r.len()).sum();
        Some(Part { labels, by_value: entries.into_iter().collect(), rows, ..Default::default() })
    }
}
