//! Notes on the selection: "Bookmark this selection" with a title and text, the list that restores
//! a bookmark's selection with one click, its marks on the time series, and the report export.
use super::jobs::Job;
use super::BrushfireApp;
use crate::linking::selection::{Clause, Selection};
use crate::workspace::Bookmark;
use std::path::PathBuf;

/// The bookmark being written in the dialog.
#[derive(Default, Clone)]
pub struct Draft {
    pub title: String,
    pub text: String,
}

impl BrushfireApp {
    /// Opens the dialog for a bookmark of the current selection.
    pub fn start_bookmark(&mut self) {
        let title = self.sel.current().clauses.values().map(|c| c.describe()).collect::<Vec<_>>().join(", ");
        let title: String = title.chars().take(60).collect();
        self.bookmark_draft = Some(Draft { title, text: String::new() });
    }

    /// Stores the bookmark of the current selection.
    pub fn add_bookmark(&mut self, title: &str, text: &str) {
        self.workspace.bookmarks.push(Bookmark {
            title: title.trim().to_string(),
            text: text.trim().to_string(),
            selection: self.sel.current().clauses.clone(),
        });
    }

    /// Restores bookmark `i`'s selection as one undoable step.
    pub fn restore_bookmark(&mut self, i: usize) {
        if let Some(b) = self.workspace.bookmarks.get(i) {
            self.sel.replace(Selection { clauses: b.selection.clone() });
        }
    }

    /// Marks for the time series: where each bookmark's time brush starts (bookmarks without one
    /// have no place on the time axis, the list shows them).
    pub fn bookmark_marks(&self) -> Vec<(f64, String)> {
        self.workspace
            .bookmarks
            .iter()
            .filter_map(|b| {
                b.selection.values().find_map(|c| match c {
                    Clause::Time { start_us, .. } => Some((*start_us as f64 / 1e6, b.title.clone())),
                    _ => None,
                })
            })
            .collect()
    }

    /// Starts writing the report of the bookmarks to `out` in the background.
    pub fn start_report(&mut self, out: PathBuf) {
        let Some(l) = &self.loaded else { return };
        let path = self.workspace.path.clone().unwrap_or_else(|| out.with_extension("brushfire"));
        let Some(ws) = self.snapshot_workspace(&path) else { return };
        let table = l.table.clone();
        let n = ws.bookmarks.len() as u64;
        let mut inputs = table.files.clone();
        inputs.extend(self.workspace.path.clone());
        let t = (*table).clone();
        self.report_job = Some(Job::spawn(format!("report of {n} bookmark(s)"), n, move |done, cancel| {
            let data = crate::report::compute(&ws, &t, done, cancel)?;
            crate::report::write(&data, &out, &inputs)?;
            Ok(out)
        }));
    }

    /// Polls the report job; the status line says where the report went.
    pub(super) fn pump_report(&mut self) -> bool {
        let Some(j) = &self.report_job else { return false };
        if let Some(r) = j.poll() {
            self.panels.export_message = Some(match r {
                Ok(p) => format!("report written to {}", p.display()),
                Err(e) => format!("report failed: {e}"),
            });
            self.report_job = None;
            return false;
        }
        true
    }

    pub fn export_report_dialog(&mut self) {
        if let Some(p) =
            self.picker.save_file("report.html", &[("HTML report", &["html"]), ("Markdown report", &["md"])])
        {
            self.start_report(p);
        }
    }
}

/// The dialog of "Bookmark this selection".
pub fn bookmark_dialog_ui(app: &mut BrushfireApp, ctx: &egui::Context) {
    let Some(mut d) = app.bookmark_draft.take() else { return };
    let mut keep = true;
    let mut save = false;
    egui::Window::new("Bookmark this selection").collapsible(false).resizable(true).show(ctx, |ui| {
        for c in app.sel.current().clauses.values() {
            ui.monospace(c.describe());
        }
        let l = ui.label("Title");
        ui.add(egui::TextEdit::singleline(&mut d.title).id_salt("bookmark_title").desired_width(360.0))
            .labelled_by(l.id);
        let l = ui.label("Text");
        ui.add(
            egui::TextEdit::multiline(&mut d.text)
                .id_salt("bookmark_text")
                .desired_rows(3)
                .desired_width(360.0),
        )
        .labelled_by(l.id);
        ui.horizontal(|ui| {
            save = ui.add_enabled(!d.title.trim().is_empty(), egui::Button::new("Save bookmark")).clicked();
            if ui.button("Cancel").clicked() {
                keep = false;
            }
        });
    });
    if save {
        app.add_bookmark(&d.title, &d.text);
    } else if keep {
        app.bookmark_draft = Some(d);
    }
}

/// Notes and the bookmark list.
pub fn bookmarks_pane_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        if ui.button("+ Bookmark").on_hover_text("bookmark the current selection").clicked() {
            app.start_bookmark();
        }
        let can_report = app.loaded.is_some() && app.report_job.is_none();
        if ui.add_enabled(can_report, egui::Button::new("Export report…")).clicked() {
            app.export_report_dialog();
        }
        if let Some(j) = &app.report_job {
            j.progress_ui(ui);
        }
    });
    ui.columns(2, |c| {
        let ui = &mut c[0];
        ui.strong(format!("Bookmarks ({})", app.workspace.bookmarks.len()));
        if app.workspace.bookmarks.is_empty() {
            ui.weak("none yet: select something, then \"Bookmark this selection\"");
        }
        let mut restore = None;
        let mut delete = None;
        egui::ScrollArea::vertical().id_salt("bookmarks").show(ui, |ui| {
            for (i, b) in app.workspace.bookmarks.iter().enumerate() {
                ui.horizontal(|ui| {
                    if ui
                        .button(format!("bookmark {}", b.title))
                        .on_hover_text("restore this selection")
                        .clicked()
                    {
                        restore = Some(i);
                    }
                    if ui.small_button("delete").clicked() {
                        delete = Some(i);
                    }
                });
                if !b.text.is_empty() {
                    ui.label(&b.text);
                }
                for c in b.selection.values() {
                    ui.weak(c.describe());
                }
                ui.separator();
            }
        });
        if let Some(i) = restore {
            app.restore_bookmark(i);
        }
        if let Some(i) = delete {
            app.workspace.bookmarks.remove(i);
        }
        let ui = &mut c[1];
        ui.strong("Notes");
        ui.add(
            egui::TextEdit::multiline(&mut app.workspace.notes)
                .id_salt("workspace_notes")
                .desired_width(f32::INFINITY)
                .desired_rows(8)
                .hint_text("what you found, what to check next"),
        );
    });
}
