//! IP-prefix grouping (used by the address-space treemap preset, `dst_ip` /16 > /24 > host, and by
//! the linking engine to evaluate prefix clauses). Lives in `data/` so `linking/` never imports a view.
//!
//! Levels:
//! - IPv4: `/16` > `/24` > host, e.g. `["10.1.0.0/16", "10.1.2.0/24", "10.1.2.3"]`.
//! - IPv6: `/32` > `/48` > host. /32 is the usual RIR-to-ISP allocation and /48 the usual site
//!   allocation, so they play the role that /16 and /24 play for v4 (a /64 level would mostly
//!   produce one child per /48 and waste a nesting level).
//! - IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is treated as the IPv4 address it carries, so the same
//!   host lands in the same tile whichever way the sensor printed it.
//! - Anything that does not parse as an address (MAC addresses, "-", empty, hostnames) goes to the
//!   group [`NON_IP`].
//!
//! Accepted spellings beyond `std::net` parsing: surrounding whitespace, `[v6]` brackets and a v6
//! zone suffix (`fe80::1%eth0`, as Zeek/Argus print link-local addresses). The zone is dropped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Group name for values that are not IP addresses.
pub const NON_IP: &str = "non-IP";

/// Prefix lengths of the first two hierarchy levels.
pub const V4_LEVELS: [u8; 2] = [16, 24];
pub const V6_LEVELS: [u8; 2] = [32, 48];

/// Parse an address leniently (see module docs); IPv4-mapped v6 comes back as v4.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
    // Only v6 addresses carry a zone; `split` on a v4 string without '%' is a no-op.
    let s = s.split('%').next().unwrap_or(s);
    let ip: IpAddr = s.parse().ok()?;
    Some(canonical(ip))
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn mask_v4(ip: Ipv4Addr, len: u8) -> Ipv4Addr {
    let len = len.min(32) as u32;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Ipv4Addr::from(u32::from(ip) & mask)
}

fn mask_v6(ip: Ipv6Addr, len: u8) -> Ipv6Addr {
    let len = len.min(128) as u32;
    let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
    Ipv6Addr::from(u128::from(ip) & mask)
}

/// Network prefix of `ip` as `"10.1.0.0/16"` / `"2001:db8::/32"`; `None` if `ip` is not an address.
/// The length is clamped to the family's width (33 on v4 means /32). Mapped v6 is treated as v4, so
/// the length then counts v4 bits.
pub fn prefix_key(ip: &str, prefix_len: u8) -> Option<String> {
    match parse_ip(ip)? {
        IpAddr::V4(v4) => {
            let len = prefix_len.min(32);
            Some(format!("{}/{}", mask_v4(v4, len), len))
        }
        IpAddr::V6(v6) => {
            let len = prefix_len.min(128);
            Some(format!("{}/{}", mask_v6(v6, len), len))
        }
    }
}

/// Parse `"10.1.0.0/16"` (or a bare address = host prefix) into the network address and length.
/// Host bits set in the network part are ignored (`10.1.2.3/16` means `10.1.0.0/16`).
pub fn parse_prefix(prefix: &str) -> Option<(IpAddr, u8)> {
    let prefix = prefix.trim();
    let (addr, len) = match prefix.rsplit_once('/') {
        Some((a, l)) => (a, Some(l.trim().parse::<u8>().ok()?)),
        None => (prefix, None),
    };
    let raw: IpAddr = {
        let a = addr.trim();
        let a = a.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(a);
        a.parse().ok()?
    };
    // A mapped network like ::ffff:10.0.0.0/104 is the v4 network 10.0.0.0/8.
    match (raw, canonical(raw)) {
        (IpAddr::V6(_), IpAddr::V4(v4)) => {
            let len = match len {
                Some(l) if !(96..=128).contains(&l) => return None,
                Some(l) => l - 96,
                None => 32,
            };
            Some((IpAddr::V4(mask_v4(v4, len)), len))
        }
        (_, IpAddr::V4(v4)) => {
            let len = len.unwrap_or(32);
            (len <= 32).then(|| (IpAddr::V4(mask_v4(v4, len)), len))
        }
        (_, IpAddr::V6(v6)) => {
            let len = len.unwrap_or(128);
            (len <= 128).then(|| (IpAddr::V6(mask_v6(v6, len)), len))
        }
    }
}

/// Whether `ip` lies in `prefix` (for a selection clause `dst_ip in 10.1.0.0/16`).
/// False for non-IP input, malformed prefixes, or mixed families.
pub fn ip_in_prefix(ip: &str, prefix: &str) -> bool {
    match (parse_ip(ip), parse_prefix(prefix)) {
        (Some(addr), Some(net)) => addr_in_prefix(addr, net),
        _ => false,
    }
}

/// [`ip_in_prefix`] for an address and a prefix already parsed (`parse_ip`, `parse_prefix`):
/// for one prefix tested against many addresses.
pub fn addr_in_prefix(addr: IpAddr, (net, len): (IpAddr, u8)) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => mask_v4(a, len) == n,
        (IpAddr::V6(a), IpAddr::V6(n)) => mask_v6(a, len) == n,
        _ => false,
    }
}

/// Treemap keys from coarse to fine: v4 `[/16, /24, host]`, v6 `[/32, /48, host]`, the host in
/// canonical form (mapped v6 printed as v4, zone dropped). Non-IP values give
/// `["non-IP", "non-IP", value]` (value trimmed; `"(empty)"` for an empty string) so they still get
/// per-value leaves under one group.
pub fn hierarchy_levels(ip: &str) -> [String; 3] {
    match parse_ip(ip) {
        Some(IpAddr::V4(v4)) => [
            format!("{}/{}", mask_v4(v4, V4_LEVELS[0]), V4_LEVELS[0]),
            format!("{}/{}", mask_v4(v4, V4_LEVELS[1]), V4_LEVELS[1]),
            v4.to_string(),
        ],
        Some(IpAddr::V6(v6)) => [
            format!("{}/{}", mask_v6(v6, V6_LEVELS[0]), V6_LEVELS[0]),
            format!("{}/{}", mask_v6(v6, V6_LEVELS[1]), V6_LEVELS[1]),
            v6.to_string(),
        ],
        None => {
            let t = ip.trim();
            let leaf = if t.is_empty() { "(empty)".to_string() } else { t.to_string() };
            [NON_IP.to_string(), NON_IP.to_string(), leaf]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_keys() {
        assert_eq!(prefix_key("10.1.2.3", 16).as_deref(), Some("10.1.0.0/16"));
        assert_eq!(prefix_key("10.1.2.3", 24).as_deref(), Some("10.1.2.0/24"));
        assert_eq!(prefix_key(" 10.1.2.3 ", 32).as_deref(), Some("10.1.2.3/32"));
        assert_eq!(prefix_key("10.1.2.3", 40).as_deref(), Some("10.1.2.3/32"));
        assert_eq!(prefix_key("10.1.2.3", 0).as_deref(), Some("0.0.0.0/0"));
        assert_eq!(prefix_key("192.168.255.77", 20).as_deref(), Some("192.168.240.0/20"));
        assert_eq!(hierarchy_levels("147.32.80.9"), ["147.32.0.0/16", "147.32.80.0/24", "147.32.80.9"]);
    }

    #[test]
    fn v6_keys() {
        assert_eq!(prefix_key("2001:db8:1234:5678::1", 32).as_deref(), Some("2001:db8::/32"));
        assert_eq!(prefix_key("2001:db8:1234:5678::1", 48).as_deref(), Some("2001:db8:1234::/48"));
        assert_eq!(prefix_key("[2001:db8::1]", 200).as_deref(), Some("2001:db8::1/128"));
        assert_eq!(
            hierarchy_levels("2001:DB8:1234:5678:0:0:0:1"),
            ["2001:db8::/32", "2001:db8:1234::/48", "2001:db8:1234:5678::1"]
        );
        // Zone suffix as Zeek prints link-local addresses.
        assert_eq!(hierarchy_levels("fe80::1cf4:44d2:904a:14f7%en0")[2], "fe80::1cf4:44d2:904a:14f7");
        assert_eq!(hierarchy_levels("ff02::1:3"), ["ff02::/32", "ff02::/48", "ff02::1:3"]);
    }

    #[test]
    fn mapped_is_v4() {
        assert_eq!(prefix_key("::ffff:10.1.2.3", 16).as_deref(), Some("10.1.0.0/16"));
        assert_eq!(hierarchy_levels("::ffff:10.1.2.3"), hierarchy_levels("10.1.2.3"));
        assert!(ip_in_prefix("::ffff:10.1.2.3", "10.1.0.0/16"));
        assert!(ip_in_prefix("10.1.2.3", "::ffff:10.1.0.0/112"));
        assert!(!ip_in_prefix("10.2.2.3", "::ffff:10.1.0.0/112"));
        // IPv4-compatible (deprecated, ::a.b.c.d) is NOT mapped: stays v6.
        assert_eq!(hierarchy_levels("::10.1.2.3")[0], "::/32");
    }

    #[test]
    fn membership() {
        assert!(ip_in_prefix("10.1.2.3", "10.1.0.0/16"));
        assert!(ip_in_prefix("10.1.255.255", "10.1.0.0/16"));
        assert!(!ip_in_prefix("10.2.0.0", "10.1.0.0/16"));
        assert!(ip_in_prefix("10.1.2.3", "10.1.2.3"));
        assert!(!ip_in_prefix("10.1.2.4", "10.1.2.3"));
        assert!(ip_in_prefix("1.2.3.4", "0.0.0.0/0"));
        assert!(ip_in_prefix("10.1.2.3", "10.1.9.9/16"), "host bits in the prefix are ignored");
        assert!(ip_in_prefix("2001:db8:1::5", "2001:db8::/32"));
        assert!(!ip_in_prefix("2001:db9::5", "2001:db8::/32"));
        assert!(!ip_in_prefix("10.1.2.3", "::/0"), "families do not mix");
        assert!(!ip_in_prefix("2001:db8::1", "0.0.0.0/0"));
        // Round trip: every level contains the address.
        for ip in ["10.1.2.3", "2001:db8:aa:bb::7", "::ffff:192.168.1.9"] {
            for level in &hierarchy_levels(ip)[..2] {
                assert!(ip_in_prefix(ip, level), "{ip} in {level}");
            }
            assert!(ip_in_prefix(ip, &hierarchy_levels(ip)[2]));
        }
    }

    #[test]
    fn garbage() {
        for s in [
            "",
            "-",
            "(empty)",
            "00:0c:29:aa:bb:cc",
            "example.com",
            "10.1.2",
            "10.1.2.3.4",
            "256.1.1.1",
            "10.1.2.3:80",
            "::ffff:999.1.1.1",
            "[::1",
            "%",
            "\u{0}\u{ff}é",
        ] {
            assert_eq!(prefix_key(s, 16), None, "{s:?}");
            assert!(!ip_in_prefix(s, "0.0.0.0/0"));
            assert_eq!(hierarchy_levels(s)[0], NON_IP);
        }
        assert_eq!(hierarchy_levels("  "), [NON_IP, NON_IP, "(empty)"]);
        assert_eq!(hierarchy_levels(" - "), [NON_IP, NON_IP, "-"]);
        for p in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "/16", "::/129", "::ffff:0.0.0.0/95", "", "//"] {
            assert!(!ip_in_prefix("10.0.0.1", p), "{p}");
            assert!(!ip_in_prefix("::1", p), "{p}");
        }
        // Byte-level fuzz: never panics.
        let mut x: u64 = 12345;
        for _ in 0..5000 {
            let mut s = Vec::new();
            for _ in 0..(x % 24) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                s.push(b"0123456789abcdef:./%[] \xff"[(x >> 33) as usize % 24]);
            }
            let s = String::from_utf8_lossy(&s);
            let _ = prefix_key(&s, (x % 140) as u8);
            let _ = hierarchy_levels(&s);
            let _ = ip_in_prefix(&s, &s);
        }
    }
}
