//! Loading on a background thread with progress and cancel. The thread runs under the panic
//! boundary (`guard::contain`): a loader bug on some file is an error naming the file, the GUI
//! leaves "loading" and keeps the table it had.
use crate::data::{load_paths, DataError, LoadControl, LoadOptions, Table};
use crossbeam_channel::{bounded, Receiver, TryRecvError};
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
        Self::start_with(files, move |f, c| load_paths(f, &opts, c))
    }

    /// Runs `load` on a thread under the panic boundary. `start` passes the real loader; tests
    /// pass one that fails the way a loader bug would.
    pub fn start_with(
        files: Vec<PathBuf>,
        load: impl FnOnce(&[PathBuf], &LoadControl) -> crate::data::Result<Table> + Send + 'static,
    ) -> Self {
        let ctl = Arc::new(LoadControl::default());
        let (tx, rx) = bounded(1);
        let c = ctl.clone();
        let f = files.clone();
        std::thread::spawn(move || {
            let subject = crate::guard::subject_of_paths(&f);
            let r = match crate::guard::contain("loading", &subject, || load(&f, &c)) {
                Ok(Ok(t)) => Ok(t),
                Ok(Err(DataError::Cancelled)) => Err("loading cancelled".to_string()),
                Ok(Err(other)) => Err(other.to_string()),
                Err(panic) => Err(panic.to_string()),
            };
            let _ = tx.send(r);
        });
        Self { files, ctl, rx, started: std::time::Instant::now() }
    }

    /// The result once there is one. A loader thread that ended without sending (killed by
    /// something the boundary cannot catch, such as an abort in a dependency) is a failure too,
    /// never "still loading" forever.
    pub fn poll(&self) -> Option<Result<Table, String>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(format!(
                "loading {} stopped without a result",
                crate::guard::subject_of_paths(&self.files)
            ))),
        }
    }

    pub fn cancel(&self) {
        self.ctl.cancel.store(true, Ordering::Relaxed);
    }

    pub fn fraction(&self) -> f32 {
        self.ctl.fraction()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(job: &LoadJob) -> Result<Table, String> {
        let t0 = std::time::Instant::now();
        loop {
            if let Some(r) = job.poll() {
                return r;
            }
            assert!(t0.elapsed().as_secs() < 60, "the load job never finished");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn a_panicking_loader_is_an_error_naming_the_file() {
        let job = LoadJob::start_with(vec![PathBuf::from("/data/evil.log")], |_, _| panic!("slice index 3"));
        let e = wait(&job).err().expect("an error, not a table");
        assert!(e.contains("/data/evil.log") && e.contains("slice index 3") && e.contains("loading"), "{e}");
    }

    #[test]
    fn a_loader_error_is_passed_on() {
        let job = LoadJob::start_with(vec![PathBuf::from("x")], |_, _| Err(DataError::Other("nope".into())));
        assert_eq!(wait(&job).err().as_deref(), Some("nope"));
    }
}
