//! Repair of netflow direction and of meaningless ports.
//!
//! Flow collectors name the first packet they see the "source". When a flow started before the capture
//! (or the first packets were lost) the reply is seen first and the record comes out inverted: the server
//! appears as source, with its service port as source port, talking to the client's ephemeral port. This
//! module only *finds* such rows (a mask); the caller swaps addresses, ports, payload bytes, total bytes
//! and packet counts on its data frame.

use std::collections::{BTreeSet, HashMap};

/// Column views of a flow table. All slices must have the same length; extra rows in longer slices are
/// ignored (the shortest length wins) so mismatched input cannot panic.
#[derive(Clone, Copy, Debug)]
pub struct FlowCols<'a> {
    pub src_port: &'a [Option<i32>],
    pub dst_port: &'a [Option<i32>],
    /// Lower-case protocol name (`tcp`, `udp`, `icmp`, ...).
    pub proto: &'a [Option<&'a str>],
    /// Rows to leave out of the evidence (e.g. scanner traffic, whose destination ports say nothing about
    /// which ports are services).
    pub excluded: Option<&'a [bool]>,
}

impl FlowCols<'_> {
    fn len(&self) -> usize {
        self.src_port.len().min(self.dst_port.len()).min(self.proto.len())
    }

    fn is_excluded(&self, i: usize) -> bool {
        self.excluded.is_some_and(|e| e.get(i).copied().unwrap_or(false))
    }
}

/// Ports above this are treated as ephemeral (client) ports by the evidence and the classic rule.
pub const EPHEMERAL_ABOVE: i32 = 1024;

/// How one port is used in the data; see [`port_evidence`] for the scoring.
#[derive(Clone, Debug, PartialEq)]
pub struct PortEvidence {
    pub port: i32,
    /// Rows with this destination port.
    pub as_dst: u64,
    /// Rows with this source port.
    pub as_src: u64,
    /// Rows with this source port and an ephemeral (> 1024) destination port: the rows a rule containing
    /// this port would flag as inverted.
    pub as_src_with_ephemeral_dst: u64,
    /// Port < 1024 (IANA system port).
    pub well_known: bool,
    pub score: f64,
    pub candidate: bool,
}

/// Share of the evidence rows a port must reach as destination to be a candidate service port.
pub const MIN_SUPPORT_SHARE: f64 = 0.001;
/// Absolute minimum number of destination-port rows for a well-known (< 1024) port.
pub const MIN_WELL_KNOWN_ROWS: u64 = 20;
/// Minimum share of a port's appearances that must be as destination.
pub const MIN_DST_SHARE: f64 = 0.6;

/// Derives candidate service ports from the data.
///
/// Only TCP/UDP rows with both ports present and not `excluded` are evidence (ports of ICMP/OTHER are
/// not ports). For each port:
///
/// * `dst_share = as_dst / (as_dst + as_src - same)` - services are mostly seen as destination; ephemeral
///   ports are mostly seen as source (they only become destinations in inverted rows). `same` counts rows
///   with this port on both sides (NetBIOS 137->137, NTP 123->123): they say nothing about direction, so
///   their source appearance does not count against the port.
/// * `support = as_dst / evidence_rows` - a service is used by many flows, an ephemeral port by a handful.
/// * `score = support * dst_share` (in [0, 1]); higher = more clearly a service port.
/// * `candidate = dst_share >= 0.6 && (support >= 0.1 % || (well_known && as_dst >= 20))` - well-known ports
///   get a lower bar because their meaning is fixed by IANA; unregistered high ports (8080, 8443, ...)
///   must earn their place by volume.
///
/// Scanner rows must be excluded: a vertical scan makes every port it probes look like a destination.
/// Returns the `top` highest-scoring ports (ties by port number), so a port with no destination use is
/// listed only when fewer than `top` ports exist.
pub fn port_evidence(cols: &FlowCols, top: usize) -> Vec<PortEvidence> {
    #[derive(Default)]
    struct Acc {
        as_dst: u64,
        as_src: u64,
        as_src_eph: u64,
        /// Rows with this port on both sides (NetBIOS 137->137, NTP 123->123).
        same_both: u64,
    }
    // Dense table for the valid port range, map for anything out of range (garbage input).
    let mut dense: Vec<Acc> = (0..=65535).map(|_| Acc::default()).collect();
    let mut odd: HashMap<i32, Acc> = HashMap::new();
    fn slot<'m>(dense: &'m mut [Acc], odd: &'m mut HashMap<i32, Acc>, p: i32) -> &'m mut Acc {
        match usize::try_from(p) {
            Ok(u) if u < dense.len() => &mut dense[u],
            _ => odd.entry(p).or_default(),
        }
    }
    let mut evidence_rows = 0u64;
    for i in 0..cols.len() {
        if cols.is_excluded(i) || !is_tcp_udp(cols.proto[i]) {
            continue;
        }
        let (Some(sp), Some(dp)) = (cols.src_port[i], cols.dst_port[i]) else {
            continue;
        };
        evidence_rows += 1;
        slot(&mut dense, &mut odd, dp).as_dst += 1;
        let s = slot(&mut dense, &mut odd, sp);
        s.as_src += 1;
        if dp > EPHEMERAL_ABOVE {
            s.as_src_eph += 1;
        }
        if sp == dp {
            s.same_both += 1;
        }
    }
    let make = |port: i32, a: &Acc| -> PortEvidence {
        let seen = a.as_dst + a.as_src - a.same_both;
        let dst_share = if seen == 0 { 0.0 } else { a.as_dst as f64 / seen as f64 };
        let support = if evidence_rows == 0 { 0.0 } else { a.as_dst as f64 / evidence_rows as f64 };
        let well_known = (0..1024).contains(&port);
        let candidate = dst_share >= MIN_DST_SHARE
            && (support >= MIN_SUPPORT_SHARE || (well_known && a.as_dst >= MIN_WELL_KNOWN_ROWS));
        PortEvidence {
            port,
            as_dst: a.as_dst,
            as_src: a.as_src,
            as_src_with_ephemeral_dst: a.as_src_eph,
            well_known,
            score: support * dst_share,
            candidate,
        }
    };
    let mut all: Vec<PortEvidence> = dense
        .iter()
        .enumerate()
        .filter(|(_, a)| a.as_dst + a.as_src > 0)
        .map(|(p, a)| make(p as i32, a))
        .chain(odd.iter().map(|(p, a)| make(*p, a)))
        .collect();
    all.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.port.cmp(&b.port)));
    all.truncate(top);
    all
}

/// "Source port is a service port and destination port is ephemeral" rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairRule {
    pub service_ports: BTreeSet<i32>,
    /// A row is flagged only when its destination port is strictly greater than this.
    pub min_dst_port_exclusive: i32,
}

/// The rule used on VAST 2013 MC3 by Marty et al.: source port in
/// {20, 21, 25, 53, 80, 123, 137, 138, 389, 1900, 1984, 3389, 5355} and destination port > 1024.
pub fn marty_vast2013() -> RepairRule {
    RepairRule {
        service_ports: [20, 21, 25, 53, 80, 123, 137, 138, 389, 1900, 1984, 3389, 5355].into_iter().collect(),
        min_dst_port_exclusive: 1024,
    }
}

/// Rule made of the candidate ports of [`port_evidence`].
pub fn rule_from_evidence(evidence: &[PortEvidence], min_dst_port_exclusive: i32) -> RepairRule {
    RepairRule {
        service_ports: evidence.iter().filter(|e| e.candidate).map(|e| e.port).collect(),
        min_dst_port_exclusive,
    }
}

/// Rows the rule says are inverted. Rows with a null port are never flagged. The protocol is not
/// checked: ICMP/OTHER rows should have had their ports nulled first ([`port0_non_tcp_udp`]).
/// `excluded` is ignored (it only concerns the evidence).
pub fn flag_inverted(cols: &FlowCols, rule: &RepairRule) -> Vec<bool> {
    let n = cols.src_port.len().min(cols.dst_port.len());
    (0..n)
        .map(|i| match (cols.src_port[i], cols.dst_port[i]) {
            (Some(sp), Some(dp)) => dp > rule.min_dst_port_exclusive && rule.service_ports.contains(&sp),
            _ => false,
        })
        .collect()
}

fn is_tcp_udp(proto: Option<&str>) -> bool {
    proto.is_some_and(|p| p.eq_ignore_ascii_case("tcp") || p.eq_ignore_ascii_case("udp"))
}

/// Rows whose protocol is known and is neither TCP nor UDP but which carry a port value (including 0):
/// their ports should become null.
///
/// Why: ports exist only in TCP and UDP (and SCTP/DCCP, which these collectors report as OTHER). For ICMP
/// and OTHER the collector writes 0 or reuses the fields for ICMP type/code, so keeping them would make
/// port 0 look like the busiest "service" and pollute port statistics and the inversion evidence. Rows
/// with an unknown (null) protocol are left alone: we cannot tell whether their ports are real. Output
/// length is that of `proto`.
pub fn port0_non_tcp_udp(cols: &FlowCols) -> Vec<bool> {
    (0..cols.proto.len())
        .map(|i| {
            let Some(p) = cols.proto[i] else { return false };
            let has_port = cols.src_port.get(i).copied().flatten().is_some()
                || cols.dst_port.get(i).copied().flatten().is_some();
            has_port && !is_tcp_udp(Some(p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::generate::{generate, GenOptions, GroundTruth, GEN_SERVICE_PORTS};

    /// Columns of a generated sample, parsed back from the CSV (so the test sees what a reader sees).
    pub(crate) struct Sample {
        pub time_us: Vec<i64>,
        pub src_ip: Vec<String>,
        pub dst_ip: Vec<String>,
        pub src_port: Vec<Option<i32>>,
        pub dst_port: Vec<Option<i32>>,
        pub proto: Vec<String>,
        pub truth: GroundTruth,
    }

    pub(crate) fn sample(rows: u64, seed: u64) -> Sample {
        let opts = GenOptions { rows, seed, ..GenOptions::default() };
        let mut buf = Vec::new();
        let truth = generate(&opts, &mut buf).expect("generate");
        let text = String::from_utf8(buf).expect("utf8");
        let mut s = Sample {
            time_us: Vec::new(),
            src_ip: Vec::new(),
            dst_ip: Vec::new(),
            src_port: Vec::new(),
            dst_port: Vec::new(),
            proto: Vec::new(),
            truth,
        };
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split(',').collect();
            let (secs, frac) = c[0].split_once('.').expect("fraction");
            s.time_us.push(secs.parse::<i64>().expect("secs") * 1_000_000 + frac.parse::<i64>().expect("us"));
            s.proto.push(c[4].to_ascii_lowercase());
            s.src_ip.push(c[5].to_string());
            s.dst_ip.push(c[6].to_string());
            s.src_port.push(c[7].parse().ok());
            s.dst_port.push(c[8].parse().ok());
        }
        s
    }

    /// Planted inverted rows, recounted the way the generator documents them.
    fn planted_inverted(s: &Sample) -> Vec<bool> {
        (0..s.proto.len())
            .map(|i| {
                (s.proto[i] == "tcp" || s.proto[i] == "udp")
                    && s.src_port[i].is_some_and(|p| GEN_SERVICE_PORTS.contains(&(p as u16)))
                    && s.dst_port[i].is_some_and(|p| p > 1024)
            })
            .collect()
    }

    fn precision_recall(flagged: &[bool], truth: &[bool]) -> (f64, f64, u64, u64, u64) {
        let (mut tp, mut fp, mut fneg) = (0u64, 0u64, 0u64);
        for (f, t) in flagged.iter().zip(truth) {
            match (f, t) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                _ => {}
            }
        }
        let p = if tp + fp == 0 { 1.0 } else { tp as f64 / (tp + fp) as f64 };
        let r = if tp + fneg == 0 { 1.0 } else { tp as f64 / (tp + fneg) as f64 };
        (p, r, tp, fp, fneg)
    }

    #[test]
    fn marty_rule_is_exact() {
        let rule = marty_vast2013();
        let expected: BTreeSet<i32> = [20, 21, 25, 53, 80, 123, 137, 138, 389, 1900, 1984, 3389, 5355].into();
        assert_eq!(rule.service_ports, expected);
        assert_eq!(rule.min_dst_port_exclusive, 1024);
        let sp = [Some(80), Some(80), Some(80), Some(53), Some(443), None, Some(5355), Some(1024), Some(20)];
        let dp = [
            Some(1024),
            Some(1025),
            Some(80),
            Some(65535),
            Some(50000),
            Some(5000),
            None,
            Some(2000),
            Some(0),
        ];
        let proto = [Some("tcp"); 9];
        let cols = FlowCols { src_port: &sp, dst_port: &dp, proto: &proto, excluded: None };
        assert_eq!(
            flag_inverted(&cols, &rule),
            [false, true, false, true, false, false, false, false, false]
        );
        // Every port of the set flags against 1025, none against 1024.
        for p in -1..70_000 {
            let cols = FlowCols {
                src_port: &[Some(p), Some(p)],
                dst_port: &[Some(1025), Some(1024)],
                proto: &[Some("udp"), Some("udp")],
                excluded: None,
            };
            assert_eq!(flag_inverted(&cols, &rule), [expected.contains(&p), false]);
        }
    }

    #[test]
    fn port0_rule() {
        let sp = [Some(0), Some(0), None, Some(0), Some(8), Some(0), Some(0)];
        let dp = [Some(0), Some(0), None, Some(0), Some(0), Some(0), None];
        let proto = [Some("icmp"), Some("tcp"), Some("icmp"), None, Some("other"), Some("UDP"), Some("gre")];
        let cols = FlowCols { src_port: &sp, dst_port: &dp, proto: &proto, excluded: None };
        assert_eq!(port0_non_tcp_udp(&cols), [true, false, false, false, true, false, true]);
        // Mismatched lengths do not panic.
        let cols =
            FlowCols { src_port: &sp[..2], dst_port: &dp[..1], proto: &proto, excluded: Some(&[true]) };
        assert_eq!(port0_non_tcp_udp(&cols).len(), 7);
        assert_eq!(flag_inverted(&cols, &marty_vast2013()).len(), 1);
        assert!(port_evidence(&cols, 10).is_empty());
    }

    #[test]
    fn evidence_handles_garbage_ports() {
        let sp = [Some(-5), Some(70_000), Some(i32::MAX), Some(40_000)];
        let dp = [Some(80), Some(-1), Some(i32::MIN), Some(80)];
        let proto = [Some("tcp"); 4];
        let cols = FlowCols { src_port: &sp, dst_port: &dp, proto: &proto, excluded: None };
        let ev = port_evidence(&cols, 100);
        assert_eq!(ev[0].port, 80);
        assert_eq!(ev[0].as_dst, 2);
        assert_eq!(ev.len(), 7);
        assert!(port_evidence(&cols, 0).is_empty());
    }

    #[test]
    fn planted_inversions_found() {
        let s = sample(300_000, 11);
        let truth_mask = planted_inverted(&s);
        assert_eq!(truth_mask.iter().filter(|b| **b).count() as u64, s.truth.inverted);
        let proto: Vec<Option<&str>> = s.proto.iter().map(|p| Some(p.as_str())).collect();
        let scanners: Vec<bool> =
            s.src_ip.iter().map(|ip| s.truth.scanner_ips.iter().any(|x| x == ip)).collect();
        let cols = FlowCols {
            src_port: &s.src_port,
            dst_port: &s.dst_port,
            proto: &proto,
            excluded: Some(&scanners),
        };

        let marty = flag_inverted(&cols, &marty_vast2013());
        let (p, r, tp, fp, fneg) = precision_recall(&marty, &truth_mask);
        eprintln!("marty-vast2013: precision {p:.4} recall {r:.4} (tp {tp}, fp {fp}, fn {fneg})");
        // The marty set lacks 22, 88, 443, 445, 993, 8080, 8443: it misses their inversions but never
        // flags a normal row.
        assert_eq!(fp, 0);
        let marty_ports = marty_vast2013().service_ports;
        let expected_tp: u64 =
            s.truth.inverted_by_port.iter().filter(|(p, _)| marty_ports.contains(p)).map(|(_, n)| n).sum();
        assert_eq!(tp, expected_tp);
        assert!(r > 0.3 && r < 0.7, "marty recall {r}");

        let ev = port_evidence(&cols, 40);
        for e in &ev {
            eprintln!("{e:?}");
        }
        let derived = rule_from_evidence(&ev, EPHEMERAL_ABOVE);
        eprintln!("derived service ports: {:?}", derived.service_ports);
        // Every service the generator runs is found; no ephemeral port is.
        for p in [22, 25, 53, 80, 88, 123, 137, 138, 389, 443, 445, 993, 1984, 3389, 8080, 8443] {
            assert!(derived.service_ports.contains(&p), "missing {p}");
        }
        assert!(derived.service_ports.iter().all(|p| *p < 10_000));
        let flagged = flag_inverted(&cols, &derived);
        let (p, r, tp, fp, fneg) = precision_recall(&flagged, &truth_mask);
        eprintln!("evidence-derived: precision {p:.4} recall {r:.4} (tp {tp}, fp {fp}, fn {fneg})");
        assert_eq!(fp, 0);
        assert!(r > 0.99, "derived recall {r}");

        // Excluded rows do not count: port 7 (echo) is only ever probed by the vertical scanner.
        let find = |ev: &[PortEvidence], p: i32| ev.iter().find(|e| e.port == p).map_or(0, |e| e.as_dst);
        let raw = FlowCols { excluded: None, ..cols };
        assert!(find(&port_evidence(&raw, 70_000), 7) > 0);
        assert_eq!(find(&port_evidence(&cols, 70_000), 7), 0);
    }
}
