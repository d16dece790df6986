//! Where each of a dim's codes has its rows: the rows per code always, and the positions
//! themselves in the smallest of three forms.
//!
//! Posting lists were the largest part of the index: 4 bytes a row for every listed dim, 40 MB a
//! dim at 10 M rows. A dim with a handful of values (a protocol) lists nothing: a scan of its
//! one-byte codes finds a code's rows. A dim whose codes recur over the whole table (addresses,
//! ports) keeps each position's low 16 bits, with the high bits once per run of positions in one
//! 64 Ki-row chunk. A dim of mostly tiny codes (the graph's pairs) keeps plain positions, which
//! are then smaller than runs.
use super::codes::Codes;
use super::index::SKIP;

/// A dim with at most this many values keeps no positions, only its rows per code: its codes hold
/// a sixteenth of the rows or more on average, and a scan of its one-byte codes finds them at a
/// few milliseconds per 10 M rows ([`Codes::for_each_eq`]). A protocol's lists were 40 MB at 10 M
/// flows.
pub const SCAN_MAX_CARD: usize = 16;

/// Positions per chunk of [`Members::Chunked`] are `1 << CHUNK_BITS`: a position is its chunk
/// (the high bits, once per run) and its low bits (two bytes).
const CHUNK_BITS: u32 = 16;

enum Members {
    /// Found by scanning the dim's codes.
    Scan,
    /// Every code's positions, 4 bytes each.
    Plain(Vec<u32>),
    /// Every code's positions as runs within one chunk. Run `r` is the positions
    /// `run_hi[r] << CHUNK_BITS | lows[i]` for `i` in `run_start[r]..run_start[r + 1]`; code `c`'s
    /// runs are `run_offs[c]..run_offs[c + 1]`, in ascending order.
    Chunked { lows: Vec<u16>, run_start: Vec<u32>, run_hi: Vec<u16>, run_offs: Vec<u32> },
}

/// A dim's postings, built once (see [`crate::linking::index::Dim::postings`]).
pub struct PostingLists {
    /// CSR offsets: code `c` has `offs[c + 1] - offs[c]` rows.
    offs: Vec<u32>,
    members: Members,
}

impl PostingLists {
    /// The postings of `codes`, whose values are below `card` (or SKIP, on no list).
    pub fn build(codes: &Codes, card: usize) -> Self {
        let n = codes.len();
        let mut offs = vec![0u32; card + 1];
        if card <= SCAN_MAX_CARD {
            for c in codes.iter().filter(|&c| c != SKIP) {
                offs[c as usize + 1] += 1;
            }
            prefix_sum(&mut offs);
            return Self { offs, members: Members::Scan };
        }
        // Rows and runs per code, shifted by one for the prefix sums.
        let mut run_offs = vec![0u32; card + 1];
        let mut last_hi = vec![u32::MAX; card];
        for p in 0..n {
            let c = codes.get(p);
            if c == SKIP {
                continue;
            }
            let c = c as usize;
            offs[c + 1] += 1;
            let hi = (p >> CHUNK_BITS) as u32;
            if last_hi[c] != hi {
                last_hi[c] = hi;
                run_offs[c + 1] += 1;
            }
        }
        prefix_sum(&mut offs);
        prefix_sum(&mut run_offs);
        let rows = offs[card] as usize;
        let runs = run_offs[card] as usize;
        let mut fill = offs.clone();
        // Two bytes a row plus six a run, against four a row.
        if 2 * rows + 6 * runs + 4 * (card + 1) >= 4 * rows {
            drop(last_hi);
            drop(run_offs);
            let mut members = vec![0u32; rows];
            for p in 0..n {
                let c = codes.get(p);
                if c != SKIP {
                    members[fill[c as usize] as usize] = p as u32;
                    fill[c as usize] += 1;
                }
            }
            return Self { offs, members: Members::Plain(members) };
        }
        let mut lows = vec![0u16; rows];
        let mut run_start = vec![0u32; runs + 1];
        let mut run_hi = vec![0u16; runs];
        let mut run_fill = run_offs.clone();
        last_hi.iter_mut().for_each(|h| *h = u32::MAX);
        for p in 0..n {
            let c = codes.get(p);
            if c == SKIP {
                continue;
            }
            let c = c as usize;
            let hi = (p >> CHUNK_BITS) as u32;
            if last_hi[c] != hi {
                last_hi[c] = hi;
                let r = run_fill[c] as usize;
                run_start[r] = fill[c];
                // Positions are u32, so the chunk fits 16 bits.
                run_hi[r] = hi as u16;
                run_fill[c] += 1;
            }
            lows[fill[c] as usize] = p as u16;
            fill[c] += 1;
        }
        // The runs are in code order, so a run ends where the next one starts.
        run_start[runs] = rows as u32;
        Self { offs, members: Members::Chunked { lows, run_start, run_hi, run_offs } }
    }

    /// The postings over `codes` (the dim's own, which they were built from).
    pub fn view<'a>(&'a self, codes: &'a Codes) -> Postings<'a> {
        Postings { offs: &self.offs, members: &self.members, codes }
    }

    /// Which form the positions take (for `bench`'s per-dim lines).
    pub fn form(&self) -> &'static str {
        match self.members {
            Members::Scan => "scanned",
            Members::Plain(_) => "plain postings",
            Members::Chunked { .. } => "chunked postings",
        }
    }

    pub fn heap_bytes(&self) -> usize {
        let members = match &self.members {
            Members::Scan => 0,
            Members::Plain(m) => m.capacity() * 4,
            Members::Chunked { lows, run_start, run_hi, run_offs } => {
                lows.capacity() * 2
                    + run_start.capacity() * 4
                    + run_hi.capacity() * 2
                    + run_offs.capacity() * 4
            }
        };
        self.offs.capacity() * 4 + members
    }
}

fn prefix_sum(v: &mut [u32]) {
    for i in 1..v.len() {
        v[i] += v[i - 1];
    }
}

/// Where the rows of each code are: counts from the CSR offsets, positions from the lists or a
/// scan of the codes.
#[derive(Clone, Copy)]
pub struct Postings<'a> {
    pub offs: &'a [u32],
    members: &'a Members,
    codes: &'a Codes,
}

impl Postings<'_> {
    /// Rows having code `c`.
    pub fn rows(&self, c: usize) -> usize {
        (self.offs[c + 1] - self.offs[c]) as usize
    }

    /// Whether positions are found by scanning the codes ([`SCAN_MAX_CARD`]).
    pub fn is_scanned(&self) -> bool {
        matches!(self.members, Members::Scan)
    }

    /// Rows having any code (fewer than the table's when some have none).
    pub fn total(&self) -> usize {
        self.offs.last().copied().unwrap_or(0) as usize
    }

    /// Calls `f` with each position having code `c`, in ascending order. `f` is called from one
    /// place (below), so it is inlined into that loop: called per row, through the three forms,
    /// it was a third of a cube's build.
    #[inline]
    pub fn for_each(&self, c: usize, mut f: impl FnMut(usize)) {
        self.for_each_batch(c, |batch| {
            for &p in batch {
                f(p as usize);
            }
        });
    }

    /// Calls `f` with the positions having code `c`, in ascending batches: a plain list whole,
    /// runs and scans decoded into batches of about [`BATCH`] positions.
    pub fn for_each_batch(&self, c: usize, mut f: impl FnMut(&[u32])) {
        match self.members {
            Members::Plain(m) => f(&m[self.offs[c] as usize..self.offs[c + 1] as usize]),
            Members::Chunked { lows, run_start, run_hi, run_offs } => {
                let mut batch = Vec::with_capacity(BATCH.min(self.rows(c)));
                for r in run_offs[c] as usize..run_offs[c + 1] as usize {
                    let hi = u32::from(run_hi[r]) << CHUNK_BITS;
                    let run = &lows[run_start[r] as usize..run_start[r + 1] as usize];
                    batch.extend(run.iter().map(|&lo| hi | u32::from(lo)));
                    if batch.len() >= BATCH {
                        f(&batch);
                        batch.clear();
                    }
                }
                if !batch.is_empty() {
                    f(&batch);
                }
            }
            Members::Scan => {
                let mut batch = Vec::with_capacity(BATCH.min(self.rows(c)));
                let mut emit = |batch: &mut Vec<u32>, last: bool| {
                    if batch.len() >= BATCH || last && !batch.is_empty() {
                        f(batch);
                        batch.clear();
                    }
                };
                match self.codes {
                    // One-byte codes are compared 64 at a time into a bit mask: a load and a
                    // compare per row, and no mispredicted branch per row. SKIP is no code's.
                    Codes::U8(v) if c < u8::MAX as usize => {
                        for (k, block) in v.chunks(64).enumerate() {
                            let mut bits = block
                                .iter()
                                .enumerate()
                                .fold(0u64, |m, (i, &x)| m | u64::from(x as usize == c) << i);
                            while bits != 0 {
                                batch.push((k * 64) as u32 + bits.trailing_zeros());
                                bits &= bits - 1;
                            }
                            emit(&mut batch, false);
                        }
                    }
                    Codes::U8(_) => {}
                    codes => {
                        for p in 0..codes.len() {
                            if codes.get(p) as usize == c {
                                batch.push(p as u32);
                                emit(&mut batch, false);
                            }
                        }
                    }
                }
                emit(&mut batch, true);
            }
        }
    }
}

/// Positions per batch of [`Postings::for_each_batch`]: 16 KB, in cache while a caller uses it.
const BATCH: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code's positions, as listed.
    fn listed(lists: &PostingLists, codes: &Codes, card: usize) -> Vec<Vec<usize>> {
        let post = lists.view(codes);
        (0..card)
            .map(|c| {
                let mut got = Vec::new();
                post.for_each(c, |p| got.push(p));
                assert_eq!(got.len(), post.rows(c), "code {c}'s count");
                got
            })
            .collect()
    }

    fn expected(codes: &[u32], card: usize) -> Vec<Vec<usize>> {
        let mut by_code = vec![Vec::new(); card];
        for (p, &c) in codes.iter().enumerate().filter(|(_, &c)| c != SKIP) {
            by_code[c as usize].push(p);
        }
        by_code
    }

    #[test]
    fn every_form_lists_exactly_each_codes_positions() {
        let n = 300_000;
        // (codes, cardinality, the form they should take)
        let few: Vec<u32> = (0..n).map(|p| if p % 11 == 0 { SKIP } else { (p as u32 * 7) % 5 }).collect();
        // Recurring over every chunk: runs are few, so chunked; 15 k rows a code, several batches.
        let recurring: Vec<u32> =
            (0..n).map(|p| if p % 13 == 0 { SKIP } else { (p as u32 * 31) % 20 }).collect();
        // Mostly codes with one or two rows: runs as many as rows, so plain.
        let tiny: Vec<u32> = (0..n).map(|p| (p as u32) / 2).collect();
        for (codes, card, form) in
            [(few, 5, "scanned"), (recurring, 20, "chunked postings"), (tiny, n / 2, "plain postings")]
        {
            let c = Codes::new(codes.clone());
            let lists = PostingLists::build(&c, card);
            assert_eq!(lists.form(), form);
            assert_eq!(listed(&lists, &c, card), expected(&codes, card), "{form}");
            let skipped = codes.iter().filter(|&&c| c == SKIP).count();
            assert_eq!(lists.view(&c).total(), n - skipped);
        }
    }

    #[test]
    fn chunked_lists_take_less_than_plain_positions() {
        let codes: Vec<u32> = (0..1_000_000u32).map(|p| (p * 31) % 1000).collect();
        let lists = PostingLists::build(&Codes::new(codes), 1000);
        assert_eq!(lists.form(), "chunked postings");
        assert!(lists.heap_bytes() < 1_000_000 * 4 * 6 / 10, "{}", lists.heap_bytes());
    }
}
