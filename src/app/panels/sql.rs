//! The SQL console: a query over the whole table (`logs`) or the current selection (`selection`);
//! a result column named like a table field can become a selection clause.
use crate::app::jobs::Job;
use crate::app::{BrushfireApp, VIEW_SQL};
use crate::linking::selection::Clause;
use crate::views::common::thousands;
use polars::prelude::*;
use std::sync::Arc;

pub struct SqlState {
    pub text: String,
    pub result: Option<Arc<DataFrame>>,
    pub error: Option<String>,
    pub job: Option<Job<DataFrame>>,
    pub ms: f64,
    /// Queries that ran, newest last (the workspace keeps them).
    pub history: Vec<String>,
    /// Run the text as soon as the console can (a lesson's "show me").
    pub run_when_ready: bool,
    pub(super) started: Option<std::time::Instant>,
}

impl Default for SqlState {
    fn default() -> Self {
        Self {
            text: crate::data::sql::READY_QUERIES[2].1.to_string(),
            result: None,
            error: None,
            job: None,
            ms: 0.0,
            history: Vec::new(),
            run_when_ready: false,
            started: None,
        }
    }
}

impl SqlState {
    /// Remembers a query that ran, newest last, without repeats (saved with the workspace).
    fn remember(&mut self, sql: &str) {
        self.history.retain(|q| q != sql);
        self.history.push(sql.to_string());
        if self.history.len() > 50 {
            self.history.remove(0);
        }
    }
}

fn selection_frame(app: &BrushfireApp) -> Option<DataFrame> {
    let l = app.loaded.as_ref()?;
    let rows = app.all_rows.as_ref()?;
    let idx = IdxCa::from_vec("idx".into(), rows.iter().map(|&x| x as IdxSize).collect());
    l.df.take(&idx).ok()
}

/// Most rows a console query over a lake brings to this machine.
pub const LAKE_SQL_ROW_BOUND: usize = 100_000;

pub fn sql_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(l) = &app.loaded else { return };
    let table = l.table.clone();
    let lake = app.lake.engine.clone();
    ui.horizontal(|ui| {
        ui.strong("SQL");
        match &lake {
            Some(e) => ui.weak(format!(
                "table: logs, queried where it lives ({}); at most {} result rows come back",
                e.describe(),
                thousands(LAKE_SQL_ROW_BOUND as i64)
            )),
            None => ui.weak("tables: logs (everything), selection (the current selection); identifiers are case-insensitive, original column names work"),
        }
    });
    ui.horizontal(|ui| {
        crate::views::common::labeled_combo(ui, "Ready queries", "choose…", |ui| {
            for (name, q) in crate::data::sql::READY_QUERIES {
                if ui.selectable_label(false, *name).clicked() {
                    app.panels.sql.text = q.to_string();
                }
            }
        });
        if !app.panels.sql.history.is_empty() {
            crate::views::common::labeled_combo(ui, "History", "earlier queries…", |ui| {
                for q in app.panels.sql.history.iter().rev() {
                    let short: String = q.chars().take(80).collect();
                    if ui.selectable_label(false, short).clicked() {
                        app.panels.sql.text = q.clone();
                    }
                }
            });
        }
    });
    ui.add(
        egui::TextEdit::multiline(&mut app.panels.sql.text)
            .code_editor()
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .id_salt("sql_text"),
    );
    let wants_sel = lake.is_none() && app.panels.sql.text.to_lowercase().contains("selection");
    ui.horizontal(|ui| {
        let ready = !wants_sel || (app.all_rows.is_some() && app.is_current());
        let run = ui.add_enabled(app.panels.sql.job.is_none() && ready, egui::Button::new("Run"));
        let asked = std::mem::take(&mut app.panels.sql.run_when_ready);
        if asked && !(ready && app.panels.sql.job.is_none()) {
            app.panels.sql.run_when_ready = true;
        }
        let asked = asked && ready && app.panels.sql.job.is_none();
        if run.clicked()
            || asked
            || ui.input(|i| i.modifiers.ctrl && i.key_pressed(egui::Key::Enter)) && ready
        {
            let sel = if wants_sel { selection_frame(app) } else { None };
            let sql = app.panels.sql.text.clone();
            app.panels.sql.remember(&sql);
            app.panels.sql.started = Some(std::time::Instant::now());
            app.panels.sql.job = Some(match lake.clone() {
                Some(engine) => {
                    Job::spawn(format!("running SQL on {}", engine.describe()), 0, move |_, cancel| {
                        lake_sql(engine.as_ref(), &sql, cancel)
                    })
                }
                None => Job::spawn("running SQL".into(), 0, move |_, _| {
                    crate::data::sql::run_sql(&table, sel.as_ref(), &sql).map_err(|e| e.to_string())
                }),
            });
        }
        if let Some(j) = &app.panels.sql.job {
            j.progress_ui(ui);
        }
        if let Some(r) = &app.panels.sql.result {
            ui.label(format!("{} rows in {:.0} ms", thousands(r.height() as i64), app.panels.sql.ms));
        }
    });
    if lake.is_some() && app.panels.sql.text.to_lowercase().contains("from selection") {
        ui.weak("on a lake the console queries `logs`; the selection lives in the views' filters");
    }
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

/// A console query on a lake: at most [`LAKE_SQL_ROW_BOUND`] rows (one more is asked for, so a
/// longer result says so instead of being cut silently), cancellable on the engine.
fn lake_sql(
    engine: &dyn crate::linking::backend::SqlEngine,
    sql: &str,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<DataFrame, String> {
    let q = crate::linking::backend::engine_sql(engine, sql);
    let bounded = format!("SELECT * FROM ({q}) AS console LIMIT {}", LAKE_SQL_ROW_BOUND + 1);
    let df = crate::linking::backend::query_cancellable(engine, &bounded, "sql-console", cancel)
        .map_err(|e| e.to_string())?;
    if df.height() > LAKE_SQL_ROW_BOUND {
        return Err(format!(
            "the result has more than {} rows: add a GROUP BY or LIMIT, or export the selection",
            thousands(LAKE_SQL_ROW_BOUND as i64)
        ));
    }
    Ok(df)
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
