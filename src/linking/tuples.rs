//! The link graph's input: distinct tuples of its fields with their record counts.
//!
//! A tuple is a code into each field's value list, and the lists are the index's own (shared, not
//! copied), so an answer over millions of distinct (source, destination) pairs builds no text: at
//! 10 M rows with nothing selected, turning the histogram into one `String` per value per tuple
//! took 1.4-1.8 s of every "clear all". Each set has an id, so a view that holds the set it last
//! drew knows an unchanged answer in O(1) instead of hashing every tuple each frame.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Clone)]
pub struct TupleSet {
    id: u64,
    /// Per field: its values (at most three fields).
    values: Vec<Arc<Vec<String>>>,
    /// Per combination: its code in each field's values (unused fields 0); the index's own list.
    combos: Arc<Vec<[u32; 3]>>,
    /// Per combination: its record count in this answer (0: not in it). A copy of the engine's
    /// histogram, which is a memory copy, where picking out the non-zero ones is a pass with a
    /// branch per combination: the view only needs them off the UI thread.
    counts: Arc<Vec<i64>>,
    /// The combinations with a non-zero count, in order; found on first use.
    present: Arc<OnceLock<Vec<u32>>>,
}

impl TupleSet {
    /// `values[f]` lists field `f`'s values, `combos[c]` gives combination `c`'s code in each,
    /// `counts[c]` its records (as long as `combos`).
    pub fn new(values: Vec<Arc<Vec<String>>>, combos: Arc<Vec<[u32; 3]>>, counts: Arc<Vec<i64>>) -> Self {
        debug_assert!(values.len() <= 3 && counts.len() == combos.len());
        debug_assert!(combos.iter().all(|c| c.iter().zip(&values).all(|(&c, v)| (c as usize) < v.len())));
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            values,
            combos,
            counts,
            present: Arc::new(OnceLock::new()),
        }
    }

    /// From tuples given as text (a lake's answer, tests), in their order; a repeated tuple adds
    /// to the first one's count.
    pub fn from_strings(width: usize, tuples: impl IntoIterator<Item = (Vec<String>, i64)>) -> Self {
        let width = width.min(3);
        let mut lists: Vec<Vec<String>> = vec![Vec::new(); width];
        let mut codes: Vec<HashMap<String, u32>> = vec![HashMap::new(); width];
        let mut combo_of: HashMap<[u32; 3], usize> = HashMap::new();
        let mut combos = Vec::new();
        let mut counts = Vec::new();
        for (vals, n) in tuples {
            let mut key = [0u32; 3];
            for (f, v) in vals.into_iter().take(width).enumerate() {
                key[f] = *codes[f].entry(v).or_insert_with_key(|v| {
                    lists[f].push(v.clone());
                    (lists[f].len() - 1) as u32
                });
            }
            let c = *combo_of.entry(key).or_insert_with(|| {
                combos.push(key);
                counts.push(0);
                combos.len() - 1
            });
            counts[c] += n;
        }
        Self::new(lists.into_iter().map(Arc::new).collect(), Arc::new(combos), Arc::new(counts))
    }

    fn present(&self) -> &[u32] {
        self.present
            .get_or_init(|| (0..self.counts.len() as u32).filter(|&c| self.counts[c as usize] != 0).collect())
    }

    /// Tuples with a non-zero count.
    pub fn len(&self) -> usize {
        self.present().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fields per tuple.
    pub fn width(&self) -> usize {
        self.values.len()
    }

    /// The record count of tuple `i`.
    pub fn count(&self, i: usize) -> i64 {
        self.counts[self.present()[i] as usize]
    }

    /// Value of field `f` in tuple `i`.
    pub fn value(&self, i: usize, f: usize) -> &str {
        &self.values[f][self.combos[self.present()[i] as usize][f] as usize]
    }

    /// Tuple `i` as text.
    pub fn tuple(&self, i: usize) -> Vec<String> {
        (0..self.width()).map(|f| self.value(i, f).to_string()).collect()
    }

    /// Every tuple as text with its count, in order (the graph build, off the UI thread).
    pub fn to_strings(&self) -> Vec<(Vec<String>, i64)> {
        (0..self.len()).map(|i| (self.tuple(i), self.count(i))).collect()
    }

    /// This set or a clone of it (O(1)).
    pub fn is_clone_of(&self, other: &TupleSet) -> bool {
        self.id == other.id
    }

    /// The same tuples in the same order with the same counts. O(1) for the set itself or a clone;
    /// for two answers over the same lists, a compare of counts; text otherwise.
    pub fn same_as(&self, other: &TupleSet) -> bool {
        if self.is_clone_of(other) {
            return true;
        }
        let same_lists = Arc::ptr_eq(&self.combos, &other.combos)
            && self.values.len() == other.values.len()
            && self.values.iter().zip(&other.values).all(|(a, b)| Arc::ptr_eq(a, b));
        if same_lists {
            return self.counts == other.counts;
        }
        self.len() == other.len()
            && self.width() == other.width()
            && (0..self.len()).all(|i| {
                self.count(i) == other.count(i)
                    && (0..self.width()).all(|f| self.value(i, f) == other.value(i, f))
            })
    }
}

/// Equal when they hold the same tuples with the same counts in the same order.
impl PartialEq for TupleSet {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn text_round_trips_and_equality_follows_content_not_identity() {
        let given = vec![(s(&["a", "x"]), 3), (s(&["b", "x"]), 1), (s(&["a", "y"]), 2)];
        let t = TupleSet::from_strings(2, given.clone());
        assert_eq!(t.to_strings(), given);
        assert_eq!((t.len(), t.width(), t.value(2, 1), t.count(1)), (3, 2, "y", 1));
        // Same content built twice: different ids and lists, still the same.
        let u = TupleSet::from_strings(2, given.clone());
        assert!(t.same_as(&u) && t == t.clone());
        // A count, a value or the order differs: not the same.
        let mut other = given.clone();
        other[1].1 = 9;
        assert!(!t.same_as(&TupleSet::from_strings(2, other)));
        let mut other = given.clone();
        other[2].0[1] = "z".into();
        assert!(!t.same_as(&TupleSet::from_strings(2, other)));
        let mut other = given.clone();
        other.swap(0, 1);
        assert!(!t.same_as(&TupleSet::from_strings(2, other)));
        assert!(!t.same_as(&TupleSet::from_strings(2, given[..2].to_vec())));
    }

    #[test]
    fn shared_value_lists_compare_by_counts_and_skip_zero_counts() {
        let ips = Arc::new(s(&["10.0.0.1", "10.0.0.2"]));
        let combos = Arc::new(vec![[0, 1, 0], [1, 0, 0], [1, 1, 0]]);
        let set = |counts: Vec<i64>| {
            TupleSet::new(vec![ips.clone(), ips.clone()], combos.clone(), Arc::new(counts))
        };
        let a = set(vec![5, 0, 2]);
        assert!(a.same_as(&set(vec![5, 0, 2])) && !a.same_as(&set(vec![5, 2, 0])));
        assert_eq!(a.len(), 2);
        assert_eq!(a.tuple(1), s(&["10.0.0.2", "10.0.0.2"]));
        assert_eq!(a.to_strings(), TupleSet::from_strings(2, a.to_strings()).to_strings());
        // Against text of the same tuples: equal, whatever the lists.
        assert!(a.same_as(&TupleSet::from_strings(2, a.to_strings())));
        assert!(set(vec![0, 0, 0]).is_empty());
    }
}
