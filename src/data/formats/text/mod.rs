//! Line parsers for text security logs: syslog (RFC 3164 / 5424) with message enrichers
//! (netfilter, pfSense filterlog, Cisco ASA, sshd / PAM, CEE JSON), web server access and error
//! logs, CEF, LEEF and Snare Windows events. Every parser maps onto the field dictionary
//! (`docs/FIELDS.md`) and keeps the message text under `msg`.

pub mod asa;
pub mod cef;
pub mod netfilter;
pub mod pfsense;
pub mod snare;
pub mod sshd;
pub mod syslog;
pub mod web;

use std::borrow::Cow;

use crate::data::record::{LineParser, ParseContext, Record, Value};

/// Best text parser for a sample of the first non-empty lines of a file (at most 64): the one that
/// fits the most lines, if it fits most of them (a broken first or last line is outvoted), ties to
/// the more specific. Never claims Zeek TSV (its header) or files that are mostly JSON objects.
pub fn detect(sample: &[&[u8]]) -> Option<Box<dyn LineParser>> {
    let lines: Vec<&[u8]> =
        sample.iter().copied().filter(|l| !line_text(l).trim().is_empty()).take(64).collect();
    if lines.is_empty() {
        return None;
    }
    let zeek_header = {
        let t = line_text(lines[0]);
        t.starts_with("#separator") || t.starts_with("#fields") || t.starts_with("#path")
    };
    let objects = lines.iter().filter(|l| line_text(l).trim_start().starts_with('{')).count();
    if zeek_header || objects * 2 > lines.len() {
        return None;
    }
    // Most specific first: CEF/LEEF/Snare lines inside a syslog envelope also parse as syslog.
    let candidates: Vec<Box<dyn LineParser>> = vec![
        Box::new(cef::CefParser),
        Box::new(cef::LeefParser),
        Box::new(snare::SnareParser),
        Box::new(web::AccessParser),
        Box::new(web::ErrorParser),
        Box::new(syslog::SyslogParser),
    ];
    let ctx = ParseContext::default();
    let mut best: Option<(usize, Box<dyn LineParser>)> = None;
    for p in candidates {
        let fit = lines.iter().filter(|l| matches!(p.parse_line(l, &ctx), Ok(Some(_)))).count();
        // A more specific parser that fits as many lines keeps its place.
        if fit * 2 > lines.len() && best.as_ref().is_none_or(|(b, _)| fit > *b) {
            best = Some((fit, p));
        }
    }
    best.map(|(_, p)| p)
}

/// Parse a bare syslog message (RFC 5424 or 3164, with or without <PRI>), e.g. Zeek syslog.log `message` values.
pub fn parse_syslog_message(msg: &str, ctx: &ParseContext) -> Option<Record> {
    syslog::parse_syslog_str(msg, ctx).ok()
}

/// Field mapping table for the docs: (format name, source field/token, normalized field).
pub fn field_mappings() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut v = vec![
        ("syslog", "<PRI> / 8", "syslog_fac"),
        ("syslog", "<PRI> % 8", "syslog_sev"),
        ("syslog", "timestamp", "time"),
        ("syslog", "HOSTNAME", "host"),
        ("syslog", "TAG / APP-NAME", "app_name"),
        ("syslog", "[pid] / PROCID", "pid"),
        ("syslog", "MSGID", "msgid"),
        ("syslog", "message text", "msg"),
        ("syslog", "enricher", "log_type"),
        ("cee", "source", "host"),
        ("cee", "id", "event_id"),
        ("cee", "user", "user_name"),
        ("cee", "msg", "msg"),
        ("snare", "EventID", "event_id"),
        ("snare", "UserName", "user_name"),
        ("snare", "Hostname", "host"),
        ("snare", "EventLogType (Success/Failure Audit)", "outcome"),
        ("snare", "DataString", "msg"),
    ];
    v.extend(netfilter::MAPPINGS.iter().map(|(a, b)| ("iptables", *a, *b)));
    v.extend(pfsense::MAPPINGS.iter().map(|(a, b)| ("pfsense", *a, *b)));
    v.extend(asa::MAPPINGS.iter().map(|(a, b)| ("asa", *a, *b)));
    v.extend(sshd::MAPPINGS.iter().map(|(a, b)| ("sshd", *a, *b)));
    v.extend(web::ACCESS_MAPPINGS.iter().map(|(a, b)| ("apache-access", *a, *b)));
    v.extend(web::ERROR_MAPPINGS.iter().map(|(a, b)| ("apache-error", *a, *b)));
    v.extend(cef::CEF_MAPPINGS.iter().map(|(a, b)| ("cef", *a, *b)));
    v.extend(cef::LEEF_MAPPINGS.iter().map(|(a, b)| ("leef", *a, *b)));
    v
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for the parsers of this module.

/// Line as text, without a leading BOM and without trailing CR/LF (loghub files are CRLF). Logs
/// carry attacker-controlled bytes: invalid UTF-8 is kept, escaped as `\xNN` (a NOP sled stays
/// visible as `\x90\x90...`), never dropped or replaced.
pub(crate) fn line_text(line: &[u8]) -> Cow<'_, str> {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let mut end = line.len();
    while end > 0 && (line[end - 1] == b'\n' || line[end - 1] == b'\r') {
        end -= 1;
    }
    crate::data::text_escape::escape_invalid_utf8(&line[..end])
}

/// Set a field, replacing an earlier value of the same name (enrichers may refine envelope fields).
pub(crate) fn put(rec: &mut Record, name: &str, value: Value) {
    if let Some(slot) = rec.fields.iter_mut().find(|(n, _)| n == name) {
        slot.1 = value;
    } else {
        rec.fields.push((name.to_string(), value));
    }
}

/// Integer field value, or a string when the text is not a number (keeps information).
pub(crate) fn int_or_str(s: &str) -> Value {
    match s.trim().parse::<i64>() {
        Ok(n) => Value::Int(n),
        Err(_) => Value::Str(s.to_string()),
    }
}

/// Port value: Int when numeric, Null when empty or "-".
pub(crate) fn port_value(s: &str) -> Value {
    let s = s.trim();
    if s.is_empty() || s == "-" {
        return Value::Null;
    }
    int_or_str(s)
}

/// IANA protocol number for common lowercase protocol names.
pub(crate) fn ip_proto_number(name: &str) -> Option<i64> {
    Some(match name {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "icmpv6" | "ipv6-icmp" | "icmp6" => 58,
        "ospf" => 89,
        "pim" => 103,
        "vrrp" => 112,
        "carp" => 112,
        "sctp" => 132,
        _ => return None,
    })
}

/// Lowercase protocol name for an IANA number (inverse of [`ip_proto_number`]).
pub(crate) fn ip_proto_name(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        89 => "ospf",
        103 => "pim",
        112 => "vrrp",
        132 => "sctp",
        _ => return None,
    })
}

/// Push `proto` (lowercase) and `ip_proto` from a protocol token that is a name or a number.
pub(crate) fn push_proto(rec: &mut Record, token: &str) {
    let t = token.trim();
    if t.is_empty() {
        return;
    }
    if let Ok(n) = t.parse::<i64>() {
        if let Some(name) = ip_proto_name(n) {
            put(rec, "proto", Value::Str(name.to_string()));
        } else {
            put(rec, "proto", Value::Str(t.to_string()));
        }
        put(rec, "ip_proto", Value::Int(n));
        return;
    }
    let lower = t.to_ascii_lowercase();
    if let Some(n) = ip_proto_number(&lower) {
        put(rec, "ip_proto", Value::Int(n));
    }
    put(rec, "proto", Value::Str(lower));
}

/// Parse `digits` as u32 only if all characters are ASCII digits (no sign, no spaces).
pub(crate) fn digits_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// "h:mm:ss" (ASA duration) or "Nd h:mm:ss" style -> seconds.
pub(crate) fn parse_duration_secs(s: &str) -> Option<f64> {
    let (days, hms) = match s.split_once(['d', 'D']) {
        Some((d, rest)) => (digits_u32(d.trim())? as f64, rest.trim()),
        None => (0.0, s.trim()),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let h = digits_u32(parts[0])? as f64;
    let m = digits_u32(parts[1])? as f64;
    let sec: f64 = parts[2].parse().ok()?;
    Some(days * 86_400.0 + h * 3600.0 + m * 60.0 + sec)
}

/// Path of a real-data file for tests: skips when the shared data is absent on a user's clone,
/// fails when `CI` is set (a test must not pass by skipping there).
#[cfg(test)]
pub(crate) fn real_data(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real_data").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(std::env::var_os("CI").is_none(), "{} not found and CI is set", p.display());
    eprintln!("skipping: {} not found", p.display());
    None
}

/// Parse a whole file with `parser`: (records, rejects). Lines are split on '\n' (CR stripped by the parser).
#[cfg(test)]
pub(crate) fn parse_file(parser: &dyn LineParser, bytes: &[u8], ctx: &ParseContext) -> (Vec<Record>, usize) {
    let mut recs = Vec::new();
    let mut rejects = 0;
    for line in bytes.split(|b| *b == b'\n') {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match parser.parse_line(line, ctx) {
            Ok(Some(r)) => recs.push(r),
            Ok(None) => {}
            Err(e) => {
                if rejects < 5 {
                    eprintln!("reject: {e}: {}", String::from_utf8_lossy(line));
                }
                rejects += 1;
            }
        }
    }
    (recs, rejects)
}

/// Lines per second of `parser` over `bytes`, printed by the ignored throughput tests.
#[cfg(test)]
pub(crate) fn throughput(name: &str, parser: &dyn LineParser, bytes: &[u8]) {
    let ctx = ParseContext::default();
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let reps = (200_000 / lines.len().max(1)).max(1);
    let start = std::time::Instant::now();
    let mut n = 0usize;
    for _ in 0..reps {
        for l in &lines {
            if let Ok(Some(_)) = parser.parse_line(l, &ctx) {
                n += 1;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let total = reps * lines.len();
    println!("{name}: {total} lines in {secs:.3} s = {:.0} lines/s ({n} records)", total as f64 / secs);
}

/// Garbage inputs every parser must survive without panicking.
#[cfg(test)]
pub(crate) fn fuzz_inputs(seed_lines: &[&str]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![
        vec![],
        b"\xff\xfe\x00garbage".to_vec(),
        b"<".to_vec(),
        b"<999>".to_vec(),
        b"<13>1 ".to_vec(),
        b"CEF:".to_vec(),
        b"CEF:0|a\\".to_vec(),
        b"LEEF:2.0|a|b|c|d|x|".to_vec(),
        b"[".to_vec(),
        "\u{feff}Feb 20 10:47:14".as_bytes().to_vec(),
        "é\u{00e9}ü".repeat(10).into_bytes(),
    ];
    // Every prefix of every seed (truncated lines), plus byte-level corruption.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for s in seed_lines {
        let b = s.as_bytes();
        for i in 0..=b.len() {
            out.push(b[..i].to_vec());
        }
        for _ in 0..50 {
            let mut v = b.to_vec();
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if !v.is_empty() {
                    let i = (state as usize) % v.len();
                    v[i] = (state >> 32) as u8;
                }
            }
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("1:02:03"), Some(3723.0));
        assert_eq!(parse_duration_secs("1d 0:00:01"), Some(86_401.0));
    }

    #[test]
    fn line_text_strips_bom_and_crlf() {
        assert_eq!(line_text(b"\xEF\xBB\xBFabc\r\n"), "abc");
        assert_eq!(line_text(b"a\xffb"), "a\\xffb");
    }

    #[test]
    fn detect_picks_formats() {
        let syslog: &[&[u8]] =
            &[b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\r"];
        assert_eq!(detect(syslog).map(|p| p.name()), Some("syslog"));
        let access: &[&[u8]] =
            &[b"83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET /a HTTP/1.1\" 200 203023 \"-\" \"ua\""];
        assert_eq!(detect(access).map(|p| p.name()), Some("apache-access"));
        let err: &[&[u8]] = &[b"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok"];
        assert_eq!(detect(err).map(|p| p.name()), Some("apache-error"));
        let cef: &[&[u8]] =
            &[b"CEF:0|Security|threatmanager|1.0|100|worm stopped|10|src=10.0.0.1 dst=2.1.2.2"];
        assert_eq!(detect(cef).map(|p| p.name()), Some("cef"));
        let leef: &[&[u8]] =
            &[b"LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1"];
        assert_eq!(detect(leef).map(|p| p.name()), Some("leef"));
        let json: &[&[u8]] = &[b"{\"ts\":1}"];
        assert!(detect(json).is_none());
        let zeek: &[&[u8]] = &[b"#separator \\x09", b"#fields\tts\tuid"];
        assert!(detect(zeek).is_none());
        let csv: &[&[u8]] = &[b"a,b,c", b"1,2,3", b"4,5,6"];
        assert!(detect(csv).is_none());
        assert!(detect(&[]).is_none());
    }

    #[test]
    fn mappings_nonempty() {
        let m = field_mappings();
        assert!(m.iter().any(|(f, s, n)| *f == "cef" && s.starts_with("spt") && n.starts_with("src_port")));
        assert!(m.len() > 40);
    }

    #[test]
    fn fuzz_all_parsers_no_panic() {
        let seeds = [
            "<34>Oct 11 22:14:15 mymachine su[12]: 'su root' failed for lonvick on /dev/pts/8",
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] msg",
            "Feb 20 10:47:14 debian kernel: [  341.399450] [netfilter-OUTPUT] IN= OUT=enp0s3 SRC=1.2.3.4 DST=5.6.7.8 LEN=56 PROTO=UDP SPT=1 DPT=53 LEN=36 ",
            "Mar 24 08:59:37 fw %ASA-6-302014: Teardown TCP connection 1 for outside:1.2.3.4/5 to inside:10.0.0.1/80 duration 0:00:30 bytes 1234 TCP FINs",
            "Mar 24 08:59:37 fw filterlog[1]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,1.2.3.4,5.6.7.8,1,2,0,S,1,,1,,",
            "CEF:0|Security|threatmanager|1.0|100|worm\\|stopped|10|src=10.0.0.1 msg=a\\=b c\\\\ act=blocked",
            "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5",
            "host MSWinEventLog#0111#011Security#011123#011Mon Mar 24 08:59:37 2018#0114624#011Microsoft-Windows-Security-Auditing#011u#011N/A#011Success Audit#011h#011Logon#011An account",
            "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 - \"-\" \"x\"",
            "[Sun Dec 04 04:47:44.123456 2005] [core:error] [pid 1:tid 2] [client 1.2.3.4:5] x",
            "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user x from 1.2.3.4 port 5 ssh2",
            "1 2018-03-24T08:59:37-07:00 PC EvntSLog - - - @cee: {\"id\": \"7036\", \"user\": 5}",
        ];
        let parsers: Vec<Box<dyn LineParser>> = vec![
            Box::new(cef::CefParser),
            Box::new(cef::LeefParser),
            Box::new(snare::SnareParser),
            Box::new(web::AccessParser),
            Box::new(web::ErrorParser),
            Box::new(syslog::SyslogParser),
        ];
        let ctx = ParseContext::default();
        let inputs = fuzz_inputs(&seeds);
        for input in &inputs {
            for p in &parsers {
                let _ = p.parse_line(input, &ctx);
            }
            let _ = parse_syslog_message(&String::from_utf8_lossy(input), &ctx);
        }
        let refs: Vec<&[u8]> = inputs.iter().map(|v| v.as_slice()).collect();
        let _ = detect(&refs);
    }
}
