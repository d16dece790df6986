//! The JSON-lines flattener: one pass over the bytes of a line straight into [`LineFields`], with
//! no serde visitor per value. It accepts and rejects exactly what `serde_json` does (the
//! differential property test below holds it to that) and gives the same values:
//! - strings are unescaped (`\uXXXX` surrogate pairs joined; lone surrogates and raw control
//!   characters rejected);
//! - integers are `Int` when they fit, `-0` and integers past 64 bits are `Float`, as serde_json
//!   reads them; other numbers go through serde_json's own float parser, so every float is
//!   serde_json's value to the last bit;
//! - arrays (rare in logs) are handed whole to serde_json and kept as its compact text;
//! - nesting deeper than serde_json's limit (127 containers) is rejected.
use super::json_check::{plain_run_end, skip_checked};
use super::json_key_memo::{KeyMemo, Verdict};
use super::json_projection::SourceKeys;
use crate::data::record::{FieldValue, LineFields, Span};

/// serde_json's recursion limit: containers open at once.
const MAX_DEPTH: usize = 127;

/// Flattens the JSON object in `text` (already valid UTF-8, trimmed) into `out.source`, keys
/// dotted in source order. The error is the reason without the "invalid JSON: " prefix.
pub(crate) fn flatten_object(text: &str, out: &mut LineFields) -> Result<(), String> {
    flatten(text, out, None)
}

/// [`flatten_object`] storing only the keys `need` wants; every other value is only checked.
/// Err(()) when the line is not plainly valid to the checker (an error, a `\u` escape, a number
/// serde_json might refuse, deep nesting): [`flatten_object`] then reads it whole and gives the
/// exact value or reason. Ok means [`flatten_object`] accepts the line too, with the same values
/// at the wanted keys.
pub(crate) fn flatten_object_projected(
    text: &str,
    out: &mut LineFields,
    need: &SourceKeys,
) -> Result<(), ()> {
    flatten(text, out, Some(need)).map_err(|_| ())
}

fn flatten(text: &str, out: &mut LineFields, need: Option<&SourceKeys>) -> Result<(), String> {
    // The line is copied once; keys and values without escapes are spans of that copy.
    let line = out.add_text(text);
    let mut path = std::mem::take(&mut out.scratch);
    path.clear();
    let mut memo = std::mem::take(&mut out.key_memo);
    if let Some(need) = need {
        memo.begin_line(need.id);
    }
    let mut s = Scan { text, b: text.as_bytes(), i: 0, line, path, need, memo };
    let read = s.top_object(out);
    out.scratch = s.path;
    out.key_memo = s.memo;
    read
}

/// What a projected read does with the value of the dotted key `key`.
fn judge(need: &SourceKeys, key: &str, object: bool) -> Verdict {
    // An object is entered when it may hold a needed key, whatever its own key: asked first, as a
    // Windows event's objects are always entered, and judging their keys
    // (`Event.System.Provider.#attributes`) cost a stripped name each.
    if (object && need.wants_under(key)) || need.wants(key) {
        Verdict::Read
    } else if need.marks(key) {
        Verdict::SkipMarked
    } else {
        Verdict::Skip
    }
}

struct Scan<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// Where `text` sits in the line's text buffer.
    line: Span,
    /// The dotted key of the object being read ("" at the top).
    path: String,
    /// A projected read: only these keys' values are stored (see [`flatten_object_projected`]).
    need: Option<&'a SourceKeys>,
    /// A projected read's verdicts on the keys of the lines before.
    memo: KeyMemo,
}

impl Scan<'_> {
    fn top_object(&mut self, out: &mut LineFields) -> Result<(), String> {
        self.ws();
        if self.peek() != Some(b'{') {
            return Err(self.expected("a JSON object"));
        }
        self.object(1, out)?;
        self.ws();
        if self.i < self.b.len() {
            return Err(self.at("trailing characters"));
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Whitespace at `self.i`, read past. Log lines seldom have any between tokens: the first byte
    /// is usually all there is to look at.
    #[inline(always)]
    fn ws(&mut self) {
        if self.peek().is_none_or(|c| c > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn at(&self, what: &str) -> String {
        format!("{what} at column {}", self.i + 1)
    }

    fn expected(&self, what: &str) -> String {
        match self.peek() {
            None => format!("end of line while expecting {what}"),
            Some(_) => self.at(&format!("expected {what}")),
        }
    }

    /// The object at `self.i` (a `{`), its keys under `self.path`; `depth` counts it.
    fn object(&mut self, depth: usize, out: &mut LineFields) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(self.at("recursion limit exceeded"));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.expected("a key in double quotes"));
            }
            match self.need {
                Some(need) => self.projected_member(need, depth, out)?,
                None => {
                    let key = self.key(out)?;
                    self.colon()?;
                    self.value(key, depth, out)?;
                }
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.expected("',' or '}'")),
            }
        }
    }

    /// The `:` after a key, and the whitespace around it, read past.
    fn colon(&mut self) -> Result<(), String> {
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.expected("':' after the key"));
        }
        self.i += 1;
        self.ws();
        Ok(())
    }

    /// The member `"key": value` at `self.i` in a projected read: the value is stored (or the
    /// object entered) when `need` wants it, else only checked. A key that repeats an earlier
    /// line's key at this place takes that verdict without its dotted name being built.
    fn projected_member(
        &mut self,
        need: &SourceKeys,
        depth: usize,
        out: &mut LineFields,
    ) -> Result<(), String> {
        let start = self.i + 1;
        let remembered = self.memo.expect(self.b, start, depth);
        // The end of the key as written, when it has no escape.
        let plain_end = match remembered {
            Some(k) => Some(start + k.len()),
            None => {
                let end = plain_run_end(self.b, start);
                (self.b.get(end) == Some(&b'"')).then_some(end)
            }
        };
        let mut key = None;
        match plain_end {
            Some(end) => self.i = end + 1,
            None => key = Some(self.key(out)?),
        }
        self.colon()?;
        let object = self.peek() == Some(b'{');
        let verdict = match remembered {
            // It saw the same kind of value as `object` says.
            Some(k) => {
                self.memo.take(k);
                k.verdict
            }
            _ => {
                let span = match (key, plain_end) {
                    (Some(span), _) => span,
                    (None, end) => self.plain_key(start, end.unwrap_or(start), out),
                };
                key = Some(span);
                let verdict = judge(need, out.str(span), object);
                match plain_end {
                    Some(end) => self.memo.record(&self.b[start..end], depth, object, verdict),
                    None => self.memo.stop(),
                }
                verdict
            }
        };
        match verdict {
            Verdict::Read => {
                let key = match key {
                    Some(span) => span,
                    None => self.plain_key(start, plain_end.unwrap_or(start), out),
                };
                self.value(key, depth, out)
            }
            Verdict::Skip => self.skip_value(depth),
            Verdict::SkipMarked => {
                out.skipped_marked = true;
                self.skip_value(depth)
            }
        }
    }

    /// The dotted name of the key written without escapes at `start..end` of the line.
    fn plain_key(&self, start: usize, end: usize, out: &mut LineFields) -> Span {
        if self.path.is_empty() {
            return self.line.sub(start, end);
        }
        out.add_with(|t| {
            t.push_str(&self.path);
            t.push('.');
            t.push_str(&self.text[start..end]);
        })
    }

    /// The key at `self.i` written after `prefix` and a dot (no dot under an empty prefix).
    fn key(&mut self, out: &mut LineFields) -> Result<Span, String> {
        let path = std::mem::take(&mut self.path);
        if path.is_empty() {
            if let Some(span) = self.plain_string() {
                return Ok(span);
            }
        }
        let mut err = None;
        let span = out.add_with(|t| {
            if !path.is_empty() {
                t.push_str(&path);
                t.push('.');
            }
            err = self.string_into(t).err();
        });
        self.path = path;
        err.map_or(Ok(span), Err)
    }

    fn value(&mut self, key: Span, depth: usize, out: &mut LineFields) -> Result<(), String> {
        let v = match self.peek() {
            Some(b'"') => match self.plain_string() {
                Some(span) => FieldValue::Text(span),
                None => {
                    let mut err = None;
                    let span = out.add_with(|t| err = self.string_into(t).err());
                    if let Some(e) = err {
                        return Err(e);
                    }
                    FieldValue::Text(span)
                }
            },
            Some(b'{') => {
                // The object's keys hang under this key: its text is the path while inside. It
                // begins with the outer path, so cutting it back restores that.
                let outer = self.path.len();
                self.path.clear();
                self.path.push_str(out.str(key));
                let read = self.object(depth + 1, out);
                self.path.truncate(outer);
                return read;
            }
            Some(b'[') => {
                // Straight into the line's buffer when the compact form can be written as read;
                // a fifth of Suricata's alert lines hold arrays, seven on average.
                let mut end = None;
                match out.try_add_with(|t| {
                    end = self.compact_array(self.i, depth + 1, t);
                    end.is_some()
                }) {
                    Some(span) => {
                        self.i = end.unwrap_or(self.i);
                        FieldValue::Text(span)
                    }
                    None => {
                        let text = self.array_by_serde(depth + 1)?;
                        FieldValue::Text(out.add_text(&text))
                    }
                }
            }
            Some(b't') => self.literal("true").map(|_| FieldValue::Bool(true))?,
            Some(b'f') => self.literal("false").map(|_| FieldValue::Bool(false))?,
            Some(b'n') => self.literal("null").map(|_| FieldValue::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.expected("a value")),
        };
        out.source.push((key, v));
        Ok(())
    }

    /// `true`, `false` or `null` at `self.i`: the word, read past.
    fn literal(&mut self, word: &'static str) -> Result<&'static str, String> {
        // A word compare, not `starts_with`: its call into `memcmp` showed on Zeek lines, which
        // hold five of these each.
        let (w, b) = (word.as_bytes(), self.b);
        let head = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        if b.len() >= self.i + w.len()
            && head(&b[self.i..]) == head(w)
            && (w.len() == 4 || b[self.i + 4] == w[4])
        {
            self.i += word.len();
            Ok(word)
        } else {
            Err(self.expected(&format!("`{word}`")))
        }
    }

    /// The string at `self.i` (its opening quote) as a span of the line's copy, when it has no
    /// escape (most do); None leaves `self.i` for [`Scan::string_into`].
    fn plain_string(&mut self) -> Option<Span> {
        let start = self.i + 1;
        let end = plain_run_end(self.b, start);
        (self.b.get(end) == Some(&b'"')).then(|| {
            self.i = end + 1;
            self.line.sub(start, end)
        })
    }

    /// The string at `self.i` (its opening quote), unescaped onto `t`.
    fn string_into(&mut self, t: &mut String) -> Result<(), String> {
        self.i += 1;
        loop {
            let start = self.i;
            let j = plain_run_end(self.b, start);
            match self.b.get(j) {
                None => {
                    self.i = j;
                    return Err("end of line inside a string".into());
                }
                Some(c) if *c < 0x20 => {
                    self.i = j;
                    return Err(self.at("control character inside a string"));
                }
                _ => {}
            }
            // Quotes and backslashes are ASCII: both ends are character boundaries.
            t.push_str(&self.text[start..j]);
            self.i = j + 1;
            if self.b[j] == b'"' {
                return Ok(());
            }
            match self.peek() {
                Some(b'"') => t.push('"'),
                Some(b'\\') => t.push('\\'),
                Some(b'/') => t.push('/'),
                Some(b'b') => t.push('\u{8}'),
                Some(b'f') => t.push('\u{c}'),
                Some(b'n') => t.push('\n'),
                Some(b'r') => t.push('\r'),
                Some(b't') => t.push('\t'),
                Some(b'u') => {
                    self.i += 1;
                    let c = self.unicode_escape()?;
                    t.push(c);
                    continue;
                }
                _ => return Err(self.at("invalid escape")),
            }
            self.i += 1;
        }
    }

    /// The code point of `XXXX` (after `\u`), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = match first {
            0xDC00..=0xDFFF => return Err(self.at("lone trailing surrogate in a \\u escape")),
            0xD800..=0xDBFF => {
                if !self.b[self.i..].starts_with(b"\\u") {
                    return Err(self.at("lone leading surrogate in a \\u escape"));
                }
                self.i += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.at("lone leading surrogate in a \\u escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            c => c,
        };
        char::from_u32(code).ok_or_else(|| self.at("invalid \\u escape"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.b.get(self.i..self.i + 4).ok_or_else(|| self.at("end of line in a \\u escape"))?;
        let mut v = 0;
        for &d in digits {
            let x = (d as char).to_digit(16).ok_or_else(|| self.at("invalid \\u escape"))?;
            v = v * 16 + x;
        }
        self.i += 4;
        Ok(v)
    }

    /// A number in JSON's grammar, read as serde_json reads it.
    fn number(&mut self) -> Result<FieldValue, String> {
        if let Some(v) = self.short_integer() {
            return Ok(v);
        }
        let start = self.i;
        let digits = |s: &mut Self| {
            let from = s.i;
            while let Some(b'0'..=b'9') = s.peek() {
                s.i += 1;
            }
            s.i > from
        };
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.at("invalid number")),
        }
        let mut integer = true;
        let whole_digits = self.i - start - negative as usize;
        let mut fraction_digits = 0;
        if self.peek() == Some(b'.') {
            self.i += 1;
            integer = false;
            let from = self.i;
            if !digits(self) {
                return Err(self.at("invalid number"));
            }
            fraction_digits = self.i - from;
        }
        let mut exponent: i64 = 0;
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            integer = false;
            let minus = self.peek() == Some(b'-');
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            let from = self.i;
            if !digits(self) {
                return Err(self.at("invalid number"));
            }
            exponent = self.text[from..self.i].parse::<i64>().unwrap_or(i64::MAX);
            if minus {
                exponent = exponent.saturating_neg();
            }
        }
        let text = &self.text[start..self.i];
        if integer {
            // serde_json: `-0` is the float -0.0; an integer past u64 (or below i64) a float.
            if negative {
                match text.parse::<i64>() {
                    Ok(0) => return Ok(FieldValue::Float(-0.0)),
                    Ok(v) => return Ok(FieldValue::Int(v)),
                    Err(_) => {}
                }
            } else if let Ok(v) = text.parse::<u64>() {
                // Past i64 (64-bit hashes, ids): a float rather than a failure, as before.
                return Ok(i64::try_from(v).map_or(FieldValue::Float(v as f64), FieldValue::Int));
            }
        }
        // serde_json multiplies or divides the digits by a power of ten. With at most 15 digits and
        // a power up to 10^22 both are exact, so that one rounding is the correctly rounded value,
        // which Rust's parser gives too; serde_json reads every other float itself.
        let power = exponent.saturating_sub(fraction_digits as i64);
        if whole_digits + fraction_digits <= 15 && (-22..=22).contains(&power) {
            if let Ok(f) = text.parse::<f64>() {
                return Ok(FieldValue::Float(f));
            }
        }
        serde_json::from_str::<f64>(text).map(FieldValue::Float).map_err(|e| self.at(&format!("{e}")))
    }

    /// A plain integer of at most 18 digits (ports, counts, sizes: most numbers in logs), its
    /// value summed as its digits are read instead of parsed again from the text; None leaves
    /// `self.i` for the general reader (fractions, exponents, leading zeros, long integers).
    fn short_integer(&mut self) -> Option<FieldValue> {
        let negative = self.b.get(self.i) == Some(&b'-');
        let first = self.i + negative as usize;
        let mut j = first;
        let mut v: u64 = 0;
        while let Some(&c @ b'0'..=b'9') = self.b.get(j) {
            v = v.wrapping_mul(10).wrapping_add((c - b'0') as u64);
            j += 1;
        }
        let n = j - first;
        if n == 0
            || n > 18
            || (n > 1 && self.b[first] == b'0')
            || matches!(self.b.get(j), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        self.i = j;
        // 18 digits fit i64; serde_json reads `-0` as the float -0.0.
        Some(match (negative, v) {
            (true, 0) => FieldValue::Float(-0.0),
            (true, v) => FieldValue::Int(-(v as i64)),
            (false, v) => FieldValue::Int(v as i64),
        })
    }

    /// Writes the array at `at` as serde_json writes it back, when it holds only strings, numbers,
    /// literals and arrays of those (Zeek's answers and TTLs); returns where it ends. None for
    /// anything else, which [`Scan::array_by_serde`] reads whole: objects (serde_json sorts their
    /// keys), errors, nesting at the limit.
    fn compact_array(&self, at: usize, depth: usize, out: &mut String) -> Option<usize> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let mut s = Scan {
            text: self.text,
            b: self.b,
            i: at + 1,
            line: self.line,
            path: String::new(),
            need: None,
            memo: KeyMemo::default(),
        };
        out.push('[');
        s.ws();
        if s.peek() == Some(b']') {
            out.push(']');
            return Some(s.i + 1);
        }
        let mut decoded = String::new();
        loop {
            s.ws();
            match s.peek()? {
                b'"' => {
                    let end = plain_run_end(s.b, s.i + 1);
                    if s.b.get(end) == Some(&b'"') {
                        // No escape and no control character: serde_json writes it back as it is.
                        out.push_str(&s.text[s.i..=end]);
                        s.i = end + 1;
                    } else {
                        decoded.clear();
                        s.string_into(&mut decoded).ok()?;
                        if decoded.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\') {
                            out.push_str(&serde_json::to_string(&decoded).ok()?);
                        } else {
                            out.push('"');
                            out.push_str(&decoded);
                            out.push('"');
                        }
                    }
                }
                b'[' => s.i = s.compact_array(s.i, depth + 1, out)?,
                b't' => out.push_str(s.literal("true").ok()?),
                b'f' => out.push_str(s.literal("false").ok()?),
                b'n' => out.push_str(s.literal("null").ok()?),
                b'-' | b'0'..=b'9' => {
                    let from = s.i;
                    let v = s.number().ok()?;
                    let text = &s.text[from..s.i];
                    // serde_json's Value keeps any integer that fits u64 or i64 exactly, -0 as -0.0.
                    let exact = text.parse::<u64>().is_ok() || text.parse::<i64>().is_ok_and(|i| i != 0);
                    match v {
                        _ if exact => out.push_str(text),
                        FieldValue::Int(i) => out.push_str(&i.to_string()),
                        FieldValue::Float(f) => out.push_str(&serde_json::to_string(&f).ok()?),
                        _ => return None,
                    }
                }
                _ => return None,
            }
            s.ws();
            match s.peek()? {
                b',' => {
                    s.i += 1;
                    out.push(',');
                }
                b']' => {
                    out.push(']');
                    return Some(s.i + 1);
                }
                _ => return None,
            }
        }
    }

    /// Checks the value at `self.i` and reads past it, storing nothing. An error means only that
    /// the checker does not vouch for the line (see [`flatten_object_projected`]): it accepts a
    /// plain subset of JSON that serde_json reads without fail.
    fn skip_value(&mut self, depth: usize) -> Result<(), String> {
        match skip_checked(self.b, self.i, depth) {
            Some(end) => {
                self.i = end;
                Ok(())
            }
            None => Err("not checked".into()),
        }
    }

    /// [`Scan::array`] by serde_json: the array parsed whole into a `Value` and written back.
    fn array_by_serde(&mut self, depth: usize) -> Result<String, String> {
        let start = self.i;
        let mut open = 0usize;
        let mut deepest = 0usize;
        loop {
            let Some(c) = self.peek() else {
                return Err("end of line inside an array".into());
            };
            match c {
                b'[' | b'{' => {
                    open += 1;
                    deepest = deepest.max(open);
                }
                b']' | b'}' => {
                    open = open.saturating_sub(1);
                    if open == 0 {
                        self.i += 1;
                        break;
                    }
                }
                b'"' => {
                    // Skip the string (escaped quotes included); its content is checked below.
                    self.i += 1;
                    while let Some(c) = self.peek() {
                        self.i += 1;
                        match c {
                            b'\\' => self.i += 1,
                            b'"' => break,
                            _ => {}
                        }
                    }
                    continue;
                }
                _ => {}
            }
            self.i += 1;
        }
        if depth - 1 + deepest > MAX_DEPTH {
            return Err(self.at("recursion limit exceeded"));
        }
        let slice = self.text.get(start..self.i).ok_or_else(|| self.at("invalid array"))?;
        let items: serde_json::Value =
            serde_json::from_str(slice).map_err(|e| format!("in an array: {e}"))?;
        Ok(serde_json::to_string(&items).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::jsonl::serde_oracle;
    use crate::data::record::Value;
    use proptest::prelude::*;

    type Flat = Vec<(String, Value)>;

    fn run(f: fn(&str, &mut LineFields) -> Result<(), String>, text: &str) -> Result<Flat, String> {
        let mut out = LineFields::default();
        f(text, &mut out)?;
        Ok(out.source.iter().map(|&(k, v)| (out.str(k).to_owned(), out.value(v).to_owned_value())).collect())
    }

    /// Same acceptance and, when accepted, the same keys and values (floats to the bit).
    fn same_as_serde(text: &str) -> Result<(), TestCaseError> {
        let (ours, theirs) = (run(flatten_object, text), run(serde_oracle::flatten, text));
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.len(), b.len(), "{}", text);
                for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                    prop_assert_eq!(ka, kb, "{}", text);
                    let same = match (va, vb) {
                        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
                        _ => va == vb,
                    };
                    prop_assert!(same, "{}: {:?} vs serde {:?}", text, va, vb);
                }
            }
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{}: ours {:?}, serde {:?}", text, ours, theirs),
        }
        Ok(())
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| format!("{f:e}")),
            any::<f64>().prop_map(|f| f.to_string()),
            proptest::string::string_regex("-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?")
                .expect("regex"),
            Just("-0".to_string()),
            Just("-0.0".to_string()),
            Just("18446744073709551616".to_string()),
            Just("-9223372036854775809".to_string()),
            Just("1e400".to_string()),
            Just("01".to_string()),
            Just("1.".to_string()),
            Just("-".to_string()),
        ]
    }

    fn string() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z0-9 ._/:-]{0,6}",
            Just("\\\"".to_string()),
            Just("\\\\".to_string()),
            Just("\\/\\b\\f\\n\\r\\t".to_string()),
            Just("\\u00e9\\u0041".to_string()),
            Just("\\ud83d\\ude00".to_string()),
            Just("\\ud83d".to_string()),
            Just("\\ude00".to_string()),
            Just("\\ud83d\\u0041".to_string()),
            Just("\\uZZZZ".to_string()),
            Just("\\x".to_string()),
            Just("é漢😀".to_string()),
            Just("\u{1}".to_string()),
            Just("\u{7f}".to_string()),
        ];
        proptest::collection::vec(piece, 0..4).prop_map(|p| format!("\"{}\"", p.concat()))
    }

    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            number(),
            string(),
            Just("true".to_string()),
            Just("false".to_string()),
            Just("null".to_string()),
            Just("tru".to_string()),
        ];
        leaf.prop_recursive(5, 40, 5, |inner| {
            let ws = prop_oneof![Just(""), Just(" "), Just("\t\r\n ")];
            prop_oneof![
                (proptest::collection::vec((string(), inner.clone()), 0..5), ws.clone()).prop_map(
                    |(kv, w)| {
                        let body: Vec<String> =
                            kv.iter().map(|(k, v)| format!("{w}{k}{w}:{w}{v}{w}")).collect();
                        format!("{{{}}}", body.join(","))
                    }
                ),
                (proptest::collection::vec(inner, 0..4), ws)
                    .prop_map(|(vs, w)| format!("[{w}{}{w}]", vs.join(","))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn accepts_rejects_and_reads_as_serde_json(
            kv in proptest::collection::vec((string(), value()), 0..6),
            trailing in prop_oneof![Just(""), Just(" "), Just(","), Just("}"), Just(" x")],
        ) {
            let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            same_as_serde(&format!("{{{}}}{trailing}", body.join(",")))?;
        }

        #[test]
        fn mutated_lines_are_judged_as_serde_json_judges_them(
            kv in proptest::collection::vec((string(), value()), 1..5),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..4),
        ) {
            let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            same_as_serde(&mutated(format!("{{{}}}", body.join(",")), &edits))?;
        }
    }

    /// `text` with each edit made: a byte replaced (0), inserted (1), or the rest cut off.
    fn mutated(text: String, edits: &[(prop::sample::Index, u8, u8)]) -> String {
        let mut bytes = text.into_bytes();
        for (at, byte, how) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = *byte,
                1 => bytes.insert(i, *byte),
                _ => bytes.truncate(i),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Around the bound where floats are read by Rust's parser instead of serde_json's.
        #[test]
        fn floats_near_the_fast_path_bound_read_as_serde_json_reads_them(
            digits in 1..20u32,
            seed in any::<u64>(),
            point in 0..20usize,
            power in -30..30i32,
        ) {
            let sig = (seed % 10u64.pow(digits.min(19))).to_string();
            let cut = point.min(sig.len());
            let (whole, fraction) = sig.split_at(cut.max(1));
            let text = format!("{{\"a\":{whole}.{fraction}0e{power},\"b\":0.{sig},\"c\":{sig}e{power}}}");
            same_as_serde(&text)?;
        }
    }

    /// Keys from a small pool, so that a projection names some of them.
    fn pooled_key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"a\"".to_string()),
            Just("\"b\"".to_string()),
            Just("\"A\"".to_string()),
            Just("\"a.b\"".to_string()),
            Just("\"\\u0061\"".to_string()),
            string(),
        ]
    }

    fn pooled_value() -> impl Strategy<Value = String> {
        value().prop_recursive(3, 30, 4, |inner| {
            proptest::collection::vec((pooled_key(), inner), 0..4).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", body.join(","))
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        /// A projected read that vouches for a line stores exactly the wanted keys of the whole
        /// read, with the same values; the whole read accepts the line too.
        #[test]
        fn projected_reads_store_the_wanted_keys_of_the_whole_read(
            kv in proptest::collection::vec((pooled_key(), pooled_value()), 0..6),
            wanted in proptest::sample::subsequence(vec!["a", "b", "a.b", "a.a", "b.a", "a.b.a"], 0..4),
            whole_under in proptest::sample::subsequence(vec!["b", "a.a"], 0..2),
        ) {
            let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            let text = format!("{{{}}}", body.join(","));
            let need = SourceKeys::new(wanted.iter().copied(), &[], &[], &whole_under);
            projected_agrees_with_the_whole_read(&text, &need)?;
        }
    }

    /// A projected read that vouches for `text` stores exactly the wanted keys of the whole read,
    /// with the same values; the whole read accepts the line too.
    fn projected_agrees_with_the_whole_read(text: &str, need: &SourceKeys) -> Result<(), TestCaseError> {
        let mut projected = LineFields::default();
        if flatten_object_projected(text, &mut projected, need).is_ok() {
            let whole = run(flatten_object, text);
            prop_assert!(whole.is_ok(), "{}: projected accepted, whole read {:?}", text, whole);
            let expect: Flat = whole.unwrap_or_default().into_iter().filter(|(k, _)| need.wants(k)).collect();
            let got: Flat = projected
                .source
                .iter()
                .map(|&(k, v)| (projected.str(k).to_owned(), projected.value(v).to_owned_value()))
                .collect();
            prop_assert_eq!(format!("{got:?}"), format!("{expect:?}"), "{}", text);
        }
        Ok(())
    }

    /// Values the checker vouches for (no `\u` escape, no exponent), so that a broken byte is
    /// what decides.
    fn plain_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?",
            "\"[a-z .]{0,5}\"",
            Just("true".to_string()),
            Just("null".to_string()),
        ];
        leaf.prop_recursive(4, 30, 4, |inner| {
            prop_oneof![
                proptest::collection::vec((pooled_key(), inner.clone()), 0..4).prop_map(|kv| {
                    let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", body.join(","))
                }),
                proptest::collection::vec(inner, 0..4).prop_map(|vs| format!("[{}]", vs.join(","))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Broken lines, mostly broken inside values a projection skips: a projected read never
        /// vouches for a line the whole read rejects, and what it stores is the whole read's.
        #[test]
        fn projected_reads_vouch_only_for_lines_serde_json_accepts(
            kv in proptest::collection::vec((pooled_key(), plain_value()), 1..5),
            edits in proptest::collection::vec(
                (
                    any::<prop::sample::Index>(),
                    prop_oneof![3 => proptest::sample::select(b"{}[],:\"\\ 0.-e".to_vec()), 1 => any::<u8>()],
                    0..3u8,
                ),
                1..3,
            ),
            wanted in proptest::sample::subsequence(vec!["a", "b", "a.b"], 0..2),
        ) {
            let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            let text = mutated(format!("{{{}}}", body.join(",")), &edits);
            let need = SourceKeys::new(wanted.iter().copied(), &[], &[], &[]);
            projected_agrees_with_the_whole_read(&text, &need)?;
        }
    }

    /// Lines broken inside a value the projection skips: each is rejected by serde_json, so the
    /// projected read must not vouch for it. Valid ones beside them must be vouched for.
    #[test]
    fn skipped_values_are_checked_as_serde_json_checks_them() {
        let broken = [
            r#"{"x":[1}}"#,
            r#"{"x":{"y":1]}"#,
            r#"{"x":[1,]}"#,
            r#"{"x":{"y":1,}}"#,
            r#"{"x":{"y" 1}}"#,
            r#"{"x":{1:2}}"#,
            r#"{"x":{"y":}}"#,
            r#"{"x":[tru]}"#,
            r#"{"x":nul}"#,
            r#"{"x":"a\q"}"#,
            "{\"x\":\"a\u{1}\"}",
            r#"{"x":01}"#,
            r#"{"x":1.}"#,
            r#"{"x":-}"#,
            r#"{"x":[}"#,
            r#"{"x":[1 2]}"#,
            r#"{"x":{"y":1 "z":2}}"#,
            r#"{"x":,"a":1}"#,
            r#"{"x":[[]]]}"#,
            r#"{"x":{"y":[1,{"z":[}]}]},"a":1}"#,
        ];
        let valid = [
            r#"{"x":[1,{"y":[true,null,false,"s\"t"]},[]],"a":1}"#,
            r#"{"x": { "y" : [ 1 , -2.5 ] , "z" : {} } ,"a":1}"#,
        ];
        let need = SourceKeys::new(["a"], &[], &[], &[]);
        for text in broken {
            assert!(run(flatten_object, text).is_err(), "serde_json accepts {text}");
            let mut out = LineFields::default();
            assert!(flatten_object_projected(text, &mut out, &need).is_err(), "vouched for {text}");
        }
        for text in valid {
            let mut out = LineFields::default();
            assert!(flatten_object_projected(text, &mut out, &need).is_ok(), "not vouched for {text}");
        }
    }

    #[test]
    fn nesting_limit_and_edges_match_serde_json() {
        for depth in 120..132 {
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            let arrays = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            let mixed = format!(
                "{}{}1{}{}",
                "{\"a\":".repeat(depth / 2),
                "[".repeat(depth / 2),
                "]".repeat(depth / 2),
                "}".repeat(depth / 2)
            );
            for text in [objects, arrays, mixed] {
                same_as_serde(&text).unwrap();
            }
        }
        for text in [
            "{}",
            "[1]",
            "\"s\"",
            "{\"a\":1}}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{,}",
            "{\"a\":[1,{\"z\":2,\"b\":[]}],\"\":{\"\":{\"q\":1}}}",
            "{\"a\":-0,\"b\":1E5,\"c\":0.1e-2,\"d\":18446744073709551615,\"e\":-9223372036854775808}",
            "{\"a\":\"\\ud83d\\ude00\",\"b\":\"\\u0000\"}",
            "{\"a\":[\"]\",\"\\\"]\"]}",
            "{\"a\":[1,,2]}",
            "{\"a\":[-0,0,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809]}",
            "{\"a\":[1.0,1e2,-0.0,0.1e-2,[\"x\\u0001\",\"\\\"\",\"\\/\",\"é\"],[[]],true,null]}",
            "{\"a\":[1}",
        ] {
            same_as_serde(text).unwrap();
        }
    }
}
