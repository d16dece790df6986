//! Workspaces in the window: taking a snapshot of the desk into a [`Workspace`], reopening one
//! (load the sources, replay the cleaning, then restore views and selection), relinking sources
//! that moved, the recent list and the last session offered on the next start.
use super::desk::layout_of;
use super::BrushfireApp;
use crate::linking::selection::Selection;
use crate::views::timeseries::timeseries_ui::TimeSeriesState;
use crate::views::timeseries::Compare;
use crate::views::topn::topn_ui::TopNState;
use crate::workspace::{
    relative_to, resolve, Bookmark, Clauses, SelectionState, Source, SqlSettings, TimeSeriesSettings,
    TopNSettings, TreemapSettings, ViewSettings, Workspace,
};
use std::path::{Path, PathBuf};

/// The name of the session saved on exit, in the state folder.
const LAST_SESSION: &str = "last-session.brushfire";
const RECENT: &str = "recent.json";
/// The last session of the previous run, offered at start.
const PREVIOUS_SESSION: &str = "previous-session.brushfire";

/// A workspace whose sources are being looked for: one missing source at a time is relinked.
pub struct Relink {
    pub ws_path: PathBuf,
    pub ws: Workspace,
    /// Absolute paths, `None` for a source still missing.
    pub files: Vec<Option<PathBuf>>,
}

impl Relink {
    /// The first missing source: (index, the path it was expected at).
    pub fn missing(&self) -> Option<(usize, PathBuf)> {
        let i = self.files.iter().position(|f| f.is_none())?;
        Some((i, resolve(&self.ws_path, &self.ws.sources[i].path)))
    }
}

/// Where a reopened workspace is on its way to the screen.
enum Stage {
    /// Waiting for the sources to load.
    Loading,
    /// Views restored; waiting for the cleaning recipe to be replayed before the selection applies.
    Cleaning,
}

struct Pending {
    ws: Workspace,
    stage: Stage,
}

#[derive(Default)]
pub struct WorkspaceState {
    /// The file Save writes to.
    pub path: Option<PathBuf>,
    pub notes: String,
    pub bookmarks: Vec<Bookmark>,
    /// The SOC wall's settings (View › Dashboard settings).
    pub dashboard: crate::dashboard::DashboardConfig,
    pub relink: Option<Relink>,
    pending: Option<Pending>,
    /// Folder for the recent list and the last session; `None` keeps nothing (tests).
    pub state_dir: Option<PathBuf>,
    /// A last session found at start, offered until opened or dismissed.
    pub offer_last_session: Option<PathBuf>,
    pub message: Option<String>,
    /// When the last session was last written, and what, so an unchanged desk is not rewritten.
    autosaved: Option<(std::time::Instant, String)>,
}

/// How often at most the last session is written while the analyst works.
const AUTOSAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

impl WorkspaceState {
    pub fn recent(&self) -> Vec<PathBuf> {
        let Some(d) = &self.state_dir else { return Vec::new() };
        std::fs::read_to_string(d.join(RECENT))
            .ok()
            .and_then(|t| serde_json::from_str::<Vec<PathBuf>>(&t).ok())
            .unwrap_or_default()
    }

    fn remember(&self, path: &Path) {
        let Some(d) = &self.state_dir else { return };
        let path = std::fs::canonicalize(path).unwrap_or(path.to_path_buf());
        let mut r = self.recent();
        r.retain(|p| *p != path);
        r.insert(0, path);
        r.truncate(10);
        let _ = std::fs::create_dir_all(d);
        let json = serde_json::to_string_pretty(&r).unwrap_or_default();
        // The recent list is a convenience: failing to write it must not fail a save.
        let _ = crate::data::atomic::write_bytes_atomic(&d.join(RECENT), &[], json.as_bytes());
    }

    /// Whether a reopened workspace is still being restored.
    pub fn restoring(&self) -> bool {
        self.pending.is_some() || self.relink.is_some()
    }

    /// The default state folder: `$BRUSHFIRE_STATE_DIR`, else `$XDG_STATE_HOME/brushfire`, else
    /// `~/.local/state/brushfire`.
    pub fn default_state_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("BRUSHFIRE_STATE_DIR") {
            return Some(d.into());
        }
        if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
            return Some(PathBuf::from(d).join("brushfire"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/brushfire"))
    }
}

fn compare_name(c: Compare) -> &'static str {
    match c {
        Compare::WeekEarlier => "week_earlier",
        Compare::DayEarlier => "day_earlier",
        Compare::Off => "off",
    }
}

fn compare_of(s: &str) -> Compare {
    match s {
        "day_earlier" => Compare::DayEarlier,
        "off" => Compare::Off,
        _ => Compare::WeekEarlier,
    }
}

impl BrushfireApp {
    /// The investigation as it is now, with paths relative to `path`.
    pub fn snapshot_workspace(&self, path: &Path) -> Option<Workspace> {
        let l = self.loaded.as_ref()?;
        let sources = l
            .table
            .files
            .iter()
            .map(|f| Source { path: relative_to(path, f), format: l.table.format.clone() })
            .collect();
        let mut ws = Workspace::new(sources);
        ws.load.tz = self.panels.tz_text.clone();
        ws.load.year = self.panels.year_text.clone();
        ws.layout = layout_of(&self.desk.tree);
        ws.views = ViewSettings {
            time_series: self
                .ts
                .iter()
                .map(|(id, s)| TimeSeriesSettings {
                    id: *id,
                    measure: s.measure.clone(),
                    compare: compare_name(s.compare).into(),
                    split: s.split.clone(),
                })
                .collect(),
            top_n: self
                .topn
                .iter()
                .map(|(id, s)| TopNSettings { id: *id, field: s.field.clone(), limit: s.limit })
                .collect(),
            treemap: Some(TreemapSettings {
                levels: self.panels.treemap.levels().to_vec(),
                measure: self.panels.treemap.measure().to_string(),
                drill: self.panels.treemap.drill().to_vec(),
            }),
            graph_fields: self.panels.graph.as_ref().map(|g| g.fields().to_vec()).unwrap_or_default(),
            table_sort: self.table.sort.clone(),
        };
        let (cur, undo, redo) = self.sel.parts();
        let clauses = |s: &Selection| -> Clauses { s.clauses.clone() };
        ws.selection = SelectionState {
            current: clauses(cur),
            undo: undo.iter().map(clauses).collect(),
            redo: redo.iter().map(clauses).collect(),
        };
        ws.cleaning = self.panels.clean.steps.clone();
        ws.graph_properties = self.panels.graph_properties.as_ref().map(|p| relative_to(path, p));
        ws.sql = SqlSettings { text: self.panels.sql.text.clone(), history: self.panels.sql.history.clone() };
        ws.notes = self.workspace.notes.clone();
        ws.bookmarks = self.workspace.bookmarks.clone();
        ws.dashboard = self.workspace.dashboard.clone();
        ws.lesson = self.lesson.as_ref().map(|s| s.progress(path));
        Some(ws)
    }

    /// Writes the workspace to `path` and makes it the current one.
    pub fn save_workspace(&mut self, path: &Path) -> Result<(), String> {
        let ws = self.snapshot_workspace(path).ok_or("nothing loaded to save")?;
        ws.write(path).map_err(|e| e.to_string())?;
        self.workspace.path = Some(path.to_path_buf());
        self.workspace.remember(path);
        self.workspace.message = Some(format!("workspace saved to {}", path.display()));
        Ok(())
    }

    /// File › Save: to the current workspace file, or asks for one.
    pub fn save_workspace_ui_action(&mut self, ask: bool) {
        let path = match (&self.workspace.path, ask) {
            (Some(p), false) => Some(p.clone()),
            _ => self.picker.save_file("investigation.brushfire", &[("Brushfire workspace", &["brushfire"])]),
        };
        if let Some(p) = path {
            let p = if p.extension().is_none() { p.with_extension("brushfire") } else { p };
            if let Err(e) = self.save_workspace(&p) {
                self.error = Some(format!("could not save the workspace: {e}"));
            }
        }
    }

    /// Opens a workspace: checks it, finds its sources (asking to relink missing ones), loads them;
    /// the views, cleaning and selection follow once the data is there.
    pub fn open_workspace(&mut self, path: &Path) {
        match Workspace::read(path) {
            Err(e) => self.error = Some(e.to_string()),
            Ok(ws) => {
                let files: Vec<Option<PathBuf>> =
                    ws.source_paths(path).into_iter().map(|(p, ok)| ok.then_some(p)).collect();
                self.workspace.offer_last_session = None;
                let r = Relink { ws_path: path.to_path_buf(), ws, files };
                if r.missing().is_some() {
                    self.workspace.relink = Some(r);
                } else {
                    self.start_workspace(r);
                }
            }
        }
    }

    /// Relink: the picker chooses the file for the first missing source.
    pub fn relink_next(&mut self) {
        let Some(r) = self.workspace.relink.as_mut() else { return };
        let Some((i, _)) = r.missing() else { return };
        let Some(f) = self.picker.open_files().and_then(|f| f.into_iter().next()) else { return };
        r.files[i] = Some(f);
        if r.missing().is_none() {
            if let Some(r) = self.workspace.relink.take() {
                self.start_workspace(r);
            }
        }
    }

    fn start_workspace(&mut self, r: Relink) {
        let Relink { ws_path, ws, files } = r;
        let files: Vec<PathBuf> = files.into_iter().flatten().collect();
        self.panels.tz_text = ws.load.tz.clone();
        self.panels.year_text = ws.load.year.clone();
        self.panels.graph_properties = ws.graph_properties.as_ref().map(|p| resolve(&ws_path, p));
        self.workspace.path = Some(ws_path.clone());
        self.workspace.notes = ws.notes.clone();
        self.workspace.bookmarks = ws.bookmarks.clone();
        self.workspace.dashboard = ws.dashboard.clone();
        if let Some(lp) = &ws.lesson {
            self.restore_lesson(&ws_path, lp);
        }
        self.workspace.remember(&ws_path);
        self.workspace.pending = Some(Pending { ws, stage: Stage::Loading });
        self.open(files);
    }

    /// Called after a table was set: moves a reopened workspace along.
    pub(super) fn advance_workspace(&mut self, from_cleaning: bool) {
        let Some(p) = self.workspace.pending.take() else { return };
        match (p.stage, from_cleaning) {
            (Stage::Loading, false) => {
                if let Some(l) = &self.loaded {
                    let saved = p.ws.sources.first().map(|s| s.format.as_str()).unwrap_or("");
                    if !saved.is_empty() && saved != l.table.format {
                        self.workspace.message = Some(format!(
                            "the sources now read as {} (the workspace was saved with {saved})",
                            l.table.format
                        ));
                    }
                }
                self.restore_views(&p.ws);
                if p.ws.cleaning.is_empty() {
                    self.restore_selection(&p.ws);
                } else {
                    self.panels.clean.steps = p.ws.cleaning.clone();
                    super::panels::clean::run_recipe(&mut self.panels.clean);
                    self.workspace.pending = Some(Pending { ws: p.ws, stage: Stage::Cleaning });
                }
            }
            (Stage::Cleaning, true) => self.restore_selection(&p.ws),
            (stage, _) => self.workspace.pending = Some(Pending { ws: p.ws, stage }),
        }
    }

    fn restore_views(&mut self, ws: &Workspace) {
        let v = &ws.views;
        self.ts.clear();
        for t in &v.time_series {
            let mut s = TimeSeriesState::default();
            s.measure = t.measure.clone();
            s.compare = compare_of(&t.compare);
            s.split = t.split.clone();
            self.ts.insert(t.id, s);
        }
        self.topn.clear();
        for t in &v.top_n {
            let mut s = TopNState::new(&t.field);
            s.limit = t.limit.clamp(1, 1000);
            self.topn.insert(t.id, s);
        }
        if let Some(l) = &ws.layout {
            self.desk.set_layout(l);
        }
        self.sync_view_states();
        if let Some(t) = &v.treemap {
            self.panels.treemap.set_levels(t.levels.clone());
            self.panels.treemap.set_measure(&t.measure);
            self.panels.treemap.set_drill(t.drill.clone());
        }
        if let (Some(g), false) = (self.panels.graph.as_mut(), v.graph_fields.is_empty()) {
            g.set_fields(v.graph_fields.clone());
        }
        self.table.sort = v.table_sort.clone();
        self.panels.sql.text = ws.sql.text.clone();
        self.panels.sql.history = ws.sql.history.clone();
    }

    fn restore_selection(&mut self, ws: &Workspace) {
        let s = |c: &Clauses| SelectionState::selection(c);
        let sel = &ws.selection;
        self.sel.restore(s(&sel.current), sel.undo.iter().map(s).collect(), sel.redo.iter().map(s).collect());
    }

    /// Saves the session for the next start (on exit); quietly nothing without data or a folder.
    pub fn save_last_session(&mut self) {
        let Some(d) = self.workspace.state_dir.clone() else { return };
        if self.loaded.is_none() || std::fs::create_dir_all(&d).is_err() {
            return;
        }
        let p = d.join(LAST_SESSION);
        if let Some(ws) = self.snapshot_workspace(&p) {
            let _ = ws.write(&p);
        }
    }

    /// Writes the last session now and then while the analyst works (so a crash or a killed
    /// window still leaves it), on a background thread: the frame never waits for the disk.
    pub(super) fn autosave_last_session(&mut self) {
        let Some(d) = self.workspace.state_dir.clone() else { return };
        if self.loaded.is_none() || self.workspace.restoring() {
            return;
        }
        if self.workspace.autosaved.as_ref().is_some_and(|(t, _)| t.elapsed() < AUTOSAVE_EVERY) {
            return;
        }
        let p = d.join(LAST_SESSION);
        let Some(ws) = self.snapshot_workspace(&p) else { return };
        let json = ws.to_json();
        let changed = self.workspace.autosaved.as_ref().is_none_or(|(_, j)| *j != json);
        self.workspace.autosaved = Some((std::time::Instant::now(), json));
        if changed {
            std::thread::spawn(move || {
                let _ = std::fs::create_dir_all(&d);
                let _ = ws.write(&p);
            });
        }
    }

    /// At start: a last session worth offering.
    pub fn find_last_session(&mut self) {
        let Some(d) = &self.workspace.state_dir else { return };
        // Moved aside first: this session's autosave must not overwrite the one on offer. Both
        // live in the same folder, so the relative source paths inside stay right.
        let last = d.join(LAST_SESSION);
        let previous = d.join(PREVIOUS_SESSION);
        if last.is_file() && std::fs::rename(&last, &previous).is_ok() || previous.is_file() {
            self.workspace.offer_last_session = Some(previous);
        }
    }
}

/// The banner under the menu: relinking a moved source, the last session, workspace messages.
pub fn workspace_banner_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    if let Some(r) = &app.workspace.relink {
        if let Some((i, expected)) = r.missing() {
            let stored = r.ws.sources[i].path.display().to_string();
            let mut relink = false;
            let mut cancel = false;
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    egui::Color32::from_rgb(200, 120, 30),
                    format!(
                        "Source {stored} of the workspace is missing (looked for {}).",
                        expected.display()
                    ),
                );
                relink = ui.button("Relink…").clicked();
                cancel = ui.button("Cancel opening").clicked();
            });
            if relink {
                app.relink_next();
            }
            if cancel {
                app.workspace.relink = None;
            }
        }
    }
    if let Some(p) = app.workspace.offer_last_session.clone() {
        let mut open = false;
        let mut dismiss = false;
        ui.horizontal(|ui| {
            ui.label("Brushfire kept your last session (files, views, selection, bookmarks).");
            open = ui.button("Reopen last session").clicked();
            dismiss = ui.small_button("dismiss").clicked();
        });
        if open {
            app.open_workspace(&p);
        }
        if dismiss {
            app.workspace.offer_last_session = None;
        }
    }
    if let Some(m) = app.workspace.message.clone() {
        ui.horizontal(|ui| {
            ui.label(m);
            if ui.small_button("ok").clicked() {
                app.workspace.message = None;
            }
        });
    }
}
