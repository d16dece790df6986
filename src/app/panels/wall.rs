//! View › Dashboard: the wall inside the normal window (Esc returns to the desk), and the small
//! settings window where its panels, metrics, refresh and local networks are edited. The
//! settings live in the workspace (`Workspace::dashboard`).
use crate::app::dashboard::{SystemClock, WallState};
use crate::app::BrushfireApp;
use crate::dashboard::{offered_metrics, MetricKind, PanelKind, WindowKind};
use std::sync::Arc;

/// Wall mode and the settings window.
#[derive(Default)]
pub struct WallPanel {
    pub wall: Option<WallState>,
    pub settings_open: bool,
    /// Local networks as typed, one per line or comma separated.
    pub nets_text: Option<String>,
}

pub fn view_menu_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    ui.menu_button("View", |ui| {
        let files = app.loaded.as_ref().map(|l| l.table.files.clone()).unwrap_or_default();
        if ui.add_enabled(!files.is_empty(), egui::Button::new("Dashboard (wall mode, Esc leaves)")).clicked()
        {
            ui.close();
            start_wall(app, files);
        }
        if ui.button("Dashboard settings…").clicked() {
            ui.close();
            app.panels.wall.settings_open = true;
        }
    });
}

pub fn start_wall(app: &mut BrushfireApp, files: Vec<std::path::PathBuf>) {
    let cfg = app.workspace.dashboard.clone();
    app.panels.wall.wall = Some(WallState::new(files, app.panels.load_options(), cfg, Arc::new(SystemClock)));
}

/// Draws the wall instead of the desk while wall mode is on; false when it is off.
pub fn wall_mode_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) -> bool {
    let Some(w) = &mut app.panels.wall.wall else { return false };
    if ui.ctx().input(|i| i.key_pressed(egui::Key::Escape)) {
        app.panels.wall.wall = None;
        return false;
    }
    if ui.ctx().input(|i| i.key_pressed(egui::Key::Space)) {
        w.cfg.second_page = !w.cfg.second_page;
    }
    egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| w.wall_ui(ui));
    true
}

pub fn settings_ui(app: &mut BrushfireApp, ctx: &egui::Context) {
    if !app.panels.wall.settings_open {
        return;
    }
    let mut open = true;
    let offered = app.loaded.as_ref().map(|l| offered_metrics(&l.df)).unwrap_or_default();
    let cfg = &mut app.workspace.dashboard;
    let nets = app.panels.wall.nets_text.get_or_insert_with(|| cfg.local_networks.join(", "));
    egui::Window::new("Dashboard settings").open(&mut open).resizable(false).show(ctx, |ui| {
        ui.label("Metric tiles (none ticked: every metric these logs have data for)");
        for k in MetricKind::ALL {
            let has = offered.contains(&k);
            let mut on = cfg.metrics.contains(&k);
            let label = if has { k.label().to_string() } else { format!("{} (fields missing)", k.label()) };
            if ui.add_enabled(has, egui::Checkbox::new(&mut on, label)).changed() {
                cfg.metrics.retain(|m| *m != k);
                if on {
                    cfg.metrics.push(k);
                }
            }
        }
        ui.separator();
        ui.label("Panels");
        for (p, label) in [
            (PanelKind::Metrics, "Metric tiles"),
            (PanelKind::OutboundByBytes, "Outbound top 10 by bytes"),
            (PanelKind::OutboundByConnections, "Outbound top 10 by connections"),
        ] {
            let mut on = cfg.panels.contains(&p);
            if ui.checkbox(&mut on, label).changed() {
                cfg.panels.retain(|x| *x != p);
                if on {
                    cfg.panels.push(p);
                }
            }
        }
        ui.checkbox(&mut cfg.second_page, "Outbound lists show positions 11-20");
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Now window");
            ui.radio_value(&mut cfg.window, WindowKind::Last24h, "last 24 h");
            ui.radio_value(&mut cfg.window, WindowKind::Today, "today so far");
        });
        ui.horizontal(|ui| {
            ui.label("Refresh every");
            ui.add(egui::DragValue::new(&mut cfg.refresh_secs).range(1..=3600).suffix(" s"));
            ui.label("warn after");
            let mut mins = cfg.quiet_secs / 60;
            if ui.add(egui::DragValue::new(&mut mins).range(1..=24 * 60).suffix(" min")).changed() {
                cfg.quiet_secs = mins * 60;
            }
            ui.label("without new data");
        });
        ui.label("Local networks (inside; empty = the private ranges)");
        if ui.add(egui::TextEdit::singleline(nets).hint_text("172.10.0.0/16, 10.0.0.0/8")).changed() {
            cfg.local_networks = nets
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if let Err(e) = crate::dashboard::Inside::from_config(&cfg.local_networks) {
            ui.colored_label(egui::Color32::from_rgb(220, 90, 60), e.to_string());
        }
    });
    if !open {
        app.panels.wall.settings_open = false;
        app.panels.wall.nets_text = None;
    }
}
