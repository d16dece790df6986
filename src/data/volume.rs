//! Large generated line logs (syslog, JSON lines) for volume runs (`brushfire bench volume`):
//! deterministic, with a known number of broken lines so a load must give exact counts.
use crate::data::fuzz::Rng;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Syslog,
    Json,
}

/// Every `BROKEN_EVERY`-th line is broken (a cut timestamp): it must be a counted rejected line.
pub const BROKEN_EVERY: u64 = 1000;

/// What a generated file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub lines: u64,
    pub broken: u64,
    pub bytes: u64,
}

const USERS: [&str; 8] = ["root", "admin", "oracle", "test", "guest", "ubuntu", "pi", "postgres"];
const HOSTS: [&str; 4] = ["web01", "db01", "bastion", "mail"];

/// Writes `lines` lines of `kind` (years 2020, one line every ~3 s from 1 January UTC).
pub fn write_lines(kind: LineKind, lines: u64, seed: u64, out: impl Write) -> std::io::Result<Generated> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut rng = Rng::new(seed);
    let start_us = crate::data::timeparse::civil_to_us(2020, 1, 1, 0, 0, 0, 0, 0);
    let mut broken = 0;
    let mut bytes = 0u64;
    let mut line = String::with_capacity(256);
    for i in 0..lines {
        line.clear();
        let t = start_us + (i as i64) * 3_000_000 % (300 * 86_400_000_000);
        let secs = t.div_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (secs.rem_euclid(86_400) / 3600, secs.rem_euclid(3600) / 60, secs.rem_euclid(60));
        let ip =
            format!("{}.{}.{}.{}", 1 + rng.below(223), rng.below(256), rng.below(256), 1 + rng.below(254));
        let user = USERS[rng.below(USERS.len())];
        let host = HOSTS[rng.below(HOSTS.len())];
        let port = 1024 + rng.below(60_000);
        let is_broken = (i + 1) % BROKEN_EVERY == 0;
        use std::fmt::Write as _;
        match kind {
            LineKind::Syslog => {
                if is_broken {
                    let _ = write!(line, "{} {d:2} {hh:02}:", MONTHS[m as usize - 1]);
                } else {
                    let _ = write!(
                        line,
                        "{} {d:2} {hh:02}:{mm:02}:{ss:02} {host} sshd[{}]: Failed password for invalid user {user} from {ip} port {port} ssh2",
                        MONTHS[m as usize - 1],
                        1000 + rng.below(60_000)
                    );
                }
            }
            LineKind::Json => {
                let ts = if is_broken {
                    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+1\u{e9}1")
                } else {
                    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
                };
                let _ = write!(
                    line,
                    "{{\"ts\":\"{ts}\",\"host\":\"{host}\",\"src_ip\":\"{ip}\",\"dst_port\":22,\"src_port\":{port},\"user\":\"{user}\",\"event\":\"auth_failure\"}}"
                );
            }
        }
        if is_broken {
            broken += 1;
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
        bytes += line.len() as u64;
    }
    w.flush()?;
    Ok(Generated { lines, broken, bytes })
}

/// (year, month, day) of days since 1970-01-01 (Hinnant).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(18_321), (2020, 2, 29));
        let mut buf = Vec::new();
        let g = write_lines(LineKind::Syslog, 2500, 1, &mut buf).unwrap();
        assert_eq!((g.lines, g.broken, g.bytes), (2500, 2, buf.len() as u64));
        assert_eq!(buf.iter().filter(|b| **b == b'\n').count(), 2500);
    }
}
