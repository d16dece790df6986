//! A background job with progress and cancel: SQL, cleaning, analysis, export and report runs all
//! go through this, so the UI thread only ever polls.
use crossbeam_channel::{bounded, Receiver};
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
        let step = what.clone();
        std::thread::spawn(move || {
            // A panic in the job is its error: the panel shows it and the table stays as it was.
            let r = crate::guard::contain(&step, "(background job)", || f(&d, &c));
            let _ = tx.send(r.unwrap_or_else(|p| Err(p.to_string())));
        });
        Self { what, done, total, cancel, rx }
    }

    /// The result, once the job has finished.
    pub fn poll(&self) -> Option<Result<T, String>> {
        self.rx.try_recv().ok()
    }

    pub fn progress_ui(&self, ui: &mut egui::Ui) {
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
