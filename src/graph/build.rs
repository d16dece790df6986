//! Builds AfterGlow's link graph (petgraph) from rows of fields, following afterglow.pl 1.6.6:
//! clustering, invisible records, node naming/splitting (`-s`, `-p`), counts, colors, labels, sizes,
//! omit/per-type thresholds (`-o`, `threshold.*`), fan-out filters (`-f`, `-g`) and edge attributes.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use petgraph::stable_graph::{NodeIndex, StableGraph};
use regex::Regex;
use thiserror::Error;

use super::colors;
use super::expr::{CountMap, EvalCtx, Role, Value};
use super::properties::{Properties, Rule};

/// AfterGlow's version string, used in the graph caption.
pub const AFTERGLOW_VERSION: &str = "1.6.6";

pub use super::colors::{AFTERGLOW_COLORS, INVISIBLE};

/// Errors that stop a build (bad options). Bad rows never stop a build; they are counted in [`BuildStats`].
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GraphError {
    #[error("event node split mode must be 0..=3, got {0}")]
    BadSplitMode(u8),
    #[error("maximum node size must be positive, got {0}")]
    BadMaxNodeSize(f32),
}

/// Build options, mirroring afterglow.pl's command line. Property-file values (`threshold=`,
/// `maxnodesize=`, ...) override these, because afterglow.pl reads the file after the options.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphOptions {
    /// false = two-node mode (`-t`): source > target.
    pub three_node: bool,
    /// `-p`: 0 one event node per value, 1 per source+event, 2 per event+target, 3 per source+event+target.
    pub split_mode: u8,
    /// `-s`: separate source and target nodes even for equal values ("S:x" / "T:x").
    pub split_source_target: bool,
    /// `-o`: nodes must occur MORE than this many times (per their role) to be drawn.
    pub omit_threshold: usize,
    pub source_threshold: usize,
    pub event_threshold: usize,
    pub target_threshold: usize,
    /// `-f`: source nodes need a fan-out (distinct events, or targets in two-node mode) above this; 0 = off.
    pub source_fan_out: usize,
    /// `-g`: event nodes need a fan-out (distinct targets) above this; 0 = off.
    pub event_fan_out: usize,
    /// `-m`: largest node size after scaling (AfterGlow default 0.2).
    pub max_node_size: f32,
    /// Edge label from this (post-clustering) field; overrides `label.edge` rules.
    pub edge_label_field: Option<usize>,
    /// One edge per distinct label instead of one edge carrying all labels.
    pub split_edges_by_label: bool,
    /// `-n` turns labels off when false.
    pub node_labels: bool,
    /// `-d`: append " : count" to labels.
    pub node_count_in_label: bool,
    /// Size nodes by occurrence count where no `size.*` rule exists (like `size.x=$xCount{$xName}`).
    pub size_by_count: bool,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            three_node: true,
            split_mode: 0,
            split_source_target: false,
            omit_threshold: 0,
            source_threshold: 0,
            event_threshold: 0,
            target_threshold: 0,
            source_fan_out: 0,
            event_fan_out: 0,
            max_node_size: 0.2,
            edge_label_field: None,
            split_edges_by_label: false,
            node_labels: true,
            node_count_in_label: false,
            size_by_count: false,
        }
    }
}

/// How a node is drawn: the role whose attributes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeType {
    Source,
    Event,
    Target,
    /// Drawn as a source that is also a target (colored by `color.sourcetarget` when defined).
    SourceTarget,
}

impl NodeType {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::Source => "source",
            NodeType::Event => "event",
            NodeType::Target => "target",
            NodeType::SourceTarget => "sourcetarget",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique name (AfterGlow's node name without its surrounding quotes).
    pub id: String,
    pub label: String,
    pub node_type: NodeType,
    /// Occurrences in the role the node is drawn as.
    pub count: usize,
    pub color: String,
    /// Scaled size (width = height), only when size rules apply to the node's role.
    pub size: Option<f32>,
    pub shape: String,
    /// `url=` with graphviz's `\N` replaced by the node id.
    pub url: Option<String>,
    /// Indices of the rows that produced this node (ascending, unique).
    pub rows: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub count: usize,
    pub color: Option<String>,
    /// Pen width from `size.edge` (absolute, unscaled).
    pub size: Option<f32>,
    /// First label (what AfterGlow's DOT output shows).
    pub label: Option<String>,
    /// All distinct labels in first-seen order.
    pub labels: Vec<String>,
    pub rows: Vec<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildStats {
    pub rows: usize,
    /// Rows with fewer fields than the mode needs (missing fields are taken as empty, like Perl's undef).
    pub short_rows: usize,
    pub invisible_rows: usize,
    pub links: usize,
    pub links_drawn: usize,
    pub names: usize,
}

#[derive(Debug, Clone)]
pub struct LinkGraph {
    pub graph: StableGraph<Node, Edge>,
    pub index: HashMap<String, NodeIndex>,
    pub three_node: bool,
    /// `url=` template (with `\N`) for DOT's global node attributes.
    pub url_template: Option<String>,
    /// AfterGlow's graph caption, e.g. "AfterGlow 1.6.6 - Split Mode: 1".
    pub caption: String,
    pub max_node_size: f32,
    pub xlabels: bool,
    pub concentrate: bool,
    pub stats: BuildStats,
}

/// Which property rules to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Color,
    Size,
    Label,
    Cluster,
}

fn rules_for(props: &Properties, kind: RuleKind, role: Role) -> &[Rule] {
    let set = match kind {
        RuleKind::Color => &props.color,
        RuleKind::Size => &props.size,
        RuleKind::Label => &props.label,
        RuleKind::Cluster => &props.cluster,
    };
    match role {
        Role::Source => &set.source,
        Role::Event => &set.event,
        Role::Target => &set.target,
        Role::SourceTarget => &set.sourcetarget,
        Role::Edge => &set.edge,
    }
}

/// `$globalField` for a role, as set by getColor/getSize/getLabel.
fn global_field(fields: &[String], role: Role, two_node: bool) -> String {
    let i = match role {
        Role::Event => 1,
        Role::Target if two_node => 1,
        Role::Target => 2,
        // Edges leave the previous (sourcetarget) value in afterglow.pl: the source field.
        _ => 0,
    };
    fields.get(i).cloned().unwrap_or_default()
}

/// Evaluates rules in file order and returns the first truthy value (afterglow.pl `if ($x = eval($var))`).
/// Used by tests and by callers that want to preview a rule on one row.
pub fn evaluate_rules(
    props: &Properties,
    kind: RuleKind,
    role: Role,
    fields: &[String],
    two_node: bool,
) -> Option<Value> {
    let cache = RefCell::new(HashMap::new());
    let counts = |_: CountMap, _: CountMap| 0.0;
    let gf = global_field(fields, role, two_node);
    first_truthy(rules_for(props, kind, role), props, role, fields, two_node, gf, &counts, &cache)
        .map(|(v, _)| v)
}

#[allow(clippy::too_many_arguments)]
fn first_truthy(
    rules: &[Rule],
    props: &Properties,
    role: Role,
    fields: &[String],
    two_node: bool,
    global: String,
    counts: &dyn Fn(CountMap, CountMap) -> f64,
    cache: &RefCell<HashMap<String, Option<Regex>>>,
) -> Option<(Value, bool)> {
    if rules.is_empty() {
        return None;
    }
    // One context for all rules so `s///` in an earlier rule is seen by later ones, as with Perl's @fields.
    let mut ctx = EvalCtx::new(fields.to_vec(), role, two_node, global, &props.variables, counts, cache);
    for r in rules {
        let v = r.program.eval(&mut ctx);
        if v.truthy() {
            return Some((v, r.has_if));
        }
    }
    None
}

#[derive(Default)]
struct RoleAcc {
    count: usize,
    color: Option<String>,
    label: String,
    size: f64,
    fan_out: HashSet<usize>,
}

#[derive(Default)]
struct NameAcc {
    name: String,
    roles: [Option<RoleAcc>; 3],
    sourcetarget_color: Option<String>,
    rows: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LinkKind {
    SourceTarget,
    SourceEvent,
    EventTarget,
}

struct LinkAcc {
    from: usize,
    to: usize,
    kind: LinkKind,
    count: usize,
    color: Option<String>,
    size: Option<f64>,
    labels: Vec<String>,
    rows: Vec<u32>,
}

/// Maps non-color values to palette colors in order of first appearance (afterglow.pl `%colorIndex`).
struct ColorIndex {
    palette: Vec<&'static str>,
    assigned: HashMap<String, Option<String>>,
    /// Values already tested with [`colors::is_color_name`] (it may compile a regex per value).
    is_color: HashMap<String, bool>,
    next: usize,
}

impl ColorIndex {
    fn new() -> Self {
        ColorIndex {
            palette: AFTERGLOW_COLORS.split_whitespace().collect(),
            assigned: HashMap::new(),
            is_color: HashMap::new(),
            next: 1,
        }
    }

    fn resolve(&mut self, v: Option<Value>) -> Option<String> {
        // No rule gave a colour: the role's default colour applies (white, cyan, red).
        let s = v.filter(Value::truthy).map(|v| v.to_str())?;
        let s = s.trim_matches('"').to_string();
        // afterglow.pl's `grep(/$color/, @colors)` takes "yellow" (inside "greenyellow") as a colour;
        // every X11/Graphviz name counts too. Only other values become palette categories.
        let is_color = match self.is_color.get(&s) {
            Some(b) => *b,
            None => {
                let b = colors::is_color_name(&s);
                self.is_color.insert(s.clone(), b);
                b
            }
        };
        if is_color {
            return Some(s);
        }
        self.category(s)
    }

    /// The palette colour of a category value, handing out the next one on first sight.
    fn category(&mut self, s: String) -> Option<String> {
        if let Some(c) = self.assigned.get(&s) {
            return c.clone();
        }
        // Past the end afterglow.pl yields undef (then the default color); never hand out "invisible".
        let c = self.palette.get(self.next).filter(|c| **c != INVISIBLE).map(|c| c.to_string());
        self.next += 1;
        self.assigned.insert(s, c.clone());
        c
    }
}

struct Builder<'p> {
    props: &'p Properties,
    opts: &'p GraphOptions,
    two_node: bool,
    names: Vec<NameAcc>,
    by_name: HashMap<String, usize>,
    links: Vec<LinkAcc>,
    link_index: HashMap<(LinkKind, usize, usize, Option<String>), usize>,
    colors: ColorIndex,
    regex_cache: RefCell<HashMap<String, Option<Regex>>>,
    /// afterglow.pl's getColor cache, keyed by role and the node fields of the record.
    color_cache: HashMap<(u8, Vec<String>), Option<String>>,
    /// afterglow.pl's `%notCatchAllSize` / `%notCatchAllLabel`: values from rules containing "if" stick.
    size_memo: HashMap<(u8, String), f64>,
    label_memo: HashMap<(u8, String), String>,
    max_actual_size: [f64; 3],
}

fn role_slot(role: Role) -> usize {
    match role {
        Role::Event => 1,
        Role::Target => 2,
        _ => 0,
    }
}

impl<'p> Builder<'p> {
    fn name_id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        let i = self.names.len();
        self.names.push(NameAcc { name: name.to_string(), ..Default::default() });
        self.by_name.insert(name.to_string(), i);
        i
    }

    fn counts_snapshot(&self, ids: [Option<usize>; 3]) -> [[f64; 3]; 3] {
        let mut out = [[0.0; 3]; 3];
        for (m, row) in out.iter_mut().enumerate() {
            for (k, cell) in row.iter_mut().enumerate() {
                if let Some(id) = ids[k] {
                    *cell = self.names[id].roles[m].as_ref().map(|r| r.count as f64).unwrap_or(0.0);
                }
            }
        }
        out
    }

    fn eval(
        &self,
        kind: RuleKind,
        role: Role,
        fields: &[String],
        counts: [[f64; 3]; 3],
    ) -> Option<(Value, bool)> {
        let slot = |c: CountMap| match c {
            CountMap::Source => 0,
            CountMap::Event => 1,
            CountMap::Target => 2,
        };
        let lookup = move |m: CountMap, k: CountMap| counts[slot(m)][slot(k)];
        let gf = global_field(fields, role, self.two_node);
        let rules = rules_for(self.props, kind, role);
        first_truthy(rules, self.props, role, fields, self.two_node, gf, &lookup, &self.regex_cache)
    }

    fn color(&mut self, role: Role, fields: &[String]) -> Option<String> {
        // A role without colour rules gets undef from afterglow.pl's getColor, which it indexes like a
        // category: such nodes share one palette colour (the first free one, usually "antiquewhite").
        if rules_for(self.props, RuleKind::Color, role).is_empty() {
            return self.colors.category(String::new());
        }
        // getColor caches its answer per (node fields, type): rules reading other columns (e.g. the
        // third column in two-node mode) are evaluated for the first record of each key only.
        let n = if self.two_node { 2 } else { 3 };
        let key = (role as u8, fields.iter().take(n).cloned().collect::<Vec<_>>());
        if let Some(c) = self.color_cache.get(&key) {
            return c.clone();
        }
        let v = self.eval(RuleKind::Color, role, fields, [[0.0; 3]; 3]).map(|(v, _)| v);
        let c = self.colors.resolve(v);
        self.color_cache.insert(key, c.clone());
        c
    }

    fn cluster(&self, value: &str, rules: &[Rule], role: Role, fields: &[String]) -> String {
        if rules.is_empty() {
            return value.to_string();
        }
        let counts = |_: CountMap, _: CountMap| 0.0;
        match first_truthy(
            rules,
            self.props,
            role,
            fields,
            self.two_node,
            value.to_string(),
            &counts,
            &self.regex_cache,
        ) {
            Some((v, _)) => v.to_str(),
            None => value.to_string(),
        }
    }

    fn label(&mut self, role: Role, fields: &[String]) -> String {
        let gf = global_field(fields, role, self.two_node);
        let key = (role_slot(role) as u8, gf.clone());
        if let Some(l) = self.label_memo.get(&key) {
            return l.clone();
        }
        let rules = rules_for(self.props, RuleKind::Label, role);
        let counts = |_: CountMap, _: CountMap| 0.0;
        let mut ctx = EvalCtx::new(
            fields.to_vec(),
            role,
            self.two_node,
            gf.clone(),
            &self.props.variables,
            &counts,
            &self.regex_cache,
        );
        let mut last = Value::Undef;
        for r in rules {
            if r.text.is_empty() || r.text == "0" {
                return String::new();
            }
            let v = r.program.eval(&mut ctx);
            if v.truthy() {
                let s = v.to_str();
                if r.has_if {
                    self.label_memo.insert(key, s.clone());
                }
                return s;
            }
            last = v;
        }
        // afterglow.pl keeps the last (false but defined) value, e.g. "0" or a failed `if`'s "", and only
        // falls back to the node value when no rule gave anything (`if (!defined($label))`).
        match last {
            Value::Undef => gf,
            v => v.to_str(),
        }
    }

    fn size(&mut self, role: Role, fields: &[String], counts: [[f64; 3]; 3]) -> Option<f64> {
        let gf = global_field(fields, role, self.two_node);
        let key = (role_slot(role) as u8 + if role == Role::Edge { 3 } else { 0 }, gf);
        if let Some(s) = self.size_memo.get(&key) {
            return Some(*s);
        }
        let (v, has_if) = self.eval(RuleKind::Size, role, fields, counts)?;
        let n = v.to_num();
        if has_if {
            self.size_memo.insert(key, n);
        }
        Some(n)
    }

    fn has_size(&self, role: Role) -> bool {
        !rules_for(self.props, RuleKind::Size, role).is_empty()
            || (self.opts.size_by_count && role != Role::Edge)
    }

    fn touch(&mut self, id: usize, row: u32) {
        let rows = &mut self.names[id].rows;
        if rows.last() != Some(&row) {
            rows.push(row);
        }
    }

    /// Per-role bookkeeping of one record (afterglow.pl's main loop body for one node).
    fn add_role(&mut self, id: usize, role: Role, fields: &[String], ids: [Option<usize>; 3], row: u32) {
        let slot = role_slot(role);
        let color = self.color(role, fields);
        self.touch(id, row);
        let acc = self.names[id].roles[slot].get_or_insert_with(RoleAcc::default);
        acc.color = color;
        acc.count += 1;
        let label = self.label(role, fields);
        self.names[id].roles[slot].get_or_insert_with(RoleAcc::default).label = label;
        if self.has_size(role) {
            let counts = self.counts_snapshot(ids);
            let s = if rules_for(self.props, RuleKind::Size, role).is_empty() {
                Some(counts[slot][slot])
            } else {
                self.size(role, fields, counts)
            };
            let sum = match role {
                Role::Source => self.props.sum_source,
                Role::Event => self.props.sum_event,
                _ => self.props.sum_target,
            };
            let acc = self.names[id].roles[slot].get_or_insert_with(RoleAcc::default);
            let s = s.unwrap_or(0.0);
            acc.size = if sum { acc.size + s } else { s };
            if acc.size > self.max_actual_size[slot] {
                self.max_actual_size[slot] = acc.size;
            }
        }
    }

    fn add_link(&mut self, kind: LinkKind, from: usize, to: usize, fields: &[String], row: u32) {
        let label = match self.opts.edge_label_field {
            Some(i) => Some(fields.get(i).cloned().unwrap_or_default()),
            None if !self.props.label.edge.is_empty() => Some(self.label(Role::Edge, fields)),
            None => None,
        };
        let color = if self.props.color.edge.is_empty() { None } else { self.color(Role::Edge, fields) };
        let size = if self.props.size.edge.is_empty() {
            None
        } else {
            // Undefined edge sizes default to 1 (`$defaultEdgeSize`).
            Some(self.size(Role::Edge, fields, [[0.0; 3]; 3]).filter(|s| *s != 0.0).unwrap_or(1.0))
        };
        let key_label = if self.opts.split_edges_by_label { label.clone() } else { None };
        let key = (kind, from, to, key_label);
        let li = match self.link_index.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.links.len();
                self.links.push(LinkAcc {
                    from,
                    to,
                    kind,
                    count: 0,
                    color: None,
                    size: None,
                    labels: Vec::new(),
                    rows: Vec::new(),
                });
                self.link_index.insert(key, i);
                i
            }
        };
        let l = &mut self.links[li];
        l.count += 1;
        // Last record wins for color and size, as in afterglow.pl's hashes (also when the last record's
        // colour rules gave nothing: then the edge has no colour).
        if !self.props.color.edge.is_empty() {
            l.color = color;
        }
        if size.is_some() {
            l.size = size;
        }
        if let Some(lab) = label {
            if !l.labels.contains(&lab) {
                l.labels.push(lab);
            }
        }
        if l.rows.last() != Some(&row) {
            l.rows.push(row);
        }
    }
}

/// Builds the link graph. `rows` yields (row index, fields); row indices are stored on nodes and edges.
pub fn build_graph(
    rows: impl Iterator<Item = (u32, Vec<String>)>,
    props: &Properties,
    opts: &GraphOptions,
) -> Result<LinkGraph, GraphError> {
    if opts.split_mode > 3 {
        return Err(GraphError::BadSplitMode(opts.split_mode));
    }
    let max_node_size = props.max_node_size.unwrap_or(opts.max_node_size);
    if !(max_node_size.is_finite() && max_node_size > 0.0) {
        return Err(GraphError::BadMaxNodeSize(max_node_size));
    }
    let two_node = !opts.three_node;
    let mut b = Builder {
        props,
        opts,
        two_node,
        names: Vec::new(),
        by_name: HashMap::new(),
        links: Vec::new(),
        link_index: HashMap::new(),
        colors: ColorIndex::new(),
        regex_cache: RefCell::new(HashMap::new()),
        color_cache: HashMap::new(),
        size_memo: HashMap::new(),
        label_memo: HashMap::new(),
        // afterglow.pl starts the maxima at 1 ("Don't want any division by zero").
        max_actual_size: [1.0; 3],
    };
    let mut stats = BuildStats::default();

    for (row, orig) in rows {
        stats.rows += 1;
        let needed = if two_node { 2 } else { 3 };
        if orig.len() < needed {
            stats.short_rows += 1;
        }
        let get = |i: usize| orig.get(i).cloned().unwrap_or_default();
        let mut source = get(0);
        let (mut event, mut target) = if two_node { (String::new(), get(1)) } else { (get(1), get(2)) };

        // Clustering: generic `cluster=` first, then per type; rules see the original @fields.
        if !props.cluster_all.is_empty() {
            source = b.cluster(&source, &props.cluster_all, Role::Source, &orig);
            target = b.cluster(&target, &props.cluster_all, Role::Target, &orig);
            if !two_node {
                event = b.cluster(&event, &props.cluster_all, Role::Event, &orig);
            }
        }
        source = b.cluster(&source, &props.cluster.source, Role::Source, &orig);
        if !two_node {
            event = b.cluster(&event, &props.cluster.event, Role::Event, &orig);
        }
        target = b.cluster(&target, &props.cluster.target, Role::Target, &orig);

        // Rebuild @fields from the clustered values; extra columns are kept (afterglow.pl keeps two).
        let mut fields = Vec::with_capacity(orig.len().max(needed));
        fields.push(source.clone());
        if !two_node {
            fields.push(event.clone());
        }
        fields.push(target.clone());
        fields.extend(orig.iter().skip(needed).cloned());

        // Records with an invisible node are discarded (order of checks as in afterglow.pl).
        let mut roles = vec![Role::SourceTarget, Role::Source];
        if !two_node {
            roles.push(Role::Event);
        }
        roles.push(Role::Target);
        let invisible = roles.iter().any(|r| b.color(*r, &fields).as_deref() == Some(INVISIBLE));
        if invisible {
            stats.invisible_rows += 1;
            continue;
        }

        let source_name = if opts.split_source_target { format!("S:{source}") } else { source.clone() };
        let target_name = if opts.split_source_target { format!("T:{target}") } else { target.clone() };
        let event_name = match opts.split_mode {
            1 => format!("{source} {event}"),
            2 => format!("{event} {target}"),
            3 => format!("{source} {event} {target}"),
            _ => event.clone(),
        };
        let sid = b.name_id(&source_name);
        let eid = if two_node { None } else { Some(b.name_id(&event_name)) };
        let tid = b.name_id(&target_name);
        let ids = [Some(sid), eid, Some(tid)];

        b.add_role(sid, Role::Source, &fields, ids, row);
        if opts.source_fan_out > 0 {
            let other = eid.unwrap_or(tid);
            b.names[sid].roles[0].get_or_insert_with(RoleAcc::default).fan_out.insert(other);
        }
        if let Some(eid) = eid {
            b.add_role(eid, Role::Event, &fields, ids, row);
            if opts.event_fan_out > 0 {
                b.names[eid].roles[1].get_or_insert_with(RoleAcc::default).fan_out.insert(tid);
            }
        }
        b.add_role(tid, Role::Target, &fields, ids, row);
        // Only meaningful when the source is also a target; last record wins.
        b.names[sid].sourcetarget_color = b.color(Role::SourceTarget, &fields);

        match eid {
            None => b.add_link(LinkKind::SourceTarget, sid, tid, &fields, row),
            Some(eid) => {
                b.add_link(LinkKind::SourceEvent, sid, eid, &fields, row);
                b.add_link(LinkKind::EventTarget, eid, tid, &fields, row);
            }
        }
    }

    finish(b, stats, max_node_size)
}

fn finish(b: Builder, mut stats: BuildStats, max_node_size: f32) -> Result<LinkGraph, GraphError> {
    let props = b.props;
    let opts = b.opts;
    let omit = props.threshold.unwrap_or(opts.omit_threshold);
    let thr = [
        props.threshold_source.unwrap_or(opts.source_threshold),
        props.threshold_event.unwrap_or(opts.event_threshold),
        props.threshold_target.unwrap_or(opts.target_threshold),
    ];
    let fan_thr = [opts.source_fan_out, opts.event_fan_out];
    let count = |id: usize, slot: usize| b.names[id].roles[slot].as_ref().map(|r| r.count).unwrap_or(0);
    let count_ok = |id: usize, slot: usize| {
        let c = count(id, slot);
        c > omit && c > thr[slot]
    };
    // Fan-out is only computed when its filter is on; otherwise it counts as 1 (> 0), like afterglow.pl.
    let fan_ok = |id: usize, slot: usize| {
        let t = fan_thr[slot];
        t == 0 || b.names[id].roles[slot].as_ref().map(|r| r.fan_out.len()).unwrap_or(0) > t
    };

    let mut print_node = vec![false; b.names.len()];
    let mut drawn = vec![false; b.links.len()];
    stats.links = b.links.len();
    stats.names = b.names.len();
    // Two-node links, then source->event links, then event->target links (needs printNode of events).
    for pass in [LinkKind::SourceTarget, LinkKind::SourceEvent, LinkKind::EventTarget] {
        for (i, l) in b.links.iter().enumerate() {
            if l.kind != pass {
                continue;
            }
            let ok = match l.kind {
                LinkKind::SourceTarget => count_ok(l.from, 0) && count_ok(l.to, 2) && fan_ok(l.from, 0),
                LinkKind::SourceEvent => {
                    count_ok(l.from, 0) && count_ok(l.to, 1) && fan_ok(l.from, 0) && fan_ok(l.to, 1)
                }
                LinkKind::EventTarget => {
                    print_node[l.from] && count_ok(l.from, 1) && count_ok(l.to, 2) && fan_ok(l.from, 1)
                }
            };
            if ok {
                drawn[i] = true;
                print_node[l.from] = true;
                print_node[l.to] = true;
            }
        }
    }

    let mut graph = StableGraph::new();
    let mut index = HashMap::new();
    let mut node_of = vec![None; b.names.len()];
    let default_color = ["white", "cyan", "red"];
    for (id, acc) in b.names.iter().enumerate() {
        if !print_node[id] {
            continue;
        }
        let has = |slot: usize| acc.roles[slot].is_some();
        // Source wins over event, event over target, as afterglow.pl prints sources first and skips
        // names already printed.
        let slot = if has(0) && count_ok(id, 0) && fan_ok(id, 0) {
            0
        } else if has(1) && count_ok(id, 1) && fan_ok(id, 1) {
            1
        } else if has(2) && count_ok(id, 2) {
            2
        } else {
            (0..3).find(|s| has(*s)).unwrap_or(0)
        };
        let Some(r) = acc.roles[slot].as_ref() else {
            continue;
        };
        let is_also_target = slot == 0 && has(2);
        let color = if is_also_target {
            if !props.color.sourcetarget.is_empty() {
                acc.sourcetarget_color.clone()
            } else if !props.color.source.is_empty() {
                r.color.clone()
            } else {
                acc.roles[2].as_ref().and_then(|t| t.color.clone())
            }
        } else {
            r.color.clone()
        };
        let role = [Role::Source, Role::Event, Role::Target][slot];
        let size = b.has_size(role).then(|| {
            let s = (f64::from(max_node_size) / b.max_actual_size[slot] * r.size).max(0.1);
            ((s * 100.0).round() / 100.0) as f32
        });
        let mut label = if opts.node_labels { r.label.clone() } else { String::new() };
        if opts.node_count_in_label {
            label = format!("{label} : {}", r.count);
        }
        let shape = match slot {
            0 => props.shape_source.clone(),
            // afterglow.pl prints event nodes with shape=box unless shape.event overrides it.
            1 if props.shape_event == "ellipse" => "box".to_string(),
            1 => props.shape_event.clone(),
            _ => props.shape_target.clone(),
        };
        let node_type = match slot {
            0 if is_also_target => NodeType::SourceTarget,
            0 => NodeType::Source,
            1 => NodeType::Event,
            _ => NodeType::Target,
        };
        let node = Node {
            id: acc.name.clone(),
            label,
            node_type,
            count: r.count,
            color: color.unwrap_or_else(|| default_color[slot].to_string()),
            size,
            shape,
            url: props.url.as_ref().map(|u| u.replace("\\N", &acc.name)),
            rows: acc.rows.clone(),
        };
        let ni = graph.add_node(node);
        index.insert(acc.name.clone(), ni);
        node_of[id] = Some(ni);
    }
    for (i, l) in b.links.iter().enumerate() {
        if !drawn[i] {
            continue;
        }
        let (Some(a), Some(c)) = (node_of[l.from], node_of[l.to]) else {
            continue;
        };
        stats.links_drawn += 1;
        graph.add_edge(
            a,
            c,
            Edge {
                count: l.count,
                color: l.color.clone(),
                size: l.size.map(|s| s as f32),
                label: l.labels.first().cloned(),
                labels: l.labels.clone(),
                rows: l.rows.clone(),
            },
        );
    }
    let mut caption = format!("AfterGlow {AFTERGLOW_VERSION}");
    for (name, v) in [
        ("Split Mode", usize::from(opts.split_mode)),
        ("Omit Threshold", omit),
        ("Source Threshold", thr[0]),
        ("Event Threshold", thr[1]),
        ("Target Threshold", thr[2]),
        ("Source Fan Out", fan_thr[0]),
        ("Event Fan Out", fan_thr[1]),
    ] {
        if v > 0 {
            caption.push_str(&format!(" - {name}: {v}"));
        }
    }
    Ok(LinkGraph {
        graph,
        index,
        three_node: opts.three_node,
        url_template: props.url.clone(),
        caption,
        max_node_size,
        xlabels: props.xlabels,
        concentrate: props.concentrate,
        stats,
    })
}

impl LinkGraph {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).and_then(|i| self.graph.node_weight(*i))
    }

    pub fn edge(&self, from: &str, to: &str) -> Option<&Edge> {
        let (a, b) = (self.index.get(from)?, self.index.get(to)?);
        self.graph.find_edge(*a, *b).and_then(|e| self.graph.edge_weight(e))
    }

    /// Union of the row indices of the given nodes (sorted, unique): node selection -> record selection.
    pub fn rows_of(&self, nodes: &[NodeIndex]) -> Vec<u32> {
        let mut rows: Vec<u32> = nodes
            .iter()
            .filter_map(|n| self.graph.node_weight(*n))
            .flat_map(|n| n.rows.iter().copied())
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<(u32, Vec<String>)> {
        csv.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| (i as u32, l.split(',').map(|s| s.trim().to_string()).collect()))
            .collect()
    }

    fn build(csv: &str, props: &str, opts: &GraphOptions) -> LinkGraph {
        let p = Properties::parse(props).unwrap();
        build_graph(rows(csv).into_iter(), &p, opts).unwrap()
    }

    const FW: &str = "10.0.0.1,80,192.168.0.1\n\
                      10.0.0.1,443,192.168.0.1\n\
                      10.0.0.2,80,192.168.0.2\n\
                      10.0.0.2,80,192.168.0.1\n\
                      192.168.0.1,53,10.0.0.9\n";

    fn names(g: &LinkGraph) -> Vec<String> {
        let mut v: Vec<String> = g.graph.node_weights().map(|n| n.id.clone()).collect();
        v.sort();
        v
    }

    #[test]
    fn three_node_counts() {
        let g = build(FW, "color=\"red\"", &GraphOptions::default());
        // sources 10.0.0.1, 10.0.0.2, 192.168.0.1 (also a target); events 80, 443, 53;
        // targets 192.168.0.2, 10.0.0.9 (+192.168.0.1 shared)
        assert_eq!(g.graph.node_count(), 8);
        // s->e: (1,80) (1,443) (2,80) (192.1,53) = 4; e->t: (80,.1) (443,.1) (80,.2) (53,.9) = 4
        assert_eq!(g.graph.edge_count(), 8);
        assert_eq!(g.node("80").map(|n| n.count), Some(3));
        assert_eq!(g.node("80").map(|n| n.node_type), Some(NodeType::Event));
        assert_eq!(g.node("80").map(|n| n.shape.as_str()), Some("box"));
        assert_eq!(g.node("192.168.0.1").map(|n| n.node_type), Some(NodeType::SourceTarget));
        assert_eq!(g.node("192.168.0.1").map(|n| n.rows.clone()), Some(vec![0, 1, 3, 4]));
        assert_eq!(g.edge("10.0.0.1", "80").map(|e| e.count), Some(1));
        assert_eq!(g.edge("80", "192.168.0.1").map(|e| e.count), Some(2));
        assert_eq!(g.stats.rows, 5);
    }

    #[test]
    fn two_node_counts() {
        let opts = GraphOptions { three_node: false, ..Default::default() };
        let csv = "a,b\na,c\nb,c\na,b\nd,a\n";
        let g = build(csv, "color=\"red\"", &opts);
        assert_eq!(names(&g), vec!["a", "b", "c", "d"]);
        assert_eq!(g.graph.edge_count(), 4);
        assert_eq!(g.edge("a", "b").map(|e| e.count), Some(2));
        assert_eq!(g.node("a").map(|n| (n.count, n.node_type)), Some((3, NodeType::SourceTarget)));
        assert_eq!(g.node("c").map(|n| (n.count, n.node_type)), Some((2, NodeType::Target)));
        assert_eq!(g.rows_of(&[g.index["c"], g.index["d"]]), vec![1, 2, 4]);
    }

    #[test]
    fn split_modes() {
        let count = |mode: u8| {
            let g = build(FW, "", &GraphOptions { split_mode: mode, ..Default::default() });
            g.graph.node_weights().filter(|n| n.node_type == NodeType::Event).count()
        };
        assert_eq!(count(0), 3); // 80, 443, 53
        assert_eq!(count(1), 4); // 1/80 1/443 2/80 192/53
        assert_eq!(count(2), 4); // 80/.1 443/.1 80/.2 53/.9 (80/.1 occurs twice)
        assert_eq!(count(3), 5); // every row distinct
        let g = build(FW, "", &GraphOptions { split_mode: 1, ..Default::default() });
        assert!(g.node("10.0.0.1 80").is_some());
        assert!(build_graph(
            rows(FW).into_iter(),
            &Properties::default(),
            &GraphOptions { split_mode: 4, ..Default::default() }
        )
        .is_err());
        // -s separates source and target nodes of the same value
        let opts = GraphOptions { three_node: false, split_source_target: true, ..Default::default() };
        let g = build("a,b\nb,a\n", "", &opts);
        assert_eq!(names(&g), vec!["S:a", "S:b", "T:a", "T:b"]);
    }

    #[test]
    fn thresholds_and_fan_out() {
        // omit threshold 1: nodes must appear more than once in their role
        let g = build(FW, "", &GraphOptions { omit_threshold: 1, ..Default::default() });
        // surviving s->e: (10.0.0.1,80)? src 1 count 2, event 80 count 3 -> yes; (10.0.0.1,443) event 443 count 1 -> no
        // (10.0.0.2,80) yes; (192.168.0.1,53) src count 1 -> no. e->t: (80,.1) target .1 count 3 yes; (80,.2) count 1 no
        assert_eq!(names(&g), vec!["10.0.0.1", "10.0.0.2", "192.168.0.1", "80"]);
        assert_eq!(g.graph.edge_count(), 3);
        // property file threshold overrides the option
        let g = build(
            FW,
            "threshold=0\nthreshold.target=2\n",
            &GraphOptions { omit_threshold: 5, ..Default::default() },
        );
        // only target 192.168.0.1 (3 times) passes; all s->e links drawn, e->t only to .1
        assert_eq!(g.graph.edge_count(), 4 + 2);
        assert!(g.node("192.168.0.2").is_none());
        // source fan-out: sources with more than one distinct event
        let g = build(FW, "", &GraphOptions { source_fan_out: 1, ..Default::default() });
        assert!(g.node("10.0.0.1").is_some());
        assert!(g.node("10.0.0.2").is_none());
        assert!(g.node("443").is_some());
        // Like afterglow.pl, an event->target edge still draws when the event got printed.
        assert!(g.edge("80", "192.168.0.2").is_some());
        // event fan-out: events with more than one distinct target
        let g = build(FW, "", &GraphOptions { event_fan_out: 1, ..Default::default() });
        let ev: Vec<&str> = g
            .graph
            .node_weights()
            .filter(|n| n.node_type == NodeType::Event)
            .map(|n| n.id.as_str())
            .collect();
        assert_eq!(ev, vec!["80"]);
        assert!(g.node("10.0.0.1").is_some() && g.node("192.168.0.1").is_some());
    }

    #[test]
    fn invisible_and_colors() {
        let props = "color.source=\"invisible\" if ($fields[1] eq \"443\")\ncolor.source=\"red\"\n\
                     color.event=$fields[1]\ncolor.target=\"#112233\"\ncolor.sourcetarget=\"pink\"";
        let g = build(FW, props, &GraphOptions::default());
        assert_eq!(g.stats.invisible_rows, 1);
        assert!(g.node("443").is_none());
        assert_eq!(g.node("10.0.0.1").map(|n| n.color.as_str()), Some("red"));
        assert_eq!(g.node("192.168.0.1").map(|n| n.color.as_str()), Some("pink"));
        assert_eq!(g.node("192.168.0.2").map(|n| n.color.as_str()), Some("#112233"));
        // "80" and "53" are colours to afterglow.pl (inside "gray80", "gray53"): kept as written.
        assert_eq!(g.node("80").map(|n| n.color.as_str()), Some("80"));
        assert_eq!(g.node("53").map(|n| n.color.as_str()), Some("53"));
    }

    #[test]
    fn colour_names_and_categories_like_afterglow() {
        // The case: "yellow" is a colour (afterglow.pl finds it inside "greenyellow").
        let props = "color.source=\"yellow\" if ($fields[0]=~/^192\\.168\\..*/)\n\
                     color.source=\"Light Blue\" if ($fields[0] eq \"10.0.0.2\")\n\
                     color.source=$fields[0]\ncolor.event=$fields[1]";
        let g = build(FW, props, &GraphOptions::default());
        assert_eq!(g.node("192.168.0.1").map(|n| n.color.as_str()), Some("yellow"));
        // Any X11/Graphviz name, case and spaces ignored, is a colour too.
        assert_eq!(g.node("10.0.0.2").map(|n| n.color.as_str()), Some("Light Blue"));
        // Values that are no colour become categories, in order of first appearance from index 1.
        // Per record afterglow.pl asks sourcetarget first: no rules there, so undef takes index 1.
        assert_eq!(g.node("10.0.0.1").map(|n| n.color.as_str()), Some("antiquewhite1"));
        assert_eq!(g.node("443").map(|n| n.color.as_str()), Some("antiquewhite2"));
        // Targets have no rules: they share the undef category's colour.
        assert_eq!(g.node("10.0.0.9").map(|n| n.color.as_str()), Some("antiquewhite"));
    }

    #[test]
    fn clustering() {
        let props = "cluster.target=regex_replace(\"^(\\\\d+\\.\\\\d+\\.\\\\d+)\\.\\\\d+\").\".0/24\"";
        let g = build(FW, props, &GraphOptions::default());
        assert!(g.node("192.168.0.0/24").is_some());
        assert!(g.node("10.0.0.0/24").is_some());
        assert!(g.node("192.168.0.1").is_some()); // still a source
        assert_eq!(g.node("192.168.0.0/24").map(|n| n.count), Some(4));
        let g =
            build(FW, "cluster=\"internal\" if subnet(field(), \"10.0.0.0/8\")", &GraphOptions::default());
        assert_eq!(g.node("internal").map(|n| n.count), Some(4));
    }

    #[test]
    fn sizes_labels_edges() {
        let props = "size.source=$sourceCount{$sourceName}\nmaxnodesize=1\nlabel.event=0\n\
                     color.edge=\"blue\" if ($fields[1] eq \"80\")\ncolor.edge=\"green\"\nsize.edge=2\nlabel.target=\"T\"";
        let g = build(FW, props, &GraphOptions::default());
        assert_eq!(g.node("10.0.0.1").and_then(|n| n.size), Some(1.0));
        assert_eq!(g.node("192.168.0.1").and_then(|n| n.size), Some(0.5));
        assert_eq!(g.node("80").and_then(|n| n.size), None);
        assert_eq!(g.node("80").map(|n| n.label.as_str()), Some(""));
        assert_eq!(g.node("10.0.0.9").map(|n| n.label.as_str()), Some("T"));
        assert_eq!(g.edge("10.0.0.1", "80").and_then(|e| e.color.clone()).as_deref(), Some("blue"));
        assert_eq!(g.edge("10.0.0.1", "443").and_then(|e| e.size), Some(2.0));
        // labels from a field, one edge per distinct label when asked
        let opts = GraphOptions { three_node: false, edge_label_field: Some(2), ..Default::default() };
        let csv = "a,b,x\na,b,y\na,b,x\n";
        let g = build(csv, "", &opts);
        assert_eq!(g.graph.edge_count(), 1);
        assert_eq!(g.edge("a", "b").map(|e| e.labels.clone()), Some(vec!["x".to_string(), "y".to_string()]));
        let g = build(csv, "", &GraphOptions { split_edges_by_label: true, ..opts });
        assert_eq!(g.graph.edge_count(), 2);
        // size by count without rules, summed or not
        let g =
            build(FW, "", &GraphOptions { size_by_count: true, max_node_size: 2.0, ..Default::default() });
        assert_eq!(g.node("80").and_then(|n| n.size), Some(2.0));
        assert_eq!(g.node("443").and_then(|n| n.size), Some(0.67));
        let g = build(
            "a,b,7\na,c,5\n",
            "size.source=$fields[2]\nsum.source=1\nmaxnodesize=1",
            &GraphOptions { three_node: false, ..Default::default() },
        );
        assert_eq!(g.node("a").and_then(|n| n.size), Some(1.0));
        assert_eq!(g.max_node_size, 1.0);
    }

    #[test]
    fn short_and_garbage_rows() {
        let r =
            vec![(0, vec![]), (1, vec!["only".to_string()]), (2, vec!["a".into(), "b".into(), "c".into()])];
        let g = build_graph(r.into_iter(), &Properties::default(), &GraphOptions::default()).unwrap();
        assert_eq!(g.stats.short_rows, 2);
        assert_eq!(g.stats.rows, 3);
    }
}
