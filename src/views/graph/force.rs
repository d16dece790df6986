//! ForceAtlas2-style force-directed layout (Jacomy, Venturini, Heymann, Bastian 2014) with a
//! Barnes-Hut quadtree, written from the paper's formulas (not derived from any AGPL code).
//!
//! Forces (per node n with mass m_n = degree + 1):
//! - repulsion between every pair: `kr * m1 * m2 / d`, approximated with a quadtree: a cell is
//!   treated as one body at its centre of mass when `cell_size / distance < theta` and the node is
//!   not inside the cell (so a node never repels a lump containing itself);
//! - attraction along each edge: `w^δ * d` (linear) or `w^δ * ln(1 + d)` (LinLog mode);
//! - gravity towards the origin: `g * m` (or `g * m * d` in strong-gravity mode).
//!
//! Movement uses FA2's adaptive speed: per-node "swinging" `m * |F_t - F_{t-1}|` and "traction"
//! `m * |F_t + F_{t-1}| / 2` drive a global speed; each node moves by
//! `F * speed / (1 + sqrt(speed * swinging_n))`, which damps oscillating nodes.
//! Prevent-overlap (node sizes) is not implemented: nodes are points here.
//!
//! The API is step-by-step so a worker thread can run a few iterations, publish positions, and
//! stop once [`ForceLayout::energy`] is small. Everything is deterministic for a given seed: the
//! parallel part computes each node's force independently and all reductions run sequentially.

use rayon::prelude::*;

/// Node count from which the per-node force pass runs on rayon (below it the thread hand-off
/// costs more than it saves).
const PARALLEL_MIN_NODES: usize = 1024;
/// Bodies per quadtree leaf: small leaves are computed exactly, which is faster than more cells.
const LEAF_CAPACITY: usize = 8;
/// Coincident points cannot be split; stop subdividing at this depth.
const MAX_TREE_DEPTH: u32 = 32;
/// Squared distance under which two bodies count as coincident.
const MIN_DIST2: f64 = 1e-4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForceParams {
    /// Repulsion scaling `kr`; larger spreads the graph out.
    pub scaling_ratio: f32,
    /// Gravity `g` towards the origin (keeps disconnected components from drifting away).
    pub gravity: f32,
    /// Gravity proportional to distance instead of constant.
    pub strong_gravity: bool,
    /// LinLog attraction (`ln(1 + d)`): tighter clusters.
    pub lin_log: bool,
    /// Barnes-Hut opening criterion (size / distance); 1.2 as in Gephi.
    pub theta: f32,
    /// How much swinging is tolerated; higher = faster but less precise.
    pub jitter_tolerance: f32,
    /// Exponent δ applied to edge weights (0 = ignore weights).
    pub edge_weight_influence: f32,
}

impl ForceParams {
    /// Gephi's defaults, with `kr` chosen by graph size as Gephi does.
    pub fn for_node_count(node_count: usize) -> Self {
        ForceParams {
            scaling_ratio: if node_count >= 100 { 2.0 } else { 10.0 },
            gravity: 1.0,
            strong_gravity: false,
            lin_log: false,
            theta: 1.2,
            jitter_tolerance: 1.0,
            edge_weight_influence: 1.0,
        }
    }
}

pub struct ForceLayout {
    pos: Vec<[f32; 2]>,
    force: Vec<[f64; 2]>,
    old_force: Vec<[f64; 2]>,
    mass: Vec<f64>,
    /// Validated edges: endpoints in range, no self loops, weight already raised to δ.
    edges: Vec<(u32, u32, f64)>,
    /// Raw weights, kept so a change of `edge_weight_influence` can be re-applied.
    raw_weights: Vec<f64>,
    pinned: Vec<bool>,
    params: ForceParams,
    speed: f64,
    speed_efficiency: f64,
    energy: f32,
    iterations: u64,
    tree: QuadTree,
}

impl ForceLayout {
    /// Edges with an endpoint out of range, self loops, or a weight that is not a positive finite
    /// number are ignored. Duplicate edges are kept (they attract twice and add to the degree).
    pub fn new(node_count: usize, edges: &[(u32, u32, f32)], seed: u64) -> Self {
        let mut kept = Vec::with_capacity(edges.len());
        let mut raw_weights = Vec::with_capacity(edges.len());
        let mut mass = vec![1.0f64; node_count];
        for &(a, b, w) in edges {
            let (ai, bi) = (a as usize, b as usize);
            if ai >= node_count || bi >= node_count || a == b || !(w.is_finite() && w > 0.0) {
                continue;
            }
            mass[ai] += 1.0;
            mass[bi] += 1.0;
            kept.push((a, b, w as f64));
            raw_weights.push(w as f64);
        }
        // Deterministic initial positions: uniform in a square whose area grows with n.
        let mut rng = SplitMix64(seed);
        let half_side = 10.0 * (node_count.max(1) as f64).sqrt();
        let pos = (0..node_count)
            .map(|_| {
                let x = (rng.unit() * 2.0 - 1.0) * half_side;
                let y = (rng.unit() * 2.0 - 1.0) * half_side;
                [x as f32, y as f32]
            })
            .collect();
        let mut layout = ForceLayout {
            pos,
            force: vec![[0.0; 2]; node_count],
            old_force: vec![[0.0; 2]; node_count],
            mass,
            edges: kept,
            raw_weights,
            pinned: vec![false; node_count],
            params: ForceParams::for_node_count(node_count),
            speed: 1.0,
            speed_efficiency: 1.0,
            energy: f32::INFINITY,
            iterations: 0,
            tree: QuadTree::default(),
        };
        layout.apply_weight_influence();
        layout
    }

    pub fn params(&self) -> &ForceParams {
        &self.params
    }

    pub fn set_params(&mut self, params: ForceParams) {
        let reweigh = params.edge_weight_influence != self.params.edge_weight_influence;
        self.params = params;
        if reweigh {
            self.apply_weight_influence();
        }
    }

    fn apply_weight_influence(&mut self) {
        let delta = self.params.edge_weight_influence as f64;
        for (e, &w) in self.edges.iter_mut().zip(&self.raw_weights) {
            e.2 = if delta == 0.0 || !delta.is_finite() {
                1.0
            } else if delta == 1.0 {
                w
            } else {
                w.powf(delta)
            };
            if !e.2.is_finite() {
                e.2 = 1.0;
            }
        }
    }

    pub fn node_count(&self) -> usize {
        self.pos.len()
    }

    /// Iterations run so far.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    pub fn positions(&self) -> &[[f32; 2]] {
        &self.pos
    }

    /// Moves node `i` (e.g. dragged by the user). Out-of-range indices and non-finite points are ignored.
    pub fn set_position(&mut self, i: usize, p: [f32; 2]) {
        if i < self.pos.len() && p[0].is_finite() && p[1].is_finite() {
            self.pos[i] = p;
            // Forget the old force so the jump does not count as swinging.
            self.old_force[i] = [0.0; 2];
        }
    }

    /// Pinned nodes still exert forces but never move. Out-of-range indices are ignored.
    pub fn set_pinned(&mut self, i: usize, pinned: bool) {
        if let Some(p) = self.pinned.get_mut(i) {
            *p = pinned;
        }
    }

    pub fn is_pinned(&self, i: usize) -> bool {
        self.pinned.get(i).copied().unwrap_or(false)
    }

    /// Relative movement of the last step: mean displacement of the free nodes divided by the RMS
    /// distance of all nodes from their centroid. Infinite before the first step, 0 when nothing
    /// can move. FA2 never fully settles (it keeps a little jitter): on a random 1k-node / 5k-edge
    /// graph it falls to ~1e-2 after 50 steps and ~1e-3 after 500-1000, so stop at about 2e-3 or
    /// at an iteration budget, whichever comes first.
    pub fn energy(&self) -> f32 {
        self.energy
    }

    /// FA2's global speed (adapts every step; mainly for diagnostics).
    pub fn global_speed(&self) -> f32 {
        self.speed as f32
    }

    /// One iteration: forces, speed adaptation, movement.
    pub fn step(&mut self) {
        let n = self.pos.len();
        self.iterations += 1;
        if n == 0 {
            self.energy = 0.0;
            return;
        }
        std::mem::swap(&mut self.force, &mut self.old_force);

        let p = sanitize(&self.params);
        self.tree.build(&self.pos, &self.mass);

        // Repulsion + gravity, independent per node.
        {
            let tree = &self.tree;
            let pos = &self.pos;
            let mass = &self.mass;
            let per_node = |(i, f): (usize, &mut [f64; 2])| {
                *f = tree.repulsion(i, pos, mass, p.kr, p.theta2);
                let [x, y] = [pos[i][0] as f64, pos[i][1] as f64];
                let d = (x * x + y * y).sqrt();
                if d > 0.0 {
                    let factor = if p.strong_gravity { mass[i] * p.gravity } else { mass[i] * p.gravity / d };
                    f[0] -= x * factor;
                    f[1] -= y * factor;
                }
            };
            if n >= PARALLEL_MIN_NODES {
                self.force.par_iter_mut().enumerate().for_each(per_node);
            } else {
                self.force.iter_mut().enumerate().for_each(per_node);
            }
        }

        // Attraction, sequential so the summation order (and the result) is deterministic.
        for &(a, b, w) in &self.edges {
            let (a, b) = (a as usize, b as usize);
            let dx = self.pos[a][0] as f64 - self.pos[b][0] as f64;
            let dy = self.pos[a][1] as f64 - self.pos[b][1] as f64;
            let factor = if p.lin_log {
                let d = (dx * dx + dy * dy).sqrt();
                if d > 0.0 {
                    w * (1.0 + d).ln() / d
                } else {
                    0.0
                }
            } else {
                w
            };
            self.force[a][0] -= dx * factor;
            self.force[a][1] -= dy * factor;
            self.force[b][0] += dx * factor;
            self.force[b][1] += dy * factor;
        }

        // A non-finite force (only possible from extreme inputs) must not poison positions.
        for f in &mut self.force {
            if !(f[0].is_finite() && f[1].is_finite()) {
                *f = [0.0; 2];
            }
        }

        self.adapt_speed(p.jitter_tolerance);
        self.move_nodes();
    }

    /// FA2 global speed adaptation (paper section "Adaptive speed", constants as in Gephi).
    fn adapt_speed(&mut self, jitter_tolerance: f64) {
        let n = self.pos.len() as f64;
        let mut total_swinging = 0.0;
        let mut total_traction = 0.0;
        for i in 0..self.pos.len() {
            if self.pinned[i] {
                continue;
            }
            let (f, o) = (self.force[i], self.old_force[i]);
            let m = self.mass[i];
            total_swinging += m * ((o[0] - f[0]).powi(2) + (o[1] - f[1]).powi(2)).sqrt();
            total_traction += m * 0.5 * ((o[0] + f[0]).powi(2) + (o[1] + f[1]).powi(2)).sqrt();
        }
        if !(total_swinging > 0.0 && total_swinging.is_finite() && total_traction.is_finite()) {
            // No movement information (all pinned, or forces vanish): keep the current speed.
            return;
        }
        let optimal_jt = 0.05 * n.sqrt();
        let min_jt = optimal_jt.sqrt();
        let max_jt: f64 = 10.0;
        let mut jt = jitter_tolerance * min_jt.max(max_jt.min(optimal_jt * total_traction / (n * n)));
        let min_speed_efficiency = 0.05;
        if total_traction > 0.0 && total_swinging / total_traction > 2.0 {
            if self.speed_efficiency > min_speed_efficiency {
                self.speed_efficiency *= 0.5;
            }
            jt = jt.max(jitter_tolerance);
        }
        let target_speed = jt * self.speed_efficiency * total_traction / total_swinging;
        if total_swinging > jt * total_traction {
            if self.speed_efficiency > min_speed_efficiency {
                self.speed_efficiency *= 0.7;
            }
        } else if self.speed < 1000.0 {
            self.speed_efficiency *= 1.3;
        }
        let max_rise = 0.5;
        let new_speed = self.speed + (target_speed - self.speed).min(max_rise * self.speed);
        if new_speed.is_finite() && new_speed > 1e-12 {
            self.speed = new_speed;
        }
    }

    fn move_nodes(&mut self) {
        let mut moved = 0.0f64;
        let mut free = 0usize;
        for i in 0..self.pos.len() {
            if self.pinned[i] {
                continue;
            }
            let (f, o) = (self.force[i], self.old_force[i]);
            let swinging = self.mass[i] * ((o[0] - f[0]).powi(2) + (o[1] - f[1]).powi(2)).sqrt();
            let factor = self.speed / (1.0 + (self.speed * swinging).sqrt());
            let (dx, dy) = (f[0] * factor, f[1] * factor);
            let nx = self.pos[i][0] as f64 + dx;
            let ny = self.pos[i][1] as f64 + dy;
            // f32 overflow would turn into inf; leave the node where it is instead.
            if (nx as f32).is_finite() && (ny as f32).is_finite() {
                self.pos[i] = [nx as f32, ny as f32];
                moved += (dx * dx + dy * dy).sqrt();
            }
            free += 1;
        }
        let n = self.pos.len() as f64;
        let (cx, cy) = self.pos.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0] as f64, y + p[1] as f64));
        let (cx, cy) = (cx / n, cy / n);
        let rms =
            (self.pos.iter().map(|p| (p[0] as f64 - cx).powi(2) + (p[1] as f64 - cy).powi(2)).sum::<f64>()
                / n)
                .sqrt();
        self.energy = if free == 0 { 0.0 } else { (moved / free as f64 / rms.max(1e-9)) as f32 };
    }
}

/// Parameters in f64 with non-finite / negative values replaced by defaults.
struct StepParams {
    kr: f64,
    gravity: f64,
    strong_gravity: bool,
    lin_log: bool,
    theta2: f64,
    jitter_tolerance: f64,
}

fn sanitize(p: &ForceParams) -> StepParams {
    let pos_or = |v: f32, d: f64| {
        if v.is_finite() && v >= 0.0 {
            v as f64
        } else {
            d
        }
    };
    let theta = pos_or(p.theta, 1.2);
    StepParams {
        kr: pos_or(p.scaling_ratio, 2.0),
        gravity: pos_or(p.gravity, 1.0),
        strong_gravity: p.strong_gravity,
        lin_log: p.lin_log,
        theta2: theta * theta,
        jitter_tolerance: if p.jitter_tolerance.is_finite() && p.jitter_tolerance > 0.0 {
            p.jitter_tolerance as f64
        } else {
            1.0
        },
    }
}

#[derive(Clone, Copy, Debug)]
struct Cell {
    /// Centre of mass and total mass of the bodies inside.
    com: [f64; 2],
    mass: f64,
    /// Square bounds: lower corner and side length.
    x0: f64,
    y0: f64,
    size: f64,
    /// Index of the first of 4 consecutive children, or `u32::MAX` for a leaf.
    first_child: u32,
    /// Range of bodies in `QuadTree::order`.
    start: u32,
    end: u32,
}

const LEAF: u32 = u32::MAX;

#[derive(Default)]
struct QuadTree {
    cells: Vec<Cell>,
    order: Vec<u32>,
}

impl QuadTree {
    /// Rebuilds the tree in place (buffers are reused between steps).
    fn build(&mut self, pos: &[[f32; 2]], mass: &[f64]) {
        self.cells.clear();
        self.order.clear();
        self.order.extend(0..pos.len() as u32);
        let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in pos {
            minx = minx.min(p[0] as f64);
            miny = miny.min(p[1] as f64);
            maxx = maxx.max(p[0] as f64);
            maxy = maxy.max(p[1] as f64);
        }
        if pos.is_empty() {
            return;
        }
        // Slightly enlarged so the max coordinate falls strictly inside the half-open square.
        let size = ((maxx - minx).max(maxy - miny) * 1.0001).max(1e-6);
        self.cells.push(Cell {
            com: [0.0; 2],
            mass: 0.0,
            x0: minx,
            y0: miny,
            size,
            first_child: LEAF,
            start: 0,
            end: pos.len() as u32,
        });
        self.build_cell(0, pos, mass, 0);
    }

    fn build_cell(&mut self, idx: usize, pos: &[[f32; 2]], mass: &[f64], depth: u32) {
        let Cell { x0, y0, size, start, end, .. } = self.cells[idx];
        let (s, e) = (start as usize, end as usize);
        if e - s <= LEAF_CAPACITY || depth >= MAX_TREE_DEPTH {
            let (mut m, mut cx, mut cy) = (0.0, 0.0, 0.0);
            for &j in &self.order[s..e] {
                let j = j as usize;
                m += mass[j];
                cx += mass[j] * pos[j][0] as f64;
                cy += mass[j] * pos[j][1] as f64;
            }
            let c = &mut self.cells[idx];
            c.mass = m;
            c.com = if m > 0.0 { [cx / m, cy / m] } else { [x0, y0] };
            return;
        }
        let half = size * 0.5;
        let (mx, my) = (x0 + half, y0 + half);
        // Partition by y (top half first), then each half by x: quadrants 0..4 = (x<,y<),(x>=,y<),(x<,y>=),(x>=,y>=).
        let order = &mut self.order[s..e];
        let split_y = partition(order, |j| (pos[j as usize][1] as f64) < my);
        let split_x_lo = partition(&mut order[..split_y], |j| (pos[j as usize][0] as f64) < mx);
        let split_x_hi = partition(&mut order[split_y..], |j| (pos[j as usize][0] as f64) < mx);
        let bounds = [
            (s, s + split_x_lo),
            (s + split_x_lo, s + split_y),
            (s + split_y, s + split_y + split_x_hi),
            (s + split_y + split_x_hi, e),
        ];
        let corners = [(x0, y0), (mx, y0), (x0, my), (mx, my)];
        let first = self.cells.len();
        for (&(cs, ce), &(cx0, cy0)) in bounds.iter().zip(&corners) {
            self.cells.push(Cell {
                com: [0.0; 2],
                mass: 0.0,
                x0: cx0,
                y0: cy0,
                size: half,
                first_child: LEAF,
                start: cs as u32,
                end: ce as u32,
            });
        }
        self.cells[idx].first_child = first as u32;
        let (mut m, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for k in 0..4 {
            let child = first + k;
            if self.cells[child].start < self.cells[child].end {
                self.build_cell(child, pos, mass, depth + 1);
            }
            let c = self.cells[child];
            m += c.mass;
            cx += c.mass * c.com[0];
            cy += c.mass * c.com[1];
        }
        let c = &mut self.cells[idx];
        c.mass = m;
        c.com = if m > 0.0 { [cx / m, cy / m] } else { [x0, y0] };
    }

    /// FA2 repulsion on node `i` from all other nodes (Barnes-Hut approximated).
    fn repulsion(&self, i: usize, pos: &[[f32; 2]], mass: &[f64], kr: f64, theta2: f64) -> [f64; 2] {
        let mut f = [0.0f64; 2];
        if self.cells.is_empty() {
            return f;
        }
        let (px, py) = (pos[i][0] as f64, pos[i][1] as f64);
        let mi = mass[i];
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        stack.push(0);
        while let Some(c) = stack.pop() {
            let cell = &self.cells[c as usize];
            if cell.mass <= 0.0 {
                continue;
            }
            if cell.first_child == LEAF {
                for &j in &self.order[cell.start as usize..cell.end as usize] {
                    let j = j as usize;
                    if j == i {
                        continue;
                    }
                    let mut dx = px - pos[j][0] as f64;
                    let mut dy = py - pos[j][1] as f64;
                    let mut d2 = dx * dx + dy * dy;
                    if d2 < MIN_DIST2 {
                        // Coincident nodes: push apart along a direction fixed by the pair, with
                        // opposite signs for i and j so the pair separates.
                        let (a, b) = (i.min(j) as u64, i.max(j) as u64);
                        let angle =
                            (SplitMix64(a.wrapping_mul(0x1_0000_0001) ^ b).unit()) * std::f64::consts::TAU;
                        let sign = if i < j { 1.0 } else { -1.0 };
                        dx = sign * angle.cos() * MIN_DIST2.sqrt();
                        dy = sign * angle.sin() * MIN_DIST2.sqrt();
                        d2 = MIN_DIST2;
                    }
                    let factor = kr * mi * mass[j] / d2;
                    f[0] += dx * factor;
                    f[1] += dy * factor;
                }
                continue;
            }
            let dx = px - cell.com[0];
            let dy = py - cell.com[1];
            let d2 = dx * dx + dy * dy;
            let inside =
                px >= cell.x0 && px < cell.x0 + cell.size && py >= cell.y0 && py < cell.y0 + cell.size;
            if !inside && cell.size * cell.size < theta2 * d2 {
                let factor = kr * mi * cell.mass / d2;
                f[0] += dx * factor;
                f[1] += dy * factor;
            } else {
                let fc = cell.first_child;
                stack.extend_from_slice(&[fc, fc + 1, fc + 2, fc + 3]);
            }
        }
        f
    }
}

/// In-place partition: elements satisfying `pred` first; returns their count.
fn partition(v: &mut [u32], pred: impl Fn(u32) -> bool) -> usize {
    let mut k = 0;
    for i in 0..v.len() {
        if pred(v[i]) {
            v.swap(i, k);
            k += 1;
        }
    }
    k
}

/// Small deterministic generator (splitmix64) for initial positions.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(p: &[[f32; 2]], a: usize, b: usize) -> f32 {
        ((p[a][0] - p[b][0]).powi(2) + (p[a][1] - p[b][1]).powi(2)).sqrt()
    }

    fn random_graph(n: usize, m: usize, seed: u64) -> Vec<(u32, u32, f32)> {
        let mut rng = SplitMix64(seed);
        (0..m)
            .map(|_| {
                let a = (rng.next_u64() % n as u64) as u32;
                let b = (rng.next_u64() % n as u64) as u32;
                (a, b, 0.5 + rng.unit() as f32)
            })
            .collect()
    }

    fn all_finite(l: &ForceLayout) -> bool {
        l.positions().iter().all(|p| p[0].is_finite() && p[1].is_finite())
    }

    #[test]
    fn connected_pairs_end_closer() {
        // Pairs (0,1),(2,3),(4,5) connected; 6..12 isolated.
        let edges = [(0, 1, 1.0), (2, 3, 1.0), (4, 5, 1.0)];
        let mut l = ForceLayout::new(12, &edges, 42);
        for _ in 0..400 {
            l.step();
        }
        let p = l.positions();
        let connected = (dist(p, 0, 1) + dist(p, 2, 3) + dist(p, 4, 5)) / 3.0;
        let mut unconnected = 0.0;
        let mut count = 0;
        for a in 6..12 {
            for b in a + 1..12 {
                unconnected += dist(p, a, b);
                count += 1;
            }
        }
        let unconnected = unconnected / count as f32;
        assert!(connected < unconnected, "connected {connected} vs unconnected {unconnected}");
        // Directly: node 0 closer to its partner than to an isolated node.
        assert!(dist(p, 0, 1) < dist(p, 0, 6));
    }

    #[test]
    fn pinned_never_move() {
        let edges = random_graph(200, 600, 1);
        let mut l = ForceLayout::new(200, &edges, 9);
        l.set_position(3, [100.0, -50.0]);
        l.set_pinned(3, true);
        l.set_pinned(17, true);
        let p17 = l.positions()[17];
        for _ in 0..200 {
            l.step();
        }
        assert_eq!(l.positions()[3], [100.0, -50.0]);
        assert_eq!(l.positions()[17], p17);
        assert!(l.positions()[4] != ForceLayout::new(200, &edges, 9).positions()[4]);
        // Out-of-range and non-finite inputs are ignored.
        l.set_pinned(10_000, true);
        l.set_position(10_000, [1.0, 1.0]);
        l.set_position(3, [f32::NAN, 0.0]);
        assert_eq!(l.positions()[3], [100.0, -50.0]);
        // All pinned: nothing moves, energy 0.
        for i in 0..200 {
            l.set_pinned(i, true);
        }
        let before = l.positions().to_vec();
        l.step();
        assert_eq!(l.positions(), &before[..]);
        assert_eq!(l.energy(), 0.0);
    }

    #[test]
    fn no_nan_on_messy_graphs() {
        // 500 steps on small graphs; fewer on the one big enough for the rayon path (debug builds are slow).
        for (seed, n, steps) in [(1u64, 50usize, 250), (2, 300, 250), (3, 1100, 40)] {
            let mut edges = random_graph(n, n * 3, seed);
            edges.extend([(0, 0, 1.0), (1, 1, 5.0), (0, 1, 1.0), (0, 1, 1.0), (0, 1, 1.0)]);
            edges.extend([(0, n as u32, 1.0), (u32::MAX, 1, 1.0), (2, 3, f32::NAN), (2, 3, -1.0)]);
            edges.extend([(2, 3, f32::INFINITY), (4, 5, 0.0), (6, 7, 1e30)]);
            // Nodes n-10..n are isolated (no edges touch them with high probability; force a few).
            let mut l = ForceLayout::new(n + 10, &edges, seed);
            // Coincident nodes.
            for i in 0..5 {
                l.set_position(i, [1.0, 1.0]);
            }
            for mode in 0..2 {
                let mut p = *l.params();
                p.lin_log = mode == 1;
                p.strong_gravity = mode == 1;
                l.set_params(p);
                for _ in 0..steps {
                    l.step();
                    assert!(all_finite(&l), "seed {seed} n {n} mode {mode}");
                    assert!(l.energy().is_finite());
                }
            }
            // Coincident nodes got separated.
            assert!(dist(l.positions(), 0, 1) > 1e-3);
        }
        // Silly parameters are sanitised.
        let mut l = ForceLayout::new(20, &random_graph(20, 40, 5), 5);
        l.set_params(ForceParams {
            scaling_ratio: f32::NAN,
            gravity: -1.0,
            strong_gravity: false,
            lin_log: false,
            theta: f32::INFINITY,
            jitter_tolerance: 0.0,
            edge_weight_influence: f32::NAN,
        });
        for _ in 0..100 {
            l.step();
        }
        assert!(all_finite(&l));
    }

    #[test]
    fn deterministic_for_same_seed() {
        let edges = random_graph(3000, 9000, 4);
        let run = |seed| {
            let mut l = ForceLayout::new(3000, &edges, seed);
            for _ in 0..30 {
                l.step();
            }
            l.positions().to_vec()
        };
        let a = run(77);
        assert_eq!(a, run(77));
        assert_ne!(a, run(78));
        // Initial positions too.
        assert_eq!(ForceLayout::new(10, &[], 5).positions(), ForceLayout::new(10, &[], 5).positions());
    }

    #[test]
    fn tiny_graphs() {
        let mut l = ForceLayout::new(0, &[(0, 1, 1.0)], 1);
        for _ in 0..10 {
            l.step();
        }
        assert!(l.positions().is_empty());
        assert_eq!(l.energy(), 0.0);
        let mut l = ForceLayout::new(1, &[(0, 0, 1.0)], 1);
        for _ in 0..500 {
            l.step();
            assert!(all_finite(&l));
        }
        // Gravity pulls a lone node towards the origin.
        let p = l.positions()[0];
        assert!((p[0] * p[0] + p[1] * p[1]).sqrt() < 10.0, "{p:?}");
        let mut l = ForceLayout::new(2, &[], 1);
        l.set_position(0, [0.0, 0.0]);
        l.set_position(1, [0.0, 0.0]);
        for _ in 0..100 {
            l.step();
        }
        assert!(all_finite(&l));
        assert!(dist(l.positions(), 0, 1) > 0.1);
    }

    #[test]
    fn barnes_hut_close_to_exact() {
        let n = 2000;
        let mut rng = SplitMix64(3);
        let pos: Vec<[f32; 2]> =
            (0..n).map(|_| [(rng.unit() * 1000.0) as f32, (rng.unit() * 1000.0) as f32]).collect();
        let mass: Vec<f64> = (0..n).map(|i| 1.0 + (i % 5) as f64).collect();
        let mut tree = QuadTree::default();
        tree.build(&pos, &mass);
        let mut rel_err = 0.0;
        for i in (0..n).step_by(97) {
            let approx = tree.repulsion(i, &pos, &mass, 2.0, 1.2 * 1.2);
            let exact = tree.repulsion(i, &pos, &mass, 2.0, 0.0);
            let mut brute = [0.0f64; 2];
            for j in 0..n {
                if j != i {
                    let dx = (pos[i][0] - pos[j][0]) as f64;
                    let dy = (pos[i][1] - pos[j][1]) as f64;
                    let f = 2.0 * mass[i] * mass[j] / (dx * dx + dy * dy);
                    brute[0] += dx * f;
                    brute[1] += dy * f;
                }
            }
            let norm = (brute[0].powi(2) + brute[1].powi(2)).sqrt();
            assert!(((exact[0] - brute[0]).powi(2) + (exact[1] - brute[1]).powi(2)).sqrt() < 1e-6 * norm);
            rel_err += ((approx[0] - brute[0]).powi(2) + (approx[1] - brute[1]).powi(2)).sqrt() / norm;
        }
        let mean = rel_err / (n / 97 + 1) as f64;
        assert!(mean < 0.1, "mean relative Barnes-Hut error {mean}");
    }

    #[test]
    #[ignore]
    fn bench_10k_50k() {
        let edges = random_graph(10_000, 50_000, 8);
        let mut l = ForceLayout::new(10_000, &edges, 1);
        for _ in 0..20 {
            l.step();
        }
        let steps = 100;
        let t = std::time::Instant::now();
        for _ in 0..steps {
            l.step();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "10k nodes / 50k edges: {:.1} steps/s ({:.2} ms/step), energy {:.2e}, threads {}",
            steps as f64 / secs,
            secs * 1e3 / steps as f64,
            l.energy(),
            rayon::current_num_threads()
        );
    }
}

#[cfg(test)]
mod quality_tests {
    use super::*;

    #[test]
    fn two_clusters_separate() {
        // Two 30-node cliques joined by a single edge.
        let mut edges = Vec::new();
        for base in [0u32, 30] {
            for a in 0..30 {
                for b in a + 1..30 {
                    edges.push((base + a, base + b, 1.0));
                }
            }
        }
        edges.push((0, 30, 1.0));
        let mut l = ForceLayout::new(60, &edges, 3);
        for _ in 0..500 {
            l.step();
        }
        let p = l.positions();
        let centroid = |r: std::ops::Range<usize>| {
            let n = r.len() as f32;
            let (x, y) = r.fold((0.0, 0.0), |(x, y), i| (x + p[i][0], y + p[i][1]));
            [x / n, y / n]
        };
        let (c0, c1) = (centroid(0..30), centroid(30..60));
        let spread = |r: std::ops::Range<usize>, c: [f32; 2]| {
            let n = r.len() as f32;
            r.map(|i| ((p[i][0] - c[0]).powi(2) + (p[i][1] - c[1]).powi(2)).sqrt()).sum::<f32>() / n
        };
        let between = ((c0[0] - c1[0]).powi(2) + (c0[1] - c1[1]).powi(2)).sqrt();
        let within = spread(0..30, c0).max(spread(30..60, c1));
        assert!(between > 2.0 * within, "between {between} within {within}");
    }

    #[test]
    #[ignore]
    fn energy_trace() {
        let mut rng = SplitMix64(8);
        let edges: Vec<(u32, u32, f32)> = (0..5000)
            .map(|_| ((rng.next_u64() % 1000) as u32, (rng.next_u64() % 1000) as u32, 1.0))
            .collect();
        let mut l = ForceLayout::new(1000, &edges, 1);
        for i in 1..=1000 {
            l.step();
            if i % 50 == 0 || i < 10 {
                println!("step {i}: energy {:.2e} speed {:.3}", l.energy(), l.global_speed());
            }
        }
    }
}
