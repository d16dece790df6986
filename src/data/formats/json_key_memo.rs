//! What a projected JSON read decided for each key of the lines before. Lines of one log repeat a
//! few shapes (a Windows event's 35 keys, a Zeek record's 25, Suricata's flow, dns and alert
//! records), so a key that repeats an earlier line's key at the same place gets that line's verdict
//! by comparing its bytes: no dotted name is built and nothing is looked up for it (building and
//! judging the dotted names was a third of a Windows event query).
//!
//! A key's verdict depends only on its dotted name, on whether its value is an object, and on the
//! [`SourceKeys`](super::json_projection::SourceKeys) judging it. The dotted name is fixed by the
//! keys before it: a key's parent is the last key before it one level up whose value was an
//! object. So the keys seen are kept as a tree of key sequences (each key as written, with its
//! depth and kind of value): while a line's keys so far are a path from the root, the current
//! key's dotted name is that of the child it equals.

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

/// One key after the keys on the path to it.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// The key as written (no escapes), in `KeyMemo::raw`.
    start: u32,
    len: u32,
    /// The depth of the object holding it (1: the line's object).
    depth: u32,
    /// Whether its value was an object.
    object: bool,
    verdict: Verdict,
    /// The first key seen after this one (0: none yet), and the next key seen after this one's
    /// parent.
    first_child: u32,
    next_sibling: u32,
}

/// A key [`KeyMemo::expect`] found: its node and length as written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known {
    node: u32,
    len: usize,
    pub(crate) verdict: Verdict,
}

impl Known {
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Nodes kept at most; past that the tree starts again (a log of ever new shapes).
const MAX_NODES: usize = 1 << 14;
/// Keys remembered after any one key; a place with more is not remembered further.
const MAX_CHILDREN: usize = 16;

/// The memo, kept with the line buffers ([`LineFields`](crate::data::record::LineFields)) from
/// line to line.
#[derive(Debug, Default)]
pub(crate) struct KeyMemo {
    /// The `SourceKeys::id` whose verdicts these are; 0: none.
    owner: u64,
    raw: Vec<u8>,
    /// `nodes[0]` is the start of a line.
    nodes: Vec<Node>,
    /// The node of the line's last key (0 at its start).
    at: u32,
    /// This line's keys are still followed and written (not after a key with escapes).
    on: bool,
}

impl KeyMemo {
    /// Starts a line judged by the `SourceKeys` with this id.
    pub(crate) fn begin_line(&mut self, owner: u64) {
        if owner != self.owner || owner == 0 || self.nodes.len() >= MAX_NODES || self.nodes.is_empty() {
            self.nodes.clear();
            self.raw.clear();
            self.owner = owner;
            let root = Node {
                start: 0,
                len: 0,
                depth: 0,
                object: true,
                verdict: Verdict::Read,
                first_child: 0,
                next_sibling: 0,
            };
            self.nodes.push(root);
        }
        self.at = 0;
        self.on = true;
    }

    /// The remembered key equal to the line's key at `b[start..]` (after its opening quote): the
    /// same bytes, at the same `depth`, with the same kind of value, after the same keys.
    #[inline]
    pub(crate) fn expect(&self, b: &[u8], start: usize, depth: usize) -> Option<Known> {
        if !self.on {
            return None;
        }
        let rest = b.get(start..)?;
        let mut child = self.nodes[self.at as usize].first_child;
        for _ in 0..MAX_CHILDREN {
            if child == 0 {
                break;
            }
            let n = &self.nodes[child as usize];
            let len = n.len as usize;
            if n.depth as usize == depth
                && begins_with(rest, &self.raw, n.start as usize, len)
                && rest.get(len) == Some(&b'"')
                && value_is_object(rest, len + 1) == n.object
            {
                return Some(Known { node: child, len, verdict: n.verdict });
            }
            child = n.next_sibling;
        }
        None
    }

    /// The key [`KeyMemo::expect`] found is this line's key.
    #[inline]
    pub(crate) fn take(&mut self, k: Known) {
        self.at = k.node;
    }

    /// This line's key, written as `raw` (no escapes), not known at this place: remembered with
    /// its verdict.
    pub(crate) fn record(&mut self, raw: &[u8], depth: usize, object: bool, verdict: Verdict) {
        if !self.on {
            return;
        }
        let (Ok(start), Ok(len), Ok(depth), Ok(node)) = (
            u32::try_from(self.raw.len()),
            u32::try_from(raw.len()),
            u32::try_from(depth),
            u32::try_from(self.nodes.len()),
        ) else {
            self.stop();
            return;
        };
        // Appended after the parent's children: the first seen stay first.
        let parent = self.at as usize;
        let mut children = 0;
        let mut last = None;
        let mut child = self.nodes[parent].first_child;
        while child != 0 {
            children += 1;
            last = Some(child);
            child = self.nodes[child as usize].next_sibling;
        }
        if children >= MAX_CHILDREN {
            self.stop();
            return;
        }
        self.raw.extend_from_slice(raw);
        self.raw.extend_from_slice(&[0; SLACK]);
        self.nodes.push(Node { start, len, depth, object, verdict, first_child: 0, next_sibling: 0 });
        match last {
            Some(l) => self.nodes[l as usize].next_sibling = node,
            None => self.nodes[parent].first_child = node,
        }
        self.at = node;
    }

    /// A key with escapes (or one past the limits): nothing after it is followed or remembered
    /// for this line.
    pub(crate) fn stop(&mut self) {
        self.on = false;
    }
}

/// Whether the value after a key's closing quote (`rest[after..]`: whitespace, `:`, whitespace)
/// is an object.
#[inline]
fn value_is_object(rest: &[u8], after: usize) -> bool {
    let mut j = after;
    let ws = |c: u8| matches!(c, b' ' | b'\n' | b'\r' | b'\t');
    while rest.get(j).is_some_and(|&c| ws(c)) {
        j += 1;
    }
    if rest.get(j) != Some(&b':') {
        return false;
    }
    j += 1;
    while rest.get(j).is_some_and(|&c| ws(c)) {
        j += 1;
    }
    rest.get(j) == Some(&b'{')
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

    /// Follows `keys` (as written, depth, object) through the memo as a line would, recording what
    /// is not known with `verdict`; the verdicts found, None where recorded.
    fn line(m: &mut KeyMemo, keys: &[(&str, usize, bool)], verdict: Verdict) -> Vec<Option<Verdict>> {
        m.begin_line(7);
        keys.iter()
            .map(|&(k, depth, object)| {
                let text = format!("\"{k}\":{}", if object { "{}" } else { "1" });
                match m.expect(text.as_bytes(), 1, depth) {
                    Some(known) => {
                        assert_eq!(known.len(), k.len());
                        m.take(known);
                        Some(known.verdict)
                    }
                    None => {
                        m.record(k.as_bytes(), depth, object, verdict);
                        None
                    }
                }
            })
            .collect()
    }

    #[test]
    fn shapes_seen_before_are_known_however_they_alternate() {
        use Verdict::*;
        let mut m = KeyMemo::default();
        let flow = [("ts", 1, false), ("event_type", 1, false), ("flow", 1, true), ("pkts", 2, false)];
        let dns = [("ts", 1, false), ("event_type", 1, false), ("dns", 1, true), ("rrname", 2, false)];
        assert_eq!(line(&mut m, &flow, Skip), [None; 4]);
        assert_eq!(line(&mut m, &dns, Read), [Some(Skip), Some(Skip), None, None]);
        assert_eq!(line(&mut m, &flow, Read), [Some(Skip); 4]);
        assert_eq!(line(&mut m, &dns, Skip), [Some(Skip), Some(Skip), Some(Read), Some(Read)]);
        // The same key one level deeper, or with the other kind of value, is another key.
        let deeper = [("ts", 1, false), ("event_type", 2, false)];
        assert_eq!(line(&mut m, &deeper, Read), [Some(Skip), None]);
        let other_kind = [("ts", 1, true)];
        assert_eq!(line(&mut m, &other_kind, Read), [None]);
        // A key that only begins like a known one is not it.
        assert_eq!(line(&mut m, &[("tsx", 1, false)], Read), [None]);
        // Another judge forgets it all.
        m.begin_line(8);
        assert!(m.expect(br#""ts":1"#, 1, 1).is_none());
    }

    #[test]
    fn after_a_key_with_escapes_nothing_more_of_the_line_is_followed_or_remembered() {
        let mut m = KeyMemo::default();
        m.begin_line(1);
        m.record(b"a", 1, false, Verdict::Read);
        m.stop();
        assert!(m.expect(br#""a":1"#, 1, 1).is_none());
        m.record(b"c", 1, false, Verdict::Read);
        m.begin_line(1);
        let a = m.expect(br#""a":1"#, 1, 1).expect("a was remembered");
        m.take(a);
        assert!(m.expect(br#""c":2"#, 1, 1).is_none());
    }

    #[test]
    fn a_place_with_many_different_keys_is_not_remembered_past_the_limit() {
        let mut m = KeyMemo::default();
        for i in 0..MAX_CHILDREN + 4 {
            let k = format!("k{i}");
            assert_eq!(line(&mut m, &[(&k, 1, false)], Verdict::Read), [None]);
        }
        assert_eq!(line(&mut m, &[("k0", 1, false)], Verdict::Read), [Some(Verdict::Read)]);
        assert_eq!(line(&mut m, &[("k19", 1, false)], Verdict::Read), [None]);
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
}
