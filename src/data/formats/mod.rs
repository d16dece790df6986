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

/// Lines sniffed from the head of a file (64 KiB): enough to outvote a few broken ones.
pub const SNIFF_LINES: usize = 200;

/// What detection looks at: the complete, non-blank lines of the head, and how many of them are
/// unreadable (binary).
pub struct Sniff<'a> {
    pub lines: Vec<&'a [u8]>,
    pub unreadable: usize,
}

impl<'a> Sniff<'a> {
    pub fn new(head: &'a [u8]) -> Self {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        // Whole lines only: the last one may be cut by the sniff window.
        let complete = match memchr::memrchr(b'\n', head) {
            Some(p) if p + 1 < head.len() => &head[..p + 1],
            _ => head,
        };
        let lines: Vec<&[u8]> = complete
            .split(|b| *b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .take(SNIFF_LINES)
            .collect();
        let unreadable = lines.iter().filter(|l| unreadable_line(l)).count();
        Sniff { lines, unreadable }
    }

    /// Binary only when most sniffed lines are: a text log whose request lines carry raw
    /// shellcode is still a text log.
    pub fn mostly_unreadable(&self) -> bool {
        self.unreadable * 2 > self.lines.len()
    }

    /// Lines starting with `{` (after blanks): JSON objects, or lines that try to be.
    fn object_lines(&self) -> usize {
        self.lines.iter().filter(|l| l.trim_ascii_start().starts_with(b"{")).count()
    }
}

/// A line is unreadable when it holds a NUL or more than 1 control byte in 20 (tab, CR, ESC
/// aside). Bytes >= 0x80 are fine: UTF-8, Latin-1 and NOP sleds (0x90) are text to a log.
fn unreadable_line(l: &[u8]) -> bool {
    let control = l.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | 0x1b)).count();
    l.contains(&0) || control * 20 > l.len()
}

/// One candidate format: recognises a sniff or passes.
type Detector = fn(&Sniff) -> Option<Result<Detected, String>>;

/// Candidates in order, most specific first. Header-led formats (Zeek TSV, VAST, Argus, nfdump)
/// answer from their header; line formats answer when most sniffed lines fit, so a broken first
/// or last line is a rejected line, not a refused file. New formats slot into this list.
const DETECTORS: &[(&str, Detector)] = &[
    ("zeek-tsv", |s| zeek_tsv::detect(&s.lines).then_some(Ok(Detected::ZeekTsv))),
    ("json-lines", detect_json),
    ("vast", |s| vast::detect(&s.lines).map(|v| Ok(Detected::Vast(v)))),
    ("argus", |s| argus::detect(s.lines[0]).map(|d| Ok(Detected::Argus(d)))),
    ("nfdump-csv", |s| nfdump_csv::detect(s.lines[0]).then_some(Ok(Detected::NfdumpCsv))),
    ("nfdump-text", |s| nfdump_text::detect(&s.lines).map(|p| Ok(Detected::Lines(p)))),
    ("netlogon", |s| netlogon::detect(&s.lines).map(|p| Ok(Detected::Lines(p)))),
    ("text", |s| text::detect(&s.lines).map(|p| Ok(Detected::Lines(p)))),
    ("csv", |s| generic_csv::detect(&s.lines).map(|d| Ok(Detected::GenericDelimited(d)))),
];

fn detect_json(s: &Sniff) -> Option<Result<Detected, String>> {
    if s.object_lines() * 2 <= s.lines.len() {
        return None;
    }
    Some(
        jsonl::detect(&s.lines)
            .map(Detected::Lines)
            .ok_or_else(|| "most lines start like JSON, but they are not JSON objects".to_string()),
    )
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
    let sniff = Sniff::new(head);
    if sniff.lines.is_empty() {
        return Err("no data: the file holds only blank lines".into());
    }
    if sniff.mostly_unreadable() {
        return Err(format!(
            "binary data, not a text log ({} of the first {} lines hold NUL or control bytes)",
            sniff.unreadable,
            sniff.lines.len()
        ));
    }
    for (_, detector) in DETECTORS {
        if let Some(found) = detector(&sniff) {
            return found;
        }
    }
    let first = sniff.lines[0];
    let preview = crate::data::text_escape::escape_invalid_utf8(&first[..first.len().min(80)]).into_owned();
    Err(format!("unrecognised format (first line: {preview:?})"))
}
