//! Top-N view: pure part. Bars with count, percent of the total ("of N"), and week-over-week change;
//! selection edits (click, Ctrl-click, only this, exclude this).
pub mod topn_ui;

use crate::linking::needs::TopEntry;
use crate::linking::selection::Clause;

/// One drawn bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    /// Width relative to the largest bar shown (0..=1).
    pub frac: f32,
    pub percent: f64,
    pub change: Option<String>,
    pub change_up: Option<bool>,
    pub selected: bool,
}

pub fn bars(entries: &[TopEntry], total: i64, own: Option<&Clause>) -> Vec<Bar> {
    let max = entries.iter().map(|e| e.value).max().unwrap_or(1).max(1);
    let (sel, negate) = match own.and_then(|c| c.as_values()) {
        Some((_, v, n)) => (v.into_iter().map(str::to_string).collect::<Vec<_>>(), n),
        None => (Vec::new(), false),
    };
    entries
        .iter()
        .map(|e| {
            let change = match (e.cur, e.prev) {
                (Some(c), Some(p)) => Some((crate::linking::needs::change_text(c, p), c > p)),
                _ => None,
            };
            Bar {
                label: e.label.clone(),
                value: e.value,
                frac: e.value as f32 / max as f32,
                percent: if total > 0 { e.value as f64 * 100.0 / total as f64 } else { 0.0 },
                change_up: change.as_ref().map(|c| c.1),
                change: change.map(|c| c.0),
                selected: !negate && sel.contains(&e.label),
            }
        })
        .collect()
}

/// Click: select only this value (or clear if it was the only one). Ctrl-click: add or remove.
pub fn click(field: &str, own: Option<&Clause>, value: &str, add: bool) -> Option<Clause> {
    let mut current: Vec<String> = match own.and_then(|c| c.as_values()) {
        Some((f, v, false)) if f == field => v.into_iter().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    if add {
        if let Some(p) = current.iter().position(|v| v == value) {
            current.remove(p);
        } else {
            current.push(value.to_string());
        }
    } else if current.len() == 1 && current[0] == value {
        current.clear();
    } else {
        current = vec![value.to_string()];
    }
    (!current.is_empty()).then(|| Clause::values(field, current, false))
}

/// "exclude this": adds the value to an exclusion of this field.
pub fn exclude(field: &str, own: Option<&Clause>, value: &str) -> Clause {
    let mut current: Vec<String> = match own.and_then(|c| c.as_values()) {
        Some((f, v, true)) if f == field => v.into_iter().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    if !current.iter().any(|v| v == value) {
        current.push(value.to_string());
    }
    Clause::values(field, current, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn click_semantics() {
        let c = click("dst_port", None, "80", false).unwrap();
        assert_eq!(c.describe(), "dst_port = 80");
        let c2 = click("dst_port", Some(&c), "443", true).unwrap();
        assert_eq!(c2.describe(), "dst_port in {80, 443}");
        let c3 = click("dst_port", Some(&c2), "80", true).unwrap();
        assert_eq!(c3.describe(), "dst_port = 443");
        assert_eq!(click("dst_port", Some(&c3), "443", false), None);
        let x = exclude("dst_port", None, "0");
        assert_eq!(x.describe(), "not dst_port 0");
    }

    #[test]
    fn bars_show_percent_of_total() {
        let e = vec![TopEntry { label: "80".into(), value: 25, cur: Some(25), prev: Some(20) }];
        let b = bars(&e, 100, None);
        assert_eq!(b[0].percent, 25.0);
        assert_eq!(b[0].change.as_deref(), Some("+25%"));
        assert_eq!(b[0].frac, 1.0);
    }
}
