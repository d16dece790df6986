//! pfSense `filterlog` CSV payloads, following the Netgate "Raw Filter Log Format" page:
//! common fields (rule, sub rule, anchor, tracker, interface, reason, action, direction, IP
//! version), then IPv4 (TOS, ECN, TTL, ID, offset, flags, protocol id, protocol text) or IPv6
//! (class, flow label, hop limit, protocol text, protocol id), then length, source, destination,
//! then protocol data (TCP/UDP ports, data length, TCP flags/seq/ack/window/urg/options; ICMP type
//! and type-specific data; CARP fields).

use super::{int_or_str, port_value, push_proto, put};
use crate::data::record::{Record, Value};

pub(crate) const MAPPINGS: &[(&str, &str)] = &[
    ("rule number", "rule"),
    ("tracker", "tracker"),
    ("interface", "in_iface / out_iface (by direction)"),
    ("reason", "reason"),
    ("action", "action"),
    ("direction", "direction"),
    ("protocol id / text", "ip_proto / proto"),
    ("length", "ip_len, bytes_sent"),
    ("source / destination", "src_ip / dst_ip"),
    ("source / destination port", "src_port / dst_port"),
    ("tcp flags", "tcp_flags"),
];

/// Parse the CSV after "filterlog[pid]: ".
pub(crate) fn enrich(rec: &mut Record, csv: &str) -> Result<(), String> {
    let f: Vec<&str> = csv.trim().split(',').collect();
    let get = |i: usize| f.get(i).copied().unwrap_or("");
    if f.len() < 9 {
        return Err(format!("pfSense filterlog: expected at least 9 common fields, got {}", f.len()));
    }
    let text = |rec: &mut Record, name: &str, v: &str| {
        if !v.is_empty() {
            put(rec, name, Value::Str(v.to_string()));
        }
    };
    text(rec, "rule", get(0));
    text(rec, "sub_rule", get(1));
    text(rec, "anchor", get(2));
    text(rec, "tracker", get(3));
    let iface = get(4);
    text(rec, "reason", get(5));
    text(rec, "action", &get(6).to_ascii_lowercase());
    let dir = get(7);
    text(rec, "direction", dir);
    match dir {
        "in" => text(rec, "in_iface", iface),
        "out" => text(rec, "out_iface", iface),
        _ => text(rec, "iface", iface),
    }
    let ipver = get(8);
    put(rec, "ip_version", int_or_str(ipver));
    let (proto_id, next) = match ipver {
        "4" => {
            if f.len() < 20 {
                return Err(format!(
                    "pfSense filterlog: expected at least 20 fields for IPv4, got {}",
                    f.len()
                ));
            }
            text(rec, "tos", get(9));
            text(rec, "ecn", get(10));
            put(rec, "ttl", int_or_str(get(11)));
            put(rec, "ip_id", int_or_str(get(12)));
            text(rec, "ip_offset", get(13));
            text(rec, "ip_flags", get(14));
            (get(15), 17)
        }
        "6" => {
            if f.len() < 17 {
                return Err(format!(
                    "pfSense filterlog: expected at least 17 fields for IPv6, got {}",
                    f.len()
                ));
            }
            text(rec, "ip6_class", get(9));
            text(rec, "flow_label", get(10));
            put(rec, "hop_limit", int_or_str(get(11)));
            (get(13), 14)
        }
        other => return Err(format!("pfSense filterlog: expected IP version 4 or 6, got '{other}'")),
    };
    push_proto(rec, proto_id);
    put(rec, "ip_len", int_or_str(get(next)));
    put(rec, "bytes_sent", int_or_str(get(next)));
    text(rec, "src_ip", get(next + 1));
    text(rec, "dst_ip", get(next + 2));
    let p = next + 3;
    match proto_id {
        "6" | "17" => {
            if f.len() < p + 3 {
                return Err(format!(
                    "pfSense filterlog: expected ports and data length, got {} fields",
                    f.len()
                ));
            }
            put(rec, "src_port", port_value(get(p)));
            put(rec, "dst_port", port_value(get(p + 1)));
            put(rec, "data_len", int_or_str(get(p + 2)));
            if proto_id == "6" {
                text(rec, "tcp_flags", get(p + 3));
                text(rec, "tcp_seq", get(p + 4));
                text(rec, "tcp_ack", get(p + 5));
                text(rec, "tcp_window", get(p + 6));
                text(rec, "tcp_urg", get(p + 7));
                text(rec, "tcp_options", get(p + 8));
            }
        }
        "1" | "58" => {
            let icmp_type = get(p);
            text(rec, "icmp_type", icmp_type);
            // Type-specific data ("request"/"reply": id, seq; "unreachport": dst, proto, port, ...).
            match icmp_type {
                "request" | "reply" => {
                    put(rec, "icmp_id", int_or_str(get(p + 1)));
                    put(rec, "icmp_seq", int_or_str(get(p + 2)));
                }
                _ => {
                    let data = f.get(p + 1..).map(|s| s.join(",")).unwrap_or_default();
                    text(rec, "icmp_data", &data);
                }
            }
        }
        "112" => {
            text(rec, "carp_type", get(p));
            text(rec, "carp_ttl", get(p + 1));
            text(rec, "vhid", get(p + 2));
            text(rec, "carp_version", get(p + 3));
            text(rec, "advbase", get(p + 4));
            text(rec, "advskew", get(p + 5));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::data::formats::text::syslog::parse_syslog_str;
    use crate::data::record::{ParseContext, Record, Value};

    fn p(line: &str) -> Record {
        parse_syslog_str(line, &ParseContext::default()).expect("envelope parses")
    }

    // Hand-written lines following the Netgate raw filter log format.
    #[test]
    fn ipv4_tcp_block() {
        let r = p("Mar 24 08:59:37 pfsense filterlog[6789]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,12345,0,DF,6,tcp,60,203.0.113.5,192.168.1.10,51514,22,0,S,1234567890,,64240,,mss;sackOK;TS;nop;wscale");
        assert_eq!(r.get("log_type"), Some(&Value::Str("pfsense".into())));
        assert_eq!(r.get("action"), Some(&Value::Str("block".into())));
        assert_eq!(r.get("in_iface"), Some(&Value::Str("em0".into())));
        assert_eq!(r.get("tracker"), Some(&Value::Str("1000000103".into())));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("203.0.113.5".into())));
        assert_eq!(r.get("dst_ip"), Some(&Value::Str("192.168.1.10".into())));
        assert_eq!(r.get("src_port"), Some(&Value::Int(51514)));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(22)));
        assert_eq!(r.get("proto"), Some(&Value::Str("tcp".into())));
        assert_eq!(r.get("ip_proto"), Some(&Value::Int(6)));
        assert_eq!(r.get("tcp_flags"), Some(&Value::Str("S".into())));
        assert_eq!(r.get("ip_len"), Some(&Value::Int(60)));
        assert_eq!(r.get("parse_error"), None);
    }

    #[test]
    fn ipv4_udp_ipv6_icmp() {
        let r = p("Mar 24 08:59:37 pfsense filterlog[1]: 9,,,1000000105,em1,match,pass,out,4,0x0,,64,0,0,none,17,udp,76,192.168.1.10,198.51.100.1,123,123,56");
        assert_eq!(r.get("out_iface"), Some(&Value::Str("em1".into())));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(123)));
        assert_eq!(r.get("data_len"), Some(&Value::Int(56)));
        let r = p("Mar 24 08:59:37 pfsense filterlog[1]: 7,,,1000000105,em0,match,pass,in,6,0x00,0x00000,255,ipv6-icmp,58,32,fe80::1,ff02::1:ff00:1,");
        assert_eq!(r.get("src_ip"), Some(&Value::Str("fe80::1".into())));
        assert_eq!(r.get("ip_proto"), Some(&Value::Int(58)));
        assert_eq!(r.get("hop_limit"), Some(&Value::Int(255)));
        let r = p("Mar 24 08:59:37 pfsense filterlog[1]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,1,0,none,1,icmp,84,203.0.113.5,192.168.1.1,request,1295,1");
        assert_eq!(r.get("icmp_type"), Some(&Value::Str("request".into())));
        assert_eq!(r.get("icmp_id"), Some(&Value::Int(1295)));
        let r = p("Mar 24 08:59:37 pfsense filterlog[1]: 5,,,1000000103,em0,match,block,in,6,0x00,0x00000,64,UDP,17,40,2001:db8::1,2001:db8::2,5353,5353,32");
        assert_eq!(r.get("src_port"), Some(&Value::Int(5353)));
        assert_eq!(r.get("proto"), Some(&Value::Str("udp".into())));
    }

    #[test]
    fn wrong_field_counts_keep_record_with_error() {
        for bad in [
            "Mar 24 08:59:37 pfsense filterlog[1]: 5,,,1000000103,em0",
            "Mar 24 08:59:37 pfsense filterlog[1]: 5,,,1000000103,em0,match,block,in,4,0x0,,64",
            "Mar 24 08:59:37 pfsense filterlog[1]: 5,,,1000000103,em0,match,block,in,9,0x0",
            "Mar 24 08:59:37 pfsense filterlog[1]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,1.2.3.4,5.6.7.8,1",
        ] {
            let r = p(bad);
            assert!(matches!(r.get("parse_error"), Some(Value::Str(_))), "{bad}");
            assert_eq!(r.get("log_type"), Some(&Value::Str("pfsense".into())));
        }
    }
}
