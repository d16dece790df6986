//! The treemap picture of a bookmark: the view's own pure layout and SVG writer (no egui drawing),
//! labelled with an estimate of text width since there is no font system here.
use crate::linking::needs::TreeLeaf;
use crate::views::common::compact;
use crate::views::treemap::layout::{self, LayoutOptions};
use crate::views::treemap::model::{self, ColorMode};

/// Width of an 11 px sans-serif character, generous so labels rarely overflow their tile.
const CHAR_PX: f32 = 6.6;

fn fits(text: &str, w: f32, h: f32, min_h: f32) -> bool {
    text.chars().count() as f32 * CHAR_PX + 6.0 <= w && h >= min_h
}

/// SVG of the treemap of `leaves` over `levels`, coloured by the first level's value.
pub fn treemap_svg(levels: &[String], leaves: &[TreeLeaf], width: f32, height: f32) -> Option<String> {
    let h = model::build_hierarchy(levels, leaves, &[]);
    if h.nodes.is_empty() {
        return None;
    }
    let opts = LayoutOptions { padding_px: 3.0, header_px: 16.0, min_tile_px: 6.0 };
    let tiles = layout::squarify(&h.nodes, layout::Rect::new(0.0, 0.0, width, height), &opts);
    let colors = model::tile_colors(&h, &tiles, ColorMode::Categorical, false, &Default::default());
    let labels: Vec<String> = tiles
        .iter()
        .map(|t| {
            let key = t.path.last().map_or("", String::as_str);
            let (w, ht) = (t.rect.w, t.rect.h);
            let candidates = if t.is_leaf {
                [model::tile_text(key, t.value), key.to_string()]
            } else {
                [format!("{key}  {}", compact(t.value)), key.to_string()]
            };
            let min_h = if t.is_leaf { 14.0 } else { 30.0 };
            candidates.into_iter().find(|c| fits(c, w, ht, min_h)).unwrap_or_default()
        })
        .collect();
    Some(model::to_svg(&tiles, &colors, &labels, width, height))
}
