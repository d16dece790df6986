//! Windows event logs exported as JSON lines.
//!
//! * EVTX structural conversions (evtx_dump / python-evtx style):
//!   `{"Event":{"System":{...},"EventData":{...}},"_evtx_record_id":..,"_evtx_timestamp":..}` where XML
//!   attributes live under `#attributes` and element text under `#text`.
//! * Flat records: NXLog (`EventID`, `EventTime`, `Hostname`, `SourceName`, EventData keys at top
//!   level), PowerShell `Get-WinEvent | ConvertTo-Json` (`Id`, `TimeCreated`, `MachineName`,
//!   `ProviderName`) and Winlogbeat/ECS (`@timestamp`, `winlog.event_id`, `winlog.event_data.*`).
//!
//! EventData / UserData keys are kept WITHOUT their prefix; well-known ones are normalized
//! (IpAddress -> src_ip, TargetUserName -> user_name, ...).

use crate::data::formats::jsonl::{
    any_time_to_us, flatten_line, map_generic_key, parse_iso8601_us, push_int, push_proto, push_string,
    push_unique, trim_line, value_to_int, FlatObject,
};
use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};

/// True for an EVTX-to-JSON record: an object with `Event.System` as an object.
pub fn is_evtx_json(v: &serde_json::Value) -> bool {
    v.get("Event").and_then(|e| e.get("System")).is_some_and(|s| s.is_object())
}

/// True for a flat Windows event record (NXLog, PowerShell ConvertTo-Json, Winlogbeat).
pub fn is_flat_windows_json(v: &serde_json::Value) -> bool {
    let o = match v.as_object() {
        Some(o) => o,
        None => return false,
    };
    let winlogbeat =
        o.get("winlog").and_then(|w| w.get("event_id")).is_some() || o.contains_key("winlog.event_id");
    let nxlog = o.contains_key("EventID")
        && ["EventTime", "Hostname", "SourceName", "Channel", "EventReceivedTime"]
            .iter()
            .any(|k| o.contains_key(*k));
    let powershell = o.contains_key("Id")
        && o.contains_key("TimeCreated")
        && (o.contains_key("ProviderName") || o.contains_key("MachineName") || o.contains_key("LogName"));
    winlogbeat || nxlog || powershell
}

/// Parser for both Windows JSON shapes; each line is mapped by its own shape, so mixed files work.
pub struct WindowsParser {
    evtx: bool,
}

impl WindowsParser {
    pub fn evtx() -> Self {
        Self { evtx: true }
    }
    pub fn flat() -> Self {
        Self { evtx: false }
    }
}

impl LineParser for WindowsParser {
    fn name(&self) -> &'static str {
        if self.evtx {
            "windows-evtx-json"
        } else {
            "windows-flat-json"
        }
    }

    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        if trim_line(line).is_empty() {
            return Ok(None);
        }
        let flat = flatten_line(line)?;
        let rec = if flat.iter().any(|(k, _)| k.starts_with("Event.System.")) {
            map_evtx(flat)?
        } else {
            map_flat(flat, ctx)
        };
        Ok(Some(rec))
    }
}

/// Strips IPv4-mapped IPv6 ("::ffff:10.0.0.1" -> "10.0.0.1"); "::1" and real IPv6 stay.
fn clean_ip(s: &str) -> &str {
    let s = s.trim();
    match s.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("::ffff:") && s[7..].contains('.') => &s[7..],
        _ => s,
    }
}

/// Whether an EventData address value is an address (not "-", "" or a name).
fn looks_like_ip(s: &str) -> bool {
    !s.is_empty() && (s.contains(':') || s.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// Pushes an IP field after cleaning, or the original key when the value is not an address.
fn push_ip(rec: &mut Record, name: &'static str, k: String, v: Value) {
    match v {
        Value::Str(s) if looks_like_ip(clean_ip(&s)) => {
            let ip = clean_ip(&s).to_owned();
            push_unique(rec, name, k, Value::Str(ip))
        }
        other => rec.fields.push((k, other)),
    }
}

/// Maps one EventData / UserData key (already without its prefix).
fn map_event_data(rec: &mut Record, k: String, v: Value) {
    match k.as_str() {
        "IpAddress" | "SourceAddress" | "SourceIp" | "ClientAddress" => push_ip(rec, "src_ip", k, v),
        "DestAddress" | "DestinationIp" => push_ip(rec, "dst_ip", k, v),
        "IpPort" | "SourcePort" => push_int(rec, "src_port", k, v),
        "DestPort" | "DestinationPort" => push_int(rec, "dst_port", k, v),
        "Protocol" if matches!(&v, Value::Str(s) if s.parse::<i64>().is_err()) => push_proto(rec, &v),
        "TargetUserName" | "User" => push_string(rec, "user_name", k, v),
        "SubjectUserName" => push_string(rec, "subject_user_name", k, v),
        "LogonType" => match value_to_int(&v) {
            Some(i) => rec.fields.push((k, Value::Int(i))),
            None => rec.fields.push((k, v)),
        },
        "Image" | "ProcessName" | "NewProcessName" if rec.get("process").is_none() => {
            push_string(rec, "process", k, v)
        }
        _ => rec.fields.push((k, v)),
    }
}

/// Audit outcome from the Keywords bit mask (0x0020.. Audit Success, 0x0010.. Audit Failure).
fn outcome_from_keywords(v: &Value) -> Option<&'static str> {
    let bits = match v {
        Value::Str(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).ok()?,
                None if s.eq_ignore_ascii_case("Audit Success") => return Some("success"),
                None if s.eq_ignore_ascii_case("Audit Failure") => return Some("failure"),
                None => s.parse::<i64>().ok()? as u64,
            }
        }
        Value::Int(i) => *i as u64,
        _ => return None,
    };
    if bits & 0x0020_0000_0000_0000 != 0 {
        Some("success")
    } else if bits & 0x0010_0000_0000_0000 != 0 {
        Some("failure")
    } else {
        None
    }
}

/// `System.X.#attributes.Y` -> `X.Y` for System keys without a normalized name.
fn strip_attributes(k: &str) -> String {
    k.replace("#attributes.", "").replace(".#text", "")
}

/// Maps one EVTX record (evtx_dump JSON shape, flattened); also used by the native `.evtx` reader.
pub(crate) fn map_evtx(flat: FlatObject) -> Result<Record, String> {
    let mut rec = Record { fields: Vec::with_capacity(flat.len() + 3) };
    let mut outcome = None;
    for (k, v) in flat {
        if let Some(sys) = k.strip_prefix("Event.System.") {
            match sys {
                "TimeCreated.#attributes.SystemTime" => match &v {
                    Value::Str(s) => match parse_iso8601_us(s, 0) {
                        Some(t) => rec.fields.insert(0, ("time".to_owned(), Value::TimeUs(t))),
                        None => return Err(format!("bad SystemTime: {s}")),
                    },
                    _ => return Err(format!("bad SystemTime: {v:?}")),
                },
                "EventID" | "EventID.#text" => push_int(&mut rec, "event_id", k, v),
                "EventID.#attributes.Qualifiers" => rec.fields.push(("event_id_qualifiers".to_owned(), v)),
                "Provider.#attributes.Name" => push_string(&mut rec, "app_name", k, v),
                "Provider.#attributes.Guid" => rec.fields.push(("provider_guid".to_owned(), v)),
                "Computer" => push_string(&mut rec, "host", k, v),
                "Channel" => push_string(&mut rec, "channel", k, v),
                "EventRecordID" => push_int(&mut rec, "record_id", k, v),
                "Execution.#attributes.ProcessID" => push_int(&mut rec, "process_id", k, v),
                "Execution.#attributes.ThreadID" => push_int(&mut rec, "thread_id", k, v),
                "Security.#attributes.UserID" => push_string(&mut rec, "user_sid", k, v),
                "Correlation.#attributes.ActivityID" => rec.fields.push(("activity_id".to_owned(), v)),
                "Keywords" => {
                    outcome = outcome_from_keywords(&v);
                    rec.fields.push(("keywords".to_owned(), v));
                }
                "Level" | "Task" | "Opcode" | "Version" => {
                    rec.fields.push((sys.to_ascii_lowercase(), v));
                }
                // Correlation / Security are usually null: no information.
                _ if matches!(v, Value::Null) => {}
                _ => rec.fields.push((strip_attributes(sys), v)),
            }
        } else if let Some(d) = k.strip_prefix("Event.EventData.") {
            if d.starts_with("#attributes") {
                continue;
            }
            let d = d.to_owned();
            map_event_data(&mut rec, d, v);
        } else if let Some(u) = k.strip_prefix("Event.UserData.") {
            // UserData wraps its fields in one element named after the event (LogFileCleared, ...).
            let inner = u.split_once('.').map(|(_, x)| x).unwrap_or(u);
            if inner.starts_with("#attributes") {
                continue;
            }
            map_event_data(&mut rec, inner.to_owned(), v);
        } else if k == "Event.RenderingInfo.Message" {
            push_string(&mut rec, "msg", k, v);
        } else if k == "_evtx_timestamp" {
            match any_time_to_us(&v, 0) {
                Some(t) => rec.fields.push((k, Value::TimeUs(t))),
                None => rec.fields.push((k, v)),
            }
        } else if k.starts_with("Event.#attributes") || k == "Event.EventData" || k == "Event.UserData" {
            // XML namespace and null EventData carry nothing.
        } else if let Some(rest) = k.strip_prefix("Event.") {
            rec.fields.push((strip_attributes(rest), v));
        } else {
            rec.fields.push((k, v));
        }
    }
    if rec.get("record_id").is_none() {
        if let Some(i) = rec.fields.iter().position(|(k, _)| k == "_evtx_record_id") {
            rec.fields[i].0 = "record_id".to_owned();
        }
    }
    if let Some(o) = outcome {
        rec.push_str("outcome", o);
    }
    Ok(rec)
}

/// Keys holding the record time in flat exports, in preference order.
const FLAT_TIME_KEYS: [&str; 6] =
    ["EventTime", "TimeCreated", "@timestamp", "TimeGenerated", "timestamp", "EventReceivedTime"];

fn map_flat(flat: FlatObject, ctx: &ParseContext) -> Record {
    // NXLog EventTime is local time without zone: ctx.default_tz_offset_secs applies.
    let time = FLAT_TIME_KEYS.iter().find_map(|key| {
        let i = flat.iter().position(|(k, _)| k == key)?;
        any_time_to_us(&flat[i].1, ctx.default_tz_offset_secs).map(|t| (i, t))
    });
    let mut rec = Record { fields: Vec::with_capacity(flat.len() + 3) };
    if let Some((_, t)) = time {
        rec.push("time", Value::TimeUs(t));
    }
    let mut outcome = None;
    for (i, (k, v)) in flat.into_iter().enumerate() {
        if time.is_some_and(|(ti, _)| ti == i) {
            continue;
        }
        if let Some(d) = k.strip_prefix("winlog.event_data.").or_else(|| k.strip_prefix("winlog.user_data."))
        {
            let d = d.to_owned();
            map_event_data(&mut rec, d, v);
            continue;
        }
        match k.as_str() {
            "EventID" | "Id" | "winlog.event_id" | "event.code" => push_int(&mut rec, "event_id", k, v),
            "Hostname" | "MachineName" | "winlog.computer_name" | "host.name" | "Computer" => {
                push_string(&mut rec, "host", k, v)
            }
            "SourceName" | "ProviderName" | "winlog.provider_name" => push_string(&mut rec, "app_name", k, v),
            "Channel" | "LogName" | "winlog.channel" => push_string(&mut rec, "channel", k, v),
            "RecordNumber" | "RecordId" | "winlog.record_id" => push_int(&mut rec, "record_id", k, v),
            "Message" | "message" => push_string(&mut rec, "msg", k, v),
            "ProcessID" | "ProcessId" | "winlog.process.pid" => push_int(&mut rec, "process_id", k, v),
            "ThreadID" | "ThreadId" | "winlog.process.thread.id" => push_int(&mut rec, "thread_id", k, v),
            "event.outcome" => push_string(&mut rec, "outcome", k, v),
            "event.action" => push_string(&mut rec, "action", k, v),
            "Keywords" => {
                outcome = outcome_from_keywords(&v);
                rec.fields.push((k, v));
            }
            "EventType" => {
                // NXLog: AUDIT_SUCCESS / AUDIT_FAILURE (otherwise a level such as INFO).
                if let Value::Str(s) = &v {
                    if s.eq_ignore_ascii_case("AUDIT_SUCCESS") {
                        outcome = Some("success");
                    } else if s.eq_ignore_ascii_case("AUDIT_FAILURE") {
                        outcome = Some("failure");
                    }
                }
                rec.fields.push((k, v));
            }
            "IpAddress" | "IpPort" | "TargetUserName" | "SubjectUserName" | "LogonType" | "SourceIp"
            | "DestinationIp" | "SourcePort" | "DestinationPort" | "User" | "SourceAddress"
            | "DestAddress" | "DestPort" | "Protocol" | "Image" | "ProcessName" | "NewProcessName"
            | "ClientAddress" => map_event_data(&mut rec, k, v),
            "time" => rec.fields.push(("time_raw".to_owned(), v)),
            _ => map_generic_key(&mut rec, k, v),
        }
    }
    if rec.get("outcome").is_none() {
        if let Some(o) = outcome {
            rec.push_str("outcome", o);
        }
    }
    rec
}

/// (format, source key, normalized field) for the documentation.
pub fn field_mappings() -> Vec<(&'static str, &'static str, &'static str)> {
    const EVTX: [(&str, &str); 16] = [
        ("Event.System.TimeCreated.#attributes.SystemTime", "time"),
        ("Event.System.EventID (or EventID.#text)", "event_id"),
        ("Event.System.Computer", "host"),
        ("Event.System.Provider.#attributes.Name", "app_name"),
        ("Event.System.Channel", "channel"),
        ("Event.System.EventRecordID (else _evtx_record_id)", "record_id"),
        ("Event.System.Keywords audit bits", "outcome"),
        ("Event.System.Execution.#attributes.ProcessID / ThreadID", "process_id / thread_id"),
        ("Event.EventData.* / Event.UserData.<T>.*", "key without prefix"),
        ("EventData.IpAddress / SourceIp / SourceAddress (::ffff: stripped)", "src_ip"),
        ("EventData.IpPort / SourcePort", "src_port"),
        ("EventData.DestinationIp / DestAddress, DestinationPort / DestPort", "dst_ip / dst_port"),
        ("EventData.TargetUserName / User (Sysmon)", "user_name"),
        ("EventData.SubjectUserName", "subject_user_name"),
        ("EventData.LogonType", "LogonType (Int)"),
        ("Event.RenderingInfo.Message", "msg"),
    ];
    const FLAT: [(&str, &str); 11] = [
        ("EventTime / TimeCreated / @timestamp / TimeGenerated", "time"),
        ("EventID / Id / winlog.event_id / event.code", "event_id"),
        ("Hostname / MachineName / winlog.computer_name / host.name", "host"),
        ("SourceName / ProviderName / winlog.provider_name", "app_name"),
        ("Channel / LogName / winlog.channel", "channel"),
        ("RecordNumber / RecordId / winlog.record_id", "record_id"),
        ("Message / message", "msg"),
        ("event.outcome, Keywords, EventType AUDIT_*", "outcome"),
        ("event.action", "action"),
        ("winlog.event_data.* / winlog.user_data.*", "key without prefix"),
        ("top-level IpAddress, IpPort, TargetUserName, ... (NXLog)", "as EventData"),
    ];
    let mut v = Vec::new();
    v.extend(EVTX.iter().map(|(s, n)| ("windows-evtx-json", *s, *n)));
    v.extend(FLAT.iter().map(|(s, n)| ("windows-flat-json", *s, *n)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::jsonl::detect;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn parse_real(rel: &str) -> Option<(&'static str, Vec<Record>, usize)> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real_data").join(rel);
        let Ok(data) = std::fs::read(&path) else {
            eprintln!("skipping: {} not found", path.display());
            return None;
        };
        let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
        let parser = detect(&lines[..lines.len().min(50)]).expect("detected");
        let ctx = ParseContext::default();
        let mut recs = Vec::new();
        let mut rejects = 0;
        for l in &lines {
            match parser.parse_line(l, &ctx) {
                Ok(Some(r)) => recs.push(r),
                Ok(None) => {}
                Err(_) => rejects += 1,
            }
        }
        Some((parser.name(), recs, rejects))
    }

    fn counts(recs: &[Record], field: &str) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in recs {
            let k = match r.get(field) {
                Some(Value::Str(s)) => s.clone(),
                Some(Value::Int(i)) => i.to_string(),
                Some(v) => format!("{v:?}"),
                None => "<none>".into(),
            };
            *m.entry(k).or_default() += 1;
        }
        m
    }

    fn range(recs: &[Record]) -> (i64, i64) {
        let ts: Vec<i64> = recs
            .iter()
            .filter_map(|r| match r.get("time") {
                Some(Value::TimeUs(t)) => Some(*t),
                _ => None,
            })
            .collect();
        assert_eq!(ts.len(), recs.len(), "every record has a time");
        (ts.iter().copied().min().unwrap_or(0), ts.iter().copied().max().unwrap_or(0))
    }

    #[test]
    fn real_kerberos_spray() {
        let Some((name, recs, rejects)) = parse_real("windows-evtx-json/kerberos_pwd_spray_4771.jsonl")
        else {
            return;
        };
        assert_eq!((name, recs.len(), rejects), ("windows-evtx-json", 12, 0));
        let ids = counts(&recs, "event_id");
        assert_eq!((ids["4768"], ids["4771"], ids["1102"]), (9, 2, 1));
        // One 4768 has "::ffff:172.16.66.1": mapped form stripped, so all 11 Kerberos events match.
        assert_eq!(counts(&recs, "src_ip")["172.16.66.1"], 11);
        assert_eq!(range(&recs), (1_595_449_767_321_769, 1_595_449_776_437_702));
        assert_eq!(counts(&recs, "host")["01566s-win16-ir.threebeesco.com"], 12);
        assert_eq!(counts(&recs, "app_name")["Microsoft-Windows-Security-Auditing"], 11);
        assert_eq!(counts(&recs, "channel")["Security"], 12);
        let out = counts(&recs, "outcome");
        assert_eq!((out["failure"], out["success"]), (9, 3));
        let first = &recs[0];
        // 1102 keeps its UserData fields without the LogFileCleared prefix.
        assert_eq!(first.get("subject_user_name"), Some(&Value::Str("a-jbrown".into())));
        assert_eq!(first.get("record_id"), Some(&Value::Int(887_106)));
        let spray = &recs[1];
        assert_eq!(spray.get("user_name"), Some(&Value::Str("HD01".into())));
        assert_eq!(spray.get("src_port"), Some(&Value::Int(55_961)));
        assert_eq!(spray.get("Status"), Some(&Value::Str("0x6".into())));
        assert_eq!(spray.get("_evtx_timestamp"), Some(&Value::TimeUs(1_595_449_776_414_856)));
        assert!(spray.fields.iter().all(|(k, _)| !k.starts_with("Event.")));
    }

    #[test]
    fn real_remote_file_copy() {
        let Some((name, recs, rejects)) = parse_real("windows-evtx-json/LM_5145_Remote_FileCopy.jsonl")
        else {
            return;
        };
        assert_eq!((name, recs.len(), rejects), ("windows-evtx-json", 869, 0));
        assert_eq!(counts(&recs, "event_id")["5145"], 869);
        assert_eq!(counts(&recs, "src_ip")["10.0.2.15"], 869);
        assert_eq!(counts(&recs, "subject_user_name")["Administrator"], 869);
        assert_eq!(range(&recs), (1_552_919_002_134_722, 1_552_919_050_063_640));
    }

    #[test]
    fn evtx_variants() {
        let line = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":{"#attributes":{"Qualifiers":""},"#text":3},"TimeCreated":{"#attributes":{"SystemTime":"2019-03-18T14:23:22.1Z"}},"Computer":"PC01","Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Protocol":"tcp","SourceIp":"::1","SourcePort":"5000","DestinationIp":"::ffff:10.0.0.9","DestinationPort":"445","User":"EX\\bob","IpAddress":"-"}}}"##;
        let p = detect(&[line.as_bytes()]).expect("detected");
        assert_eq!(p.name(), "windows-evtx-json");
        let r = p.parse_line(line.as_bytes(), &ParseContext::default()).unwrap().unwrap();
        assert_eq!(r.get("event_id"), Some(&Value::Int(3)));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("::1".into())));
        assert_eq!(r.get("dst_ip"), Some(&Value::Str("10.0.0.9".into())));
        assert_eq!(r.get("src_port"), Some(&Value::Int(5000)));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(445)));
        assert_eq!(r.get("ip_proto"), Some(&Value::Int(6)));
        assert_eq!(r.get("user_name"), Some(&Value::Str("EX\\bob".into())));
        assert_eq!(r.get("IpAddress"), Some(&Value::Str("-".into())));
        let bad_time =
            r##"{"Event":{"System":{"EventID":1,"TimeCreated":{"#attributes":{"SystemTime":"nope"}}}}}"##;
        assert!(p.parse_line(bad_time.as_bytes(), &ParseContext::default()).is_err());
    }

    #[test]
    fn nxlog_flat() {
        let line = r#"{"EventTime":"2020-09-15 10:00:01","Hostname":"DC01.corp","Keywords":-9214364837600034816,"EventType":"AUDIT_SUCCESS","SeverityValue":2,"EventID":4624,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","RecordNumber":77,"TargetUserName":"DC01$","LogonType":"3","IpAddress":"172.16.66.37","IpPort":"49152","WorkstationName":"-","Message":"An account was successfully logged on."}"#;
        let p = detect(&[line.as_bytes()]).expect("detected");
        assert_eq!(p.name(), "windows-flat-json");
        let ctx = ParseContext { default_tz_offset_secs: 3600, ..Default::default() };
        let r = p.parse_line(line.as_bytes(), &ctx).unwrap().unwrap();
        use crate::data::record::civil_to_us;
        assert_eq!(r.fields[0], ("time".into(), Value::TimeUs(civil_to_us(2020, 9, 15, 9, 0, 1, 0, 0))));
        assert_eq!(r.get("event_id"), Some(&Value::Int(4624)));
        assert_eq!(r.get("host"), Some(&Value::Str("DC01.corp".into())));
        assert_eq!(r.get("app_name"), Some(&Value::Str("Microsoft-Windows-Security-Auditing".into())));
        assert_eq!(r.get("record_id"), Some(&Value::Int(77)));
        assert_eq!(r.get("LogonType"), Some(&Value::Int(3)));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("172.16.66.37".into())));
        assert_eq!(r.get("src_port"), Some(&Value::Int(49152)));
        assert_eq!(r.get("user_name"), Some(&Value::Str("DC01$".into())));
        assert_eq!(r.get("msg"), Some(&Value::Str("An account was successfully logged on.".into())));
        assert_eq!(r.get("outcome"), Some(&Value::Str("success".into())));
        assert_eq!(r.get("WorkstationName"), Some(&Value::Str("-".into())));
    }

    #[test]
    fn winlogbeat_and_powershell_flat() {
        let wlb = r#"{"@timestamp":"2020-09-15T10:00:01.123Z","event":{"code":"4625","outcome":"failure","action":"logon-failed"},"host":{"name":"dc01"},"winlog":{"event_id":4625,"computer_name":"DC01.corp","channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing","record_id":9,"event_data":{"IpAddress":"::ffff:10.1.1.1","TargetUserName":"bob","LogonType":"3"}},"message":"An account failed to log on."}"#;
        let p = detect(&[wlb.as_bytes()]).expect("detected");
        assert_eq!(p.name(), "windows-flat-json");
        let r = p.parse_line(wlb.as_bytes(), &ParseContext::default()).unwrap().unwrap();
        assert_eq!(r.get("time"), Some(&Value::TimeUs(1_600_164_001_123_000)));
        assert_eq!(r.get("event_id"), Some(&Value::Int(4625)));
        assert_eq!(r.get("outcome"), Some(&Value::Str("failure".into())));
        assert_eq!(r.get("action"), Some(&Value::Str("logon-failed".into())));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("10.1.1.1".into())));
        assert_eq!(r.get("user_name"), Some(&Value::Str("bob".into())));
        assert_eq!(r.get("host"), Some(&Value::Str("dc01".into())));
        assert_eq!(r.get("winlog.computer_name"), Some(&Value::Str("DC01.corp".into())));
        let ps = r#"{"Id":4624,"TimeCreated":"/Date(1600164001000)/","MachineName":"DC01","ProviderName":"Microsoft-Windows-Security-Auditing","LogName":"Security"}"#;
        let r = p.parse_line(ps.as_bytes(), &ParseContext::default()).unwrap().unwrap();
        assert_eq!(r.get("time"), Some(&Value::TimeUs(1_600_164_001_000_000)));
        assert_eq!(r.get("event_id"), Some(&Value::Int(4624)));
        assert_eq!(r.get("channel"), Some(&Value::Str("Security".into())));
    }

    #[test]
    fn detection_helpers() {
        let evtx: serde_json::Value = serde_json::json!({"Event": {"System": {"EventID": 1}}});
        assert!(is_evtx_json(&evtx));
        assert!(!is_flat_windows_json(&evtx));
        assert!(!is_evtx_json(&serde_json::json!({"Event": "x"})));
        assert!(is_flat_windows_json(&serde_json::json!({"EventID": 1, "Hostname": "h"})));
        assert!(!is_flat_windows_json(&serde_json::json!({"EventID": 1})));
        assert!(!is_flat_windows_json(&serde_json::json!([1])));
    }
}
