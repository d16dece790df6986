//! Hostile-input generators and the properties every parser must keep, shared by the property
//! tests (`tests/integration/proptests.rs`, bounded) and `brushfire bench fuzz DIR --cases N`
//! (the same generators, run longer).
//!
//! Inputs: arbitrary bytes, arbitrary UTF-8, and mutations of real lines (byte flips, multibyte
//! characters inside numbers and zones, huge and negative numbers, nine-digit years, truncation,
//! NUL bytes, delimiter swaps, lines of another format spliced in, 1 MB lines, raw shellcode).
//! Properties: no panic, no hang, every accepted time inside the validity rule, and for a whole
//! file: records + skipped + rejected = non-blank lines.
use crate::data::formats::text::{cef, snare, syslog, web};
use crate::data::formats::{self, jsonl, nfdump_text, windows, Detected};
use crate::data::record::{LineParser, ParseContext, Value};
use crate::data::timeparse;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A case taking longer than this is reported as a hang (generous: debug builds, 1 MB lines).
pub const HANG: Duration = Duration::from_secs(10);

/// SplitMix64: small, seedable, the same cases on every machine for a given seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Up to `max` arbitrary bytes (newlines included: a "line" may hold several).
pub fn arbitrary_bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    let n = rng.below(max + 1);
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// Up to `max` characters of arbitrary UTF-8, biased toward what parsers look for.
pub fn arbitrary_utf8(rng: &mut Rng, max: usize) -> Vec<u8> {
    const PIECES: &[&str] = &[
        "0",
        "9",
        "-",
        "+",
        ":",
        ".",
        "/",
        "[",
        "]",
        "<",
        ">",
        "{",
        "}",
        "\"",
        "=",
        "|",
        " ",
        "\t",
        "T",
        "Z",
        "é",
        "٣",
        "０",
        "\u{1F4A3}",
        "\u{FEFF}",
        "\u{202E}",
        "CEF:",
        "LEEF:",
        "<34>1 ",
        "Feb",
        "Date(",
    ];
    let n = rng.below(max + 1);
    let mut s = String::new();
    for _ in 0..n {
        if rng.chance(50) {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        } else {
            let c = char::from_u32(rng.next_u64() as u32 % 0x11_0000).unwrap_or('\u{FFFD}');
            s.push(c);
        }
    }
    s.into_bytes()
}

/// Kinds of mutation of a real line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    ByteFlip,
    MultibyteInNumber,
    MultibyteInZone,
    HugeNumber,
    NegativeNumber,
    NineDigitYear,
    Truncate,
    Nul,
    DelimiterSwap,
    Splice,
    LongLine,
    Shellcode,
}

pub const MUTATIONS: [Mutation; 12] = [
    Mutation::ByteFlip,
    Mutation::MultibyteInNumber,
    Mutation::MultibyteInZone,
    Mutation::HugeNumber,
    Mutation::NegativeNumber,
    Mutation::NineDigitYear,
    Mutation::Truncate,
    Mutation::Nul,
    Mutation::DelimiterSwap,
    Mutation::Splice,
    Mutation::LongLine,
    Mutation::Shellcode,
];

const MULTIBYTE: &[&str] = &["é", "٣", "０", "\u{1F4A3}", "ß", "\u{0301}"];
const HUGE: &[&str] = &[
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e308",
    "4294967296",
];

fn digit_runs(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Applies one mutation. `other` is a line of (usually) another format, for splicing;
/// `long_line_bytes` bounds the LongLine mutation (1 MB in the bench, less in CI).
pub fn mutate(line: &[u8], other: &[u8], m: Mutation, rng: &mut Rng, long_line_bytes: usize) -> Vec<u8> {
    let mut v = line.to_vec();
    let runs = digit_runs(&v);
    match m {
        Mutation::ByteFlip => {
            for _ in 0..1 + rng.below(4) {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next_u64() as u8;
                }
            }
        }
        Mutation::MultibyteInNumber => {
            if let Some(&(s, e)) = (!runs.is_empty()).then(|| rng.pick(&runs)) {
                let at = s + rng.below(e - s + 1);
                v.splice(at..at, MULTIBYTE[rng.below(MULTIBYTE.len())].bytes());
            }
        }
        Mutation::MultibyteInZone => {
            // After a '+', '-' or 'Z' that follows a digit: where zones are.
            let spots: Vec<usize> = (1..v.len())
                .filter(|&i| matches!(v[i], b'+' | b'-' | b'Z') && v[i - 1].is_ascii_digit())
                .collect();
            if let Some(&i) = (!spots.is_empty()).then(|| rng.pick(&spots)) {
                let end = (i + 1 + rng.below(3)).min(v.len());
                let mb = MULTIBYTE[rng.below(MULTIBYTE.len())].as_bytes().to_vec();
                v.splice(i + 1..end, mb);
            }
        }
        Mutation::HugeNumber => {
            if let Some(&(s, e)) = (!runs.is_empty()).then(|| rng.pick(&runs)) {
                v.splice(s..e, HUGE[rng.below(HUGE.len())].bytes());
            }
        }
        Mutation::NegativeNumber => {
            if let Some(&(s, _)) = (!runs.is_empty()).then(|| rng.pick(&runs)) {
                v.insert(s, b'-');
            }
        }
        Mutation::NineDigitYear => {
            let years: Vec<(usize, usize)> = runs
                .iter()
                .copied()
                .filter(|(s, e)| e - s == 4 && (v[*s] == b'1' || v[*s] == b'2'))
                .collect();
            let target = if years.is_empty() { runs.first().copied() } else { Some(*rng.pick(&years)) };
            if let Some((s, e)) = target {
                const YEARS: [&[u8]; 4] = [b"123456789", b"0000", b"10000", b"99999"];
                let y = YEARS[rng.below(YEARS.len())];
                v.splice(s..e, y.iter().copied());
            }
        }
        Mutation::Truncate => {
            let n = rng.below(v.len() + 1);
            v.truncate(n);
        }
        Mutation::Nul => {
            let at = rng.below(v.len() + 1);
            v.splice(at..at, std::iter::repeat_n(0u8, 1 + rng.below(3)));
        }
        Mutation::DelimiterSwap => {
            let pairs: &[(u8, u8)] =
                &[(b',', b'\t'), (b'\t', b','), (b' ', b'\t'), (b'|', b','), (b'=', b':')];
            let (a, b) = *rng.pick(pairs);
            for c in v.iter_mut() {
                if *c == a {
                    *c = b;
                }
            }
        }
        Mutation::Splice => {
            let at = rng.below(v.len() + 1);
            if rng.chance(30) {
                v = other.to_vec();
            } else {
                let take = rng.below(other.len() + 1);
                v.splice(at..at, other[..take].iter().copied());
            }
        }
        Mutation::LongLine => {
            let seg: Vec<u8> = if v.is_empty() { b"A".to_vec() } else { v[rng.below(v.len())..].to_vec() };
            let seg = if seg.is_empty() { b"A".to_vec() } else { seg };
            while v.len() < long_line_bytes {
                v.extend_from_slice(&seg);
            }
        }
        Mutation::Shellcode => {
            let at = rng.below(v.len() + 1);
            let mut sc: Vec<u8> = std::iter::repeat_n(0x90u8, 16 + rng.below(200)).collect();
            sc.extend_from_slice(b"\x31\xc0\x50\x68//sh\x68/bin\x89\xe3\x50\x53\x89\xe1\xb0\x0b\xcd\x80");
            v.splice(at..at, sc);
        }
    }
    v
}

/// One hostile line: arbitrary bytes, arbitrary UTF-8, or one to three mutations of a seed line.
pub fn hostile_line(seeds: &[Vec<u8>], rng: &mut Rng, long_line_bytes: usize) -> Vec<u8> {
    match rng.below(10) {
        0 => arbitrary_bytes(rng, 300),
        1 => arbitrary_utf8(rng, 120),
        _ if seeds.is_empty() => arbitrary_bytes(rng, 300),
        _ => {
            let mut v = rng.pick(seeds).clone();
            for _ in 0..1 + rng.below(3) {
                let other = rng.pick(seeds).clone();
                let m = *rng.pick(&MUTATIONS);
                // 1 MB lines are costly: one case in ten that would get one does.
                if m == Mutation::LongLine && !rng.chance(10) {
                    continue;
                }
                v = mutate(&v, &other, m, rng, long_line_bytes);
            }
            v
        }
    }
}

/// A hostile file: mostly lines of one seed file, some mutated, a few from other files, maybe a
/// broken first or last line.
pub fn hostile_file(seeds: &[(String, Vec<Vec<u8>>)], rng: &mut Rng, long_line_bytes: usize) -> Vec<u8> {
    let all: Vec<Vec<u8>> = seeds.iter().flat_map(|(_, l)| l.iter().cloned()).collect();
    if seeds.is_empty() || rng.chance(5) {
        return arbitrary_bytes(rng, 4000);
    }
    let (_, own) = rng.pick(seeds);
    let n = 1 + rng.below(40);
    let mut out = Vec::new();
    for i in 0..n {
        let line = if rng.chance(15) || ((i == 0 || i == n - 1) && rng.chance(30)) {
            hostile_line(&all, rng, long_line_bytes)
        } else if own.is_empty() {
            Vec::new()
        } else {
            own[i.min(own.len() - 1)].clone()
        };
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    if rng.chance(20) {
        out.truncate(rng.below(out.len() + 1));
    }
    out
}

/// Every line parser, by name (the names `bench fuzz` prints).
pub fn line_parsers() -> Vec<(&'static str, Box<dyn LineParser>)> {
    vec![
        ("json-lines", Box::new(jsonl::JsonLinesParser::generic())),
        ("zeek-json", Box::new(jsonl::JsonLinesParser::zeek())),
        ("suricata-eve", Box::new(jsonl::JsonLinesParser::suricata())),
        ("windows-evtx-json", Box::new(windows::WindowsParser::evtx())),
        ("windows-flat-json", Box::new(windows::WindowsParser::flat())),
        ("nfdump-text", Box::new(nfdump_text::NfdumpTextParser::EXTENDED)),
        ("nfdump-long", Box::new(nfdump_text::NfdumpTextParser::LONG)),
        ("nfdump-line", Box::new(nfdump_text::NfdumpTextParser::LINE)),
        ("syslog", Box::new(syslog::SyslogParser)),
        ("apache-access", Box::new(web::AccessParser)),
        ("apache-error", Box::new(web::ErrorParser)),
        ("cef", Box::new(cef::CefParser)),
        ("leef", Box::new(cef::LeefParser)),
        ("snare", Box::new(snare::SnareParser)),
        ("netlogon", Box::new(crate::data::formats::netlogon::NetlogonParser)),
        ("logfmt", Box::new(crate::data::formats::logfmt::LogfmtParser)),
        ("generic-text", Box::new(crate::data::formats::generic_text::GenericTextParser::any())),
    ]
}

/// The line properties: no panic, no hang, every accepted time inside the validity rule.
pub fn check_line(parser: &dyn LineParser, line: &[u8], ctx: &ParseContext) -> Result<(), String> {
    let t0 = Instant::now();
    let r = crate::guard::contain("parsing", parser.name(), || parser.parse_line(line, ctx))
        .map_err(|p| format!("panic: {}", p.message))?;
    if t0.elapsed() > HANG {
        return Err(format!("hang: {:.1} s on one line", t0.elapsed().as_secs_f64()));
    }
    if let Ok(Some(rec)) = r {
        for (k, v) in &rec.fields {
            if let Value::TimeUs(t) = v {
                if !timeparse::is_valid_us(*t) {
                    return Err(format!("accepted {k} = {t} µs, outside years 1..=9999"));
                }
            }
        }
    }
    Ok(())
}

/// The file properties through detection and the line loader: no panic, no hang, records +
/// skipped + rejected = non-blank lines, every time in the table inside the validity rule.
/// Returns the detected format's name (or the refusal).
pub fn check_file(bytes: &[u8]) -> Result<String, String> {
    let t0 = Instant::now();
    let outcome = crate::guard::contain("detecting", "fuzz file", || formats::detect(bytes))
        .map_err(|p| format!("panic: {}", p.message))?;
    let det = match outcome {
        Err(refusal) => {
            if refusal.contains('\n') {
                return Err(format!("refusal is not one line: {refusal:?}"));
            }
            return Ok("refused".into());
        }
        Ok(d) => d,
    };
    let name = det.name();
    let Detected::Lines(parser) = det else {
        // Delimited and Parquet files go through `check_file_loaded`.
        return Ok(name);
    };
    let ctx = ParseContext { file_name: "fuzz".into(), ..Default::default() };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let parsed = crate::guard::contain("parsing", &name, || {
        let p = crate::data::load::parse_lines(bytes, parser.as_ref(), &ctx, &cancel)?;
        let nonblank = count_nonblank_lines(bytes);
        let (records, skipped, rejected) = (p.records, p.skipped, p.rejected.total);
        let df = p.table.into_frame()?;
        Ok::<_, crate::data::DataError>((nonblank, records, skipped, rejected, df))
    })
    .map_err(|p| format!("panic: {}", p.message))?
    .map_err(|e| format!("error: {e}"))?;
    if t0.elapsed() > HANG {
        return Err(format!("hang: {:.1} s on one file", t0.elapsed().as_secs_f64()));
    }
    let (nonblank, records, skipped, rejected, df) = parsed;
    if records + skipped + rejected != nonblank {
        return Err(format!(
            "{name}: {records} records + {skipped} skipped + {rejected} rejected != {nonblank} lines"
        ));
    }
    if df.height() as u64 != records {
        return Err(format!("{name}: table has {} rows for {records} records", df.height()));
    }
    check_times(&df).map_err(|e| format!("{name}: {e}"))?;
    Ok(name)
}

/// Loads `bytes` from a file through the whole loader (every format, delimited ones included):
/// no panic, a one-line error or a table whose times pass the rule, rows + rejected <= lines.
pub fn check_file_loaded(dir: &Path, bytes: &[u8], name: &str) -> Result<(), String> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let ctl = crate::data::LoadControl::default();
    let opts = crate::data::LoadOptions { default_year: Some(2020), ..Default::default() };
    let r = crate::guard::contain("loading", name, || {
        crate::data::load_paths(std::slice::from_ref(&path), &opts, &ctl)
    })
    .map_err(|p| format!("panic: {}", p.message))?;
    let _ = std::fs::remove_file(&path);
    match r {
        Err(e) => {
            let s = e.to_string();
            if s.contains('\n') {
                return Err(format!("error is not one line: {s:?}"));
            }
            Ok(())
        }
        Ok(t) => {
            let lines = count_nonblank_lines(bytes);
            if t.rows() as u64 + t.rejected.total > lines {
                return Err(format!("{} rows + {} rejected > {lines} lines", t.rows(), t.rejected.total));
            }
            check_times(&t.df)
        }
    }
}

fn count_nonblank_lines(bytes: &[u8]) -> u64 {
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    body.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

/// Every Datetime column of the table inside the validity rule.
fn check_times(df: &polars::prelude::DataFrame) -> Result<(), String> {
    use polars::prelude::*;
    for c in df.columns() {
        if !matches!(c.dtype(), DataType::Datetime(_, _)) {
            continue;
        }
        let us = c.cast(&DataType::Datetime(TimeUnit::Microseconds, None)).map_err(|e| e.to_string())?;
        let ints = us.cast(&DataType::Int64).map_err(|e| e.to_string())?;
        let ca = ints.i64().map_err(|e| e.to_string())?;
        for v in [ca.min(), ca.max()].into_iter().flatten() {
            if !timeparse::is_valid_us(v) {
                return Err(format!("column {} holds {v} µs, outside years 1..=9999", c.name()));
            }
        }
    }
    Ok(())
}

/// Seed lines from the real logs under `dir` (at most `per_file` lines per file, spread over its
/// first MiB; gzip read through). Licences, READMEs and property files are left out.
pub fn seed_lines(dir: &Path, per_file: usize) -> std::io::Result<Vec<(String, Vec<Vec<u8>>)>> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("license")
            || lower.starts_with("readme")
            || lower.ends_with(".md")
            || lower.ends_with(".properties")
            || lower.ends_with(".config")
        {
            continue;
        }
        let Ok(r) = crate::data::load::open_reader(&f) else { continue };
        let mut buf = Vec::new();
        r.take(1 << 20).read_to_end(&mut buf)?;
        let lines: Vec<&[u8]> = buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        let step = (lines.len() / per_file.max(1)).max(1);
        // The first lines (headers) and then a spread.
        let picked: Vec<Vec<u8>> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < 3 || i % step == 0)
            .take(per_file)
            .map(|(_, l)| l.to_vec())
            .collect();
        let rel = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        out.push((rel, picked));
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Per-target figures of a fuzz run.
#[derive(Debug, Default, Clone)]
pub struct TargetStats {
    pub cases: u64,
    pub secs: f64,
    pub failures: Vec<(Vec<u8>, String)>,
}

/// Runs `cases` hostile lines through every line parser and `cases / 10` hostile files through
/// detection + loading; returns figures per target ("detect+load" for files).
pub fn run_campaign(
    seeds: &[(String, Vec<Vec<u8>>)],
    cases: u64,
    seed: u64,
    long_line_bytes: usize,
) -> Vec<(String, TargetStats)> {
    let all: Vec<Vec<u8>> = seeds.iter().flat_map(|(_, l)| l.iter().cloned()).collect();
    let ctx = ParseContext { default_year: 2020, ..Default::default() };
    let mut out = Vec::new();
    for (name, parser) in line_parsers() {
        let mut rng = Rng::new(seed ^ fxhash(name));
        let mut st = TargetStats::default();
        let t0 = Instant::now();
        for _ in 0..cases {
            let line = hostile_line(&all, &mut rng, long_line_bytes);
            if let Err(e) = check_line(parser.as_ref(), &line, &ctx) {
                st.failures.push((line, e));
            }
            st.cases += 1;
        }
        st.secs = t0.elapsed().as_secs_f64();
        out.push((name.to_string(), st));
    }
    let mut rng = Rng::new(seed ^ fxhash("detect"));
    let mut st = TargetStats::default();
    let t0 = Instant::now();
    for _ in 0..(cases / 10).max(1) {
        let file = hostile_file(seeds, &mut rng, long_line_bytes);
        if let Err(e) = check_file(&file) {
            st.failures.push((file, e));
        }
        st.cases += 1;
    }
    st.secs = t0.elapsed().as_secs_f64();
    out.push(("detect+parse".to_string(), st));
    out
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_mutate() {
        let seeds = vec![b"2021-06-06T13:59:46+02:00 host app: 1234 bytes".to_vec()];
        let a: Vec<Vec<u8>> = {
            let mut r = Rng::new(7);
            (0..50).map(|_| hostile_line(&seeds, &mut r, 2000)).collect()
        };
        let b: Vec<Vec<u8>> = {
            let mut r = Rng::new(7);
            (0..50).map(|_| hostile_line(&seeds, &mut r, 2000)).collect()
        };
        assert_eq!(a, b);
        assert!(a.iter().any(|l| l != &seeds[0]));
        let mut r = Rng::new(1);
        let m = mutate(&seeds[0], b"", Mutation::NineDigitYear, &mut r, 10);
        assert!(String::from_utf8_lossy(&m).contains("2021") || !m.starts_with(b"2021"));
        let m = mutate(&seeds[0], b"", Mutation::MultibyteInZone, &mut r, 10);
        assert!(std::str::from_utf8(&m).is_ok() && m != seeds[0]);
        let m = mutate(&seeds[0], b"", Mutation::LongLine, &mut r, 5000);
        assert!(m.len() >= 5000);
    }

    #[test]
    fn a_wrapped_time_fails_the_line_property() {
        struct Liar;
        impl LineParser for Liar {
            fn name(&self) -> &'static str {
                "liar"
            }
            fn parse_line(&self, _: &[u8], _: &ParseContext) -> crate::data::record::LineResult {
                let mut r = crate::data::record::Record::new();
                r.push("time", Value::TimeUs(i64::MAX));
                Ok(Some(r))
            }
        }
        struct Panics;
        impl LineParser for Panics {
            fn name(&self) -> &'static str {
                "panics"
            }
            fn parse_line(&self, l: &[u8], _: &ParseContext) -> crate::data::record::LineResult {
                let s = std::str::from_utf8(l).unwrap_or("");
                let _ = &s[..1];
                Ok(None)
            }
        }
        let ctx = ParseContext::default();
        assert!(check_line(&Liar, b"x", &ctx).unwrap_err().contains("outside"));
        assert!(check_line(&Panics, "é".as_bytes(), &ctx).unwrap_err().contains("panic"));
    }
}
