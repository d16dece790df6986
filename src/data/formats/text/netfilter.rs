//! Linux netfilter LOG target payloads ("[prefix] IN=eth0 OUT= MAC=... SRC=... DST=... LEN=...
//! ... PROTO=TCP SPT=... DPT=... WINDOW=... RES=0x00 SYN URGP=0").

use super::{int_or_str, push_proto, put};
use crate::data::record::{Record, Value};

pub(crate) const MAPPINGS: &[(&str, &str)] = &[
    ("[prefix]", "rule"),
    ("IN", "in_iface"),
    ("OUT", "out_iface"),
    ("MAC", "mac"),
    ("SRC", "src_ip"),
    ("DST", "dst_ip"),
    ("LEN (1st, IP length)", "ip_len, bytes_sent"),
    ("LEN (2nd, UDP length)", "udp_len"),
    ("ID (1st, IP id)", "ip_id"),
    ("ID (2nd, ICMP id)", "icmp_id"),
    ("PROTO", "proto, ip_proto"),
    ("SPT", "src_port"),
    ("DPT", "dst_port"),
    ("SYN ACK PSH RST FIN URG ECE CWR", "tcp_flags"),
    ("DF MF CE", "ip_flags"),
    ("TYPE / CODE / SEQ", "icmp_type / icmp_code / icmp_seq"),
];

/// A netfilter payload has the IN= interface key and addresses.
pub(crate) fn looks_like(msg: &str) -> bool {
    (msg.starts_with("IN=") || msg.contains(" IN=")) && msg.contains(" SRC=")
}

/// Parse the payload into `rec` (log_type is set by the caller).
pub(crate) fn enrich(rec: &mut Record, msg: &str) {
    let start = if msg.starts_with("IN=") { 0 } else { msg.find(" IN=").map(|i| i + 1).unwrap_or(0) };
    let prefix = msg[..start].trim().trim_end_matches(':').trim();
    if !prefix.is_empty() {
        let rule = prefix.trim_start_matches('[').trim_end_matches(']').trim();
        rec.push_str("rule", rule);
        // Common prefixes name the verdict ("[UFW BLOCK]", "DROP-IN:").
        let upper = rule.to_ascii_uppercase();
        for (word, action) in [
            ("BLOCK", "block"),
            ("DROP", "drop"),
            ("REJECT", "reject"),
            ("DENY", "deny"),
            ("ACCEPT", "accept"),
            ("ALLOW", "allow"),
        ] {
            if upper.contains(word) {
                rec.push_str("action", action);
                break;
            }
        }
    }
    let mut tcp_flags: Vec<&str> = Vec::new();
    let mut ip_flags: Vec<&str> = Vec::new();
    let mut seen_len = false;
    let mut seen_id = false;
    let mut proto = String::new();
    for tok in msg[start..].split(' ') {
        if tok.is_empty() {
            continue;
        }
        // ICMP errors quote the offending packet in brackets; its fields would clobber ours.
        if tok.starts_with('[') {
            break;
        }
        let Some((k, v)) = tok.split_once('=') else {
            match tok {
                "DF" | "MF" | "CE" => ip_flags.push(tok),
                _ => tcp_flags.push(tok),
            }
            continue;
        };
        let str_or_null = |v: &str| {
            if v.is_empty() {
                Value::Null
            } else {
                Value::Str(v.to_string())
            }
        };
        match k {
            "IN" => put(rec, "in_iface", str_or_null(v)),
            "OUT" => put(rec, "out_iface", str_or_null(v)),
            "MAC" => put(rec, "mac", str_or_null(v)),
            "SRC" => put(rec, "src_ip", str_or_null(v)),
            "DST" => put(rec, "dst_ip", str_or_null(v)),
            "LEN" if !seen_len => {
                seen_len = true;
                put(rec, "ip_len", int_or_str(v));
                put(rec, "bytes_sent", int_or_str(v));
            }
            "LEN" => put(rec, if proto == "udp" { "udp_len" } else { "l4_len" }, int_or_str(v)),
            "ID" if !seen_id => {
                seen_id = true;
                put(rec, "ip_id", int_or_str(v));
            }
            "ID" => put(rec, "icmp_id", int_or_str(v)),
            "PROTO" => {
                proto = v.to_ascii_lowercase();
                push_proto(rec, v);
            }
            "SPT" => put(rec, "src_port", int_or_str(v)),
            "DPT" => put(rec, "dst_port", int_or_str(v)),
            "TYPE" => put(rec, "icmp_type", int_or_str(v)),
            "CODE" => put(rec, "icmp_code", int_or_str(v)),
            "SEQ" if proto.starts_with("icmp") => put(rec, "icmp_seq", int_or_str(v)),
            "TTL" | "WINDOW" | "HOPLIMIT" | "URGP" | "SEQ" | "ACK" | "FLOWLBL" | "MTU" => {
                put(rec, &k.to_ascii_lowercase(), int_or_str(v))
            }
            _ if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                put(rec, &k.to_ascii_lowercase(), Value::Str(v.to_string()))
            }
            _ => {}
        }
    }
    if !tcp_flags.is_empty() {
        put(rec, "tcp_flags", Value::Str(tcp_flags.join(" ")));
    }
    if !ip_flags.is_empty() {
        put(rec, "ip_flags", Value::Str(ip_flags.join(" ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::text::syslog::{parse_syslog_str, SyslogParser};
    use crate::data::formats::text::{parse_file, real_data};
    use crate::data::record::ParseContext;

    // Source: iptables/iptables.log
    const UDP: &str = "Feb 20 10:47:14 debian kernel: [  341.399450] [netfilter-OUTPUT] IN= OUT=enp0s3 SRC=192.168.122.235 DST=192.168.122.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=47923 DF PROTO=UDP SPT=43648 DPT=53 LEN=36 ";
    const ICMP: &str = "Feb 20 10:47:14 debian kernel: [  341.533580] [netfilter-OUTPUT] IN= OUT=enp0s3 SRC=192.168.122.235 DST=172.217.21.238 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=54583 DF PROTO=ICMP TYPE=8 CODE=0 ID=1295 SEQ=1 ";

    #[test]
    fn udp_line() {
        let r = parse_syslog_str(UDP, &ParseContext::default()).expect("parses");
        assert_eq!(r.get("log_type"), Some(&Value::Str("iptables".into())));
        assert_eq!(r.get("uptime_secs"), Some(&Value::Float(341.39945)));
        assert_eq!(r.get("rule"), Some(&Value::Str("netfilter-OUTPUT".into())));
        assert_eq!(r.get("in_iface"), Some(&Value::Null));
        assert_eq!(r.get("out_iface"), Some(&Value::Str("enp0s3".into())));
        assert_eq!(r.get("src_ip"), Some(&Value::Str("192.168.122.235".into())));
        assert_eq!(r.get("ip_len"), Some(&Value::Int(56)));
        assert_eq!(r.get("udp_len"), Some(&Value::Int(36)));
        assert_eq!(r.get("proto"), Some(&Value::Str("udp".into())));
        assert_eq!(r.get("ip_proto"), Some(&Value::Int(17)));
        assert_eq!(r.get("src_port"), Some(&Value::Int(43648)));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(53)));
        assert_eq!(r.get("ip_flags"), Some(&Value::Str("DF".into())));
    }

    #[test]
    fn icmp_and_tcp_lines() {
        let r = parse_syslog_str(ICMP, &ParseContext::default()).expect("parses");
        assert_eq!(r.get("ip_id"), Some(&Value::Int(54583)));
        assert_eq!(r.get("icmp_id"), Some(&Value::Int(1295)));
        assert_eq!(r.get("icmp_seq"), Some(&Value::Int(1)));
        assert_eq!(r.get("icmp_type"), Some(&Value::Int(8)));
        let tcp = "Feb 20 10:47:15 debian kernel: [  342.1] [UFW BLOCK] IN=eth0 OUT= MAC=08:00 SRC=1.2.3.4 DST=5.6.7.8 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=4444 DPT=22 WINDOW=29200 RES=0x00 SYN ACK URGP=0 ";
        let r = parse_syslog_str(tcp, &ParseContext::default()).expect("parses");
        assert_eq!(r.get("tcp_flags"), Some(&Value::Str("SYN ACK".into())));
        assert_eq!(r.get("action"), Some(&Value::Str("block".into())));
        assert_eq!(r.get("window"), Some(&Value::Int(29200)));
        assert_eq!(r.get("in_iface"), Some(&Value::Str("eth0".into())));
        // Truncated payload still yields what is there.
        let r = parse_syslog_str(
            "Feb 20 10:47:15 debian kernel: IN=eth0 OUT= SRC=1.2.3.4 DST=",
            &ParseContext::default(),
        )
        .expect("parses");
        assert_eq!(r.get("dst_ip"), Some(&Value::Null));
    }

    #[test]
    fn real_iptables_log() {
        let Some(p) = real_data("iptables/iptables.log") else {
            return;
        };
        let bytes = std::fs::read(p).expect("readable");
        let (recs, rejects) = parse_file(&SyslogParser, &bytes, &ParseContext::default());
        assert_eq!(recs.len(), 8443);
        assert_eq!(rejects, 0);
        let ipt = recs.iter().filter(|r| r.get("log_type") == Some(&Value::Str("iptables".into()))).count();
        assert_eq!(ipt, 8443);
        assert!(recs.iter().all(|r| matches!(r.get("src_ip"), Some(Value::Str(_)))));
        assert!(recs.iter().all(|r| matches!(r.get("ip_proto"), Some(Value::Int(_)))));
    }
}
