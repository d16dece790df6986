//! Windows `netlogon.log` (the Netlogon service's debug log, `%windir%\debug\netlogon.log`).
//!
//! ```text
//! 09/14 14:21:33 [SESSION] [684] CONTOSO: NetrServerAuthenticate3 returns Access denied: WIN10 on account WIN10$ (Negot: 212fffff)
//! ```
//! `MM/DD HH:MM:SS [CATEGORY] [pid] message`; the `[pid]` is missing in older Windows versions.
//! The file is UTF-8 (often with a BOM) with CRLF line ends, and has no year: the loader's
//! `default_year` applies (`--year`, else the file's modification year, rolled back a year for
//! dates after the modification time), exactly as for RFC 3164 syslog. Times are local to the DC:
//! `default_tz_offset_secs` applies.
//!
//! For the secure-channel calls (`NetrServerAuthenticate*`, `NetrServerPasswordSet*`,
//! `NetrServerReqChallenge`) the call, the client's computer name, the machine account
//! (`user_name`), the client address (`src_ip`) and the outcome (`success` / `failure`) become
//! fields, so a Zerologon burst (hundreds of failed `NetrServerAuthenticate3` for one DC account,
//! then a `NetrServerPasswordSet2`) shows in the time series and the top-N lists.

use crate::data::record::{LineParser, LineResult, ParseContext, Record, Value};
use crate::data::timeparse;

pub struct NetlogonParser;

impl LineParser for NetlogonParser {
    fn name(&self) -> &'static str {
        "netlogon"
    }

    fn parse_line(&self, line: &[u8], ctx: &ParseContext) -> LineResult {
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|_| "netlogon: invalid UTF-8".to_owned())?;
        let line = line.trim_end();
        if line.trim().is_empty() {
            return Ok(None);
        }
        parse(line, ctx).map(Some)
    }
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// "MM/DD HH:MM:SS" -> (month, day, h, m, s), range-checked (Feb 29 is checked against the year later).
fn parse_stamp(s: &str) -> Option<(u32, u32, u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 14 || b[2] != b'/' || b[5] != b' ' || b[8] != b':' || b[11] != b':' {
        return None;
    }
    let mo = two_digits(&s[0..2]).filter(|m| (1..=12).contains(m))?;
    let d = two_digits(&s[3..5]).filter(|d| (1..=31).contains(d))?;
    let h = two_digits(&s[6..8]).filter(|h| *h < 24)?;
    let mi = two_digits(&s[9..11]).filter(|m| *m < 60)?;
    let sec = two_digits(&s[12..14]).filter(|s| *s < 61)?;
    Some((mo, d, h, mi, sec))
}

fn parse(line: &str, ctx: &ParseContext) -> Result<Record, String> {
    let stamp = line.get(..14).ok_or("netlogon: line too short for 'MM/DD HH:MM:SS'")?;
    let (mo, d, h, mi, sec) = parse_stamp(stamp).ok_or_else(|| format!("netlogon: bad time {stamp:?}"))?;
    // No year in the line: the assumed year, or the year before when that puts the line more than
    // a day after the file's modification time (a January file holding December's lines), the
    // same rule as syslog. 02/29 must exist in the year the line ends up in.
    let year = ctx.default_year as i64;
    let in_year = |y: i64| timeparse::civil_us(y, mo, d, h, mi, sec, 0, ctx.default_tz_offset_secs);
    let after_file = |t: i64| ctx.latest_us.is_some_and(|l| t > l.saturating_add(86_400_000_000));
    let t = match in_year(year) {
        Ok(t) if after_file(t) => in_year(year - 1),
        Ok(t) => Ok(t),
        Err(_) if ctx.latest_us.is_some() && in_year(year - 1).is_ok_and(|t| !after_file(t)) => {
            in_year(year - 1)
        }
        Err(e) => Err(e),
    }
    .map_err(|e| format!("netlogon: {stamp:?}: {e}"))?;
    let rest = line[14..].trim_start();
    let (category, rest) = bracketed(rest).ok_or("netlogon: expected [CATEGORY] after the time")?;
    if category.is_empty() || !category.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return Err(format!("netlogon: bad category [{category}]"));
    }
    let mut rec = Record { fields: Vec::with_capacity(12) };
    rec.push("time", Value::TimeUs(t));
    rec.push_str("category", category);
    let mut msg = rest.trim_start();
    if let Some((pid, after)) = bracketed(msg) {
        if let Ok(p) = pid.parse::<i64>() {
            rec.push("process_id", Value::Int(p));
            msg = after.trim_start();
        }
    }
    rec.push_str("msg", msg);
    map_message(&mut rec, msg);
    Ok(rec)
}

/// "[X] rest" -> ("X", " rest").
fn bracketed(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find(']')?;
    Some((&inner[..end], &inner[end + 1..]))
}

/// Secure-channel calls whose outcome matters for Zerologon and machine-account abuse.
const CALLS: [&str; 7] = [
    "NetrServerAuthenticate3",
    "NetrServerAuthenticate2",
    "NetrServerAuthenticate",
    "NetrServerPasswordSet2",
    "NetrServerPasswordSet",
    "NetrServerReqChallenge",
    "NetrLogonSamLogon",
];

fn map_message(rec: &mut Record, msg: &str) {
    let mut body = msg;
    // "CONTOSO: NetrServer..." names the hosted domain first.
    if let Some((dom, after)) = msg.split_once(": ") {
        if !dom.is_empty()
            && dom.len() <= 64
            && !dom.contains(' ')
            && dom.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            && !CALLS.iter().any(|c| dom.starts_with(c))
            && dom.bytes().any(|b| b.is_ascii_uppercase())
            && !dom.bytes().any(|b| b.is_ascii_lowercase())
        {
            rec.push_str("domain", dom);
            body = after;
        }
    }
    if let Some(call) = CALLS.iter().find(|c| body.starts_with(*c)) {
        rec.push_str("action", *call);
        let after = &body[call.len()..];
        if let Some(status) = after.trim_start().strip_prefix("returns ") {
            let status = status.split(':').next().unwrap_or(status).trim();
            rec.push_str("status", status);
            let ok = status.eq_ignore_ascii_case("success") || status == "0x0" || status == "STATUS_SUCCESS";
            rec.push_str("outcome", if ok { "success" } else { "failure" });
        } else if contains_failure_word(after) {
            rec.push_str("outcome", "failure");
        }
        // "...: WIN10 on account WIN10$ (Negot: ...)"
        if let Some(i) = after.find(" on account ") {
            let client = after[..i].rsplit([':', ' ']).next().unwrap_or("").trim();
            if !client.is_empty() {
                rec.push_str("client_name", client);
            }
            let acct = after[i + 12..].split([' ', '(']).next().unwrap_or("").trim();
            if !acct.is_empty() {
                rec.push_str("user_name", acct);
            }
        }
    } else if contains_failure_word(body) {
        rec.push_str("outcome", "failure");
    }
    if rec.get("user_name").is_none() {
        if let Some(acct) = word_after(body, "account ") {
            rec.push_str("user_name", acct.trim_end_matches([',', '.', ':', ')']));
        }
    }
    if let Some(ip) = first_ip(body) {
        rec.push_str("src_ip", ip);
    }
    if let Some(code) = body.split([' ', ',', ':', '(', ')']).find(|w| w.starts_with("STATUS_")) {
        if rec.get("status").is_none() {
            rec.push_str("status", code);
        }
    }
}

fn contains_failure_word(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    ["denied", "failed", "failure", "bad password", "invalid", "couldn't"].iter().any(|w| l.contains(w))
}

fn word_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)?;
    let w = s[i + key.len()..].split_whitespace().next()?;
    (!w.is_empty()).then_some(w)
}

/// The first IPv4 or IPv6 address among the message's words (a client address).
fn first_ip(s: &str) -> Option<&str> {
    s.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '[' | ']' | '\\'))
        .map(|w| w.trim_end_matches(['.', ':', ';']))
        .find(|w| w.parse::<std::net::IpAddr>().is_ok())
}

/// netlogon if at least 80% of the sample's non-blank lines parse.
pub fn detect(sample: &[&[u8]]) -> Option<Box<dyn LineParser>> {
    let ctx = ParseContext { default_year: 2000, ..Default::default() };
    let lines: Vec<&&[u8]> = sample.iter().filter(|l| !l.iter().all(u8::is_ascii_whitespace)).collect();
    if lines.is_empty() {
        return None;
    }
    let ok = lines.iter().filter(|l| matches!(NetlogonParser.parse_line(l, &ctx), Ok(Some(_)))).count();
    (ok * 5 >= lines.len() * 4).then(|| Box::new(NetlogonParser) as Box<dyn LineParser>)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::timeparse::civil_to_us;

    fn ctx(year: i32) -> ParseContext {
        ParseContext { default_year: year, ..Default::default() }
    }

    fn rec(line: &str) -> Record {
        NetlogonParser.parse_line(line.as_bytes(), &ctx(2020)).expect("ok").expect("record")
    }

    #[test]
    fn authenticate_lines() {
        let r = rec("09/14 14:21:33 [SESSION] [684] CONTOSO: NetrServerAuthenticate3 returns Access denied: DC01 on account DC01$ (Negot: 212fffff)\r");
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2020, 9, 14, 14, 21, 33, 0, 0))));
        assert_eq!(r.get("category"), Some(&Value::Str("SESSION".into())));
        assert_eq!(r.get("process_id"), Some(&Value::Int(684)));
        assert_eq!(r.get("domain"), Some(&Value::Str("CONTOSO".into())));
        assert_eq!(r.get("action"), Some(&Value::Str("NetrServerAuthenticate3".into())));
        assert_eq!(r.get("status"), Some(&Value::Str("Access denied".into())));
        assert_eq!(r.get("outcome"), Some(&Value::Str("failure".into())));
        assert_eq!(r.get("client_name"), Some(&Value::Str("DC01".into())));
        assert_eq!(r.get("user_name"), Some(&Value::Str("DC01$".into())));
        let ok = rec("09/14 14:21:34 [SESSION] [684] CONTOSO: NetrServerPasswordSet2 returns Success: DC01 on account DC01$");
        assert_eq!(ok.get("outcome"), Some(&Value::Str("success".into())));
        assert_eq!(ok.get("action"), Some(&Value::Str("NetrServerPasswordSet2".into())));
        let no_pid = rec("01/02 03:04:05 [CRITICAL] NlPrintRpcDebug: Couldn't get EndpointFormat from 10.1.2.3: STATUS_ACCESS_DENIED");
        assert_eq!(no_pid.get("process_id"), None);
        assert_eq!(no_pid.get("src_ip"), Some(&Value::Str("10.1.2.3".into())));
        assert_eq!(no_pid.get("status"), Some(&Value::Str("STATUS_ACCESS_DENIED".into())));
        assert_eq!(no_pid.get("outcome"), Some(&Value::Str("failure".into())));
        assert_eq!(no_pid.get("domain"), None);
    }

    #[test]
    fn year_rolls_back_after_file_time() {
        let mut c = ctx(2021);
        c.latest_us = Some(civil_to_us(2021, 1, 5, 0, 0, 0, 0, 0));
        let r = NetlogonParser.parse_line(b"12/30 23:59:59 [MISC] [1] x", &c).unwrap().unwrap();
        assert_eq!(r.get("time"), Some(&Value::TimeUs(civil_to_us(2020, 12, 30, 23, 59, 59, 0, 0))));
    }

    proptest::proptest! {
        /// Arbitrary bytes and near-valid lines: a record, a skip or a reason, never a panic.
        #[test]
        fn arbitrary_lines(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
                           tail in ".{0,120}", mo in 0u32..15, d in 0u32..34, h in 0u32..26) {
            let c = ctx(2021);
            let _ = NetlogonParser.parse_line(&raw, &c);
            let line = format!("{mo:02}/{d:02} {h:02}:00:00 [SESSION] [1] {tail}");
            let ok = NetlogonParser.parse_line(line.as_bytes(), &c);
            if (1..=12).contains(&mo) && (1..=28).contains(&d) && h < 24 {
                proptest::prop_assert!(ok.is_ok(), "{line}: {ok:?}");
            }
        }
    }

    #[test]
    fn malformed_rejected() {
        for bad in [
            "13/14 14:21:33 [SESSION] x",
            "09/31 14:21:33 [SESSION] x",
            "02/29 14:21:33 [SESSION] x",
            "09/14 24:21:33 [SESSION] x",
            "09/14 14:21:33 SESSION x",
            "09/14 14:21:33 [sess] x",
            "9/14 14:21:33 [SESSION] x",
            "hello",
        ] {
            assert!(NetlogonParser.parse_line(bad.as_bytes(), &ctx(2021)).is_err(), "{bad}");
        }
        assert!(NetlogonParser.parse_line(b"02/29 00:00:00 [MISC] leap", &ctx(2020)).is_ok());
        assert!(NetlogonParser.parse_line(b"\xff\xfe", &ctx(2020)).is_err());
        assert!(detect(&[b"Jan  1 00:00:00 host sshd[1]: x"]).is_none());
        assert!(detect(&[b"\xef\xbb\xbf09/14 14:21:33 [SESSION] [684] x"]).is_some());
    }
}
