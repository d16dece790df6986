//! What was loaded: format, files, time range, columns, and the lines that were rejected and why.
use crate::app::BrushfireApp;
use crate::views::common::thousands;

pub fn summary_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(l) = &app.loaded else { return };
    let t = l.table.clone();
    ui.columns(2, |c| {
        let ui = &mut c[0];
        egui::ScrollArea::vertical().id_salt("summary_left").show(ui, |ui| {
            egui::Grid::new("summary_grid").striped(true).show(ui, |ui| {
                ui.label("format");
                ui.label(&t.format);
                ui.end_row();
                ui.label("files");
                ui.label(t.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join("\n"));
                ui.end_row();
                ui.label("records");
                ui.label(thousands(t.rows() as i64));
                ui.end_row();
                if let Some((a, b)) = t.time_range_us() {
                    ui.label("time range (UTC)");
                    ui.label(format!(
                        "{}\n{}",
                        crate::data::timeparse::format_rfc3339(a),
                        crate::data::timeparse::format_rfc3339(b)
                    ));
                    ui.end_row();
                }
                ui.label("rejected lines");
                ui.label(thousands(t.rejected.total as i64));
                ui.end_row();
                for n in &t.notes {
                    ui.label("note");
                    ui.label(n);
                    ui.end_row();
                }
            });
            ui.separator();
            ui.strong("Columns");
            egui::Grid::new("columns_grid").striped(true).show(ui, |ui| {
                for c in t.df.columns() {
                    ui.monospace(c.name().as_str());
                    ui.label(crate::data::text_column::type_name(c.dtype()));
                    ui.end_row();
                }
            });
        });
        let ui = &mut c[1];
        ui.strong(format!(
            "Rejected lines ({} kept of {})",
            t.rejected.samples.len(),
            thousands(t.rejected.total as i64)
        ));
        if t.rejected.samples.is_empty() {
            ui.weak("none: every line was read");
        }
        egui::ScrollArea::vertical().id_salt("rejected").show(ui, |ui| {
            for r in &t.rejected.samples {
                ui.label(egui::RichText::new(format!("{}:{}  {}", r.file, r.line, r.reason)).strong());
                ui.monospace(&r.text);
                ui.separator();
            }
        });
    });
}
