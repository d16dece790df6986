//! Things every view shares: the edit a view returns, hover highlighting, file dialogs, colours.
use crate::linking::selection::Clause;
use std::path::PathBuf;

/// What a view asks for after the user interacted with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewEdit {
    /// The view's new clause (`None` clears it).
    pub clause: Option<Clause>,
    /// True while a drag is in progress: consecutive edits undo as one step.
    pub continuing: bool,
}

/// A value under the pointer in some view; other views highlight it (hover never filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub field: String,
    pub value: String,
}

/// Native file dialogs behind a trait, so tests never open one.
pub trait FilePicker: Send + Sync {
    fn open_files(&self) -> Option<Vec<PathBuf>>;
    /// `filters`: (description, extensions without dot).
    fn save_file(&self, default_name: &str, filters: &[(&str, &[&str])]) -> Option<PathBuf>;
}

/// Dialogs from rfd (xdg portal or zenity on Linux).
pub struct RfdPicker;

impl FilePicker for RfdPicker {
    fn open_files(&self) -> Option<Vec<PathBuf>> {
        rfd::FileDialog::new().set_title("Open logs").pick_files()
    }
    fn save_file(&self, default_name: &str, filters: &[(&str, &[&str])]) -> Option<PathBuf> {
        let mut d = rfd::FileDialog::new().set_file_name(default_name);
        for (name, exts) in filters {
            d = d.add_filter(*name, exts);
        }
        d.save_file()
    }
}

/// A picker that answers from preset paths (tests, scripted runs).
#[derive(Default)]
pub struct PresetPicker {
    pub open: std::sync::Mutex<Vec<Vec<PathBuf>>>,
    pub save: std::sync::Mutex<Vec<PathBuf>>,
}

impl FilePicker for PresetPicker {
    fn open_files(&self) -> Option<Vec<PathBuf>> {
        self.open.lock().ok()?.pop()
    }
    fn save_file(&self, _default_name: &str, _filters: &[(&str, &[&str])]) -> Option<PathBuf> {
        self.save.lock().ok()?.pop()
    }
}

/// Colours used across views so a value looks the same everywhere.
pub mod palette {
    use egui::Color32;
    pub const BAR: Color32 = Color32::from_rgb(70, 130, 180);
    pub const BAR_SELECTED: Color32 = Color32::from_rgb(230, 126, 34);
    pub const BAR_HOVER: Color32 = Color32::from_rgb(241, 196, 15);
    pub const WEEK_EARLIER: Color32 = Color32::from_rgb(200, 200, 200);
    pub const BRUSH_FILL: Color32 = Color32::from_rgba_premultiplied(60, 60, 20, 40);
    pub const UP: Color32 = Color32::from_rgb(192, 57, 43);
    pub const DOWN: Color32 = Color32::from_rgb(39, 174, 96);
    /// Categorical colours (Tableau 10).
    pub const CATEGORICAL: [Color32; 10] = [
        Color32::from_rgb(78, 121, 167),
        Color32::from_rgb(242, 142, 43),
        Color32::from_rgb(225, 87, 89),
        Color32::from_rgb(118, 183, 178),
        Color32::from_rgb(89, 161, 79),
        Color32::from_rgb(237, 201, 72),
        Color32::from_rgb(176, 122, 161),
        Color32::from_rgb(255, 157, 167),
        Color32::from_rgb(156, 117, 95),
        Color32::from_rgb(186, 176, 172),
    ];

    /// Diverging scale for week-over-week change: blue (less) - light grey (same) - red (more).
    /// `change` is (cur - prev) / max(prev, 1), clamped to [-1, 1] for colour.
    pub fn diverging(change: f64) -> Color32 {
        let t = change.clamp(-1.0, 1.0) as f32;
        let mid = [235.0, 235.0, 235.0];
        let hi = [202.0, 0.0, 32.0];
        let lo = [5.0, 113.0, 176.0];
        let (a, b, k) = if t >= 0.0 { (mid, hi, t) } else { (mid, lo, -t) };
        let c = |i: usize| (a[i] + (b[i] - a[i]) * k) as u8;
        Color32::from_rgb(c(0), c(1), c(2))
    }
}

/// Thousands separators (in `data`, where messages below the views use it too).
pub use crate::data::numbers::thousands;

/// Compact numbers for axis and tile labels: 1.2k, 3.4M.
pub fn compact(n: f64) -> String {
    let a = n.abs();
    if a >= 1e9 {
        format!("{:.1}G", n / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", n / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{}", n.round() as i64)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers() {
        assert_eq!(super::thousands(1_234_567), "1,234,567");
        assert_eq!(super::thousands(12), "12");
        assert_eq!(super::compact(12_345.0), "12.3k");
    }
}

#[cfg(test)]
mod glyph_tests {
    /// Every non-ASCII character the UI draws must exist in egui's bundled fonts: a missing glyph
    /// draws as a box for the user (and panics under egui_kittest).
    #[test]
    fn ui_glyphs_are_in_the_default_fonts() {
        let ctx = egui::Context::default();
        let mut out = ctx.run_ui(Default::default(), |_| {});
        out.textures_delta.clear();
        // Characters inside string literals of the UI sources.
        let sources = [
            include_str!("../app/mod.rs"),
            include_str!("../app/desk.rs"),
            include_str!("../app/panels/mod.rs"),
            include_str!("../app/panels/menu.rs"),
            include_str!("../app/panels/filter_bar.rs"),
            include_str!("../app/panels/clean.rs"),
            include_str!("../app/panels/sql.rs"),
            include_str!("../app/panels/summary.rs"),
            include_str!("../app/panels/views.rs"),
            include_str!("../app/panels/export.rs"),
            include_str!("timeseries/timeseries_ui.rs"),
            include_str!("topn/topn_ui.rs"),
            include_str!("table/table_ui.rs"),
            include_str!("treemap/treemap_ui.rs"),
            include_str!("treemap/model.rs"),
            include_str!("graph/graph_ui.rs"),
            include_str!("../linking/selection.rs"),
            include_str!("../linking/needs.rs"),
        ];
        let mut used = std::collections::BTreeSet::new();
        for src in sources {
            for line in src.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, part) in line.split('"').enumerate() {
                    if i % 2 == 1 {
                        used.extend(part.chars().filter(|c| !c.is_ascii()));
                    }
                }
            }
        }
        let missing: Vec<char> = ctx.fonts_mut(|f| {
            used.iter().copied().filter(|c| !f.has_glyph(&egui::FontId::proportional(12.0), *c)).collect()
        });
        assert!(missing.is_empty(), "glyphs missing from the bundled fonts: {missing:?}");
    }
}

/// A label followed by a combo box that screen readers (and egui_kittest) know by that label.
/// egui's `ComboBox::from_label` puts the text after the box, which reads backwards in a toolbar.
pub fn labeled_combo<R>(
    ui: &mut egui::Ui,
    label: &str,
    selected_text: impl Into<egui::WidgetText>,
    add_contents: impl FnOnce(&mut egui::Ui) -> R,
) -> egui::InnerResponse<Option<R>> {
    let l = ui.label(label);
    let mut r = egui::ComboBox::from_id_salt(label).selected_text(selected_text).show_ui(ui, add_contents);
    r.response = r.response.labelled_by(l.id);
    r
}
