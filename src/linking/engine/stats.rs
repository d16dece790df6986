//! What the last update cost, for the benchmark and the status line.
use crate::linking::selection::ViewId;

/// Statistics of the last update, for the benchmark and the status line.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateStats {
    pub rows_visited: u64,
    pub strategy: &'static str,
    /// Time to bring the histograms to the selection, and to turn them into the views' outputs.
    pub sync_ms: f64,
    pub output_ms: f64,
    /// Output time of the slowest view, and which.
    pub slowest_output: Option<(ViewId, f64)>,
    /// Where the engine's time went, in order (for `BRUSHFIRE_BENCH_VERBOSE`): at most 8 phases.
    pub phases: Phases,
}

/// Named durations of an update's phases, kept without allocating (the stats are `Copy`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    items: [(&'static str, f64); 8],
    len: usize,
}

impl Phases {
    /// Records the time since `*since` under `name`, and restarts the clock.
    pub fn lap(&mut self, name: &'static str, since: &mut std::time::Instant) {
        let now = std::time::Instant::now();
        if self.len < self.items.len() {
            self.items[self.len] = (name, (now - *since).as_secs_f64() * 1000.0);
            self.len += 1;
        }
        *since = now;
    }

    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, f64)> {
        self.items[..self.len].iter()
    }
}
