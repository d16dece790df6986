//! File > Connect to Spark...: URL, token, a table from the server's catalog or a Parquet path.
//! Connecting runs on a worker thread (the UI only polls); the result is a `Box<dyn SqlEngine>`
//! that the lake views take with [`SparkDialog::take_engine`].
use crate::app::jobs::Job;
use crate::linking::backend::{spark::SparkEngine, SqlEngine};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    #[default]
    CatalogTable,
    ParquetPath,
}

/// A connected engine and the number of columns its `logs` has.
type Connected = (Box<dyn SqlEngine>, usize);

/// The dialog's state; `open` shows it.
pub struct SparkDialog {
    pub open: bool,
    pub url: String,
    pub token: String,
    pub kind: SourceKind,
    pub table: String,
    pub parquet_path: String,
    pub tables: Vec<String>,
    pub error: Option<String>,
    /// What the last successful connection reached, for the dialog and the status line.
    pub connected_to: Option<String>,
    list_job: Option<(Job<Vec<String>>, Instant)>,
    connect_job: Option<(Job<Connected>, Instant)>,
    engine: Option<Box<dyn SqlEngine>>,
}

impl Default for SparkDialog {
    fn default() -> Self {
        Self {
            open: false,
            url: "sc://127.0.0.1:15002".into(),
            token: String::new(),
            kind: SourceKind::default(),
            table: String::new(),
            parquet_path: String::new(),
            tables: Vec::new(),
            error: None,
            connected_to: None,
            list_job: None,
            connect_job: None,
            engine: None,
        }
    }
}

impl SparkDialog {
    /// The engine of the last connection, once; the lake views own it from then on.
    pub fn take_engine(&mut self) -> Option<Box<dyn SqlEngine>> {
        self.engine.take()
    }

    pub fn busy(&self) -> bool {
        self.list_job.is_some() || self.connect_job.is_some()
    }

    /// What `--table` would say for the current choice.
    pub fn table_text(&self) -> String {
        match self.kind {
            SourceKind::CatalogTable => self.table.trim().to_string(),
            SourceKind::ParquetPath => format!("parquet.`{}`", self.parquet_path.trim()),
        }
    }

    fn token(&self) -> Option<String> {
        let t = self.token.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    pub fn start_listing(&mut self) {
        let (url, token) = (self.url.trim().to_string(), self.token());
        self.error = None;
        let job = Job::spawn(
            format!("Listing tables on {}", crate::data::spark::url::redact(&url)),
            0,
            move |_, _| SparkEngine::list_tables(&url, token.as_deref()).map_err(|e| e.to_string()),
        );
        self.list_job = Some((job, Instant::now()));
    }

    pub fn start_connect(&mut self) {
        let (url, token, table) = (self.url.trim().to_string(), self.token(), self.table_text());
        self.error = None;
        let job = Job::spawn(
            format!("Connecting to {}", crate::data::spark::url::redact(&url)),
            0,
            move |_, cancel| {
                let engine =
                    SparkEngine::connect(&url, &table, token.as_deref()).map_err(|e| e.to_string())?;
                if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err("cancelled".into());
                }
                let columns = engine.schema().map_err(|e| e.to_string())?.len();
                Ok((Box::new(engine) as Box<dyn SqlEngine>, columns))
            },
        );
        self.connect_job = Some((job, Instant::now()));
    }

    /// Takes finished jobs' results; a cancelled job is dropped (its thread ends on its own and
    /// its engine, if any, is closed with it).
    fn poll(&mut self) {
        if let Some((job, _)) = &self.list_job {
            if job.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                self.list_job = None;
            } else if let Some(r) = job.poll() {
                self.list_job = None;
                match r {
                    Ok(tables) => {
                        if self.table.is_empty() {
                            self.table = tables.first().cloned().unwrap_or_default();
                        }
                        if tables.is_empty() {
                            self.error = Some("the catalog lists no tables; give a Parquet path".into());
                        }
                        self.tables = tables;
                    }
                    Err(e) => self.error = Some(e),
                }
            }
        }
        if let Some((job, _)) = &self.connect_job {
            if job.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                self.connect_job = None;
            } else if let Some(r) = job.poll() {
                self.connect_job = None;
                match r {
                    Ok((engine, columns)) => {
                        self.connected_to = Some(format!("{} ({columns} columns)", engine.describe()));
                        self.engine = Some(engine);
                        self.open = false;
                    }
                    Err(e) => self.error = Some(e),
                }
            }
        }
    }

    /// The dialog window; call every frame. Returns true on the frame a connection succeeded.
    pub fn window_ui(&mut self, ctx: &egui::Context) -> bool {
        let had = self.engine.is_some();
        self.poll();
        if self.busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        if !self.open {
            return self.engine.is_some() && !had;
        }
        let mut open = self.open;
        egui::Window::new("Connect to Spark").open(&mut open).collapsible(false).resizable(false).show(
            ctx,
            |ui| {
                self.form_ui(ui);
            },
        );
        self.open = open && self.open;
        self.engine.is_some() && !had
    }

    fn form_ui(&mut self, ui: &mut egui::Ui) {
        let busy = self.busy();
        egui::Grid::new("spark_connect_grid").num_columns(2).show(ui, |ui| {
            let label = ui.label("Server");
            ui.add_enabled(!busy, egui::TextEdit::singleline(&mut self.url).hint_text("sc://host:15002"))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Token");
            ui.add_enabled(
                !busy,
                egui::TextEdit::singleline(&mut self.token).password(true).hint_text("optional"),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
        // Where the token goes matters to whoever types it.
        ui.weak(
            "A token to another machine goes over TLS; add ;use_ssl=true to the URL for TLS without one.",
        );
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.kind, SourceKind::CatalogTable, "Table from the catalog");
            ui.radio_value(&mut self.kind, SourceKind::ParquetPath, "Parquet path on the server");
        });
        match self.kind {
            SourceKind::CatalogTable => {
                ui.horizontal(|ui| {
                    let label = ui.label("Table");
                    ui.add_enabled(!busy, egui::TextEdit::singleline(&mut self.table).hint_text("db.table"))
                        .labelled_by(label.id);
                    if ui.add_enabled(!busy, egui::Button::new("List tables")).clicked() {
                        self.start_listing();
                    }
                });
                if !self.tables.is_empty() {
                    egui::ScrollArea::vertical().max_height(160.0).show(ui, |ui| {
                        for t in &self.tables {
                            if ui.selectable_label(&self.table == t, t).clicked() {
                                self.table = t.clone();
                            }
                        }
                    });
                }
            }
            SourceKind::ParquetPath => {
                ui.horizontal(|ui| {
                    let label = ui.label("Parquet path");
                    ui.add_enabled(
                        !busy,
                        egui::TextEdit::singleline(&mut self.parquet_path)
                            .hint_text("/data/flows (file or hive directory)"),
                    )
                    .labelled_by(label.id);
                });
            }
        }
        let running = [
            self.list_job.as_ref().map(|(j, t)| (j.what.clone(), j.cancel.clone(), *t)),
            self.connect_job.as_ref().map(|(j, t)| (j.what.clone(), j.cancel.clone(), *t)),
        ];
        for (what, cancel, started) in running.into_iter().flatten() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("{what}… {:.1} s", started.elapsed().as_secs_f32()));
                if ui.button("Cancel").clicked() {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(c) = &self.connected_to {
            ui.label(format!("Connected: {c}"));
        }
        let ready = !busy
            && !self.url.trim().is_empty()
            && match self.kind {
                SourceKind::CatalogTable => !self.table.trim().is_empty(),
                SourceKind::ParquetPath => !self.parquet_path.trim().is_empty(),
            };
        if ui.add_enabled(ready, egui::Button::new("Connect")).clicked() {
            self.start_connect();
        }
    }
}

/// Shows the dialog and reports a new connection in the status line.
pub fn spark_dialog_ui(app: &mut crate::app::BrushfireApp, ctx: &egui::Context) {
    if app.spark_dialog.window_ui(ctx) {
        if let Some(c) = &app.spark_dialog.connected_to {
            app.status = format!("Connected to {c}");
        }
    }
}
