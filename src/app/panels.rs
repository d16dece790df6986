//! Layout of the main window and the workbench panels (records, clean, SQL, summary), with their
//! background jobs. Views draw themselves; this file decides where and routes their edits.
use super::{BrushfireApp, Loaded, Tab, VIEW_CLEAN, VIEW_SQL, VIEW_TABLE, VIEW_TIME, VIEW_TOPN};
use crate::data::clean::apply::{self, StepReport};
use crate::data::clean::flow_repair::PortEvidence;
use crate::data::clean::recipe::{self, Recipe, Step, RECIPE_VERSION};
use crate::data::clean::scanners::{ScanParams, ScannerEvidence};
use crate::data::export::{export_atomic_chunked, ExportFormat};
use crate::data::{LoadOptions, Table};
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{Clause, Pred, ViewId};
use crate::views::common::thousands;
use crossbeam_channel::{bounded, Receiver};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A job on a background thread with progress and cancel.
pub struct Job<T> {
    pub what: String,
    pub done: Arc<AtomicU64>,
    pub total: u64,
    pub cancel: Arc<AtomicBool>,
    rx: Receiver<Result<T, String>>,
}

impl<T: Send + 'static> Job<T> {
    pub fn spawn(
        what: String,
        total: u64,
        f: impl FnOnce(&AtomicU64, &AtomicBool) -> Result<T, String> + Send + 'static,
    ) -> Self {
        let done = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = bounded(1);
        let (d, c) = (done.clone(), cancel.clone());
        std::thread::spawn(move || {
            let _ = tx.send(f(&d, &c));
        });
        Self { what, done, total, cancel, rx }
    }
    fn poll(&self) -> Option<Result<T, String>> {
        self.rx.try_recv().ok()
    }
    fn progress_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let f = if self.total > 0 {
                self.done.load(Ordering::Relaxed) as f32 / self.total as f32
            } else {
                0.0
            };
            ui.add(egui::ProgressBar::new(f).desired_width(200.0).text(&self.what).animate(true));
            if ui.button("Cancel").clicked() {
                self.cancel.store(true, Ordering::Relaxed);
            }
        });
    }
}

pub struct SqlState {
    pub text: String,
    pub result: Option<Arc<DataFrame>>,
    pub error: Option<String>,
    pub job: Option<Job<DataFrame>>,
    pub ms: f64,
    started: Option<std::time::Instant>,
}

impl Default for SqlState {
    fn default() -> Self {
        Self {
            text: crate::data::sql::READY_QUERIES[2].1.to_string(),
            result: None,
            error: None,
            job: None,
            ms: 0.0,
            started: None,
        }
    }
}

impl CleanState {
    pub fn job_idle(&self) -> bool {
        self.job.is_none()
    }
}

#[derive(Default)]
pub struct CleanState {
    pub evidence: Option<Vec<PortEvidence>>,
    pub scanners: Option<Vec<ScannerEvidence>>,
    pub ports_text: String,
    pub min_dst: i32,
    pub steps: Vec<Step>,
    pub reports: Vec<StepReport>,
    pub original: Option<Arc<Table>>,
    pub job: Option<Job<(DataFrame, Vec<StepReport>)>>,
    pub analysis: Option<Job<(Vec<PortEvidence>, Vec<ScannerEvidence>)>>,
    pub message: Option<String>,
    pub previewing: bool,
}

#[derive(Default)]
pub struct PanelsState {
    pub sql: SqlState,
    pub clean: CleanState,
    pub export: Option<Job<PathBuf>>,
    pub export_message: Option<String>,
    pub tz_text: String,
    pub year_text: String,
    new_table: Option<Table>,
    clause: Option<(ViewId, Option<Clause>)>,
    pending_export: Option<(PathBuf, ExportFormat, bool)>,
    pub treemap: crate::views::treemap::treemap_ui::TreemapState,
    pub graph: Option<crate::views::graph::graph_ui::GraphViewState>,
    /// Property file to apply to the link graph once data is loaded (command line `--properties`).
    pub graph_properties: Option<PathBuf>,
}

impl PanelsState {
    pub fn load_options(&self) -> LoadOptions {
        let tz = crate::cli::parse_tz_public(&self.tz_text).unwrap_or(0);
        LoadOptions { tz_offset_secs: tz, default_year: self.year_text.trim().parse().ok() }
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

    pub fn needs(&self, tab: Tab, n: &mut BTreeMap<ViewId, Need>) {
        match tab {
            Tab::Treemap => {
                n.insert(
                    super::VIEW_TREEMAP,
                    Need::Tree {
                        levels: self.treemap.levels().to_vec(),
                        measure: self.treemap.measure().to_string(),
                    },
                );
            }
            Tab::Graph => {
                if let Some(g) = &self.graph {
                    n.insert(super::VIEW_GRAPH, Need::Tuples { fields: g.fields().to_vec() });
                }
            }
            _ => {}
        }
    }

    pub fn wants_all_rows(&self, _tab: Tab) -> bool {
        self.pending_export.as_ref().is_some_and(|p| p.2)
            || self.sql.text.to_lowercase().contains("selection")
                && self.sql.job.is_none()
                && _tab == Tab::Sql
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

pub fn marty_ports_text() -> String {
    let r = crate::data::clean::flow_repair::marty_vast2013();
    r.service_ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

fn default_graph_fields(cat: &[String]) -> Vec<String> {
    let has = |f: &str| cat.iter().any(|c| c == f);
    if has("src_ip") && has("dst_port") && has("dst_ip") {
        vec!["src_ip".into(), "dst_port".into(), "dst_ip".into()]
    } else if has("src_ip") && has("dst_ip") {
        vec!["src_ip".into(), "dst_ip".into()]
    } else {
        cat.iter().take(2).cloned().collect()
    }
}

fn parse_ports(s: &str) -> Result<Vec<i32>, String> {
    s.split([',', ' ', ';'])
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().parse::<i32>().map_err(|_| format!("'{t}' is not a port number")))
        .filter(|r| r.as_ref().map_or(true, |p| (0..=65535).contains(p)))
        .collect()
}

/// The whole window.
pub fn root_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    egui::Panel::top("menu").show(ui, |ui| {
        menu_ui(app, ui);
        filter_bar_ui(app, ui);
    });
    egui::Panel::bottom("status").show(ui, |ui| status_ui(app, ui));
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
        dashboard_ui(app, ui);
    });
    drive_export(app);
}

fn menu_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open…").clicked() {
                ui.close();
                if let Some(files) = app.picker.open_files() {
                    app.open(files);
                }
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

fn filter_bar_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
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

fn status_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        if let Some(l) = &app.loaded {
            let total = l.df.height();
            let passing = match app.outputs.get(&VIEW_TABLE) {
                Some(Output::Table { passing, .. }) => *passing,
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
                format!("updated in {:.1} ms ({})", app.last_compute_ms, app.last_strategy)
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

fn dashboard_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let total_h = ui.available_height();
    // The graph and treemap need room to read: the dashboard above gives some up for them.
    let big_tab = matches!(app.tab, Tab::Graph | Tab::Treemap);
    let ts_h = (total_h * if big_tab { 0.19 } else { 0.27 }).max(140.0);
    let topn_h = (total_h * if big_tab { 0.23 } else { 0.28 }).max(170.0);
    let width = ui.available_width();
    // Time series.
    ui.allocate_ui(egui::vec2(width, ts_h), |ui| {
        let own = app.sel.current().clauses.get(&VIEW_TIME).cloned();
        let data = match app.outputs.get(&VIEW_TIME) {
            Some(Output::Time { origin_us, bucket_us, total, series, .. }) => {
                Some(crate::views::timeseries::timeseries_ui::TimeData {
                    origin_us: *origin_us,
                    bucket_us: *bucket_us,
                    total,
                    series,
                })
            }
            _ => None,
        };
        let split_fields: Vec<String> = ["proto", "dst_port", "event_type", "action"]
            .iter()
            .filter(|f| app.loaded.as_ref().is_some_and(|l| l.categorical.iter().any(|c| c == *f)))
            .map(|s| s.to_string())
            .collect();
        if let Some(e) = crate::views::timeseries::timeseries_ui::timeseries_ui(
            ui,
            &mut app.ts,
            data,
            own.as_ref(),
            &split_fields,
        ) {
            app.apply_edit(VIEW_TIME, e);
        }
    });
    ui.separator();
    // Top-N lists.
    ui.allocate_ui(egui::vec2(width, topn_h), |ui| {
        let cols = app.loaded.as_ref().map(|l| l.categorical.clone()).unwrap_or_default();
        ui.columns(4, |cols_ui| {
            for (i, cui) in cols_ui.iter_mut().enumerate() {
                let view = VIEW_TOPN[i];
                let own = app.sel.current().clauses.get(&view).cloned();
                let out = app.outputs.get(&view);
                let data = match out {
                    Some(Output::TopN { entries, total, distinct, has_cmp, field, .. })
                        if *field == app.topn[i].field =>
                    {
                        Some(crate::views::topn::topn_ui::TopNData {
                            entries,
                            total: *total,
                            distinct: *distinct,
                            has_cmp: *has_cmp,
                        })
                    }
                    _ => None,
                };
                if let Some(Output::Error(e)) = out {
                    cui.colored_label(egui::Color32::RED, e);
                }
                let edit = crate::views::topn::topn_ui::topn_ui(
                    cui,
                    i,
                    &mut app.topn[i],
                    data,
                    own.as_ref(),
                    &cols,
                    &mut app.hover,
                );
                if let Some(e) = edit {
                    app.sel.set(view, e.clause, e.continuing);
                }
                // Clicks as lookups: the list's cube is built while the pointer is over it.
                if cui.ui_contains_pointer() {
                    app.coord.hover_enter(view);
                }
            }
        });
    });
    ui.separator();
    // Tabs.
    ui.horizontal(|ui| {
        for t in Tab::ALL {
            ui.selectable_value(&mut app.tab, t, t.label());
        }
    });
    ui.separator();
    match app.tab {
        Tab::Records => records_ui(app, ui),
        Tab::Treemap => treemap_tab_ui(app, ui),
        Tab::Graph => graph_tab_ui(app, ui),
        Tab::Clean => clean_ui(app, ui),
        Tab::Sql => sql_ui(app, ui),
        Tab::Summary => summary_ui(app, ui),
    }
}

fn records_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(l) = &app.loaded else { return };
    let df = l.df.clone();
    match app.outputs.get(&VIEW_TABLE) {
        Some(Output::Table { passing, offset, rows }) => {
            let rows = rows.clone();
            crate::views::table::table_ui::table_ui(
                ui,
                &mut app.table,
                &df,
                *passing as usize,
                *offset,
                &rows,
            );
        }
        Some(Output::Error(e)) => {
            ui.colored_label(egui::Color32::RED, e);
        }
        _ => {
            ui.weak("computing…");
        }
    }
}

fn treemap_tab_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    // Borrow the engine's output in place (fields of `app` borrowed apart): leaves can be 100 k
    // entries, too many to copy every frame.
    let cols: &[String] = app.loaded.as_ref().map(|l| l.categorical.as_slice()).unwrap_or(&[]);
    let own = app.sel.current().clauses.get(&super::VIEW_TREEMAP);
    let state = &mut app.panels.treemap;
    let (leaves, has_cmp) = match app.outputs.get(&super::VIEW_TREEMAP) {
        Some(Output::Tree { leaves, has_cmp, levels, measure })
            if levels.as_slice() == state.levels() && measure == state.measure() =>
        {
            (Some(leaves.as_slice()), *has_cmp)
        }
        Some(Output::Error(e)) => {
            ui.colored_label(egui::Color32::RED, e);
            (None, false)
        }
        _ => (None, false),
    };
    let edit =
        crate::views::treemap::treemap_ui::treemap_ui(ui, state, cols, leaves, has_cmp, own, &mut app.hover);
    if let Some(e) = edit {
        app.apply_edit(super::VIEW_TREEMAP, e);
    }
    if ui.ui_contains_pointer() {
        app.coord.hover_enter(super::VIEW_TREEMAP);
    }
    handle_treemap_export(app);
}

fn graph_tab_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let cols: &[String] = app.loaded.as_ref().map(|l| l.categorical.as_slice()).unwrap_or(&[]);
    let own = app.sel.current().clauses.get(&super::VIEW_GRAPH);
    let Some(g) = app.panels.graph.as_mut() else {
        return;
    };
    let tuples = match app.outputs.get(&super::VIEW_GRAPH) {
        Some(Output::Tuples { fields, tuples }) if fields.as_slice() == g.fields() => {
            Some((fields.as_slice(), tuples.as_slice()))
        }
        _ => None,
    };
    let action = crate::views::graph::graph_ui::graph_ui(ui, g, cols, tuples, own, &mut app.hover);
    if ui.ui_contains_pointer() {
        app.coord.hover_enter(super::VIEW_GRAPH);
    }
    handle_graph_action(app, action);
}

fn start_export_dialog(app: &mut BrushfireApp, fmt: ExportFormat, selection: bool) {
    let name = format!("brushfire-{}.{}", if selection { "selection" } else { "cleaned" }, fmt.extension());
    let filters: [(&str, &[&str]); 1] = [(fmt.extension(), &[fmt.extension()])];
    if let Some(p) = app.picker.save_file(&name, &filters) {
        app.panels.pending_export = Some((p, fmt, selection));
        app.all_rows = None;
    }
}

/// Starts a pending export once the rows of the selection are known.
pub fn drive_export(app: &mut BrushfireApp) {
    let Some((path, fmt, selection)) = app.panels.pending_export.clone() else {
        return;
    };
    let Some(l) = &app.loaded else { return };
    let df = l.df.clone();
    let inputs = l.table.files.clone();
    let rows = if selection {
        match (&app.all_rows, app.is_current()) {
            (Some(r), true) => Some(r.clone()),
            _ => return,
        }
    } else {
        None
    };
    app.panels.pending_export = None;
    let total = rows.as_ref().map(|r| r.len()).unwrap_or(df.height()) as u64;
    let p2 = path.clone();
    app.panels.export =
        Some(Job::spawn(format!("exporting {}", thousands(total as i64)), total, move |done, cancel| {
            let out = match rows {
                Some(r) => {
                    let idx = IdxCa::from_vec("idx".into(), r.iter().map(|&x| x as IdxSize).collect());
                    df.take(&idx).map_err(|e| e.to_string())?
                }
                None => (*df).clone(),
            };
            export_atomic_chunked(&out, fmt, &p2, &inputs, done, cancel).map_err(|e| e.to_string())?;
            Ok(p2)
        }));
}

fn selection_frame(app: &BrushfireApp) -> Option<DataFrame> {
    let l = app.loaded.as_ref()?;
    let rows = app.all_rows.as_ref()?;
    let idx = IdxCa::from_vec("idx".into(), rows.iter().map(|&x| x as IdxSize).collect());
    l.df.take(&idx).ok()
}

fn sql_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(l) = &app.loaded else { return };
    let table = l.table.clone();
    ui.horizontal(|ui| {
        ui.strong("SQL");
        ui.weak("tables: logs (everything), selection (the current selection); identifiers are case-insensitive, original column names work");
    });
    ui.horizontal(|ui| {
        crate::views::common::labeled_combo(ui, "Ready queries", "choose…", |ui| {
            for (name, q) in crate::data::sql::READY_QUERIES {
                if ui.selectable_label(false, *name).clicked() {
                    app.panels.sql.text = q.to_string();
                }
            }
        });
    });
    ui.add(
        egui::TextEdit::multiline(&mut app.panels.sql.text)
            .code_editor()
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .id_salt("sql_text"),
    );
    let wants_sel = app.panels.sql.text.to_lowercase().contains("selection");
    ui.horizontal(|ui| {
        let ready = !wants_sel || (app.all_rows.is_some() && app.is_current());
        let run = ui.add_enabled(app.panels.sql.job.is_none() && ready, egui::Button::new("Run"));
        if run.clicked() || ui.input(|i| i.modifiers.ctrl && i.key_pressed(egui::Key::Enter)) && ready {
            let sel = if wants_sel { selection_frame(app) } else { None };
            let sql = app.panels.sql.text.clone();
            app.panels.sql.started = Some(std::time::Instant::now());
            app.panels.sql.job = Some(Job::spawn("running SQL".into(), 0, move |_, _| {
                crate::data::sql::run_sql(&table, sel.as_ref(), &sql).map_err(|e| e.to_string())
            }));
        }
        if let Some(j) = &app.panels.sql.job {
            j.progress_ui(ui);
        }
        if let Some(r) = &app.panels.sql.result {
            ui.label(format!("{} rows in {:.0} ms", thousands(r.height() as i64), app.panels.sql.ms));
        }
    });
    if let Some(e) = &app.panels.sql.error {
        ui.colored_label(egui::Color32::from_rgb(200, 60, 60), e);
    }
    let Some(r) = app.panels.sql.result.clone() else {
        return;
    };
    // A result column whose name is a table field can become a selection clause.
    ui.horizontal(|ui| {
        ui.label("Select records by a result column:");
        let fields: Vec<String> = r
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .filter(|c| app.loaded.as_ref().is_some_and(|l| l.columns.iter().any(|x| x.to_lowercase() == *c)))
            .collect();
        for f in fields {
            if ui.button(format!("{f} in result")).clicked() {
                let col = app
                    .loaded
                    .as_ref()
                    .and_then(|l| l.columns.iter().find(|x| x.to_lowercase() == f).cloned())
                    .unwrap_or(f.clone());
                if let Ok(s) = r.column(&f).and_then(|c| c.cast(&DataType::String)) {
                    if let Ok(ca) = s.str() {
                        let mut vals: Vec<String> =
                            ca.iter().map(|v| v.unwrap_or("(null)").to_string()).collect();
                        vals.sort();
                        vals.dedup();
                        app.panels.clause = Some((VIEW_SQL, Some(Clause::values(&col, vals, false))));
                    }
                }
            }
        }
    });
    result_table_ui(ui, &r, "sql_result");
}

pub fn result_table_ui(ui: &mut egui::Ui, df: &DataFrame, id: &str) {
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let n = df.height();
    egui::ScrollArea::horizontal().id_salt(format!("{id}_h")).show(ui, |ui| {
        let h = ui.available_height();
        let mut tb =
            egui_extras::TableBuilder::new(ui).id_salt(id).striped(true).resizable(true).max_scroll_height(h);
        for _ in &names {
            tb = tb.column(egui_extras::Column::initial(110.0).at_least(30.0).clip(true));
        }
        tb.header(20.0, |mut hr| {
            for c in &names {
                hr.col(|ui| {
                    ui.strong(c);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, n, |mut row| {
                let i = row.index();
                for c in &names {
                    row.col(|ui| {
                        let v = df
                            .column(c)
                            .ok()
                            .and_then(|c| c.get(i).ok())
                            .map(|v| crate::views::table::cell_text(&v))
                            .unwrap_or_default();
                        ui.add(egui::Label::new(v).truncate());
                    });
                }
            });
        });
    });
}

fn summary_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
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
                    ui.label(c.dtype().to_string());
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

fn clean_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(l) = &app.loaded else { return };
    let df = l.df.clone();
    let has_flows = ["src_port", "dst_port", "src_ip", "dst_ip"].iter().all(|c| df.column(c).is_ok());
    if !has_flows {
        ui.weak("The cleaning workbench needs flow records (src_ip, dst_ip, src_port, dst_port). This data has none of that shape.");
        return;
    }
    let picker = app.picker.clone();
    let mut clause_out: Option<Option<Clause>> = None;
    let mut export_req: Option<(ExportFormat, bool)> = None;
    let cs = &mut app.panels.clean;
    if cs.evidence.is_none() && cs.analysis.is_none() {
        let d = df.clone();
        cs.analysis = Some(Job::spawn("analysing ports and scanners".into(), 0, move |_, _| {
            let sc = apply::scanners(&d, &ScanParams::default()).map_err(|e| e.to_string())?;
            let ips: Vec<String> = sc.iter().map(|s| s.src_ip.clone()).collect();
            let ev = apply::evidence(&d, &ips, 40).map_err(|e| e.to_string())?;
            Ok((ev, sc))
        }));
    }
    ui.columns(3, |c| {
        // 1. Flow direction repair.
        {
            let ui = &mut c[0];
            ui.strong("1 · Repair inverted flows");
            ui.weak("A service port as source with an ephemeral destination port means the collector swapped the direction.");
            ui.horizontal(|ui| {
                ui.label("service ports");
                ui.add(egui::TextEdit::singleline(&mut cs.ports_text).desired_width(ui.available_width() - 10.0).id_salt("ports_text"));
            });
            ui.horizontal(|ui| {
                ui.label("destination port >");
                ui.add(egui::DragValue::new(&mut cs.min_dst).range(0..=65535));
                if ui.button("Preset marty-vast2013").clicked() {
                    cs.ports_text = marty_ports_text();
                    cs.min_dst = 1024;
                }
                if ui.button("Use candidates").on_hover_text("ports the evidence below marks as services").clicked() {
                    if let Some(e) = &cs.evidence {
                        cs.ports_text = e.iter().filter(|e| e.candidate).map(|e| e.port.to_string()).collect::<Vec<_>>().join(", ");
                    }
                }
            });
            let ports = parse_ports(&cs.ports_text);
            if let Err(e) = &ports {
                ui.colored_label(egui::Color32::RED, e);
            }
            ui.horizontal(|ui| {
                if ui.add_enabled(ports.is_ok(), egui::Button::new("Preview flagged records")).clicked() {
                    if let Ok(p) = &ports {
                        let any_of = p
                            .iter()
                            .map(|p| {
                                vec![
                                    Pred::Eq { field: "src_port".into(), value: p.to_string() },
                                    Pred::Range { field: "dst_port".into(), min: (cs.min_dst + 1) as f64, max: 65535.0 },
                                ]
                            })
                            .collect();
                        clause_out = Some(Some(Clause::Match { any_of, negate: false }));
                        cs.previewing = true;
                    }
                }
                if cs.previewing && ui.button("End preview").clicked() {
                    clause_out = Some(None);
                    cs.previewing = false;
                }
                if ui.add_enabled(ports.is_ok() && cs.job.is_none(), egui::Button::new("Apply repair")).clicked() {
                    if let Ok(p) = ports.clone() {
                        let preset = (p.iter().copied().collect::<std::collections::BTreeSet<_>>() == crate::data::clean::flow_repair::marty_vast2013().service_ports && cs.min_dst == 1024)
                            .then(|| "marty-vast2013".to_string());
                        cs.steps.push(Step::RepairInverted { service_ports: p, min_dst_port_exclusive: cs.min_dst, preset });
                        clause_out = Some(None);
                        cs.previewing = false;
                        run_recipe(cs);
                    }
                }
            });
            ui.separator();
            ui.strong("Evidence (scanners left out)");
            match &cs.evidence {
                None => {
                    ui.spinner();
                }
                Some(ev) => {
                    egui::ScrollArea::vertical().id_salt("evidence").show(ui, |ui| {
                        egui::Grid::new("evidence_grid").striped(true).show(ui, |ui| {
                            for h in ["port", "as dst", "as src", "src->eph. dst", "service?"] {
                                ui.strong(h);
                            }
                            ui.end_row();
                            for e in ev.iter().take(25) {
                                ui.label(e.port.to_string());
                                ui.label(thousands(e.as_dst as i64));
                                ui.label(thousands(e.as_src as i64));
                                ui.label(thousands(e.as_src_with_ephemeral_dst as i64));
                                ui.label(if e.candidate { "candidate" } else { "" });
                                ui.end_row();
                            }
                        });
                    });
                }
            }
        }
        // 2. Port 0 and scanners.
        {
            let ui = &mut c[1];
            ui.strong("2 · Port 0 of non-TCP/UDP traffic");
            ui.weak("ICMP and OTHER records carry no ports: their 0 (or ICMP type/code) would count as the busiest 'service'. They become null.");
            if ui.add_enabled(cs.job.is_none(), egui::Button::new("Null ports of non-TCP/UDP records")).clicked() {
                cs.steps.push(Step::NullPortsNonTcpUdp);
                run_recipe(cs);
            }
            ui.separator();
            ui.strong("3 · Scanners");
            ui.weak("Sources with ≥100 distinct destination ports or hosts within 5 minutes.");
            match &cs.scanners {
                None => {
                    ui.spinner();
                }
                Some(sc) if sc.is_empty() => {
                    ui.label("no scanners found");
                }
                Some(sc) => {
                    let ips: Vec<String> = sc.iter().map(|s| s.src_ip.clone()).collect();
                    egui::Grid::new("scanners_grid").striped(true).show(ui, |ui| {
                        for h in ["source", "kind", "ports/5min", "hosts/5min", "records"] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for s in sc.iter().take(12) {
                            ui.label(&s.src_ip);
                            ui.label(format!("{:?}", s.kind));
                            ui.label(s.max_distinct_ports_in_window.to_string());
                            ui.label(s.max_distinct_hosts_in_window.to_string());
                            ui.label(thousands(s.total_records as i64));
                            ui.end_row();
                        }
                    });
                    ui.horizontal(|ui| {
                        if ui.button("Exclude as a filter").on_hover_text("a reversible selection clause").clicked() {
                            clause_out = Some(Some(Clause::values("src_ip", ips.clone(), true)));
                        }
                        if ui.add_enabled(cs.job.is_none(), egui::Button::new("Remove as a cleaning step")).clicked() {
                            cs.steps.push(Step::ExcludeScanners { src_ips: ips });
                            run_recipe(cs);
                        }
                    });
                }
            }
        }
        // 3. Recipe and export.
        {
            let ui = &mut c[2];
            ui.strong("Recipe");
            if cs.steps.is_empty() {
                ui.weak("no cleaning steps yet");
            }
            for (i, s) in cs.steps.iter().enumerate() {
                let rep = cs.reports.get(i).map(|r| r.to_string()).unwrap_or_else(|| format!("{s:?}"));
                ui.label(format!("{}. {rep}", i + 1));
            }
            if let Some(j) = &cs.job {
                j.progress_ui(ui);
            }
            if let Some(m) = &cs.message {
                ui.label(m);
            }
            ui.horizontal(|ui| {
                if ui.add_enabled(!cs.steps.is_empty() && cs.job.is_none(), egui::Button::new("Undo last step")).clicked() {
                    cs.steps.pop();
                    run_recipe(cs);
                }
                if ui.add_enabled(!cs.steps.is_empty(), egui::Button::new("Save recipe…")).clicked() {
                    let r = Recipe { version: RECIPE_VERSION, name: None, steps: cs.steps.clone() };
                    if let Some(p) = picker.save_file("recipe.json", &[("recipe", &["json"])]) {
                        let tmp = p.with_extension("json.tmp");
                        let res = std::fs::write(&tmp, r.to_json()).and_then(|_| std::fs::rename(&tmp, &p));
                        cs.message = Some(match res {
                            Ok(()) => format!("recipe saved to {}", p.display()),
                            Err(e) => format!("could not save recipe: {e}"),
                        });
                    }
                }
                if ui.add_enabled(cs.job.is_none(), egui::Button::new("Load recipe…")).clicked() {
                    if let Some(files) = picker.open_files() {
                        if let Some(f) = files.first() {
                            match std::fs::read_to_string(f).map_err(|e| e.to_string()).and_then(|t| recipe::parse_recipe(&t).map_err(|e| e.to_string())) {
                                Ok(r) => {
                                    cs.steps = r.steps;
                                    run_recipe(cs);
                                }
                                Err(e) => cs.message = Some(format!("{}: {e}", f.display())),
                            }
                        }
                    }
                }
            });
            ui.separator();
            ui.strong("Export");
            ui.horizontal(|ui| {
                for fmt in [ExportFormat::Csv, ExportFormat::Parquet, ExportFormat::Ndjson] {
                    if ui.button(format!("Selection -> {}", fmt.extension())).clicked() {
                        export_req = Some((fmt, true));
                    }
                }
            });
            ui.horizontal(|ui| {
                for fmt in [ExportFormat::Csv, ExportFormat::Parquet, ExportFormat::Ndjson] {
                    if ui.button(format!("All (cleaned) -> {}", fmt.extension())).clicked() {
                        export_req = Some((fmt, false));
                    }
                }
            });
        }
    });
    if let Some(c) = clause_out {
        app.panels.clause = Some((VIEW_CLEAN, c));
    }
    if let Some((fmt, sel)) = export_req {
        start_export_dialog(app, fmt, sel);
    }
}

/// Replays the recipe from the original table (so undo is exact) in the background.
fn run_recipe(cs: &mut CleanState) {
    let Some(orig) = cs.original.clone() else {
        return;
    };
    let recipe = Recipe { version: RECIPE_VERSION, name: None, steps: cs.steps.clone() };
    cs.evidence = None;
    cs.scanners = None;
    cs.job = Some(Job::spawn(format!("applying {} step(s)", recipe.steps.len()), 0, move |_, _| {
        apply::apply_recipe(&orig.df, &recipe).map_err(|e| e.to_string())
    }));
}

fn handle_treemap_export(app: &mut BrushfireApp) {
    use crate::views::treemap::treemap_ui::TreemapExport;
    let Some(export) = app.panels.treemap.take_export() else {
        return;
    };
    let (name, ext, bytes) = match export {
        TreemapExport::Svg(s) => ("treemap.svg", "svg", s.into_bytes()),
        TreemapExport::Png(b) => ("treemap.png", "png", b),
    };
    if let Some(p) = app.picker.save_file(name, &[(ext, &[ext])]) {
        let tmp = p.with_extension(format!("{ext}.tmp"));
        let r = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &p));
        app.panels.export_message = Some(match r {
            Ok(()) => format!("treemap saved to {}", p.display()),
            Err(e) => format!("could not save: {e}"),
        });
    }
}

fn handle_graph_action(app: &mut BrushfireApp, action: Option<crate::views::graph::graph_ui::GraphAction>) {
    use crate::views::graph::graph_ui::GraphAction;
    match action {
        Some(GraphAction::Edit(e)) => app.apply_edit(super::VIEW_GRAPH, e),
        Some(GraphAction::Export { format, text }) => {
            let name = format!("graph.{format}");
            if let Some(p) = app.picker.save_file(&name, &[(format, &[format])]) {
                let tmp = p.with_extension(format!("{format}.tmp"));
                let r = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, &p));
                app.panels.export_message = Some(match r {
                    Ok(()) => format!("graph saved to {}", p.display()),
                    Err(e) => format!("could not save: {e}"),
                });
            }
        }
        Some(GraphAction::OpenProperties) => {
            if let Some(files) = app.picker.open_files() {
                if let (Some(f), Some(g)) = (files.first(), app.panels.graph.as_mut()) {
                    if let Err(e) = g.load_properties(f) {
                        app.error = Some(format!("{}: {e}", f.display()));
                    }
                }
            }
        }
        None => {}
    }
}
