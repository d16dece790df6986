//! Squarified treemap layout (Bruls, Huizing, van Wijk 2000) over a 1..3 level hierarchy.
//!
//! Pure geometry: no GUI types, so it can be unit-tested and run on a worker thread.
//!
//! Conventions:
//! - The root children are laid out directly in `bounds` (no padding at the root). Every parent tile
//!   lays out its children in its *inner rect*: the tile inset by `padding_px` on all sides plus
//!   `header_px` at the top (the header is dropped when it does not fit, see [`inner_rect`]).
//! - Sizes: a node's own `value` decides its size among its siblings (it is the caller's aggregate);
//!   if that value is not a positive finite number but the node has children, the sum of its valid
//!   children is used instead. Zero, negative and NaN/inf values are skipped (no tile, no panic).
//! - Inside a parent, children's areas are proportional to their values and exactly fill the
//!   inner rect (the parent's own value is only used for its size among its own siblings).
//! - Ordering: value descending, ties broken by key ascending, so equal values do not shuffle.
//!   [`squarify_with_order`] optionally keeps a previous sibling order (hysteresis) - see there.
//! - "other" merging: children whose area would be below `min_tile_px^2` are merged into one tile
//!   per parent with key [`OTHER_KEY`], `is_other = true`, `is_leaf = true`, `merged_count` = number
//!   of merged children. Their subtrees are not laid out (that is what keeps 100k leaves fast and
//!   readable). A single small child is kept as itself: an "other" tile of one would just hide its
//!   name without saving anything.
//! - Output order: for each parent, all its child tiles (in squarify order), then recursively the
//!   children of each of those; so every parent comes before its children (painter's order).

use std::cmp::Ordering;
use std::collections::HashMap;

/// Key used for the merged "other" tile of a parent.
pub const OTHER_KEY: &str = "(other)";

/// Relative value change under which [`squarify_with_order`] keeps the previous sibling order.
pub const ORDER_HYSTERESIS: f64 = 0.10;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Rect { x, y, w, h }
    }

    pub fn area(&self) -> f32 {
        self.w * self.h
    }

    /// Larger side over smaller side (>= 1); infinite for a degenerate rect.
    pub fn aspect_ratio(&self) -> f32 {
        let (a, b) = (self.w.max(self.h), self.w.min(self.h));
        if b <= 0.0 {
            f32::INFINITY
        } else {
            a / b
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TreeNode {
    /// Value of the grouping column at this level.
    pub key: String,
    pub value: f64,
    pub children: Vec<TreeNode>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    /// Keys from the root to this tile (last element is [`OTHER_KEY`] for merged tiles).
    pub path: Vec<String>,
    /// 0 for root children.
    pub depth: usize,
    pub rect: Rect,
    pub value: f64,
    /// The node has no children in the hierarchy (merged "other" tiles are leaves too).
    pub is_leaf: bool,
    /// Tile stands for several small merged siblings.
    pub is_other: bool,
    /// Number of siblings merged into this tile (0 unless `is_other`).
    pub merged_count: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayoutOptions {
    /// Inner padding of parents so nesting is visible.
    pub padding_px: f32,
    /// Space for a parent's label strip at the top, 0 for none.
    pub header_px: f32,
    /// Children whose area would be below `min_tile_px^2` are merged into one "other" tile per parent.
    pub min_tile_px: f32,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions { padding_px: 2.0, header_px: 14.0, min_tile_px: 4.0 }
    }
}

/// Rect in which a parent tile lays out its children, or `None` if nothing fits.
/// The header strip is dropped when keeping it would leave no room (tiny parents).
pub fn inner_rect(rect: Rect, opts: &LayoutOptions) -> Option<Rect> {
    let pad = if opts.padding_px.is_finite() { opts.padding_px.max(0.0) } else { 0.0 };
    let header = if opts.header_px.is_finite() { opts.header_px.max(0.0) } else { 0.0 };
    let w = rect.w - 2.0 * pad;
    let h_with_header = rect.h - 2.0 * pad - header;
    let (y, h) = if h_with_header > 0.0 {
        (rect.y + pad + header, h_with_header)
    } else {
        (rect.y + pad, rect.h - 2.0 * pad)
    };
    if w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite() {
        Some(Rect { x: rect.x + pad, y, w, h })
    } else {
        None
    }
}

/// Squarified layout with the default stable order (value desc, key asc).
pub fn squarify(root_children: &[TreeNode], bounds: Rect, opts: &LayoutOptions) -> Vec<Tile> {
    squarify_with_order(root_children, bounds, opts, None)
}

/// Like [`squarify`], but keeps a previous sibling order when it is still "almost" sorted.
///
/// `prev_order` maps a tile path to its index among its siblings (build it with [`order_map`] from
/// the previous layout). For one parent the previous order is reused iff every current child
/// (including a possible "other" tile) has an entry, and walking the children in that order no child
/// exceeds its predecessor by more than [`ORDER_HYSTERESIS`] (10%). Otherwise - new or vanished
/// siblings that change the set, or a real reordering - the fresh value-descending order is used.
/// This stops two near-equal tiles from swapping places every time their numbers wobble.
pub fn squarify_with_order(
    root_children: &[TreeNode],
    bounds: Rect,
    opts: &LayoutOptions,
    prev_order: Option<&HashMap<Vec<String>, usize>>,
) -> Vec<Tile> {
    let mut out = Vec::new();
    let valid_bounds = bounds.w > 0.0
        && bounds.h > 0.0
        && bounds.x.is_finite()
        && bounds.y.is_finite()
        && bounds.w.is_finite()
        && bounds.h.is_finite();
    if !valid_bounds {
        return out;
    }
    let mut path = Vec::new();
    layout_children(root_children, bounds, 0, &mut path, opts, prev_order, &mut out);
    out
}

/// Sibling order of each tile in a layout, to feed back into [`squarify_with_order`].
pub fn order_map(tiles: &[Tile]) -> HashMap<Vec<String>, usize> {
    let mut next_index: HashMap<&[String], usize> = HashMap::new();
    let mut map = HashMap::with_capacity(tiles.len());
    for t in tiles {
        let parent: &[String] = t.path.split_last().map(|(_, p)| p).unwrap_or(&[]);
        let idx = next_index.entry(parent).or_insert(0);
        map.insert(t.path.clone(), *idx);
        *idx += 1;
    }
    map
}

/// Size of a node among its siblings, or `None` if it must be skipped.
fn effective_value(node: &TreeNode) -> Option<f64> {
    if node.value.is_finite() && node.value > 0.0 {
        return Some(node.value);
    }
    let sum: f64 = node.children.iter().filter_map(effective_value).sum();
    (sum.is_finite() && sum > 0.0).then_some(sum)
}

/// One child of a parent after filtering and merging.
struct Item<'a> {
    key: &'a str,
    value: f64,
    /// `None` for the merged "other" tile.
    node: Option<&'a TreeNode>,
    merged_count: usize,
}

fn fresh_cmp(a: &Item, b: &Item) -> Ordering {
    b.value
        .total_cmp(&a.value)
        // "other" goes after real keys on ties, then key ascending.
        .then_with(|| a.node.is_none().cmp(&b.node.is_none()))
        .then_with(|| a.key.cmp(b.key))
}

fn layout_children(
    children: &[TreeNode],
    rect: Rect,
    depth: usize,
    path: &mut Vec<String>,
    opts: &LayoutOptions,
    prev_order: Option<&HashMap<Vec<String>, usize>>,
    out: &mut Vec<Tile>,
) {
    let mut items: Vec<Item> = children
        .iter()
        .filter_map(|c| {
            effective_value(c).map(|v| Item { key: &c.key, value: v, node: Some(c), merged_count: 0 })
        })
        .collect();
    if items.is_empty() {
        return;
    }
    let total: f64 = items.iter().map(|i| i.value).sum();
    if !(total.is_finite() && total > 0.0) {
        return;
    }

    // Merge children whose area would be too small (independent of the order chosen below).
    let area = rect.w as f64 * rect.h as f64;
    let min_tile = if opts.min_tile_px.is_finite() { opts.min_tile_px.max(0.0) as f64 } else { 0.0 };
    let min_value = min_tile * min_tile / area * total;
    let small = items.iter().filter(|i| i.value < min_value).count();
    if small >= 2 {
        let mut other_value = 0.0;
        items.retain(|i| {
            if i.value < min_value {
                other_value += i.value;
                false
            } else {
                true
            }
        });
        items.push(Item { key: OTHER_KEY, value: other_value, node: None, merged_count: small });
    }

    order_items(&mut items, path, prev_order);

    let values: Vec<f64> = items.iter().map(|i| i.value).collect();
    let rects = squarify_values(&values, rect);

    let first_tile = out.len();
    for (item, r) in items.iter().zip(&rects) {
        // Exact capacity: one allocation per path (allocation dominates for ~50k visible tiles).
        let mut p = Vec::with_capacity(path.len() + 1);
        p.extend(path.iter().cloned());
        p.push(item.key.to_string());
        let is_leaf = item.node.is_none_or(|n| n.children.is_empty());
        out.push(Tile {
            path: p,
            depth,
            rect: *r,
            value: item.value,
            is_leaf,
            is_other: item.node.is_none(),
            merged_count: item.merged_count,
        });
    }
    for (k, item) in items.iter().enumerate() {
        let Some(node) = item.node else { continue };
        if node.children.is_empty() {
            continue;
        }
        let Some(inner) = inner_rect(out[first_tile + k].rect, opts) else {
            continue;
        };
        path.push(node.key.clone());
        layout_children(&node.children, inner, depth + 1, path, opts, prev_order, out);
        path.pop();
    }
}

/// Sort siblings: previous order if still nearly sorted (see [`squarify_with_order`]), else fresh.
fn order_items(items: &mut [Item], path: &mut Vec<String>, prev_order: Option<&HashMap<Vec<String>, usize>>) {
    if let Some(prev) = prev_order {
        let mut ranks = Vec::with_capacity(items.len());
        for it in items.iter() {
            path.push(it.key.to_string());
            let r = prev.get(path.as_slice()).copied();
            path.pop();
            match r {
                Some(r) => ranks.push(r),
                None => break,
            }
        }
        if ranks.len() == items.len() {
            let mut idx: Vec<usize> = (0..items.len()).collect();
            idx.sort_by_key(|&i| ranks[i]);
            let nearly_sorted =
                idx.windows(2).all(|w| items[w[1]].value <= items[w[0]].value * (1.0 + ORDER_HYSTERESIS));
            if nearly_sorted {
                // Apply permutation by sorting on the rank (ranks are unique per parent).
                let mut keyed: Vec<(usize, usize)> = ranks.iter().copied().zip(0..).collect();
                keyed.sort_unstable();
                apply_permutation(items, keyed.iter().map(|&(_, i)| i).collect());
                return;
            }
        }
    }
    items.sort_by(fresh_cmp);
}

/// Reorder `items` so that new position k holds old item `perm[k]`.
fn apply_permutation<T>(items: &mut [T], mut perm: Vec<usize>) {
    // Cycle-following in place: avoids requiring T: Clone.
    for start in 0..perm.len() {
        let mut cur = start;
        while perm[cur] != start {
            let next = perm[cur];
            items.swap(cur, next);
            perm[cur] = cur;
            cur = next;
        }
        perm[cur] = cur;
    }
}

/// Worst aspect ratio of a row with the given area sum / min / max laid along a side of `side` length.
fn worst(sum: f64, min: f64, max: f64, side: f64) -> f64 {
    let s2 = sum * sum;
    let w2 = side * side;
    f64::max(w2 * max / s2, s2 / (w2 * min))
}

/// Core squarify: lays out `values` (in the given order) to exactly fill `rect`; one rect per value.
/// Values that are not positive finite numbers get an empty rect at `rect`'s corner.
/// Computation in f64 so 100k tiny tiles do not drift.
pub fn squarify_values(values: &[f64], rect: Rect) -> Vec<Rect> {
    if values.iter().all(|v| v.is_finite() && *v > 0.0) {
        return squarify_positive(values, rect);
    }
    let good: Vec<f64> = values.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let mut placed = squarify_positive(&good, rect).into_iter();
    let empty = Rect { w: 0.0, h: 0.0, ..rect };
    values
        .iter()
        .map(|v| if v.is_finite() && *v > 0.0 { placed.next().unwrap_or(empty) } else { empty })
        .collect()
}

fn squarify_positive(values: &[f64], rect: Rect) -> Vec<Rect> {
    let mut out = Vec::with_capacity(values.len());
    let total: f64 = values.iter().sum();
    let rect_ok = rect.w > 0.0 && rect.h > 0.0 && rect.w.is_finite() && rect.h.is_finite();
    if values.is_empty() || !total.is_finite() || total <= 0.0 || !rect_ok {
        let empty = Rect { w: 0.0, h: 0.0, ..rect };
        return vec![empty; values.len()];
    }
    let scale = rect.w as f64 * rect.h as f64 / total;
    let (mut x, mut y, mut w, mut h) = (rect.x as f64, rect.y as f64, rect.w as f64, rect.h as f64);
    let mut start = 0;
    while start < values.len() {
        let side = w.min(h);
        // Grow the row while the worst aspect ratio does not get worse.
        let first = values[start] * scale;
        let (mut sum, mut min, mut max) = (first, first, first);
        let mut end = start + 1;
        let mut cur_worst = worst(sum, min, max, side);
        while end < values.len() {
            let a = values[end] * scale;
            let (s2, mn2, mx2) = (sum + a, min.min(a), max.max(a));
            let next_worst = worst(s2, mn2, mx2, side);
            if next_worst > cur_worst {
                break;
            }
            (sum, min, max, cur_worst) = (s2, mn2, mx2, next_worst);
            end += 1;
        }
        // The last row takes whatever is left, so rounding never leaves a gap.
        let last_row = end == values.len();
        if w >= h {
            // Column on the left, items stacked top to bottom.
            let col_w = if last_row { w } else { (sum / h).min(w) };
            let mut cy = y;
            for (k, v) in values[start..end].iter().enumerate() {
                let ih = if end - start - 1 == k { y + h - cy } else { v * scale / col_w };
                out.push(to_rect(x, cy, col_w, ih));
                cy += ih;
            }
            x += col_w;
            w -= col_w;
        } else {
            // Row at the top, items left to right.
            let row_h = if last_row { h } else { (sum / w).min(h) };
            let mut cx = x;
            for (k, v) in values[start..end].iter().enumerate() {
                let iw = if end - start - 1 == k { x + w - cx } else { v * scale / row_h };
                out.push(to_rect(cx, y, iw, row_h));
                cx += iw;
            }
            y += row_h;
            h -= row_h;
        }
        start = end;
    }
    out
}

fn to_rect(x: f64, y: f64, w: f64, h: f64) -> Rect {
    Rect { x: x as f32, y: y as f32, w: w.max(0.0) as f32, h: h.max(0.0) as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(key: &str, value: f64) -> TreeNode {
        TreeNode { key: key.to_string(), value, children: vec![] }
    }

    fn node(key: &str, children: Vec<TreeNode>) -> TreeNode {
        let value = children.iter().map(|c| c.value.max(0.0)).filter(|v| v.is_finite()).sum();
        TreeNode { key: key.to_string(), value, children }
    }

    fn no_pad() -> LayoutOptions {
        LayoutOptions { padding_px: 0.0, header_px: 0.0, min_tile_px: 0.0 }
    }

    /// Deterministic pseudo-random generator for test data (splitmix64).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn sample_tree(rng: &mut Rng, l1: usize, l2: usize, l3: usize) -> Vec<TreeNode> {
        (0..l1)
            .map(|a| {
                node(
                    &format!("a{a}"),
                    (0..l2)
                        .map(|b| {
                            node(
                                &format!("b{b}"),
                                (0..l3)
                                    .map(|c| leaf(&format!("c{c}"), 1.0 + 1000.0 * rng.unit().powi(3)))
                                    .collect(),
                            )
                        })
                        .collect(),
                )
            })
            .collect()
    }

    /// How far two rects interpenetrate (0 when they at most touch); f32 edges may differ by ulps.
    fn overlap_depth(a: &Rect, b: &Rect) -> f32 {
        let ox = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
        let oy = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
        ox.min(oy).max(0.0)
    }

    fn inside(inner: &Rect, outer: &Rect, eps: f32) -> bool {
        inner.x >= outer.x - eps
            && inner.y >= outer.y - eps
            && inner.x + inner.w <= outer.x + outer.w + eps
            && inner.y + inner.h <= outer.y + outer.h + eps
    }

    fn children_of<'a>(tiles: &'a [Tile], parent: &[String]) -> Vec<&'a Tile> {
        tiles.iter().filter(|t| t.path.len() == parent.len() + 1 && t.path.starts_with(parent)).collect()
    }

    #[test]
    fn paper_example_6x4() {
        // Bruls et al. 2000, figure 2: values 6,6,4,3,2,2,1 in a 6 x 4 rectangle.
        let vals = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0];
        let r = squarify_values(&vals, Rect::new(0.0, 0.0, 6.0, 4.0));
        let expect = [
            (0.0, 0.0, 3.0, 2.0),
            (0.0, 2.0, 3.0, 2.0),
            (3.0, 0.0, 12.0 / 7.0, 7.0 / 3.0),
            (3.0 + 12.0 / 7.0, 0.0, 9.0 / 7.0, 7.0 / 3.0),
            (3.0, 7.0 / 3.0, 1.2, 5.0 / 3.0),
            (4.2, 7.0 / 3.0, 1.2, 5.0 / 3.0),
            (5.4, 7.0 / 3.0, 0.6, 5.0 / 3.0),
        ];
        for (got, e) in r.iter().zip(expect) {
            let d = (got.x - e.0).abs() + (got.y - e.1).abs() + (got.w - e.2).abs() + (got.h - e.3).abs();
            assert!(d < 1e-4, "got {got:?} expected {e:?}");
        }
        let worst = r.iter().map(|r| r.aspect_ratio()).fold(0.0f32, f32::max);
        // Worst tile is the "1" at 0.6 x 5/3: aspect 25/9.
        assert!((worst - 25.0 / 9.0).abs() < 1e-4, "worst {worst}");
    }

    #[test]
    fn area_proportional_no_overlap_inside_bounds() {
        let mut rng = Rng(7);
        let tree = sample_tree(&mut rng, 6, 5, 8);
        let bounds = Rect::new(10.0, 20.0, 1000.0, 700.0);
        let opts = LayoutOptions { padding_px: 3.0, header_px: 12.0, min_tile_px: 0.0 };
        let tiles = squarify(&tree, bounds, &opts);
        assert_eq!(tiles.len(), 6 + 6 * 5 + 6 * 5 * 8);
        // Parents precede children.
        for (i, t) in tiles.iter().enumerate() {
            if t.depth > 0 {
                let parent = &t.path[..t.path.len() - 1];
                let pi = tiles.iter().position(|p| p.path == parent).expect("parent exists");
                assert!(pi < i);
            }
        }
        let mut parents: Vec<(Vec<String>, Rect)> = vec![(vec![], bounds)];
        for t in &tiles {
            if !t.is_leaf {
                parents.push((t.path.clone(), inner_rect(t.rect, &opts).expect("room")));
            }
        }
        for (ppath, prect) in &parents {
            let kids = children_of(&tiles, ppath);
            assert!(!kids.is_empty());
            let vsum: f64 = kids.iter().map(|k| k.value).sum();
            let area = prect.area() as f64;
            let mut asum = 0.0;
            for k in &kids {
                let want = k.value / vsum * area;
                let got = k.rect.area() as f64;
                asum += got;
                assert!(((got - want) / want).abs() < 1e-3, "{:?}: area {got} want {want}", k.path);
                assert!(inside(&k.rect, prect, 1e-3), "{:?} outside parent", k.path);
                assert!(inside(&k.rect, &bounds, 1e-3));
            }
            assert!(((asum - area) / area).abs() < 1e-4, "children fill the parent");
            for i in 0..kids.len() {
                for j in i + 1..kids.len() {
                    let o = overlap_depth(&kids[i].rect, &kids[j].rect);
                    assert!(o < 1e-3, "{:?} overlaps {:?} by {o}", kids[i].path, kids[j].path);
                }
            }
        }
    }

    #[test]
    fn aspect_ratios_reasonable() {
        let mut rng = Rng(3);
        let vals: Vec<f64> = {
            let mut v: Vec<f64> = (0..200).map(|_| 1.0 + 100.0 * rng.unit()).collect();
            v.sort_by(|a, b| b.total_cmp(a));
            v
        };
        let r = squarify_values(&vals, Rect::new(0.0, 0.0, 800.0, 600.0));
        let mean: f32 = r.iter().map(|r| r.aspect_ratio()).sum::<f32>() / r.len() as f32;
        // Squarified layouts of uniform-ish data have mean aspect well below 2 (slice-and-dice: >> 10).
        assert!(mean < 2.0, "mean aspect {mean}");
    }

    #[test]
    fn skips_bad_values_without_panic() {
        let tree = vec![
            leaf("nan", f64::NAN),
            leaf("neg", -5.0),
            leaf("zero", 0.0),
            leaf("inf", f64::INFINITY),
            leaf("ok", 3.0),
            node("parent", vec![leaf("x", f64::NAN), leaf("y", 2.0)]),
            TreeNode { key: "noval".into(), value: f64::NAN, children: vec![leaf("z", 1.0)] },
            TreeNode { key: "empty".into(), value: f64::NAN, children: vec![] },
        ];
        let tiles = squarify(&tree, Rect::new(0.0, 0.0, 100.0, 100.0), &no_pad());
        let paths: Vec<String> = tiles.iter().map(|t| t.path.join("/")).collect();
        assert_eq!(paths, vec!["ok", "parent", "noval", "parent/y", "noval/z"]);
        for t in &tiles {
            assert!(t.rect.x.is_finite() && t.rect.w.is_finite() && t.rect.h.is_finite());
        }
        // Degenerate inputs.
        assert!(squarify(&[], Rect::new(0.0, 0.0, 10.0, 10.0), &no_pad()).is_empty());
        assert!(squarify(&tree, Rect::new(0.0, 0.0, 0.0, 10.0), &no_pad()).is_empty());
        assert!(squarify(&tree, Rect::new(f32::NAN, 0.0, 10.0, 10.0), &no_pad()).is_empty());
        let weird = LayoutOptions { padding_px: f32::NAN, header_px: 1e9, min_tile_px: f32::INFINITY };
        let t = squarify(&tree, Rect::new(0.0, 0.0, 10.0, 10.0), &weird);
        assert!(t.iter().all(|t| t.rect.w.is_finite()));
    }

    #[test]
    fn squarify_values_odd_inputs() {
        let r = Rect::new(0.0, 0.0, 10.0, 10.0);
        let out = squarify_values(&[f64::NAN, 2.0, -1.0, 2.0, 0.0], r);
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].area(), 0.0);
        assert!((out[1].area() - 50.0).abs() < 1e-4 && (out[3].area() - 50.0).abs() < 1e-4);
        assert_eq!(squarify_values(&[1.0, 1.0], Rect::new(0.0, 0.0, 0.0, 5.0)).len(), 2);
        assert_eq!(squarify_values(&[1e308, 1e308], r).len(), 2);
        assert!(squarify_values(&[], r).is_empty());
    }

    #[test]
    fn tie_break_is_by_key() {
        let a = vec![leaf("b", 1.0), leaf("a", 1.0), leaf("c", 1.0)];
        let b = vec![leaf("c", 1.0), leaf("b", 1.0), leaf("a", 1.0)];
        let r = Rect::new(0.0, 0.0, 90.0, 30.0);
        let ta = squarify(&a, r, &no_pad());
        let tb = squarify(&b, r, &no_pad());
        assert_eq!(ta, tb);
        assert_eq!(ta[0].path, vec!["a".to_string()]);
    }

    #[test]
    fn other_merging() {
        // One big, 1000 tiny: the tiny ones collapse into one "other" tile.
        let mut kids = vec![leaf("big", 1_000_000.0)];
        kids.extend((0..1000).map(|i| leaf(&format!("t{i}"), 1.0)));
        let tree = vec![node("root", kids)];
        let opts = LayoutOptions { padding_px: 0.0, header_px: 0.0, min_tile_px: 4.0 };
        let tiles = squarify(&tree, Rect::new(0.0, 0.0, 200.0, 200.0), &opts);
        assert_eq!(tiles.len(), 3);
        let other = tiles.iter().find(|t| t.is_other).expect("other tile");
        assert_eq!(other.merged_count, 1000);
        assert_eq!(other.value, 1000.0);
        assert_eq!(other.path, vec!["root".to_string(), OTHER_KEY.to_string()]);
        assert!(other.is_leaf);
        // A single small child is kept as itself.
        let tree = vec![leaf("big", 1_000_000.0), leaf("small", 1.0)];
        let tiles = squarify(&tree, Rect::new(0.0, 0.0, 200.0, 200.0), &opts);
        assert_eq!(tiles.len(), 2);
        assert!(!tiles.iter().any(|t| t.is_other));
    }

    fn max_move(a: &[Tile], b: &[Tile]) -> f32 {
        let mut worst = 0.0f32;
        for t in a {
            let u = b.iter().find(|u| u.path == t.path).expect("same tiles");
            let d = [
                (t.rect.x - u.rect.x).abs(),
                (t.rect.y - u.rect.y).abs(),
                (t.rect.x + t.rect.w - u.rect.x - u.rect.w).abs(),
                (t.rect.y + t.rect.h - u.rect.y - u.rect.h).abs(),
            ];
            worst = d.into_iter().fold(worst, f32::max);
        }
        worst
    }

    #[test]
    fn stable_under_small_change() {
        let vals = [500.0, 300.0, 220.0, 150.0, 120.0, 90.0, 60.0, 40.0, 30.0, 20.0, 12.0, 8.0];
        let mk = |bump: usize, f: f64| -> Vec<TreeNode> {
            vals.iter()
                .enumerate()
                .map(|(i, &v)| leaf(&format!("k{i}"), if i == bump { v * f } else { v }))
                .collect()
        };
        let r = Rect::new(0.0, 0.0, 800.0, 600.0);
        let base = squarify(&mk(99, 1.0), r, &no_pad());
        for i in 0..vals.len() {
            for f in [0.99, 1.01] {
                let t = squarify(&mk(i, f), r, &no_pad());
                let m = max_move(&base, &t);
                assert!(m < 5.0, "changing k{i} by {f} moved a tile by {m}px");
            }
        }
    }

    #[test]
    fn prev_order_keeps_near_ties_in_place() {
        let r = Rect::new(0.0, 0.0, 400.0, 300.0);
        let v1 = vec![leaf("a", 100.0), leaf("b", 99.0), leaf("c", 50.0)];
        let t1 = squarify(&v1, r, &no_pad());
        // b overtakes a by 3%: without hysteresis they swap (big jump), with it they stay.
        let v2 = vec![leaf("a", 100.0), leaf("b", 103.0), leaf("c", 50.0)];
        let fresh = squarify(&v2, r, &no_pad());
        assert!(max_move(&t1, &fresh) > 50.0);
        let prev = order_map(&t1);
        let kept = squarify_with_order(&v2, r, &no_pad(), Some(&prev));
        assert!(max_move(&t1, &kept) < 10.0, "moved {}", max_move(&t1, &kept));
        // A 50% overtake re-sorts.
        let v3 = vec![leaf("a", 100.0), leaf("b", 150.0), leaf("c", 50.0)];
        let resorted = squarify_with_order(&v3, r, &no_pad(), Some(&prev));
        assert_eq!(resorted[0].path, vec!["b".to_string()]);
    }

    #[test]
    fn runs_100k_leaves() {
        let mut rng = Rng(11);
        let tree = sample_tree(&mut rng, 20, 50, 100);
        let opts = LayoutOptions::default();
        let bounds = Rect::new(0.0, 0.0, 1600.0, 1000.0);
        let tiles = squarify(&tree, bounds, &opts);
        assert!(tiles.len() > 1000);
        // Far fewer tiles than leaves: there is no room for 100k >= 4x4 px tiles in 1600x1000.
        assert!(tiles.len() <= 1600 * 1000 / 16 + 20 * 51, "{}", tiles.len());
        assert!(tiles.iter().all(|t| inside(&t.rect, &bounds, 1e-2)));
        let merged: usize = tiles.iter().map(|t| t.merged_count).sum();
        assert!(merged > 0);
        // One flat parent with 100k leaves.
        let flat =
            vec![node("all", (0..100_000).map(|i| leaf(&format!("h{i}"), 1.0 + (i % 97) as f64)).collect())];
        let tiles = squarify(&flat, bounds, &opts);
        assert!(tiles.iter().any(|t| t.is_other) || tiles.len() == 100_001);
    }

    #[test]
    #[ignore]
    fn bench_100k() {
        let mut rng = Rng(11);
        let tree = sample_tree(&mut rng, 20, 50, 100);
        let flat =
            vec![node("all", (0..100_000).map(|i| leaf(&format!("h{i}"), 1.0 + (i % 97) as f64)).collect())];
        let opts = LayoutOptions::default();
        let bounds = Rect::new(0.0, 0.0, 1600.0, 1000.0);
        for (name, t) in [("3-level 20x50x100", &tree), ("flat 100k", &flat)] {
            let mut best = f64::MAX;
            let mut n = 0;
            for _ in 0..10 {
                let s = std::time::Instant::now();
                n = squarify(t, bounds, &opts).len();
                best = best.min(s.elapsed().as_secs_f64() * 1e3);
            }
            let s = std::time::Instant::now();
            let n0 = squarify(t, bounds, &LayoutOptions { min_tile_px: 0.0, ..opts }).len();
            let nomerge = s.elapsed().as_secs_f64() * 1e3;
            println!("{name}: {best:.2} ms ({n} tiles); without merging {nomerge:.2} ms ({n0} tiles)");
        }
    }
}
