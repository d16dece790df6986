//! nfdump `-o csv` output: header `ts,te,td,sa,da,...`, then a summary trailer that is not data.
use super::delimited::{ColSpec, DelimSpec, Kind};

pub fn detect(first_line: &[u8]) -> bool {
    first_line.starts_with(b"ts,te,td,sa,da")
}

pub fn map(name: &str) -> (String, Kind) {
    let (n, k) = match name {
        "ts" => ("time", Kind::DateTime),
        "te" => ("time_end", Kind::DateTime),
        "td" => ("duration", Kind::F64),
        "sa" => ("src_ip", Kind::Str),
        "da" => ("dst_ip", Kind::Str),
        "sp" => ("src_port", Kind::Port),
        "dp" => ("dst_port", Kind::Port),
        "pr" => ("proto", Kind::LowerStr),
        "flg" => ("tcp_flags", Kind::Str),
        "ipkt" => ("packets_sent", Kind::I64),
        "ibyt" => ("bytes_sent", Kind::I64),
        "opkt" => ("packets_received", Kind::I64),
        "obyt" => ("bytes_received", Kind::I64),
        "in" => ("in_iface", Kind::I64),
        "out" => ("out_iface", Kind::I64),
        "fwd" | "stos" | "sas" | "das" | "smk" | "dmk" | "dtos" | "dir" | "svln" | "dvln" | "cl" | "sl"
        | "al" | "eng" | "exid" => (name, Kind::I64),
        other => return (other.to_string(), Kind::Str),
    };
    (n.to_string(), k)
}

pub fn spec(header: &[u8], tz_offset_secs: i32) -> DelimSpec {
    let header = String::from_utf8_lossy(header);
    let cols = header.trim_end_matches(['\r', '\n']).split(',').map(|h| {
        let (n, k) = map(h.trim());
        ColSpec::new(n, k)
    });
    let mut s = DelimSpec::new(b',', cols.collect());
    s.skip_lines = 1;
    s.stop_prefix = Some(b"Summary".to_vec());
    s.default_tz_offset_secs = tz_offset_secs;
    s.strict = false;
    s
}
