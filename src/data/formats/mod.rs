//! File formats. Detection looks at content, not names (a name only breaks ties).
pub mod argus;
pub mod delimited;
pub mod evtx;
pub mod generic_csv;
pub mod jsonl;
pub mod lzo1x;
pub mod native;
pub mod netlogon;
pub mod nfcapd;
pub mod nfdump_csv;
pub mod nfdump_text;
pub mod text;
pub mod vast;
pub mod windows;
pub mod zeek_tsv;

use crate::data::record::LineParser;

/// What a file was recognised as.
pub enum Detected {
    Vast(vast::Variant),
    Argus(u8),
    NfdumpCsv,
    ZeekTsv,
    GenericDelimited(u8),
    Parquet,
    /// Line formats parsed record by record (JSON lines, text logs, nfdump extended).
    Lines(Box<dyn LineParser>),
    /// Binary files read whole by their own reader (Windows .evtx, nfdump capture files).
    Native(native::NativeKind),
}

impl Detected {
    pub fn name(&self) -> String {
        match self {
            Detected::Vast(vast::Variant::LabelledNoHeader) => "vast-netflow (labelled, CTU-13)".into(),
            Detected::Vast(_) => "vast-netflow".into(),
            Detected::Argus(_) => "argus-binetflow".into(),
            Detected::NfdumpCsv => "nfdump-csv".into(),
            Detected::ZeekTsv => "zeek-tsv".into(),
            Detected::GenericDelimited(b'\t') => "tsv".into(),
            Detected::GenericDelimited(_) => "csv".into(),
            Detected::Parquet => "parquet".into(),
            Detected::Lines(p) => p.name().into(),
            Detected::Native(k) => k.name().into(),
        }
    }

    /// Formats that may be opened together as one table share a family.
    pub fn family(&self) -> String {
        match self {
            Detected::Vast(_) => "vast-netflow".into(),
            Detected::Lines(p) if p.name().starts_with("zeek") => "zeek".into(),
            Detected::ZeekTsv => "zeek".into(),
            other => other.name(),
        }
    }
}

/// Detects the format from the first bytes of a (decompressed) file.
pub fn detect(head: &[u8]) -> Result<Detected, String> {
    if head.starts_with(b"PAR1") {
        return Ok(Detected::Parquet);
    }
    // Binary formats by magic bytes, before the "binary data" refusal.
    if let Some(kind) = native::detect(head) {
        return Ok(Detected::Native(kind));
    }
    if head.is_empty() {
        return Err("empty file".into());
    }
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let control = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0x1b)).count();
    if control * 20 > head.len() {
        return Err(format!(
            "binary data, not a text log ({control} control bytes in the first {} bytes)",
            head.len()
        ));
    }
    // Whole lines only: the last one may be cut by the sniff window.
    let complete = match memchr::memrchr(b'\n', head) {
        Some(p) if p + 1 < head.len() => &head[..p + 1],
        _ => head,
    };
    let lines: Vec<&[u8]> = complete
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(64)
        .collect();
    if lines.is_empty() {
        return Err("no data: the file holds only blank lines".into());
    }
    if zeek_tsv::detect(&lines) {
        return Ok(Detected::ZeekTsv);
    }
    if lines[0].starts_with(b"{") {
        return jsonl::detect(&lines)
            .map(Detected::Lines)
            .ok_or_else(|| "starts like JSON, but the first lines are not JSON objects".to_string());
    }
    if let Some(v) = vast::detect(&lines) {
        return Ok(Detected::Vast(v));
    }
    if let Some(d) = argus::detect(lines[0]) {
        return Ok(Detected::Argus(d));
    }
    if nfdump_csv::detect(lines[0]) {
        return Ok(Detected::NfdumpCsv);
    }
    if let Some(p) = nfdump_text::detect(&lines) {
        return Ok(Detected::Lines(p));
    }
    if let Some(p) = netlogon::detect(&lines) {
        return Ok(Detected::Lines(p));
    }
    if let Some(p) = text::detect(&lines) {
        return Ok(Detected::Lines(p));
    }
    if let Some(d) = generic_csv::detect(&lines) {
        return Ok(Detected::GenericDelimited(d));
    }
    let preview = String::from_utf8_lossy(&lines[0][..lines[0].len().min(80)]).into_owned();
    Err(format!("unrecognised format (first line: {preview:?})"))
}
