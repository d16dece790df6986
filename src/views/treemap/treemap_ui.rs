//! Treemap view (egui): controls, breadcrumb, the nested tiles, legend; returns the user's edit.
//!
//! Exports do not go through the return value: the "SVG" / "PNG" buttons leave a
//! [`TreemapExport`] in the state, which the app takes with [`TreemapState::take_export`] and saves
//! through its `FilePicker`.
//!
//! The app must pass `leaves` only when the output was computed for `state.levels()` and
//! `state.measure()` (otherwise `None`, drawn as "Loading"): leaves do not say which levels they are for.

use std::collections::HashMap;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use super::layout::{self, LayoutOptions, Tile};
use super::model::{self, ColorMode, Hierarchy, SelState};
use crate::linking::needs::TreeLeaf;
use crate::linking::selection::Clause;
use crate::views::common::{compact, palette, Hover, ViewEdit};

/// At most this many tiles get their own widget (hit box + accessible label); beyond that, clicks
/// fall through to the background and are resolved geometrically, which keeps huge maps cheap.
const MAX_INTERACTIVE_TILES: usize = 4000;

/// An export the user asked for; take it with [`TreemapState::take_export`].
#[derive(Clone, Debug, PartialEq)]
pub enum TreemapExport {
    /// The SVG document of the current map (with labels).
    Svg(String),
    /// PNG bytes of the current map (fills and borders, no text).
    Png(Vec<u8>),
}

/// What a layout depends on: leaves fingerprint, levels, drill root, map size in px.
type LayoutKey = (u64, Vec<String>, Vec<String>, [u32; 2]);

/// Cached hierarchy: rebuilt only when the leaves, levels or drill root change.
struct Cache {
    fingerprint: u64,
    levels: Vec<String>,
    root: Vec<String>,
    hierarchy: Hierarchy,
}

pub struct TreemapState {
    levels: Vec<String>,
    /// Index into [`model::presets`], None for custom levels.
    preset: Option<usize>,
    measure: String,
    pub color_mode: ColorMode,
    /// Full path of the drill root.
    drill: Vec<String>,
    /// Sibling order of the last layout, fed back for stable layouts.
    prev_order: Option<HashMap<Vec<String>, usize>>,
    /// Last layout, in map-local coordinates (origin at the map's top-left), plus its key.
    tiles: Vec<Tile>,
    layout_key: Option<LayoutKey>,
    colors: Vec<Color32>,
    labels: Vec<String>,
    map_size: Vec2,
    cache: Option<Cache>,
    /// The hover this view published last, so it can withdraw it (and not echo it back).
    my_hover: Option<Hover>,
    export: Option<TreemapExport>,
}

impl Default for TreemapState {
    fn default() -> Self {
        let levels = model::presets().into_iter().next().map(|p| p.levels).unwrap_or_default();
        TreemapState {
            levels,
            preset: Some(0),
            measure: "count".to_string(),
            color_mode: ColorMode::default(),
            drill: Vec::new(),
            prev_order: None,
            tiles: Vec::new(),
            layout_key: None,
            colors: Vec::new(),
            labels: Vec::new(),
            map_size: Vec2::ZERO,
            cache: None,
            my_hover: None,
            export: None,
        }
    }
}

impl TreemapState {
    pub fn levels(&self) -> &[String] {
        &self.levels
    }
    pub fn measure(&self) -> &str {
        &self.measure
    }
    /// Sets the levels (1..=3); resets drill-down and the remembered order.
    pub fn set_levels(&mut self, levels: Vec<String>) {
        if levels != self.levels {
            self.levels = levels;
            self.preset = model::presets().iter().position(|p| p.levels == self.levels);
            self.drill.clear();
            self.prev_order = None;
        }
    }
    pub fn set_measure(&mut self, measure: &str) {
        self.measure = measure.to_string();
    }
    /// Full path of the drill root (empty = everything).
    pub fn drill(&self) -> &[String] {
        &self.drill
    }
    pub fn set_drill(&mut self, path: Vec<String>) {
        if path.len() < self.levels.len() && path != self.drill {
            self.drill = path;
            self.prev_order = None;
        }
    }
    /// The pending export, if the user pressed an export button.
    pub fn take_export(&mut self) -> Option<TreemapExport> {
        self.export.take()
    }
    /// The tiles of the last drawn layout (map-local coordinates).
    pub fn tiles(&self) -> &[Tile] {
        &self.tiles
    }
}

/// Cheap change detector for the leaves (address, length and integer sums): O(n) integer work,
/// no string hashing, so it can run every frame.
fn fingerprint(leaves: &[TreeLeaf]) -> u64 {
    let mut h: u64 = (leaves.as_ptr() as usize as u64) ^ ((leaves.len() as u64) << 32);
    for (i, l) in leaves.iter().enumerate() {
        let x = (l.value as u64)
            .wrapping_add((l.cur.unwrap_or(-1) as u64).rotate_left(21))
            .wrapping_add((l.prev.unwrap_or(-1) as u64).rotate_left(42))
            .wrapping_add(l.path.len() as u64 + i as u64);
        h = (h ^ x).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn to_egui(r: layout::Rect, origin: Pos2) -> Rect {
    Rect::from_min_size(origin + Vec2::new(r.x, r.y), Vec2::new(r.w, r.h))
}

/// Index of the deepest tile containing `p` (map-local): parents come before their children in
/// the layout, so the last hit is the deepest.
fn deepest_at(tiles: &[Tile], p: Pos2) -> Option<usize> {
    tiles.iter().rposition(|t| {
        let r = t.rect;
        p.x >= r.x && p.x < r.x + r.w && p.y >= r.y && p.y < r.y + r.h
    })
}

/// Draws controls (preset/levels pickers, measure, colour mode, export, breadcrumb with "Up"), the
/// treemap filling the rest of the available rect, and the legend. Returns the selection edit the
/// user made: tile click / ctrl-click, or clear on Esc or double-click on empty space.
pub fn treemap_ui(
    ui: &mut egui::Ui,
    state: &mut TreemapState,
    columns: &[String],
    leaves: Option<&[TreeLeaf]>,
    has_cmp: bool,
    own_clause: Option<&Clause>,
    hover: &mut Option<Hover>,
) -> Option<ViewEdit> {
    controls_ui(ui, state, columns);
    breadcrumb_ui(ui, state);
    legend_ui(ui, state, has_cmp);

    let Some(leaves) = leaves else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Loading");
        });
        withdraw_hover(state, hover);
        return None;
    };

    // Hierarchy (cached).
    let fp = fingerprint(leaves);
    let stale = state
        .cache
        .as_ref()
        .is_none_or(|c| c.fingerprint != fp || c.levels != state.levels || c.root != state.drill);
    if stale {
        let mut h = model::build_hierarchy(&state.levels, leaves, &state.drill);
        // The drill root vanished (data or filters changed): back to the top.
        if !state.drill.is_empty() && h.nodes.is_empty() {
            state.drill.clear();
            state.prev_order = None;
            h = model::build_hierarchy(&state.levels, leaves, &[]);
        }
        state.cache = Some(Cache {
            fingerprint: fp,
            levels: state.levels.clone(),
            root: state.drill.clone(),
            hierarchy: h,
        });
    }
    let h = &state.cache.as_ref()?.hierarchy;
    if h.nodes.is_empty() {
        ui.label("No data for these levels");
        withdraw_hover(state, hover);
        return None;
    }

    let map_rect = ui.available_rect_before_wrap();
    let map_rect = Rect::from_min_size(map_rect.min, map_rect.size().max(Vec2::new(40.0, 40.0)));
    let bg = ui.allocate_rect(map_rect, Sense::click());
    let origin = map_rect.min;

    // Layout (cached by data, levels, drill and size).
    let size_key = [map_rect.width().round() as u32, map_rect.height().round() as u32];
    let key = (fp, state.levels.clone(), state.drill.clone(), size_key);
    if state.layout_key.as_ref() != Some(&key) {
        let same_view = state.layout_key.as_ref().is_some_and(|k| k.1 == key.1 && k.2 == key.2);
        let prev = if same_view { state.prev_order.as_ref() } else { None };
        let bounds = layout::Rect::new(0.0, 0.0, map_rect.width(), map_rect.height());
        let opts = LayoutOptions { padding_px: 3.0, header_px: 16.0, min_tile_px: 6.0 };
        state.tiles = layout::squarify_with_order(&h.nodes, bounds, &opts, prev);
        state.prev_order = Some(layout::order_map(&state.tiles));
        state.layout_key = Some(key);
        state.map_size = map_rect.size();
    }
    let tiles = &state.tiles;
    let selected = model::selected_paths(own_clause, &state.levels);
    // Nothing a week earlier to compare with: colour by category rather than paint all grey.
    let mode = effective_mode(state.color_mode, has_cmp);
    state.colors = model::tile_colors(h, tiles, mode, has_cmp, &selected);
    let stats = model::tile_stats(h, tiles);
    let fulls: Vec<Vec<String>> = tiles.iter().map(|t| model::full_path(&h.root, t)).collect();

    // Hover set by another view (not our own echo).
    let foreign_hover = hover.clone().filter(|hv| Some(hv) != state.my_hover.as_ref());

    // Widgets: one per tile (parents first, so the deepest tile is on top).
    let painter = ui.painter_at(map_rect);
    let mut responses = Vec::with_capacity(tiles.len().min(MAX_INTERACTIVE_TILES));
    for (i, t) in tiles.iter().enumerate().take(MAX_INTERACTIVE_TILES) {
        let r = to_egui(t.rect, origin);
        let id = ui.scope_id().with(("treemap_tile", &fulls[i]));
        let resp = ui.interact(r, id, Sense::click());
        let label = model::tile_access_label(&state.levels, &fulls[i]);
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
        responses.push(resp);
    }

    // Paint.
    let font = FontId::proportional(11.0);
    state.labels = vec![String::new(); tiles.len()];
    for (i, t) in tiles.iter().enumerate() {
        let r = to_egui(t.rect, origin);
        let fill = state.colors[i];
        let key = t.path.last().map_or("", String::as_str);
        let tile_painter = painter.with_clip_rect(r.intersect(map_rect));
        if t.is_leaf {
            painter.rect_filled(r, 0.0, fill);
            if r.width() >= 18.0 && r.height() >= 12.0 {
                let text_col = model::text_color_on(fill);
                for text in [model::tile_text(key, t.value), key.to_string()] {
                    let g = painter.layout_no_wrap(text.clone(), font.clone(), text_col);
                    if g.size().x + 4.0 <= r.width() && g.size().y + 2.0 <= r.height() {
                        tile_painter.galley(r.min + Vec2::new(3.0, 1.0), g, text_col);
                        state.labels[i] = text;
                        break;
                    }
                }
            }
        } else {
            // Parent: darker frame and header strip with its label; children are painted on top.
            let frame = fill.gamma_multiply(0.75).to_opaque();
            painter.rect_filled(r, 0.0, frame);
            if r.height() >= 30.0 && r.width() >= 24.0 {
                let text = format!("{key}  {}", compact(t.value));
                let text_col = model::text_color_on(frame);
                let g = painter.layout_no_wrap(text.clone(), font.clone(), text_col);
                let fits = g.size().x + 4.0 <= r.width();
                let shown = if fits { text } else { key.to_string() };
                tile_painter.text(
                    r.min + Vec2::new(3.0, 2.0),
                    Align2::LEFT_TOP,
                    &shown,
                    font.clone(),
                    text_col,
                );
                state.labels[i] = shown;
            }
        }
        let (border, bw) = model::border_for_depth(t.depth);
        painter.rect_stroke(r, 0.0, Stroke::new(bw, border), StrokeKind::Inside);
    }

    // Outlines: own selection, then other views' hover.
    for (i, t) in tiles.iter().enumerate() {
        let r = to_egui(t.rect, origin);
        if model::sel_state(&selected, &fulls[i]) == SelState::Selected {
            painter.rect_stroke(r, 0.0, Stroke::new(2.5, palette::BAR_SELECTED), StrokeKind::Inside);
        }
        if let Some(hv) = &foreign_hover {
            if model::hover_matches(&state.levels, &fulls[i], hv) {
                painter.rect_stroke(r, 0.0, Stroke::new(2.0, palette::BAR_HOVER), StrokeKind::Inside);
            }
        }
    }

    // Pointer: deepest tile under it.
    let local = |p: Pos2| Pos2::new(p.x - origin.x, p.y - origin.y);
    let hover_pos = ui.input(|i| i.pointer.hover_pos()).filter(|p| map_rect.contains(*p));
    let pointer_here = hover_pos.is_some() && (bg.hovered() || responses.iter().any(|r| r.hovered()));
    let hit = if pointer_here { hover_pos.and_then(|p| deepest_at(tiles, local(p))) } else { None };

    // Publish our hover / withdraw it.
    match hit.and_then(|i| model::hover_for(&state.levels, &fulls[i])) {
        Some(hv) => {
            *hover = Some(hv.clone());
            state.my_hover = Some(hv);
        }
        None => withdraw_hover_inner(&mut state.my_hover, hover),
    }
    if let Some(i) = hit {
        let r = to_egui(tiles[i].rect, origin);
        painter.rect_stroke(r, 0.0, Stroke::new(1.5, Color32::WHITE), StrokeKind::Inside);
        let lines = model::tooltip_lines(h, &tiles[i], &stats[i], &state.measure, has_cmp);
        let resp = responses.get(i).cloned().unwrap_or_else(|| bg.clone());
        resp.on_hover_ui_at_pointer(|ui| {
            for l in &lines {
                ui.label(l);
            }
        });
    }

    // Clicks: the widget that got it tells us *that* it happened; geometry tells us *which* tile
    // (the deepest under the pointer), falling back to the widget itself for accessibility clicks.
    let mut edit = None;
    let additive = ui.input(|i| i.modifiers.ctrl || i.modifiers.command);
    let all = responses.iter().enumerate().map(|(i, r)| (Some(i), r)).chain(std::iter::once((None, &bg)));
    for (idx, resp) in all {
        if !(resp.clicked() || resp.double_clicked()) {
            continue;
        }
        let target = match resp.interact_pointer_pos() {
            Some(p) => deepest_at(tiles, local(p)),
            None => idx,
        };
        if resp.double_clicked() {
            match target {
                Some(t) => {
                    let tile = &tiles[t];
                    // Drill into the tile if it is a parent, else into its parent.
                    let path = if !tile.is_leaf {
                        fulls[t].clone()
                    } else {
                        fulls[t][..fulls[t].len().saturating_sub(1)].to_vec()
                    };
                    // (A leaf or "other" tile drills into its parent; nothing at the top of a 1-level map.)
                    if path.len() > state.drill.len() {
                        state.drill = path;
                        state.prev_order = None;
                    }
                }
                None => edit = Some(ViewEdit { clause: None, continuing: false }),
            }
        } else if let Some(t) = target {
            if model::selectable(&tiles[t]) {
                let conj = model::conjunction(&state.levels, &fulls[t]);
                edit = Some(ViewEdit {
                    clause: model::click_clause(own_clause, conj, additive),
                    continuing: false,
                });
            }
        }
        break;
    }
    if own_clause.is_some() && pointer_here && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        edit = Some(ViewEdit { clause: None, continuing: false });
    }
    edit
}

fn withdraw_hover_inner(mine: &mut Option<Hover>, hover: &mut Option<Hover>) {
    if let Some(m) = mine.take() {
        if hover.as_ref() == Some(&m) {
            *hover = None;
        }
    }
}

fn withdraw_hover(state: &mut TreemapState, hover: &mut Option<Hover>) {
    withdraw_hover_inner(&mut state.my_hover, hover);
}

fn controls_ui(ui: &mut egui::Ui, state: &mut TreemapState, columns: &[String]) {
    ui.horizontal_wrapped(|ui| {
        let presets = model::presets();
        let current = state.preset.and_then(|i| presets.get(i)).map_or("Custom", |p| p.name);
        let mut new_levels = None;
        crate::views::common::labeled_combo(ui, "Preset", current, |ui| {
            for p in &presets {
                if ui.selectable_label(state.levels == p.levels, p.name).clicked() {
                    new_levels = Some(p.levels.clone());
                }
            }
            if ui.selectable_label(state.preset.is_none(), "Custom").clicked() {
                state.preset = None;
            }
        });
        if state.preset.is_none() {
            let choices = model::level_choices(columns);
            let mut levels = state.levels.clone();
            for k in 0..model::MAX_LEVELS {
                let cur = levels.get(k).cloned();
                let label = format!("Level {}", k + 1);
                crate::views::common::labeled_combo(
                    ui,
                    &label,
                    cur.clone().unwrap_or_else(|| "(none)".into()),
                    |ui| {
                        // The first level is required; deeper ones can be removed.
                        if k > 0 && ui.selectable_label(cur.is_none(), "(none)").clicked() {
                            levels.truncate(k);
                        }
                        for c in &choices {
                            if ui.selectable_label(cur.as_ref() == Some(c), c).clicked() {
                                if k < levels.len() {
                                    levels[k] = c.clone();
                                } else {
                                    levels.push(c.clone());
                                }
                            }
                        }
                    },
                );
                if k >= levels.len() {
                    break;
                }
            }
            if levels != state.levels {
                new_levels = Some(levels);
            }
        }
        if let Some(l) = new_levels {
            let custom = state.preset.is_none();
            state.set_levels(l);
            if custom {
                // Stay in custom mode even if the pick happens to equal a preset.
                state.preset = state.preset.filter(|_| !custom);
            }
        }
        crate::views::common::labeled_combo(ui, "Size by", state.measure.clone(), |ui| {
            for m in model::MEASURES {
                if ui.selectable_label(state.measure == m, m).clicked() {
                    state.measure = m.to_string();
                }
            }
        });
        crate::views::common::labeled_combo(ui, "Colour by", state.color_mode.name(), |ui| {
            for m in ColorMode::ALL {
                ui.selectable_value(&mut state.color_mode, m, m.name());
            }
        });
        let can_export = !state.tiles.is_empty();
        if ui
            .add_enabled(can_export, egui::Button::new("SVG"))
            .on_hover_text("Export the treemap as SVG")
            .clicked()
        {
            let s = state.map_size;
            state.export =
                Some(TreemapExport::Svg(model::to_svg(&state.tiles, &state.colors, &state.labels, s.x, s.y)));
        }
        if ui
            .add_enabled(can_export, egui::Button::new("PNG"))
            .on_hover_text("Export the treemap as PNG (no labels)")
            .clicked()
        {
            let s = state.map_size;
            if let Ok(png) =
                model::to_png(&state.tiles, &state.colors, s.x.round() as u32, s.y.round() as u32)
            {
                state.export = Some(TreemapExport::Png(png));
            }
        }
    });
}

fn breadcrumb_ui(ui: &mut egui::Ui, state: &mut TreemapState) {
    ui.horizontal_wrapped(|ui| {
        let mut target = None;
        if ui.add_enabled(!state.drill.is_empty(), egui::Button::new("Up")).clicked() {
            target = Some(state.drill.len().saturating_sub(1));
        }
        if ui.selectable_label(state.drill.is_empty(), "All").clicked() {
            target = Some(0);
        }
        for (k, key) in state.drill.iter().enumerate() {
            ui.label("›");
            let level = state.levels.get(k).map_or("", String::as_str);
            if ui.selectable_label(k + 1 == state.drill.len(), key).on_hover_text(level).clicked() {
                target = Some(k + 1);
            }
        }
        if let Some(n) = target {
            if n < state.drill.len() {
                state.drill.truncate(n);
                state.prev_order = None;
            }
        }
    });
}

fn swatch(ui: &mut egui::Ui, c: Color32, text: &str) {
    let (r, _) = ui.allocate_exact_size(Vec2::new(14.0, 12.0), Sense::hover());
    ui.painter().rect_filled(r, 2.0, c);
    if !text.is_empty() {
        ui.add(egui::Label::new(text).extend());
    }
}

fn effective_mode(chosen: ColorMode, has_cmp: bool) -> ColorMode {
    if chosen == ColorMode::WeekChange && !has_cmp {
        ColorMode::Categorical
    } else {
        chosen
    }
}

fn legend_ui(ui: &mut egui::Ui, state: &TreemapState, has_cmp: bool) {
    if state.color_mode == ColorMode::WeekChange && !has_cmp {
        ui.weak("No records one week before this window: coloured by category instead of week change.");
    }
    ui.horizontal(|ui| match effective_mode(state.color_mode, has_cmp) {
        ColorMode::WeekChange => {
            if has_cmp {
                ui.label("vs a week earlier:");
                for (c, t) in [(-1.0, "-100%"), (-0.5, ""), (0.0, "same"), (0.5, ""), (1.0, "+100% or more")]
                {
                    swatch(ui, palette::diverging(c), t);
                }
            }
            swatch(ui, model::NO_DATA, "no data a week earlier");
        }
        ColorMode::Categorical => {
            let tops: Vec<&Tile> =
                state.tiles.iter().filter(|t| t.depth == 0 && !t.is_other).take(8).collect();
            for t in tops {
                let key = t.path.last().map_or("", String::as_str);
                swatch(ui, model::categorical_color(key), key);
            }
        }
        ColorMode::Single => {
            swatch(ui, palette::BAR, "value");
            swatch(ui, palette::BAR_SELECTED, "selected");
        }
    });
}

/// Cached colours of the last frame's tiles (same order as [`TreemapState::tiles`]).
impl TreemapState {
    pub fn tile_colors(&self) -> &[Color32] {
        &self.colors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linking::selection::Pred;
    use egui_kittest::kittest::Queryable;
    use egui_kittest::Harness;

    fn leaves() -> Vec<TreeLeaf> {
        let l = |p: &[&str], v: i64| TreeLeaf {
            path: p.iter().map(|s| s.to_string()).collect(),
            value: v,
            cur: Some(v),
            prev: Some(v / 2),
        };
        vec![
            l(&["tcp", "80"], 5000),
            l(&["tcp", "443"], 3000),
            l(&["udp", "53"], 2000),
            l(&["icmp", "0"], 300),
        ]
    }

    struct T {
        state: TreemapState,
        leaves: Vec<TreeLeaf>,
        clause: Option<Clause>,
        hover: Option<Hover>,
        edits: Vec<ViewEdit>,
    }

    fn harness() -> Harness<'static, T> {
        let t = T {
            state: TreemapState::default(),
            leaves: leaves(),
            clause: None,
            hover: None,
            edits: Vec::new(),
        };
        let cols: Vec<String> = ["proto", "dst_port", "src_ip"].iter().map(|s| s.to_string()).collect();
        Harness::builder().with_size(Vec2::new(800.0, 600.0)).with_step_dt(0.02).build_ui_state(
            move |ui, t: &mut T| {
                let e = treemap_ui(
                    ui,
                    &mut t.state,
                    &cols,
                    Some(&t.leaves),
                    true,
                    t.clause.as_ref(),
                    &mut t.hover,
                );
                if let Some(e) = e {
                    t.clause = e.clause.clone();
                    t.edits.push(e);
                }
            },
            t,
        )
    }

    fn eq(f: &str, v: &str) -> Pred {
        Pred::Eq { field: f.into(), value: v.into() }
    }

    #[test]
    fn click_leaf_selects_leaf() {
        let mut h = harness();
        h.run();
        h.query_by_label("tile proto=tcp > dst_port=80").expect("tile present").click();
        h.run();
        let edit = h.state().edits.last().cloned().expect("an edit");
        assert_eq!(
            edit.clause,
            Some(Clause::Match {
                any_of: vec![vec![eq("proto", "tcp"), eq("dst_port", "80")]],
                negate: false
            })
        );
        // Hovering published the deepest tile's field.
        assert_eq!(h.state().hover, Some(Hover { field: "dst_port".into(), value: "80".into() }));
        // Ctrl-click on another tile adds it.
        h.query_by_label("tile proto=udp > dst_port=53")
            .expect("udp tile")
            .click_modifiers(egui::Modifiers::CTRL);
        h.run();
        let Some(Clause::Match { any_of, .. }) = h.state().clause.clone() else { panic!("no clause") };
        assert_eq!(any_of.len(), 2);
        assert_eq!(any_of[1], vec![eq("proto", "udp"), eq("dst_port", "53")]);
        // Esc clears.
        h.key_press(egui::Key::Escape);
        h.run();
        assert_eq!(h.state().clause, None);
        // Labels drawn include the value.
        assert!(h.state().state.labels.iter().any(|l| l == "80\n5000"), "{:?}", h.state().state.labels);
    }

    #[test]
    fn double_click_drills_and_up_returns() {
        let mut h = harness();
        h.run();
        let node = h.query_by_label("tile proto=tcp").expect("parent tile");
        // Click in the parent's header strip, which only the parent covers.
        let r = node.rect();
        let p = Pos2::new(r.center().x, r.min.y + 6.0);
        for _ in 0..2 {
            h.event(egui::Event::PointerButton {
                pos: p,
                button: egui::PointerButton::Primary,
                pressed: true,
                modifiers: Default::default(),
            });
            h.event(egui::Event::PointerButton {
                pos: p,
                button: egui::PointerButton::Primary,
                pressed: false,
                modifiers: Default::default(),
            });
        }
        h.run();
        assert_eq!(h.state().state.drill(), ["tcp".to_string()]);
        assert!(h.query_by_label("tile proto=tcp > dst_port=443").is_some());
        assert!(h.query_by_label("tile proto=udp").is_none());
        h.get_by_label("Up").click();
        h.run();
        assert!(h.state().state.drill().is_empty());
        assert!(h.query_by_label("tile proto=udp").is_some());
        // Controls are labelled.
        for l in ["Preset", "Size by", "Colour by"] {
            assert!(h.query_by_label(l).is_some(), "{l}");
        }
    }

    #[test]
    fn svg_export_via_button() {
        let mut h = harness();
        h.run();
        h.get_by_label("SVG").click();
        h.run();
        match h.state_mut().state.take_export() {
            Some(TreemapExport::Svg(s)) => assert!(s.contains("tcp") && s.ends_with("</svg>\n")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn big_and_odd_input_and_foreign_hover() {
        // 100k leaves over 3 IP levels, plus stale/garbage leaves: draws without panicking.
        let mut big = Vec::new();
        for a in 0..20 {
            for b in 0..50 {
                for c in 0..100 {
                    big.push(TreeLeaf {
                        path: [
                            format!("10.{a}.0.0/16"),
                            format!("10.{a}.{b}.0/24"),
                            format!("10.{a}.{b}.{c}"),
                        ]
                        .into(),
                        value: 1 + ((a * 7 + b * 3 + c) % 97) as i64,
                        cur: None,
                        prev: None,
                    });
                }
            }
        }
        big.push(TreeLeaf {
            path: ["x".into()].into(),
            value: -5,
            cur: Some(i64::MAX),
            prev: Some(i64::MIN),
        });
        big.push(TreeLeaf {
            path: ["".into(), "".into(), "".into()].into(),
            value: 0,
            cur: None,
            prev: None,
        });
        let mut h = harness();
        h.state_mut().state.set_levels(model::presets()[1].levels.clone());
        h.state_mut().leaves = big;
        // Another view hovers an address: kept (we do not own it), tiles containing it are outlined.
        let foreign = Hover { field: "dst_ip".into(), value: "10.3.4.5".into() };
        h.state_mut().hover = Some(foreign.clone());
        let t0 = std::time::Instant::now();
        h.run();
        eprintln!("100k leaves, first frames: {:?}", t0.elapsed());
        let t1 = std::time::Instant::now();
        h.step();
        eprintln!("100k leaves, cached frame: {:?}", t1.elapsed());
        assert_eq!(h.state().hover, Some(foreign));
        assert!(h.state().state.tiles().len() > 100);
        assert!(h.state().state.tiles().iter().any(|t| t.is_other));
        // Levels without data show a message, not a panic.
        h.state_mut().leaves.clear();
        h.run();
    }
}
