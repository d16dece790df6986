//! Zeek ASCII logs: `#separator`, `#set_separator`, `#empty_field`, `#unset_field`, `#path`,
//! `#fields`, `#types` directives, data lines, and an optional `#close` trailer.
use super::delimited::{ColSpec, DelimSpec, Kind};

#[derive(Debug, Clone, Default)]
pub struct ZeekHeader {
    pub separator: u8,
    pub set_separator: String,
    pub empty_field: String,
    pub unset_field: String,
    pub path: Option<String>,
    pub fields: Vec<String>,
    pub types: Vec<String>,
}

pub fn detect(lines: &[&[u8]]) -> bool {
    lines.first().is_some_and(|l| l.starts_with(b"#separator") || l.starts_with(b"#fields"))
}

/// "\x09" -> tab, as Zeek writes the separator.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 3 < b.len() {
            // Bytes, not `str` slices: a hostile header may put a multibyte character here.
            let hex = std::str::from_utf8(&b[i + 2..(i + 4).min(b.len())]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v as char);
                i += 4;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Reads the directives at the top of the file (all lines starting with '#').
pub fn parse_header(lines: &[&[u8]]) -> Result<ZeekHeader, String> {
    let mut h = ZeekHeader {
        separator: b'\t',
        set_separator: ",".into(),
        empty_field: "(empty)".into(),
        unset_field: "-".into(),
        ..Default::default()
    };
    for raw in lines {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches(['\r', '\n']);
        if !line.starts_with('#') {
            break;
        }
        if let Some(rest) = line.strip_prefix("#separator ") {
            let sep = unescape(rest.trim());
            h.separator = *sep.as_bytes().first().ok_or("empty #separator")?;
            continue;
        }
        let sep = h.separator as char;
        let mut parts = line.splitn(2, sep);
        let key = parts.next().unwrap_or("");
        let val = parts.next().unwrap_or("");
        match key {
            "#set_separator" => h.set_separator = unescape(val),
            "#empty_field" => h.empty_field = val.to_string(),
            "#unset_field" => h.unset_field = val.to_string(),
            "#path" => h.path = Some(val.to_string()),
            "#fields" => h.fields = val.split(sep).map(str::to_string).collect(),
            "#types" => h.types = val.split(sep).map(str::to_string).collect(),
            _ => {}
        }
    }
    if h.fields.is_empty() {
        return Err("Zeek log without a #fields line".into());
    }
    if !h.types.is_empty() && h.types.len() != h.fields.len() {
        return Err(format!("#types has {} entries but #fields has {}", h.types.len(), h.fields.len()));
    }
    Ok(h)
}

/// Zeek field name -> stored name (field dictionary).
pub fn map_name(field: &str) -> String {
    match field {
        "ts" => "time",
        "id.orig_h" => "src_ip",
        "id.orig_p" => "src_port",
        "id.resp_h" => "dst_ip",
        "id.resp_p" => "dst_port",
        "orig_bytes" => "bytes_sent",
        "resp_bytes" => "bytes_received",
        "orig_pkts" => "packets_sent",
        "resp_pkts" => "packets_received",
        "method" => "http_method",
        "uri" => "http_request",
        "status_code" => "http_status",
        "user_agent" => "http_user_agent",
        "message" => "msg",
        "facility" => "syslog_facility_name",
        "severity" => "syslog_severity_name",
        "host" => "host",
        other => other,
    }
    .to_string()
}

fn kind_of(name: &str, zeek_type: Option<&str>) -> Kind {
    match (name, zeek_type) {
        ("time", _) => Kind::EpochSecs,
        ("src_port" | "dst_port", _) => Kind::Port,
        ("proto", _) => Kind::LowerStr,
        (_, Some("time")) => Kind::EpochSecs,
        (_, Some("interval" | "double")) => Kind::F64,
        (_, Some("count" | "int")) => Kind::I64,
        (_, Some("port")) => Kind::I32,
        (_, Some("bool")) => Kind::Bool,
        _ => Kind::Str,
    }
}

pub fn spec(h: &ZeekHeader) -> DelimSpec {
    let mut seen = std::collections::HashSet::new();
    let cols = h
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut name = map_name(f);
            // Two source fields mapping onto one name would collide; keep the original then.
            if !seen.insert(name.clone()) {
                name = f.clone();
                seen.insert(name.clone());
            }
            let kind = kind_of(&name, h.types.get(i).map(String::as_str));
            ColSpec::new(name, kind)
        })
        .collect();
    let mut s = DelimSpec::new(h.separator, cols);
    s.comment_prefix = Some(b'#');
    s.quotes = false;
    s.unset_token = Some(h.unset_field.as_bytes().to_vec());
    s.empty_token = Some(h.empty_field.as_bytes().to_vec());
    s
}

/// Original names that differ from the stored ones, for SQL (`"id.orig_h"` and `id_orig_h`).
pub fn aliases(h: &ZeekHeader) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in &h.fields {
        let n = map_name(f);
        if n != *f {
            out.push((f.clone(), n.clone()));
            if f.contains('.') {
                out.push((f.replace('.', "_"), n));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header() {
        let lines: Vec<&[u8]> = vec![
            b"#separator \\x09",
            b"#set_separator\t,",
            b"#empty_field\t(empty)",
            b"#unset_field\t-",
            b"#path\tconn",
            b"#fields\tts\tuid\tid.orig_h\tid.orig_p\tduration",
            b"#types\ttime\tstring\taddr\tport\tinterval",
        ];
        let h = parse_header(&lines).unwrap();
        assert_eq!(h.separator, b'\t');
        assert_eq!(h.fields.len(), 5);
        let s = spec(&h);
        assert_eq!(s.columns[0].name, "time");
        assert_eq!(s.columns[3].kind, Kind::Port);
        assert_eq!(s.columns[4].kind, Kind::F64);
    }
}
