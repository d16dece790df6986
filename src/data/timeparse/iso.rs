//! ISO 8601 / RFC 3339 date-times and zone suffixes, on bytes (no slicing of `str` inside a
//! character, whatever the input holds).
use super::civil::{check_offset, civil_us};
use super::{digits, lossy, trim, TimeError};

/// "YYYY-MM-DD[(T|t| )HH:MM[:SS][(.|,)fraction]][ ][zone]", also with '/' as the date separator.
/// Fractions of any length (truncated to µs). Zones: `Z`, `UTC`, `GMT`, `±hh`, `±hhmm`, `±hh:mm`,
/// and "Z UTC" / "+0000 UTC" as some collectors write; without one `default_offset_secs` applies.
pub fn iso_us(s: &[u8], default_offset_secs: i32) -> Result<i64, TimeError> {
    let s = trim(s);
    let ylen = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let sep = *s.get(ylen).ok_or(TimeError::Malformed)?;
    if ylen < 4 || (sep != b'-' && sep != b'/') {
        return Err(TimeError::Malformed);
    }
    if ylen > 4 {
        // Shaped like a date, with a year nobody writes: say so instead of "not a time".
        let year = lossy(&s[..ylen]);
        return Err(TimeError::invalid(format!("year {year} is outside 1..=9999")));
    }
    let y = digits(&s[..4]).ok_or(TimeError::Malformed)? as i64;
    let mo = two(s.get(5..7))?;
    let d = two(s.get(8..10))?;
    if s.get(7) != Some(&sep) {
        return Err(TimeError::Malformed);
    }
    let rest = &s[10..];
    if rest.is_empty() {
        return civil_us(y, mo, d, 0, 0, 0, 0, default_offset_secs);
    }
    if !matches!(rest[0], b'T' | b't' | b' ') {
        return Err(TimeError::Malformed);
    }
    let t = &rest[1..];
    let h = two(t.get(0..2))?;
    if t.get(2) != Some(&b':') {
        return Err(TimeError::Malformed);
    }
    let mi = two(t.get(3..5))?;
    let (sec, mut i) = if t.get(5) == Some(&b':') { (two(t.get(6..8))?, 8) } else { (0, 5) };
    let mut micros = 0u32;
    if matches!(t.get(i), Some(b'.' | b',')) {
        i += 1;
        let (us, n) = fraction_us(&t[i..]);
        if n == 0 {
            return Err(TimeError::Malformed);
        }
        micros = us;
        i += n;
    }
    let offset = zone_offset(&t[i..], default_offset_secs)?;
    civil_us(y, mo, d, h, mi, sec, micros, offset)
}

/// Leading fraction digits -> (µs, digits consumed); digits past the sixth are truncated.
pub fn fraction_us(s: &[u8]) -> (u32, usize) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut us = 0u32;
    for &c in &s[..n.min(6)] {
        us = us * 10 + (c - b'0') as u32;
    }
    for _ in n..6 {
        us *= 10;
    }
    (us, n)
}

fn two(s: Option<&[u8]>) -> Result<u32, TimeError> {
    match s {
        Some(b) if b.len() == 2 => digits(b).ok_or(TimeError::Malformed),
        _ => Err(TimeError::Malformed),
    }
}

/// A zone suffix -> offset east of UTC in seconds: "" (the default), "Z", "UTC", "GMT", "Z UTC",
/// "+0200 UTC", "±hh", "±hhmm", "±hh:mm" (spaces around allowed). Within ±18 h.
pub fn zone_offset(z: &[u8], default_offset_secs: i32) -> Result<i32, TimeError> {
    let mut z = trim(z);
    let mut named_utc = false;
    for name in [&b"UTC"[..], b"GMT", b"utc", b"gmt"] {
        if let Some(x) = z.strip_suffix(name) {
            z = trim(x);
            named_utc = true;
        }
    }
    match z {
        [] => Ok(if named_utc { 0 } else { default_offset_secs }),
        b"Z" | b"z" => Ok(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [a, b] => (digits(&[*a, *b]), Some(0)),
                [a, b, c, d] => (digits(&[*a, *b]), digits(&[*c, *d])),
                [a, b, b':', c, d] => (digits(&[*a, *b]), digits(&[*c, *d])),
                _ => (None, None),
            };
            let (Some(h), Some(m)) = (h, m) else {
                return Err(TimeError::invalid(format!("zone {:?} is not Z or ±hh[:mm]", lossy(z))));
            };
            if m > 59 {
                return Err(TimeError::invalid(format!("zone {:?} has minutes past 59", lossy(z))));
            }
            let secs = (h * 3600 + m * 60) as i32;
            check_offset(if *sign == b'-' { -secs } else { secs })
        }
        _ => Err(TimeError::invalid(format!("zone {:?} is not Z or ±hh[:mm]", lossy(z)))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::civil::civil_to_us;
    use super::*;

    #[test]
    fn forms() {
        let base = civil_to_us(2021, 6, 6, 13, 59, 46, 457_984, 0);
        for s in [
            "2021-06-06T15:59:46.457984+0200",
            "2021-06-06T15:59:46.457984+02:00",
            "2021-06-06T15:59:46.457984+02",
            "2021-06-06 13:59:46.457984",
            "2021/06/06 13:59:46.457984",
            "2021-06-06T13:59:46.4579841Z",
            "2021-06-06T13:59:46.4579841Z UTC",
            "2021-06-06t13:59:46,457984z",
            "2021-06-06 13:59:46.457984 +0000",
        ] {
            assert_eq!(iso_us(s.as_bytes(), 0), Ok(base), "{s}");
        }
        assert_eq!(iso_us(b"2021-06-06", 3600), Ok(civil_to_us(2021, 6, 5, 23, 0, 0, 0, 0)));
        assert_eq!(iso_us(b"2021-06-06T13:59", 0), Ok(civil_to_us(2021, 6, 6, 13, 59, 0, 0, 0)));
    }

    #[test]
    fn hostile() {
        for s in [
            "2021-13-06 13:59:46",
            "2021-02-31T00:00:00Z",
            "123456789-01-01T00:00:00Z",
            "2021-06-06T13:59:46+1\u{e9}1",
            "2021-06-06T13:59:46+0\u{e9}:00",
            "2021-06-06T13:59:46+19:00",
            "2021-06-06T13:59:46+05:99",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(matches!(iso_us(s.as_bytes(), 0), Err(TimeError::Invalid(_))), "{s}");
        }
        for s in ["garbage here", "2021-06-0", "", "2021-06-06X", "2021-06-06T1:00", "2021-06-06T13:59:46."] {
            assert_eq!(iso_us(s.as_bytes(), 0), Err(TimeError::Malformed), "{s}");
        }
        assert_eq!(iso_us(b"2021-06-06T13:\xff\xfe", 0), Err(TimeError::Malformed));
    }

    #[test]
    fn zones() {
        assert_eq!(zone_offset(b"", 60), Ok(60));
        assert_eq!(zone_offset(b"UTC", 60), Ok(0));
        assert_eq!(zone_offset(b"-07", 0), Ok(-7 * 3600));
        assert_eq!(zone_offset(b"+18:00", 0), Ok(18 * 3600));
        assert!(zone_offset(b"+1801", 0).is_err());
        assert!(zone_offset("+1\u{e9}1".as_bytes(), 0).is_err());
        assert!(zone_offset(b"CEST", 0).is_err());
    }
}
