//! The cleaning workbench: repair inverted flows, null ports of non-TCP/UDP records, drop
//! scanners; every step is a recipe entry replayed from the original table so undo is exact.
//! The decisions (port parsing, preview clause, presets) live in `data::clean::workbench`.
use super::export::start_export_dialog;
use crate::app::jobs::Job;
use crate::app::{BrushfireApp, VIEW_CLEAN};
use crate::data::clean::apply::{self, StepReport};
use crate::data::clean::flow_repair::{marty_vast2013, PortEvidence};
use crate::data::clean::recipe::{self, Recipe, Step, RECIPE_VERSION};
use crate::data::clean::scanners::{ScanParams, ScannerEvidence};
use crate::data::clean::workbench::{self, inverted_preview_clause, parse_ports};
use crate::data::export::ExportFormat;
use crate::data::Table;
use crate::linking::selection::Clause;
use crate::views::common::thousands;
use polars::prelude::DataFrame;
use std::sync::Arc;

#[derive(Default)]
pub struct CleanState {
    pub evidence: Option<Vec<PortEvidence>>,
    pub scanners: Option<Vec<ScannerEvidence>>,
    pub ports_text: String,
    pub min_dst: i32,
    pub steps: Vec<Step>,
    pub reports: Vec<StepReport>,
    pub original: Option<Arc<Table>>,
    pub job: Option<Job<(DataFrame, Vec<StepReport>)>>,
    pub analysis: Option<Job<(Vec<PortEvidence>, Vec<ScannerEvidence>)>>,
    pub message: Option<String>,
    pub previewing: bool,
}

impl CleanState {
    pub fn job_idle(&self) -> bool {
        self.job.is_none()
    }
}

pub fn marty_ports_text() -> String {
    workbench::ports_text(&marty_vast2013())
}

pub fn clean_ui(app: &mut BrushfireApp, ui: &mut egui::Ui) {
    let Some(l) = &app.loaded else { return };
    let df = l.df.clone();
    let has_flows = ["src_port", "dst_port", "src_ip", "dst_ip"].iter().all(|c| df.column(c).is_ok());
    if !has_flows {
        ui.weak("The cleaning workbench needs flow records (src_ip, dst_ip, src_port, dst_port). This data has none of that shape.");
        return;
    }
    let picker = app.picker.clone();
    let inputs = l.table.files.clone();
    let mut clause_out: Option<Option<Clause>> = None;
    let mut export_req: Option<(ExportFormat, bool)> = None;
    let cs = &mut app.panels.clean;
    if cs.evidence.is_none() && cs.analysis.is_none() {
        let d = df.clone();
        cs.analysis = Some(Job::spawn("analysing ports and scanners".into(), 0, move |_, _| {
            let sc = apply::scanners(&d, &ScanParams::default()).map_err(|e| e.to_string())?;
            let ips: Vec<String> = sc.iter().map(|s| s.src_ip.clone()).collect();
            let ev = apply::evidence(&d, &ips, 40).map_err(|e| e.to_string())?;
            Ok((ev, sc))
        }));
    }
    ui.columns(3, |c| {
        // 1. Flow direction repair.
        {
            let ui = &mut c[0];
            ui.strong("1 · Repair inverted flows");
            ui.weak("A service port as source with an ephemeral destination port means the collector swapped the direction.");
            ui.horizontal(|ui| {
                ui.label("service ports");
                ui.add(egui::TextEdit::singleline(&mut cs.ports_text).desired_width(ui.available_width() - 10.0).id_salt("ports_text"));
            });
            ui.horizontal(|ui| {
                ui.label("destination port >");
                ui.add(egui::DragValue::new(&mut cs.min_dst).range(0..=65535));
                if ui.button("Preset marty-vast2013").clicked() {
                    cs.ports_text = marty_ports_text();
                    cs.min_dst = 1024;
                }
                if ui.button("Use candidates").on_hover_text("ports the evidence below marks as services").clicked() {
                    if let Some(e) = &cs.evidence {
                        cs.ports_text = e.iter().filter(|e| e.candidate).map(|e| e.port.to_string()).collect::<Vec<_>>().join(", ");
                    }
                }
            });
            let ports = parse_ports(&cs.ports_text);
            if let Err(e) = &ports {
                ui.colored_label(egui::Color32::RED, e);
            }
            ui.horizontal(|ui| {
                if ui.add_enabled(ports.is_ok(), egui::Button::new("Preview flagged records")).clicked() {
                    if let Ok(p) = &ports {
                        clause_out = Some(Some(inverted_preview_clause(p, cs.min_dst)));
                        cs.previewing = true;
                    }
                }
                if cs.previewing && ui.button("End preview").clicked() {
                    clause_out = Some(None);
                    cs.previewing = false;
                }
                if ui.add_enabled(ports.is_ok() && cs.job.is_none(), egui::Button::new("Apply repair")).clicked() {
                    if let Ok(p) = ports.clone() {
                        cs.steps.push(workbench::repair_step(p, cs.min_dst));
                        clause_out = Some(None);
                        cs.previewing = false;
                        run_recipe(cs);
                    }
                }
            });
            ui.separator();
            ui.strong("Evidence (scanners left out)");
            match &cs.evidence {
                None => {
                    ui.spinner();
                }
                Some(ev) => {
                    egui::ScrollArea::vertical().id_salt("evidence").show(ui, |ui| {
                        egui::Grid::new("evidence_grid").striped(true).show(ui, |ui| {
                            for h in ["port", "as dst", "as src", "src->eph. dst", "service?"] {
                                ui.strong(h);
                            }
                            ui.end_row();
                            for e in ev.iter().take(25) {
                                ui.label(e.port.to_string());
                                ui.label(thousands(e.as_dst as i64));
                                ui.label(thousands(e.as_src as i64));
                                ui.label(thousands(e.as_src_with_ephemeral_dst as i64));
                                ui.label(if e.candidate { "candidate" } else { "" });
                                ui.end_row();
                            }
                        });
                    });
                }
            }
        }
        // 2. Port 0 and scanners.
        {
            let ui = &mut c[1];
            ui.strong("2 · Port 0 of non-TCP/UDP traffic");
            ui.weak("ICMP and OTHER records carry no ports: their 0 (or ICMP type/code) would count as the busiest 'service'. They become null.");
            if ui.add_enabled(cs.job.is_none(), egui::Button::new("Null ports of non-TCP/UDP records")).clicked() {
                cs.steps.push(Step::NullPortsNonTcpUdp);
                run_recipe(cs);
            }
            ui.separator();
            ui.strong("3 · Scanners");
            ui.weak("Sources with ≥100 distinct destination ports or hosts within 5 minutes.");
            match &cs.scanners {
                None => {
                    ui.spinner();
                }
                Some(sc) if sc.is_empty() => {
                    ui.label("no scanners found");
                }
                Some(sc) => {
                    let ips: Vec<String> = sc.iter().map(|s| s.src_ip.clone()).collect();
                    egui::Grid::new("scanners_grid").striped(true).show(ui, |ui| {
                        for h in ["source", "kind", "ports/5min", "hosts/5min", "records"] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for s in sc.iter().take(12) {
                            ui.label(&s.src_ip);
                            ui.label(format!("{:?}", s.kind));
                            ui.label(s.max_distinct_ports_in_window.to_string());
                            ui.label(s.max_distinct_hosts_in_window.to_string());
                            ui.label(thousands(s.total_records as i64));
                            ui.end_row();
                        }
                    });
                    ui.horizontal(|ui| {
                        if ui.button("Exclude as a filter").on_hover_text("a reversible selection clause").clicked() {
                            clause_out = Some(Some(Clause::values("src_ip", ips.clone(), true)));
                        }
                        if ui.add_enabled(cs.job.is_none(), egui::Button::new("Remove as a cleaning step")).clicked() {
                            cs.steps.push(Step::ExcludeScanners { src_ips: ips });
                            run_recipe(cs);
                        }
                    });
                }
            }
        }
        // 3. Recipe and export.
        {
            let ui = &mut c[2];
            ui.strong("Recipe");
            if cs.steps.is_empty() {
                ui.weak("no cleaning steps yet");
            }
            for (i, s) in cs.steps.iter().enumerate() {
                let rep = cs.reports.get(i).map(|r| r.to_string()).unwrap_or_else(|| format!("{s:?}"));
                ui.label(format!("{}. {rep}", i + 1));
            }
            if let Some(j) = &cs.job {
                j.progress_ui(ui);
            }
            if let Some(m) = &cs.message {
                ui.label(m);
            }
            ui.horizontal(|ui| {
                if ui.add_enabled(!cs.steps.is_empty() && cs.job.is_none(), egui::Button::new("Undo last step")).clicked() {
                    cs.steps.pop();
                    run_recipe(cs);
                }
                if ui.add_enabled(!cs.steps.is_empty(), egui::Button::new("Save recipe…")).clicked() {
                    let r = Recipe { version: RECIPE_VERSION, name: None, steps: cs.steps.clone() };
                    if let Some(p) = picker.save_file("recipe.json", &[("recipe", &["json"])]) {
                        let res = crate::data::atomic::write_bytes_atomic(&p, &inputs, r.to_json().as_bytes());
                        cs.message = Some(match res {
                            Ok(()) => format!("recipe saved to {}", p.display()),
                            Err(e) => format!("could not save recipe: {e}"),
                        });
                    }
                }
                if ui.add_enabled(cs.job.is_none(), egui::Button::new("Load recipe…")).clicked() {
                    if let Some(files) = picker.open_files() {
                        if let Some(f) = files.first() {
                            match std::fs::read_to_string(f).map_err(|e| e.to_string()).and_then(|t| recipe::parse_recipe(&t).map_err(|e| e.to_string())) {
                                Ok(r) => {
                                    cs.steps = r.steps;
                                    run_recipe(cs);
                                }
                                Err(e) => cs.message = Some(format!("{}: {e}", f.display())),
                            }
                        }
                    }
                }
            });
            ui.separator();
            ui.strong("Export");
            ui.horizontal(|ui| {
                for fmt in [ExportFormat::Csv, ExportFormat::Parquet, ExportFormat::Ndjson] {
                    if ui.button(format!("Selection -> {}", fmt.extension())).clicked() {
                        export_req = Some((fmt, true));
                    }
                }
            });
            ui.horizontal(|ui| {
                for fmt in [ExportFormat::Csv, ExportFormat::Parquet, ExportFormat::Ndjson] {
                    if ui.button(format!("All (cleaned) -> {}", fmt.extension())).clicked() {
                        export_req = Some((fmt, false));
                    }
                }
            });
        }
    });
    if let Some(c) = clause_out {
        app.panels.clause = Some((VIEW_CLEAN, c));
    }
    if let Some((fmt, sel)) = export_req {
        start_export_dialog(app, fmt, sel);
    }
}

/// Replays the recipe from the original table (so undo is exact) in the background.
pub(crate) fn run_recipe(cs: &mut CleanState) {
    let Some(orig) = cs.original.clone() else {
        return;
    };
    let recipe = Recipe { version: RECIPE_VERSION, name: None, steps: cs.steps.clone() };
    cs.evidence = None;
    cs.scanners = None;
    cs.job = Some(Job::spawn(format!("applying {} step(s)", recipe.steps.len()), 0, move |_, _| {
        apply::apply_recipe(&orig.df, &recipe).map_err(|e| e.to_string())
    }));
}
