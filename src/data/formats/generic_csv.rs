//! Any CSV/TSV with a header row: types are guessed from the first lines, well-known column names
//! are mapped onto the field dictionary, everything else keeps its name.
use super::delimited::{infer_kind, ColSpec, DelimSpec, Kind};

/// Picks the delimiter that splits the header and the sample lines into the same number (>= 2) of
/// fields. Only a table is CSV: a first line that is a timestamped log line is no header, header
/// cells are names (not sentences), and the column count is the same on the sniffed lines (one
/// line in twenty may differ: a quoted cell with a line break).
pub fn detect(lines: &[&[u8]]) -> Option<u8> {
    let first = lines.first()?;
    if super::generic_text::starts_with_timestamp(first) {
        return None;
    }
    if lines.len() < 2 {
        // A header alone is still a (empty) table if it clearly is delimited.
        let l = lines.first()?;
        for d in [b'\t', b',', b';', b'|'] {
            if l.iter().filter(|b| **b == d).count() >= 1
                && !l.starts_with(b"{")
                && header_cells_are_names(l, d)
            {
                return Some(d);
            }
        }
        return None;
    }
    let mut best = None;
    for d in [b'\t', b',', b';', b'|'] {
        let counts: Vec<usize> = lines.iter().take(50).map(|l| count_fields(l, d)).collect();
        let n = counts[0];
        if n >= 2 && header_cells_are_names(first, d) {
            let agree = counts.iter().filter(|c| **c == n).count();
            if agree * 20 >= counts.len() * 19 && best.is_none_or(|(_, bn)| n > bn) {
                best = Some((d, n));
            }
        }
    }
    best.map(|(d, _)| d)
}

/// Header cells are column names: short, not empty-looking sentences of a log line.
fn header_cells_are_names(line: &[u8], d: u8) -> bool {
    line.split(|b| *b == d).all(|c| c.len() <= 64 && c.iter().filter(|b| **b == b' ').count() <= 4)
}

fn count_fields(line: &[u8], d: u8) -> usize {
    let mut n = 1;
    let mut in_q = false;
    for &b in line {
        if b == b'"' {
            in_q = !in_q;
        } else if b == d && !in_q {
            n += 1;
        }
    }
    n
}

/// Well-known header names (lower-cased, without '_', '-', ' ', '.') -> dictionary name.
pub fn dictionary_name(header: &str) -> Option<&'static str> {
    let k: String = header.to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Some(match k.as_str() {
        "time" | "timestamp" | "ts" | "datetime" | "date" | "eventtime" | "starttime" => "time",
        "srcip" | "sourceip" | "srcaddr" | "src" | "sourceaddress" | "saddr" | "clientip" | "idorigh" => {
            "src_ip"
        }
        "dstip" | "destip" | "destinationip" | "dstaddr" | "dst" | "destinationaddress" | "daddr"
        | "idresph" => "dst_ip",
        "srcport" | "sourceport" | "sport" | "spt" | "idorigp" => "src_port",
        "dstport" | "destport" | "destinationport" | "dport" | "dpt" | "idrespp" => "dst_port",
        "proto" | "protocol" => "proto",
        "ipproto" => "ip_proto",
        "bytessent" | "bytesout" | "srcbytes" | "origbytes" => "bytes_sent",
        "bytesreceived" | "bytesin" | "dstbytes" | "respbytes" => "bytes_received",
        "packetssent" | "srcpkts" | "origpkts" => "packets_sent",
        "packetsreceived" | "dstpkts" | "resppkts" => "packets_received",
        "duration" | "dur" => "duration",
        "action" => "action",
        "reason" => "reason",
        "host" | "hostname" => "host",
        "msg" | "message" => "msg",
        "appname" | "program" => "app_name",
        "user" | "username" | "usrname" => "user_name",
        "label" => "label",
        _ => return None,
    })
}

pub fn spec(lines: &[&[u8]], delimiter: u8, tz_offset_secs: i32) -> DelimSpec {
    let header = String::from_utf8_lossy(lines[0]).trim_start_matches('\u{feff}').to_string();
    let names: Vec<String> = header
        .trim_end_matches(['\r', '\n'])
        .split(delimiter as char)
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect();
    let mut used = std::collections::HashSet::new();
    let mut cols = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let samples: Vec<&[u8]> =
            lines[1..].iter().filter_map(|l| l.split(|b| *b == delimiter).nth(i)).collect();
        let mut kind = infer_kind(&samples);
        let mut name = match dictionary_name(raw) {
            Some(n) if !used.contains(n) => n.to_string(),
            _ => {
                if raw.is_empty() {
                    format!("column_{}", i + 1)
                } else {
                    raw.clone()
                }
            }
        };
        if !used.insert(name.clone()) {
            name = format!("{name}_{}", i + 1);
            used.insert(name.clone());
        }
        if name == "time" {
            let epochish = samples.iter().all(|s| crate::data::timeparse::epoch_secs_to_us(s).is_some());
            kind = match kind {
                Kind::DateTime => Kind::DateTime,
                Kind::I64 | Kind::F64 if epochish => Kind::EpochSecs,
                _ => {
                    name = raw.clone();
                    kind
                }
            };
        }
        if matches!(name.as_str(), "src_port" | "dst_port") && kind == Kind::I64 {
            kind = Kind::I32;
        }
        cols.push(ColSpec::new(name, kind));
    }
    let mut s = DelimSpec::new(delimiter, cols);
    s.skip_lines = 1;
    s.default_tz_offset_secs = tz_offset_secs;
    s.strict = false;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tables_are_csv() {
        let table: &[&[u8]] = &[b"time,src_ip,dst_ip", b"2021-01-01 00:00:00,1.2.3.4,5.6.7.8", b"x,y,z"];
        assert_eq!(detect(table), Some(b','));
        // The example: a timestamped log line is not a header.
        let log: &[&[u8]] =
            &[b"2012-07-02 10:22:40,672:DEBUG:foo bar baz", b"2012-07-02 10:22:41,001:INFO:next one"];
        assert_eq!(detect(log), None);
        // Column counts that disagree are no table.
        let ragged: &[&[u8]] = &[b"a,b,c", b"1,2", b"1,2,3,4", b"1,2,3"];
        assert_eq!(detect(ragged), None);
        // A sentence with a comma is not a header.
        let prose: &[&[u8]] = &[b"Starting the server on port 80, please wait a moment", b"ready, go"];
        assert_eq!(detect(prose), None);
    }
}
