//! What a projected JSON read decided for each key of the line before, in order. Lines of one log
//! mostly repeat one shape (a Windows event's 35 keys, a Zeek record's 25), so a key that repeats
//! the last line's key at the same place gets that line's verdict by comparing its bytes: no dotted
//! name is built and nothing is looked up for it (building and judging the dotted names was a
//! third of a Windows event query).
//!
//! A key's verdict depends only on its dotted name, on whether its value is an object, and on the
//! [`SourceKeys`](super::json_projection::SourceKeys) judging it. The dotted name is fixed by the
//! keys before it: a key's parent is the last key before it one level up whose value was an
//! object. So while every key so far equals the memo's, as written, at the same depth and with the
//! same kind of value, the current key's dotted name is the memo's too.

/// What a projected read does with one key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Stored (or, for an object, entered).
    Read,
    /// Only checked.
    Skip,
    /// Only checked, and the line notes that it had such a key
    /// ([`LineFields::skipped_marked`](crate::data::record::LineFields::skipped_marked)).
    SkipMarked,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct MemoKey {
    /// The key as written (no escapes), in `KeyMemo::raw`.
    start: u32,
    len: u32,
    /// The depth of the object holding it (1: the line's object).
    depth: u32,
    /// Whether its value was an object.
    object: bool,
    pub(crate) verdict: Verdict,
}

impl MemoKey {
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }
    pub(crate) fn object(&self) -> bool {
        self.object
    }
}

/// The memo, kept with the line buffers ([`LineFields`](crate::data::record::LineFields)) from
/// line to line.
#[derive(Debug, Default)]
pub(crate) struct KeyMemo {
    /// The `SourceKeys::id` whose verdicts these are; 0: none.
    owner: u64,
    raw: Vec<u8>,
    keys: Vec<MemoKey>,
    /// The next key's place in `keys`.
    at: usize,
    /// Every key of this line so far equals the memo's.
    follow: bool,
    /// Verdicts of this line are still written (not after a key with escapes: the places would
    /// no longer line up).
    recording: bool,
}

impl KeyMemo {
    /// Starts a line judged by the `SourceKeys` with this id.
    pub(crate) fn begin_line(&mut self, owner: u64) {
        if owner != self.owner || owner == 0 {
            self.keys.clear();
            self.raw.clear();
            self.owner = owner;
        }
        self.at = 0;
        self.follow = true;
        self.recording = true;
    }

    /// The memo's next key when the line's key at `b[start..]` (after its opening quote) is the
    /// same, as written and at the same `depth`.
    #[inline]
    pub(crate) fn expect(&self, b: &[u8], start: usize, depth: usize) -> Option<MemoKey> {
        if !self.follow {
            return None;
        }
        let k = *self.keys.get(self.at)?;
        let rest = b.get(start..)?;
        let len = k.len();
        (k.depth as usize == depth
            && begins_with(rest, &self.raw, k.start as usize, len)
            && rest.get(len) == Some(&b'"'))
        .then_some(k)
    }

    /// The key [`KeyMemo::expect`] gave is this line's key (its value is of the same kind).
    #[inline]
    pub(crate) fn take(&mut self) {
        self.at += 1;
    }

    /// This line's key at this place, written as `raw` (no escapes): the memo follows this line
    /// from here on.
    pub(crate) fn record(&mut self, raw: &[u8], depth: usize, object: bool, verdict: Verdict) {
        self.follow = false;
        if !self.recording {
            return;
        }
        if let Some(stale) = self.keys.get(self.at) {
            self.raw.truncate(stale.start as usize);
        }
        self.keys.truncate(self.at);
        let (Ok(start), Ok(len), Ok(depth)) =
            (u32::try_from(self.raw.len()), u32::try_from(raw.len()), u32::try_from(depth))
        else {
            self.stop();
            return;
        };
        self.raw.extend_from_slice(raw);
        self.raw.extend_from_slice(&[0; SLACK]);
        self.keys.push(MemoKey { start, len, depth, object, verdict });
        self.at += 1;
    }

    /// A key with escapes at this place: nothing after it is remembered for this line.
    pub(crate) fn stop(&mut self) {
        self.follow = false;
        self.recording = false;
        self.keys.truncate(self.at);
        if let Some(last) = self.keys.last() {
            self.raw.truncate((last.start + last.len) as usize + SLACK);
        } else {
            self.raw.clear();
        }
    }
}

/// Zero bytes after each remembered key: a key's last word can be read whole.
const SLACK: usize = 8;

/// Whether `line` begins with the `len` bytes at `arena[at..]` (followed by [`SLACK`]), eight
/// bytes at a time in line: a call into the C library's `memcmp` for each key was 8% of a
/// Windows query.
#[inline]
fn begins_with(line: &[u8], arena: &[u8], at: usize, len: usize) -> bool {
    let key = &arena[at..at + len];
    if line.len() < len + 8 {
        // Near the line's end, where no whole word can be read past the key.
        return line.get(..len) == Some(key);
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
    let mut i = 0;
    while i + 8 <= len {
        if word(line, i) != word(arena, at + i) {
            return false;
        }
        i += 8;
    }
    let tail = len - i;
    tail == 0 || (word(line, i) ^ word(arena, at + i)) & ((1u64 << (8 * tail)) - 1) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_line_follows_the_memo_and_a_changed_key_rewrites_it_from_there() {
        let mut m = KeyMemo::default();
        m.begin_line(7);
        let line = br#"{"a":1,"bb":2}"#;
        assert!(m.expect(line, 2, 1).is_none());
        m.record(b"a", 1, false, Verdict::Read);
        m.record(b"bb", 1, false, Verdict::Skip);
        m.begin_line(7);
        let k = m.expect(line, 2, 1).expect("same first key");
        assert_eq!((k.verdict, k.len()), (Verdict::Read, 1));
        m.take();
        // A key that only begins like the memo's is not it.
        assert!(m.expect(br#"{"a":1,"bbc":2}"#, 8, 1).is_none());
        // Nor the same key one level deeper.
        assert!(m.expect(line, 8, 2).is_none());
        m.record(b"bbc", 1, false, Verdict::SkipMarked);
        m.begin_line(7);
        m.take();
        assert_eq!(m.expect(br#"{"a":1,"bbc":2}"#, 8, 1).map(|k| k.verdict), Some(Verdict::SkipMarked));
        // Another judge forgets it all.
        m.begin_line(8);
        assert!(m.expect(line, 2, 1).is_none());
    }

    #[test]
    fn keys_compare_word_by_word_as_slices_do() {
        let arena: Vec<u8> = b"abcdefghijklmnopq".iter().copied().chain([0; SLACK]).collect();
        let line = b"abcdefghijklmnopq\":1,\"more\":\"padding past a word\"}";
        for at in 0..17 {
            for len in 0..=17 - at {
                for from in 0..line.len() {
                    let expect = line[from..].starts_with(&arena[at..at + len]);
                    assert_eq!(begins_with(&line[from..], &arena, at, len), expect, "{at} {len} {from}");
                }
            }
        }
    }

    #[test]
    fn after_a_key_with_escapes_nothing_more_of_the_line_is_remembered() {
        let mut m = KeyMemo::default();
        m.begin_line(1);
        m.record(b"a", 1, false, Verdict::Read);
        m.stop();
        m.record(b"c", 1, false, Verdict::Read);
        m.begin_line(1);
        m.take();
        assert!(m.expect(br#"{"a":1,"c":2}"#, 8, 1).is_none());
    }
}
