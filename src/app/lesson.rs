//! Workshop mode in the window: the open lesson, its tile, "show me" (a step's solution applied
//! to the app as the mouse would), reset to the step's start, and the tick, evaluated off the UI
//! thread whenever the state a check looks at changes.
use super::desk::Pane;
use super::jobs::Job;
use super::{BrushfireApp, Tab, VIEW_TIME};
use crate::lesson::{self, Action, Lesson, Snapshot};
use crate::linking::selection::{Clause, Selection, ViewId};
use crate::views::lesson::lesson_ui::{lesson_ui, LessonEdit};
use crate::views::lesson::{StepModel, Tick};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The state a step started from, for "Reset step".
struct Entry {
    step: usize,
    selection: Selection,
    cleaning: usize,
    graph_fields: Vec<String>,
    graph_properties: Option<PathBuf>,
    treemap_levels: Vec<String>,
    topn: BTreeMap<ViewId, (String, usize)>,
}

pub struct LessonState {
    pub lesson: Arc<Lesson>,
    pub model: StepModel,
    pub tick: Tick,
    job: Option<(String, Job<bool>)>,
    /// The state key the tick was computed for.
    evaluated: Option<String>,
    entry: Option<Entry>,
}

impl LessonState {
    pub fn new(lesson: Lesson) -> Self {
        let model = StepModel::new(lesson.steps.len());
        LessonState {
            lesson: Arc::new(lesson),
            model,
            tick: Tick::Checking,
            job: None,
            evaluated: None,
            entry: None,
        }
    }

    /// The student's place, for the workspace (the lesson file relative to it).
    pub fn progress(&self, ws_path: &Path) -> crate::workspace::LessonProgress {
        crate::workspace::LessonProgress {
            file: crate::workspace::relative_to(ws_path, &self.lesson.path),
            step: self.model.step,
            passed: self.model.passed.iter().copied().collect(),
            presenter: self.model.presenter,
        }
    }

    fn current_step(&self) -> Option<&lesson::Step> {
        self.lesson.steps.get(self.model.step)
    }
}

impl BrushfireApp {
    /// Opens a lesson file: its tile on the left of the desk, its data loaded (unless it is open).
    pub fn open_lesson(&mut self, path: &Path) {
        match lesson::load(path) {
            Err(e) => self.error = Some(e.to_string()),
            Ok(l) => {
                let data = l.dataset.clone();
                self.lesson = Some(LessonState::new(l));
                self.desk.add_side(Pane::Lesson);
                let same = self
                    .loaded
                    .as_ref()
                    .is_some_and(|x| x.table.files.len() == 1 && same_file(&x.table.files[0], &data))
                    || self
                        .load
                        .as_ref()
                        .is_some_and(|j| j.files.len() == 1 && same_file(&j.files[0], &data));
                if !same {
                    self.open(vec![data]);
                }
            }
        }
    }

    /// Reopens the lesson of a workspace at the student's step (the workspace brings the data).
    pub(super) fn restore_lesson(&mut self, ws_path: &Path, p: &crate::workspace::LessonProgress) {
        let file = crate::workspace::resolve(ws_path, &p.file);
        match lesson::load(&file) {
            Err(e) => self.workspace.message = Some(format!("the workspace's lesson: {e}")),
            Ok(l) => {
                let mut st = LessonState::new(l);
                st.model.restore(p.step, p.passed.iter().copied());
                st.model.presenter = p.presenter;
                self.lesson = Some(st);
                self.desk.add_side(Pane::Lesson);
            }
        }
    }

    /// The app's state as the checks see it.
    pub fn lesson_snapshot(&self) -> Option<Snapshot> {
        let l = self.loaded.as_ref()?;
        let rows_known = self.is_current() && (self.want_all_rows || self.sel.current().clauses.is_empty());
        Some(Snapshot {
            table: l.table.clone(),
            selection: self.sel.current().clone(),
            selection_rows: if rows_known { self.all_rows.clone() } else { None },
            sql_result: self.panels.sql.result.clone(),
            cleaning: self.panels.clean.steps.clone(),
            graph_fields: self.panels.graph.as_ref().map(|g| g.fields().to_vec()).unwrap_or_default(),
            graph_properties: self.panels.graph_properties.clone(),
            treemap_levels: self.panels.treemap.levels().to_vec(),
            topn: self.topn.values().map(|s| (s.field.clone(), s.offset)).collect(),
        })
    }

    /// The shown step's check reads the selection's rows: the engine should send them.
    pub fn lesson_wants_all_rows(&self) -> bool {
        self.lesson.as_ref().and_then(|s| s.current_step()).is_some_and(|s| s.check.needs_selection_rows())
    }

    /// What a check could depend on, as text: a change means the tick is evaluated again.
    fn lesson_key(&self) -> String {
        let Some(l) = &self.loaded else { return String::new() };
        let step = self.lesson.as_ref().map(|s| s.model.step).unwrap_or(0);
        format!(
            "{step}|{:p}|{}|{}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}",
            Arc::as_ptr(&l.table),
            self.sel.version,
            self.is_current() && self.want_all_rows,
            self.all_rows.as_ref().map(Arc::as_ptr),
            self.panels.sql.result.as_ref().map(Arc::as_ptr),
            self.panels.clean.steps.len(),
            self.panels.graph.as_ref().map(|g| g.fields().to_vec()),
            self.panels.graph_properties,
            self.panels.treemap.levels(),
            self.topn.values().map(|s| (&s.field, s.offset)).collect::<Vec<_>>(),
        )
    }

    /// Per frame: evaluates the shown step's check when the state changed; true while it runs.
    pub(super) fn pump_lesson(&mut self) -> bool {
        if self.lesson.is_none() || self.loaded.is_none() || !self.engine_ready {
            return false;
        }
        // The state a step starts from, taken once the app is idle (no cleaning half done).
        let step = self.lesson.as_ref().map(|s| s.model.step).unwrap_or(0);
        if self.lesson.as_ref().is_some_and(|s| s.entry.as_ref().is_none_or(|e| e.step != step))
            && self.panels_idle()
        {
            let entry = Entry {
                step,
                selection: self.sel.current().clone(),
                cleaning: self.panels.clean.steps.len(),
                graph_fields: self.panels.graph.as_ref().map(|g| g.fields().to_vec()).unwrap_or_default(),
                graph_properties: self.panels.graph_properties.clone(),
                treemap_levels: self.panels.treemap.levels().to_vec(),
                topn: self.topn.iter().map(|(id, s)| (*id, (s.field.clone(), s.offset))).collect(),
            };
            if let Some(s) = self.lesson.as_mut() {
                s.entry = Some(entry);
            }
        }
        let key = self.lesson_key();
        let Some(st) = self.lesson.as_mut() else { return false };
        if let Some((k, j)) = &st.job {
            if let Some(r) = j.poll() {
                // An answer for a state that has moved on is dropped; the newer one is asked next.
                if *k == key {
                    st.tick = match r {
                        Ok(true) => Tick::Passed,
                        Ok(false) => Tick::NotYet,
                        Err(e) => Tick::Broken(e),
                    };
                    st.model.observe(&st.tick);
                    st.evaluated = Some(k.clone());
                }
                st.job = None;
            }
        }
        if st.job.is_none() && st.evaluated.as_deref() != Some(key.as_str()) {
            // The snapshot is taken only when a check is due, not every frame.
            let snap = self.lesson_snapshot();
            let Some(st) = self.lesson.as_mut() else { return false };
            if let (Some(step), Some(snap)) = (st.current_step(), snap) {
                let check = step.check.clone();
                st.tick = Tick::Checking;
                st.job = Some((
                    key,
                    Job::spawn("checking the step".into(), 0, move |_, _| check.satisfied(&snap)),
                ));
            }
        }
        self.lesson.as_ref().is_some_and(|s| s.job.is_some())
    }

    /// The tick shows the check of the state as it is now (nothing pending).
    pub fn lesson_checked(&self) -> bool {
        let key = self.lesson_key();
        self.lesson.as_ref().is_some_and(|s| s.job.is_none() && s.evaluated.as_deref() == Some(key.as_str()))
    }

    /// "Show me": the step's solution, applied as the student would apply it.
    pub fn apply_lesson_solution(&mut self) {
        let Some(st) = &self.lesson else { return };
        let Some(step) = st.current_step() else { return };
        let actions = step.solution.clone();
        let lesson = st.lesson.clone();
        for a in &actions {
            self.apply_lesson_action(a, &lesson);
        }
    }

    fn apply_lesson_action(&mut self, a: &Action, lesson: &Lesson) {
        use crate::data::clean::{recipe::Step, workbench};
        match a {
            Action::Select { field, values, exclude } => {
                let lists: Vec<(ViewId, String)> =
                    self.topn.iter().map(|(id, s)| (*id, s.field.clone())).collect();
                let view = lesson::sim::select_view(&lists, field);
                self.sel.set(view, Some(Clause::values(field, values.iter().cloned(), *exclude)), false);
            }
            Action::Brush { start, end } => {
                if let (Ok(s), Ok(e)) =
                    (lesson::check::parse_time_us(start), lesson::check::parse_time_us(end))
                {
                    self.sel.set(VIEW_TIME, Some(Clause::Time { start_us: s, end_us: e }), false);
                }
            }
            Action::ClearSelection => self.sel.clear_all(),
            Action::Sql { query } => {
                self.panels.sql.text = query.clone();
                self.tab = Tab::Sql;
                self.panels.sql.run_when_ready = true;
            }
            Action::PreviewInverted { ports } => {
                self.panels.clean.ports_text =
                    ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
                self.panels.clean.min_dst = 1024;
                self.panels.clean.previewing = true;
                self.sel.set(super::VIEW_CLEAN, Some(workbench::inverted_preview_clause(ports, 1024)), false);
                self.tab = Tab::Clean;
            }
            Action::Clean { step, ports } => {
                let s = match step.as_str() {
                    "repair_inverted" => workbench::repair_step(ports.clone(), 1024),
                    "null_ports_non_tcp_udp" => Step::NullPortsNonTcpUdp,
                    _ => match self.loaded.as_ref().map(|l| lesson::sim::scanner_ips(&l.table)) {
                        Some(Ok(ips)) if !ips.is_empty() => Step::ExcludeScanners { src_ips: ips },
                        _ => {
                            self.error = Some("the cleaning workbench finds no scanners to exclude".into());
                            return;
                        }
                    },
                };
                self.sel.set(super::VIEW_CLEAN, None, false);
                self.panels.clean.previewing = false;
                self.panels.clean.steps.push(s);
                super::panels::clean::run_recipe(&mut self.panels.clean);
                self.tab = Tab::Clean;
            }
            Action::Graph { fields, properties } => {
                if let Some(g) = self.panels.graph.as_mut() {
                    g.set_fields(fields.clone());
                    if let Some(p) = properties {
                        let path = lesson.resolve(p);
                        match g.load_properties(&path) {
                            Ok(()) => self.panels.graph_properties = Some(path),
                            Err(e) => self.error = Some(e),
                        }
                    }
                }
                self.tab = Tab::Graph;
            }
            Action::Treemap { levels } => {
                self.panels.treemap.set_levels(levels.clone());
                self.tab = Tab::Treemap;
            }
            Action::TopN { field, offset } => {
                let id = self.topn.iter().find(|(_, s)| s.field == *field).map(|(id, _)| *id);
                let id = id.or_else(|| self.topn.keys().next().copied());
                if let Some(s) = id.and_then(|id| self.topn.get_mut(&id)) {
                    if s.field != *field {
                        *s = crate::views::topn::topn_ui::TopNState::new(field);
                    }
                    s.offset = *offset;
                }
            }
        }
    }

    /// "Reset step": filters, cleaning and views as they were when the step began.
    pub fn reset_lesson_step(&mut self) {
        let Some(e) = self.lesson.as_mut().and_then(|s| s.entry.take()) else { return };
        self.sel.replace(e.selection.clone());
        if self.panels.clean.steps.len() != e.cleaning {
            self.panels.clean.steps.truncate(e.cleaning);
            super::panels::clean::run_recipe(&mut self.panels.clean);
        }
        if let Some(g) = self.panels.graph.as_mut() {
            g.set_fields(e.graph_fields.clone());
        }
        if e.graph_properties != self.panels.graph_properties {
            match (&e.graph_properties, self.panels.graph.as_mut()) {
                (Some(p), Some(g)) => {
                    let _ = g.load_properties(p);
                }
                (None, Some(g)) => g.drop_properties(),
                _ => {}
            }
            self.panels.graph_properties = e.graph_properties.clone();
        }
        self.panels.treemap.set_levels(e.treemap_levels.clone());
        for (id, (field, offset)) in &e.topn {
            if let Some(s) = self.topn.get_mut(id) {
                if s.field != *field {
                    *s = crate::views::topn::topn_ui::TopNState::new(field);
                }
                s.offset = *offset;
            }
        }
        if let Some(s) = self.lesson.as_mut() {
            s.entry = Some(e);
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The lesson tile.
pub fn lesson_pane_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(st) = app.lesson.as_mut() else {
        ui.weak(
            "No lesson is open. Start one with `brushfire --lesson NAME` (bundled: sample_data/lessons).",
        );
        return;
    };
    let lesson = st.lesson.clone();
    let tick = st.tick.clone();
    match lesson_ui(ui, &lesson, &mut st.model, &tick) {
        Some(LessonEdit::ShowMe) => app.apply_lesson_solution(),
        Some(LessonEdit::ResetStep) => app.reset_lesson_step(),
        Some(LessonEdit::StepChanged) => {
            // The step's text changes length: draw again at once with the new layout.
            ui.ctx().request_repaint();
            st.tick = Tick::Checking;
            st.evaluated = None;
        }
        None => {}
    }
}

/// `brushfire --lesson NAME`: the GUI on a bundled lesson (or a lesson file).
pub fn lesson_path(name: &str) -> anyhow::Result<PathBuf> {
    lesson::find(name).map_err(|e| anyhow::anyhow!(e))
}
