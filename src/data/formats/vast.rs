//! VAST Challenge 2013 MC3 netflow CSV (with or without header; also the CTU-13 variant with a
//! leading label column, as converted by the SAM project).
use super::delimited::{ColSpec, DelimSpec, Kind};
use crate::data::table::Alias;
use polars::prelude::*;

/// Source column, stored name (normalized where the field dictionary has one), kind.
pub const COLUMNS: [(&str, &str, Kind); 19] = [
    ("TimeSeconds", "time", Kind::EpochSecs),
    // parsedDate and dateTimeStr repeat TimeSeconds in other notations (in the CTU conversion
    // parsedDate is local UTC-6 time and dateTimeStr is ambiguous), so they are re-derived from
    // `time` in UTC for SQL instead of being stored.
    ("parsedDate", "parsedDate", Kind::Skip),
    ("dateTimeStr", "dateTimeStr", Kind::Skip),
    ("ipLayerProtocol", "ip_proto", Kind::I32),
    ("ipLayerProtocolCode", "ipLayerProtocolCode", Kind::Str),
    ("firstSeenSrcIp", "src_ip", Kind::Str),
    ("firstSeenDestIp", "dst_ip", Kind::Str),
    ("firstSeenSrcPort", "src_port", Kind::I32),
    ("firstSeenDestPort", "dst_port", Kind::I32),
    ("moreFragments", "more_fragments", Kind::I32),
    ("contFragments", "cont_fragments", Kind::I32),
    ("durationSeconds", "duration", Kind::F64),
    ("firstSeenSrcPayloadBytes", "src_payload_bytes", Kind::I64),
    ("firstSeenDestPayloadBytes", "dst_payload_bytes", Kind::I64),
    ("firstSeenSrcTotalBytes", "bytes_sent", Kind::I64),
    ("firstSeenDestTotalBytes", "bytes_received", Kind::I64),
    ("firstSeenSrcPacketCount", "packets_sent", Kind::I64),
    ("firstSeenDestPacketCount", "packets_received", Kind::I64),
    ("recordForceOut", "record_force_out", Kind::I32),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Header,
    NoHeader,
    /// CTU-13 via SAM: no header, leading 0/1 label column.
    LabelledNoHeader,
}

fn split(line: &[u8]) -> Vec<&[u8]> {
    line.split(|b| *b == b',').map(super::delimited::trim_ascii).collect()
}

fn looks_like_row(f: &[&[u8]]) -> bool {
    f.len() == 19
        && crate::data::timeparse::epoch_secs_to_us(f[0]).is_some()
        && f[3].iter().all(u8::is_ascii_digit)
        && f[5].contains(&b'.')
        || f.len() == 19 && f[5].contains(&b':') && f[0].contains(&b'.')
}

pub fn detect(lines: &[&[u8]]) -> Option<Variant> {
    let first = lines.first()?;
    let lower = String::from_utf8_lossy(first).to_ascii_lowercase();
    if lower.starts_with("timeseconds") && lower.contains("firstseensrcip") {
        return Some(Variant::Header);
    }
    let data: Vec<Vec<&[u8]>> = lines.iter().take(20).map(|l| split(l)).collect();
    if data.iter().all(|f| looks_like_row(f)) {
        return Some(Variant::NoHeader);
    }
    if data.iter().all(|f| f.len() == 20 && matches!(f[0], b"0" | b"1") && looks_like_row(&f[1..])) {
        return Some(Variant::LabelledNoHeader);
    }
    None
}

pub fn spec(variant: Variant) -> DelimSpec {
    let mut cols: Vec<ColSpec> = Vec::new();
    if variant == Variant::LabelledNoHeader {
        cols.push(ColSpec::new("label", Kind::I32));
    }
    cols.extend(COLUMNS.iter().map(|(_, n, k)| ColSpec::new(*n, *k)));
    let mut s = DelimSpec::new(b',', cols);
    s.skip_lines = u64::from(variant == Variant::Header);
    s.quotes = false;
    s
}

pub fn aliases(variant: Variant) -> Vec<Alias> {
    let mut out = Vec::new();
    for (orig, stored, kind) in COLUMNS {
        match orig {
            "TimeSeconds" => out.push(Alias::Derived {
                original: orig.into(),
                // Column by column, not by a scalar: polars divides by a scalar as a multiplication
                // by its reciprocal (1 ulp off) except on one-row pieces, so a value would depend
                // on how the rows happen to be chunked (eager load vs lean query).
                expr: col("time").cast(DataType::Int64).cast(DataType::Float64)
                    / (col("time").is_not_null().cast(DataType::Float64) * lit(1_000_000.0)),
            }),
            "parsedDate" => out.push(Alias::Derived {
                original: orig.into(),
                expr: col("time").dt().strftime("%Y-%m-%d %H:%M:%S"),
            }),
            "dateTimeStr" => out.push(Alias::Derived {
                original: orig.into(),
                expr: col("time").dt().strftime("%Y%m%d%H%M%S").cast(DataType::Int64),
            }),
            _ if kind != Kind::Skip && orig != stored => {
                out.push(Alias::Same { original: orig.into(), column: stored.into() })
            }
            _ => {}
        }
    }
    if variant == Variant::LabelledNoHeader {
        out.push(Alias::Same { original: "Label".into(), column: "label".into() });
    }
    out
}
