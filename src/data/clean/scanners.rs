//! Scanner detection: sources with a high fan-out of distinct destination ports (vertical scan) or distinct
//! destination hosts (horizontal scan) within a short sliding window.
//!
//! Run it on direction-repaired flows: before repair, a busy server whose replies were recorded inverted
//! shows many distinct (ephemeral) destination ports and can look like a vertical scanner.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash-style hasher (rustc's): much faster than SipHash for the tens of millions of small keys hashed
/// here; flooding resistance is irrelevant for local log files.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_i32(&mut self, i: i32) {
        self.add(i as u32 as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Column views. Lengths should match; the shortest wins so mismatched input cannot panic.
#[derive(Clone, Copy, Debug)]
pub struct ScanCols<'a> {
    pub time_us: &'a [i64],
    pub src_ip: &'a [&'a str],
    pub dst_ip: &'a [&'a str],
    pub dst_port: &'a [Option<i32>],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanParams {
    /// Sliding window length.
    pub window_secs: i64,
    /// Distinct destination ports in one window that make a vertical scan.
    pub min_distinct_ports: usize,
    /// Distinct destination hosts in one window that make a horizontal scan.
    pub min_distinct_hosts: usize,
}

impl Default for ScanParams {
    fn default() -> Self {
        ScanParams { window_secs: 300, min_distinct_ports: 100, min_distinct_hosts: 100 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanKind {
    Vertical,
    Horizontal,
    Both,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannerEvidence {
    pub src_ip: String,
    pub kind: ScanKind,
    pub max_distinct_ports_in_window: usize,
    pub max_distinct_hosts_in_window: usize,
    /// All records of this source (not only those inside scanning windows).
    pub total_records: u64,
    /// First and last record of this source.
    pub first_us: i64,
    pub last_us: i64,
}

impl ScannerEvidence {
    /// How far past its threshold the source went (the larger of the two ratios).
    fn strength(&self, p: &ScanParams) -> f64 {
        let r = |v: usize, min: usize| v as f64 / min.max(1) as f64;
        r(self.max_distinct_ports_in_window, p.min_distinct_ports)
            .max(r(self.max_distinct_hosts_in_window, p.min_distinct_hosts))
    }
}

/// Interns strings to dense u32 ids (first-seen order).
fn intern<'a>(values: &[&'a str], n: usize) -> (Vec<u32>, Vec<&'a str>) {
    let mut map: FxMap<&'a str, u32> = FxMap::default();
    let mut names = Vec::new();
    let ids = values[..n]
        .iter()
        .map(|v| {
            *map.entry(v).or_insert_with(|| {
                names.push(*v);
                (names.len() - 1) as u32
            })
        })
        .collect();
    (ids, names)
}

/// Multiset over dense ids with a live distinct count, for the sliding window (array counts: no hashing
/// in the hot loop).
struct Distinct {
    counts: Vec<u32>,
    distinct: usize,
}

impl Distinct {
    fn new(size: usize) -> Self {
        Distinct { counts: vec![0; size], distinct: 0 }
    }
    #[inline]
    fn add(&mut self, k: u32) {
        let k = k as usize;
        if k >= self.counts.len() {
            self.counts.resize(k + 1, 0);
        }
        if self.counts[k] == 0 {
            self.distinct += 1;
        }
        self.counts[k] += 1;
    }
    #[inline]
    fn remove(&mut self, k: u32) {
        if let Some(c) = self.counts.get_mut(k as usize) {
            if *c > 0 {
                *c -= 1;
                if *c == 0 {
                    self.distinct -= 1;
                }
            }
        }
    }
}

/// Marks "no destination port" in the per-group tuples.
const NO_PORT: u32 = u32::MAX;

/// Finds scanning sources, strongest first (ratio to threshold, then record count, then address).
///
/// Method: rows are grouped by interned source (counting sort, O(n)), each group is sorted by time, and a
/// two-pointer sliding window of `window_secs` keeps per-window counts of destination ports and hosts, so
/// the whole pass is O(n log g) for groups of size g with one hash update per row and side. Rows with a
/// null destination port count for hosts only. Rows may come in any time order.
pub fn detect_scanners(cols: &ScanCols, params: &ScanParams) -> Vec<ScannerEvidence> {
    let n = cols.time_us.len().min(cols.src_ip.len()).min(cols.dst_ip.len()).min(cols.dst_port.len());
    if n == 0 {
        return Vec::new();
    }
    let window_us = params.window_secs.max(0).saturating_mul(1_000_000);
    let (src, src_names) = intern(cols.src_ip, n);
    let (dst, dst_names) = intern(cols.dst_ip, n);

    // Counting sort of row indices by source id.
    let mut start = vec![0usize; src_names.len() + 1];
    for &s in &src {
        start[s as usize + 1] += 1;
    }
    for i in 0..src_names.len() {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut order = vec![0u32; n];
    for (row, &s) in src.iter().enumerate() {
        order[fill[s as usize]] = row as u32;
        fill[s as usize] += 1;
    }

    let min_needed = params.min_distinct_ports.min(params.min_distinct_hosts);
    let mut ports = Distinct::new(65_536);
    let mut hosts = Distinct::new(dst_names.len());
    // Out-of-range port values (garbage input) get ids above 65535.
    let mut odd_ports: FxMap<i32, u32> = FxMap::default();
    // (time, dst id, port id) of the current group, gathered so sorting and the window scan stay in cache.
    let mut rows: Vec<(i64, u32, u32)> = Vec::new();
    let mut out = Vec::new();
    for (s, name) in src_names.iter().enumerate() {
        let group = &order[start[s]..start[s + 1]];
        // A source with fewer records than either threshold cannot reach it.
        if group.len() < min_needed {
            continue;
        }
        rows.clear();
        for &r in group {
            let r = r as usize;
            let port = match cols.dst_port[r] {
                None => NO_PORT,
                Some(p) if (0..=65535).contains(&p) => p as u32,
                Some(p) => {
                    let next = 65_536 + odd_ports.len() as u32;
                    *odd_ports.entry(p).or_insert(next)
                }
            };
            rows.push((cols.time_us[r], dst[r], port));
        }
        // Stable order for equal times is irrelevant: the window treats equal times alike.
        rows.sort_unstable_by_key(|x| x.0);
        let (mut max_ports, mut max_hosts) = (0usize, 0usize);
        let mut lo = 0usize;
        for hi in 0..rows.len() {
            let (t, d, p) = rows[hi];
            hosts.add(d);
            if p != NO_PORT {
                ports.add(p);
            }
            // Keep rows with time in (t - window, t].
            while lo < hi && rows[lo].0 <= t.saturating_sub(window_us) {
                let (_, od, op) = rows[lo];
                hosts.remove(od);
                if op != NO_PORT {
                    ports.remove(op);
                }
                lo += 1;
            }
            max_ports = max_ports.max(ports.distinct);
            max_hosts = max_hosts.max(hosts.distinct);
        }
        // Empty the counters by undoing what is still in the window (cheaper than clearing the arrays).
        for &(_, d, p) in &rows[lo..] {
            hosts.remove(d);
            if p != NO_PORT {
                ports.remove(p);
            }
        }
        let vertical = max_ports >= params.min_distinct_ports;
        let horizontal = max_hosts >= params.min_distinct_hosts;
        let kind = match (vertical, horizontal) {
            (true, true) => ScanKind::Both,
            (true, false) => ScanKind::Vertical,
            (false, true) => ScanKind::Horizontal,
            (false, false) => continue,
        };
        let first = rows.first().map_or(0, |x| x.0);
        let last = rows.last().map_or(0, |x| x.0);
        out.push(ScannerEvidence {
            src_ip: name.to_string(),
            kind,
            max_distinct_ports_in_window: max_ports,
            max_distinct_hosts_in_window: max_hosts,
            total_records: group.len() as u64,
            first_us: first,
            last_us: last,
        });
    }
    out.sort_by(|a, b| {
        b.strength(params)
            .total_cmp(&a.strength(params))
            .then(b.total_records.cmp(&a.total_records))
            .then(a.src_ip.cmp(&b.src_ip))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::clean::flow_repair::{flag_inverted, marty_vast2013, FlowCols};
    use crate::data::generate::{generate, GenOptions};

    type Columns = (Vec<i64>, Vec<&'static str>, Vec<&'static str>, Vec<Option<i32>>);

    fn cols_of(rows: &[(i64, &'static str, &'static str, Option<i32>)]) -> Columns {
        (
            rows.iter().map(|r| r.0).collect(),
            rows.iter().map(|r| r.1).collect(),
            rows.iter().map(|r| r.2).collect(),
            rows.iter().map(|r| r.3).collect(),
        )
    }

    #[test]
    fn window_edges_and_kinds() {
        let params = ScanParams { window_secs: 10, min_distinct_ports: 3, min_distinct_hosts: 3 };
        let s = 1_000_000;
        // "v" hits 3 ports within 10 s (in reverse time order); "slow" hits 3 ports but 10 s apart each;
        // "h" hits 3 hosts; "b" both.
        let (t, src, dst, port) = cols_of(&[
            (9 * s, "v", "x", Some(3)),
            (5 * s, "v", "x", Some(2)),
            (0, "v", "x", Some(1)),
            (0, "slow", "x", Some(1)),
            (10 * s, "slow", "x", Some(2)),
            (20 * s, "slow", "x", Some(3)),
            (0, "h", "a", Some(22)),
            (s, "h", "b", None),
            (2 * s, "h", "c", Some(22)),
            (0, "b", "a", Some(1)),
            (s, "b", "b", Some(2)),
            (2 * s, "b", "c", Some(3)),
            (3 * s, "b", "d", Some(4)),
        ]);
        let cols = ScanCols { time_us: &t, src_ip: &src, dst_ip: &dst, dst_port: &port };
        let found = detect_scanners(&cols, &params);
        let kinds: Vec<(&str, ScanKind)> = found.iter().map(|e| (e.src_ip.as_str(), e.kind)).collect();
        assert_eq!(kinds, [("b", ScanKind::Both), ("h", ScanKind::Horizontal), ("v", ScanKind::Vertical)]);
        assert_eq!(found[2].first_us, 0);
        assert_eq!(found[2].last_us, 9 * s);
        assert_eq!(found[0].max_distinct_ports_in_window, 4);
        // Empty and mismatched input.
        let cols = ScanCols { time_us: &t[..2], src_ip: &src, dst_ip: &dst[..0], dst_port: &port };
        assert!(detect_scanners(&cols, &params).is_empty());
        let zero = ScanParams { window_secs: -5, min_distinct_ports: 0, min_distinct_hosts: 0 };
        let cols = ScanCols { time_us: &t, src_ip: &src, dst_ip: &dst, dst_port: &port };
        assert_eq!(detect_scanners(&cols, &zero).len(), 4);
    }

    #[test]
    fn garbage_values_do_not_panic() {
        let t = [10, 20, 0, -1, i64::MAX, i64::MIN];
        let src = ["a", "a", "a", "a", "", ""];
        let dst = ["x", "y", "z", "w", "", "\u{0}"];
        let port = [Some(-1), Some(i32::MAX), Some(i32::MIN), None, Some(70_000), Some(-1)];
        let cols = ScanCols { time_us: &t, src_ip: &src, dst_ip: &dst, dst_port: &port };
        for w in [i64::MIN, -1, 0, 1, 300, i64::MAX] {
            let params = ScanParams { window_secs: w, min_distinct_ports: 2, min_distinct_hosts: 2 };
            let found = detect_scanners(&cols, &params);
            assert!(found.len() <= 2);
        }
        let params = ScanParams { window_secs: i64::MAX, min_distinct_ports: 3, min_distinct_hosts: 4 };
        let found = detect_scanners(&cols, &params);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].max_distinct_ports_in_window, found[0].max_distinct_hosts_in_window), (3, 4));
        assert_eq!(found[0].kind, ScanKind::Both);
    }

    #[test]
    fn planted_scanners_are_top_two() {
        let opts = GenOptions { rows: 400_000, seed: 5, ..GenOptions::default() };
        let mut buf = Vec::new();
        let truth = generate(&opts, &mut buf).expect("generate");
        let text = String::from_utf8(buf).expect("utf8");
        let mut time_us = Vec::new();
        let mut src: Vec<&str> = Vec::new();
        let mut dst: Vec<&str> = Vec::new();
        let mut sport = Vec::new();
        let mut dport = Vec::new();
        let mut proto = Vec::new();
        // Reverse the row order: detection must not rely on sorted input.
        for line in text.lines().skip(1).collect::<Vec<_>>().into_iter().rev() {
            let c: Vec<&str> = line.split(',').collect();
            let (a, b) = c[0].split_once('.').expect("fraction");
            time_us.push(a.parse::<i64>().expect("s") * 1_000_000 + b.parse::<i64>().expect("us"));
            proto.push(c[4]);
            src.push(c[5]);
            dst.push(c[6]);
            sport.push(c[7].parse::<i32>().ok());
            dport.push(c[8].parse::<i32>().ok());
        }
        // Repair direction first (as documented), then detect.
        let proto_lc: Vec<Option<&str>> = proto
            .iter()
            .map(|p| {
                if *p == "TCP" {
                    Some("tcp")
                } else if *p == "UDP" {
                    Some("udp")
                } else {
                    Some("other")
                }
            })
            .collect();
        let inv = flag_inverted(
            &FlowCols { src_port: &sport, dst_port: &dport, proto: &proto_lc, excluded: None },
            &marty_vast2013(),
        );
        for (i, f) in inv.iter().enumerate() {
            if *f {
                std::mem::swap(&mut src[i], &mut dst[i]);
                std::mem::swap(&mut sport[i], &mut dport[i]);
            }
        }
        let cols = ScanCols { time_us: &time_us, src_ip: &src, dst_ip: &dst, dst_port: &dport };
        let found = detect_scanners(&cols, &ScanParams::default());
        for e in &found {
            eprintln!("{e:?}");
        }
        assert_eq!(found.len(), 2, "no normal host flagged");
        let v = found.iter().find(|e| e.src_ip == truth.scanner_ips[0]).expect("vertical found");
        let h = found.iter().find(|e| e.src_ip == truth.scanner_ips[1]).expect("horizontal found");
        assert_eq!(v.kind, ScanKind::Vertical);
        assert_eq!(h.kind, ScanKind::Horizontal);
        assert_eq!(v.total_records, truth.scanner_rows[0]);
        assert_eq!(h.total_records, truth.scanner_rows[1]);
        assert!(v.max_distinct_ports_in_window >= 500);
        assert!(h.max_distinct_hosts_in_window >= 800);
    }

    /// Real data: CTU-13 scenario 1 sample in VAST layout (README section `netflow-vast-ctu13`). The
    /// Neris-infected host 147.32.84.165 (all 4,079 label-1 rows) spams/scans many hosts; 70.37.98.60 sweeps
    /// 626 ports of one host in 17 s.
    #[test]
    fn ctu13_sample_real_data() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/real_data/netflow-vast-ctu13/CTU1SampleAsVast.csv");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping: {} not found", path.display());
            return;
        };
        let (mut t, mut src, mut dst, mut sp, mut dp, mut proto) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for line in text.lines() {
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!(c.len(), 20);
            t.push((c[1].parse::<f64>().expect("time") * 1e6).round() as i64);
            proto.push(Some(c[5]));
            src.push(c[6]);
            dst.push(c[7]);
            sp.push(c[8].parse::<i32>().ok());
            dp.push(c[9].parse::<i32>().ok());
        }
        assert_eq!(t.len(), 32_048);
        let cols = ScanCols { time_us: &t, src_ip: &src, dst_ip: &dst, dst_port: &dp };
        let found = detect_scanners(&cols, &ScanParams::default());
        let got: Vec<(&str, ScanKind, usize, usize, u64)> = found
            .iter()
            .map(|e| {
                (
                    e.src_ip.as_str(),
                    e.kind,
                    e.max_distinct_ports_in_window,
                    e.max_distinct_hosts_in_window,
                    e.total_records,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("70.37.98.60", ScanKind::Vertical, 626, 1, 626),
                ("147.32.84.165", ScanKind::Horizontal, 8, 158, 4079)
            ]
        );
        let flows = FlowCols { src_port: &sp, dst_port: &dp, proto: &proto, excluded: None };
        assert_eq!(flag_inverted(&flows, &marty_vast2013()).iter().filter(|b| **b).count(), 70);
        assert_eq!(
            crate::data::clean::flow_repair::port0_non_tcp_udp(&flows).iter().filter(|b| **b).count(),
            425
        );
    }
}
