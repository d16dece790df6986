//! Snare-for-Windows events over syslog: tab-separated (often written "#011") fields
//! "host MSWinEventLog crit LogName counter DateTime EventID Source User SIDType EventLogType
//! Computer Category Data [extra]".

use super::{line_text, put, syslog};
use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};
use crate::data::timeparse::{self, TimeError};

/// Snare Windows event lines, with or without a syslog header.
pub struct SnareParser;

impl LineParser for SnareParser {
    fn name(&self) -> &'static str {
        "snare"
    }
    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let t = line_text(line);
        if t.trim().is_empty() {
            return Ok(None);
        }
        let pos = t.find("MSWinEventLog").ok_or("Snare: expected 'MSWinEventLog' after the host name")?;
        let mut rec = match syslog::parse_envelope(&t, ctx) {
            Ok(env) if pos > 0 => env.rec,
            _ => Record::new(),
        };
        // Without a syslog header the host is the token before "MSWinEventLog".
        let pre = t[..pos].trim_end_matches([' ', '\t']).trim_end_matches("#011");
        if let Some(host) = pre.rsplit([' ', '\t']).next().filter(|h| !h.is_empty()) {
            put(&mut rec, "host", Value::Str(host.to_string()));
        }
        enrich(&mut rec, &t[pos..], ctx)?;
        put(&mut rec, "log_type", Value::Str("snare".into()));
        Ok(Some(rec))
    }
}

/// Parse the Snare fields starting at "MSWinEventLog" into `rec`.
pub(crate) fn enrich(rec: &mut Record, content: &str, ctx: &ParseContext) -> Result<(), String> {
    let start = content.find("MSWinEventLog").ok_or("Snare: expected 'MSWinEventLog'")?;
    let body = &content[start..];
    let f: Vec<&str> =
        if body.contains("#011") { body.split("#011").collect() } else { body.split('\t').collect() };
    if f.len() < 7 {
        return Err(format!("Snare: expected at least 7 tab-separated fields, got {}", f.len()));
    }
    let get = |i: usize| f.get(i).map(|s| s.trim()).unwrap_or("");
    let s = |rec: &mut Record, k: &str, v: &str| {
        if !v.is_empty() {
            put(rec, k, Value::Str(v.to_string()));
        }
    };
    s(rec, "criticality", get(1));
    s(rec, "channel", get(2));
    put(rec, "snare_counter", super::int_or_str(get(3)));
    // A DateTime that is not a ctime keeps the envelope's time; one outside the validity rule
    // rejects the line rather than showing the envelope's time as the event's.
    match timeparse::ctime_us(get(4), ctx.default_tz_offset_secs) {
        Ok(us) => put(rec, "time", Value::TimeUs(us)),
        Err(TimeError::Malformed) => {}
        Err(TimeError::Invalid(why)) => return Err(format!("Snare DateTime '{}': {why}", get(4))),
    }
    let event_id =
        get(5).parse::<i64>().map_err(|_| format!("Snare: EventID is not a number: '{}'", get(5)))?;
    put(rec, "event_id", Value::Int(event_id));
    s(rec, "provider", get(6));
    let user = get(7);
    if !user.is_empty() && user != "N/A" {
        s(rec, "user_name", user);
    }
    s(rec, "sid_type", get(8));
    let log_type_text = get(9);
    s(rec, "event_type", log_type_text);
    s(rec, "computer", get(10));
    s(rec, "category", get(11));
    let data = get(12);
    if let Some(o) = windows_outcome(event_id, log_type_text) {
        s(rec, "outcome", o);
    }
    windows_message_fields(rec, data);
    put(rec, "msg", Value::Str(data.to_string()));
    Ok(())
}

/// Outcome of Windows authentication events from the audit type or well-known event ids.
pub(crate) fn windows_outcome(event_id: i64, event_type: &str) -> Option<&'static str> {
    let t = event_type.to_ascii_lowercase();
    if t.contains("failure") {
        return Some("failure");
    }
    if t.contains("success") {
        return Some("success");
    }
    match event_id {
        4625 | 4771 | 529..=537 | 539 => Some("failure"),
        4624 | 4648 | 528 | 540 => Some("success"),
        _ => None,
    }
}

/// Logon details from the rendered message text: the last non-"-" "Account Name:", source address and port.
fn windows_message_fields(rec: &mut Record, data: &str) {
    let value_after = |key: &str| -> Vec<&str> {
        data.match_indices(key)
            .filter_map(|(i, _)| data[i + key.len()..].split_whitespace().next())
            .filter(|v| *v != "-")
            .collect()
    };
    if rec.get("user_name").is_none() {
        if let Some(u) = value_after("Account Name:").last() {
            put(rec, "user_name", Value::Str(u.to_string()));
        }
    }
    if let Some(ip) = value_after("Source Network Address:").first() {
        if ip.parse::<std::net::IpAddr>().is_ok() {
            put(rec, "src_ip", Value::Str(ip.to_string()));
        }
    }
    if let Some(p) = value_after("Source Port:").first() {
        if let Ok(n) = p.parse::<i64>() {
            put(rec, "src_port", Value::Int(n));
        }
    }
    if let Some(t) = value_after("Logon Type:").first() {
        if let Ok(n) = t.parse::<i64>() {
            put(rec, "logon_type", Value::Int(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::text::syslog::parse_syslog_str;
    use crate::data::record::civil_to_us;

    // Snare layout per the Snare for Windows documentation (hand-written event).
    const LINE: &str = "dc01 MSWinEventLog#0111#011Security#011123#011Sat Mar 24 08:59:37 2018#0114625#011Microsoft-Windows-Security-Auditing#011N/A#011N/A#011Failure Audit#011dc01.jerry.land#011Logon#011An account failed to log on.  Subject: Security ID: S-1-0-0 Account Name: - Account Domain: -  Account For Which Logon Failed: Security ID: S-1-0-0 Account Name: administrator Account Domain: JERRY  Logon Type: 3  Network Information: Workstation Name: X Source Network Address: 10.164.94.120 Source Port: 49152#011123";

    #[test]
    fn standalone_and_in_syslog() {
        let ctx = ParseContext::default();
        let r = SnareParser.parse_line(LINE.as_bytes(), &ctx).expect("ok").expect("record");
        assert_eq!(r.get("host"), Some(&Value::Str("dc01".into())));
        assert_eq!(r.get("event_id"), Some(&Value::Int(4625)));
        assert_eq!(r.get("user_name"), Some(&Value::Str("administrator".into())));
        assert_eq!(r.get("outcome"), Some(&Value::Str("failure".into())));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("10.164.94.120".into())));
        assert_eq!(r.get("logon_type"), Some(&Value::Int(3)));
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2018, 3, 24, 8, 59, 37, 0, 0))));
        assert!(matches!(r.get("msg"), Some(Value::Str(m)) if m.starts_with("An account failed")));
        let wrapped = format!("<13>Mar 24 08:59:38 {LINE}");
        let r = SnareParser.parse_line(wrapped.as_bytes(), &ctx).expect("ok").expect("record");
        assert_eq!(r.get("syslog_sev"), Some(&Value::Int(5)));
        assert_eq!(r.get("host"), Some(&Value::Str("dc01".into())));
        let r = parse_syslog_str(&wrapped, &ctx).expect("parses");
        assert_eq!(r.get("log_type"), Some(&Value::Str("snare".into())));
        assert_eq!(r.get("event_id"), Some(&Value::Int(4625)));
        // Real tabs instead of "#011".
        let tabs = LINE.replace("#011", "\t");
        let r = SnareParser.parse_line(tabs.as_bytes(), &ctx).expect("ok").expect("record");
        assert_eq!(r.get("event_id"), Some(&Value::Int(4625)));
    }

    #[test]
    fn malformed() {
        let ctx = ParseContext::default();
        assert!(SnareParser.parse_line(b"dc01 something else", &ctx).is_err());
        assert!(SnareParser.parse_line(b"dc01 MSWinEventLog#0111#011Security", &ctx).is_err());
        assert!(SnareParser
            .parse_line(
                b"dc01 MSWinEventLog#0111#011Security#0111#011Sat Mar 24 08:59:37 2018#011x#011y",
                &ctx
            )
            .is_err());
    }
}
