//! Property tests of the readers of issue #19 (generic text, logfmt, container): arbitrary bytes,
//! arbitrary UTF-8 and mutated real lines from tests/fixtures/anylog never panic, and every
//! accepted record's time is a real instant (year 1..=9999). Generated timestamps are checked
//! against chrono, an independent calendar.
use super::container;
use super::generic_text::{self, GenericTextParser};
use super::logfmt::{self, LogfmtParser};
use crate::data::record::{LineParser, ParseContext, Value};
use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:60.999999Z in µs (a zone may move either by 18 h).
const MIN_US: i64 = -62_135_596_800_000_000 - 18 * 3_600_000_000;
const MAX_US: i64 = 253_402_300_800_000_000 + 18 * 3_600_000_000;

fn real_lines() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/anylog");
    let mut out = Vec::new();
    for sub in ["loghub", "k8s", "container"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else { continue };
        for e in rd.flatten() {
            if e.path().extension().is_some_and(|x| x == "log") {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                out.extend(text.lines().take(40).map(str::to_string));
            }
        }
    }
    assert!(out.len() > 300, "fixtures of tests/fixtures/anylog are missing");
    out
}

fn parsers() -> Vec<Box<dyn LineParser>> {
    let compose: &[&[u8]] = &[b"web-1  | level=info ts=2021-01-01T00:00:00Z msg=x"];
    let kubectl: &[&[u8]] = &[b"[pod/a/b] 2021-01-01 00:00:00,001 INFO x"];
    vec![
        Box::new(GenericTextParser::any()),
        Box::new(GenericTextParser { shape: Some(generic_text::Shape::Syslog), host_token: true }),
        Box::new(LogfmtParser),
        Box::new(container::detect(compose).expect("compose")),
        Box::new(container::detect(kubectl).expect("kubectl")),
        Box::new(container::forced(&[])),
    ]
}

/// Parses with every reader; accepted records must carry a valid time.
fn check(line: &[u8]) -> Result<(), TestCaseError> {
    let ctx =
        ParseContext { default_year: 2021, latest_us: Some(1_700_000_000_000_000), ..Default::default() };
    for p in parsers() {
        if let Ok(Some(rec)) = p.parse_line(line, &ctx) {
            if let Some(Value::TimeUs(t)) = rec.get("time") {
                prop_assert!(
                    (MIN_US..=MAX_US).contains(t),
                    "{}: time {t} out of range for {:?}",
                    p.name(),
                    String::from_utf8_lossy(line)
                );
            }
        }
        let _ = p.continuation(line);
    }
    let lines: Vec<&[u8]> = line.split(|b| *b == b'\n').collect();
    let _ = generic_text::detect(&lines);
    let _ = logfmt::detect(&lines);
    let _ = container::detect(&lines);
    let _ = super::detect(line);
    Ok(())
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let lines = real_lines();
    (
        0..lines.len(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(i, edits, cut)| {
            let mut b = lines[i].clone().into_bytes();
            for (at, byte) in edits {
                if !b.is_empty() {
                    let k = at.index(b.len());
                    b[k] = byte;
                }
            }
            let keep = if b.is_empty() { 0 } else { cut.index(b.len() + 1) };
            b.truncate(keep.max(b.len() / 2));
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,160}") {
        check(s.as_bytes())?;
    }

    #[test]
    fn mutated_real_lines_never_panic(b in mutated()) {
        check(&b)?;
    }

    #[test]
    fn log_shaped_text_never_panics(
        s in "(<[0-9]{1,4}>)?\\[?[0-9]{2,8}[-/.: T]?[0-9]{0,2}[-/:]?[0-9]{0,2}[ T.:-]?[0-9:.,]{0,16}[Z+-]?[0-9:]{0,5}\\]? (INFO|WARN|E|[A-Za-z]{1,6})? .{0,20}"
    ) {
        check(s.as_bytes())?;
    }

    /// Generated ISO / syslog / Apache / compact timestamps read back as chrono computes them.
    #[test]
    fn generated_timestamps_match_chrono(
        days in 0i64..2_900_000, secs in 0u32..86_400, millis in 0u32..1000, shape in 0usize..4,
        level in prop::sample::select(vec!["INFO", "WARN", "ERROR", "DEBUG", "TRACE", "FATAL"]),
    ) {
        let date = NaiveDate::from_ymd_opt(1, 1, 1).expect("date") + chrono::Duration::days(days);
        let dt = date.and_hms_milli_opt(secs / 3600, secs / 60 % 60, secs % 60, millis).expect("time");
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let mon = months[dt.month0() as usize];
        let (line, expected) = match shape {
            0 => (format!("{} {level} hello world", dt.format("%Y-%m-%d %H:%M:%S,%3f")), dt.and_utc().timestamp_micros()),
            1 => (format!("[{:02}/{mon}/{:04}:{} +0000] {level} hello", dt.day(), dt.year(), dt.format("%H:%M:%S")), dt.and_utc().timestamp_micros() - i64::from(millis) * 1000),
            2 => (format!("{}.{} {level} hello", dt.format("%Y%m%d"), dt.format("%H%M%S")), dt.and_utc().timestamp_micros() - i64::from(millis) * 1000),
            _ => (format!("{}T{}.{:03}Z level={level} msg=hello", dt.format("%Y-%m-%d"), dt.format("%H:%M:%S"), millis), dt.and_utc().timestamp_micros()),
        };
        prop_assume!(dt.year() <= 9999);
        let ctx = ParseContext::default();
        let rec = GenericTextParser::any().parse_line(line.as_bytes(), &ctx);
        let rec = rec.map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?.expect("a record");
        prop_assert_eq!(rec.get("time"), Some(&Value::TimeUs(expected)), "{}", line);
        let want = generic_text::normalize_level(level).expect("a level");
        if shape != 3 {
            prop_assert_eq!(rec.get("level"), Some(&Value::Str(want.to_string())), "{}", line);
        }
    }
}
