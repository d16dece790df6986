//! Windows `.evtx` files read natively with the `evtx` crate.
//!
//! Each record is rendered to the same JSON shape `evtx_dump` writes and mapped by the EVTX-JSON
//! path in [`super::windows`], so a native file and its JSON conversion give the same columns.
//! The record header's own id and write time are kept (`record_id` when the XML has none,
//! `_evtx_timestamp`; `time` falls back to it when the event has no `SystemTime`).
//!
//! Chunk CRCs are checked: a damaged chunk is one counted reject naming its chunk number rather
//! than records with silently wrong values; a damaged record is a reject naming its record id
//! or its place in the chunk. A dirty file (not closed cleanly) is read past the header's chunk
//! count, as Windows does.

use super::jsonl::flatten_into;
use super::windows::map_evtx;
use crate::data::record::{LineFields, Record, Value};
use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};
use std::sync::atomic::{AtomicBool, Ordering};

/// First bytes of every EVTX file.
pub const MAGIC: &[u8] = b"ElfFile\0";
const FILE_HEADER_BYTES: usize = 4096;
const CHUNK_BYTES: usize = 65_536;

/// What one file held.
#[derive(Debug, Default)]
pub struct EvtxRead {
    pub records: Vec<Record>,
    /// (chunk number or record id, reason naming which).
    pub rejected: Vec<(u64, String)>,
    /// The header's flag: the log was not closed cleanly.
    pub dirty: bool,
    /// The header's "next record id" (one past the newest record when the file is clean).
    pub header_next_record_id: u64,
}

/// Reads every record of one EVTX file held in memory. Errors only when the file header
/// itself cannot be read; everything after it becomes records or counted rejects.
pub fn read_evtx(data: Vec<u8>, cancel: &AtomicBool) -> Result<EvtxRead, String> {
    // The parser stops quietly at a chunk cut short by the end of the file: say so.
    let partial = data.len().checked_sub(FILE_HEADER_BYTES).map(|n| (n / CHUNK_BYTES, n % CHUNK_BYTES));
    let parser =
        EvtxParser::from_buffer(data).map_err(|e| format!("not a readable EVTX file: {}", chain(&e)))?;
    let header = parser.header();
    let mut out = EvtxRead {
        dirty: header.flags.contains(evtx::HeaderFlags::DIRTY),
        header_next_record_id: header.next_record_id,
        ..Default::default()
    };
    // A file whose header says it keeps no CRC32s cannot be checked; every other file is.
    let validate = !header.flags.contains(evtx::HeaderFlags::NO_CRC32);
    let settings =
        ParserSettings::new().validate_checksums(validate).separate_json_attributes(false).indent(false);
    let mut parser = parser.with_configuration(settings);
    for item in parser.records_json_bytes() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        match item {
            Ok(rec) => {
                let id = rec.event_record_id;
                match map_record(&rec.data, id, rec.timestamp.as_microsecond()) {
                    Ok(r) => out.records.push(r),
                    Err(reason) => out.rejected.push((id, format!("record {id}: {reason}"))),
                }
            }
            Err(e) => out.rejected.push(describe_error(&e)),
        }
    }
    if let Some((chunk, bytes @ 1..)) = partial {
        out.rejected.push((
            chunk as u64,
            format!("chunk {chunk}: the file ends {bytes} bytes into it (truncated; {CHUNK_BYTES} expected)"),
        ));
    }
    Ok(out)
}

/// Maps one record rendered as JSON through the EVTX-JSON mapping, adding the header's id and time.
pub fn map_record(json: &[u8], record_id: u64, written_us: i64) -> Result<Record, String> {
    let mut fields = LineFields::default();
    flatten_into(json, &mut fields)?;
    map_evtx(&mut fields)?;
    let mut rec = fields.to_record();
    if rec.get("record_id").is_none() {
        rec.push("record_id", Value::Int(record_id as i64));
    }
    if rec.get("time").is_none() {
        rec.fields.insert(0, ("time".to_owned(), Value::TimeUs(written_us)));
    }
    rec.push("_evtx_timestamp", Value::TimeUs(written_us));
    Ok(rec)
}

/// Where the error is (chunk number or record id) and the whole cause chain.
fn describe_error(e: &EvtxError) -> (u64, String) {
    match e {
        EvtxError::FailedToParseChunk { chunk_id, .. } => {
            (*chunk_id, format!("chunk {chunk_id}: {}", chain(e)))
        }
        EvtxError::FailedToParseRecord { record_id, .. } => {
            (*record_id, format!("record {record_id}: {}", chain(e)))
        }
        EvtxError::FailedToReadRecordAt { chunk, .. } => (chunk.unwrap_or(0), chain(e)),
        other => (0, chain(other)),
    }
}

/// "outer: inner: innermost" from an error's sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = inner.source();
    }
    s
}

/// Records the file's chunk headers promise: the sum of (last - first + 1) record ids over every
/// chunk whose magic is intact. An independent count read straight from the bytes, for tests.
pub fn header_record_count(data: &[u8]) -> u64 {
    let mut total = 0;
    let mut off = FILE_HEADER_BYTES;
    while off + CHUNK_BYTES <= data.len() {
        let c = &data[off..off + CHUNK_BYTES];
        if c.starts_with(b"ElfChnk\0") {
            let first = u64::from_le_bytes(c[8..16].try_into().unwrap_or_default());
            let last = u64::from_le_bytes(c[16..24].try_into().unwrap_or_default());
            if last >= first {
                total += last - first + 1;
            }
        }
        off += CHUNK_BYTES;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture(name: &str) -> Vec<u8> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/native").join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn security_sample_counts_and_fields() {
        let data = fixture("Security_short_selected.evtx");
        let expected = header_record_count(&data);
        let read = read_evtx(data, &AtomicBool::new(false)).expect("readable");
        assert!(read.rejected.is_empty(), "{:?}", read.rejected);
        assert_eq!(read.records.len() as u64, expected);
        assert!(expected > 0);
        for r in &read.records {
            assert!(matches!(r.get("time"), Some(Value::TimeUs(_))));
            assert!(matches!(r.get("event_id"), Some(Value::Int(_))));
            assert!(matches!(r.get("record_id"), Some(Value::Int(_))));
            assert_eq!(r.get("channel"), Some(&Value::Str("Security".into())));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Arbitrary bytes after the magic, and a real file with bytes overwritten anywhere
        /// (headers included): a result or an error, never a panic or a hang.
        #[test]
        fn arbitrary_and_mutated_bytes(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..6000),
                                       edits in proptest::collection::vec((0usize..69_632, proptest::num::u8::ANY), 1..16)) {
            let cancel = AtomicBool::new(false);
            let mut junk = MAGIC.to_vec();
            junk.extend_from_slice(&tail);
            let _ = read_evtx(junk, &cancel);
            let mut data = fixture("new-user-security.evtx");
            for (at, b) in edits {
                let i = at % data.len();
                data[i] = b;
            }
            let _ = read_evtx(data, &cancel);
        }
    }

    #[test]
    fn damaged_bytes_never_panic() {
        let data = fixture("new-user-security.evtx");
        let cancel = AtomicBool::new(false);
        for cut in [0, 7, 8, 100, 4096, 4096 + 512, 30_000, data.len() - 1] {
            let _ = read_evtx(data[..cut].to_vec(), &cancel);
        }
        // A flipped byte inside the first chunk's records fails its CRC: one counted reject.
        let mut flipped = data.clone();
        flipped[4096 + 1000] ^= 0xff;
        let read = read_evtx(flipped, &cancel).expect("header intact");
        assert_eq!(read.rejected.len(), 1, "{:?}", read.rejected);
        assert!(read.rejected[0].1.starts_with("chunk 0"), "{}", read.rejected[0].1);
    }
}
