//! Inside or outside: the configured local networks, or the private ranges when none are set.
use super::{Cols, DashboardError};
use crate::data::net::{parse_ip, parse_prefix};
use std::collections::HashMap;
use std::net::IpAddr;

/// RFC 1918, unique-local v6, loopback and link-local: a site's own addresses by default.
const PRIVATE: [&str; 7] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
];

#[derive(Debug, Clone)]
pub struct Inside {
    nets: Vec<(IpAddr, u8)>,
}

fn contains(net: (IpAddr, u8), ip: IpAddr) -> bool {
    match (net.0, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let len = net.1.min(32) as u32;
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(a) & mask == u32::from(n)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let len = net.1.min(128) as u32;
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            u128::from(a) & mask == u128::from(n)
        }
        _ => false,
    }
}

impl Inside {
    pub fn private() -> Self {
        Inside { nets: PRIVATE.iter().filter_map(|p| parse_prefix(p)).collect() }
    }

    pub fn from_config(local: &[String]) -> Result<Self, DashboardError> {
        let local: Vec<&String> = local.iter().filter(|s| !s.trim().is_empty()).collect();
        if local.is_empty() {
            return Ok(Self::private());
        }
        let nets = local
            .iter()
            .map(|s| parse_prefix(s).ok_or_else(|| DashboardError::BadNetwork(s.to_string())))
            .collect::<Result<_, _>>()?;
        Ok(Inside { nets })
    }

    pub fn is_inside(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| contains(*n, ip))
    }

    /// A destination that counts as "outside": an address, not inside, and not multicast,
    /// broadcast or unspecified (SSDP to 239.255.255.250 is not traffic leaving the site).
    pub fn is_outside(&self, ip: IpAddr) -> bool {
        let special = match ip {
            IpAddr::V4(v) => v.is_multicast() || v.is_broadcast() || v.is_unspecified(),
            IpAddr::V6(v) => v.is_multicast() || v.is_unspecified(),
        };
        !special && !self.is_inside(ip)
    }

    /// Per row: source inside and destination outside. Addresses repeat, so each distinct
    /// string is classified once.
    pub(crate) fn outbound_rows(&self, c: &Cols) -> Vec<bool> {
        let (Some(src), Some(dst)) = (&c.src_ip, &c.dst_ip) else { return vec![false; c.time.len()] };
        let mut src_memo: HashMap<&str, bool> = HashMap::new();
        let mut dst_memo: HashMap<&str, bool> = HashMap::new();
        src.iter()
            .zip(dst.iter())
            .map(|(s, d)| {
                let (Some(s), Some(d)) = (s, d) else { return false };
                *src_memo.entry(s).or_insert_with(|| parse_ip(s).is_some_and(|ip| self.is_inside(ip)))
                    && *dst_memo.entry(d).or_insert_with(|| parse_ip(d).is_some_and(|ip| self.is_outside(ip)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_and_configured_lists() {
        let p = Inside::private();
        let ip = |s: &str| parse_ip(s).unwrap();
        assert!(
            p.is_inside(ip("10.1.2.3")) && p.is_inside(ip("172.31.0.1")) && p.is_inside(ip("192.168.1.129"))
        );
        assert!(!p.is_inside(ip("172.10.1.1")) && !p.is_inside(ip("172.32.0.1")));
        assert!(
            p.is_outside(ip("8.8.8.8"))
                && !p.is_outside(ip("239.255.255.250"))
                && !p.is_outside(ip("ff02::1"))
        );
        assert!(p.is_inside(ip("::ffff:10.0.0.1")), "a mapped v4 address is the v4 address");
        let c = Inside::from_config(&["172.10.0.0/16".into(), "10.0.0.0/8".into()]).unwrap();
        assert!(c.is_inside(ip("172.10.3.77")) && !c.is_inside(ip("192.168.1.1")));
        assert!(Inside::from_config(&["not-a-net".into()]).is_err());
        assert!(Inside::from_config(&["".into()]).unwrap().is_inside(ip("192.168.0.1")), "blank = private");
    }
}
