//! ArcSight CEF ("CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|k=v k=v") and IBM
//! LEEF 1.0 / 2.0 ("LEEF:2.0|Vendor|Product|Version|EventID|delim|k=v<delim>k=v"), standalone or
//! inside a syslog envelope.

use super::{int_or_str, line_text, port_value, push_proto, put, syslog};
use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};
use crate::data::timeparse;

pub(crate) const CEF_MAPPINGS: &[(&str, &str)] = &[
    ("header Device Vendor/Product/Version", "device_vendor / device_product / device_version"),
    ("header Signature ID / Name / Severity", "signature_id / event_name / severity"),
    ("src / dst", "src_ip / dst_ip"),
    ("spt / dpt", "src_port / dst_port"),
    ("proto", "proto, ip_proto"),
    ("act", "action"),
    ("suser", "user_name, src_user"),
    ("duser", "dst_user (user_name when no suser)"),
    ("request / requestMethod", "http_request / http_method"),
    ("requestClientApplication", "http_user_agent"),
    ("in / out", "bytes_sent / bytes_received"),
    ("rt (else start)", "time"),
    ("start / end", "start_time / end_time"),
    ("deviceInboundInterface / deviceOutboundInterface", "in_iface / out_iface"),
    ("msg (else header Name)", "msg"),
    ("reason / outcome", "reason / outcome"),
    ("other keys", "cef_<key>"),
];

pub(crate) const LEEF_MAPPINGS: &[(&str, &str)] = &[
    (
        "header Vendor/Product/Version/EventID",
        "device_vendor / device_product / device_version / signature_id",
    ),
    ("src / dst", "src_ip / dst_ip"),
    ("srcPort / dstPort", "src_port / dst_port"),
    ("proto", "proto, ip_proto"),
    ("usrName", "user_name"),
    ("devTime", "time"),
    ("srcBytes / dstBytes", "bytes_sent / bytes_received"),
    ("srcPackets / dstPackets", "packets_sent / packets_received"),
    ("sev / cat", "severity / category"),
    ("other keys", "leef_<key>"),
];

/// CEF lines (standalone or after a syslog header).
pub struct CefParser;
/// LEEF lines (standalone or after a syslog header).
pub struct LeefParser;

impl LineParser for CefParser {
    fn name(&self) -> &'static str {
        "cef"
    }
    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        parse_wrapped(line, ctx, "CEF:", "cef", enrich_cef)
    }
}

impl LineParser for LeefParser {
    fn name(&self) -> &'static str {
        "leef"
    }
    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        parse_wrapped(line, ctx, "LEEF:", "leef", enrich_leef)
    }
}

type Enricher = fn(&mut Record, &str, &ParseContext) -> Result<(), String>;

fn parse_wrapped(line: &[u8], ctx: &ParseContext, marker: &str, log_type: &str, f: Enricher) -> LineResult {
    let t = line_text(line);
    let t = t.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let pos = t.find(marker).ok_or_else(|| format!("expected a '{marker}...' line"))?;
    let mut rec = if pos == 0 {
        Record::new()
    } else {
        syslog::parse_envelope(t, ctx)
            .map_err(|e| format!("{marker} preceded by something that is not a syslog header: {e}"))?
            .rec
    };
    f(&mut rec, &t[pos..], ctx)?;
    put(&mut rec, "log_type", Value::Str(log_type.to_string()));
    Ok(Some(rec))
}

/// Split `n` '|'-separated header fields (with `\|` and `\\` escapes) off `s`; returns (fields, rest).
fn split_header(s: &str, n: usize) -> Option<(Vec<String>, &str)> {
    let mut fields = Vec::with_capacity(n);
    let mut cur = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.clone().next() {
                Some((_, e)) if e == '|' || e == '\\' => {
                    cur.push(e);
                    chars.next();
                }
                // Unknown escape: keep it literally.
                _ => cur.push('\\'),
            },
            '|' => {
                fields.push(std::mem::take(&mut cur));
                if fields.len() == n {
                    return Some((fields, &s[i + 1..]));
                }
            }
            _ => cur.push(c),
        }
    }
    None
}

/// Unescape a CEF extension value: `\=`, `\\`, `\n`, `\r`, `\|`; other escapes stay literal.
fn unescape_value(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('=') | Some('\\') | Some('|') => out.push(chars.next().unwrap_or('\\')),
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            Some('r') => {
                chars.next();
                out.push('\r');
            }
            _ => out.push('\\'),
        }
    }
    out
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-' || b == b'[' || b == b']'
}

/// CEF extension "k=v k=v with spaces k=v": a value ends where the next " key=" starts.
fn split_extension(ext: &str) -> Vec<(&str, String)> {
    let b = ext.as_bytes();
    // (key start, '=' index) of every key.
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if (i == 0 || b[i - 1] == b' ') && is_key_byte(b[i]) {
            let mut j = i;
            while j < b.len() && is_key_byte(b[j]) {
                j += 1;
            }
            if j < b.len() && b[j] == b'=' {
                keys.push((i, j));
                i = j + 1;
                continue;
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(keys.len());
    for (n, &(ks, eq)) in keys.iter().enumerate() {
        let vend = keys.get(n + 1).map(|k| k.0).unwrap_or(b.len());
        let raw = ext[eq + 1..vend].trim_end_matches(' ');
        out.push((&ext[ks..eq], unescape_value(raw)));
    }
    out
}

/// A device time (`rt`, `start`, `end`, `devTime`). The field is optional in CEF / LEEF: a value
/// that is not a valid time is kept as text under `cef_<key>` / `leef_<key>` instead (never a
/// wrapped time).
fn device_time_us(v: &str, ctx: &ParseContext) -> Option<i64> {
    timeparse::loose_device_time_us(v, ctx.default_year, ctx.default_tz_offset_secs).ok()
}

/// Parse a CEF payload starting at "CEF:" into `rec`.
pub(crate) fn enrich_cef(rec: &mut Record, text: &str, ctx: &ParseContext) -> Result<(), String> {
    let body = text.strip_prefix("CEF:").ok_or("expected 'CEF:'")?;
    let (h, ext) = split_header(body, 7).ok_or_else(|| {
        let n = body.matches('|').count();
        format!("CEF: expected 7 '|'-separated header fields before the extension, got {n} separators")
    })?;
    let s = |rec: &mut Record, k: &str, v: &str| put(rec, k, Value::Str(v.to_string()));
    put(rec, "cef_version", int_or_str(&h[0]));
    s(rec, "device_vendor", &h[1]);
    s(rec, "device_product", &h[2]);
    s(rec, "device_version", &h[3]);
    s(rec, "signature_id", &h[4]);
    s(rec, "event_name", &h[5]);
    s(rec, "severity", &h[6]);
    let mut time_set = false;
    let mut start_us = None;
    let mut suser = None;
    let mut duser = None;
    for (k, v) in split_extension(ext) {
        match k {
            "src" => s(rec, "src_ip", &v),
            "dst" => s(rec, "dst_ip", &v),
            "spt" => put(rec, "src_port", port_value(&v)),
            "dpt" => put(rec, "dst_port", port_value(&v)),
            "proto" => push_proto(rec, &v),
            "act" => s(rec, "action", &v.to_ascii_lowercase()),
            "suser" => suser = Some(v),
            "duser" => duser = Some(v),
            "request" => s(rec, "http_request", &v),
            "requestMethod" => s(rec, "http_method", &v),
            "requestClientApplication" => s(rec, "http_user_agent", &v),
            "in" => put(rec, "bytes_sent", int_or_str(&v)),
            "out" => put(rec, "bytes_received", int_or_str(&v)),
            "deviceInboundInterface" => s(rec, "in_iface", &v),
            "deviceOutboundInterface" => s(rec, "out_iface", &v),
            "shost" => s(rec, "src_host", &v),
            "dhost" => s(rec, "dst_host", &v),
            "msg" => s(rec, "msg", &v),
            "reason" => s(rec, "reason", &v),
            "outcome" => s(rec, "outcome", &v.to_ascii_lowercase()),
            "rt" | "start" | "end" => match device_time_us(&v, ctx) {
                Some(us) => {
                    if k == "rt" {
                        put(rec, "time", Value::TimeUs(us));
                        time_set = true;
                    } else {
                        if k == "start" {
                            start_us = Some(us);
                        }
                        put(rec, if k == "start" { "start_time" } else { "end_time" }, Value::TimeUs(us));
                    }
                }
                None => s(rec, &format!("cef_{k}"), &v),
            },
            _ => s(rec, &format!("cef_{k}"), &v),
        }
    }
    if !time_set {
        if let Some(us) = start_us {
            put(rec, "time", Value::TimeUs(us));
        }
    }
    if let Some(u) = &duser {
        s(rec, "dst_user", u);
    }
    if let Some(u) = &suser {
        s(rec, "src_user", u);
    }
    if let Some(u) = suser.or(duser) {
        s(rec, "user_name", &u);
    }
    if rec.get("msg").is_none() {
        s(rec, "msg", &h[5]);
    }
    Ok(())
}

/// LEEF 2.0 delimiter field: a character, or hex "x5E" / "0x5E" / "\x5E"; empty -> tab.
fn leef_delimiter(f: &str) -> Option<char> {
    if f.is_empty() {
        return Some('\t');
    }
    let stripped = f.trim_start_matches('\\');
    let stripped = stripped.strip_prefix('0').filter(|r| r.starts_with(['x', 'X'])).unwrap_or(stripped);
    let hex = stripped.strip_prefix(['x', 'X']).unwrap_or("");
    if f.chars().count() > 1
        && hex.len() <= 4
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
    }
    let mut it = f.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// Parse a LEEF payload starting at "LEEF:" into `rec`.
pub(crate) fn enrich_leef(rec: &mut Record, text: &str, ctx: &ParseContext) -> Result<(), String> {
    let body = text.strip_prefix("LEEF:").ok_or("expected 'LEEF:'")?;
    let version = body.split('|').next().unwrap_or("");
    let (h, attrs, delim) = if version.starts_with('2') {
        let (h, rest) = split_header(body, 6).ok_or("LEEF 2.0: expected 6 '|'-separated header fields")?;
        match leef_delimiter(&h[5]) {
            Some(d) => (h, rest, d),
            // Some senders omit the delimiter field: the 6th field is already an attribute.
            None if h[5].contains('=') => {
                let (h5, rest5) = split_header(body, 5).ok_or("LEEF 2.0: expected 5 header fields")?;
                (h5, rest5, '\t')
            }
            None => return Err(format!("LEEF 2.0: bad delimiter field '{}'", h[5])),
        }
    } else {
        let (h, rest) = split_header(body, 5).ok_or("LEEF 1.0: expected 5 '|'-separated header fields")?;
        (h, rest, '\t')
    };
    let s = |rec: &mut Record, k: &str, v: &str| put(rec, k, Value::Str(v.to_string()));
    s(rec, "leef_version", &h[0]);
    s(rec, "device_vendor", &h[1]);
    s(rec, "device_product", &h[2]);
    s(rec, "device_version", &h[3]);
    s(rec, "signature_id", &h[4]);
    for a in attrs.split(delim) {
        let Some((k, v)) = a.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() {
            continue;
        }
        match k {
            "src" => s(rec, "src_ip", v),
            "dst" => s(rec, "dst_ip", v),
            "srcPort" => put(rec, "src_port", port_value(v)),
            "dstPort" => put(rec, "dst_port", port_value(v)),
            "proto" => push_proto(rec, v),
            "usrName" => s(rec, "user_name", v),
            "srcBytes" => put(rec, "bytes_sent", int_or_str(v)),
            "dstBytes" => put(rec, "bytes_received", int_or_str(v)),
            "srcPackets" => put(rec, "packets_sent", int_or_str(v)),
            "dstPackets" => put(rec, "packets_received", int_or_str(v)),
            "sev" => s(rec, "severity", v),
            "cat" => s(rec, "category", v),
            "devTime" => match device_time_us(v, ctx) {
                Some(us) => put(rec, "time", Value::TimeUs(us)),
                None => s(rec, "leef_devTime", v),
            },
            _ => s(rec, &format!("leef_{k}"), v),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::record::civil_to_us;

    fn st(r: &Record, k: &str) -> Option<String> {
        match r.get(k) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }
    fn cef(line: &str) -> Record {
        CefParser.parse_line(line.as_bytes(), &ParseContext::default()).expect("ok").expect("record")
    }

    #[test]
    fn cef_spec_examples() {
        // Examples from the ArcSight CEF implementation standard.
        let r = cef("CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232");
        assert_eq!(st(&r, "device_vendor").as_deref(), Some("Security"));
        assert_eq!(st(&r, "signature_id").as_deref(), Some("100"));
        assert_eq!(st(&r, "src_ip").as_deref(), Some("10.0.0.1"));
        assert_eq!(r.get("src_port"), Some(&Value::Int(1232)));
        assert_eq!(st(&r, "msg").as_deref(), Some("worm successfully stopped"));
        let r = cef("CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1");
        assert_eq!(st(&r, "event_name").as_deref(), Some("detected a | in message"));
        assert_eq!(st(&r, "action").as_deref(), Some("blocked a ="));
        assert_eq!(st(&r, "dst_ip").as_deref(), Some("1.1.1.1"));
        let r = cef("CEF:0|security|threatmanager|1.0|100|detected a \\\\ in packet|10|src=10.0.0.1 act=blocked a \\\\ dst=1.1.1.1");
        assert_eq!(st(&r, "event_name").as_deref(), Some("detected a \\ in packet"));
        assert_eq!(st(&r, "action").as_deref(), Some("blocked a \\"));
        let r = cef("CEF:0|security|threatmanager|1.0|100|x|10|src=10.0.0.1 msg=Detected a threat.\\n No action needed. cs1Label=Foo cs1=a b");
        assert_eq!(st(&r, "msg").as_deref(), Some("Detected a threat.\n No action needed."));
        assert_eq!(st(&r, "cef_cs1").as_deref(), Some("a b"));
    }

    #[test]
    fn cef_mappings_and_syslog_wrap() {
        let line = "<134>Mar 24 08:59:37 proxy1 CEF:0|Vendor|Proxy|2.1|200|Web request|3|rt=1521907177000 src=10.0.0.2 spt=50000 dst=93.184.216.34 dpt=80 proto=TCP act=Allowed suser=alice request=http://x/y?q=1 requestMethod=GET in=512 out=2048 deviceInboundInterface=eth0 deviceOutboundInterface=eth1";
        let r = cef(line);
        assert_eq!(st(&r, "host").as_deref(), Some("proxy1"));
        assert_eq!(r.get("syslog_sev"), Some(&Value::Int(6)));
        assert_eq!(r.get("time"), Some(&Value::TimeUs(1_521_907_177_000_000)));
        assert_eq!(st(&r, "proto").as_deref(), Some("tcp"));
        assert_eq!(r.get("ip_proto"), Some(&Value::Int(6)));
        assert_eq!(st(&r, "action").as_deref(), Some("allowed"));
        assert_eq!(st(&r, "user_name").as_deref(), Some("alice"));
        assert_eq!(st(&r, "http_request").as_deref(), Some("http://x/y?q=1"));
        assert_eq!(r.get("bytes_sent"), Some(&Value::Int(512)));
        assert_eq!(r.get("bytes_received"), Some(&Value::Int(2048)));
        assert_eq!(st(&r, "in_iface").as_deref(), Some("eth0"));
        assert_eq!(st(&r, "log_type").as_deref(), Some("cef"));
        // Same line through the generic syslog parser.
        let r2 =
            crate::data::formats::text::syslog::parse_syslog_str(line, &ParseContext::default()).expect("ok");
        assert_eq!(st(&r2, "log_type").as_deref(), Some("cef"));
        assert_eq!(r2.get("dst_port"), Some(&Value::Int(80)));
        // start used when rt is missing; text dates.
        let r =
            cef("CEF:0|V|P|1|1|n|1|start=Mar 24 2018 08:59:37 UTC end=Mar 24 2018 09:00:00 UTC duser=bob");
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2018, 3, 24, 8, 59, 37, 0, 0))));
        assert_eq!(st(&r, "user_name").as_deref(), Some("bob"));
    }

    #[test]
    fn cef_malformed() {
        let ctx = ParseContext::default();
        for bad in ["CEF:0|a|b|c", "hello", "garbage CEF:0|a|b|c|d|e|f|", "CEF:"] {
            assert!(CefParser.parse_line(bad.as_bytes(), &ctx).is_err(), "{bad}");
        }
        // Bad escapes are kept literally.
        let r = cef("CEF:0|a\\x|b|c|d|e|f|k=v\\q\\ z=\\");
        assert_eq!(st(&r, "device_vendor").as_deref(), Some("a\\x"));
        assert_eq!(st(&r, "cef_k").as_deref(), Some("v\\q\\"));
        assert_eq!(st(&r, "cef_z").as_deref(), Some("\\"));
        // Empty extension, trailing backslash in header.
        let r = cef("CEF:0|a|b|c|d|e|f|");
        assert_eq!(st(&r, "severity").as_deref(), Some("f"));
        assert!(CefParser.parse_line(b"CEF:0|a|b|c|d|e|f\\", &ctx).is_err());
        assert!(CefParser.parse_line(b"CEF:0|\xff\xfe|b|c|d|e|f|src=1", &ctx).is_ok());
    }

    #[test]
    fn leef_versions() {
        let ctx = ParseContext::default();
        // LEEF 1.0 example from the IBM LEEF guide (tab-separated).
        let r = LeefParser
            .parse_line(
                b"LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black",
                &ctx,
            )
            .expect("ok")
            .expect("record");
        assert_eq!(st(&r, "src_ip").as_deref(), Some("192.0.2.0"));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(21)));
        assert_eq!(st(&r, "user_name").as_deref(), Some("joe.black"));
        assert_eq!(st(&r, "log_type").as_deref(), Some("leef"));
        // LEEF 2.0 with '^' and hex delimiters.
        let r = LeefParser
            .parse_line(b"LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21", &ctx)
            .expect("ok")
            .expect("record");
        assert_eq!(st(&r, "dst_ip").as_deref(), Some("10.0.0.5"));
        assert_eq!(r.get("src_port"), Some(&Value::Int(81)));
        let r = LeefParser
            .parse_line(b"LEEF:2.0|Lancope|StealthWatch|1.0|41|x5E|src=10.0.1.8^proto=UDP^devTime=Mar 24 2018 08:59:37", &ctx)
            .expect("ok")
            .expect("record");
        assert_eq!(st(&r, "proto").as_deref(), Some("udp"));
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2018, 3, 24, 8, 59, 37, 0, 0))));
        // Syslog-wrapped, and malformed.
        let r = LeefParser
            .parse_line(b"<13>Mar 24 08:59:37 qradar LEEF:1.0|V|P|1|id|src=1.2.3.4", &ctx)
            .expect("ok")
            .expect("record");
        assert_eq!(st(&r, "host").as_deref(), Some("qradar"));
        assert!(LeefParser.parse_line(b"LEEF:1.0|V|P", &ctx).is_err());
        assert!(LeefParser.parse_line(b"LEEF:2.0|V|P|1|id|abc|src=1", &ctx).is_err());
    }

    #[test]
    #[ignore]
    fn throughput_cef() {
        let line = "<134>Mar 24 08:59:37 proxy1 CEF:0|Vendor|Proxy|2.1|200|Web request|3|rt=1521907177000 src=10.0.0.2 spt=50000 dst=93.184.216.34 dpt=80 proto=TCP act=Allowed suser=alice request=http://x/y?q\\=1 requestMethod=GET in=512 out=2048 msg=some text with spaces\n";
        let bytes = line.repeat(10_000);
        crate::data::formats::text::throughput("cef (synthetic)", &CefParser, bytes.as_bytes());
        let leef = "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21^usrName=bob\n";
        crate::data::formats::text::throughput(
            "leef (synthetic)",
            &LeefParser,
            leef.repeat(10_000).as_bytes(),
        );
    }
}
