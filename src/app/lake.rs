//! The app opened on a lake (`brushfire --parquet DIR`, File › Open lake…): no table in memory,
//! the views' needs go to the pushdown planner on the coordinator's worker, each view shows that
//! it waits and for how long. Opening runs off the UI thread.
use super::jobs::Job;
use super::{BrushfireApp, Loaded};
use crate::data::table::Rejected;
use crate::data::Table;
use crate::linking::backend::parquet::ParquetEngine;
use crate::linking::backend::SqlEngine;
use crate::linking::selection::ViewId;
use polars::prelude::DataFrame;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Most records a selection export brings from a lake to this machine.
pub const LAKE_EXPORT_ROW_BOUND: u64 = 5_000_000;

#[derive(Default)]
pub struct LakeState {
    /// File › Open lake… dialog: open, and its path field.
    pub dialog_open: bool,
    pub path_text: String,
    pub opening: Option<Job<Arc<dyn SqlEngine>>>,
    /// The lake the views read, when one is open.
    pub engine: Option<Arc<dyn SqlEngine>>,
    /// Records in the lake (the table in memory is empty).
    pub rows: usize,
    /// Request whose answer each view shows now.
    pub view_seq: BTreeMap<ViewId, u64>,
    /// Clean the lake where it lives: the new dataset's path, the running job and its outcome.
    pub clean_out_text: String,
    pub cleaning: Option<Job<String>>,
    pub clean_message: Option<String>,
    /// A recipe file chosen for cleaning the lake (the built-in preset otherwise), with its path.
    pub clean_recipe: Option<(PathBuf, crate::data::clean::recipe::Recipe)>,
    /// Bytes of cube parts and answers kept on disk (`cube_store`), read when the window opens.
    pub kept_bytes: Option<u64>,
    /// Forgetting them, and what came of it.
    pub forgetting: Option<Job<String>>,
    pub kept_message: Option<String>,
    /// The request whose selection the worker last read views' cubes ahead for while idle, and
    /// how many views' cubes are ready for it.
    pub read_ahead: (u64, usize),
}

impl BrushfireApp {
    /// Opens a Parquet file or hive-partitioned directory as a lake, off the UI thread.
    pub fn open_lake(&mut self, path: PathBuf) {
        self.error = None;
        let what = format!("opening lake {}", path.display());
        self.lake.opening = Some(Job::spawn(what, 0, move |_, _| {
            ParquetEngine::open(&path).map(|e| Arc::new(e) as Arc<dyn SqlEngine>).map_err(|e| e.to_string())
        }));
    }

    /// The views now read `engine`; the table in memory is its schema without rows.
    pub fn set_lake(&mut self, engine: Arc<dyn SqlEngine>) -> Result<(), String> {
        let schema = engine.schema().map_err(|e| e.to_string())?;
        let table = Table {
            df: DataFrame::empty_with_schema(&schema),
            format: engine.describe(),
            files: Vec::new(),
            aliases: Vec::new(),
            rejected: Rejected::default(),
            notes: vec![format!("answered where the data lives: {}", engine.describe())],
            input_bytes: 0,
        };
        self.set_table(table, false);
        self.coord.set_lake(engine.clone());
        self.lake.engine = Some(engine);
        self.lake.rows = 0;
        self.lake.view_seq.clear();
        self.status = "opening the lake…".into();
        Ok(())
    }

    pub fn is_lake(&self) -> bool {
        self.lake.engine.is_some()
    }

    /// Polls the open and clean jobs; true while one runs.
    pub(super) fn pump_lake(&mut self) -> bool {
        let cleaning = pump_lake_clean(self) | pump_forget_kept(self);
        let Some(job) = &self.lake.opening else { return cleaning };
        match job.poll() {
            None => true,
            Some(r) => {
                self.lake.opening = None;
                if let Err(e) = r.and_then(|engine| self.set_lake(engine)) {
                    self.error = Some(e);
                }
                false
            }
        }
    }

    /// How long `view` has been waiting for the lake (None: it shows the newest answer).
    pub fn lake_waiting_secs(&self, view: ViewId) -> Option<f64> {
        if !self.is_lake() || !self.engine_ready {
            return None;
        }
        let shown = self.lake.view_seq.get(&view).copied().unwrap_or(0);
        (shown < self.sent_seq).then(|| self.coord.sent_at.map_or(0.0, |t| t.elapsed().as_secs_f64()))
    }
}

/// "waiting 1.4 s" above a view whose answer is still on its way.
pub fn waiting_ui(app: &BrushfireApp, ui: &mut egui::Ui, view: ViewId) {
    if let Some(s) = app.lake_waiting_secs(view) {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak(format!("waiting for the lake {s:.1} s"));
        });
    }
}

/// Polls the job forgetting kept cubes; true while it runs.
fn pump_forget_kept(app: &mut BrushfireApp) -> bool {
    let Some(job) = &app.lake.forgetting else { return false };
    match job.poll() {
        None => true,
        Some(r) => {
            app.lake.forgetting = None;
            app.lake.kept_bytes = None;
            app.lake.kept_message = Some(r.unwrap_or_else(|e| format!("forgetting failed: {e}")));
            false
        }
    }
}

/// What the lake keeps on this machine (`cube_store`): where, how much, and a button to forget it
/// (a lake is then read again, and nothing else changes).
fn kept_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.separator();
    let Some(store) = app.coord.cube_store.clone() else {
        ui.weak("Nothing of a lake is kept on this machine (BRUSHFIRE_CUBE_CACHE=off).");
        return;
    };
    // Read once per opening of the window: a listing of the folder, not every frame.
    let bytes = *app.lake.kept_bytes.get_or_insert_with(|| store.bytes());
    ui.label(format!(
        "Cube parts and slow answers of Parquet lakes are kept in {} ({}), and read back when a view \
         is entered over the same selection again or the lake is reopened.",
        store.dir().display(),
        crate::views::bullet::human(bytes as f64, true)
    ));
    ui.horizontal(|ui| {
        let idle = bytes > 0 && app.lake.forgetting.is_none();
        if ui.add_enabled(idle, egui::Button::new("Forget kept cubes")).clicked() {
            app.lake.kept_message = None;
            app.lake.forgetting = Some(Job::spawn("forgetting kept cubes".into(), 0, move |_, _| {
                let (n, b) = store.clear();
                Ok(format!(
                    "forgot {n} kept parts and answers ({})",
                    crate::views::bullet::human(b as f64, true)
                ))
            }));
        }
        if let Some(m) = &app.lake.kept_message {
            ui.label(m);
        }
    });
}

/// Polls the lake cleaning job; true while it runs.
pub fn pump_lake_clean(app: &mut BrushfireApp) -> bool {
    let Some(job) = &app.lake.cleaning else { return false };
    match job.poll() {
        None => true,
        Some(r) => {
            app.lake.cleaning = None;
            app.lake.clean_message = Some(r.unwrap_or_else(|e| format!("cleaning failed: {e}")));
            false
        }
    }
}

/// Cleaning where the data lives (shown in the Open lake window once a lake is open): the
/// marty-vast2013 recipe, or a recipe file (as the Clean tab saves them: scanner removal, port 0,
/// any step), compiled to SQL and written by the engine as a new dataset partitioned by day,
/// beside the source.
fn clean_lake_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(engine) = app.lake.engine.clone() else { return };
    ui.separator();
    ui.label("Clean this lake where it lives into a new dataset partitioned by day:");
    ui.horizontal(|ui| {
        let name = match &app.lake.clean_recipe {
            Some((p, r)) => format!("recipe {} ({} steps)", p.display(), r.steps.len()),
            None => "recipe marty-vast2013 (repair inverted flows, null ports of non-TCP/UDP)".into(),
        };
        ui.label(name);
        if ui.button("Recipe file…").clicked() {
            if let Some(p) = app.picker.open_files().and_then(|f| f.into_iter().next()) {
                let parsed = std::fs::read_to_string(&p)
                    .map_err(|e| e.to_string())
                    .and_then(|t| crate::data::clean::recipe::parse_recipe(&t).map_err(|e| e.to_string()));
                match parsed {
                    Ok(r) => app.lake.clean_recipe = Some((p, r)),
                    Err(e) => app.lake.clean_message = Some(format!("{}: {e}", p.display())),
                }
            }
        }
        if app.lake.clean_recipe.is_some() && ui.button("Use the preset").clicked() {
            app.lake.clean_recipe = None;
        }
    });
    let chosen = app.lake.clean_recipe.as_ref().map(|(_, r)| r.clone());
    ui.horizontal(|ui| {
        let l = ui.label("cleaned lake path");
        ui.add(
            egui::TextEdit::singleline(&mut app.lake.clean_out_text)
                .hint_text("/data/flows-clean")
                .desired_width(300.0)
                .id_salt("lake_clean_out"),
        )
        .labelled_by(l.id);
        let text = app.lake.clean_out_text.trim().to_string();
        let ready = !text.is_empty() && app.lake.cleaning.is_none();
        if ui.add_enabled(ready, egui::Button::new("Clean lake")).clicked() {
            let out = PathBuf::from(text);
            app.lake.clean_message = None;
            app.lake.cleaning =
                Some(Job::spawn(format!("cleaning {}", engine.describe()), 0, move |_, _| {
                    let r = match chosen {
                        Some(r) => r,
                        None => crate::data::clean::recipe::preset("marty-vast2013").ok_or("no preset")?,
                    };
                    let n = crate::linking::backend::clean_sql::clean_lake(engine.as_ref(), &r, &out)
                        .map_err(|e| e.to_string())?;
                    Ok(format!("wrote {n} cleaned records to {}", out.display()))
                }));
        }
    });
    if let Some(j) = &app.lake.cleaning {
        j.progress_ui(ui);
    }
    if let Some(m) = &app.lake.clean_message {
        ui.label(m);
    }
}

/// File › Open lake…: a path field (a directory cannot be picked with every file dialog) and a
/// browse button for a single Parquet file.
pub fn open_lake_menu_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    if ui.button("Open lake…").clicked() {
        ui.close();
        app.lake.dialog_open = true;
        app.lake.kept_bytes = None;
    }
}

pub fn open_lake_dialog_ui(app: &mut BrushfireApp, ctx: &egui::Context) {
    if !app.lake.dialog_open {
        return;
    }
    let mut open = true;
    let mut go = None;
    egui::Window::new("Open lake").open(&mut open).collapsible(false).show(ctx, |ui| {
        ui.label(
            "A Parquet file, or a directory of Parquet files (hive partitions such as day=2013-04-01/):",
        );
        ui.horizontal(|ui| {
            let l = ui.label("lake path");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut app.lake.path_text)
                        .hint_text("/data/flows")
                        .desired_width(360.0)
                        .id_salt("lake_path"),
                )
                .labelled_by(l.id);
            if ui.button("Browse…").clicked() {
                if let Some(p) = app.picker.open_files().and_then(|f| f.into_iter().next()) {
                    app.lake.path_text = p.display().to_string();
                }
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let text = app.lake.path_text.trim().to_string();
            if (ui.add_enabled(!text.is_empty(), egui::Button::new("Open")).clicked() || enter)
                && !text.is_empty()
            {
                go = Some(PathBuf::from(text));
            }
        });
        if let Some(j) = &app.lake.opening {
            j.progress_ui(ui);
        }
        clean_lake_ui(app, ui);
        kept_ui(app, ui);
    });
    if let Some(p) = go {
        app.open_lake(p);
        open = false;
    }
    app.lake.dialog_open = open;
}

/// A `Loaded` for a lake has no rows in memory; the record count comes from the lake.
pub fn total_rows(app: &BrushfireApp, l: &Loaded) -> usize {
    if app.is_lake() {
        app.lake.rows
    } else {
        l.df.height()
    }
}
