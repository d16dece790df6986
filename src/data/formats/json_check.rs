//! The checker of values a projected JSON read skips: it reads past a value without storing it,
//! and vouches only for a plain subset of JSON that serde_json reads without fail, so that a line
//! it vouches for is one the whole read accepts (see `json_scan::flatten_object_projected`).
//! Byte-level runs (plain string bytes, digits) are found a word or a vector at a time.

/// Nesting the checker of skipped values vouches for; deeper values are read whole.
const MAX_SKIP_DEPTH: usize = 64;

/// Where the run of plain string bytes from `j` ends: the first quote, backslash or control
/// character (or the end). Sixteen bytes at a time with SSE2 (in every x86-64 processor), inline:
/// log strings are short, and a library search's call and set-up cost more than they save. Then
/// eight at a time in a word.
#[inline]
pub(super) fn plain_run_end(b: &[u8], mut j: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        while let Some(block) = b.get(j..j + 16) {
            // SAFETY: SSE2 is part of x86-64, and `block` is 16 readable bytes (the load has no
            // alignment need).
            let hits = unsafe {
                let x = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
                let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
                let slash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
                // Below 0x20, unsigned: the larger of the byte and 0x1f is 0x1f.
                let low = _mm_set1_epi8(0x1f);
                let control = _mm_cmpeq_epi8(_mm_max_epu8(x, low), low);
                _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, slash), control))
            };
            if hits != 0 {
                return j + hits.trailing_zeros() as usize;
            }
            j += 16;
        }
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(j..j + 8) {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let quote = x ^ (ONES * b'"' as u64);
        let slash = x ^ (ONES * b'\\' as u64);
        // A byte's high bit is set where it is zero (quote, slash) or below 0x20; the lowest one
        // set is always a true match (a false one only ever sits above a true one).
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let hits = hits & HIGH;
        if hits != 0 {
            return j + (hits.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < b.len() && !matches!(b[j], b'"' | b'\\' | 0..0x20) {
        j += 1;
    }
    j
}

/// Where the value at `j` ends, if the checker vouches for it: strings with only the short
/// escapes, numbers serde_json reads without fail, containers nested below [`MAX_SKIP_DEPTH`]
/// counting the `depth` they sit at. None: not vouched for (not necessarily invalid).
///
/// One loop with a stack of bits (set: the open container is an object), not a call per value:
/// skipped objects are most of what a projected Suricata read looks at.
pub(super) fn skip_checked(b: &[u8], mut j: usize, depth: usize) -> Option<usize> {
    let mut objects = 0u64;
    let mut level = 0usize;
    loop {
        // A value starts at `j`.
        match *b.get(j)? {
            b'"' => j = skip_string_at(b, j)?,
            open @ (b'{' | b'[') => {
                if depth + level >= MAX_SKIP_DEPTH || level >= 64 {
                    return None;
                }
                let object = open == b'{';
                j = skip_ws(b, j + 1);
                if b.get(j) == Some(&if object { b'}' } else { b']' }) {
                    j += 1;
                } else {
                    objects = (objects & !(1 << level)) | ((object as u64) << level);
                    level += 1;
                    if object {
                        j = member_key(b, j)?;
                    }
                    continue;
                }
            }
            b't' => j = word_end(b, j, b"true")?,
            b'f' => j = word_end(b, j, b"false")?,
            b'n' => j = word_end(b, j, b"null")?,
            b'-' | b'0'..=b'9' => j = skip_number_at(b, j)?,
            _ => return None,
        }
        // A value ended: close containers until one goes on with another value.
        loop {
            if level == 0 {
                return Some(j);
            }
            j = skip_ws(b, j);
            let object = (objects >> (level - 1)) & 1 == 1;
            match *b.get(j)? {
                b',' => {
                    j = skip_ws(b, j + 1);
                    if object {
                        j = member_key(b, j)?;
                    }
                    break;
                }
                b'}' if object => {
                    level -= 1;
                    j += 1;
                }
                b']' if !object => {
                    level -= 1;
                    j += 1;
                }
                _ => return None,
            }
        }
    }
}

/// Past JSON whitespace from `j`.
#[inline(always)]
fn skip_ws(b: &[u8], mut j: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(j) {
        j += 1;
    }
    j
}

/// The key at `j` and its colon: where the value starts.
#[inline(always)]
fn member_key(b: &[u8], j: usize) -> Option<usize> {
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let j = skip_ws(b, skip_string_at(b, j)?);
    (b.get(j) == Some(&b':')).then(|| skip_ws(b, j + 1))
}

/// `word` at `j`: where it ends.
#[inline(always)]
fn word_end(b: &[u8], j: usize, word: &[u8]) -> Option<usize> {
    (b.get(j..j + word.len()) == Some(word)).then_some(j + word.len())
}

/// The string at `j` (its opening quote) with only the short escapes (`\"`, `\n`, ...): where it
/// ends. A `\u` escape is left to the whole read, which checks its surrogates.
#[inline]
fn skip_string_at(b: &[u8], j: usize) -> Option<usize> {
    let mut j = j + 1;
    loop {
        j = plain_run_end(b, j);
        match b.get(j) {
            Some(b'"') => return Some(j + 1),
            Some(b'\\')
                if matches!(b.get(j + 1), Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')) =>
            {
                j += 2
            }
            _ => return None,
        }
    }
}

/// The number at `j`, of JSON's grammar and read by serde_json without fail: no exponent (one
/// could overflow) and at most 18 digits before the point. Where it ends.
fn skip_number_at(b: &[u8], j: usize) -> Option<usize> {
    let whole = j + (b[j] == b'-') as usize;
    let mut j = digit_run_end(b, whole);
    let n = j - whole;
    if n == 0 || n > 18 || (n > 1 && b[whole] == b'0') {
        return None;
    }
    if b.get(j) == Some(&b'.') {
        j += 1;
        let from = j;
        j = digit_run_end(b, j);
        if j == from {
            return None;
        }
    }
    if let Some(b'e' | b'E') = b.get(j) {
        return None;
    }
    Some(j)
}

/// Where the run of ASCII digits from `j` ends, eight bytes at a time: flow ids, byte and packet
/// counts are most of the numbers a projected read skips.
#[inline(always)]
fn digit_run_end(b: &[u8], mut j: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    while let Some(word) = b.get(j..j + 8) {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        // A digit's high nibble is 3, and stays 3 when 6 is added. An add that carries out of a
        // byte (0xfa and up, not a digit) only misjudges bytes after it.
        let high = ONES * 0xf0;
        let y = ((x & high) ^ (ONES * 0x30)) | ((x.wrapping_add(ONES * 6) & high) ^ (ONES * 0x30));
        // The high bit of each byte of `y` that is not zero: 0x7f + 0x7f cannot carry.
        let other = (y | ((y & (ONES * 0x7f)) + ONES * 0x7f)) & (ONES * 0x80);
        if other != 0 {
            return j + (other.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while let Some(b'0'..=b'9') = b.get(j) {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn plain_runs_end_where_a_byte_loop_says(
            // Mostly plain bytes, high ones among them (negative to a signed compare), so that runs
            // are long enough for every width.
            bytes in proptest::collection::vec(prop_oneof![8 => 0x23u8..=0x5b, 4 => 0x80u8..=0xff, 1 => any::<u8>()], 0..80),
            from in 0..80usize,
        ) {
            let from = from.min(bytes.len());
            let slow = (from..bytes.len()).find(|&j| matches!(bytes[j], b'"' | b'\\' | 0..0x20)).unwrap_or(bytes.len());
            prop_assert_eq!(plain_run_end(&bytes, from), slow);
        }
    }

    proptest! {
        #[test]
        fn digit_runs_end_where_a_byte_loop_says(
            bytes in proptest::collection::vec(prop_oneof![8 => b'0'..=b'9', 2 => 0x2fu8..=0x3a, 1 => 0xf8u8..=0xff, 1 => any::<u8>()], 0..40),
            from in 0..40usize,
        ) {
            let from = from.min(bytes.len());
            let slow = (from..bytes.len()).find(|&j| !bytes[j].is_ascii_digit()).unwrap_or(bytes.len());
            prop_assert_eq!(digit_run_end(&bytes, from), slow);
        }
    }
}
