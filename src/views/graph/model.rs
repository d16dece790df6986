//! Pure model of the link-graph view: turns the engine's distinct tuples (already crossfiltered by the
//! other views) into an AfterGlow [`LinkGraph`] plus what the canvas draws, the legend, and the clause
//! a node/edge selection stands for. No egui widgets here (only `Color32` as a colour type).
//!
//! Counts: AfterGlow counts records, the engine hands us distinct tuples with a record count each.
//! Each tuple is fed to `build_graph` once, and node/edge counts are then overwritten from the tuple
//! counts (a node: the records of the tuples where it plays the role it is drawn as; an edge: the
//! records of the tuples that produced it). That is exact unless something inside the build depends
//! on record counts: omit/source/event/target thresholds, size rules (running `$sourceCount{..}`),
//! size-by-count, or counts in labels. Only then, and when the total record count is at most
//! [`EXPAND_LIMIT`], every tuple is fed `count` times (exact, but ~8 us per record: 200k records
//! take ~1.5 s in release). Above the limit those features see DISTINCT TUPLE counts, not record
//! counts: a node seen in 3 distinct tuples totalling 10,000 records has count 3 for a threshold.
//! [`ViewGraph::approximate_counts`] tells the UI to say so.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use egui::Color32;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};

use crate::graph::expr::{CountMap, EvalCtx, Role};
use crate::graph::properties::Rule;
use crate::graph::{build_graph, GraphOptions, LinkGraph, NodeType, Properties};
use crate::linking::selection::{Clause, Pred};

/// Total record count up to which tuples are expanded into one row per record (exact counts).
pub const EXPAND_LIMIT: i64 = 200_000;
/// Edge count above which the layout is not run interactively.
pub const MAX_EDGES_INTERACTIVE: usize = 50_000;
/// Default node count above which the layout is not run interactively.
pub const MAX_NODES_INTERACTIVE: usize = 10_000;

/// Property-file text of the "cluster addresses into /24" shortcut (only IPv4-looking values).
pub const CLUSTER_24_RULES: &str = r#"cluster.source=regex_replace("^(\\d+\\.\\d+\\.\\d+)\\.\\d+$")."/24" if (match("^\\d+\\.\\d+\\.\\d+\\.\\d+$"))
cluster.target=regex_replace("^(\\d+\\.\\d+\\.\\d+)\\.\\d+$")."/24" if (match("^\\d+\\.\\d+\\.\\d+\\.\\d+$"))
"#;

#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Source, (event,) target field names: 2 fields = two-node mode, 3 = three-node mode.
    pub fields: Vec<String>,
    /// `three_node` is derived from `fields.len()` at build time.
    pub options: GraphOptions,
    /// Loaded AfterGlow property file.
    pub properties: Option<(PathBuf, Properties)>,
    pub max_nodes_interactive: usize,
    /// Adds [`CLUSTER_24_RULES`] after the property file's own cluster rules.
    pub cluster_24: bool,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            fields: Vec::new(),
            options: GraphOptions::default(),
            properties: None,
            max_nodes_interactive: MAX_NODES_INTERACTIVE,
            cluster_24: false,
        }
    }
}

impl GraphConfig {
    /// The properties in force: the file's (or defaults) plus the /24 clustering shortcut.
    pub fn effective_properties(&self) -> Properties {
        let mut p = self.properties.as_ref().map(|(_, p)| p.clone()).unwrap_or_default();
        if self.cluster_24 {
            if let Ok(extra) = Properties::parse(CLUSTER_24_RULES) {
                p.cluster.source.extend(extra.cluster.source);
                p.cluster.target.extend(extra.cluster.target);
            }
        }
        p
    }

    pub fn three_node(&self) -> bool {
        self.fields.len() >= 3
    }

    /// Hash of everything that changes the built graph (not the layout limits).
    fn hash_into(&self, h: &mut DefaultHasher) {
        self.fields.hash(h);
        format!("{:?}", self.options).hash(h);
        // Debug text so a reload of the same path with new content still changes the hash.
        self.properties.as_ref().map(|(p, props)| format!("{p:?}{props:?}")).hash(h);
        self.cluster_24.hash(h);
    }
}

/// Signature of the configuration and the tuple fields: with the tuples themselves (compared by
/// `TupleSet::same_as`), the view rebuilds only when one of them changes.
pub fn config_hash(config: &GraphConfig, fields: &[String]) -> u64 {
    let mut h = DefaultHasher::new();
    config.hash_into(&mut h);
    fields.hash(&mut h);
    h.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeShape {
    Ellipse,
    Box,
    Circle,
    Triangle,
    Diamond,
}

impl NodeShape {
    pub fn from_afterglow(s: &str) -> NodeShape {
        match s {
            "box" | "rect" | "rectangle" | "square" | "Mrecord" | "record" | "plaintext" => NodeShape::Box,
            "circle" | "doublecircle" | "point" => NodeShape::Circle,
            "triangle" | "invtriangle" => NodeShape::Triangle,
            "diamond" => NodeShape::Diamond,
            _ => NodeShape::Ellipse,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ViewNode {
    pub id: String,
    pub label: String,
    pub node_type: NodeType,
    /// Records (exact) or summed tuple counts (approximate mode).
    pub count: i64,
    pub color: Color32,
    /// AfterGlow colour text ("red", "#ff0000").
    pub color_name: String,
    /// Relative size in [0.1, 1]: AfterGlow size / max size when size rules apply, else by log(count).
    pub size: f32,
    pub shape: NodeShape,
    /// Index in [`ViewGraph::link`].
    pub index: NodeIndex,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ViewEdge {
    /// Node list positions (not petgraph indices).
    pub a: usize,
    pub b: usize,
    pub count: i64,
    pub color: Color32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// "source", "event", "target", "sourcetarget", "edge", or several joined with "/".
    pub role: String,
    /// The rule text (or "default").
    pub text: String,
    pub color: Option<Color32>,
}

/// What the view draws and selects on.
#[derive(Debug, Clone)]
pub struct ViewGraph {
    pub nodes: Vec<ViewNode>,
    pub edges: Vec<ViewEdge>,
    pub link: LinkGraph,
    /// The fields the tuples were built from (source, [event,] target).
    pub fields: Vec<String>,
    /// Original tuple values, by tuple index (= AfterGlow row index).
    pub tuples: Vec<Vec<String>>,
    pub total_records: i64,
    /// True when counts were summed from tuples rather than built per record (see module docs).
    pub approximate_counts: bool,
    pub legend: Vec<LegendEntry>,
    /// node id -> position in `nodes`.
    pub by_id: HashMap<String, usize>,
    props: Properties,
    options: GraphOptions,
}

/// Colour from an AfterGlow colour value (X11/Graphviz name, `#rrggbb[aa]`, or a value AfterGlow
/// accepts by its substring rule, drawn as the list colour it matched); other values are grey.
pub fn afterglow_color(name: &str) -> Color32 {
    match crate::graph::colors::color_rgba(name) {
        Some([r, g, b, a]) => Color32::from_rgba_unmultiplied(r, g, b, a),
        None => Color32::GRAY,
    }
}

/// Builds the graph from crossfiltered tuples. `fields` names the tuple columns; the first
/// `config.fields.len()` columns are used (source, [event,] target).
pub fn build_view_graph(
    config: &GraphConfig,
    fields: &[String],
    tuples: &[(Vec<String>, i64)],
) -> Result<ViewGraph, String> {
    let needed = if config.three_node() { 3 } else { 2 };
    if fields.len() < needed {
        return Err(format!("need {needed} fields, got {}", fields.len()));
    }
    let props = config.effective_properties();
    let mut options = config.options.clone();
    options.three_node = needed == 3;
    let total_records: i64 = tuples.iter().map(|(_, n)| (*n).max(0)).sum();
    let o = &options;
    let count_sensitive = o.omit_threshold > 0
        || o.source_threshold > 0
        || o.event_threshold > 0
        || o.target_threshold > 0
        || props.threshold.is_some_and(|t| t > 0)
        || props.threshold_source.is_some_and(|t| t > 0)
        || props.threshold_event.is_some_and(|t| t > 0)
        || props.threshold_target.is_some_and(|t| t > 0)
        || props.has_size_rules()
        || o.size_by_count
        || o.node_count_in_label;
    let expand = count_sensitive && total_records <= EXPAND_LIMIT;
    let rows = tuples.iter().enumerate().flat_map(move |(i, (vals, n))| {
        let times = if expand { (*n).max(0) as usize } else { 1 };
        std::iter::repeat_n((i as u32, vals.clone()), times)
    });
    let mut link = build_graph(rows, &props, &options).map_err(|e| e.to_string())?;
    if !expand {
        let namer = Namer { props: &props, options: &options, cache: Default::default() };
        let weight = |r: u32| tuples.get(r as usize).map(|(_, n)| (*n).max(0) as usize).unwrap_or(0);
        for w in link.graph.node_weights_mut() {
            // Only the rows where the node plays its drawn role (a source that is also a target is
            // counted as a source, like AfterGlow).
            let slot = match w.node_type {
                NodeType::Source | NodeType::SourceTarget => 0,
                NodeType::Event => 1,
                NodeType::Target => 2,
            };
            w.count = w
                .rows
                .iter()
                .filter(|&&r| tuples.get(r as usize).is_some_and(|(v, _)| namer.names(v)[slot] == w.id))
                .map(|&r| weight(r))
                .sum();
        }
        for w in link.graph.edge_weights_mut() {
            w.count = w.rows.iter().map(|&r| weight(r)).sum();
        }
    }
    let mut nodes = Vec::with_capacity(link.graph.node_count());
    let mut by_id = HashMap::new();
    let mut pos_of = HashMap::new();
    let max_count = link.graph.node_weights().map(|n| n.count).max().unwrap_or(1).max(1) as f32;
    let max_size = link.max_node_size.max(f32::EPSILON);
    for ni in link.graph.node_indices() {
        let Some(n) = link.graph.node_weight(ni) else {
            continue;
        };
        let size = match n.size {
            Some(s) => (s / max_size).clamp(0.1, 1.0),
            None => (0.3 + 0.7 * (1.0 + n.count as f32).ln() / (1.0 + max_count).ln()).clamp(0.1, 1.0),
        };
        pos_of.insert(ni, nodes.len());
        by_id.insert(n.id.clone(), nodes.len());
        nodes.push(ViewNode {
            id: n.id.clone(),
            label: n.label.clone(),
            node_type: n.node_type,
            count: n.count as i64,
            color: afterglow_color(&n.color),
            color_name: n.color.clone(),
            size,
            shape: NodeShape::from_afterglow(&n.shape),
            index: ni,
        });
    }
    let mut edges = Vec::with_capacity(link.graph.edge_count());
    for e in link.graph.edge_references() {
        let (Some(&a), Some(&b)) = (pos_of.get(&e.source()), pos_of.get(&e.target())) else {
            continue;
        };
        let w = e.weight();
        edges.push(ViewEdge {
            a,
            b,
            count: w.count as i64,
            color: w.color.as_deref().map(afterglow_color).unwrap_or(Color32::from_gray(140)),
        });
    }
    let legend = legend(&props, config.properties.is_some() || config.cluster_24, needed == 3, &nodes);
    Ok(ViewGraph {
        nodes,
        edges,
        link,
        fields: fields[..needed].to_vec(),
        tuples: tuples.iter().map(|(v, _)| v.clone()).collect(),
        total_records,
        approximate_counts: count_sensitive && !expand,
        legend,
        by_id,
        props,
        options,
    })
}

/// First quoted AfterGlow colour in a rule's text (`"yellow" if (...)`), or the text itself if it is one.
fn rule_color(text: &str) -> Option<Color32> {
    use crate::graph::colors;
    let is_color = |s: &str| colors::color_rgba(s).is_some();
    let t = text.trim().trim_matches('"');
    // The whole text only counts as an exact name: as a regex it could match a list entry by accident.
    if colors::x11_rgb(t).is_some() || colors::hex_rgba(t).is_some() {
        return Some(afterglow_color(t));
    }
    text.split('"').skip(1).step_by(2).find(|s| is_color(s)).map(afterglow_color)
}

/// The colour rules in force (file order, per role; generic rules appear once for all roles), or,
/// with none, the colours the nodes are drawn in.
pub fn legend(props: &Properties, has_file: bool, three_node: bool, nodes: &[ViewNode]) -> Vec<LegendEntry> {
    if !has_file
        || (props.color.source.is_empty()
            && props.color.event.is_empty()
            && props.color.target.is_empty()
            && props.color.sourcetarget.is_empty())
    {
        return uncoloured_legend(nodes, three_node);
    }
    let mut out: Vec<LegendEntry> = Vec::new();
    let sets: [(&str, &Vec<Rule>); 5] = [
        ("source", &props.color.source),
        ("event", &props.color.event),
        ("target", &props.color.target),
        ("sourcetarget", &props.color.sourcetarget),
        ("edge", &props.color.edge),
    ];
    // Generic `color=` rules are pushed onto every role list with the same line: show them once.
    let mut seen: HashMap<(usize, String), usize> = HashMap::new();
    for (role, rules) in sets {
        if role == "event" && !three_node {
            continue;
        }
        for r in rules {
            let key = (r.line, r.text.clone());
            if let Some(&i) = seen.get(&key) {
                out[i].role.push('/');
                out[i].role.push_str(role);
                continue;
            }
            seen.insert(key, out.len());
            out.push(LegendEntry { role: role.into(), text: r.text.clone(), color: rule_color(&r.text) });
        }
    }
    out
}

/// Without colour rules AfterGlow gives every node one palette colour (its getColor answers undef,
/// which it then indexes like a category: "antiquewhite"); its white, cyan and red are only for a
/// node whose rules answer nothing. The legend said white, cyan and red over antiquewhite nodes: it
/// now names each role's colours as the nodes have them, roles drawn alike in one entry.
fn uncoloured_legend(nodes: &[ViewNode], three_node: bool) -> Vec<LegendEntry> {
    use NodeType::{Event, Source, SourceTarget, Target};
    let roles: [(&str, &[NodeType]); 3] =
        [("source", &[Source, SourceTarget]), ("event", &[Event]), ("target", &[Target, SourceTarget])];
    let mut out: Vec<LegendEntry> = Vec::new();
    for (role, types) in roles {
        if role == "event" && !three_node {
            continue;
        }
        let mut names: Vec<&str> =
            nodes.iter().filter(|n| types.contains(&n.node_type)).map(|n| n.color_name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let text = format!("no colour rule ({name})");
            match out.iter_mut().find(|e| e.text == text) {
                Some(e) => {
                    e.role.push('/');
                    e.role.push_str(role);
                }
                None => out.push(LegendEntry { role: role.into(), text, color: Some(afterglow_color(name)) }),
            }
        }
    }
    out
}

/// The role positions a node of `node_type` stands for.
fn roles_of(t: NodeType) -> &'static [Role] {
    match t {
        NodeType::Source => &[Role::Source],
        NodeType::Event => &[Role::Event],
        NodeType::Target => &[Role::Target],
        NodeType::SourceTarget => &[Role::Source, Role::Target],
    }
}

/// Per-row node names, replicating build.rs's clustering and naming (cluster rules see the
/// original fields; generic `cluster=` first, then per type).
struct Namer<'a> {
    props: &'a Properties,
    options: &'a GraphOptions,
    cache: std::cell::RefCell<HashMap<String, Option<regex::Regex>>>,
}

impl Namer<'_> {
    fn cluster(&self, value: &str, rules: &[Rule], role: Role, orig: &[String]) -> String {
        if rules.is_empty() {
            return value.to_string();
        }
        let counts = |_: CountMap, _: CountMap| 0.0;
        let mut ctx = EvalCtx::new(
            orig.to_vec(),
            role,
            !self.options.three_node,
            value.to_string(),
            &self.props.variables,
            &counts,
            &self.cache,
        );
        for r in rules {
            let v = r.program.eval(&mut ctx);
            if v.truthy() {
                return v.to_str();
            }
        }
        value.to_string()
    }

    /// (source name, event name, target name) of one row as build_graph names them.
    fn names(&self, orig: &[String]) -> [String; 3] {
        let p = self.props;
        let two = !self.options.three_node;
        let get = |i: usize| orig.get(i).cloned().unwrap_or_default();
        let mut s = get(0);
        let (mut e, mut t) = if two { (String::new(), get(1)) } else { (get(1), get(2)) };
        if !p.cluster_all.is_empty() {
            s = self.cluster(&s, &p.cluster_all, Role::Source, orig);
            t = self.cluster(&t, &p.cluster_all, Role::Target, orig);
            if !two {
                e = self.cluster(&e, &p.cluster_all, Role::Event, orig);
            }
        }
        s = self.cluster(&s, &p.cluster.source, Role::Source, orig);
        if !two {
            e = self.cluster(&e, &p.cluster.event, Role::Event, orig);
        }
        t = self.cluster(&t, &p.cluster.target, Role::Target, orig);
        let (sn, tn) = if self.options.split_source_target {
            (format!("S:{s}"), format!("T:{t}"))
        } else {
            (s.clone(), t.clone())
        };
        let en = match self.options.split_mode {
            1 => format!("{s} {e}"),
            2 => format!("{e} {t}"),
            3 => format!("{s} {e} {t}"),
            _ => e,
        };
        [sn, en, tn]
    }
}

impl ViewGraph {
    fn namer(&self) -> Namer<'_> {
        Namer { props: &self.props, options: &self.options, cache: Default::default() }
    }

    fn eq(&self, pos: usize, orig: &[String]) -> Option<Pred> {
        Some(Pred::Eq { field: self.fields.get(pos)?.clone(), value: orig.get(pos)?.clone() })
    }

    /// Predicates on ORIGINAL values that make a record produce `role`'s node name in this row.
    fn role_preds(&self, role: Role, orig: &[String]) -> Vec<Pred> {
        let last = self.fields.len().saturating_sub(1);
        let positions: &[usize] = match role {
            Role::Source | Role::SourceTarget => &[0],
            Role::Target => &[last],
            Role::Event => match self.options.split_mode {
                1 => &[0, 1],
                2 => &[1, 2],
                3 => &[0, 1, 2],
                _ => &[1],
            },
            Role::Edge => &[],
        };
        positions.iter().filter_map(|p| self.eq(*p, orig)).collect()
    }

    fn slot(role: Role) -> usize {
        match role {
            Role::Event => 1,
            Role::Target => 2,
            _ => 0,
        }
    }

    /// Conjunctions (deduplicated, first-seen order) for one node.
    fn node_conjunctions(&self, node: usize, namer: &Namer, out: &mut Vec<Vec<Pred>>) {
        let Some(vn) = self.nodes.get(node) else {
            return;
        };
        let Some(n) = self.link.graph.node_weight(vn.index) else {
            return;
        };
        let before = out.len();
        for &row in &n.rows {
            let Some(orig) = self.tuples.get(row as usize) else {
                continue;
            };
            let names = namer.names(orig);
            for &role in roles_of(n.node_type) {
                if role == Role::Event && !self.options.three_node {
                    continue;
                }
                if names[Self::slot(role)] == n.id {
                    push_unique(out, self.role_preds(role, orig));
                }
            }
        }
        if out.len() == before {
            // Should not happen (names are replicated from build.rs); fall back to the node's value.
            let last = self.fields.len().saturating_sub(1);
            let pos = match n.node_type {
                NodeType::Source | NodeType::SourceTarget => 0,
                NodeType::Event => 1,
                NodeType::Target => last,
            };
            if let Some(f) = self.fields.get(pos) {
                push_unique(out, vec![Pred::Eq { field: f.clone(), value: n.id.clone() }]);
            }
        }
    }

    /// The clause for a selection of nodes and edges (positions in `nodes` / `edges`); None if empty.
    pub fn selection_clause(&self, nodes: &[usize], edges: &[usize]) -> Option<Clause> {
        let namer = self.namer();
        let mut any_of = Vec::new();
        for &n in nodes {
            self.node_conjunctions(n, &namer, &mut any_of);
        }
        for &e in edges {
            self.edge_conjunctions(e, &namer, &mut any_of);
        }
        if any_of.is_empty() {
            None
        } else {
            Some(Clause::Match { any_of, negate: false })
        }
    }

    fn edge_conjunctions(&self, edge: usize, namer: &Namer, out: &mut Vec<Vec<Pred>>) {
        let Some(ve) = self.edges.get(edge) else {
            return;
        };
        let (Some(a), Some(b)) = (self.nodes.get(ve.a), self.nodes.get(ve.b)) else {
            return;
        };
        let Some(ei) = self.link.graph.find_edge(a.index, b.index) else {
            return;
        };
        let Some(e) = self.link.graph.edge_weight(ei) else {
            return;
        };
        let pairs: &[(Role, Role)] = if self.options.three_node {
            &[(Role::Source, Role::Event), (Role::Event, Role::Target)]
        } else {
            &[(Role::Source, Role::Target)]
        };
        for &row in &e.rows {
            let Some(orig) = self.tuples.get(row as usize) else {
                continue;
            };
            let names = namer.names(orig);
            for &(ra, rb) in pairs {
                if names[Self::slot(ra)] == a.id && names[Self::slot(rb)] == b.id {
                    let mut conj = self.role_preds(ra, orig);
                    for p in self.role_preds(rb, orig) {
                        if !conj.contains(&p) {
                            conj.push(p);
                        }
                    }
                    push_unique(out, conj);
                }
            }
        }
    }

    /// Neighbours (positions in `nodes`) of every node, for hover highlighting.
    pub fn adjacency(&self) -> Vec<Vec<usize>> {
        let mut adj = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            if let Some(v) = adj.get_mut(e.a) {
                v.push(e.b);
            }
            if let Some(v) = adj.get_mut(e.b) {
                v.push(e.a);
            }
        }
        adj
    }

    /// Field a node's value belongs to (for hover): source/sourcetarget -> first, event -> second,
    /// target -> last.
    pub fn node_field(&self, node: usize) -> Option<&str> {
        let n = self.nodes.get(node)?;
        let last = self.fields.len().checked_sub(1)?;
        let pos = match n.node_type {
            NodeType::Source | NodeType::SourceTarget => 0,
            NodeType::Event => 1,
            NodeType::Target => last,
        };
        self.fields.get(pos).map(String::as_str)
    }

    /// Nodes whose predicates are all satisfied by some conjunction of `clause` (own selection shown
    /// highlighted after a rebuild). Matches by field + value on the node's own value.
    pub fn nodes_in_clause(&self, clause: &Clause) -> HashSet<usize> {
        let Clause::Match { any_of, negate: false } = clause else {
            return HashSet::new();
        };
        let mut out = HashSet::new();
        for (i, _) in self.nodes.iter().enumerate() {
            let Some(field) = self.node_field(i) else {
                continue;
            };
            let value = &self.nodes[i].id;
            let hit = any_of.iter().any(|conj| {
                conj.iter().any(|p| matches!(p, Pred::Eq { field: f, value: v } if f == field && v == value))
            });
            if hit {
                out.insert(i);
            }
        }
        out
    }

    /// Edges as (a, b, weight) for the force layout (weight = log-scaled record count).
    pub fn layout_edges(&self) -> Vec<(u32, u32, f32)> {
        self.edges.iter().map(|e| (e.a as u32, e.b as u32, 1.0 + (e.count.max(1) as f32).ln())).collect()
    }

    /// Too large to lay out interactively.
    pub fn too_large(&self, max_nodes: usize) -> bool {
        self.nodes.len() > max_nodes || self.edges.len() > MAX_EDGES_INTERACTIVE
    }
}

fn push_unique(out: &mut Vec<Vec<Pred>>, conj: Vec<Pred>) {
    if !conj.is_empty() && !out.contains(&conj) {
        out.push(conj);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn cfg(fields: &[&str]) -> GraphConfig {
        GraphConfig { fields: s(fields), ..Default::default() }
    }

    fn eq(f: &str, v: &str) -> Pred {
        Pred::Eq { field: f.into(), value: v.into() }
    }

    fn two_node_tuples() -> (Vec<String>, Vec<(Vec<String>, i64)>) {
        (
            s(&["src_ip", "dst_ip"]),
            vec![
                (s(&["10.0.0.1", "10.0.0.9"]), 5),
                (s(&["10.0.0.2", "10.0.0.9"]), 2),
                (s(&["10.0.0.9", "8.8.8.8"]), 1),
            ],
        )
    }

    #[test]
    fn counts_exact_when_expanded() {
        let (f, t) = two_node_tuples();
        let g = build_view_graph(&cfg(&["src_ip", "dst_ip"]), &f, &t).unwrap();
        assert!(!g.approximate_counts);
        assert_eq!(g.total_records, 8);
        assert_eq!(g.nodes.len(), 4);
        assert_eq!(g.edges.len(), 3);
        let n = |id: &str| &g.nodes[g.by_id[id]];
        assert_eq!(n("10.0.0.1").count, 5);
        // 10.0.0.9 is target of 7 records and source of 1: drawn as sourcetarget with its source count.
        assert_eq!(n("10.0.0.9").node_type, NodeType::SourceTarget);
        assert_eq!(n("10.0.0.9").count, 1);
        assert_eq!(n("8.8.8.8").node_type, NodeType::Target);
        let e = g.edges.iter().find(|e| g.nodes[e.a].id == "10.0.0.1").unwrap();
        assert_eq!(e.count, 5);
        // Thresholds count records: omit threshold 4 keeps only 10.0.0.1 -> 10.0.0.9 (source count 5 > 4,
        // target count 7 > 4).
        let mut c = cfg(&["src_ip", "dst_ip"]);
        c.options.omit_threshold = 4;
        let g = build_view_graph(&c, &f, &t).unwrap();
        assert_eq!(g.edges.len(), 1);
        assert_eq!(g.nodes.len(), 2);
    }

    #[test]
    fn counts_summed_from_tuples() {
        let f = s(&["src_ip", "dst_ip"]);
        let t = vec![
            (s(&["a", "x"]), 150_000),
            (s(&["b", "x"]), 60_000),
            (s(&["a", "y"]), 7),
            (s(&["x", "z"]), 5),
        ];
        // No count-sensitive option: one row per tuple, counts exact.
        let g = build_view_graph(&cfg(&["src_ip", "dst_ip"]), &f, &t).unwrap();
        assert!(!g.approximate_counts);
        let n = |id: &str| g.nodes[g.by_id[id]].count;
        assert_eq!(n("x"), 5, "sourcetarget counts its source records");
        assert_eq!(n("z"), 5);
        // With a threshold and > EXPAND_LIMIT records: thresholds see tuples, counts are summed.
        let mut c = cfg(&["src_ip", "dst_ip"]);
        c.options.target_threshold = 1;
        let g = build_view_graph(&c, &f, &t).unwrap();
        assert!(g.approximate_counts);
        assert_eq!(g.total_records, 210_012);
        let n = |id: &str| &g.nodes[g.by_id[id]];
        assert_eq!(n("a").count, 150_007);
        // x is a target of 2 distinct tuples (> 1): kept; y and z (1 tuple each) are dropped. x is still
        // drawn as a source-and-target node with its source records, like AfterGlow.
        assert_eq!(n("x").count, 5);
        assert_eq!(n("x").node_type, NodeType::SourceTarget);
        assert!(!g.by_id.contains_key("y") && !g.by_id.contains_key("z"));
        assert_eq!(g.edges.len(), 2);
        let e = g.edges.iter().find(|e| g.nodes[e.a].id == "b").unwrap();
        assert_eq!(e.count, 60_000);
    }

    #[test]
    fn clauses_for_source_event_target_nodes() {
        let f = s(&["src_ip", "dst_port", "dst_ip"]);
        let t = vec![
            (s(&["10.0.0.1", "80", "192.168.0.1"]), 3),
            (s(&["10.0.0.1", "443", "192.168.0.1"]), 1),
            (s(&["192.168.0.1", "53", "10.0.0.9"]), 2),
        ];
        let g = build_view_graph(&cfg(&["src_ip", "dst_port", "dst_ip"]), &f, &t).unwrap();
        let i = |id: &str| g.by_id[id];
        assert_eq!(
            g.selection_clause(&[i("10.0.0.1")], &[]),
            Some(Clause::Match { any_of: vec![vec![eq("src_ip", "10.0.0.1")]], negate: false })
        );
        assert_eq!(
            g.selection_clause(&[i("80"), i("10.0.0.9")], &[]),
            Some(Clause::Match {
                any_of: vec![vec![eq("dst_port", "80")], vec![eq("dst_ip", "10.0.0.9")]],
                negate: false
            })
        );
        assert_eq!(g.nodes[i("192.168.0.1")].node_type, NodeType::SourceTarget);
        assert_eq!(
            g.selection_clause(&[i("192.168.0.1")], &[]),
            Some(Clause::Match {
                any_of: vec![vec![eq("dst_ip", "192.168.0.1")], vec![eq("src_ip", "192.168.0.1")]],
                negate: false
            })
        );
        assert_eq!(g.selection_clause(&[], &[]), None);
        assert_eq!(g.node_field(i("443")), Some("dst_port"));
    }

    #[test]
    fn clause_for_edges() {
        let f = s(&["src_ip", "dst_port", "dst_ip"]);
        let t = vec![(s(&["10.0.0.1", "80", "192.168.0.1"]), 3), (s(&["10.0.0.2", "80", "192.168.0.1"]), 1)];
        let g = build_view_graph(&cfg(&["src_ip", "dst_port", "dst_ip"]), &f, &t).unwrap();
        let se = g.edges.iter().position(|e| g.nodes[e.a].id == "10.0.0.1").unwrap();
        let et = g.edges.iter().position(|e| g.nodes[e.a].id == "80").unwrap();
        assert_eq!(
            g.selection_clause(&[], &[se, et]),
            Some(Clause::Match {
                any_of: vec![
                    vec![eq("src_ip", "10.0.0.1"), eq("dst_port", "80")],
                    vec![eq("dst_port", "80"), eq("dst_ip", "192.168.0.1")],
                ],
                negate: false
            })
        );
        // Two-node edge.
        let f2 = s(&["src_ip", "dst_ip"]);
        let t2 = vec![(s(&["a", "b"]), 1)];
        let g2 = build_view_graph(&cfg(&["src_ip", "dst_ip"]), &f2, &t2).unwrap();
        assert_eq!(
            g2.selection_clause(&[], &[0]),
            Some(Clause::Match { any_of: vec![vec![eq("src_ip", "a"), eq("dst_ip", "b")]], negate: false })
        );
    }

    #[test]
    fn cluster_nodes_map_back_to_original_values() {
        let f = s(&["src_ip", "dst_ip"]);
        let t = vec![
            (s(&["10.1.2.3", "8.8.8.8"]), 4),
            (s(&["10.1.2.77", "8.8.8.8"]), 1),
            (s(&["10.1.3.1", "8.8.4.4"]), 1),
            (s(&["host-a", "10.1.2.5"]), 2),
        ];
        let mut c = cfg(&["src_ip", "dst_ip"]);
        c.cluster_24 = true;
        let g = build_view_graph(&c, &f, &t).unwrap();
        let mut ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["10.1.2/24", "10.1.3/24", "8.8.4/24", "8.8.8/24", "host-a"]);
        let n = g.by_id["10.1.2/24"];
        assert_eq!(g.nodes[n].node_type, NodeType::SourceTarget);
        assert_eq!(g.nodes[n].count, 5);
        assert_eq!(
            g.selection_clause(&[n], &[]),
            Some(Clause::Match {
                any_of: vec![
                    vec![eq("src_ip", "10.1.2.3")],
                    vec![eq("src_ip", "10.1.2.77")],
                    vec![eq("dst_ip", "10.1.2.5")],
                ],
                negate: false
            })
        );
        // A /24 target node stands for its original addresses only (not the sources in the same rows).
        assert_eq!(
            g.selection_clause(&[g.by_id["8.8.8/24"]], &[]),
            Some(Clause::Match { any_of: vec![vec![eq("dst_ip", "8.8.8.8")]], negate: false })
        );
        // Non-address values are left alone.
        assert_eq!(
            g.selection_clause(&[g.by_id["host-a"]], &[]),
            Some(Clause::Match { any_of: vec![vec![eq("src_ip", "host-a")]], negate: false })
        );
    }

    #[test]
    fn legend_defaults_and_rules() {
        let (f, t) = two_node_tuples();
        let g = build_view_graph(&cfg(&["src_ip", "dst_ip"]), &f, &t).unwrap();
        // No colour rules: AfterGlow's one palette colour for every node, and the legend says so.
        assert_eq!(g.legend.len(), 1, "{:?}", g.legend);
        assert_eq!(g.legend[0].role, "source/target");
        assert_eq!(g.legend[0].text, "no colour rule (antiquewhite)");
        assert_eq!(g.legend[0].color, Some(Color32::from_rgb(250, 235, 215)));
        assert!(g.nodes.iter().all(|n| Some(n.color) == g.legend[0].color));
        let p = Properties::parse(
            "color.source=\"red\" if ($fields[0] =~ /^10\\./)\ncolor.source=\"#00ff00\"\ncolor=\"blue\"\n",
        )
        .unwrap();
        let mut c = cfg(&["src_ip", "dst_ip"]);
        c.properties = Some((PathBuf::from("x.properties"), p));
        let g = build_view_graph(&c, &f, &t).unwrap();
        let texts: Vec<(&str, &str)> = g.legend.iter().map(|l| (l.role.as_str(), l.text.as_str())).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert_eq!(g.legend[0].color, Some(Color32::from_rgb(255, 0, 0)));
        assert_eq!(g.legend[1].color, Some(Color32::from_rgb(0, 255, 0)));
        assert!(g.legend[2].text.contains("blue"));
        assert!(g.legend[2].role.contains("target"));
        assert_eq!(g.nodes[g.by_id["10.0.0.1"]].color, Color32::from_rgb(255, 0, 0));
        // AfterGlow's sample file says "yellow", a colour AfterGlow accepts (inside "greenyellow"): the
        // legend and the nodes show yellow, not a palette category.
        let p = Properties::parse(
            "color.source=\"yellow\" if ($fields[0] =~ /^10\\./)\ncolor.target=\"80\" if (1)",
        )
        .unwrap();
        c.properties = Some((PathBuf::from("y.properties"), p));
        let g = build_view_graph(&c, &f, &t).unwrap();
        assert_eq!(g.legend[0].color, Some(Color32::from_rgb(255, 255, 0)));
        assert_eq!(g.nodes[g.by_id["10.0.0.1"]].color, Color32::from_rgb(255, 255, 0));
        assert_eq!(g.nodes[g.by_id["10.0.0.1"]].color_name, "yellow");
        // "80" is a colour to AfterGlow (inside "gray80") and drawn as that list colour.
        assert_eq!(g.legend[1].color, Some(Color32::from_rgb(204, 204, 204)));
    }

    #[test]
    fn garbage_never_panics() {
        let f = s(&["a", "b", "c"]);
        let t = vec![(vec![], 3), (s(&["\u{0}", ""]), -5), (s(&["x", "y", "z", "w"]), 1)];
        let g = build_view_graph(&cfg(&["a", "b", "c"]), &f, &t).unwrap();
        for i in 0..g.nodes.len() {
            let _ = g.selection_clause(&[i], &[]);
        }
        for i in 0..g.edges.len() {
            let _ = g.selection_clause(&[], &[i]);
        }
        assert!(build_view_graph(&cfg(&["a", "b", "c"]), &s(&["a"]), &t).is_err());
        let _ = g.selection_clause(&[999], &[999]);
    }

    #[test]
    #[ignore]
    fn bench_build_200k_records() {
        // 20k distinct (src, port, dst) tuples, 10 records each = 200k records (expanded, exact), then
        // the same tuples at 11 records each (approximate path).
        let f = s(&["src_ip", "dst_port", "dst_ip"]);
        let mk = |n: i64| -> Vec<(Vec<String>, i64)> {
            (0..20_000u32)
                .map(|i| {
                    let v = vec![
                        format!("10.0.{}.{}", i % 50, i % 200),
                        format!("{}", [22, 80, 443, 53, 8080][i as usize % 5]),
                        format!("192.168.{}.{}", i % 7, i % 100),
                    ];
                    (v, n)
                })
                .collect()
        };
        let mut c = cfg(&["src_ip", "dst_port", "dst_ip"]);
        let t = mk(10);
        let t0 = std::time::Instant::now();
        let g = build_view_graph(&c, &f, &t).unwrap();
        println!(
            "no thresholds, 20k tuples once: {} nodes in {:.0} ms",
            g.nodes.len(),
            t0.elapsed().as_secs_f64() * 1e3
        );
        c.options.omit_threshold = 1;
        for n in [10, 11] {
            let t = mk(n);
            let t0 = std::time::Instant::now();
            let g = build_view_graph(&c, &f, &t).unwrap();
            println!(
                "{} records / {} tuples: {} nodes {} edges, approximate={} in {:.0} ms",
                g.total_records,
                t.len(),
                g.nodes.len(),
                g.edges.len(),
                g.approximate_counts,
                t0.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}
