//! Drawing a bullet graph into a rectangle (the wall computes the rectangles).
use super::BulletLayout;
use egui::{Color32, Painter, Pos2, Rect, Stroke};

/// Band greys from "unusually low" to "unusually high": darker = more usual, as Few draws them.
const BAND_FILLS: [Color32; 3] = [Color32::from_gray(70), Color32::from_gray(95), Color32::from_gray(70)];
const TRACK: Color32 = Color32::from_gray(45);

/// Paints `l` into `rect`: track, bands, value bar (a third of the height), week-earlier marker.
pub fn paint_bullet(p: &Painter, rect: Rect, l: &BulletLayout, bar: Color32, marker: Color32) {
    p.rect_filled(rect, 0.0, TRACK);
    let x = |f: f32| rect.left() + f * rect.width();
    for (i, (a, b)) in l.bands.iter().enumerate() {
        let r = Rect::from_min_max(
            Pos2::new(x(*a), rect.top()),
            Pos2::new(x(*b).max(x(*a) + 1.0), rect.bottom()),
        );
        p.rect_filled(r, 0.0, BAND_FILLS[i.min(2)]);
    }
    let h = rect.height() / 3.0;
    let bar_rect = Rect::from_min_max(
        Pos2::new(rect.left(), rect.center().y - h / 2.0),
        Pos2::new(x(l.bar), rect.center().y + h / 2.0),
    );
    p.rect_filled(bar_rect, 0.0, bar);
    if let Some(m) = l.marker {
        let w = (rect.height() / 12.0).max(2.0);
        let top = rect.top() + rect.height() * 0.12;
        let bottom = rect.bottom() - rect.height() * 0.12;
        p.line_segment([Pos2::new(x(m), top), Pos2::new(x(m), bottom)], Stroke::new(w, marker));
    }
}
