//! The one panic boundary every worker runs under (loading, linking, graph build and layout, SQL,
//! cleaning, export, the CLI). A bug that panics on some input becomes an error naming the step
//! and the file, so the GUI shows it and keeps what it had, and the CLI prints one line and exits
//! 1 instead of 101 with a backtrace.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many boundaries are running now (any thread). While one runs, the panic hook stays quiet
/// for worker threads (rayon tasks a boundary waits for): the boundary reports the panic, once.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Boundaries running on this thread.
    static HERE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A panic caught at a boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step} {subject}: internal error: {message}")]
pub struct Contained {
    pub step: String,
    pub subject: String,
    pub message: String,
}

struct ActiveGuard;

impl ActiveGuard {
    fn enter() -> Self {
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        HERE.with(|h| h.set(h.get() + 1));
        ActiveGuard
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        HERE.with(|h| h.set(h.get().saturating_sub(1)));
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether a boundary will report a panic on this thread: one runs here, or one runs somewhere
/// and this is a worker thread (the main thread, where the GUI runs, always speaks for itself).
fn reported_by_a_boundary() -> bool {
    HERE.with(|h| h.get() > 0)
        || (ACTIVE.load(Ordering::SeqCst) > 0 && std::thread::current().name() != Some("main"))
}

/// Runs `f`; a panic inside it (or inside the rayon tasks it waits for) becomes [`Contained`]
/// naming `step` ("loading", "building the graph") and `subject` (usually the file).
pub fn contain<R>(step: &str, subject: &str, f: impl FnOnce() -> R) -> Result<R, Contained> {
    let _active = ActiveGuard::enter();
    // AssertUnwindSafe: after a panic the worker's partial state is dropped, never reused; callers
    // only see the error.
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Contained {
        step: step.to_string(),
        subject: subject.to_string(),
        message: panic_message(payload.as_ref()),
    })
}

/// The text of a panic payload (`panic!("...")` gives &str or String).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_string()
    }
}

/// Installs a panic hook that prints one line (no backtrace) for panics outside any boundary, and
/// nothing for panics a boundary will report. `BRUSHFIRE_BACKTRACE=1` keeps Rust's default hook.
pub fn install_panic_hook() {
    if std::env::var_os("BRUSHFIRE_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        if reported_by_a_boundary() {
            return;
        }
        let msg = panic_message(info.payload());
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("brushfire: internal error: {}{at}", msg.replace('\n', " "));
    }));
}

/// Display a list of paths for a [`contain`] subject.
pub fn subject_of_paths(paths: &[std::path::PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_step_and_file() {
        let r: Result<u32, _> = contain("loading", "/tmp/x.log", || panic!("index out of range"));
        let e = r.unwrap_err();
        assert_eq!(e.to_string(), "loading /tmp/x.log: internal error: index out of range");
        let owned = contain("export", "f", || panic!("{} bytes", 3)).unwrap_err();
        assert_eq!(owned.message, "3 bytes");
        assert_eq!(contain("x", "y", || 7), Ok(7));
    }

    #[test]
    fn panics_in_rayon_tasks_are_contained_too() {
        use rayon::prelude::*;
        let r = contain("parsing", "f", || {
            (0..1000).into_par_iter().map(|i| if i == 777 { panic!("bad row {i}") } else { i }).sum::<i32>()
        });
        assert!(r.unwrap_err().message.contains("bad row 777"));
    }
}
