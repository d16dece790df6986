//! Binary files analysts receive as they are (Windows `.evtx`, nfdump capture files): recognised
//! by magic bytes, read whole into records by their own readers (they do not go through the line
//! reader), with damaged parts as counted rejects.

use super::{evtx, nfcapd};
use crate::data::record::Record;
use std::sync::atomic::AtomicBool;

/// The binary formats read natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeKind {
    Evtx,
    Nfcapd,
}

impl NativeKind {
    pub fn name(self) -> &'static str {
        match self {
            NativeKind::Evtx => "windows-evtx",
            NativeKind::Nfcapd => "nfcapd",
        }
    }
}

/// Recognises a binary format from the first bytes of a file.
pub fn detect(head: &[u8]) -> Option<NativeKind> {
    if head.starts_with(evtx::MAGIC) {
        return Some(NativeKind::Evtx);
    }
    // Layout versions 1 and 2 only: the magic alone is two bytes and could start anything.
    if head.len() >= 4 && head[..2] == nfcapd::MAGIC && matches!(head[2..4], [1, 0] | [2, 0]) {
        return Some(NativeKind::Nfcapd);
    }
    None
}

/// What one binary file held.
#[derive(Debug, Default)]
pub struct NativeRead {
    pub records: Vec<Record>,
    /// (chunk / block number or record id, reason naming which).
    pub rejected: Vec<(u64, String)>,
    /// What the user should know about the file (dirty log, layout and compression).
    pub notes: Vec<String>,
}

/// Reads one whole file. `Err` only when nothing of it can be read (the reason names why).
pub fn read(
    kind: NativeKind,
    data: Vec<u8>,
    file_name: &str,
    cancel: &AtomicBool,
) -> Result<NativeRead, String> {
    match kind {
        NativeKind::Evtx => {
            let r = evtx::read_evtx(data, cancel)?;
            let mut notes = Vec::new();
            if r.dirty {
                notes.push(format!(
                    "{file_name}: the event log was not closed cleanly (dirty); every chunk was read, past the header's count"
                ));
            }
            Ok(NativeRead { records: r.records, rejected: r.rejected, notes })
        }
        NativeKind::Nfcapd => {
            let r = nfcapd::read_nfcapd(&data, cancel)?;
            let version = if r.layout == 1 { "1.6 (layout 1)" } else { "1.7+ (layout 2)" };
            let comp = r.compression.map(|c| c.name()).unwrap_or("?");
            let notes = vec![format!("{file_name}: nfdump {version} capture file, {comp}; times are UTC")];
            Ok(NativeRead { records: r.records, rejected: r.rejected, notes })
        }
    }
}
