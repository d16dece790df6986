//! The SOC wall (issue 14): tiles against independent counts (a plain loop over the decompressed
//! sample, serde_json over Suricata's eve), real-data tiles, the headless picture, following a
//! file that grows while the wall runs (kittest, a clock the test moves), and no scrolling.
use crate::util::{brushfire, real_data, sample, temp_dir};
use brushfire::app::dashboard::{ManualClock, WallState};
use brushfire::dashboard::DashboardConfig;
use egui_kittest::Harness;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DAY_US: i64 = 86_400_000_000;

fn wall_json(args: &[&str]) -> serde_json::Value {
    let out = brushfire(args);
    assert!(out.status.success(), "dashboard failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("dashboard --json prints JSON")
}

fn tile<'a>(v: &'a serde_json::Value, metric: &str) -> Option<&'a serde_json::Value> {
    v["tiles"].as_array().unwrap().iter().find(|t| t["metric"] == metric)
}

/// "1364774439.066749" -> µs, without floating point.
fn secs_to_us(s: &str) -> i64 {
    let (a, b) = s.split_once('.').unwrap_or((s, ""));
    let frac: String = b.chars().chain(std::iter::repeat('0')).take(6).collect();
    a.parse::<i64>().unwrap() * 1_000_000 + frac.parse::<i64>().unwrap()
}

fn inside(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    (o[0] == 172 && o[1] == 10) || o[0] == 10
}

#[test]
fn every_tile_on_the_sample_equals_an_independent_count() {
    let s = sample();
    let v =
        wall_json(&["dashboard", s.to_str().unwrap(), "--json", "--local-net", "172.10.0.0/16,10.0.0.0/8"]);
    // The plain loop: decompress, split lines, read the columns by position.
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&s).unwrap()).read_to_string(&mut text).unwrap();
    struct Row {
        t: i64,
        src: String,
        dst: String,
        bytes: i64,
    }
    let rows: Vec<Row> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Row { t: secs_to_us(f[0]), src: f[5].into(), dst: f[6].into(), bytes: f[14].parse().unwrap() }
        })
        .collect();
    assert_eq!(rows.len(), 270_000);
    let (tmin, tmax) = (rows.iter().map(|r| r.t).min().unwrap(), rows.iter().map(|r| r.t).max().unwrap());
    assert_eq!(v["now_is_data_end"], true, "a finished file is shown as of its end");
    assert_eq!(v["now_us"].as_i64().unwrap(), tmax);
    let win = |shift: i64| (tmax + 1 - DAY_US - shift, tmax + 1 - shift);
    let in_win = |r: &Row, (a, b): (i64, i64)| r.t >= a && r.t < b;
    let outbound = |r: &Row| {
        let (s, d): (Ipv4Addr, Ipv4Addr) = (r.src.parse().unwrap(), r.dst.parse().unwrap());
        inside(s) && !inside(d) && !d.is_multicast() && !d.is_broadcast()
    };
    let distinct =
        |w| rows.iter().filter(|r| in_win(r, w)).map(|r| r.src.as_str()).collect::<HashSet<_>>().len();
    let bytes_out = |w| rows.iter().filter(|r| in_win(r, w) && outbound(r)).map(|r| r.bytes).sum::<i64>();
    let all_bytes = |w| rows.iter().filter(|r| in_win(r, w)).map(|r| r.bytes).sum::<i64>();

    let ds = tile(&v, "distinct_sources").expect("distinct sources tile");
    assert_eq!(ds["value"].as_f64().unwrap(), distinct(win(0)) as f64);
    assert_eq!(ds["week_earlier"].as_f64().unwrap(), distinct(win(7 * DAY_US)) as f64);
    let all_src = rows.iter().map(|r| r.src.as_str()).collect::<HashSet<_>>().len();
    assert_eq!(ds["whole"].as_f64().unwrap(), all_src as f64);
    // Bands: the same window on each earlier day that the data fully covers.
    let earlier: Vec<usize> =
        (1..=28).map(|d| win(d * DAY_US)).filter(|w| w.0 >= tmin).map(distinct).collect();
    assert_eq!(ds["bands"]["samples"].as_u64().unwrap(), earlier.len() as u64);
    assert_eq!(ds["bands"]["min"].as_f64().unwrap(), *earlier.iter().min().unwrap() as f64);
    assert_eq!(ds["bands"]["max"].as_f64().unwrap(), *earlier.iter().max().unwrap() as f64);

    let bo = tile(&v, "bytes_out").expect("bytes out tile");
    assert_eq!(bo["value"].as_f64().unwrap(), bytes_out(win(0)) as f64);
    assert_eq!(bo["week_earlier"].as_f64().unwrap(), bytes_out(win(7 * DAY_US)) as f64);
    assert_eq!(bo["whole"].as_f64().unwrap(), all_bytes(win(0)) as f64);
    let pct = 100.0 * bytes_out(win(0)) as f64 / all_bytes(win(0)) as f64;
    assert!((bo["percent"].as_f64().unwrap() - pct).abs() < 1e-9);
    assert!(tile(&v, "firewall_blocks").is_none() && tile(&v, "ids_alerts").is_none(), "netflow has neither");

    // Outbound top lists, by bytes and by connections.
    let mut by_bytes: HashMap<&str, i64> = HashMap::new();
    let mut by_conn: HashMap<&str, i64> = HashMap::new();
    for r in rows.iter().filter(|r| in_win(r, win(0)) && outbound(r)) {
        *by_bytes.entry(&r.src).or_default() += r.bytes;
        *by_conn.entry(&r.src).or_default() += 1;
    }
    for (key, m) in [("outbound_by_bytes", &by_bytes), ("outbound_by_connections", &by_conn)] {
        let mut ranked: Vec<(&str, i64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let got: Vec<(String, f64)> = v[key]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["src_ip"].as_str().unwrap().to_string(), e["value"].as_f64().unwrap()))
            .collect();
        let want: Vec<(String, f64)> =
            ranked.iter().take(20).map(|(k, v)| (k.to_string(), *v as f64)).collect();
        assert_eq!(got, want, "{key}");
        assert_eq!(v[key]["sources"].as_u64().unwrap(), ranked.len() as u64);
    }
    // The planted night exfiltration source leads the bytes list.
    assert_eq!(v["outbound_by_bytes"]["entries"][0]["src_ip"], "172.10.3.77");
}

#[test]
fn suricata_alerts_and_ssh_failed_logins_are_tiles_on_real_logs() {
    let Some(eve) = real_data("suricata-eve/test6-malicious.suricata.json") else { return };
    let v = wall_json(&["dashboard", eve.to_str().unwrap(), "--json"]);
    // Independent: serde_json per line, chrono for the timestamp with its +0200 offset.
    let text = std::fs::read_to_string(&eve).unwrap();
    let mut events = Vec::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let j: serde_json::Value = serde_json::from_str(l).unwrap();
        let t = chrono::DateTime::parse_from_str(j["timestamp"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%.f%z")
            .unwrap();
        events.push((t.timestamp_micros(), j["event_type"].as_str().unwrap().to_string()));
    }
    let tmax = events.iter().map(|e| e.0).max().unwrap();
    let in_win = |t: i64| t > tmax - DAY_US && t <= tmax;
    let alerts = events.iter().filter(|e| in_win(e.0) && e.1 == "alert").count();
    let all = events.iter().filter(|e| in_win(e.0)).count();
    let a = tile(&v, "ids_alerts").expect("IDS alerts tile on Suricata eve");
    assert_eq!(a["value"].as_f64().unwrap(), alerts as f64);
    assert_eq!(a["whole"].as_f64().unwrap(), all as f64);
    assert!(alerts > 0 && alerts <= 745);

    let Some(ssh) = real_data("syslog-loghub/OpenSSH_2k.log") else { return };
    let v = wall_json(&["dashboard", ssh.to_str().unwrap(), "--json", "--year", "2015"]);
    let f = tile(&v, "failed_logins").expect("failed logins tile on sshd logs");
    // Counted by SQL over the same window (polars, not the wall's loop).
    let (start, end) = (v["window"]["start_us"].as_i64().unwrap(), v["window"]["end_us"].as_i64().unwrap());
    let sql = format!(
        "select count(*) as n from logs where lower(action) = 'failed' and cast(time as bigint) >= {start} and cast(time as bigint) < {end}"
    );
    let out = brushfire(&["query", ssh.to_str().unwrap(), "--year", "2015", "--sql", &sql]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let n: f64 = String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap();
    assert_eq!(f["value"].as_f64().unwrap(), n);
    assert!(n > 900.0, "OpenSSH_2k has about a thousand failed logins in its last day: {n}");

    // The iptables sample logs every packet with no verdict: no block tile is offered.
    let Some(ipt) = real_data("iptables/iptables.log") else { return };
    let v = wall_json(&["dashboard", ipt.to_str().unwrap(), "--json"]);
    assert!(tile(&v, "firewall_blocks").is_none());
    assert!(tile(&v, "distinct_sources").is_some());
}

#[test]
fn firewall_blocks_count_verdicts_in_netfilter_prefixes() {
    let d = temp_dir("wall-ufw");
    let p = d.join("ufw.log");
    let line = |s: u32, verdict: &str| {
        format!("Feb 20 10:47:{s:02} gw kernel: [  341.399450] [UFW {verdict}] IN=eth0 OUT= SRC=203.0.113.{s} DST=192.168.1.2 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=4444 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0\n")
    };
    let text: String = (10..20).map(|s| line(s, if s % 3 == 0 { "BLOCK" } else { "ALLOW" })).collect();
    std::fs::write(&p, text).unwrap();
    let v = wall_json(&["dashboard", p.to_str().unwrap(), "--json", "--year", "2019"]);
    let b = tile(&v, "firewall_blocks").expect("blocks tile");
    // Seconds 12, 15, 18 are blocks; every line has a verdict.
    assert_eq!((b["value"].as_f64(), b["whole"].as_f64()), (Some(3.0), Some(10.0)));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_snapshot_writes_a_png_of_the_requested_size() {
    let d = temp_dir("wall-png");
    let png = d.join("wall.png");
    let s = sample();
    let out = brushfire(&[
        "dashboard",
        s.to_str().unwrap(),
        "--snapshot",
        png.to_str().unwrap(),
        "--size",
        "1280x720",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1280, 720));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0 not fitting"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&d);
}

fn harness(st: Arc<Mutex<WallState>>, size: [f32; 2]) -> Harness<'static> {
    Harness::builder().with_size(size).build_ui(move |ui| st.lock().unwrap().wall_ui(ui))
}

fn step_until(h: &mut Harness<'static>, st: &Arc<Mutex<WallState>>, refreshes: u64) {
    let t0 = Instant::now();
    while st.lock().unwrap().refreshes < refreshes {
        h.step();
        assert!(t0.elapsed() < Duration::from_secs(120), "the wall never refreshed");
        std::thread::sleep(Duration::from_millis(10));
    }
    h.step();
}

fn sample_lines(n: usize) -> Vec<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(sample()).unwrap()).read_to_string(&mut text).unwrap();
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

#[test]
fn rows_appended_while_the_wall_runs_show_within_one_refresh() {
    let d = temp_dir("wall-live");
    let p = d.join("flows.csv");
    let lines = sample_lines(3001);
    std::fs::write(&p, lines[..2001].concat()).unwrap();
    let clock = Arc::new(ManualClock::new(1_364_774_400_000_000 + DAY_US / 2));
    let cfg = DashboardConfig::default();
    let refresh = i64::from(cfg.refresh_secs);
    let st = Arc::new(Mutex::new(WallState::new(vec![p.clone()], Default::default(), cfg, clock.clone())));
    let mut h = harness(st.clone(), [1280.0, 720.0]);
    step_until(&mut h, &st, 1);
    assert_eq!(st.lock().unwrap().last.as_ref().unwrap().rows, 2000);
    assert!(st.lock().unwrap().last.as_ref().unwrap().following);
    // Another process appends 1000 rows, the last one without its newline yet.
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    let more = lines[2001..].concat();
    f.write_all(&more.as_bytes()[..more.len() - 1]).unwrap();
    // Not yet due: nothing is read before the refresh time.
    clock.advance_secs(refresh - 1);
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(st.lock().unwrap().refreshes, 1);
    clock.advance_secs(1);
    step_until(&mut h, &st, 2);
    {
        let s = st.lock().unwrap();
        let r = s.last.as_ref().unwrap();
        assert_eq!((r.rows, r.new_rows), (2999, 999), "the partial last line waits for its newline");
        assert!(!r.wall.now_is_data_end, "a growing file is shown against the clock");
    }
    f.write_all(b"\n").unwrap();
    clock.advance_secs(refresh);
    step_until(&mut h, &st, 3);
    assert_eq!(st.lock().unwrap().last.as_ref().unwrap().rows, 3000);
    // Quiet for longer than the chosen time: the freshness line turns into a warning.
    let now = |c: &ManualClock| brushfire::app::dashboard::Clock::now_us(c);
    assert_eq!(st.lock().unwrap().quiet_warning(now(&clock)), None, "fresh data: no warning");
    let quiet = i64::from(st.lock().unwrap().cfg.quiet_secs);
    clock.advance_secs(quiet - refresh);
    step_until(&mut h, &st, 4);
    assert_eq!(st.lock().unwrap().quiet_warning(now(&clock)), None, "quiet, but not for long enough");
    clock.advance_secs(2 * refresh);
    step_until(&mut h, &st, 5);
    assert!(
        st.lock().unwrap().quiet_warning(now(&clock)).is_some(),
        "nothing new for longer than the quiet time"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn no_panel_overflows_its_rectangle_from_1280x720_to_3840x2160() {
    let clock = Arc::new(ManualClock::new(0));
    let cfg = DashboardConfig {
        local_networks: vec!["172.10.0.0/16".into(), "10.0.0.0/8".into()],
        ..Default::default()
    };
    let mut st = WallState::new(vec![sample()], Default::default(), cfg, clock);
    st.auto_refresh = false;
    st.refresh_blocking();
    assert!(st.error.is_none(), "{:?}", st.error);
    let st = Arc::new(Mutex::new(st));
    for size in [[1280.0, 720.0], [3840.0, 2160.0], [1024.0, 1280.0]] {
        for second_page in [false, true] {
            st.lock().unwrap().cfg.second_page = second_page;
            let mut h = harness(st.clone(), size);
            h.step();
            h.step();
            let s = st.lock().unwrap();
            let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, size.into());
            assert_eq!(s.fits.len(), 5, "header, two tiles, two lists at {size:?}");
            for f in &s.fits {
                assert!(
                    screen.contains_rect(f.allotted),
                    "{} allotted {:?} off screen {size:?}",
                    f.name,
                    f.allotted
                );
                assert!(
                    f.allotted.expand(0.5).contains_rect(f.content),
                    "{} content {:?} outside its rect {:?} at {size:?}",
                    f.name,
                    f.content,
                    f.allotted
                );
            }
        }
    }
}

#[test]
fn view_dashboard_opens_the_wall_in_the_normal_window_and_esc_leaves() {
    use egui_kittest::kittest::Queryable;
    let mut h = crate::gui::harness(vec![sample()]);
    crate::gui::settle(&mut h);
    h.get_by_label("View").click();
    h.run_steps(3);
    h.get_by_label("Dashboard (wall mode, Esc leaves)").click();
    h.step();
    let t0 = Instant::now();
    while h.state().panels.wall.wall.as_ref().is_none_or(|w| w.refreshes == 0) {
        h.step();
        assert!(t0.elapsed() < Duration::from_secs(120), "the wall never refreshed");
        std::thread::sleep(Duration::from_millis(20));
    }
    h.step();
    let w = h.state().panels.wall.wall.as_ref().unwrap();
    assert_eq!(w.last.as_ref().unwrap().rows, 270_000);
    assert!(w.fits.iter().any(|f| f.name == "Distinct sources"));
    h.key_press(egui::Key::Escape);
    h.step();
    assert!(h.state().panels.wall.wall.is_none(), "Esc returns to the desk");
}

#[test]
fn wall_settings_live_in_the_workspace_and_old_workspaces_still_load() {
    use brushfire::workspace::Workspace;
    let mut ws =
        Workspace::new(vec![brushfire::workspace::Source { path: "flows.csv".into(), format: "csv".into() }]);
    ws.dashboard.refresh_secs = 5;
    ws.dashboard.local_networks = vec!["172.10.0.0/16".into()];
    ws.dashboard.metrics = vec![brushfire::dashboard::MetricKind::IdsAlerts];
    let back = Workspace::parse(std::path::Path::new("w.brushfire"), &ws.to_json()).unwrap();
    assert_eq!(back.dashboard, ws.dashboard);
    let mut old: serde_json::Value = serde_json::from_str(&ws.to_json()).unwrap();
    old.as_object_mut().unwrap().remove("dashboard");
    let back = Workspace::parse(std::path::Path::new("w.brushfire"), &old.to_string()).unwrap();
    assert_eq!(back.dashboard, DashboardConfig::default());
}
