//! Records table: pure part. Which window of the selection to ask for, and cell text.
pub mod table_ui;

use polars::prelude::*;

/// Rows requested around what is visible, so small scrolls need no new answer.
pub const WINDOW_MARGIN: usize = 100;
pub const WINDOW_ROWS: usize = 400;

/// The window to request for visible rows `first..last` (indices into the selection).
pub fn window_for(first: usize, last: usize, have: Option<(usize, usize)>) -> (usize, usize) {
    if let Some((off, len)) = have {
        if first >= off && last <= off + len {
            return (off, len);
        }
    }
    let off = first.saturating_sub(WINDOW_MARGIN);
    (off, WINDOW_ROWS.max(last - first + 2 * WINDOW_MARGIN))
}

/// Cell text for a table value: readable times, no quotes around strings.
pub fn cell_text(v: &AnyValue) -> String {
    // Text, stored plainly or as a dictionary code (`data::text_column`).
    if let Some(s) = v.get_str() {
        return s.to_string();
    }
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Datetime(us, TimeUnit::Microseconds, _)
        | AnyValue::DatetimeOwned(us, TimeUnit::Microseconds, _) => {
            let us = *us;
            chrono::DateTime::from_timestamp(
                us.div_euclid(1_000_000),
                (us.rem_euclid(1_000_000) * 1000) as u32,
            )
            .map(|d| d.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
            .unwrap_or_default()
        }
        AnyValue::Float64(f) => format!("{f}"),
        // A whole-number f64 column stored as f32 (`data::compact`): printed as the f64 it is.
        AnyValue::Float32(f) => format!("{}", *f as f64),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_reused_while_visible() {
        let w = window_for(0, 30, None);
        assert_eq!(w.0, 0);
        assert_eq!(window_for(10, 40, Some(w)), w);
        let far = window_for(5000, 5030, Some(w));
        assert_eq!(far.0, 4900);
    }

    #[test]
    fn cells() {
        assert_eq!(cell_text(&AnyValue::String("a")), "a");
        assert_eq!(cell_text(&AnyValue::Null), "");
        let t = AnyValue::Datetime(1_364_774_400_000_001, TimeUnit::Microseconds, None);
        assert_eq!(cell_text(&t), "2013-04-01 00:00:00.000001");
    }
}
