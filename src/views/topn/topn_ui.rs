//! Top-N list: one row per value with a bar, count, percent of total and week-over-week change.
use super::{bars, click, exclude};
use crate::linking::needs::TopEntry;
use crate::linking::selection::Clause;
use crate::views::common::{palette, thousands, Hover, ViewEdit};

pub struct TopNState {
    pub field: String,
    pub offset: usize,
    pub limit: usize,
    /// The hover this list published, withdrawn when the pointer leaves its rows.
    my_hover: Option<Hover>,
}

impl TopNState {
    pub fn new(field: &str) -> Self {
        Self { field: field.to_string(), offset: 0, limit: 10, my_hover: None }
    }
}

pub struct TopNData<'a> {
    pub entries: &'a [TopEntry],
    pub total: i64,
    pub distinct: usize,
    pub has_cmp: bool,
}

/// Draws one list. `id` keeps widget ids apart when several lists show the same field.
pub fn topn_ui(
    ui: &mut egui::Ui,
    id: usize,
    state: &mut TopNState,
    data: Option<TopNData<'_>>,
    own: Option<&Clause>,
    columns: &[String],
    hover: &mut Option<Hover>,
) -> Option<ViewEdit> {
    let mut edit = None;
    ui.push_id(id, |ui| {
        ui.horizontal(|ui| {
            let before = state.field.clone();
            egui::ComboBox::from_id_salt("field")
                .selected_text(egui::RichText::new(&state.field).strong())
                .width(110.0)
                .show_ui(ui, |ui| {
                    for c in columns {
                        ui.selectable_value(&mut state.field, c.clone(), c);
                    }
                })
                .response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, format!("Field of top-N list {}", id + 1)));
            if before != state.field {
                state.offset = 0;
                if own.is_some() {
                    edit = Some(ViewEdit { clause: None, continuing: false });
                }
            }
            let prev = ui.add_enabled(state.offset > 0, egui::Button::new("<").small());
            if prev.on_hover_text("previous entries").clicked() {
                state.offset = state.offset.saturating_sub(state.limit);
            }
            let more = data.as_ref().is_some_and(|d| state.offset + state.limit < d.distinct);
            let label = format!("{}-{}", state.offset + 1, state.offset + state.limit);
            let next = ui.add_enabled(more, egui::Button::new(">").small());
            if next.on_hover_text(format!("entries after {label}")).clicked() {
                state.offset += state.limit;
            }
        });
        let Some(d) = data else {
            ui.weak("computing…");
            return;
        };
        ui.label(
            egui::RichText::new(format!(
                "#{}-{} of {} values · {} records",
                state.offset + 1,
                state.offset + d.entries.len(),
                thousands(d.distinct as i64),
                thousands(d.total)
            ))
            .small()
            .weak(),
        );
        let bs = bars(d.entries, d.total, own);
        let mut hovered_any = false;
        let row_h = ((ui.available_height() - 4.0) / state.limit as f32).clamp(14.0, 20.0);
        let width = ui.available_width();
        let font = egui::FontId::proportional((row_h * 0.68).clamp(10.0, 13.0));
        for b in &bs {
            let (rect, resp) = ui.allocate_exact_size(egui::vec2(width, row_h), egui::Sense::click());
            let label = format!("{} {}", state.field, b.label);
            resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            let hovered_here = resp.hovered();
            let highlighted = hover.as_ref().is_some_and(|h| h.field == state.field && h.value == b.label);
            if hovered_here {
                let h = Hover { field: state.field.clone(), value: b.label.clone() };
                *hover = Some(h.clone());
                state.my_hover = Some(h);
                hovered_any = true;
            }
            let painter = ui.painter_at(rect);
            // Text columns on the right: count, percent, change. The bar uses the rest.
            let right_w = 150.0_f32.min(width * 0.55);
            let bar_max = (width - right_w).max(10.0);
            let bar = egui::Rect::from_min_size(rect.min + egui::vec2(0.0, 1.0), egui::vec2(bar_max * b.frac, row_h - 2.0));
            let color = if b.selected {
                palette::BAR_SELECTED
            } else if highlighted || hovered_here {
                palette::BAR_HOVER
            } else {
                palette::BAR.gamma_multiply(0.55)
            };
            painter.rect_filled(bar, 2.0, color);
            let text_color = ui.visuals().text_color();
            // The label sits on the bar: dark text on the bright selected/hover fills, or the
            // dark-theme grey would vanish into the orange.
            let label_color = if b.selected || highlighted || hovered_here {
                egui::Color32::from_gray(20)
            } else {
                text_color
            };
            painter.text(
                rect.left_center() + egui::vec2(3.0, 0.0),
                egui::Align2::LEFT_CENTER,
                truncate(&b.label, (bar_max / (font.size * 0.55)) as usize),
                font.clone(),
                label_color,
            );
            let x_count = rect.left() + bar_max + 56.0;
            painter.text(egui::pos2(x_count, rect.center().y), egui::Align2::RIGHT_CENTER, compact_count(b.value), font.clone(), text_color);
            painter.text(
                egui::pos2(x_count + 50.0, rect.center().y),
                egui::Align2::RIGHT_CENTER,
                format!("{:.1}%", b.percent),
                font.clone(),
                ui.visuals().weak_text_color(),
            );
            if let (Some(ch), Some(up)) = (&b.change, b.change_up) {
                let c = if ch == "±0%" || ch == "–" { ui.visuals().weak_text_color() } else if up { palette::UP } else { palette::DOWN };
                painter.text(egui::pos2(rect.right() - 1.0, rect.center().y), egui::Align2::RIGHT_CENTER, ch, font.clone(), c);
            }
            let resp = resp.on_hover_text(format!(
                "{} = {}\n{} records, {:.2}% of {}{}\nclick: only this · Ctrl-click: add/remove · right-click: more",
                state.field,
                b.label,
                thousands(b.value),
                b.percent,
                thousands(d.total),
                match &b.change {
                    Some(c) => format!("\nchange against one week earlier: {c}"),
                    None => String::new(),
                }
            ));
            if resp.clicked() {
                let add = ui.input(|i| i.modifiers.command || i.modifiers.ctrl);
                edit = Some(ViewEdit { clause: click(&state.field, own, &b.label, add), continuing: false });
            }
            resp.context_menu(|ui| {
                if ui.button("Only this").clicked() {
                    edit = Some(ViewEdit { clause: Some(Clause::values(&state.field, [b.label.clone()], false)), continuing: false });
                    ui.close();
                }
                if ui.button("Exclude this").clicked() {
                    edit = Some(ViewEdit { clause: Some(exclude(&state.field, own, &b.label)), continuing: false });
                    ui.close();
                }
                if ui.button("Copy value").clicked() {
                    ui.ctx().copy_text(b.label.clone());
                    ui.close();
                }
            });
        }
        if !hovered_any && state.my_hover.is_some() {
            if *hover == state.my_hover {
                *hover = None;
            }
            state.my_hover = None;
        }
        if !d.has_cmp {
            ui.label(egui::RichText::new("week change: no records one week before this window").small().weak());
        }
    });
    edit
}

fn compact_count(v: i64) -> String {
    if v.abs() >= 100_000 {
        crate::views::common::compact(v as f64)
    } else {
        thousands(v)
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    let max_chars = max_chars.max(4);
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        s.chars().take(max_chars - 1).collect::<String>() + "…"
    }
}
