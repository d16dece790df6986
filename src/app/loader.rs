//! Loading on a background thread with progress and cancel.
use crate::data::{load_paths, DataError, LoadControl, LoadOptions, Table};
use crossbeam_channel::{bounded, Receiver};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub struct LoadJob {
    pub files: Vec<PathBuf>,
    pub ctl: Arc<LoadControl>,
    rx: Receiver<Result<Table, String>>,
    pub started: std::time::Instant,
}

impl LoadJob {
    pub fn start(files: Vec<PathBuf>, opts: LoadOptions) -> Self {
        let ctl = Arc::new(LoadControl::default());
        let (tx, rx) = bounded(1);
        let c = ctl.clone();
        let f = files.clone();
        std::thread::spawn(move || {
            let r = load_paths(&f, &opts, &c).map_err(|e| match e {
                DataError::Cancelled => "loading cancelled".to_string(),
                other => other.to_string(),
            });
            let _ = tx.send(r);
        });
        Self { files, ctl, rx, started: std::time::Instant::now() }
    }

    pub fn poll(&self) -> Option<Result<Table, String>> {
        self.rx.try_recv().ok()
    }

    pub fn cancel(&self) {
        self.ctl.cancel.store(true, Ordering::Relaxed);
    }

    pub fn fraction(&self) -> f32 {
        self.ctl.fraction()
    }
}
