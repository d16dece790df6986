//! The menu bar: files, workspaces, layouts, views, selection history, help.
use super::export::start_export_dialog;
use crate::app::BrushfireApp;
use crate::data::export::ExportFormat;

pub fn menu_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open…").clicked() {
                ui.close();
                if let Some(files) = app.picker.open_files() {
                    app.open(files);
                }
            }
            crate::app::open_as::open_as_menu_ui(app, ui);
            if ui.button("Connect to Spark…").clicked() {
                ui.close();
                app.spark_dialog.open = true;
            }
            crate::app::lake::open_lake_menu_ui(app, ui);
            ui.separator();
            if ui.button("Open workspace…").clicked() {
                ui.close();
                if let Some(f) = app.picker.open_files().and_then(|f| f.into_iter().next()) {
                    app.open_workspace(&f);
                }
            }
            let recent = app.workspace.recent();
            ui.add_enabled_ui(!recent.is_empty(), |ui| {
                ui.menu_button("Open recent", |ui| {
                    for p in recent {
                        if ui.button(p.display().to_string()).clicked() {
                            ui.close();
                            app.open_workspace(&p);
                        }
                    }
                });
            });
            if ui.add_enabled(app.loaded.is_some(), egui::Button::new("Save workspace")).clicked() {
                ui.close();
                app.save_workspace_ui_action(false);
            }
            if ui.add_enabled(app.loaded.is_some(), egui::Button::new("Save workspace as…")).clicked() {
                ui.close();
                app.save_workspace_ui_action(true);
            }
            if ui
                .add_enabled(
                    app.loaded.is_some() && app.report_job.is_none(),
                    egui::Button::new("Export report…"),
                )
                .clicked()
            {
                ui.close();
                app.export_report_dialog();
            }
            ui.separator();
            ui.label("Timestamps without a zone: offset");
            ui.add(
                egui::TextEdit::singleline(&mut app.panels.tz_text).hint_text("+00:00").desired_width(80.0),
            );
            ui.label("Year for syslog without a year");
            ui.add(
                egui::TextEdit::singleline(&mut app.panels.year_text)
                    .hint_text("file's year")
                    .desired_width(80.0),
            );
            ui.separator();
            for (label, fmt) in [
                ("Export selection as CSV…", ExportFormat::Csv),
                ("Export selection as Parquet…", ExportFormat::Parquet),
                ("Export selection as NDJSON…", ExportFormat::Ndjson),
            ] {
                if ui.add_enabled(app.loaded.is_some(), egui::Button::new(label)).clicked() {
                    ui.close();
                    start_export_dialog(app, fmt, true);
                }
            }
        });
        ui.menu_button("Edit", |ui| {
            if ui.add_enabled(app.sel.can_undo(), egui::Button::new("Undo selection  Ctrl+Z")).clicked() {
                app.sel.undo();
                ui.close();
            }
            if ui.add_enabled(app.sel.can_redo(), egui::Button::new("Redo selection  Ctrl+Shift+Z")).clicked()
            {
                app.sel.redo();
                ui.close();
            }
            if ui.button("Clear all filters").clicked() {
                app.sel.clear_all();
                ui.close();
            }
        });
        crate::app::desk::add_view_menu_ui(app, ui);
        super::wall::view_menu_ui(app, ui);
        ui.menu_button("Help", |ui| {
            ui.label("Drag on the time series to brush; click a bar to select, Ctrl-click to add,");
            ui.label("right-click for only/exclude/copy. Every view is filtered by the others.");
            ui.label("Esc or double-click clears a brush. Ctrl+Z / Ctrl+Shift+Z undo and redo.");
        });
        if let Some(j) = &app.load {
            ui.add(egui::ProgressBar::new(j.fraction()).desired_width(160.0).text("loading"));
            if ui.button("Cancel loading").clicked() {
                j.cancel();
            }
        }
    });
}
