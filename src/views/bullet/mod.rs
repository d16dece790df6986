//! Bullet graphs (Stephen Few): a bar for the value, a short line for the comparison (the same
//! window a week earlier), and grey bands behind them for what was usual (quartiles of earlier
//! days). This part is pure: it turns a tile into fractions of the graph's width.
pub mod bullet_ui;

use crate::dashboard::{Bands, Tile};

/// Horizontal positions as fractions of the graph width (0 = left edge, 1 = right edge).
#[derive(Debug, Clone, PartialEq)]
pub struct BulletLayout {
    /// The value the right edge stands for.
    pub scale_max: f64,
    pub bar: f32,
    pub marker: Option<f32>,
    /// Band edges from light to dark: [min, p25], [p25, p75], [p75, max] of earlier days.
    pub bands: Vec<(f32, f32)>,
}

/// A "nice" number at or above `x` (1, 2, 2.5, 5 times a power of ten) so the scale reads well.
pub fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

pub fn layout(tile: &Tile) -> BulletLayout {
    let mut top = tile.value.max(tile.week_earlier.unwrap_or(0.0));
    if let Some(b) = tile.bands {
        top = top.max(b.max);
    }
    let scale_max = nice_ceiling(top * 1.05);
    let f = |v: f64| (v / scale_max).clamp(0.0, 1.0) as f32;
    let bands = match tile.bands {
        Some(Bands { min, p25, p75, max, .. }) => vec![(f(min), f(p25)), (f(p25), f(p75)), (f(p75), f(max))],
        None => Vec::new(),
    };
    BulletLayout { scale_max, bar: f(tile.value), marker: tile.week_earlier.map(f), bands }
}

/// A count or byte amount the way a wall shows it: 1.2 K, 3.4 M, 6.4 GB.
pub fn human(v: f64, bytes: bool) -> String {
    let (div, suffix) = match v.abs() {
        a if a >= 1e12 => (1e12, "T"),
        a if a >= 1e9 => (1e9, "G"),
        a if a >= 1e6 => (1e6, "M"),
        a if a >= 1e4 => (1e3, "K"),
        _ => (1.0, ""),
    };
    let unit = if bytes { "B" } else { "" };
    if div == 1.0 {
        format!("{}{}{unit}", v.round() as i64, if bytes { " " } else { "" })
    } else {
        let x = v / div;
        let digits = if x >= 100.0 { 0 } else { 1 };
        format!("{x:.digits$} {suffix}{unit}")
    }
}

/// "+12 %" / "-3 %" against the week earlier, or what is missing.
pub fn change_text(value: f64, earlier: Option<f64>) -> String {
    let Some(e) = earlier else { return "no data a week earlier".into() };
    if e == 0.0 {
        return if value == 0.0 { "same as a week earlier".into() } else { "new (0 a week earlier)".into() };
    }
    let pct = 100.0 * (value - e) / e;
    if pct.abs() < 0.5 {
        "±0 % vs a week earlier".into()
    } else {
        format!("{pct:+.0} % vs a week earlier")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::MetricKind;

    fn tile(value: f64, week: Option<f64>, bands: Option<Bands>) -> Tile {
        Tile {
            metric: MetricKind::IdsAlerts,
            label: "x".into(),
            value,
            week_earlier: week,
            whole: 0.0,
            whole_label: String::new(),
            percent: None,
            bands,
            band: None,
        }
    }

    #[test]
    fn the_scale_holds_value_marker_and_bands() {
        let b = Bands { samples: 5, min: 10.0, p25: 20.0, median: 30.0, p75: 40.0, max: 180.0 };
        let l = layout(&tile(50.0, Some(100.0), Some(b)));
        assert_eq!(l.scale_max, 200.0);
        assert_eq!((l.bar, l.marker), (0.25, Some(0.5)));
        assert_eq!(l.bands, vec![(0.05, 0.1), (0.1, 0.2), (0.2, 0.9)]);
        let l = layout(&tile(0.0, None, None));
        assert_eq!((l.scale_max, l.bar, l.marker, l.bands.len()), (1.0, 0.0, None, 0));
    }

    #[test]
    fn numbers_read_from_across_a_room() {
        assert_eq!(nice_ceiling(7.3), 10.0);
        assert_eq!(nice_ceiling(210.0), 250.0);
        assert_eq!(human(745.0, false), "745");
        assert_eq!(human(31_820.0, false), "31.8 K");
        assert_eq!(human(6_413_611_865.0, true), "6.4 GB");
        assert_eq!(change_text(110.0, Some(100.0)), "+10 % vs a week earlier");
        assert_eq!(change_text(1.0, None), "no data a week earlier");
    }
}
