//! The real app, headless (egui_kittest): brush the time series, click bars and tiles, clear.
use brushfire::app::{BrushfireApp, Tab, VIEW_TABLE, VIEW_TOPN};
use brushfire::linking::needs::Output;
use brushfire::linking::selection::Clause;
use brushfire::views::common::PresetPicker;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) fn harness(files: Vec<std::path::PathBuf>) -> Harness<'static, BrushfireApp> {
    let app = BrushfireApp::new(Arc::new(PresetPicker::default()), files);
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app)
}

/// Steps frames until the views show the answer to the newest request.
pub(crate) fn settle(h: &mut Harness<'static, BrushfireApp>) {
    let t0 = Instant::now();
    loop {
        h.step();
        let s = h.state();
        if s.loaded.is_some() && s.is_current() && s.panels_idle() {
            // One more frame so the views draw the answer.
            h.step();
            h.step();
            if h.state().is_current() {
                return;
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(120), "app did not settle: {}", h.state().status);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Switches tabs the way a person does: clicking the tab's label.
pub(crate) fn click_tab(h: &mut Harness<'static, BrushfireApp>, label: &str) {
    h.get_by_label(label).click();
    h.step();
    let want = Tab::ALL.into_iter().find(|t| t.label() == label).expect("a tab with this label");
    assert_eq!(h.state().tab, want, "clicking {label:?} shows its tab");
}

fn topn_values(app: &BrushfireApp, i: usize) -> Vec<(String, i64)> {
    match app.outputs.get(&VIEW_TOPN[i]) {
        Some(Output::TopN { entries, .. }) => entries.iter().map(|e| (e.label.clone(), e.value)).collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn passing(app: &BrushfireApp) -> i64 {
    match app.outputs.get(&VIEW_TABLE) {
        Some(Output::Table { passing, .. }) => *passing,
        _ => -1,
    }
}

pub(crate) fn time_total(app: &BrushfireApp) -> i64 {
    match app.outputs.get(&brushfire::app::VIEW_TIME) {
        Some(Output::Time { total, .. }) => total.iter().sum(),
        _ => -1,
    }
}

fn drag(h: &mut Harness<'static, BrushfireApp>, from: egui::Pos2, to: egui::Pos2) {
    drag_in_steps(h, from, to, 10);
}

/// Presses at `from`, moves to `to` in `steps` frames and releases, as a hand on a mouse does.
pub(crate) fn drag_in_steps(
    h: &mut Harness<'static, BrushfireApp>,
    from: egui::Pos2,
    to: egui::Pos2,
    steps: usize,
) {
    h.event(egui::Event::PointerMoved(from));
    h.step();
    h.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Default::default(),
    });
    h.step();
    for i in 1..=steps {
        let p = from + (to - from) * (i as f32 / steps as f32);
        h.event(egui::Event::PointerMoved(p));
        h.step();
    }
    h.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    h.step();
}

#[test]
fn brushing_the_time_series_filters_topn_and_table_and_clear_all_restores() {
    let mut h = harness(vec![crate::util::sample()]);
    settle(&mut h);
    let total = h.state().loaded.as_ref().unwrap().df.height() as i64;
    assert_eq!(passing(h.state()), total);
    let before: Vec<Vec<(String, i64)>> = (0..4).map(|i| topn_values(h.state(), i)).collect();
    assert!(!before[0].is_empty());
    let plot = h.get_by_label("Time series plot").rect();
    let y = plot.center().y;
    drag(
        &mut h,
        egui::pos2(plot.left() + plot.width() * 0.30, y),
        egui::pos2(plot.left() + plot.width() * 0.45, y),
    );
    settle(&mut h);
    let sel = h.state().sel.current().clone();
    assert!(
        matches!(
            sel.clauses.get(&brushfire::app::VIEW_TIME),
            Some(brushfire::linking::selection::Clause::Time { .. })
        ),
        "{sel:?}"
    );
    let after: Vec<Vec<(String, i64)>> = (0..4).map(|i| topn_values(h.state(), i)).collect();
    assert_ne!(before, after, "top-N lists changed");
    let p = passing(h.state());
    assert!(p > 0 && p < total, "table shows the brushed records: {p} of {total}");
    // The filter chip reads as a time interval.
    let _ = h.get_by_label_contains("time 2013-04-");
    // The table shows exactly the selection: as many records as the brushed interval holds, and
    // every row it shows lies inside the interval.
    let Some(Clause::Time { start_us, end_us }) = sel.clauses.get(&brushfire::app::VIEW_TIME).cloned() else {
        unreachable!("checked above")
    };
    let df = &h.state().loaded.as_ref().unwrap().df;
    let times: Vec<Option<i64>> = df
        .column("time")
        .unwrap()
        .cast(&polars::prelude::DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect();
    let in_interval =
        times.iter().filter(|t| t.is_some_and(|t| (start_us..end_us).contains(&t))).count() as i64;
    assert_eq!(p, in_interval, "table count = records in [{start_us}, {end_us})");
    let Some(Output::Table { rows, .. }) = h.state().outputs.get(&VIEW_TABLE) else {
        panic!("no table output")
    };
    assert!(!rows.is_empty(), "the table shows rows");
    for &r in rows {
        let t = times[r as usize].expect("a time");
        assert!((start_us..end_us).contains(&t), "row {r} at {t} outside the brushed interval");
    }
    // Clear all restores everything.
    h.get_by_label("Clear all").click();
    settle(&mut h);
    assert_eq!(passing(h.state()), total);
    let restored: Vec<Vec<(String, i64)>> = (0..4).map(|i| topn_values(h.state(), i)).collect();
    assert_eq!(before, restored);
}

#[test]
fn clicking_a_topn_bar_filters_the_time_series_and_undo_restores() {
    let mut h = harness(vec![crate::util::sample()]);
    settle(&mut h);
    let total = time_total(h.state());
    h.get_by_label("dst_port 443").click();
    settle(&mut h);
    let t = time_total(h.state());
    assert!(t > 0 && t < total, "time series filtered: {t} of {total}");
    assert_eq!(passing(h.state()), t);
    let _ = h.get_by_label_contains("dst_port = 443");
    // Ctrl-click adds a second value.
    h.get_by_label("dst_port 53").click_modifiers(egui::Modifiers::COMMAND);
    settle(&mut h);
    let t2 = time_total(h.state());
    assert!(t2 > t, "two ports: {t2} > {t}");
    // Ctrl+Z twice undoes both clicks.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert_eq!(time_total(h.state()), t);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert_eq!(time_total(h.state()), total);
}

#[test]
fn clicking_a_treemap_tile_filters_the_other_views() {
    let mut h = harness(vec![crate::util::sample()]);
    settle(&mut h);
    click_tab(&mut h, "Treemap");
    settle(&mut h);
    let total = time_total(h.state());
    let before = topn_values(h.state(), 3);
    h.get_by_label("tile proto=udp > dst_port=53").click();
    settle(&mut h);
    let t = time_total(h.state());
    assert!(t > 0 && t < total, "time series filtered by the tile: {t} of {total}");
    assert_ne!(topn_values(h.state(), 3), before, "proto list changed");
    let _ = h.get_by_label_contains("proto = udp and dst_port = 53");
}

#[test]
fn selecting_a_graph_node_filters_the_other_views() {
    let mut h = harness(vec![crate::util::sample()]);
    settle(&mut h);
    // The whole sample is too large to lay out (the view says so); focus on the vertical scanner.
    h.get_by_label("src_ip 172.10.9.99").click();
    settle(&mut h);
    click_tab(&mut h, "Link graph");
    settle(&mut h);
    let t0 = Instant::now();
    while h.query_by_label("node 22").is_none() {
        assert!(t0.elapsed() < Duration::from_secs(60), "graph did not show node 22");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let total = time_total(h.state());
    h.get_by_label("node 22").click();
    settle(&mut h);
    let t = time_total(h.state());
    assert!(t > 0 && t < total, "time series filtered by the port node: {t} of {total}");
    let chip = h.state().sel.current().clauses.get(&brushfire::app::VIEW_GRAPH).map(|c| c.describe());
    // ~1,000 port nodes overlap while the layout runs: the click selects the port node under the pointer.
    let chip = chip.unwrap_or_default();
    assert!(chip.starts_with("dst_port = "), "{chip}");
    let _ = h.get_by_label_contains(&chip);
}

#[test]
fn cleaning_preview_apply_and_undo() {
    let mut h = harness(vec![crate::util::sample()]);
    settle(&mut h);
    click_tab(&mut h, "Clean");
    settle(&mut h);
    let original = h.state().loaded.as_ref().unwrap().df.clone();
    h.get_by_label("Preview flagged records").click();
    settle(&mut h);
    let flagged = passing(h.state());
    assert!(flagged > 0, "flagged records are the selection");
    h.get_by_label("Apply repair").click();
    // Wait for the background job and the re-index.
    for _ in 0..400 {
        h.step();
        std::thread::sleep(Duration::from_millis(25));
        if h.state().panels.clean.reports.len() == 1 && h.state().is_current() {
            break;
        }
    }
    settle(&mut h);
    let rep = h.state().panels.clean.reports.first().cloned().expect("a report");
    assert_eq!(rep.rows_changed as i64, flagged);
    let repaired = h.state().loaded.as_ref().unwrap().df.clone();
    assert!(!repaired.equals_missing(&original), "the repair changed the table");
    h.get_by_label("Undo last step").click();
    for _ in 0..400 {
        h.step();
        std::thread::sleep(Duration::from_millis(25));
        if h.state().panels.clean.steps.is_empty() && h.state().panels.clean.job_idle() {
            break;
        }
    }
    settle(&mut h);
    assert!(h.state().panels.clean.steps.is_empty());
    // Undo restores the table as loaded: same rows, same values.
    let restored = &h.state().loaded.as_ref().unwrap().df;
    assert!(restored.equals_missing(&original), "undo restores the table");
}

#[test]
fn export_selection_writes_a_file_that_loads_back() {
    let picker = Arc::new(PresetPicker::default());
    let d = crate::util::temp_dir("gui-export");
    let target = d.join("selection.parquet");
    picker.save.lock().unwrap().push(target.clone());
    let app = BrushfireApp::new(picker.clone(), vec![crate::util::sample()]);
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app);
    settle(&mut h);
    h.get_by_label("proto icmp").click();
    settle(&mut h);
    let n = passing(h.state());
    click_tab(&mut h, "Clean");
    settle(&mut h);
    h.get_by_label("Selection -> parquet").click();
    let t0 = Instant::now();
    while !target.exists() || h.state().panels.export.is_some() {
        assert!(t0.elapsed() < Duration::from_secs(60), "export did not finish");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let back = brushfire::data::load_paths(&[target], &Default::default(), &Default::default()).unwrap();
    assert_eq!(back.rows() as i64, n);
    assert!(h.state().panels.export_message.as_deref().unwrap_or("").starts_with("exported to"));
}

#[test]
fn a_loader_that_dies_leaves_loading_and_keeps_the_previous_table() {
    let mut h = harness(vec![crate::util::sample()]);
    settle(&mut h);
    let before = h.state().loaded.as_ref().unwrap().df.height();
    let evil = std::path::PathBuf::from("/logs/evil.log");
    h.state_mut().load =
        Some(brushfire::app::loader::LoadJob::start_with(vec![evil], |_, _| panic!("index out of bounds")));
    let t0 = Instant::now();
    while h.state().load.is_some() {
        assert!(t0.elapsed() < Duration::from_secs(30), "still loading after the loader thread died");
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let err = h.state().error.clone().expect("the failure is shown");
    assert!(err.contains("/logs/evil.log") && err.contains("index out of bounds"), "{err}");
    assert_eq!(h.state().loaded.as_ref().unwrap().df.height(), before, "the previous table stays");
    settle(&mut h);
    // Still usable: a click filters as before.
    h.get_by_label("dst_port 443").click();
    settle(&mut h);
    assert!(passing(h.state()) < before as i64);
}
