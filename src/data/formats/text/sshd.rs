//! sshd and PAM messages as found in auth.log / secure / messages: authentication attempts,
//! invalid users, disconnects and pam_unix failures (user, client address, action, outcome).

use super::{port_value, put};
use crate::data::record::{Record, Value};

pub(crate) const MAPPINGS: &[(&str, &str)] = &[
    ("Failed <method> for [invalid user] X", "action=failed, outcome=failure, user_name, auth_method"),
    ("Accepted <method> for X", "action=accepted, outcome=success, user_name, auth_method"),
    ("from IP port N", "src_ip, src_port"),
    ("Invalid user X from IP", "action=invalid_user"),
    ("Received disconnect / Disconnected from", "action=disconnect, reason"),
    ("Connection closed by", "action=closed"),
    ("pam_unix(svc:type): authentication failure; rhost= user=", "action=failed, rhost, src_ip, user_name"),
    ("session opened/closed for user X", "action=session_opened/session_closed, user_name"),
];

fn s(rec: &mut Record, k: &str, v: &str) {
    put(rec, k, Value::Str(v.to_string()));
}

/// Enrich sshd / PAM messages; returns the log_type ("sshd" or "pam") when the program matches.
pub(crate) fn enrich(rec: &mut Record, app: &str, app_sub: Option<&str>, msg: &str) -> Option<&'static str> {
    // "sshd(pam_unix)[pid]: authentication failure; ..." (older Red Hat PAM tag)
    if app_sub == Some("pam_unix") {
        s(rec, "pam_service", app);
        pam(rec, msg);
        return Some("pam");
    }
    // "pam_unix(sshd:auth): authentication failure; ..." from any program (sshd, su, sudo, login...)
    if let Some(rest) = msg.strip_prefix("pam_unix(") {
        if let Some((svc, body)) = rest.split_once("): ") {
            let (service, kind) = svc.split_once(':').unwrap_or((svc, ""));
            s(rec, "pam_service", service);
            if !kind.is_empty() {
                s(rec, "pam_type", kind);
            }
            pam(rec, body);
            return Some("pam");
        }
    }
    if app != "sshd" {
        return None;
    }
    sshd(rec, msg);
    Some("sshd")
}

/// "... from 1.2.3.4 port 5555 ssh2" / "1.2.3.4 port 5555 [preauth]" / "1.2.3.4" -> (ip, port).
fn ip_port(rest: &str) -> (Option<&str>, Option<&str>) {
    let mut it = rest.split_whitespace();
    let ip = it.next().map(|t| t.trim_end_matches([':', ',']));
    let port = match it.next() {
        Some("port") => it.next().map(|p| p.trim_end_matches([':', ','])),
        _ => None,
    };
    (ip.filter(|s| !s.is_empty()), port)
}

fn push_ip_port(rec: &mut Record, rest: &str) {
    let (ip, port) = ip_port(rest);
    if let Some(ip) = ip {
        s(rec, "src_ip", ip);
    }
    if let Some(p) = port {
        put(rec, "src_port", port_value(p));
    }
}

/// "[invalid |authenticating ]user X IP port N" (Disconnected from / Connection closed by).
fn user_then_ip(rec: &mut Record, rest: &str) {
    let rest = rest.trim_end_matches(" [preauth]");
    let invalid = rest.strip_prefix("invalid user ");
    if invalid.is_some() {
        s(rec, "invalid_user", "true");
    }
    let after_kind =
        invalid.or_else(|| rest.strip_prefix("authenticating user ")).or_else(|| rest.strip_prefix("user "));
    match after_kind {
        Some(r) => {
            // The user name may be empty or contain spaces: the address is the token before "port".
            let (user, addr) = match r.rfind(" port ") {
                Some(pi) => match r[..pi].rfind(' ') {
                    Some(sp) => (&r[..sp], &r[sp + 1..]),
                    None => ("", r),
                },
                None => match r.rfind(' ') {
                    Some(sp) => (&r[..sp], &r[sp + 1..]),
                    None => ("", r),
                },
            };
            s(rec, "user_name", user);
            push_ip_port(rec, addr);
        }
        None => push_ip_port(rec, rest),
    }
}

fn sshd(rec: &mut Record, msg: &str) {
    let mut m = msg;
    // "message repeated 2 times: [ Failed password for root from ... ]"
    if let Some(r) = m.strip_prefix("message repeated ") {
        if let Some((n, body)) = r.split_once(" times: [ ") {
            if let Ok(n) = n.parse::<i64>() {
                put(rec, "repeat_count", Value::Int(n));
            }
            m = body.trim_end_matches(']').trim_end();
        }
    }
    if let Some(r) = m.strip_prefix("error: ") {
        m = r;
    }
    if let Some((verdict, r)) = m
        .strip_prefix("Failed ")
        .map(|r| ("failed", r))
        .or_else(|| m.strip_prefix("Accepted ").map(|r| ("accepted", r)))
    {
        let Some((method, r)) = r.split_once(" for ") else {
            return;
        };
        s(rec, "action", verdict);
        s(rec, "outcome", if verdict == "failed" { "failure" } else { "success" });
        s(rec, "auth_method", method);
        let r = match r.strip_prefix("invalid user ") {
            Some(r) => {
                s(rec, "invalid_user", "true");
                r
            }
            None => r,
        };
        if let Some(fi) = r.rfind(" from ") {
            s(rec, "user_name", &r[..fi]);
            push_ip_port(rec, &r[fi + 6..]);
        } else if let Some(r) = r.strip_prefix("from ") {
            // Empty user name: "Failed password for invalid user from ..." is logged as "user  from".
            s(rec, "user_name", "");
            push_ip_port(rec, r);
        }
        return;
    }
    if let Some(r) = m.strip_prefix("Invalid user ") {
        s(rec, "action", "invalid_user");
        s(rec, "outcome", "failure");
        if let Some(fi) = r.rfind(" from ") {
            s(rec, "user_name", &r[..fi]);
            push_ip_port(rec, &r[fi + 6..]);
        } else if let Some(r) = r.strip_prefix("from ") {
            s(rec, "user_name", "");
            push_ip_port(rec, r);
        }
        return;
    }
    if let Some(r) = m.strip_prefix("input_userauth_request: invalid user ") {
        s(rec, "action", "auth_request_invalid_user");
        s(rec, "user_name", r.trim_end_matches(" [preauth]"));
        return;
    }
    if let Some(r) = m.strip_prefix("Received disconnect from ") {
        s(rec, "action", "disconnect");
        // "IP port N:11: Bye Bye [preauth]" or "IP: 11: Bye Bye"
        let (addr, reason) = match r.split_once(": ") {
            Some((a, re)) => (a, Some(re)),
            None => (r, None),
        };
        let (addr, code) = match addr.rsplit_once(':') {
            // "port 22:11" - the disconnect code is glued to the port
            Some((a, c)) if c.bytes().all(|b| b.is_ascii_digit()) && a.contains(" port ") => (a, Some(c)),
            _ => (addr, None),
        };
        push_ip_port(rec, addr);
        if let Some(c) = code {
            s(rec, "disconnect_code", c);
        }
        if let Some(re) = reason {
            // Older OpenSSH: "IP: 11: Bye Bye" - the code is the first token of the reason.
            let re = match re.split_once(": ") {
                Some((c, r)) if code.is_none() && !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) => {
                    s(rec, "disconnect_code", c);
                    r
                }
                _ => re,
            };
            s(rec, "reason", re.trim_end_matches(" [preauth]"));
        }
        return;
    }
    if let Some(r) = m.strip_prefix("Disconnected from ") {
        s(rec, "action", "disconnect");
        user_then_ip(rec, r);
        return;
    }
    for (prefix, action) in [("Connection closed by ", "closed"), ("Connection reset by ", "reset")] {
        if let Some(r) = m.strip_prefix(prefix) {
            s(rec, "action", action);
            user_then_ip(rec, r);
            return;
        }
    }
    if let Some(r) = m.strip_prefix("reverse mapping checking getaddrinfo for ") {
        s(rec, "action", "reverse_mapping_failed");
        if let (Some(o), Some(c)) = (r.find(" ["), r.find(']')) {
            if o + 2 <= c {
                s(rec, "src_host", &r[..o]);
                s(rec, "src_ip", &r[o + 2..c]);
            }
        }
        return;
    }
    if let Some(r) = m.strip_prefix("Address ") {
        if let Some((ip, rest)) = r.split_once(" maps to ") {
            s(rec, "action", "reverse_mapping_failed");
            s(rec, "src_ip", ip);
            if let Some((h, _)) = rest.split_once(", ") {
                s(rec, "src_host", h);
            }
        }
        return;
    }
    if let Some(r) = m.strip_prefix("Did not receive identification string from ") {
        s(rec, "action", "no_identification");
        push_ip_port(rec, r);
        return;
    }
    if let Some(r) = m.strip_prefix("Connection from ") {
        s(rec, "action", "connect");
        push_ip_port(rec, r);
        if let Some((_, dst)) = r.split_once(" on ") {
            let (ip, port) = ip_port(dst);
            if let Some(ip) = ip {
                s(rec, "dst_ip", ip);
            }
            if let Some(p) = port {
                put(rec, "dst_port", port_value(p));
            }
        }
        return;
    }
    if let Some(r) = m.strip_prefix("PAM ") {
        // "PAM 5 more authentication failures; logname= ... rhost=1.2.3.4  user=root"
        if let Some((n, body)) = r.split_once(" more authentication failures; ") {
            s(rec, "action", "failed");
            s(rec, "outcome", "failure");
            if let Ok(n) = n.parse::<i64>() {
                put(rec, "failures", Value::Int(n));
            }
            pam_kv(rec, body);
        } else if r.starts_with("service(") && r.contains("ignoring max retries") {
            s(rec, "action", "max_retries");
        }
        return;
    }
    if m.starts_with("pam_unix") || m.contains("session opened") || m.contains("session closed") {
        pam(rec, m);
    }
}

/// pam_unix message body after the tag.
fn pam(rec: &mut Record, body: &str) {
    if let Some(kv) = body.strip_prefix("authentication failure; ") {
        s(rec, "action", "failed");
        s(rec, "outcome", "failure");
        pam_kv(rec, kv);
    } else if let Some((n, kv)) = body.split_once(" more authentication failures; ") {
        s(rec, "action", "failed");
        s(rec, "outcome", "failure");
        if let Ok(n) = n.trim().parse::<i64>() {
            put(rec, "failures", Value::Int(n));
        }
        pam_kv(rec, kv);
    } else if let Some(r) = body.strip_prefix("check pass; ") {
        s(rec, "action", "check_pass");
        s(rec, "reason", r);
    } else if let Some(r) = body.strip_prefix("session opened for user ") {
        s(rec, "action", "session_opened");
        s(rec, "outcome", "success");
        let (user, by) = r.split_once(" by ").unwrap_or((r, ""));
        s(rec, "user_name", user);
        if !by.is_empty() {
            s(rec, "by_user", by);
        }
    } else if let Some(r) = body.strip_prefix("session closed for user ") {
        s(rec, "action", "session_closed");
        s(rec, "user_name", r.trim());
    }
}

/// "logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=root" (empty values allowed).
fn pam_kv(rec: &mut Record, kv: &str) {
    for tok in kv.split_whitespace() {
        let Some((k, v)) = tok.split_once('=') else {
            continue;
        };
        match k {
            "user" => s(rec, "user_name", v),
            "rhost" if !v.is_empty() => {
                s(rec, "rhost", v);
                if v.parse::<std::net::IpAddr>().is_ok() {
                    s(rec, "src_ip", v);
                }
            }
            "ruser" | "logname" | "tty" if !v.is_empty() => s(rec, k, v),
            "uid" | "euid" => put(rec, k, super::int_or_str(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::data::formats::text::syslog::{parse_syslog_str, SyslogParser};
    use crate::data::formats::text::{parse_file, real_data};
    use crate::data::record::{ParseContext, Record, Value};

    fn p(line: &str) -> Record {
        parse_syslog_str(line, &ParseContext::default()).expect("envelope parses")
    }
    fn st(r: &Record, k: &str) -> Option<String> {
        match r.get(k) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }

    #[test]
    fn openssh_lines() {
        // Source: syslog-loghub/OpenSSH_2k.log
        let r = p("Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2\r");
        assert_eq!(st(&r, "log_type").as_deref(), Some("sshd"));
        assert_eq!(st(&r, "action").as_deref(), Some("failed"));
        assert_eq!(st(&r, "outcome").as_deref(), Some("failure"));
        assert_eq!(st(&r, "user_name").as_deref(), Some("webmaster"));
        assert_eq!(st(&r, "src_ip").as_deref(), Some("173.234.31.186"));
        assert_eq!(r.get("src_port"), Some(&Value::Int(38926)));
        assert_eq!(st(&r, "invalid_user").as_deref(), Some("true"));
        let r = p("Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2");
        assert_eq!(st(&r, "action").as_deref(), Some("accepted"));
        assert_eq!(st(&r, "outcome").as_deref(), Some("success"));
        assert_eq!(st(&r, "user_name").as_deref(), Some("fztu"));
        let r = p("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186");
        assert_eq!(st(&r, "action").as_deref(), Some("invalid_user"));
        assert_eq!(st(&r, "src_ip").as_deref(), Some("173.234.31.186"));
        let r = p("Dec 10 06:55:48 LabSZ sshd[24200]: Received disconnect from 173.234.31.186: 11: Bye Bye [preauth]");
        assert_eq!(st(&r, "action").as_deref(), Some("disconnect"));
        assert_eq!(st(&r, "src_ip").as_deref(), Some("173.234.31.186"));
        assert_eq!(st(&r, "reason").as_deref(), Some("Bye Bye"));
        let r = p("Dec 10 07:07:38 LabSZ sshd[24206]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=52.80.34.196  user=root");
        assert_eq!(st(&r, "log_type").as_deref(), Some("pam"));
        assert_eq!(st(&r, "action").as_deref(), Some("failed"));
        assert_eq!(st(&r, "user_name").as_deref(), Some("root"));
        assert_eq!(st(&r, "src_ip").as_deref(), Some("52.80.34.196"));
        assert_eq!(st(&r, "pam_service").as_deref(), Some("sshd"));
        let r = p("Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!");
        assert_eq!(st(&r, "src_ip").as_deref(), Some("173.234.31.186"));
        assert_eq!(st(&r, "src_host").as_deref(), Some("ns.marryaldkfaczcz.com"));
    }

    #[test]
    fn modern_openssh_variants() {
        let r =
            p("Mar 1 10:00:00 h sshd[1]: Received disconnect from 1.2.3.4 port 5555:11: Bye Bye [preauth]");
        assert_eq!(r.get("src_port"), Some(&Value::Int(5555)));
        assert_eq!(st(&r, "disconnect_code").as_deref(), Some("11"));
        let r =
            p("Mar 1 10:00:00 h sshd[1]: Disconnected from invalid user admin 1.2.3.4 port 5555 [preauth]");
        assert_eq!(st(&r, "user_name").as_deref(), Some("admin"));
        assert_eq!(st(&r, "src_ip").as_deref(), Some("1.2.3.4"));
        let r = p("Mar 1 10:00:00 h sshd[1]: Connection closed by authenticating user root 1.2.3.4 port 22 [preauth]");
        assert_eq!(st(&r, "action").as_deref(), Some("closed"));
        assert_eq!(st(&r, "user_name").as_deref(), Some("root"));
        let r = p("Mar 1 10:00:00 h sshd[1]: Connection closed by 1.2.3.4 port 22 [preauth]");
        assert_eq!(st(&r, "src_ip").as_deref(), Some("1.2.3.4"));
        let r = p(
            "Mar 1 10:00:00 h sshd[1]: Accepted publickey for bob from 1.2.3.4 port 22 ssh2: RSA SHA256:abc",
        );
        assert_eq!(st(&r, "auth_method").as_deref(), Some("publickey"));
        let r = p("Mar 1 10:00:00 h sshd[1]: message repeated 2 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]");
        assert_eq!(r.get("repeat_count"), Some(&Value::Int(2)));
        assert_eq!(st(&r, "action").as_deref(), Some("failed"));
        // Empty user name.
        let r = p("Mar 1 10:00:00 h sshd[1]: Invalid user  from 1.2.3.4");
        assert_eq!(st(&r, "user_name").as_deref(), Some(""));
        // Truncated lines never panic and keep the message.
        for t in [
            "Failed",
            "Failed password for",
            "Received disconnect from ",
            "Disconnected from user",
            "PAM 3 more",
        ] {
            let r = p(&format!("Mar 1 10:00:00 h sshd[1]: {t}"));
            assert_eq!(st(&r, "msg").as_deref(), Some(t));
        }
    }

    #[test]
    fn linux_pam_tag() {
        // Source: syslog-loghub/Linux_2k.log
        let r = p("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 \r");
        assert_eq!(st(&r, "log_type").as_deref(), Some("pam"));
        assert_eq!(st(&r, "rhost").as_deref(), Some("218.188.2.4"));
        assert_eq!(st(&r, "user_name"), None);
        let r = p("Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)");
        assert_eq!(st(&r, "action").as_deref(), Some("session_opened"));
        assert_eq!(st(&r, "user_name").as_deref(), Some("cyrus"));
    }

    #[test]
    fn real_openssh_2k() {
        let Some(path) = real_data("syslog-loghub/OpenSSH_2k.log") else {
            return;
        };
        let bytes = std::fs::read(path).expect("readable");
        let (recs, rejects) = parse_file(&SyslogParser, &bytes, &ParseContext::default());
        assert_eq!(recs.len(), 2000);
        assert_eq!(rejects, 0);
        let failed_pw = recs
            .iter()
            .filter(|r| {
                st(r, "action").as_deref() == Some("failed")
                    && st(r, "auth_method").as_deref() == Some("password")
            })
            .count();
        assert_eq!(failed_pw, 520);
        let accepted = recs.iter().filter(|r| st(r, "action").as_deref() == Some("accepted")).count();
        assert_eq!(accepted, 1);
        // The README's per-source figures (580/189/126/54) are close to, but not exactly, the grep count
        // of 'Failed password|Invalid user|authentication failure;' lines per address (582/189/127/54),
        // which is what these records reproduce.
        let mut by_src: HashMap<String, usize> = HashMap::new();
        for r in &recs {
            if matches!(st(r, "action").as_deref(), Some("failed" | "invalid_user")) {
                if let Some(ip) = st(r, "src_ip") {
                    *by_src.entry(ip).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<(String, usize)> = by_src.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let top: Vec<(&str, usize)> = ranked.iter().take(4).map(|(ip, n)| (ip.as_str(), *n)).collect();
        assert_eq!(
            top,
            [("183.62.140.253", 582), ("187.141.143.180", 189), ("103.99.0.122", 127), ("112.95.230.3", 54)]
        );
        // Grouping only action == failed also ranks the main brute-forcer first.
        let mut failed: HashMap<String, usize> = HashMap::new();
        for r in &recs {
            if st(r, "action").as_deref() == Some("failed") {
                if let Some(ip) = st(r, "src_ip") {
                    *failed.entry(ip).or_default() += 1;
                }
            }
        }
        let first = failed.iter().max_by_key(|(_, n)| **n).map(|(ip, _)| ip.as_str());
        assert_eq!(first, Some("183.62.140.253"));
        // Every line carrying an address outside the enricher's known forms still parses; most get src_ip.
        let with_ip = recs.iter().filter(|r| st(r, "src_ip").is_some()).count();
        assert!(with_ip > 1500, "{with_ip}");
    }
}
