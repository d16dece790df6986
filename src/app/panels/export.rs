//! Writing files from the window: selection exports (a background job, after the engine has sent
//! the selection's rows) and the views' picture/graph exports. All go through `data::atomic`.
use crate::app::jobs::Job;
use crate::app::BrushfireApp;
use crate::data::export::{export_atomic_chunked, ExportFormat};
use crate::views::common::thousands;
use polars::prelude::*;

/// Asks where to save `bytes` and writes them atomically; the status line says how it went.
pub fn save_bytes_dialog(app: &mut BrushfireApp, what: &str, default_name: &str, ext: &str, bytes: &[u8]) {
    let Some(p) = app.picker.save_file(default_name, &[(ext, &[ext])]) else {
        return;
    };
    let inputs = app.loaded.as_ref().map(|l| l.table.files.clone()).unwrap_or_default();
    app.panels.export_message = Some(match crate::data::atomic::write_bytes_atomic(&p, &inputs, bytes) {
        Ok(()) => format!("{what} saved to {}", p.display()),
        Err(e) => format!("could not save {what}: {e}"),
    });
}

pub fn start_export_dialog(app: &mut BrushfireApp, fmt: ExportFormat, selection: bool) {
    let name = format!("brushfire-{}.{}", if selection { "selection" } else { "cleaned" }, fmt.extension());
    let filters: [(&str, &[&str]); 1] = [(fmt.extension(), &[fmt.extension()])];
    if let Some(p) = app.picker.save_file(&name, &filters) {
        app.panels.pending_export = Some((p, fmt, selection));
        app.all_rows = None;
    }
}

/// Starts a pending export once the rows of the selection are known.
pub fn drive_export(app: &mut BrushfireApp) {
    let Some((path, fmt, selection)) = app.panels.pending_export.clone() else {
        return;
    };
    let Some(l) = &app.loaded else { return };
    // A lake: the engine selects the records; at most LAKE_EXPORT_ROW_BOUND come to this machine.
    if let (Some(engine), true) = (app.lake.engine.clone(), selection) {
        app.panels.pending_export = None;
        let sel = app.sel.current().clone();
        let bound = crate::app::lake::LAKE_EXPORT_ROW_BOUND;
        let p2 = path.clone();
        app.panels.export =
            Some(Job::spawn(format!("exporting from {}", engine.describe()), bound, move |done, cancel| {
                let (n, cut) = crate::linking::backend::export::export_selection(
                    engine.as_ref(),
                    &sel,
                    fmt,
                    &p2,
                    bound,
                    done,
                    cancel,
                )
                .map_err(|e| e.to_string())?;
                if cut {
                    return Err(format!(
                        "{}: wrote the first {n} records; the selection has more (bound {bound})",
                        p2.display()
                    ));
                }
                Ok(p2)
            }));
        return;
    }
    let df = l.df.clone();
    let inputs = l.table.files.clone();
    let rows = if selection {
        match (&app.all_rows, app.is_current()) {
            (Some(r), true) => Some(r.clone()),
            _ => return,
        }
    } else {
        None
    };
    app.panels.pending_export = None;
    let total = rows.as_ref().map(|r| r.len()).unwrap_or(df.height()) as u64;
    let p2 = path.clone();
    app.panels.export =
        Some(Job::spawn(format!("exporting {}", thousands(total as i64)), total, move |done, cancel| {
            let out = match rows {
                Some(r) => {
                    let idx = IdxCa::from_vec("idx".into(), r.iter().map(|&x| x as IdxSize).collect());
                    df.take(&idx).map_err(|e| e.to_string())?
                }
                None => (*df).clone(),
            };
            export_atomic_chunked(&out, fmt, &p2, &inputs, done, cancel).map_err(|e| e.to_string())?;
            Ok(p2)
        }));
}

pub fn handle_treemap_export(app: &mut BrushfireApp) {
    use crate::views::treemap::treemap_ui::TreemapExport;
    let Some(export) = app.panels.treemap.take_export() else {
        return;
    };
    let (name, ext, bytes) = match export {
        TreemapExport::Svg(s) => ("treemap.svg", "svg", s.into_bytes()),
        TreemapExport::Png(b) => ("treemap.png", "png", b),
    };
    save_bytes_dialog(app, "treemap", name, ext, &bytes);
}

pub fn handle_graph_action(
    app: &mut BrushfireApp,
    action: Option<crate::views::graph::graph_ui::GraphAction>,
) {
    use crate::views::graph::graph_ui::GraphAction;
    match action {
        Some(GraphAction::Edit(e)) => app.apply_edit(crate::app::VIEW_GRAPH, e),
        Some(GraphAction::Export { format, bytes }) => {
            save_bytes_dialog(app, "graph", &format!("graph.{format}"), format, &bytes);
        }
        Some(GraphAction::OpenProperties) => {
            if let Some(files) = app.picker.open_files() {
                if let (Some(f), Some(g)) = (files.first(), app.panels.graph.as_mut()) {
                    match g.load_properties(f) {
                        // Remembered so the workspace reopens with the same graph rules.
                        Ok(()) => app.panels.graph_properties = Some(f.clone()),
                        Err(e) => app.error = Some(format!("{}: {e}", f.display())),
                    }
                }
            }
        }
        None => {}
    }
}
