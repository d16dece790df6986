//! The lake (issue #12): the bundled sample written as a hive-partitioned Parquet dataset by the
//! real binary, then read where it lies by the CLI twins, the pushdown planner and the GUI, each
//! compared with the in-memory answer on the same records.
use crate::util::{brushfire, sample};
use brushfire::app::{BrushfireApp, VIEW_TABLE, VIEW_TIME, VIEW_TOPN};
use brushfire::linking::backend::parquet::ParquetEngine;
use brushfire::linking::backend::testing::{assert_backend_matches_memory, Scenario};
use brushfire::linking::needs::Output;
use brushfire::views::common::PresetPicker;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sample as a lake, written by `brushfire export-parquet`.
fn sample_lake() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("flows");
    let out = brushfire(&[
        "export-parquet",
        &sample().display().to_string(),
        "--out-dir",
        &lake.display().to_string(),
    ]);
    assert!(out.status.success(), "export-parquet: {}", String::from_utf8_lossy(&out.stderr));
    let days: Vec<_> = std::fs::read_dir(&lake).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(days.len(), 14, "one partition per day of the two-week sample: {days:?}");
    assert!(lake.join("day=2013-04-01").join("part-0.parquet").is_file());
    (dir, lake)
}

#[test]
fn query_on_a_lake_prints_the_same_top_10_as_the_local_query() {
    let (_d, lake) = sample_lake();
    let sql = "select dst_port, count(*) c from logs group by dst_port order by c desc, dst_port limit 10";
    let remote = brushfire(&["query", "--parquet", &lake.display().to_string(), "--sql", sql]);
    assert!(remote.status.success(), "{}", String::from_utf8_lossy(&remote.stderr));
    let local = brushfire(&["query", &sample().display().to_string(), "--sql", sql]);
    assert!(local.status.success());
    let text = String::from_utf8(remote.stdout).unwrap();
    assert_eq!(text.lines().count(), 11, "{text}");
    assert!(text.starts_with("dst_port,c\n443,"), "{text}");
    assert_eq!(text, String::from_utf8(local.stdout).unwrap());
    // inspect: the lake's rows and time range are the sample's.
    let i = crate::util::inspect(&[], &["--parquet", &lake.display().to_string()]);
    let l = crate::util::inspect(&[&sample()], &[]);
    assert_eq!(i["rows"], l["rows"]);
    assert_eq!(i["time_min"], l["time_min"]);
    assert_eq!(i["time_max"], l["time_max"]);
    // graph: AfterGlow from the lake's tuple counts gives the local graph.
    let g = |extra: &[&str]| {
        let mut a = vec!["graph", "--fields", "src_ip,dst_port", "-t", "--format", "gdf"];
        a.extend_from_slice(extra);
        let o = brushfire(&a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut lines: Vec<String> =
            String::from_utf8(o.stdout).unwrap().lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let s = sample().display().to_string();
    let lake_s = lake.display().to_string();
    let (gl, gm) = (g(&["--parquet", &lake_s]), g(&[&s]));
    assert!(gl.len() > 100, "{} lines", gl.len());
    assert_eq!(gl, gm);
}

#[test]
fn the_sample_as_a_lake_answers_every_view_as_the_in_memory_engine() {
    let (_d, lake) = sample_lake();
    let t = brushfire::data::load_paths(&[sample()], &Default::default(), &Default::default()).unwrap();
    let engine = Arc::new(ParquetEngine::open(&lake).unwrap());
    let sc = Scenario {
        top_fields: &["src_ip", "dst_port", "proto"],
        ip_field: "dst_ip",
        measure: "bytes",
        steps: 14,
        seed: 2013,
        subset_max_rows: None,
        cube_store: None,
    };
    let n = assert_backend_matches_memory(engine, &t.df, &sc);
    assert!(n >= 14 * 8, "compared {n}");
}

pub(crate) fn harness(mut app: BrushfireApp) -> Harness<'static, BrushfireApp> {
    // Never the user's cache (the app's default store, `CubeStore::from_env`): a test that keeps
    // cube parts gives its own store in a folder of its own.
    let users = brushfire::linking::backend::cube_store::CubeStore::from_env().map(|s| s.dir().to_path_buf());
    if app.coord.cube_store.as_ref().map(|s| s.dir().to_path_buf()) == users {
        app.coord.cube_store = None;
    }
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, app: &mut BrushfireApp| app.ui_root(ui), app)
}

pub(crate) fn settle(h: &mut Harness<'static, BrushfireApp>) {
    let t0 = Instant::now();
    loop {
        h.step();
        let s = h.state();
        if s.loaded.is_some() && s.is_current() && s.panels_idle() && s.lake.opening.is_none() {
            h.step();
            h.step();
            if h.state().is_current() {
                return;
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(300), "app did not settle: {}", h.state().status);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What the linked views show, comparable between the memory and the lake app.
pub(crate) fn shown(app: &BrushfireApp) -> Vec<String> {
    let mut out = Vec::new();
    for v in VIEW_TOPN.iter().chain([&VIEW_TIME]) {
        out.push(format!("{v}: {:?}", app.outputs.get(v)));
    }
    out.push(match app.outputs.get(&VIEW_TABLE) {
        Some(Output::Table { passing, .. } | Output::Records { passing, .. }) => format!("records {passing}"),
        other => format!("{other:?}"),
    });
    out
}

/// File › Open lake…, clicked as a person does.
fn open_lake_window(h: &mut Harness<'static, BrushfireApp>) {
    h.step();
    h.get_by_label("File").click();
    h.run_steps(3);
    h.get_by_label("Open lake…").click();
    h.run_steps(2);
}

/// Opens `lake` from File › Open lake…, its path typed, and waits for the views.
fn open_lake_as_a_person(h: &mut Harness<'static, BrushfireApp>, lake: &std::path::Path) {
    open_lake_window(h);
    h.get_by_label("lake path").focus();
    h.step();
    h.get_by_label("lake path").type_text(&lake.display().to_string());
    h.step();
    h.get_by_label("Open").click();
    settle(h);
    assert!(h.state().is_lake(), "{:?}", h.state().error);
}

#[test]
fn the_app_on_a_lake_shows_the_memory_numbers_and_a_click_filters_them() {
    let (_d, lake) = sample_lake();
    let mut mem = harness(BrushfireApp::new(Arc::new(PresetPicker::default()), vec![sample()]));
    settle(&mut mem);
    // File › Open lake…, typed as a person does.
    let mut h = harness(BrushfireApp::new(Arc::new(PresetPicker::default()), Vec::new()));
    open_lake_as_a_person(&mut h, &lake);
    assert_eq!(h.state().lake.rows, 270_000);
    assert_eq!(shown(h.state()), shown(mem.state()));
    // A click on a top-N row filters every other view, on both.
    for app in [&mut mem, &mut h] {
        app.get_by_label("dst_port 443").click();
        settle(app);
    }
    let _ = h.get_by_label_contains("dst_port = 443");
    let s = shown(h.state());
    assert!(s.last().is_some_and(|r| r == "records 91407"), "{s:?}");
    assert_eq!(s, shown(mem.state()));
}

#[test]
fn the_lake_window_says_what_is_kept_and_forgets_it_on_a_click() {
    use brushfire::linking::backend::cube_store::{CubeStore, DEFAULT_MAX_BYTES};
    let (_d, lake) = sample_lake();
    let kept = tempfile::tempdir().unwrap();
    let dir = kept.path().join("cubes");
    let mut app = BrushfireApp::new(Arc::new(PresetPicker::default()), Vec::new());
    app.coord.cube_store = Some(Arc::new(CubeStore::new(dir.clone(), DEFAULT_MAX_BYTES)));
    // Only what the hover keeps: cubes read ahead would keep coming after the click on Forget.
    app.coord.read_ahead = false;
    let mut h = harness(app);
    open_lake_as_a_person(&mut h, &lake);
    // The pointer enters the port list: its cube is read from the lake and kept.
    let files = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    let t0 = Instant::now();
    while files() == 0 {
        h.get_by_label("dst_port 443").hover();
        h.step();
        assert!(t0.elapsed() < Duration::from_secs(60), "no cube part was kept");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The first file may be a slow answer kept before the cube, whose parts go to the disk when
    // it is built: wait until nothing more comes, or the build would keep them after the click
    // on Forget (it did, on a loaded machine).
    let mut seen = (files(), Instant::now());
    while seen.1.elapsed() < Duration::from_secs(2) {
        h.step();
        std::thread::sleep(Duration::from_millis(50));
        if files() != seen.0 {
            seen = (files(), Instant::now());
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "the cube kept being written");
    }
    // The window says where and how much, and forgets it when asked.
    open_lake_window(&mut h);
    let _ = h.get_by_label_contains(&format!("are kept in {}", dir.display()));
    h.get_by_label("Forget kept cubes").click();
    let t0 = Instant::now();
    while h.query_by_label_contains("forgot ").is_none() {
        h.step();
        assert!(t0.elapsed() < Duration::from_secs(30), "forgetting did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
    h.step();
    assert_eq!(files(), 0, "every kept part is gone");
    let _ = h.get_by_label_contains("(0 B)");
}

#[test]
fn a_lake_left_idle_reads_its_cubes_ahead_and_a_list_entered_then_answers_from_them() {
    use brushfire::linking::backend::cube_store::{CubeStore, DEFAULT_MAX_BYTES};
    use brushfire::views::common::ViewEdit;
    use std::sync::atomic::Ordering::Relaxed;
    let (_d, lake) = sample_lake();
    let kept = tempfile::tempdir().unwrap();
    let store = Arc::new(CubeStore::new(kept.path().join("cubes"), DEFAULT_MAX_BYTES));
    let mut app = BrushfireApp::new(Arc::new(PresetPicker::default()), Vec::new());
    app.coord.cube_store = Some(store.clone());
    app.coord.read_ahead = true;
    let mut h = harness(app);
    open_lake_as_a_person(&mut h, &lake);
    // Left alone (the pointer on no view), the app reads the four lists' cubes ahead, then the
    // other views', and says so in its status bar.
    h.event(egui::Event::PointerGone);
    let t0 = Instant::now();
    while h.state().lake.read_ahead.1 < 4 {
        h.step();
        assert!(t0.elapsed() < Duration::from_secs(90), "read ahead: {}", h.state().status);
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = h.get_by_label_contains("views read ahead for this selection while idle");
    // The pointer enters the port list and clicks a port: its cube is read back from the disk,
    // and the click is answered from it.
    let hits = store.hits.load(Relaxed);
    h.get_by_label("dst_port 443").hover();
    h.run_steps(3);
    h.get_by_label("dst_port 443").click();
    settle(&mut h);
    assert!(h.state().last_strategy.starts_with("lake cube"), "{}", h.state().last_strategy);
    assert!(store.hits.load(Relaxed) > hits, "the cube was read from the disk");
    // The same numbers as the in-memory app given the same click.
    let click = h.state().sel.current().clone();
    assert!(!click.clauses.is_empty());
    let mut mem = harness(BrushfireApp::new(Arc::new(PresetPicker::default()), vec![sample()]));
    settle(&mut mem);
    for (view, clause) in click.clauses {
        mem.state_mut().apply_edit(view, ViewEdit { clause: Some(clause), continuing: false });
    }
    settle(&mut mem);
    assert_eq!(shown(h.state()), shown(mem.state()));
}

#[test]
fn brushing_the_lake_time_series_snaps_to_its_cube_and_matches_memory() {
    use brushfire::linking::selection::Clause;
    use brushfire::views::common::ViewEdit;
    let (_d, lake) = sample_lake();
    let mut h = harness(BrushfireApp::new(Arc::new(PresetPicker::default()), Vec::new()));
    h.state_mut().open_lake(lake);
    settle(&mut h);
    assert!(h.state().is_lake(), "{:?}", h.state().error);
    // The pointer rests on the time series (its cube is fetched), then drags a brush.
    let plot = h.get_by_label("Time series plot").rect();
    let y = plot.center().y;
    let from = egui::pos2(plot.left() + plot.width() * 0.30, y);
    h.event(egui::Event::PointerMoved(from));
    // The worker reads a hovered view's cube only when nothing else is queued: a drag begun
    // before it picked up the hover (a loaded CI machine) was answered by pushdown instead.
    let t0 = Instant::now();
    while h.state().coord.last_cube_ms() == 0 {
        h.step();
        assert!(t0.elapsed() < Duration::from_secs(120), "no time cube: {}", h.state().status);
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::gui::drag_in_steps(&mut h, from, egui::pos2(plot.left() + plot.width() * 0.47, y), 12);
    settle(&mut h);
    let Some(Clause::Time { start_us, end_us }) = h.state().sel.current().clauses.get(&VIEW_TIME).cloned()
    else {
        panic!("no time brush: {:?}", h.state().sel.current())
    };
    // On the cube's grid (the two-week sample: hour bins), so the cube answered every list.
    let Some(Output::Time { bucket_us, total, .. }) = h.state().outputs.get(&VIEW_TIME) else {
        panic!("no time series")
    };
    let grid = brushfire::linking::needs::time_cube_bucket_us(*bucket_us, total.len());
    assert_eq!(grid, 3_600_000_000, "hour bins over two weeks");
    assert!(start_us % grid == 0 && end_us % grid == 0 && end_us > start_us, "{start_us}..{end_us}");
    assert!(h.state().last_strategy.starts_with("lake cube"), "{}", h.state().last_strategy);
    // The in-memory app given the same brush shows the same numbers.
    let mut mem = harness(BrushfireApp::new(Arc::new(PresetPicker::default()), vec![sample()]));
    settle(&mut mem);
    mem.state_mut().apply_edit(
        VIEW_TIME,
        ViewEdit { clause: Some(Clause::Time { start_us, end_us }), continuing: false },
    );
    settle(&mut mem);
    assert_eq!(shown(h.state()), shown(mem.state()));
}

#[test]
fn the_sql_console_on_a_lake_asks_the_lake_and_bounds_what_comes_back() {
    use egui::accesskit::Role;
    let (_d, lake) = sample_lake();
    let mut h = harness(BrushfireApp::new(Arc::new(PresetPicker::default()), Vec::new()));
    h.state_mut().open_lake(lake);
    settle(&mut h);
    crate::gui::click_tab(&mut h, "SQL");
    h.run_steps(2);
    let _ = h.get_by_label_contains("queried where it lives");
    let run = |h: &mut Harness<'static, BrushfireApp>, sql: &str| {
        h.get_by_role(Role::MultilineTextInput).focus();
        h.step();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_role(Role::MultilineTextInput).type_text(sql);
        h.step();
        h.get_by_label("Run").click();
        let t0 = Instant::now();
        loop {
            h.step();
            let s = &h.state().panels.sql;
            if s.job.is_none() && s.history.last().map(String::as_str) == Some(sql) {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(120), "the query did not finish");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    run(&mut h, "select proto, count(*) as n from logs group by proto order by n desc");
    let sql = &h.state().panels.sql;
    assert!(sql.error.is_none(), "{:?}", sql.error);
    let r = sql.result.clone().expect("a result");
    // The same counts as the in-memory table of the sample.
    let t = brushfire::data::load_paths(&[sample()], &Default::default(), &Default::default()).unwrap();
    let want = brushfire::data::sql::run_sql(
        &t,
        None,
        "select proto, count(*) as n from logs group by proto order by n desc",
    )
    .unwrap();
    assert_eq!(*r, want);
    // All 270,000 records would not fit the bound: a clear message, not a silently cut table.
    run(&mut h, "select * from logs");
    let e = h.state().panels.sql.error.clone().expect("an error for an unbounded result");
    assert!(e.contains("more than 100,000 rows"), "{e}");
}

/// Reads a cleaned result as one frame sorted by every column (a lake's row order is its own).
fn sorted_frame(path: &std::path::Path) -> polars::prelude::DataFrame {
    use polars::prelude::*;
    let lf = if path.is_dir() {
        let args = ScanArgsParquet {
            hive_options: HiveOptions { enabled: Some(true), ..HiveOptions::new_enabled() },
            glob: true,
            ..Default::default()
        };
        LazyFrame::scan_parquet(PlRefPath::from(format!("{}/**/*.parquet", path.display()).as_str()), args)
            .unwrap()
            .drop(Selector::ByName { names: ["day".into()].into(), strict: true })
    } else {
        LazyFrame::scan_parquet(PlRefPath::from(path.display().to_string().as_str()), Default::default())
            .unwrap()
    };
    let df = lf.collect().unwrap();
    let names: Vec<PlSmallStr> = df.get_column_names().into_iter().cloned().collect();
    df.sort(names, SortMultipleOptions::default().with_nulls_last(true)).unwrap()
}

#[test]
fn cleaning_a_lake_writes_what_the_local_clean_writes() {
    let (d, lake) = sample_lake();
    let recipe = d.path().join("recipe.json");
    std::fs::write(
        &recipe,
        r#"{ "version": 1, "steps": [
            { "step": "repair_inverted", "service_ports": [20, 21, 25, 53, 80, 123, 389, 443, 3389], "min_dst_port_exclusive": 1024 },
            { "step": "null_ports_non_tcp_udp" },
            { "step": "exclude_scanners", "src_ips": ["172.10.9.99", "203.0.113.66"] },
            { "step": "exclude_values", "field": "dst_port", "values": ["1900"] },
            { "step": "filter", "sql_where": "duration < 3600" }
        ] }"#,
    )
    .unwrap();
    let out_dir = d.path().join("flows-clean");
    let r = brushfire(&[
        "clean",
        "--parquet",
        &lake.display().to_string(),
        "--recipe",
        &recipe.display().to_string(),
        "--out-dir",
        &out_dir.display().to_string(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out_dir.join("day=2013-04-14").is_dir(), "partitioned by day beside the source");
    // Never over the source.
    let again = brushfire(&[
        "clean",
        "--parquet",
        &lake.display().to_string(),
        "--preset",
        "marty-vast2013",
        "--out-dir",
        &lake.display().to_string(),
    ]);
    assert!(!again.status.success());
    let local_out = d.path().join("local.parquet");
    let l = brushfire(&[
        "clean",
        &sample().display().to_string(),
        "--recipe",
        &recipe.display().to_string(),
        "--out",
        &local_out.display().to_string(),
    ]);
    assert!(l.status.success(), "{}", String::from_utf8_lossy(&l.stderr));
    let (a, b) = (sorted_frame(&out_dir), sorted_frame(&local_out));
    assert!(a.height() > 200_000 && a.height() < 270_000, "{} rows", a.height());
    assert_eq!(a.schema(), b.schema());
    assert!(a.equals_missing(&b), "lake clean differs from local clean:\n{a}\n{b}");
}
