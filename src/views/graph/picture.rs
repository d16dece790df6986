//! SVG and PNG pictures of the graph view as laid out: nodes in their AfterGlow colours (X11/Graphviz
//! names resolved by [`crate::graph::colors`], so "yellow" is drawn yellow), shapes and sizes, edges in
//! their colours. Pure functions: the UI hands in the graph and the current positions.

use std::fmt::Write as _;

use egui::Color32;

use super::model::{NodeShape, ViewGraph};
use crate::graph::export::xml_escape;

/// Maps layout coordinates into a `width` x `height` picture with a margin, keeping the aspect ratio.
struct Frame {
    min: [f32; 2],
    scale: f32,
    offset: [f32; 2],
}

impl Frame {
    fn new(positions: &[[f32; 2]], width: f32, height: f32) -> Frame {
        let finite = positions.iter().filter(|p| p[0].is_finite() && p[1].is_finite());
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for p in finite {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        if lo[0] > hi[0] {
            lo = [0.0; 2];
            hi = [1.0; 2];
        }
        let margin_px = 24.0;
        let span = [(hi[0] - lo[0]).max(1e-3), (hi[1] - lo[1]).max(1e-3)];
        let scale = ((width - 2.0 * margin_px) / span[0]).min((height - 2.0 * margin_px) / span[1]).max(1e-6);
        let offset = [(width - span[0] * scale) / 2.0, (height - span[1] * scale) / 2.0];
        Frame { min: lo, scale, offset }
    }

    fn map(&self, p: [f32; 2]) -> Option<[f32; 2]> {
        (p[0].is_finite() && p[1].is_finite()).then(|| {
            [
                self.offset[0] + (p[0] - self.min[0]) * self.scale,
                self.offset[1] + (p[1] - self.min[1]) * self.scale,
            ]
        })
    }
}

/// Node radius in picture pixels (the canvas uses the same rule at zoom 1).
fn radius_px(size: f32) -> f32 {
    2.5 + 7.0 * size
}

fn hex(c: Color32) -> String {
    // Color32 is premultiplied: write the colour itself, the alpha goes to the opacity attribute.
    let [r, g, b, _] = c.to_srgba_unmultiplied();
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn opacity(c: Color32) -> f32 {
    f32::from(c.a()) / 255.0
}

/// Polygon corners of a node shape around `c` with radius `r` (None: drawn as a circle).
fn corners(shape: NodeShape, c: [f32; 2], r: f32) -> Option<Vec<[f32; 2]>> {
    match shape {
        NodeShape::Box => {
            Some(vec![[c[0] - r, c[1] - r], [c[0] + r, c[1] - r], [c[0] + r, c[1] + r], [c[0] - r, c[1] + r]])
        }
        NodeShape::Triangle => Some(vec![[c[0], c[1] - r], [c[0] + r, c[1] + r], [c[0] - r, c[1] + r]]),
        NodeShape::Diamond => {
            Some(vec![[c[0], c[1] - r], [c[0] + r, c[1]], [c[0], c[1] + r], [c[0] - r, c[1]]])
        }
        NodeShape::Ellipse | NodeShape::Circle => None,
    }
}

/// SVG of the graph with node labels; `positions` are indexed like `g.nodes`.
pub fn to_svg(g: &ViewGraph, positions: &[[f32; 2]], width: f32, height: f32) -> String {
    let (w, h) = (width.max(1.0), height.max(1.0));
    let f = Frame::new(positions, w, h);
    let at = |i: usize| positions.get(i).and_then(|p| f.map(*p));
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="9">"#
    );
    let _ = writeln!(s, r#"<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#);
    for e in &g.edges {
        let (Some(a), Some(b)) = (at(e.a), at(e.b)) else {
            continue;
        };
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-opacity="{:.2}" stroke-width="1"/>"#,
            a[0],
            a[1],
            b[0],
            b[1],
            hex(e.color),
            opacity(e.color)
        );
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let Some(c) = at(i) else {
            continue;
        };
        let r = radius_px(n.size);
        let paint = format!(r#"fill="{}" fill-opacity="{:.2}""#, hex(n.color), opacity(n.color));
        let title = format!("<title>{} ({})</title>", xml_escape(&n.id), xml_escape(&n.color_name));
        match corners(n.shape, c, r) {
            Some(pts) => {
                let pts: Vec<String> = pts.iter().map(|p| format!("{:.1},{:.1}", p[0], p[1])).collect();
                let _ = writeln!(s, r#"<polygon points="{}" {paint}>{title}</polygon>"#, pts.join(" "));
            }
            None => {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="{r:.1}" {paint}>{title}</circle>"#,
                    c[0], c[1]
                );
            }
        }
        if !n.label.is_empty() {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                c[0] + r + 2.0,
                c[1] + 3.0,
                xml_escape(&n.label)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// PNG of the graph (nodes and edges, no text: the SVG has the labels).
pub fn to_png(g: &ViewGraph, positions: &[[f32; 2]], width: u32, height: u32) -> Result<Vec<u8>, String> {
    if width == 0 || height == 0 || width > 16_384 || height > 16_384 {
        return Err(format!("bad PNG size {width}x{height}"));
    }
    let (wu, hu) = (width as usize, height as usize);
    let f = Frame::new(positions, width as f32, height as f32);
    let at = |i: usize| positions.get(i).and_then(|p| f.map(*p));
    let mut px = vec![255u8; wu * hu * 3];
    // Alpha-blends one pixel (AfterGlow colours may carry alpha: "#RRGGBBAA", transparent).
    let mut plot = |x: i64, y: i64, c: Color32| {
        if x < 0 || y < 0 || x >= wu as i64 || y >= hu as i64 {
            return;
        }
        let o = (y as usize * wu + x as usize) * 3;
        // Color32 is premultiplied, so "over" is colour + old * (1 - alpha).
        let a = u32::from(c.a());
        for (k, v) in [c.r(), c.g(), c.b()].into_iter().enumerate() {
            let old = u32::from(px[o + k]);
            px[o + k] = (u32::from(v) + old * (255 - a) / 255).min(255) as u8;
        }
    };
    for e in &g.edges {
        let (Some(a), Some(b)) = (at(e.a), at(e.b)) else {
            continue;
        };
        let steps = (b[0] - a[0]).abs().max((b[1] - a[1]).abs()).ceil().max(1.0) as usize;
        for k in 0..=steps.min(4 * 16_384) {
            let t = k as f32 / steps as f32;
            plot(
                (a[0] + (b[0] - a[0]) * t).round() as i64,
                (a[1] + (b[1] - a[1]) * t).round() as i64,
                e.color,
            );
        }
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let Some(c) = at(i) else {
            continue;
        };
        let r = radius_px(n.size);
        let inside = |dx: f32, dy: f32| match n.shape {
            NodeShape::Box => dx.abs() <= r && dy.abs() <= r,
            NodeShape::Diamond => dx.abs() + dy.abs() <= r,
            // Apex up, base at +r: half-width grows from 0 at -r to r at +r.
            NodeShape::Triangle => dy >= -r && dy <= r && dx.abs() <= (dy + r) / 2.0,
            NodeShape::Ellipse | NodeShape::Circle => dx * dx + dy * dy <= r * r,
        };
        let ri = r.ceil() as i64;
        for dy in -ri..=ri {
            for dx in -ri..=ri {
                if inside(dx as f32, dy as f32) {
                    plot(c[0].round() as i64 + dx, c[1].round() as i64 + dy, n.color);
                }
            }
        }
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
    use super::*;
    use crate::graph::Properties;
    use crate::views::graph::model::{build_view_graph, GraphConfig};

    fn graph() -> ViewGraph {
        let props = Properties::parse(
            "color.source=\"yellow\" if ($fields[0]=~/^192\\.168\\./)\ncolor.source=\"#ff000080\"\n\
             color.event=$fields[1]\ncolor.target=\"Light Blue\" if (1)\nshape.target=triangle",
        )
        .unwrap();
        let config = GraphConfig {
            fields: vec!["s".into(), "e".into(), "t".into()],
            properties: Some(("t.properties".into(), props)),
            ..Default::default()
        };
        let tuples = vec![
            (vec!["192.168.1.5".to_string(), "80".into(), "10.0.0.1".into()], 3),
            (vec!["8.8.8.8".to_string(), "tcp<x>".into(), "10.0.0.1".into()], 1),
        ];
        build_view_graph(&config, &config.fields.clone(), &tuples).unwrap()
    }

    #[test]
    fn svg_draws_afterglow_colour_names() {
        let g = graph();
        let pos: Vec<[f32; 2]> = (0..g.nodes.len()).map(|i| [i as f32, (i % 2) as f32]).collect();
        let svg = to_svg(&g, &pos, 400.0, 300.0);
        // "yellow" is yellow (not a palette category), "Light Blue" an X11 name, "80" gray80 by
        // AfterGlow's substring rule, a hex colour keeps its alpha, "tcp<x>" a palette colour.
        assert!(svg.contains(r##"fill="#ffff00" fill-opacity="1.00"><title>192.168.1.5 (yellow)"##), "{svg}");
        assert!(svg.contains(r##"fill="#add8e6""##), "{svg}");
        assert!(svg.contains(r##"fill="#cccccc" fill-opacity="1.00"><title>80 (80)"##), "{svg}");
        assert!(svg.contains(r##"fill="#ff0000" fill-opacity="0.50""##), "{svg}");
        assert!(svg.contains("tcp&lt;x&gt;") && !svg.contains("tcp<x>"));
        assert!(svg.contains("<polygon"), "the triangle target");
        assert_eq!(svg.matches("<line ").count(), g.edges.len());
        assert!(svg.ends_with("</svg>\n"));
    }

    #[test]
    fn png_has_the_node_colours() {
        let g = graph();
        let pos: Vec<[f32; 2]> = (0..g.nodes.len()).map(|i| [i as f32 * 10.0, 0.0]).collect();
        let bytes = to_png(&g, &pos, 200, 100).unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (200, 100));
        // The centre pixel of the yellow source node.
        let i = g.nodes.iter().position(|n| n.id == "192.168.1.5").unwrap();
        let f = Frame::new(&pos, 200.0, 100.0);
        let c = f.map(pos[i]).unwrap();
        let o = (c[1].round() as usize * 200 + c[0].round() as usize) * 3;
        assert_eq!(&buf[o..o + 3], &[255, 255, 0]);
        assert!(to_png(&g, &pos, 0, 10).is_err());
        // Positions that are not numbers draw nothing instead of panicking.
        assert!(to_png(&g, &[[f32::NAN, 1.0]], 10, 10).is_ok());
    }
}
