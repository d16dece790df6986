//! File > "Open as…" and "Re-read as…": the analyst names the format instead of detection
//! (the same registry as `--format` and `brushfire formats`). A forced format that does not fit
//! ends in the load error, which says how many lines failed and shows the first ones.
use super::loader::LoadJob;
use super::BrushfireApp;
use crate::data::formats::FORMATS;
use crate::data::LoadOptions;
use std::path::PathBuf;

impl BrushfireApp {
    /// Opens `files` read as `format` (a name from `FORMATS`; None: detect each file).
    pub fn open_as(&mut self, files: Vec<PathBuf>, format: Option<String>) {
        if let Some(job) = &self.load {
            job.cancel();
        }
        self.error = None;
        let opts = LoadOptions { format, ..self.panels.load_options() };
        self.load = Some(LoadJob::start(files, opts));
    }
}

/// The two File-menu entries: "Open as…" (pick a format, then files) and "Re-read as…" (the
/// files open now, in another format, or detected again).
pub fn open_as_menu_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.menu_button("Open as…", |ui| {
        for f in FORMATS {
            let hover = format!("{}\ne.g. {}", f.description, f.example);
            if ui.button(f.name).on_hover_text(hover).clicked() {
                ui.close();
                if let Some(files) = app.picker.open_files() {
                    app.open_as(files, Some(f.name.to_string()));
                }
            }
        }
    });
    let open_files: Vec<PathBuf> = app.loaded.as_ref().map(|l| l.table.files.clone()).unwrap_or_default();
    ui.add_enabled_ui(!open_files.is_empty(), |ui| {
        ui.menu_button("Re-read as…", |ui| {
            let current = app.loaded.as_ref().map(|l| l.table.format.clone()).unwrap_or_default();
            ui.label(format!("now: {current}"));
            if ui.button("detected format").clicked() {
                ui.close();
                app.open_as(open_files.clone(), None);
            }
            ui.separator();
            for f in FORMATS {
                let hover = format!("{}\ne.g. {}", f.description, f.example);
                if ui.button(f.name).on_hover_text(hover).clicked() {
                    ui.close();
                    app.open_as(open_files.clone(), Some(f.name.to_string()));
                }
            }
        });
    });
}
