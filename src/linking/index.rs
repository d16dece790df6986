//! Crossfilter-style index over the loaded table: rows in time order, dictionary-encoded fields
//! ("dims"), posting lists, and weights. Built once per table (and per field on first use) so a
//! brush never rescans polars columns.
pub use super::codes::Codes;
use super::postings::PostingLists;
pub use super::postings::Postings;
use polars::prelude::*;
use std::collections::HashMap;

/// Code of a row that has no bucket in a dim (null time for time bins).
pub const SKIP: u32 = u32::MAX;

/// One dictionary-encoded field, codes in the index's (time) order.
pub struct Dim {
    pub name: String,
    pub codes: Codes,
    /// Shared, so an output can hand a view the values without copying them (graph tuples).
    pub labels: Arc<Vec<String>>,
    /// For a combined dim: the dims it combines, and each code's codes in them.
    pub parts: Vec<usize>,
    pub part_codes: Arc<Vec<[u32; 3]>>,
    /// Rows per code and where they are, built on first use.
    postings: Option<PostingLists>,
    /// See [`Dim::ensure_part_postings`]; empty until built.
    part_postings: Vec<(Vec<u32>, Vec<u32>)>,
}

/// CSR lists of `0..len` by their code (`code(i)`, below `k` or SKIP): (offsets, members).
fn csr(len: usize, k: usize, code: impl Fn(usize) -> u32) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; k + 1];
    for i in 0..len {
        let c = code(i);
        if c != SKIP {
            offsets[c as usize + 1] += 1;
        }
    }
    for i in 0..k {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut members = vec![0u32; offsets[k] as usize];
    for i in 0..len {
        let c = code(i);
        if c != SKIP {
            members[fill[c as usize] as usize] = i as u32;
            fill[c as usize] += 1;
        }
    }
    (offsets, members)
}

impl Dim {
    pub fn cardinality(&self) -> usize {
        if self.parts.is_empty() {
            self.labels.len()
        } else {
            self.part_codes.len()
        }
    }

    /// Where the rows having each code are (built on first use).
    pub fn postings(&mut self) -> Postings<'_> {
        if self.postings.is_none() {
            self.postings = Some(PostingLists::build(&self.codes, self.cardinality()));
        }
        self.postings_built().expect("built above")
    }

    /// For a combined dim: per part, this dim's codes holding each of the part's codes (CSR).
    /// A clause on a part (a graph node, an edge) then finds its combinations without visiting
    /// all of them, millions for the graph's pairs. Built with the first cube over this dim.
    pub fn ensure_part_postings(&mut self) {
        if !self.part_postings.is_empty() {
            return;
        }
        let pc = &self.part_codes;
        self.part_postings = (0..self.parts.len())
            .map(|i| {
                // A combination's part codes are never SKIP (see `Index::ensure_combined_dim`).
                let k = pc.iter().map(|key| key[i] as usize + 1).max().unwrap_or(0);
                csr(pc.len(), k, |c| pc[c][i])
            })
            .collect();
    }

    /// Part `i`'s lists (see [`Dim::ensure_part_postings`]), if built.
    pub fn part_postings(&self, i: usize) -> Option<(&[u32], &[u32])> {
        self.part_postings.get(i).map(|(o, p)| (o.as_slice(), p.as_slice()))
    }

    /// The form of the postings, or "" before they are built (for `bench`'s per-dim lines).
    pub fn postings_form(&self) -> &'static str {
        self.postings.as_ref().map_or("", PostingLists::form)
    }

    /// The postings if built (see [`Dim::postings`]).
    pub fn postings_built(&self) -> Option<Postings<'_>> {
        self.postings.as_ref().map(|p| p.view(&self.codes))
    }

    /// How this dim's codes give dim `d`'s: `Some(None)` when `d` is this dim, `Some(Some(i))` when
    /// it is part `i` of this combined dim (`part_codes[c][i]`), None when they do not.
    pub fn part_of(&self, self_id: usize, d: usize) -> Option<Option<usize>> {
        if d == self_id {
            return Some(None);
        }
        self.parts.iter().position(|&p| p == d).map(Some)
    }

    /// Heap bytes held (codes, labels, postings).
    pub fn heap_bytes(&self) -> usize {
        let labels: usize = self.labels.iter().map(|l| l.capacity() + size_of::<String>()).sum();
        let own = self.postings.as_ref().map_or(0, PostingLists::heap_bytes);
        let parts: usize = self.part_postings.iter().map(|(o, p)| (o.capacity() + p.capacity()) * 4).sum();
        let postings = own + parts;
        self.codes.heap_bytes() + labels + postings + self.part_codes.capacity() * size_of::<[u32; 3]>()
    }
}

/// Each position's time, µs. A table already in time order with every time set (most logs, every
/// generated flow file) lends its own `time` column: a copy is 8 bytes a row (80 MB at 10 M rows).
enum Times {
    /// The table's `time` as its Int64 physical values: one chunk, no nulls, ascending.
    Table(Int64Chunked),
    Own(Vec<i64>),
}

impl Times {
    fn as_slice(&self) -> &[i64] {
        match self {
            // Checked when built (`Index::build`), and a ChunkedArray never changes.
            Times::Table(ca) => ca.cont_slice().unwrap_or(&[]),
            Times::Own(v) => v,
        }
    }
}

/// Rows in time order plus dims. [`Index::row`] is the table row at index position `pos`.
pub struct Index {
    pub n: usize,
    /// Table row of each position; None when the table is already in time order (the identity,
    /// 4 bytes a row not kept).
    order: Option<Vec<u32>>,
    times: Times,
    pub dims: Vec<Dim>,
    dim_by_name: HashMap<String, usize>,
    weights: HashMap<String, Arc<Vec<i64>>>,
    pub df: Arc<DataFrame>,
}

/// Label used for missing values in every view.
pub const NULL_LABEL: &str = "(null)";

impl Index {
    pub fn build(df: Arc<DataFrame>) -> PolarsResult<Self> {
        let n = df.height();
        let physical = match df.column("time") {
            // A datetime's Int64 physical values share the table's buffers.
            Ok(c) => Some(c.as_materialized_series().cast(&DataType::Int64)?.i64()?.clone()),
            Err(_) => None,
        };
        if let Some(ca) = physical.as_ref().filter(|ca| ca.cont_slice().is_ok_and(<[i64]>::is_sorted)) {
            return Ok(Self::with_times(df, None, Times::Table(ca.clone())));
        }
        let times: Vec<i64> = match &physical {
            Some(ca) => ca.iter().map(|t| t.unwrap_or(i64::MIN)).collect(),
            None => vec![i64::MIN; n],
        };
        if times.is_sorted() {
            return Ok(Self::with_times(df, None, Times::Own(times)));
        }
        let mut order: Vec<u32> = (0..n as u32).collect();
        // Stable, so rows with equal times keep their file order.
        order.sort_by_key(|&r| times[r as usize]);
        let t = order.iter().map(|&r| times[r as usize]).collect();
        Ok(Self::with_times(df, Some(order), Times::Own(t)))
    }

    fn with_times(df: Arc<DataFrame>, order: Option<Vec<u32>>, times: Times) -> Self {
        Self {
            n: df.height(),
            order,
            times,
            dims: Vec::new(),
            dim_by_name: HashMap::new(),
            weights: HashMap::new(),
            df,
        }
    }

    /// The table row at index position `p`.
    pub fn row(&self, p: usize) -> u32 {
        self.order.as_ref().map_or(p as u32, |o| o[p])
    }

    /// Table rows in position order, None when they are the same (the table is in time order).
    pub fn order(&self) -> Option<&[u32]> {
        self.order.as_deref()
    }

    /// Time of each position, µs; rows without a time sort first with `i64::MIN`.
    pub fn time_us(&self) -> &[i64] {
        self.times.as_slice()
    }

    pub fn dim_id(&self, name: &str) -> Option<usize> {
        self.dim_by_name.get(name).copied()
    }

    /// The dim of a table column, built on first use.
    pub fn ensure_dim(&mut self, field: &str) -> PolarsResult<usize> {
        if let Some(&d) = self.dim_by_name.get(field) {
            return Ok(d);
        }
        let col = self.df.column(field)?.as_materialized_series().clone();
        let (codes_by_row, labels) = encode(&col)?;
        let codes = match &self.order {
            None => codes_by_row,
            Some(order) => order.iter().map(|&r| codes_by_row[r as usize]).collect(),
        };
        Ok(self.add_dim(field.to_string(), codes, labels))
    }

    pub fn add_dim(&mut self, name: String, codes: Vec<u32>, labels: Vec<String>) -> usize {
        let id = self.dims.len();
        self.dims.push(Dim {
            name: name.clone(),
            codes: Codes::new(codes),
            labels: Arc::new(labels),
            parts: Vec::new(),
            part_codes: Arc::default(),
            postings: None,
            part_postings: Vec::new(),
        });
        self.dim_by_name.insert(name, id);
        // Encoding a field over every row freed as much as the dim keeps (the 4-byte codes, the
        // value map): give it back now rather than let later work grow around it (`crate::alloc`).
        crate::alloc::release_free_memory();
        id
    }

    /// A dim derived from another by mapping each label (IP prefixes for the treemap).
    pub fn ensure_derived_dim(
        &mut self,
        base: &str,
        name: &str,
        f: impl Fn(&str) -> String,
    ) -> PolarsResult<usize> {
        if let Some(&d) = self.dim_by_name.get(name) {
            return Ok(d);
        }
        let b = self.ensure_dim(base)?;
        let mut map = HashMap::new();
        let mut labels = Vec::new();
        let remap: Vec<u32> = self.dims[b]
            .labels
            .iter()
            .map(|l| {
                let k = f(l);
                *map.entry(k.clone()).or_insert_with(|| {
                    labels.push(k);
                    (labels.len() - 1) as u32
                })
            })
            .collect();
        let codes =
            self.dims[b].codes.iter().map(|c| if c == SKIP { SKIP } else { remap[c as usize] }).collect();
        Ok(self.add_dim(name.to_string(), codes, labels))
    }

    /// A dim whose codes are combinations of other dims' codes (treemap leaves, graph edges). It
    /// keeps no labels of its own: a combination's values are its parts' labels at its
    /// `part_codes` ([`Index::label_path`]). Joined labels cost a string per distinct
    /// (source, destination) pair, tens of bytes per row of a large flow table.
    pub fn ensure_combined_dim(&mut self, parts: &[usize]) -> usize {
        let name = format!("combo:{parts:?}");
        if let Some(&d) = self.dim_by_name.get(&name) {
            return d;
        }
        let mut map: HashMap<[u32; 3], u32> = HashMap::new();
        let mut part_codes = Vec::new();
        let mut codes = Vec::with_capacity(self.n);
        for p in 0..self.n {
            let mut key = [0u32; 3];
            let mut skip = false;
            for (i, &d) in parts.iter().take(3).enumerate() {
                key[i] = self.dims[d].codes.get(p);
                skip |= key[i] == SKIP;
            }
            if skip {
                codes.push(SKIP);
                continue;
            }
            let c = *map.entry(key).or_insert_with(|| {
                part_codes.push(key);
                (part_codes.len() - 1) as u32
            });
            codes.push(c);
        }
        drop(map);
        // Grown by doubling: up to twice what millions of pairs (the graph's) need.
        part_codes.shrink_to_fit();
        let id = self.add_dim(name, codes, Vec::new());
        self.dims[id].parts = parts.iter().take(3).copied().collect();
        self.dims[id].part_codes = Arc::new(part_codes);
        id
    }

    /// The values of code `c` of dim `d`, borrowed: its label, or one label per part of a
    /// combined dim.
    pub fn label_parts(&self, d: usize, c: usize) -> impl Iterator<Item = &str> + '_ {
        let dim = &self.dims[d];
        let own = dim.parts.is_empty().then(|| dim.labels[c].as_str());
        let parts = (!dim.parts.is_empty()).then(|| {
            dim.parts.iter().zip(dim.part_codes[c]).map(|(&p, pc)| self.dims[p].labels[pc as usize].as_str())
        });
        own.into_iter().chain(parts.into_iter().flatten())
    }

    /// [`Index::label_parts`] as owned text (a treemap leaf's path).
    pub fn label_path(&self, d: usize, c: usize) -> Vec<String> {
        self.label_parts(d, c).map(str::to_string).collect()
    }

    /// Time buckets of `bucket_us` from `origin_us` as a dim (labels are bucket start µs).
    pub fn ensure_time_dim(&mut self, origin_us: i64, bucket_us: i64) -> usize {
        let name = format!("time:{origin_us}:{bucket_us}");
        if let Some(&d) = self.dim_by_name.get(&name) {
            return d;
        }
        let time_us = self.time_us();
        let max = time_us.last().copied().unwrap_or(origin_us).max(origin_us);
        let nb = ((max - origin_us) / bucket_us + 1) as usize;
        let codes = time_us
            .iter()
            .map(
                |&t| {
                    if t == i64::MIN || t < origin_us {
                        SKIP
                    } else {
                        ((t - origin_us) / bucket_us) as u32
                    }
                },
            )
            .collect();
        let labels = (0..nb).map(|i| (origin_us + i as i64 * bucket_us).to_string()).collect();
        self.add_dim(name, codes, labels)
    }

    /// Per-position weight for a measure: "count" (None), "bytes" (sent + received), "packets",
    /// or any numeric column. Shared with the engine, not copied.
    pub fn weights(&mut self, measure: &str) -> Option<Arc<Vec<i64>>> {
        if measure == "count" {
            return None;
        }
        if !self.weights.contains_key(measure) {
            let cols: Vec<&str> = match measure {
                "bytes" => vec!["bytes_sent", "bytes_received"],
                "packets" => vec!["packets_sent", "packets_received"],
                other => {
                    self.df.column(other).ok()?;
                    vec![other]
                }
            };
            let mut w = vec![0i64; self.n];
            for c in cols {
                if let Ok(col) = self.df.column(c) {
                    if let Ok(s) = col.as_materialized_series().cast(&DataType::Int64) {
                        if let Ok(ca) = s.i64() {
                            match (&self.order, ca.cont_slice()) {
                                (None, Ok(v)) => w.iter_mut().zip(v).for_each(|(w, v)| *w += v),
                                _ => {
                                    for (p, w) in w.iter_mut().enumerate() {
                                        *w += ca.get(self.row(p) as usize).unwrap_or(0);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            self.weights.insert(measure.to_string(), Arc::new(w));
        }
        self.weights.get(measure).cloned()
    }

    /// Heap bytes held by the index (order, times, dims, weights); the table, and the time
    /// column it lends, are not counted.
    pub fn heap_bytes(&self) -> usize {
        let weights: usize = self.weights.values().map(|w| w.capacity() * 8).sum();
        let times = match &self.times {
            Times::Table(_) => 0,
            Times::Own(v) => v.capacity() * 8,
        };
        self.order.as_ref().map_or(0, Vec::capacity) * 4
            + times
            + self.dims.iter().map(Dim::heap_bytes).sum::<usize>()
            + weights
    }

    /// First position with time >= t.
    pub fn lower_bound(&self, t_us: i64) -> usize {
        self.time_us().partition_point(|&x| x < t_us)
    }

    /// Range of positions with a real time.
    pub fn timed_range(&self) -> (usize, usize) {
        (self.time_us().partition_point(|&x| x == i64::MIN), self.n)
    }

    pub fn time_bounds_us(&self) -> Option<(i64, i64)> {
        let (a, b) = self.timed_range();
        let t = self.time_us();
        (a < b).then(|| (t[a], t[b - 1]))
    }
}

/// Dictionary-encodes a column: codes per row (table order) and labels (nulls become "(null)").
fn encode(s: &Series) -> PolarsResult<(Vec<u32>, Vec<String>)> {
    let mut labels: Vec<String> = Vec::new();
    let mut codes = Vec::with_capacity(s.len());
    match s.dtype() {
        dt if dt.is_integer() => {
            let s = s.cast(&DataType::Int64)?;
            let ca = s.i64()?;
            let mut map: HashMap<Option<i64>, u32> = HashMap::new();
            for v in ca.iter() {
                let c = *map.entry(v).or_insert_with(|| {
                    labels.push(v.map(|x| x.to_string()).unwrap_or_else(|| NULL_LABEL.into()));
                    (labels.len() - 1) as u32
                });
                codes.push(c);
            }
        }
        DataType::Categorical(..) => {
            // Dictionary-coded text (`data::text_column`): hash the 4-byte codes, not the text, and
            // copy each distinct value once. Same codes and labels as the text path below.
            let DataType::Categorical(_, mapping) = s.dtype() else { unreachable!("matched above") };
            // Codes of any width (a Parquet file's dictionary may be narrower), read as u32.
            let ids = s.to_physical_repr().cast(&DataType::UInt32)?;
            let mut map: HashMap<Option<u32>, u32> = HashMap::new();
            for v in ids.u32()?.iter() {
                let c = *map.entry(v).or_insert_with(|| {
                    let label = v.and_then(|id| mapping.cat_to_str(id)).unwrap_or(NULL_LABEL);
                    labels.push(label.to_string());
                    (labels.len() - 1) as u32
                });
                codes.push(c);
            }
        }
        _ => {
            // In its logical type first: a whole-number f64 stored as f32 reads as the f64 it is.
            let s = s.cast(&crate::data::compact::logical_or_same(s.dtype()))?.cast(&DataType::String)?;
            let ca = s.str()?;
            let mut map: HashMap<Option<&str>, u32> = HashMap::new();
            for v in ca.iter() {
                let c = *map.entry(v).or_insert_with(|| {
                    labels.push(v.map(str::to_string).unwrap_or_else(|| NULL_LABEL.into()));
                    (labels.len() - 1) as u32
                });
                codes.push(c);
            }
        }
    }
    Ok((codes, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_coded_text_encodes_as_its_text() {
        let vals: Vec<Option<&str>> =
            (0..300).map(|i| [Some("tcp"), None, Some("udp"), Some("(null)"), Some("")][i * 7 % 5]).collect();
        let text = Series::new("p".into(), vals);
        let cat = text.cast(&crate::data::text_column::categorical_dtype()).unwrap();
        assert!(matches!(cat.dtype(), DataType::Categorical(..)));
        assert_eq!(encode(&cat).unwrap(), encode(&text).unwrap());
    }
}
