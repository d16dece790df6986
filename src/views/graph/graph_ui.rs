//! The link-graph view: AfterGlow graph of 2 or 3 fields, laid out live by a background ForceAtlas2
//! worker, linked to the other views (node/edge selection -> clause, hover both ways).
//!
//! The graph is rebuilt only when the tuples or the configuration change (a hash of both is kept).
//! Node/edge selection is kept by node id so it survives rebuilds caused by brushing elsewhere.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use egui::{Color32, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use super::layout_worker::{LayoutLimits, LayoutWorker};
use super::model::{build_view_graph, config_hash, GraphConfig, NodeShape, ViewGraph};
use super::picture;
use crate::graph::{export, NodeType, Properties};
use crate::linking::selection::Clause;
use crate::linking::tuples::TupleSet;
use crate::views::common::{palette, thousands, Hover, ViewEdit};

/// Nodes above this many on screen get no individual accessibility widget (manual hit-testing only),
/// so huge graphs do not cost one egui interaction each per frame.
const MAX_NODE_WIDGETS: usize = 3_000;
/// Up to this many nodes on screen, all labels are drawn ("zoomed in enough").
const LABEL_ALL_BELOW: usize = 150;

/// Width and height of SVG/PNG pictures of the graph.
const PICTURE_SIZE_PX: [u32; 2] = [1600, 1200];

pub enum GraphAction {
    Edit(ViewEdit),
    /// A file to save: DOT/GDF/GraphML/GraphSON/SVG text or PNG bytes.
    Export {
        format: &'static str,
        bytes: Vec<u8>,
    },
    OpenProperties,
}

pub struct GraphViewState {
    pub config: GraphConfig,
    worker: Option<LayoutWorker>,
    /// False: no background layout, nodes keep deterministic column positions (tests, huge graphs).
    layout_enabled: bool,
    positions: Arc<Vec<[f32; 2]>>,
    layout_generation: u64,
    graph: Option<ViewGraph>,
    adjacency: Vec<Vec<usize>>,
    /// What the graph was last built from: the configuration's hash and the tuples themselves
    /// (held, so an unchanged answer is known without hashing every tuple each frame).
    last_input: Option<(u64, TupleSet)>,
    /// A build running on a worker thread (latest wins: a newer one replaces it).
    pending: Option<crossbeam_channel::Receiver<(Result<ViewGraph, String>, f64)>>,
    /// Build on the calling thread (unit tests that step frames without waiting).
    sync_build: bool,
    build_error: Option<String>,
    build_ms: f64,
    too_large: bool,
    /// World point at the canvas centre, and pixels per world unit.
    center: Vec2,
    zoom: f32,
    auto_fit: bool,
    selected_nodes: BTreeSet<String>,
    selected_edges: BTreeSet<(String, String)>,
    dragging: Option<usize>,
    box_start: Option<Pos2>,
    /// The clause we last returned (to notice undo / clear-all from outside).
    last_emitted: Option<Clause>,
    own_nodes: HashSet<usize>,
    own_seen: Option<Option<Clause>>,
    pub show_arrows: bool,
    paused: bool,
    status: String,
}

impl Default for GraphViewState {
    fn default() -> Self {
        Self::new()
    }
}

impl GraphViewState {
    pub fn new() -> Self {
        GraphViewState {
            config: GraphConfig::default(),
            worker: None,
            layout_enabled: true,
            positions: Arc::new(Vec::new()),
            layout_generation: 0,
            graph: None,
            adjacency: Vec::new(),
            last_input: None,
            pending: None,
            sync_build: false,
            build_error: None,
            build_ms: 0.0,
            too_large: false,
            center: Vec2::ZERO,
            zoom: 1.0,
            auto_fit: true,
            selected_nodes: BTreeSet::new(),
            selected_edges: BTreeSet::new(),
            dragging: None,
            box_start: None,
            last_emitted: None,
            own_nodes: HashSet::new(),
            own_seen: None,
            show_arrows: false,
            paused: false,
            status: String::new(),
        }
    }

    pub fn fields(&self) -> &[String] {
        &self.config.fields
    }

    /// 2 fields = two-node (source, target), 3 = three-node (source, event, target).
    pub fn set_fields(&mut self, fields: Vec<String>) {
        if fields != self.config.fields {
            self.config.fields = fields;
            self.config.options.three_node = self.config.fields.len() >= 3;
            self.clear_selection();
        }
    }

    /// The engine gave no tuples for this view, and `reason` says why (over a lake, more pairs than
    /// a graph can draw; a failed query). The last graph is not left drawn as if it were the
    /// answer: it goes, with any build of it still running, and the controls stay to change fields.
    pub fn show_engine_error(&mut self, reason: &str) {
        if self.build_error.as_deref() == Some(reason) && self.graph.is_none() {
            return;
        }
        self.graph = None;
        self.last_input = None;
        self.pending = None;
        self.too_large = false;
        self.build_error = Some(reason.to_string());
        if let Some(w) = self.worker.as_ref() {
            w.set_paused(true);
        }
    }

    /// Turns the background layout off (deterministic column positions) or on.
    pub fn set_layout_enabled(&mut self, enabled: bool) {
        self.layout_enabled = enabled;
        if !enabled {
            self.worker = None;
        }
        self.last_input = None;
    }

    pub fn load_properties(&mut self, path: &Path) -> Result<(), String> {
        let p = Properties::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.config.properties = Some((path.to_path_buf(), p));
        Ok(())
    }

    pub fn drop_properties(&mut self) {
        self.config.properties = None;
    }

    /// The last built graph (None before the first build).
    pub fn graph(&self) -> Option<&ViewGraph> {
        self.graph.as_ref()
    }

    /// Status line: build time, layout steps/s, approximations.
    pub fn status(&self) -> &str {
        &self.status
    }

    /// Exports the graph as shown (with current positions): "dot", "gdf", "graphml" or "graphson".
    pub fn export(&self, format: &str) -> Result<String, String> {
        let g = self.graph.as_ref().ok_or("no graph to export")?;
        let pos: export::Positions =
            g.nodes.iter().zip(self.positions.iter()).map(|(n, p)| (n.index, (p[0], p[1]))).collect();
        let pos = (pos.len() == g.nodes.len()).then_some(&pos);
        match format {
            "dot" => Ok(export::to_dot(&g.link, pos)),
            "gdf" => Ok(export::to_gdf(&g.link)),
            "graphml" => Ok(export::to_graphml(&g.link, pos)),
            "graphson" => {
                serde_json::to_string_pretty(&export::to_graphson(&g.link, pos)).map_err(|e| e.to_string())
            }
            other => Err(format!("unknown export format {other:?}")),
        }
    }

    /// Picture of the graph as laid out, in AfterGlow's colours: "svg" or "png" (`size_px` wide/high).
    pub fn picture(&self, format: &str, size_px: [u32; 2]) -> Result<Vec<u8>, String> {
        let g = self.graph.as_ref().ok_or("no graph to export")?;
        match format {
            "svg" => {
                Ok(picture::to_svg(g, &self.positions, size_px[0] as f32, size_px[1] as f32).into_bytes())
            }
            "png" => picture::to_png(g, &self.positions, size_px[0], size_px[1]),
            other => Err(format!("unknown picture format {other:?}")),
        }
    }

    fn clear_selection(&mut self) {
        self.selected_nodes.clear();
        self.selected_edges.clear();
    }

    fn selection_clause(&self) -> Option<Clause> {
        let g = self.graph.as_ref()?;
        let nodes: Vec<usize> =
            self.selected_nodes.iter().filter_map(|id| g.by_id.get(id).copied()).collect();
        let edges: Vec<usize> = g
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                self.selected_edges.contains(&(g.nodes[e.a].id.clone(), g.nodes[e.b].id.clone()))
            })
            .map(|(i, _)| i)
            .collect();
        g.selection_clause(&nodes, &edges)
    }

    fn edit(&mut self) -> GraphAction {
        let clause = self.selection_clause();
        self.last_emitted = clause.clone();
        GraphAction::Edit(ViewEdit { clause, continuing: false })
    }

    /// Rebuilds the graph if tuples or config changed.
    fn refresh(&mut self, tuples: Option<(&[String], &TupleSet)>, ctx: &egui::Context) {
        let Some((fields, tuples)) = tuples else {
            return;
        };
        let h = config_hash(&self.config, fields);
        if let Some((lh, lt)) = &self.last_input {
            if *lh == h && lt.same_as(tuples) {
                // Hold a new answer with the same tuples, so later frames match it by identity.
                if !lt.is_clone_of(tuples) {
                    self.last_input = Some((h, tuples.clone()));
                }
                return;
            }
        }
        self.last_input = Some((h, tuples.clone()));
        // Building can take 100 ms+ on large selections: never on the UI thread, and neither is
        // turning millions of tuples into text.
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (config, fields, tuples) = (self.config.clone(), fields.to_vec(), tuples.clone());
        let repaint = ctx.clone();
        let build = move || {
            let t = Instant::now();
            let r = crate::guard::contain("building the graph", "of the selection", || {
                build_view_graph(&config, &fields, &tuples.to_strings())
            })
            .unwrap_or_else(|p| Err(p.to_string()));
            let _ = tx.send((r, t.elapsed().as_secs_f64() * 1e3));
            repaint.request_repaint();
        };
        if self.sync_build {
            build();
        } else {
            std::thread::spawn(build);
        }
        self.pending = Some(rx);
    }

    /// Builds graphs on the calling thread instead of a worker (deterministic unit tests).
    pub fn set_sync_build(&mut self, sync: bool) {
        self.sync_build = sync;
    }

    /// Takes a finished background build, if any.
    fn poll_build(&mut self, ctx: &egui::Context) {
        let Some(rx) = &self.pending else { return };
        let Ok((result, ms)) = rx.try_recv() else {
            ctx.request_repaint_after(std::time::Duration::from_millis(15));
            return;
        };
        self.pending = None;
        self.build_ms = ms;
        match result {
            Ok(g) => {
                self.build_error = None;
                self.adjacency = g.adjacency();
                self.too_large = g.too_large(self.config.max_nodes_interactive);
                let ids: Vec<String> = g.nodes.iter().map(|n| n.id.clone()).collect();
                let old = self.graph.take();
                self.positions = Arc::new(column_positions(&g, old.as_ref(), &self.positions));
                if self.layout_enabled && !self.too_large {
                    let w = self.worker.get_or_insert_with(|| LayoutWorker::new(LayoutLimits::default()));
                    w.set_repaint_context(ctx);
                    w.set_paused(self.paused);
                    self.layout_generation = w.set_graph(ids, g.layout_edges());
                } else if let Some(w) = self.worker.as_ref() {
                    // Stop laying out the previous (small) graph.
                    w.set_paused(true);
                }
                self.own_seen = None;
                self.graph = Some(g);
            }
            Err(e) => {
                self.build_error = Some(e);
                self.graph = None;
            }
        }
    }

    fn pull_positions(&mut self) {
        let (Some(w), Some(g)) = (self.worker.as_ref(), self.graph.as_ref()) else {
            return;
        };
        if !self.layout_enabled || self.too_large {
            return;
        }
        let s = w.snapshot();
        if s.generation == self.layout_generation && s.positions.len() == g.nodes.len() {
            if self.dragging.is_none() {
                self.positions = s.positions.clone();
            }
            self.status = format!(
                "layout: {} steps, {:.0} steps/s{}",
                s.steps,
                s.steps_per_sec,
                if s.paused {
                    " (paused)"
                } else if s.running {
                    ""
                } else {
                    " (settled)"
                }
            );
        }
    }

    fn to_screen(&self, rect: Rect, p: [f32; 2]) -> Pos2 {
        rect.center() + (Vec2::new(p[0], p[1]) - self.center) * self.zoom
    }

    fn to_world(&self, rect: Rect, s: Pos2) -> [f32; 2] {
        let w = (s - rect.center()) / self.zoom + self.center;
        [w.x, w.y]
    }

    fn fit(&mut self, rect: Rect) {
        // Fit the central 98% of nodes: a few isolated nodes pushed far out must not shrink the rest.
        let mut xs: Vec<f32> = self.positions.iter().map(|p| p[0]).filter(|v| v.is_finite()).collect();
        let mut ys: Vec<f32> = self.positions.iter().map(|p| p[1]).filter(|v| v.is_finite()).collect();
        if xs.is_empty() {
            return;
        }
        xs.sort_by(|a, b| a.total_cmp(b));
        ys.sort_by(|a, b| a.total_cmp(b));
        let q = |v: &[f32], f: f32| v[((v.len() - 1) as f32 * f).round() as usize];
        let (lo, hi) = if xs.len() >= 50 {
            (Vec2::new(q(&xs, 0.01), q(&ys, 0.01)), Vec2::new(q(&xs, 0.99), q(&ys, 0.99)))
        } else {
            (Vec2::new(xs[0], ys[0]), Vec2::new(xs[xs.len() - 1], ys[ys.len() - 1]))
        };
        let span = (hi - lo).max(Vec2::splat(1.0));
        let avail = (rect.size() - Vec2::splat(60.0)).max(Vec2::splat(10.0));
        self.zoom = (avail.x / span.x).min(avail.y / span.y).clamp(1e-4, 50.0);
        self.center = (lo + hi) / 2.0;
    }
}

/// Deterministic positions: sources left, events middle, targets right (nodes that persist keep the
/// previous position). Used before the first layout snapshot and when the layout is off.
fn column_positions(g: &ViewGraph, old: Option<&ViewGraph>, old_pos: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let mut rows = [0usize; 3];
    g.nodes
        .iter()
        .map(|n| {
            if let Some(p) = old.and_then(|o| o.by_id.get(&n.id)).and_then(|i| old_pos.get(*i)) {
                return *p;
            }
            let col = match n.node_type {
                NodeType::Source | NodeType::SourceTarget => 0,
                NodeType::Event => 1,
                NodeType::Target => 2,
            };
            let y = rows[col] as f32 * 20.0;
            rows[col] += 1;
            [col as f32 * 120.0 - 120.0, y]
        })
        .collect()
}

fn type_color_default(t: NodeType) -> Color32 {
    match t {
        NodeType::Source | NodeType::SourceTarget => palette::CATEGORICAL[0],
        NodeType::Event => palette::CATEGORICAL[3],
        NodeType::Target => palette::CATEGORICAL[2],
    }
}

/// Controls (field pickers from `columns`, two/three-node toggle, thresholds, fan-out, split mode, max
/// node size, "Properties..." button, export buttons, layout pause/resume), the canvas, the legend.
pub fn graph_ui(
    ui: &mut egui::Ui,
    state: &mut GraphViewState,
    columns: &[String],
    tuples: Option<(&[String], &TupleSet)>,
    own_clause: Option<&Clause>,
    hover: &mut Option<Hover>,
) -> Option<GraphAction> {
    let mut action = controls(ui, state, columns);
    state.refresh(tuples, ui.ctx());
    state.poll_build(ui.ctx());
    state.pull_positions();

    // Our clause changed from outside (undo, clear all): follow it.
    if state.own_seen.as_ref().map(|c| c.as_ref()) != Some(own_clause) {
        state.own_seen = Some(own_clause.cloned());
        state.own_nodes = match (own_clause, state.graph.as_ref()) {
            (Some(c), Some(g)) => g.nodes_in_clause(c),
            _ => HashSet::new(),
        };
        if own_clause != state.last_emitted.as_ref() {
            state.clear_selection();
            if let Some(g) = state.graph.as_ref() {
                for &i in &state.own_nodes {
                    state.selected_nodes.insert(g.nodes[i].id.clone());
                }
            }
            state.last_emitted = own_clause.cloned();
        }
    }

    if let Some(e) = &state.build_error {
        ui.colored_label(ui.visuals().error_fg_color, e);
        return action;
    }
    let Some(g) = state.graph.as_ref() else {
        ui.label(if state.config.fields.len() < 2 {
            "Pick a source and a target field."
        } else {
            "No data."
        });
        return action;
    };
    let mut info = format!(
        "{} nodes, {} edges, {} records (built in {:.0} ms)",
        thousands(g.nodes.len() as i64),
        thousands(g.edges.len() as i64),
        thousands(g.total_records),
        state.build_ms
    );
    if g.approximate_counts {
        info.push_str(" - counts summed per distinct tuple; thresholds count distinct tuples");
    }
    ui.label(info);
    if state.too_large {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Too large to lay out interactively ({} nodes, {} edges; limit {} nodes / {} edges). \
                 Raise a threshold or cluster values.",
                thousands(g.nodes.len() as i64),
                thousands(g.edges.len() as i64),
                thousands(state.config.max_nodes_interactive as i64),
                thousands(super::model::MAX_EDGES_INTERACTIVE as i64)
            ),
        );
        ui.horizontal(|ui| {
            if ui.button("Cluster addresses into /24").clicked() {
                state.config.cluster_24 = true;
            }
            if ui.button("Omit threshold +10").clicked() {
                state.config.options.omit_threshold += 10;
            }
        });
        legend_ui(ui, state);
        return action;
    }
    if !state.status.is_empty() {
        ui.small(&state.status);
    }
    legend_ui(ui, state);
    if let Some(a) = canvas(ui, state, hover) {
        action = Some(a);
    }
    action
}

fn legend_ui(ui: &mut egui::Ui, state: &GraphViewState) {
    let Some(g) = state.graph.as_ref() else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        for l in &g.legend {
            let (r, _) = ui.allocate_exact_size(Vec2::splat(10.0), Sense::hover());
            ui.painter().rect_filled(r, 2.0, l.color.unwrap_or(Color32::GRAY));
            let text: String = l.text.chars().take(60).collect();
            ui.small(format!("{}: {}", l.role, text));
        }
    });
}

fn controls(ui: &mut egui::Ui, state: &mut GraphViewState, columns: &[String]) -> Option<GraphAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        let three = state.config.fields.len() >= 3;
        if ui.selectable_label(!three, "Two-node").clicked() && three {
            let mut f = state.config.fields.clone();
            f.remove(1);
            state.set_fields(f);
        }
        if ui.selectable_label(three, "Three-node").clicked() && !three {
            let mut f = state.config.fields.clone();
            let ev = columns.iter().find(|c| !f.contains(c)).cloned().unwrap_or_default();
            if f.len() >= 2 {
                f.insert(1, ev);
            }
            state.set_fields(f);
        }
        let names: &[&str] = if three {
            &["Source field", "Event field", "Target field"]
        } else {
            &["Source field", "Target field"]
        };
        let mut fields = state.config.fields.clone();
        fields.resize(names.len(), String::new());
        let mut changed = false;
        for (i, name) in names.iter().enumerate() {
            let lab = ui.label(*name);
            egui::ComboBox::from_id_salt(("graph_field", i))
                .selected_text(fields[i].as_str())
                .show_ui(ui, |ui| {
                    for c in columns {
                        changed |= ui.selectable_value(&mut fields[i], c.clone(), c.as_str()).changed();
                    }
                })
                .response
                .labelled_by(lab.id);
        }
        if changed {
            state.set_fields(fields);
        }
    });
    ui.horizontal_wrapped(|ui| {
        let o = &mut state.config.options;
        for (name, v) in [
            ("Omit threshold", &mut o.omit_threshold),
            ("Source threshold", &mut o.source_threshold),
            ("Event threshold", &mut o.event_threshold),
            ("Target threshold", &mut o.target_threshold),
            ("Source fan-out", &mut o.source_fan_out),
            ("Event fan-out", &mut o.event_fan_out),
        ] {
            let lab = ui.label(name);
            ui.add(egui::DragValue::new(v).range(0..=1_000_000)).labelled_by(lab.id);
        }
        let lab = ui.label("Split mode");
        egui::ComboBox::from_id_salt("graph_split")
            .selected_text(o.split_mode.to_string())
            .show_ui(ui, |ui| {
                for (m, t) in [
                    (0u8, "0: one per value"),
                    (1, "1: per source+event"),
                    (2, "2: per event+target"),
                    (3, "3: per tuple"),
                ] {
                    ui.selectable_value(&mut o.split_mode, m, t);
                }
            })
            .response
            .labelled_by(lab.id);
        let lab = ui.label("Max node size");
        ui.add(egui::DragValue::new(&mut o.max_node_size).range(0.05..=5.0).speed(0.01)).labelled_by(lab.id);
        ui.checkbox(&mut o.split_source_target, "Split source/target");
        ui.checkbox(&mut state.config.cluster_24, "Cluster /24");
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button("Properties...").clicked() {
            action = Some(GraphAction::OpenProperties);
        }
        if let Some((p, _)) = &state.config.properties {
            ui.small(p.display().to_string());
            if ui.small_button("x").on_hover_text("Drop the property file").clicked() {
                state.config.properties = None;
            }
        }
        for (label, fmt) in [
            ("Export DOT", "dot"),
            ("Export GDF", "gdf"),
            ("Export GraphML", "graphml"),
            ("Export GraphSON", "graphson"),
        ] {
            if ui.button(label).clicked() {
                if let Ok(text) = state.export(fmt) {
                    action = Some(GraphAction::Export { format: fmt, bytes: text.into_bytes() });
                }
            }
        }
        for (label, fmt) in [("Export SVG", "svg"), ("Export PNG", "png")] {
            if ui.button(label).clicked() {
                if let Ok(bytes) = state.picture(fmt, PICTURE_SIZE_PX) {
                    action = Some(GraphAction::Export { format: fmt, bytes });
                }
            }
        }
        let pause_label = if state.paused { "Resume layout" } else { "Pause layout" };
        if ui.button(pause_label).clicked() {
            state.paused = !state.paused;
            if let Some(w) = &state.worker {
                w.set_paused(state.paused);
            }
        }
        if ui.button("Fit").clicked() {
            state.auto_fit = true;
        }
        ui.checkbox(&mut state.show_arrows, "Arrows");
    });
    action
}

fn dim(c: Color32) -> Color32 {
    c.gamma_multiply(0.2)
}

fn canvas(ui: &mut egui::Ui, state: &mut GraphViewState, hover: &mut Option<Hover>) -> Option<GraphAction> {
    let size = ui.available_size().max(Vec2::new(100.0, 100.0));
    let (resp, painter) = ui.allocate_painter(size, Sense::click_and_drag());
    let rect = resp.rect;
    let painter = painter.with_clip_rect(rect);
    if state.auto_fit {
        state.fit(rect);
    }
    let mut action = None;

    // Zoom around the pointer.
    if resp.hovered() {
        let (scroll, zoom_d, pointer) =
            ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta(), i.pointer.hover_pos()));
        let factor = zoom_d * (scroll / 200.0).exp();
        if (factor - 1.0).abs() > 1e-4 {
            if let Some(p) = pointer {
                let before = state.to_world(rect, p);
                state.zoom = (state.zoom * factor).clamp(1e-4, 200.0);
                let after = state.to_world(rect, p);
                state.center += Vec2::new(before[0] - after[0], before[1] - after[1]);
                state.auto_fit = false;
            }
        }
    }

    let g = state.graph.as_ref()?;
    let n = g.nodes.len().min(state.positions.len());
    let screen: Vec<Pos2> = (0..n).map(|i| state.to_screen(rect, state.positions[i])).collect();
    // Nodes shrink when zoomed out so a big graph reads as structure, not a pile of discs.
    let shrink = (state.zoom / 0.6).clamp(0.35, 1.4);
    let radius: Vec<f32> = (0..n).map(|i| (2.5 + 7.0 * g.nodes[i].size) * shrink).collect();
    let visible: Vec<usize> = (0..n).filter(|&i| rect.expand(radius[i]).contains(screen[i])).collect();

    // Node widgets (accessible "node <value>"), topmost so they get the pointer first.
    let mut hovered_node: Option<usize> = None;
    let mut clicked_node: Option<(usize, egui::Modifiers)> = None;
    let mut double_clicked: Option<usize> = None;
    let mut drag_started: Option<usize> = None;
    let modifiers = ui.input(|i| i.modifiers);
    if visible.len() <= MAX_NODE_WIDGETS {
        for &i in &visible {
            let r = Rect::from_center_size(screen[i], Vec2::splat(2.0 * radius[i].max(4.0)));
            let id = resp.id.with(("node", &g.nodes[i].id));
            let nr = ui.interact(r, id, Sense::click_and_drag());
            let label = format!("node {}", g.nodes[i].id);
            nr.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            if nr.hovered() {
                hovered_node = Some(i);
            }
            if nr.double_clicked() {
                double_clicked = Some(i);
            } else if nr.clicked() {
                clicked_node = Some((i, modifiers));
            }
            if nr.drag_started() {
                drag_started = Some(i);
            }
        }
    }
    // Manual hit-test for everything else (too many widgets, or the canvas got the event).
    let hit = |p: Pos2| -> Option<usize> {
        visible
            .iter()
            .copied()
            .filter(|&i| screen[i].distance(p) <= radius[i].max(4.0))
            .min_by(|&a, &b| screen[a].distance(p).total_cmp(&screen[b].distance(p)))
    };
    let pointer = ui.input(|i| i.pointer.hover_pos());
    if hovered_node.is_none() && resp.hovered() {
        hovered_node = pointer.and_then(hit);
    }
    if resp.double_clicked() {
        double_clicked = resp.interact_pointer_pos().and_then(hit).or(double_clicked);
    } else if resp.clicked() {
        if let Some(i) = resp.interact_pointer_pos().and_then(hit) {
            clicked_node = Some((i, modifiers));
        }
    }
    if resp.drag_started() && !modifiers.shift {
        drag_started = resp.interact_pointer_pos().and_then(hit).or(drag_started);
    }

    // Dragging a node moves and pins it.
    if let Some(i) = drag_started {
        state.dragging = Some(i);
        // Refitting while the user holds a node would move the canvas under the pointer.
        state.auto_fit = false;
    }
    let any_drag = ui.input(|i| i.pointer.primary_down());
    if let Some(i) = state.dragging {
        if any_drag {
            if let Some(p) = ui.input(|inp| inp.pointer.interact_pos()) {
                let w = state.to_world(rect, p);
                if let Some(slot) = Arc::make_mut(&mut state.positions).get_mut(i) {
                    *slot = w;
                }
                if let Some(wk) = &state.worker {
                    wk.move_node(i, w, true);
                }
            }
        } else {
            state.dragging = None;
        }
    } else if resp.drag_started() && modifiers.shift {
        // Where the button went down, not where the drag was recognised.
        state.box_start = ui.input(|i| i.pointer.press_origin()).or(resp.interact_pointer_pos());
    } else if resp.dragged() && state.box_start.is_none() {
        state.center -= resp.drag_delta() / state.zoom;
        state.auto_fit = false;
    }
    if let Some(i) = double_clicked {
        if let Some(wk) = &state.worker {
            wk.unpin(i);
        }
    }

    // Box selection (Shift+drag).
    let mut box_rect = None;
    if let Some(start) = state.box_start {
        if let Some(p) = pointer.or(resp.interact_pointer_pos()) {
            box_rect = Some(Rect::from_two_pos(start, p));
        }
        if resp.drag_stopped() || !any_drag {
            if let Some(b) = box_rect {
                for &i in &visible {
                    if b.contains(screen[i]) {
                        state.selected_nodes.insert(g.nodes[i].id.clone());
                    }
                }
            }
            state.box_start = None;
            box_rect = None;
            action = Some(());
        }
    }

    // Clicks: node (Ctrl toggles), edge, or empty space (clears).
    let g = state.graph.as_ref()?;
    if let Some((i, m)) = clicked_node {
        let id = g.nodes[i].id.clone();
        if m.command || m.ctrl {
            if !state.selected_nodes.remove(&id) {
                state.selected_nodes.insert(id);
            }
        } else {
            state.selected_nodes.clear();
            state.selected_edges.clear();
            state.selected_nodes.insert(id);
        }
        action = Some(());
    } else if resp.clicked() {
        let p = resp.interact_pointer_pos();
        let edge = p.and_then(|p| {
            g.edges
                .iter()
                .enumerate()
                .filter(|(_, e)| e.a < n && e.b < n)
                .map(|(k, e)| (k, seg_dist(p, screen[e.a], screen[e.b])))
                .filter(|(_, d)| *d <= 4.0)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, _)| k)
        });
        match edge {
            Some(k) => {
                let key = (g.nodes[g.edges[k].a].id.clone(), g.nodes[g.edges[k].b].id.clone());
                if modifiers.command || modifiers.ctrl {
                    if !state.selected_edges.remove(&key) {
                        state.selected_edges.insert(key);
                    }
                } else {
                    state.selected_nodes.clear();
                    state.selected_edges.clear();
                    state.selected_edges.insert(key);
                }
                action = Some(());
            }
            None if !state.selected_nodes.is_empty() || !state.selected_edges.is_empty() => {
                state.clear_selection();
                action = Some(());
            }
            None => {}
        }
    }
    // Esc clears, unless a text field (e.g. another view's filter box) has the keyboard.
    let esc = ui.input(|i| i.key_pressed(egui::Key::Escape)) && ui.memory(|m| m.focused().is_none());
    if esc && (!state.selected_nodes.is_empty() || !state.selected_edges.is_empty()) {
        state.clear_selection();
        action = Some(());
    }

    // Hover: ours goes out, another view's comes in.
    let g = state.graph.as_ref()?;
    let incoming = hover
        .as_ref()
        .and_then(|h| g.by_id.get(&h.value).copied().filter(|&i| g.node_field(i) == Some(h.field.as_str())));
    if let Some(i) = hovered_node {
        if let Some(f) = g.node_field(i) {
            *hover = Some(Hover { field: f.to_string(), value: g.nodes[i].id.clone() });
        }
        let tip = format!(
            "{} ({}) - {} records",
            g.nodes[i].id,
            g.node_field(i).unwrap_or(""),
            thousands(g.nodes[i].count)
        );
        resp.clone().on_hover_text_at_pointer(tip);
    }
    let focus = hovered_node.or(incoming);
    let neighbours: HashSet<usize> = focus
        .map(|i| state.adjacency.get(i).into_iter().flatten().copied().chain([i]).collect())
        .unwrap_or_default();
    let selected: HashSet<usize> = state
        .selected_nodes
        .iter()
        .filter_map(|id| g.by_id.get(id).copied())
        .chain(state.own_nodes.iter().copied())
        .collect();

    // Edges.
    for e in &g.edges {
        if e.a >= n || e.b >= n {
            continue;
        }
        let (a, b) = (screen[e.a], screen[e.b]);
        if !rect.intersects(Rect::from_two_pos(a, b)) {
            continue;
        }
        let on = focus.is_none() || focus == Some(e.a) || focus == Some(e.b);
        let sel = state.selected_edges.contains(&(g.nodes[e.a].id.clone(), g.nodes[e.b].id.clone()));
        let mut c = if sel { palette::BAR_SELECTED } else { e.color.gamma_multiply(0.7) };
        if !on {
            c = dim(c);
        }
        let w = 0.6 + 0.8 * (1.0 + e.count.max(0) as f32).log10();
        painter.line_segment([a, b], Stroke::new(if sel { w + 1.5 } else { w }, c));
        if state.show_arrows {
            let dir = (b - a).normalized();
            let tip = b - dir * radius[e.b];
            let side = Vec2::new(-dir.y, dir.x) * 3.5;
            let back = tip - dir * 8.0;
            painter.add(egui::Shape::convex_polygon(vec![tip, back + side, back - side], c, Stroke::NONE));
        }
    }

    // Nodes.
    let outline = ui.visuals().strong_text_color();
    let draw_all_labels = visible.len() <= LABEL_ALL_BELOW;
    for &i in &visible {
        let node = &g.nodes[i];
        let p = screen[i];
        let r = radius[i];
        let on = focus.is_none() || neighbours.contains(&i);
        let mut fill =
            if node.color == Color32::GRAY { type_color_default(node.node_type) } else { node.color };
        if !on {
            fill = dim(fill);
        }
        let is_sel = selected.contains(&i);
        let stroke = if is_sel {
            Stroke::new(3.0, palette::BAR_SELECTED)
        } else if Some(i) == focus {
            Stroke::new(2.0, palette::BAR_HOVER)
        } else {
            Stroke::new(0.7, if on { outline.gamma_multiply(0.6) } else { dim(outline) })
        };
        match node.shape {
            NodeShape::Box => {
                let rr = Rect::from_center_size(p, Vec2::new(2.4 * r, 1.6 * r));
                painter.rect_filled(rr, 1.0, fill);
                painter.rect_stroke(rr, 1.0, stroke, StrokeKind::Middle);
            }
            NodeShape::Ellipse => {
                painter.add(egui::Shape::ellipse_filled(p, Vec2::new(1.3 * r, r), fill));
                painter.add(egui::Shape::ellipse_stroke(p, Vec2::new(1.3 * r, r), stroke));
            }
            NodeShape::Circle => {
                painter.circle(p, r, fill, stroke);
            }
            NodeShape::Triangle => {
                let pts = vec![p + Vec2::new(0.0, -r), p + Vec2::new(r, 0.8 * r), p + Vec2::new(-r, 0.8 * r)];
                painter.add(egui::Shape::convex_polygon(pts, fill, stroke));
            }
            NodeShape::Diamond => {
                let pts = vec![
                    p + Vec2::new(0.0, -r),
                    p + Vec2::new(r, 0.0),
                    p + Vec2::new(0.0, r),
                    p + Vec2::new(-r, 0.0),
                ];
                painter.add(egui::Shape::convex_polygon(pts, fill, stroke));
            }
        }
        if (draw_all_labels && on) || is_sel || Some(i) == focus {
            let text = if node.label.is_empty() { &node.id } else { &node.label };
            painter.text(
                p + Vec2::new(0.0, r + 2.0),
                egui::Align2::CENTER_TOP,
                text,
                egui::FontId::proportional(11.0),
                if on { ui.visuals().text_color() } else { dim(ui.visuals().text_color()) },
            );
        }
    }
    if let Some(b) = box_rect {
        painter.rect_filled(b, 0.0, palette::BRUSH_FILL);
        painter.rect_stroke(b, 0.0, Stroke::new(1.0, palette::BAR_SELECTED), StrokeKind::Inside);
    }
    action.map(|()| state.edit())
}

/// Distance from `p` to the segment `a`-`b` in screen pixels.
fn seg_dist(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len2 = ab.length_sq();
    if len2 < 1e-6 {
        return p.distance(a);
    }
    let t = ((p - a).dot(ab) / len2).clamp(0.0, 1.0);
    p.distance(a + ab * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linking::selection::Pred;
    use egui_kittest::kittest::Queryable;
    use egui_kittest::Harness;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    struct App {
        state: GraphViewState,
        fields: Vec<String>,
        tuples: TupleSet,
        actions: Vec<Option<Clause>>,
        exports: Vec<(&'static str, Vec<u8>)>,
        hover: Option<Hover>,
        /// What the engine said instead of tuples, as the app's graph pane passes it on.
        engine_error: Option<String>,
    }

    fn app() -> App {
        let mut state = GraphViewState::new();
        state.set_layout_enabled(false);
        state.set_sync_build(true);
        state.set_fields(s(&["src_ip", "dst_ip"]));
        App {
            state,
            fields: s(&["src_ip", "dst_ip"]),
            tuples: TupleSet::from_strings(
                2,
                vec![
                    (s(&["10.0.0.1", "192.168.0.1"]), 3),
                    (s(&["10.0.0.2", "192.168.0.1"]), 1),
                    (s(&["10.0.0.3", "192.168.0.2"]), 2),
                ],
            ),
            actions: Vec::new(),
            exports: Vec::new(),
            hover: None,
            engine_error: None,
        }
    }

    fn harness(a: App) -> Harness<'static, App> {
        Harness::builder().with_size(Vec2::new(1000.0, 700.0)).build_ui_state(
            |ui, a: &mut App| {
                let cols = s(&["src_ip", "dst_ip", "dst_port"]);
                let own = a.actions.last().cloned().flatten();
                a.hover = None;
                let tuples = match &a.engine_error {
                    Some(e) => {
                        a.state.show_engine_error(e);
                        None
                    }
                    None => Some((a.fields.as_slice(), &a.tuples)),
                };
                match graph_ui(ui, &mut a.state, &cols, tuples, own.as_ref(), &mut a.hover) {
                    Some(GraphAction::Edit(e)) => a.actions.push(e.clause),
                    Some(GraphAction::Export { format, bytes }) => a.exports.push((format, bytes)),
                    Some(GraphAction::OpenProperties) | None => {}
                }
            },
            a,
        )
    }

    #[test]
    fn click_node_selects_its_records() {
        let mut h = harness(app());
        h.run();
        h.get_by_label("node 10.0.0.1").click();
        h.run();
        let expected = Clause::Match {
            any_of: vec![vec![Pred::Eq { field: "src_ip".into(), value: "10.0.0.1".into() }]],
            negate: false,
        };
        assert_eq!(h.state().actions.first(), Some(&Some(expected.clone())));
        // Ctrl-click adds a target node.
        h.get_by_label("node 192.168.0.2").click_modifiers(egui::Modifiers::COMMAND);
        h.run();
        let Some(Some(Clause::Match { any_of, .. })) = h.state().actions.last() else { panic!("no edit") };
        assert_eq!(any_of.len(), 2);
        assert!(any_of.contains(&vec![Pred::Eq { field: "dst_ip".into(), value: "192.168.0.2".into() }]));
        // Escape clears the selection.
        h.key_press(egui::Key::Escape);
        h.run();
        assert_eq!(h.state().actions.last(), Some(&None));
    }

    #[test]
    fn export_buttons_and_controls() {
        let mut h = harness(app());
        h.run();
        h.get_by_label("Export DOT").click();
        h.run();
        assert_eq!(h.state().exports.len(), 1);
        assert!(h.state().exports[0].1.starts_with(b"digraph structs {"));
        for f in ["gdf", "graphml", "graphson"] {
            assert!(h.state().state.export(f).is_ok());
        }
        assert!(h.state().state.export("png").is_err());
        // Pictures of the graph as laid out, in AfterGlow colours.
        h.get_by_label("Export SVG").click();
        h.run();
        assert!(h.state().exports[1].0 == "svg" && h.state().exports[1].1.starts_with(b"<svg "));
        h.get_by_label("Export PNG").click();
        h.run();
        assert!(h.state().exports[2].0 == "png" && h.state().exports[2].1.starts_with(b"\x89PNG"));
        h.get_by_label("Three-node").click();
        h.run();
        assert_eq!(h.state().state.fields(), &s(&["src_ip", "dst_port", "dst_ip"]));
        let _ = h.get_by_label("Source field");
        let _ = h.get_by_label("Event field");
        // The test tuples have only 2 columns: a three-node build reports the error, no panic.
        h.get_by_label("Two-node").click();
        h.run();
        assert_eq!(h.state().state.fields(), &s(&["src_ip", "dst_ip"]));
        assert_eq!(h.state().state.graph().map(|g| g.nodes.len()), Some(5));
    }

    #[test]
    fn hover_sets_field_and_value() {
        let mut h = harness(app());
        h.run();
        h.get_by_label("node 192.168.0.1").hover();
        h.run();
        assert_eq!(h.state().hover, Some(Hover { field: "dst_ip".into(), value: "192.168.0.1".into() }));
    }

    #[test]
    fn live_layout_publishes_positions() {
        let mut a = app();
        a.state.set_layout_enabled(true);
        let mut h = harness(a);
        h.run_steps(3);
        let t = Instant::now();
        while h.state().state.status().is_empty() && t.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            h.run_steps(1);
        }
        assert!(h.state().state.status().starts_with("layout:"), "{}", h.state().state.status());
        assert!(h.state().state.positions.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
    }

    #[test]
    fn an_engine_refusal_replaces_the_graph_with_its_reason_and_keeps_the_controls() {
        let mut h = harness(app());
        h.run();
        assert!(h.query_by_label("node 10.0.0.1").is_some());
        // A lake with more pairs than a graph can draw under the other views' filters.
        let reason = "more than 250,000 distinct (src_ip, dst_ip) tuples pass the other views' filters";
        h.state_mut().engine_error = Some(reason.into());
        h.run();
        assert!(h.query_by_label_contains(reason).is_some(), "the reason is shown");
        assert!(h.query_by_label("node 10.0.0.1").is_none(), "no stale graph drawn as the answer");
        assert!(h.query_by_label("Three-node").is_some(), "the controls stay, to pick other fields");
        // A narrower selection brings pairs again: the graph is built from them.
        h.state_mut().engine_error = None;
        h.run();
        assert!(h.query_by_label("node 10.0.0.1").is_some());
        assert!(h.query_by_label_contains(reason).is_none());
    }

    #[test]
    fn too_large_offers_clustering_instead_of_layout() {
        let mut a = app();
        a.state.set_layout_enabled(true);
        a.state.config.max_nodes_interactive = 3;
        a.tuples = TupleSet::from_strings(
            2,
            vec![
                (s(&["10.0.0.1", "192.168.0.1"]), 3),
                (s(&["10.0.0.2", "192.168.0.1"]), 1),
                (s(&["10.0.0.3", "192.168.0.2"]), 2),
            ],
        );
        let mut h = harness(a);
        h.run();
        assert!(h.query_by_label_contains("Too large to lay out").is_some());
        assert!(h.query_by_label("node 10.0.0.1").is_none(), "no canvas when too large");
        // The clustered graph is small enough to lay out; a layout still moving asks for frames
        // past run()'s step limit on a slow machine, and moves the nodes this test clicks.
        h.state_mut().state.set_layout_enabled(false);
        h.get_by_label("Cluster addresses into /24").click();
        h.run();
        let g = h.state().state.graph().unwrap();
        let mut ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["10.0.0/24", "192.168.0/24"]);
        assert!(h.query_by_label("node 10.0.0/24").is_some());
        // The cluster node selects the original addresses.
        h.get_by_label("node 10.0.0/24").click();
        h.run();
        let Some(Some(Clause::Match { any_of, .. })) = h.state().actions.first() else { panic!("no edit") };
        assert_eq!(any_of.len(), 3);
    }

    #[test]
    fn drag_pins_node_and_shift_box_selects() {
        let mut h = harness(app());
        h.run();
        let node = h.get_by_label("node 10.0.0.3");
        let start = node.rect().center();
        let before = h.state().state.positions[h.state().state.graph().unwrap().by_id["10.0.0.3"]];
        h.drag_at(start);
        h.run();
        h.hover_at(start + Vec2::new(40.0, 30.0));
        h.run();
        h.drop_at(start + Vec2::new(40.0, 30.0));
        h.run();
        let st = &h.state().state;
        let after = st.positions[st.graph().unwrap().by_id["10.0.0.3"]];
        assert!((after[0] - before[0]).abs() > 1.0, "{before:?} -> {after:?}");
        assert!(h.state().actions.is_empty(), "a drag is not a selection");
        // Shift+drag from an empty corner over all nodes selects all 5 (one conjunction each).
        let (mut lo, mut hi) = (Pos2::new(f32::MAX, f32::MAX), Pos2::new(f32::MIN, f32::MIN));
        for id in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "192.168.0.1", "192.168.0.2"] {
            let r = h.get_by_label(&format!("node {id}")).rect();
            lo = lo.min(r.min);
            hi = hi.max(r.max);
        }
        let (a, b) = (lo - Vec2::splat(12.0), hi + Vec2::splat(12.0));
        let shift = egui::Modifiers::SHIFT;
        h.event(egui::Event::ModifiersChanged(shift));
        h.event(egui::Event::PointerMoved(a));
        h.event(egui::Event::PointerButton {
            pos: a,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: shift,
        });
        h.run();
        h.event(egui::Event::PointerMoved(b));
        h.run();
        h.event(egui::Event::PointerButton {
            pos: b,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: shift,
        });
        h.run();
        h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
        h.run();
        let Some(Some(Clause::Match { any_of, .. })) = h.state().actions.first() else { panic!("no edit") };
        // 10.0.0.x are sources, 192.168.0.x targets.
        assert_eq!(any_of.len(), 5, "{any_of:?}");
    }
}
