//! `nfdump -o extended`, `-o long` and `-o line` text output.
//!
//! ```text
//! Date first seen             Duration     Proto      Src IP Addr:Port          Dst IP Addr:Port     Flags Tos  Packets    Bytes      pps      bps    Bpp Flows
//! 2018-01-12 15:37:30.942     00:00:00.000 TCP      147.32.80.119:52324 ->     147.32.82.62:902   ......S.   0        1       60        0        0     60     1
//! ```
//! Columns are whitespace-separated (fixed width, but addresses are right-aligned and counters may
//! carry a unit: "1.2 M" is two tokens). IPv4 joins the port with ':', IPv6 with '.'
//! ("2001:db8::1.443"); ICMP shows "type.code" in the destination port. The header and the four
//! trailing summary lines (Summary / Time window / Total flows processed / Sys) are skipped.
//! Times have no zone: `ParseContext::default_tz_offset_secs` applies (nfdump prints local time).
//! Flows are unidirectional, so Packets / Bytes map to `packets_sent` / `bytes_sent`.
//!
//! `-o long` is the same without pps / bps / Bpp; `-o line` also drops Flags and Tos. The header
//! says which; without one, the number of counters on the first flow line does.

use crate::data::formats::jsonl::{ip_proto_from_name, parse_iso8601_us, proto_name_from_number};
use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};

/// Which of nfdump's fixed text layouts a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Extended,
    Long,
    Line,
}

impl Mode {
    /// Counter columns after the addresses (and flags), in order.
    fn counters(self) -> &'static [&'static str] {
        match self {
            Mode::Extended => &["tos", "packets_sent", "bytes_sent", "pps", "bps", "bpp", "flows"],
            Mode::Long => &["tos", "packets_sent", "bytes_sent", "flows"],
            Mode::Line => &["packets_sent", "bytes_sent", "flows"],
        }
    }

    /// The layout from its header line ("Date first seen ... Addr:Port ...").
    fn from_header(h: &str) -> Mode {
        if h.contains("pps") || h.contains("bps") {
            Mode::Extended
        } else if h.contains("Flags") || h.contains("Tos") {
            Mode::Long
        } else {
            Mode::Line
        }
    }
}

/// Parser for nfdump's text formats.
pub struct NfdumpTextParser {
    pub mode: Mode,
}

impl NfdumpTextParser {
    pub const EXTENDED: NfdumpTextParser = NfdumpTextParser { mode: Mode::Extended };
    pub const LONG: NfdumpTextParser = NfdumpTextParser { mode: Mode::Long };
    pub const LINE: NfdumpTextParser = NfdumpTextParser { mode: Mode::Line };
}

/// Lines nfdump prints that are not flow records.
const NON_DATA_PREFIXES: [&str; 8] = [
    "Date first seen",
    "Summary:",
    "Time window:",
    "Total flows processed:",
    "Sys:",
    "Aggregated flows",
    "No matched flows",
    "Top ",
];

impl LineParser for NfdumpTextParser {
    fn name(&self) -> &'static str {
        match self.mode {
            Mode::Extended => "nfdump-extended",
            Mode::Long => "nfdump-long",
            Mode::Line => "nfdump-line",
        }
    }

    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let line = std::str::from_utf8(line).map_err(|_| "invalid UTF-8".to_owned())?;
        let line = line.trim();
        if line.is_empty() || NON_DATA_PREFIXES.iter().any(|p| line.starts_with(p)) {
            return Ok(None);
        }
        parse_flow(line, self.mode, ctx).map(Some)
    }
}

/// Duration "HH:MM:SS.mmm" (nfdump 1.7) or plain seconds "12.345" (nfdump 1.6) to seconds.
fn parse_duration_secs(s: &str) -> Option<f64> {
    if !s.contains(':') {
        return s.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0);
    }
    let mut parts = s.split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || m > 59 || !(0.0..61.0).contains(&sec) {
        return None;
    }
    Some(h as f64 * 3600.0 + m as f64 * 60.0 + sec)
}

/// Splits "addr:port" (IPv4) or "addr.port" (IPv6). For ICMP the port is "type.code", which for IPv6
/// means the address ends before the second-to-last dot.
fn split_addr_port(tok: &str, icmp: bool) -> Option<(&str, &str)> {
    let colons = tok.bytes().filter(|b| *b == b':').count();
    if colons == 1 {
        return tok.split_once(':');
    }
    if colons == 0 {
        return None;
    }
    let last = tok.rfind('.')?;
    if icmp {
        if let Some(prev) = tok[..last].rfind('.') {
            let mid = &tok[prev + 1..last];
            // "fe80::1.3.3": the middle piece is the ICMP type; but "::ffff:1.2.3.4.0" style
            // embedded IPv4 also has dots, so only split there when the address part has no dots.
            if !mid.is_empty() && mid.bytes().all(|b| b.is_ascii_digit()) && !tok[..prev].contains('.') {
                return Some((&tok[..prev], &tok[prev + 1..]));
            }
        }
    }
    Some((&tok[..last], &tok[last + 1..]))
}

/// Unit multiplier nfdump uses for large counters (decimal: nfdump divides by 1000).
fn unit_multiplier(tok: &str) -> Option<f64> {
    match tok {
        "K" | "k" => Some(1e3),
        "M" => Some(1e6),
        "G" => Some(1e9),
        "T" => Some(1e12),
        _ => None,
    }
}

fn is_tcp_flags(tok: &str) -> bool {
    tok.len() >= 6 && tok.bytes().all(|b| b == b'.' || b.is_ascii_uppercase())
}

fn parse_flow(line: &str, mode: Mode, ctx: &ParseContext) -> Result<Record, String> {
    let toks: Vec<&str> = line.split_ascii_whitespace().collect();
    let min_cols = 6 + mode.counters().len();
    if toks.len() < min_cols {
        return Err(format!("nfdump: expected at least {min_cols} columns, got {}", toks.len()));
    }
    let when = format!("{} {}", toks[0], toks[1]);
    let time_us = parse_iso8601_us(&when, ctx.default_tz_offset_secs)
        .ok_or_else(|| format!("nfdump: bad date {when}"))?;
    let duration = parse_duration_secs(toks[2]).ok_or_else(|| format!("nfdump: bad duration {}", toks[2]))?;
    let proto_tok = toks[3];
    let ip_proto = ip_proto_from_name(proto_tok);
    let icmp = matches!(ip_proto, Some(1) | Some(58));
    let (src_ip, src_port) =
        split_addr_port(toks[4], icmp).ok_or_else(|| format!("nfdump: bad source {}", toks[4]))?;
    let mut i = 5;
    if toks[i] == "->" {
        i += 1;
    }
    let dst_tok = toks.get(i).ok_or("nfdump: missing destination")?;
    let (dst_ip, dst_port) =
        split_addr_port(dst_tok, icmp).ok_or_else(|| format!("nfdump: bad destination {dst_tok}"))?;
    i += 1;

    let mut rec = Record { fields: Vec::with_capacity(18) };
    rec.push("time", Value::TimeUs(time_us));
    rec.push("duration", Value::Float(duration));
    let proto_name = match proto_tok.parse::<i64>() {
        Ok(n) => proto_name_from_number(n).map(str::to_owned).unwrap_or_else(|| n.to_string()),
        Err(_) => proto_tok.to_ascii_lowercase(),
    };
    rec.push("proto", Value::Str(proto_name));
    if let Some(n) = ip_proto {
        rec.push("ip_proto", Value::Int(n));
    }
    rec.push_str("src_ip", src_ip);
    push_port(&mut rec, "src_port", src_port, false)?;
    rec.push_str("dst_ip", dst_ip);
    push_port(&mut rec, "dst_port", dst_port, icmp)?;

    if let Some(flags) = toks.get(i).filter(|t| mode != Mode::Line && is_tcp_flags(t)) {
        rec.push_str("tcp_flags", *flags);
        i += 1;
    }
    // Remaining: the layout's counters (Tos Packets Bytes [pps bps Bpp] Flows), each number
    // optionally followed by a unit.
    let names = mode.counters();
    let mut n = 0;
    while i < toks.len() {
        let num: f64 = toks[i].parse().map_err(|_| format!("nfdump: bad number {}", toks[i]))?;
        i += 1;
        let mult = toks.get(i).and_then(|t| unit_multiplier(t));
        if mult.is_some() {
            i += 1;
        }
        let name = names.get(n).ok_or("nfdump: too many columns")?;
        let v = num * mult.unwrap_or(1.0);
        if !v.is_finite() || !(0.0..=9.0e18).contains(&v) {
            return Err(format!("nfdump: {name} out of range"));
        }
        rec.push(*name, Value::Int(v.round() as i64));
        n += 1;
    }
    if n != names.len() {
        return Err(format!("nfdump: expected {} counters, got {n}", names.len()));
    }
    Ok(rec)
}

/// Pushes a port; ICMP "type.code" destination becomes `icmp_type` / `icmp_code`.
fn push_port(rec: &mut Record, name: &'static str, s: &str, icmp: bool) -> Result<(), String> {
    if icmp {
        if let Some((t, c)) = s.split_once('.') {
            let t: i64 = t.parse().map_err(|_| format!("nfdump: bad ICMP type {s}"))?;
            let c: i64 = c.parse().map_err(|_| format!("nfdump: bad ICMP code {s}"))?;
            rec.push("icmp_type", Value::Int(t));
            rec.push("icmp_code", Value::Int(c));
            return Ok(());
        }
    }
    // nfdump 1.7 may print a port as "0.0" for non-port protocols; accept the integer part.
    let p: i64 = s
        .split('.')
        .next()
        .and_then(|p| p.parse().ok())
        .filter(|p| (0..=65_535).contains(p))
        .ok_or_else(|| format!("nfdump: bad port {s}"))?;
    rec.push(name, Value::Int(p));
    Ok(())
}

/// nfdump text output if the sample has its header (which names the layout), or at least half of
/// its non-blank lines parse as flows of one layout.
pub fn detect(sample: &[&[u8]]) -> Option<Box<dyn LineParser>> {
    for line in sample {
        let text = String::from_utf8_lossy(line);
        let t = text.trim();
        if t.starts_with("Date first seen") && t.contains("Addr:Port") {
            return Some(Box::new(NfdumpTextParser { mode: Mode::from_header(t) }));
        }
    }
    let ctx = ParseContext::default();
    let nonblank = sample.iter().filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
    [Mode::Extended, Mode::Long, Mode::Line].into_iter().find_map(|mode| {
        let parser = NfdumpTextParser { mode };
        let flows = sample.iter().filter(|l| matches!(parser.parse_line(l, &ctx), Ok(Some(_)))).count();
        (flows > 0 && flows * 2 >= nonblank).then(|| Box::new(parser) as Box<dyn LineParser>)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::record::civil_to_us;
    use std::path::Path;

    // Header and first two records of nfdump/test1-malicious.nfdump-extended.txt, plus its summary.
    const EXCERPT: &str = "\
Date first seen             Duration     Proto      Src IP Addr:Port          Dst IP Addr:Port     Flags Tos  Packets    Bytes      pps      bps    Bpp Flows
2018-01-12 15:37:30.942     00:00:00.000 TCP      147.32.80.119:52324 ->     147.32.82.62:902   ......S.   0        1       60        0        0     60     1
2018-01-12 15:37:30.942     00:00:00.000 TCP       147.32.82.62:902   ->    147.32.80.119:52324 ...A.R..   0        1       40        0        0     40     1
Summary: total flows: 4593, total bytes: 241025, total packets: 4652, avg bps: 58357, avg pps: 140, avg bpp: 51
Time window: 2018-01-12 15:37:30 - 2018-01-12 15:38:03
Total flows processed: 4593, passed: 4593, Blocks skipped: 0, Bytes read: 385916
Sys: 0.0058s User: 0.0117s Wall: 0.0354s flows/second: 129889.5 Runtime: 0.0354s";

    fn rec(line: &str, ctx: &ParseContext) -> Record {
        NfdumpTextParser::EXTENDED.parse_line(line.as_bytes(), ctx).expect("ok").expect("record")
    }

    #[test]
    fn excerpt() {
        let lines: Vec<&[u8]> = EXCERPT.lines().map(str::as_bytes).collect();
        let p = detect(&lines).expect("detected");
        assert_eq!(p.name(), "nfdump-extended");
        let ctx = ParseContext { default_tz_offset_secs: 3600, ..Default::default() };
        let recs: Vec<Record> = lines.iter().filter_map(|l| p.parse_line(l, &ctx).expect("ok")).collect();
        assert_eq!(recs.len(), 2);
        let r = &recs[0];
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2018, 1, 12, 14, 37, 30, 942_000, 0))));
        assert_eq!(r.get("duration"), Some(&Value::Float(0.0)));
        assert_eq!(r.get("proto"), Some(&Value::Str("tcp".into())));
        assert_eq!(r.get("ip_proto"), Some(&Value::Int(6)));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("147.32.80.119".into())));
        assert_eq!(r.get("src_port"), Some(&Value::Int(52324)));
        assert_eq!(r.get("dst_ip"), Some(&Value::Str("147.32.82.62".into())));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(902)));
        assert_eq!(r.get("tcp_flags"), Some(&Value::Str("......S.".into())));
        assert_eq!(r.get("packets_sent"), Some(&Value::Int(1)));
        assert_eq!(r.get("bytes_sent"), Some(&Value::Int(60)));
        assert_eq!(r.get("flows"), Some(&Value::Int(1)));
    }

    #[test]
    fn units_ipv6_icmp_and_durations() {
        let ctx = ParseContext::default();
        let r = rec(
            "2018-01-12 15:37:30.942     01:02:03.500 UDP   2001:db8::1.443 ->  2001:db8::2.53 ........ 0  1.2 M  3.5 G  10  2.1 M 1500 1",
            &ctx,
        );
        assert_eq!(r.get("duration"), Some(&Value::Float(3723.5)));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("2001:db8::1".into())));
        assert_eq!(r.get("src_port"), Some(&Value::Int(443)));
        assert_eq!(r.get("dst_ip"), Some(&Value::Str("2001:db8::2".into())));
        assert_eq!(r.get("packets_sent"), Some(&Value::Int(1_200_000)));
        assert_eq!(r.get("bytes_sent"), Some(&Value::Int(3_500_000_000)));
        assert_eq!(r.get("bps"), Some(&Value::Int(2_100_000)));
        let icmp = rec(
            "2018-01-12 15:37:30.942 0.000 ICMP 10.0.0.1:0 -> 10.0.0.2:3.3 ........ 0 1 60 0 0 60 1",
            &ctx,
        );
        assert_eq!(icmp.get("icmp_type"), Some(&Value::Int(3)));
        assert_eq!(icmp.get("icmp_code"), Some(&Value::Int(3)));
        assert_eq!(icmp.get("ip_proto"), Some(&Value::Int(1)));
        let icmp6 = rec(
            "2018-01-12 15:37:30.942 0.000 ICMP6 fe80::1.0 -> ff02::2.133.0 ........ 0 1 60 0 0 60 1",
            &ctx,
        );
        assert_eq!(icmp6.get("dst_ip"), Some(&Value::Str("ff02::2".into())));
        assert_eq!(icmp6.get("icmp_type"), Some(&Value::Int(133)));
    }

    // `nfdump -r test1-malicious.nfdump -o long` / `-o line` (nfdump 1.7.1), first record each.
    const LONG: &str = "\
Date first seen             Duration     Proto      Src IP Addr:Port          Dst IP Addr:Port     Flags Tos  Packets    Bytes Flows
2018-01-12 15:37:41.387     00:00:00.000 UDP       147.32.82.30:64489 ->  255.255.255.255:5200  ........   0        1       52     1";
    const LINE: &str = "\
Date first seen             Duration     Proto      Src IP Addr:Port          Dst IP Addr:Port   Packets    Bytes Flows
2018-01-12 15:37:30.942     00:00:00.000 TCP      147.32.80.119:52324 ->     147.32.82.62:902          1       60     1";

    #[test]
    fn long_and_line_layouts() {
        let ctx = ParseContext::default();
        for (text, name, tos) in [(LONG, "nfdump-long", Some(0)), (LINE, "nfdump-line", None)] {
            let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
            let p = detect(&lines).expect("detected");
            assert_eq!(p.name(), name);
            assert_eq!(p.parse_line(lines[0], &ctx), Ok(None));
            let r = p.parse_line(lines[1], &ctx).expect("ok").expect("record");
            assert_eq!(r.get("tos"), tos.map(Value::Int).as_ref());
            assert_eq!(r.get("flows"), Some(&Value::Int(1)));
            assert_eq!(r.get("pps"), None);
            // Without the header the counter count decides, and the layouts do not read each other.
            let headerless = detect(&lines[1..]).expect("detected without header");
            assert_eq!(headerless.name(), name);
            assert!(NfdumpTextParser::EXTENDED.parse_line(lines[1], &ctx).is_err());
        }
        let r = NfdumpTextParser::LONG.parse_line(LONG.lines().nth(1).unwrap_or_default().as_bytes(), &ctx);
        let r = r.expect("ok").expect("record");
        assert_eq!(r.get("dst_ip"), Some(&Value::Str("255.255.255.255".into())));
        assert_eq!(r.get("bytes_sent"), Some(&Value::Int(52)));
        assert_eq!(r.get("tcp_flags"), Some(&Value::Str("........".into())));
        let r = NfdumpTextParser::LINE.parse_line(LINE.lines().nth(1).unwrap_or_default().as_bytes(), &ctx);
        let r = r.expect("ok").expect("record");
        assert_eq!((r.get("packets_sent"), r.get("tcp_flags")), (Some(&Value::Int(1)), None));
        assert!(NfdumpTextParser::LINE
            .parse_line(LONG.lines().nth(1).unwrap_or_default().as_bytes(), &ctx)
            .is_err());
    }

    #[test]
    fn malformed_rejected() {
        let ctx = ParseContext::default();
        for bad in [
            "2018-01-12 15:37:30.942 00:00:00.000 TCP 1.2.3.4:1 -> 5.6.7.8:2 ......S. 0 1 60 0 0 60",
            "2018-01-12 15:37:30.942 00:00:00.000 TCP 1.2.3.4 -> 5.6.7.8:2 ......S. 0 1 60 0 0 60 1",
            "2018-13-12 15:37:30.942 00:00:00.000 TCP 1.2.3.4:1 -> 5.6.7.8:2 ......S. 0 1 60 0 0 60 1",
            "2018-01-12 15:37:30.942 00:00:00.000 TCP 1.2.3.4:99999 -> 5.6.7.8:2 ......S. 0 1 60 0 0 60 1",
            "2018-01-12 15:37:30.942 00:00:00.000 TCP 1.2.3.4:1 -> 5.6.7.8:2 ......S. 0 x 60 0 0 60 1",
            "2018-01-12 15:37:30.942 00:00:00.000 TCP 1.2.3.4:1 -> 5.6.7.8:2 ......S. 0 1e400 60 0 0 60 1",
            "garbage",
        ] {
            assert!(NfdumpTextParser::EXTENDED.parse_line(bad.as_bytes(), &ctx).is_err(), "{bad}");
        }
        assert!(NfdumpTextParser::EXTENDED.parse_line(b"\xff\xfe", &ctx).is_err());
        assert!(detect(&[b"hello world", b"{\"a\":1}"]).is_none());
        // Truncations of a real line never panic.
        let line = EXCERPT.lines().nth(1).unwrap_or_default();
        for n in 0..line.len() {
            let _ = NfdumpTextParser::EXTENDED.parse_line(&line.as_bytes()[..n], &ctx);
        }
    }

    #[test]
    fn real_extended_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/real_data/nfdump/test1-malicious.nfdump-extended.txt");
        let Ok(data) = std::fs::read(&path) else {
            eprintln!("skipping: {} not found", path.display());
            return;
        };
        let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
        let p = detect(&lines[..20]).expect("detected");
        let ctx = ParseContext::default();
        let mut recs = Vec::new();
        let mut rejects = 0;
        for l in &lines {
            match p.parse_line(l, &ctx) {
                Ok(Some(r)) => recs.push(r),
                Ok(None) => {}
                Err(e) => {
                    eprintln!("{e}");
                    rejects += 1;
                }
            }
        }
        assert_eq!((recs.len(), rejects), (4593, 0));
        let sum = |f: &str| -> i64 {
            recs.iter().map(|r| if let Some(Value::Int(i)) = r.get(f) { *i } else { 0 }).sum()
        };
        // Totals printed by nfdump's own summary line.
        assert_eq!((sum("bytes_sent"), sum("packets_sent"), sum("flows")), (241_025, 4652, 4593));
        let tcp = recs.iter().filter(|r| r.get("ip_proto") == Some(&Value::Int(6))).count();
        let udp = recs.iter().filter(|r| r.get("ip_proto") == Some(&Value::Int(17))).count();
        assert_eq!((tcp, udp), (4576, 17));
        let ts: Vec<i64> = recs
            .iter()
            .filter_map(|r| if let Some(Value::TimeUs(t)) = r.get("time") { Some(*t) } else { None })
            .collect();
        assert_eq!(ts.len(), 4593);
        let lo = civil_to_us(2018, 1, 12, 15, 37, 30, 940_000, 0);
        let hi = civil_to_us(2018, 1, 12, 15, 38, 3, 981_000, 0);
        assert_eq!((ts.iter().min().copied(), ts.iter().max().copied()), (Some(lo), Some(hi)));
    }

    #[test]
    #[ignore]
    fn throughput() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/real_data/nfdump/test1-malicious.nfdump-extended.txt");
        let Ok(data) = std::fs::read(&path) else {
            return;
        };
        let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
        let ctx = ParseContext::default();
        let start = std::time::Instant::now();
        let mut n = 0usize;
        for _ in 0..50 {
            n += lines
                .iter()
                .filter(|l| matches!(NfdumpTextParser::EXTENDED.parse_line(l, &ctx), Ok(Some(_))))
                .count();
        }
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "nfdump-extended {:>10.0} lines/s {:>7.1} MB/s",
            n as f64 / secs,
            (data.len() * 50) as f64 / 1e6 / secs
        );
    }
}
