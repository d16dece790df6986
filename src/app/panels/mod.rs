//! The window's shell around the desk of views: menu, filter chips, status line, and the state of
//! the workbench panels (SQL, cleaning, exports) with their background jobs. Each panel lives in
//! its own file; views draw themselves and `views.rs` routes their edits.
pub mod clean;
pub mod export;
pub mod filter_bar;
pub mod menu;
pub mod sql;
pub mod summary;
pub mod views;
pub mod wall;

use super::jobs::Job;
use super::{BrushfireApp, Loaded};
use crate::data::export::ExportFormat;
use crate::data::{LoadOptions, Table};
use crate::linking::needs::Need;
use crate::linking::selection::{Clause, ViewId};
use clean::{marty_ports_text, CleanState};
use sql::SqlState;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Default)]
pub struct PanelsState {
    pub sql: SqlState,
    pub clean: CleanState,
    pub export: Option<Job<PathBuf>>,
    pub export_message: Option<String>,
    pub tz_text: String,
    pub year_text: String,
    new_table: Option<Table>,
    pub(crate) clause: Option<(ViewId, Option<Clause>)>,
    pub(crate) pending_export: Option<(PathBuf, ExportFormat, bool)>,
    pub treemap: crate::views::treemap::treemap_ui::TreemapState,
    pub graph: Option<crate::views::graph::graph_ui::GraphViewState>,
    /// Property file to apply to the link graph once data is loaded (command line `--properties`).
    pub graph_properties: Option<PathBuf>,
    /// View › Dashboard: wall mode and its settings window.
    pub wall: wall::WallPanel,
}

impl PanelsState {
    pub fn load_options(&self) -> LoadOptions {
        let tz = crate::cli::parse_tz_public(&self.tz_text).unwrap_or(0);
        LoadOptions {
            tz_offset_secs: tz,
            default_year: self.year_text.trim().parse().ok(),
            format: None,
            only_fields: None,
        }
    }

    pub fn on_new_table(&mut self, loaded: &Loaded) {
        self.sql.result = None;
        self.sql.error = None;
        // A first query that fits this data: its busiest values of the first top-N field.
        let f = &loaded.default_topn_fields()[0];
        self.sql.text = format!("select {f}, count(*) c from logs group by {f} order by c desc limit 20");
        self.clean = CleanState { min_dst: 1024, original: Some(loaded.table.clone()), ..Default::default() };
        self.clean.ports_text = marty_ports_text();
        self.treemap = Default::default();
        if self.graph.is_none() {
            self.graph = Some(crate::views::graph::graph_ui::GraphViewState::new());
        }
        if let Some(g) = self.graph.as_mut() {
            let f = default_graph_fields(&loaded.categorical);
            g.set_fields(f);
            if let Some(p) = &self.graph_properties {
                if let Err(e) = g.load_properties(p) {
                    self.export_message = Some(format!("{}: {e}", p.display()));
                }
            }
        }
    }

    /// Needs of the single-instance views (treemap, link graph) when they are visible.
    pub fn needs(&self, treemap_visible: bool, graph_visible: bool, n: &mut BTreeMap<ViewId, Need>) {
        if treemap_visible {
            n.insert(
                super::VIEW_TREEMAP,
                Need::Tree {
                    levels: self.treemap.levels().to_vec(),
                    measure: self.treemap.measure().to_string(),
                },
            );
        }
        if let (true, Some(g)) = (graph_visible, &self.graph) {
            n.insert(super::VIEW_GRAPH, Need::Tuples { fields: g.fields().to_vec() });
        }
    }

    /// The engine should send every row of the selection: an export waits for them, or a visible
    /// SQL console queries `selection`.
    pub fn wants_all_rows(&self, sql_visible: bool) -> bool {
        self.pending_export.as_ref().is_some_and(|p| p.2)
            || sql_visible && self.sql.job.is_none() && self.sql.text.to_lowercase().contains("selection")
    }

    /// Polls background jobs; true while any runs.
    pub fn pump(&mut self) -> bool {
        let mut busy = false;
        if let Some(j) = &self.sql.job {
            busy = true;
            if let Some(r) = j.poll() {
                self.sql.ms = self.sql.started.map(|s| s.elapsed().as_secs_f64() * 1000.0).unwrap_or(0.0);
                match r {
                    Ok(df) => {
                        self.sql.result = Some(Arc::new(df));
                        self.sql.error = None;
                    }
                    Err(e) => self.sql.error = Some(e),
                }
                self.sql.job = None;
            }
        }
        if let Some(j) = &self.export {
            busy = true;
            if let Some(r) = j.poll() {
                self.export_message = Some(match r {
                    Ok(p) => format!("exported to {}", p.display()),
                    Err(e) => format!("export failed: {e}"),
                });
                self.export = None;
            }
        }
        if let Some(j) = &self.clean.job {
            busy = true;
            if let Some(r) = j.poll() {
                match r {
                    Ok((df, reports)) => {
                        if let Some(orig) = &self.clean.original {
                            let mut t = (**orig).clone();
                            t.df = df;
                            t.notes.push(format!(
                                "cleaned: {}",
                                reports.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ")
                            ));
                            self.new_table = Some(t);
                        }
                        self.clean.message = reports.last().map(|r| r.to_string());
                        self.clean.reports = reports;
                    }
                    Err(e) => {
                        self.clean.message = Some(format!("cleaning failed: {e}"));
                        self.clean.steps.pop();
                    }
                }
                self.clean.job = None;
            }
        }
        if let Some(j) = &self.clean.analysis {
            busy = true;
            if let Some(r) = j.poll() {
                match r {
                    Ok((e, s)) => {
                        self.clean.evidence = Some(e);
                        self.clean.scanners = Some(s);
                    }
                    Err(e) => self.clean.message = Some(e),
                }
                self.clean.analysis = None;
            }
        }
        busy
    }

    pub fn idle(&self) -> bool {
        self.sql.job.is_none()
            && self.export.is_none()
            && self.clean.job.is_none()
            && self.new_table.is_none()
    }

    pub fn take_new_table(&mut self) -> Option<Table> {
        self.new_table.take()
    }

    pub fn take_clause(&mut self) -> Option<(ViewId, Option<Clause>)> {
        self.clause.take()
    }
}

pub fn default_graph_fields(cat: &[String]) -> Vec<String> {
    let has = |f: &str| cat.iter().any(|c| c == f);
    if has("src_ip") && has("dst_port") && has("dst_ip") {
        vec!["src_ip".into(), "dst_port".into(), "dst_ip".into()]
    } else if has("src_ip") && has("dst_ip") {
        vec!["src_ip".into(), "dst_ip".into()]
    } else {
        cat.iter().take(2).cloned().collect()
    }
}

/// The whole window.
pub fn root_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    if wall::wall_mode_ui(app, ui) {
        return;
    }
    wall::settings_ui(app, ui.ctx());
    egui::Panel::top("menu").show(ui, |ui| {
        menu::menu_ui(app, ui);
        crate::app::workspace_io::workspace_banner_ui(app, ui);
        filter_bar::filter_bar_ui(app, ui);
    });
    egui::Panel::bottom("status").show(ui, |ui| filter_bar::status_ui(app, ui));
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(e) = app.error.clone() {
            ui.horizontal(|ui| {
                ui.colored_label(egui::Color32::from_rgb(200, 60, 60), e.to_string());
                if ui.small_button("dismiss").clicked() {
                    app.error = None;
                }
            });
        }
        if app.loaded.is_none() {
            ui.centered_and_justified(|ui| {
                if let Some(j) = &app.load {
                    ui.vertical_centered(|ui| {
                        ui.heading(format!(
                            "Loading {}",
                            j.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
                        ));
                        ui.add(egui::ProgressBar::new(j.fraction()).show_percentage().desired_width(400.0));
                        if ui.button("Cancel").clicked() {
                            j.cancel();
                        }
                    });
                } else {
                    ui.heading("Open log files with File › Open… or drop them here");
                }
            });
            return;
        }
        super::desk::desk_ui(app, ui);
    });
    export::drive_export(app);
}
