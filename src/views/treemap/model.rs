//! Treemap view model: presets, the hierarchy built from the engine's leaves, drill-down, colours,
//! selection clauses and SVG/PNG export. Pure: no drawing, so it is unit-tested without a GUI
//! (egui's `Color32` is used only as a colour value, shared with `views::common::palette`).
//!
//! Paths: tiles from [`super::layout`] carry paths relative to the drill root; everything that talks
//! to the selection (clauses, "is selected", hover matching) works on the *full* path from the top
//! level, obtained with [`full_path`].

use std::collections::{HashMap, HashSet};

use egui::Color32;

use super::layout::{Tile, TreeNode, OTHER_KEY};
use crate::data::net as ipgroup;
use crate::linking::needs::TreeLeaf;
use crate::linking::selection::{Clause, Pred};
use crate::views::common::{compact, palette, thousands, Hover};

/// A named choice of levels.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    pub levels: Vec<String>,
}

/// The built-in level presets; the first one is the default.
pub fn presets() -> Vec<Preset> {
    let p = |name, levels: &[&str]| Preset { name, levels: levels.iter().map(|s| s.to_string()).collect() };
    vec![
        p("Services: proto > dst_port", &["proto", "dst_port"]),
        p("Address space: dst_ip /16 > /24 > host", &["dst_ip/16", "dst_ip/24", "dst_ip"]),
        p("Sources: src_ip /16 > /24 > host", &["src_ip/16", "src_ip/24", "src_ip"]),
        p("Firewall: action > reason", &["action", "reason"]),
    ]
}

/// Measures the engine can size tiles by.
pub const MEASURES: [&str; 3] = ["count", "bytes", "packets"];

/// Maximum number of levels the user can pick.
pub const MAX_LEVELS: usize = 3;

/// Splits a level name into its field and optional IP prefix length: "dst_ip/16" -> ("dst_ip", Some(16)).
pub fn level_field(level: &str) -> (&str, Option<u8>) {
    match level.rsplit_once('/') {
        Some((field, n)) if !field.is_empty() => match n.parse::<u8>() {
            Ok(len) => (field, Some(len)),
            Err(_) => (level, None),
        },
        _ => (level, None),
    }
}

/// Level choices offered for custom levels: every column, plus /16 and /24 prefix levels for columns
/// that look like IP address fields (the engine groups those by prefix).
pub fn level_choices(columns: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for c in columns {
        out.push(c.clone());
        let lc = c.to_ascii_lowercase();
        if lc.ends_with("_ip") || lc.ends_with("ip") || lc.contains("addr") {
            out.push(format!("{c}/16"));
            out.push(format!("{c}/24"));
        }
    }
    out
}

/// The predicate that selects value `value` at level `level`.
pub fn level_pred(level: &str, value: &str) -> Pred {
    match level_field(level) {
        (field, Some(_)) => Pred::InPrefix { field: field.to_string(), prefix: value.to_string() },
        (field, None) => Pred::Eq { field: field.to_string(), value: value.to_string() },
    }
}

/// Aggregates of one node of the hierarchy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    pub value: i64,
    /// Sum of the comparison-window values of the leaves below (None if no leaf had one).
    pub cur: Option<i64>,
    /// Sum of the week-earlier values of the leaves below (None if no leaf had one).
    pub prev: Option<i64>,
    /// Number of direct children.
    pub children: usize,
}

fn add_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The hierarchy under a drill root, ready for [`super::layout::squarify_with_order`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hierarchy {
    pub levels: Vec<String>,
    /// Full path of the drill root (empty = everything).
    pub root: Vec<String>,
    /// Children of the drill root, with values as the layout wants them.
    pub nodes: Vec<TreeNode>,
    /// Stats by full path, for the drill root (key = `root`) and every node below it.
    pub stats: HashMap<Vec<String>, NodeStats>,
    /// Sum over all usable leaves (the "of total" denominator), whatever the drill root.
    pub grand_total: i64,
    /// Number of leaves skipped because their path did not have one value per level.
    pub skipped: usize,
}

#[derive(Default)]
struct Acc {
    stats: NodeStats,
    children: HashMap<String, Acc>,
}

impl Acc {
    fn add(&mut self, value: i64, cur: Option<i64>, prev: Option<i64>) {
        self.stats.value = self.stats.value.saturating_add(value);
        self.stats.cur = add_opt(self.stats.cur, cur);
        self.stats.prev = add_opt(self.stats.prev, prev);
    }
}

/// The key of a leaf at a level: prefix levels normally already hold "10.1.0.0/16", but a bare
/// address is turned into its prefix so the tiles and the clauses agree.
fn level_key(level: &str, value: &str) -> String {
    if let (_, Some(len)) = level_field(level) {
        if !value.contains('/') {
            if let Some(k) = ipgroup::prefix_key(value, len) {
                return k;
            }
        }
    }
    value.to_string()
}

/// Builds the hierarchy below the drill root `root` (a full path, shorter than `levels`) from the
/// engine's leaves. Leaves whose path length differs from `levels.len()` are skipped (stale output
/// for other levels) and counted in `skipped`.
pub fn build_hierarchy(levels: &[String], leaves: &[TreeLeaf], root: &[String]) -> Hierarchy {
    let mut top = Acc::default();
    let mut grand_total: i64 = 0;
    let mut skipped = 0;
    for leaf in leaves {
        if leaf.path.len() != levels.len() || levels.is_empty() {
            skipped += 1;
            continue;
        }
        grand_total = grand_total.saturating_add(leaf.value);
        let keys: Vec<String> = levels.iter().zip(leaf.path.iter()).map(|(l, v)| level_key(l, v)).collect();
        if !keys.starts_with(root) {
            continue;
        }
        let mut node = &mut top;
        node.add(leaf.value, leaf.cur, leaf.prev);
        for k in &keys[root.len()..] {
            node = node.children.entry(k.clone()).or_default();
            node.add(leaf.value, leaf.cur, leaf.prev);
        }
    }
    let mut stats = HashMap::new();
    let mut path = root.to_vec();
    top.stats.children = top.children.len();
    stats.insert(path.clone(), top.stats);
    let nodes = convert(top.children, &mut path, &mut stats);
    Hierarchy { levels: levels.to_vec(), root: root.to_vec(), nodes, stats, grand_total, skipped }
}

fn convert(
    children: HashMap<String, Acc>,
    path: &mut Vec<String>,
    stats: &mut HashMap<Vec<String>, NodeStats>,
) -> Vec<TreeNode> {
    let mut out: Vec<TreeNode> = children
        .into_iter()
        .map(|(key, mut acc)| {
            path.push(key.clone());
            acc.stats.children = acc.children.len();
            stats.insert(path.clone(), acc.stats);
            let kids = convert(acc.children, path, stats);
            path.pop();
            TreeNode { key, value: acc.stats.value as f64, children: kids }
        })
        .collect();
    // HashMap order is random; the layout sorts anyway, but a fixed order keeps tests deterministic.
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Full path (from the top level) of a tile laid out under drill root `root`.
pub fn full_path(root: &[String], tile: &Tile) -> Vec<String> {
    let mut p = Vec::with_capacity(root.len() + tile.path.len());
    p.extend(root.iter().cloned());
    p.extend(tile.path.iter().cloned());
    p
}

/// The level a full path ends at (None for the empty path or a path longer than the levels).
pub fn level_of<'a>(levels: &'a [String], full: &[String]) -> Option<&'a str> {
    full.len().checked_sub(1).and_then(|i| levels.get(i)).map(String::as_str)
}

/// Accessible label of a tile: "tile proto=tcp > dst_port=80".
pub fn tile_access_label(levels: &[String], full: &[String]) -> String {
    let parts: Vec<String> = levels.iter().zip(full).map(|(l, v)| format!("{l}={v}")).collect();
    format!("tile {}", parts.join(" > "))
}

/// Text drawn in a leaf tile: "tcp\n12.3k".
pub fn tile_text(key: &str, value: f64) -> String {
    format!("{key}\n{}", compact(value))
}

/// Whether the tile can be selected (merged "other" tiles cannot: they stand for many values).
pub fn selectable(tile: &Tile) -> bool {
    !tile.is_other && tile.path.last().is_some_and(|k| k != OTHER_KEY)
}

// ---------------------------------------------------------------------------------------------
// Selection clauses.

/// The conjunction that selects the subtree at `full` (one predicate per level on the path).
pub fn conjunction(levels: &[String], full: &[String]) -> Vec<Pred> {
    levels.iter().zip(full).map(|(l, v)| level_pred(l, v)).collect()
}

fn same_conj(a: &[Pred], b: &[Pred]) -> bool {
    a.len() == b.len() && a.iter().all(|p| b.contains(p))
}

/// New clause after a click on a tile whose conjunction is `conj`.
///
/// - plain click: select just this tile; clicking the only selected tile again clears (`None`).
/// - `additive` (ctrl/cmd-click): toggle this tile's conjunction in the existing `any_of` (an empty
///   result clears). Clauses of another shape (e.g. restored `Time`) are replaced.
pub fn click_clause(own: Option<&Clause>, conj: Vec<Pred>, additive: bool) -> Option<Clause> {
    let existing = match own {
        Some(Clause::Match { any_of, negate }) => Some((any_of, *negate)),
        _ => None,
    };
    if !additive {
        if let Some((any_of, false)) = existing {
            if any_of.len() == 1 && same_conj(&any_of[0], &conj) {
                return None;
            }
        }
        return Some(Clause::Match { any_of: vec![conj], negate: false });
    }
    let (mut any_of, negate) = match existing {
        Some((a, n)) => (a.clone(), n),
        None => (Vec::new(), false),
    };
    match any_of.iter().position(|c| same_conj(c, &conj)) {
        Some(i) => {
            any_of.remove(i);
        }
        None => any_of.push(conj),
    }
    if any_of.is_empty() {
        None
    } else {
        Some(Clause::Match { any_of, negate })
    }
}

/// Full paths selected by the view's own clause: conjunctions that map back onto a prefix of the
/// levels (one predicate per level, in any order). Others (e.g. made for different levels) are ignored.
pub fn selected_paths(own: Option<&Clause>, levels: &[String]) -> HashSet<Vec<String>> {
    let mut out = HashSet::new();
    let Some(Clause::Match { any_of, negate: false }) = own else {
        return out;
    };
    'conj: for conj in any_of {
        if conj.is_empty() || conj.len() > levels.len() {
            continue;
        }
        let mut path = Vec::with_capacity(conj.len());
        for level in &levels[..conj.len()] {
            let (field, len) = level_field(level);
            let found = conj.iter().find_map(|p| match (p, len) {
                (Pred::Eq { field: f, value }, None) if f == field => Some(value.clone()),
                (Pred::InPrefix { field: f, prefix }, Some(n))
                    if f == field && level_field(prefix).1 == Some(n) =>
                {
                    Some(prefix.clone())
                }
                _ => None,
            });
            match found {
                Some(v) => path.push(v),
                None => continue 'conj,
            }
        }
        out.insert(path);
    }
    out
}

/// How a tile relates to the own selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelState {
    None,
    /// Its conjunction is in the clause.
    Selected,
    /// An ancestor is selected.
    InSelected,
}

pub fn sel_state(selected: &HashSet<Vec<String>>, full: &[String]) -> SelState {
    if selected.is_empty() {
        return SelState::None;
    }
    if selected.contains(full) {
        return SelState::Selected;
    }
    if (1..full.len()).any(|k| selected.contains(&full[..k])) {
        SelState::InSelected
    } else {
        SelState::None
    }
}

/// Whether a hover from another view (field = value) designates the tile at `full` (matched at the
/// tile's own level: equal value, or for prefix levels the hovered address lies in the tile's prefix).
pub fn hover_matches(levels: &[String], full: &[String], hover: &Hover) -> bool {
    let Some(level) = level_of(levels, full) else {
        return false;
    };
    let Some(key) = full.last() else { return false };
    match level_field(level) {
        (field, _) if field != hover.field => false,
        (_, Some(_)) => key == &hover.value || ipgroup::ip_in_prefix(&hover.value, key),
        (_, None) => key == &hover.value,
    }
}

/// The hover this view publishes for the tile at `full`: the tile's level field and its key.
pub fn hover_for(levels: &[String], full: &[String]) -> Option<Hover> {
    let level = level_of(levels, full)?;
    let key = full.last()?;
    if key == OTHER_KEY {
        return None;
    }
    Some(Hover { field: level_field(level).0.to_string(), value: key.clone() })
}

// ---------------------------------------------------------------------------------------------
// Colours.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorMode {
    /// Diverging scale on the week-over-week change.
    #[default]
    WeekChange,
    /// By the value of the first shown level.
    Categorical,
    /// One colour; the own selection highlighted.
    Single,
}

impl ColorMode {
    pub const ALL: [ColorMode; 3] = [ColorMode::WeekChange, ColorMode::Categorical, ColorMode::Single];
    pub fn name(self) -> &'static str {
        match self {
            ColorMode::WeekChange => "Week change",
            ColorMode::Categorical => "Top level",
            ColorMode::Single => "Single colour",
        }
    }
}

/// Colour of tiles without comparison data (distinct from the light grey "no change" centre).
pub const NO_DATA: Color32 = Color32::from_rgb(165, 165, 165);

/// Relative week-over-week change (cur - prev) / max(prev, 1); None without both values.
pub fn week_change(cur: Option<i64>, prev: Option<i64>) -> Option<f64> {
    let (c, p) = (cur?, prev?);
    Some((c as f64 - p as f64) / (p.max(1) as f64))
}

pub fn change_color(change: Option<f64>) -> Color32 {
    match change {
        Some(c) if c.is_finite() => palette::diverging(c),
        _ => NO_DATA,
    }
}

/// FNV-1a: a hash that never changes between runs or Rust versions, so a key keeps its colour.
fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub fn categorical_color(key: &str) -> Color32 {
    palette::CATEGORICAL[(stable_hash(key) % palette::CATEGORICAL.len() as u64) as usize]
}

fn lighten(c: Color32, k: f32) -> Color32 {
    let f = |x: u8| (x as f32 + (255.0 - x as f32) * k).round() as u8;
    Color32::from_rgb(f(c.r()), f(c.g()), f(c.b()))
}

/// Week-change stats of every tile: the node's own, or for an "other" tile its parent minus the
/// shown siblings (so merged tiles still get a colour).
pub fn tile_stats(h: &Hierarchy, tiles: &[Tile]) -> Vec<NodeStats> {
    // Per parent (relative path): sums over the shown, non-other tiles.
    let mut shown: HashMap<&[String], NodeStats> = HashMap::new();
    for t in tiles.iter().filter(|t| !t.is_other) {
        let parent = t.path.split_last().map(|(_, p)| p).unwrap_or(&[]);
        let s = h.stats.get(&full_path(&h.root, t)).copied().unwrap_or_default();
        let e = shown.entry(parent).or_default();
        e.value = e.value.saturating_add(s.value);
        e.cur = add_opt(e.cur, s.cur);
        e.prev = add_opt(e.prev, s.prev);
    }
    tiles
        .iter()
        .map(|t| {
            let full = full_path(&h.root, t);
            if !t.is_other {
                return h.stats.get(&full).copied().unwrap_or_default();
            }
            let parent_full = &full[..full.len().saturating_sub(1)];
            let parent = h.stats.get(parent_full).copied().unwrap_or_default();
            let sib = shown.get(&t.path[..t.path.len().saturating_sub(1)]).copied().unwrap_or_default();
            let sub = |a: Option<i64>, b: Option<i64>| a.map(|a| a.saturating_sub(b.unwrap_or(0)));
            NodeStats {
                value: t.value.round() as i64,
                cur: sub(parent.cur, sib.cur),
                prev: sub(parent.prev, sib.prev),
                children: 0,
            }
        })
        .collect()
}

/// Fill colour of every tile.
pub fn tile_colors(
    h: &Hierarchy,
    tiles: &[Tile],
    mode: ColorMode,
    has_cmp: bool,
    selected: &HashSet<Vec<String>>,
) -> Vec<Color32> {
    match mode {
        ColorMode::WeekChange => {
            if !has_cmp {
                return vec![NO_DATA; tiles.len()];
            }
            tile_stats(h, tiles).iter().map(|s| change_color(week_change(s.cur, s.prev))).collect()
        }
        ColorMode::Categorical => tiles
            .iter()
            .map(|t| {
                let base = t.path.first().map(|k| categorical_color(k)).unwrap_or(palette::BAR);
                // Deeper tiles a little lighter so nesting reads even with the same hue.
                lighten(base, 0.18 * t.depth as f32)
            })
            .collect(),
        ColorMode::Single => tiles
            .iter()
            .map(|t| match sel_state(selected, &full_path(&h.root, t)) {
                SelState::None => lighten(palette::BAR, 0.15 * t.depth as f32),
                _ => palette::BAR_SELECTED,
            })
            .collect(),
    }
}

/// Black or white, whichever reads better on `bg`.
pub fn text_color_on(bg: Color32) -> Color32 {
    let l = 0.299 * bg.r() as f32 + 0.587 * bg.g() as f32 + 0.114 * bg.b() as f32;
    if l > 140.0 {
        Color32::from_gray(20)
    } else {
        Color32::WHITE
    }
}

/// Border colour and width by depth: shallower borders are darker and thicker so nesting shows.
pub fn border_for_depth(depth: usize) -> (Color32, f32) {
    let d = depth.min(4) as f32;
    (Color32::from_gray((30.0 + 45.0 * d) as u8), (1.6 - 0.4 * d).max(0.5))
}

/// Tooltip lines of a tile (exact numbers, share of the total and the parent, week change).
pub fn tooltip_lines(
    h: &Hierarchy,
    tile: &Tile,
    stats: &NodeStats,
    measure: &str,
    has_cmp: bool,
) -> Vec<String> {
    let full = full_path(&h.root, tile);
    let mut lines: Vec<String> = h
        .levels
        .iter()
        .zip(&full)
        .map(|(l, v)| if v == OTHER_KEY { format!("{l}: (other)") } else { format!("{l} = {v}") })
        .collect();
    if tile.is_other {
        lines.push(format!(
            "{} small values merged - not selectable (drill in to see them)",
            tile.merged_count
        ));
    }
    let value = stats.value;
    lines.push(format!("{measure}: {}", thousands(value)));
    let pct = |den: i64| {
        if den > 0 {
            100.0 * value as f64 / den as f64
        } else {
            0.0
        }
    };
    let parent_full = &full[..full.len().saturating_sub(1)];
    let parent_value = h.stats.get(parent_full).map(|s| s.value).unwrap_or(h.grand_total);
    lines.push(format!("{:.1}% of total, {:.1}% of parent", pct(h.grand_total), pct(parent_value)));
    if has_cmp {
        match week_change(stats.cur, stats.prev) {
            Some(c) => lines.push(format!(
                "week change: {:+.1}% ({} vs {} a week earlier)",
                100.0 * c,
                thousands(stats.cur.unwrap_or(0)),
                thousands(stats.prev.unwrap_or(0))
            )),
            None => lines.push("no data a week earlier".to_string()),
        }
    }
    if !tile.is_leaf && !tile.is_other {
        lines.push("double-click to drill in".to_string());
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// Export.

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn hex(c: Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

/// SVG of a layout (tile rects in the same coordinates as `width` x `height`): one rect per tile
/// with its fill and depth border, and the labels (one `tspan` per line; empty = no label).
/// `colors` and `labels` are indexed like `tiles`; missing entries mean grey / no label.
pub fn to_svg(tiles: &[Tile], colors: &[Color32], labels: &[String], width: f32, height: f32) -> String {
    use std::fmt::Write;
    let (w, h) = (width.max(0.0), height.max(0.0));
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#);
    for (i, t) in tiles.iter().enumerate() {
        let r = t.rect;
        if !(r.w.is_finite() && r.h.is_finite() && r.x.is_finite() && r.y.is_finite()) {
            continue;
        }
        let fill = colors.get(i).copied().unwrap_or(NO_DATA);
        let (border, bw) = border_for_depth(t.depth);
        let _ = writeln!(
            s,
            r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}" stroke="{}" stroke-width="{bw:.1}"><title>{}</title></rect>"#,
            r.x,
            r.y,
            r.w,
            r.h,
            hex(fill),
            hex(border),
            xml_escape(&t.path.join(" > "))
        );
        let Some(label) = labels.get(i).filter(|l| !l.is_empty()) else {
            continue;
        };
        let _ = write!(
            s,
            r#"<text x="{:.2}" y="{:.2}" fill="{}">"#,
            r.x + 3.0,
            r.y + 12.0,
            hex(text_color_on(fill))
        );
        for (k, line) in label.lines().enumerate() {
            let dy = if k == 0 { 0 } else { 13 };
            let _ = write!(s, r#"<tspan x="{:.2}" dy="{dy}">{}</tspan>"#, r.x + 3.0, xml_escape(line));
        }
        let _ = writeln!(s, "</text>");
    }
    s.push_str("</svg>\n");
    s
}

/// PNG of a layout (fills and depth borders; no text - the SVG export has the labels).
pub fn to_png(tiles: &[Tile], colors: &[Color32], width: u32, height: u32) -> Result<Vec<u8>, String> {
    if width == 0 || height == 0 || width > 16_384 || height > 16_384 {
        return Err(format!("bad PNG size {width}x{height}"));
    }
    let (wu, hu) = (width as usize, height as usize);
    let mut px = vec![255u8; wu * hu * 3];
    let mut fill = |x0: f32, y0: f32, x1: f32, y1: f32, c: Color32| {
        let cl = |v: f32, max: usize| {
            if v.is_finite() {
                (v.round().max(0.0) as usize).min(max)
            } else {
                0
            }
        };
        let (xa, xb, ya, yb) = (cl(x0, wu), cl(x1, wu), cl(y0, hu), cl(y1, hu));
        for y in ya..yb {
            for x in xa..xb {
                let o = (y * wu + x) * 3;
                px[o..o + 3].copy_from_slice(&[c.r(), c.g(), c.b()]);
            }
        }
    };
    for (i, t) in tiles.iter().enumerate() {
        let r = t.rect;
        let (border, bw) = border_for_depth(t.depth);
        let bw = bw.max(1.0);
        fill(r.x, r.y, r.x + r.w, r.y + r.h, border);
        let c = colors.get(i).copied().unwrap_or(NO_DATA);
        fill(r.x + bw, r.y + bw, r.x + r.w - bw, r.y + r.h - bw, c);
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| e.to_string())?;
        wr.write_image_data(&px).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::layout::{squarify, LayoutOptions, Rect};
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn leaf(path: &[&str], value: i64, cur: Option<i64>, prev: Option<i64>) -> TreeLeaf {
        TreeLeaf { path: s(path).into(), value, cur, prev }
    }

    fn services() -> (Vec<String>, Vec<TreeLeaf>) {
        let leaves = vec![
            leaf(&["tcp", "80"], 500, Some(300), Some(100)),
            leaf(&["tcp", "443"], 300, Some(100), Some(100)),
            leaf(&["udp", "53"], 200, Some(10), Some(40)),
            leaf(&["icmp", "0"], 7, None, None),
        ];
        (s(&["proto", "dst_port"]), leaves)
    }

    fn eq(f: &str, v: &str) -> Pred {
        Pred::Eq { field: f.into(), value: v.into() }
    }

    #[test]
    fn presets_and_levels() {
        let p = presets();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].levels, s(&["proto", "dst_port"]));
        assert_eq!(p[1].levels, s(&["dst_ip/16", "dst_ip/24", "dst_ip"]));
        assert_eq!(p[2].levels, s(&["src_ip/16", "src_ip/24", "src_ip"]));
        assert_eq!(p[3].levels, s(&["action", "reason"]));
        assert_eq!(level_field("dst_ip/16"), ("dst_ip", Some(16)));
        assert_eq!(level_field("dst_ip"), ("dst_ip", None));
        assert_eq!(level_field("a/b"), ("a/b", None));
        assert_eq!(level_field("/16"), ("/16", None));
        let ch = level_choices(&s(&["proto", "src_ip"]));
        assert_eq!(ch, s(&["proto", "src_ip", "src_ip/16", "src_ip/24"]));
    }

    #[test]
    fn hierarchy_sums_and_stats() {
        let (levels, leaves) = services();
        let h = build_hierarchy(&levels, &leaves, &[]);
        assert_eq!(h.grand_total, 1007);
        assert_eq!(h.nodes.len(), 3);
        let tcp = h.nodes.iter().find(|n| n.key == "tcp").expect("tcp");
        assert_eq!(tcp.value, 800.0);
        assert_eq!(tcp.children.len(), 2);
        let st = h.stats[&s(&["tcp"])];
        assert_eq!((st.value, st.cur, st.prev, st.children), (800, Some(400), Some(200), 2));
        assert_eq!(h.stats[&s(&["icmp"])].cur, None);
        assert_eq!(h.stats[&Vec::<String>::new()].value, 1007);
        assert_eq!(h.stats[&Vec::<String>::new()].children, 3);
        // Stale leaves for other levels are skipped, not mis-assigned.
        let mut bad = leaves.clone();
        bad.push(leaf(&["x"], 5, None, None));
        let h2 = build_hierarchy(&levels, &bad, &[]);
        assert_eq!((h2.skipped, h2.grand_total), (1, 1007));
        assert!(build_hierarchy(&[], &leaves, &[]).nodes.is_empty());
    }

    #[test]
    fn drill_down_shows_subtree() {
        let (levels, leaves) = services();
        let h = build_hierarchy(&levels, &leaves, &s(&["tcp"]));
        let keys: Vec<&str> = h.nodes.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["443", "80"]);
        assert!(h.nodes.iter().all(|n| n.children.is_empty()));
        assert_eq!(h.stats[&s(&["tcp"])].value, 800);
        assert_eq!(h.grand_total, 1007, "percent of total stays relative to everything");
        let tiles = squarify(&h.nodes, Rect::new(0.0, 0.0, 200.0, 100.0), &LayoutOptions::default());
        assert_eq!(full_path(&h.root, &tiles[0]), s(&["tcp", "80"]));
        assert_eq!(tile_access_label(&levels, &s(&["tcp", "80"])), "tile proto=tcp > dst_port=80");
        // Unknown root: nothing below it.
        assert!(build_hierarchy(&levels, &leaves, &s(&["gre"])).nodes.is_empty());
    }

    #[test]
    fn prefix_levels_and_clauses() {
        let levels = s(&["dst_ip/16", "dst_ip/24", "dst_ip"]);
        let leaves = vec![
            leaf(&["10.1.0.0/16", "10.1.2.0/24", "10.1.2.3"], 5, None, None),
            // A bare address at prefix levels is grouped by its prefix.
            leaf(&["10.1.2.9", "10.1.2.9", "10.1.2.9"], 2, None, None),
        ];
        let h = build_hierarchy(&levels, &leaves, &[]);
        assert_eq!(h.nodes.len(), 1);
        assert_eq!(h.stats[&s(&["10.1.0.0/16", "10.1.2.0/24"])].value, 7);
        let conj = conjunction(&levels, &s(&["10.1.0.0/16", "10.1.2.0/24", "10.1.2.3"]));
        assert_eq!(
            conj,
            vec![
                Pred::InPrefix { field: "dst_ip".into(), prefix: "10.1.0.0/16".into() },
                Pred::InPrefix { field: "dst_ip".into(), prefix: "10.1.2.0/24".into() },
                eq("dst_ip", "10.1.2.3"),
            ]
        );
        let c = click_clause(None, conjunction(&levels, &s(&["10.1.0.0/16"])), false);
        let Some(Clause::Match { any_of, negate: false }) = &c else { panic!("{c:?}") };
        assert_eq!(
            any_of,
            &vec![vec![Pred::InPrefix { field: "dst_ip".into(), prefix: "10.1.0.0/16".into() }]]
        );
        let sel = selected_paths(c.as_ref(), &levels);
        assert_eq!(sel.len(), 1);
        assert_eq!(sel_state(&sel, &s(&["10.1.0.0/16"])), SelState::Selected);
        assert_eq!(sel_state(&sel, &s(&["10.1.0.0/16", "10.1.2.0/24"])), SelState::InSelected);
        assert_eq!(sel_state(&sel, &s(&["10.2.0.0/16"])), SelState::None);
        // Round trip of the deepest conjunction.
        let c3 = click_clause(None, conj, false);
        assert!(selected_paths(c3.as_ref(), &levels).contains(&s(&[
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.2.3"
        ])));
        // Hover from another view: an address lights up the prefixes containing it.
        let hv = Hover { field: "dst_ip".into(), value: "10.1.2.3".into() };
        assert!(hover_matches(&levels, &s(&["10.1.0.0/16"]), &hv));
        assert!(hover_matches(&levels, &s(&["10.1.0.0/16", "10.1.2.0/24", "10.1.2.3"]), &hv));
        assert!(!hover_matches(&levels, &s(&["10.2.0.0/16"]), &hv));
        assert!(!hover_matches(
            &levels,
            &s(&["10.1.0.0/16"]),
            &Hover { field: "src_ip".into(), value: "10.1.2.3".into() }
        ));
        assert_eq!(
            hover_for(&levels, &s(&["10.1.0.0/16", "10.1.2.0/24"])),
            Some(Hover { field: "dst_ip".into(), value: "10.1.2.0/24".into() })
        );
        assert_eq!(hover_for(&levels, &s(&["10.1.0.0/16", OTHER_KEY])), None);
    }

    #[test]
    fn click_and_ctrl_click() {
        let levels = s(&["proto", "dst_port"]);
        let a = conjunction(&levels, &s(&["tcp", "80"]));
        let b = conjunction(&levels, &s(&["udp"]));
        assert_eq!(a, vec![eq("proto", "tcp"), eq("dst_port", "80")]);
        let one = click_clause(None, a.clone(), false);
        assert_eq!(one, Some(Clause::Match { any_of: vec![a.clone()], negate: false }));
        // Same single tile again clears.
        assert_eq!(click_clause(one.as_ref(), a.clone(), false), None);
        // Predicate order does not matter for "same tile".
        let rev: Vec<Pred> = a.iter().rev().cloned().collect();
        assert_eq!(click_clause(one.as_ref(), rev, false), None);
        // Ctrl adds, ctrl again removes, removing the last clears.
        let two = click_clause(one.as_ref(), b.clone(), true);
        assert_eq!(two, Some(Clause::Match { any_of: vec![a.clone(), b.clone()], negate: false }));
        let back = click_clause(two.as_ref(), a.clone(), true);
        assert_eq!(back, Some(Clause::Match { any_of: vec![b.clone()], negate: false }));
        assert_eq!(click_clause(back.as_ref(), b.clone(), true), None);
        // Plain click on another tile replaces a multi-selection.
        assert_eq!(
            click_clause(two.as_ref(), a.clone(), false),
            Some(Clause::Match { any_of: vec![a.clone()], negate: false })
        );
        // Ctrl on nothing selects; a foreign clause is replaced.
        let t = Clause::Time { start_us: 0, end_us: 1 };
        assert_eq!(
            click_clause(Some(&t), b.clone(), true),
            Some(Clause::Match { any_of: vec![b.clone()], negate: false })
        );
        let sel = selected_paths(two.as_ref(), &levels);
        assert!(sel.contains(&s(&["tcp", "80"])) && sel.contains(&s(&["udp"])));
        assert_eq!(sel_state(&sel, &s(&["udp", "53"])), SelState::InSelected);
        assert_eq!(sel_state(&sel, &s(&["tcp"])), SelState::None);
        // Clauses that do not fit the levels are ignored.
        let foreign = Clause::values("src_ip", ["1.2.3.4".to_string()], false);
        assert!(selected_paths(Some(&foreign), &levels).is_empty());
    }

    #[test]
    fn colour_scale() {
        let grey = palette::diverging(0.0);
        assert_eq!(change_color(week_change(Some(100), Some(100))), grey);
        assert_eq!(grey, Color32::from_rgb(235, 235, 235));
        let up = change_color(week_change(Some(200), Some(100)));
        let down = change_color(week_change(Some(50), Some(100)));
        assert!(up.r() > up.b(), "more = red {up:?}");
        assert!(down.b() > down.r(), "less = blue {down:?}");
        assert_eq!(week_change(Some(5), Some(0)), Some(5.0), "prev 0 uses max(prev, 1)");
        assert_eq!(change_color(week_change(None, Some(3))), NO_DATA);
        assert_ne!(NO_DATA, grey);
        // Categorical colours are stable.
        assert_eq!(categorical_color("tcp"), categorical_color("tcp"));
        assert_eq!(categorical_color("tcp"), palette::CATEGORICAL[(stable_hash("tcp") % 10) as usize]);

        let (levels, leaves) = services();
        let h = build_hierarchy(&levels, &leaves, &[]);
        let tiles = squarify(&h.nodes, Rect::new(0.0, 0.0, 400.0, 300.0), &LayoutOptions::default());
        let sel = HashSet::new();
        let cols = tile_colors(&h, &tiles, ColorMode::WeekChange, true, &sel);
        for (t, c) in tiles.iter().zip(&cols) {
            match t.path.as_slice() {
                [p] if p == "icmp" => assert_eq!(*c, NO_DATA),
                [p, q] if p == "tcp" && q == "443" => assert_eq!(*c, grey),
                [p, q] if p == "tcp" && q == "80" => assert!(c.r() > c.b()),
                [p, ..] if p == "udp" => assert!(c.b() > c.r()),
                _ => {}
            }
        }
        assert!(tile_colors(&h, &tiles, ColorMode::WeekChange, false, &sel).iter().all(|c| *c == NO_DATA));
        let sel =
            selected_paths(click_clause(None, conjunction(&levels, &s(&["udp"])), false).as_ref(), &levels);
        let single = tile_colors(&h, &tiles, ColorMode::Single, true, &sel);
        for (t, c) in tiles.iter().zip(&single) {
            assert_eq!(*c == palette::BAR_SELECTED, t.path[0] == "udp", "{:?}", t.path);
        }
    }

    #[test]
    fn other_tiles_get_stats_and_are_not_selectable() {
        let levels = s(&["port"]);
        let mut leaves = vec![leaf(&["80"], 10_000, Some(100), Some(100))];
        for i in 0..50 {
            leaves.push(leaf(&[&format!("{}", 1000 + i)], 1, Some(2), Some(1)));
        }
        let h = build_hierarchy(&levels, &leaves, &[]);
        let tiles = squarify(&h.nodes, Rect::new(0.0, 0.0, 100.0, 100.0), &LayoutOptions::default());
        let other = tiles.iter().position(|t| t.is_other).expect("an other tile");
        assert!(!selectable(&tiles[other]));
        let st = tile_stats(&h, &tiles);
        assert_eq!((st[other].cur, st[other].prev), (Some(100), Some(50)));
        let lines = tooltip_lines(&h, &tiles[other], &st[other], "count", true);
        assert!(lines.iter().any(|l| l.contains("not selectable")), "{lines:?}");
        let big = tiles.iter().position(|t| t.path == s(&["80"])).expect("80");
        let lines = tooltip_lines(&h, &tiles[big], &st[big], "count", true);
        assert!(lines.contains(&"count: 10,000".to_string()), "{lines:?}");
        assert!(lines.contains(&"99.5% of total, 99.5% of parent".to_string()), "{lines:?}");
        assert!(lines.contains(&"week change: +0.0% (100 vs 100 a week earlier)".to_string()), "{lines:?}");
    }

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let levels = s(&["proto", "dst_port"]);
        let leaves =
            vec![leaf(&["t<c>p&\"x\"", "80"], 5, None, None), leaf(&["udp", "53\u{1}"], 3, None, None)];
        let h = build_hierarchy(&levels, &leaves, &[]);
        let tiles = squarify(&h.nodes, Rect::new(0.0, 0.0, 300.0, 200.0), &LayoutOptions::default());
        let colors = tile_colors(&h, &tiles, ColorMode::Categorical, false, &HashSet::new());
        let labels: Vec<String> =
            tiles.iter().map(|t| tile_text(t.path.last().map_or("", |k| k), t.value)).collect();
        let svg = to_svg(&tiles, &colors, &labels, 300.0, 200.0);
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("t&lt;c&gt;p&amp;&quot;x&quot;"));
        assert!(!svg.contains("t<c>p"));
        assert!(!svg.contains('\u{1}'));
        // Crude well-formedness: tags balance.
        let opens = svg.matches("<rect").count();
        assert_eq!(opens, tiles.len() + 1);
        assert_eq!(svg.matches("</rect>").count() + 1, opens, "background rect is self-closed");
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert_eq!(svg.matches("<tspan").count(), svg.matches("</tspan>").count());
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        // Missing colours/labels and garbage geometry do not panic.
        let _ = to_svg(&tiles, &[], &[], f32::NAN, -1.0);
        let png = to_png(&tiles, &colors, 300, 200).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(to_png(&tiles, &colors, 0, 10).is_err());
    }
}
