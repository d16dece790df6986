//! A dim's code per position, stored as narrow as its values allow.
//!
//! Most dims have few values: a protocol has a handful, addresses and ports thousands, a week of
//! time bins ten thousand. Four bytes a row for each of them was most of the index (40 MB a dim at
//! 10 M rows); one or two bytes hold the same codes. Only a dim with 65,535 values or more (the
//! graph's source-destination pairs) keeps four.
use super::index::SKIP;

/// Codes in position order; [`SKIP`] marks a position with no value in the dim.
#[derive(Debug, Clone)]
pub enum Codes {
    /// Codes below `u8::MAX`; `u8::MAX` is SKIP.
    U8(Vec<u8>),
    /// Codes below `u16::MAX`; `u16::MAX` is SKIP.
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Codes {
    /// The narrowest form of `codes` (SKIP allowed anywhere).
    pub fn new(codes: Vec<u32>) -> Self {
        let max = codes.iter().copied().filter(|&c| c != SKIP).max().unwrap_or(0);
        if max < u8::MAX as u32 {
            Codes::U8(codes.iter().map(|&c| if c == SKIP { u8::MAX } else { c as u8 }).collect())
        } else if max < u16::MAX as u32 {
            Codes::U16(codes.iter().map(|&c| if c == SKIP { u16::MAX } else { c as u16 }).collect())
        } else {
            Codes::U32(codes)
        }
    }

    /// The code at position `p` (SKIP for none). The form is the same for every position, so the
    /// branch is predicted in a loop (and usually hoisted out of it).
    #[inline(always)]
    pub fn get(&self, p: usize) -> u32 {
        match self {
            Codes::U8(v) => widen(v[p] as u32, u8::MAX as u32),
            Codes::U16(v) => widen(v[p] as u32, u16::MAX as u32),
            Codes::U32(v) => v[p],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Codes::U8(v) => v.len(),
            Codes::U16(v) => v.len(),
            Codes::U32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every position's code, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|p| self.get(p))
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Codes::U8(v) => v.capacity(),
            Codes::U16(v) => v.capacity() * 2,
            Codes::U32(v) => v.capacity() * 4,
        }
    }
}

#[inline(always)]
fn widen(c: u32, skip: u32) -> u32 {
    if c == skip {
        SKIP
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(codes: Vec<u32>) -> Codes {
        let c = Codes::new(codes.clone());
        assert_eq!(c.len(), codes.len());
        assert_eq!(c.iter().collect::<Vec<_>>(), codes);
        c
    }

    #[test]
    fn codes_keep_their_values_and_skips_in_the_narrowest_form() {
        assert!(matches!(roundtrip(vec![0, 3, SKIP, 254, 1]), Codes::U8(_)));
        // 255 is the one-byte SKIP, so a dim with 256 values takes two bytes.
        assert!(matches!(roundtrip(vec![0, 255, SKIP]), Codes::U16(_)));
        assert!(matches!(roundtrip(vec![65_534, SKIP, 7]), Codes::U16(_)));
        assert!(matches!(roundtrip(vec![65_535, SKIP, 7]), Codes::U32(_)));
        assert!(matches!(roundtrip(vec![SKIP, SKIP]), Codes::U8(_)));
        assert!(roundtrip(Vec::new()).is_empty());
        assert_eq!(Codes::new(vec![1; 1000]).heap_bytes(), 1000);
    }
}
