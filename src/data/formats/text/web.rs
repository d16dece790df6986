//! Web server logs: Apache/nginx access logs (common, combined, vhost variants) and the Apache
//! error log (2.2 and 2.4 layouts).

use super::{digits_u32, line_text, port_value};
use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};
use crate::data::timeparse::{self, TimeError};

pub(crate) const ACCESS_MAPPINGS: &[(&str, &str)] = &[
    ("%v[:port] (vhost variants)", "vhost, dst_port"),
    ("%h", "src_ip"),
    ("%l", "ident"),
    ("%u", "user_name"),
    ("%t", "time"),
    ("request line method", "http_method"),
    ("request line URL", "http_request"),
    ("request line protocol", "http_version"),
    ("%>s", "http_status"),
    ("%b (response size, received by the client)", "bytes_received"),
    ("Referer", "http_referrer"),
    ("User-Agent", "http_user_agent"),
    ("trailing fields / malformed request", "msg"),
];

pub(crate) const ERROR_MAPPINGS: &[(&str, &str)] = &[
    ("[date]", "time"),
    ("[level] / [module:level]", "level, syslog_sev, module"),
    ("[pid N:tid M]", "pid, tid"),
    ("[client ip:port]", "src_ip, src_port"),
    ("text", "msg"),
];

/// Apache / nginx access log lines.
pub struct AccessParser;
/// Apache error log lines.
pub struct ErrorParser;

impl LineParser for AccessParser {
    fn name(&self) -> &'static str {
        "apache-access"
    }
    fn parse_line(&self, line: &[u8], _ctx: &ParseContext) -> LineResult {
        let t = line_text(line);
        if t.trim().is_empty() {
            return Ok(None);
        }
        parse_access(&t).map(Some)
    }
}

impl LineParser for ErrorParser {
    fn name(&self) -> &'static str {
        "apache-error"
    }
    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let t = line_text(line);
        if t.trim().is_empty() {
            return Ok(None);
        }
        parse_error(&t, ctx).map(Some)
    }
}

/// Read a double-quoted field at the start of `s` (backslash escapes honoured); returns (value, rest).
fn quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let b = body.as_bytes();
    let mut i = 0;
    let mut escaped = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' => {
                let raw = &body[..i];
                let v =
                    if escaped { raw.replace("\\\"", "\"").replace("\\\\", "\\") } else { raw.to_string() };
                return Some((v, &body[i + 1..]));
            }
            _ => i += 1,
        }
    }
    None
}

fn parse_access(t: &str) -> Result<Record, String> {
    let lb = t.find(" [").ok_or("access log: expected 'client ident user [dd/Mon/yyyy:HH:MM:SS zone]'")?;
    let prefix: Vec<&str> = t[..lb].split_whitespace().collect();
    let (vhost, who) = match prefix.len() {
        3 => (None, &prefix[..]),
        4 => (Some(prefix[0]), &prefix[1..]),
        n => return Err(format!("access log: expected 3 or 4 fields before '[time]', got {n}")),
    };
    let after = &t[lb + 2..];
    let rb = after.find(']').ok_or("access log: unterminated '[time]'")?;
    let time_us = timeparse::apache_us(&after[..rb]).map_err(|e| match e {
        TimeError::Malformed => {
            format!("access log: expected time 'dd/Mon/yyyy:HH:MM:SS zone', got '{}'", &after[..rb])
        }
        TimeError::Invalid(why) => format!("access log time '{}': {why}", &after[..rb]),
    })?;
    let mut rec = Record::new();
    rec.push("time", Value::TimeUs(time_us));
    if let Some(v) = vhost {
        match v.rsplit_once(':') {
            Some((h, p)) if digits_u32(p).is_some() => {
                rec.push_str("vhost", h);
                rec.push("dst_port", port_value(p));
            }
            _ => rec.push_str("vhost", v),
        }
    }
    let dash = |v: &str| {
        if v == "-" {
            Value::Null
        } else {
            Value::Str(v.to_string())
        }
    };
    rec.push("src_ip", dash(who[0]));
    rec.push("ident", dash(who[1]));
    rec.push("user_name", dash(who[2]));
    let rest = after[rb + 1..].trim_start();
    let (request, rest) = quoted(rest).ok_or("access log: expected a quoted request line after '[time]'")?;
    let mut extra: Vec<String> = Vec::new();
    let parts: Vec<&str> = request.split(' ').collect();
    match parts.as_slice() {
        [m, u, v] if v.starts_with("HTTP/") && is_method(m) => {
            rec.push_str("http_method", *m);
            rec.push_str("http_request", *u);
            rec.push_str("http_version", v.trim_start_matches("HTTP/"));
        }
        [m, u] if is_method(m) => {
            rec.push_str("http_method", *m);
            rec.push_str("http_request", *u);
        }
        _ => {
            // Malformed request (shellcode, TLS on a plain port, "-"): keep it whole.
            if request != "-" {
                rec.push_str("http_request", request.as_str());
                extra.push(request.clone());
            }
        }
    }
    let mut it = rest.trim_start().splitn(3, ' ');
    let status = it.next().unwrap_or("");
    let bytes = it.next().ok_or("access log: expected status and bytes after the request")?;
    rec.push("http_status", num_or_null(status).ok_or("access log: status is not a number")?);
    rec.push("bytes_received", num_or_null(bytes).ok_or("access log: bytes is not a number or '-'")?);
    let mut rest = it.next().unwrap_or("").trim_start();
    if let Some((referrer, r)) = quoted(rest) {
        rec.push("http_referrer", dash(&referrer));
        rest = r.trim_start();
        if let Some((ua, r)) = quoted(rest) {
            rec.push("http_user_agent", dash(&ua));
            rest = r.trim_start();
        }
    }
    if !rest.is_empty() {
        extra.push(rest.to_string());
    }
    if !extra.is_empty() {
        rec.push_str("msg", extra.join(" "));
    }
    Ok(rec)
}

fn is_method(m: &str) -> bool {
    !m.is_empty() && m.len() <= 20 && m.bytes().all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
}

fn num_or_null(s: &str) -> Option<Value> {
    if s == "-" {
        return Some(Value::Null);
    }
    s.parse::<i64>().ok().map(Value::Int)
}

fn level_sev(level: &str) -> Option<i64> {
    Some(match level {
        "emerg" => 0,
        "alert" => 1,
        "crit" => 2,
        "error" => 3,
        "warn" => 4,
        "notice" => 5,
        "info" => 6,
        l if l == "debug" || l.starts_with("trace") => 7,
        _ => return None,
    })
}

fn parse_error(t: &str, ctx: &ParseContext) -> Result<Record, String> {
    const EXPECT: &str = "Apache error log: expected '[Www Mon DD HH:MM:SS YYYY] [level] message'";
    let body = t.strip_prefix('[').ok_or(EXPECT)?;
    let close = body.find(']').ok_or(EXPECT)?;
    let time_us = timeparse::ctime_us(&body[..close], ctx.default_tz_offset_secs).map_err(|e| match e {
        TimeError::Malformed => EXPECT.to_string(),
        TimeError::Invalid(why) => format!("error log time: {why}"),
    })?;
    let mut rec = Record::new();
    rec.push("time", Value::TimeUs(time_us));
    let mut rest = body[close + 1..].trim_start();
    let mut first = true;
    while let Some(group) = rest.strip_prefix('[') {
        let Some(end) = group.find(']') else { break };
        let inner = &group[..end];
        if first {
            // "[error]" or 2.4 "[core:error]"
            let (module, level) = match inner.split_once(':') {
                Some((m, l)) => (Some(m), l),
                None => (None, inner),
            };
            if let Some(m) = module {
                rec.push_str("module", m);
            }
            rec.push_str("level", level);
            if let Some(sev) = level_sev(level) {
                rec.push("syslog_sev", Value::Int(sev));
            }
            first = false;
        } else if let Some(p) = inner.strip_prefix("pid ") {
            let (pid, tid) = match p.split_once(":tid ") {
                Some((a, b)) => (a, Some(b)),
                None => (p, None),
            };
            rec.push("pid", port_value(pid));
            if let Some(tid) = tid {
                rec.push("tid", port_value(tid));
            }
        } else if let Some(c) = inner.strip_prefix("client ") {
            push_addr(&mut rec, c);
        } else if let Some(c) = inner.strip_prefix("remote ") {
            rec.push_str("remote", c);
        } else {
            break;
        }
        rest = group[end + 1..].trim_start();
    }
    if first {
        return Err(EXPECT.into());
    }
    rec.push_str("msg", rest);
    Ok(rec)
}

/// "1.2.3.4", "1.2.3.4:5678", "::1", "[::1]:5678"-ish forms -> src_ip (+ src_port).
fn push_addr(rec: &mut Record, a: &str) {
    if a.parse::<std::net::IpAddr>().is_ok() {
        rec.push_str("src_ip", a);
        return;
    }
    match a.rsplit_once(':') {
        Some((ip, port)) if digits_u32(port).is_some() => {
            rec.push_str("src_ip", ip.trim_start_matches('[').trim_end_matches(']'));
            rec.push("src_port", port_value(port));
        }
        _ => rec.push_str("src_ip", a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::text::{parse_file, real_data, throughput};
    use crate::data::record::civil_to_us;

    fn st(r: &Record, k: &str) -> Option<String> {
        match r.get(k) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }
    fn access(line: &[u8]) -> Record {
        AccessParser.parse_line(line, &ParseContext::default()).expect("parses").expect("a record")
    }

    // Source: apache-access/apache_logs
    const COMBINED: &str = r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36""#;

    #[test]
    fn combined_line() {
        let r = access(COMBINED.as_bytes());
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2015, 5, 17, 10, 5, 3, 0, 0))));
        assert_eq!(st(&r, "src_ip").as_deref(), Some("83.149.9.216"));
        assert_eq!(r.get("user_name"), Some(&Value::Null));
        assert_eq!(st(&r, "http_method").as_deref(), Some("GET"));
        assert_eq!(st(&r, "http_version").as_deref(), Some("1.1"));
        assert_eq!(r.get("http_status"), Some(&Value::Int(200)));
        assert_eq!(r.get("bytes_received"), Some(&Value::Int(203023)));
        assert!(st(&r, "http_user_agent").is_some_and(|u| u.contains("KHTML, like Gecko")));
        assert_eq!(r.get("msg"), None);
    }

    #[test]
    fn variants_common_vhost_malformed() {
        let r =
            access(br#"10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 -"#);
        assert_eq!(r.get("bytes_received"), Some(&Value::Null));
        assert_eq!(st(&r, "user_name").as_deref(), Some("frank"));
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2000, 10, 10, 20, 55, 36, 0, 0))));
        let r = access(br#"www.example.com:443 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8""#);
        assert_eq!(st(&r, "vhost").as_deref(), Some("www.example.com"));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(443)));
        assert_eq!(r.get("http_referrer"), Some(&Value::Null));
        let r =
            access(br#"www.example.com 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#);
        assert_eq!(st(&r, "vhost").as_deref(), Some("www.example.com"));
        let shell = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" 400 226 "-" "-""#;
        let r = access(shell);
        assert_eq!(r.get("http_method"), None);
        assert!(st(&r, "http_request").is_some_and(|x| x.starts_with("\\x16")));
        assert_eq!(st(&r, "msg"), st(&r, "http_request"));
        // Escaped quote inside the request and non-UTF-8 bytes.
        let r = access(
            b"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /a\\\"b HTTP/1.1\" 200 1 \"-\" \"\xff\xfeUA\"",
        );
        assert_eq!(st(&r, "http_request").as_deref(), Some("/a\"b"));
        assert!(st(&r, "http_user_agent").is_some_and(|u| u.ends_with("UA")));
        // Very long line (100 kB+ URL).
        let long = format!(
            "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /{} HTTP/1.1\" 414 0",
            "A".repeat(150_000)
        );
        let r = access(long.as_bytes());
        assert_eq!(r.get("http_status"), Some(&Value::Int(414)));
        // Trailing extra fields go to msg.
        let r =
            access(br#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" 0.003 rt=1"#);
        assert_eq!(st(&r, "msg").as_deref(), Some("0.003 rt=1"));
    }

    #[test]
    fn access_rejects() {
        let ctx = ParseContext::default();
        for bad in [
            &b"hello"[..],
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000",
            b"1.2.3.4 - - [99/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1",
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200",
            b"1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" abc 1",
            b"a b c d e [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1",
        ] {
            assert!(AccessParser.parse_line(bad, &ctx).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(AccessParser.parse_line(b"  \r\n", &ctx), Ok(None));
    }

    #[test]
    fn error_log_lines() {
        let ctx = ParseContext { default_tz_offset_secs: -3600, ..Default::default() };
        // Source: syslog-loghub/Apache_2k.log
        let r = ErrorParser.parse_line(
            b"[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6\r",
            &ctx,
        );
        let r = r.expect("ok").expect("record");
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2005, 12, 4, 5, 47, 44, 0, 0))));
        assert_eq!(st(&r, "level").as_deref(), Some("error"));
        assert_eq!(r.get("syslog_sev"), Some(&Value::Int(3)));
        assert_eq!(st(&r, "msg").as_deref(), Some("mod_jk child workerEnv in error state 6"));
        let r = ErrorParser
            .parse_line(
                b"[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] Directory index forbidden",
                &ctx,
            )
            .expect("ok")
            .expect("record");
        assert_eq!(st(&r, "src_ip").as_deref(), Some("1.2.3.4"));
        let r = ErrorParser
            .parse_line(
                b"[Sun Dec 04 04:47:44.123456 2005] [core:error] [pid 123:tid 456] [client 1.2.3.4:5678] AH00126: Invalid URI",
                &ctx,
            )
            .expect("ok")
            .expect("record");
        assert_eq!(st(&r, "module").as_deref(), Some("core"));
        assert_eq!(r.get("pid"), Some(&Value::Int(123)));
        assert_eq!(r.get("tid"), Some(&Value::Int(456)));
        assert_eq!(r.get("src_port"), Some(&Value::Int(5678)));
        assert_eq!(st(&r, "msg").as_deref(), Some("AH00126: Invalid URI"));
        for bad in [&b"[Sun Dec 04 04:47:44 2005]"[..], b"[Sun Foo 04 04:47:44 2005] [error] x", b"[", b"x"] {
            assert!(ErrorParser.parse_line(bad, &ctx).is_err());
        }
    }

    #[test]
    fn real_apache_logs() {
        let Some(p) = real_data("apache-access/apache_logs") else {
            return;
        };
        let bytes = std::fs::read(p).expect("readable");
        let (recs, rejects) = parse_file(&AccessParser, &bytes, &ParseContext::default());
        assert_eq!(recs.len(), 10_000);
        assert_eq!(rejects, 0);
        let null_bytes = recs.iter().filter(|r| r.get("bytes_received") == Some(&Value::Null)).count();
        assert_eq!(null_bytes, 669);
    }

    #[test]
    fn real_apache_error_2k() {
        let Some(p) = real_data("syslog-loghub/Apache_2k.log") else {
            return;
        };
        let bytes = std::fs::read(p).expect("readable");
        let (recs, rejects) = parse_file(&ErrorParser, &bytes, &ParseContext::default());
        assert_eq!(recs.len(), 2000);
        assert_eq!(rejects, 0);
    }

    #[test]
    #[ignore]
    fn throughput_web() {
        if let Some(p) = real_data("apache-access/apache_logs") {
            throughput("apache_logs", &AccessParser, &std::fs::read(p).expect("readable"));
        }
        if let Some(p) = real_data("syslog-loghub/Apache_2k.log") {
            throughput("Apache_2k.log", &ErrorParser, &std::fs::read(p).expect("readable"));
        }
    }
}
