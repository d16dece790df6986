//! Syslog envelopes (RFC 3164 "Mon DD HH:MM:SS host tag[pid]: msg" and RFC 5424
//! "<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG", PRI optional) and the message enrichers
//! run on the program / message after the envelope.

use super::{asa, cef, digits_u32, line_text, netfilter, pfsense, put, snare, sshd};
use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};
use crate::data::timeparse::{self, TimeError};

/// Syslog lines (any envelope) with message enrichers; `log_type` says which enricher matched.
pub struct SyslogParser;

impl LineParser for SyslogParser {
    fn name(&self) -> &'static str {
        "syslog"
    }
    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let t = line_text(line);
        if t.trim().is_empty() {
            return Ok(None);
        }
        parse_syslog_str(&t, ctx).map(Some)
    }
}

/// The envelope of one syslog line: header fields already in `rec`, the text after the header.
pub(crate) struct Envelope<'a> {
    pub rec: Record,
    /// Program name from the tag (without "(pam_unix)" style suffix).
    pub app: Option<String>,
    /// Suffix in parentheses of the tag, e.g. "pam_unix" in "sshd(pam_unix)[19939]".
    pub app_sub: Option<String>,
    /// Everything after the host name (tag included).
    pub content: &'a str,
    /// Message after the tag (equals `content` when there is no tag).
    pub msg: &'a str,
}

/// Parse a full syslog line (envelope + enrichers).
pub(crate) fn parse_syslog_str(s: &str, ctx: &ParseContext) -> Result<Record, String> {
    let s = s.trim_start_matches('\u{feff}').trim_end_matches(['\r', '\n']);
    let env = parse_envelope(s, ctx)?;
    Ok(enrich(env, ctx))
}

/// Parse the envelope only.
pub(crate) fn parse_envelope<'a>(s: &'a str, ctx: &ParseContext) -> Result<Envelope<'a>, String> {
    let mut rec = Record::new();
    let mut rest = s;
    if let Some(after) = rest.strip_prefix('<') {
        let close = after.find('>').filter(|i| *i <= 3).ok_or("syslog <PRI>: expected '<' 1-3 digits '>'")?;
        let pri = digits_u32(&after[..close]).ok_or("syslog <PRI>: expected digits")?;
        if pri > 191 {
            return Err(format!("syslog <PRI> {pri} out of range 0-191"));
        }
        rec.push("syslog_fac", Value::Int((pri / 8) as i64));
        rec.push("syslog_sev", Value::Int((pri % 8) as i64));
        rest = &after[close + 1..];
    }
    let b = rest.as_bytes();
    // RFC 5424: version "1" then a space; RFC 3164 starts with a month name or an ISO date.
    if b.len() > 2 && b[0] == b'1' && b[1] == b' ' && (b[2].is_ascii_digit() || b[2] == b'-') {
        return parse_5424(rec, &rest[2..], ctx);
    }
    parse_3164(rec, rest, ctx)
}

fn parse_5424<'a>(mut rec: Record, s: &'a str, ctx: &ParseContext) -> Result<Envelope<'a>, String> {
    let mut parts = s.splitn(5, ' ');
    let ts = parts.next().unwrap_or("");
    let host = parts.next().ok_or("RFC 5424: expected HOSTNAME after TIMESTAMP")?;
    let app = parts.next().ok_or("RFC 5424: expected APP-NAME after HOSTNAME")?;
    let procid = parts.next().ok_or("RFC 5424: expected PROCID after APP-NAME")?;
    let after = parts.next().ok_or("RFC 5424: expected MSGID after PROCID")?;
    let (msgid, after) = after.split_once(' ').unwrap_or((after, ""));
    if ts == "-" {
        rec.push("time", Value::Null);
    } else {
        let us = timeparse::iso_us(ts.as_bytes(), ctx.default_tz_offset_secs).map_err(|e| match e {
            TimeError::Malformed => format!("RFC 5424: expected an RFC 3339 TIMESTAMP, got '{ts}'"),
            TimeError::Invalid(why) => format!("RFC 5424 TIMESTAMP '{ts}': {why}"),
        })?;
        rec.push("time", Value::TimeUs(us));
    }
    let nil = |v: &str| {
        if v == "-" {
            Value::Null
        } else {
            Value::Str(v.to_string())
        }
    };
    rec.push("host", nil(host));
    rec.push("app_name", nil(app));
    let pid = match procid.parse::<i64>() {
        Ok(n) => Value::Int(n),
        Err(_) => Value::Null,
    };
    rec.push("pid", pid);
    if procid != "-" && procid.parse::<i64>().is_err() {
        rec.push_str("procid", procid);
    }
    rec.push("msgid", nil(msgid));
    let msg = if let Some(m) = after.strip_prefix('-') {
        m.strip_prefix(' ').unwrap_or(m)
    } else if after.starts_with('[') {
        let end = structured_data_end(after).ok_or("RFC 5424: unterminated STRUCTURED-DATA")?;
        push_structured_data(&mut rec, &after[..end]);
        let m = &after[end..];
        m.strip_prefix(' ').unwrap_or(m)
    } else {
        after
    };
    let msg = msg.trim_start_matches('\u{feff}');
    let app = (app != "-").then(|| app.to_string());
    Ok(Envelope { rec, app, app_sub: None, content: msg, msg })
}

/// Byte index just after the last SD-ELEMENT ("[id k=\"v\"]..." with \" \\ \] escapes in values).
fn structured_data_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b'[' {
        let mut in_quotes = false;
        i += 1;
        loop {
            let c = *b.get(i)?;
            if in_quotes && c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_quotes = !in_quotes;
            } else if c == b']' && !in_quotes {
                i += 1;
                break;
            }
            i += 1;
        }
    }
    Some(i)
}

/// Keep the raw STRUCTURED-DATA and each PARAM as `sd_<name>`.
fn push_structured_data(rec: &mut Record, sd: &str) {
    rec.push_str("structured_data", sd);
    let re = regex_sd();
    for c in re.captures_iter(sd) {
        let (Some(k), Some(v)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let v = v.as_str().replace("\\\"", "\"").replace("\\]", "]").replace("\\\\", "\\");
        put(rec, &format!("sd_{}", k.as_str()), Value::Str(v));
    }
}

fn regex_sd() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"([A-Za-z0-9_.:@-]+)="((?:[^"\\]|\\.)*)""#).expect("static regex is valid")
    })
}

fn parse_3164<'a>(mut rec: Record, s: &'a str, ctx: &ParseContext) -> Result<Envelope<'a>, String> {
    const EXPECT: &str = "not an RFC 3164 header: expected 'Mon DD HH:MM:SS'";
    let why = |e: TimeError| match e {
        TimeError::Malformed => EXPECT.to_string(),
        TimeError::Invalid(why) => format!("RFC 3164 time: {why}"),
    };
    let (time_us, rest) = if s.as_bytes().first().is_some_and(|b| b.is_ascii_digit()) {
        // rsyslog high-precision variant: ISO timestamp instead of the BSD one.
        let (ts, rest) = s.split_once(' ').ok_or(EXPECT)?;
        // A date alone ("2015-07-29 17:41:44,747 - INFO ...") is an application log's time, not
        // rsyslog's RFC 3339 stamp: leave it to the generic text reader.
        if !ts.contains('T') {
            return Err(EXPECT.to_string());
        }
        (timeparse::iso_us(ts.as_bytes(), ctx.default_tz_offset_secs).map_err(why)?, rest)
    } else {
        let t = timeparse::syslog_prefix_us(s, ctx.default_year, ctx.default_tz_offset_secs, ctx.latest_us)
            .map_err(why)?;
        (t.us, t.rest)
    };
    rec.push("time", Value::TimeUs(time_us));
    let rest = rest.trim_start_matches(' ');
    let (first, after_first) = rest.split_once(' ').unwrap_or((rest, ""));
    // A first token that is already a tag ("kernel:", "sshd[1]:") means the host was omitted.
    let hostless = first.ends_with(':') && !first.starts_with('%');
    let content = if hostless {
        rest
    } else {
        if first.is_empty() {
            return Err("RFC 3164: expected a host name after the timestamp".into());
        }
        rec.push_str("host", first);
        after_first
    };
    let (app, app_sub, pid, msg) = split_tag(content);
    if let Some(a) = &app {
        rec.push_str("app_name", a.as_str());
    }
    if let Some(p) = pid {
        rec.push("pid", Value::Int(p));
    }
    Ok(Envelope { rec, app, app_sub, content, msg })
}

/// Split "prog[pid]: msg" / "prog(sub)[pid]: msg" / "prog: msg". No tag -> (None, None, None, content).
fn split_tag(content: &str) -> (Option<String>, Option<String>, Option<i64>, &str) {
    let none = (None, None, None, content);
    let end = match content.find([':', '[', ' ']) {
        Some(e) if e > 0 && e <= 64 => e,
        _ => return none,
    };
    let tag = &content[..end];
    if tag.starts_with('%') || tag.contains('=') {
        return none;
    }
    let mut rest = &content[end..];
    let mut pid = None;
    if let Some(r) = rest.strip_prefix('[') {
        let Some(close) = r.find(']') else {
            return none;
        };
        pid = r[..close].trim().parse::<i64>().ok();
        rest = &r[close + 1..];
    }
    let Some(msg) = rest.strip_prefix(':') else {
        return none;
    };
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    let (app, sub) = match tag.split_once('(') {
        Some((a, s)) if s.ends_with(')') && !a.is_empty() => (a, Some(s.trim_end_matches(')').to_string())),
        _ => (tag, None),
    };
    (Some(app.to_string()), sub, pid, msg)
}

/// Run the message enrichers and finish the record (`log_type`, `msg`).
pub(crate) fn enrich(env: Envelope<'_>, ctx: &ParseContext) -> Record {
    let Envelope { mut rec, app, app_sub, content, mut msg } = env;
    let app_l = app.as_deref().unwrap_or("");
    if let Some(sub) = &app_sub {
        rec.push_str("app_sub", sub.as_str());
    }
    // Kernel ring-buffer uptime "[  341.399450] " before the kernel message.
    if app_l == "kernel" {
        if let Some((secs, after)) = kernel_uptime(msg) {
            rec.push("uptime_secs", Value::Float(secs));
            msg = after;
        }
    }
    let log_type: &str;
    let mut error: Option<String> = None;
    let mut keep_msg = true;
    if let Some(at) = marker_at(content, msg, "CEF:") {
        log_type = "cef";
        keep_msg = false;
        error = cef::enrich_cef(&mut rec, at, ctx).err();
    } else if let Some(at) = marker_at(content, msg, "LEEF:") {
        log_type = "leef";
        keep_msg = false;
        error = cef::enrich_leef(&mut rec, at, ctx).err();
    } else if let Some(at) = asa::find_asa(content) {
        log_type = "asa";
        keep_msg = false;
        error = asa::enrich(&mut rec, at).err();
    } else if app_l == "filterlog" {
        log_type = "pfsense";
        error = pfsense::enrich(&mut rec, msg).err();
    } else if netfilter::looks_like(msg) {
        log_type = "iptables";
        netfilter::enrich(&mut rec, msg);
    } else if content.contains("MSWinEventLog") {
        log_type = "snare";
        keep_msg = false;
        error = snare::enrich(&mut rec, content, ctx).err();
    } else if let Some(json) = msg.strip_prefix("@cee:") {
        log_type = "cee";
        keep_msg = false;
        error = enrich_cee(&mut rec, json).err();
        if rec.get("msg").is_none() {
            rec.push_str("msg", msg);
        }
    } else if let Some(t) = sshd::enrich(&mut rec, app_l, app_sub.as_deref(), msg) {
        log_type = t;
    } else {
        log_type = "syslog";
    }
    put(&mut rec, "log_type", Value::Str(log_type.to_string()));
    if let Some(e) = error {
        rec.push_str("parse_error", e);
    }
    if keep_msg || rec.get("msg").is_none() {
        put(&mut rec, "msg", Value::Str(msg.to_string()));
    }
    rec
}

/// Where a CEF/LEEF payload starts: at the start of the content (no tag) or of the message.
fn marker_at<'a>(content: &'a str, msg: &'a str, marker: &str) -> Option<&'a str> {
    if content.starts_with(marker) {
        Some(content)
    } else if msg.starts_with(marker) {
        Some(msg)
    } else {
        // "host : CEF:0|..." or a tag before a space.
        content.find(marker).filter(|i| *i <= 64).map(|i| &content[i..])
    }
}

/// "[  341.399450] rest" -> (341.39945, "rest").
fn kernel_uptime(msg: &str) -> Option<(f64, &str)> {
    let inner = msg.strip_prefix('[')?;
    let close = inner.find(']')?;
    let secs: f64 = inner[..close].trim().parse().ok()?;
    Some((secs, inner[close + 1..].trim_start_matches(' ')))
}

/// "@cee: {json}" -> top-level scalar fields, dictionary names where obvious.
fn enrich_cee(rec: &mut Record, json: &str) -> Result<(), String> {
    let v: serde_json::Value = match serde_json::from_str(json.trim()) {
        Ok(v) => v,
        // Payloads taken from Zeek TSV without unescaping have every backslash doubled.
        Err(e) => serde_json::from_str(&json.trim().replace("\\\\", "\\"))
            .map_err(|_| format!("@cee: invalid JSON: {e}"))?,
    };
    let obj = v.as_object().ok_or("@cee: expected a JSON object")?;
    let mut event_id = None;
    for (k, val) in obj {
        let value = match val {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            // Nested values are rare in CEE; keep them as JSON text.
            other => Value::Str(other.to_string()),
        };
        let name = match k.as_str() {
            "msg" | "message" => "msg",
            "source" | "hostname" | "host" => "host",
            "id" | "eventid" | "event_id" | "EventID" => "event_id",
            "user" | "username" | "user_name" => "user_name",
            "pid" => "pid",
            "src" | "srcip" | "src_ip" => "src_ip",
            "dst" | "dstip" | "dst_ip" => "dst_ip",
            "time" | "timestamp" => "cee_time",
            other => other,
        };
        let value = match (name, value) {
            ("event_id" | "pid", Value::Str(s)) => match s.trim().parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(_) => Value::Str(s),
            },
            (_, v) => v,
        };
        if name == "event_id" {
            if let Value::Int(n) = value {
                event_id = Some(n);
            }
        }
        put(rec, name, value);
    }
    if let Some(o) = event_id.and_then(|id| snare::windows_outcome(id, "")) {
        put(rec, "outcome", Value::Str(o.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::text::{parse_file, real_data, throughput};
    use crate::data::record::civil_to_us;

    fn ctx() -> ParseContext {
        ParseContext {
            default_year: 2019,
            default_tz_offset_secs: 0,
            file_name: String::new(),
            latest_us: None,
            source_keys: None,
        }
    }
    fn s(r: &Record, k: &str) -> Option<String> {
        match r.get(k) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }
    fn i(r: &Record, k: &str) -> Option<i64> {
        match r.get(k) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        }
    }

    #[test]
    fn rfc3164_basic_and_pri() {
        // Source: syslog-loghub/OpenSSH_2k.log
        let r = parse_syslog_str(
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\r",
            &ctx(),
        )
        .expect("parses");
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2019, 12, 10, 6, 55, 46, 0, 0))));
        assert_eq!(s(&r, "host").as_deref(), Some("LabSZ"));
        assert_eq!(s(&r, "app_name").as_deref(), Some("sshd"));
        assert_eq!(i(&r, "pid"), Some(24200));
        assert_eq!(s(&r, "msg").as_deref(), Some("Invalid user webmaster from 173.234.31.186"));
        // RFC 3164 section 5.4 example.
        let r = parse_syslog_str(
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            &ctx(),
        )
        .expect("parses");
        assert_eq!(i(&r, "syslog_fac"), Some(4));
        assert_eq!(i(&r, "syslog_sev"), Some(2));
        assert_eq!(s(&r, "app_name").as_deref(), Some("su"));
        // Space-padded day, zone from context.
        let c = ParseContext { default_tz_offset_secs: 3600, ..ctx() };
        let r = parse_syslog_str("Jun  4 01:02:03 h cron[1]: x", &c).expect("parses");
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2019, 6, 4, 1, 2, 3, 0, 3600))));
    }

    #[test]
    fn rfc3164_pam_tag_and_kernel() {
        // Source: syslog-loghub/Linux_2k.log
        let r = parse_syslog_str(
            "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown\r",
            &ctx(),
        )
        .expect("parses");
        assert_eq!(s(&r, "app_name").as_deref(), Some("sshd"));
        assert_eq!(s(&r, "app_sub").as_deref(), Some("pam_unix"));
        assert_eq!(i(&r, "pid"), Some(19937));
        let r = parse_syslog_str("Jul 27 14:41:57 combo kernel: BIOS-provided physical RAM map:", &ctx())
            .expect("ok");
        assert_eq!(s(&r, "app_name").as_deref(), Some("kernel"));
        assert_eq!(s(&r, "log_type").as_deref(), Some("syslog"));
        assert_eq!(s(&r, "msg").as_deref(), Some("BIOS-provided physical RAM map:"));
    }

    #[test]
    fn rfc5424_with_and_without_pri() {
        // RFC 5424 section 6.5 example 3.
        let line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 \
                    [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event";
        let r = parse_syslog_str(line, &ctx()).expect("parses");
        assert_eq!(i(&r, "syslog_fac"), Some(20));
        assert_eq!(i(&r, "syslog_sev"), Some(5));
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2003, 10, 11, 22, 14, 15, 3000, 0))));
        assert_eq!(s(&r, "app_name").as_deref(), Some("evntslog"));
        assert_eq!(s(&r, "msgid").as_deref(), Some("ID47"));
        assert_eq!(s(&r, "sd_eventID").as_deref(), Some("1011"));
        assert_eq!(s(&r, "msg").as_deref(), Some("An application event"));
        // Source: zeek-wrccdc2018/zeek-tsv/syslog.log message field (no PRI).
        let line = "1 2018-03-24T08:59:54-07:00 Kramer.jerry.land EvntSLog - - - Special privileges assigned to new logon.";
        let r = parse_syslog_str(line, &ctx()).expect("parses");
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2018, 3, 24, 15, 59, 54, 0, 0))));
        assert_eq!(s(&r, "host").as_deref(), Some("Kramer.jerry.land"));
        assert_eq!(r.get("pid"), Some(&Value::Null));
        assert_eq!(s(&r, "msg").as_deref(), Some("Special privileges assigned to new logon."));
    }

    #[test]
    fn cee_json_payload() {
        // Source: zeek-wrccdc2018/zeek-tsv/syslog.log message field.
        let line = r#"1 2018-03-24T08:59:37-07:00 PC-helen.jerry.land EvntSLog - - - @cee: {"source": "PC-helen.jerry.land", "msg": "The Multimedia Class Scheduler service entered the stopped state.", "nteventlogtype": "System", "sourceproc": "Service Control Manager", "id": "7036", "categoryid": "0", "user": "N\\A", "level": "Information"}"#;
        let r = crate::data::formats::text::parse_syslog_message(line, &ctx()).expect("parses");
        assert_eq!(s(&r, "log_type").as_deref(), Some("cee"));
        assert_eq!(i(&r, "event_id"), Some(7036));
        assert_eq!(
            s(&r, "msg").as_deref(),
            Some("The Multimedia Class Scheduler service entered the stopped state.")
        );
        assert_eq!(s(&r, "user_name").as_deref(), Some("N\\A"));
        assert_eq!(s(&r, "sourceproc").as_deref(), Some("Service Control Manager"));
        // Broken JSON keeps the record and says why.
        let r = parse_syslog_str("1 2018-03-24T08:59:37-07:00 h EvntSLog - - - @cee: {\"a\": ", &ctx())
            .expect("ok");
        assert!(s(&r, "parse_error").is_some());
        assert!(s(&r, "msg").is_some());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "hello world",
            "Foo 10 06:55:46 LabSZ sshd[1]: x",
            "Dec 99 06:55:46 LabSZ sshd[1]: x",
            "Dec 10 06:55 LabSZ",
            "<999>Dec 10 06:55:46 h x",
            "<13",
            "<13>1 notatime h a - - - m",
            "<13>1 2018-03-24T08:59:37Z",
            "1 2018-03-24T08:59:37Z h a - - [unterminated",
        ] {
            assert!(parse_syslog_str(bad, &ctx()).is_err(), "{bad}");
        }
        let e = parse_syslog_str("garbage", &ctx()).err().unwrap_or_default();
        assert!(e.contains("Mon DD HH:MM:SS"), "{e}");
    }

    #[test]
    fn real_linux_2k() {
        let Some(p) = real_data("syslog-loghub/Linux_2k.log") else {
            return;
        };
        let bytes = std::fs::read(p).expect("readable");
        let (recs, rejects) = parse_file(&SyslogParser, &bytes, &ctx());
        assert_eq!(recs.len(), 2000);
        assert_eq!(rejects, 0);
        let pam_fail = recs
            .iter()
            .filter(|r| {
                s(r, "log_type").as_deref() == Some("pam") && s(r, "action").as_deref() == Some("failed")
            })
            .filter(|r| s(r, "msg").is_some_and(|m| m.starts_with("authentication failure")))
            .count();
        assert_eq!(pam_fail, 490);
        let mut by_rhost = std::collections::HashMap::<String, usize>::new();
        for r in &recs {
            if s(r, "action").as_deref() == Some("failed") {
                if let Some(h) = s(r, "rhost") {
                    *by_rhost.entry(h).or_default() += 1;
                }
            }
        }
        let top = by_rhost.iter().max_by_key(|(_, n)| **n).map(|(h, _)| h.clone());
        assert_eq!(top.as_deref(), Some("150.183.249.110"));
    }

    #[test]
    fn real_zeek_syslog_messages() {
        let Some(p) = real_data("zeek-wrccdc2018/zeek-tsv/syslog.log") else {
            return;
        };
        let text = std::fs::read_to_string(p).expect("readable");
        let mut n = 0;
        let mut cee = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let msg = line.split('\t').nth(9).expect("message column");
            let r =
                crate::data::formats::text::parse_syslog_message(msg, &ctx()).expect("every message parses");
            assert!(matches!(r.get("time"), Some(Value::TimeUs(_))));
            assert_eq!(s(&r, "app_name").as_deref(), Some("EvntSLog"));
            if s(&r, "log_type").as_deref() == Some("cee") {
                assert!(r.get("parse_error").is_none(), "{msg}");
                cee += 1;
            }
            n += 1;
        }
        assert_eq!(n, 2378);
        assert_eq!(cee, 290);
    }

    #[test]
    fn detect_real_files() {
        for (rel, want) in [
            ("syslog-loghub/Linux_2k.log", "syslog"),
            ("syslog-loghub/OpenSSH_2k.log", "syslog"),
            ("syslog-loghub/Apache_2k.log", "apache-error"),
            ("iptables/iptables.log", "syslog"),
            ("apache-access/apache_logs", "apache-access"),
        ] {
            let Some(p) = real_data(rel) else { continue };
            let bytes = std::fs::read(p).expect("readable");
            let sample: Vec<&[u8]> = bytes.split(|b| *b == b'\n').take(64).collect();
            let got = crate::data::formats::text::detect(&sample).map(|p| p.name());
            assert_eq!(got, Some(want), "{rel}");
        }
        for rel in ["zeek-wrccdc2018/zeek-tsv/syslog.log", "zeek-wrccdc2018/zeek-json/notice.json"] {
            let Some(p) = real_data(rel) else { continue };
            let bytes = std::fs::read(p).expect("readable");
            let sample: Vec<&[u8]> = bytes.split(|b| *b == b'\n').take(64).collect();
            assert!(crate::data::formats::text::detect(&sample).is_none(), "{rel}");
        }
    }

    #[test]
    #[ignore]
    fn throughput_syslog() {
        for rel in ["syslog-loghub/Linux_2k.log", "syslog-loghub/OpenSSH_2k.log", "iptables/iptables.log"] {
            let Some(p) = real_data(rel) else { continue };
            let bytes = std::fs::read(p).expect("readable");
            throughput(rel, &SyslogParser, &bytes);
        }
    }
}
