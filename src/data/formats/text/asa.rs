//! Cisco ASA / FTD / PIX messages "%ASA-6-302013: text" (IDs 106100, 106023, 302013-302016,
//! 710003, 733100 parsed; others keep the id, level and text).

use std::sync::OnceLock;

use regex::Regex;

use super::{int_or_str, parse_duration_secs, port_value, push_proto, put};
use crate::data::record::{Record, Value};

pub(crate) const MAPPINGS: &[(&str, &str)] = &[
    ("%ASA-<level>", "syslog_sev"),
    ("%ASA-n-<id>", "asa_msg_id"),
    ("Built/Teardown/Deny/permitted/denied", "action"),
    ("for/src interface:addr/port", "in_iface, src_ip, src_port"),
    ("to/dst interface:addr/port", "out_iface, dst_ip, dst_port"),
    ("access-list / access-group", "acl"),
    ("Teardown duration h:mm:ss", "duration"),
    ("Teardown bytes", "bytes_total"),
    ("Teardown reason", "reason"),
];

/// Position of "%ASA-" (or FTD/PIX/FWSM) in the content, if any.
pub(crate) fn find_asa(content: &str) -> Option<&str> {
    ["%ASA-", "%FTD-", "%PIX-", "%FWSM-"].iter().filter_map(|m| content.find(m)).min().map(|i| &content[i..])
}

struct Res {
    header: Regex,
    built: Regex,
    teardown: Regex,
    acl_106100: Regex,
    deny_106023: Regex,
    denied_710003: Regex,
    rate_733100: Regex,
}

fn res() -> &'static Res {
    static R: OnceLock<Res> = OnceLock::new();
    R.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static regex is valid");
        Res {
            header: re(r"^%(ASA|FTD|PIX|FWSM)-(?:session-)?(\d)-(\d+):\s*(.*)$"),
            built: re(concat!(
                r"^Built (inbound|outbound) (\S+) connection (\d+) for ([^:\s]+):([^/\s]+)/(\d+) \(([^/\s]+)/(\d+)\)",
                r"(?:\([^)]*\))?\s+to ([^:\s]+):([^/\s]+)/(\d+) \(([^/\s]+)/(\d+)\)"
            )),
            teardown: re(concat!(
                r"^Teardown (\S+) connection (\d+) for ([^:\s]+):([^/\s]+)/(\d+)(?:\([^)]*\))?\s+",
                r"to ([^:\s]+):([^/\s]+)/(\d+)(?:\([^)]*\))? duration (\S+) bytes (\d+)\s*(.*)$"
            )),
            acl_106100: re(concat!(
                r"^access-list (\S+) (permitted|denied|est-allowed) (\S+) ([^/\s]+)/([^(\s]+)\((\d+)\)",
                r"(?: \([^)]*\))? -> ([^/\s]+)/([^(\s]+)\((\d+)\)(?: \([^)]*\))? hit-cnt (\d+)"
            )),
            deny_106023: re(concat!(
                r"^Deny (?:protocol )?(\S+) src ([^:\s]+):([^/\s]+)(?:/(\d+))?(?: \([^)t][^)]*\))? ",
                r#"dst ([^:\s]+):([^/\s]+)(?:/(\d+))?(?: \([^)t][^)]*\))?(?: \(type (\d+), code (\d+)\))? by access-group "([^"]*)""#
            )),
            denied_710003: re(r"^(\S+) access denied by ACL from ([^/\s]+)/(\d+) to ([^:\s]+):([^/\s]+)/(\S+)"),
            rate_733100: re(concat!(
                r"^\[\s*([^\]]*?)\s*\] drop rate-(\d+) exceeded\. Current burst rate is (\d+) per second, ",
                r"max configured rate is (\d+); Current average rate is (\d+) per second, max configured rate is (\d+); ",
                r"Cumulative total count is (\d+)"
            )),
        }
    })
}

/// Parse "%ASA-6-302013: ..." into `rec`; the text after the id goes to `msg`.
pub(crate) fn enrich(rec: &mut Record, text: &str) -> Result<(), String> {
    let r = res();
    let c = r.header.captures(text).ok_or("Cisco ASA: expected '%ASA-<level>-<id>: message'")?;
    let cap = |i: usize| c.get(i).map(|m| m.as_str()).unwrap_or("");
    put(rec, "device_type", Value::Str(cap(1).to_ascii_lowercase()));
    put(rec, "syslog_sev", int_or_str(cap(2)));
    let id = cap(3);
    put(rec, "asa_msg_id", int_or_str(id));
    let msg = cap(4);
    put(rec, "msg", Value::Str(msg.to_string()));
    let s = |rec: &mut Record, k: &str, v: &str| put(rec, k, Value::Str(v.to_string()));
    match id {
        "302013" | "302015" | "302017" | "302020" | "302303" => {
            let Some(m) = r.built.captures(msg) else {
                return Ok(());
            };
            let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
            s(rec, "action", "built");
            s(rec, "direction", g(1));
            push_proto(rec, g(2));
            put(rec, "conn_id", int_or_str(g(3)));
            // "for" is the foreign side: the initiator of inbound connections, the responder of outbound ones.
            let (src, dst) = if g(1) == "inbound" {
                ((4, 5, 6, 7, 8), (9, 10, 11, 12, 13))
            } else {
                ((9, 10, 11, 12, 13), (4, 5, 6, 7, 8))
            };
            s(rec, "in_iface", g(src.0));
            s(rec, "src_ip", g(src.1));
            put(rec, "src_port", port_value(g(src.2)));
            s(rec, "src_mapped_ip", g(src.3));
            put(rec, "src_mapped_port", port_value(g(src.4)));
            s(rec, "out_iface", g(dst.0));
            s(rec, "dst_ip", g(dst.1));
            put(rec, "dst_port", port_value(g(dst.2)));
            s(rec, "dst_mapped_ip", g(dst.3));
            put(rec, "dst_mapped_port", port_value(g(dst.4)));
        }
        "302014" | "302016" | "302018" | "302021" | "302304" => {
            let Some(m) = r.teardown.captures(msg) else {
                return Ok(());
            };
            let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
            s(rec, "action", "teardown");
            push_proto(rec, g(1));
            put(rec, "conn_id", int_or_str(g(2)));
            s(rec, "in_iface", g(3));
            s(rec, "src_ip", g(4));
            put(rec, "src_port", port_value(g(5)));
            s(rec, "out_iface", g(6));
            s(rec, "dst_ip", g(7));
            put(rec, "dst_port", port_value(g(8)));
            if let Some(d) = parse_duration_secs(g(9)) {
                put(rec, "duration", Value::Float(d));
            }
            put(rec, "bytes_total", int_or_str(g(10)));
            let reason = g(11).trim();
            if !reason.is_empty() {
                s(rec, "reason", reason);
            }
        }
        "106100" => {
            let Some(m) = r.acl_106100.captures(msg) else {
                return Ok(());
            };
            let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
            s(rec, "acl", g(1));
            s(rec, "action", if g(2) == "denied" { "deny" } else { "accept" });
            push_proto(rec, g(3));
            s(rec, "in_iface", g(4));
            s(rec, "src_ip", g(5));
            put(rec, "src_port", port_value(g(6)));
            s(rec, "out_iface", g(7));
            s(rec, "dst_ip", g(8));
            put(rec, "dst_port", port_value(g(9)));
            put(rec, "hit_count", int_or_str(g(10)));
        }
        "106023" => {
            let Some(m) = r.deny_106023.captures(msg) else {
                return Ok(());
            };
            let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
            s(rec, "action", "deny");
            push_proto(rec, g(1));
            s(rec, "in_iface", g(2));
            s(rec, "src_ip", g(3));
            put(rec, "src_port", port_value(g(4)));
            s(rec, "out_iface", g(5));
            s(rec, "dst_ip", g(6));
            put(rec, "dst_port", port_value(g(7)));
            if m.get(8).is_some() {
                put(rec, "icmp_type", int_or_str(g(8)));
                put(rec, "icmp_code", int_or_str(g(9)));
            }
            s(rec, "acl", g(10));
        }
        "710003" => {
            let Some(m) = r.denied_710003.captures(msg) else {
                return Ok(());
            };
            let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
            s(rec, "action", "deny");
            push_proto(rec, g(1));
            s(rec, "src_ip", g(2));
            put(rec, "src_port", port_value(g(3)));
            s(rec, "in_iface", g(4));
            s(rec, "dst_ip", g(5));
            // The destination "port" may be a service name ("ssh").
            match g(6).parse::<i64>() {
                Ok(n) => put(rec, "dst_port", Value::Int(n)),
                Err(_) => s(rec, "service", g(6)),
            }
        }
        "733100" => {
            let Some(m) = r.rate_733100.captures(msg) else {
                return Ok(());
            };
            let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
            s(rec, "action", "drop_rate_exceeded");
            let object = g(1);
            s(rec, "threat_object", object);
            if object.parse::<std::net::IpAddr>().is_ok() {
                s(rec, "src_ip", object);
            }
            put(rec, "rate_id", int_or_str(g(2)));
            put(rec, "burst_rate", int_or_str(g(3)));
            put(rec, "burst_rate_max", int_or_str(g(4)));
            put(rec, "avg_rate", int_or_str(g(5)));
            put(rec, "avg_rate_max", int_or_str(g(6)));
            put(rec, "total_count", int_or_str(g(7)));
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
    fn s(v: &str) -> Option<&'static Value> {
        Some(Box::leak(Box::new(Value::Str(v.to_string()))))
    }

    // Message texts follow the Cisco ASA syslog message guide formats.
    #[test]
    fn built_inbound_and_outbound() {
        let r = p("Mar 24 08:59:37 fw01 %ASA-6-302013: Built inbound TCP connection 123 for outside:1.2.3.4/5555 (1.2.3.4/5555) to inside:10.0.0.1/80 (203.0.113.1/80)");
        assert_eq!(r.get("log_type"), s("asa"));
        assert_eq!(r.get("asa_msg_id"), Some(&Value::Int(302013)));
        assert_eq!(r.get("syslog_sev"), Some(&Value::Int(6)));
        assert_eq!(r.get("action"), s("built"));
        assert_eq!(r.get("src_ip"), s("1.2.3.4"));
        assert_eq!(r.get("in_iface"), s("outside"));
        assert_eq!(r.get("dst_ip"), s("10.0.0.1"));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(80)));
        assert_eq!(r.get("dst_mapped_ip"), s("203.0.113.1"));
        let r = p("<166>Mar 24 2018 08:59:37 fw01 : %ASA-6-302015: Built outbound UDP connection 9 for outside:8.8.8.8/53 (8.8.8.8/53) to inside:10.0.0.5/40000 (198.51.100.2/40000)");
        assert_eq!(r.get("src_ip"), s("10.0.0.5"));
        assert_eq!(r.get("dst_ip"), s("8.8.8.8"));
        assert_eq!(r.get("proto"), s("udp"));
        assert_eq!(r.get("ip_proto"), Some(&Value::Int(17)));
    }

    #[test]
    fn teardown_deny_acl_rate() {
        let r = p("Mar 24 08:59:37 fw01 %ASA-6-302014: Teardown TCP connection 123 for outside:1.2.3.4/5555 to inside:10.0.0.1/80 duration 1:02:03 bytes 1234 TCP FINs");
        assert_eq!(r.get("action"), s("teardown"));
        assert_eq!(r.get("duration"), Some(&Value::Float(3723.0)));
        assert_eq!(r.get("bytes_total"), Some(&Value::Int(1234)));
        assert_eq!(r.get("reason"), s("TCP FINs"));
        let r = p("Mar 24 08:59:37 fw01 %ASA-6-302016: Teardown UDP connection 9 for outside:8.8.8.8/53 to inside:10.0.0.5/40000 duration 0:02:01 bytes 0");
        assert_eq!(r.get("duration"), Some(&Value::Float(121.0)));
        assert_eq!(r.get("reason"), None);
        let r = p("Mar 24 08:59:37 fw01 %ASA-4-106023: Deny tcp src outside:1.2.3.4/5555 dst inside:10.0.0.1/22 by access-group \"outside_access_in\" [0x0, 0x0]");
        assert_eq!(r.get("action"), s("deny"));
        assert_eq!(r.get("acl"), s("outside_access_in"));
        assert_eq!(r.get("src_port"), Some(&Value::Int(5555)));
        let r = p("Mar 24 08:59:37 fw01 %ASA-4-106023: Deny icmp src inside:2a01:111:222:333::2 dst outside:2a00:111::777 (type 1, code 3) by access-group \"outside-in\" [0x0, 0x0]");
        assert_eq!(r.get("src_ip"), s("2a01:111:222:333::2"));
        assert_eq!(r.get("icmp_code"), Some(&Value::Int(3)));
        let r = p("Mar 24 08:59:37 fw01 %ASA-6-106100: access-list inside_in denied tcp inside/10.0.0.9(1234) -> outside/8.8.4.4(443) hit-cnt 1 first hit [0x1, 0x0]");
        assert_eq!(r.get("acl"), s("inside_in"));
        assert_eq!(r.get("action"), s("deny"));
        assert_eq!(r.get("dst_port"), Some(&Value::Int(443)));
        assert_eq!(r.get("out_iface"), s("outside"));
        let r = p("Mar 24 08:59:37 fw01 %ASA-3-710003: TCP access denied by ACL from 1.2.3.4/5555 to outside:10.0.0.1/ssh");
        assert_eq!(r.get("service"), s("ssh"));
        assert_eq!(r.get("in_iface"), s("outside"));
        let r = p("Mar 24 08:59:37 fw01 %ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 10 per second, max configured rate is 10; Current average rate is 5 per second, max configured rate is 5; Cumulative total count is 3000");
        assert_eq!(r.get("threat_object"), s("Scanning"));
        assert_eq!(r.get("total_count"), Some(&Value::Int(3000)));
    }

    #[test]
    fn unknown_and_truncated_messages() {
        let r =
            p("Mar 24 08:59:37 fw01 %ASA-5-111008: User 'enable_15' executed the 'write memory' command.");
        assert_eq!(r.get("asa_msg_id"), Some(&Value::Int(111008)));
        assert_eq!(r.get("msg"), s("User 'enable_15' executed the 'write memory' command."));
        let r = p(
            "Mar 24 08:59:37 fw01 %ASA-6-302013: Built inbound TCP connection 123 for outside:1.2.3.4/5555",
        );
        assert_eq!(r.get("action"), None);
        let r = p("Mar 24 08:59:37 fw01 %ASA-x: broken");
        assert!(matches!(r.get("parse_error"), Some(Value::Str(_))));
    }
}
