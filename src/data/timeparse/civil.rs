//! The calendar and the one validity rule every time format goes through: years 1..=9999, real
//! calendar days (no 31 February), clock fields in range, zone offsets within ±18 h. All
//! arithmetic on values that came from input is checked: a value that cannot be represented is a
//! rejected value, never a wrapped one.
use super::TimeError;

/// 0001-01-01T00:00:00Z in µs since the Unix epoch: the earliest valid time.
pub const MIN_US: i64 = -62_135_596_800_000_000;
/// 9999-12-31T23:59:59.999999Z in µs since the Unix epoch: the latest valid time.
pub const MAX_US: i64 = 253_402_300_799_999_999;
/// Zone offsets beyond this (seconds) are not real zones (ISO 8601 and chrono agree on ±18 h).
pub const MAX_OFFSET_SECS: i32 = 18 * 3600;

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian). Howard Hinnant's algorithm;
/// exact for any year whose day count fits i64 (callers validate the year first).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn is_leap_year(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Checks an offset east of UTC against ±18 h.
pub fn check_offset(offset_secs: i32) -> Result<i32, TimeError> {
    if offset_secs.unsigned_abs() > MAX_OFFSET_SECS as u32 {
        return Err(TimeError::invalid(format!(
            "zone offset {}{:02}:{:02} is beyond ±18:00",
            if offset_secs < 0 { '-' } else { '+' },
            offset_secs.unsigned_abs() / 3600,
            offset_secs.unsigned_abs() % 3600 / 60
        )));
    }
    Ok(offset_secs)
}

/// Checks µs since the epoch against years 1..=9999 (epoch inputs, sums of offsets).
pub fn check_us(us: i64) -> Result<i64, TimeError> {
    if (MIN_US..=MAX_US).contains(&us) {
        Ok(us)
    } else {
        Err(TimeError::invalid("time is outside years 1..=9999"))
    }
}

/// A civil date-time written in a zone `offset_secs` east of UTC, validated, to µs since the epoch.
/// A leap second (:60) is folded onto :59 rather than rejected.
#[allow(clippy::too_many_arguments)]
pub fn civil_us(
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    micros: u32,
    offset_secs: i32,
) -> Result<i64, TimeError> {
    if !(1..=9999).contains(&y) {
        return Err(TimeError::invalid(format!("year {y} is outside 1..=9999")));
    }
    if !(1..=12).contains(&mo) {
        return Err(TimeError::invalid(format!("month {mo} is outside 1..=12")));
    }
    if d == 0 || d > days_in_month(y, mo) {
        return Err(TimeError::invalid(format!("{} {y} has no day {d}", MONTHS[mo as usize - 1])));
    }
    if h > 23 || mi > 59 || s > 60 {
        return Err(TimeError::invalid(format!("clock {h:02}:{mi:02}:{s:02} is not a time of day")));
    }
    if micros >= 1_000_000 {
        return Err(TimeError::invalid("fraction of a second is not below 1"));
    }
    check_offset(offset_secs)?;
    let s = s.min(59);
    // Bounded by the checks above, but checked anyway: a future edit must not reintroduce a wrap.
    let secs = days_from_civil(y, mo, d)
        .checked_mul(86_400)
        .and_then(|v| v.checked_add(h as i64 * 3600 + mi as i64 * 60 + s as i64))
        .and_then(|v| v.checked_sub(offset_secs as i64))
        .ok_or_else(|| TimeError::invalid("time does not fit"))?;
    secs.checked_mul(1_000_000)
        .and_then(|v| v.checked_add(micros as i64))
        .ok_or_else(|| TimeError::invalid("time does not fit"))
}

/// [`civil_us`] for fields known to be valid (tests, generators). Saturates instead of wrapping if
/// they are not; parsers use [`civil_us`] so that invalid input is rejected with its reason.
#[allow(clippy::too_many_arguments)]
pub fn civil_to_us(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, micros: u32, offset_secs: i32) -> i64 {
    civil_us(y, mo, d, h, mi, s, micros, offset_secs).unwrap_or_else(|_| {
        let secs = days_from_civil(y.clamp(-1_000_000, 1_000_000), mo.clamp(1, 12), d)
            .saturating_mul(86_400)
            .saturating_add(h as i64 * 3600 + mi as i64 * 60 + s as i64)
            .saturating_sub(offset_secs as i64);
        secs.saturating_mul(1_000_000).saturating_add(micros as i64)
    })
}

/// The civil year of a valid time (µs since the epoch, UTC).
pub fn year_of_us(us: i64) -> i64 {
    // Civil-from-days (Hinnant), on floor-divided days.
    let z = us.div_euclid(86_400_000_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(m <= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_years_1_and_9999() {
        assert_eq!(civil_us(1, 1, 1, 0, 0, 0, 0, 0), Ok(MIN_US));
        assert_eq!(civil_us(9999, 12, 31, 23, 59, 59, 999_999, 0), Ok(MAX_US));
        assert_eq!(year_of_us(MIN_US), 1);
        assert_eq!(year_of_us(MAX_US), 9999);
        assert_eq!(year_of_us(0), 1970);
        assert_eq!(year_of_us(-1), 1969);
    }

    #[test]
    fn the_validity_rule() {
        assert!(civil_us(0, 1, 1, 0, 0, 0, 0, 0).is_err());
        assert!(civil_us(10_000, 1, 1, 0, 0, 0, 0, 0).is_err());
        assert!(civil_us(123_456_789, 1, 1, 0, 0, 0, 0, 0).is_err());
        assert!(civil_us(2021, 2, 29, 0, 0, 0, 0, 0).is_err());
        assert!(civil_us(2020, 2, 29, 0, 0, 0, 0, 0).is_ok());
        assert!(civil_us(1900, 2, 29, 0, 0, 0, 0, 0).is_err());
        assert!(civil_us(2000, 2, 29, 0, 0, 0, 0, 0).is_ok());
        assert!(civil_us(2021, 4, 31, 0, 0, 0, 0, 0).is_err());
        assert!(civil_us(2021, 4, 30, 24, 0, 0, 0, 0).is_err());
        assert!(civil_us(2021, 4, 30, 0, 0, 0, 0, 18 * 3600).is_ok());
        assert!(civil_us(2021, 4, 30, 0, 0, 0, 0, -18 * 3600 - 60).is_err());
        // Leap second folded.
        assert_eq!(civil_us(2016, 12, 31, 23, 59, 60, 0, 0), civil_us(2016, 12, 31, 23, 59, 59, 0, 0));
        let e = civil_us(2021, 2, 31, 0, 0, 0, 0, 0).unwrap_err();
        assert_eq!(e.to_string(), "Feb 2021 has no day 31");
    }

    #[test]
    fn known_instants() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_to_us(2013, 4, 1, 0, 0, 0, 0, 0), 1_364_774_400_000_000);
        assert_eq!(civil_to_us(2021, 6, 6, 15, 59, 46, 0, 7200), civil_to_us(2021, 6, 6, 13, 59, 46, 0, 0));
    }
}
