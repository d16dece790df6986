//! The filter chips under the menu and the status line at the bottom.
use crate::app::{BrushfireApp, Tab, VIEW_TABLE};
use crate::linking::needs::Output;
use crate::linking::selection::{Clause, ViewId};
use crate::views::common::thousands;

pub fn filter_bar_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Filters:");
        let clauses: Vec<(ViewId, Clause)> =
            app.sel.current().clauses.iter().map(|(v, c)| (*v, c.clone())).collect();
        if clauses.is_empty() {
            ui.weak("none — brush or click in any view");
        }
        for (v, c) in clauses {
            let text = format!("{}  ×", c.describe());
            let chip = egui::Button::new(egui::RichText::new(text).color(egui::Color32::WHITE))
                .fill(egui::Color32::from_rgb(52, 101, 164))
                .corner_radius(10.0);
            let chip = ui.add(chip).on_hover_text("remove this filter");
            if chip.hovered() {
                // Removing the clause is then a lookup in the view's cube.
                app.coord.hover_enter(v);
            }
            if chip.clicked() {
                app.sel.set(v, None, false);
            }
        }
        if !app.sel.current().is_empty() && ui.button("Clear all").clicked() {
            app.sel.clear_all();
        }
        if !app.sel.current().is_empty() && ui.button("Bookmark this selection").clicked() {
            app.start_bookmark();
        }
        ui.separator();
        if ui.add_enabled(app.sel.can_undo(), egui::Button::new("Undo")).clicked() {
            app.sel.undo();
        }
        if ui.add_enabled(app.sel.can_redo(), egui::Button::new("Redo")).clicked() {
            app.sel.redo();
        }
    });
}

/// "1,234,567 of 10,000,000 records (12.3%)".
pub fn selection_status(passing: i64, total: usize) -> String {
    let pct = if total > 0 { passing as f64 * 100.0 / total as f64 } else { 0.0 };
    format!("{} of {} records ({:.1}%)", thousands(passing), thousands(total as i64), pct)
}

pub fn status_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        if let Some(l) = &app.loaded {
            let total = crate::app::lake::total_rows(app, l);
            let passing = match app.outputs.get(&VIEW_TABLE) {
                Some(Output::Table { passing, .. } | Output::Records { passing, .. }) => *passing,
                _ => total as i64,
            };
            ui.strong(selection_status(passing, total));
            ui.separator();
            ui.label(&l.table.format);
            if let Some((a, b)) = l.table.time_range_us() {
                ui.separator();
                ui.label(format!(
                    "{} – {} UTC",
                    crate::data::timeparse::format_short(a),
                    crate::data::timeparse::format_short(b)
                ));
            }
            if l.table.rejected.total > 0 {
                ui.separator();
                if ui.link(format!("{} rejected lines", thousands(l.table.rejected.total as i64))).clicked() {
                    app.tab = Tab::Summary;
                }
            }
            ui.separator();
            let state = if app.is_current() {
                // No strategy when only the views' needs changed (a tab shown, a field picked).
                match app.last_strategy {
                    "" => format!("updated in {:.1} ms", app.last_compute_ms),
                    s => format!("updated in {:.1} ms ({s})", app.last_compute_ms),
                }
            } else {
                "updating…".into()
            };
            ui.weak(state);
        }
        if !app.status.is_empty() {
            ui.separator();
            ui.weak(&app.status);
        }
        if let Some(m) = &app.panels.export_message {
            ui.separator();
            ui.label(m);
        }
        if let Some(j) = &app.panels.export {
            j.progress_ui(ui);
        }
    });
}
