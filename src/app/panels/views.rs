//! The linked views as tiles: each function draws one view instance from the engine's answer for
//! its ViewId and turns the view's edit into that ViewId's clause (one clause per source view).
use super::export::{handle_graph_action, handle_treemap_export};
use crate::app::{BrushfireApp, VIEW_GRAPH, VIEW_TABLE, VIEW_TREEMAP};
use crate::linking::needs::Output;
use crate::linking::selection::ViewId;

/// Fields a time series can be split by, of those this table has.
fn split_fields(app: &BrushfireApp) -> Vec<String> {
    ["proto", "dst_port", "event_type", "action"]
        .iter()
        .filter(|f| app.loaded.as_ref().is_some_and(|l| l.categorical.iter().any(|c| c == *f)))
        .map(|s| s.to_string())
        .collect()
}

pub fn time_series_pane_ui(app: &mut BrushfireApp, ui: &mut egui::Ui, view: ViewId) {
    crate::app::lake::waiting_ui(app, ui, view);
    let split_fields = split_fields(app);
    let own = app.sel.current().clauses.get(&view).cloned();
    let marks = app.bookmark_marks();
    // Over a lake, brushes snap to the time cube's bins so the cube answers them within a frame.
    let snap_us = match (app.coord.lake(), app.outputs.get(&view)) {
        (Some(_), Some(Output::Time { bucket_us, total, .. })) => {
            Some(crate::linking::needs::time_cube_bucket_us(*bucket_us, total.len()))
        }
        _ => None,
    };
    let lake = app.coord.lake().is_some();
    let Some(state) = app.ts.get_mut(&view) else {
        ui.weak("this time series was closed");
        return;
    };
    state.marks = marks;
    state.snap_us = snap_us;
    let data = match app.outputs.get(&view) {
        Some(Output::Time { origin_us, bucket_us, total, series, measure, .. })
            if *measure == state.measure =>
        {
            Some(crate::views::timeseries::timeseries_ui::TimeData {
                origin_us: *origin_us,
                bucket_us: *bucket_us,
                total,
                series,
            })
        }
        _ => None,
    };
    let edit =
        crate::views::timeseries::timeseries_ui::timeseries_ui(ui, state, data, own.as_ref(), &split_fields);
    if let Some(e) = edit {
        app.apply_edit(view, e);
    }
    // Over a lake, the time series' cube is fetched while the pointer is over it.
    if lake && ui.ui_contains_pointer() {
        app.coord.hover_enter(view);
    }
}

pub fn topn_pane_ui(app: &mut BrushfireApp, ui: &mut egui::Ui, view: ViewId) {
    crate::app::lake::waiting_ui(app, ui, view);
    let cols = app.loaded.as_ref().map(|l| l.categorical.clone()).unwrap_or_default();
    let own = app.sel.current().clauses.get(&view).cloned();
    let Some(state) = app.topn.get_mut(&view) else {
        ui.weak("this list was closed");
        return;
    };
    let out = app.outputs.get(&view);
    let data = match out {
        Some(Output::TopN { entries, total, distinct, has_cmp, field, .. }) if *field == state.field => {
            Some(crate::views::topn::topn_ui::TopNData {
                entries,
                total: *total,
                distinct: *distinct,
                has_cmp: *has_cmp,
            })
        }
        _ => None,
    };
    if let Some(Output::Error(e)) = out {
        ui.colored_label(egui::Color32::RED, e);
    }
    let edit = crate::views::topn::topn_ui::topn_ui(
        ui,
        view as usize,
        state,
        data,
        own.as_ref(),
        &cols,
        &mut app.hover,
    );
    if let Some(e) = edit {
        app.apply_edit(view, e);
    }
    // Clicks as lookups: the list's cube is built while the pointer is over it.
    if ui.ui_contains_pointer() {
        app.coord.hover_enter(view);
    }
}

pub fn records_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    crate::app::lake::waiting_ui(app, ui, VIEW_TABLE);
    let Some(l) = &app.loaded else { return };
    let df = l.df.clone();
    match app.outputs.get(&VIEW_TABLE) {
        Some(Output::Table { passing, offset, rows }) => {
            let rows = rows.clone();
            crate::views::table::table_ui::table_ui(
                ui,
                &mut app.table,
                &df,
                *passing as usize,
                *offset,
                &rows,
            );
        }
        Some(Output::Records { passing, offset, page }) => {
            // A lake sends the page itself: its rows are 0..n of the page.
            let page = page.clone();
            let rows: Vec<u32> = (0..page.height() as u32).collect();
            crate::views::table::table_ui::table_ui(
                ui,
                &mut app.table,
                &page,
                *passing as usize,
                *offset,
                &rows,
            );
        }
        Some(Output::Error(e)) => {
            ui.colored_label(egui::Color32::RED, e);
        }
        _ => {
            ui.weak("computing…");
        }
    }
}

pub fn treemap_pane_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    crate::app::lake::waiting_ui(app, ui, VIEW_TREEMAP);
    // Borrow the engine's output in place (fields of `app` borrowed apart): leaves can be 100 k
    // entries, too many to copy every frame.
    let cols: &[String] = app.loaded.as_ref().map(|l| l.categorical.as_slice()).unwrap_or(&[]);
    let own = app.sel.current().clauses.get(&VIEW_TREEMAP);
    let state = &mut app.panels.treemap;
    let (leaves, has_cmp) = match app.outputs.get(&VIEW_TREEMAP) {
        Some(Output::Tree { leaves, has_cmp, levels, measure })
            if levels.as_slice() == state.levels() && measure == state.measure() =>
        {
            (Some(leaves.as_slice()), *has_cmp)
        }
        Some(Output::Error(e)) => {
            ui.colored_label(egui::Color32::RED, e);
            (None, false)
        }
        _ => (None, false),
    };
    let edit =
        crate::views::treemap::treemap_ui::treemap_ui(ui, state, cols, leaves, has_cmp, own, &mut app.hover);
    if let Some(e) = edit {
        app.apply_edit(VIEW_TREEMAP, e);
    }
    if ui.ui_contains_pointer() {
        app.coord.hover_enter(VIEW_TREEMAP);
    }
    handle_treemap_export(app);
}

pub fn graph_pane_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    crate::app::lake::waiting_ui(app, ui, VIEW_GRAPH);
    let cols: &[String] = app.loaded.as_ref().map(|l| l.categorical.as_slice()).unwrap_or(&[]);
    let own = app.sel.current().clauses.get(&VIEW_GRAPH);
    let Some(g) = app.panels.graph.as_mut() else {
        return;
    };
    let tuples = match app.outputs.get(&VIEW_GRAPH) {
        Some(Output::Tuples { fields, tuples }) if fields.as_slice() == g.fields() => {
            Some((fields.as_slice(), tuples))
        }
        Some(Output::Error(e)) => {
            g.show_engine_error(e);
            None
        }
        _ => None,
    };
    let action = crate::views::graph::graph_ui::graph_ui(ui, g, cols, tuples, own, &mut app.hover);
    if ui.ui_contains_pointer() {
        app.coord.hover_enter(VIEW_GRAPH);
    }
    handle_graph_action(app, action);
}
