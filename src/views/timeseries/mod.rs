//! Time series view: pure part. Re-bins the engine's base buckets for the visible range and plot
//! width, builds the comparison series (one week or one day earlier), and runs the brush gestures.
pub mod timeseries_ui;

use crate::linking::engine::WEEK_US;

pub const DAY_US: i64 = 86_400_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    WeekEarlier,
    DayEarlier,
    Off,
}

impl Compare {
    pub fn shift_us(self) -> Option<i64> {
        match self {
            Compare::WeekEarlier => Some(WEEK_US),
            Compare::DayEarlier => Some(DAY_US),
            Compare::Off => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Compare::WeekEarlier => "one week earlier",
            Compare::DayEarlier => "one day earlier",
            Compare::Off => "off",
        }
    }
}

/// Display bucket: a multiple of the base bucket giving about one bucket per `px_per_bucket`
/// pixels over the visible span.
pub fn display_bucket_us(base_us: i64, visible_span_us: f64, width_px: f32, px_per_bucket: f32) -> i64 {
    let want = (width_px / px_per_bucket).max(10.0) as f64;
    let raw = visible_span_us / want;
    let k = (raw / base_us as f64).ceil().max(1.0) as i64;
    // Round the multiple to a friendly step so buckets align with minutes, hours, days.
    const STEPS: [i64; 16] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 360, 720];
    let k = STEPS.iter().copied().find(|s| *s >= k).unwrap_or(k);
    base_us * k
}

/// Sums base buckets into display buckets over [from_us, to_us); points are (bucket start secs, value).
/// `shift_us` reads the series that far earlier and draws it at the current time (comparison line).
pub fn rebin(
    base: &[i64],
    origin_us: i64,
    base_us: i64,
    bucket_us: i64,
    from_us: i64,
    to_us: i64,
    shift_us: i64,
) -> Vec<[f64; 2]> {
    if base.is_empty() || base_us <= 0 || bucket_us <= 0 {
        return Vec::new();
    }
    let k = (bucket_us / base_us).max(1) as usize;
    // Align display buckets to the base origin so re-binning is exact.
    let start_bucket = ((from_us - origin_us).div_euclid(bucket_us)).max(0);
    let end_bucket = ((to_us - origin_us).div_euclid(bucket_us) + 1).max(start_bucket);
    let shift_base = shift_us / base_us;
    let mut out = Vec::with_capacity((end_bucket - start_bucket) as usize);
    for b in start_bucket..end_bucket {
        let first = b * k as i64 - shift_base;
        let mut sum = 0i64;
        let mut any = false;
        for i in first..first + k as i64 {
            if i >= 0 && (i as usize) < base.len() {
                sum += base[i as usize];
                any = true;
            }
        }
        if !any && shift_us != 0 {
            // No data that far back: leave a gap rather than draw a misleading zero.
            continue;
        }
        if !any && b as usize * k >= base.len() {
            break;
        }
        let t_secs = (origin_us + b * bucket_us) as f64 / 1e6;
        out.push([t_secs, sum as f64]);
    }
    out
}

/// Step-shaped polyline so each bucket reads as a flat segment over its span.
pub fn as_steps(points: &[[f64; 2]], bucket_secs: f64) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for p in points {
        out.push([p[0], p[1]]);
        out.push([p[0] + bucket_secs, p[1]]);
    }
    out
}

/// What a pointer drag does to the brush.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BrushGesture {
    /// New brush from the press point.
    Create { anchor_secs: f64 },
    /// Move the whole brush, keeping its width.
    Move { grab_offset_secs: f64, width_secs: f64 },
    /// Drag one edge; `fixed_secs` is the other edge.
    Resize { fixed_secs: f64 },
}

/// Chooses the gesture for a press at `x_secs`, given the brush and how many seconds a few pixels are.
pub fn gesture_at(brush: Option<(f64, f64)>, x_secs: f64, edge_tolerance_secs: f64) -> BrushGesture {
    if let Some((a, b)) = brush {
        if (x_secs - a).abs() <= edge_tolerance_secs {
            return BrushGesture::Resize { fixed_secs: b };
        }
        if (x_secs - b).abs() <= edge_tolerance_secs {
            return BrushGesture::Resize { fixed_secs: a };
        }
        if x_secs > a && x_secs < b {
            return BrushGesture::Move { grab_offset_secs: x_secs - a, width_secs: b - a };
        }
    }
    BrushGesture::Create { anchor_secs: x_secs }
}

/// The brush interval (secs, ordered) for the pointer at `x_secs` during a gesture.
pub fn brush_for(g: BrushGesture, x_secs: f64) -> (f64, f64) {
    match g {
        BrushGesture::Create { anchor_secs } | BrushGesture::Resize { fixed_secs: anchor_secs } => {
            (anchor_secs.min(x_secs), anchor_secs.max(x_secs))
        }
        BrushGesture::Move { grab_offset_secs, width_secs } => {
            let a = x_secs - grab_offset_secs;
            (a, a + width_secs)
        }
    }
}

/// The y axis' three grid steps from egui_plot's smallest (`base`): the first of 1, 2 and 5 times a
/// power of ten at or above it, then two larger, each a multiple of the one before. Powers of ten
/// alone (egui_plot's default) left a series peaking at 950 over a 200-point-high plot with its
/// 0 as the only label: 100 was too dense to label and 1,000 out of range.
pub fn nice_y_steps(base: f64) -> [f64; 3] {
    if !(base.is_finite() && base > 0.0) {
        return [1.0, 5.0, 10.0];
    }
    let p = 10f64.powf(base.log10().floor());
    // Each step with the middle step's factor: 1 -> 5, 10; 2 -> 10, 20; 5 -> 10, 50.
    let (s, mid) = [(1.0, 5.0), (2.0, 5.0), (5.0, 2.0), (10.0, 5.0)]
        .into_iter()
        .map(|(m, f)| (m * p, f * m * p))
        .find(|(s, _)| *s >= base * (1.0 - 1e-9))
        .unwrap_or((10.0 * p, 50.0 * p));
    [s, mid, 10.0 * s]
}

/// The time axis' label at `secs` (epoch seconds), a grid mark `step_secs` from the next, when the
/// plot spans `span_secs`: the year as soon as the span passes two months, since a capture with
/// broken timestamps (Argus records dated 1970 beside 2018) spans decades, and "Thu 01-01" then
/// named a day of any of them; seconds only when marks are less than a minute apart.
pub fn axis_label(secs: f64, step_secs: f64, span_secs: f64) -> String {
    let Some(dt) = chrono::DateTime::from_timestamp(secs.floor() as i64, 0) else {
        return String::new();
    };
    if span_secs > 2.0 * 365.0 * DAY_SECS && step_secs >= 28.0 * DAY_SECS {
        // Marks 365 days apart drift a day every leap year (the 1972 mark falls on 1971-12-31):
        // named by the month they open, half a month on.
        let shown = dt + chrono::Duration::days(16);
        return shown.format(if step_secs >= 365.0 * DAY_SECS { "%Y" } else { "%Y-%m" }).to_string();
    }
    let format = if span_secs > 60.0 * DAY_SECS {
        "%Y-%m-%d"
    } else if step_secs >= DAY_SECS {
        "%a %m-%d"
    } else if step_secs < 60.0 {
        "%H:%M:%S"
    } else if span_secs > DAY_SECS {
        "%m-%d %H:%M"
    } else {
        "%H:%M"
    };
    dt.format(format).to_string()
}

const DAY_SECS: f64 = 86_400.0;

/// Grid steps a reader counts time in (seconds): whole seconds, minutes and hours that divide the
/// next unit, days, weeks, 30 and 90 days, and whole years of 365 days. Marks fall on multiples of
/// a step from the epoch (UTC midnight), so hour and day marks land on the hour and at midnight.
const TIME_STEPS_SECS: [f64; 30] = [
    1.0,
    2.0,
    5.0,
    10.0,
    15.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    900.0,
    1800.0,
    3600.0,
    7200.0,
    10_800.0,
    21_600.0,
    43_200.0,
    DAY_SECS,
    2.0 * DAY_SECS,
    7.0 * DAY_SECS,
    14.0 * DAY_SECS,
    30.0 * DAY_SECS,
    90.0 * DAY_SECS,
    180.0 * DAY_SECS,
    365.0 * DAY_SECS,
    730.0 * DAY_SECS,
    1825.0 * DAY_SECS,
    3650.0 * DAY_SECS,
    7300.0 * DAY_SECS,
    18_250.0 * DAY_SECS,
];

/// The time axis' three grid steps from egui_plot's smallest (`base_secs`, its 8-point spacing):
/// the first step of [`TIME_STEPS_SECS`] at or above it, then twice the next step at least three
/// times the one before, a multiple of it where the table has one (days and years share none).
/// So the largest is at least 72 points apart, room for labels, which egui_plot draws only past 60.
/// egui_plot's own steps are powers of ten seconds: a six-hour capture was marked every 1,000 s
/// (07:56, 08:13, 08:30, ...), now every 30 minutes.
pub fn nice_time_steps(base_secs: f64) -> [f64; 3] {
    if !(base_secs.is_finite() && base_secs > 0.0) {
        return [60.0, 600.0, 3600.0];
    }
    let at_least = |min: f64| TIME_STEPS_SECS.iter().copied().filter(move |&s| s >= min * (1.0 - 1e-9));
    let next = |from: f64| {
        at_least(3.0 * from)
            .find(|&s| (s / from).fract() == 0.0)
            .or_else(|| at_least(3.0 * from).next())
            .unwrap_or(10.0 * from)
    };
    let s0 = at_least(base_secs).next().unwrap_or_else(|| {
        let decade = 3650.0 * DAY_SECS;
        (base_secs / decade).ceil() * decade
    });
    let s1 = next(s0);
    [s0, s1, next(s1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_axis_names_the_year_once_the_span_passes_two_months() {
        const DAY: f64 = DAY_SECS;
        // 2013-04-01 00:00 UTC, a Monday.
        let t = 1_364_774_400.0;
        assert_eq!(axis_label(t, DAY, 14.0 * DAY), "Mon 04-01");
        assert_eq!(axis_label(t, 7.0 * DAY, 90.0 * DAY), "2013-04-01");
        // 1970 beside 2018: every label says its year.
        assert_eq!(axis_label(0.0, 1825.0 * DAY, 48.0 * 365.0 * DAY), "1970");
        assert_eq!(axis_label(730.0 * DAY, 730.0 * DAY, 48.0 * 365.0 * DAY), "1972");
        assert_eq!(axis_label(0.0, 90.0 * DAY, 3.0 * 365.0 * DAY), "1970-01");
        assert_eq!(axis_label(t + 3600.0, 6.0 * 3600.0, 2.0 * DAY), "04-01 01:00");
        assert_eq!(axis_label(t + 3600.0, 1800.0, 6.0 * 3600.0), "01:00");
        // Marks under a minute apart need their seconds, whatever the span.
        assert_eq!(axis_label(t + 61.0, 30.0, 1200.0), "00:01:01");
        assert_eq!(axis_label(f64::MAX, DAY, DAY), "");
    }

    #[test]
    fn time_steps_are_units_a_reader_counts_in() {
        const DAY: f64 = DAY_SECS;
        // Six hours over 1,500 points (egui_plot's base: 8 points): labels every 30 minutes.
        assert_eq!(nice_time_steps(6.0 * 3600.0 * 8.0 / 1500.0), [120.0, 600.0, 1800.0]);
        // Two weeks: every day.
        assert_eq!(nice_time_steps(14.0 * DAY * 8.0 / 1500.0), [7200.0, 21_600.0, DAY]);
        // 21 minutes: every 2 minutes.
        assert_eq!(nice_time_steps(1270.0 * 8.0 / 1500.0), [10.0, 30.0, 120.0]);
        // Days give way to whole years where no year is a multiple.
        assert_eq!(nice_time_steps(100.0 * DAY), [180.0 * DAY, 730.0 * DAY, 3650.0 * DAY]);
        assert_eq!(nice_time_steps(5.0 * DAY), [7.0 * DAY, 30.0 * DAY, 90.0 * DAY]);
        assert_eq!(nice_time_steps(30_000.0 * DAY), [32_850.0 * DAY, 328_500.0 * DAY, 3_285_000.0 * DAY]);
        assert_eq!(nice_time_steps(0.0), [60.0, 600.0, 3600.0]);
        assert_eq!(nice_time_steps(f64::NAN), [60.0, 600.0, 3600.0]);
        for base in [0.3, 3.0, 45.0, 700.0, 5000.0, 50_000.0, 9.0 * DAY, 100.0 * DAY, 400.0 * DAY] {
            let [a, b, c] = nice_time_steps(base);
            assert!(a >= base && b >= 3.0 * a && c >= 3.0 * b, "{base}: {a} {b} {c}");
        }
    }

    #[test]
    fn y_steps_are_one_two_five_each_a_multiple_of_the_one_before() {
        let close = |a: [f64; 3], b: [f64; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9 * y);
        assert!(close(super::nice_y_steps(44.0), [50.0, 100.0, 500.0]));
        assert!(close(super::nice_y_steps(100.0), [100.0, 500.0, 1000.0]));
        assert!(close(super::nice_y_steps(101.0), [200.0, 1000.0, 2000.0]));
        assert!(close(super::nice_y_steps(0.03), [0.05, 0.1, 0.5]));
        assert_eq!(super::nice_y_steps(0.0), [1.0, 5.0, 10.0]);
        assert_eq!(super::nice_y_steps(f64::NAN), [1.0, 5.0, 10.0]);
    }

    #[test]
    fn rebin_sums_and_shifts() {
        let base: Vec<i64> = (0..100).collect();
        let p = rebin(&base, 0, 1_000_000, 10_000_000, 0, 100_000_000, 0);
        assert_eq!(p.len(), 10);
        assert_eq!(p[0], [0.0, 45.0]);
        assert_eq!(p.iter().map(|x| x[1]).sum::<f64>(), (0..100).sum::<i64>() as f64);
        // Shifted by 20 s: bucket at t=30 s shows base 10..20.
        let s = rebin(&base, 0, 1_000_000, 10_000_000, 0, 100_000_000, 20_000_000);
        assert_eq!(s[0], [20.0, 45.0], "first two buckets have no earlier data");
    }

    #[test]
    fn display_bucket_is_a_friendly_multiple() {
        let b = display_bucket_us(60_000_000, 14.0 * 86_400e6, 1200.0, 3.0);
        assert_eq!(b % 60_000_000, 0);
        assert!((14.0 * 86_400e6 / b as f64) <= 400.0);
    }

    #[test]
    fn brush_gestures() {
        assert_eq!(gesture_at(None, 5.0, 1.0), BrushGesture::Create { anchor_secs: 5.0 });
        let b = Some((10.0, 20.0));
        assert_eq!(gesture_at(b, 10.5, 1.0), BrushGesture::Resize { fixed_secs: 20.0 });
        assert_eq!(gesture_at(b, 15.0, 1.0), BrushGesture::Move { grab_offset_secs: 5.0, width_secs: 10.0 });
        assert_eq!(
            brush_for(BrushGesture::Move { grab_offset_secs: 5.0, width_secs: 10.0 }, 30.0),
            (25.0, 35.0)
        );
        assert_eq!(brush_for(BrushGesture::Create { anchor_secs: 8.0 }, 3.0), (3.0, 8.0));
    }
}
