//! Deterministic synthetic netflow generator in the VAST Challenge 2013 MC3 layout.
//!
//! The output is meant for demos, benchmarks and tests of the cleaning and analysis code: it has daily and
//! weekly seasonality and a handful of planted, documented anomalies whose exact counts are returned in
//! [`GroundTruth`] (and can be recounted from the CSV alone, see [`ground_truth_markdown`]).
//!
//! Determinism: the only randomness is a local xoshiro256** seeded through splitmix64, all arithmetic that
//! decides a value is integer or IEEE f64 (identical on every platform), and no hash-map iteration order is
//! involved, so the same `(rows, seed, start_epoch_secs, days)` produces the same bytes everywhere.

use std::collections::BTreeMap;
use std::io::{self, Write};

/// VAST 2013 MC3 header (19 columns).
pub const VAST_HEADER: &str = "TimeSeconds,parsedDate,dateTimeStr,ipLayerProtocol,ipLayerProtocolCode,\
firstSeenSrcIp,firstSeenDestIp,firstSeenSrcPort,firstSeenDestPort,moreFragments,contFragments,\
durationSeconds,firstSeenSrcPayloadBytes,firstSeenDestPayloadBytes,firstSeenSrcTotalBytes,\
firstSeenDestTotalBytes,firstSeenSrcPacketCount,firstSeenDestPacketCount,recordForceOut";

/// Service ports the generator's servers listen on. Inverted records carry one of these as source port and
/// an ephemeral (>= 32768) destination port; normal records never have that shape, which is what makes the
/// inverted count recountable from the CSV.
pub const GEN_SERVICE_PORTS: [u16; 19] =
    [21, 22, 25, 53, 80, 88, 123, 137, 138, 389, 443, 445, 993, 1900, 1984, 3389, 5355, 8080, 8443];

/// Planted vertical scanner (internal, many ports on one or two hosts per burst).
pub const VERTICAL_SCANNER_IP: &str = "172.10.9.99";
/// Planted horizontal scanner (external, one port on hundreds of hosts per burst).
pub const HORIZONTAL_SCANNER_IP: &str = "203.0.113.66";
/// Planted night-time exfiltration source (an ordinary internal client by day).
pub const EXFIL_SRC_IP: &str = "172.10.3.77";
/// Planted exfiltration destination (never contacted by normal traffic).
pub const EXFIL_DST_IP: &str = "198.51.100.23";

/// 2013-04-01 00:00:00 UTC (a Monday), the first day of the real VAST 2013 MC3 data.
pub const DEFAULT_START_EPOCH_SECS: i64 = 1_364_774_400;

/// Probability that a normal unicast TCP/UDP flow is written with source and destination swapped.
const INVERT_PER_MILLE: u64 = 30;
/// Rows per scanner burst.
const VERTICAL_BURST_ROWS: u64 = 1000;
const HORIZONTAL_BURST_ROWS: u64 = 800;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenOptions {
    pub rows: u64,
    pub seed: u64,
    /// First second covered (default 2013-04-01 00:00:00 UTC, a Monday).
    pub start_epoch_secs: i64,
    /// Days covered (default 14: two full weeks so week-over-week comparison means something).
    pub days: u32,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions { rows: 1_000_000, seed: 1, start_epoch_secs: DEFAULT_START_EPOCH_SECS, days: 14 }
    }
}

/// Exact counts of what was planted. Every figure can be recounted from the CSV (recipes in
/// [`ground_truth_markdown`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroundTruth {
    pub total_rows: u64,
    /// Records whose source and destination were swapped (TCP/UDP, source port in [`GEN_SERVICE_PORTS`],
    /// destination port > 1024).
    pub inverted: u64,
    /// `inverted` split by the (service) source port as written.
    pub inverted_by_port: BTreeMap<i32, u64>,
    /// ICMP / OTHER records; all of them carry source and destination port 0.
    pub port0_other: u64,
    /// Rows sourced by each scanner ([vertical, horizontal]).
    pub scanner_rows: [u64; 2],
    pub scanner_ips: [String; 2],
    /// Number of bursts per scanner ([vertical, horizontal]).
    pub scanner_bursts: [u64; 2],
    /// Rows from `exfil_src` to `exfil_dst` (all between 01:00 and 05:00 UTC, large source bytes).
    pub exfil_rows: u64,
    pub exfil_src: String,
    pub exfil_dst: String,
    /// Sum of firstSeenSrcPayloadBytes over the exfiltration rows.
    pub exfil_src_payload_bytes: u64,
    /// All rows with a timestamp in 12:00-13:00 UTC on a weekday (the lunch spike, ~+50%).
    pub noon_spike_rows: u64,
    /// All rows in 11:00-12:00 UTC on a weekday, for comparison with `noon_spike_rows`.
    pub noon_baseline_rows: u64,
    /// Rows on Saturdays and Sundays.
    pub weekend_rows: u64,
    pub start_epoch_secs: i64,
    pub end_epoch_secs: i64,
}

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64: small, fast and fully specified, so the
/// stream is identical on every machine and every Rust version (unlike `rand`'s unspecified StdRng).
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng { s: [next(), next(), next(), next()] }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, n)` (Lemire's multiply-shift; the tiny bias is irrelevant here). `n == 0` gives 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `[lo, hi]`.
    #[inline]
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)` with 53 bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Heavy-tailed size in `[min, max]`: roughly log-uniform with mass pushed toward `min` (exponent 2),
    /// which mimics the long tail of flow sizes without a costly normal sampler. Built from shifts and
    /// basic IEEE operations only (no `powf`/`exp`, whose last bit differs between platform libms), so the
    /// bytes are identical on every machine.
    #[inline]
    fn skewed(&mut self, min: u64, max: u64) -> u64 {
        let min = min.max(1);
        if max <= min {
            return min;
        }
        let octaves = (64 - (max / min).leading_zeros()) as f64;
        let u = self.unit();
        let x = u * u * octaves;
        let k = x as u32;
        let frac = x - k as f64;
        let base = min.checked_shl(k).unwrap_or(max).min(max);
        ((base as f64 * (1.0 + frac)) as u64).clamp(min, max)
    }

    #[inline]
    fn chance_per_mille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }
}

/// One record before formatting; IPs are indices into the address table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flow {
    pub(crate) time_us: i64,
    pub(crate) proto: u8,
    pub(crate) src: u32,
    pub(crate) dst: u32,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    pub(crate) duration_secs: u32,
    pub(crate) src_payload: u64,
    pub(crate) dst_payload: u64,
    pub(crate) src_pkts: u64,
    pub(crate) dst_pkts: u64,
}

impl Flow {
    /// A flow with no addresses, ports or payload yet and one packet each way.
    pub(crate) fn empty(time_us: i64, proto: u8) -> Flow {
        Flow {
            time_us,
            proto,
            src: 0,
            dst: 0,
            sport: 0,
            dport: 0,
            duration_secs: 0,
            src_payload: 0,
            dst_payload: 0,
            src_pkts: 1,
            dst_pkts: 1,
        }
    }
    fn swap(&mut self) {
        std::mem::swap(&mut self.src, &mut self.dst);
        std::mem::swap(&mut self.sport, &mut self.dport);
        std::mem::swap(&mut self.src_payload, &mut self.dst_payload);
        std::mem::swap(&mut self.src_pkts, &mut self.dst_pkts);
    }
}

/// All addresses used by the generator, preformatted once so formatting a row is a byte copy.
struct Net {
    ips: Vec<Vec<u8>>,
    clients: Vec<u32>,
    web_servers_in: Vec<u32>,
    dns: u32,
    mail: u32,
    ntp: u32,
    proxy: u32,
    ftp: u32,
    monitor: u32,
    dc: u32,
    file: u32,
    app8443: Vec<u32>,
    rdp_hosts: Vec<u32>,
    ssh_hosts: Vec<u32>,
    gateway: u32,
    ssdp_group: u32,
    llmnr_group: u32,
    igmp_group: u32,
    ext_web: Vec<u32>,
    ext_mx: Vec<u32>,
    ext_dns: Vec<u32>,
    ext_ntp: Vec<u32>,
    ext_clients: Vec<u32>,
    ext_vpn: u32,
    /// Addresses the horizontal scanner sweeps (all of 172.10.0-15.x, most of them unused).
    sweep_space: Vec<u32>,
    scan_v: u32,
    scan_h: u32,
    exfil_dst: u32,
    exfil_src: u32,
}

impl Net {
    fn build(rng: &mut Rng) -> Net {
        let mut ips: Vec<Vec<u8>> = Vec::new();
        let mut index: std::collections::HashMap<[u8; 4], u32> = std::collections::HashMap::new();
        let mut add = |o: [u8; 4]| -> u32 {
            if let Some(&i) = index.get(&o) {
                return i;
            }
            let i = ips.len() as u32;
            ips.push(format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]).into_bytes());
            index.insert(o, i);
            i
        };
        let mut clients = Vec::new();
        for c in 1..=8u8 {
            for d in 10..250u8 {
                clients.push(add([172, 10, c, d]));
            }
        }
        let exfil_src = add([172, 10, 3, 77]);
        let web_servers_in = vec![add([172, 10, 0, 4]), add([172, 10, 0, 5])];
        let dns = add([172, 10, 0, 53]);
        let mail = add([172, 10, 0, 25]);
        let ntp = add([172, 10, 0, 123]);
        let proxy = add([172, 10, 0, 8]);
        let ftp = add([172, 10, 0, 21]);
        let monitor = add([172, 10, 0, 84]);
        let gateway = add([172, 10, 0, 1]);
        let dc = add([10, 0, 0, 10]);
        let file = add([10, 0, 0, 20]);
        let app8443 = (30..34u8).map(|d| add([10, 0, 0, d])).collect();
        let rdp_hosts = (10..30u8).map(|d| add([10, 0, 2, d])).collect();
        let ssh_hosts = (1..=40u8).map(|d| add([10, 0, 3, d])).collect();
        let ssdp_group = add([239, 255, 255, 250]);
        let llmnr_group = add([224, 0, 0, 252]);
        let igmp_group = add([224, 0, 0, 22]);
        let scan_v = add([172, 10, 9, 99]);
        let scan_h = add([203, 0, 113, 66]);
        let exfil_dst = add([198, 51, 100, 23]);
        let ext_dns = vec![add([8, 8, 8, 8]), add([8, 8, 4, 4]), add([1, 1, 1, 1]), add([9, 9, 9, 9])];
        let mut sweep_space = Vec::new();
        for c in 0..16u8 {
            for d in 1..255u8 {
                sweep_space.push(add([172, 10, c, d]));
            }
        }
        // Public addresses: skip private, loopback, link-local, CGNAT, multicast and the documentation
        // ranges the planted actors use, so an external pick can never collide with them.
        let public = |n: usize, rng: &mut Rng, add: &mut dyn FnMut([u8; 4]) -> u32| -> Vec<u32> {
            let mut out = Vec::with_capacity(n);
            let mut seen = std::collections::HashSet::new();
            while out.len() < n {
                let a = rng.range(1, 223) as u8;
                if matches!(a, 10 | 100 | 127 | 169 | 172 | 192 | 198 | 203) {
                    continue;
                }
                let o = [a, rng.below(256) as u8, rng.below(256) as u8, rng.range(1, 254) as u8];
                if seen.insert(o) {
                    out.push(add(o));
                }
            }
            out
        };
        let ext_web = public(4000, rng, &mut add);
        let ext_mx = public(40, rng, &mut add);
        let ext_ntp = public(3, rng, &mut add);
        let ext_clients = public(1500, rng, &mut add);
        let ext_vpn = public(1, rng, &mut add)[0];
        Net {
            ips,
            clients,
            web_servers_in,
            dns,
            mail,
            ntp,
            proxy,
            ftp,
            monitor,
            dc,
            file,
            app8443,
            rdp_hosts,
            ssh_hosts,
            gateway,
            ssdp_group,
            llmnr_group,
            igmp_group,
            ext_web,
            ext_mx,
            ext_dns,
            ext_ntp,
            ext_clients,
            ext_vpn,
            sweep_space,
            scan_v,
            scan_h,
            exfil_dst,
            exfil_src,
        }
    }
}

#[inline]
fn pick(rng: &mut Rng, v: &[u32]) -> u32 {
    v[rng.below(v.len() as u64) as usize]
}

/// Popularity-skewed pick: index = n * u^3, so the first entries get most of the traffic (a few very
/// popular web sites, a long tail).
#[inline]
fn pick_popular(rng: &mut Rng, v: &[u32]) -> u32 {
    let u = rng.unit();
    let i = ((v.len() as f64) * u * u * u) as usize;
    v[i.min(v.len() - 1)]
}

/// Client source port: Windows (49152-65535) or Linux (32768-60999) ephemeral range. Both start far above
/// every service port, so a normal record never looks inverted.
#[inline]
fn ephemeral(rng: &mut Rng) -> u16 {
    if rng.below(10) < 7 {
        rng.range(49152, 65535) as u16
    } else {
        rng.range(32768, 60999) as u16
    }
}

const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP: u8 = 1;

/// Normal service mix: (weight, kind). Weights are relative.
const SERVICE_MIX: [(u32, Svc); 27] = [
    (300, Svc::Web443),
    (120, Svc::Web80),
    (60, Svc::Proxy8080),
    (15, Svc::App8443),
    (140, Svc::DnsClient),
    (30, Svc::DnsUpstream),
    (20, Svc::NtpClient),
    (3, Svc::NtpUpstream),
    (15, Svc::MailOut),
    (20, Svc::MailIn),
    (20, Svc::Imaps),
    (80, Svc::WebIn),
    (30, Svc::Ldap),
    (20, Svc::Kerberos),
    (10, Svc::Netbios137),
    (5, Svc::Netbios138),
    (50, Svc::Smb),
    (15, Svc::Rdp),
    (10, Svc::Ssh),
    (3, Svc::Ftp),
    (5, Svc::Ssdp),
    (5, Svc::Llmnr),
    (5, Svc::Monitor1984),
    (12, Svc::IcmpOut),
    (6, Svc::IcmpIn),
    (2, Svc::Gre),
    (2, Svc::Igmp),
];

#[derive(Clone, Copy, Debug)]
enum Svc {
    Web443,
    Web80,
    Proxy8080,
    App8443,
    DnsClient,
    DnsUpstream,
    NtpClient,
    NtpUpstream,
    MailOut,
    MailIn,
    Imaps,
    WebIn,
    Ldap,
    Kerberos,
    Netbios137,
    Netbios138,
    Smb,
    Rdp,
    Ssh,
    Ftp,
    Ssdp,
    Llmnr,
    Monitor1984,
    IcmpOut,
    IcmpIn,
    Gre,
    Igmp,
}

/// Builds one normal record at `time_us`. Returns the flow and whether it may be inverted (unicast
/// client -> server TCP/UDP with an ephemeral client port).
fn normal_flow(rng: &mut Rng, net: &Net, svc: Svc, time_us: i64) -> (Flow, bool) {
    let mut f = Flow::empty(time_us, TCP);
    let mut invertible = true;
    // (request bytes range, response bytes range)
    let (req, resp): ((u64, u64), (u64, u64)) = match svc {
        Svc::Web443 | Svc::Web80 => {
            f.src = pick(rng, &net.clients);
            f.dst = pick_popular(rng, &net.ext_web);
            f.dport = if matches!(svc, Svc::Web443) { 443 } else { 80 };
            ((300, 20_000), (500, 5_000_000))
        }
        Svc::Proxy8080 => {
            f.src = pick(rng, &net.clients);
            f.dst = net.proxy;
            f.dport = 8080;
            ((300, 8_000), (500, 2_000_000))
        }
        Svc::App8443 => {
            f.src = pick(rng, &net.clients);
            f.dst = pick(rng, &net.app8443);
            f.dport = 8443;
            ((300, 20_000), (500, 500_000))
        }
        Svc::DnsClient => {
            f.proto = UDP;
            f.src = pick(rng, &net.clients);
            f.dst = net.dns;
            f.dport = 53;
            ((30, 80), (60, 400))
        }
        Svc::DnsUpstream => {
            f.proto = UDP;
            f.src = net.dns;
            f.dst = pick(rng, &net.ext_dns);
            f.dport = 53;
            ((30, 80), (60, 400))
        }
        Svc::NtpClient => {
            f.proto = UDP;
            f.src = pick(rng, &net.clients);
            f.dst = net.ntp;
            f.dport = 123;
            ((48, 48), (48, 48))
        }
        Svc::NtpUpstream => {
            // Server-to-server NTP uses 123 on both sides: a low destination port, never "inverted".
            f.proto = UDP;
            f.src = net.ntp;
            f.dst = pick(rng, &net.ext_ntp);
            f.dport = 123;
            f.sport = 123;
            invertible = false;
            ((48, 48), (48, 48))
        }
        Svc::MailOut => {
            f.src = net.mail;
            f.dst = pick_popular(rng, &net.ext_mx);
            f.dport = 25;
            ((2_000, 2_000_000), (300, 1_500))
        }
        Svc::MailIn => {
            f.src = pick_popular(rng, &net.ext_mx);
            f.dst = net.mail;
            f.dport = 25;
            ((2_000, 2_000_000), (300, 1_500))
        }
        Svc::Imaps => {
            f.src = pick(rng, &net.clients);
            f.dst = net.mail;
            f.dport = 993;
            ((200, 5_000), (500, 3_000_000))
        }
        Svc::WebIn => {
            f.src = pick_popular(rng, &net.ext_clients);
            f.dst = pick(rng, &net.web_servers_in);
            f.dport = if rng.below(3) == 0 { 80 } else { 443 };
            ((300, 10_000), (500, 1_000_000))
        }
        Svc::Ldap => {
            f.src = pick(rng, &net.clients);
            f.dst = net.dc;
            f.dport = 389;
            ((100, 3_000), (100, 20_000))
        }
        Svc::Kerberos => {
            f.src = pick(rng, &net.clients);
            f.dst = net.dc;
            f.dport = 88;
            ((200, 2_000), (200, 3_000))
        }
        Svc::Netbios137 | Svc::Netbios138 => {
            // NetBIOS name/datagram service talks 137->137 / 138->138.
            f.proto = UDP;
            f.src = pick(rng, &net.clients);
            f.dst = net.dc;
            let p = if matches!(svc, Svc::Netbios137) { 137 } else { 138 };
            f.sport = p;
            f.dport = p;
            invertible = false;
            ((50, 250), (0, 250))
        }
        Svc::Smb => {
            f.src = pick(rng, &net.clients);
            f.dst = if rng.below(4) == 0 { net.dc } else { net.file };
            f.dport = 445;
            ((200, 200_000), (200, 10_000_000))
        }
        Svc::Rdp => {
            f.src = pick(rng, &net.clients[..60]);
            f.dst = pick(rng, &net.rdp_hosts);
            f.dport = 3389;
            ((2_000, 2_000_000), (10_000, 20_000_000))
        }
        Svc::Ssh => {
            f.src = pick(rng, &net.clients[..60]);
            f.dst = pick(rng, &net.ssh_hosts);
            f.dport = 22;
            ((500, 200_000), (500, 500_000))
        }
        Svc::Ftp => {
            f.src = pick(rng, &net.clients);
            f.dst = net.ftp;
            f.dport = 21;
            ((100, 2_000), (100, 2_000))
        }
        Svc::Ssdp | Svc::Llmnr => {
            // Multicast discovery: one-way, never answered from the group address, so not invertible.
            f.proto = UDP;
            f.src = pick(rng, &net.clients);
            let ssdp = matches!(svc, Svc::Ssdp);
            f.dst = if ssdp { net.ssdp_group } else { net.llmnr_group };
            f.dport = if ssdp { 1900 } else { 5355 };
            f.dst_pkts = 0;
            invertible = false;
            ((50, 400), (0, 0))
        }
        Svc::Monitor1984 => {
            f.src = pick(rng, &net.clients);
            f.dst = net.monitor;
            f.dport = 1984;
            ((200, 5_000), (50, 500))
        }
        Svc::IcmpOut | Svc::IcmpIn => {
            f.proto = ICMP;
            if matches!(svc, Svc::IcmpOut) {
                f.src = pick(rng, &net.clients);
                f.dst = pick_popular(rng, &net.ext_web);
            } else {
                f.src = net.gateway;
                f.dst = pick(rng, &net.clients);
            }
            invertible = false;
            ((56, 560), (56, 560))
        }
        Svc::Gre => {
            f.proto = 47;
            f.src = net.gateway;
            f.dst = net.ext_vpn;
            invertible = false;
            ((100, 100_000), (100, 100_000))
        }
        Svc::Igmp => {
            f.proto = 2;
            f.src = pick(rng, &net.clients);
            f.dst = net.igmp_group;
            f.dst_pkts = 0;
            invertible = false;
            ((8, 8), (0, 0))
        }
    };
    if (f.proto == TCP || f.proto == UDP) && f.sport == 0 {
        f.sport = ephemeral(rng);
    }
    f.src_payload = rng.skewed(req.0.max(1), req.1.max(1));
    f.dst_payload = if resp.1 == 0 { 0 } else { rng.skewed(resp.0.max(1), resp.1) };
    f.src_pkts = f.src_pkts.max(1) + f.src_payload / 1400;
    if f.dst_pkts > 0 || f.dst_payload > 0 {
        f.dst_pkts = 1 + f.dst_payload / 1400;
    }
    f.duration_secs = ((f.src_payload + f.dst_payload) / 200_000) as u32 + rng.below(3) as u32;
    (f, invertible)
}

/// Per-hour weight of normal traffic (hour of day in UTC, treated as the site's local time).
const WEEKDAY_HOURS: [f64; 24] = [
    0.08, 0.06, 0.05, 0.05, 0.05, 0.07, 0.12, 0.35, 0.80, 1.00, 1.00, 1.00, 1.50, 1.00, 1.00, 0.95, 0.85,
    0.55, 0.30, 0.20, 0.15, 0.12, 0.10, 0.09,
];
/// Weekends: a quarter of the weekday level, no lunch spike.
const WEEKEND_FACTOR: f64 = 0.25;

/// Monday = 0 ... Sunday = 6 for a day number since 1970-01-01 (a Thursday).
fn weekday_mon0(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// Days since 1970-01-01 -> (year, month, day) in the proleptic Gregorian calendar (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[inline]
fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

#[inline]
fn push_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    push_u64(buf, v.unsigned_abs());
}

/// Zero-padded to `width` digits (values here always fit).
#[inline]
fn push_padded(buf: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    while i > tmp.len() - width || v > 0 {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Formats timestamps, caching the calendar date of the current day.
pub(crate) struct Clock {
    day: i64,
    date_dash: Vec<u8>,
    date_compact: Vec<u8>,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { day: i64::MIN, date_dash: Vec::new(), date_compact: Vec::new() }
    }

    fn write(&mut self, buf: &mut Vec<u8>, time_us: i64) {
        let secs = time_us.div_euclid(1_000_000);
        let micros = time_us.rem_euclid(1_000_000) as u64;
        let day = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u64;
        if day != self.day {
            let (y, m, d) = civil_from_days(day);
            self.day = day;
            self.date_dash.clear();
            push_padded(&mut self.date_dash, y.max(0) as u64, 4);
            self.date_dash.push(b'-');
            push_padded(&mut self.date_dash, m as u64, 2);
            self.date_dash.push(b'-');
            push_padded(&mut self.date_dash, d as u64, 2);
            self.date_compact.clear();
            push_padded(&mut self.date_compact, y.max(0) as u64, 4);
            push_padded(&mut self.date_compact, m as u64, 2);
            push_padded(&mut self.date_compact, d as u64, 2);
        }
        let (h, mi, s) = (sod / 3600, (sod / 60) % 60, sod % 60);
        push_i64(buf, secs);
        buf.push(b'.');
        push_padded(buf, micros, 6);
        buf.push(b',');
        buf.extend_from_slice(&self.date_dash);
        buf.push(b' ');
        push_padded(buf, h, 2);
        buf.push(b':');
        push_padded(buf, mi, 2);
        buf.push(b':');
        push_padded(buf, s, 2);
        buf.push(b',');
        buf.extend_from_slice(&self.date_compact);
        push_padded(buf, h, 2);
        push_padded(buf, mi, 2);
        push_padded(buf, s, 2);
    }
}

fn header_bytes(proto: u8) -> u64 {
    match proto {
        TCP => 40,
        UDP | ICMP => 28,
        _ => 24,
    }
}

pub(crate) fn write_flow(buf: &mut Vec<u8>, clock: &mut Clock, ips: &[Vec<u8>], f: &Flow) {
    clock.write(buf, f.time_us);
    buf.push(b',');
    push_u64(buf, f.proto as u64);
    buf.extend_from_slice(match f.proto {
        TCP => b",TCP,",
        UDP => b",UDP,",
        ICMP => b",ICMP,",
        _ => b",OTHER,",
    });
    buf.extend_from_slice(&ips[f.src as usize]);
    buf.push(b',');
    buf.extend_from_slice(&ips[f.dst as usize]);
    buf.push(b',');
    push_u64(buf, f.sport as u64);
    buf.push(b',');
    push_u64(buf, f.dport as u64);
    buf.extend_from_slice(b",0,0,");
    push_u64(buf, f.duration_secs as u64);
    let hb = header_bytes(f.proto);
    for v in [
        f.src_payload,
        f.dst_payload,
        f.src_payload + hb * f.src_pkts,
        f.dst_payload + hb * f.dst_pkts,
        f.src_pkts,
        f.dst_pkts,
    ] {
        buf.push(b',');
        push_u64(buf, v);
    }
    buf.extend_from_slice(b",0\n");
}

/// Planted rows (scanner bursts and exfiltration), generated up front; they are few (< 3% of rows).
fn planted_rows(rng: &mut Rng, net: &Net, opts: &GenOptions, truth: &mut GroundTruth) -> Vec<Flow> {
    let mut out = Vec::new();
    let start_us = opts.start_epoch_secs * 1_000_000;
    let days = opts.days as u64;
    let bursts = (opts.rows / 100_000).min(2 * days);
    truth.scanner_bursts = [bursts, bursts];
    let blank = Flow {
        time_us: 0,
        proto: TCP,
        src: 0,
        dst: 0,
        sport: 0,
        dport: 0,
        duration_secs: 0,
        src_payload: 0,
        dst_payload: 0,
        src_pkts: 1,
        dst_pkts: 1,
    };
    // Vertical: one or two internal servers, ports 1..=1024 then common high ports, SYN + RST.
    let targets: Vec<u32> = [net.dc, net.file, net.web_servers_in[0], net.mail, net.ftp, net.dns]
        .into_iter()
        .chain(net.rdp_hosts.iter().copied())
        .collect();
    for _ in 0..bursts {
        let begin = start_us + rng.below(days * 86_400 - 600) as i64 * 1_000_000;
        let span_us = rng.range(60, 120) as i64 * 1_000_000;
        let hosts = rng.range(1, 2);
        let per_host = VERTICAL_BURST_ROWS / hosts;
        let sport = ephemeral(rng);
        let mut ports: Vec<u16> =
            (1..=1024).chain([1433, 3306, 3389, 5432, 5900, 8000, 8080, 8443]).collect();
        for i in (1..ports.len()).rev() {
            ports.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut left = VERTICAL_BURST_ROWS;
        for h in 0..hosts {
            let dst = pick(rng, &targets);
            let n = if h + 1 == hosts { left } else { per_host };
            left -= n;
            for &p in ports.iter().take(n as usize) {
                let mut f = blank;
                f.time_us = begin + rng.below(span_us as u64) as i64;
                f.src = net.scan_v;
                f.dst = dst;
                f.sport = sport;
                f.dport = p;
                f.src_payload = 0;
                f.dst_payload = 0;
                f.src_pkts = 1;
                f.dst_pkts = 1;
                out.push(f);
            }
        }
    }
    truth.scanner_rows[0] = bursts * VERTICAL_BURST_ROWS;
    // Horizontal: one port (445, 3389 or 22) on 800 distinct addresses of 172.10.0-15.x.
    for _ in 0..bursts {
        let begin = start_us + rng.below(days * 86_400 - 600) as i64 * 1_000_000;
        let span_us = rng.range(120, 240) as i64 * 1_000_000;
        let port = [445u16, 3389, 22][rng.below(3) as usize];
        let mut space = net.sweep_space.clone();
        for i in 0..HORIZONTAL_BURST_ROWS as usize {
            let j = i + rng.below((space.len() - i) as u64) as usize;
            space.swap(i, j);
            let mut f = blank;
            f.time_us = begin + rng.below(span_us as u64) as i64;
            f.src = net.scan_h;
            f.dst = space[i];
            f.sport = ephemeral(rng);
            f.dport = port;
            f.dst_pkts = rng.below(2);
            out.push(f);
        }
    }
    truth.scanner_rows[1] = bursts * HORIZONTAL_BURST_ROWS;
    // Exfiltration: every night between 01:00 and 05:00, large uploads over 443.
    let per_night = (opts.rows / (days.max(1) * 2000)).min(40);
    for d in 0..days as i64 {
        for _ in 0..per_night {
            let mut f = blank;
            f.time_us = start_us + (d * 86_400 + 3600) * 1_000_000 + rng.below(4 * 3_600_000_000) as i64;
            f.src = net.exfil_src;
            f.dst = net.exfil_dst;
            f.sport = ephemeral(rng);
            f.dport = 443;
            f.src_payload = rng.range(20_000_000, 80_000_000);
            f.dst_payload = rng.range(5_000, 20_000);
            f.src_pkts = f.src_payload / 1400 + 1;
            f.dst_pkts = f.dst_payload / 1400 + 1;
            f.duration_secs = rng.range(60, 600) as u32;
            truth.exfil_src_payload_bytes += f.src_payload;
            out.push(f);
        }
    }
    truth.exfil_rows = per_night * days;
    out.sort_by_key(|f| f.time_us);
    out
}

/// Writes `opts.rows` records (plus a header line) in time order and returns what was planted.
///
/// Errors: `InvalidInput` when `days == 0` but rows are requested; otherwise only I/O errors of `out`.
pub fn generate<W: Write>(opts: &GenOptions, out: W) -> io::Result<GroundTruth> {
    if opts.days == 0 && opts.rows > 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "days must be > 0 to generate rows"));
    }
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    let mut rng = Rng::new(opts.seed);
    let net = Net::build(&mut rng);
    let mut truth = GroundTruth {
        total_rows: opts.rows,
        scanner_ips: [VERTICAL_SCANNER_IP.to_string(), HORIZONTAL_SCANNER_IP.to_string()],
        exfil_src: EXFIL_SRC_IP.to_string(),
        exfil_dst: EXFIL_DST_IP.to_string(),
        start_epoch_secs: opts.start_epoch_secs,
        end_epoch_secs: opts.start_epoch_secs + opts.days as i64 * 86_400,
        ..GroundTruth::default()
    };
    let planted = if opts.days > 0 { planted_rows(&mut rng, &net, opts, &mut truth) } else { Vec::new() };
    let normal_rows = opts.rows.saturating_sub(planted.len() as u64);

    // Hourly weights with a little day-to-day jitter, then an exact split of `normal_rows` by cumulative
    // rounding (sums to exactly `normal_rows`).
    let hours = opts.days as usize * 24;
    let mut weights = Vec::with_capacity(hours);
    for h in 0..hours {
        let t_secs = opts.start_epoch_secs + h as i64 * 3600;
        let hod = t_secs.rem_euclid(86_400) as usize / 3600;
        let weekend = weekday_mon0(t_secs.div_euclid(86_400)) >= 5;
        let base = if weekend { WEEKDAY_HOURS[hod].min(1.0) * WEEKEND_FACTOR } else { WEEKDAY_HOURS[hod] };
        weights.push(base * (0.95 + 0.1 * rng.unit()));
    }
    let total_w: f64 = weights.iter().sum();
    let mut cum_w = 0.0;
    let mut prev = 0u64;

    let mix_total: u64 = SERVICE_MIX.iter().map(|(w, _)| *w as u64).sum();
    let mut hour_rows: Vec<Flow> = Vec::new();
    let mut line = Vec::with_capacity(1 << 16);
    let mut clock = Clock::new();
    let mut planted_i = 0usize;
    out.write_all(VAST_HEADER.as_bytes())?;
    out.write_all(b"\n")?;
    for (h, w) in weights.iter().enumerate() {
        cum_w += w;
        let upto =
            if h + 1 == hours { normal_rows } else { (normal_rows as f64 * cum_w / total_w).round() as u64 };
        let n = upto.saturating_sub(prev);
        prev = prev.max(upto);
        let hour_start_us = (opts.start_epoch_secs + h as i64 * 3600) * 1_000_000;
        let hour_end_us = hour_start_us + 3_600_000_000;
        hour_rows.clear();
        for _ in 0..n {
            let t = hour_start_us + rng.below(3_600_000_000) as i64;
            let mut r = rng.below(mix_total) as u32;
            let mut svc = SERVICE_MIX[0].1;
            for (wgt, s) in SERVICE_MIX.iter() {
                if r < *wgt {
                    svc = *s;
                    break;
                }
                r -= wgt;
            }
            let (mut f, invertible) = normal_flow(&mut rng, &net, svc, t);
            if invertible && rng.chance_per_mille(INVERT_PER_MILLE) {
                f.swap();
                truth.inverted += 1;
                *truth.inverted_by_port.entry(f.sport as i32).or_insert(0) += 1;
            }
            if f.proto != TCP && f.proto != UDP {
                truth.port0_other += 1;
            }
            hour_rows.push(f);
        }
        while planted_i < planted.len() && planted[planted_i].time_us < hour_end_us {
            hour_rows.push(planted[planted_i]);
            planted_i += 1;
        }
        // Stable sort: ties keep generation order, so the output is fully determined.
        hour_rows.sort_by_key(|f| f.time_us);
        let hod = h % 24;
        let weekday = weekday_mon0(hour_start_us.div_euclid(86_400_000_000)) < 5;
        if weekday && hod == 12 {
            truth.noon_spike_rows += hour_rows.len() as u64;
        } else if weekday && hod == 11 {
            truth.noon_baseline_rows += hour_rows.len() as u64;
        } else if !weekday {
            truth.weekend_rows += hour_rows.len() as u64;
        }
        for f in &hour_rows {
            write_flow(&mut line, &mut clock, &net.ips, f);
            if line.len() > (1 << 16) - 512 {
                out.write_all(&line)?;
                line.clear();
            }
        }
    }
    out.write_all(&line)?;
    out.flush()?;
    Ok(truth)
}

/// Markdown for `sample_data/README.md`: what the file is, how it was made and the planted ground truth
/// with exact counts and how to recount each figure from the CSV.
pub fn ground_truth_markdown(opts: &GenOptions, truth: &GroundTruth) -> String {
    let mut s = String::new();
    let ports: Vec<String> = GEN_SERVICE_PORTS.iter().map(|p| p.to_string()).collect();
    let by_port: Vec<String> = truth.inverted_by_port.iter().map(|(p, n)| format!("{p}: {n}")).collect();
    let pct = |n: u64| {
        if truth.total_rows == 0 {
            0.0
        } else {
            100.0 * n as f64 / truth.total_rows as f64
        }
    };
    s.push_str("# Synthetic netflow sample (VAST 2013 MC3 layout)\n\n");
    s.push_str(&format!(
        "Generated by `brushfire::data::generate` with rows = {}, seed = {}, start = {} (epoch seconds, UTC), \
         days = {}. Same parameters give byte-identical output on every machine.\n\n",
        opts.rows, opts.seed, opts.start_epoch_secs, opts.days
    ));
    s.push_str(
        "Columns: the 19 VAST 2013 MC3 columns with a header row. TimeSeconds is UTC epoch seconds with \
         microseconds; parsedDate (`YYYY-MM-DD HH:MM:SS`) and dateTimeStr (`YYYYMMDDHHMMSS`) are the same \
         instant in UTC, truncated to the second. Rows are sorted by time. Internal network: clients \
         172.10.1-8.x, servers 172.10.0.x and 10.0.x.x; everything else is external.\n\n",
    );
    s.push_str(
        "Seasonality (normal, not anomalies): weekday business hours (08:00-17:00 UTC) are busiest, nights \
         are quiet, weekends carry about a quarter of the weekday volume.\n\n## Planted ground truth\n\n",
    );
    s.push_str("| what | exact count | how to recount from the CSV |\n|---|---|---|\n");
    s.push_str(&format!("| rows | {} | data lines |\n", truth.total_rows));
    s.push_str(&format!(
        "| inverted records (collector swapped source and destination) | {} ({:.2}%) | TCP/UDP, \
         firstSeenSrcPort in {{{}}} and firstSeenDestPort > 1024 (no normal record has that shape) |\n",
        truth.inverted,
        pct(truth.inverted),
        ports.join(", ")
    ));
    s.push_str(&format!(
        "| inverted, by source port | {} | as above, grouped by firstSeenSrcPort |\n",
        by_port.join(", ")
    ));
    s.push_str(&format!(
        "| ICMP / OTHER records with ports 0 | {} ({:.2}%) | ipLayerProtocolCode not TCP/UDP (all have \
         both ports 0) |\n",
        truth.port0_other,
        pct(truth.port0_other)
    ));
    s.push_str(&format!(
        "| vertical scanner {} ({} bursts of ~1000 records: ports 1-1024 and common high ports on 1-2 hosts \
         within 1-2 minutes) | {} | firstSeenSrcIp = {} |\n",
        truth.scanner_ips[0], truth.scanner_bursts[0], truth.scanner_rows[0], truth.scanner_ips[0]
    ));
    s.push_str(&format!(
        "| horizontal scanner {} ({} bursts of 800 records: one of 445/3389/22 on 800 addresses of \
         172.10.0-15.x within 2-4 minutes) | {} | firstSeenSrcIp = {} |\n",
        truth.scanner_ips[1], truth.scanner_bursts[1], truth.scanner_rows[1], truth.scanner_ips[1]
    ));
    s.push_str(&format!(
        "| night exfiltration {} -> {} (TCP 443, 20-80 MB each, 01:00-05:00 UTC every night; the source is \
         an ordinary client by day) | {} rows, {} source payload bytes | firstSeenSrcIp = {} and \
         firstSeenDestIp = {} |\n",
        truth.exfil_src,
        truth.exfil_dst,
        truth.exfil_rows,
        truth.exfil_src_payload_bytes,
        truth.exfil_src,
        truth.exfil_dst
    ));
    s.push_str(&format!(
        "| weekday lunch spike 12:00-13:00 UTC (normal seasonality, not an attack) | {} rows | weekday rows \
         with hour 12; compare with {} rows at hour 11 |\n",
        truth.noon_spike_rows, truth.noon_baseline_rows
    ));
    s.push_str(&format!("| weekend rows (Saturday, Sunday) | {} | |\n", truth.weekend_rows));
    s.push_str(
        "\nNormal clients use ephemeral source ports 32768-65535 towards services on \
         21/22/25/53/80/88/123/389/443/445/993/1984/3389/8080/8443; NetBIOS (137/138) and server-to-server \
         NTP (123) use the service port on both sides; SSDP (1900) and LLMNR (5355) go to multicast groups.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsed fields of one CSV line that the recount needs.
    struct Row {
        time_s: f64,
        parsed: String,
        compact: String,
        proto: i64,
        code: String,
        src: String,
        dst: String,
        sport: i64,
        dport: i64,
        src_payload: u64,
    }

    fn parse(csv: &str) -> Vec<Row> {
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some(VAST_HEADER));
        lines
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                assert_eq!(c.len(), 19, "line {l}");
                Row {
                    time_s: c[0].parse().expect("time"),
                    parsed: c[1].to_string(),
                    compact: c[2].to_string(),
                    proto: c[3].parse().expect("proto"),
                    code: c[4].to_string(),
                    src: c[5].to_string(),
                    dst: c[6].to_string(),
                    sport: c[7].parse().expect("sport"),
                    dport: c[8].parse().expect("dport"),
                    src_payload: c[12].parse().expect("payload"),
                }
            })
            .collect()
    }

    fn gen(rows: u64, seed: u64) -> (String, GroundTruth) {
        let opts = GenOptions { rows, seed, ..GenOptions::default() };
        let mut buf = Vec::new();
        let truth = generate(&opts, &mut buf).expect("generate");
        (String::from_utf8(buf).expect("utf8"), truth)
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(DEFAULT_START_EPOCH_SECS / 86_400), (2013, 4, 1));
        assert_eq!(weekday_mon0(DEFAULT_START_EPOCH_SECS / 86_400), 0);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn recount_matches_ground_truth() {
        let (csv, t) = gen(250_000, 7);
        let rows = parse(&csv);
        assert_eq!(rows.len() as u64, 250_000);
        assert_eq!(t.total_rows, 250_000);
        let start = DEFAULT_START_EPOCH_SECS as f64;
        let end = start + 14.0 * 86_400.0;
        let mut prev = f64::MIN;
        let (mut inv, mut p0, mut sv, mut sh, mut ex, mut ex_bytes, mut noon, mut eleven, mut wkend) =
            (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
        let mut fractional = 0;
        for r in &rows {
            assert!(r.time_s >= prev, "sorted");
            prev = r.time_s;
            assert!(r.time_s >= start && r.time_s < end);
            if r.time_s.fract() != 0.0 {
                fractional += 1;
            }
            let secs = r.time_s.floor() as i64;
            let hod = secs.rem_euclid(86_400) / 3600;
            let weekday = weekday_mon0(secs.div_euclid(86_400)) < 5;
            // parsedDate/dateTimeStr are the same instant in UTC, zero padded.
            assert_eq!(r.parsed.len(), 19);
            assert_eq!(r.compact.len(), 14);
            assert_eq!(r.compact[8..10].parse::<i64>().expect("hour"), hod);
            assert_eq!(r.parsed[11..13].parse::<i64>().expect("hour"), hod);
            let tcp_udp = r.code == "TCP" || r.code == "UDP";
            assert_eq!(r.code == "TCP", r.proto == 6);
            if tcp_udp && GEN_SERVICE_PORTS.contains(&(r.sport as u16)) && r.dport > 1024 {
                inv += 1;
            }
            if !tcp_udp {
                assert_eq!((r.sport, r.dport), (0, 0));
                p0 += 1;
            }
            if r.src == VERTICAL_SCANNER_IP {
                sv += 1;
            }
            if r.src == HORIZONTAL_SCANNER_IP {
                sh += 1;
            }
            assert_ne!(r.dst, VERTICAL_SCANNER_IP);
            if r.src == EXFIL_SRC_IP && r.dst == EXFIL_DST_IP {
                ex += 1;
                ex_bytes += r.src_payload;
                assert!((1..5).contains(&hod));
                assert!(r.src_payload >= 20_000_000);
            } else {
                assert_ne!(r.dst, EXFIL_DST_IP);
            }
            if weekday && hod == 12 {
                noon += 1;
            }
            if weekday && hod == 11 {
                eleven += 1;
            }
            if !weekday {
                wkend += 1;
            }
        }
        assert!(fractional > rows.len() / 2);
        assert_eq!(inv, t.inverted);
        assert_eq!(t.inverted_by_port.values().sum::<u64>(), t.inverted);
        assert_eq!(p0, t.port0_other);
        assert_eq!([sv, sh], t.scanner_rows);
        assert_eq!(t.scanner_rows, [2000, 1600]);
        assert_eq!(ex, t.exfil_rows);
        assert_eq!(ex_bytes, t.exfil_src_payload_bytes);
        assert_eq!(noon, t.noon_spike_rows);
        assert_eq!(eleven, t.noon_baseline_rows);
        assert_eq!(wkend, t.weekend_rows);
        // Planted effects have the advertised size.
        let inv_pct = inv as f64 / rows.len() as f64;
        assert!((0.015..0.04).contains(&inv_pct), "inverted share {inv_pct}");
        let spike = noon as f64 / eleven as f64;
        assert!((1.35..1.65).contains(&spike), "noon spike ratio {spike}");
        assert!(p0 > 0 && ex > 0);
        let md = ground_truth_markdown(&GenOptions { rows: 250_000, seed: 7, ..GenOptions::default() }, &t);
        assert!(md.contains(&format!("| {} (", t.inverted)));
    }

    #[test]
    fn deterministic_and_seed_sensitive() {
        let (a, ta) = gen(30_000, 42);
        let (b, tb) = gen(30_000, 42);
        let (c, _) = gen(30_000, 43);
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        assert_ne!(a, c);
        // Pin the stream so a change of PRNG or formatting is noticed (same bytes on every machine).
        let second = a.lines().nth(1).expect("row");
        assert!(second.starts_with("1364774"), "{second}");
        let fnv =
            a.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        assert_eq!(fnv, 16_197_114_223_370_272_383, "output fingerprint changed");
    }

    #[test]
    fn tiny_and_degenerate_sizes() {
        for rows in [0u64, 1, 2, 17, 999] {
            let (csv, t) = gen(rows, 1);
            assert_eq!(csv.lines().count() as u64, rows + 1);
            assert_eq!(t.total_rows, rows);
        }
        let opts = GenOptions { rows: 5, seed: 1, start_epoch_secs: 0, days: 0 };
        assert!(generate(&opts, Vec::new()).is_err());
        let opts = GenOptions { rows: 0, seed: 1, start_epoch_secs: 0, days: 0 };
        assert!(generate(&opts, Vec::new()).is_ok());
        let opts = GenOptions { rows: 50, seed: 1, start_epoch_secs: 0, days: 1 };
        let mut buf = Vec::new();
        generate(&opts, &mut buf).expect("one day");
        let text = String::from_utf8(buf).expect("utf8");
        assert!(text.lines().nth(1).expect("row").contains(",1970-01-01 "));
    }
}
