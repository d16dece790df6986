//! Records table: virtualized over the current selection, sortable by clicking a header.
use super::{cell_text, window_for};
use crate::views::common::thousands;
use egui_extras::{Column, TableBuilder};
use polars::prelude::*;

#[derive(Default)]
pub struct TableState {
    /// Window of the selection the engine should send (offset, length).
    pub window: (usize, usize),
    pub sort: Option<(String, bool)>,
    /// Window the rows below belong to.
    shown: Option<(usize, usize)>,
    scroll_to_top: bool,
}

impl TableState {
    pub fn reset(&mut self) {
        *self = Self::default();
        self.window = (0, super::WINDOW_ROWS);
    }
}

/// `rows`: table row ids for the window starting at `offset` of the selection; `passing`: its size.
pub fn table_ui(
    ui: &mut egui::Ui,
    state: &mut TableState,
    df: &DataFrame,
    passing: usize,
    offset: usize,
    rows: &[u32],
) {
    state.shown = Some((offset, rows.len()));
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    ui.horizontal(|ui| {
        ui.strong("Records");
        ui.label(format!("{} in the selection", thousands(passing as i64)));
        if let Some((c, desc)) = &state.sort {
            ui.weak(format!("sorted by {c} {}", if *desc { "descending" } else { "ascending" }));
            if ui.button("Time order").clicked() {
                state.sort = None;
                state.scroll_to_top = true;
            }
        } else {
            ui.weak("time order · click a column header to sort");
        }
    });
    let row_h = 18.0;
    let mut first_visible = usize::MAX;
    let mut last_visible = 0usize;
    let mut clicked_header: Option<String> = None;
    egui::ScrollArea::horizontal().id_salt("records_h").show(ui, |ui| {
        let avail_h = ui.available_height();
        let mut tb = TableBuilder::new(ui)
            .id_salt("records")
            .striped(true)
            .resizable(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .min_scrolled_height(0.0)
            .max_scroll_height(avail_h);
        if std::mem::take(&mut state.scroll_to_top) {
            tb = tb.scroll_to_row(0, None);
        }
        for (i, n) in names.iter().enumerate() {
            let w = match n.as_str() {
                "time" => 190.0,
                "msg" | "http_request" | "http_user_agent" => 320.0,
                _ if i > 40 => 60.0,
                _ => 95.0,
            };
            tb = tb.column(Column::initial(w).at_least(30.0).clip(true));
        }
        tb.header(20.0, |mut header| {
            for n in &names {
                header.col(|ui| {
                    let arrow = match &state.sort {
                        Some((c, true)) if c == n => " (desc)",
                        Some((c, false)) if c == n => " (asc)",
                        _ => "",
                    };
                    if ui.button(egui::RichText::new(format!("{n}{arrow}")).strong()).clicked() {
                        clicked_header = Some(n.clone());
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_h, passing, |mut row| {
                let i = row.index();
                first_visible = first_visible.min(i);
                last_visible = last_visible.max(i + 1);
                let r = if i >= offset && i < offset + rows.len() {
                    Some(rows[i - offset] as usize)
                } else {
                    None
                };
                for n in &names {
                    row.col(|ui| match r {
                        Some(r) => {
                            let v = df
                                .column(n)
                                .ok()
                                .and_then(|c| c.get(r).ok())
                                .map(|v| cell_text(&v))
                                .unwrap_or_default();
                            ui.add(egui::Label::new(v).truncate());
                        }
                        None => {
                            ui.weak("…");
                        }
                    });
                }
            });
        });
    });
    if let Some(n) = clicked_header {
        state.sort = match &state.sort {
            Some((c, false)) if *c == n => Some((n, true)),
            Some((c, true)) if *c == n => None,
            _ => Some((n, false)),
        };
        state.scroll_to_top = true;
        state.window = (0, super::WINDOW_ROWS);
    } else if first_visible != usize::MAX {
        state.window = window_for(first_visible, last_visible, Some(state.window));
    }
}
