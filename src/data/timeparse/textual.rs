//! Dates with English month names: Apache access logs, ctime (Apache error log, Snare), BSD
//! syslog "Mmm dd HH:MM:SS" (year assumed), and the loose device times of CEF / LEEF.
use super::civil::civil_us;
use super::iso::{fraction_us, iso_us, zone_offset};
use super::{digits, TimeError};

/// Month number (1-12) from an English three-letter abbreviation (or longer name), any case.
pub fn month_from_abbrev(s: &str) -> Option<u32> {
    const M: [&[u8; 3]; 12] =
        [b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec"];
    let b = s.as_bytes().get(..3)?;
    let lower = [b[0].to_ascii_lowercase(), b[1].to_ascii_lowercase(), b[2].to_ascii_lowercase()];
    M.iter().position(|m| **m == lower).map(|i| i as u32 + 1)
}

/// "HH:MM:SS[.frac|,frac]" -> (h, m, s, µs); the numbers are checked by the validity rule later.
pub fn parse_hms(s: &str) -> Option<(u32, u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = digits(&b[0..2])?;
    let m = digits(&b[3..5])?;
    let sec = digits(&b[6..8])?;
    let micros = match b.get(8) {
        None => 0,
        Some(b'.' | b',') => {
            let (us, n) = fraction_us(&b[9..]);
            if n == 0 || 9 + n != b.len() {
                return None;
            }
            us
        }
        Some(_) => return None,
    };
    Some((h, m, sec, micros))
}

/// A year token: 1-4 ASCII digits; longer runs of digits are a year outside the rule (an error
/// with that reason), anything else is not a year.
fn year(tok: &str) -> Result<i64, TimeError> {
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError::Malformed);
    }
    if tok.len() > 4 {
        return Err(TimeError::invalid(format!("year {tok} is outside 1..=9999")));
    }
    Ok(digits(tok.as_bytes()).ok_or(TimeError::Malformed)? as i64)
}

fn day(tok: &str) -> Result<u32, TimeError> {
    if tok.is_empty() || tok.len() > 2 {
        return Err(TimeError::Malformed);
    }
    digits(tok.as_bytes()).ok_or(TimeError::Malformed)
}

/// Apache / NCSA access-log time "17/May/2015:10:05:03 +0000" (zone optional: UTC).
pub fn apache_us(s: &str) -> Result<i64, TimeError> {
    let (dt, zone) = s.split_once(' ').unwrap_or((s, ""));
    let mut it = dt.splitn(3, '/');
    let d = day(it.next().ok_or(TimeError::Malformed)?)?;
    let mon = month_from_abbrev(it.next().ok_or(TimeError::Malformed)?).ok_or(TimeError::Malformed)?;
    let (y, hms) = it.next().and_then(|r| r.split_once(':')).ok_or(TimeError::Malformed)?;
    let y = year(y)?;
    let (h, m, sec, us) = parse_hms(hms).ok_or(TimeError::Malformed)?;
    civil_us(y, mon, d, h, m, sec, us, zone_offset(zone.as_bytes(), 0)?)
}

/// ctime "Sun Dec 04 04:47:44[.123456] 2005" (Apache error log, Snare), in the given zone.
pub fn ctime_us(s: &str, offset_secs: i32) -> Result<i64, TimeError> {
    let mut it = s.split_ascii_whitespace();
    let _weekday = it.next().ok_or(TimeError::Malformed)?;
    let mon = it.next().and_then(month_from_abbrev).ok_or(TimeError::Malformed)?;
    let d = day(it.next().ok_or(TimeError::Malformed)?)?;
    let (h, m, sec, us) = it.next().and_then(parse_hms).ok_or(TimeError::Malformed)?;
    let y = year(it.next().ok_or(TimeError::Malformed)?)?;
    if it.next().is_some() {
        return Err(TimeError::Malformed);
    }
    civil_us(y, mon, d, h, m, sec, us, offset_secs)
}

/// A BSD syslog time at the start of a line: "Mmm dd HH:MM:SS" or Cisco's "Mmm dd yyyy HH:MM:SS",
/// an optional ':' after the clock. Without a year `default_year` applies and, when `latest_us`
/// (the file's modification time) is given, a time more than a day after it belongs to the year
/// before (a log written in January holds December's lines).
pub struct SyslogTime<'a> {
    pub us: i64,
    pub year_assumed: bool,
    /// The text after the time and its separating space.
    pub rest: &'a str,
}

pub fn syslog_prefix_us<'a>(
    s: &'a str,
    default_year: i32,
    offset_secs: i32,
    latest_us: Option<i64>,
) -> Result<SyslogTime<'a>, TimeError> {
    let mon = s.get(..3).and_then(month_from_abbrev).ok_or(TimeError::Malformed)?;
    let rest = s.get(3..).ok_or(TimeError::Malformed)?;
    if !rest.starts_with(' ') {
        return Err(TimeError::Malformed);
    }
    let rest = rest.trim_start_matches(' ');
    let (d, mut rest) = rest.split_once(' ').ok_or(TimeError::Malformed)?;
    let d = day(d)?;
    let mut y = default_year as i64;
    let mut year_assumed = true;
    if let Some((tok, r)) = rest.split_once(' ') {
        if tok.len() >= 4 && !tok.contains(':') && tok.bytes().all(|b| b.is_ascii_digit()) {
            y = year(tok)?;
            rest = r;
            year_assumed = false;
        }
    }
    let (tok, r) = rest.split_once(' ').unwrap_or((rest, ""));
    let (h, mi, sec, us) = parse_hms(tok.trim_end_matches(':')).ok_or(TimeError::Malformed)?;
    let mut t = civil_us(y, mon, d, h, mi, sec, us, offset_secs)?;
    if year_assumed {
        if let Some(latest) = latest_us {
            if t > latest.saturating_add(86_400_000_000) {
                // 29 February of a leap year has no day the year before: keep the assumed year.
                if let Ok(before) = civil_us(y - 1, mon, d, h, mi, sec, us, offset_secs) {
                    t = before;
                }
            }
        }
    }
    Ok(SyslogTime { us: t, year_assumed, rest: r })
}

/// Loose device timestamp as found in CEF `rt` / LEEF `devTime`: epoch milliseconds (12+ digits)
/// or seconds, ISO 8601, "MMM dd yyyy HH:mm:ss[.SSS] [zone]" or "MMM dd HH:mm:ss[.SSS] [zone]".
pub fn loose_device_time_us(s: &str, default_year: i32, default_offset_secs: i32) -> Result<i64, TimeError> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().map_err(|_| TimeError::invalid("epoch value is outside years 1..=9999"))?;
        // 13 digits = milliseconds (CEF), 10 digits = seconds.
        return if s.len() >= 12 { super::epoch_ms_to_us(n) } else { super::epoch_s_to_us(n) };
    }
    if s.as_bytes().first().is_some_and(|b| b.is_ascii_digit()) {
        return iso_us(s.as_bytes(), default_offset_secs);
    }
    let mut it = s.split_ascii_whitespace();
    let mon = it.next().and_then(month_from_abbrev).ok_or(TimeError::Malformed)?;
    let d = day(it.next().ok_or(TimeError::Malformed)?)?;
    let mut tok = it.next().ok_or(TimeError::Malformed)?;
    let y = if !tok.contains(':') {
        let y = year(tok)?;
        tok = it.next().ok_or(TimeError::Malformed)?;
        y
    } else {
        default_year as i64
    };
    let (h, mi, sec, us) = parse_hms(tok).ok_or(TimeError::Malformed)?;
    let off = match it.next() {
        Some(z) => zone_offset(z.as_bytes(), default_offset_secs)?,
        None => default_offset_secs,
    };
    civil_us(y, mon, d, h, mi, sec, us, off)
}

#[cfg(test)]
mod tests {
    use super::super::civil::civil_to_us;
    use super::*;

    #[test]
    fn apache() {
        assert_eq!(apache_us("17/May/2015:10:05:03 +0000"), Ok(civil_to_us(2015, 5, 17, 10, 5, 3, 0, 0)));
        assert_eq!(apache_us("10/Oct/2000:13:55:36 -0700"), Ok(civil_to_us(2000, 10, 10, 20, 55, 36, 0, 0)));
        assert!(apache_us("10/Oct/2000:13:55:36 +1\u{e9}1").is_err());
        assert!(apache_us("10/Oct/2000:13:55:36 +0\u{e9}00").is_err());
        assert!(apache_us("10/Oct/123456789:13:55:36 +0000").is_err());
        assert!(apache_us("31/Feb/2000:13:55:36 +0000").is_err());
        assert!(apache_us("\u{e9}\u{e9}/Oct/2000:13:55:36").is_err());
    }

    #[test]
    fn ctime_and_syslog() {
        assert_eq!(ctime_us("Sun Dec 04 04:47:44 2005", 0), Ok(civil_to_us(2005, 12, 4, 4, 47, 44, 0, 0)));
        assert_eq!(
            ctime_us("Mon Mar 24 08:59:37.5 2018", 0),
            Ok(civil_to_us(2018, 3, 24, 8, 59, 37, 500_000, 0))
        );
        assert!(ctime_us("Mon Mar 24 08:59:37 999999999", 0).is_err());
        let t = syslog_prefix_us("Feb 20 10:47:14 host x", 2019, 0, None).unwrap();
        assert_eq!(
            (t.us, t.year_assumed, t.rest),
            (civil_to_us(2019, 2, 20, 10, 47, 14, 0, 0), true, "host x")
        );
        let t = syslog_prefix_us("Mar 24 2018 08:59:37: %ASA", 2019, 0, None).unwrap();
        assert_eq!((t.us, t.year_assumed), (civil_to_us(2018, 3, 24, 8, 59, 37, 0, 0), false));
        // December lines in a file written in January belong to the year before.
        let jan = civil_to_us(2020, 1, 2, 0, 0, 0, 0, 0);
        let t = syslog_prefix_us("Dec 31 23:00:00 h m", 2020, 0, Some(jan)).unwrap();
        assert_eq!(t.us, civil_to_us(2019, 12, 31, 23, 0, 0, 0, 0));
        assert!(syslog_prefix_us("Feb 30 10:47:14 host", 2019, 0, None).is_err());
        assert!(syslog_prefix_us("F\u{e9}b 20 10:47:14 host", 2019, 0, None).is_err());
    }

    #[test]
    fn loose() {
        let t = civil_to_us(2018, 3, 24, 8, 59, 37, 0, 0);
        assert_eq!(loose_device_time_us("1521881977000", 1970, 0), Ok(t));
        assert_eq!(loose_device_time_us("Mar 24 2018 08:59:37 UTC", 1970, 0), Ok(t));
        assert_eq!(loose_device_time_us("Mar 24 08:59:37", 2018, 0), Ok(t));
        assert!(loose_device_time_us("Mar 24 2018 08:59:37 +1\u{e9}1", 1970, 0).is_err());
        assert!(loose_device_time_us("9223372036854775807", 1970, 0).is_err());
        assert!(loose_device_time_us("99999999999999999999999", 1970, 0).is_err());
    }
}
