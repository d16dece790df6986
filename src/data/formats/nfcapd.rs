//! nfdump capture files (`nfcapd.*`, `nfdump -w`), read from the documented block and record layout
//! of the nfdump sources (`nffileV2.h`, `nfxV3.h`, 1.6 `nffile.h` / `nfx.h`).
//!
//! * Layout 1 (nfdump 1.6): 140-byte file header (magic 0xA50C, version 1, compression flags,
//!   block count, ident), a 136-byte stat record, then data blocks of type 2 holding extension
//!   maps (type 2) and common records (type 10) whose optional fields follow their map.
//! * Layout 2 (nfdump 1.7+): 40-byte file header (compression byte, appendix offset), data blocks
//!   of type 3 holding V3 records (type 11): a 12-byte header then typed elements
//!   (generic flow, IPv4/IPv6 addresses, misc, counters, VLAN, AS), each with its length.
//!
//! Every data block has a 12-byte header (records, size, type, flags) followed by its payload,
//! compressed as the file says: none, LZO1X ([`super::lzo1x`]), LZ4 (raw block) or ZSTD (frame). BZ2 and encrypted
//! files are refused with a message naming them. A damaged block (bad size, failed decompression)
//! or record (size past the block, inconsistent elements) is a counted reject naming the block
//! and record; the rest of the file still loads.
//!
//! Fields are named as the nfdump CSV path names them (`nfdump_csv::map`), so a capture file and
//! its `nfdump -o csv` export give the same columns. Times are UTC epoch milliseconds in the file:
//! no zone assumption is needed (unlike nfdump's text output).

use crate::data::formats::jsonl::proto_name_from_number;
use crate::data::record::{Record, Value};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, Ordering};

/// 0xA50C little-endian: the first two bytes of every nfdump file written on x86 / ARM.
pub const MAGIC: [u8; 2] = [0x0c, 0xa5];

/// Largest decompressed block accepted: nfdump writes at most 5 MiB (1.7) / 2 MiB (1.6) blocks.
const MAX_BLOCK_BYTES: usize = 16 << 20;
const BLOCK_HEADER: usize = 12;
const V1_HEADER: usize = 140 + 136;
const V2_HEADER: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Lzo,
    Bz2,
    Lz4,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Lzo => "LZO",
            Compression::Bz2 => "BZ2",
            Compression::Lz4 => "LZ4",
            Compression::Zstd => "ZSTD",
        }
    }
}

/// What one capture file held.
#[derive(Debug, Default)]
pub struct NfcapdRead {
    pub records: Vec<Record>,
    /// (block number, reason naming the block and record).
    pub rejected: Vec<(u64, String)>,
    /// 1 (nfdump 1.6) or 2 (nfdump 1.7+).
    pub layout: u16,
    pub compression: Option<Compression>,
    /// Flow count of the 1.6 file header's stat record (layout 1 only).
    pub header_flows: Option<u64>,
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    b.get(o..o + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    b.get(o..o + 8).and_then(|s| s.try_into().ok()).map(u64::from_le_bytes)
}

/// An IPv6 address stored as two host-order u64 (high half first), as nfdump keeps it.
fn ipv6_at(b: &[u8], o: usize) -> Option<Ipv6Addr> {
    let hi = u64_at(b, o)?;
    let lo = u64_at(b, o + 8)?;
    Some(Ipv6Addr::from(((hi as u128) << 64) | lo as u128))
}

fn ipv4_at(b: &[u8], o: usize) -> Option<Ipv4Addr> {
    u32_at(b, o).map(Ipv4Addr::from)
}

/// nfdump's flag string: "CEUAPRSF" with '.' for a clear bit ("......S." is a SYN).
pub fn tcp_flags_string(flags: u8) -> String {
    const LETTERS: &[u8; 8] = b"CEUAPRSF";
    LETTERS.iter().enumerate().map(|(i, c)| if flags & (0x80 >> i) != 0 { *c as char } else { '.' }).collect()
}

/// Reads a whole capture file held in memory. Errors only for a file that cannot be read at
/// all (not nfdump, unknown layout, unsupported compression or encryption); damage after the
/// header becomes counted rejects.
pub fn read_nfcapd(data: &[u8], cancel: &AtomicBool) -> Result<NfcapdRead, String> {
    if data.len() < 4 || data[..2] != MAGIC {
        return Err("not an nfdump capture file (no 0xA50C magic)".into());
    }
    let layout = u16_at(data, 2).unwrap_or(0);
    let mut out = NfcapdRead { layout, ..Default::default() };
    let (compression, first_block) = match layout {
        1 => {
            if data.len() < V1_HEADER {
                return Err(format!(
                    "nfdump 1.6 file header cut short ({} of {V1_HEADER} bytes)",
                    data.len()
                ));
            }
            let flags = u32_at(data, 4).unwrap_or(0);
            // FLAG_LZO 0x1, FLAG_BZ2 0x8, FLAG_LZ4 0x10, FLAG_ZSTD 0x20 (0x2 anonymized, 0x4 catalog).
            let c = match flags & 0x39 {
                0 => Compression::None,
                0x1 => Compression::Lzo,
                0x8 => Compression::Bz2,
                0x10 => Compression::Lz4,
                0x20 => Compression::Zstd,
                other => {
                    return Err(format!("nfdump 1.6 file with contradicting compression flags {other:#x}"))
                }
            };
            out.header_flows = u64_at(data, 140);
            (c, V1_HEADER)
        }
        2 => {
            if data.len() < V2_HEADER {
                return Err(format!("nfdump file header cut short ({} of {V2_HEADER} bytes)", data.len()));
            }
            let c = match data[16] {
                0 => Compression::None,
                1 => Compression::Lzo,
                2 => Compression::Bz2,
                3 => Compression::Lz4,
                4 => Compression::Zstd,
                other => return Err(format!("unknown compression method {other} in the nfdump file header")),
            };
            if data[17] != 0 {
                return Err(format!("encrypted nfdump file (method {}) is not supported", data[17]));
            }
            (c, V2_HEADER)
        }
        v => return Err(format!("nfdump file layout version {v} is not supported (only 1 and 2)")),
    };
    out.compression = Some(compression);
    if compression == Compression::Bz2 {
        return Err(
            "BZ2-compressed nfdump file is not supported: convert it with 'nfdump -r FILE -y -w OUT' (LZ4)"
                .into(),
        );
    }
    let mut dec = Decoder::new();
    let mut maps: HashMap<u16, Vec<u16>> = HashMap::new();
    let mut off = first_block;
    let mut block_no = 0u64;
    while off + BLOCK_HEADER <= data.len() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let size = u32_at(data, off + 4).unwrap_or(0) as usize;
        let btype = u16_at(data, off + 8).unwrap_or(0);
        let bflags = u16_at(data, off + 10).unwrap_or(0);
        let start = off + BLOCK_HEADER;
        let Some(payload) = start.checked_add(size).and_then(|end| data.get(start..end)) else {
            out.rejected.push((
                block_no,
                format!(
                    "block {block_no} at byte {off}: size {size} runs past the end of the file (truncated)"
                ),
            ));
            break;
        };
        off = start + size;
        let this = block_no;
        block_no += 1;
        // Layout 2: flag bit 0 marks a block written uncompressed in a compressed file.
        let c = if layout == 2 && bflags & 1 != 0 { Compression::None } else { compression };
        let body = match dec.decompress(c, payload) {
            Ok(b) => b,
            Err(e) => {
                out.rejected.push((
                    this,
                    format!(
                        "block {this} at byte {}: {} decompression failed: {e}",
                        off - size - BLOCK_HEADER,
                        c.name()
                    ),
                ));
                continue;
            }
        };
        match (layout, btype) {
            (1, 2) => read_v1_block(&body, this, &mut maps, &mut out),
            (2, 3) => read_v2_block(&body, this, &mut out),
            // Other block types (catalogs, array blocks of internal data) carry no flows.
            _ => {}
        }
    }
    if off < data.len() && off + BLOCK_HEADER > data.len() {
        out.rejected.push((
            block_no,
            format!(
                "{} trailing bytes after block {} (truncated block header)",
                data.len() - off,
                block_no.saturating_sub(1)
            ),
        ));
    }
    Ok(out)
}

/// Reusable decompression state and buffer.
struct Decoder {
    buf: Vec<u8>,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

impl Decoder {
    fn new() -> Self {
        Self { buf: Vec::new(), zstd: None }
    }

    fn decompress<'a>(
        &'a mut self,
        c: Compression,
        payload: &'a [u8],
    ) -> Result<std::borrow::Cow<'a, [u8]>, String> {
        use std::borrow::Cow;
        match c {
            Compression::None => Ok(Cow::Borrowed(payload)),
            Compression::Lz4 => {
                if self.buf.len() < MAX_BLOCK_BYTES {
                    self.buf.resize(MAX_BLOCK_BYTES, 0);
                }
                let n =
                    lz4_flex::block::decompress_into(payload, &mut self.buf).map_err(|e| e.to_string())?;
                Ok(Cow::Borrowed(&self.buf[..n]))
            }
            Compression::Zstd => {
                if self.zstd.is_none() {
                    self.zstd = Some(zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?);
                }
                let d = self.zstd.as_mut().ok_or("no ZSTD decoder")?;
                d.decompress(payload, MAX_BLOCK_BYTES).map(Cow::Owned).map_err(|e| e.to_string())
            }
            Compression::Lzo => super::lzo1x::decompress(payload, MAX_BLOCK_BYTES).map(Cow::Owned),
            Compression::Bz2 => Err("BZ2 is not supported".into()),
        }
    }
}

/// Iterates the records of a block: (index, type, bytes) or the reason the walk stopped.
fn for_each_record(
    body: &[u8],
    block: u64,
    out: &mut NfcapdRead,
    mut f: impl FnMut(usize, u16, &[u8], &mut NfcapdRead),
) {
    let mut p = 0;
    let mut i = 0;
    while p + 4 <= body.len() {
        let rtype = u16_at(body, p).unwrap_or(0);
        let size = u16_at(body, p + 2).unwrap_or(0) as usize;
        if size < 4 || p + size > body.len() {
            out.rejected.push((block, format!("block {block} record {i}: size {size} does not fit the block (damaged); rest of the block skipped")));
            return;
        }
        f(i, rtype, &body[p..p + size], out);
        p += size;
        i += 1;
    }
}

fn read_v2_block(body: &[u8], block: u64, out: &mut NfcapdRead) {
    for_each_record(body, block, out, |i, rtype, rec, out| {
        if rtype != 11 {
            return; // exporter info / stats / sampler records: no flow
        }
        match v3_record(rec) {
            Ok(Some(r)) => out.records.push(r),
            Ok(None) => {}
            Err(e) => out.rejected.push((block, format!("block {block} record {i}: {e}"))),
        }
    });
}

/// One V3 flow record (type 11). `Ok(None)` for a record without a generic-flow element
/// (nfdump prints nothing for those either).
fn v3_record(rec: &[u8]) -> Result<Option<Record>, String> {
    const HEADER: usize = 12;
    let n_elements = u16_at(rec, 4).unwrap_or(0);
    let exporter = u16_at(rec, 8).unwrap_or(0);
    let mut generic: Option<&[u8]> = None;
    let (mut v4, mut v6, mut misc, mut cnt, mut vlan, mut asr) = (None, None, None, None, None, None);
    let mut p = HEADER;
    for e in 0..n_elements {
        let (Some(t), Some(len)) = (u16_at(rec, p), u16_at(rec, p + 2)) else {
            return Err(format!("element {e} of {n_elements} starts past the record end"));
        };
        let len = len as usize;
        if len < 4 || p + len > rec.len() {
            return Err(format!("element {e} (type {t}) length {len} does not fit the record"));
        }
        let body = &rec[p + 4..p + len];
        match t {
            1 => generic = Some(body),
            2 => v4 = Some(body),
            3 => v6 = Some(body),
            4 => misc = Some(body),
            5 => cnt = Some(body),
            6 => vlan = Some(body),
            7 => asr = Some(body),
            _ => {}
        }
        p += len;
    }
    let Some(g) = generic else { return Ok(None) };
    if g.len() < 48 {
        return Err(format!("generic flow element of {} bytes (48 expected)", g.len()));
    }
    let first_ms = u64_at(g, 0).unwrap_or(0);
    let last_ms = u64_at(g, 8).unwrap_or(0);
    let mut f = Flow {
        first_ms,
        last_ms,
        packets: u64_at(g, 24).unwrap_or(0),
        bytes: u64_at(g, 32).unwrap_or(0),
        src_port: u16_at(g, 40).unwrap_or(0),
        dst_port: u16_at(g, 42).unwrap_or(0),
        proto: g[44],
        tcp_flags: g[45],
        fwd: g[46],
        stos: g[47],
        exporter: Some(exporter),
        ..Default::default()
    };
    if let Some(a) = v4.filter(|a| a.len() >= 8) {
        f.src = ipv4_at(a, 0).map(|ip| ip.to_string());
        f.dst = ipv4_at(a, 4).map(|ip| ip.to_string());
    } else if let Some(a) = v6.filter(|a| a.len() >= 32) {
        f.src = ipv6_at(a, 0).map(|ip| ip.to_string());
        f.dst = ipv6_at(a, 16).map(|ip| ip.to_string());
    } else {
        return Err("flow without an IPv4 or IPv6 address element".into());
    }
    if let Some(m) = misc.filter(|m| m.len() >= 12) {
        f.iface = Some((u32_at(m, 0).unwrap_or(0) as u64, u32_at(m, 4).unwrap_or(0) as u64));
        f.masks_tos_dir = Some((m[8], m[9], m[11], m[10]));
    }
    if let Some(c) = cnt.filter(|c| c.len() >= 24) {
        f.flows = u64_at(c, 0);
        f.out = Some((u64_at(c, 8).unwrap_or(0), u64_at(c, 16).unwrap_or(0)));
    }
    if let Some(v) = vlan.filter(|v| v.len() >= 8) {
        f.vlan = Some((u32_at(v, 0).unwrap_or(0) as u64, u32_at(v, 4).unwrap_or(0) as u64));
    }
    if let Some(a) = asr.filter(|a| a.len() >= 8) {
        f.asn = Some((u32_at(a, 0).unwrap_or(0) as u64, u32_at(a, 4).unwrap_or(0) as u64));
    }
    f.into_record().map(Some)
}

/// Bytes of each 1.6 optional extension, by id (`extension_descriptor` in nfx.c); 0 = unknown.
fn v1_extension_size(id: u16) -> usize {
    match id {
        4 | 6 | 8 | 9 | 11 | 13 | 14 | 16 | 18 | 23 | 25 => 4,
        5 | 7 | 15 | 17 | 19 | 26 | 27 | 39 | 48 => 8,
        10 | 12 | 20 | 21 | 24 => 16,
        22 => 40,
        37 => 20,
        38 => 4,
        40 => 32,
        41 | 42 | 45 => 24,
        43 => 72,
        46 => 12,
        _ => 0,
    }
}

fn read_v1_block(body: &[u8], block: u64, maps: &mut HashMap<u16, Vec<u16>>, out: &mut NfcapdRead) {
    for_each_record(body, block, out, |i, rtype, rec, out| match rtype {
        2 => {
            // Extension map: map id, size, then extension ids up to a 0.
            let id = u16_at(rec, 4).unwrap_or(0);
            let ids: Vec<u16> = rec[8.min(rec.len())..]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|x| *x != 0)
                .collect();
            maps.insert(id, ids);
        }
        10 => match v1_record(rec, maps) {
            Ok(r) => out.records.push(r),
            Err(e) => out.rejected.push((block, format!("block {block} record {i}: {e}"))),
        },
        _ => {}
    });
}

/// One 1.6 common record (type 10) with its extension map.
fn v1_record(rec: &[u8], maps: &HashMap<u16, Vec<u16>>) -> Result<Record, String> {
    const CUT: &str = "record cut short";
    if rec.len() < 32 {
        return Err(format!("common record of {} bytes (at least 32 expected)", rec.len()));
    }
    let flags = u16_at(rec, 4).unwrap_or(0);
    let map_id = u16_at(rec, 6).unwrap_or(0);
    let first_ms = u32_at(rec, 12).unwrap_or(0) as u64 * 1000 + u16_at(rec, 8).unwrap_or(0) as u64;
    let last_ms = u32_at(rec, 16).unwrap_or(0) as u64 * 1000 + u16_at(rec, 10).unwrap_or(0) as u64;
    let mut f = Flow {
        first_ms,
        last_ms,
        fwd: rec[20],
        tcp_flags: rec[21],
        proto: rec[22],
        stos: rec[23],
        src_port: u16_at(rec, 24).unwrap_or(0),
        dst_port: u16_at(rec, 26).unwrap_or(0),
        exporter: u16_at(rec, 28),
        ..Default::default()
    };
    let mut p = 32;
    if flags & 1 != 0 {
        f.src = Some(ipv6_at(rec, p).ok_or(CUT)?.to_string());
        f.dst = Some(ipv6_at(rec, p + 16).ok_or(CUT)?.to_string());
        p += 32;
    } else {
        f.src = Some(ipv4_at(rec, p).ok_or(CUT)?.to_string());
        f.dst = Some(ipv4_at(rec, p + 4).ok_or(CUT)?.to_string());
        p += 8;
    }
    let read_n = |p: &mut usize, wide: bool| -> Result<u64, String> {
        let v = if wide { u64_at(rec, *p) } else { u32_at(rec, *p).map(u64::from) };
        *p += if wide { 8 } else { 4 };
        v.ok_or_else(|| CUT.to_string())
    };
    f.packets = read_n(&mut p, flags & 2 != 0)?;
    f.bytes = read_n(&mut p, flags & 4 != 0)?;
    let ids =
        maps.get(&map_id).ok_or_else(|| format!("extension map {map_id} not defined before its record"))?;
    let mut out_pkts = None;
    let mut out_bytes = None;
    for &id in ids {
        let size = v1_extension_size(id);
        if size == 0 {
            return Err(format!("unknown extension {id} in map {map_id}"));
        }
        let e = rec.get(p..p + size).ok_or(CUT)?;
        let u16e = |o| u16_at(e, o).unwrap_or(0) as u64;
        let u32e = |o| u32_at(e, o).unwrap_or(0) as u64;
        match id {
            4 => f.iface = Some((u16e(0), u16e(2))),
            5 => f.iface = Some((u32e(0), u32e(4))),
            6 => f.asn = Some((u16e(0), u16e(2))),
            7 => f.asn = Some((u32e(0), u32e(4))),
            8 => f.masks_tos_dir = Some((e[2], e[3], e[0], e[1])),
            13 => f.vlan = Some((u16e(0), u16e(2))),
            14 => out_pkts = Some(u32e(0)),
            15 => out_pkts = u64_at(e, 0),
            16 => out_bytes = Some(u32e(0)),
            17 => out_bytes = u64_at(e, 0),
            18 => f.flows = Some(u32e(0)),
            19 => f.flows = u64_at(e, 0),
            _ => {}
        }
        p += size;
    }
    if out_pkts.is_some() || out_bytes.is_some() {
        f.out = Some((out_pkts.unwrap_or(0), out_bytes.unwrap_or(0)));
    }
    f.into_record()
}

/// The fields both layouts share, before they become a record.
#[derive(Default)]
struct Flow {
    first_ms: u64,
    last_ms: u64,
    src: Option<String>,
    dst: Option<String>,
    src_port: u16,
    dst_port: u16,
    proto: u8,
    tcp_flags: u8,
    fwd: u8,
    stos: u8,
    packets: u64,
    bytes: u64,
    /// (packets, bytes) of the other direction.
    out: Option<(u64, u64)>,
    iface: Option<(u64, u64)>,
    asn: Option<(u64, u64)>,
    /// (src mask, dst mask, dst tos, direction).
    masks_tos_dir: Option<(u8, u8, u8, u8)>,
    vlan: Option<(u64, u64)>,
    flows: Option<u64>,
    exporter: Option<u16>,
}

fn int(v: u64) -> Result<Value, String> {
    i64::try_from(v).map(Value::Int).map_err(|_| format!("counter {v} out of range"))
}

impl Flow {
    fn into_record(self) -> Result<Record, String> {
        // Milliseconds since 1970 up to year 9999: anything else is damage, not a time.
        const MAX_MS: u64 = 253_402_300_800_000;
        if self.first_ms > MAX_MS || self.last_ms > MAX_MS {
            return Err(format!("time {} ms out of range", self.first_ms.max(self.last_ms)));
        }
        let mut r = Record { fields: Vec::with_capacity(28) };
        r.push("time", Value::TimeUs(self.first_ms as i64 * 1000));
        r.push("time_end", Value::TimeUs(self.last_ms as i64 * 1000));
        r.push("duration", Value::Float(self.last_ms.saturating_sub(self.first_ms) as f64 / 1000.0));
        r.push_str("src_ip", self.src.unwrap_or_default());
        r.push_str("dst_ip", self.dst.unwrap_or_default());
        r.push("src_port", Value::Int(self.src_port as i64));
        r.push("dst_port", Value::Int(self.dst_port as i64));
        let name = proto_name_from_number(self.proto as i64)
            .map(str::to_owned)
            .unwrap_or_else(|| self.proto.to_string());
        r.push_str("proto", name);
        r.push("ip_proto", Value::Int(self.proto as i64));
        if matches!(self.proto, 1 | 58) {
            r.push("icmp_type", Value::Int((self.dst_port >> 8) as i64));
            r.push("icmp_code", Value::Int((self.dst_port & 0xff) as i64));
        }
        r.push_str("tcp_flags", tcp_flags_string(self.tcp_flags));
        r.push("fwd", Value::Int(self.fwd as i64));
        r.push("stos", Value::Int(self.stos as i64));
        r.push("packets_sent", int(self.packets)?);
        r.push("bytes_sent", int(self.bytes)?);
        // nfdump's CSV prints 0 for what a flow does not carry; so do these columns, and a 1.6
        // file and its 1.7 conversion (which drops all-zero elements) give the same records.
        let (op, ob) = self.out.unwrap_or((0, 0));
        r.push("packets_received", int(op)?);
        r.push("bytes_received", int(ob)?);
        let (i, o) = self.iface.unwrap_or((0, 0));
        r.push("in_iface", int(i)?);
        r.push("out_iface", int(o)?);
        let (sa, da) = self.asn.unwrap_or((0, 0));
        r.push("sas", int(sa)?);
        r.push("das", int(da)?);
        let (sm, dm, dtos, dir) = self.masks_tos_dir.unwrap_or((0, 0, 0, 0));
        r.push("smk", Value::Int(sm as i64));
        r.push("dmk", Value::Int(dm as i64));
        r.push("dtos", Value::Int(dtos as i64));
        r.push("dir", Value::Int(dir as i64));
        let (sv, dv) = self.vlan.unwrap_or((0, 0));
        r.push("svln", int(sv)?);
        r.push("dvln", int(dv)?);
        if let Some(n) = self.flows {
            r.push("flows", int(n)?);
        }
        if let Some(e) = self.exporter {
            r.push("exid", Value::Int(e as i64));
        }
        Ok(r)
    }
}

/// The collector's file time from a name such as `nfcapd.201801121537` (YYYYMMDDhhmm), for
/// ordering several files; None for other names.
pub fn name_time(name: &str) -> Option<&str> {
    let stamp = name.strip_prefix("nfcapd.")?;
    let digits = stamp.get(..12)?;
    digits.bytes().all(|b| b.is_ascii_digit()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_string() {
        assert_eq!(tcp_flags_string(0x02), "......S.");
        assert_eq!(tcp_flags_string(0x14), "...A.R..");
        assert_eq!(tcp_flags_string(0xff), "CEUAPRSF");
        assert_eq!(tcp_flags_string(0), "........");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let no = AtomicBool::new(false);
        assert!(read_nfcapd(b"hello", &no).unwrap_err().contains("magic"));
        let mut h = vec![0u8; 40];
        h[..2].copy_from_slice(&MAGIC);
        h[2] = 3;
        assert!(read_nfcapd(&h, &no).unwrap_err().contains("layout version 3"));
        h[2] = 2;
        h[16] = 2;
        assert!(read_nfcapd(&h, &no).unwrap_err().contains("BZ2"));
        h[16] = 9;
        assert!(read_nfcapd(&h, &no).unwrap_err().contains("compression method 9"));
        h[16] = 0;
        h[17] = 1;
        assert!(read_nfcapd(&h, &no).unwrap_err().contains("encrypted"));
        h[17] = 0;
        // A header alone is an empty file, not an error.
        assert_eq!(read_nfcapd(&h, &no).expect("empty").records.len(), 0);
        // A block claiming more bytes than the file has is one counted reject.
        h.extend_from_slice(&[1, 0, 0, 0, 0xff, 0xff, 0, 0, 3, 0, 0, 0]);
        let r = read_nfcapd(&h, &no).expect("header fine");
        assert_eq!(r.rejected.len(), 1);
        assert!(r.rejected[0].1.contains("truncated"), "{}", r.rejected[0].1);
    }

    fn fixture(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/native").join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn real_files_both_layouts() {
        let no = AtomicBool::new(false);
        let v1 = read_nfcapd(&fixture("test1-malicious.nfdump"), &no).expect("1.6 file");
        assert_eq!((v1.layout, v1.records.len(), v1.rejected.len()), (1, 4593, 0));
        assert_eq!(v1.header_flows, Some(4593));
        for name in ["head300-raw.nfcapd", "head300-lzo.nfcapd", "head300-lz4.nfcapd"] {
            let v2 = read_nfcapd(&fixture(name), &no).expect(name);
            assert_eq!((v2.layout, v2.records.len(), v2.rejected.len()), (2, 300, 0), "{name}");
            // nfdump -c 300 keeps the first 300 flows in file order: the same records.
            assert_eq!(v2.records[..], v1.records[..300], "{name}");
        }
        let r = &v1.records[0];
        assert_eq!(r.get("time"), Some(&Value::TimeUs(1_515_771_450_942_000)));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("147.32.80.119".into())));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(902)));
        assert_eq!(r.get("tcp_flags"), Some(&Value::Str("......S.".into())));
        assert_eq!(r.get("bytes_sent"), Some(&Value::Int(60)));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Arbitrary bytes behind a valid-looking header of either layout, and real files with bytes
        /// overwritten anywhere: a result or an error, never a panic or a hang.
        #[test]
        fn arbitrary_and_mutated_bytes(layout in 1u8..3, comp in 0u8..5,
                                       tail in proptest::collection::vec(proptest::num::u8::ANY, 0..3000),
                                       edits in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 1..12)) {
            let no = AtomicBool::new(false);
            let mut junk = vec![0u8; if layout == 1 { V1_HEADER } else { V2_HEADER }];
            junk[..2].copy_from_slice(&MAGIC);
            junk[2] = layout;
            if layout == 2 { junk[16] = comp; }
            junk.extend_from_slice(&tail);
            let _ = read_nfcapd(&junk, &no);
            for name in ["head300-lzo.nfcapd", "head300-lz4.nfcapd", "test1-malicious.nfdump"] {
                let mut data = fixture(name);
                for (at, b) in &edits {
                    let i = at % data.len();
                    data[i] = *b;
                }
                let _ = read_nfcapd(&data, &no);
            }
        }
    }

    #[test]
    fn collector_names() {
        assert_eq!(name_time("nfcapd.201801121537"), Some("201801121537"));
        assert_eq!(name_time("nfcapd.current.123"), None);
        assert_eq!(name_time("flows.csv"), None);
    }
}
