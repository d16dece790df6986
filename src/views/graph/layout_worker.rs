//! Runs [`ForceLayout`] on a background thread so the UI never waits for a layout step.
//!
//! The UI sends commands over a channel and reads the latest [`LayoutSnapshot`] (positions as an
//! `Arc`, so reading is a pointer copy) from a mutex. Snapshots are published at most every
//! [`PUBLISH_EVERY`] (about a frame). A new graph keeps the positions of nodes that persist (matched by
//! node id), so brushing elsewhere does not make the picture jump; new nodes start next to a persisting
//! neighbour. The worker sleeps (blocks on the channel) when paused or converged.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::force::ForceLayout;

/// Minimum time between two published snapshots (one 60 Hz frame).
pub const PUBLISH_EVERY: Duration = Duration::from_millis(16);
/// FA2 never fully settles; see [`ForceLayout::energy`] for why 2e-3.
pub const DEFAULT_ENERGY_STOP: f32 = 2e-3;
pub const DEFAULT_MAX_STEPS: u64 = 3_000;
/// Steps always run before the energy test may stop the layout.
pub const MIN_STEPS: u64 = 400;

#[derive(Debug, Clone)]
pub struct LayoutSnapshot {
    /// Generation of the graph these positions belong to (as returned by [`LayoutWorker::set_graph`]).
    pub generation: u64,
    /// One position per node, in the order of the ids given to `set_graph`.
    pub positions: Arc<Vec<[f32; 2]>>,
    /// Steps run on this graph.
    pub steps: u64,
    pub steps_per_sec: f32,
    pub energy: f32,
    /// True while the worker is stepping (not paused, not converged).
    pub running: bool,
    pub paused: bool,
}

impl Default for LayoutSnapshot {
    fn default() -> Self {
        LayoutSnapshot {
            generation: 0,
            positions: Arc::new(Vec::new()),
            steps: 0,
            steps_per_sec: 0.0,
            energy: f32::INFINITY,
            running: false,
            paused: false,
        }
    }
}

enum Cmd {
    Graph {
        generation: u64,
        ids: Vec<String>,
        edges: Vec<(u32, u32, f32)>,
    },
    /// Moves a node; `pin` keeps it there.
    Move {
        generation: u64,
        node: usize,
        pos: [f32; 2],
        pin: bool,
    },
    Unpin {
        generation: u64,
        node: usize,
    },
    Pause(bool),
    /// Runs more steps even if converged (e.g. after a drag).
    Reheat,
    Shutdown,
}

#[derive(Debug, Clone, Copy)]
pub struct LayoutLimits {
    pub energy_stop: f32,
    pub max_steps: u64,
    pub seed: u64,
}

impl Default for LayoutLimits {
    fn default() -> Self {
        LayoutLimits { energy_stop: DEFAULT_ENERGY_STOP, max_steps: DEFAULT_MAX_STEPS, seed: 0x0b5e_55ed }
    }
}

pub struct LayoutWorker {
    tx: Sender<Cmd>,
    shared: Arc<Mutex<LayoutSnapshot>>,
    repaint: Arc<Mutex<Option<egui::Context>>>,
    handle: Option<JoinHandle<()>>,
    generation: u64,
}

impl LayoutWorker {
    pub fn new(limits: LayoutLimits) -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        let shared = Arc::new(Mutex::new(LayoutSnapshot::default()));
        let repaint = Arc::new(Mutex::new(None));
        let (s2, r2) = (shared.clone(), repaint.clone());
        let handle = std::thread::Builder::new()
            .name("graph-layout".into())
            .spawn(move || {
                // A layout bug stops the layout (positions stay where they were), not the app.
                if let Err(p) =
                    crate::guard::contain("graph layout", "of the shown graph", || run(rx, s2, r2, limits))
                {
                    eprintln!("brushfire: {p}");
                }
            })
            .ok();
        LayoutWorker { tx, shared, repaint, handle, generation: 0 }
    }

    /// The worker asks this context to repaint after publishing a snapshot.
    pub fn set_repaint_context(&self, ctx: &egui::Context) {
        if let Ok(mut r) = self.repaint.lock() {
            if r.is_none() {
                *r = Some(ctx.clone());
            }
        }
    }

    /// Replaces the graph; returns its generation. `ids` identify nodes across graphs.
    pub fn set_graph(&mut self, ids: Vec<String>, edges: Vec<(u32, u32, f32)>) -> u64 {
        self.generation += 1;
        let _ = self.tx.send(Cmd::Graph { generation: self.generation, ids, edges });
        self.generation
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Moves (drag) and optionally pins a node of the current graph.
    pub fn move_node(&self, node: usize, pos: [f32; 2], pin: bool) {
        let _ = self.tx.send(Cmd::Move { generation: self.generation, node, pos, pin });
    }

    pub fn unpin(&self, node: usize) {
        let _ = self.tx.send(Cmd::Unpin { generation: self.generation, node });
    }

    pub fn set_paused(&self, paused: bool) {
        let _ = self.tx.send(Cmd::Pause(paused));
    }

    pub fn reheat(&self) {
        let _ = self.tx.send(Cmd::Reheat);
    }

    pub fn snapshot(&self) -> LayoutSnapshot {
        self.shared.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for LayoutWorker {
    fn drop(&mut self) {
        let _ = self.tx.send(Cmd::Shutdown);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct State {
    generation: u64,
    ids: Vec<String>,
    layout: ForceLayout,
    pinned: HashSet<String>,
    steps_at_start: u64,
    done: bool,
}

fn run(
    rx: Receiver<Cmd>,
    shared: Arc<Mutex<LayoutSnapshot>>,
    repaint: Arc<Mutex<Option<egui::Context>>>,
    limits: LayoutLimits,
) {
    let mut st: Option<State> = None;
    let mut paused = false;
    let mut last_publish = Instant::now();
    let mut rate_t0 = Instant::now();
    let mut rate_steps0 = 0u64;
    let mut rate = 0.0f32;
    let publish = |st: &State, paused: bool, rate: f32| {
        let snap = LayoutSnapshot {
            generation: st.generation,
            positions: Arc::new(st.layout.positions().to_vec()),
            steps: st.layout.iterations(),
            steps_per_sec: rate,
            energy: st.layout.energy(),
            running: !paused && !st.done,
            paused,
        };
        if let Ok(mut s) = shared.lock() {
            *s = snap;
        }
        if let Ok(r) = repaint.lock() {
            if let Some(ctx) = r.as_ref() {
                ctx.request_repaint();
            }
        }
    };
    loop {
        let active = st.as_ref().is_some_and(|s| !s.done) && !paused;
        // Idle: block until told something; active: only drain what is queued.
        let first = if active {
            rx.try_recv().ok()
        } else {
            match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => return,
            }
        };
        let mut changed = false;
        let mut next = first;
        while let Some(cmd) = next {
            match cmd {
                Cmd::Shutdown => return,
                Cmd::Graph { generation, ids, edges } => {
                    st = Some(new_state(st.take(), generation, ids, &edges, limits.seed));
                    rate_t0 = Instant::now();
                    rate_steps0 = 0;
                    rate = 0.0;
                }
                Cmd::Move { generation, node, pos, pin } => {
                    if let Some(s) = st.as_mut().filter(|s| s.generation == generation) {
                        s.layout.set_position(node, pos);
                        if pin {
                            s.layout.set_pinned(node, true);
                            if let Some(id) = s.ids.get(node) {
                                s.pinned.insert(id.clone());
                            }
                        }
                        reheat(s);
                    }
                }
                Cmd::Unpin { generation, node } => {
                    if let Some(s) = st.as_mut().filter(|s| s.generation == generation) {
                        s.layout.set_pinned(node, false);
                        if let Some(id) = s.ids.get(node) {
                            s.pinned.remove(id);
                        }
                        reheat(s);
                    }
                }
                Cmd::Pause(p) => paused = p,
                Cmd::Reheat => {
                    if let Some(s) = st.as_mut() {
                        reheat(s);
                    }
                }
            }
            changed = true;
            next = rx.try_recv().ok();
        }
        let Some(s) = st.as_mut() else { continue };
        if !paused && !s.done {
            // A batch of steps for about a frame, then publish.
            let t = Instant::now();
            while t.elapsed() < PUBLISH_EVERY {
                s.layout.step();
                let steps = s.layout.iterations() - s.steps_at_start;
                // ForceAtlas2 moves little in its first steps while speeds adapt: never stop early.
                let settled =
                    steps >= MIN_STEPS.min(limits.max_steps) && s.layout.energy() < limits.energy_stop;
                if settled || steps >= limits.max_steps {
                    s.done = true;
                    break;
                }
            }
            let dt = rate_t0.elapsed().as_secs_f32();
            if dt >= 0.25 {
                rate = (s.layout.iterations() - rate_steps0) as f32 / dt;
                rate_t0 = Instant::now();
                rate_steps0 = s.layout.iterations();
            } else if rate == 0.0 && dt > 0.0 {
                rate = (s.layout.iterations() - rate_steps0) as f32 / dt;
            }
        }
        if changed || s.done || last_publish.elapsed() >= PUBLISH_EVERY || paused {
            publish(s, paused, rate);
            last_publish = Instant::now();
        }
    }
}

fn reheat(s: &mut State) {
    s.done = false;
    s.steps_at_start = s.layout.iterations();
}

/// A layout for the new graph that keeps the positions (and pins) of persisting nodes.
fn new_state(
    old: Option<State>,
    generation: u64,
    ids: Vec<String>,
    edges: &[(u32, u32, f32)],
    seed: u64,
) -> State {
    let mut layout = ForceLayout::new(ids.len(), edges, seed);
    // Log data makes many small components (one source talking to one port and host): plain
    // gravity lets repulsion scatter them to the edges, shrinking the main structure to a dot.
    // Strong gravity (Gephi's option) keeps them near the centre.
    let mut params = *layout.params();
    params.strong_gravity = true;
    params.gravity = 0.05;
    params.scaling_ratio = 10.0;
    layout.set_params(params);
    let mut pinned = HashSet::new();
    if let Some(old) = old {
        let old_pos: HashMap<&str, [f32; 2]> =
            old.ids.iter().map(String::as_str).zip(old.layout.positions().iter().copied()).collect();
        let mut known = vec![false; ids.len()];
        for (i, id) in ids.iter().enumerate() {
            if let Some(p) = old_pos.get(id.as_str()) {
                layout.set_position(i, *p);
                known[i] = true;
                if old.pinned.contains(id) {
                    layout.set_pinned(i, true);
                    pinned.insert(id.clone());
                }
            }
        }
        // New nodes start beside a persisting neighbour instead of at a random spot.
        let mut offset = 0u32;
        for &(a, b, _) in edges {
            for (n, m) in [(a as usize, b as usize), (b as usize, a as usize)] {
                if n < known.len() && m < known.len() && !known[n] && known[m] {
                    let p = layout.positions()[m];
                    offset = offset.wrapping_add(1);
                    let ang = offset as f32 * 2.399_963; // golden angle spreads siblings
                    layout.set_position(n, [p[0] + 3.0 * ang.cos(), p[1] + 3.0 * ang.sin()]);
                    known[n] = true;
                }
            }
        }
    }
    State { generation, ids, layout, pinned, steps_at_start: 0, done: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for(w: &LayoutWorker, pred: impl Fn(&LayoutSnapshot) -> bool) -> LayoutSnapshot {
        let t = Instant::now();
        loop {
            let s = w.snapshot();
            if pred(&s) || t.elapsed() > Duration::from_secs(20) {
                return s;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn ring(n: usize) -> (Vec<String>, Vec<(u32, u32, f32)>) {
        let ids = (0..n).map(|i| format!("n{i}")).collect();
        let edges = (0..n).map(|i| (i as u32, ((i + 1) % n) as u32, 1.0)).collect();
        (ids, edges)
    }

    #[test]
    fn runs_keeps_persisting_positions_and_stops() {
        let mut w = LayoutWorker::new(LayoutLimits { max_steps: 300, ..Default::default() });
        let (ids, edges) = ring(30);
        let g1 = w.set_graph(ids, edges);
        let s = wait_for(&w, |s| s.generation == g1 && !s.running && s.steps > 0);
        assert_eq!(s.positions.len(), 30);
        assert!(s.positions.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
        assert!(s.steps <= 300 && s.steps > 0, "stopped by energy or budget: {}", s.steps);
        assert!(!s.running);
        // Pin node 0 somewhere far; then rebuild with n0..n19 plus new nodes: persisting ones keep
        // their spot at the start of the new layout, the pinned one stays put for good.
        // Paused, so nothing moves between the snapshot we compare with and the rebuild.
        w.set_paused(true);
        w.move_node(0, [500.0, 500.0], true);
        let before = wait_for(&w, |s| s.positions.first() == Some(&[500.0, 500.0])).positions;
        let mut ids2: Vec<String> = (0..20).rev().map(|i| format!("n{i}")).collect();
        ids2.push("new".into());
        let edges2 = vec![(0, 1, 1.0), (20, 19, 1.0)];
        let g2 = w.set_graph(ids2.clone(), edges2);
        let s2 = wait_for(&w, |s| s.generation == g2);
        assert_eq!(s2.positions.len(), 21);
        for (i, id) in ids2.iter().enumerate().take(20) {
            let old: usize = id[1..].parse().unwrap();
            assert_eq!(s2.positions[i], before[old], "node {id} kept its position");
        }
        let p_new = s2.positions[20];
        let p_n0 = s2.positions[19];
        assert!(((p_new[0] - p_n0[0]).powi(2) + (p_new[1] - p_n0[1]).powi(2)).sqrt() < 5.0);
        w.set_paused(false);
        let s3 = wait_for(&w, |s| s.generation == g2 && !s.running && s.steps > 0);
        assert_eq!(s3.positions[19], [500.0, 500.0], "pinned node persists and stays");
        drop(w); // joins the thread
    }

    #[test]
    fn empty_graph_and_stale_commands() {
        let mut w = LayoutWorker::new(LayoutLimits::default());
        let g = w.set_graph(Vec::new(), Vec::new());
        w.move_node(5, [1.0, 1.0], true);
        w.unpin(99);
        let s = wait_for(&w, |s| s.generation == g && !s.running);
        assert!(s.positions.is_empty());
        // Edges out of range are ignored by ForceLayout.
        let g = w.set_graph(vec!["a".into()], vec![(0, 7, 1.0), (0, 0, f32::NAN)]);
        let s = wait_for(&w, |s| s.generation == g && !s.running);
        assert_eq!(s.positions.len(), 1);
        assert!(s.positions[0][0].is_finite());
    }

    #[test]
    #[ignore]
    fn bench_layout_10k_50k() {
        // Random graph, 10k nodes / 50k edges (deterministic LCG).
        let n = 10_000usize;
        let mut x = 12345u64;
        let mut rnd = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) as usize % n
        };
        let edges: Vec<(u32, u32, f32)> = (0..50_000).map(|_| (rnd() as u32, rnd() as u32, 1.0)).collect();
        let ids = (0..n).map(|i| format!("n{i}")).collect();
        let mut w = LayoutWorker::new(LayoutLimits { max_steps: 1_000_000, energy_stop: 0.0, seed: 1 });
        let g = w.set_graph(ids, edges);
        std::thread::sleep(Duration::from_secs(5));
        let s = w.snapshot();
        assert_eq!(s.generation, g);
        println!(
            "10k nodes / 50k edges: {} steps in ~5 s, {:.1} steps/s (reported)",
            s.steps, s.steps_per_sec
        );
    }
}
