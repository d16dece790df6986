//! The analyst's desk, driven as a person would (egui_kittest): split tiles by dragging a tab, add
//! a second time series, save and reopen a workspace, relink a moved source, bookmark and restore.
//! And the `brushfire report` twin, checked by reading its HTML.
use super::gui::passing;
use brushfire::app::desk::{layout_of, LayoutNode, Pane};
use brushfire::app::{BrushfireApp, VIEW_TABLE, VIEW_TIME, VIEW_TOPN};
use brushfire::linking::needs::Output;
use brushfire::views::common::PresetPicker;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn harness_with(picker: Arc<PresetPicker>, files: Vec<PathBuf>) -> Harness<'static, BrushfireApp> {
    let app = BrushfireApp::new(picker, files);
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app)
}

/// Steps frames until data is loaded, a reopened workspace is fully restored, no job runs and
/// the views show the answer to the newest request.
fn settle(h: &mut Harness<'static, BrushfireApp>) {
    let t0 = Instant::now();
    loop {
        h.step();
        let s = h.state();
        if s.loaded.is_some() && s.is_current() && s.panels_idle() && !s.workspace.restoring() {
            h.step();
            h.step();
            if h.state().is_current() {
                return;
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(180), "app did not settle: {}", h.state().status);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn time_total(app: &BrushfireApp, view: u32) -> i64 {
    match app.outputs.get(&view) {
        Some(Output::Time { total, .. }) => total.iter().sum(),
        _ => -1,
    }
}

/// A tab drag needs more frames than a brush: egui_tiles decides the drop zone while moving.
fn drag(h: &mut Harness<'static, BrushfireApp>, from: egui::Pos2, to: egui::Pos2) {
    super::gui::drag_in_steps(h, from, to, 20);
    h.step();
}

fn temp(name: &str) -> PathBuf {
    crate::util::temp_dir(&format!("desk-{name}"))
}

#[test]
fn dragging_a_tab_beside_the_time_series_splits_the_tile() {
    let mut h = harness_with(Arc::new(PresetPicker::default()), vec![crate::util::sample()]);
    settle(&mut h);
    let visible = h.state().desk.visible_panes();
    assert!(visible.contains(&Pane::Records) && !visible.contains(&Pane::Treemap), "{visible:?}");
    let tab = h.get_by_label("Treemap").rect();
    let tree = &h.state().desk.tree;
    let ts_tile = tree.tiles.find_pane(&Pane::TimeSeries { id: VIEW_TIME }).unwrap();
    let ts_rect = tree.tiles.rect(ts_tile).expect("the time series tile was laid out");
    // Drop on the right half of the time series tile: egui_tiles splits it there.
    let to = egui::pos2(ts_rect.left() + ts_rect.width() * 0.75, ts_rect.center().y);
    drag(&mut h, tab.center(), to);
    settle(&mut h);
    let layout = layout_of(&h.state().desk.tree).unwrap();
    let LayoutNode::Vertical { children, .. } = &layout else { panic!("{layout:?}") };
    assert!(
        matches!(&children[0], LayoutNode::Horizontal { children, .. } if children.len() == 2),
        "the time series row is split in two: {layout:?}"
    );
    // Let the treemap lay out in its new, smaller tile.
    for _ in 0..5 {
        h.step();
    }
    let visible = h.state().desk.visible_panes();
    assert!(
        visible.contains(&Pane::Treemap) && visible.contains(&Pane::Records),
        "treemap now beside the time series while the records stay: {visible:?}"
    );
    // The treemap in its new tile is linked: clicking a tile filters the time series.
    let total = time_total(h.state(), VIEW_TIME);
    h.get_by_label("tile proto=udp > dst_port=53").click();
    settle(&mut h);
    let t = time_total(h.state(), VIEW_TIME);
    assert!(t > 0 && t < total, "time series filtered by the moved treemap: {t} of {total}");
}

#[test]
fn a_second_time_series_follows_a_brush_from_a_topn_list() {
    let mut h = harness_with(Arc::new(PresetPicker::default()), vec![crate::util::sample()]);
    settle(&mut h);
    h.get_by_label("+ View").click();
    h.run_steps(3);
    h.get_by_label("New time series").click();
    settle(&mut h);
    let ids: Vec<u32> = h.state().ts.keys().copied().collect();
    assert_eq!(ids.len(), 2, "two time series: {ids:?}");
    let second = *ids.iter().find(|i| **i != VIEW_TIME).unwrap();
    // Put the first time series and the new one side by side is not needed: both are visible
    // (the new one is the active tab of the lower group).
    assert!(h.state().desk.visible_panes().contains(&Pane::TimeSeries { id: second }));
    // The new one measures bytes: pick it in its own "Measure" box.
    let measure_boxes = h.get_all_by_label("Measure").count();
    assert_eq!(measure_boxes, 2);
    h.get_all_by_label("Measure").last().unwrap().click();
    h.run_steps(3);
    h.get_by_label("bytes").click();
    settle(&mut h);
    assert_eq!(h.state().ts[&second].measure, "bytes");
    assert_eq!(h.state().ts[&VIEW_TIME].measure, "count");
    let (a0, b0) = (time_total(h.state(), VIEW_TIME), time_total(h.state(), second));
    assert!(a0 > 0 && b0 > a0, "count and bytes series: {a0}, {b0}");
    h.get_by_label("dst_port 443").click();
    settle(&mut h);
    let (a1, b1) = (time_total(h.state(), VIEW_TIME), time_total(h.state(), second));
    assert!(a1 > 0 && a1 < a0, "count series follows the list: {a1} of {a0}");
    assert!(b1 > 0 && b1 < b0, "bytes series follows the list: {b1} of {b0}");
    assert_eq!(a1, passing(h.state()));
}

/// Saves through File › Save workspace as… (the picker answers `to`).
fn save_workspace_as(h: &mut Harness<'static, BrushfireApp>, picker: &PresetPicker, to: &Path) {
    picker.save.lock().unwrap().push(to.to_path_buf());
    h.get_by_label("File").click();
    h.run_steps(3);
    h.get_by_label("Save workspace as…").click();
    h.step();
    assert!(to.is_file(), "workspace written to {}", to.display());
}

#[test]
fn a_saved_workspace_reopens_with_the_same_selection_layout_and_outputs() {
    let dir = temp("roundtrip");
    let picker = Arc::new(PresetPicker::default());
    let mut h = harness_with(picker.clone(), vec![crate::util::sample()]);
    settle(&mut h);
    h.get_by_label("dst_port 443").click();
    settle(&mut h);
    h.get_by_label("src_ip 172.10.3.77").click();
    settle(&mut h);
    h.get_by_label("Layout").click();
    h.run_steps(3);
    h.get_by_label("Graph and treemap").click();
    settle(&mut h);
    let ws = dir.join("inv.brushfire");
    save_workspace_as(&mut h, &picker, &ws);
    let before = h.state();
    let sel = before.sel.current().clone();
    let layout = layout_of(&before.desk.tree);
    let outputs: Vec<(u32, Output)> = [VIEW_TIME, VIEW_TOPN[0], VIEW_TOPN[2], VIEW_TABLE]
        .iter()
        .map(|v| (*v, before.outputs[v].clone()))
        .collect();
    let undo = before.sel.parts().1.len();
    drop(h);

    let mut h2 = harness_with(Arc::new(PresetPicker::default()), vec![ws.clone()]);
    settle(&mut h2);
    let after = h2.state();
    assert_eq!(after.sel.current(), &sel, "same selection");
    assert_eq!(after.sel.parts().1.len(), undo, "same undo history");
    assert_eq!(layout_of(&after.desk.tree), layout, "same layout");
    for (v, o) in outputs {
        assert_eq!(after.outputs.get(&v), Some(&o), "same output of view {v}");
    }
    // Undo goes back through the saved history.
    h2.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h2);
    assert_eq!(h2.state().sel.current().clauses.len(), 1);
}

#[test]
fn a_moved_source_is_relinked() {
    let dir = temp("relink");
    let first = dir.join("a/netflow.csv.gz");
    std::fs::create_dir_all(first.parent().unwrap()).unwrap();
    std::fs::copy(crate::util::sample(), &first).unwrap();
    let picker = Arc::new(PresetPicker::default());
    let mut h = harness_with(picker.clone(), vec![first.clone()]);
    settle(&mut h);
    h.get_by_label("proto icmp").click();
    settle(&mut h);
    let ws = dir.join("inv.brushfire");
    save_workspace_as(&mut h, &picker, &ws);
    let sel = h.state().sel.current().clone();
    let passing_before = passing(h.state());
    drop(h);
    let moved = dir.join("b/netflow.csv.gz");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&first, &moved).unwrap();

    let picker = Arc::new(PresetPicker::default());
    let mut h = harness_with(picker.clone(), vec![ws.clone()]);
    h.step();
    assert!(h.state().loaded.is_none(), "nothing loads before the source is found");
    let _ = h.get_by_label_contains("is missing");
    picker.open.lock().unwrap().push(vec![moved.clone()]);
    h.get_by_label("Relink…").click();
    settle(&mut h);
    assert_eq!(h.state().loaded.as_ref().unwrap().table.files, vec![moved.clone()]);
    assert_eq!(h.state().sel.current(), &sel);
    assert_eq!(passing(h.state()), passing_before);
}

#[test]
fn a_bookmark_restores_its_selection() {
    let mut h = harness_with(Arc::new(PresetPicker::default()), vec![crate::util::sample()]);
    settle(&mut h);
    h.get_by_label("src_ip 172.10.9.99").click();
    settle(&mut h);
    let sel = h.state().sel.current().clone();
    let p = passing(h.state());
    h.get_by_label("Bookmark this selection").click();
    h.run_steps(3);
    // The title field starts with the filters in words; the analyst writes their own.
    h.get_by_label("Title").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Title").type_text("vertical scanner");
    h.step();
    h.get_by_label("Save bookmark").click();
    h.step();
    assert_eq!(h.state().workspace.bookmarks.len(), 1);
    assert_eq!(h.state().workspace.bookmarks[0].title, "vertical scanner");
    h.get_by_label("Clear all").click();
    settle(&mut h);
    assert!(h.state().sel.current().is_empty());
    h.get_by_label("Bookmarks & notes").click();
    settle(&mut h);
    h.get_by_label("bookmark vertical scanner").click();
    settle(&mut h);
    assert_eq!(h.state().sel.current(), &sel);
    assert_eq!(passing(h.state()), p);
}

#[test]
fn the_report_of_the_bundled_investigation_has_every_bookmark_and_its_figures() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/investigation.brushfire");
    let dir = temp("report");
    let out = dir.join("report.html");
    let o = crate::util::brushfire(&["report", ws.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    // Self-contained: no picture or style is fetched from elsewhere.
    let src = regex::Regex::new(r#"(?:src|href)="([^"]*)""#).unwrap();
    for c in src.captures_iter(&html) {
        assert!(c[1].starts_with("data:image/svg+xml;base64,"), "external reference {}", &c[1]);
    }
    let sections: Vec<&str> = html.split("<section class=\"bookmark\"").skip(1).collect();
    let h2 = regex::Regex::new(r"<h2>([^<]*)</h2>").unwrap();
    let records = regex::Regex::new(r#"data-records="(\d+)""#).unwrap();
    let found: Vec<(String, i64, usize)> = sections
        .iter()
        .map(|s| {
            let title = h2.captures(s).map(|c| c[1].to_string()).unwrap_or_default();
            let n = records.captures(s).map(|c| c[1].parse().unwrap()).unwrap_or(-1);
            (title, n, s.matches("<table class=\"topn\"").count())
        })
        .collect();
    // The planted truth of sample_data/README.md: 126 exfiltration flows, 2,000 + 1,600 scan records.
    assert_eq!(
        found,
        vec![("Night exfiltration".to_string(), 126, 4), ("Scanners".to_string(), 3600, 4)],
        "bookmarks, their record counts and top-N tables"
    );
    // The exfiltration's top destination port is 443 with all 126 records.
    let exfil = sections[0];
    assert!(
        exfil.contains("<tr><td>443</td><td class=\"n\">126</td><td class=\"n\">100.0%</td></tr>"),
        "{exfil}"
    );
    assert!(
        exfil.contains("<li>src_ip = 172.10.3.77</li>") && exfil.contains("<li>dst_ip = 198.51.100.23</li>")
    );
    // The Markdown twin says the same.
    let md = dir.join("report.md");
    let o = crate::util::brushfire(&["report", ws.to_str().unwrap(), "--out", md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("### Night exfiltration")
            && md.contains("**126 records**")
            && md.contains("**3,600 records**")
    );
}

#[test]
fn a_newer_or_broken_workspace_is_a_clear_error_and_loads_nothing() {
    let dir = temp("broken");
    let ws = dir.join("new.brushfire");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/investigation.brushfire"),
    )
    .unwrap()
    .replacen("\"version\": 1", "\"version\": 7", 1);
    std::fs::write(&ws, text).unwrap();
    let mut h = harness_with(Arc::new(PresetPicker::default()), vec![ws.clone()]);
    h.step();
    let e = h.state().error.clone().unwrap_or_default();
    assert!(e.contains("version 7 is newer"), "{e}");
    assert!(h.state().load.is_none() && h.state().loaded.is_none());
    let o = crate::util::brushfire(&[
        "report",
        ws.to_str().unwrap(),
        "--out",
        dir.join("r.html").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("version 7 is newer"));
    assert!(!dir.join("r.html").exists());
}
