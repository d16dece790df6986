//! A small deterministic netflow sample with a planted botnet, for the "Draw the botnet" lesson:
//! ordinary office clients browsing and resolving names, and a handful of infected clients that
//! beacon to one command-and-control address every five minutes, day and night. Same VAST 2013
//! MC3 layout (and row writer) as [`super::generate`]; the truth is in [`BotnetTruth`] and
//! sample_data/README.md.
use super::generate::{write_flow, Clock, Flow, Rng, DEFAULT_START_EPOCH_SECS, VAST_HEADER};
use std::io::{self, Write};

/// The command-and-control address the bots beacon to.
pub const BOTNET_CNC_IP: &str = "203.0.113.200";
/// The port of the beacons (IRC, as the Neris bot of CTU-13 uses).
pub const BOTNET_CNC_PORT: u16 = 6667;
/// The infected clients.
pub const BOTNET_BOTS: [&str; 6] =
    ["172.10.1.13", "172.10.1.21", "172.10.1.34", "172.10.1.42", "172.10.1.47", "172.10.1.55"];
const CLIENTS: u32 = 50;
const EXT_WEB: u32 = 25;
const DAYS: i64 = 2;
const BEACON_EVERY_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotnetTruth {
    pub rows: u64,
    pub beacon_rows: u64,
    pub start_epoch_secs: i64,
    pub days: i64,
}

/// Writes the sample (header and rows in time order). Same seed, same bytes.
pub fn generate_botnet<W: Write>(seed: u64, mut out: W) -> io::Result<BotnetTruth> {
    let mut rng = Rng::new(seed);
    // Address table: clients, the DNS server, external web servers, the C&C.
    let mut ips: Vec<Vec<u8>> = (0..CLIENTS).map(|i| format!("172.10.1.{}", 10 + i).into_bytes()).collect();
    let dns = ips.len() as u32;
    ips.push(b"172.10.0.53".to_vec());
    let web0 = ips.len() as u32;
    ips.extend((0..EXT_WEB).map(|i| format!("198.18.1.{}", 1 + i * 7).into_bytes()));
    let cnc = ips.len() as u32;
    ips.push(BOTNET_CNC_IP.as_bytes().to_vec());
    let bots: Vec<u32> = BOTNET_BOTS
        .iter()
        .map(|b| ips.iter().position(|x| x == b.as_bytes()).expect("bots are clients") as u32)
        .collect();
    let start_us = DEFAULT_START_EPOCH_SECS * 1_000_000;
    let blank = Flow::empty(0, 6);
    let mut flows: Vec<Flow> = Vec::new();
    // Office traffic: business hours, a name lookup before each page.
    for day in 0..DAYS {
        for c in 0..CLIENTS {
            for _ in 0..rng.range(20, 60) {
                let t =
                    start_us + (day * 86_400 + 8 * 3600) * 1_000_000 + rng.below(10 * 3_600_000_000) as i64;
                let mut q = blank;
                q.time_us = t;
                q.proto = 17;
                q.src = c;
                q.dst = dns;
                q.sport = rng.range(49152, 65535) as u16;
                q.dport = 53;
                q.src_payload = rng.range(30, 60);
                q.dst_payload = rng.range(60, 300);
                flows.push(q);
                let mut w = blank;
                w.time_us = t + rng.range(2_000, 40_000) as i64;
                w.src = c;
                w.dst = web0 + rng.below(EXT_WEB as u64) as u32;
                w.sport = rng.range(49152, 65535) as u16;
                w.dport = if rng.below(4) == 0 { 80 } else { 443 };
                w.src_payload = rng.range(400, 4_000);
                w.dst_payload = rng.range(5_000, 900_000);
                w.src_pkts = w.src_payload / 1400 + 2;
                w.dst_pkts = w.dst_payload / 1400 + 2;
                w.duration_secs = rng.range(0, 30) as u32;
                flows.push(w);
            }
        }
    }
    // Beacons: every five minutes (± 10 s) from each bot, all day and night.
    let mut beacon_rows = 0;
    for &b in &bots {
        let phase = rng.below(BEACON_EVERY_SECS as u64) as i64;
        let mut t = phase;
        while t < DAYS * 86_400 {
            let mut f = blank;
            f.time_us = start_us + t * 1_000_000 + rng.below(20_000_000) as i64 - 10_000_000;
            f.time_us = f.time_us.max(start_us);
            f.src = b;
            f.dst = cnc;
            f.sport = rng.range(49152, 65535) as u16;
            f.dport = BOTNET_CNC_PORT;
            f.src_payload = rng.range(120, 180);
            f.dst_payload = rng.range(60, 200);
            f.src_pkts = 3;
            f.dst_pkts = 3;
            flows.push(f);
            beacon_rows += 1;
            t += BEACON_EVERY_SECS;
        }
    }
    flows.sort_by_key(|f| f.time_us);
    out.write_all(VAST_HEADER.as_bytes())?;
    out.write_all(b"\n")?;
    let mut clock = Clock::new();
    let mut line = Vec::with_capacity(1 << 16);
    for f in &flows {
        write_flow(&mut line, &mut clock, &ips, f);
    }
    out.write_all(&line)?;
    out.flush()?;
    Ok(BotnetTruth {
        rows: flows.len() as u64,
        beacon_rows,
        start_epoch_secs: DEFAULT_START_EPOCH_SECS,
        days: DAYS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_deterministic_and_holds_the_planted_beacons() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ta = generate_botnet(15, &mut a).unwrap();
        generate_botnet(15, &mut b).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count() as u64, ta.rows + 1);
        let beacons = text.lines().filter(|l| l.contains(&format!(",{BOTNET_CNC_IP},"))).count() as u64;
        assert_eq!(beacons, ta.beacon_rows);
        // Every bot beacons, nobody else talks to the C&C.
        for bot in BOTNET_BOTS {
            assert!(text.lines().any(|l| l.contains(&format!(",{bot},{BOTNET_CNC_IP},"))), "{bot}");
        }
        let talkers: std::collections::BTreeSet<&str> = text
            .lines()
            .filter(|l| l.contains(&format!(",{BOTNET_CNC_IP},")))
            .filter_map(|l| l.split(',').nth(5))
            .collect();
        assert_eq!(talkers.len(), BOTNET_BOTS.len());
    }
}
