//! Generic timestamped text: the last fallback for any log a person can read. A line that starts
//! (after an optional `<PRI>`, `[` or one host/file token) with a timestamp in a common shape
//! becomes a record with `time`, `level` (when a level word follows), `pid` / `app_name` /
//! `logger` / `thread` when found, and `msg`. Lines without a timestamp (stack traces, wrapped
//! text) continue the previous record's message.
//!
//! This file only recognises WHERE a timestamp is and which shape it has; the conversion to
//! microseconds is `crate::data::timeparse`.
use crate::data::record::{
    month_from_abbrev, Continuation, LineParser, LineResult, ParseContext, Record, Value,
};
use crate::data::timeparse;

/// Timestamp shapes, in the order detection tries them (more specific first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `2015-07-29 17:41:44,747`, `2021-09-15T21:17:10.5Z`, `2012/07/02 10:22:40 +0200`
    Iso,
    /// `20171223.221529`, `20171223-22:15:29:606` (no separators in the date)
    Compact,
    /// `17/06/09 20:10:40` (two-digit year first, Spark / log4j `yy/MM/dd`)
    ShortYear,
    /// `081109 203615` (HDFS `yyMMdd HHmmss`)
    ShortCompact,
    /// `17/May/2015:10:05:03 +0000` (Apache / NCSA)
    Apache,
    /// `17-Oct-2021 10:00:00.123` (BIND, Tomcat)
    DayMonYear,
    /// `Sun Dec 04 04:47:44 2005` (ctime, Apache error log)
    Ctime,
    /// `Jun 14 15:16:01` or `Jun 14 2021 15:16:01` (syslog; the year is assumed when absent)
    Syslog,
    /// `03-17 16:13:38.811` (Android logcat; year assumed)
    MonthDay,
    /// `1117838570` or `1117838570.123` epoch seconds, `1117838570123` epoch milliseconds
    Epoch,
    /// `I0915 21:17:10.123456    1 main.go:12] msg` (Kubernetes klog / glog: level letter, month
    /// and day; year assumed)
    Klog,
}

impl Shape {
    pub const ALL: [Shape; 11] = [
        Shape::Iso,
        Shape::Compact,
        Shape::ShortYear,
        Shape::ShortCompact,
        Shape::Apache,
        Shape::DayMonYear,
        Shape::Ctime,
        Shape::Syslog,
        Shape::MonthDay,
        Shape::Epoch,
        Shape::Klog,
    ];
}

/// A timestamp found at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub time_us: i64,
    /// Bytes of the line the timestamp (and its zone) takes.
    pub len: usize,
    pub shape: Shape,
    /// The year was not in the line (syslog, logcat).
    pub year_assumed: bool,
}

/// Parser for generic timestamped text. `shape: None` accepts any shape on every line (a forced
/// `--format generic-text` on a file whose head did not show one); detection fixes the shape so a
/// continuation line that happens to start with digits is not taken for a record.
#[derive(Debug, Clone, Copy)]
pub struct GenericTextParser {
    pub shape: Option<Shape>,
    /// One token (host name, file name) precedes the timestamp.
    pub host_token: bool,
}

impl GenericTextParser {
    pub fn any() -> Self {
        Self { shape: None, host_token: false }
    }
}

/// The best generic-text parser for the sniffed lines: one timestamp shape must start most of the
/// lines that are not indented (indented lines are continuations), and at least one line.
pub fn detect(lines: &[&[u8]]) -> Option<GenericTextParser> {
    let candidates = lines.iter().filter(|l| l.first().is_some_and(|b| !b.is_ascii_whitespace())).count();
    if candidates == 0 {
        return None;
    }
    let ctx = ParseContext::default();
    for host_token in [false, true] {
        let mut counts = [0usize; Shape::ALL.len()];
        for l in lines {
            let text = String::from_utf8_lossy(l);
            if let Some((f, _)) = locate(&text, None, host_token, &ctx) {
                counts[Shape::ALL.iter().position(|s| *s == f.shape).unwrap_or(0)] += 1;
            }
        }
        let (best, n) = counts.iter().enumerate().max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)))?;
        // 60% of the unindented lines: a Java log with long "Caused by:" chains still qualifies.
        if *n > 0 && n * 10 >= candidates * 6 {
            return Some(GenericTextParser { shape: Some(Shape::ALL[best]), host_token });
        }
    }
    None
}

/// Whether a line starts with a timestamp of any shape (used by CSV detection: such a first line
/// is a log line, not a header).
pub fn starts_with_timestamp(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    locate(&text, None, false, &ParseContext::default()).is_some()
}

/// A value that is a whole timestamp of any shape (logfmt's `ts=`), as µs since the epoch.
pub fn timestamp_value(s: &str, ctx: &ParseContext) -> Option<i64> {
    let s = s.trim();
    Shape::ALL.iter().find_map(|sh| at(s, *sh, ctx).filter(|f| f.len == s.len())).map(|f| f.time_us)
}

impl LineParser for GenericTextParser {
    fn name(&self) -> &'static str {
        "generic-text"
    }

    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some((found, start)) = locate(text, self.shape, self.host_token, ctx) else {
            return Err(match self.shape {
                Some(s) => format!("no timestamp of the file's shape ({s:?}) at the start of the line"),
                None => "no timestamp at the start of the line".into(),
            });
        };
        let mut rec = Record::new();
        rec.push("time", Value::TimeUs(found.time_us));
        if found.shape == Shape::Klog {
            let level = match text.as_bytes()[start.time_at] {
                b'I' => "info",
                b'W' => "warn",
                b'E' => "error",
                _ => "fatal",
            };
            rec.push_str("level", level);
        }
        if found.year_assumed {
            rec.push("year_assumed", Value::Bool(true));
        }
        push_prefix(&mut rec, &text[..start.prefix_end]);
        let mut rest = &text[start.time_at + found.len..];
        if start.bracketed {
            rest = rest.trim_start().strip_prefix(']').unwrap_or(rest);
        }
        push_rest(&mut rec, rest, found.shape == Shape::Syslog);
        Ok(Some(rec))
    }

    fn spans_lines(&self) -> bool {
        true
    }

    fn continuation(&self, line: &[u8]) -> Option<Continuation> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        Some(Continuation { stream: None, text: text.to_string() })
    }
}

/// Where the timestamp starts and what comes before it.
struct Start {
    /// End of the `<PRI>` / host part before the timestamp.
    prefix_end: usize,
    time_at: usize,
    bracketed: bool,
}

/// Finds the timestamp at the start of `text`: after an optional `<PRI>`, an optional `[`, and
/// (with `host_token`) one token.
fn locate(text: &str, shape: Option<Shape>, host_token: bool, ctx: &ParseContext) -> Option<(Found, Start)> {
    let b = text.as_bytes();
    if b.first().is_none_or(|c| c.is_ascii_whitespace()) {
        return None;
    }
    let mut i = 0;
    if b[0] == b'<' {
        let close = b.iter().take(6).position(|c| *c == b'>')?;
        if close < 2 || !b[1..close].iter().all(u8::is_ascii_digit) {
            return None;
        }
        i = close + 1;
    }
    if host_token {
        let end = i + b[i..].iter().position(|c| *c == b' ')?;
        if end == i {
            return None;
        }
        i = end;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    let prefix_end = i;
    let bracketed = b.get(i) == Some(&b'[');
    if bracketed {
        i += 1;
    }
    let s = &text[i..];
    let found = match shape {
        Some(sh) => at(s, sh, ctx)?,
        None => Shape::ALL.iter().find_map(|sh| at(s, *sh, ctx))?,
    };
    Some((found, Start { prefix_end, time_at: i, bracketed }))
}

/// Exactly `n` ASCII digits at `b[i..]`.
fn digits(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let d = b.get(i..i + n)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0u32, |v, c| v * 10 + u32::from(c - b'0')))
}

/// Digits of a number that is not part of a longer run: the byte after must not be a digit.
fn ends_number(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|c| !c.is_ascii_digit())
}

/// `HH:MM:SS` at `i` (or `HHMMSS` when `compact`), then an optional fraction after `.` or `,`
/// Returns (h, m, s, µs, end).
fn hms(b: &[u8], i: usize, compact: bool) -> Option<(u32, u32, u32, u32, usize)> {
    let (h, m, s, mut j) = if compact {
        (digits(b, i, 2)?, digits(b, i + 2, 2)?, digits(b, i + 4, 2)?, i + 6)
    } else {
        if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') {
            return None;
        }
        (digits(b, i, 2)?, digits(b, i + 3, 2)?, digits(b, i + 6, 2)?, i + 8)
    };
    let mut micros = 0u32;
    let frac_sep = matches!(b.get(j), Some(b'.' | b','));
    if frac_sep && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        j += 1;
        let mut n = 0;
        while let Some(c) = b.get(j).filter(|c| c.is_ascii_digit()) {
            if n < 6 {
                micros = micros * 10 + u32::from(c - b'0');
            }
            n += 1;
            j += 1;
        }
        if n > 9 {
            return None;
        }
        for _ in n..6 {
            micros *= 10;
        }
    }
    if !ends_number(b, j) {
        return None;
    }
    Some((h, m, s, micros, j))
}

/// HealthApp's `22:15:2:95`: hour, minute and second of one or two digits, then `:` and the
/// milliseconds as an unpadded number (`:95` is 95 ms, as Java's getMilliseconds prints it).
fn hms_unpadded(b: &[u8], i: usize) -> Option<(u32, u32, u32, u32, usize)> {
    let mut parts = [0u32; 4];
    let mut j = i;
    let mut n = 0;
    while n < 4 {
        let len = b[j.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 || len > if n == 3 { 3 } else { 2 } {
            return None;
        }
        parts[n] = digits(b, j, len)?;
        j += len;
        n += 1;
        if b.get(j) != Some(&b':') || !b.get(j + 1).is_some_and(u8::is_ascii_digit) {
            break;
        }
        j += 1;
    }
    if n < 3 || !ends_number(b, j) {
        return None;
    }
    Some((parts[0], parts[1], parts[2], parts[3] * 1000, j))
}

/// A zone right after the time: `Z`, `+02:00`, `+0200`, `-07`, or ` UTC` / ` GMT` / ` +0000`
/// after one space (`spaced`). Returns (offset, end); no zone gives the context's default.
fn zone(b: &[u8], i: usize, spaced: bool, ctx: &ParseContext) -> Option<(i32, usize)> {
    let default = ctx.default_tz_offset_secs;
    let try_at = |k: usize| -> Option<(i32, usize)> {
        match b.get(k)? {
            b'Z' if b.get(k + 1).is_none_or(|c| !c.is_ascii_alphanumeric()) => Some((0, k + 1)),
            b'+' | b'-' => {
                let mut e = k + 1;
                while e < b.len() && e - k <= 6 && (b[e].is_ascii_digit() || b[e] == b':') {
                    e += 1;
                }
                if b.get(e).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                let off = timeparse::parse_zone(&b[k..e], default)?;
                Some((off, e))
            }
            b'U' | b'G' => {
                let w = b.get(k..k + 3)?;
                ((w == b"UTC" || w == b"GMT") && b.get(k + 3).is_none_or(|c| !c.is_ascii_alphanumeric()))
                    .then_some((0, k + 3))
            }
            _ => None,
        }
    };
    if let Some(z) = try_at(i) {
        return Some(z);
    }
    if spaced && b.get(i) == Some(&b' ') {
        if let Some(z) = try_at(i + 1) {
            return Some(z);
        }
    }
    Some((default, i))
}

/// Month from an English abbreviation at `b[i..i + 3]`.
fn month_at(b: &[u8], i: usize) -> Option<u32> {
    let w = std::str::from_utf8(b.get(i..i + 3)?).ok()?;
    if !w.bytes().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    month_from_abbrev(w)
}

/// Day of month, one or two digits (syslog pads with a space: `Jun  4`).
fn day_at(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    if b.get(j) == Some(&b' ') {
        j += 1;
    }
    let d = digits(b, j, 2).map(|d| (d, j + 2)).or_else(|| digits(b, j, 1).map(|d| (d, j + 1)))?;
    ends_number(b, d.1).then_some(d)
}

/// The year the context assumes, moved back a year when the date would lie after the file's
/// modification time (a log written in January holds December's lines).
fn assumed_year(
    mo: u32,
    d: u32,
    (h, mi, s, us): (u32, u32, u32, u32),
    off: i32,
    ctx: &ParseContext,
) -> Option<i64> {
    let year = i64::from(ctx.default_year);
    let t = civil(year, mo, d, h, mi, s, us, off)?;
    match ctx.latest_us {
        Some(latest) if t > latest.saturating_add(86_400_000_000) => {
            civil(year - 1, mo, d, h, mi, s, us, off)
        }
        _ => Some(t),
    }
}

/// The timestamp of `shape` at the start of `s`.
fn at(s: &str, shape: Shape, ctx: &ParseContext) -> Option<Found> {
    let b = s.as_bytes();
    let done = |time_us: i64, len: usize, year_assumed: bool| Found { time_us, len, shape, year_assumed };
    match shape {
        Shape::Iso => {
            let y = digits(b, 0, 4)?;
            let sep = *b.get(4)?;
            if !matches!(sep, b'-' | b'/' | b'.') || b.get(7) != Some(&sep) {
                return None;
            }
            let (mo, d) = (digits(b, 5, 2)?, digits(b, 8, 2)?);
            if !matches!(b.get(10), Some(b' ' | b'T' | b't' | b'_')) {
                return None;
            }
            let (h, mi, sec, us, j) = hms(b, 11, false)?;
            let (off, end) = zone(b, j, false, ctx)?;
            let t = civil(i64::from(y), mo, d, h, mi, sec, us, off)?;
            Some(done(t, end, false))
        }
        Shape::Compact => {
            let y = digits(b, 0, 4)?;
            let (mo, d) = (digits(b, 4, 2)?, digits(b, 6, 2)?);
            if !matches!(b.get(8), Some(b'.' | b'-' | b'T' | b'_')) {
                return None;
            }
            let (h, mi, sec, us, j) = if matches!(b.get(11), Some(b':')) || matches!(b.get(10), Some(b':')) {
                hms_unpadded(b, 9)?
            } else {
                hms(b, 9, true)?
            };
            let (off, end) = zone(b, j, false, ctx)?;
            let t = civil(i64::from(y), mo, d, h, mi, sec, us, off)?;
            Some(done(t, end, false))
        }
        Shape::ShortYear => {
            let y = digits(b, 0, 2)?;
            if b.get(2) != Some(&b'/') || b.get(5) != Some(&b'/') || b.get(8) != Some(&b' ') {
                return None;
            }
            let (mo, d) = (digits(b, 3, 2)?, digits(b, 6, 2)?);
            let (h, mi, sec, us, j) = hms(b, 9, false)?;
            let (off, end) = zone(b, j, false, ctx)?;
            let t = civil(2000 + i64::from(y), mo, d, h, mi, sec, us, off)?;
            Some(done(t, end, false))
        }
        Shape::ShortCompact => {
            let y = digits(b, 0, 2)?;
            let (mo, d) = (digits(b, 2, 2)?, digits(b, 4, 2)?);
            if b.get(6) != Some(&b' ') {
                return None;
            }
            let (h, mi, sec, us, j) = hms(b, 7, true)?;
            let t = civil(2000 + i64::from(y), mo, d, h, mi, sec, us, ctx.default_tz_offset_secs)?;
            Some(done(t, j, false))
        }
        Shape::Apache | Shape::DayMonYear => {
            let (d, i) = (digits(b, 0, 2)?, 2);
            let sep = if shape == Shape::Apache { b'/' } else { b'-' };
            if b.get(i) != Some(&sep) || b.get(i + 4) != Some(&sep) {
                return None;
            }
            let mo = month_at(b, i + 1)?;
            let y = digits(b, i + 5, 4)?;
            let tsep = if shape == Shape::Apache { b':' } else { b' ' };
            if b.get(i + 9) != Some(&tsep) {
                return None;
            }
            let (h, mi, sec, us, j) = hms(b, i + 10, false)?;
            let (off, end) = zone(b, j, true, ctx)?;
            let t = civil(i64::from(y), mo, d, h, mi, sec, us, off)?;
            Some(done(t, end, false))
        }
        Shape::Ctime => {
            // "Sun Dec 04 04:47:44 2005": weekday, month, day, time, year.
            if !b.get(..3)?.iter().all(u8::is_ascii_alphabetic) || b.get(3) != Some(&b' ') {
                return None;
            }
            let mo = month_at(b, 4)?;
            if b.get(7) != Some(&b' ') {
                return None;
            }
            let (d, i) = day_at(b, 8)?;
            if b.get(i) != Some(&b' ') {
                return None;
            }
            let (h, mi, sec, us, j) = hms(b, i + 1, false)?;
            if b.get(j) != Some(&b' ') {
                return None;
            }
            let y = digits(b, j + 1, 4)?;
            let (off, end) = zone(b, j + 5, true, ctx)?;
            let t = civil(i64::from(y), mo, d, h, mi, sec, us, off)?;
            Some(done(t, end, false))
        }
        Shape::Syslog => {
            let mo = month_at(b, 0)?;
            if b.get(3) != Some(&b' ') {
                return None;
            }
            let (d, mut i) = day_at(b, 4)?;
            if b.get(i) != Some(&b' ') {
                return None;
            }
            i += 1;
            let year = match digits(b, i, 4) {
                Some(y) if b.get(i + 4) == Some(&b' ') => {
                    i += 5;
                    Some(y)
                }
                _ => None,
            };
            let (h, mi, sec, us, j) = hms(b, i, false)?;
            let (off, end) = zone(b, j, false, ctx)?;
            let t = match year {
                Some(y) => civil(i64::from(y), mo, d, h, mi, sec, us, off)?,
                None => assumed_year(mo, d, (h, mi, sec, us), off, ctx)?,
            };
            Some(done(t, end, year.is_none()))
        }
        Shape::MonthDay => {
            let (mo, d) = (digits(b, 0, 2)?, digits(b, 3, 2)?);
            if b.get(2) != Some(&b'-') || b.get(5) != Some(&b' ') {
                return None;
            }
            let (h, mi, sec, us, j) = hms(b, 6, false)?;
            let t = assumed_year(mo, d, (h, mi, sec, us), ctx.default_tz_offset_secs, ctx)?;
            Some(done(t, j, true))
        }
        Shape::Klog => {
            if !matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F')) || b.get(5) != Some(&b' ') {
                return None;
            }
            let (mo, d) = (digits(b, 1, 2)?, digits(b, 3, 2)?);
            let (h, mi, sec, us, j) = hms(b, 6, false)?;
            let t = assumed_year(mo, d, (h, mi, sec, us), ctx.default_tz_offset_secs, ctx)?;
            Some(done(t, j, true))
        }
        Shape::Epoch => {
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut end = n;
            if b.get(n) == Some(&b'.') {
                end += 1 + b[n + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            }
            // A number alone is no timestamp: it must be followed by a separator.
            if b.get(end).is_some_and(|c| !matches!(c, b' ' | b'\t' | b',' | b';' | b'|' | b']' | b':')) {
                return None;
            }
            // 10 digits: seconds from 2001-09-09 to 2286; 13 digits: milliseconds.
            let t = match n {
                10 => timeparse::epoch_secs_to_us(&b[..end])?,
                13 if end == n => {
                    let ms: i64 = s[..n].parse().ok()?;
                    ms.checked_mul(1000)?
                }
                _ => return None,
            };
            Some(done(t, end, false))
        }
    }
}

/// `<PRI>` and the host token before the timestamp.
fn push_prefix(rec: &mut Record, prefix: &str) {
    let mut p = prefix;
    if let Some(rest) = p.strip_prefix('<') {
        if let Some((pri, after)) = rest.split_once('>') {
            if let Ok(pri) = pri.parse::<i64>() {
                if pri <= 191 {
                    rec.push("syslog_fac", Value::Int(pri / 8));
                    rec.push("syslog_sev", Value::Int(pri % 8));
                }
            }
            p = after;
        }
    }
    let host = p.trim();
    if !host.is_empty() {
        rec.push_str("host", host);
    }
}

/// Normalised level for a level word: TRACE, DEBUG, INFO, WARN, ERROR, FATAL and their usual
/// spellings, lower case with the names Apache and syslog use.
pub fn normalize_level(word: &str) -> Option<&'static str> {
    if word.len() > 13 {
        return None;
    }
    Some(match word.to_ascii_uppercase().as_str() {
        "TRACE" | "TRC" | "FINEST" | "FINER" | "VERBOSE" => "trace",
        "DEBUG" | "DBG" | "DEBU" | "FINE" => "debug",
        "INFO" | "INF" | "INFORMATION" | "INFORMATIONAL" | "CONFIG" => "info",
        "NOTICE" => "notice",
        "WARN" | "WARNING" | "WRN" => "warn",
        "ERROR" | "ERR" | "EROR" | "SEVERE" => "error",
        "CRIT" | "CRITICAL" => "crit",
        "ALERT" => "alert",
        "EMERG" | "EMERGENCY" | "PANIC" => "emerg",
        "FATAL" => "fatal",
        _ => return None,
    })
}

/// Android logcat's one-letter levels.
fn letter_level(word: &str) -> Option<&'static str> {
    Some(match word {
        "V" => "trace",
        "D" => "debug",
        "I" => "info",
        "W" => "warn",
        "E" => "error",
        "F" | "A" => "fatal",
        _ => return None,
    })
}

/// Skips separators between the parts of a line's head.
fn skip_seps(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '-', '|', ':', ','])
}

/// A level word at the start of `s`, alone or in `[]` / `<>`; returns it and the rest.
fn level_word(s: &str, numbers: usize) -> Option<(&'static str, &str)> {
    let (open, close) = match s.as_bytes().first()? {
        b'[' => (1, Some(']')),
        b'<' => (1, Some('>')),
        _ => (0, None),
    };
    let body = &s[open..];
    let end = body.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(body.len());
    let word = &body[..end];
    let level = normalize_level(word)
        .or_else(|| (numbers == 2 && open == 0).then(|| letter_level(word)).flatten())?;
    let mut rest = &body[end..];
    if let Some(c) = close {
        rest = rest.strip_prefix(c)?;
    } else if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.') {
        // "INFOrmation" or "ERRORS" is a word, not a level.
        return None;
    }
    Some((level, rest))
}

/// `[thread]` with nested brackets (Zookeeper: `[QuorumPeer[myid=1]/0:0:0:0:2181:...]`).
fn bracketed(s: &str) -> Option<(&str, &str)> {
    if !s.starts_with('[') {
        return None;
    }
    let mut depth = 0;
    for (i, c) in s.char_indices().take(300) {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[1..i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// `name:` where name is a logger or tag (`executor.CoarseGrainedExecutorBackend:`, `WindowManager:`).
fn logger_name(s: &str) -> Option<(&str, &str)> {
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    let tok = s[..end].strip_suffix(':')?;
    let ok = tok.len() >= 2
        && tok.len() <= 120
        && tok.starts_with(|c: char| c.is_ascii_alphabetic())
        && tok.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '/' | '-' | '@'));
    ok.then(|| (tok, &s[end..]))
}

/// `app[pid]:` or `app(sub)[pid]:` (syslog tag).
fn syslog_tag(s: &str) -> Option<(&str, Option<i64>, &str)> {
    let end = s.find([' ', '\t'])?;
    let tok = s[..end].strip_suffix(':')?;
    if tok.is_empty() || tok.len() > 100 {
        return None;
    }
    if let Some(open) = tok.rfind('[') {
        let pid = tok[open + 1..].strip_suffix(']')?.parse::<i64>().ok()?;
        return (open > 0).then(|| (&tok[..open], Some(pid), &s[end..]));
    }
    None
}

/// What follows the timestamp: numbers (pid, thread id), a level, a syslog tag, a thread in
/// brackets and a logger name, then the message.
/// `syslog_shape`: a `Mmm dd HH:MM:SS` line, where a host token may come before the tag.
fn push_rest(rec: &mut Record, rest: &str, syslog_shape: bool) {
    let mut s = skip_seps(rest);
    let mut numbers = 0;
    let mut level_found = false;
    for _ in 0..4 {
        if let Some((level, after)) = level_word(s, numbers) {
            rec.push_str("level", level);
            level_found = true;
            s = skip_seps(after);
            break;
        }
        let end = s.find([' ', '\t']).unwrap_or(s.len());
        let tok = &s[..end];
        if numbers < 2 && !tok.is_empty() && tok.len() <= 10 && tok.bytes().all(|c| c.is_ascii_digit()) {
            if let Ok(n) = tok.parse::<i64>() {
                rec.push(if numbers == 0 { "pid" } else { "tid" }, Value::Int(n));
            }
            numbers += 1;
            s = skip_seps(&s[end..]);
            continue;
        }
        if numbers == 0 {
            // `app[pid]: msg`, or syslog's `host app[pid]: msg` / `host app: msg`.
            let after_tok = s[end..].trim_start();
            let host_tag = (syslog_shape && rec.get("host").is_none() && !tok.is_empty())
                .then(|| syslog_tag(after_tok).or_else(|| logger_name(after_tok).map(|(a, r)| (a, None, r))))
                .flatten();
            let (host, tag) = match syslog_tag(s) {
                Some(tag) => (None, Some(tag)),
                None => (host_tag.map(|_| tok), host_tag),
            };
            if let Some((app, pid, after)) = tag {
                if let Some(h) = host {
                    rec.push_str("host", h);
                }
                rec.push_str("app_name", app);
                if let Some(pid) = pid {
                    rec.push("pid", Value::Int(pid));
                }
                s = after.trim_start();
                break;
            }
        }
        break;
    }
    if level_found {
        if let Some((thread, after)) = bracketed(s) {
            rec.push_str("thread", thread);
            s = skip_seps(after);
        }
        if let Some((logger, after)) = logger_name(s) {
            rec.push_str("logger", logger);
            s = after;
        }
        s = skip_seps(s);
    }
    rec.push_str("msg", s.trim());
}

/// The one validity rule (years 1..=9999, real days, offsets within +-18 h) of the time module,
/// as an Option for the shape recognisers above, which try shape after shape.
#[allow(clippy::too_many_arguments)]
fn civil(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, micros: u32, offset_secs: i32) -> Option<i64> {
    timeparse::civil_us(y, mo, d, h, mi, s, micros, offset_secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::record::civil_to_us;

    fn parse(p: &GenericTextParser, line: &str) -> Record {
        let ctx = ParseContext { default_year: 2021, ..Default::default() };
        p.parse_line(line.as_bytes(), &ctx).unwrap().unwrap()
    }

    fn s<'a>(r: &'a Record, k: &str) -> Option<&'a str> {
        match r.get(k)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    fn t(r: &Record) -> i64 {
        match r.get("time") {
            Some(Value::TimeUs(t)) => *t,
            other => panic!("no time: {other:?}"),
        }
    }

    fn detect_one(line: &str) -> GenericTextParser {
        detect(&[line.as_bytes()]).unwrap_or_else(|| panic!("not detected: {line}"))
    }

    #[test]
    fn issue_example_has_time_level_message() {
        let line = "2012-07-02 10:22:40,672:DEBUG:foo bar baz";
        let p = detect_one(line);
        assert_eq!(p.shape, Some(Shape::Iso));
        let r = parse(&p, line);
        assert_eq!(t(&r), civil_to_us(2012, 7, 2, 10, 22, 40, 672_000, 0));
        assert_eq!(s(&r, "level"), Some("debug"));
        assert_eq!(s(&r, "msg"), Some("foo bar baz"));
    }

    #[test]
    fn application_log_shapes() {
        // (line, time, level, msg, extra field and value)
        // (line, time, level, msg, another field and its value)
        type Case<'a> = (&'a str, i64, Option<&'a str>, &'a str, (&'a str, &'a str));
        let cases: &[Case] = &[
            (
                "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
                civil_to_us(2015, 7, 29, 17, 41, 44, 747_000, 0),
                Some("info"),
                "Notification time out: 3200",
                ("thread", "QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774"),
            ),
            (
                "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]",
                civil_to_us(2017, 6, 9, 20, 10, 40, 0, 0),
                Some("info"),
                "Registered signal handlers for [TERM, HUP, INT]",
                ("logger", "executor.CoarseGrainedExecutorBackend"),
            ),
            (
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
                civil_to_us(2008, 11, 9, 20, 36, 15, 0, 0),
                Some("info"),
                "PacketResponder 1 for block blk_38865049064139660 terminating",
                ("logger", "dfs.DataNode$PacketResponder"),
            ),
            (
                "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken",
                civil_to_us(2021, 3, 17, 16, 13, 38, 811_000, 0),
                Some("debug"),
                "printFreezingDisplayLogsopening app wtoken",
                ("logger", "WindowManager"),
            ),
            (
                "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
                civil_to_us(2017, 12, 23, 22, 15, 29, 606_000, 0),
                None,
                "Step_LSC|30002312|onStandStepChanged 3579",
                ("msg", "Step_LSC|30002312|onStandStepChanged 3579"),
            ),
            (
                "2021-09-15T21:17:10.123+02:00 [ERROR] disk full",
                civil_to_us(2021, 9, 15, 19, 17, 10, 123_000, 0),
                Some("error"),
                "disk full",
                ("msg", "disk full"),
            ),
            (
                "[17/May/2015:10:05:03 +0100] WARNING something odd",
                civil_to_us(2015, 5, 17, 9, 5, 3, 0, 0),
                Some("warn"),
                "something odd",
                ("msg", "something odd"),
            ),
            (
                "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
                civil_to_us(2021, 6, 14, 15, 16, 1, 0, 0),
                None,
                "check pass; user unknown",
                ("app_name", "sshd(pam_unix)"),
            ),
            (
                "1631740630 ERR boom",
                1_631_740_630_000_000,
                Some("error"),
                "boom",
                ("msg", "boom"),
            ),
            (
                "17-Oct-2021 10:00:00.123 client 1.2.3.4#53: query refused",
                civil_to_us(2021, 10, 17, 10, 0, 0, 123_000, 0),
                None,
                "client 1.2.3.4#53: query refused",
                ("msg", "client 1.2.3.4#53: query refused"),
            ),
            (
                "Sun Dec 04 04:47:44 2005 notice workerEnv.init() ok",
                civil_to_us(2005, 12, 4, 4, 47, 44, 0, 0),
                Some("notice"),
                "workerEnv.init() ok",
                ("msg", "workerEnv.init() ok"),
            ),
        ];
        for (line, time, level, msg, (k, v)) in cases {
            let p = detect_one(line);
            let r = parse(&p, line);
            assert_eq!(t(&r), *time, "{line}");
            assert_eq!(s(&r, "level"), *level, "{line}");
            assert_eq!(s(&r, "msg"), Some(*msg), "{line}");
            assert_eq!(s(&r, k), Some(*v), "{line}");
        }
    }

    #[test]
    fn klog_lines() {
        let line = "E0616 10:27:23.650303       1 memcache.go:196] couldn't get resource list";
        let p = detect_one(line);
        assert_eq!(p.shape, Some(Shape::Klog));
        let r = parse(&p, line);
        assert_eq!(t(&r), civil_to_us(2021, 6, 16, 10, 27, 23, 650_303, 0));
        assert_eq!(s(&r, "level"), Some("error"));
        assert_eq!(r.get("pid"), Some(&Value::Int(1)));
        assert_eq!(s(&r, "msg"), Some("memcache.go:196] couldn't get resource list"));
    }

    #[test]
    fn host_token_and_syslog_tag() {
        let line = "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b] 10.11.10.1 \"GET /v2\"";
        let p = detect_one(line);
        assert!(p.host_token);
        let r = parse(&p, line);
        assert_eq!(s(&r, "host"), Some("nova-api.log.1.2017-05-16_13:53:08"));
        assert_eq!(r.get("pid"), Some(&Value::Int(25746)));
        assert_eq!(s(&r, "level"), Some("info"));
        let r = parse(&GenericTextParser::any(), "<13>2021-01-01 00:00:00 app[42]: hello");
        assert_eq!(s(&r, "app_name"), Some("app"));
        assert_eq!(r.get("pid"), Some(&Value::Int(42)));
        assert_eq!(r.get("syslog_sev"), Some(&Value::Int(5)));
        assert_eq!(s(&r, "msg"), Some("hello"));
    }

    #[test]
    fn broken_times_and_non_times_are_refused() {
        let p = GenericTextParser::any();
        let ctx = ParseContext::default();
        for line in [
            "2021-02-30 10:00:00 INFO no such day",
            "2021-13-01 10:00:00 INFO no such month",
            "0000-01-01 10:00:00 INFO year zero",
            "2021-01-01 25:00:00 INFO no such hour",
            "    at com.example.Foo.bar(Foo.java:10)",
            "Caused by: java.lang.IllegalStateException",
            "12345 not an epoch",
            "hello world",
            "",
        ] {
            assert!(p.parse_line(line.as_bytes(), &ctx).is_err(), "{line}");
        }
        assert!(!starts_with_timestamp(b"time,src_ip,dst_ip"));
        assert!(starts_with_timestamp(b"2012-07-02 10:22:40,672:DEBUG:foo"));
    }

    #[test]
    fn detection_needs_most_unindented_lines() {
        let java: &[&[u8]] = &[
            b"2021-01-01 10:00:00,001 ERROR [main] c.e.App: failed",
            b"java.lang.IllegalStateException: boom",
            b"\tat c.e.App.main(App.java:10)",
            b"2021-01-01 10:00:01,001 INFO [main] c.e.App: retry",
            b"2021-01-01 10:00:02,001 INFO [main] c.e.App: ok",
        ];
        assert_eq!(detect(java).and_then(|p| p.shape), Some(Shape::Iso));
        let prose: &[&[u8]] = &[b"Dear reader,", b"2021-01-01 10:00:00 was a day", b"of note."];
        assert!(detect(prose).is_none());
        let csv: &[&[u8]] = &[b"a,b,c", b"1,2,3"];
        assert!(detect(csv).is_none());
    }
}
