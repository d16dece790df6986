//! Workshop lessons (issue #15): every bundled lesson worked through the window as a student
//! does it - tabs, list clicks, brushes, typed SQL, graph fields - with the tick turning green
//! after the right action and staying grey after a wrong one; and `brushfire lesson --check`.
use crate::gui::{drag_in_steps, settle};
use brushfire::app::{BrushfireApp, VIEW_TIME};
use brushfire::views::common::PresetPicker;
use brushfire::views::lesson::lesson_ui::{TICK_NOT_YET, TICK_PASSED};
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

type H = Harness<'static, BrushfireApp>;

fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_brushfire"))
}

fn lesson_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_data/lessons").join(format!("{name}.toml"))
}

fn lesson_harness(name: &str, picker: Arc<PresetPicker>) -> H {
    let mut app = BrushfireApp::new(picker, Vec::new());
    app.open_lesson(&lesson_file(name));
    assert!(app.error.is_none(), "{:?}", app.error);
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app);
    settle_lesson(&mut h);
    h
}

/// Waits for the views and for the tick to show the check of the state as it is now.
fn settle_lesson(h: &mut H) {
    let t0 = Instant::now();
    loop {
        settle(h);
        // A "show me" query waits for the console to be on screen and ready.
        if h.state().lesson_checked() && h.state().panels_idle() && !h.state().panels.sql.run_when_ready {
            h.step();
            if h.state().lesson_checked() {
                return;
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(120), "the lesson's check did not settle");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The tick as drawn: green "✔ Done" or grey "○ Not yet".
fn assert_tick(h: &mut H, passed: bool, what: &str) {
    settle_lesson(h);
    let step = h.state().lesson.as_ref().map(|s| s.model.step + 1).unwrap_or(0);
    if passed {
        let st = h.state();
        assert!(
            h.query_by_label(TICK_PASSED).is_some(),
            "step {step}: {what}: the tick should be green (tick {:?}, SQL {:?} -> {:?} {:?}, selection {:?})",
            st.lesson.as_ref().map(|s| &s.tick),
            st.panels.sql.history.last(),
            st.panels.sql.result.as_ref().map(|r| brushfire::lesson::check::rows_text(r, 3)),
            st.panels.sql.error,
            st.sel.current().clauses.values().map(|c| c.describe()).collect::<Vec<_>>()
        );
    } else {
        assert!(h.query_by_label(TICK_NOT_YET).is_some(), "step {step}: {what}: the tick should stay grey");
    }
}

fn next_step(h: &mut H) {
    h.get_by_label("Next >").click();
    h.step();
    assert_tick(h, false, "a new step starts unchecked");
}

/// Brings a workbench tab forward by clicking its title in the tab bar.
fn click_tab(h: &mut H, label: &str) {
    let tab = h.query_all_by_label(label).next().unwrap_or_else(|| panic!("no tab {label:?}"));
    tab.click();
    h.step();
    settle(h);
}

/// Types a query into the SQL console and presses Run.
fn run_sql(h: &mut H, sql: &str) {
    click_tab(h, "SQL");
    h.get_by_role(Role::MultilineTextInput).focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role(Role::MultilineTextInput).type_text(sql);
    h.step();
    // A query over `selection` waits for the selection's rows.
    settle(h);
    h.get_by_label("Run").click();
    let t0 = Instant::now();
    while h.state().panels.sql.job.is_some()
        || h.state().panels.sql.history.last().map(|s| s.as_str()) != Some(sql)
    {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the query did not run: {:?}",
            h.state().panels.sql.error
        );
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.step();
    assert!(h.state().panels.sql.error.is_none(), "{:?}", h.state().panels.sql.error);
}

fn click(h: &mut H, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
}

/// Picks `option` in the combo box labelled `combo`.
fn choose(h: &mut H, combo: &str, option: &str) {
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    h.run_steps(2);
    // The popup is drawn last: its entry is the last node with that label.
    let n =
        h.query_all_by_label(option).last().unwrap_or_else(|| panic!("no option {option:?} in {combo:?}"));
    n.click();
    h.run_steps(2);
}

/// Waits until the cleaning job and the re-index after it are done.
fn wait_clean(h: &mut H) {
    let t0 = Instant::now();
    while !h.state().panels.clean.job_idle() || !h.state().panels_idle() {
        assert!(t0.elapsed() < Duration::from_secs(120), "cleaning did not finish");
        h.step();
        std::thread::sleep(Duration::from_millis(25));
    }
    settle_lesson(h);
}

/// Brushes [start, end) on the main time series with the mouse: zooms in around the interval
/// (Ctrl+wheel, as a person does for a narrow brush), then drags across it.
fn brush(h: &mut H, start: &str, end: &str) {
    let t = |s: &str| brushfire::lesson::check::parse_time_us(s).unwrap() as f64 / 1e6;
    let (a, b) = (t(start), t(end));
    // Start from the whole range and no brush, as a person would: Fit, Clear brush.
    h.query_all_by_label("Fit").next().expect("the time series' Fit button").click();
    h.run_steps(3);
    if let Some(btn) = h.query_by_label("Clear brush") {
        btn.click();
        h.run_steps(2);
    }
    settle(h);
    let map =
        |h: &H| h.state().ts.get(&VIEW_TIME).and_then(|s| s.x_screen_map()).expect("the plot was drawn");
    let x_of = |(rect, (lo, hi)): (egui::Rect, (f64, f64)), secs: f64| {
        rect.left() + ((secs - lo) / (hi - lo)) as f32 * rect.width()
    };
    let (full_rect, full) = map(h);
    let y = full_rect.center().y;
    for _ in 0..4 {
        let at = egui::pos2(x_of(map(h), (a + b) / 2.0), y);
        h.event(egui::Event::PointerMoved(at));
        h.step();
        h.event(egui::Event::Zoom(2.0));
        h.run_steps(2);
    }
    // Let the layout come to rest before pointing at a time.
    let mut m = map(h);
    for _ in 0..20 {
        settle(h);
        let now = map(h);
        if now == m {
            break;
        }
        m = now;
    }
    assert!(m.1 .1 - m.1 .0 < (full.1 - full.0) / 8.0, "zoomed in: {:?} of {full:?}", m.1);
    drag_in_steps(h, egui::pos2(x_of(m, a), y), egui::pos2(x_of(m, b), y), 40);
    settle(h);
}

#[test]
fn noon_spike_through_the_ui() {
    let mut h = lesson_harness("noon-spike", Arc::new(PresetPicker::default()));
    assert_eq!(h.state().lesson.as_ref().unwrap().model.progress_text(), "step 1 of 5");
    let _ = h.get_by_label("step 1 of 5");
    assert_tick(&mut h, false, "the start");
    // 1: busiest weekday hour.
    run_sql(&mut h, "select extract(hour from time) h, count(*) c from logs group by h order by h");
    assert_tick(&mut h, false, "hours in clock order");
    run_sql(
        &mut h,
        "select extract(hour from time) h, count(*) c from logs where extract(isodow from time) < 6 group by h order by c desc",
    );
    assert_tick(&mut h, true, "weekday hours, busiest first");
    next_step(&mut h);
    // 2: brush the noon hour of a weekday.
    brush(&mut h, "2013-04-06T11:15:00Z", "2013-04-06T13:45:00Z");
    assert_tick(&mut h, false, "a Saturday");
    brush(&mut h, "2013-04-02T11:15:00Z", "2013-04-02T13:45:00Z");
    assert_tick(&mut h, true, "Tuesday noon");
    next_step(&mut h);
    // 3: the second week, so the week-earlier line has something to show.
    brush(&mut h, "2013-04-03T11:15:00Z", "2013-04-03T13:45:00Z");
    assert_tick(&mut h, false, "still the first week");
    brush(&mut h, "2013-04-09T11:15:00Z", "2013-04-09T13:45:00Z");
    assert_tick(&mut h, true, "Tuesday of the second week");
    next_step(&mut h);
    // 4: the busiest port in the brush.
    click(&mut h, "dst_port 53");
    assert_tick(&mut h, false, "port 53");
    click(&mut h, "dst_port 443");
    assert_tick(&mut h, true, "port 443 within the brush");
    next_step(&mut h);
    // 5: clients at 11 and 12.
    run_sql(&mut h, "select count(distinct src_ip) clients from logs");
    assert_tick(&mut h, false, "all clients");
    run_sql(
        &mut h,
        "select extract(hour from time) h, count(distinct src_ip) clients from logs where extract(isodow from time) < 6 and extract(hour from time) in (11, 12) group by h order by h",
    );
    assert_tick(&mut h, true, "clients per hour");
    assert_eq!(h.state().lesson.as_ref().unwrap().model.passed.len(), 5);
}

#[test]
fn port_zero_through_the_ui() {
    let mut h = lesson_harness("port-zero", Arc::new(PresetPicker::default()));
    click(&mut h, "dst_port 53");
    assert_tick(&mut h, false, "port 53");
    click(&mut h, "dst_port 0");
    assert_tick(&mut h, true, "port 0");
    next_step(&mut h);
    run_sql(&mut h, "select proto, count(*) c from logs group by proto order by c desc");
    assert_tick(&mut h, false, "protocols of all records");
    run_sql(&mut h, "select proto, count(*) c from selection group by proto order by c desc");
    assert_tick(&mut h, true, "protocols of port 0");
    next_step(&mut h);
    run_sql(&mut h, "select count(*) c from logs where dst_port = 0");
    assert_tick(&mut h, false, "port 0 of every protocol");
    run_sql(&mut h, "select count(*) c from logs where dst_port = 0 and proto in ('tcp', 'udp')");
    assert_tick(&mut h, true, "no TCP/UDP on port 0");
    next_step(&mut h);
    click_tab(&mut h, "Clean");
    assert_tick(&mut h, false, "only looking at the Clean tab");
    click(&mut h, "Null ports of non-TCP/UDP records");
    wait_clean(&mut h);
    assert_tick(&mut h, true, "ports nulled");
    next_step(&mut h);
    run_sql(&mut h, "select count(*) c from logs where dst_port = 0");
    assert_tick(&mut h, false, "port 0 is gone, but that is not the question");
    run_sql(&mut h, "select count(*) c from logs where dst_port is null");
    assert_tick(&mut h, true, "null ports counted");
}

#[test]
fn flows_around_through_the_ui() {
    let mut h = lesson_harness("flows-around", Arc::new(PresetPicker::default()));
    run_sql(&mut h, "select src_port, count(*) c from logs group by src_port order by c desc limit 20");
    assert_tick(&mut h, false, "source ports first");
    run_sql(
        &mut h,
        "select firstseendestport, count(*) c from logs group by firstseendestport order by c desc limit 20",
    );
    assert_tick(&mut h, true, "Marty's query with the VAST names");
    next_step(&mut h);
    run_sql(&mut h, "select src_port, count(*) c from logs group by src_port order by c desc limit 20");
    assert_tick(&mut h, true, "source ports");
    next_step(&mut h);
    click_tab(&mut h, "Clean");
    // Marty's 2013 list misses 443 and others of this data: its preview is not the answer.
    click(&mut h, "Preview flagged records");
    assert_tick(&mut h, false, "Marty's preset ports");
    let t0 = Instant::now();
    while h.state().panels.clean.evidence.is_none() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no evidence");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.step();
    click(&mut h, "Use candidates");
    click(&mut h, "Preview flagged records");
    assert_tick(&mut h, true, "the candidate ports flag 7,560 records");
    next_step(&mut h);
    click(&mut h, "Apply repair");
    wait_clean(&mut h);
    assert_tick(&mut h, true, "repaired");
    next_step(&mut h);
    let rule = "select count(*) c from logs where proto in ('tcp', 'udp') and src_port in (21, 22, 25, 53, 80, 88, 123, 137, 138, 389, 443, 445, 993, 1900, 1984, 3389, 5355, 8080, 8443) and dst_port > 1024";
    run_sql(&mut h, "select count(*) c from logs where dst_port > 1024");
    assert_tick(&mut h, false, "a different count");
    run_sql(&mut h, rule);
    assert_tick(&mut h, true, "nothing matches the rule");
}

#[test]
fn scanners_through_the_ui() {
    let mut h = lesson_harness("scanners", Arc::new(PresetPicker::default()));
    click_tab(&mut h, "Treemap");
    choose(&mut h, "Preset", "Address space: dst_ip /16 > /24 > host");
    assert_tick(&mut h, false, "destinations");
    choose(&mut h, "Preset", "Sources: src_ip /16 > /24 > host");
    assert_tick(&mut h, true, "sources");
    next_step(&mut h);
    click(&mut h, "src_ip 172.10.0.53");
    assert_tick(&mut h, false, "the DNS server");
    click(&mut h, "src_ip 172.10.9.99");
    assert_tick(&mut h, true, "the vertical scanner");
    next_step(&mut h);
    run_sql(&mut h, "select count(distinct dst_port) ports from logs");
    assert_tick(&mut h, false, "every port");
    run_sql(&mut h, "select count(distinct dst_port) ports, count(distinct dst_ip) hosts from selection");
    assert_tick(&mut h, true, "1,017 ports on 3 hosts");
    next_step(&mut h);
    click(&mut h, "src_ip 203.0.113.66");
    assert_tick(&mut h, true, "the horizontal scanner");
    next_step(&mut h);
    click_tab(&mut h, "Link graph");
    assert_tick(&mut h, false, "three-node graph");
    click(&mut h, "Two-node");
    assert_tick(&mut h, true, "two-node graph of the scanner");
    next_step(&mut h);
    click_tab(&mut h, "Clean");
    let t0 = Instant::now();
    while h.state().panels.clean.scanners.is_none() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no scanners");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.step();
    click(&mut h, "Exclude as a filter");
    assert_tick(&mut h, true, "both scanners excluded");
}

#[test]
fn botnet_through_the_ui() {
    let picker = Arc::new(PresetPicker::default());
    let mut h = lesson_harness("botnet", picker.clone());
    click(&mut h, "dst_ip 172.10.0.53");
    assert_tick(&mut h, false, "the DNS server");
    click(&mut h, "dst_ip 203.0.113.200");
    assert_tick(&mut h, true, "the C&C");
    next_step(&mut h);
    run_sql(&mut h, "select count(distinct src_ip) bots from logs");
    assert_tick(&mut h, false, "every source");
    run_sql(&mut h, "select count(distinct src_ip) bots from selection");
    assert_tick(&mut h, true, "six callers");
    next_step(&mut h);
    click_tab(&mut h, "Link graph");
    choose(&mut h, "Event field", "dst_ip");
    assert_tick(&mut h, false, "src_ip > dst_ip > dst_ip");
    choose(&mut h, "Target field", "dst_port");
    assert_tick(&mut h, true, "src_ip > dst_ip > dst_port");
    next_step(&mut h);
    picker.open.lock().unwrap().push(vec![lesson_file("botnet").with_file_name("botnet.properties")]);
    click(&mut h, "Properties...");
    assert_tick(&mut h, true, "the property file");
    // The bots are red in the graph as built.
    let t0 = Instant::now();
    loop {
        let red = h.state().panels.graph.as_ref().and_then(|g| g.graph()).map(|g| {
            g.nodes.iter().filter(|n| n.color_name == "red" && n.label.starts_with("172.10.1.")).count()
        });
        if red == Some(6) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "six red sources: {red:?}");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    next_step(&mut h);
    let bots = ["172.10.1.13", "172.10.1.21", "172.10.1.34", "172.10.1.42", "172.10.1.47", "172.10.1.55"];
    click_tab(&mut h, "Records");
    h.get_by_label(&format!("src_ip {}", bots[0])).click();
    settle(&mut h);
    for b in &bots[1..5] {
        h.get_by_label(&format!("src_ip {b}")).click_modifiers(egui::Modifiers::COMMAND);
        settle(&mut h);
    }
    assert_tick(&mut h, false, "five of six");
    h.get_by_label(&format!("src_ip {}", bots[5])).click_modifiers(egui::Modifiers::COMMAND);
    assert_tick(&mut h, true, "all six bots");
}

#[test]
fn outside_through_the_ui() {
    let mut h = lesson_harness("outside", Arc::new(PresetPicker::default()));
    let outbound = "from logs where src_ip like '172.10.%' and dst_ip not like '172.10.%' and dst_ip not like '10.%' group by src_ip";
    run_sql(
        &mut h,
        "select src_ip, sum(src_payload_bytes) b from logs group by src_ip order by b desc limit 10",
    );
    assert_tick(&mut h, false, "all sources");
    run_sql(&mut h, &format!("select src_ip, sum(src_payload_bytes) b {outbound} order by b desc limit 10"));
    assert_tick(&mut h, true, "outbound by bytes");
    next_step(&mut h);
    run_sql(&mut h, &format!("select src_ip, count(*) c {outbound} order by c desc, src_ip limit 10"));
    assert_tick(&mut h, true, "outbound by connections");
    next_step(&mut h);
    run_sql(
        &mut h,
        &format!("select src_ip, sum(src_payload_bytes) b {outbound} order by b desc limit 10 offset 10"),
    );
    assert_tick(&mut h, true, "positions 11-20");
    next_step(&mut h);
    click_tab(&mut h, "Records");
    // The first list's ">" pages the source addresses.
    h.query_all_by_label(">").next().expect("a next-page button").click();
    h.step();
    assert_tick(&mut h, true, "sources 11-20");
    next_step(&mut h);
    run_sql(
        &mut h,
        "select dst_ip, sum(src_payload_bytes) b from logs where src_ip = '172.10.3.77' group by dst_ip order by b desc limit 1",
    );
    assert_tick(&mut h, false, "the query alone selects nothing");
    click(&mut h, "dst_ip in result");
    assert_tick(&mut h, true, "the exfiltration destination");
    next_step(&mut h);
    brush(&mut h, "2013-04-03T11:00:00Z", "2013-04-03T16:00:00Z");
    assert_tick(&mut h, false, "daytime");
    brush(&mut h, "2013-04-03T00:30:00Z", "2013-04-03T05:30:00Z");
    assert_tick(&mut h, true, "the night");
}

#[test]
fn show_me_hints_reset_presenter_and_progress_in_the_workspace() {
    let picker = Arc::new(PresetPicker::default());
    let mut h = lesson_harness("botnet", picker.clone());
    // Hints one at a time.
    assert!(h.query_by_label_contains("Hint 1:").is_none());
    click(&mut h, "Hint (0 of 1)");
    let _ = h.get_by_label_contains("Hint 1: 203.0.113.200");
    // Show me on every step turns each tick green.
    for step in 0..5 {
        click(&mut h, "Show me");
        settle_lesson(&mut h);
        assert_tick(&mut h, true, "show me");
        if step < 4 {
            h.get_by_label("Next >").click();
            h.run_steps(3);
        }
    }
    // Reset step: the six bots selected by show me go, the tick turns grey again.
    click(&mut h, "Reset step");
    assert_tick(&mut h, false, "reset");
    assert!(!h.state().sel.current().clauses.values().any(|c| c.describe().contains("172.10.1.13")));
    // Presenter mode: larger type.
    let before = h.get_by_label("Draw the botnet").rect().height();
    h.get_by_label("Presenter").click();
    h.run_steps(3);
    let after = h.get_by_label("Draw the botnet").rect().height();
    assert!(after > before * 1.4, "presenter type is larger: {before} -> {after}");
    // Progress is saved in the workspace and comes back.
    let d = crate::util::temp_dir("lesson-ws");
    let ws = d.join("class.brushfire");
    h.state_mut().save_workspace(&ws).unwrap();
    let saved = brushfire::workspace::Workspace::read(&ws).unwrap();
    let p = saved.lesson.expect("lesson progress in the workspace");
    assert_eq!((p.step, p.passed.len(), p.presenter), (4, 5, true));
    let app = BrushfireApp::new(Arc::new(PresetPicker::default()), vec![ws.clone()]);
    let mut h2 = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app);
    settle_lesson(&mut h2);
    let s = h2.state().lesson.as_ref().expect("the lesson reopens");
    assert_eq!((s.model.step, s.model.passed.len()), (4, 5));
    let _ = h2.get_by_label("step 5 of 5");
}

#[test]
fn lesson_check_passes_on_every_bundled_lesson_and_names_the_line_of_a_broken_one() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_data/lessons");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    for f in &files {
        let l = brushfire::lesson::load(f).unwrap();
        assert!(l.steps.len() >= 5, "{}: {} steps", f.display(), l.steps.len());
    }
    let out = bin().arg("lesson").args(&files).arg("--check").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("ok ")).count(), files.len(), "{err}");

    // A wrong expected answer: the solution no longer satisfies its check, named by file and line.
    let d = crate::util::temp_dir("lesson-check");
    let text = std::fs::read_to_string(dir.join("port-zero.toml")).unwrap();
    let broken = text.replace("expect = [[\"5896\"]], exact = true", "expect = [[\"5897\"]], exact = true");
    assert_ne!(text, broken);
    let line = broken[..broken.find("title = \"Count what is missing now\"").unwrap()].lines().count();
    let bad = d.join("port-zero.toml");
    std::fs::write(&bad, broken.replace("../vast-netflow", &format!("{}/../vast-netflow", dir.display())))
        .unwrap();
    let out = bin().args(["lesson", bad.to_str().unwrap(), "--check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&format!("port-zero.toml:{line}:")), "line {line}: {err}");
    assert!(err.contains("does not satisfy its check"), "{err}");

    // A syntax error names its line too; a missing dataset names the dataset line.
    std::fs::write(d.join("syntax.toml"), "title = \"T\"\ndataset = \"x.csv\"\n[[step]]\ntitle = 3 3\n")
        .unwrap();
    let out = bin().args(["lesson", d.join("syntax.toml").to_str().unwrap(), "--check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("syntax.toml:4:"), "{err}");
    let missing = text.replace("../vast-netflow-2weeks.csv.gz", "no-such-file.csv");
    std::fs::write(d.join("missing.toml"), missing).unwrap();
    let out = bin().args(["lesson", d.join("missing.toml").to_str().unwrap(), "--check"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("missing.toml:3:") && err.contains("does not exist"),
        "{err}"
    );

    // The handout.
    let out = bin().args(["lesson", files[0].to_str().unwrap(), "--print"]).output().unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && md.starts_with("# ") && md.contains("## Step 1 of"), "{md}");
}
