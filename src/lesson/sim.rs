//! Lessons without a window: the state the app starts in after loading a lesson's data, the
//! solutions applied to it as the app applies them, and `brushfire lesson --check`.
use super::check::Snapshot;
use super::{Action, Lesson, LessonError};
use crate::app::{Loaded, VIEW_CLEAN, VIEW_TIME, VIEW_TOPN};
use crate::data::clean::{apply, recipe, scanners::ScanParams, workbench};
use crate::data::Table;
use crate::linking::coordinator::{Request, Session};
use crate::linking::selection::{Clause, Selection, ViewId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The view a lesson's "select" lands on: the top-N list showing the field, else the lesson's own.
pub fn select_view(topn_fields: &[(ViewId, String)], field: &str) -> ViewId {
    topn_fields.iter().find(|(_, f)| f == field).map(|(id, _)| *id).unwrap_or(crate::app::VIEW_LESSON)
}

/// Scanner sources the cleaning workbench finds (its "Remove as a cleaning step").
pub fn scanner_ips(table: &Table) -> Result<Vec<String>, String> {
    Ok(apply::scanners(&table.df, &ScanParams::default())
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|s| s.src_ip)
        .collect())
}

/// The app's state right after it loaded `table` (default views, nothing selected).
pub struct Sim {
    pub original: Arc<Table>,
    pub snap: Snapshot,
    topn_ids: Vec<(ViewId, String)>,
    session: Option<Session>,
}

impl Sim {
    pub fn new(table: Table) -> Self {
        let loaded = Loaded::new(table);
        let topn_ids: Vec<(ViewId, String)> =
            VIEW_TOPN.iter().copied().zip(loaded.default_topn_fields()).collect();
        let snap = Snapshot {
            table: loaded.table.clone(),
            selection: Selection::default(),
            selection_rows: None,
            sql_result: None,
            cleaning: Vec::new(),
            graph_fields: crate::app::panels::default_graph_fields(&loaded.categorical),
            graph_properties: None,
            treemap_levels: crate::views::treemap::treemap_ui::TreemapState::default().levels().to_vec(),
            topn: topn_ids.iter().map(|(_, f)| (f.clone(), 0)).collect(),
        };
        Sim { original: loaded.table.clone(), snap, topn_ids, session: None }
    }

    fn set_clause(&mut self, view: ViewId, clause: Option<Clause>) -> Result<(), String> {
        match clause {
            Some(c) => self.snap.selection.clauses.insert(view, c),
            None => self.snap.selection.clauses.remove(&view),
        };
        self.refresh_rows()
    }

    /// The rows of the selection, from the same engine the window uses.
    fn refresh_rows(&mut self) -> Result<(), String> {
        if self.session.is_none() {
            let df = Arc::new(self.snap.table.df.clone());
            self.session = Some(Session::new(df).map_err(|e| e.to_string())?);
        }
        let s = self.session.as_mut().expect("built above");
        let req = Request {
            seq: 1,
            selection: self.snap.selection.clone(),
            needs: BTreeMap::new(),
            want_all_rows: true,
        };
        self.snap.selection_rows = s.run(&req).all_rows;
        Ok(())
    }

    /// Applies one solution action the way the window does.
    pub fn apply(&mut self, a: &Action, lesson: &Lesson) -> Result<(), String> {
        match a {
            Action::Select { field, values, exclude } => {
                if self.snap.table.df.column(field).is_err() {
                    return Err(format!("the data has no field {field:?}"));
                }
                let view = select_view(&self.topn_ids, field);
                self.set_clause(view, Some(Clause::values(field, values.iter().cloned(), *exclude)))?;
            }
            Action::Brush { start, end } => {
                let (s, e) = (super::check::parse_time_us(start)?, super::check::parse_time_us(end)?);
                self.set_clause(VIEW_TIME, Some(Clause::Time { start_us: s, end_us: e }))?;
            }
            Action::ClearSelection => {
                self.snap.selection = Selection::default();
                self.refresh_rows()?;
            }
            Action::Sql { query } => {
                let sel = if query.to_lowercase().contains("selection") {
                    self.snap.selection_frame()
                } else {
                    None
                };
                let df = crate::data::sql::run_sql(&self.snap.table, sel.as_ref(), query)
                    .map_err(|e| format!("the solution's query failed: {e}"))?;
                self.snap.sql_result = Some(Arc::new(df));
            }
            Action::PreviewInverted { ports } => {
                self.set_clause(VIEW_CLEAN, Some(workbench::inverted_preview_clause(ports, 1024)))?;
            }
            Action::Clean { step, ports } => {
                let s = match step.as_str() {
                    "repair_inverted" => workbench::repair_step(ports.clone(), 1024),
                    "null_ports_non_tcp_udp" => recipe::Step::NullPortsNonTcpUdp,
                    _ => {
                        let ips = scanner_ips(&self.snap.table)?;
                        if ips.is_empty() {
                            return Err("the cleaning workbench finds no scanners to exclude".into());
                        }
                        recipe::Step::ExcludeScanners { src_ips: ips }
                    }
                };
                self.snap.cleaning.push(s);
                let r = recipe::Recipe {
                    version: recipe::RECIPE_VERSION,
                    name: None,
                    steps: self.snap.cleaning.clone(),
                };
                let (df, _) = apply::apply_recipe(&self.original.df, &r).map_err(|e| e.to_string())?;
                let mut t = (*self.original).clone();
                t.df = df;
                self.snap.table = Arc::new(t);
                // A new table: the window clears the selection and re-indexes.
                self.session = None;
                self.snap.selection = Selection::default();
                self.refresh_rows()?;
            }
            Action::Graph { fields, properties } => {
                for f in fields {
                    if self.snap.table.df.column(f).is_err() {
                        return Err(format!("the data has no field {f:?}"));
                    }
                }
                self.snap.graph_fields = fields.clone();
                if let Some(p) = properties {
                    let path = lesson.resolve(p);
                    crate::graph::properties::Properties::from_path(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    self.snap.graph_properties = Some(path);
                }
            }
            Action::Treemap { levels } => self.snap.treemap_levels = levels.clone(),
            Action::TopN { field, offset } => {
                // The list that shows the field, else the first list takes it.
                let i = self.snap.topn.iter().position(|(f, _)| f == field).unwrap_or(0);
                self.snap.topn[i] = (field.clone(), *offset);
                self.topn_ids[i].1 = field.clone();
            }
        }
        Ok(())
    }
}

/// Loads a lesson's data.
pub fn load_dataset(lesson: &Lesson) -> Result<Table, LessonError> {
    if !lesson.dataset.exists() {
        return Err(LessonError::Invalid {
            path: lesson.path.clone(),
            line: lesson.dataset_line,
            message: format!("dataset {} does not exist", lesson.dataset.display()),
        });
    }
    crate::data::load_paths(std::slice::from_ref(&lesson.dataset), &Default::default(), &Default::default())
        .map_err(|e| LessonError::Invalid {
            path: lesson.path.clone(),
            line: lesson.dataset_line,
            message: e.to_string(),
        })
}

/// `brushfire lesson --check`: the data is there, the starting state satisfies no step, and each
/// step's solution - applied after the solutions of the steps before it - satisfies its check.
pub fn check_lesson(lesson: &Lesson) -> Result<(), LessonError> {
    let table = load_dataset(lesson)?;
    let mut sim = Sim::new(table);
    let fail =
        |line: usize, message: String| LessonError::Invalid { path: lesson.path.clone(), line, message };
    for (i, s) in lesson.steps.iter().enumerate() {
        if s.check
            .satisfied(&sim.snap)
            .map_err(|e| fail(s.line, format!("step {} ({}): {e}", i + 1, s.title)))?
        {
            return Err(fail(
                s.line,
                format!("step {} ({}): the starting state already satisfies its check", i + 1, s.title),
            ));
        }
    }
    for (i, s) in lesson.steps.iter().enumerate() {
        let at = |e: String| fail(s.line, format!("step {} ({}): {e}", i + 1, s.title));
        // A step that is done before the student does anything teaches nothing.
        if i > 0 && s.check.satisfied(&sim.snap).map_err(at)? {
            return Err(at("the state after the steps before it already satisfies its check".into()));
        }
        for a in &s.solution {
            sim.apply(a, lesson).map_err(at)?;
        }
        if !s.check.satisfied(&sim.snap).map_err(at)? {
            return Err(at("its solution does not satisfy its check".into()));
        }
    }
    Ok(())
}
