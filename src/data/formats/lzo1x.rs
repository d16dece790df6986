//! LZO1X decompression (the format of `lzo1x_1_compress`, which nfdump uses for `-z` files),
//! written for hostile input: every read and every back-reference is bounds-checked and the
//! output is capped, so damaged data is an error, never a panic or a runaway allocation.
//! Follows the instruction set of minilzo's `lzo1x_decompress_safe`: literal runs, M1 (2-3 byte
//! copy, < 3 kB back), M2 (3-8 bytes, < 2 kB), M3 (< 16 kB) and M4 (16-48 kB, also end of stream).
//! (The pure-Rust `lzokay-native` crate panics on arithmetic overflow with damaged input.)

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Result<usize, String> {
        let b = *self.data.get(self.pos).ok_or("LZO input ends inside an instruction")?;
        self.pos += 1;
        Ok(b as usize)
    }

    fn le16(&mut self) -> Result<usize, String> {
        Ok(self.byte()? | (self.byte()? << 8))
    }

    /// A long length: `base` + 255 per zero byte + the first non-zero byte.
    fn run(&mut self, base: usize) -> Result<usize, String> {
        let mut n = base;
        loop {
            match self.byte()? {
                0 => n = n.checked_add(255).ok_or("LZO length overflows")?,
                b => return Ok(n + b),
            }
        }
    }
}

enum Step {
    /// An instruction byte follows: a literal run (< 16) or a match.
    Instruction,
    /// Just after a literal run: a byte < 16 is the 3-byte M1 form.
    AfterLiterals,
    Match(usize),
    /// After a match: 0-3 trailing literals, then (if any) another match instruction.
    Trailing(usize),
}

/// Decompresses one LZO1X stream into at most `max_out` bytes.
pub fn decompress(input: &[u8], max_out: usize) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(3).min(max_out));
    let mut r = Input { data: input, pos: 0 };
    let literals = |r: &mut Input, out: &mut Vec<u8>, n: usize| -> Result<(), String> {
        let end = r
            .pos
            .checked_add(n)
            .filter(|e| *e <= r.data.len())
            .ok_or("LZO literal run past the input end")?;
        if out.len() + n > max_out {
            return Err(format!("LZO output exceeds {max_out} bytes"));
        }
        out.extend_from_slice(&r.data[r.pos..end]);
        r.pos = end;
        Ok(())
    };
    let copy = |out: &mut Vec<u8>, dist: usize, len: usize| -> Result<(), String> {
        if dist == 0 || dist > out.len() {
            return Err(format!("LZO back-reference {dist} before the output start ({} bytes)", out.len()));
        }
        if out.len() + len > max_out {
            return Err(format!("LZO output exceeds {max_out} bytes"));
        }
        let start = out.len() - dist;
        // Overlapping copies repeat the last bytes, as the format intends.
        for i in 0..len {
            let b = out[start + i];
            out.push(b);
        }
        Ok(())
    };
    let mut step = match input.first() {
        None => return Err("empty LZO input".into()),
        Some(&b) if b > 17 => {
            r.pos = 1;
            let t = b as usize - 17;
            if t < 4 {
                Step::Trailing(t)
            } else {
                literals(&mut r, &mut out, t)?;
                Step::AfterLiterals
            }
        }
        Some(_) => Step::Instruction,
    };
    loop {
        step = match step {
            Step::Instruction => {
                let t = r.byte()?;
                if t >= 16 {
                    Step::Match(t)
                } else {
                    let n = if t == 0 { r.run(15)? } else { t };
                    literals(&mut r, &mut out, n + 3)?;
                    Step::AfterLiterals
                }
            }
            Step::AfterLiterals => {
                let t = r.byte()?;
                if t >= 16 {
                    Step::Match(t)
                } else {
                    let dist = 1 + 0x800 + (t >> 2) + (r.byte()? << 2);
                    copy(&mut out, dist, 3)?;
                    Step::Trailing(t & 3)
                }
            }
            Step::Match(t) => {
                let (dist, len, state) = if t >= 64 {
                    (1 + ((t >> 2) & 7) + (r.byte()? << 3), (t >> 5) + 1, t & 3)
                } else if t >= 32 {
                    let n = match t & 31 {
                        0 => r.run(31)?,
                        n => n,
                    };
                    let v = r.le16()?;
                    (1 + (v >> 2), n + 2, v & 3)
                } else if t >= 16 {
                    let n = match t & 7 {
                        0 => r.run(7)?,
                        n => n,
                    };
                    let v = r.le16()?;
                    let d = ((t & 8) << 11) + (v >> 2);
                    if d == 0 {
                        return Ok(out); // end-of-stream marker
                    }
                    (d + 0x4000, n + 2, v & 3)
                } else {
                    (1 + (t >> 2) + (r.byte()? << 2), 2, t & 3)
                };
                copy(&mut out, dist, len)?;
                Step::Trailing(state)
            }
            Step::Trailing(0) => Step::Instruction,
            Step::Trailing(n) => {
                literals(&mut r, &mut out, n)?;
                Step::Match(r.byte()?)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_only_and_overlapping_match() {
        // 22 = copy 5 literals; then M2 copying 3 bytes from distance 1; then the end marker.
        // M2: 0 1 L D D D S S with L=0 (3 bytes), D=0, S=0 -> 0x40, then H=0 -> distance 1.
        let data = [17 + 5, b'a', b'b', b'c', b'd', b'e', 0x40, 0x00, 0x11, 0x00, 0x00];
        assert_eq!(decompress(&data, 100).expect("ok"), b"abcdeeee");
        assert!(decompress(&data, 6).is_err(), "cap");
        assert!(decompress(&data[..7], 100).is_err(), "cut");
        assert!(decompress(&[], 100).is_err());
        // A back-reference before the start of the output.
        assert!(decompress(&[17 + 4, 1, 2, 3, 4, 0xff, 0xff], 100).is_err());
    }
}
