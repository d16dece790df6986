//! Timestamp parsing shared by the columnar readers. Exact to the microsecond (no float rounding),
//! allocation-free, because it runs once per row on 10 M-row files.
use super::record::civil_to_us;

/// Parses epoch seconds with an optional fraction ("1364774400.123456", "-1.5" not accepted) into µs.
pub fn epoch_secs_to_us(s: &[u8]) -> Option<i64> {
    let s = trim(s);
    if s.is_empty() {
        return None;
    }
    let (int_part, frac_part) = match memchr::memchr(b'.', s) {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, &s[s.len()..]),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut secs: i64 = 0;
    for &c in int_part {
        if !c.is_ascii_digit() {
            return sci_secs_to_us(s);
        }
        secs = secs.checked_mul(10)?.checked_add((c - b'0') as i64)?;
    }
    let mut micros: i64 = 0;
    let mut digits = 0;
    for &c in frac_part {
        if !c.is_ascii_digit() {
            // Zeek writes far-future times (certificate expiry) in scientific notation.
            return sci_secs_to_us(s);
        }
        if digits < 6 {
            micros = micros * 10 + (c - b'0') as i64;
            digits += 1;
        }
    }
    while digits < 6 {
        micros *= 10;
        digits += 1;
    }
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// "2.385616957e+09" -> µs, through f64 (exact to the µs for such values).
fn sci_secs_to_us(s: &[u8]) -> Option<i64> {
    if !s.iter().any(|c| *c == b'e' || *c == b'E') {
        return None;
    }
    let f: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (f.is_finite() && (0.0..1e13).contains(&f)).then(|| (f * 1e6).round() as i64)
}

fn trim(s: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = s.len();
    while a < b && (s[a] == b' ' || s[a] == b'\t' || s[a] == b'"') {
        a += 1;
    }
    while b > a && (s[b - 1] == b' ' || s[b - 1] == b'\t' || s[b - 1] == b'\r' || s[b - 1] == b'"') {
        b -= 1;
    }
    &s[a..b]
}

fn num(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// Parses "YYYY-MM-DD HH:MM:SS[.ffffff][Z|±HH:MM|±HHMM]" and the variants with '/' as date separator
/// or 'T' between date and time. Without a zone, `default_offset_secs` (east of UTC) applies.
/// Returns µs since the epoch, UTC.
pub fn datetime_to_us(s: &[u8], default_offset_secs: i32) -> Option<i64> {
    let s = trim(s);
    if s.len() < 10 {
        return None;
    }
    let y = num(&s[0..4])? as i64;
    let sep = s[4];
    if sep != b'-' && sep != b'/' || s[7] != sep {
        return None;
    }
    let mo = num(&s[5..7])?;
    let d = num(&s[8..10])?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(civil_to_us(y, mo, d, 0, 0, 0, 0, default_offset_secs));
    }
    if rest[0] != b' ' && rest[0] != b'T' || rest.len() < 6 {
        return None;
    }
    let t = &rest[1..];
    let h = num(t.get(0..2)?)?;
    if *t.get(2)? != b':' {
        return None;
    }
    let mi = num(t.get(3..5)?)?;
    let (sec, mut i) = if t.get(5) == Some(&b':') { (num(t.get(6..8)?)?, 8) } else { (0, 5) };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut micros = 0u32;
    if t.get(i) == Some(&b'.') || t.get(i) == Some(&b',') {
        i += 1;
        let mut digits = 0;
        while let Some(c) = t.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            if digits < 6 {
                micros = micros * 10 + (c - b'0') as u32;
                digits += 1;
            }
            i += 1;
        }
        if digits == 0 {
            return None;
        }
        while digits < 6 {
            micros *= 10;
            digits += 1;
        }
    }
    let zone = trim(&t[i..]);
    let offset = parse_zone(zone, default_offset_secs)?;
    Some(civil_to_us(y, mo, d, h, mi, sec, micros, offset))
}

/// "", "Z", "UTC", "+02:00", "+0200", "-07" -> offset east of UTC in seconds.
pub fn parse_zone(z: &[u8], default_offset_secs: i32) -> Option<i32> {
    match z {
        [] => Some(default_offset_secs),
        b"Z" | b"z" | b"UTC" | b"GMT" => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let digits: Vec<u8> = rest.iter().copied().filter(|c| *c != b':').collect();
            let (h, m) = match digits.len() {
                2 => (num(&digits)?, 0),
                4 => (num(&digits[..2])?, num(&digits[2..])?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

/// Formats µs since the epoch as RFC 3339 UTC ("2013-04-01T08:00:00.123456Z"; fraction only when non-zero).
pub fn format_rfc3339(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    match chrono::DateTime::from_timestamp(secs, (micros * 1000) as u32) {
        Some(dt) if micros == 0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => format!("{us}us"),
    }
}

/// Short human form for the UI ("2013-04-01 08:00:00").
pub fn format_short(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("{us}us"),
    }
}

/// Microseconds since the epoch for date-time parts that a line recogniser found (generic text
/// logs have shapes no column reader has: `YYYYMMDD.HHMMSS`, `yy/MM/dd`, `dd-Mon-yyyy`, ...).
/// Unlike [`datetime_to_us`] it checks everything: year 1..=9999, a real calendar day, a real time
/// of day (second 60 for a leap second), an offset within +-18 h, and checked arithmetic, so a
/// broken timestamp is refused instead of becoming a wrong instant.
#[allow(clippy::too_many_arguments)]
pub fn civil_parts_to_us(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
    offset_secs: i32,
) -> Option<i64> {
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if micros >= 1_000_000 || offset_secs.unsigned_abs() > 18 * 3600 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let days = super::record::days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))?
        .checked_sub(i64::from(offset_secs))?;
    secs.checked_mul(1_000_000)?.checked_add(i64::from(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch() {
        assert_eq!(epoch_secs_to_us(b"1312964022.93089"), Some(1_312_964_022_930_890));
        assert_eq!(epoch_secs_to_us(b"12"), Some(12_000_000));
        assert_eq!(epoch_secs_to_us(b"1.5e9"), Some(1_500_000_000_000_000));
        assert_eq!(epoch_secs_to_us(b"1.5x9"), None);
        assert_eq!(epoch_secs_to_us(b""), None);
        assert_eq!(epoch_secs_to_us(b"99999999999999999999"), None);
    }

    #[test]
    fn datetimes() {
        let base = civil_to_us(2021, 6, 6, 13, 59, 46, 457_984, 0);
        assert_eq!(datetime_to_us(b"2021-06-06T15:59:46.457984+0200", 0), Some(base));
        assert_eq!(datetime_to_us(b"2021-06-06T15:59:46.457984+02:00", 0), Some(base));
        assert_eq!(datetime_to_us(b"2021-06-06 13:59:46.457984", 0), Some(base));
        assert_eq!(datetime_to_us(b"2021/06/06 13:59:46.457984", 0), Some(base));
        assert_eq!(
            datetime_to_us(b"2018-03-24T17:15:20.629574Z", 3600),
            datetime_to_us(b"2018-03-24 17:15:20.629574", 0)
        );
        assert_eq!(datetime_to_us(b"2021-13-06 13:59:46", 0), None);
        assert_eq!(datetime_to_us(b"garbage here", 0), None);
        assert_eq!(format_rfc3339(1_364_774_400_000_000), "2013-04-01T00:00:00Z");
    }

    #[test]
    fn civil_parts_are_checked() {
        assert_eq!(civil_parts_to_us(2013, 4, 1, 0, 0, 0, 0, 0), Some(1_364_774_400_000_000));
        assert_eq!(
            civil_parts_to_us(2024, 2, 29, 0, 0, 0, 0, 0),
            civil_parts_to_us(2024, 3, 1, 0, 0, 0, 0, 0).map(|t| t - 86_400_000_000)
        );
        assert_eq!(civil_parts_to_us(2023, 2, 29, 0, 0, 0, 0, 0), None);
        assert_eq!(civil_parts_to_us(2023, 4, 31, 0, 0, 0, 0, 0), None);
        assert_eq!(civil_parts_to_us(0, 1, 1, 0, 0, 0, 0, 0), None);
        assert_eq!(civil_parts_to_us(10_000, 1, 1, 0, 0, 0, 0, 0), None);
        assert_eq!(civil_parts_to_us(2020, 1, 1, 24, 0, 0, 0, 0), None);
        assert_eq!(civil_parts_to_us(2020, 1, 1, 0, 0, 0, 0, 19 * 3600), None);
    }
}
