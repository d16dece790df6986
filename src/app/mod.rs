//! eframe glue: owns the loaded table, the selection and the coordinator; the desk of tiles lays
//! out the views and routes their edits. Loading, linking queries, layout and exports all run off
//! this thread.
pub mod bookmarks;
pub mod dashboard;
pub mod desk;
pub mod jobs;
pub mod lake;
pub mod lesson;
pub mod loader;
mod open_as;
pub mod panels;
pub mod spark_dialog;
pub mod startup_probe;
pub mod workspace_io;

use crate::data::Table;
use crate::linking::coordinator::{Coordinator, Event};
use crate::linking::needs::{Need, Output};
use crate::linking::selection::{SelectionHistory, ViewId};
use crate::views::common::{FilePicker, Hover, RfdPicker, ViewEdit};
use crate::views::table::table_ui::TableState;
use crate::views::timeseries::timeseries_ui::TimeSeriesState;
use crate::views::topn::topn_ui::TopNState;
use desk::{Desk, Pane};
use loader::LoadJob;
use polars::prelude::DataFrame;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub const VIEW_TIME: ViewId = 1;
pub const VIEW_TOPN: [ViewId; 4] = [10, 11, 12, 13];
pub const VIEW_TABLE: ViewId = 20;
pub const VIEW_TREEMAP: ViewId = 30;
pub const VIEW_GRAPH: ViewId = 40;
pub const VIEW_SQL: ViewId = 50;
pub const VIEW_CLEAN: ViewId = 60;
/// Clause source of a lesson's "show me" when no top-N list shows the field.
pub const VIEW_LESSON: ViewId = 70;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Records,
    Treemap,
    Graph,
    Clean,
    Sql,
    Summary,
}

impl Tab {
    pub const ALL: [Tab; 6] = [Tab::Records, Tab::Treemap, Tab::Graph, Tab::Clean, Tab::Sql, Tab::Summary];
    pub fn label(self) -> &'static str {
        match self {
            Tab::Records => "Records",
            Tab::Treemap => "Treemap",
            Tab::Graph => "Link graph",
            Tab::Clean => "Clean",
            Tab::Sql => "SQL",
            Tab::Summary => "Summary & rejected",
        }
    }
}

/// The table as loaded, plus what views need to know about it.
pub struct Loaded {
    pub table: Arc<Table>,
    pub df: Arc<DataFrame>,
    pub columns: Vec<String>,
    /// Columns that make sense as categories (top-N, treemap, graph).
    pub categorical: Vec<String>,
}

impl Loaded {
    pub fn new(table: Table) -> Self {
        let df = Arc::new(table.df.clone());
        let columns: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        let categorical = columns
            .iter()
            .filter(|c| {
                let dt = df.column(c).map(|c| c.dtype().clone()).ok();
                !matches!(c.as_str(), "time" | "time_end" | "uid" | "flow_id")
                    && !matches!(
                        dt,
                        Some(polars::prelude::DataType::Float64 | polars::prelude::DataType::Float32)
                            | Some(polars::prelude::DataType::Datetime(..))
                    )
            })
            .cloned()
            .collect();
        Self { table: Arc::new(table), df, columns, categorical }
    }

    /// The first present field of each preference list, for the default top-N lists.
    pub fn default_topn_fields(&self) -> [String; 4] {
        let prefs: [&[&str]; 4] = [
            &["src_ip", "host", "user_name", "app_name"],
            &["dst_ip", "app_name", "http_request", "event_type"],
            &["dst_port", "http_status", "event_id", "action", "syslog_sev"],
            &["proto", "event_type", "action", "log_type", "http_method"],
        ];
        let mut used: Vec<String> = Vec::new();
        let mut out: Vec<String> = Vec::new();
        for p in prefs {
            let pick = p
                .iter()
                .find(|f| self.categorical.iter().any(|c| c == *f) && !used.iter().any(|u| u == *f))
                .map(|s| s.to_string())
                .or_else(|| self.categorical.iter().find(|c| !used.contains(c)).cloned())
                .unwrap_or_else(|| "time".into());
            used.push(pick.clone());
            out.push(pick);
        }
        [out[0].clone(), out[1].clone(), out[2].clone(), out[3].clone()]
    }
}

pub struct BrushfireApp {
    pub picker: Arc<dyn FilePicker>,
    pub load: Option<LoadJob>,
    pub loaded: Option<Loaded>,
    pub coord: Coordinator,
    pub engine_ready: bool,
    pub sel: SelectionHistory,
    last_request: Option<(u64, BTreeMap<ViewId, Need>)>,
    pub outputs: BTreeMap<ViewId, Output>,
    pub last_compute_ms: f64,
    pub last_strategy: &'static str,
    /// Time series instances by ViewId (the first is [`VIEW_TIME`]).
    pub ts: BTreeMap<ViewId, TimeSeriesState>,
    /// Top-N list instances by ViewId (the default four are [`VIEW_TOPN`]).
    pub topn: BTreeMap<ViewId, TopNState>,
    pub table: TableState,
    /// The tiles on screen.
    pub desk: Desk,
    /// Set to bring a workbench view to the front (the desk adds it when it was closed).
    pub tab: Tab,
    pub hover: Option<Hover>,
    pub error: Option<String>,
    pub status: String,
    pub panels: panels::PanelsState,
    /// The open workspace: its file, notes, bookmarks, and a reopen in progress.
    pub workspace: workspace_io::WorkspaceState,
    /// "Bookmark this selection" dialog, while open.
    pub bookmark_draft: Option<bookmarks::Draft>,
    pub report_job: Option<jobs::Job<PathBuf>>,
    /// Table rows of the whole selection, when a panel asked for them (export, SQL `selection`).
    pub all_rows: Option<Arc<Vec<u32>>>,
    want_all_rows: bool,
    sent_seq: u64,
    /// The workshop lesson, when one is open.
    pub lesson: Option<lesson::LessonState>,
    /// File > Connect to Spark...: the dialog and the engine it connected (issue #12).
    pub spark_dialog: spark_dialog::SparkDialog,
    /// The lake the views read instead of a table in memory, if one is open.
    pub lake: lake::LakeState,
    /// `brushfire bench startup`: reports the first frame and the first answers (`startup_probe`).
    pub startup_probe: Option<startup_probe::StartupProbe>,
}

impl BrushfireApp {
    pub fn new(picker: Arc<dyn FilePicker>, files: Vec<PathBuf>) -> Self {
        let mut app = Self {
            picker,
            load: None,
            loaded: None,
            coord: Coordinator::new(),
            engine_ready: false,
            sel: SelectionHistory::default(),
            last_request: None,
            outputs: BTreeMap::new(),
            last_compute_ms: 0.0,
            last_strategy: "",
            ts: [(VIEW_TIME, TimeSeriesState::default())].into_iter().collect(),
            topn: VIEW_TOPN
                .iter()
                .zip(["src_ip", "dst_ip", "dst_port", "proto"])
                .map(|(id, f)| (*id, TopNState::new(f)))
                .collect(),
            table: TableState::default(),
            desk: Desk::default(),
            tab: Tab::Records,
            hover: None,
            error: None,
            status: String::new(),
            panels: panels::PanelsState::default(),
            workspace: Default::default(),
            bookmark_draft: None,
            report_job: None,
            all_rows: None,
            want_all_rows: false,
            sent_seq: 0,
            lesson: None,
            spark_dialog: Default::default(),
            lake: Default::default(),
            startup_probe: None,
        };
        app.table.reset();
        // A workspace among the files opens as a workspace (its sources come from it).
        match files.iter().find(|f| is_workspace_file(f)).cloned() {
            Some(ws) => app.open_workspace(&ws),
            None if !files.is_empty() => app.open(files),
            None => {}
        }
        app
    }

    pub fn open(&mut self, files: Vec<PathBuf>) {
        if let Some(job) = &self.load {
            job.cancel();
        }
        self.error = None;
        self.load = Some(LoadJob::start(files, self.panels.load_options()));
    }

    /// Replaces the table (after loading or cleaning) and resets linked state.
    pub fn set_table(&mut self, table: Table, keep_view_config: bool) {
        let loaded = Loaded::new(table);
        self.lake.engine = None;
        if !keep_view_config {
            // The first four lists get the data's natural fields; a list added later keeps its
            // field when the new table has it.
            let fields = loaded.default_topn_fields();
            for (i, s) in self.topn.values_mut().enumerate() {
                let field = match fields.get(i) {
                    Some(f) => f.clone(),
                    None if loaded.categorical.contains(&s.field) => s.field.clone(),
                    None => loaded.categorical.first().cloned().unwrap_or_else(|| "time".into()),
                };
                *s = TopNState::new(&field);
            }
            for s in self.ts.values_mut() {
                s.reset();
            }
            self.panels.on_new_table(&loaded);
        }
        self.table.reset();
        self.coord.set_data(loaded.df.clone());
        self.engine_ready = false;
        self.sel.clear_all();
        self.outputs.clear();
        self.last_request = None;
        self.all_rows = None;
        self.loaded = Some(loaded);
    }

    pub fn apply_edit(&mut self, view: ViewId, edit: ViewEdit) {
        self.sel.set(view, edit.clause, edit.continuing);
    }

    /// Needs of the views that are visible now.
    fn needs(&self) -> BTreeMap<ViewId, Need> {
        let mut n = BTreeMap::new();
        let visible = self.desk.visible_panes();
        for p in &visible {
            match p {
                Pane::TimeSeries { id } => {
                    if let Some(s) = self.ts.get(id) {
                        n.insert(
                            *id,
                            Need::Time { measure: s.measure.clone(), split: s.split.clone().map(|f| (f, 5)) },
                        );
                    }
                }
                Pane::TopN { id } => {
                    if let Some(s) = self.topn.get(id) {
                        n.insert(
                            *id,
                            Need::TopN {
                                field: s.field.clone(),
                                offset: s.offset,
                                limit: s.limit,
                                measure: "count".into(),
                            },
                        );
                    }
                }
                _ => {}
            }
        }
        // The records count drives the status line, so the table is always asked for.
        n.insert(
            VIEW_TABLE,
            Need::Table {
                offset: self.table.window.0,
                limit: self.table.window.1,
                sort: self.table.sort.clone(),
            },
        );
        self.panels.needs(visible.contains(&Pane::Treemap), visible.contains(&Pane::Graph), &mut n);
        n
    }

    /// Non-drawing work of a frame: loader, coordinator answers, requests.
    pub fn pump(&mut self, ctx: &egui::Context) {
        if let Some(job) = &self.load {
            if let Some(result) = job.poll() {
                self.load = None;
                match result {
                    Ok(table) => {
                        self.status = format!("loaded {} records ({})", table.rows(), table.format);
                        self.set_table(table, false);
                        self.advance_workspace(false);
                    }
                    Err(e) => self.error = Some(e),
                }
            } else {
                ctx.request_repaint_after(std::time::Duration::from_millis(50));
            }
        }
        for ev in self.coord.poll() {
            match ev {
                Event::Indexing => self.status = "indexing…".into(),
                Event::Ready { rows, index_ms } => {
                    self.engine_ready = true;
                    self.status = format!(
                        "indexed {} records in {:.0} ms",
                        crate::views::common::thousands(rows as i64),
                        index_ms
                    );
                    self.last_request = None;
                    self.lake.rows = rows;
                    self.lake.read_ahead = (0, 0);
                }
                Event::Partial { seq, view, output } => {
                    self.outputs.insert(view, output);
                    self.lake.view_seq.insert(view, seq);
                }
                Event::Answer(a) => {
                    for v in a.outputs.keys() {
                        self.lake.view_seq.insert(*v, a.seq);
                    }
                    self.last_compute_ms = a.compute_ms;
                    self.last_strategy = a.strategy;
                    if a.all_rows.is_some() {
                        self.all_rows = a.all_rows;
                    }
                    self.outputs = a.outputs;
                }
                Event::Failed(e) => self.error = Some(format!("linking failed: {e}")),
                // Cubes read ahead while idle: the analyst learns why the machine is busy, and
                // that entering those views is now quick. Counted per selection.
                Event::ReadAhead { seq, ready, .. } if ready > 0 && seq >= self.lake.read_ahead.0 => {
                    if self.lake.read_ahead.0 != seq {
                        self.lake.read_ahead = (seq, 0);
                    }
                    self.lake.read_ahead.1 += 1;
                    self.status = format!(
                        "cubes of {} views read ahead for this selection while idle",
                        self.lake.read_ahead.1
                    );
                }
                Event::ReadAhead { .. } => {}
            }
        }
        if self.loaded.is_some() && self.engine_ready {
            let needs = self.needs();
            let want_all = self.panels.wants_all_rows(self.desk.visible_panes().contains(&Pane::Sql))
                || self.lesson_wants_all_rows();
            let changed = match &self.last_request {
                Some((v, n)) => *v != self.sel.version || *n != needs || want_all != self.want_all_rows,
                None => true,
            };
            if changed {
                if want_all {
                    self.all_rows = None;
                }
                self.sent_seq = self.coord.request(self.sel.current().clone(), needs.clone(), want_all);
                self.want_all_rows = want_all;
                self.last_request = Some((self.sel.version, needs));
            }
            if self.coord.shown_seq < self.sent_seq {
                ctx.request_repaint_after(std::time::Duration::from_millis(8));
            }
        }
        if self.pump_lake() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        // Over a lake the idle worker reads the views' cubes ahead and reports each one: a frame
        // a second shows it in the status bar without the pointer having to move.
        if self.lake.engine.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        // Background jobs of panels (export, SQL, cleaning).
        self.autosave_last_session();
        if self.pump_report() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        if self.panels.pump() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        if self.pump_lesson() {
            ctx.request_repaint_after(std::time::Duration::from_millis(30));
        }
        if let Some(t) = self.panels.take_new_table() {
            self.set_table(t, true);
            self.advance_workspace(true);
        }
        if let Some(c) = self.panels.take_clause() {
            self.sel.set(c.0, c.1, false);
        }
    }

    /// No background panel job (SQL, cleaning, export) is running.
    pub fn panels_idle(&self) -> bool {
        self.panels.idle()
    }

    /// Whether the views show the answer to the newest request.
    pub fn is_current(&self) -> bool {
        self.engine_ready && self.coord.shown_seq >= self.sent_seq && self.last_request.is_some()
    }

    pub fn ui_root(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.pump(&ctx);
        self.handle_input(&ctx);
        panels::root_ui(self, ui);
        bookmarks::bookmark_dialog_ui(self, &ctx);
        spark_dialog::spark_dialog_ui(self, &ctx);
        // A connected Spark table becomes the lake every view reads (issue #12).
        if let Some(engine) = self.spark_dialog.take_engine() {
            if let Err(e) = self.set_lake(Arc::from(engine)) {
                self.error = Some(e);
            }
        }
        lake::open_lake_dialog_ui(self, &ctx);
        // Pointer left every view: no highlight.
        if !ctx.is_pointer_over_egui() {
            self.hover = None;
        }
    }

    fn handle_input(&mut self, ctx: &egui::Context) {
        let (undo, redo, dropped) = ctx.input(|i| {
            let cmd = i.modifiers.command || i.modifiers.ctrl;
            let z = i.key_pressed(egui::Key::Z);
            (
                cmd && z && !i.modifiers.shift,
                cmd && (z && i.modifiers.shift || i.key_pressed(egui::Key::Y)),
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_path_buf())
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect::<Vec<_>>(),
            )
        });
        // Ctrl+Z in a text field belongs to the text field.
        let typing = ctx.egui_wants_keyboard_input();
        if undo && !typing {
            self.sel.undo();
        }
        if redo && !typing {
            self.sel.redo();
        }
        if !dropped.is_empty() {
            self.open(dropped);
        }
    }
}

impl eframe::App for BrushfireApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_root(ui);
        if let Some(mut probe) = self.startup_probe.take() {
            let ready =
                self.load.is_none() && self.loaded.is_some() && self.engine_ready && !self.outputs.is_empty();
            probe.after_frame(ui.ctx(), ready);
            self.startup_probe = Some(probe);
        }
    }

    fn on_exit(&mut self) {
        self.save_last_session();
    }
}

/// `*.brushfire`: a workspace, not a log.
pub fn is_workspace_file(p: &std::path::Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("brushfire"))
}

/// The bundled sample, found beside the sources or the executable.
pub fn bundled_sample() -> Option<PathBuf> {
    let name = "sample_data/vast-netflow-2weeks.csv.gz";
    let candidates = [
        std::env::current_dir().ok().map(|d| d.join(name)),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)),
        std::env::current_exe().ok().and_then(|e| e.parent().map(|p| p.join(name))),
    ];
    candidates.into_iter().flatten().find(|p| p.exists())
}

/// `format`: read the files as this format (`--format`) instead of detecting it.
pub fn run_gui(
    files: Vec<PathBuf>,
    properties: Option<PathBuf>,
    format: Option<String>,
    lake: Option<PathBuf>,
) -> anyhow::Result<()> {
    run_gui_with(files, properties, format, None, lake)
}

/// `brushfire --lesson NAME`: the window on a workshop lesson and its data.
pub fn run_gui_lesson(name: &str, properties: Option<PathBuf>) -> anyhow::Result<()> {
    let path = lesson::lesson_path(name)?;
    // Parse now, so a broken lesson is an error line before any window opens.
    crate::lesson::load(&path)?;
    run_gui_with(Vec::new(), properties, None, Some(path), None)
}

fn run_gui_with(
    files: Vec<PathBuf>,
    properties: Option<PathBuf>,
    format: Option<String>,
    lesson: Option<PathBuf>,
    lake: Option<PathBuf>,
) -> anyhow::Result<()> {
    let opened_workspace = files.iter().any(|f| is_workspace_file(f)) || lesson.is_some();
    let files = if files.is_empty() && lesson.is_none() && lake.is_none() {
        match bundled_sample() {
            Some(s) => vec![s],
            None => Vec::new(),
        }
    } else {
        files
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Brushfire")
            .with_inner_size([1600.0, 1000.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Brushfire",
        options,
        Box::new(move |_cc| {
            let mut app = BrushfireApp::new(Arc::new(RfdPicker), Vec::new());
            app.startup_probe = startup_probe::StartupProbe::from_env();
            // A timed start neither restores nor overwrites the user's last session.
            if app.startup_probe.is_none() {
                app.workspace.state_dir = workspace_io::WorkspaceState::default_state_dir();
            }
            app.panels.graph_properties = properties;
            if !opened_workspace {
                app.find_last_session();
            }
            if let Some(l) = &lesson {
                app.open_lesson(l);
            }
            if let Some(dir) = lake {
                app.open_lake(dir);
            }
            match files.iter().find(|f| is_workspace_file(f)) {
                Some(ws) => app.open_workspace(ws),
                None if !files.is_empty() => app.open_as(files, format),
                None => {}
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not start the GUI: {e}"))
}
