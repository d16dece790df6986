//! Epoch numbers (seconds, ms, µs, ns, or a unit guessed from the magnitude) and the .NET JSON
//! form "/Date(ms[±hhmm])/". Checked: a value beyond years 1..=9999 is an error, never a wrap.
use super::civil::check_us;
use super::{lossy, trim, TimeError};

fn scaled(v: i64, per_unit_us: i64) -> Result<i64, TimeError> {
    v.checked_mul(per_unit_us).ok_or_else(|| TimeError::invalid("epoch value is outside years 1..=9999"))
}

/// Whole epoch seconds -> µs.
pub fn epoch_s_to_us(secs: i64) -> Result<i64, TimeError> {
    check_us(scaled(secs, 1_000_000)?)
}

/// Epoch milliseconds -> µs.
pub fn epoch_ms_to_us(ms: i64) -> Result<i64, TimeError> {
    check_us(scaled(ms, 1000)?)
}

/// Epoch microseconds, checked against the validity rule.
pub fn epoch_us(us: i64) -> Result<i64, TimeError> {
    check_us(us)
}

/// Epoch nanoseconds -> µs (truncated toward the earlier µs).
pub fn epoch_ns_to_us(ns: i64) -> Result<i64, TimeError> {
    check_us(ns.div_euclid(1000))
}

/// Integer epoch of unknown unit: the magnitude decides (seconds up to ~year 5138, then ms, µs, ns).
pub fn epoch_auto_int_to_us(x: i64) -> Result<i64, TimeError> {
    let a = x.unsigned_abs();
    if a < 100_000_000_000 {
        epoch_s_to_us(x)
    } else if a < 100_000_000_000_000 {
        epoch_ms_to_us(x)
    } else if a < 100_000_000_000_000_000 {
        epoch_us(x)
    } else {
        epoch_ns_to_us(x)
    }
}

/// Fractional epoch of unknown unit (same magnitudes as [`epoch_auto_int_to_us`]).
pub fn epoch_auto_f64_to_us(x: f64) -> Result<i64, TimeError> {
    if !x.is_finite() {
        return Err(TimeError::invalid("epoch value is not a finite number"));
    }
    let a = x.abs();
    let us = if a < 1.0e11 {
        x * 1e6
    } else if a < 1.0e14 {
        x * 1e3
    } else if a < 1.0e17 {
        x
    } else {
        x / 1e3
    };
    f64_us(us)
}

/// Fractional epoch seconds -> µs.
pub fn epoch_secs_f64_to_us(secs: f64) -> Result<i64, TimeError> {
    if !secs.is_finite() {
        return Err(TimeError::invalid("epoch value is not a finite number"));
    }
    f64_us(secs * 1e6)
}

fn f64_us(us: f64) -> Result<i64, TimeError> {
    // The range test comes first: `as i64` saturates, which would be a silently wrong value.
    if !(super::civil::MIN_US as f64..=super::civil::MAX_US as f64).contains(&us) {
        return Err(TimeError::invalid("epoch value is outside years 1..=9999"));
    }
    check_us(us.round() as i64)
}

/// Epoch seconds written as text, with an optional fraction of any length ("1364774400.123456"),
/// or in scientific notation as Zeek writes far-future times ("2.385616957e+09"). Exact to the µs
/// (no float rounding) for the plain form.
pub fn epoch_secs_text_to_us(s: &[u8]) -> Result<i64, TimeError> {
    let s = trim(s);
    let (int_part, frac_part) = match memchr::memchr(b'.', s) {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, &s[s.len()..]),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(TimeError::Malformed);
    }
    let plain = int_part.iter().chain(frac_part).all(u8::is_ascii_digit);
    if !plain {
        return sci_secs_to_us(s);
    }
    let mut secs: i64 = 0;
    for &c in int_part {
        secs = secs
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as i64))
            .ok_or_else(|| TimeError::invalid("epoch value is outside years 1..=9999"))?;
    }
    let (micros, _) = super::iso::fraction_us(frac_part);
    check_us(scaled(secs, 1_000_000)?.checked_add(micros as i64).ok_or(TimeError::Malformed)?)
}

/// "2.385616957e+09" -> µs, through f64 (exact to the µs for such values).
fn sci_secs_to_us(s: &[u8]) -> Result<i64, TimeError> {
    if !s.iter().any(|c| *c == b'e' || *c == b'E') {
        return Err(TimeError::Malformed);
    }
    let f: f64 = std::str::from_utf8(s).ok().and_then(|t| t.parse().ok()).ok_or(TimeError::Malformed)?;
    if !(0.0..1e13).contains(&f) {
        return Err(TimeError::invalid("epoch value is outside years 1..=9999"));
    }
    epoch_secs_f64_to_us(f)
}

/// .NET JSON dates: "/Date(1600000000000)/", "/Date(-5000)/", "/Date(1600000000000+0200)/". The
/// milliseconds are UTC already; the zone suffix only says where the writer was.
pub fn dotnet_date_to_us(s: &[u8]) -> Result<i64, TimeError> {
    let s = trim(s);
    let inner = s.strip_prefix(b"/Date(").and_then(|x| x.strip_suffix(b")/")).ok_or(TimeError::Malformed)?;
    let bad = || TimeError::invalid(format!("{:?} does not hold epoch milliseconds", lossy(s)));
    let neg = inner.first() == Some(&b'-');
    let body = if neg { &inner[1..] } else { inner };
    let n = body.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return Err(bad());
    }
    let zone = &body[n..];
    if !zone.is_empty() {
        super::iso::zone_offset(zone, 0).map_err(|_| bad())?;
    }
    let mut ms: i64 = 0;
    for &c in &body[..n] {
        ms = ms
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as i64))
            .ok_or_else(|| TimeError::invalid("/Date() value is outside years 1..=9999"))?;
    }
    epoch_ms_to_us(if neg { -ms } else { ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_seconds() {
        assert_eq!(epoch_secs_text_to_us(b"1312964022.93089"), Ok(1_312_964_022_930_890));
        assert_eq!(epoch_secs_text_to_us(b"12"), Ok(12_000_000));
        assert_eq!(epoch_secs_text_to_us(b"1.5e9"), Ok(1_500_000_000_000_000));
        assert_eq!(epoch_secs_text_to_us(b"1.5x9"), Err(TimeError::Malformed));
        assert_eq!(epoch_secs_text_to_us(b""), Err(TimeError::Malformed));
        assert!(matches!(epoch_secs_text_to_us(b"99999999999999999999"), Err(TimeError::Invalid(_))));
        assert!(matches!(epoch_secs_text_to_us(b"999999999999"), Err(TimeError::Invalid(_))));
    }

    #[test]
    fn dotnet() {
        let us = 1_600_000_000_000_000;
        assert_eq!(dotnet_date_to_us(b"/Date(1600000000000)/"), Ok(us));
        assert_eq!(dotnet_date_to_us(b"/Date(1600000000000+0200)/"), Ok(us));
        assert_eq!(dotnet_date_to_us(b"/Date(-1000)/"), Ok(-1_000_000));
        assert!(matches!(dotnet_date_to_us(b"/Date()/"), Err(TimeError::Invalid(_))));
        assert!(matches!(dotnet_date_to_us(b"/Date(9223372036854775807)/"), Err(TimeError::Invalid(_))));
        assert!(matches!(dotnet_date_to_us(b"/Date(99999999999999999999999)/"), Err(TimeError::Invalid(_))));
        assert!(matches!(dotnet_date_to_us("/Date(1+1\u{e9}1)/".as_bytes()), Err(TimeError::Invalid(_))));
        assert_eq!(dotnet_date_to_us(b"/Dat"), Err(TimeError::Malformed));
    }

    #[test]
    fn magnitudes() {
        let us = 1_600_000_000_000_000;
        assert_eq!(epoch_auto_int_to_us(1_600_000_000), Ok(us));
        assert_eq!(epoch_auto_int_to_us(1_600_000_000_000), Ok(us));
        assert_eq!(epoch_auto_int_to_us(us), Ok(us));
        assert_eq!(epoch_auto_int_to_us(us * 1000), Ok(us));
        assert_eq!(epoch_auto_f64_to_us(1.6e9), Ok(us));
        assert!(epoch_auto_f64_to_us(1e300).is_err());
        assert!(epoch_auto_f64_to_us(f64::NAN).is_err());
        assert!(epoch_s_to_us(i64::MAX).is_err());
        assert!(epoch_ms_to_us(i64::MIN).is_err());
        assert_eq!(epoch_ns_to_us(-1), Ok(-1));
    }
}
