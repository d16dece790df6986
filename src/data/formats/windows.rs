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

use crate::data::formats::json_projection::{Naming, Rule};
use crate::data::formats::jsonl::{
    flatten_and_map, int_of, keep, parse_iso8601_us, put_generic, put_int, put_proto, put_string, put_unique,
};
use crate::data::record::{
    record_via_fields, FieldName, FieldValue, LineFields, LineParser, LineResult, ParseContext, SourceKeys,
    Span, ValRef,
};
use crate::data::timeparse;
use std::borrow::Cow;

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
        record_via_fields(self, line, ctx)
    }

    fn source_keys(&self, only: &std::collections::HashSet<String>) -> Option<SourceKeys> {
        // Event data is judged by its name, `Event.System` keys by what `map_evtx` names them,
        // other keys by what either mapping (a line is mapped by its own shape) may make of them.
        // A line's shape is told by whether it has any `Event.System` key: a skipped one is noted.
        let generic = crate::data::formats::jsonl::generic_rules();
        let mut rules: Vec<(&str, &[&str])> = generic.iter().map(|(k, o)| (*k, o.as_slice())).collect();
        rules.extend_from_slice(EVENT_DATA_RULES);
        rules.extend_from_slice(FLAT_RULES);
        rules.extend(FLAT_TIME_KEYS.iter().map(|k| (*k, &["time"][..])));
        Some(SourceKeys::renamed(
            only.iter().map(String::as_str),
            &rules,
            &[
                ("Event.EventData.", Naming::DropParts(0)),
                ("Event.UserData.", Naming::DropParts(1)),
                (SYSTEM, Naming::Listed { known: SYSTEM_RULES, other: strip_attributes }),
                ("Event.", Naming::Listed { known: EVENT_RULES, other: event_key_name }),
                ("winlog.event_data.", Naming::DropParts(0)),
                ("winlog.user_data.", Naming::DropParts(0)),
            ],
            Some(SYSTEM),
        ))
    }

    fn parse_fields(
        &self,
        line: &[u8],
        ctx: &ParseContext,
        out: &mut LineFields,
    ) -> Option<Result<bool, String>> {
        Some(flatten_and_map(line, ctx, out, |out| {
            if out.skipped_marked || out.source.iter().any(|&(k, _)| out.str(k).starts_with(SYSTEM)) {
                map_evtx(out)
            } else {
                map_flat(out, ctx);
                Ok(())
            }
        }))
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
fn put_ip(out: &mut LineFields, name: &'static str, k: Span, v: FieldValue) {
    let cleaned = match (v, out.value(v)) {
        (FieldValue::Text(span), ValRef::Str(s)) => {
            let ip = clean_ip(s);
            // `clean_ip` gives a part of `s`: the same bytes as a part of its span.
            let from = ip.as_ptr() as usize - s.as_ptr() as usize;
            looks_like_ip(ip).then(|| span.sub(from, from + ip.len()))
        }
        _ => None,
    };
    match cleaned {
        Some(ip) => put_unique(out, name, k, FieldValue::Text(ip)),
        None => keep(out, k, v),
    }
}

/// What [`map_event_data`] may make of an event data name (see [`SourceKeys`]).
const EVENT_DATA_RULES: &[Rule] = &[
    ("IpAddress", &["src_ip"]),
    ("SourceAddress", &["src_ip"]),
    ("SourceIp", &["src_ip"]),
    ("ClientAddress", &["src_ip"]),
    ("DestAddress", &["dst_ip"]),
    ("DestinationIp", &["dst_ip"]),
    ("IpPort", &["src_port"]),
    ("SourcePort", &["src_port"]),
    ("DestPort", &["dst_port"]),
    ("DestinationPort", &["dst_port"]),
    ("Protocol", &["proto", "ip_proto"]),
    ("TargetUserName", &["user_name"]),
    ("User", &["user_name"]),
    ("SubjectUserName", &["subject_user_name"]),
    ("Image", &["process"]),
    ("ProcessName", &["process"]),
    ("NewProcessName", &["process"]),
];

/// Maps one EventData / UserData key (already without its prefix).
fn map_event_data(out: &mut LineFields, k: Span, v: FieldValue) {
    match out.str(k) {
        "IpAddress" | "SourceAddress" | "SourceIp" | "ClientAddress" => put_ip(out, "src_ip", k, v),
        "DestAddress" | "DestinationIp" => put_ip(out, "dst_ip", k, v),
        "IpPort" | "SourcePort" => put_int(out, "src_port", k, v),
        "DestPort" | "DestinationPort" => put_int(out, "dst_port", k, v),
        "Protocol" if matches!(out.value(v), ValRef::Str(s) if s.parse::<i64>().is_err()) => {
            put_proto(out, v)
        }
        "TargetUserName" | "User" => put_string(out, "user_name", k, v),
        "SubjectUserName" => put_string(out, "subject_user_name", k, v),
        "LogonType" => {
            let v = int_of(out.value(v)).map_or(v, FieldValue::Int);
            keep(out, k, v)
        }
        "Image" | "ProcessName" | "NewProcessName" if !out.has("process") => put_string(out, "process", k, v),
        _ => keep(out, k, v),
    }
}

/// Audit outcome from the Keywords bit mask (0x0020.. Audit Success, 0x0010.. Audit Failure).
fn outcome_from_keywords(v: ValRef) -> Option<&'static str> {
    let bits = match v {
        ValRef::Str(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).ok()?,
                None if s.eq_ignore_ascii_case("Audit Success") => return Some("success"),
                None if s.eq_ignore_ascii_case("Audit Failure") => return Some("failure"),
                None => s.parse::<i64>().ok()? as u64,
            }
        }
        ValRef::Int(i) => i as u64,
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

/// `System.X.#attributes.Y` -> `X.Y` for System keys without a normalized name; borrowed when
/// there is nothing to take out (most keys).
fn strip_attributes(k: &str) -> Cow<'_, str> {
    if memchr::memchr(b'#', k.as_bytes()).is_none() {
        return Cow::Borrowed(k);
    }
    Cow::Owned(k.replace("#attributes.", "").replace(".#text", ""))
}

/// The name [`map_evtx`] keeps another `Event.` key under (after the prefix); `Event.#attributes`
/// keys (the XML namespace, on every line) it drops: an empty name, which no query wants.
fn event_key_name(rest: &str) -> Cow<'_, str> {
    if rest.starts_with("#attributes") {
        Cow::Borrowed("")
    } else {
        strip_attributes(rest)
    }
}

/// The prefix of the keys [`map_evtx`] reads as the System element.
const SYSTEM: &str = "Event.System.";

/// The System keys [`map_evtx`] names (after [`SYSTEM`]), as it matches them, and what it makes
/// of each; any other System key is kept under its [`strip_attributes`] name.
const SYSTEM_RULES: &[Rule] = &[
    ("TimeCreated.#attributes.SystemTime", &["time"]),
    ("EventID", &["event_id"]),
    ("EventID.#text", &["event_id"]),
    ("EventID.#attributes.Qualifiers", &["event_id_qualifiers"]),
    ("Provider.#attributes.Name", &["app_name"]),
    ("Provider.#attributes.Guid", &["provider_guid"]),
    ("Computer", &["host"]),
    ("Channel", &["channel"]),
    ("EventRecordID", &["record_id"]),
    ("Execution.#attributes.ProcessID", &["process_id"]),
    ("Execution.#attributes.ThreadID", &["thread_id"]),
    ("Security.#attributes.UserID", &["user_sid"]),
    ("Correlation.#attributes.ActivityID", &["activity_id"]),
    ("Keywords", &["keywords", "outcome"]),
    ("Level", &["level"]),
    ("Task", &["task"]),
    ("Opcode", &["opcode"]),
    ("Version", &["version"]),
];

/// Where a flattened EVTX key belongs.
enum EvtxKey {
    /// `Event.System.*`, the span without the prefix.
    System(Span),
    /// `Event.EventData.*` or the inner key of `Event.UserData.<T>.*`.
    Data(Span),
    Message,
    EvtxTimestamp,
    /// XML namespace attributes, null EventData / UserData: nothing.
    Nothing,
    /// Other `Event.*`, the span without `Event.`.
    Event(Span),
    Other,
}

fn evtx_key(key: &str, k: Span) -> EvtxKey {
    const DATA: &str = "Event.EventData.";
    const USER: &str = "Event.UserData.";
    if key.starts_with(SYSTEM) {
        EvtxKey::System(k.sub(SYSTEM.len(), key.len()))
    } else if let Some(d) = key.strip_prefix(DATA) {
        if d.starts_with("#attributes") {
            EvtxKey::Nothing
        } else {
            EvtxKey::Data(k.sub(DATA.len(), key.len()))
        }
    } else if let Some(u) = key.strip_prefix(USER) {
        // UserData wraps its fields in one element named after the event (LogFileCleared, ...).
        let inner = u.find('.').map_or(0, |i| i + 1);
        if u[inner..].starts_with("#attributes") {
            EvtxKey::Nothing
        } else {
            EvtxKey::Data(k.sub(USER.len() + inner, key.len()))
        }
    } else if key == "Event.RenderingInfo.Message" {
        EvtxKey::Message
    } else if key == "_evtx_timestamp" {
        EvtxKey::EvtxTimestamp
    } else if key.starts_with("Event.#attributes") || key == "Event.EventData" || key == "Event.UserData" {
        EvtxKey::Nothing
    } else if key.starts_with("Event.") {
        EvtxKey::Event(k.sub("Event.".len(), key.len()))
    } else {
        EvtxKey::Other
    }
}

/// A key kept under its name with `#attributes.` and `.#text` taken out (`X.#attributes.Y` -> `X.Y`).
fn keep_stripped(out: &mut LineFields, k: Span, v: FieldValue) {
    let span = match strip_attributes(out.str(k)) {
        Cow::Borrowed(_) => k,
        Cow::Owned(name) => out.add_text(&name),
    };
    keep(out, span, v);
}

/// Maps one EVTX record (evtx_dump JSON shape, flattened); also used by the native `.evtx` reader.
pub(crate) fn map_evtx(out: &mut LineFields) -> Result<(), String> {
    let source = std::mem::take(&mut out.source);
    let mut outcome = None;
    let named = |n: &'static str| FieldName::Static(n);
    for &(k, v) in &source {
        match evtx_key(out.str(k), k) {
            EvtxKey::System(sys) => match out.str(sys) {
                "TimeCreated.#attributes.SystemTime" => match out.value(v) {
                    ValRef::Str(s) => match parse_iso8601_us(s, 0) {
                        Some(t) => out.fields.insert(0, (named("time"), FieldValue::TimeUs(t))),
                        None => return Err(format!("bad SystemTime: {s}")),
                    },
                    other => return Err(format!("bad SystemTime: {other:?}")),
                },
                "EventID" | "EventID.#text" => put_int(out, "event_id", k, v),
                "EventID.#attributes.Qualifiers" => out.fields.push((named("event_id_qualifiers"), v)),
                "Provider.#attributes.Name" => put_string(out, "app_name", k, v),
                "Provider.#attributes.Guid" => out.fields.push((named("provider_guid"), v)),
                "Computer" => put_string(out, "host", k, v),
                "Channel" => put_string(out, "channel", k, v),
                "EventRecordID" => put_int(out, "record_id", k, v),
                "Execution.#attributes.ProcessID" => put_int(out, "process_id", k, v),
                "Execution.#attributes.ThreadID" => put_int(out, "thread_id", k, v),
                "Security.#attributes.UserID" => put_string(out, "user_sid", k, v),
                "Correlation.#attributes.ActivityID" => out.fields.push((named("activity_id"), v)),
                "Keywords" => {
                    outcome = outcome_from_keywords(out.value(v));
                    out.fields.push((named("keywords"), v));
                }
                "Level" => out.fields.push((named("level"), v)),
                "Task" => out.fields.push((named("task"), v)),
                "Opcode" => out.fields.push((named("opcode"), v)),
                "Version" => out.fields.push((named("version"), v)),
                // Correlation / Security are usually null: no information.
                _ if v == FieldValue::Null => {}
                _ => keep_stripped(out, sys, v),
            },
            EvtxKey::Data(d) => map_event_data(out, d, v),
            EvtxKey::Message => put_string(out, "msg", k, v),
            EvtxKey::EvtxTimestamp => {
                let t = timeparse::any_time_us(out.value(v), 0).ok();
                keep(out, k, t.map_or(v, FieldValue::TimeUs));
            }
            EvtxKey::Nothing => {}
            EvtxKey::Event(rest) => keep_stripped(out, rest, v),
            EvtxKey::Other => keep(out, k, v),
        }
    }
    out.source = source;
    if !out.has("record_id") {
        if let Some(i) = out.fields.iter().position(|&(n, _)| out.name(n) == "_evtx_record_id") {
            out.fields[i].0 = named("record_id");
        }
    }
    if let Some(o) = outcome {
        let span = out.add_text(o);
        out.fields.push((named("outcome"), FieldValue::Text(span)));
    }
    Ok(())
}

/// What [`map_evtx`] makes of other `Event.` keys (after the prefix), and of top-level keys.
const EVENT_RULES: &[Rule] = &[("RenderingInfo.Message", &["msg"])];

/// What [`map_flat`] (and [`map_evtx`], at the top level) may make of a key, besides the generic
/// rules, event data names and the time keys.
const FLAT_RULES: &[Rule] = &[
    ("EventID", &["event_id"]),
    ("Id", &["event_id"]),
    ("winlog.event_id", &["event_id"]),
    ("event.code", &["event_id"]),
    ("Hostname", &["host"]),
    ("MachineName", &["host"]),
    ("winlog.computer_name", &["host"]),
    ("host.name", &["host"]),
    ("Computer", &["host"]),
    ("SourceName", &["app_name"]),
    ("ProviderName", &["app_name"]),
    ("winlog.provider_name", &["app_name"]),
    ("Channel", &["channel"]),
    ("LogName", &["channel"]),
    ("winlog.channel", &["channel"]),
    ("RecordNumber", &["record_id"]),
    ("RecordId", &["record_id"]),
    ("winlog.record_id", &["record_id"]),
    ("Message", &["msg"]),
    ("message", &["msg"]),
    ("ProcessID", &["process_id"]),
    ("ProcessId", &["process_id"]),
    ("winlog.process.pid", &["process_id"]),
    ("ThreadID", &["thread_id"]),
    ("ThreadId", &["thread_id"]),
    ("winlog.process.thread.id", &["thread_id"]),
    ("event.outcome", &["outcome"]),
    ("event.action", &["action"]),
    ("Keywords", &["outcome"]),
    ("EventType", &["outcome"]),
    ("time", &["time_raw"]),
    ("_evtx_record_id", &["record_id"]),
];

/// Keys holding the record time in flat exports, in preference order.
const FLAT_TIME_KEYS: [&str; 6] =
    ["EventTime", "TimeCreated", "@timestamp", "TimeGenerated", "timestamp", "EventReceivedTime"];

fn map_flat(out: &mut LineFields, ctx: &ParseContext) {
    let source = std::mem::take(&mut out.source);
    // NXLog EventTime is local time without zone: ctx.default_tz_offset_secs applies.
    let time = FLAT_TIME_KEYS.iter().find_map(|key| {
        let i = source.iter().position(|&(k, _)| out.str(k) == *key)?;
        let t = timeparse::any_time_us(out.value(source[i].1), ctx.default_tz_offset_secs).ok()?;
        Some((i, t))
    });
    if let Some((_, t)) = time {
        out.fields.push((FieldName::Static("time"), FieldValue::TimeUs(t)));
    }
    let mut outcome = None;
    for (i, &(k, v)) in source.iter().enumerate() {
        if time.is_some_and(|(ti, _)| ti == i) {
            continue;
        }
        let key = out.str(k);
        let data = key.strip_prefix("winlog.event_data.").or_else(|| key.strip_prefix("winlog.user_data."));
        if let Some(d) = data {
            let d = k.sub(key.len() - d.len(), key.len());
            map_event_data(out, d, v);
            continue;
        }
        match out.str(k) {
            "EventID" | "Id" | "winlog.event_id" | "event.code" => put_int(out, "event_id", k, v),
            "Hostname" | "MachineName" | "winlog.computer_name" | "host.name" | "Computer" => {
                put_string(out, "host", k, v)
            }
            "SourceName" | "ProviderName" | "winlog.provider_name" => put_string(out, "app_name", k, v),
            "Channel" | "LogName" | "winlog.channel" => put_string(out, "channel", k, v),
            "RecordNumber" | "RecordId" | "winlog.record_id" => put_int(out, "record_id", k, v),
            "Message" | "message" => put_string(out, "msg", k, v),
            "ProcessID" | "ProcessId" | "winlog.process.pid" => put_int(out, "process_id", k, v),
            "ThreadID" | "ThreadId" | "winlog.process.thread.id" => put_int(out, "thread_id", k, v),
            "event.outcome" => put_string(out, "outcome", k, v),
            "event.action" => put_string(out, "action", k, v),
            "Keywords" => {
                outcome = outcome_from_keywords(out.value(v));
                keep(out, k, v);
            }
            "EventType" => {
                // NXLog: AUDIT_SUCCESS / AUDIT_FAILURE (otherwise a level such as INFO).
                if let ValRef::Str(s) = out.value(v) {
                    if s.eq_ignore_ascii_case("AUDIT_SUCCESS") {
                        outcome = Some("success");
                    } else if s.eq_ignore_ascii_case("AUDIT_FAILURE") {
                        outcome = Some("failure");
                    }
                }
                keep(out, k, v);
            }
            "IpAddress" | "IpPort" | "TargetUserName" | "SubjectUserName" | "LogonType" | "SourceIp"
            | "DestinationIp" | "SourcePort" | "DestinationPort" | "User" | "SourceAddress"
            | "DestAddress" | "DestPort" | "Protocol" | "Image" | "ProcessName" | "NewProcessName"
            | "ClientAddress" => map_event_data(out, k, v),
            "time" => out.fields.push((FieldName::Static("time_raw"), v)),
            _ => put_generic(out, k, v),
        }
    }
    out.source = source;
    if !out.has("outcome") {
        if let Some(o) = outcome {
            let span = out.add_text(o);
            out.fields.push((FieldName::Static("outcome"), FieldValue::Text(span)));
        }
    }
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
    use crate::data::record::{Record, Value};
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
    fn every_listed_system_key_is_named_as_its_rule_says() {
        // A projected read skips a System key by its rule: the rule must say what the mapping does.
        for (key, outputs) in SYSTEM_RULES {
            let value = if outputs == &["time"] { "\"2019-03-18T14:23:22Z\"" } else { "5" };
            let mut nested = value.to_string();
            for part in key.rsplit('.') {
                nested = format!("{{\"{part}\":{nested}}}");
            }
            let line = format!("{{\"Event\":{{\"System\":{nested}}}}}");
            let mut out = LineFields::default();
            let parsed =
                WindowsParser::evtx().parse_fields(line.as_bytes(), &ParseContext::default(), &mut out);
            assert!(matches!(parsed, Some(Ok(true))), "{line}: {parsed:?}");
            let names: Vec<&str> = out.fields.iter().map(|&(n, _)| out.name(n)).collect();
            assert!(names.iter().any(|n| outputs.contains(n)), "{key}: {names:?}");
        }
    }

    #[test]
    fn attributes_are_stripped_as_by_replace() {
        for k in [
            "Foo.#attributes.Bar",
            "X.#text",
            "a.#attributes.#text",
            "#attributes.xmlns",
            "#attributes.#attributes.a",
            "a.#text.#text",
            "plain",
            "a#b.#tex",
            "é.#attributes.ü.#text",
            "..#text#attributes.",
        ] {
            let expect = k.replace("#attributes.", "").replace(".#text", "");
            assert_eq!(strip_attributes(k), expect, "{k}");
        }
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
