//! Argus `ra` flow output (binetflow), comma or tab separated, with header.
use super::delimited::{ColSpec, DelimSpec, Kind};

pub fn detect(first_line: &[u8]) -> Option<u8> {
    let l = String::from_utf8_lossy(first_line);
    if l.starts_with("StartTime") && l.contains("SrcAddr") && l.contains("DstAddr") {
        return Some(if l.contains('\t') { b'\t' } else { b',' });
    }
    None
}

/// Maps an Argus header name to (stored name, kind).
pub fn map(name: &str) -> (String, Kind) {
    let (n, k) = match name {
        "StartTime" => ("time", Kind::DateTime),
        "LastTime" => ("time_end", Kind::DateTime),
        "Dur" => ("duration", Kind::F64),
        "Proto" => ("proto", Kind::LowerStr),
        "SrcAddr" => ("src_ip", Kind::Str),
        "Sport" => ("src_port", Kind::Port),
        "Dir" => ("dir", Kind::Str),
        "DstAddr" => ("dst_ip", Kind::Str),
        "Dport" => ("dst_port", Kind::Port),
        "State" => ("state", Kind::Str),
        "sTos" => ("stos", Kind::I64),
        "dTos" => ("dtos", Kind::I64),
        "TotPkts" => ("total_packets", Kind::I64),
        "TotBytes" => ("total_bytes", Kind::I64),
        "SrcBytes" => ("bytes_sent", Kind::I64),
        "SrcPkts" => ("packets_sent", Kind::I64),
        "DstBytes" => ("bytes_received", Kind::I64),
        "DstPkts" => ("packets_received", Kind::I64),
        "Label" => ("label", Kind::Str),
        other => return (other.to_string(), Kind::Str),
    };
    (n.to_string(), k)
}

pub fn spec(header: &[u8], delimiter: u8, tz_offset_secs: i32) -> DelimSpec {
    let header = String::from_utf8_lossy(header);
    let cols = header
        .trim_end_matches(['\r', '\n'])
        .split(delimiter as char)
        .map(|h| {
            let (n, k) = map(h.trim());
            ColSpec::new(n, k)
        })
        .collect();
    let mut s = DelimSpec::new(delimiter, cols);
    s.skip_lines = 1;
    s.trim_strings = true;
    s.default_tz_offset_secs = tz_offset_secs;
    // Argus prints ICMP type/code in the port columns and MAC addresses for non-IP records: those
    // are data, so values that do not fit are widened rather than rejected.
    s.strict = false;
    s
}
